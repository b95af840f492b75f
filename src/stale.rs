//! "Has this file changed since the scan?": the one check every command
//! that moves a scanned file makes first (organize, quarantine), so nothing
//! is moved on the strength of a stale library row.
//!
//! Size and modification time equal to the row's mean unchanged (cheap, no
//! read). A different size means changed. A different modification time,
//! or one that cannot be read, is not proof either way: the file is
//! re-hashed, and it is unchanged only if its BLAKE3 equals the row's
//! `file_hash` (a row without one counts as changed).

use std::fmt;
use std::io;

use crate::error::Error;
use crate::fsops;
use crate::library::{unix_seconds, Track};

/// Why a scanned file may not be acted on.
#[derive(Debug)]
pub enum Stale {
    /// The file is gone.
    Gone,
    /// Something other than a regular file is at the path now.
    NotAFile,
    /// Its size or contents differ from the library's row.
    Changed,
    /// It could not be read to tell (the error carries the path).
    Unreadable(Error),
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Gone => write!(f, "no longer there (run `mixtape scan`)"),
            Stale::NotAFile => write!(f, "not a regular file"),
            Stale::Changed => write!(
                f,
                "changed since the last scan (size or contents differ); run `mixtape scan` first"
            ),
            Stale::Unreadable(e) => write!(f, "{e}"),
        }
    }
}

/// Is `t`'s file still what the library scanned? See the module rules.
pub fn check_unchanged(t: &Track) -> Result<(), Stale> {
    let meta = std::fs::metadata(&t.path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Stale::Gone,
        _ => Stale::Unreadable(Error::io(&t.path, e)),
    })?;
    if !meta.is_file() {
        return Err(Stale::NotAFile);
    }
    // A CUE image's track holds its share of the image's size; the mtime
    // is the image's.
    if meta.len() != t.size && t.cue.is_none() {
        return Err(Stale::Changed);
    }
    let same_mtime = meta
        .modified()
        .map(|m| (unix_seconds(m) - t.mtime).abs() <= 1e-3)
        .unwrap_or(false);
    if same_mtime {
        return Ok(());
    }
    let Some(want) = t.file_hash else {
        return Err(Stale::Changed);
    };
    match fsops::hash_file(&t.path) {
        Ok(h) if h == want => Ok(()),
        Ok(_) => Err(Stale::Changed),
        Err(e) => Err(Stale::Unreadable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(path: &std::path::Path) -> Track {
        let meta = std::fs::metadata(path).unwrap();
        Track {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime: unix_seconds(meta.modified().unwrap()),
            file_hash: Some(*blake3::hash(&std::fs::read(path).unwrap()).as_bytes()),
            ..Track::default()
        }
    }

    #[test]
    fn size_mtime_and_hash_decide() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.flac");
        std::fs::write(&p, b"aaaa").unwrap();
        let t = scanned(&p);
        assert!(check_unchanged(&t).is_ok());
        // Touched only: the hash says unchanged.
        let touched = Track {
            mtime: t.mtime - 100.0,
            ..t.clone()
        };
        assert!(check_unchanged(&touched).is_ok());
        // Same size, other bytes, other mtime: changed.
        std::fs::write(&p, b"bbbb").unwrap();
        assert!(matches!(check_unchanged(&touched), Err(Stale::Changed)));
        // Other size: changed without reading.
        std::fs::write(&p, b"longer").unwrap();
        assert!(matches!(check_unchanged(&t), Err(Stale::Changed)));
        // No hash to compare with: changed.
        let unhashed = Track {
            file_hash: None,
            ..touched.clone()
        };
        std::fs::write(&p, b"aaaa").unwrap();
        assert!(matches!(check_unchanged(&unhashed), Err(Stale::Changed)));
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(check_unchanged(&t), Err(Stale::Gone)));
        std::fs::create_dir(&p).unwrap();
        assert!(matches!(check_unchanged(&t), Err(Stale::NotAFile)));
    }
}
