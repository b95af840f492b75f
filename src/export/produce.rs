//! The second step of an export run: every output the comparison asks for
//! is made in parallel on every core (rayon) into the hidden staging folder
//! at the destination, each file under a temporary name, flushed, then
//! renamed. A copy is byte for byte, except an MP3 under a profile that
//! retags copies (car: its tags are rewritten, its audio kept); a conversion goes
//! through a [`Converter`]. An interrupted run leaves finished files in
//! staging; the next run finds them by key and resumes.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::export::compare::Comparison;
use crate::export::destination::{is_disk_full, staged_path, Site};
use crate::export::gapless::{decode_spliced, Carry};
use crate::export::manifest::{hex, Entry};
use crate::export::plan::{Action, ExportPlan, PlanItem};
use crate::export::report::{Done, ExportReport, Failed};
use crate::export::target::AudioTarget;
use crate::export::transcode::{self, TranscodeReport};
use crate::export::{art, loudness, tagging};
use crate::fsops;
use crate::library::Track;
use crate::progress::{Cancel, ProgressSink, Stage, Tally};

/// Turns a source into an output file; the real one is
/// [`transcode::transcode`], tests substitute their own.
pub trait Converter: Sync {
    /// Convert `track`'s file to `dst` (written atomically) as `target`
    /// says, with the frames `carry` moves across its ends (cd, gapless).
    fn convert(
        &self,
        track: &Track,
        carry: &Carry,
        target: &AudioTarget,
        dst: &Path,
    ) -> Result<TranscodeReport>;
}

/// The real converter: decode, resample, dither, encode, tag.
pub struct Transcoder;

impl Converter for Transcoder {
    fn convert(
        &self,
        track: &Track,
        carry: &Carry,
        t: &AudioTarget,
        dst: &Path,
    ) -> Result<TranscodeReport> {
        if !carry.is_some() {
            return transcode::transcode(&track.path, track, t, dst);
        }
        transcode::transcode_with(&track.path, track, t, dst, &|_| {
            decode_spliced(track, carry, &transcode::decode_track)
        })
    }
}

/// A finished output (staged or already in place).
pub(super) struct Output {
    pub size: u64,
    pub hash: String,
}

/// What making one output left to report: warnings and measured loudness.
#[derive(Debug, Clone, Default)]
pub(super) struct Notes {
    pub warnings: Vec<String>,
    pub loudness: Option<(f64, f64)>,
}

/// A finished output with its notes.
pub(super) type Produced = Result<(Output, Notes)>;

/// The audio of an MP3 without its tags: a leading ID3v2 tag and trailing
/// ID3v1, APEv2 and Lyrics3v2 tags are cut off.
fn mp3_audio(bytes: &[u8]) -> &[u8] {
    use crate::media::mpeg::{id3v2, trailing};
    let start = id3v2::tag_len(bytes).unwrap_or(0).min(bytes.len());
    let end = trailing::trailing_tags_start_in(bytes, start, trailing::Peel::Standard);
    &bytes[start..end]
}

/// Copy an MP3 without re-encoding, replacing its tags with the library's
/// as the target asks (car: ID3v2.3, cover shrunk to a baseline JPEG).
fn copy_mp3_retagged(src: &Path, track: &Track, t: &AudioTarget, dst: &Path) -> Result<Notes> {
    let bytes = fs::read(src).map_err(|e| Error::io(src, e))?;
    let mut out = mp3_audio(&bytes).to_vec();
    let mut notes = Notes::default();
    let cover = if t.options.no_art {
        None
    } else {
        match art::front_cover(src).map(|c| art::prepare_cover(&c, t.art_max_px)) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                notes.warnings.push(format!("cover art left out: {e}"));
                None
            }
            None => None,
        }
    };
    tagging::write_target_tags(
        &mut out,
        track,
        &loudness::source_replaygain(track),
        cover.as_ref(),
        t,
    )
    .map_err(|e| match e {
        Error::Encode { reason, .. } => Error::at(src, reason),
        e => e,
    })?;
    fsops::write_atomic(dst, &out, true)?;
    Ok(notes)
}

/// Make one output in staging: copy or convert.
pub(super) fn produce(
    item: &PlanItem,
    target: Option<&AudioTarget>,
    retag: bool,
    staged: &Path,
    conv: &dyn Converter,
) -> Produced {
    let src = &item.track.path;
    let mut notes = Notes::default();
    match (item.action, target) {
        (Action::Convert, Some(t)) => {
            let r = conv.convert(&item.track, &item.carry, t, staged)?;
            notes.warnings = r.warnings;
            notes.loudness = r.loudness;
        }
        (Action::Copy, Some(t)) if retag => {
            notes = copy_mp3_retagged(src, &item.track, t, staged)?;
        }
        _ => {
            let mut input = fs::File::open(src).map_err(|e| Error::io(src, e))?;
            fsops::write_atomic_with(staged, true, |out| io::copy(&mut input, out).map(|_| ()))?;
        }
    }
    let size = fs::metadata(staged)
        .map_err(|e| Error::io(staged, e))?
        .len();
    let hash = hex(&fsops::hash_file(staged)?);
    Ok((Output { size, hash }, notes))
}

pub(super) fn entry_for(item: &PlanItem, out: &Output) -> Entry {
    Entry {
        path: item.rel.clone(),
        track_id: item.track.id,
        audio_hash: item.track.audio_hash.map(|h| hex(&h)),
        file_hash: item.track.file_hash.map(|h| hex(&h)),
        key: item.key.clone(),
        size: out.size,
        hash: out.hash.clone(),
        playlists: item.playlists.clone(),
    }
}

pub(super) fn done(item: &PlanItem, bytes: u64, notes: Notes) -> Done {
    Done {
        track_id: item.track.id,
        source: item.track.path.clone(),
        output: item.rel.clone(),
        bytes,
        warnings: notes.warnings,
        loudness: notes.loudness,
    }
}

/// Make every output `cmp` asks for, after checking the space. A track's
/// failure is its own (in `report`); a full destination stops the run.
/// Returns the outputs made and those an interrupted run left in staging,
/// by plan item, or `None` when cancelled.
pub(super) fn produce_all(
    plan: &ExportPlan,
    cmp: &Comparison,
    site: &Site,
    conv: &dyn Converter,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
    report: &mut ExportReport,
) -> Result<Option<HashMap<usize, (Output, Notes)>>> {
    let to_produce: Vec<&PlanItem> = cmp.to_produce.iter().map(|&i| &plan.items[i]).collect();
    let need: u64 = to_produce.iter().map(|i| i.est_bytes).sum();
    site.check_space(need)?;
    let total = to_produce.len() as u64;
    let disk_full = AtomicBool::new(false);
    let tally = Tally::start(progress, Stage::Export, total, need);
    let results: Vec<(usize, Option<Produced>)> = to_produce
        .par_iter()
        .map(|it| {
            if cancel.is_cancelled() || disk_full.load(Ordering::Relaxed) {
                return (it.index, None);
            }
            let staged = staged_path(&site.staging, it);
            let target = plan.settings.target_for(&it.track);
            let retag = plan.settings.retags_copies();
            let r = produce(it, target.as_ref(), retag, &staged, conv);
            if let Err(e) = &r {
                let _ = fs::remove_file(&staged);
                if is_disk_full(e) {
                    disk_full.store(true, Ordering::SeqCst);
                }
            }
            tally.add(it.est_bytes);
            (it.index, Some(r))
        })
        .collect();
    if disk_full.load(Ordering::SeqCst) {
        let written = results
            .iter()
            .filter(|(_, r)| matches!(r, Some(Ok(_))))
            .count();
        let first = results
            .iter()
            .find_map(|(_, r)| match r {
                Some(Err(e)) if is_disk_full(e) => Some(e.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        return Err(site.full(&first, written, total));
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    let mut produced = HashMap::new();
    for (idx, r) in results {
        match r {
            Some(Ok(o)) => {
                produced.insert(idx, o);
            }
            Some(Err(e)) => {
                let it = &plan.items[idx];
                report.failed.push(Failed {
                    track_id: Some(it.track.id),
                    source: Some(it.track.path.clone()),
                    output: Some(it.rel.clone()),
                    error: e.to_string(),
                });
            }
            None => {}
        }
    }
    for &idx in &cmp.staged_before {
        let p = staged_path(&site.staging, &plan.items[idx]);
        let size = fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
        let hash = hex(&fsops::hash_file(&p)?);
        produced.insert(idx, (Output { size, hash }, Notes::default()));
    }
    Ok(Some(produced))
}
