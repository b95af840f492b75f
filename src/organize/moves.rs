//! Carrying out an organise plan, one file at a time, through the undo
//! journal.
//!
//! Order per file: check the source still is what the library scanned
//! ([`crate::stale`]; a changed or vanished source is skipped with the
//! reason), journal and create each missing destination folder (`mkdir`
//! entries, so undo removes them), journal then move or copy the file
//! ([`Operation::transfer`]: never overwrites; a cross-filesystem move
//! copies, verifies BLAKE3 and only then removes the source), update the
//! library, and for `--move` journal and remove the source folders that this
//! move left empty (`rmdir` entries, so undo recreates them). Folders that
//! were empty before, the scanned roots, `--into` and its parents are never
//! removed.
//!
//! With `--move` the library follows the file (`set_track_path`, so track
//! identity and playlists are kept). With `--copy` the library keeps
//! pointing at the original: the copy is an export of the collection, and a
//! later `scan` of the destination adds the copies as tracks of their own.
//!
//! Ctrl-C is checked between files; a kill at any point leaves at most one
//! `planned` journal entry whose outcome `undo` reads from the disk.
//!
//! A full destination (ENOSPC, EDQUOT, or EFBIG from a file-size limit)
//! stops the run at the first file it has no room for
//! ([`RunSummary::no_space`]): every further file would fail the same way.
//! Nothing partial is left under a final name, what was done is journalled
//! (undo rolls it back), and a rerun after space is freed does the rest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::plan::{Plan, PlanItem, Verdict};
use super::sidecars::{self, SidecarVerdict};
use super::Settings;
use crate::error::{Error, NoSpace, Result};
use crate::fsops::{self, Mode};
use crate::journal::{Action, Operation};
use crate::library::Library;
use crate::progress::{Cancel, Progress, ProgressSink, Stage};
use crate::stale::{check_unchanged, Stale};

/// What happened to one planned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Done {
    /// The file was moved.
    Moved,
    /// The file was copied.
    Copied,
    /// The same audio already was at the destination; source untouched.
    AlreadyThere,
    /// The file already was at its destination.
    InPlace,
    /// Not attempted (source changed, vanished, ...).
    Skipped,
    /// Attempted and failed; the source is untouched.
    Failed,
    /// Not reached because of Ctrl-C (dry runs never report this).
    NotReached,
}

/// The outcome of one item, for printing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemResult {
    /// The track's id (none for a sidecar).
    pub track_id: Option<i64>,
    /// A sidecar of an album folder, not a track.
    pub sidecar: bool,
    /// Where the file was.
    pub src: PathBuf,
    /// Where it went (or the matching file already there).
    pub dst: PathBuf,
    /// What happened.
    pub result: Done,
    /// Why, for skipped and failed items.
    pub reason: Option<String>,
    /// What else was done (a `.cue`'s rewritten `FILE` lines).
    pub note: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// The journal operation (for `undo ID`), when anything was attempted.
    pub op_id: Option<i64>,
    /// Items moved or copied.
    pub transferred: usize,
    /// Items already there or in place.
    pub unchanged: usize,
    /// Items skipped or failed.
    pub failed: usize,
    /// Sidecars moved, copied or rewritten.
    pub sidecars: usize,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Stopped at the first file the destination had no room for (that
    /// file is not reported as an item; the rest are not reached).
    pub no_space: Option<NoSpace>,
}

/// Carry out `plan`. `on_item` is called once per item as it finishes (in
/// plan order). An `Err` is a fatal problem (the library, or a destination
/// that cannot be written at all); per-file problems are items.
pub fn execute(
    lib: &Library,
    whole: &Plan,
    s: &Settings,
    cancel: &Cancel,
    progress: &dyn ProgressSink,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<RunSummary> {
    let plan = &whole.items;
    let mut summary = RunSummary::default();
    let total = plan
        .iter()
        .filter(|p| p.verdict == Verdict::Transfer)
        .count() as u64;
    let total_bytes = plan
        .iter()
        .filter(|p| p.verdict == Verdict::Transfer)
        .map(|p| p.track.size)
        .sum();
    let mut op = None;
    if total > 0 {
        let (kind, verb) = match s.mode {
            Mode::Move => ("organize-move", "move"),
            Mode::Copy => ("organize-copy", "copy"),
        };
        let mut o = Operation::begin(
            lib,
            kind,
            &format!("organize --{verb} {total} files into {}", s.into.display()),
        )?;
        summary.op_id = Some(o.id());
        if let Err(e) = prepare_into(&mut o, &s.into) {
            o.finish()?;
            if e.is_no_space() && !matches!(e, Error::Db { .. }) {
                summary.no_space = Some(NoSpace {
                    path: s.into.clone(),
                    done: 0,
                    total: total as usize,
                });
                return Ok(summary);
            }
            return Err(e);
        }
        op = Some(o);
    }
    let mut done = 0u64;
    let mut bytes = 0u64;
    // Tracks moved out of each folder (its sidecars follow when all did).
    let mut moved_from: HashMap<PathBuf, usize> = HashMap::new();
    for item in plan {
        let mut result = ItemResult {
            track_id: Some(item.track.id),
            sidecar: false,
            src: item.track.path.clone(),
            dst: item.dst.clone(),
            result: Done::Skipped,
            reason: None,
            note: None,
        };
        match &item.verdict {
            Verdict::AlreadyThere => {
                result.result = Done::AlreadyThere;
                summary.unchanged += 1;
            }
            Verdict::InPlace => {
                result.result = Done::InPlace;
                summary.unchanged += 1;
            }
            Verdict::Skip(why) => {
                result.reason = Some(why.clone());
                summary.failed += 1;
            }
            Verdict::Transfer => {
                let Some(op) = op.as_mut() else { continue };
                if cancel.is_cancelled() {
                    summary.interrupted = true;
                    result.result = Done::NotReached;
                } else {
                    match transfer_one(lib, op, item, s) {
                        Ok(Some(why)) => {
                            result.reason = Some(why);
                            summary.failed += 1;
                        }
                        Ok(None) => {
                            result.result = match s.mode {
                                Mode::Move => Done::Moved,
                                Mode::Copy => Done::Copied,
                            };
                            summary.transferred += 1;
                            if let Some(f) = item.track.path.parent() {
                                *moved_from.entry(f.to_path_buf()).or_default() += 1;
                            }
                        }
                        Err(e @ Error::Db { .. }) => return Err(e),
                        Err(e) if e.is_no_space() => {
                            summary.no_space = Some(NoSpace {
                                path: e.path().unwrap_or(item.dst.as_path()).to_path_buf(),
                                done: summary.transferred,
                                total: total as usize,
                            });
                            break;
                        }
                        Err(e) => {
                            result.result = Done::Failed;
                            result.reason = Some(e.to_string());
                            summary.failed += 1;
                        }
                    }
                    done += 1;
                    bytes += item.track.size;
                    progress.report(Progress {
                        stage: Stage::Transfer,
                        done,
                        total,
                        bytes,
                        total_bytes,
                    });
                }
            }
        }
        on_item(&result);
    }
    if let Some(op) = op.as_mut() {
        if !summary.interrupted && summary.no_space.is_none() {
            follow_sidecars(lib, op, whole, &moved_from, s, &mut summary, on_item)?;
        }
    }
    if let Some(op) = op {
        // An interrupted operation stays unfinished, so `undo --list` shows it.
        if !summary.interrupted {
            op.finish()?;
        }
    }
    Ok(summary)
}

/// Move (or copy) the sidecars of every folder whose planned tracks all
/// moved, then remove the folders that left empty.
fn follow_sidecars(
    lib: &Library,
    op: &mut Operation<'_>,
    whole: &Plan,
    moved_from: &HashMap<PathBuf, usize>,
    s: &Settings,
    summary: &mut RunSummary,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<()> {
    let mut planned: HashMap<&Path, usize> = HashMap::new();
    for i in whole
        .items
        .iter()
        .filter(|i| i.verdict == Verdict::Transfer)
    {
        if let Some(f) = i.track.path.parent() {
            *planned.entry(f).or_default() += 1;
        }
    }
    let mut emptied: Vec<&Path> = Vec::new();
    for item in whole
        .sidecars
        .items
        .iter()
        .filter(|i| sidecars::acts(i, s.mode))
    {
        let folder = item.folder.as_path();
        let all_moved = moved_from.get(folder) == planned.get(folder);
        let mut result = ItemResult {
            track_id: None,
            sidecar: true,
            src: item.src.clone(),
            dst: item.dst.clone(),
            result: Done::Skipped,
            reason: None,
            note: None,
        };
        if !all_moved {
            result.reason =
                Some("not every track of its folder was organised; left in place".into());
        } else {
            match sidecars::transfer(op, item, s.mode) {
                Ok(lines) => {
                    result.result = match (item.verdict == SidecarVerdict::Transfer, s.mode) {
                        (false, _) => Done::InPlace,
                        (true, Mode::Move) => Done::Moved,
                        (true, Mode::Copy) => Done::Copied,
                    };
                    if lines > 0 {
                        result.note = Some(format!("{lines} FILE lines rewritten"));
                    }
                    summary.sidecars += 1;
                    if s.mode == Mode::Move && !emptied.contains(&folder) {
                        emptied.push(folder);
                    }
                }
                Err(e @ Error::Db { .. }) => return Err(e),
                Err(e) => {
                    result.result = Done::Failed;
                    result.reason = Some(e.to_string());
                    summary.failed += 1;
                }
            }
        }
        on_item(&result);
    }
    for folder in emptied {
        prune_emptied(lib, op, folder, &s.into)?;
    }
    Ok(())
}

/// Create `into` (journalled) and make sure files can be written there, so
/// that a read-only destination fails once, early, with a clear message.
fn prepare_into(op: &mut Operation<'_>, into: &Path) -> Result<()> {
    op.make_dirs(into, None)?;
    let probe = fsops::temp_name(&into.join("write-probe"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::io(
            into,
            std::io::Error::new(e.kind(), format!("destination is not writable: {e}")),
        )),
    }
}

/// Move or copy one file. `Ok(Some(reason))` = skipped on purpose.
fn transfer_one(
    lib: &Library,
    op: &mut Operation<'_>,
    item: &PlanItem,
    s: &Settings,
) -> Result<Option<String>> {
    let t = &item.track;
    match check_unchanged(t) {
        Ok(()) => {}
        Err(Stale::Unreadable(e)) => return Err(e),
        Err(why) => return Ok(Some(why.to_string())),
    }
    if let Some(parent) = item.dst.parent() {
        op.make_dirs(parent, Some(&s.into))?;
    }
    op.transfer(&t.path, &item.dst, s.mode, Some(t.id), t.file_hash)?;
    if s.mode == Mode::Move {
        lib.set_track_path(t.id, &item.dst)?;
        if let Some(parent) = t.path.parent() {
            prune_emptied(lib, op, parent, &s.into)?;
        }
    }
    Ok(None)
}

/// Remove `dir` and its parents while this move left them empty, stopping
/// at a scanned root, at `into` or one of its parents. Each removal is
/// journalled as an `rmdir` entry.
fn prune_emptied(lib: &Library, op: &mut Operation<'_>, dir: &Path, into: &Path) -> Result<()> {
    let root = lib.root_of(dir)?;
    let mut d = dir.to_path_buf();
    loop {
        if into.starts_with(&d) || Some(&d) == root.as_ref() || d.parent().is_none() {
            return Ok(());
        }
        let empty = std::fs::read_dir(&d)
            .map(|mut r| r.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Ok(());
        }
        let seq = op.plan(Action::Rmdir, &d, &d, None, None)?;
        match std::fs::remove_dir(&d) {
            Ok(()) => op.mark(seq, true, None)?,
            Err(e) => {
                // Something appeared meanwhile: leave it.
                op.mark(seq, false, Some(&e.to_string()))?;
                return Ok(());
            }
        }
        match d.parent() {
            Some(p) => d = p.to_path_buf(),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal;
    use crate::library::{path_to_bytes, unix_seconds};
    use crate::organize::plan::plan;
    use crate::progress::NoProgress;
    use crate::Track;

    /// A library with one scanned root and tracks inserted by hand (as a
    /// scan would), files written with the given bytes.
    /// (relative path, bytes, tags)
    type File<'a> = (&'a str, &'a [u8], &'a [(&'a str, &'a str)]);

    fn setup(files: &[File<'_>]) -> (tempfile::TempDir, Library, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap().join("music");
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        lib.conn()
            .execute(
                "INSERT INTO roots(path, added) VALUES (?1, 0)",
                [path_to_bytes(&root)],
            )
            .unwrap();
        for (rel, data, tags) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, data).unwrap();
            let m = std::fs::metadata(&p).unwrap();
            lib.conn()
                .execute(
                    "INSERT INTO tracks(path, root_id, size, mtime, added, scanned, file_hash) VALUES (?1, 1, ?2, ?3, 0, 0, ?4)",
                    rusqlite::params![
                        path_to_bytes(&p),
                        m.len() as i64,
                        unix_seconds(m.modified().unwrap()),
                        fsops::hash_file(&p).unwrap().to_vec()
                    ],
                )
                .unwrap();
            let id = lib.conn().last_insert_rowid();
            for (k, v) in *tags {
                lib.conn()
                    .execute(
                        &format!("UPDATE tracks SET {k} = ?1 WHERE id = ?2"),
                        rusqlite::params![v, id],
                    )
                    .unwrap();
            }
        }
        (d, lib, root)
    }

    fn listing(dir: &Path) -> Vec<(String, Option<[u8; 32]>)> {
        let mut v: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let h = e
                    .file_type()
                    .is_file()
                    .then(|| fsops::hash_file(e.path()).unwrap());
                (rel, h)
            })
            .collect();
        v.sort();
        v
    }

    fn all(lib: &Library) -> Vec<Track> {
        let by_id = crate::query::Query::parse_str("id+").unwrap();
        lib.select(&by_id, crate::library::track::Columns::Full)
            .unwrap()
    }

    #[test]
    fn move_updates_library_prunes_emptied_folders_and_undo_restores_everything() {
        let tags_a: &[(&str, &str)] = &[
            ("artist", "A"),
            ("album", "X"),
            ("title", "One"),
            ("track", "1"),
        ];
        let tags_b: &[(&str, &str)] = &[
            ("artist", "A"),
            ("album", "X"),
            ("title", "Two"),
            ("track", "2"),
        ];
        let (d, lib, root) = setup(&[
            ("old/deep/a.flac", b"aaaa", tags_a),
            ("old/deep/b.flac", b"bbbb", tags_b),
            ("keep/c.mp3", b"cccc", &[("title", "Three")]),
        ]);
        std::fs::create_dir_all(root.join("was-empty")).unwrap();
        std::fs::write(root.join("keep/notes.txt"), b"x").unwrap();
        let before = listing(&root);
        // The destination lies inside the scanned root.
        let s = Settings::new(&root.join("Library"), Mode::Move).unwrap();
        let p = plan(&lib, all(&lib), &s).unwrap();
        let mut seen = Vec::new();
        let sum = execute(&lib, &p, &s, &Cancel::new(), &NoProgress, &mut |r| {
            seen.push(r.clone())
        })
        .unwrap();
        assert_eq!((sum.transferred, sum.failed), (3, 0), "{seen:?}");
        assert!(root.join("Library/A/X/01 One.flac").is_file());
        assert!(root
            .join("Library/Non-Album/Unknown Artist/Three.mp3")
            .is_file());
        assert!(!root.join("old").exists(), "emptied folders are removed");
        assert!(
            root.join("was-empty").is_dir(),
            "folders mixtape did not empty stay"
        );
        assert!(root.join("keep/notes.txt").is_file());
        let t = lib.track(1).unwrap().unwrap();
        assert_eq!(t.path, root.join("Library/A/X/01 One.flac"));
        // A second run finds everything in place.
        let p = plan(&lib, all(&lib), &s).unwrap();
        assert!(
            p.items.iter().all(|i| i.verdict == Verdict::InPlace),
            "{p:?}"
        );
        // Undo restores the tree byte for byte, and the library.
        let report = journal::undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 0, "{report:?}");
        assert_eq!(listing(&root), before);
        assert_eq!(
            lib.track(1).unwrap().unwrap().path,
            root.join("old/deep/a.flac")
        );
        drop(d);
    }

    #[test]
    fn changed_and_vanished_sources_are_skipped_and_copy_keeps_library() {
        let (_d, lib, root) = setup(&[
            ("a.flac", b"aaaa", &[("title", "A")]),
            ("b.flac", b"bbbb", &[("title", "B")]),
            ("c.flac", b"cccc", &[("title", "C")]),
        ]);
        let s = Settings::new(&root.join("../out"), Mode::Copy).unwrap();
        let p = plan(&lib, all(&lib), &s).unwrap();
        std::fs::write(root.join("a.flac"), b"changed!").unwrap();
        std::fs::remove_file(root.join("b.flac")).unwrap();
        let mut seen = Vec::new();
        let sum = execute(&lib, &p, &s, &Cancel::new(), &NoProgress, &mut |r| {
            seen.push(r.clone())
        })
        .unwrap();
        assert_eq!((sum.transferred, sum.failed), (1, 2), "{seen:?}");
        assert!(seen[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("changed since the last scan"));
        assert!(seen[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("no longer there"));
        assert!(s.into.join("Non-Album/Unknown Artist/C.flac").is_file());
        assert!(root.join("c.flac").is_file());
        assert_eq!(lib.track(3).unwrap().unwrap().path, root.join("c.flac"));
    }

    #[test]
    fn cancel_stops_between_files() {
        let (_d, lib, root) = setup(&[
            ("a.flac", b"aaaa", &[("title", "A")]),
            ("b.flac", b"bbbb", &[("title", "B")]),
        ]);
        let s = Settings::new(&root.join("out"), Mode::Move).unwrap();
        let p = plan(&lib, all(&lib), &s).unwrap();
        let cancel = Cancel::new();
        let c2 = cancel.clone();
        let sum = execute(&lib, &p, &s, &cancel, &NoProgress, &mut |_| c2.cancel()).unwrap();
        assert!(sum.interrupted);
        assert_eq!(sum.transferred, 1);
        assert!(root.join("b.flac").is_file());
    }

    /// The destination cannot be created: a file stands where its parent
    /// folder should be. This fails for root too (unlike a read-only
    /// folder, which root may write), so the test asserts in CI.
    #[test]
    fn an_uncreatable_destination_fails_early() {
        let (_d, lib, root) = setup(&[("a.flac", b"aaaa", &[("title", "A")])]);
        let blocker = root.join("ro");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let s = Settings::new(&blocker.join("lib"), Mode::Move).unwrap();
        let p = plan(&lib, all(&lib), &s).unwrap();
        let err = execute(&lib, &p, &s, &Cancel::new(), &NoProgress, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("ro/lib"), "{err}");
        assert!(root.join("a.flac").is_file());
        assert_eq!(lib.track(1).unwrap().unwrap().path, root.join("a.flac"));
    }
}
