//! The library database: where it lives, how it is opened and migrated, and
//! the typed reads and writes the rest of mixtape uses.
//!
//! Invariants:
//! - Paths are stored as raw OS bytes (`BLOB`), so a non-UTF-8 name
//!   round-trips byte for byte ([`path_to_bytes`], [`bytes_to_path`]).
//! - `tracks.id` is a track's identity; it survives moves and renames.
//! - The schema is versioned with numbered, append-only migrations in
//!   `migrations/`; a database from a newer mixtape is refused untouched.
//! - One process writes at a time: commands that write hold the writer
//!   lock ([`lock`]); readers open read-only and never wait ([`open`]).
//!   During a scan exactly one thread writes (see [`writer`]).

pub mod functions;
pub mod image;
pub mod lock;
pub mod migrations;
pub mod open;
pub mod track;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
pub use track::{Track, TrackField, FIELDS};

/// An open library: for reading, or for writing with the writer lock held
/// (see [`open`] and [`lock`]).
pub struct Library {
    // Declared before `lock`, so the connection closes (and checkpoints)
    // while the lock is still held.
    conn: Connection,
    path: PathBuf,
    lock: Option<lock::WriteLock>,
}

impl Library {
    /// Open (creating if needed) the library at `path`, migrating it to the
    /// current schema, for tests and tools: the writer lock is held only
    /// while opening (commands use [`Library::open_write`], which keeps it).
    /// A newer schema, another program's database or a non-SQLite file is
    /// refused and left untouched.
    pub fn open(path: &Path) -> Result<Library> {
        let opts = open::WriteOptions {
            create: true,
            wait: lock::Wait::Yes,
        };
        let mut lib = Library::open_write(path, opts, &mut |_| {})?;
        lib.lock = None;
        Ok(lib)
    }

    /// A second, read-only connection to a library another connection has
    /// already opened (and migrated): for reads alongside the single writer.
    pub fn open_reader(path: &Path) -> Result<Library> {
        let (conn, _) = open::read_connection(path)?;
        Ok(Library {
            conn,
            path: path.to_path_buf(),
            lock: None,
        })
    }

    /// The library file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for modules that own their own SQL
    /// (inside the crate only: the CLI holds no SQL).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access to the connection (transactions).
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Map a rusqlite error to a library error carrying the library path.
    pub fn err(&self, e: rusqlite::Error) -> Error {
        Error::db(&self.path, e)
    }

    /// Load one track by id.
    pub fn track(&self, id: i64) -> Result<Option<Track>> {
        let sql = format!("SELECT {} FROM tracks WHERE id = ?1", track::SELECT_COLUMNS);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query([id]).map_err(|e| self.err(e))?;
        match rows.next().map_err(|e| self.err(e))? {
            Some(row) => Ok(Some(Track::from_row(row).map_err(|e| self.err(e))?)),
            None => Ok(None),
        }
    }

    /// The present (not missing) tracks whose file has these bytes.
    pub fn tracks_with_file_hash(&self, hash: &[u8; 32]) -> Result<Vec<Track>> {
        let sql = format!(
            "SELECT {} FROM tracks WHERE file_hash = ?1 AND missing = 0",
            track::SELECT_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&hash[..]], Track::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Load one track by its exact path.
    pub fn track_by_path(&self, path: &Path) -> Result<Option<Track>> {
        let sql = format!(
            "SELECT {} FROM tracks WHERE path = ?1 AND cue_track IS NULL",
            track::SELECT_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query([path_to_bytes(path)]).map_err(|e| self.err(e))?;
        match rows.next().map_err(|e| self.err(e))? {
            Some(row) => Ok(Some(Track::from_row(row).map_err(|e| self.err(e))?)),
            None => Ok(None),
        }
    }

    /// Run a SELECT over `tracks` with a WHERE/ORDER BY tail built by the
    /// query language (unit tests of the generated SQL only).
    #[cfg(test)]
    pub(crate) fn tracks_where(
        &self,
        where_order: &str,
        params: &[rusqlite::types::Value],
    ) -> Result<Vec<Track>> {
        let sql = format!(
            "SELECT {} FROM tracks {}",
            track::SELECT_COLUMNS,
            where_order
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), Track::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// All scanned roots.
    pub fn roots(&self) -> Result<Vec<(i64, PathBuf)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, path FROM roots ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, bytes_to_path(&r.get::<_, Vec<u8>>(1)?)))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The scanned root that contains `path`, if any (longest match).
    pub fn root_of(&self, path: &Path) -> Result<Option<PathBuf>> {
        Ok(self
            .roots()?
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len()))
    }

    /// Record that `track_id` now lives at `new_path` (organise, undo); the
    /// tracks of a CUE image follow their image's row. Identity, playlists
    /// and the quarantine state are untouched.
    pub fn set_track_path(&self, track_id: i64, new_path: &Path) -> Result<()> {
        let root = self.root_id_for(new_path)?;
        self.conn
            .execute(
                "UPDATE tracks SET path = ?1, root_id = ?2, missing = 0
                 WHERE id = ?3 OR image_id = ?3",
                rusqlite::params![path_to_bytes(new_path), root, track_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Record that `track_id` now lives at `new_path`, out of the active
    /// library (`quarantined`: moved there by `dupes --move-to`) or back in
    /// it (undo). Identity is untouched; playlists are the caller's business.
    pub fn set_track_place(&self, track_id: i64, new_path: &Path, quarantined: bool) -> Result<()> {
        let root = self.root_id_for(new_path)?;
        self.conn
            .execute(
                "UPDATE tracks SET path = ?1, root_id = ?2, missing = 0, quarantined = ?3
                 WHERE id = ?4 OR image_id = ?4",
                rusqlite::params![path_to_bytes(new_path), root, quarantined, track_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Store measured loudness, `(track_id, integrated LUFS, true peak
    /// dBTP)` per track, in one transaction (what `export --normalize`
    /// measured, kept so the next export does not measure it again).
    pub fn set_loudness(&mut self, measured: &[(i64, f64, f64)]) -> Result<()> {
        if measured.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let db = |e| Error::db(&path, e);
        let tx = self.conn.transaction().map_err(db)?;
        for &(id, lufs, tp) in measured {
            tx.execute(
                "UPDATE tracks SET loudness = ?1, true_peak = ?2 WHERE id = ?3",
                rusqlite::params![lufs, tp, id],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Store albums' loudness, `(track_id, album LUFS, album true peak
    /// dBTP, album key)` for every track of each album, in one transaction.
    pub fn set_album_loudness(&mut self, measured: &[(i64, f64, f64, String)]) -> Result<()> {
        if measured.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let db = |e| Error::db(&path, e);
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE tracks SET album_loudness = ?1, album_peak = ?2, album_key = ?3
                     WHERE id = ?4",
                )
                .map_err(db)?;
            for (id, lufs, tp, key) in measured {
                stmt.execute(rusqlite::params![lufs, tp, key, id])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    /// The CUE sheet of the image whose row is `image_id` (None: not an
    /// image, or its sheet is a `CUESHEET` tag in the file).
    pub fn image_sheet(&self, image_id: i64) -> Result<Option<PathBuf>> {
        self.conn
            .prepare_cached("SELECT cue_path FROM tracks WHERE id = ?1 AND is_image = 1")
            .and_then(|mut s| {
                s.query_row([image_id], |r| r.get::<_, Option<Vec<u8>>>(0))
                    .optional()
            })
            .map(|v| v.flatten().map(|b| bytes_to_path(&b[..])))
            .map_err(|e| self.err(e))
    }

    /// Is `path` the path of a track in the library (present, missing or
    /// quarantined)? A place taken in the database cannot be handed to
    /// another track, even when no file is there.
    pub fn path_in_library(&self, path: &Path) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM tracks WHERE path = ?1)")
            .and_then(|mut s| s.query_row([path_to_bytes(path)], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// The id of the root containing `path`, if any.
    pub fn root_id_for(&self, path: &Path) -> Result<Option<i64>> {
        Ok(self
            .roots()?
            .into_iter()
            .filter(|(_, r)| path.starts_with(r))
            .max_by_key(|(_, r)| r.as_os_str().len())
            .map(|(id, _)| id))
    }
}

/// Library statistics for `mixtape stats`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Tracks present (not missing).
    pub tracks: u64,
    /// Seconds of audio in present tracks.
    pub total_length: f64,
    /// Bytes in present tracks.
    pub total_size: u64,
    /// Track count per format, most common first.
    pub formats: Vec<(String, u64)>,
    /// Files with a read or check error.
    pub errors: u64,
    /// Tracks whose file is gone.
    pub missing: u64,
    /// Tracks with a fingerprint.
    pub fingerprinted: u64,
    /// Tracks moved away by `dupes --move-to` (not counted above).
    pub quarantined: u64,
}

/// Compute [`Stats`].
pub fn stats(lib: &Library) -> Result<Stats> {
    let c = lib.conn();
    let mut s = Stats::default();
    c.query_row(
        "SELECT count(*), coalesce(sum(length), 0), coalesce(sum(size), 0),
                coalesce(sum(fingerprint IS NOT NULL), 0)
         FROM tracks WHERE missing = 0 AND quarantined = 0 AND is_image = 0",
        [],
        |r| {
            s.tracks = r.get::<_, i64>(0)? as u64;
            s.total_length = r.get(1)?;
            s.total_size = r.get::<_, i64>(2)? as u64;
            s.fingerprinted = r.get::<_, i64>(3)? as u64;
            Ok(())
        },
    )
    .map_err(|e| lib.err(e))?;
    s.errors = c
        .query_row(
            "SELECT count(*) FROM tracks WHERE quarantined = 0 AND is_image = 0 AND (error IS NOT NULL
             OR (check_error IS NOT NULL AND check_kind IS NOT 'unsupported'))",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| lib.err(e))? as u64;
    s.missing = c
        .query_row(
            "SELECT count(*) FROM tracks WHERE missing = 1 AND quarantined = 0 AND is_image = 0",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| lib.err(e))? as u64;
    s.quarantined = c
        .query_row(
            "SELECT count(*) FROM tracks WHERE quarantined = 1 AND is_image = 0",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| lib.err(e))? as u64;
    let mut stmt = c
        .prepare(
            "SELECT coalesce(format, '(unknown)'), count(*) FROM tracks WHERE missing = 0 AND quarantined = 0 AND is_image = 0
             GROUP BY 1 ORDER BY 2 DESC, 1",
        )
        .map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })
        .map_err(|e| lib.err(e))?;
    s.formats = rows
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))?;
    Ok(s)
}

/// Where the library lives when neither `--library` nor `MIXTAPE_LIBRARY` say:
/// `$XDG_DATA_HOME/mixtape/library.db`, else `~/.local/share/mixtape/library.db`.
pub fn default_library_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("mixtape").join("library.db")
}

/// Raw OS bytes of a path, for storage.
#[cfg(unix)]
pub fn path_to_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

/// A path from stored raw OS bytes.
#[cfg(unix)]
pub fn bytes_to_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Raw bytes of a path, for storage (non-Unix: UTF-8, lossy only for unpaired surrogates).
#[cfg(not(unix))]
pub fn path_to_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

/// A path from stored bytes (non-Unix).
#[cfg(not(unix))]
pub fn bytes_to_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Seconds since the Unix epoch, as stored in `added`, `mtime`, ...
pub fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The current time in Unix seconds.
pub fn now() -> f64 {
    unix_seconds(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_and_migrates_fresh_library() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(&dir.path().join("lib.db")).unwrap();
        let v: i64 = lib
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, migrations::LATEST);
        let mode: String = lib
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_non_sqlite_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lib.db");
        std::fs::write(
            &p,
            b"this is not a database, just some text that is long enough",
        )
        .unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = Library::open(&p).err().expect("must fail");
        assert!(matches!(err, Error::NotALibrary { .. }), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), before);
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lib.db");
        drop(Library::open(&p).unwrap());
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("PRAGMA user_version = 999;").unwrap();
        }
        let before = std::fs::read(&p).unwrap();
        let err = Library::open(&p).err().expect("must fail");
        assert!(
            matches!(err, Error::NewerLibrary { found: 999, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert!(!open::sibling(&p, "-wal").exists());
        assert!(!open::sibling(&p, "-shm").exists());
        let c = Connection::open(&p).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 999);
    }

    #[test]
    fn refuses_another_programs_database_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("contacts.db");
        for version in [0, 1] {
            {
                let c = Connection::open(&p).unwrap();
                c.execute_batch(&format!(
                    "DROP TABLE IF EXISTS contacts; CREATE TABLE contacts(name);
                     PRAGMA user_version = {version};"
                ))
                .unwrap();
            }
            let before = std::fs::read(&p).unwrap();
            let err = Library::open(&p).err().expect("must fail");
            assert!(matches!(err, Error::ForeignDatabase { .. }), "{err}");
            let err = Library::open_read(&p).err().expect("must fail");
            assert!(matches!(err, Error::ForeignDatabase { .. }), "{err}");
            assert_eq!(std::fs::read(&p).unwrap(), before);
        }
    }

    #[test]
    fn new_library_has_its_application_id_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lib.db");
        let lib = Library::open(&p).unwrap();
        // Read from the main file's header while the library is open.
        let header = std::fs::read(&p).unwrap();
        let id = i32::from_be_bytes(header[68..72].try_into().unwrap());
        assert_eq!(id as i64, migrations::APPLICATION_ID);
        drop(lib);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/music/caf\xe9.mp3"));
        assert_eq!(bytes_to_path(&path_to_bytes(p)), p);
    }
}
