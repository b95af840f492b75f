//! Walking scan roots: find candidate audio files with their size and mtime
//! (stat work only), skipping hidden entries unless asked, following symlinks
//! only when asked (walkdir detects loops), skipping what the ignore globs
//! match (a matching folder is not entered), and collecting every folder that
//! could not be read as a `path: reason` error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::ignore::IgnoreSet;
use crate::library::unix_seconds;
use crate::media::has_audio_extension;

/// A file found by the walk.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub size: u64,
    pub mtime: f64,
    /// Index of the root it was found under.
    pub root: usize,
    /// Its extension says audio; otherwise it is only a content-sniff candidate.
    pub audio_ext: bool,
}

/// What walking all roots produced.
#[derive(Debug, Default)]
pub struct WalkResult {
    pub files: Vec<Found>,
    /// CUE sheets (not files to read, but what makes a file an image).
    pub sheets: Vec<Found>,
    /// `path: reason` problems (unreadable folders, symlink loops, ...).
    pub errors: Vec<(PathBuf, String)>,
    /// Folders whose content could not be listed: files below them are not
    /// declared missing.
    pub unreadable: Vec<PathBuf>,
}

/// Extensions that are certainly not audio: never opened.
fn is_known_non_audio(path: &Path) -> bool {
    const SKIP: &[&str] = &[
        "jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff", "txt", "nfo", "log", "cue",
        "m3u", "m3u8", "pls", "xspf", "pdf", "db", "ini", "json", "xml", "html", "htm", "md",
        "sfv", "md5", "ffp", "accurip", "url", "lnk", "zip", "rar", "7z", "gz", "tar", "exe",
        "doc", "docx", "rtf", "sh", "py", "rs", "toml", "lrc", "srt", "mkv", "avi", "mov",
        "db-wal", "db-shm", "sqlite", "torrent", "part", "tmp", "ds_store",
    ];
    crate::media::extension_is_one_of(path, SKIP)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Walk every root (in parallel across roots). With `follow`, a file reached
/// twice through links is listed once.
pub fn walk(roots: &[PathBuf], hidden: bool, follow: bool, ignore: &IgnoreSet) -> WalkResult {
    let parts: Vec<WalkResult> = roots
        .par_iter()
        .enumerate()
        .map(|(i, root)| walk_root(i, root, hidden, follow, ignore))
        .collect();
    let mut out = WalkResult::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for p in parts {
        for f in p.files {
            // Overlapping roots (one inside another) list a file once.
            if seen.insert(f.path.clone()) {
                out.files.push(f);
            }
        }
        for f in p.sheets {
            if seen.insert(f.path.clone()) {
                out.sheets.push(f);
            }
        }
        out.errors.extend(p.errors);
        out.unreadable.extend(p.unreadable);
    }
    out
}

fn walk_root(
    index: usize,
    root: &Path,
    hidden: bool,
    follow: bool,
    ignore: &IgnoreSet,
) -> WalkResult {
    let mut out = WalkResult::default();
    #[cfg(unix)]
    let mut inodes: HashSet<(u64, u64)> = HashSet::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(follow)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || ((hidden || !is_hidden(e.file_name())) && !ignore.ignores(root, e.path()))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let reason = if let Some(anc) = err.loop_ancestor() {
                    format!("symlink loop (back to {})", anc.display())
                } else if let Some(io) = err.io_error() {
                    io.to_string()
                } else {
                    err.to_string()
                };
                out.unreadable.push(path.clone());
                out.errors.push((path, reason));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let sheet = crate::media::extension_is_one_of(path, &["cue"]);
        if crate::fsops::is_temp_name(path) || (is_known_non_audio(path) && !sheet) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                out.errors.push((path.to_path_buf(), e.to_string()));
                continue;
            }
        };
        #[cfg(unix)]
        if follow {
            use std::os::unix::fs::MetadataExt;
            if !inodes.insert((meta.dev(), meta.ino())) {
                continue;
            }
        }
        let mtime = meta.modified().map(unix_seconds).unwrap_or(0.0);
        let found = Found {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime,
            root: index,
            audio_ext: has_audio_extension(path),
        };
        if sheet {
            out.sheets.push(found);
        } else {
            out.files.push(found);
        }
    }
    out
}
