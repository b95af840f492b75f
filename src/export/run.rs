//! Carrying out an export plan: incremental, parallel, resumable, safe.
//!
//! The run goes in three phases:
//! 1. **Compare** the plan with the manifest: an output whose path and
//!    content key match and whose size on disk is the recorded one is kept
//!    (mtimes are never looked at). In an ordered folder (car: play order is
//!    the FAT directory order) the old files must be a prefix of the new list,
//!    else the whole folder is rebuilt.
//! 2. **Produce** what is missing, in parallel on every core (rayon), into
//!    the hidden staging folder at the destination (`.mixtape-staging/`),
//!    each file under a temporary name, flushed, then renamed. Before that the
//!    free space is checked against the estimate. An interrupted run leaves
//!    finished files in staging; the next run finds them by key and resumes.
//! 3. **Publish**: files mixtape wrote that are no longer wanted are removed
//!    (or moved back to staging when still needed elsewhere), the manifest
//!    is written with the new entries, then staged files get their final
//!    names in play order (into freshly created folders when ordered), never
//!    replacing a file, and the M3U8 / CUE / TOC files are written
//!    ([`super::extras`]).
//!
//! A file that is not in the manifest is never touched, and neither is one
//! that no longer holds the bytes the manifest records (the user replaced
//! it): it is reported as changed and left alone. Nothing is written or
//! removed through a symlink inside the destination that leads out of it
//! ([`Confined`]). One track's failure (a name the filesystem refuses, a
//! publish that fails) is that track's; the others are exported.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::confine::Confined;
use crate::error::{Error, Result};
use crate::export::extras::{self, abs, changed, foreign, is_collision};
use crate::export::manifest::{hex, unchanged, Entry, Manifest};
use crate::export::plan::{Action, ExportPlan, PlanItem, STAGING_DIR};
use crate::export::target::{AudioTarget, OutputFormat};
use crate::export::transcode::{self, TranscodeReport};
use crate::export::{art, tagging};
use crate::fsops;
use crate::library::Track;
use crate::progress::{Cancel, Progress, ProgressSink, Stage};

/// Turns a source into an output file; the real one is
/// [`transcode::transcode`], tests substitute their own.
pub trait Converter: Sync {
    /// Convert `src` to `dst` (written atomically) as `target` says.
    fn convert(
        &self,
        src: &Path,
        track: &Track,
        target: &AudioTarget,
        dst: &Path,
    ) -> Result<TranscodeReport>;
}

/// The real converter: decode, resample, dither, encode, tag.
pub struct Transcoder;

impl Converter for Transcoder {
    fn convert(
        &self,
        src: &Path,
        track: &Track,
        target: &AudioTarget,
        dst: &Path,
    ) -> Result<TranscodeReport> {
        transcode::transcode(src, track, target, dst)
    }
}

/// One exported track in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// Library id of the source track.
    pub track_id: i64,
    /// The source file.
    pub source: PathBuf,
    /// The output, relative to the destination.
    pub output: String,
    /// The output's size in bytes.
    pub bytes: u64,
    /// Notes from the converter (clipping avoided, art dropped, ...).
    pub warnings: Vec<String>,
    /// Loudness measured while converting (LUFS, dBTP), for the library.
    pub loudness: Option<(f64, f64)>,
}

/// A track that could not be exported.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// Library id of the source track, when known.
    pub track_id: Option<i64>,
    /// The source file, when known.
    pub source: Option<PathBuf>,
    /// The planned output, when one was planned.
    pub output: Option<String>,
    /// Why, as `path: reason`.
    pub error: String,
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportReport {
    /// Tracks encoded anew.
    pub converted: Vec<Done>,
    /// Tracks copied byte for byte.
    pub copied: Vec<Done>,
    /// Tracks already up to date (or only renamed/moved).
    pub skipped: Vec<Done>,
    /// Tracks that failed (source missing, undecodable, ...).
    pub failed: Vec<Failed>,
    /// Files mixtape had written that are no longer wanted, now removed.
    pub removed: Vec<String>,
    /// M3U8 / CUE / TOC files written or rewritten.
    pub extras_written: Vec<String>,
    /// Per disc (cd): folder, track count, length in seconds.
    pub discs: Vec<(String, usize, f64)>,
    /// Problems that did not stop the export.
    pub warnings: Vec<String>,
    /// Stopped by Ctrl-C: finished outputs wait in staging for the next run.
    pub interrupted: bool,
}

/// Free bytes available to us on the filesystem holding `path`.
#[cfg(unix)]
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Free bytes (unknown on this platform).
#[cfg(not(unix))]
pub fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// Is this error the destination running out of space (or a file-size limit)?
pub fn is_disk_full(e: &Error) -> bool {
    e.is_no_space()
}

/// Check the destination: an existing folder, or a missing leaf whose parent
/// exists (created unless `dry_run`). A file, or a missing parent, is an error.
pub fn prepare_destination(dest: &Path, dry_run: bool) -> Result<()> {
    match fs::metadata(dest) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::io(
            dest,
            io::Error::other("destination is a file, not a folder"),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = dest
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(Error::io(
                    dest,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "parent folder {} does not exist (is the device mounted?)",
                            parent.display()
                        ),
                    ),
                ));
            }
            if dry_run {
                return Ok(());
            }
            fs::create_dir(dest).map_err(|e| Error::io(dest, e))
        }
        Err(e) => Err(Error::io(dest, e)),
    }
}

/// Remove our leftover temporary files (from a killed run) in `dir`.
fn clean_temp_files(dir: &Path) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if fsops::is_temp_name(&p) && p.is_file() {
                let _ = fs::remove_file(&p);
            }
        }
    }
}

/// Does a file (not a link) exist at `path` with exactly `size` bytes?
fn present(path: &Path, size: u64) -> bool {
    fs::symlink_metadata(path)
        .map(|m| m.is_file() && m.len() == size)
        .unwrap_or(false)
}

/// Where a finished output waits before publishing.
fn staged_path(staging: &Path, item: &PlanItem) -> PathBuf {
    let ext = Path::new(&item.rel)
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bin".into());
    staging.join(format!("{}.{ext}", item.key))
}

/// A finished output (staged or already in place).
struct Output {
    size: u64,
    hash: String,
}

/// What making one output left to report: warnings and measured loudness.
#[derive(Debug, Clone, Default)]
struct Notes {
    warnings: Vec<String>,
    loudness: Option<(f64, f64)>,
}

/// A finished output with its notes.
type Produced = Result<(Output, Notes)>;

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
    tagging::write_tags(
        &mut out,
        OutputFormat::Mp3,
        &track.tags,
        cover.as_ref(),
        t.id3v23,
    )
    .map_err(|e| match e {
        Error::Encode { reason, .. } => Error::at(src, reason),
        e => e,
    })?;
    fsops::write_atomic(dst, &out, true)?;
    Ok(notes)
}

/// Make one output in staging: copy or convert.
fn produce(
    item: &PlanItem,
    target: Option<&AudioTarget>,
    staged: &Path,
    conv: &dyn Converter,
) -> Produced {
    let src = &item.track.path;
    let mut notes = Notes::default();
    match (item.action, target) {
        (Action::Convert, Some(t)) => {
            let r = conv.convert(src, &item.track, t, staged)?;
            notes.warnings = r.warnings;
            notes.loudness = r.loudness;
        }
        (Action::Copy, Some(t)) if t.id3v23 => {
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

fn entry_for(item: &PlanItem, out: &Output) -> Entry {
    Entry {
        path: item.rel.clone(),
        track_id: item.track.id,
        audio_hash: item.track.audio_hash.map(|h| hex(&h)),
        file_hash: item.track.file_hash.map(|h| hex(&h)),
        key: item.key.clone(),
        size: out.size,
        hash: out.hash.clone(),
    }
}

fn done(item: &PlanItem, bytes: u64, notes: Notes) -> Done {
    Done {
        track_id: item.track.id,
        source: item.track.path.clone(),
        output: item.rel.clone(),
        bytes,
        warnings: notes.warnings,
        loudness: notes.loudness,
    }
}

/// How the plan compares with what the destination holds.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Per old manifest entry: is its file there with the recorded size?
    pub old_present: Vec<bool>,
    /// Plan items already in place (same path, same key, file present).
    pub in_place: HashSet<usize>,
    /// Plan items whose output exists under another path: item -> old entry.
    pub moved_from_old: HashMap<usize, usize>,
    /// Plan items finished by an interrupted run, waiting in staging.
    pub staged_before: HashSet<usize>,
    /// Plan items to copy or convert now, in play order.
    pub to_produce: Vec<usize>,
    /// Old entries (indexes) that are no longer wanted anywhere.
    pub obsolete: Vec<usize>,
}

/// Compare `plan` with the `old` manifest and the files on disk (sizes,
/// never mtimes). In an ordered folder the old files must be a prefix of
/// the new list to stay in place; otherwise the folder is rebuilt.
pub fn compare(plan: &ExportPlan, old: &Manifest) -> Comparison {
    let dest = plan.dest.as_path();
    let staging = dest.join(STAGING_DIR);
    let mut c = Comparison {
        old_present: old
            .entries
            .iter()
            .map(|e| present(&abs(dest, &e.path), e.size))
            .collect(),
        ..Comparison::default()
    };
    let ordered = plan.settings.profile.limits().ordered_folders;
    for folder in plan.folders() {
        let new: Vec<&PlanItem> = plan.items.iter().filter(|i| i.folder == folder).collect();
        let olds: Vec<(usize, &Entry)> = old
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| folder_of(&e.path) == folder)
            .collect();
        if ordered {
            let prefix = olds.len() <= new.len()
                && olds
                    .iter()
                    .zip(&new)
                    .all(|((oi, e), it)| e.path == it.rel && e.key == it.key && c.old_present[*oi]);
            if prefix {
                c.in_place
                    .extend(new.iter().take(olds.len()).map(|i| i.index));
            }
        } else {
            for it in &new {
                let found = olds
                    .iter()
                    .find(|(_, e)| e.path == it.rel && e.key == it.key);
                if let Some((oi, _)) = found {
                    if c.old_present[*oi] {
                        c.in_place.insert(it.index);
                    }
                }
            }
        }
    }
    let kept_paths: HashSet<&str> = plan
        .items
        .iter()
        .filter(|i| c.in_place.contains(&i.index))
        .map(|i| i.rel.as_str())
        .collect();
    let mut reusable: HashMap<&str, usize> = HashMap::new(); // key -> old entry index
    for (oi, e) in old.entries.iter().enumerate() {
        if c.old_present[oi] && !kept_paths.contains(e.path.as_str()) {
            reusable.entry(e.key.as_str()).or_insert(oi);
        }
    }
    for it in &plan.items {
        if c.in_place.contains(&it.index) {
            continue;
        }
        if let Some(&oi) = reusable.get(it.key.as_str()) {
            c.moved_from_old.insert(it.index, oi);
        } else if staged_path(&staging, it).is_file() {
            c.staged_before.insert(it.index);
        } else {
            c.to_produce.push(it.index);
        }
    }
    let reused: HashSet<usize> = c.moved_from_old.values().copied().collect();
    c.obsolete = old
        .entries
        .iter()
        .enumerate()
        .filter(|(oi, e)| !kept_paths.contains(e.path.as_str()) && !reused.contains(oi))
        .map(|(oi, _)| oi)
        .collect();
    c
}

/// Carry out `plan`. Per-track failures are in the report; a fatal problem
/// (destination unusable, disk full, bad manifest) is an `Err`.
pub fn run_export(
    plan: &ExportPlan,
    conv: &dyn Converter,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<ExportReport> {
    let dest = plan.dest.as_path();
    prepare_destination(dest, false)?;
    let mut report = ExportReport {
        warnings: plan.warnings(),
        ..ExportReport::default()
    };
    for u in &plan.unavailable {
        report.failed.push(Failed {
            track_id: u.track.as_ref().map(|t| t.id),
            source: u.track.as_ref().map(|t| t.path.clone()),
            output: None,
            error: u.reason.clone(),
        });
    }
    let settings = &plan.settings;
    let old = plan.manifest.clone().unwrap_or_else(|| {
        Manifest::new(
            &settings.profile.name(),
            &settings.fingerprint(),
            &plan.label,
        )
    });
    let staging = dest.join(STAGING_DIR);
    let confine = Confined::new(dest);
    confine.check(&staging.join(STAGING_DIR))?;
    // Creating the staging folder first finds a read-only destination
    // before any work is done.
    if let Err(e) = fs::create_dir_all(&staging) {
        return Err(Error::io(
            dest,
            io::Error::new(e.kind(), format!("cannot write to the destination ({e})")),
        ));
    }
    clean_temp_files(dest);
    clean_temp_files(&staging);
    for f in plan.folders() {
        let dir = abs(dest, &f);
        if !f.is_empty() && confine.check(&dir.join(STAGING_DIR)).is_ok() {
            clean_temp_files(&dir);
        }
    }

    // Phase 1: compare with the manifest; outputs to move must still be
    // what mixtape wrote, else they are left alone and made anew.
    let mut cmp = compare(plan, &old);
    let left_alone = verify_moves(&confine, &old, &mut cmp, &mut report);
    let Comparison {
        in_place,
        moved_from_old,
        staged_before,
        ..
    } = cmp.clone();
    let ordered = settings.profile.limits().ordered_folders;
    let to_produce: Vec<&PlanItem> = cmp.to_produce.iter().map(|&i| &plan.items[i]).collect();

    // Phase 2: produce in parallel, after checking the space.
    let need: u64 = to_produce.iter().map(|i| i.est_bytes).sum();
    if need > 0 {
        if let Some(free) = free_bytes(dest) {
            if need > free {
                return Err(Error::io(
                    dest,
                    io::Error::other(format!(
                        "not enough free space: about {} needed, {} available; nothing was written",
                        human_bytes(need),
                        human_bytes(free)
                    )),
                ));
            }
        }
        fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    }
    let target = settings.target();
    let total = to_produce.len() as u64;
    let done_count = AtomicU64::new(0);
    let bytes_done = AtomicU64::new(0);
    let disk_full = AtomicBool::new(false);
    progress.report(Progress {
        stage: Stage::Export,
        done: 0,
        total,
        bytes: 0,
        total_bytes: need,
    });
    let results: Vec<(usize, Option<Produced>)> = to_produce
        .par_iter()
        .map(|it| {
            if cancel.is_cancelled() || disk_full.load(Ordering::Relaxed) {
                return (it.index, None);
            }
            let staged = staged_path(&staging, it);
            let r = produce(it, target.as_ref(), &staged, conv);
            if let Err(e) = &r {
                let _ = fs::remove_file(&staged);
                if is_disk_full(e) {
                    disk_full.store(true, Ordering::SeqCst);
                }
            }
            let d = done_count.fetch_add(1, Ordering::Relaxed) + 1;
            let b = bytes_done.fetch_add(it.est_bytes, Ordering::Relaxed) + it.est_bytes;
            progress.report(Progress {
                stage: Stage::Export,
                done: d,
                total,
                bytes: b,
                total_bytes: need,
            });
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
        return Err(Error::io(
            dest,
            io::Error::other(format!(
                    "destination is full ({first}); {written} of {total} files were finished and wait in {STAGING_DIR} for the next run; nothing partial was left",
                ),
            ),
        ));
    }
    if cancel.is_cancelled() {
        report.interrupted = true;
        return Ok(report);
    }
    let mut produced: HashMap<usize, (Output, Notes)> = HashMap::new();
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
    for &idx in &staged_before {
        let it = &plan.items[idx];
        let p = staged_path(&staging, it);
        let size = fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
        let hash = hex(&fsops::hash_file(&p)?);
        produced.insert(idx, (Output { size, hash }, Notes::default()));
    }

    // Phase 3: publish.
    let kept_paths: HashSet<&str> = plan
        .items
        .iter()
        .filter(|i| in_place.contains(&i.index))
        .map(|i| i.rel.as_str())
        .collect();
    let wanted_from_old: HashMap<usize, &PlanItem> = moved_from_old
        .iter()
        .map(|(&idx, &oi)| (oi, &plan.items[idx]))
        .collect();
    let mut touched_folders: HashSet<String> = HashSet::new();
    for (oi, e) in old.entries.iter().enumerate() {
        if kept_paths.contains(e.path.as_str()) || left_alone.contains(&oi) {
            continue;
        }
        let p = abs(dest, &e.path);
        if let Err(err) = confine.check(&p) {
            if p.symlink_metadata().is_ok() {
                report.warnings.push(err.to_string());
            }
            continue;
        }
        touched_folders.insert(folder_of(&e.path));
        if let Some(it) = wanted_from_old.get(&oi) {
            // Still needed under another name or order: park it in staging.
            fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
            let sp = staged_path(&staging, it);
            fs::rename(&p, &sp).map_err(|err| Error::io(&p, err))?;
            produced.insert(
                it.index,
                (
                    Output {
                        size: e.size,
                        hash: e.hash.clone(),
                    },
                    Notes::default(),
                ),
            );
        } else if p.symlink_metadata().is_ok() {
            if !unchanged(&p, e.size, &e.hash) {
                report.warnings.push(changed(&p));
                continue;
            }
            match fs::remove_file(&p) {
                Ok(()) => report.removed.push(e.path.clone()),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(Error::io(&p, err)),
            }
        }
    }
    // Folders we emptied go away, so that they are created fresh (in play order).
    let mut folders: Vec<String> = touched_folders
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.matches('/').count()));
    for f in &folders {
        let p = abs(dest, f);
        if confine.check(&p).is_err() {
            continue;
        }
        if fs::remove_dir(&p).is_err() && p.is_dir() && ordered {
            let wanted = plan
                .items
                .iter()
                .any(|i| &i.folder == f && !in_place.contains(&i.index));
            if wanted {
                report.warnings.push(format!(
                    "{}: holds files mixtape did not write; the play order in this folder may not follow the playlist",
                    p.display()
                ));
            }
        }
    }

    // The manifest first lists every output as it will be: if the run stops
    // while renaming, the next run finds missing outputs in staging.
    let mut manifest = Manifest::new(
        &settings.profile.name(),
        &settings.fingerprint(),
        &plan.label,
    );
    let old_by_path: HashMap<&str, &Entry> =
        old.entries.iter().map(|e| (e.path.as_str(), e)).collect();
    for it in &plan.items {
        if in_place.contains(&it.index) {
            if let Some(e) = old_by_path.get(it.rel.as_str()) {
                manifest.entries.push((*e).clone());
            }
        } else if let Some((out, _)) = produced.get(&it.index) {
            manifest.entries.push(entry_for(it, out));
        }
    }
    manifest.extras = old.extras.clone();
    manifest.save(dest)?;
    for it in &plan.items {
        if in_place.contains(&it.index) {
            report.skipped.push(done(
                it,
                old_by_path.get(it.rel.as_str()).map_or(0, |e| e.size),
                Notes::default(),
            ));
            continue;
        }
        let Some((out, notes)) = produced.remove(&it.index) else {
            continue;
        };
        let from = staged_path(&staging, it);
        let to = abs(dest, &it.rel);
        // No check-then-rename: the publish itself refuses to replace a file.
        let published = confine
            .check(&to)
            .and_then(|()| fsops::transfer(&from, &to, fsops::Mode::Move));
        if let Err(err) = published {
            report.failed.push(Failed {
                track_id: Some(it.track.id),
                source: Some(it.track.path.clone()),
                output: Some(it.rel.clone()),
                error: if is_collision(&err) {
                    foreign(&to)
                } else {
                    err.to_string()
                },
            });
            manifest.entries.retain(|e| e.path != it.rel);
            continue;
        }
        let d = done(it, out.size, notes);
        if moved_from_old.contains_key(&it.index) {
            report.skipped.push(d);
        } else if it.action == Action::Copy {
            report.copied.push(d);
        } else {
            report.converted.push(d);
        }
    }

    // Extras: M3U8 (usb, formats), CUE + TOC (cd).
    let wanted = extras::wanted(plan, &|rel| manifest.entry(rel).is_some(), &mut report);
    extras::publish(&confine, &old, &mut manifest, &wanted, &mut report)?;
    manifest.save(dest)?;

    // Staging: what is left there is not wanted any more.
    extras::clean_staging(&staging);
    // Folders that held only our files and are now empty.
    for e in &old.entries {
        let f = folder_of(&e.path);
        let dir = abs(dest, &f);
        if !f.is_empty() && confine.check(&dir).is_ok() {
            let _ = fs::remove_dir(dir);
        }
    }
    Ok(report)
}

/// Outputs the comparison would move (reorder, rename) must still hold the
/// bytes mixtape wrote and lie inside the destination; any other is left
/// alone (reported once) and its item is made anew instead. Returns the old
/// entries left alone.
fn verify_moves(
    confine: &Confined,
    old: &Manifest,
    cmp: &mut Comparison,
    report: &mut ExportReport,
) -> HashSet<usize> {
    let mut left_alone = HashSet::new();
    let mut moves: Vec<(usize, usize)> = cmp.moved_from_old.iter().map(|(&i, &o)| (i, o)).collect();
    moves.sort_unstable();
    for (idx, oi) in moves {
        let e = &old.entries[oi];
        let p = abs(confine.root(), &e.path);
        let problem = match confine.check(&p) {
            Err(err) => Some(err.to_string()),
            Ok(()) if !unchanged(&p, e.size, &e.hash) => Some(changed(&p)),
            Ok(()) => None,
        };
        if let Some(why) = problem {
            report.warnings.push(why);
            left_alone.insert(oi);
            cmp.moved_from_old.remove(&idx);
            cmp.to_produce.push(idx);
        }
    }
    cmp.to_produce.sort_unstable();
    left_alone
}

/// The folder part of a relative path ("" for the top).
fn folder_of(rel: &str) -> String {
    rel.rsplit_once('/')
        .map(|(f, _)| f.to_string())
        .unwrap_or_default()
}

/// Bytes as B/KB/MB/GB (decimal units, like disk sizes).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::cd;
    use crate::export::plan::{plan_export, Selection};
    use crate::export::profile::{ExportSettings, Profile};
    use crate::progress::NoProgress;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    /// A converter double: writes a small file naming the track, counts
    /// calls, can fail one track and can cancel after N conversions.
    #[derive(Default)]
    struct Double {
        calls: AtomicUsize,
        fail_id: Option<i64>,
        cancel_after: Option<(usize, Cancel)>,
        seen: Mutex<Vec<i64>>,
    }

    impl Converter for Double {
        fn convert(
            &self,
            src: &Path,
            track: &Track,
            _t: &AudioTarget,
            dst: &Path,
        ) -> Result<TranscodeReport> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some((after, c)) = &self.cancel_after {
                if n >= *after {
                    c.cancel();
                }
            }
            if self.fail_id == Some(track.id) {
                return Err(Error::at(src, "undecodable"));
            }
            self.seen.lock().unwrap().push(track.id);
            fsops::write_atomic(dst, format!("audio of {}", track.id).as_bytes(), true)?;
            Ok(TranscodeReport {
                samplerate: 44100,
                channels: 2,
                bitdepth: None,
                seconds: 20.0,
                frames: 882_000,
                gain_db: None,
                loudness: None,
                bytes: 10,
                warnings: Vec::new(),
            })
        }
    }

    fn tracks(dir: &Path, n: i64) -> Vec<Track> {
        (1..=n)
            .map(|id| {
                let path = dir.join(format!("{id}.flac"));
                std::fs::write(&path, format!("flac {id}")).unwrap();
                let mut t = Track {
                    id,
                    path,
                    size: 6,
                    ..Track::default()
                };
                t.tags.artist = Some("A".into());
                t.tags.title = Some(format!("T{id}"));
                t.props.format = Some("flac".into());
                t.props.length = Some(20.0);
                t
            })
            .collect()
    }

    fn export(
        tracks: &[Track],
        s: &ExportSettings,
        dest: &Path,
        conv: &Double,
        cancel: &Cancel,
    ) -> ExportReport {
        let sel = Selection {
            label: "Trip".into(),
            playlist: true,
            tracks: tracks.to_vec(),
            missing: vec![],
        };
        let plan = plan_export(&sel, s, dest).unwrap();
        run_export(&plan, conv, &NoProgress, cancel).unwrap()
    }

    fn outs(v: &[Done]) -> Vec<&str> {
        v.iter().map(|d| d.output.as_str()).collect()
    }

    fn manifest_paths(dest: &Path) -> Vec<String> {
        Manifest::load(dest)
            .unwrap()
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect()
    }

    #[cfg(unix)]
    fn ino(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    #[test]
    fn car_reorders_by_renaming_appends_in_place_and_skips_unchanged() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 4);
        let c = Cancel::new();
        let conv = Double::default();
        let r = export(&all[..3], &car, d, &conv, &c);
        assert_eq!(
            outs(&r.converted),
            vec![
                "01/001 A - T1.mp3",
                "01/002 A - T2.mp3",
                "01/003 A - T3.mp3"
            ]
        );
        assert_eq!(manifest_paths(d), outs(&r.converted));
        // Again: nothing converted.
        let r = export(&all[..3], &car, d, &conv, &c);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 3);
        assert_eq!(r.skipped.len(), 3);
        assert!(r.converted.is_empty() && r.removed.is_empty());
        // Append: the old files stay where they are, the new one is added.
        #[cfg(unix)]
        let before = ino(&d.join("01/001 A - T1.mp3"));
        let r = export(&all, &car, d, &conv, &c);
        assert_eq!(outs(&r.converted), vec!["01/004 A - T4.mp3"]);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 4);
        #[cfg(unix)]
        assert_eq!(before, ino(&d.join("01/001 A - T1.mp3")));
        // Reorder: the folder is rebuilt from the existing outputs, no encoding.
        let re = vec![
            all[3].clone(),
            all[0].clone(),
            all[1].clone(),
            all[2].clone(),
        ];
        let r = export(&re, &car, d, &conv, &c);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 4, "reorder re-encoded");
        assert!(r.converted.is_empty());
        assert_eq!(r.skipped.len(), 4);
        assert_eq!(
            manifest_paths(d),
            vec![
                "01/001 A - T4.mp3",
                "01/002 A - T1.mp3",
                "01/003 A - T2.mp3",
                "01/004 A - T3.mp3"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(d.join("01/001 A - T4.mp3")).unwrap(),
            "audio of 4"
        );
        let mut names: Vec<String> = std::fs::read_dir(d.join("01"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(!d.join(STAGING_DIR).exists());
    }

    /// Issue 12: a reorder moved (and a shrink deleted) files the user had
    /// replaced with other bytes of the same size.
    #[test]
    fn a_reorder_leaves_a_replaced_file_alone_and_makes_its_track_anew() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 3);
        let conv = Double::default();
        export(&all, &car, d, &conv, &Cancel::new());
        let first = d.join("01/001 A - T1.mp3");
        std::fs::write(&first, "AUDIO OF 1").unwrap();
        let re = vec![all[2].clone(), all[0].clone(), all[1].clone()];
        let r = export(&re, &car, d, &conv, &Cancel::new());
        assert_eq!(
            r.warnings[0],
            format!(
                "{}: changed since mixtape wrote it; left alone",
                first.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "AUDIO OF 1");
        assert_eq!(outs(&r.converted), vec!["01/002 A - T1.mp3"]);
        assert_eq!(
            outs(&r.skipped),
            vec!["01/001 A - T3.mp3", "01/003 A - T2.mp3"]
        );
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        assert_eq!(
            manifest_paths(d),
            vec![
                "01/001 A - T3.mp3",
                "01/002 A - T1.mp3",
                "01/003 A - T2.mp3"
            ]
        );
        // Fewer tracks: the replaced file is not the manifest's any more.
        let r = export(&all[..1], &car, d, &conv, &Cancel::new());
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "AUDIO OF 1");
        assert!(
            !r.removed.iter().any(|p| p.contains("001 A - T1")),
            "{:?}",
            r.removed
        );
    }

    #[test]
    fn an_interrupted_run_resumes_from_staging() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 6);
        let c = Cancel::new();
        let first = Double {
            cancel_after: Some((2, c.clone())),
            ..Double::default()
        };
        let r = export(&all, &car, d, &first, &c);
        assert!(r.interrupted);
        assert!(!d.join("01").exists(), "published after an interruption");
        let done_first = first.seen.lock().unwrap().len();
        assert!(done_first >= 2);
        let second = Double::default();
        let r = export(&all, &car, d, &second, &Cancel::new());
        assert!(!r.interrupted);
        assert_eq!(
            second.calls.load(Ordering::SeqCst),
            6 - done_first,
            "staged outputs were redone"
        );
        assert_eq!(r.converted.len(), 6);
        assert_eq!(manifest_paths(d).len(), 6);
        assert!(!d.join(STAGING_DIR).exists());
    }

    #[test]
    fn a_failed_track_is_reported_and_the_rest_published() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let conv = Double {
            fail_id: Some(2),
            ..Double::default()
        };
        let r = export(
            &tracks(src.path(), 3),
            &ExportSettings::new(Profile::Car),
            dest.path(),
            &conv,
            &Cancel::new(),
        );
        assert_eq!(r.failed.len(), 1);
        assert!(r.failed[0].error.contains("undecodable"));
        assert_eq!(
            outs(&r.converted),
            vec!["01/001 A - T1.mp3", "01/003 A - T3.mp3"]
        );
    }

    #[test]
    fn cd_writes_cue_and_toc_per_disc_once() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let mut cd = ExportSettings::new(Profile::Cd);
        cd.disc_minutes = 1.0;
        let conv = Double::default();
        let r = export(&tracks(src.path(), 5), &cd, d, &conv, &Cancel::new());
        assert_eq!(r.discs.iter().map(|x| x.1).collect::<Vec<_>>(), vec![3, 2]);
        assert_eq!(
            r.extras_written,
            vec![
                "disc01/disc01.cue",
                "disc01/disc01.toc",
                "disc02/disc02.cue",
                "disc02/disc02.toc"
            ]
        );
        let cue = std::fs::read_to_string(d.join("disc02/disc02.cue")).unwrap();
        let parsed = cd::parse_cue(Path::new("disc02.cue"), &cue).unwrap();
        assert_eq!(parsed.tracks[0].file, "01 A - T4.wav");
        assert_eq!(parsed.title.as_deref(), Some("Trip (disc 2/2)"));
        let r = export(&tracks(src.path(), 5), &cd, d, &conv, &Cancel::new());
        assert!(r.extras_written.is_empty() && r.converted.is_empty());
        // Fewer tracks: the second disc and its burn files go away.
        let r = export(&tracks(src.path(), 3), &cd, d, &conv, &Cancel::new());
        assert!(
            r.removed.contains(&"disc02/disc02.cue".to_string()),
            "{:?}",
            r.removed
        );
        assert!(!d.join("disc02").exists());
    }
}
