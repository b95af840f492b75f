//! Safe file operations shared by every command that writes, moves or copies
//! the user's files (quarantine, organise, export, undo).
//!
//! Invariants:
//! - A final name never holds a half-written file: data goes to a temporary
//!   name in the destination folder, is flushed to disk, then renamed.
//! - `transfer` never overwrites: an existing destination is a collision.
//! - A move across filesystems copies, verifies the BLAKE3 hash of the copy
//!   against the source, and only then removes the source.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Move or copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The source is gone afterwards.
    Move,
    /// The source stays.
    Copy,
}

/// BLAKE3 of a file's bytes.
pub fn hash_file(path: &Path) -> Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    hasher.update_reader(file).map_err(|e| Error::io(path, e))?;
    Ok(*hasher.finalize().as_bytes())
}

/// A temporary sibling name for `dst` (hidden, unique per process and call).
pub fn temp_name(dst: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = dst
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short: String = name.chars().take(40).collect();
    dst.with_file_name(format!(".mixtape-tmp-{}-{n}-{short}", std::process::id()))
}

/// Is this a leftover temporary file of ours (to clean up or ignore)?
pub fn is_temp_name(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().starts_with(".mixtape-tmp-"))
        .unwrap_or(false)
}

/// Write `bytes` to `dst` through a temporary file, fsync, then rename.
/// With `overwrite == false` an existing `dst` is an error and is left alone.
pub fn write_atomic(dst: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    write_atomic_with(dst, overwrite, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by `fill`.
pub fn write_atomic_with(
    dst: &Path,
    overwrite: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let tmp = temp_name(dst);
    let result = (|| -> io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(dst, e));
    }
    publish(&tmp, dst, overwrite).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Give a finished temporary file its final name.
fn publish(tmp: &Path, dst: &Path, overwrite: bool) -> Result<()> {
    if overwrite {
        return fs::rename(tmp, dst).map_err(|e| Error::io(dst, e));
    }
    // hard_link fails if dst exists: an atomic "rename without replace".
    match fs::hard_link(tmp, dst) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(collision(dst)),
        Err(_) => {
            // Filesystems without hard links (FAT, exFAT): check, then rename.
            if dst.symlink_metadata().is_ok() {
                return Err(collision(dst));
            }
            fs::rename(tmp, dst).map_err(|e| Error::io(dst, e))
        }
    }
}

fn collision(dst: &Path) -> Error {
    Error::io(
        dst,
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            "destination exists; not overwriting",
        ),
    )
}

/// Move or copy `src` to `dst`, never overwriting `dst`, creating its parent
/// folders. Returns the BLAKE3 of the data when it was computed (copies and
/// cross-filesystem moves verify it).
pub fn transfer(src: &Path, dst: &Path, mode: Mode) -> Result<Option<[u8; 32]>> {
    if dst.symlink_metadata().is_ok() {
        return Err(collision(dst));
    }
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    if mode == Mode::Move {
        match fs::hard_link(src, dst) {
            Ok(()) => {
                fs::remove_file(src).map_err(|e| Error::io(src, e))?;
                return Ok(None);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(collision(dst)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::io(src, e)),
            Err(_) => {
                // Another filesystem, or no hard links there: a plain rename
                // works on one filesystem; otherwise copy + verify below.
                if fs::rename(src, dst).is_ok() {
                    return Ok(None);
                }
            }
        }
    }
    let hash = copy_verified(src, dst)?;
    if mode == Mode::Move {
        fs::remove_file(src).map_err(|e| Error::io(src, e))?;
    }
    Ok(Some(hash))
}

/// Copy through a temporary file, verify the copy's hash against the
/// source's, then publish it under `dst` (never overwriting).
fn copy_verified(src: &Path, dst: &Path) -> Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
    let mut input = File::open(src).map_err(|e| Error::io(src, e))?;
    let tmp = temp_name(dst);
    let result = (|| -> io::Result<()> {
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        out.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(dst, e));
    }
    let want = *hasher.finalize().as_bytes();
    let got = hash_file(&tmp)?;
    if got != want {
        let _ = fs::remove_file(&tmp);
        return Err(Error::at(
            dst,
            "copy verification failed (hash mismatch); source kept",
        ));
    }
    // Preserve the modification time so rescans see the file as unchanged.
    if let Ok(meta) = fs::metadata(src) {
        if let Ok(mtime) = meta.modified() {
            if let Ok(f) = fs::OpenOptions::new().write(true).open(&tmp) {
                let _ = f.set_modified(mtime);
            }
        }
    }
    publish(&tmp, dst, false).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_never_overwrites_unless_asked() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b.txt");
        write_atomic(&p, b"one", false).unwrap();
        assert!(write_atomic(&p, b"two", false).is_err());
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three", true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .filter(|e| is_temp_name(&e.as_ref().unwrap().path()))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn transfer_moves_copies_and_refuses_collisions() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.bin");
        fs::write(&a, b"music").unwrap();
        let b = d.path().join("x/b.bin");
        transfer(&a, &b, Mode::Copy).unwrap();
        assert!(a.exists() && b.exists());
        assert!(transfer(&a, &b, Mode::Move).is_err());
        assert!(a.exists(), "source must survive a collision");
        let c = d.path().join("y/c.bin");
        transfer(&a, &c, Mode::Move).unwrap();
        assert!(!a.exists());
        assert_eq!(fs::read(&c).unwrap(), b"music");
    }
}
