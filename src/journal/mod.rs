//! The undo journal, shared by every command that moves or copies the user's
//! files (`dupes --move-to`, `organize`).
//!
//! Protocol: an [`Operation`] is opened first; each file action is recorded
//! as `planned` *before* it is made and marked `done` after. A run killed
//! halfway therefore leaves a journal that still describes every file it may
//! have touched, and [`undo`] works out from the disk which planned actions
//! really happened. Undo never overwrites: a file that changed after the
//! operation (its hash differs), or whose place is taken, is reported and
//! left alone, and the rest is still restored.
//!
//! A move may name the track that stands in for the moved one
//! (`replaced_by`; quarantine: the group's keeper). Once the file is moved,
//! [`Operation::settle`] records in one transaction the track's new path,
//! its leaving the active library (`quarantined = 1`), its static playlist
//! entries pointed at `replaced_by` (each one kept in `journal_repoints`),
//! and the entry `done`. Undo reverses all of it, again in one transaction
//! per entry, after the file is back.
//!
//! Order on a crash: the file moves first, the library follows. A run
//! killed in between leaves a `planned` entry whose file is at `dst` while
//! its track still says `src`: [`recover`] (run by `scan` and `dupes`)
//! finishes the library side from the journal, and [`undo`] puts the file
//! back and finds the track as it was. The other order (library first)
//! would, killed before the move, hide a file that is still in the
//! collection, and a rescan would then take the quarantined row back to
//! the old place with the quarantine mark on it.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};

use crate::error::{Error, InvalidKind, Result};
use crate::fsops::{self, Mode};
use crate::library::{bytes_to_path, now, path_to_bytes, Library};
use crate::playlist::store;

mod leftovers;
mod retag;
mod undo;

pub use retag::{retagged_row, Patch};

pub use undo::{undo, UndoItem, UndoReport};

/// What one journal entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `src` was moved to `dst`.
    Move,
    /// `src` was copied to `dst`.
    Copy,
    /// The folder `dst` was created by the operation.
    Mkdir,
    /// The (empty) folder `src` was removed by the operation.
    Rmdir,
    /// The tags of the file `src` (= `dst`) were rewritten; the bytes it
    /// had before are in `journal_retags`.
    Retag,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Move => "move",
            Action::Copy => "copy",
            Action::Mkdir => "mkdir",
            Action::Rmdir => "rmdir",
            Action::Retag => "retag",
        }
    }
    fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "move" => Action::Move,
            "copy" => Action::Copy,
            "mkdir" => Action::Mkdir,
            "rmdir" => Action::Rmdir,
            "retag" => Action::Retag,
            _ => return None,
        })
    }
}

/// An operation being recorded.
pub struct Operation<'a> {
    lib: &'a Library,
    id: i64,
    seq: i64,
    /// The connection's `synchronous` setting before, put back on drop.
    synchronous: Option<i64>,
}

impl Drop for Operation<'_> {
    fn drop(&mut self) {
        if let Some(level) = self.synchronous {
            let _ = self.lib.conn().pragma_update(None, "synchronous", level);
        }
    }
}

/// Make every commit durable before it returns (WAL with `synchronous =
/// NORMAL` may lose the last commits on power loss). Returns the setting
/// before, to put back.
fn durable(lib: &Library) -> Result<i64> {
    let before: i64 = lib
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .map_err(|e| lib.err(e))?;
    lib.conn()
        .pragma_update(None, "synchronous", "FULL")
        .map_err(|e| lib.err(e))?;
    Ok(before)
}

impl<'a> Operation<'a> {
    /// Open a new operation of `kind` (e.g. "quarantine", "organize-move").
    pub fn begin(lib: &'a Library, kind: &str, description: &str) -> Result<Operation<'a>> {
        let synchronous = Some(durable(lib)?);
        lib.conn()
            .execute(
                "INSERT INTO operations(kind, description, started, pid) VALUES (?1, ?2, ?3, ?4)",
                params![kind, description, now(), std::process::id()],
            )
            .map_err(|e| lib.err(e))?;
        Ok(Operation {
            lib,
            id: lib.conn().last_insert_rowid(),
            seq: 0,
            synchronous,
        })
    }

    /// The operation's id (what `undo ID` takes).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Record an action as planned, before making it. Returns its sequence number.
    pub fn plan(
        &mut self,
        action: Action,
        src: &Path,
        dst: &Path,
        track_id: Option<i64>,
        file_hash: Option<[u8; 32]>,
    ) -> Result<i64> {
        self.plan_entry(action, src, dst, track_id, file_hash, None)
    }

    /// Record as planned the move of `track_id` from `src` to `dst` that
    /// takes it out of the active library in favour of `replaced_by`
    /// (quarantine). Once the file is moved, call [`Operation::settle`].
    pub fn plan_replacement(
        &mut self,
        src: &Path,
        dst: &Path,
        track_id: i64,
        file_hash: Option<[u8; 32]>,
        replaced_by: i64,
    ) -> Result<i64> {
        self.plan_entry(
            Action::Move,
            src,
            dst,
            Some(track_id),
            file_hash,
            Some(replaced_by),
        )
    }

    fn plan_entry(
        &mut self,
        action: Action,
        src: &Path,
        dst: &Path,
        track_id: Option<i64>,
        file_hash: Option<[u8; 32]>,
        replaced_by: Option<i64>,
    ) -> Result<i64> {
        self.seq += 1;
        let size = std::fs::metadata(src).map(|m| m.len() as i64).ok();
        self.lib
            .conn()
            .execute(
                "INSERT INTO journal(op_id, seq, action, src, dst, track_id, file_hash, size,
                                     state, replaced_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'planned', ?9)",
                params![
                    self.id,
                    self.seq,
                    action.as_str(),
                    path_to_bytes(src),
                    path_to_bytes(dst),
                    track_id,
                    file_hash.map(|h| h.to_vec()),
                    size,
                    replaced_by
                ],
            )
            .map_err(|e| self.lib.err(e))?;
        Ok(self.seq)
    }

    /// The planned move `seq` was made on disk: let the library follow it
    /// and mark it done, in one transaction (see the module notes). Returns
    /// how many static playlist entries now point at the replacement.
    pub fn settle(&self, seq: i64) -> Result<usize> {
        let e = load_entry(self.lib, self.id, seq)?;
        settle(self.lib, self.id, &e)
    }

    /// Mark a planned action as done (or failed, with a note).
    pub fn mark(&self, seq: i64, ok: bool, note: Option<&str>) -> Result<()> {
        self.lib
            .conn()
            .execute(
                "UPDATE journal SET state = ?1, note = ?2 WHERE op_id = ?3 AND seq = ?4",
                params![if ok { "done" } else { "failed" }, note, self.id, seq],
            )
            .map_err(|e| self.lib.err(e))?;
        Ok(())
    }

    /// Record, then make, a move or copy; marks the entry and returns the
    /// transfer's result. The library is *not* updated here (callers know
    /// which track moved).
    pub fn transfer(
        &mut self,
        src: &Path,
        dst: &Path,
        mode: Mode,
        track_id: Option<i64>,
        file_hash: Option<[u8; 32]>,
    ) -> Result<()> {
        let action = if mode == Mode::Move {
            Action::Move
        } else {
            Action::Copy
        };
        let seq = self.plan(action, src, dst, track_id, file_hash)?;
        self.make(seq, src, dst, mode)?;
        self.mark(seq, true, None)
    }

    /// Make the planned move or copy `seq` on disk ([`fsops::transfer`]),
    /// journalling the hash the copy was verified with (undo needs it to
    /// tell its own copy from a file edited since). The entry is not marked
    /// done here. On failure it is marked `failed`, unless the destination
    /// name was made and could not be taken back: then it stays `planned`
    /// (with the error as its note) so undo resolves it from the disk.
    pub fn make(&self, seq: i64, src: &Path, dst: &Path, mode: Mode) -> Result<()> {
        let dst_was_there = dst.symlink_metadata().is_ok();
        match fsops::transfer(src, dst, mode) {
            Ok(hash) => {
                if let Some(h) = hash {
                    self.lib
                        .conn()
                        .execute(
                            "UPDATE journal SET file_hash = ?1 WHERE op_id = ?2 AND seq = ?3",
                            params![h.to_vec(), self.id, seq],
                        )
                        .map_err(|e| self.lib.err(e))?;
                }
                Ok(())
            }
            Err(e) => {
                let note = e.to_string();
                if !dst_was_there && dst.symlink_metadata().is_ok() {
                    self.lib
                        .conn()
                        .execute(
                            "UPDATE journal SET note = ?1 WHERE op_id = ?2 AND seq = ?3",
                            params![note, self.id, seq],
                        )
                        .map_err(|x| self.lib.err(x))?;
                } else {
                    self.mark(seq, false, Some(&note))?;
                }
                Err(e)
            }
        }
    }

    /// Close the operation (an operation never finished was interrupted; it
    /// can still be undone).
    pub fn finish(self) -> Result<()> {
        self.lib
            .conn()
            .execute(
                "UPDATE operations SET finished = ?1 WHERE id = ?2",
                params![now(), self.id],
            )
            .map_err(|e| self.lib.err(e))?;
        Ok(())
    }
}

/// A past operation, for `undo --list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OperationSummary {
    pub id: i64,
    pub kind: String,
    pub description: Option<String>,
    pub started: f64,
    pub finished: Option<f64>,
    pub undone: Option<f64>,
    /// Entries in the journal.
    pub files: i64,
}

/// All operations, newest first.
pub fn list(lib: &Library) -> Result<Vec<OperationSummary>> {
    let mut stmt = lib
        .conn()
        .prepare(
            "SELECT o.id, o.kind, o.description, o.started, o.finished, o.undone,
                    (SELECT count(*) FROM journal j WHERE j.op_id = o.id AND j.action IN ('move','copy'))
             FROM operations o ORDER BY o.id DESC",
        )
        .map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(OperationSummary {
                id: r.get(0)?,
                kind: r.get(1)?,
                description: r.get(2)?,
                started: r.get(3)?,
                finished: r.get(4)?,
                undone: r.get(5)?,
                files: r.get(6)?,
            })
        })
        .map_err(|e| lib.err(e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))
}

struct Entry {
    seq: i64,
    action: Action,
    src: PathBuf,
    dst: PathBuf,
    track_id: Option<i64>,
    file_hash: Option<[u8; 32]>,
    state: String,
    size: Option<i64>,
    replaced_by: Option<i64>,
}

/// The journal columns [`entry_from_row`] reads, in its order.
const ENTRY_COLUMNS: &str =
    "j.seq, j.action, j.src, j.dst, j.track_id, j.file_hash, j.state, j.size, j.replaced_by";

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    entry_at(r, 0)
}

/// An [`Entry`] from [`ENTRY_COLUMNS`] starting at column `o`.
fn entry_at(r: &rusqlite::Row<'_>, o: usize) -> rusqlite::Result<Entry> {
    let action: String = r.get(o + 1)?;
    let Some(action) = Action::parse(&action) else {
        // A journal from a newer mixtape, or damaged: guessing could move
        // the wrong way, so nothing of this operation is undone.
        return Err(rusqlite::Error::FromSqlConversionFailure(
            o + 1,
            rusqlite::types::Type::Text,
            format!("unknown journal action '{action}'").into(),
        ));
    };
    Ok(Entry {
        seq: r.get(o)?,
        action,
        src: bytes_to_path(&r.get::<_, Vec<u8>>(o + 2)?),
        dst: bytes_to_path(&r.get::<_, Vec<u8>>(o + 3)?),
        track_id: r.get(o + 4)?,
        file_hash: r
            .get::<_, Option<Vec<u8>>>(o + 5)?
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
        state: r.get(o + 6)?,
        size: r.get(o + 7)?,
        replaced_by: r.get(o + 8)?,
    })
}

fn load_entry(lib: &Library, op_id: i64, seq: i64) -> Result<Entry> {
    lib.conn()
        .query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM journal j WHERE j.op_id = ?1 AND j.seq = ?2"),
            [op_id, seq],
            entry_from_row,
        )
        .map_err(|e| lib.err(e))
}

fn set_state(lib: &Library, op_id: i64, seq: i64, state: &str) -> Result<()> {
    lib.conn()
        .execute(
            "UPDATE journal SET state = ?1 WHERE op_id = ?2 AND seq = ?3",
            params![state, op_id, seq],
        )
        .map_err(|e| lib.err(e))?;
    Ok(())
}

/// The library side of a move made on disk, and the entry marked `done`,
/// in one transaction: the track follows the file; with `replaced_by` it
/// leaves the active library and its static playlist entries point at the
/// replacement (each recorded for undo). Returns the entries repointed.
fn settle(lib: &Library, op_id: i64, e: &Entry) -> Result<usize> {
    let tx = lib.conn().unchecked_transaction().map_err(|x| lib.err(x))?;
    let mut repointed = 0;
    match (e.track_id, e.replaced_by) {
        (Some(id), Some(keeper)) => {
            lib.set_track_place(id, &e.dst, true)?;
            for (playlist, position) in store::entries_pointing_at(lib, id)? {
                if store::repoint_entry(lib, playlist, position, id, keeper)? {
                    lib.conn()
                        .execute(
                            "INSERT INTO journal_repoints(op_id, seq, playlist_id, position,
                                                          from_track, to_track, state)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'done')",
                            params![op_id, e.seq, playlist, position, id, keeper],
                        )
                        .map_err(|x| lib.err(x))?;
                    repointed += 1;
                }
            }
        }
        (Some(id), None) => lib.set_track_path(id, &e.dst)?,
        (None, _) => {}
    }
    set_state(lib, op_id, e.seq, "done")?;
    tx.commit().map_err(|x| lib.err(x))?;
    Ok(repointed)
}

/// Finish the library side of moves that a killed run made on disk but
/// never recorded: the entry's track still says `src`, `src` is gone, and
/// `dst` holds a file of the journaled size. That is a `planned` entry
/// killed between the move and [`Operation::settle`], or a `done` one of
/// a command that records the library after the entry. Operations already
/// undone are left alone, as is a `dst` the library knows as another
/// track. Returns how many entries were settled; `scan` and `dupes` call
/// this first, so what they read is what is on disk. A move whose file is
/// only under its temporary name beside `dst` (a power loss) gets the name
/// `dst` first, when the temporary file holds the journal's data.
pub fn recover(lib: &Library) -> Result<usize> {
    let candidates: Vec<(i64, Entry)> = {
        let mut stmt = lib
            .conn()
            .prepare(&format!(
                "SELECT j.op_id, {ENTRY_COLUMNS} FROM journal j
                 JOIN operations o ON o.id = j.op_id
                 JOIN tracks t ON t.id = j.track_id
                 WHERE o.undone IS NULL AND j.action = 'move'
                   AND j.state IN ('planned', 'done') AND t.path = j.src
                 ORDER BY j.op_id, j.seq"
            ))
            .map_err(|e| lib.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, entry_at(r, 1)?)))
            .map_err(|e| lib.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| lib.err(e))?
    };
    let mut settled = 0;
    for (op_id, e) in candidates {
        if e.src.symlink_metadata().is_ok() {
            continue; // never moved, or put back by hand
        }
        if e.dst.symlink_metadata().is_err() && !lib.path_in_library(&e.dst)? {
            // A power loss may have kept the moved file only under its
            // temporary name: publish it when it is the journal's data.
            leftovers::resolve(&e.src, &e.dst, e.file_hash, Some(e.dst.as_path()), false)?;
        }
        let Ok(meta) = e.dst.metadata() else {
            continue;
        };
        if !meta.is_file()
            || e.size.is_some_and(|s| s != meta.len() as i64)
            || lib.path_in_library(&e.dst)?
        {
            continue;
        }
        settle(lib, op_id, &e)?;
        settled += 1;
    }
    Ok(settled)
}

impl Operation<'_> {
    /// Create `dir` and its missing parents (none at or above `stop`), each
    /// journalled as an `mkdir` entry before it is made, so `mixtape undo`
    /// removes them again (deepest first, if empty). A folder that appears
    /// meanwhile (another process made it) is fine and noted "already there";
    /// anything else that keeps a folder from existing is the error.
    pub fn make_dirs(&mut self, dir: &Path, stop: Option<&Path>) -> Result<()> {
        let mut missing = Vec::new();
        let mut d = dir;
        while d.symlink_metadata().is_err() {
            if Some(d) == stop {
                break;
            }
            missing.push(d.to_path_buf());
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
        for m in missing.iter().rev() {
            let seq = self.plan(Action::Mkdir, m, m, None, None)?;
            match std::fs::create_dir(m) {
                Ok(()) => self.mark(seq, true, None)?,
                Err(_) if m.is_dir() => self.mark(seq, false, Some("already there"))?,
                Err(e) => {
                    self.mark(seq, false, Some(&e.to_string()))?;
                    return Err(Error::io(m, e));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_then_undo_restores_and_reports_changed_files() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("music/a.flac");
        let b = d.path().join("music/b.flac");
        std::fs::create_dir_all(a.parent().unwrap()).unwrap();
        std::fs::write(&a, b"aaaa").unwrap();
        std::fs::write(&b, b"bbbb").unwrap();
        let ha = fsops::hash_file(&a).unwrap();
        let hb = fsops::hash_file(&b).unwrap();
        let mut op = Operation::begin(&lib, "test", "two moves").unwrap();
        let qa = d.path().join("q/a.flac");
        let qb = d.path().join("q/b.flac");
        op.transfer(&a, &qa, Mode::Move, None, Some(ha)).unwrap();
        op.transfer(&b, &qb, Mode::Move, None, Some(hb)).unwrap();
        op.finish().unwrap();
        assert!(!a.exists() && qa.exists());
        // The user edits one moved file by hand.
        std::fs::write(&qb, b"edited").unwrap();
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 1);
        assert_eq!(std::fs::read(&a).unwrap(), b"aaaa");
        assert!(!b.exists() && qb.exists());
        assert!(undo(&lib, None, false).is_err(), "nothing left to undo");
        assert_eq!(list(&lib).unwrap().len(), 1);
    }

    #[test]
    fn interrupted_planned_entry_is_resolved_from_disk() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.mp3");
        std::fs::write(&a, b"data").unwrap();
        let dst = d.path().join("q/a.mp3");
        let mut op = Operation::begin(&lib, "test", "killed").unwrap();
        op.plan(
            Action::Move,
            &a,
            &dst,
            None,
            Some(fsops::hash_file(&a).unwrap()),
        )
        .unwrap();
        // Killed after the move but before marking it done (and before finish).
        fsops::transfer(&a, &dst, Mode::Move).unwrap();
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.items[0].result, "restored");
        assert_eq!(std::fs::read(&a).unwrap(), b"data");
    }

    #[test]
    fn killed_copy_leaves_no_partial_file_after_undo() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        std::fs::write(&a, b"data").unwrap();
        let dir = d.path().join("out");
        let dst = dir.join("a.flac");
        let mut op = Operation::begin(&lib, "test", "killed mid-copy").unwrap();
        let seq = op.plan(Action::Mkdir, &dir, &dir, None, None).unwrap();
        std::fs::create_dir(&dir).unwrap();
        op.mark(seq, true, None).unwrap();
        op.plan(Action::Copy, &a, &dst, None, None).unwrap(); // never finished
                                                              // Killed while the copy was still under its temporary name.
        std::fs::write(fsops::temp_name(&dst), b"da").unwrap();
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 0, "{report:?}");
        assert!(!dir.exists(), "the partial copy and its folder are gone");
        assert_eq!(std::fs::read(&a).unwrap(), b"data");
    }

    fn temps(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| fsops::is_temp_name(p))
            .collect()
    }

    /// The state a power loss leaves after a cross-filesystem move whose
    /// destination folder was not yet synced: the entry planned, the
    /// source's removal on disk, the copy only under its temporary name.
    fn power_lost_move(d: &Path, lib: &Library, temp_bytes: &[u8]) -> (PathBuf, PathBuf) {
        let a = d.join("music/a.flac");
        std::fs::create_dir_all(a.parent().unwrap()).unwrap();
        std::fs::write(&a, b"the music").unwrap();
        let dst = d.join("q/a.flac");
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let mut op = Operation::begin(lib, "test", "power lost").unwrap();
        let h = fsops::hash_file(&a).unwrap();
        op.plan(Action::Move, &a, &dst, None, Some(h)).unwrap();
        std::fs::write(fsops::temp_name(&dst), temp_bytes).unwrap();
        std::fs::remove_file(&a).unwrap();
        (a, dst)
    }

    /// Issue 12: the temporary file is the only copy: undo publishes it
    /// back to the source instead of deleting it.
    #[test]
    fn a_leftover_temp_with_the_journal_hash_is_published_not_deleted() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let (a, dst) = power_lost_move(d.path(), &lib, b"the music");
        let dry = undo(&lib, None, true).unwrap();
        assert_eq!(dry.items[0].result, "restored", "{dry:?}");
        assert_eq!(
            temps(dst.parent().unwrap()).len(),
            1,
            "dry run changed nothing"
        );
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.items[0].result, "restored", "{report:?}");
        assert_eq!(report.skipped(), 0);
        assert_eq!(std::fs::read(&a).unwrap(), b"the music");
        assert!(temps(dst.parent().unwrap()).is_empty());
        assert!(!dst.exists());
    }

    /// Issue 12: a leftover that is not the journal's data while the
    /// source is gone is left alone, and said.
    #[test]
    fn a_leftover_temp_with_another_hash_is_left_alone_and_reported() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let (a, dst) = power_lost_move(d.path(), &lib, b"the mus");
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 1, "{report:?}");
        let reason = report.items[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("does not match the journalled hash"),
            "{reason}"
        );
        let left = temps(dst.parent().unwrap());
        assert_eq!(left.len(), 1);
        assert_eq!(std::fs::read(&left[0]).unwrap(), b"the mus");
        assert!(!a.exists());
    }

    /// A recovery (scan, dupes) gives the only copy the destination name.
    #[test]
    fn recover_publishes_a_leftover_temp_under_the_destination_name() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        std::fs::write(&a, b"tune").unwrap();
        lib.conn()
            .execute(
                "INSERT INTO tracks(path, size, mtime, added, scanned) VALUES (?1, 4, 0, 0, 0)",
                [path_to_bytes(&a)],
            )
            .unwrap();
        let id = lib.conn().last_insert_rowid();
        let dst = d.path().join("q/a.flac");
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let mut op = Operation::begin(&lib, "test", "power lost").unwrap();
        op.plan(
            Action::Move,
            &a,
            &dst,
            Some(id),
            Some(*blake3::hash(b"tune").as_bytes()),
        )
        .unwrap();
        std::fs::write(fsops::temp_name(&dst), b"tune").unwrap();
        std::fs::remove_file(&a).unwrap();
        assert_eq!(recover(&lib).unwrap(), 1);
        assert_eq!(std::fs::read(&dst).unwrap(), b"tune");
        assert!(temps(dst.parent().unwrap()).is_empty());
        assert_eq!(lib.track(id).unwrap().unwrap().path, dst);
    }

    /// Issue 12: with no journalled hash, undo of a copy cannot tell its
    /// copy from a file edited since: it keeps it and says so.
    #[test]
    fn undo_of_a_copy_with_an_unknown_hash_keeps_the_destination() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        std::fs::write(&a, b"data").unwrap();
        let dst = d.path().join("out/a.flac");
        let mut op = Operation::begin(&lib, "test", "old copy").unwrap();
        let seq = op.plan(Action::Copy, &a, &dst, None, None).unwrap();
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::write(&dst, b"edited by the user").unwrap();
        op.mark(seq, true, None).unwrap();
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 1, "{report:?}");
        assert!(report.items[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("no hash was journalled"));
        assert_eq!(std::fs::read(&dst).unwrap(), b"edited by the user");
    }

    /// Issue 12: the hash a copy was verified with is journalled, so undo
    /// removes the untouched copy and keeps an edited one.
    #[test]
    fn a_copy_journals_its_verified_hash_for_undo() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        let b = d.path().join("b.flac");
        std::fs::write(&a, b"aaaa").unwrap();
        std::fs::write(&b, b"bbbb").unwrap();
        let (qa, qb) = (d.path().join("out/a.flac"), d.path().join("out/b.flac"));
        let mut op = Operation::begin(&lib, "test", "copies").unwrap();
        op.transfer(&a, &qa, Mode::Copy, None, None).unwrap();
        op.transfer(&b, &qb, Mode::Copy, None, None).unwrap();
        op.finish().unwrap();
        let hashes: Vec<Option<Vec<u8>>> = lib
            .conn()
            .prepare("SELECT file_hash FROM journal ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            hashes[0].as_deref(),
            Some(&blake3::hash(b"aaaa").as_bytes()[..])
        );
        std::fs::write(&qb, b"edited").unwrap();
        let report = undo(&lib, None, false).unwrap();
        assert_eq!(report.skipped(), 1, "{report:?}");
        assert!(!qa.exists());
        assert_eq!(std::fs::read(&qb).unwrap(), b"edited");
    }

    /// Issue 12: an action this mixtape does not know is an error, never
    /// taken for a move; nothing is touched.
    #[test]
    fn an_unknown_journal_action_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        let b = d.path().join("b.flac");
        std::fs::write(&b, b"data").unwrap();
        let mut op = Operation::begin(&lib, "test", "from the future").unwrap();
        op.plan(Action::Copy, &a, &b, None, None).unwrap();
        lib.conn()
            .execute(
                "UPDATE journal SET action = 'frobnicate', state = 'done'",
                [],
            )
            .unwrap();
        let err = undo(&lib, None, false).unwrap_err();
        assert!(matches!(err, Error::Db { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("unknown journal action 'frobnicate'"),
            "{err}"
        );
        assert!(!a.exists() && b.exists());
    }

    /// Issue 12: a move whose source cannot be removed leaves no second
    /// name, and its entry says failed (undo has nothing to do).
    #[test]
    fn a_failed_move_leaves_no_orphan_in_the_destination() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let a = d.path().join("a.flac");
        std::fs::write(&a, b"data").unwrap();
        let dst = d.path().join("q/a.flac");
        let mut op = Operation::begin(&lib, "test", "failing").unwrap();
        fsops::fault::set_for_thread(Some("remove-source"));
        let r = op.transfer(&a, &dst, Mode::Move, None, None);
        fsops::fault::set_for_thread(None);
        assert!(r.is_err());
        assert!(a.exists() && !dst.exists());
        let state: String = lib
            .conn()
            .query_row("SELECT state FROM journal", [], |r| r.get(0))
            .unwrap();
        assert_eq!(state, "failed");
    }

    /// Issue 12: journal writes are durable (synchronous = FULL) while an
    /// operation is open; the connection's setting comes back afterwards.
    #[test]
    fn journal_writes_are_synchronous_full_during_an_operation() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let level = || -> i64 {
            lib.conn()
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        let before = level();
        let op = Operation::begin(&lib, "test", "durable").unwrap();
        assert_eq!(level(), 2, "FULL");
        op.finish().unwrap();
        assert_eq!(level(), before);
    }
}
