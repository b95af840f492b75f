//! Typed errors for the library.
//!
//! Every error that concerns a file carries that file's path, so that the CLI
//! can print it as `path: reason` (see ripgrep's `ignore::Error::WithPath`).
//! `anyhow` is used only in `src/cli/`, at the edge.

use std::path::{Path, PathBuf};

/// Everything the mixtape library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error about one path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A media file that could not be read or understood.
    #[error("{}: {reason}", path.display())]
    Media {
        /// The file concerned.
        path: PathBuf,
        /// A human readable reason, e.g. "not an audio file (looks like a JPEG image)".
        reason: String,
    },
    /// The library database (SQLite) failed.
    #[error("{}: database error: {source}", path.display())]
    Db {
        /// The library file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The library was written by a newer mixtape and is left untouched.
    #[error("{}: library schema version {found} is newer than this mixtape supports ({supported}); upgrade mixtape (the file was left untouched)", path.display())]
    NewerLibrary {
        /// The library file.
        path: PathBuf,
        /// The schema version found in `PRAGMA user_version`.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// The file at the library location is not a SQLite database.
    #[error("{}: not a mixtape library (not a SQLite database)", path.display())]
    NotALibrary {
        /// The file concerned.
        path: PathBuf,
    },
    /// A query that could not be parsed; the message points at the bad token.
    #[error("query: {0}")]
    Query(String),
    /// A playlist problem (unknown name, bad file, ...).
    #[error("{0}")]
    Playlist(String),
    /// Invalid user input that is not about a file (bad option values etc.).
    #[error("{0}")]
    Invalid(String),
    /// The operation was interrupted (Ctrl-C); committed work is kept.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A media error about `path`.
    pub fn media(path: impl AsRef<Path>, reason: impl Into<String>) -> Self {
        Error::Media {
            path: path.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }

    /// A database error about the library at `path`.
    pub fn db(path: impl AsRef<Path>, source: rusqlite::Error) -> Self {
        Error::Db {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
