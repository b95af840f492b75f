//! `mixtape loudness`: EBU R128 integrated loudness and true peak of each
//! selected track, by a full decode of its file (or of its range of a CUE
//! image), and of each album they belong to, stored in the library
//! (`loudness`, `true_peak`, `album_loudness`, `album_peak`).
//!
//! - An album is the album module's ([`crate::album::group`]), and its
//!   loudness is gated over all of its audio at once
//!   ([`media::loudness::album`]), so it needs every track of the album: a
//!   selection that names part of an album measures the rest of it too.
//! - Incremental: a track that has its values is not decoded again, nor an
//!   album whose every track holds the values measured over exactly its
//!   present tracks (`album_key`), unless `force`. A rescan that finds a
//!   file's audio changed forgets its values (see `library::writer`), and
//!   then its album is measured again.
//! - Tracks are decoded in parallel on rayon, in album order, so that each
//!   album's meters (kept for its gated loudness) are dropped soon; results
//!   come back to the calling thread, the one writer, which stores them in
//!   batches as they arrive. A file that cannot be decoded is that track's
//!   failure (its album then gets no album values); the others go on.

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use crate::album::{self, Album};
use crate::error::{Problem, Result};
use crate::library::track::hex;
use crate::library::{Library, Track};
use crate::media::loudness::{self as meter, Loudness};
use crate::progress::{Cancel, ProgressSink, Stage, Tally};
use crate::query::Query;

/// Track values written per transaction.
const BATCH: usize = 32;

/// What happened to one track.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Decoded and measured now (problems met while decoding, if any: the
    /// values cover what decoded).
    Measured(Vec<Problem>),
    /// Already measured; not decoded again.
    Skipped,
    /// Could not be measured: why (`path: reason`).
    Failed(String),
    /// Not measured: no decoder for its format (`path: reason`), as
    /// `check`'s "not checked"; not a failure.
    NoDecoder(String),
    /// Not reached (interrupted).
    NotDone,
}

/// One track's result: the track with the values it holds after the run.
#[derive(Debug, Clone)]
pub struct TrackResult {
    pub track: Track,
    pub outcome: Outcome,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    /// The selected tracks, in the selection's order.
    pub tracks: Vec<TrackResult>,
    /// Tracks outside the selection decoded for their album's loudness.
    pub album_only: Vec<TrackResult>,
    /// Albums measured now.
    pub albums_measured: usize,
    /// Albums left without album values: the album's name and why.
    pub albums_failed: Vec<(String, String)>,
    /// Stopped by Ctrl-C (what was measured is stored).
    pub interrupted: bool,
}

impl Report {
    /// Tracks decoded in this run (selected or not).
    pub fn measured(&self) -> usize {
        self.all()
            .filter(|r| matches!(r.outcome, Outcome::Measured(_)))
            .count()
    }

    /// Tracks that failed (selected or not).
    pub fn failed(&self) -> usize {
        self.all()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .count()
    }

    /// Tracks not measured for want of a decoder (selected or not).
    pub fn no_decoder(&self) -> usize {
        self.all()
            .filter(|r| matches!(r.outcome, Outcome::NoDecoder(_)))
            .count()
    }

    /// Selected tracks that were already measured.
    pub fn skipped(&self) -> usize {
        self.tracks
            .iter()
            .filter(|r| r.outcome == Outcome::Skipped)
            .count()
    }

    fn all(&self) -> impl Iterator<Item = &TrackResult> {
        self.tracks.iter().chain(&self.album_only)
    }
}

/// The key of the tracks an album's values were measured over: a hash of
/// their ids.
pub fn album_key(a: &Album) -> String {
    let ids: BTreeSet<i64> = a.tracks.iter().map(|t| t.id).collect();
    let mut h = blake3::Hasher::new();
    for id in ids {
        h.update(&id.to_le_bytes());
    }
    hex(&h.finalize().as_bytes()[..8])
}

/// Whether an album's stored values are those of its present tracks.
fn album_is_measured(a: &Album, key: &str) -> bool {
    a.tracks.iter().all(|t| {
        t.album_loudness.is_some() && t.album_peak.is_some() && t.album_key.as_deref() == Some(key)
    })
}

fn track_is_measured(t: &Track) -> bool {
    t.loudness.is_some() && t.true_peak.is_some()
}

/// One file (or image range) to decode.
struct Job {
    track: Track,
    /// Its album's index in the run's album list.
    album: Option<usize>,
}

/// Measure one track: its file, or its range of an image.
pub fn measure_track(t: &Track) -> Result<Loudness> {
    crate::guard::catch(|| match t.cue {
        Some(c) => meter::measure_range(&t.path, c.start, c.end),
        None => meter::measure_file(&t.path),
    })
    .unwrap_or_else(|p| {
        Err(crate::Error::media(
            &t.path,
            crate::error::MediaErrorKind::Panicked,
            format!("the decoder crashed ({p})"),
        ))
    })
}

/// Measure the tracks `selected` (and what their albums need), storing
/// the values as they come.
pub fn measure(
    lib: &mut Library,
    selected: Vec<Track>,
    force: bool,
    cancel: &Cancel,
    progress: &dyn ProgressSink,
) -> Result<Report> {
    let albums = album::group(Query::default().tracks(lib)?);
    let mut album_of: HashMap<i64, usize> = HashMap::new();
    for (i, a) in albums.iter().enumerate() {
        for t in &a.tracks {
            album_of.insert(t.id, i);
        }
    }
    let selected_ids: BTreeSet<i64> = selected.iter().map(|t| t.id).collect();
    // Albums whose values are wanted, in album order, with their keys.
    let mut wanted: BTreeSet<usize> = BTreeSet::new();
    for t in &selected {
        if let Some(&i) = album_of.get(&t.id) {
            wanted.insert(i);
        }
    }
    let keys: HashMap<usize, String> = wanted.iter().map(|&i| (i, album_key(&albums[i]))).collect();
    wanted.retain(|i| force || !album_is_measured(&albums[*i], &keys[i]));
    let mut jobs: Vec<Job> = Vec::new();
    let mut queued: BTreeSet<i64> = BTreeSet::new();
    for &i in &wanted {
        for t in &albums[i].tracks {
            queued.insert(t.id);
            jobs.push(Job {
                track: t.clone(),
                album: Some(i),
            });
        }
    }
    for t in &selected {
        if !queued.contains(&t.id) && (force || !track_is_measured(t)) {
            queued.insert(t.id);
            jobs.push(Job {
                track: t.clone(),
                album: None,
            });
        }
    }
    let mut per_album: HashMap<usize, usize> = HashMap::new();
    for j in &jobs {
        if let Some(a) = j.album {
            *per_album.entry(a).or_default() += 1;
        }
    }

    let total_bytes: u64 = jobs.iter().map(|j| j.track.size).sum();
    let tally = Tally::start(progress, Stage::Measure, jobs.len() as u64, total_bytes);
    let mut outcomes: HashMap<i64, (Outcome, Option<(f64, f64)>)> = HashMap::new();
    let mut album_values: HashMap<i64, (f64, f64, String)> = HashMap::new();
    let mut report = Report::default();
    let (tx, rx) = crossbeam_channel::bounded::<(usize, Result<Loudness>)>(BATCH * 2);
    let outcome = std::thread::scope(|scope| -> Result<()> {
        let jobs_ref = &jobs;
        scope.spawn(move || {
            jobs_ref
                .par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, job)| {
                    if cancel.is_cancelled() {
                        return;
                    }
                    // The receiver only goes away on a fatal error.
                    let _ = tx.send((i, measure_track(&job.track)));
                });
        });
        let mut pending_tracks: Vec<(i64, f64, f64)> = Vec::new();
        let mut pending_albums: HashMap<usize, Vec<Option<Loudness>>> = HashMap::new();
        let mut result = Ok(());
        for (i, r) in rx.iter() {
            if result.is_err() {
                continue; // drain so the workers finish
            }
            let job = &jobs[i];
            tally.add(job.track.size);
            let id = job.track.id;
            let got = match r {
                Ok(l) => {
                    pending_tracks.push((id, l.lufs, l.true_peak));
                    outcomes.insert(
                        id,
                        (
                            Outcome::Measured(l.problems.clone()),
                            Some((l.lufs, l.true_peak)),
                        ),
                    );
                    Some(l)
                }
                Err(e) => {
                    let o = match e {
                        crate::Error::Media {
                            kind: crate::error::MediaErrorKind::Unsupported,
                            ..
                        } => Outcome::NoDecoder(e.to_string()),
                        _ => Outcome::Failed(e.to_string()),
                    };
                    outcomes.insert(id, (o, None));
                    None
                }
            };
            if let Some(a) = job.album {
                let done = pending_albums.entry(a).or_default();
                done.push(got);
                if done.len() == per_album[&a] {
                    let done = pending_albums.remove(&a).unwrap_or_default();
                    let album = &albums[a];
                    match finish_album(album, &done) {
                        Ok((lufs, peak)) => {
                            report.albums_measured += 1;
                            let rows: Vec<(i64, f64, f64, String)> = album
                                .tracks
                                .iter()
                                .map(|t| (t.id, lufs, peak, keys[&a].clone()))
                                .collect();
                            for r in &rows {
                                album_values.insert(r.0, (r.1, r.2, r.3.clone()));
                            }
                            result = result.and(lib.set_album_loudness(&rows));
                        }
                        Err(why) => report.albums_failed.push((album.display_name(), why)),
                    }
                }
            }
            if pending_tracks.len() >= BATCH && result.is_ok() {
                result = lib.set_loudness(&pending_tracks);
                pending_tracks.clear();
            }
        }
        // Store what was measured even when something failed later.
        let stored = lib.set_loudness(&pending_tracks);
        result.and(stored)
    });
    outcome?;
    report.interrupted = cancel.is_cancelled();
    let result_for = |mut t: Track| {
        let outcome = match outcomes.get(&t.id).cloned() {
            Some((o, values)) => {
                if let Some((l, p)) = values {
                    t.loudness = Some(l);
                    t.true_peak = Some(p);
                }
                o
            }
            None if queued.contains(&t.id) => Outcome::NotDone,
            None => Outcome::Skipped,
        };
        if let Some((l, p, k)) = album_values.get(&t.id) {
            t.album_loudness = Some(*l);
            t.album_peak = Some(*p);
            t.album_key = Some(k.clone());
        }
        TrackResult { track: t, outcome }
    };
    report.tracks = selected.into_iter().map(result_for).collect();
    report.album_only = jobs
        .into_iter()
        .filter(|j| !selected_ids.contains(&j.track.id))
        .map(|j| result_for(j.track))
        .collect();
    Ok(report)
}

/// The album's values from its tracks' measurements (None where a track
/// failed), or why there are none.
fn finish_album(
    album: &Album,
    done: &[Option<Loudness>],
) -> std::result::Result<(f64, f64), String> {
    let failed = done.iter().filter(|d| d.is_none()).count();
    if failed > 0 {
        return Err(format!(
            "{failed} of its {} track{} could not be measured",
            album.tracks.len(),
            if album.tracks.len() == 1 { "" } else { "s" }
        ));
    }
    let all: Vec<&Loudness> = done.iter().flatten().collect();
    meter::album(&all).map_err(|e| e.to_string())
}
