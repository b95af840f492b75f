//! The scan pipeline: walk roots (stat only), plan what changed against the
//! library, read new and changed files in parallel on rayon, and store the
//! results through the single writer in batched transactions.
//!
//! Invariants:
//! - Scanning never writes to the user's files.
//! - An unchanged file (same size and mtime) is never opened.
//! - A file that moved keeps its track id: a new path whose `file_hash` (or,
//!   failing that, `audio_hash`) equals that of a track whose file is gone
//!   takes over that track's row.
//! - Files are declared missing only when the walk completed: an interrupted
//!   scan, or a folder that could not be read, never marks files missing.
//! - Every unreadable file becomes that file's `error`; the scan goes on.
//! - Quarantine state belongs to the track, not the place: a quarantined
//!   file found where its row says (the quarantine folder under a scanned
//!   root) stays quarantined, changed or not, and is never added again as
//!   a new active track; one the walk does not enter (a hidden quarantine
//!   folder) is not declared missing while its file is there. A
//!   quarantined track whose new place is outside every root is not looked
//!   at (only rows under the scanned roots are).
//!   When a file moved, gone active tracks are matched before quarantined
//!   ones (an exact copy shares the keeper's hash; the keeper must not lose
//!   its file to its quarantined twin), a quarantined track already missing
//!   before this scan is not matched at all, and a quarantined track that
//!   moved stays quarantined (`mixtape undo` is the way back).
//! - Before walking, moves that a killed `dupes --move-to` or `organize`
//!   made on disk but not in the library are finished from the journal
//!   ([`crate::journal::recover`]), so the walk does not see them as a
//!   vanished track and a new one.
//!
//! Byte copies (a backup folder scanned with the original) are decoded once:
//! files that share a size and extension are read one after another by one
//! worker, by file name ([`work_units`]), and once a file is hashed, a copy
//! read before it lends its whole result, which is what reading it would
//! give. Results are held only while their unit is being read. A byte copy
//! of a track already in the library (a backup scanned after the original)
//! takes that track's stored result the same way ([`LibraryCopies`]), when
//! this scan fingerprints and the track was fingerprinted.

mod copies;
pub mod ignore;
mod images;
mod store;
pub mod walk;

use copies::*;
use store::*;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rusqlite::params;

use crate::error::{Error, Result};
use crate::library::image;
use crate::library::writer::{self, FileRead, WriteOp};
use crate::library::{bytes_to_path, now, path_to_bytes, Library};
use crate::media::{self, MediaInfo, ReadOptions};
use crate::progress::{Cancel, Progress, ProgressSink, Stage, Tally};

/// Validated settings for one scan.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Folders (or single files) to scan.
    pub roots: Vec<PathBuf>,
    /// Include hidden files and folders.
    pub hidden: bool,
    /// Follow symbolic links (loops are detected).
    pub follow: bool,
    /// Decode and fingerprint (fills in missing fingerprints of unchanged files too).
    pub fingerprint: bool,
    /// Remove missing tracks under the roots from the library.
    pub prune: bool,
    /// Paths skipped (the config's `scan.ignore`): not read, and a track
    /// already in the library under one is left as it is.
    pub ignore: ignore::IgnoreSet,
}

/// What a scan did. Every file the walk found is counted once:
/// `scanned = new + changed + unchanged + moved + skipped + unreadable`
/// (an interrupted scan leaves the files it did not reach uncounted).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScanSummary {
    /// Files found by the walk.
    pub scanned: u64,
    /// New tracks (readable, at least in part).
    pub new: u64,
    /// Known tracks whose file changed, read again.
    pub changed: u64,
    /// Known tracks whose file did not change (not opened, unless only to
    /// add the decode analysis: see `fingerprinted`).
    pub unchanged: u64,
    /// New paths recognised as a known track whose file moved there.
    pub moved: u64,
    /// Files that are not audio (a README, a cover image), by their content
    /// and name: not tracks, listed in `skipped_files` with the reason.
    pub skipped: u64,
    /// Files that look like audio but could not be read at all (recorded
    /// as tracks with their error, and listed in `errors`).
    pub unreadable: u64,
    /// `path: reason` for each skipped file.
    pub skipped_files: Vec<(PathBuf, String)>,
    /// Single-file album images (a file plus a CUE sheet) read in this
    /// scan, and the tracks found in them (the image files themselves are
    /// not tracks: `new`/`changed`/`moved` count them as files).
    pub images: u64,
    pub image_tracks: u64,
    /// Files that disappeared in this scan.
    pub missing: u64,
    /// Missing tracks removed by `--prune`.
    pub pruned: u64,
    /// Byte copies of a file read earlier in this scan or of a track in the
    /// library, given that result instead of being parsed and decoded again.
    pub copies_reused: u64,
    /// Unchanged files read again only to add a fingerprint.
    pub fingerprinted: u64,
    /// Journaled moves of a killed run whose library side was finished
    /// before the walk (see [`crate::journal::recover`]).
    pub recovered: u64,
    /// `path: reason` for every file or folder that could not be read.
    pub errors: Vec<(PathBuf, String)>,
    pub elapsed: Duration,
    pub interrupted: bool,
}

/// A known track under the scanned roots.
struct Known {
    id: i64,
    size: u64,
    mtime: f64,
    missing: bool,
    needs_fingerprint: bool,
    quarantined: bool,
    /// The mtime of the CUE sheet the file was cut by (None: not an image
    /// cut by a sheet beside it).
    cue_mtime: Option<f64>,
}

enum JobKind {
    New,
    Changed(i64),
    Refill(i64),
}

struct Job {
    found: walk::Found,
    kind: JobKind,
}

/// Scan `settings.roots` into `lib`.
pub fn scan(
    lib: &mut Library,
    settings: &ScanSettings,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<ScanSummary> {
    let started = Instant::now();
    let mut summary = ScanSummary {
        recovered: crate::journal::recover(lib)? as u64,
        ..ScanSummary::default()
    };

    // Roots: canonical, existing; a bad root is an error, the others go on.
    let mut roots = Vec::new();
    for r in &settings.roots {
        match std::fs::canonicalize(r) {
            Ok(c) => {
                if !roots.contains(&c) {
                    roots.push(c)
                }
            }
            Err(e) => summary.errors.push((r.clone(), e.to_string())),
        }
    }
    let root_ids = register_roots(lib, &roots)?;

    progress.report(Progress {
        stage: Stage::Walk,
        done: 0,
        total: 0,
        bytes: 0,
        total_bytes: 0,
    });
    let walked = walk::walk(&roots, settings.hidden, settings.follow, &settings.ignore);
    summary.errors.extend(walked.errors.iter().cloned());

    // Sheets first: an image is read again when its sheet changed.
    let sheets = images::find_sheets(&walked.files, &walked.sheets, &mut summary.errors);
    let sheet_mtime = |p: &Path| sheets.get(p).map(|s| s.sheet_mtime);

    // Plan against what the library knows.
    let known = load_known(lib, &roots)?;
    let mut seen: HashSet<&Path> = HashSet::with_capacity(walked.files.len());
    let mut jobs = Vec::new();
    for f in &walked.files {
        seen.insert(&f.path);
        match known.get(&f.path) {
            Some(k)
                if !k.missing
                    && k.size == f.size
                    && k.mtime == f.mtime
                    && k.cue_mtime == sheet_mtime(&f.path) =>
            {
                summary.unchanged += 1;
                if settings.fingerprint && k.needs_fingerprint {
                    jobs.push(Job {
                        found: f.clone(),
                        kind: JobKind::Refill(k.id),
                    });
                }
            }
            Some(k) => jobs.push(Job {
                found: f.clone(),
                kind: JobKind::Changed(k.id),
            }),
            None => jobs.push(Job {
                found: f.clone(),
                kind: JobKind::New,
            }),
        }
    }
    // Gone: known, not seen, not below a folder we could not read. A
    // quarantined file the walk passed over (a hidden quarantine folder)
    // is still there: not gone.
    let still_there = |p: &Path, k: &Known| k.quarantined && p.symlink_metadata().is_ok();
    let gone: Vec<i64> = known
        .iter()
        .filter(|(p, k)| {
            !k.missing
                && !seen.contains(p.as_path())
                && !walked.unreadable.iter().any(|u| p.starts_with(u))
                && !roots.iter().any(|r| settings.ignore.ignores(r, p))
                && !still_there(p, k)
        })
        .map(|(_, k)| k.id)
        .collect();
    let (gone_by_file, gone_by_audio) = move_candidates(lib, &gone)?;
    let reused = AtomicU64::new(0);

    // Read in parallel; write through one thread.
    let total = jobs.len() as u64;
    let total_bytes: u64 = jobs.iter().map(|j| j.found.size).sum();
    let in_library = LibraryCopies::load(lib, &jobs, settings.fingerprint)?;
    let units = work_units(jobs);
    let tally = Tally::start(progress, Stage::Read, total, total_bytes);
    let opts = ReadOptions::fingerprinting(settings.fingerprint);
    // An image's tracks are decoded, fingerprinted, analysed and hashed one
    // by one ([`images::read_image`]): the image itself only read and hashed.
    let image_opts = ReadOptions::fingerprinting(false);
    let (tx, rx) = crossbeam_channel::bounded::<WriteOp>(512);
    let mut state = WriterState {
        gone_by_file,
        gone_by_audio,
        claimed: HashSet::new(),
        summary,
        now: now(),
    };
    let write_result = std::thread::scope(|s| {
        let writer = s.spawn(|| writer::run_writer(lib, rx, &mut state, apply));
        units.par_iter().for_each_with(tx, |tx, unit| {
            // Results read in this unit so far, lent to its byte copies.
            let mut held: Vec<MediaInfo> = Vec::new();
            for job in unit {
                if cancel.is_cancelled() {
                    return;
                }
                let f = &job.found;
                let lent = std::cell::Cell::new(false);
                let info = crate::guard::catch(|| {
                    let opts = if sheets.contains_key(&f.path) {
                        &image_opts
                    } else {
                        &opts
                    };
                    media::read_media_with(&f.path, opts, &|h| {
                        let m = held
                            .iter()
                            .find(|m| &m.file_hash == h)
                            .cloned()
                            .or_else(|| in_library.lookup(&copy_key(f), h));
                        lent.set(m.is_some());
                        m
                    })
                })
                .unwrap_or_else(|panic| {
                    Err(crate::error::Error::media(
                        &f.path,
                        crate::error::MediaErrorKind::Panicked,
                        panic,
                    ))
                })
                .map_err(|e| e.as_problem());
                if lent.get() {
                    reused.fetch_add(1, Ordering::Relaxed);
                } else if let (Ok(m), true) = (&info, unit.len() > 1) {
                    held.push(m.clone());
                }
                // A file with no audio extension that is not audio is simply
                // not ours: counted and listed as skipped, not a track.
                let skip = matches!(&info, Err(p) if !f.audio_ext && p.kind.is_not_audio())
                    && matches!(job.kind, JobKind::New);
                if let (true, Err(problem)) = (skip, &info) {
                    let op = WriteOp::Skipped {
                        path: f.path.clone(),
                        problem: problem.clone(),
                    };
                    if tx.send(op).is_err() {
                        return;
                    }
                } else {
                    let (id, refill) = match job.kind {
                        JobKind::New => (None, false),
                        JobKind::Changed(id) => (Some(id), false),
                        JobKind::Refill(id) => (Some(id), true),
                    };
                    let fp_keys = info
                        .as_ref()
                        .ok()
                        .and_then(|m| m.fingerprint.as_deref())
                        .map(crate::dupes::fingerprint::stored_keys);
                    let file = FileRead {
                        path: f.path.clone(),
                        root_id: root_ids[f.root],
                        size: f.size,
                        mtime: f.mtime,
                        info,
                        fp_keys,
                    };
                    let image = file.info.as_ref().ok().and_then(|m| {
                        images::read_any(&sheets, &f.path, m, f.size, settings.fingerprint)
                            .map(Box::new)
                    });
                    let op = WriteOp::Read {
                        id,
                        file,
                        refill,
                        image,
                    };
                    if tx.send(op).is_err() {
                        return; // the writer stopped (database error): it reports why
                    }
                }
                tally.add(f.size);
            }
        });
        writer
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("database writer panicked".into())))
    });
    write_result?;
    let mut summary = state.summary;
    summary.copies_reused = reused.into_inner();
    summary.scanned = walked.files.len() as u64;
    summary.interrupted = cancel.is_cancelled();

    if !summary.interrupted {
        let still_gone: Vec<i64> = gone
            .into_iter()
            .filter(|id| !state.claimed.contains(id))
            .collect();
        summary.missing = mark_missing(lib, &still_gone)?;
        if settings.prune {
            summary.pruned = prune(lib, &roots)?;
        }
        let t = now();
        for id in &root_ids {
            lib.conn()
                .execute(
                    "UPDATE roots SET last_scan = ?1 WHERE id = ?2",
                    params![t, id],
                )
                .map_err(|e| lib.err(e))?;
        }
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_bounds_are_a_prefix_range() {
        let (e, lo, hi) = below(Path::new("/music/x"));
        assert_eq!(e, b"/music/x");
        assert_eq!(lo, b"/music/x/");
        assert_eq!(hi, b"/music/x0");
        let inside = b"/music/x/a.mp3".to_vec();
        let sibling = b"/music/xy/a.mp3".to_vec();
        assert!(inside >= lo && inside < hi);
        assert!(!(sibling >= lo && sibling < hi));
    }

    fn job(path: &str, size: u64) -> Job {
        Job {
            found: walk::Found {
                path: PathBuf::from(path),
                size,
                mtime: 0.0,
                root: 0,
                audio_ext: true,
            },
            kind: JobKind::New,
        }
    }

    fn paths(units: &[Vec<Job>]) -> Vec<Vec<String>> {
        units
            .iter()
            .map(|u| {
                u.iter()
                    .map(|j| j.found.path.display().to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn copies_share_a_unit_and_big_groups_are_cut_between_names() {
        let jobs = vec![
            job("/m/a/1.flac", 10),
            job("/m/a/unique.flac", 11),
            job("/m/a/2.flac", 10),
            job("/b/a/1.flac", 10),
            job("/b/a/2.flac", 10),
            job("/b/a/1.mp3", 10),
        ];
        assert_eq!(
            paths(&work_units(jobs)),
            [
                vec!["/b/a/1.flac", "/m/a/1.flac", "/b/a/2.flac", "/m/a/2.flac"],
                vec!["/m/a/unique.flac"],
                vec!["/b/a/1.mp3"],
            ]
        );
        // 40 same-size pairs: cut after MAX_UNIT files, never inside a pair.
        let jobs: Vec<Job> = (0..40)
            .flat_map(|i| {
                [
                    job(&format!("/m/{i:02}.wav"), 5),
                    job(&format!("/b/{i:02}.wav"), 5),
                ]
            })
            .collect();
        let units = work_units(jobs);
        assert_eq!(units.iter().map(Vec::len).collect::<Vec<_>>(), [32, 32, 16]);
        for u in &units {
            assert_eq!(u[0].found.path.file_name(), u[1].found.path.file_name());
        }
    }
}
