//! `export --check`: validate an existing folder (made by mixtape or by any
//! other tool) against any profile's rules, built-in or the user's own,
//! listing every violation. Nothing is modified.
//!
//! Checked here: names (FAT characters, reserved names, trailing dots and
//! spaces, the profile's charset and name length, 8.3 included), path
//! lengths, folder depth, files per folder, folders and files on the
//! device, that every M3U/M3U8 entry exists, and for a profile whose play
//! order is the directory order, that the order `read_dir` returns (on FAT
//! the on-disk order units play in) follows the manifest's play order.
//! Every audio file is judged against the profile's audio rules by
//! [`super::check_file`]; a CD folder (CUE, TOC, WAVs) by
//! [`super::check_cd`].

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::export::check_cd::check_cd;
pub use crate::export::check_file::Violation;
use crate::export::check_file::{check_audio_file, join, name_problems};
use crate::export::device::{DeviceProfile, Layout, NameCharset};
use crate::export::manifest::{Manifest, MANIFEST_NAME};
use crate::export::naming::MAX_PATH;
use crate::export::plan::STAGING_DIR;
use crate::export::profile::{ExportSettings, MAX_CD_TRACKS};
use crate::fsops;

/// What to check against.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The profile whose rules apply.
    pub profile: DeviceProfile,
    /// The name charset in force (the profile's, or `strict` with
    /// `--strict-names`).
    pub charset: NameCharset,
    /// CD length limit in minutes.
    pub disc_minutes: f64,
}

impl CheckOptions {
    /// Check against the rules `settings` export with.
    pub fn new(settings: &ExportSettings) -> CheckOptions {
        CheckOptions {
            profile: settings.profile.clone(),
            charset: settings.name_charset(),
            disc_minutes: settings.disc_minutes,
        }
    }
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Every violation found, by path.
    pub violations: Vec<Violation>,
    /// Files looked at.
    pub files: usize,
    /// Remarks that are not violations (e.g. order not checkable here).
    pub notes: Vec<String>,
}

/// Is the filesystem holding `path` FAT or exFAT (where directory order is
/// creation order and head units play in that order)?
#[cfg(target_os = "linux")]
pub fn is_fat(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out-pointer.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const MSDOS: i64 = 0x4d44;
    const EXFAT: i64 = 0x2011_BAB0;
    matches!(st.f_type as i64, MSDOS | EXFAT)
}

/// Is the filesystem FAT? (Unknown off Linux: assume it is.)
#[cfg(not(target_os = "linux"))]
pub fn is_fat(_path: &Path) -> bool {
    true
}

/// Check `dir` against `opts`. `Err` only when `dir` cannot be read at all.
pub fn check_dir(dir: &Path, opts: &CheckOptions) -> Result<CheckReport> {
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::io(dir, std::io::Error::other("not a folder")));
    }
    let mut rep = CheckReport::default();
    let manifest = match Manifest::load(dir) {
        Ok(m) => m,
        Err(e) => {
            rep.notes.push(format!("{e}"));
            None
        }
    };
    let limits = opts.profile.limits();
    let mut listing: Vec<(String, Vec<String>)> = Vec::new(); // folder rel -> names in read_dir order
    walk(dir, "", 0, opts, &mut rep, &mut listing)?;
    let v = &mut rep.violations;
    // Counts per folder and in total.
    let mut total = 0usize;
    for (folder, names) in &listing {
        let files = names.len();
        total += files;
        if let Some(max) = limits.files_per_folder {
            if files > max {
                v.push(Violation {
                    path: join(dir, folder),
                    rule: "folder-count",
                    message: format!("{files} files in one folder (at most {max})"),
                });
            }
        }
    }
    rep.files = total;
    if let Some(max) = limits.total_files {
        if total > max {
            v.push(Violation {
                path: dir.to_path_buf(),
                rule: "total-count",
                message: format!("{total} files in total (some units read at most {max})"),
            });
        }
    }
    if limits.ordered_folders {
        if is_fat(dir) {
            rep.violations
                .extend(check_order(dir, &listing, manifest.as_ref()));
        } else {
            rep.notes.push(format!(
                "{}: not a FAT filesystem, so directory order (play order on FAT) was not checked",
                dir.display()
            ));
        }
    }
    if let Some(max) = opts.profile.folders_per_device {
        let folders = listing.iter().filter(|(f, _)| !f.is_empty()).count();
        if folders > max {
            rep.violations.push(Violation {
                path: dir.to_path_buf(),
                rule: "folders-count",
                message: format!("{folders} folders (at most {max})"),
            });
        }
    }
    if opts.profile.layout == Layout::Disc {
        let max_tracks = opts.profile.cd.map_or(MAX_CD_TRACKS, |c| c.disc_tracks);
        check_cd(
            dir,
            &listing,
            opts.disc_minutes,
            max_tracks,
            &mut rep.violations,
        );
    }
    check_playlists(dir, &listing, &mut rep.violations);
    // By path (each path's rules in the order checked), whatever order the
    // filesystem listed the entries in: the same folder reads the same.
    rep.violations.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(rep)
}

/// Walk in `read_dir` order (the on-disk order), checking names and files.
fn walk(
    root: &Path,
    rel: &str,
    depth: usize,
    opts: &CheckOptions,
    rep: &mut CheckReport,
    listing: &mut Vec<(String, Vec<String>)>,
) -> Result<()> {
    let dir = join(root, rel);
    let rd = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io(&dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if depth == 0 && (name == MANIFEST_NAME || name == STAGING_DIR) {
            continue;
        }
        // Operating-system housekeeping (recycle bins, indexes, resource
        // forks) is not the user's music and units skip it.
        let housekeeping = (name.starts_with('.') && !fsops::is_temp_name(&path))
            || (depth == 0 && name == "System Volume Information");
        if housekeeping {
            continue;
        }
        if fsops::is_temp_name(&path) {
            rep.violations.push(Violation {
                path,
                rule: "partial",
                message: "leftover temporary file from an interrupted export".into(),
            });
            continue;
        }
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let lower = name.to_ascii_lowercase();
        let is_aux = lower.ends_with(".m3u8")
            || lower.ends_with(".m3u")
            || lower.ends_with(".cue")
            || lower.ends_with(".toc");
        let max = opts.profile.max_name_chars();
        for p in name_problems(&name, opts.charset, max, is_aux) {
            rep.violations.push(Violation {
                path: path.clone(),
                rule: "name",
                message: format!("name: {p}"),
            });
        }
        if child.chars().count() > MAX_PATH {
            rep.violations.push(Violation {
                path: path.clone(),
                rule: "path-length",
                message: format!(
                    "path is {} characters long (at most {MAX_PATH})",
                    child.chars().count()
                ),
            });
        }
        if is_dir {
            let max = opts.profile.limits().max_depth;
            if depth + 1 > max {
                rep.violations.push(Violation {
                    path: path.clone(),
                    rule: "depth",
                    message: format!("folder is {} levels deep (at most {max})", depth + 1),
                });
            }
            subdirs.push(child);
        } else {
            if opts.profile.layout != Layout::Disc && !is_aux {
                check_audio_file(&path, &opts.profile, &mut rep.violations);
            }
            files.push(name);
        }
    }
    listing.push((rel.to_string(), files));
    for s in subdirs {
        walk(root, &s, depth + 1, opts, rep, listing)?;
    }
    Ok(())
}

/// Directory order against the manifest's play order, per folder.
fn check_order(
    dir: &Path,
    listing: &[(String, Vec<String>)],
    manifest: Option<&Manifest>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (folder, names) in listing {
        let want: Vec<String> = match manifest {
            Some(m) => m
                .entries
                .iter()
                .filter(|e| {
                    e.path.rsplit_once('/').map(|(f, _)| f).unwrap_or("") == folder.as_str()
                })
                .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path).to_string())
                .collect(),
            // Without a manifest, numbered names give the intended order.
            None => {
                let mut numbered: Vec<String> = names
                    .iter()
                    .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .cloned()
                    .collect();
                numbered.sort();
                numbered
            }
        };
        let pos: HashMap<&str, usize> = want
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let found: Vec<&String> = names
            .iter()
            .filter(|n| pos.contains_key(n.as_str()))
            .collect();
        for w in found.windows(2) {
            if pos[w[0].as_str()] > pos[w[1].as_str()] {
                out.push(Violation {
                    path: join(dir, folder),
                    rule: "order",
                    message: format!(
                        "directory order: {:?} comes before {:?}, but plays after it (units play in directory order)",
                        w[0], w[1]
                    ),
                });
            }
        }
    }
    out
}

/// Every entry of every M3U/M3U8 must name a file that exists (relative
/// paths resolve against the playlist's folder).
fn check_playlists(dir: &Path, listing: &[(String, Vec<String>)], v: &mut Vec<Violation>) {
    for (folder, names) in listing {
        let fdir = join(dir, folder);
        for n in names {
            let lower = n.to_ascii_lowercase();
            if !(lower.ends_with(".m3u8") || lower.ends_with(".m3u")) {
                continue;
            }
            let p = fdir.join(n);
            let Ok(bytes) = fs::read(&p) else { continue };
            // An M3U that is not UTF-8 is Latin-1, as players read it.
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
            };
            for (i, line) in text.lines().enumerate() {
                let entry = line.trim().trim_start_matches('\u{feff}');
                if entry.is_empty() || entry.starts_with('#') || entry.contains("://") {
                    continue;
                }
                let target = if Path::new(entry).is_absolute() {
                    PathBuf::from(entry)
                } else {
                    fdir.join(entry.replace('\\', "/"))
                };
                if !target.is_file() {
                    v.push(Violation {
                        path: p.clone(),
                        rule: "playlist",
                        message: format!("line {}: {entry:?} does not exist", i + 1),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mpeg::{header, id3v2};

    fn id3(major: u8, frames: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, data) in frames {
            body.extend(*id);
            let n = data.len() as u32;
            if major == 4 {
                body.extend([
                    (n >> 21) as u8 & 0x7f,
                    (n >> 14) as u8 & 0x7f,
                    (n >> 7) as u8 & 0x7f,
                    n as u8 & 0x7f,
                ]);
            } else {
                body.extend(n.to_be_bytes());
            }
            body.extend([0, 0]);
            body.extend(data);
        }
        let n = body.len();
        let mut d = b"ID3".to_vec();
        d.extend([major, 0, 0]);
        d.extend([
            (n >> 21) as u8 & 0x7f,
            (n >> 14) as u8 & 0x7f,
            (n >> 7) as u8 & 0x7f,
            n as u8 & 0x7f,
        ]);
        d.extend(body);
        d
    }

    #[test]
    fn reads_id3_version_pictures_and_first_frame() {
        let mut apic = vec![0u8];
        apic.extend(b"image/jpeg\0");
        apic.push(3);
        apic.extend(b"cover\0");
        apic.extend(b"\xFF\xD8cover bytes");
        let mut data = id3(4, &[(b"TIT2", b"\0Song".to_vec()), (b"APIC", apic)]);
        let info = id3v2::read_info(&data).unwrap();
        assert_eq!(info.major, 4);
        assert_eq!(info.pictures.len(), 1);
        assert_eq!(info.pictures[0], b"\xFF\xD8cover bytes");
        // MPEG1 layer III, 128k, 48 kHz.
        data.extend([0xFF, 0xFB, 0x94, 0x00]);
        assert_eq!(
            header::first_sample_rate(&data, info.total_len),
            Some(48000)
        );
        // MPEG2 layer III at 22.05 kHz.
        assert_eq!(
            header::first_sample_rate(&[0xFF, 0xF3, 0x90, 0x00], 0),
            Some(22050)
        );
    }

    #[test]
    fn order_follows_the_manifest() {
        let mut m = Manifest::new("car", "x", "y");
        for n in ["001 a.mp3", "002 b.mp3", "003 c.mp3"] {
            m.entries.push(crate::export::manifest::Entry {
                path: format!("01/{n}"),
                track_id: 1,
                audio_hash: None,
                file_hash: None,
                key: String::new(),
                size: 0,
                hash: String::new(),
                playlists: Vec::new(),
            });
        }
        let listing = vec![(
            "01".to_string(),
            vec![
                "001 a.mp3".to_string(),
                "003 c.mp3".into(),
                "mine.txt".into(),
                "002 b.mp3".into(),
            ],
        )];
        let v = check_order(Path::new("/d"), &listing, Some(&m));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].message.contains("003 c.mp3"));
        let ok = vec![(
            "01".to_string(),
            vec!["001 a.mp3".to_string(), "002 b.mp3".into()],
        )];
        assert!(check_order(Path::new("/d"), &ok, Some(&m)).is_empty());
        // Without a manifest, numbered names give the order.
        let v = check_order(Path::new("/d"), &listing, None);
        assert_eq!(v.len(), 1);
    }
}
