//! Numbered, append-only schema migrations. The schema version lives in
//! `PRAGMA user_version`; each upgrade runs in one transaction, and a
//! database newer than [`LATEST`] is refused before anything is written
//! (see application-services' `open_database.rs`). Each step is a `BEGIN
//! IMMEDIATE` transaction that reads the version again inside, so two
//! processes opening a library at once never run a step twice.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

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
    // 0008 belongs to a change made beside this one; it goes here when
    // both are merged, before 0009.
    include_str!("migrations/0009_catalog.sql"),
];

/// `PRAGMA application_id` of a mixtape library ('mxtp'), set by 0005.
pub const APPLICATION_ID: i64 = 0x6D78_7470;

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Bring the database at `path` up to [`LATEST`].
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let db = |e| Error::db(path, e);
    let newer = |found| Error::NewerLibrary {
        path: path.to_path_buf(),
        found,
        supported: LATEST,
    };
    let version = |c: &Connection| c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
    match version(conn).map_err(db)? {
        v if v > LATEST => return Err(newer(v)),
        LATEST => return Ok(()),
        _ => {}
    }
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let v = version(&tx).map_err(db)?;
        if v > LATEST {
            return Err(newer(v));
        }
        if v == LATEST {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[v as usize]).map_err(db)?;
        tx.pragma_update(None, "user_version", v + 1).map_err(db)?;
        tx.commit().map_err(db)?;
    }
}
