//! The writer lock: one process at a time changes a library.
//!
//! SQLite alone does not make two mixtape writers safe: a scan commits
//! batch after batch and starves a second writer, and two runs that plan
//! from the same rows (two scans of overlapping roots, organize and undo)
//! fight over them. So every command that writes first takes an advisory
//! lock (`flock(2)`, through std's `File::lock`) on `<library>.lock` beside
//! the database, and holds it until it is done. Readers never take it: WAL
//! lets them read while the writer writes.
//!
//! Invariants:
//! - The lock file is never removed (removing a flock'ed file races with
//!   the next locker); while the lock is held it names the holder's PID and
//!   command line, and it is emptied before the lock is let go, so a waiter
//!   can say whom it waits for.
//! - The kernel drops the lock when the holder dies, however it dies.
//! - The lock is found from the database's real path (symlinks resolved),
//!   so two spellings of one library share one lock.

// `File::lock` and friends are stable since Rust 1.89, which the locked
// rusqlite (0.41, rust-version 1.89) needs already; Cargo.toml's older
// rust-version is left for a change of its own (raising it turns on lints
// across other modules).
#![allow(clippy::incompatible_msrv)]

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

pub use crate::error::LockHolder;

/// Whether to wait for a lock another process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait until it is free (after telling `on_wait` once).
    Yes,
    /// Fail at once with [`Error::LibraryBusy`].
    No,
}

/// A held writer lock; dropping it lets the next writer in.
#[derive(Debug)]
pub struct WriteLock {
    file: File,
    path: PathBuf,
}

/// The lock file of the library at `library`: `<library>.lock`, beside the
/// database's real path.
pub fn lock_path(library: &Path) -> PathBuf {
    let real = std::fs::canonicalize(library).ok().or_else(|| {
        let parent = library.parent().filter(|p| !p.as_os_str().is_empty())?;
        Some(
            std::fs::canonicalize(parent)
                .ok()?
                .join(library.file_name()?),
        )
    });
    let mut name = real
        .unwrap_or_else(|| library.to_path_buf())
        .into_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

impl WriteLock {
    /// Take the writer lock of the library at `library`. When another
    /// process holds it: with [`Wait::Yes`], call `on_wait` once with the
    /// holder and block until it is free; with [`Wait::No`], fail with
    /// [`Error::LibraryBusy`].
    pub fn acquire(
        library: &Path,
        wait: Wait,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<WriteLock> {
        match Self::try_acquire(library)? {
            Ok(lock) => Ok(lock),
            Err(file) => {
                let holder = read_holder(&file);
                if wait == Wait::No {
                    return Err(Error::LibraryBusy {
                        path: library.to_path_buf(),
                        holder,
                    });
                }
                on_wait(&holder);
                let path = lock_path(library);
                file.lock().map_err(|e| Error::io(&path, e))?;
                WriteLock { file, path }.record()
            }
        }
    }

    /// Take the lock if it is free now: `Ok(Err(file))` when another
    /// process holds it (the file is open, for reading the holder).
    fn try_acquire(library: &Path) -> Result<std::result::Result<WriteLock, File>> {
        let path = lock_path(library);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Ok(WriteLock { file, path }.record()?)),
            Err(TryLockError::WouldBlock) => Ok(Err(file)),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }

    /// Take the lock only if it is free now (for optional writes, such as
    /// the caches a reader refreshes): `None` when another process holds it.
    pub fn try_now(library: &Path) -> Result<Option<WriteLock>> {
        Ok(Self::try_acquire(library)?.ok())
    }

    /// Write our PID and command line into the (now held) lock file.
    fn record(mut self) -> Result<WriteLock> {
        let line = format!("{}\n{}\n", std::process::id(), command_line());
        let path = self.path.clone();
        self.file
            .set_len(0)
            .and_then(|_| self.file.seek(SeekFrom::Start(0)))
            .and_then(|_| self.file.write_all(line.as_bytes()))
            .map_err(|e| Error::io(&path, e))?;
        Ok(self)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // Empty first, so nobody reads a stale holder; then unlock (closing
        // the file would too).
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// This process's command line, the program shown by its file name.
fn command_line() -> String {
    let mut args = std::env::args_os();
    let program = args
        .next()
        .map(|p| {
            Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "mixtape".into());
    std::iter::once(program)
        .chain(args.map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The holder named in a lock file. The holder writes it just after taking
/// the lock, so an empty file is read again for a moment.
fn read_holder(file: &File) -> LockHolder {
    for _ in 0..20 {
        let mut text = String::new();
        let mut f = file;
        if f.seek(SeekFrom::Start(0)).is_ok() && f.read_to_string(&mut text).is_ok() {
            let mut lines = text.lines();
            if let Some(pid) = lines.next().and_then(|l| l.trim().parse().ok()) {
                return LockHolder {
                    pid,
                    command: lines.next().unwrap_or("").to_string(),
                };
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    LockHolder {
        pid: 0,
        command: String::new(),
    }
}

/// Whether process `pid` is alive (on Unix: `kill(pid, 0)` succeeds or is
/// refused for permissions, and it is not a zombie). Elsewhere, assumed
/// alive.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: kill with signal 0 sends nothing; it only checks.
        let r = unsafe { libc::kill(pid, 0) };
        let exists = r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        // A zombie (dead, not yet reaped) answers kill(0) too.
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        });
        exists && !zombie
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_sees_the_holder_and_gets_in_after() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib.db");
        let first = WriteLock::acquire(&lib, Wait::No, &mut |_| {}).unwrap();
        // flock locks belong to the open file, so a second open in this
        // process conflicts like another process would.
        let err = WriteLock::acquire(&lib, Wait::No, &mut |_| {}).unwrap_err();
        match err {
            Error::LibraryBusy { holder, .. } => {
                assert_eq!(holder.pid, std::process::id());
                assert!(!holder.command.is_empty());
            }
            other => panic!("{other}"),
        }
        assert!(WriteLock::try_now(&lib).unwrap().is_none());
        let t = std::thread::spawn({
            let lib = lib.clone();
            move || {
                let mut told = Vec::new();
                let l = WriteLock::acquire(&lib, Wait::Yes, &mut |h| told.push(h.clone()));
                (l.is_ok(), told.len())
            }
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        assert_eq!(t.join().unwrap(), (true, 1));
        assert_eq!(std::fs::read(lock_path(&lib)).unwrap(), b"");
    }

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
    }
}
