//! The destination of an export: checked before anything is written (a
//! folder, or a missing leaf whose parent exists; free space against the
//! estimate), its staging folder opened, leftovers of a killed run cleared,
//! a full disk told apart from other failures, and emptied folders removed
//! at the end.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::confine::Confined;
use crate::error::{Error, Result};
use crate::export::extras::abs;
use crate::export::manifest::Manifest;
use crate::export::plan::{ExportPlan, PlanItem, STAGING_DIR};
use crate::export::report::human_bytes;
use crate::export::set::Capacity;
use crate::fsops;

/// Free bytes available to us on the filesystem holding `path`.
#[cfg(unix)]
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Free bytes (unknown on this platform).
#[cfg(not(unix))]
pub fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// Is this error the destination running out of space (or a file-size limit)?
/// Does a file (not a link) exist at `path` with exactly `size` bytes?
pub(crate) fn present(path: &Path, size: u64) -> bool {
    fs::symlink_metadata(path)
        .map(|m| m.is_file() && m.len() == size)
        .unwrap_or(false)
}

/// The room an export to `dest` may take: `max` (`--max-size`), else the
/// free space there plus what mixtape's own files there take (they are
/// kept or replaced, never doubled); unlimited where the free space is
/// unknown.
pub fn room(dest: &Path, manifest: Option<&Manifest>, max: Option<u64>) -> Capacity {
    if let Some(m) = max {
        return Capacity::Max(m);
    }
    let probe = if dest.exists() {
        dest
    } else {
        dest.parent().unwrap_or(dest)
    };
    let Some(free) = free_bytes(probe) else {
        return Capacity::Unlimited;
    };
    let own: u64 = manifest
        .iter()
        .flat_map(|m| m.entries.iter())
        .filter(|e| present(&abs(dest, &e.path), e.size))
        .map(|e| e.size)
        .sum();
    Capacity::Free(free.saturating_add(own))
}

pub fn is_disk_full(e: &Error) -> bool {
    e.is_no_space()
}

/// Check the destination: an existing folder, or a missing leaf whose parent
/// exists (created unless `dry_run`). A file, or a missing parent, is an error.
pub fn prepare_destination(dest: &Path, dry_run: bool) -> Result<()> {
    match fs::metadata(dest) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::io(
            dest,
            io::Error::other("destination is a file, not a folder"),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = dest
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(Error::io(
                    dest,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "parent folder {} does not exist (is the device mounted?)",
                            parent.display()
                        ),
                    ),
                ));
            }
            if dry_run {
                return Ok(());
            }
            fs::create_dir(dest).map_err(|e| Error::io(dest, e))
        }
        Err(e) => Err(Error::io(dest, e)),
    }
}

/// Remove our leftover temporary files (from a killed run) in `dir`.
fn clean_temp_files(dir: &Path) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if fsops::is_temp_name(&p) && p.is_file() {
                let _ = fs::remove_file(&p);
            }
        }
    }
}

/// Where a finished output waits before publishing.
pub(super) fn staged_path(staging: &Path, item: &PlanItem) -> PathBuf {
    let ext = Path::new(&item.rel)
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bin".into());
    staging.join(format!("{}.{ext}", item.key))
}

/// The folder part of a relative path ("" for the top).
pub(super) fn folder_of(rel: &str) -> String {
    rel.rsplit_once('/')
        .map(|(f, _)| f.to_string())
        .unwrap_or_default()
}

/// An export's destination, opened: its root, its staging folder, and the
/// guard that keeps every write inside it.
pub(super) struct Site {
    pub dest: PathBuf,
    pub staging: PathBuf,
    pub confine: Confined,
}

impl Site {
    /// Check `plan`'s destination, create its staging folder (which finds a
    /// read-only destination before any work is done) and remove the
    /// temporary files a killed run left in it and in the plan's folders.
    pub fn open(plan: &ExportPlan) -> Result<Site> {
        let dest = plan.dest.as_path();
        prepare_destination(dest, false)?;
        let staging = dest.join(STAGING_DIR);
        let confine = Confined::new(dest);
        confine.check(&staging.join(STAGING_DIR))?;
        if let Err(e) = fs::create_dir_all(&staging) {
            return Err(Error::io(
                dest,
                io::Error::new(e.kind(), format!("cannot write to the destination ({e})")),
            ));
        }
        clean_temp_files(dest);
        clean_temp_files(&staging);
        for f in plan.folders() {
            let dir = abs(dest, &f);
            if !f.is_empty() && confine.check(&dir.join(STAGING_DIR)).is_ok() {
                clean_temp_files(&dir);
            }
        }
        Ok(Site {
            dest: dest.to_path_buf(),
            staging,
            confine,
        })
    }

    /// Refuse to start producing `need` bytes that do not fit.
    pub fn check_space(&self, need: u64) -> Result<()> {
        if need == 0 {
            return Ok(());
        }
        if let Some(free) = free_bytes(&self.dest) {
            if need > free {
                // Refused before anything was made: no empty staging
                // folder is left behind (removing a folder that holds
                // anything fails, and is not tried harder).
                let _ = fs::remove_dir(&self.staging);
                return Err(Error::io(
                    &self.dest,
                    io::Error::other(format!(
                        "not enough free space: about {} needed, {} available; nothing was written",
                        human_bytes(need),
                        human_bytes(free)
                    )),
                ));
            }
        }
        fs::create_dir_all(&self.staging).map_err(|e| Error::io(&self.staging, e))
    }

    /// The error of a run stopped by a full destination: `first` is the
    /// first such failure, `written` of `total` outputs were finished.
    pub fn full(&self, first: &str, written: usize, total: u64) -> Error {
        Error::io(
            &self.dest,
            io::Error::other(format!(
                "destination is full ({first}); {written} of {total} files were finished and wait in {STAGING_DIR} for the next run; nothing partial was left",
            )),
        )
    }

    /// The last step: what is left in staging is not wanted any more, and
    /// folders that held only our files and are now empty go away.
    pub fn clean_up(&self, old: &Manifest) {
        crate::export::extras::clean_staging(&self.staging);
        for e in &old.entries {
            let f = folder_of(&e.path);
            let dir = abs(&self.dest, &f);
            if !f.is_empty() && self.confine.check(&dir).is_ok() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: an export refused for lack of space left an empty
    /// `.mixtape-staging/` behind.
    #[test]
    fn a_refusal_for_space_leaves_no_staging_folder() {
        let d = tempfile::tempdir().unwrap();
        let staging = d.path().join(STAGING_DIR);
        fs::create_dir(&staging).unwrap();
        let site = Site {
            dest: d.path().to_path_buf(),
            staging: staging.clone(),
            confine: Confined::new(d.path()),
        };
        let e = site.check_space(u64::MAX).unwrap_err();
        assert!(e.to_string().contains("not enough free space"), "{e}");
        assert!(!staging.exists(), "empty staging left behind");
        // One that holds a file mixtape left is kept for the next run.
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("x.mp3"), b"x").unwrap();
        assert!(site.check_space(u64::MAX).is_err());
        assert!(staging.join("x.mp3").exists());
        site.check_space(1).unwrap();
    }
}
