//! Undo: put back what one journalled operation did, working out from the
//! disk which planned actions really happened. Never overwrites: a file
//! that changed after the operation, or whose place is taken, is reported
//! and left alone, and the rest is still restored.

use std::path::PathBuf;

use super::*;

/// What happened to one journal entry during undo.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UndoItem {
    pub src: PathBuf,
    pub dst: PathBuf,
    /// restored, removed-copy, nothing-to-do, skipped
    pub result: String,
    /// Why it was skipped, when it was.
    pub reason: Option<String>,
    /// Static playlist entries pointed back at the restored track (or,
    /// with `dry_run`, that would be).
    pub playlist_entries: usize,
    /// Entries the operation repointed that changed since (left alone),
    /// as messages.
    pub playlist_problems: Vec<String>,
    /// Temporary files of the operation left alone (not the journal's
    /// data, or the only copy of it), as messages.
    pub leftovers: Vec<String>,
}

/// The outcome of undoing one operation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UndoReport {
    pub op_id: i64,
    pub kind: String,
    pub items: Vec<UndoItem>,
}

impl UndoReport {
    /// Entries that could not be restored.
    pub fn skipped(&self) -> usize {
        self.items.iter().filter(|i| i.result == "skipped").count()
    }

    /// Static playlist entries pointed back (or that would be).
    pub fn playlist_entries(&self) -> usize {
        self.items.iter().map(|i| i.playlist_entries).sum()
    }
}

/// The library side of undoing a move whose file is at `src` again (or
/// never left): the track says `src` again (and is active again, after a
/// quarantine), the playlist entries the move repointed point back at it,
/// and the entry is marked `undone`, in one transaction. An entry changed
/// since the operation is left alone and reported. With `dry_run` the same
/// work is done and rolled back, so the counts are what undo would give.
/// Returns the entries pointed back and the problems.
fn unsettle(lib: &Library, op_id: i64, e: &Entry, dry_run: bool) -> Result<(usize, Vec<String>)> {
    let tx = lib.conn().unchecked_transaction().map_err(|x| lib.err(x))?;
    let mut problems = Vec::new();
    if let Some(id) = e.track_id {
        let here = lib.track(id)?;
        let other = lib.track_by_path(&e.src)?.filter(|o| o.id != id);
        match (here, other) {
            (Some(_), Some(other)) => problems.push(format!(
                "{}: the library holds another track there (id {}); track {id} not updated (run `mixtape scan`)",
                e.src.display(),
                other.id
            )),
            // Only a row still at either end of this move is ours to set.
            (Some(t), None) if t.path == e.src || t.path == e.dst => {
                if e.replaced_by.is_some() {
                    lib.set_track_place(id, &e.src, false)?;
                } else {
                    lib.set_track_path(id, &e.src)?;
                }
            }
            _ => {}
        }
    }
    let repoints: Vec<(i64, i64, i64, i64)> = {
        let mut stmt = lib
            .conn()
            .prepare(
                "SELECT playlist_id, position, from_track, to_track FROM journal_repoints
                 WHERE op_id = ?1 AND seq = ?2 AND state = 'done' ORDER BY playlist_id, position",
            )
            .map_err(|x| lib.err(x))?;
        let rows = stmt
            .query_map([op_id, e.seq], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|x| lib.err(x))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|x| lib.err(x))?
    };
    let mut restored = 0;
    for (playlist, position, from, to) in repoints {
        if store::repoint_entry(lib, playlist, position, to, from)? {
            lib.conn()
                .execute(
                    "UPDATE journal_repoints SET state = 'undone'
                     WHERE op_id = ?1 AND playlist_id = ?2 AND position = ?3",
                    params![op_id, playlist, position],
                )
                .map_err(|x| lib.err(x))?;
            restored += 1;
        } else {
            let name = store::name_of(lib, playlist)?.unwrap_or_else(|| playlist.to_string());
            problems.push(format!(
                "playlist '{name}' entry {position}: changed since the operation; left alone"
            ));
        }
    }
    set_state(lib, op_id, e.seq, "undone")?;
    if !dry_run {
        tx.commit().map_err(|x| lib.err(x))?;
    } // else: dropped, rolled back
    Ok((restored, problems))
}

/// Undo operation `id`, or the newest one not yet undone. With `dry_run`
/// nothing is changed and the report says what would happen.
pub fn undo(lib: &Library, id: Option<i64>, dry_run: bool) -> Result<UndoReport> {
    let row: Option<(i64, String, Option<f64>)> = match id {
        Some(id) => lib
            .conn()
            .query_row("SELECT id, kind, undone FROM operations WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional(),
        None => lib
            .conn()
            .query_row(
                "SELECT id, kind, undone FROM operations WHERE undone IS NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional(),
    }
    .map_err(|e| lib.err(e))?;
    let Some((op_id, kind, undone)) = row else {
        return Err(Error::invalid(
            InvalidKind::Unknown,
            "undo",
            match id {
                Some(id) => format!("no operation {id} (see `mixtape undo --list`)"),
                None => "nothing to undo".into(),
            },
        ));
    };
    if undone.is_some() {
        return Err(Error::invalid(
            InvalidKind::Conflict,
            "undo",
            format!("operation {op_id} was already undone"),
        ));
    }
    if id.is_none() {
        refuse_running(lib, op_id)?;
    }
    let entries = load_entries(lib, op_id)?;
    let before = durable(lib)?;
    let mut items = Vec::new();
    // Newest first: folders created last are removed first, moves reversed in order.
    let undone = entries
        .iter()
        .rev()
        .try_for_each(|e| undo_entry(lib, op_id, e, dry_run).map(|item| items.push(item)));
    let _ = lib.conn().pragma_update(None, "synchronous", before);
    undone?;
    if !dry_run {
        lib.conn()
            .execute(
                "UPDATE operations SET undone = ?1 WHERE id = ?2",
                params![now(), op_id],
            )
            .map_err(|e| lib.err(e))?;
    }
    Ok(UndoReport { op_id, kind, items })
}

/// An unfinished operation is interrupted, and undone like any other,
/// unless the process that runs it is still alive: then it is running (a
/// second spelling of the library path escapes the writer lock), and only
/// `undo ID` touches it.
fn refuse_running(lib: &Library, op_id: i64) -> Result<()> {
    let (finished, pid): (Option<f64>, Option<i64>) = lib
        .conn()
        .query_row(
            "SELECT finished, pid FROM operations WHERE id = ?1",
            [op_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| lib.err(e))?;
    match (finished, pid.and_then(|p| u32::try_from(p).ok())) {
        (None, Some(pid))
            if pid != std::process::id() && crate::library::lock::process_alive(pid) =>
        {
            Err(Error::OperationRunning { id: op_id, pid })
        }
        _ => Ok(()),
    }
}

fn load_entries(lib: &Library, op_id: i64) -> Result<Vec<Entry>> {
    let mut stmt = lib
        .conn()
        .prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM journal j WHERE j.op_id = ?1 ORDER BY j.seq"
        ))
        .map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([op_id], entry_from_row)
        .map_err(|e| lib.err(e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))
}

fn undo_entry(lib: &Library, op_id: i64, e: &Entry, dry_run: bool) -> Result<UndoItem> {
    let item = |result: &str, reason: Option<String>| UndoItem {
        src: e.src.clone(),
        dst: e.dst.clone(),
        result: result.to_string(),
        reason,
        playlist_entries: 0,
        playlist_problems: Vec::new(),
        leftovers: Vec::new(),
    };
    if e.state == "undone" || e.state == "failed" {
        return Ok(item("nothing-to-do", None));
    }
    if e.action == Action::Retag {
        let (result, reason) = retag::undo_retag(lib, op_id, e, dry_run)?;
        return Ok(item(result, reason));
    }
    // A run killed (or a machine powered off) during this move or copy may
    // have left its data under a temporary name: deal with that first.
    let left = match e.action {
        Action::Move | Action::Copy if e.state == "planned" => {
            let to_src = (e.action == Action::Move).then_some(e.src.as_path());
            leftovers::resolve(&e.src, &e.dst, e.file_hash, to_src, dry_run)?
        }
        _ => leftovers::Resolution::default(),
    };
    let published = left.published.is_some();
    let mut kept = left.kept;
    let src_exists = e.src.symlink_metadata().is_ok() || published;
    let dst_exists = e.dst.symlink_metadata().is_ok();
    // Does `p` hold the journal's data? An unknown hash never matches: a
    // file is deleted only when it is known to be our copy.
    let hash_is = |p: &Path| -> bool {
        e.file_hash
            .is_some_and(|h| fsops::hash_file(p).is_ok_and(|x| x == h))
    };
    let changed = |p: &Path| -> String {
        if e.file_hash.is_some() {
            format!("{}: changed since the operation; left alone", p.display())
        } else {
            format!(
                "{}: no hash was journalled, so it cannot be told from a file changed since; left alone",
                p.display()
            )
        }
    };
    if !dry_run && e.action == Action::Mkdir {
        leftovers::remove_empty(&e.dst);
    }
    let mut result = match e.action {
        Action::Mkdir => {
            if dst_exists && !dry_run && std::fs::remove_dir(&e.dst).is_err() {
                item("skipped", Some("folder is not empty; left in place".into()))
            } else {
                item("restored", None)
            }
        }
        Action::Retag => item("nothing-to-do", None),
        Action::Rmdir => {
            if !src_exists && !dry_run {
                std::fs::create_dir_all(&e.src).map_err(|x| Error::io(&e.src, x))?;
            }
            item("restored", None)
        }
        Action::Move => {
            // First the file (never overwriting), then the library, which
            // `unsettle` sets from where the file is now: a run killed in
            // between is finished by undoing again.
            let mut result = if published {
                item("restored", None) // from the temporary copy
            } else if !dst_exists {
                if src_exists {
                    item("nothing-to-do", None) // the move never happened
                } else {
                    let reason = if kept.is_empty() {
                        format!(
                            "{}: no longer there (moved or deleted by hand)",
                            e.dst.display()
                        )
                    } else {
                        kept.remove(0) // the leftover is why
                    };
                    item("skipped", Some(reason))
                }
            } else if src_exists {
                // Interrupted between copy and removal, or the original place
                // was taken again: never overwrite. Two names of one file (a
                // hard link), or two copies of the journal's data: the
                // second one goes.
                if fsops::same_file(&e.src, &e.dst) || (hash_is(&e.dst) && hash_is(&e.src)) {
                    if !dry_run {
                        std::fs::remove_file(&e.dst).map_err(|x| Error::io(&e.dst, x))?;
                    }
                    item("removed-copy", None)
                } else {
                    item(
                        "skipped",
                        Some(format!(
                            "{}: original place is taken; not overwriting",
                            e.src.display()
                        )),
                    )
                }
            } else if e.file_hash.is_some() && !hash_is(&e.dst) {
                item("skipped", Some(changed(&e.dst)))
            } else {
                // Moving back loses nothing, so an unknown hash is no obstacle.
                if !dry_run {
                    fsops::transfer(&e.dst, &e.src, Mode::Move)?;
                }
                item("restored", None)
            };
            result.leftovers = kept;
            if result.result != "skipped" {
                let (entries, problems) = unsettle(lib, op_id, e, dry_run)?;
                result.playlist_entries = entries;
                result.playlist_problems = problems;
            }
            return Ok(result);
        }
        Action::Copy => {
            if !dst_exists {
                item("nothing-to-do", None)
            } else if !hash_is(&e.dst) {
                item("skipped", Some(changed(&e.dst)))
            } else {
                if !dry_run {
                    std::fs::remove_file(&e.dst).map_err(|x| Error::io(&e.dst, x))?;
                    if let Some(id) = e.track_id {
                        if let Some(t) = lib.track(id)? {
                            if t.path == e.dst {
                                lib.set_track_path(id, &e.src)?;
                            }
                        }
                    }
                }
                item("removed-copy", None)
            }
        }
    };
    result.leftovers = kept;
    if !dry_run && result.result != "skipped" {
        lib.conn()
            .execute(
                "UPDATE journal SET state = 'undone' WHERE op_id = ?1 AND seq = ?2",
                params![op_id, e.seq],
            )
            .map_err(|x| lib.err(x))?;
    }
    Ok(result)
}
