//! Keeping writes and deletions inside the folder the user named.
//!
//! A destination (export's `--to`, organize's `--into`) may already hold
//! symbolic links, e.g. a folder linked to another disk. Creating folders,
//! renaming files into place or removing files through such a link would
//! touch files outside the destination. [`Confined::check`] resolves the
//! deepest existing folder above a target and refuses the target when that
//! folder is not inside the canonical destination.
//!
//! The target itself is not resolved: a rename replaces a link, and a
//! removal removes the link, never what it points to. The destination
//! itself may be a link (a mount point reached through one is common); only
//! links *inside* it are checked.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A destination folder that targets are checked against.
#[derive(Debug, Clone)]
pub struct Confined {
    /// The destination as the caller spells it (targets are built from it).
    root: PathBuf,
    /// Its canonical form, when it exists.
    canonical: Option<PathBuf>,
}

/// The deepest ancestor of `path` (itself included) that exists, links
/// included.
fn deepest_existing(path: &Path) -> Option<&Path> {
    let mut d = path;
    loop {
        if d.symlink_metadata().is_ok() {
            return Some(d);
        }
        d = d.parent()?;
    }
}

impl Confined {
    /// Check targets against `root` (which need not exist yet).
    pub fn new(root: &Path) -> Confined {
        Confined {
            root: root.to_path_buf(),
            canonical: std::fs::canonicalize(root).ok(),
        }
    }

    /// The destination as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Is writing or deleting `target` (a path built under the root) safe:
    /// does every existing folder above it stay inside the root? Else the
    /// error reads `TARGET: leads outside ROOT through a symlink; refused`.
    pub fn check(&self, target: &Path) -> Result<()> {
        let refused = || {
            Error::at(
                target,
                format!(
                    "leads outside {} through a symlink; refused",
                    self.root.display()
                ),
            )
        };
        if !target.starts_with(&self.root) {
            return Err(refused());
        }
        let parent = target.parent().unwrap_or(target);
        let Some(existing) = deepest_existing(parent) else {
            return Ok(());
        };
        // Nothing below the root exists on this path: nothing to follow.
        if existing != self.root && self.root.starts_with(existing) {
            return Ok(());
        }
        let real = match std::fs::canonicalize(existing) {
            Ok(r) => r,
            // A dangling link: following it would create things elsewhere.
            Err(_) if existing.is_symlink() => return Err(refused()),
            Err(e) => return Err(Error::io(existing, e)),
        };
        match &self.canonical {
            Some(c) if real.starts_with(c) => Ok(()),
            // The root appeared since `new`: resolve it now.
            None if std::fs::canonicalize(&self.root).is_ok_and(|c| real.starts_with(c)) => Ok(()),
            _ => Err(refused()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_inside_the_root_that_lead_out_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("dest");
        let outside = d.path().join("outside");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("inner")).unwrap();
        std::os::unix::fs::symlink(d.path().join("gone"), root.join("dangling")).unwrap();
        let c = Confined::new(&root);
        c.check(&root.join("a.mp3")).unwrap();
        c.check(&root.join("real/new/deeper/a.mp3")).unwrap();
        c.check(&root.join("inner/a.mp3")).unwrap();
        // The link itself may be replaced or removed; going through it may not.
        c.check(&root.join("out")).unwrap();
        let e = c.check(&root.join("out/a.mp3")).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: leads outside {} through a symlink; refused",
                root.join("out/a.mp3").display(),
                root.display()
            )
        );
        assert!(c.check(&root.join("out/new/a.mp3")).is_err());
        assert!(c.check(&root.join("dangling/a.mp3")).is_err());
        assert!(c.check(&outside.join("a.mp3")).is_err());
        // A root that does not exist yet holds no links.
        let fresh = Confined::new(&d.path().join("new/dest"));
        fresh.check(&d.path().join("new/dest/x/a.mp3")).unwrap();
        // A root reached through a link is fine.
        std::os::unix::fs::symlink(&root, d.path().join("via")).unwrap();
        let via = Confined::new(&d.path().join("via"));
        via.check(&d.path().join("via/real/a.mp3")).unwrap();
        assert!(via.check(&d.path().join("via/out/a.mp3")).is_err());
    }
}
