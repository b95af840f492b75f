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
        /// What kind of problem it is, to match on.
        kind: MediaErrorKind,
        /// A human readable reason, e.g. "not an audio file (looks like a JPEG image)".
        reason: String,
    },
    /// A problem with a file that is not about its audio: a bad CUE sheet
    /// line, a manifest, a folder where a file should be.
    #[error("{}: {reason}", path.display())]
    Path {
        /// The file or folder concerned.
        path: PathBuf,
        /// What is wrong with it.
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
    /// No library at the path (a command that only reads, or changes a
    /// library, never creates one; `scan` does).
    #[error("no library at {}: run 'mixtape scan DIR' first", path.display())]
    NoLibrary {
        /// Where the library was looked for.
        path: PathBuf,
    },
    /// A SQLite database that is not a mixtape library (another program's),
    /// refused and left untouched.
    #[error("{} is a SQLite database of another program, not a mixtape library (left untouched)", path.display())]
    ForeignDatabase {
        /// The file concerned.
        path: PathBuf,
    },
    /// A library from an older mixtape that cannot be upgraded here (its
    /// file or folder is read-only).
    #[error("{}: library schema version {found} is older than this mixtape's ({supported}) and cannot be upgraded here (read-only); run a command that writes, such as 'mixtape scan', where it can be written", path.display())]
    OlderLibrary {
        /// The library file.
        path: PathBuf,
        /// The schema version found.
        found: i64,
        /// The schema version this build needs.
        supported: i64,
    },
    /// Another process holds the library's writer lock (and we were told
    /// not to wait).
    #[error("{} is in use by {holder}", path.display())]
    LibraryBusy {
        /// The library file.
        path: PathBuf,
        /// Who holds it.
        holder: LockHolder,
    },
    /// `undo` of an operation whose process is still running it.
    #[error("undo: operation {id} is still running (PID {pid}); wait for it to finish, or name it to undo it anyway: mixtape undo {id}")]
    OperationRunning {
        /// The operation's id.
        id: i64,
        /// The process running it.
        pid: u32,
    },
    /// A query that could not be parsed or resolved; the message points at
    /// the bad term (and the column in it, for a syntax error).
    #[error("query: {}", query_message(term, reason, *column))]
    Query {
        /// The term concerned, as typed (`year:19x0..`, `playlist:NAME`).
        term: String,
        /// The 1-based column in the term, for a syntax error.
        column: Option<usize>,
        /// What kind of problem it is, to match on.
        kind: QueryErrorKind,
        /// What is wrong, e.g. "expected a number".
        reason: String,
    },
    /// A playlist problem: an unknown or taken name, a change a smart
    /// playlist cannot take, a playlist file that cannot be read or written.
    #[error("{reason}")]
    Playlist {
        /// What kind of problem it is, to match on.
        kind: PlaylistErrorKind,
        /// The playlist concerned, when it has a name.
        name: Option<String>,
        /// The playlist file concerned (import, export).
        file: Option<PathBuf>,
        /// The whole message, naming the playlist or file.
        reason: String,
    },
    /// Invalid user input that is not about a file: an option value, a
    /// combination of options, a template, a playlist position.
    #[error("{}", invalid_message(subject.as_deref(), reason))]
    Invalid {
        /// What is wrong, as typed (`--bitrate 999`), when there is one thing.
        subject: Option<String>,
        /// What kind of problem it is, to match on.
        kind: InvalidKind,
        /// What is wrong with it, e.g. "must be between 8k and 320k".
        reason: String,
    },
    /// Audio that decoded could not be turned into an output file: an
    /// encoder, the resampler, the loudness meter, the art or tag writer
    /// failed. The message names the step and says why.
    #[error("{reason}")]
    Encode {
        /// Which step failed, to match on.
        stage: EncodeStage,
        /// What went wrong, e.g. "mp3: LAME init failed".
        reason: String,
    },
    /// A configuration file (or a device profile in it) that cannot be
    /// used: a TOML syntax error, an unknown key, a value of the wrong type
    /// or out of range. Shown as `file:line: key: reason`.
    #[error("{}", config_message(path, *line, key.as_deref(), reason))]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The 1-based line of the bad key, when known.
        line: Option<usize>,
        /// The key concerned, as a dotted path (`profile.mine.bitrate`).
        key: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// Something that cannot happen did (a worker panicked, a row went
    /// missing under us); the message says what.
    #[error("internal error: {0}")]
    Internal(String),
    /// The operation was interrupted (Ctrl-C); committed work is kept.
    #[error("interrupted")]
    Interrupted,
    /// A run that moves or copies files stopped at the first file the
    /// destination had no room for; what was done before is journalled.
    #[error("{0}")]
    NoSpace(NoSpace),
}

/// Who holds a library's writer lock, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The holder's process id (0 when the lock file did not say).
    pub pid: u32,
    /// Its command line, e.g. `mixtape scan /home/me/Music`.
    pub command: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pid == 0 {
            f.write_str("another mixtape")
        } else {
            write!(f, "PID {} ({})", self.pid, self.command)
        }
    }
}

/// What kind of query error an [`Error::Query`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorKind {
    /// The text does not parse (a bad value, an unknown field).
    Syntax,
    /// A `playlist:NAME` term cannot be resolved: no such playlist, a smart
    /// playlist that refers to itself, a stored query that is invalid.
    Playlist,
}

/// Which step of making an output file an [`Error::Encode`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeStage {
    /// The source gave no audio to encode.
    Decode,
    /// The format's encoder or container writer.
    Encoder,
    /// Sample-rate conversion.
    Resample,
    /// Loudness measurement.
    Loudness,
    /// Cover art.
    Art,
    /// Writing or reading back tags.
    Tags,
    /// A panic inside any of them, caught.
    Panic,
}

/// What kind of playlist problem an [`Error::Playlist`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistErrorKind {
    /// No playlist has the name.
    NotFound,
    /// Another playlist has the name already.
    Exists,
    /// A name that cannot be a playlist's (empty, control characters).
    BadName,
    /// Entries added to or removed from a smart playlist.
    Smart,
    /// A position outside the playlist.
    Position,
    /// A playlist file that cannot be read as one (too large, a folder,
    /// does not parse).
    BadFile,
    /// A destination that cannot be written (a folder, or a file that exists).
    Destination,
}

/// What kind of invalid input an [`Error::Invalid`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// A name that means nothing here (an unknown profile, format, field).
    Unknown,
    /// A value outside what is allowed.
    OutOfRange,
    /// Options or values that exclude each other.
    Conflict,
    /// Text that does not parse as what it should be.
    Malformed,
    /// A value this format, device or operation cannot take.
    Unsupported,
}

/// `subject: reason`, or the reason alone.
fn invalid_message(subject: Option<&str>, reason: &str) -> String {
    match subject {
        Some(s) => format!("{s}: {reason}"),
        None => reason.to_string(),
    }
}

/// `term: reason` with ` at column N` when there is a column.
fn query_message(term: &str, reason: &str, column: Option<usize>) -> String {
    match column {
        Some(c) => format!("{term}: {reason} at column {c}"),
        None => format!("{term}: {reason}"),
    }
}

impl Error {
    /// The message of a query error without the `query: ` prefix (to embed
    /// it in another message); any other error's message as it is.
    pub fn query_message(&self) -> String {
        match self {
            Error::Query {
                term,
                column,
                reason,
                ..
            } => query_message(term, reason, *column),
            other => other.to_string(),
        }
    }
}

/// Where a file operation stopped because the destination is full (or a
/// quota or file-size limit was reached), and how far it had come.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoSpace {
    /// The file (or folder) that could not be written.
    pub path: PathBuf,
    /// Files moved or copied before the stop.
    pub done: usize,
    /// Files the run meant to move or copy.
    pub total: usize,
}

impl std::fmt::Display for NoSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: no space left on device ({} of {} done; run `mixtape undo` to roll back, or free space and rerun)",
            self.path.display(),
            self.done,
            self.total
        )
    }
}

/// Is this I/O error the destination running out of room: a full disk
/// (ENOSPC), a quota (EDQUOT) or a file-size limit (EFBIG, RLIMIT_FSIZE)?
pub fn io_is_no_space(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    if matches!(
        e.kind(),
        K::StorageFull | K::QuotaExceeded | K::FileTooLarge
    ) {
        return true;
    }
    #[cfg(unix)]
    if matches!(
        e.raw_os_error(),
        Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG)
    ) {
        return true;
    }
    false
}

fn config_message(path: &Path, line: Option<usize>, key: Option<&str>, reason: &str) -> String {
    let mut s = path.display().to_string();
    if let Some(l) = line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(k) = key {
        s.push_str(&format!(": {k}"));
    }
    format!("{s}: {reason}")
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A problem with the file or folder at `path` (not about its audio).
    pub fn at(path: impl AsRef<Path>, reason: impl Into<String>) -> Self {
        Error::Path {
            path: path.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }

    /// Invalid input `subject` (as typed), with what is wrong with it.
    pub fn invalid(
        kind: InvalidKind,
        subject: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            subject: Some(subject.into()),
            kind,
            reason: reason.into(),
        }
    }

    /// Invalid input described by `reason` alone (a combination of options,
    /// say, where no one value is wrong).
    pub fn invalid_input(kind: InvalidKind, reason: impl Into<String>) -> Self {
        Error::Invalid {
            subject: None,
            kind,
            reason: reason.into(),
        }
    }

    /// A playlist problem of `kind` about the playlist `name`.
    pub fn playlist(kind: PlaylistErrorKind, name: &str, reason: impl Into<String>) -> Self {
        Error::Playlist {
            kind,
            name: Some(name.to_string()),
            file: None,
            reason: reason.into(),
        }
    }

    /// A problem of `kind` with the playlist file at `file`; the message is
    /// `file: reason`.
    pub fn playlist_file(
        kind: PlaylistErrorKind,
        file: &Path,
        reason: impl std::fmt::Display,
    ) -> Self {
        Error::Playlist {
            kind,
            name: None,
            file: Some(file.to_path_buf()),
            reason: format!("{}: {reason}", file.display()),
        }
    }

    /// An output-making step failed.
    pub fn encode(stage: EncodeStage, reason: impl Into<String>) -> Self {
        Error::Encode {
            stage,
            reason: reason.into(),
        }
    }

    /// A media error of `kind` about `path`.
    pub fn media(path: impl AsRef<Path>, kind: MediaErrorKind, reason: impl Into<String>) -> Self {
        Error::Media {
            path: path.as_ref().to_path_buf(),
            kind,
            reason: reason.into(),
        }
    }

    /// A media error about `path` carrying `problem`'s kind and message.
    pub fn problem(path: impl AsRef<Path>, problem: Problem) -> Self {
        Error::media(path, problem.kind, problem.message)
    }

    /// The file problem this error stands for: its kind and its reason
    /// without the path (an I/O error is [`MediaErrorKind::Io`]).
    pub fn as_problem(&self) -> Problem {
        match self {
            Error::Media { kind, reason, .. } => Problem::new(*kind, reason.clone()),
            Error::Io { source, .. } => Problem::new(MediaErrorKind::Io, source.to_string()),
            other => Problem::new(MediaErrorKind::Io, other.to_string()),
        }
    }

    /// The reason alone, without the path the error is about (for a
    /// `path: reason` line whose path is given apart).
    pub fn reason(&self) -> String {
        match self {
            Error::Path { reason, .. } => reason.clone(),
            other => other.as_problem().message,
        }
    }

    /// The path this error is about, when it has one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::Media { path, .. }
            | Error::Path { path, .. }
            | Error::Db { path, .. }
            | Error::NewerLibrary { path, .. }
            | Error::NotALibrary { path }
            | Error::NoLibrary { path }
            | Error::ForeignDatabase { path }
            | Error::OlderLibrary { path, .. }
            | Error::LibraryBusy { path, .. }
            | Error::Config { path, .. } => Some(path),
            Error::NoSpace(s) => Some(&s.path),
            Error::Playlist { file, .. } => file.as_deref(),
            Error::Query { .. }
            | Error::Invalid { .. }
            | Error::Encode { .. }
            | Error::Internal(_)
            | Error::Interrupted
            | Error::OperationRunning { .. } => None,
        }
    }

    /// Whether this error is a destination out of room (see
    /// [`io_is_no_space`]; a library database that is full counts too).
    /// Matched on the kind, never on the message.
    pub fn is_no_space(&self) -> bool {
        match self {
            Error::Io { source, .. } => io_is_no_space(source),
            Error::Db {
                source: rusqlite::Error::SqliteFailure(f, _),
                ..
            } => f.code == rusqlite::ErrorCode::DiskFull,
            Error::NoSpace(_) => true,
            _ => false,
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

/// What kind of problem a media file has, in the spirit of Symphonia's
/// error enum: code matches on this, never on the message text. The names
/// ([`MediaErrorKind::as_str`]) are stored in the library (`error_kind`,
/// `check_kind`) and queried (`ls error:truncated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaErrorKind {
    /// The stream ends before the length its container declares.
    Truncated,
    /// A header field is malformed or out of range (a 4 GHz sample rate).
    CorruptHeader,
    /// A CRC (Ogg page, FLAC frame) or the FLAC MD5 does not match.
    Checksum,
    /// Frames that failed to decode, or a frame structure that is broken.
    BadFrames,
    /// The demuxer failed inside the stream, or the stream could not be opened.
    Stream,
    /// A parsing or decoding library panicked on this file.
    Panicked,
    /// The container holds no audio data.
    NoAudio,
    /// There is no decoder for this format or codec (not damage).
    Unsupported,
    /// The tags could not be read (the audio may be fine).
    Tags,
    /// Not an audio file at all (a JPEG named `.mp3`, a README).
    NotAudio,
    /// A file of zero bytes.
    Empty,
    /// The file could not be read (permissions, I/O error, a folder).
    Io,
}

impl MediaErrorKind {
    /// Every kind, most severe first.
    pub const ALL: [MediaErrorKind; 12] = [
        MediaErrorKind::Truncated,
        MediaErrorKind::CorruptHeader,
        MediaErrorKind::Checksum,
        MediaErrorKind::BadFrames,
        MediaErrorKind::Stream,
        MediaErrorKind::Panicked,
        MediaErrorKind::NoAudio,
        MediaErrorKind::Unsupported,
        MediaErrorKind::Tags,
        MediaErrorKind::NotAudio,
        MediaErrorKind::Empty,
        MediaErrorKind::Io,
    ];

    /// The stored and queried name, e.g. `truncated`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaErrorKind::Truncated => "truncated",
            MediaErrorKind::CorruptHeader => "corrupt-header",
            MediaErrorKind::Checksum => "checksum",
            MediaErrorKind::BadFrames => "bad-frames",
            MediaErrorKind::Stream => "stream",
            MediaErrorKind::Panicked => "panicked",
            MediaErrorKind::NoAudio => "no-audio",
            MediaErrorKind::Unsupported => "unsupported",
            MediaErrorKind::Tags => "tags",
            MediaErrorKind::NotAudio => "not-audio",
            MediaErrorKind::Empty => "empty",
            MediaErrorKind::Io => "io",
        }
    }

    /// The kind of a stored name.
    pub fn parse(name: &str) -> Option<MediaErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether this kind means the file is not ours to list (a scan skips
    /// such a file when its name does not look like audio either).
    pub fn is_not_audio(self) -> bool {
        matches!(self, MediaErrorKind::NotAudio | MediaErrorKind::Empty)
    }

    /// Whether this kind is damage to the audio (what `check` counts as
    /// damaged): not a missing decoder, not unreadable tags.
    pub fn is_damage(self) -> bool {
        !matches!(
            self,
            MediaErrorKind::Unsupported
                | MediaErrorKind::Tags
                | MediaErrorKind::NotAudio
                | MediaErrorKind::Io
        )
    }
}

impl std::fmt::Display for MediaErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a file: its kind and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub kind: MediaErrorKind,
    pub message: String,
}

impl Problem {
    /// A problem of `kind` saying `message`.
    pub fn new(kind: MediaErrorKind, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The problems of one file as stored: every message joined with `; `, and
/// the kind of the most severe one. `None` when there are none.
pub fn summarise(problems: &[Problem]) -> Option<(MediaErrorKind, String)> {
    let kind = problems.iter().map(|p| p.kind).min()?;
    let text = problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some((kind, text))
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// Issue 12: a full disk is told by its kind or errno, never by text.
    #[test]
    fn no_space_is_matched_by_kind_not_by_message() {
        let io_err = |e: io::Error| Error::io("/x", e);
        for code in [libc::ENOSPC, libc::EDQUOT, libc::EFBIG] {
            assert!(io_err(io::Error::from_raw_os_error(code)).is_no_space());
        }
        assert!(io_err(io::Error::new(io::ErrorKind::StorageFull, "full")).is_no_space());
        assert!(!io_err(io::Error::from_raw_os_error(libc::EACCES)).is_no_space());
        assert!(!Error::at("/x", "No space left on device").is_no_space());
        let stop = Error::NoSpace(NoSpace {
            path: "/q/a.wav".into(),
            done: 2,
            total: 5,
        });
        assert!(stop.is_no_space());
        assert_eq!(
            stop.to_string(),
            "/q/a.wav: no space left on device (2 of 5 done; run `mixtape undo` to roll back, or free space and rerun)"
        );
    }
}
