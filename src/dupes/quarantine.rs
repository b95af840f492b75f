//! Quarantine: move every group member except the keeper into a folder,
//! under its path relative to its scan root, through the undo journal.
//!
//! Invariants (the user's music is never lost):
//! - nothing is deleted: files are moved (across filesystems: copied, the
//!   copy's hash verified, then the source removed; see [`crate::fsops`]);
//! - each folder created and each move is recorded in the journal *before*
//!   it is made, so `mixtape undo` can restore even an interrupted run;
//! - a name taken in the quarantine folder is never overwritten: the file
//!   gets "name (2).ext";
//! - a file that changed since the last scan ([`crate::stale`]: size, or
//!   modification time then hash, differ from the library), or whose keeper
//!   is gone, is skipped with the reason;
//! - a moved track leaves the active library: in one transaction with the
//!   journal's `done` ([`Operation::settle`]) its row takes the new path and
//!   `quarantined = 1` (the id is kept), and the static playlist entries
//!   that pointed at it point at the group's keeper. `ls`, `dupes`, `stats`
//!   and exports leave it out; `ls quarantined:true` lists it; `mixtape
//!   undo` puts the file, the row and the entries back;
//! - the file moves before the library follows: a run killed in between is
//!   finished by [`journal::recover`](crate::journal::recover) (which `scan`
//!   and `dupes` run first) or put back by undo;
//! - a full quarantine folder (ENOSPC, EDQUOT, EFBIG) stops the run at the
//!   first file it has no room for ([`QuarantineReport::no_space`]); what
//!   was moved before stays journaled and undoable, and a rerun after space
//!   is freed moves the rest;
//! - a place already held by a library row (a quarantined file deleted by
//!   hand, say) is not handed out again, even when no file is there.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::DupeGroup;
use crate::error::{Error, NoSpace, Result};
use crate::fsops::Mode;
use crate::journal::Operation;
use crate::library::Library;
use crate::playlist::store;
use crate::progress::{Cancel, Progress, ProgressSink, Stage};
use crate::stale::check_unchanged;

/// Where to move duplicates, and whether to only show what would happen.
#[derive(Debug, Clone)]
pub struct QuarantineSettings {
    /// The quarantine folder (created when needed).
    pub dir: PathBuf,
    /// Plan only: nothing is moved, nothing is journaled, no row or
    /// playlist entry changes.
    pub dry_run: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveResult {
    /// Moved into quarantine.
    Moved,
    /// Would be moved (dry run).
    WouldMove,
    /// Left in place on purpose (changed since the scan, keeper gone, ...).
    Skipped,
    /// The move was attempted and failed; the file is where it was.
    Failed,
}

/// One file's line in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveItem {
    /// Track id.
    pub track_id: i64,
    /// Duplicate group number.
    pub group: usize,
    /// Where the file was.
    pub src: PathBuf,
    /// Where it went (or would go).
    pub dst: Option<PathBuf>,
    /// What happened.
    pub result: MoveResult,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// The group's keeper, which takes over the file's playlist entries.
    pub keeper_id: i64,
    /// Static playlist entries pointed at the keeper (or, in a dry run,
    /// that would be).
    pub playlist_entries: usize,
}

/// The outcome of a quarantine run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct QuarantineReport {
    /// The journal operation (what `mixtape undo ID` takes); none for a dry
    /// run or when nothing was moved.
    pub op_id: Option<i64>,
    /// One entry per non-keeper member.
    pub items: Vec<MoveItem>,
    /// Stopped early by Ctrl-C (what was moved stays journaled).
    pub interrupted: bool,
    /// Stopped at the first file the quarantine folder had no room for
    /// (that file is not among the items; what was moved stays journaled).
    pub no_space: Option<NoSpace>,
}

impl QuarantineReport {
    /// Files skipped or failed.
    pub fn problems(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.result, MoveResult::Skipped | MoveResult::Failed))
            .count()
    }

    /// Files with this result.
    pub fn count(&self, result: MoveResult) -> usize {
        self.items.iter().filter(|i| i.result == result).count()
    }

    /// Static playlist entries pointed at keepers (or that would be).
    pub fn playlist_entries(&self) -> usize {
        self.items.iter().map(|i| i.playlist_entries).sum()
    }
}

/// `path` made absolute and free of `.`/`..`, resolving symlinks in the part
/// that exists (the quarantine folder may not exist yet).
pub fn absolute_dir(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(path, e))?
            .join(path)
    };
    let mut norm = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            other => norm.push(other),
        }
    }
    // Resolve symlinks in the longest existing prefix.
    let mut existing = norm.as_path();
    let mut rest = Vec::new();
    while existing.symlink_metadata().is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .map_err(|e| Error::io(existing, e))?;
    out.extend(rest.into_iter().rev());
    if out.exists() && !out.is_dir() {
        return Err(Error::at(&out, "quarantine folder is a file"));
    }
    Ok(out)
}

/// Where `track` goes inside `dir`: its path relative to its scan root (or,
/// outside every root, its absolute path without the leading `/`).
fn relative_place(lib: &Library, path: &Path) -> Result<PathBuf> {
    if let Some(root) = lib.root_of(path)? {
        if let Ok(rel) = path.strip_prefix(&root) {
            if !rel.as_os_str().is_empty() {
                return Ok(rel.to_path_buf());
            }
        }
    }
    Ok(path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect())
}

/// `want`, or "stem (2).ext", "stem (3).ext", ... : the first name that
/// exists neither on disk nor among names already handed out, and that
/// `in_use` (the library's rows) does not claim.
pub fn free_name(
    want: &Path,
    taken: &HashSet<PathBuf>,
    in_use: &dyn Fn(&Path) -> Result<bool>,
) -> Result<PathBuf> {
    let free = |p: &Path| -> Result<bool> {
        Ok(p.symlink_metadata().is_err() && !taken.contains(p) && !in_use(p)?)
    };
    if free(want)? {
        return Ok(want.to_path_buf());
    }
    let stem = want
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = want
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut n = 2u64;
    loop {
        let p = want.with_file_name(format!("{stem} ({n}){ext}"));
        if free(&p)? {
            return Ok(p);
        }
        n += 1;
    }
}

/// Move (or, with `dry_run`, plan to move) every non-keeper of `groups` into
/// the quarantine folder, taking it out of the active library and giving
/// its static playlist entries to the keeper. Per-file problems are items
/// in the report; `Err` is for the library or journal failing.
/// Why a track of a CUE image is never moved on its own.
pub const IMAGE_TRACK_STAYS: &str =
    "a track of a CUE image: the image file holds its other tracks too, so it stays";

pub fn quarantine(
    lib: &Library,
    groups: &[DupeGroup],
    settings: &QuarantineSettings,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<QuarantineReport> {
    let dir = absolute_dir(&settings.dir)?;
    let total: u64 = groups.iter().map(|g| g.members.len() as u64 - 1).sum();
    let mut report = QuarantineReport::default();
    let mut op: Option<Operation<'_>> = None;
    let mut taken: HashSet<PathBuf> = HashSet::new();
    let mut done = 0u64;
    'groups: for g in groups {
        let keeper = &g.keeper().track;
        let keeper_problem = check_unchanged(keeper)
            .err()
            .map(|r| format!("keeper {}: {r}", keeper.path.display()));
        for m in &g.members[1..] {
            if cancel.is_cancelled() {
                report.interrupted = true;
                break 'groups;
            }
            done += 1;
            progress.report(Progress {
                stage: Stage::Transfer,
                done,
                total,
                bytes: 0,
                total_bytes: 0,
            });
            let t = &m.track;
            let mut item = MoveItem {
                track_id: t.id,
                group: g.number,
                src: t.path.clone(),
                dst: None,
                result: MoveResult::Skipped,
                reason: None,
                keeper_id: keeper.id,
                playlist_entries: 0,
            };
            let problem = if t.cue.is_some() {
                Some(IMAGE_TRACK_STAYS.to_string())
            } else if t.path.starts_with(&dir) {
                Some("already in the quarantine folder".to_string())
            } else if let Some(p) = &keeper_problem {
                Some(p.clone())
            } else {
                check_unchanged(t).err().map(|why| why.to_string())
            };
            if let Some(reason) = problem {
                item.reason = Some(reason);
                report.items.push(item);
                continue;
            }
            let dst = free_name(
                &dir.join(relative_place(lib, &t.path)?),
                &taken,
                &|p: &Path| lib.path_in_library(p),
            )?;
            taken.insert(dst.clone());
            item.dst = Some(dst.clone());
            if settings.dry_run {
                item.result = MoveResult::WouldMove;
                item.playlist_entries = store::entries_pointing_at(lib, t.id)?.len();
                report.items.push(item);
                continue;
            }
            if op.is_none() {
                let o = Operation::begin(
                    lib,
                    "quarantine",
                    &format!("dupes --move-to {}", dir.display()),
                )?;
                report.op_id = Some(o.id());
                op = Some(o);
            }
            let Some(o) = op.as_mut() else {
                unreachable!("operation was just opened")
            };
            let ready = dst
                .parent()
                .map_or(Ok(()), |parent| o.make_dirs(parent, None));
            let moved = match ready {
                Ok(()) => {
                    let seq = o.plan_replacement(&t.path, &dst, t.id, t.file_hash, keeper.id)?;
                    // The file first; then, in one transaction, the row,
                    // the playlist entries and the journal's `done`.
                    match o.make(seq, &t.path, &dst, Mode::Move) {
                        Ok(()) => Ok(o.settle(seq)?),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            match moved {
                Ok(repointed) => {
                    item.result = MoveResult::Moved;
                    item.playlist_entries = repointed;
                }
                Err(e @ Error::Db { .. }) => return Err(e),
                Err(e) if e.is_no_space() => {
                    // Every further file would fail the same way: stop, and
                    // say it once (the caller turns this into the error).
                    report.no_space = Some(NoSpace {
                        path: e.path().unwrap_or(dst.as_path()).to_path_buf(),
                        done: report.count(MoveResult::Moved),
                        total: total as usize,
                    });
                    break 'groups;
                }
                Err(e) => {
                    item.result = MoveResult::Failed;
                    item.reason = Some(e.to_string());
                }
            }
            report.items.push(item);
        }
    }
    if let Some(o) = op {
        o.finish()?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dupes::tests::{insert, track};
    use crate::dupes::{DupeKind, DupeMember};
    use crate::fsops;
    use crate::journal;
    use crate::library::{path_to_bytes, unix_seconds, Track};
    use crate::progress::NoProgress;

    struct Setup {
        _dir: tempfile::TempDir,
        root: PathBuf,
        lib: Library,
    }

    fn setup() -> Setup {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap().join("music");
        std::fs::create_dir_all(&root).unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        lib.conn()
            .execute(
                "INSERT INTO roots(path, added) VALUES (?1, 0)",
                [path_to_bytes(&root)],
            )
            .unwrap();
        Setup { _dir: d, root, lib }
    }

    /// Write a file and register it as a scanned track.
    fn file(s: &Setup, rel: &str, bytes: &[u8], lossless: bool) -> Track {
        let p = s.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        let meta = p.metadata().unwrap();
        let mut t = track(
            &p,
            if lossless { "flac" } else { "mp3" },
            lossless,
            bytes[0],
        );
        t.file_hash = Some(*blake3::hash(bytes).as_bytes());
        t.size = meta.len();
        t.mtime = unix_seconds(meta.modified().unwrap());
        t.id = insert(&s.lib, &t);
        s.lib.track(t.id).unwrap().unwrap()
    }

    fn group(keeper: &Track, others: &[&Track]) -> DupeGroup {
        let mut members = vec![DupeMember {
            track: keeper.clone(),
            kind: DupeKind::Keeper,
            similarity: None,
        }];
        members.extend(others.iter().map(|t| DupeMember {
            track: (*t).clone(),
            kind: DupeKind::Exact,
            similarity: Some(1.0),
        }));
        DupeGroup {
            number: 1,
            members,
            reason: String::new(),
            similar: false,
        }
    }

    fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut v: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                let data = if e.file_type().is_file() {
                    std::fs::read(e.path()).unwrap()
                } else {
                    Vec::new()
                };
                (e.path().to_path_buf(), data)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn moves_under_root_relative_path_never_overwrites_and_undo_restores() {
        let s = setup();
        let keep = file(&s, "Artist/Album/song.flac", b"keeper-bytes", true);
        let dup = file(&s, "Phone/song.mp3", b"dup-bytes", false);
        let dup2 = file(&s, "Old/song.mp3", b"dup2-bytes", false);
        let q = s.root.parent().unwrap().join("quarantine");
        // Someone already has a file where dup would go.
        std::fs::create_dir_all(q.join("Phone")).unwrap();
        std::fs::write(q.join("Phone/song.mp3"), b"unrelated").unwrap();
        let before = listing(&s.root);
        let g = group(&keep, &[&dup, &dup2]);
        let settings = QuarantineSettings {
            dir: q.clone(),
            dry_run: true,
        };
        let plan = quarantine(
            &s.lib,
            std::slice::from_ref(&g),
            &settings,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(plan.op_id, None);
        assert_eq!(plan.items[0].result, MoveResult::WouldMove);
        assert_eq!(
            plan.items[0].dst.as_deref(),
            Some(q.join("Phone/song (2).mp3").as_path())
        );
        assert_eq!(listing(&s.root), before, "dry run changed files");

        let settings = QuarantineSettings {
            dir: q.clone(),
            dry_run: false,
        };
        let done = quarantine(&s.lib, &[g], &settings, &NoProgress, &Cancel::new()).unwrap();
        assert_eq!(done.problems(), 0, "{done:?}");
        assert_eq!(
            std::fs::read(q.join("Phone/song.mp3")).unwrap(),
            b"unrelated"
        );
        assert_eq!(
            std::fs::read(q.join("Phone/song (2).mp3")).unwrap(),
            b"dup-bytes"
        );
        assert_eq!(
            std::fs::read(q.join("Old/song.mp3")).unwrap(),
            b"dup2-bytes"
        );
        assert!(keep.path.exists() && !dup.path.exists());
        // The library follows, ids unchanged.
        let moved = s.lib.track(dup.id).unwrap().unwrap();
        assert_eq!(moved.path, q.join("Phone/song (2).mp3"));

        let undone = journal::undo(&s.lib, None, false).unwrap();
        assert_eq!(undone.skipped(), 0, "{undone:?}");
        assert_eq!(listing(&s.root), before);
        assert!(!q.join("Old").exists(), "created folders are removed");
        assert_eq!(
            std::fs::read(q.join("Phone/song.mp3")).unwrap(),
            b"unrelated"
        );
        assert_eq!(s.lib.track(dup.id).unwrap().unwrap().path, dup.path);
    }

    #[test]
    fn changed_files_and_gone_keepers_are_skipped() {
        let s = setup();
        let keep = file(&s, "a.flac", b"keeper", true);
        let dup = file(&s, "b.mp3", b"dup", false);
        std::fs::write(&dup.path, b"edited since the scan").unwrap();
        let q = s.root.parent().unwrap().join("q");
        let settings = QuarantineSettings {
            dir: q.clone(),
            dry_run: false,
        };
        let r = quarantine(
            &s.lib,
            &[group(&keep, &[&dup])],
            &settings,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(r.items[0].result, MoveResult::Skipped);
        assert!(r.items[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("changed since the last scan"));
        assert!(dup.path.exists());

        let keep2 = file(&s, "c.flac", b"keeper2", true);
        let dup2 = file(&s, "d.mp3", b"dup2", false);
        std::fs::remove_file(&keep2.path).unwrap();
        let r = quarantine(
            &s.lib,
            &[group(&keep2, &[&dup2])],
            &settings,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(r.items[0].result, MoveResult::Skipped);
        assert!(r.items[0].reason.as_deref().unwrap().starts_with("keeper "));
        assert!(dup2.path.exists());
        assert_eq!(r.op_id, None);
    }

    /// A static playlist `name` whose entries point at `ids`, in order.
    fn playlist(s: &Setup, name: &str, ids: &[i64]) -> i64 {
        s.lib
            .conn()
            .execute(
                "INSERT INTO playlists(name, created, modified) VALUES (?1, 0, 0)",
                [name],
            )
            .unwrap();
        let pl = s.lib.conn().last_insert_rowid();
        for (i, id) in ids.iter().enumerate() {
            s.lib
                .conn()
                .execute(
                    "INSERT INTO playlist_entries(playlist_id, position, track_id) VALUES (?1, ?2, ?3)",
                    [pl, i as i64 + 1, *id],
                )
                .unwrap();
        }
        pl
    }

    /// The track ids of a playlist's entries, in order.
    fn entry_ids(s: &Setup, pl: i64) -> Vec<i64> {
        let mut stmt = s
            .lib
            .conn()
            .prepare(
                "SELECT track_id FROM playlist_entries WHERE playlist_id = ?1 ORDER BY position",
            )
            .unwrap();
        let ids = stmt.query_map([pl], |r| r.get(0)).unwrap();
        ids.map(|r| r.unwrap()).collect()
    }

    fn run(s: &Setup, g: &DupeGroup, dir: &Path, dry_run: bool) -> QuarantineReport {
        let settings = QuarantineSettings {
            dir: dir.to_path_buf(),
            dry_run,
        };
        quarantine(
            &s.lib,
            std::slice::from_ref(g),
            &settings,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap()
    }

    #[test]
    fn moved_tracks_leave_the_library_and_give_their_entries_to_the_keeper() {
        let s = setup();
        let keep = file(&s, "a.flac", b"keeper", true);
        let dup = file(&s, "b.mp3", b"dup", false);
        let other = file(&s, "c.mp3", b"other", false);
        let mix = playlist(&s, "Mix", &[dup.id, other.id, dup.id, keep.id]);
        let q = s.root.parent().unwrap().join("q");
        let g = group(&keep, &[&dup]);

        let plan = run(&s, &g, &q, true);
        assert_eq!(plan.playlist_entries(), 2);
        assert_eq!(entry_ids(&s, mix), [dup.id, other.id, dup.id, keep.id]);
        assert!(!s.lib.track(dup.id).unwrap().unwrap().quarantined);

        let done = run(&s, &g, &q, false);
        assert_eq!(done.count(MoveResult::Moved), 1, "{done:?}");
        assert_eq!(done.playlist_entries(), 2);
        let moved = s.lib.track(dup.id).unwrap().unwrap();
        assert!(moved.quarantined);
        assert_eq!(moved.path, q.join("b.mp3"));
        assert_eq!(entry_ids(&s, mix), [keep.id, other.id, keep.id, keep.id]);

        // The user edits the playlist since: that entry is left alone.
        s.lib
            .conn()
            .execute(
                "UPDATE playlist_entries SET track_id = ?1 WHERE playlist_id = ?2 AND position = 3",
                [other.id, mix],
            )
            .unwrap();
        let undone = journal::undo(&s.lib, None, false).unwrap();
        assert_eq!(undone.skipped(), 0, "{undone:?}");
        assert_eq!(undone.playlist_entries(), 1);
        let problems: Vec<&String> = undone
            .items
            .iter()
            .flat_map(|i| &i.playlist_problems)
            .collect();
        assert_eq!(
            problems,
            ["playlist 'Mix' entry 3: changed since the operation; left alone"]
        );
        assert_eq!(entry_ids(&s, mix), [dup.id, other.id, other.id, keep.id]);
        let back = s.lib.track(dup.id).unwrap().unwrap();
        assert!(!back.quarantined);
        assert_eq!(back.path, dup.path);
        assert_eq!(std::fs::read(&dup.path).unwrap(), b"dup");
    }

    #[test]
    fn a_run_killed_between_the_move_and_the_library_is_finished_by_recover() {
        let s = setup();
        let keep = file(&s, "a.flac", b"keeper", true);
        let dup = file(&s, "b.mp3", b"dup", false);
        let mix = playlist(&s, "Mix", &[dup.id]);
        let q = s.root.parent().unwrap().join("q");
        let dst = q.join("b.mp3");
        // What `quarantine` does, killed after the move.
        let mut op = Operation::begin(&s.lib, "quarantine", "killed").unwrap();
        op.plan_replacement(&dup.path, &dst, dup.id, dup.file_hash, keep.id)
            .unwrap();
        std::fs::create_dir_all(&q).unwrap();
        fsops::transfer(&dup.path, &dst, Mode::Move).unwrap();
        let _killed = op; // never settled, never finished
        assert_eq!(s.lib.track(dup.id).unwrap().unwrap().path, dup.path);

        assert_eq!(journal::recover(&s.lib).unwrap(), 1);
        let t = s.lib.track(dup.id).unwrap().unwrap();
        assert!(t.quarantined);
        assert_eq!(t.path, dst);
        assert_eq!(entry_ids(&s, mix), [keep.id]);
        assert_eq!(
            journal::recover(&s.lib).unwrap(),
            0,
            "nothing left to finish"
        );

        let undone = journal::undo(&s.lib, None, false).unwrap();
        assert_eq!(undone.skipped(), 0, "{undone:?}");
        let t = s.lib.track(dup.id).unwrap().unwrap();
        assert!(!t.quarantined);
        assert_eq!(t.path, dup.path);
        assert_eq!(entry_ids(&s, mix), [dup.id]);
    }

    #[test]
    fn undo_killed_after_the_file_went_back_is_finished_by_undoing_again() {
        let s = setup();
        let keep = file(&s, "a.flac", b"keeper", true);
        let dup = file(&s, "b.mp3", b"dup", false);
        let mix = playlist(&s, "Mix", &[dup.id]);
        let q = s.root.parent().unwrap().join("q");
        run(&s, &group(&keep, &[&dup]), &q, false);
        // Killed after moving the file back, before the library followed:
        // the operation is not marked undone.
        fsops::transfer(&q.join("b.mp3"), &dup.path, Mode::Move).unwrap();
        let undone = journal::undo(&s.lib, None, false).unwrap();
        assert_eq!(undone.skipped(), 0, "{undone:?}");
        let t = s.lib.track(dup.id).unwrap().unwrap();
        assert!(!t.quarantined);
        assert_eq!(t.path, dup.path);
        assert_eq!(entry_ids(&s, mix), [dup.id]);
    }

    #[test]
    fn free_name_counts_up() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.mp3");
        std::fs::write(&p, b"1").unwrap();
        let mut taken = HashSet::new();
        taken.insert(d.path().join("x (2).mp3"));
        let nothing = |_: &Path| Ok(false);
        assert_eq!(
            free_name(&p, &taken, &nothing).unwrap(),
            d.path().join("x (3).mp3")
        );
        assert_eq!(
            free_name(&d.path().join("noext"), &taken, &nothing).unwrap(),
            d.path().join("noext")
        );
        // A place the library holds (its file deleted by hand) is not free.
        let held = d.path().join("x (3).mp3");
        let library = |p: &Path| Ok(p == held);
        assert_eq!(
            free_name(&p, &taken, &library).unwrap(),
            d.path().join("x (4).mp3")
        );
    }

    #[test]
    fn absolute_dir_handles_missing_and_dotted_paths() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        assert_eq!(
            absolute_dir(&base.join("new/./x/../y")).unwrap(),
            base.join("new/y")
        );
        std::fs::write(base.join("file"), b"").unwrap();
        assert!(absolute_dir(&base.join("file")).is_err());
    }
}
