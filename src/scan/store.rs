//! The library side of a scan: the roots registered, the tracks known
//! under them loaded, the tracks whose files are gone indexed by hash (to
//! recognise a move), each read result applied inside the writer's batch
//! transaction (new, changed, moved, unreadable), and at the end the tracks
//! still gone marked missing (or pruned).

use super::*;

/// State the writer keeps while applying results.
pub(super) struct WriterState {
    /// Tracks whose file is gone, by file_hash / audio_hash: move targets.
    pub(super) gone_by_file: HashMap<Vec<u8>, Vec<i64>>,
    pub(super) gone_by_audio: HashMap<Vec<u8>, Vec<i64>>,
    pub(super) claimed: HashSet<i64>,
    pub(super) summary: ScanSummary,
    pub(super) now: f64,
}

pub(super) fn register_roots(lib: &Library, roots: &[PathBuf]) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for r in roots {
        let b = path_to_bytes(r);
        lib.conn()
            .execute(
                "INSERT OR IGNORE INTO roots(path, added) VALUES (?1, ?2)",
                params![b, now()],
            )
            .map_err(|e| lib.err(e))?;
        let id: i64 = lib
            .conn()
            .query_row("SELECT id FROM roots WHERE path = ?1", [b], |r| r.get(0))
            .map_err(|e| lib.err(e))?;
        ids.push(id);
    }
    Ok(ids)
}

/// SQL range matching a path and everything below it (raw byte order):
/// `path = root OR (path >= root/ AND path < root0)` ('0' follows '/').
pub(super) fn below(root: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let exact = path_to_bytes(root);
    let mut lo = exact.clone();
    if lo.last() != Some(&b'/') {
        lo.push(b'/');
    }
    let mut hi = lo.clone();
    if let Some(last) = hi.last_mut() {
        *last = b'0';
    }
    (exact, lo, hi)
}

pub(super) fn load_known(lib: &Library, roots: &[PathBuf]) -> Result<HashMap<PathBuf, Known>> {
    let mut known = HashMap::new();
    let mut stmt = lib
        .conn()
        .prepare(
            "SELECT id, path, size, mtime, missing,
                    analysed IS NULL OR analysed < ?4, quarantined, cue_mtime
             FROM tracks WHERE (path = ?1 OR (path >= ?2 AND path < ?3)) AND cue_track IS NULL",
        )
        .map_err(|e| lib.err(e))?;
    for root in roots {
        let (exact, lo, hi) = below(root);
        let rows = stmt
            .query_map(params![exact, lo, hi, media::ANALYSIS_VERSION], |r| {
                Ok((
                    bytes_to_path(&r.get::<_, Vec<u8>>(1)?),
                    Known {
                        id: r.get(0)?,
                        size: r.get::<_, i64>(2)? as u64,
                        mtime: r.get(3)?,
                        missing: r.get::<_, i64>(4)? != 0,
                        needs_fingerprint: r.get::<_, i64>(5)? != 0,
                        quarantined: r.get::<_, i64>(6)? != 0,
                        cue_mtime: r.get(7)?,
                    },
                ))
            })
            .map_err(|e| lib.err(e))?;
        for row in rows {
            let (p, k) = row.map_err(|e| lib.err(e))?;
            known.insert(p, k);
        }
    }
    Ok(known)
}

pub(super) type HashIndex = HashMap<Vec<u8>, Vec<i64>>;

/// Index the hashes of tracks that may have moved: those gone in this scan
/// and those already marked missing anywhere in the library (quarantined
/// ones only when gone in this scan). Within each hash, active tracks come
/// before quarantined ones, so a moved file goes back to the active track
/// it belongs to before a quarantined exact copy.
pub(super) fn move_candidates(lib: &Library, gone: &[i64]) -> Result<(HashIndex, HashIndex)> {
    let mut by_file: HashIndex = HashMap::new();
    let mut by_audio: HashIndex = HashMap::new();
    let gone: HashSet<i64> = gone.iter().copied().collect();
    let mut quarantined: HashSet<i64> = HashSet::new();
    let mut stmt = lib
        .conn()
        .prepare(
            "SELECT id, missing, file_hash, audio_hash, quarantined FROM tracks
             WHERE file_hash IS NOT NULL",
        )
        .map_err(|e| lib.err(e))?;
    // Only rows that are gone or missing matter; scanning ids is cheap next to hashing.
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)? != 0,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, i64>(4)? != 0,
            ))
        })
        .map_err(|e| lib.err(e))?;
    for row in rows {
        let (id, missing, fh, ah, q) = row.map_err(|e| lib.err(e))?;
        if !(missing || gone.contains(&id)) {
            continue;
        }
        if q {
            // A quarantined file deleted by hand earlier (the quarantine
            // folder emptied) must not take a later copy of its keeper.
            if !gone.contains(&id) {
                continue;
            }
            quarantined.insert(id);
        }
        if let Some(h) = fh {
            by_file.entry(h).or_default().push(id);
        }
        if let Some(h) = ah {
            by_audio.entry(h).or_default().push(id);
        }
    }
    if !quarantined.is_empty() {
        for ids in by_file.values_mut().chain(by_audio.values_mut()) {
            // Stable: otherwise in id order, as read.
            ids.sort_by_key(|id| quarantined.contains(id));
        }
    }
    Ok((by_file, by_audio))
}

/// The writer's handling of one read result (inside the batch transaction).
pub(super) fn apply(
    tx: &rusqlite::Transaction<'_>,
    st: &mut WriterState,
    op: WriteOp,
) -> Result<()> {
    let (id, file, refill, image) = match op {
        WriteOp::Read {
            id,
            file,
            refill,
            image,
        } => (id, file, refill, image),
        WriteOp::Skipped { path, problem } => {
            st.summary.skipped += 1;
            st.summary.skipped_files.push((path, problem.message));
            return Ok(());
        }
    };
    let (path, info) = (&file.path, &file.info);
    let db = |e| Error::db(path, e);
    match info {
        Err(problem) => {
            st.summary
                .errors
                .push((path.clone(), problem.message.clone()));
        }
        Ok(m) => {
            if let Some((_, text)) = m.error() {
                st.summary.errors.push((path.clone(), text));
            }
        }
    }
    // A file that could not be read at all is counted as unreadable (its
    // row records why); a refill was counted as unchanged already.
    let unreadable = info.is_err() && !refill;
    if unreadable {
        st.summary.unreadable += 1;
    }
    let row = match id {
        Some(id) => {
            writer::update_track(tx, id, &file, st.now).map_err(db)?;
            if refill {
                st.summary.fingerprinted += 1;
            } else if !unreadable {
                st.summary.changed += 1;
            }
            id
        }
        None => {
            // A new path: is it a track whose file moved here?
            let moved_from = info.as_ref().ok().and_then(|m| {
                let claim = |idx: &HashIndex, h: &[u8], claimed: &HashSet<i64>| {
                    idx.get(h)
                        .and_then(|ids| ids.iter().copied().find(|i| !claimed.contains(i)))
                };
                claim(&st.gone_by_file, &m.file_hash, &st.claimed).or_else(|| {
                    m.audio_hash
                        .and_then(|a| claim(&st.gone_by_audio, &a, &st.claimed))
                })
            });
            match moved_from {
                Some(old) => {
                    st.claimed.insert(old);
                    writer::update_track(tx, old, &file, st.now).map_err(db)?;
                    st.summary.moved += 1;
                    old
                }
                None => {
                    let new = writer::insert_track(tx, &file, st.now).map_err(db)?;
                    if !unreadable {
                        st.summary.new += 1;
                    }
                    new
                }
            }
        }
    };
    if let Some(img) = &image {
        st.summary.errors.extend(img.warnings.iter().cloned());
    }
    // An image's tracks follow its row (its path, when it moved).
    let tracks = image::write_image(tx, row, &file, image.as_deref(), st.now).map_err(db)?;
    if tracks > 0 {
        st.summary.images += 1;
        st.summary.image_tracks += tracks as u64;
    }
    Ok(())
}

pub(super) fn mark_missing(lib: &mut Library, ids: &[i64]) -> Result<u64> {
    let path = lib.path().to_path_buf();
    let tx = lib
        .conn_mut()
        .transaction()
        .map_err(|e| Error::db(&path, e))?;
    {
        let mut stmt = tx
            .prepare("UPDATE tracks SET missing = 1 WHERE id = ?1 OR image_id = ?1")
            .map_err(|e| Error::db(&path, e))?;
        for id in ids {
            stmt.execute([id]).map_err(|e| Error::db(&path, e))?;
        }
    }
    tx.commit().map_err(|e| Error::db(&path, e))?;
    Ok(ids.len() as u64)
}

/// Delete missing tracks under `roots`. Static playlist entries keep the last
/// known path in `source`, so they show as missing instead of vanishing.
pub(super) fn prune(lib: &mut Library, roots: &[PathBuf]) -> Result<u64> {
    let path = lib.path().to_path_buf();
    let tx = lib
        .conn_mut()
        .transaction()
        .map_err(|e| Error::db(&path, e))?;
    let mut n = 0;
    for root in roots {
        let (exact, lo, hi) = below(root);
        let cond = "missing = 1 AND (path = ?1 OR (path >= ?2 AND path < ?3))";
        tx.execute(
            &format!(
                "UPDATE playlist_entries SET source = COALESCE(source,
                   (SELECT CAST(t.path AS TEXT) FROM tracks t WHERE t.id = playlist_entries.track_id))
                 WHERE track_id IN (SELECT id FROM tracks WHERE {cond})"
            ),
            params![exact, lo, hi],
        )
        .map_err(|e| Error::db(&path, e))?;
        n += tx
            .execute(
                &format!("DELETE FROM tracks WHERE {cond}"),
                params![exact, lo, hi],
            )
            .map_err(|e| Error::db(&path, e))? as u64;
    }
    tx.commit().map_err(|e| Error::db(&path, e))?;
    Ok(n)
}
