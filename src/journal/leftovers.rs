//! Temporary files that a killed run, or a power loss, left beside a move's
//! or copy's destination (named by [`fsops::temp_name`]): which may go,
//! which hold the only copy of a file and get a real name again, and which
//! are left alone and reported.
//!
//! A leftover is deleted only when its data is not the only copy: the
//! source still holds the journal's data (or the leftover is not the
//! journal's data at all, a partial copy, while the source is intact), or
//! the destination holds the same bytes. A leftover whose BLAKE3 equals the
//! journal's while the source and the destination are both gone *is* the
//! file (a cross-filesystem move whose published name never reached the
//! disk, while the removal of its source did): it is published under the
//! name the caller needs, the source for undo, the destination for
//! recovery. Anything else (an unknown hash, a mismatch with the source
//! gone) is left alone, and said.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::fsops::{self, Mode};

/// What [`resolve`] did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub(super) struct Resolution {
    /// A complete leftover was given this name.
    pub published: Option<PathBuf>,
    /// Leftovers left alone, as messages.
    pub kept: Vec<String>,
}

/// The temporary files of ours beside `dst` that belong to it.
fn find(dst: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (dst.parent(), dst.file_name()) else {
        return Vec::new();
    };
    let short: String = name.to_string_lossy().chars().take(40).collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            fsops::is_temp_name(p)
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(short.as_str()))
        })
        .collect();
    found.sort();
    found
}

/// Deal with the leftovers of the entry `src -> dst` whose data had the
/// BLAKE3 `hash` (when known). A complete leftover that is the only copy is
/// published under `publish_to` (`src` or `dst`; `None`: left alone). With
/// `dry_run` nothing changes and the resolution says what would happen.
pub(super) fn resolve(
    src: &Path,
    dst: &Path,
    hash: Option<[u8; 32]>,
    publish_to: Option<&Path>,
    dry_run: bool,
) -> Result<Resolution> {
    let mut out = Resolution::default();
    let holds = |p: &Path| hash.is_some() && fsops::hash_file(p).ok() == hash;
    for t in find(dst) {
        let theirs = fsops::hash_file(&t).ok();
        let complete = hash.is_some() && theirs == hash;
        let src_there = src.symlink_metadata().is_ok() || out.published.as_deref() == Some(src);
        let dst_there = dst.symlink_metadata().is_ok() || out.published.as_deref() == Some(dst);
        let remove = if src_there {
            // The source is intact: the leftover is a partial or an extra
            // copy, unless it is the journal's data and the source changed.
            if complete && !(dry_run && out.published.is_some()) && !holds(src) {
                out.kept.push(format!(
                    "{}: a complete copy of {} as the operation found it, which has changed since; left alone",
                    t.display(),
                    src.display()
                ));
                false
            } else {
                true
            }
        } else if dst_there {
            let same = fsops::same_file(&t, dst)
                || (theirs.is_some() && fsops::hash_file(dst).ok() == theirs)
                || (dry_run && complete && out.published.as_deref() == Some(dst));
            if !same {
                out.kept.push(format!(
                    "{}: a leftover copy that differs from {}; left alone",
                    t.display(),
                    dst.display()
                ));
            }
            same
        } else if let (true, Some(to)) = (complete, publish_to) {
            // The only copy of the file: give it its name back.
            if !dry_run {
                if to == dst {
                    fsops::publish_leftover(&t, dst)?;
                } else {
                    fsops::transfer(&t, to, Mode::Move)?;
                }
            }
            out.published = Some(to.to_path_buf());
            false
        } else {
            out.kept.push(if hash.is_none() {
                format!(
                    "{}: a leftover copy of {}, which is gone; no hash was journalled to check it against; left alone",
                    t.display(),
                    src.display()
                )
            } else if complete {
                format!(
                    "{}: a complete copy of {}, which is gone; left alone",
                    t.display(),
                    src.display()
                )
            } else {
                format!(
                    "{}: a leftover copy of {}, which is gone, does not match the journalled hash (damaged or partial); left alone",
                    t.display(),
                    src.display()
                )
            });
            false
        };
        if remove && !dry_run {
            let _ = std::fs::remove_file(&t);
        }
    }
    Ok(out)
}

/// In a folder the operation created, remove our empty temporary files (a
/// write probe, or a copy killed before its first byte): they hold no data.
/// Any other leftover belongs to a move or copy entry, which dealt with it.
pub(super) fn remove_empty(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let empty = entry.metadata().is_ok_and(|m| m.is_file() && m.len() == 0);
        if empty && fsops::is_temp_name(&p) {
            let _ = std::fs::remove_file(&p);
        }
    }
}
