//! The integrity check (`mixtape check`): decode every selected track in
//! full and record what is damaged, as beets' badfiles plugin does with
//! external tools, but with our own decoders.
//!
//! Workers decode in parallel on rayon (checking the cancel flag per
//! track); results go over a bounded channel to the calling thread, the one
//! database writer, which records `tracks.check_error` (NULL when clean)
//! and `tracks.checked` in one transaction per batch. What counts as damage
//! is whatever [`media::verify`] reports (a full decode that keeps no samples) in `errors` (truncated streams, bad
//! frames, CRC and FLAC MD5 mismatches; for MP3s the one frame-chain walk,
//! [`media::mpeg::chain`]), a file that cannot be decoded at
//! all, a decoder panic, or a file that decodes to no audio. A file missing
//! from disk is reported but not recorded as damaged (`scan` tracks that).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use rusqlite::params;

use crate::error::{Error, MediaErrorKind, Problem, Result};
use crate::library::{now, Library, Track};
use crate::media;
use crate::progress::{Cancel, ProgressSink, Stage, Tally};

/// Rows written per transaction.
const BATCH: usize = 32;

/// The verdict on one track.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    /// The track's id.
    pub track_id: i64,
    /// Its file.
    pub path: PathBuf,
    /// What is wrong (empty when clean), each with its kind.
    pub errors: Vec<Problem>,
    /// Why the file could not be checked (no decoder for its format): not
    /// damage, and not a clean bill either.
    pub unchecked: Option<Problem>,
    /// The file was not there (not recorded as damage).
    pub missing: bool,
}

/// The three outcomes of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    /// Decoded in full, nothing wrong.
    Ok,
    /// Something is wrong with the audio.
    Damaged,
    /// Not decoded: no decoder for the format (or the file is missing).
    NotChecked,
}

impl CheckResult {
    /// Clean and present.
    pub fn ok(&self) -> bool {
        self.state() == CheckState::Ok
    }

    /// Which of the three outcomes this is.
    pub fn state(&self) -> CheckState {
        if !self.errors.is_empty() {
            CheckState::Damaged
        } else if self.missing || self.unchecked.is_some() {
            CheckState::NotChecked
        } else {
            CheckState::Ok
        }
    }

    /// What is wrong, as one line (`; ` between problems).
    pub fn message(&self) -> String {
        let all: Vec<&str> = self
            .errors
            .iter()
            .chain(self.unchecked.as_ref())
            .map(|p| p.message.as_str())
            .collect();
        all.join("; ")
    }
}

/// Totals of a check run.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckSummary {
    /// Tracks looked at (present on disk): ok + damaged + not checked.
    pub checked: usize,
    /// Tracks with damage.
    pub damaged: usize,
    /// Tracks that could not be decoded for want of a decoder.
    pub not_checked: usize,
    /// Tracks whose file is missing.
    pub missing: usize,
    /// Stopped by Ctrl-C (the results so far are recorded).
    pub interrupted: bool,
}

/// Decode one file in full and say what is wrong with it (MPEG audio files
/// get their frame chain walked once, inside [`media::verify`]). `expected_secs`
/// is the length the file's headers announce (as scanned): decoding much
/// less than that means the stream is cut short, even when the decoder
/// itself did not complain.
pub fn check_file(track_id: i64, path: &Path, expected_secs: Option<f64>) -> CheckResult {
    let mut r = CheckResult {
        track_id,
        path: path.to_path_buf(),
        errors: Vec::new(),
        unchecked: None,
        missing: false,
    };
    match crate::guard::catch(|| media::verify(path)) {
        Ok(Ok(v)) => {
            r.errors = v.errors;
            if v.seconds <= 0.0 && r.errors.is_empty() {
                r.errors.push(Problem::new(
                    MediaErrorKind::NoAudio,
                    "no audio could be decoded",
                ));
            }
            let said_truncated = r.errors.iter().any(|e| e.kind == MediaErrorKind::Truncated);
            if let Some(want) = expected_secs.filter(|w| *w > 0.0) {
                if !said_truncated && v.seconds > 0.0 && v.seconds < want * 0.98 - 0.5 {
                    r.errors.push(Problem::new(
                        MediaErrorKind::Truncated,
                        format!(
                            "truncated: decoded {:.1} s of the {want:.1} s the headers announce",
                            v.seconds
                        ),
                    ));
                }
            }
        }
        Ok(Err(Error::Io { source, .. })) if source.kind() == std::io::ErrorKind::NotFound => {
            r.missing = true;
        }
        Ok(Err(Error::Media {
            kind: MediaErrorKind::Unsupported,
            reason,
            ..
        })) => {
            r.unchecked = Some(Problem::new(
                MediaErrorKind::Unsupported,
                format!("not checked ({})", not_checked_reason(&reason)),
            ))
        }
        Ok(Err(Error::Io { source, .. })) => r.errors.push(Problem::new(
            MediaErrorKind::Io,
            format!("cannot read: {source}"),
        )),
        Ok(Err(e)) => r.errors.push(e.as_problem()),
        Err(panicked) => r.errors.push(Problem::new(
            MediaErrorKind::Panicked,
            format!("the decoder crashed ({panicked})"),
        )),
    }
    if !r.missing && r.errors.is_empty() && !path.exists() {
        r.missing = true;
    }
    r
}

/// "no decoder for APE" out of "unsupported format (no decoder for APE)".
fn not_checked_reason(reason: &str) -> &str {
    reason
        .strip_prefix("unsupported format (")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(reason)
}

/// Check `tracks` in parallel, recording results in the library and
/// calling `on_result` for each (on this thread, in completion order).
pub fn check_tracks(
    lib: &Library,
    tracks: &[Track],
    cancel: &Cancel,
    progress: &dyn ProgressSink,
    on_result: &mut dyn FnMut(&CheckResult) -> Result<()>,
) -> Result<CheckSummary> {
    let total = tracks.len() as u64;
    let total_bytes: u64 = tracks.iter().map(|t| t.size).sum();
    let mut summary = CheckSummary::default();
    let (tx, rx) = crossbeam_channel::bounded::<(CheckResult, u64)>(BATCH * 4);
    // Set when the writer fails (database error, closed pipe): workers stop.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<()> {
        let stop_ref = &stop;
        let units = units(tracks);
        scope.spawn(move || {
            units.par_iter().for_each_with(tx, |tx, unit| {
                if cancel.is_cancelled() || stop_ref.load(Ordering::Relaxed) {
                    return;
                }
                let first = unit[0];
                let r = check_file(first.id, &first.path, expected_seconds(unit));
                // Every track of one image file shares the image's verdict.
                for t in unit {
                    let mut r = r.clone();
                    r.track_id = t.id;
                    // The receiver only goes away on a fatal error.
                    let _ = tx.send((r, t.size));
                }
            });
        });
        let tally = Tally::start(progress, Stage::Check, total, total_bytes);
        let mut pending: Vec<CheckResult> = Vec::with_capacity(BATCH);
        let mut outcome = Ok(());
        for (r, size) in rx.iter() {
            if outcome.is_err() {
                continue; // drain so the workers finish
            }
            tally.add(size);
            if r.missing {
                summary.missing += 1;
            } else {
                summary.checked += 1;
                match r.state() {
                    CheckState::Damaged => summary.damaged += 1,
                    CheckState::NotChecked => summary.not_checked += 1,
                    CheckState::Ok => {}
                }
            }
            outcome = on_result(&r);
            pending.push(r);
            if pending.len() >= BATCH && outcome.is_ok() {
                outcome = record(lib, &pending);
                pending.clear();
            }
            if outcome.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        // Record what was already reported even when printing failed.
        let recorded = record(lib, &pending);
        outcome?;
        recorded
    })?;
    summary.interrupted = cancel.is_cancelled();
    Ok(summary)
}

/// The files to decode: one per track, except that the tracks of one CUE
/// image are one unit (the image is decoded once for all of them).
fn units(tracks: &[Track]) -> Vec<Vec<&Track>> {
    let mut out: Vec<Vec<&Track>> = Vec::with_capacity(tracks.len());
    let mut image_at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for t in tracks {
        match t.cue.map(|c| c.image_id) {
            Some(img) => match image_at.get(&img) {
                Some(&i) => out[i].push(t),
                None => {
                    image_at.insert(img, out.len());
                    out.push(vec![t]);
                }
            },
            None => out.push(vec![t]),
        }
    }
    out
}

/// The length a unit's file should decode to: a track's own length, or for
/// an image at least up to the end of its last track.
fn expected_seconds(unit: &[&Track]) -> Option<f64> {
    match unit[0].cue {
        None => unit[0].props.length,
        Some(_) => {
            let rate = f64::from(unit[0].props.samplerate.unwrap_or(0));
            let end = unit.iter().filter_map(|t| t.cue).map(|c| c.end).max()?;
            (rate > 0.0).then(|| end as f64 / rate)
        }
    }
}

/// Write one batch of results in one transaction.
fn record(lib: &Library, results: &[CheckResult]) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let tx = lib.conn().unchecked_transaction().map_err(|e| lib.err(e))?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE tracks SET check_error = ?1, check_kind = ?2, checked = ?3 WHERE id = ?4",
            )
            .map_err(|e| lib.err(e))?;
        let when = now();
        for r in results.iter().filter(|r| !r.missing) {
            let (kind, err) = match r.state() {
                CheckState::Ok => (None, None),
                _ => {
                    let kinds = r.errors.iter().chain(r.unchecked.as_ref()).map(|p| p.kind);
                    (kinds.min().map(|k| k.as_str()), Some(r.message()))
                }
            };
            stmt.execute(params![err, kind, when, r.track_id])
                .map_err(|e| lib.err(e))?;
        }
    }
    tx.commit().map_err(|e| lib.err(e))
}
