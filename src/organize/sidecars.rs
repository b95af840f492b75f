//! Sidecars: the non-audio files of an album folder (cover images, the
//! rip's `.cue`, `.log` and `.accurip`, `.txt`/`.nfo` notes, `.lrc`
//! lyrics, a booklet `.pdf`, the folder's `.m3u`) that follow their album
//! in `organize`.
//!
//! A folder's sidecars go where its tracks go only when every track the
//! library has in that folder is organised, all into one album folder. A
//! folder holding tracks of several albums, tracks without an album, or
//! tracks that stay, keeps its sidecars, and the plan says so ([`Kept`]). A sidecar named like one of
//! the tracks (`01 Song.lrc` beside `01 Song.flac`) takes the track's new
//! name; a `.cue` has its `FILE` lines rewritten to the tracks' new names
//! ([`crate::cue::rewrite_files`], every other byte kept).
//!
//! Sidecars move after their folder's tracks, through the same journal:
//! a `move` (or `copy`) entry each, and for a rewritten `.cue` a `retag`
//! entry holding the bytes it replaced, so `undo` gives every sidecar back
//! byte for byte. Nothing is overwritten: a different file of the same
//! name at the destination gets ` (2)`; the same bytes already there count
//! as done and the source is left where it is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::Settings;
use crate::error::{Error, Result};
use crate::fsops::{self, Mode};
use crate::journal::Operation;
use crate::library::path_to_bytes;
use crate::names::{self, NameRules};

/// Extensions of the files that belong to an album folder.
const SIDECAR_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff", "cue", "log", "accurip", "txt",
    "nfo", "lrc", "pdf", "m3u", "m3u8",
];

/// Is `path` a sidecar by its name (not hidden, a sidecar extension)?
pub fn is_sidecar(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    !hidden && crate::media::extension_is_one_of(path, SIDECAR_EXTENSIONS)
}

/// What a planned sidecar will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SidecarVerdict {
    /// Move or copy it to `dst` (and rewrite it there, for a `.cue`).
    Transfer,
    /// Only rewrite its `FILE` lines where it is (the tracks were renamed
    /// inside their folder).
    RewriteInPlace,
    /// The same bytes already are at `dst`; the source is left alone.
    AlreadyThere,
}

/// One sidecar's plan.
#[derive(Debug, Clone)]
pub struct Sidecar {
    /// The folder it belongs to (its tracks' source folder).
    pub folder: PathBuf,
    pub src: PathBuf,
    pub dst: PathBuf,
    pub verdict: SidecarVerdict,
    /// For a `.cue`: old audio file name -> new one, for its `FILE` lines.
    pub renames: HashMap<Vec<u8>, String>,
}

/// A folder whose sidecars stay, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub folder: PathBuf,
    /// How many sidecars stay.
    pub files: usize,
    pub why: String,
}

/// The sidecar part of a plan.
#[derive(Debug, Clone, Default)]
pub struct SidecarPlan {
    pub items: Vec<Sidecar>,
    pub kept: Vec<Kept>,
}

/// The sidecars in `dir`, sorted by name (unreadable folders have none).
fn sidecars_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| is_sidecar(p))
        .collect();
    out.sort();
    out
}

/// A track the plan moves or copies.
#[derive(Debug, Clone, Copy)]
pub struct Moving<'a> {
    pub src: &'a Path,
    pub dst: &'a Path,
    /// It has an album (a singleton goes to a shared folder).
    pub album: bool,
}

/// Plan the sidecars of the folders the `moving` tracks leave.
/// `tracks_in` counts the library's tracks (present on disk) per folder;
/// `claimed` holds the places the tracks take (case-insensitive keys) and
/// gets the sidecars' places.
pub fn plan(
    moving: &[Moving<'_>],
    tracks_in: &HashMap<PathBuf, usize>,
    s: &Settings,
    claimed: &mut HashSet<String>,
) -> SidecarPlan {
    let mut by_folder: BTreeMap<PathBuf, Vec<&Moving<'_>>> = BTreeMap::new();
    for m in moving {
        if let Some(f) = m.src.parent() {
            by_folder.entry(f.to_path_buf()).or_default().push(m);
        }
    }
    let mut out = SidecarPlan::default();
    for (folder, moving) in by_folder {
        let files = sidecars_in(&folder);
        if files.is_empty() {
            continue;
        }
        let total = tracks_in.get(&folder).copied().unwrap_or(0);
        let dsts: std::collections::BTreeSet<&Path> =
            moving.iter().filter_map(|i| i.dst.parent()).collect();
        let why = if moving.iter().any(|m| !m.album) {
            Some("holds tracks without an album".to_string())
        } else if dsts.len() > 1 {
            Some(format!(
                "holds tracks of several albums ({} destination folders)",
                dsts.len()
            ))
        } else if moving.len() < total {
            Some(format!(
                "{} of its {total} tracks are not organised",
                total - moving.len()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            out.kept.push(Kept {
                folder,
                files: files.len(),
                why,
            });
            continue;
        }
        let Some(dest) = dsts.into_iter().next().map(Path::to_path_buf) else {
            continue;
        };
        // Track stems and file names, old -> new.
        let stems: HashMap<String, String> = moving
            .iter()
            .filter_map(|i| {
                let old = i.src.file_stem()?.to_string_lossy().into_owned();
                let new = i.dst.file_stem()?.to_string_lossy().into_owned();
                Some((old, new))
            })
            .collect();
        let renames: HashMap<Vec<u8>, String> = moving
            .iter()
            .filter_map(|i| {
                let old = path_to_bytes(Path::new(i.src.file_name()?));
                let new = i.dst.file_name()?.to_string_lossy().into_owned();
                (old != new.as_bytes()).then_some((old, new))
            })
            .collect();
        for src in files {
            out.items
                .push(plan_one(&folder, &dest, src, &stems, &renames, s, claimed));
        }
    }
    out
}

fn plan_one(
    folder: &Path,
    dest: &Path,
    src: PathBuf,
    stems: &HashMap<String, String>,
    renames: &HashMap<Vec<u8>, String>,
    s: &Settings,
    claimed: &mut HashSet<String>,
) -> Sidecar {
    let stem = src
        .file_stem()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = src
        .extension()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stems.get(&stem).cloned().unwrap_or(stem);
    let is_cue = ext.eq_ignore_ascii_case("cue");
    let renames = if is_cue {
        renames.clone()
    } else {
        HashMap::new()
    };
    let rules = NameRules::organize(s.ascii);
    let mut item = Sidecar {
        folder: folder.to_path_buf(),
        dst: PathBuf::new(),
        verdict: SidecarVerdict::Transfer,
        renames,
        src,
    };
    for n in std::iter::once(None).chain((2..=9999).map(Some)) {
        let dst = dest.join(names::name(&stem, &ext, n, &rules));
        if dst == item.src {
            item.dst = dst;
            item.verdict = SidecarVerdict::RewriteInPlace;
            return item;
        }
        let key = dst.to_string_lossy().to_lowercase();
        if claimed.contains(&key) {
            continue;
        }
        if dst.symlink_metadata().is_ok() {
            let same = match (fsops::hash_file(&dst), fsops::hash_file(&item.src)) {
                (Ok(a), Ok(b)) => a == b && item.renames.is_empty(),
                _ => false,
            };
            if same {
                item.dst = dst;
                item.verdict = SidecarVerdict::AlreadyThere;
                return item;
            }
            continue;
        }
        claimed.insert(key);
        item.dst = dst;
        return item;
    }
    item
}

/// Does this plan item change anything? (A copy leaves the source folder
/// as it was, so a sheet there is not rewritten for the copies.)
pub fn acts(item: &Sidecar, mode: Mode) -> bool {
    match item.verdict {
        SidecarVerdict::Transfer => true,
        SidecarVerdict::RewriteInPlace => mode == Mode::Move && !item.renames.is_empty(),
        SidecarVerdict::AlreadyThere => false,
    }
}

/// Move or copy one sidecar (journalled), then rewrite a `.cue`'s `FILE`
/// lines at its new place. Returns how many `FILE` lines changed.
pub fn transfer(op: &mut Operation<'_>, item: &Sidecar, mode: Mode) -> Result<usize> {
    let hash = fsops::hash_file(&item.src)?;
    if item.verdict == SidecarVerdict::Transfer {
        op.transfer(&item.src, &item.dst, mode, None, Some(hash))?;
    }
    if item.renames.is_empty() {
        return Ok(0);
    }
    let path = &item.dst;
    let old = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let Some(new) = crate::cue::rewrite_files(path, &old, &item.renames)? else {
        return Ok(0);
    };
    let seq = op.plan_retag(path, None, &old, &new.bytes, "{}")?;
    let perms = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions();
    let written = fsops::write_atomic_with(path, true, |out| {
        use std::io::Write;
        out.write_all(&new.bytes)?;
        out.set_permissions(perms.clone())
    });
    match written {
        Ok(()) => op.mark(seq, true, None)?,
        Err(e) => {
            op.mark(seq, false, Some(&e.to_string()))?;
            return Err(e);
        }
    }
    Ok(new.changed)
}
