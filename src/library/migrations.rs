//! Numbered, append-only schema migrations. The schema version lives in
//! `PRAGMA user_version`; each upgrade runs in one transaction, and a
//! database newer than [`LATEST`] is refused before anything is written
//! (see application-services' `open_database.rs`).

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The migrations, in order: index 0 takes version 0 to 1, and so on.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_fp_keys.sql"),
    include_str!("migrations/0003_kinds_quality_quarantine.sql"),
    include_str!("migrations/0004_quarantine_repoints.sql"),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Bring the database at `path` up to [`LATEST`].
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| Error::db(path, e))?;
    if version > LATEST {
        return Err(Error::NewerLibrary {
            path: path.to_path_buf(),
            found: version,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(|e| Error::db(path, e))?;
        tx.execute_batch(sql).map_err(|e| Error::db(path, e))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(|e| Error::db(path, e))?;
        tx.commit().map_err(|e| Error::db(path, e))?;
    }
    Ok(())
}
