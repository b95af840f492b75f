//! Opening a library: for reading, for writing, or for a cache refresh.
//!
//! Before anything is written the file is looked at without side effects
//! ([`probe`]): a read-only SQLite connection (`immutable=1` when no `-wal`
//! file is beside it, so not even a `-shm` file appears) reads the schema
//! version, the application id and the table names. A non-SQLite file, a
//! SQLite database of another program and a library from a newer mixtape
//! are refused there, byte for byte untouched.
//!
//! - Readers ([`Library::open_read`]) open `SQLITE_OPEN_READ_ONLY`, never
//!   create a file or folder, never take the writer lock, and so never
//!   wait for a writer (WAL; a busy timeout covers checkpoints). In a
//!   read-only folder, where SQLite cannot create the `-shm` file a WAL
//!   database needs, a library without a pending `-wal` is read as
//!   immutable.
//! - Writers ([`Library::open_write`]) take the writer lock
//!   ([`super::lock`]) first, then migrate. Only `scan` creates a library.
//!   A new library is migrated before it is switched to WAL, so its header
//!   (application id, version) is on disk from its first commit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::lock::{LockHolder, Wait, WriteLock};
use super::{migrations, Library};
use crate::error::{Error, Result};

/// How [`Library::open_write`] opens.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Create the library (and its folder) if there is none (`scan`).
    pub create: bool,
    /// Wait for another writer, or fail at once.
    pub wait: Wait,
}

/// What is at a library path, found without changing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// No file.
    Missing,
    /// An empty file, or a SQLite database with no tables: a library to be.
    Empty,
    /// A mixtape library of this schema version (not newer than ours).
    Mixtape(i64),
}

/// Look at the file at `path` without changing it. Errors: a folder, not
/// SQLite ([`Error::NotALibrary`]), another program's database
/// ([`Error::ForeignDatabase`]), a newer library ([`Error::NewerLibrary`]).
pub fn probe(path: &Path) -> Result<Probe> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Missing),
        Err(e) => return Err(Error::io(path, e)),
    };
    if meta.is_dir() {
        return Err(Error::at(path, "library path is a folder, expected a file"));
    }
    if meta.len() == 0 {
        return Ok(Probe::Empty);
    }
    let mut magic = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::NotALibrary {
                path: path.to_path_buf(),
            },
            _ => Error::io(path, e),
        });
    read?;
    if &magic != b"SQLite format 3\0" {
        return Err(Error::NotALibrary {
            path: path.to_path_buf(),
        });
    }
    let conn = connect(path, !wal_pending(path))?;
    let map = |e| open_error(path, e);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(map)?;
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(map)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| {
            let names = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>();
            names
        })
        .map_err(map)?;
    let has = |t: &str| tables.iter().any(|n| n == t);
    let ours = app_id == migrations::APPLICATION_ID
        || (app_id == 0 && has("tracks") && has("roots") && has("operations"));
    if !ours {
        if app_id == 0 && version == 0 && tables.is_empty() {
            return Ok(Probe::Empty);
        }
        return Err(Error::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    if version > migrations::LATEST {
        return Err(Error::NewerLibrary {
            path: path.to_path_buf(),
            found: version,
            supported: migrations::LATEST,
        });
    }
    Ok(Probe::Mixtape(version))
}

/// `path` with `suffix` appended to its file name (`-wal`, `.lock`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether a non-empty `-wal` file (changes not yet in the main file) is
/// beside the database.
fn wal_pending(path: &Path) -> bool {
    std::fs::metadata(sibling(path, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// A `file:` URI for `path`, read-only, optionally immutable.
fn uri(path: &Path, immutable: bool) -> String {
    let bytes = super::path_to_bytes(path);
    let mut s = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.push_str("?mode=ro");
    if immutable {
        s.push_str("&immutable=1");
    }
    s
}

/// A read-only connection (`immutable`: no locking, no `-shm`; only for a
/// file nobody is changing).
fn connect(path: &Path, immutable: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        uri(path, immutable),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| open_error(path, e))?;
    Ok(conn)
}

/// A SQLite error met while opening, as a library error: "not a database"
/// is [`Error::NotALibrary`], a file SQLite cannot open is an I/O error
/// saying so once.
pub(crate) fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            rusqlite::ErrorCode::NotADatabase => {
                return Error::NotALibrary {
                    path: path.to_path_buf(),
                }
            }
            rusqlite::ErrorCode::CannotOpen => {
                return Error::at(
                    path,
                    "cannot open the library file (is its folder readable?)",
                )
            }
            _ => {}
        }
    }
    Error::db(path, e)
}

/// The settings every connection gets: a busy timeout, the query
/// functions, and `BEGIN IMMEDIATE` for every transaction (a deferred one
/// that reads and then writes fails at once with "database is locked"
/// when another connection wrote in between, whatever the timeout).
fn configure(conn: &mut Connection, path: &Path) -> Result<()> {
    let map = |e| open_error(path, e);
    conn.busy_timeout(Duration::from_secs(30)).map_err(map)?;
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    conn.execute_batch(
        // A page cache of up to 64 MiB (it grows only as pages are used): a
        // query over a large library then finds its pages in memory instead
        // of reading them through read(2) again.
        "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;",
    )
    .map_err(map)?;
    // REGEXP and mixtape_lower(), which query SQL relies on.
    super::functions::register_functions(conn).map_err(map)?;
    Ok(())
}

/// A read-only connection to a library and its schema version. In a
/// read-only folder, where SQLite cannot create the `-shm` file a WAL
/// database needs, a library with no pending `-wal` is read as immutable:
/// nobody is writing it (nobody can), so the main file is all of it.
pub(crate) fn read_connection(path: &Path) -> Result<(Connection, i64)> {
    let attempt = |immutable: bool| -> rusqlite::Result<(Connection, i64)> {
        let conn = Connection::open_with_flags(
            uri(path, immutable),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok((conn, version))
    };
    let (conn, version) = match attempt(false) {
        Ok(x) => x,
        Err(e)
            if !wal_pending(path)
                && matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) =>
        {
            attempt(true).map_err(|e| open_error(path, e))?
        }
        Err(e) => return Err(open_error(path, e)),
    };
    Ok((conn, version))
}

impl Library {
    /// Open the library at `path` for reading only. Never creates anything,
    /// never waits for a writer. A library of an older schema is upgraded
    /// first when that can be done at once (else [`Error::OlderLibrary`]).
    pub fn open_read(path: &Path) -> Result<Library> {
        match probe(path)? {
            Probe::Missing | Probe::Empty => {
                return Err(Error::NoLibrary {
                    path: path.to_path_buf(),
                })
            }
            Probe::Mixtape(v) if v < migrations::LATEST => {
                let upgraded = Library::open_write(
                    path,
                    WriteOptions {
                        create: false,
                        wait: Wait::No,
                    },
                    &mut |_| {},
                );
                if upgraded.is_err() && probe(path)? != Probe::Mixtape(migrations::LATEST) {
                    return Err(Error::OlderLibrary {
                        path: path.to_path_buf(),
                        found: v,
                        supported: migrations::LATEST,
                    });
                }
            }
            Probe::Mixtape(_) => {}
        }
        let (mut conn, version) = read_connection(path)?;
        if version > migrations::LATEST {
            return Err(Error::NewerLibrary {
                path: path.to_path_buf(),
                found: version,
                supported: migrations::LATEST,
            });
        }
        configure(&mut conn, path)?;
        Ok(Library {
            conn,
            path: path.to_path_buf(),
            lock: None,
        })
    }

    /// Open the library at `path` for writing: take the writer lock
    /// (calling `on_wait` once if another process holds it and we wait),
    /// then migrate. Creates the library only with `opts.create`.
    pub fn open_write(
        path: &Path,
        opts: WriteOptions,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<Library> {
        let missing = || Error::NoLibrary {
            path: path.to_path_buf(),
        };
        match probe(path)? {
            Probe::Missing | Probe::Empty if !opts.create => return Err(missing()),
            Probe::Missing => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
            }
            _ => {}
        }
        let lock = WriteLock::acquire(path, opts.wait, on_wait)?;
        // Looked at again: it may have changed while we waited.
        let fresh = match probe(path)? {
            Probe::Mixtape(_) => false,
            _ if !opts.create => return Err(missing()),
            _ => true,
        };
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if opts.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        configure(&mut conn, path)?;
        let wal = |conn: &Connection| {
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .and_then(|_| conn.execute_batch("PRAGMA synchronous = NORMAL"))
                .map_err(|e| open_error(path, e))
        };
        if fresh {
            migrations::migrate(&mut conn, path)?;
            wal(&conn)?;
        } else {
            wal(&conn)?;
            migrations::migrate(&mut conn, path)?;
        }
        Ok(Library {
            conn,
            path: path.to_path_buf(),
            lock: Some(lock),
        })
    }

    /// Whether this library was opened for writing (it holds the lock).
    pub fn is_writer(&self) -> bool {
        self.lock.is_some()
    }

    /// Run `write` for an optional write a reader makes (a cache such as
    /// `dupe_members`, or finishing interrupted moves): on this library if
    /// it is a writer; else on a writing connection of its own, if the
    /// writer lock is free right now and the library can be written.
    /// `Ok(None)` when it could not be done (busy, read-only).
    pub fn with_cache_writer<T>(
        &self,
        write: impl FnOnce(&Library) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.is_writer() {
            return write(self).map(Some);
        }
        let Ok(Some(lock)) = WriteLock::try_now(&self.path) else {
            return Ok(None);
        };
        let Ok(mut conn) = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) else {
            return Ok(None);
        };
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            return Ok(None);
        }
        configure(&mut conn, &self.path)?;
        let lib = Library {
            conn,
            path: self.path.clone(),
            lock: Some(lock),
        };
        write(&lib).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_wait() -> WriteOptions {
        WriteOptions {
            create: false,
            wait: Wait::No,
        }
    }

    #[test]
    fn uri_escapes_what_sqlite_would_read_as_syntax() {
        assert_eq!(
            uri(Path::new("/a b/x?y#%.db"), true),
            "file:/a%20b/x%3Fy%23%25.db?mode=ro&immutable=1"
        );
    }

    #[test]
    fn transactions_are_immediate() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lib.db");
        let lib = Library::open(&p).unwrap();
        let tx = lib.conn().unchecked_transaction().unwrap();
        // The write lock is taken at BEGIN: another connection cannot.
        let other = Connection::open(&p).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();
        let err = other.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy)
        );
        drop(tx);
    }

    #[test]
    fn readers_and_writers_need_a_library_and_create_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub").join("lib.db");
        assert!(matches!(
            Library::open_read(&p),
            Err(Error::NoLibrary { .. })
        ));
        assert!(matches!(
            Library::open_write(&p, no_wait(), &mut |_| {}),
            Err(Error::NoLibrary { .. })
        ));
        assert!(!d.path().join("sub").exists());
    }

    #[test]
    fn reader_cannot_write_and_cache_writer_can() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lib.db");
        drop(Library::open(&p).unwrap());
        let r = Library::open_read(&p).unwrap();
        assert!(!r.is_writer());
        assert!(r.conn().execute("DELETE FROM roots", []).is_err());
        let n = r
            .with_cache_writer(|w| Ok(w.conn().execute("DELETE FROM roots", []).unwrap()))
            .unwrap();
        assert_eq!(n, Some(0));
        // Not while another writer holds the lock.
        let w = Library::open_write(&p, no_wait(), &mut |_| {}).unwrap();
        assert!(r.with_cache_writer(|_| Ok(())).unwrap().is_none());
        assert!(matches!(
            Library::open_write(&p, no_wait(), &mut |_| {}),
            Err(Error::LibraryBusy { .. })
        ));
        drop(w);
    }
}
