//! Numbered, append-only schema migrations. The schema version lives in
//! `PRAGMA user_version`; each upgrade runs in one transaction, and a
//! database newer than [`LATEST`] is refused before anything is written
//! (see application-services' `open_database.rs`). Each step is a `BEGIN
//! IMMEDIATE` transaction that reads the version again inside, so two
//! processes opening a library at once never run a step twice.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};

/// The migrations, in order: index 0 takes version 0 to 1, and so on.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_fp_keys.sql"),
    include_str!("migrations/0003_kinds_quality_quarantine.sql"),
    include_str!("migrations/0004_quarantine_repoints.sql"),
    include_str!("migrations/0005_app_id_operation_pid.sql"),
    include_str!("migrations/0006_retag_journal.sql"),
    include_str!("migrations/0007_multi_valued_tags.sql"),
    include_str!("migrations/0008_cue_images.sql"),
    include_str!("migrations/0009_catalog.sql"),
    include_str!("migrations/0010_loudness.sql"),
];

/// `PRAGMA application_id` of a mixtape library ('mxtp'), set by 0005.
pub const APPLICATION_ID: i64 = 0x6D78_7470;

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA user_version`: the schema version of the database.
fn version(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Where the version found is newer than this build: `Some(error)`.
fn too_new(path: &Path, found: i64) -> Option<Error> {
    (found > LATEST).then(|| Error::NewerLibrary {
        path: path.to_path_buf(),
        found,
        supported: LATEST,
    })
}

/// Bring the database at `path` up to [`LATEST`].
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let db = |e| Error::db(path, e);
    let v = version(conn).map_err(db)?;
    if let Some(e) = too_new(path, v) {
        return Err(e);
    }
    if v == LATEST {
        return Ok(());
    }
    // A step may rebuild a table (0008), which with foreign keys on would
    // cascade into the tables pointing at it. The pragma is a no-op inside a
    // transaction, so it is set around the steps, and each step checks the
    // keys itself before it commits.
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(db)?;
    let done = steps(conn, path);
    conn.pragma_update(None, "foreign_keys", true).map_err(db)?;
    done
}

/// The migration steps of [`migrate`], with foreign keys off.
fn steps(conn: &mut Connection, path: &Path) -> Result<()> {
    let db = |e| Error::db(path, e);
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let v = version(&tx).map_err(db)?;
        if let Some(e) = too_new(path, v) {
            return Err(e);
        }
        if v == LATEST {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[v as usize]).map_err(db)?;
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if let Some(table) = broken {
            return Err(Error::Internal(format!(
                "{}: migration {} leaves a broken reference in {table}",
                path.display(),
                v + 1
            )));
        }
        tx.pragma_update(None, "user_version", v + 1).map_err(db)?;
        tx.commit().map_err(db)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0008 rebuilds `tracks`: ids, the AUTOINCREMENT mark, and the rows
    /// that point at tracks (playlist entries) all survive, and an image's
    /// tracks may then share its path.
    #[test]
    fn the_tracks_rebuild_keeps_ids_references_and_the_id_mark() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        for (i, m) in MIGRATIONS[..7].iter().enumerate() {
            c.execute_batch(m).unwrap();
            c.pragma_update(None, "user_version", i as i64 + 1).unwrap();
        }
        c.execute_batch(
            "INSERT INTO tracks(id, path, size, mtime, added, scanned, title)
                 VALUES (5, x'2f612e666c6163', 1, 0, 0, 0, 'A'), (9, x'2f622e666c6163', 1, 0, 0, 0, 'B');
             DELETE FROM tracks WHERE id = 9;
             INSERT INTO playlists(id, name, created, modified) VALUES (1, 'p', 0, 0);
             INSERT INTO playlist_entries(playlist_id, position, track_id) VALUES (1, 0, 5);",
        )
        .unwrap();
        migrate(&mut c, Path::new("lib.db")).unwrap();
        let fk: bool = c
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(fk);
        let entry: i64 = c
            .query_row("SELECT track_id FROM playlist_entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(entry, 5);
        let title: String = c
            .query_row("SELECT title FROM tracks WHERE id = 5", [], |r| r.get(0))
            .unwrap();
        assert_eq!(title, "A");
        // A pruned id is never handed out again.
        c.execute(
            "INSERT INTO tracks(path, size, mtime, added, scanned) VALUES (x'2f63', 1, 0, 0, 0)",
            [],
        )
        .unwrap();
        assert_eq!(c.last_insert_rowid(), 10);
        // Image tracks share the image's path; a file still has one row.
        c.execute(
            "INSERT INTO tracks(path, size, mtime, added, scanned, image_id, cue_track)
             VALUES (x'2f612e666c6163', 1, 0, 0, 0, 5, 1)",
            [],
        )
        .unwrap();
        assert!(c
            .execute(
                "INSERT INTO tracks(path, size, mtime, added, scanned) VALUES (x'2f612e666c6163', 1, 0, 0, 0)",
                [],
            )
            .is_err());
    }

    /// A library of schema 9 upgrades to 0010: its measured loudness is
    /// kept, and the album and ReplayGain columns start empty.
    #[test]
    fn a_version_9_library_gains_the_loudness_columns() {
        let mut c = Connection::open_in_memory().unwrap();
        for (i, m) in MIGRATIONS[..9].iter().enumerate() {
            c.execute_batch(m).unwrap();
            c.pragma_update(None, "user_version", i as i64 + 1).unwrap();
        }
        c.execute_batch(
            "INSERT INTO tracks(id, path, size, mtime, added, scanned, loudness, true_peak)
                 VALUES (3, x'2f612e666c6163', 1, 0, 0, 0, -9.5, -1.25)",
        )
        .unwrap();
        migrate(&mut c, Path::new("lib.db")).unwrap();
        assert_eq!(version(&c).unwrap(), LATEST);
        let row: (
            f64,
            f64,
            Option<f64>,
            Option<f64>,
            Option<String>,
            Option<f64>,
        ) = c
            .query_row(
                "SELECT loudness, true_peak, album_loudness, album_peak, album_key, rg_track_gain
                 FROM tracks WHERE id = 3",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(row, (-9.5, -1.25, None, None, None, None));
        for col in ["rg_track_peak", "rg_album_gain", "rg_album_peak"] {
            let v: Option<f64> = c
                .query_row(&format!("SELECT {col} FROM tracks"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, None, "{col}");
        }
    }
}
