//! Safe file operations shared by every command that writes, moves or copies
//! the user's files (quarantine, organise, export, undo).
//!
//! Invariants:
//! - A final name never holds a half-written file: data goes to a temporary
//!   name in the destination folder, is flushed to disk, then renamed. On
//!   any failure (a full disk included) the temporary file is removed.
//! - `transfer` never overwrites: an existing destination is a collision.
//! - A move across filesystems copies, drops the copy's cached pages and
//!   reads it back from the disk to verify its BLAKE3 against the source,
//!   publishes it, fsyncs the destination folder, and only then removes the
//!   source: after a power loss at any point the data is under the source
//!   name, the destination name, or a temporary name that `journal::undo`
//!   recognises by its hash (never under none of them).
//! - A move that made its second name but could not remove the source takes
//!   the second name away again (when it still is the same data), so a
//!   failed move leaves no orphan copy behind.
//!
//! Fault injection: debug builds read `MIXTAPE_FAULT=POINT[:N]` (see
//! [`fault`]) so integration tests can make the binary crash or fail at a
//! chosen point; release builds compile it out.

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
                // The new name must be on disk before the old one goes.
                let removed = sync_dir(parent_of(dst)).and_then(|()| remove_source(src));
                if let Err(e) = removed {
                    withdraw(src, dst, None);
                    return Err(e);
                }
                return Ok(None);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(collision(dst)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::io(src, e)),
            Err(_) => {
                // Another filesystem, or no hard links there: a plain rename
                // works on one filesystem; otherwise copy + verify below.
                if fs::rename(src, dst).is_ok() {
                    // Atomic: the data has one name or the other. Syncing
                    // only makes the new name durable sooner.
                    let _ = sync_dir(parent_of(dst));
                    return Ok(None);
                }
            }
        }
    }
    let hash = copy_verified(src, dst)?;
    if mode == Mode::Move {
        let removed = sync_dir(parent_of(dst)).and_then(|()| {
            if fault::hit("after-publish") {
                // A crash (power loss, kill -9) between publish and removal.
                std::process::abort();
            }
            remove_source(src)
        });
        if let Err(e) = removed {
            withdraw(src, dst, Some(&hash));
            return Err(e);
        }
    }
    Ok(Some(hash))
}

/// Remove the source of a move whose copy is published and durable.
fn remove_source(src: &Path) -> Result<()> {
    if fault::hit("remove-source") {
        return Err(Error::io(
            src,
            io::Error::new(io::ErrorKind::PermissionDenied, "injected fault"),
        ));
    }
    fs::remove_file(src).map_err(|e| Error::io(src, e))
}

/// A move failed after `dst` was made but before `src` was removed: take
/// the second name away again, but only while it still is the same data
/// (the same file for a hard link, the verified hash for a copy) and the
/// source is still there. Returns whether it was removed; when not, the
/// caller's journal entry stays `planned` so undo resolves it.
fn withdraw(src: &Path, dst: &Path, hash: Option<&[u8; 32]>) -> bool {
    if src.symlink_metadata().is_err() {
        return false;
    }
    let same = match hash {
        None => same_file(src, dst),
        Some(h) => hash_file(dst).is_ok_and(|got| &got == h),
    };
    if same && fs::remove_file(dst).is_ok() {
        let _ = sync_dir(parent_of(dst));
        return true;
    }
    false
}

/// Are `a` and `b` two names of one file (same device and inode)?
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (a.symlink_metadata(), b.symlink_metadata()) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// The folder holding `p` (`.` for a bare name).
fn parent_of(p: &Path) -> &Path {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Make the names in `dir` durable (fsync the folder), so a file just
/// published there survives a power loss. A filesystem that cannot sync a
/// folder (EINVAL, ENOTSUP) is taken as it is.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let f = File::open(dir).map_err(|e| Error::io(dir, e))?;
        match f.sync_all() {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOTSUP)) => {
                Ok(())
            }
            Err(e) => Err(Error::io(dir, e)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Drop the cached pages of a file just synced, so that reading it back
/// reads what is on the disk, not what is in memory.
fn drop_cache(f: &File) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is an open file descriptor; the call only gives advice.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = f;
}

/// Copy through a temporary file, verify the copy's hash (read back from
/// the disk) against the source's, then publish it under `dst` (never
/// overwriting). The temporary file never outlives a failure.
fn copy_verified(src: &Path, dst: &Path) -> Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
    let mut input = File::open(src).map_err(|e| Error::io(src, e))?;
    // Preserve the modification time so rescans see the file as unchanged.
    let mtime = input.metadata().ok().and_then(|m| m.modified().ok());
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
            if fault::hit("no-space") {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        if let Some(t) = mtime {
            out.set_modified(t)?;
        }
        out.sync_all()?;
        drop_cache(&out);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(dst, e));
    }
    let want = *hasher.finalize().as_bytes();
    let got = hash_file(&tmp).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    if got != want {
        let _ = fs::remove_file(&tmp);
        return Err(Error::at(
            dst,
            "copy verification failed (hash mismatch); source kept",
        ));
    }
    publish(&tmp, dst, false).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    Ok(want)
}

/// Give a leftover temporary file (a complete copy found by undo or
/// recovery) the name `dst`, never overwriting, and make the name durable.
pub fn publish_leftover(tmp: &Path, dst: &Path) -> Result<()> {
    publish(tmp, dst, false)?;
    let _ = sync_dir(parent_of(dst));
    Ok(())
}

/// Fault injection for tests. A point fails when the current thread asked
/// for it ([`fault::set_for_thread`], unit tests) or, in debug builds only,
/// when `MIXTAPE_FAULT=POINT[:N]` names it (from its Nth hit on, default
/// the first; for integration tests of the real binary). Points:
/// `after-publish` (abort the process between publishing a
/// cross-filesystem copy and removing its source: a crash), `remove-source`
/// (removing a move's source fails), `no-space` (writing a copy fails with
/// ENOSPC). Release builds never fail on purpose.
pub mod fault {
    #[cfg(any(test, debug_assertions))]
    thread_local! {
        static THREAD: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
    }

    /// Make `point` fail on this thread from now on (`None`: stop).
    #[cfg(any(test, debug_assertions))]
    pub fn set_for_thread(point: Option<&'static str>) {
        THREAD.with(|t| t.set(point));
    }

    /// Is `point` to fail now?
    #[cfg(any(test, debug_assertions))]
    pub fn hit(point: &str) -> bool {
        if THREAD.with(|t| t.get()) == Some(point) {
            return true;
        }
        from_env(point)
    }

    #[cfg(debug_assertions)]
    fn from_env(point: &str) -> bool {
        use std::sync::atomic::{AtomicU64, Ordering};
        static HITS: AtomicU64 = AtomicU64::new(0);
        let Ok(spec) = std::env::var("MIXTAPE_FAULT") else {
            return false;
        };
        let (name, nth) = match spec.split_once(':') {
            Some((name, n)) => (name, n.parse().unwrap_or(1)),
            None => (spec.as_str(), 1),
        };
        name == point && HITS.fetch_add(1, Ordering::SeqCst) + 1 >= nth
    }

    #[cfg(all(test, not(debug_assertions)))]
    fn from_env(_point: &str) -> bool {
        false
    }

    /// Release builds never fail on purpose.
    #[cfg(not(any(test, debug_assertions)))]
    pub fn hit(_point: &str) -> bool {
        false
    }
}

/// A tmpfs mounted for a test, so moves really cross filesystems (needs
/// root; `None`, said on stderr, otherwise). Unmounted on drop.
#[cfg(test)]
pub(crate) struct TestTmpfs {
    pub dir: tempfile::TempDir,
}

#[cfg(test)]
impl TestTmpfs {
    pub fn mount(test: &str) -> Option<TestTmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("{test}: skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("{test}: skipped: mount -t tmpfs failed");
            return None;
        }
        Some(TestTmpfs { dir })
    }
}

#[cfg(test)]
impl Drop for TestTmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_files(dir: &Path) -> Vec<PathBuf> {
        fs::read_dir(dir)
            .map(|r| {
                r.flatten()
                    .map(|e| e.path())
                    .filter(|p| is_temp_name(p))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Issue 12: a move whose source cannot be removed must not leave a
    /// second name behind (same filesystem: the hard link goes again).
    #[test]
    fn a_move_that_cannot_remove_its_source_takes_its_second_name_back() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.flac");
        fs::write(&a, b"music").unwrap();
        let b = d.path().join("q/a.flac");
        fault::set_for_thread(Some("remove-source"));
        let err = transfer(&a, &b, Mode::Move).unwrap_err();
        fault::set_for_thread(None);
        assert!(err.to_string().contains("injected fault"), "{err}");
        assert_eq!(fs::read(&a).unwrap(), b"music");
        assert!(!b.exists(), "orphan second name left behind");
    }

    /// Issue 12: the same across filesystems: the verified copy goes again,
    /// and no temporary file is left.
    #[test]
    fn a_cross_fs_move_that_cannot_remove_its_source_takes_its_copy_back() {
        let Some(fs2) = TestTmpfs::mount("cross_fs_orphan") else {
            return;
        };
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.flac");
        fs::write(&a, b"music").unwrap();
        let b = fs2.dir.path().join("q/a.flac");
        fault::set_for_thread(Some("remove-source"));
        let err = transfer(&a, &b, Mode::Move).unwrap_err();
        fault::set_for_thread(None);
        assert!(err.to_string().contains("injected fault"), "{err}");
        assert_eq!(fs::read(&a).unwrap(), b"music");
        assert!(!b.exists(), "orphan copy left behind");
        assert!(temp_files(b.parent().unwrap()).is_empty());
    }

    /// A cross-filesystem move returns the hash it verified and keeps the
    /// modification time.
    #[test]
    fn a_cross_fs_move_verifies_and_returns_the_hash() {
        let Some(fs2) = TestTmpfs::mount("cross_fs_move") else {
            return;
        };
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.flac");
        fs::write(&a, b"some music").unwrap();
        let mtime = fs::metadata(&a).unwrap().modified().unwrap();
        let b = fs2.dir.path().join("x/a.flac");
        let h = transfer(&a, &b, Mode::Move).unwrap();
        assert_eq!(h, Some(*blake3::hash(b"some music").as_bytes()));
        assert!(!a.exists());
        assert_eq!(fs::read(&b).unwrap(), b"some music");
        assert_eq!(fs::metadata(&b).unwrap().modified().unwrap(), mtime);
        assert!(temp_files(b.parent().unwrap()).is_empty());
    }

    /// Issue 12: a full disk fails with a typed no-space error and leaves
    /// neither the final name nor the temporary file.
    #[test]
    fn a_copy_onto_a_full_disk_fails_typed_and_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.flac");
        fs::write(&a, b"music").unwrap();
        let b = d.path().join("out/a.flac");
        fault::set_for_thread(Some("no-space"));
        let err = transfer(&a, &b, Mode::Copy).unwrap_err();
        fault::set_for_thread(None);
        assert!(err.is_no_space(), "{err:?}");
        assert!(!b.exists());
        assert!(temp_files(b.parent().unwrap()).is_empty());
        assert!(a.exists());
    }

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
