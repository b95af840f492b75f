//! `export --check`: validate an existing folder (made by mixtape or by any
//! other tool) against a profile's rules, listing every violation.
//!
//! Checked: names (FAT characters, reserved names, trailing dots/spaces, the
//! strict alphabet), path lengths, folder depth, files per folder and in
//! total; for the car, that every track is an MP3 whose first frame is at
//! 32/44.1/48 kHz, whose ID3 tag is no newer than v2.3 and whose cover is a
//! baseline (not progressive) JPEG of at most 300x300 (read from the SOF
//! marker), and that the directory order (the order `read_dir` returns, which
//! on FAT is the on-disk order units play in) follows the manifest's play
//! order; for CDs, that every CUE sheet and TOC parses and points at WAVs that
//! exist, are 44.1 kHz/16-bit stereo and padded to 2352-byte sectors, and
//! that each disc fits the limit. Nothing is modified.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::export::manifest::{Manifest, MANIFEST_NAME};
use crate::export::naming::MAX_PATH;
use crate::export::plan::STAGING_DIR;
use crate::export::profile::{Profile, MAX_CD_TRACKS};
use crate::export::{art, cd};
use crate::fsops;
use crate::media::mpeg::header;
use crate::media::mpeg::id3v2;
use crate::names;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// A short rule id: name, path-length, depth, folder-count, total-count,
    /// format, id3-version, art, samplerate, order, cue, toc, wav, disc, partial.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// What to check against.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// The profile whose rules apply.
    pub profile: Profile,
    /// Names must be `A-Z 0-9 _` only.
    pub strict_names: bool,
    /// CD length limit in minutes.
    pub disc_minutes: f64,
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Every violation found, in walk order.
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
    if opts.profile == Profile::Cd {
        check_cd(dir, &listing, opts, &mut rep);
    }
    check_playlists(dir, &listing, &mut rep.violations);
    Ok(rep)
}

fn join(dir: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() {
        dir.to_path_buf()
    } else {
        rel.split('/').fold(dir.to_path_buf(), |p, c| p.join(c))
    }
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
        let strict = opts.strict_names;
        let lower = name.to_ascii_lowercase();
        let is_aux = lower.ends_with(".m3u8")
            || lower.ends_with(".m3u")
            || lower.ends_with(".cue")
            || lower.ends_with(".toc");
        for p in names::problems(&name, strict && !is_aux) {
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
            if opts.profile == Profile::Car && !is_aux {
                check_car_file(&path, &mut rep.violations);
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

/// Car rules for one file: MP3 only, first frame at 32/44.1/48 kHz, ID3 no
/// newer than v2.3, cover a baseline JPEG of at most 300x300.
fn check_car_file(path: &Path, v: &mut Vec<Violation>) {
    let mut push = |rule: &'static str, message: String| {
        v.push(Violation {
            path: path.to_path_buf(),
            rule,
            message,
        })
    };
    let is_mp3 = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mp3"));
    if !is_mp3 {
        // Covers, text files and the like are skipped by units; other audio
        // formats are not played.
        if crate::media::has_audio_extension(path) {
            push("format", "not an MP3 (car units play MP3 only)".into());
        }
        return;
    }
    let data = match read_head(path, 4 << 20) {
        Ok(d) => d,
        Err(e) => {
            push("format", format!("cannot read: {e}"));
            return;
        }
    };
    let tag = id3v2::read_info(&data);
    let audio_start = match &tag {
        Some(t) => {
            if t.major > 3 {
                push(
                    "id3-version",
                    format!("ID3v2.{} tag (car units need ID3v2.3 or older)", t.major),
                );
            }
            t.total_len
        }
        None => 0,
    };
    match header::first_sample_rate(&data, audio_start) {
        Some(rate) if [32000, 44100, 48000].contains(&rate) => {}
        Some(rate) => push(
            "samplerate",
            format!("MP3 at {rate} Hz (car units need 32, 44.1 or 48 kHz)"),
        ),
        None => push("format", "no MPEG audio frame found".into()),
    }
    if let Some(t) = &tag {
        for pic in &t.pictures {
            if !pic.starts_with(&[0xFF, 0xD8]) {
                push("art", "cover art is not a JPEG".into());
                continue;
            }
            if art::jpeg_is_progressive(pic) {
                push(
                    "art",
                    "cover art is a progressive JPEG (use baseline)".into(),
                );
            }
            match art::image_size(pic) {
                Some((w, h)) if w > 300 || h > 300 => {
                    push("art", format!("cover art is {w}x{h} (at most 300x300)"))
                }
                Some(_) => {}
                None => push("art", "cover art cannot be read".into()),
            }
        }
    }
}

/// The first `max` bytes of a file.
fn read_head(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(buf)
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

/// CD rules: every folder with WAVs has a CUE sheet and a TOC that parse and
/// agree with the WAVs, which are 44.1/16/2 and sector-padded, within the
/// disc limit.
fn check_cd(
    dir: &Path,
    listing: &[(String, Vec<String>)],
    opts: &CheckOptions,
    rep: &mut CheckReport,
) {
    let limit = (opts.disc_minutes * 60.0 * cd::SECTORS_PER_SECOND as f64).floor() as u64;
    for (folder, names) in listing {
        let fdir = join(dir, folder);
        let lower = |n: &String, ext: &str| n.to_ascii_lowercase().ends_with(ext);
        let wavs: Vec<&String> = names.iter().filter(|n| lower(n, ".wav")).collect();
        let cues: Vec<&String> = names.iter().filter(|n| lower(n, ".cue")).collect();
        let tocs: Vec<&String> = names.iter().filter(|n| lower(n, ".toc")).collect();
        if wavs.is_empty() && cues.is_empty() && tocs.is_empty() {
            continue;
        }
        let v = &mut rep.violations;
        for n in names {
            if !(lower(n, ".wav") || lower(n, ".cue") || lower(n, ".toc")) {
                v.push(Violation {
                    path: fdir.join(n),
                    rule: "format",
                    message: "not a WAV, CUE or TOC file (a CD folder holds only these)".into(),
                });
            }
        }
        if cues.is_empty() {
            v.push(Violation {
                path: fdir.clone(),
                rule: "cue",
                message: "no CUE sheet for these WAVs".into(),
            });
        }
        if tocs.is_empty() {
            v.push(Violation {
                path: fdir.clone(),
                rule: "toc",
                message: "no cdrdao TOC file for these WAVs".into(),
            });
        }
        let mut referenced: Vec<String> = Vec::new();
        for c in &cues {
            let p = fdir.join(c);
            let text = match fs::read(&p) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    v.push(Violation {
                        path: p,
                        rule: "cue",
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            let cue = match cd::parse_cue(&p, &text) {
                Ok(c) => c,
                Err(e) => {
                    v.push(Violation {
                        path: p,
                        rule: "cue",
                        message: format!("does not parse: {e}"),
                    });
                    continue;
                }
            };
            if cue.tracks.len() > MAX_CD_TRACKS {
                v.push(Violation {
                    path: p.clone(),
                    rule: "disc",
                    message: format!(
                        "{} tracks (a CD holds at most {MAX_CD_TRACKS})",
                        cue.tracks.len()
                    ),
                });
            }
            let mut sectors = 0u64;
            let mut seen_files = Vec::new();
            for t in &cue.tracks {
                let file = &cue.files[t.file];
                if seen_files.contains(file) {
                    continue;
                }
                seen_files.push(file.clone());
                referenced.push(file.clone());
                let wav = fdir.join(file);
                if !wav.is_file() {
                    v.push(Violation {
                        path: p.clone(),
                        rule: "cue",
                        message: format!("TRACK {:02}: file {:?} does not exist", t.number, file),
                    });
                    continue;
                }
                sectors += check_wav(&wav, v);
            }
            if sectors > limit {
                v.push(Violation {
                    path: p.clone(),
                    rule: "disc",
                    message: format!(
                        "disc is {} long (the limit is {})",
                        cd::msf(sectors),
                        cd::msf(limit)
                    ),
                });
            }
        }
        for t in &tocs {
            let p = fdir.join(t);
            let text = fs::read(&p).map(|b| String::from_utf8_lossy(&b).into_owned());
            match text
                .map_err(|e| Error::io(&p, e))
                .and_then(|s| cd::parse_toc(&p, &s))
            {
                Ok(toc) => {
                    if !toc.cd_da {
                        v.push(Violation {
                            path: p.clone(),
                            rule: "toc",
                            message: "missing CD_DA".into(),
                        });
                    }
                    for f in &toc.files {
                        if !fdir.join(f).is_file() {
                            v.push(Violation {
                                path: p.clone(),
                                rule: "toc",
                                message: format!("file {f:?} does not exist"),
                            });
                        }
                    }
                }
                Err(e) => v.push(Violation {
                    path: p,
                    rule: "toc",
                    message: format!("does not parse: {e}"),
                }),
            }
        }
        if !cues.is_empty() {
            for w in &wavs {
                if !referenced.iter().any(|r| r == *w) {
                    v.push(Violation {
                        path: fdir.join(w),
                        rule: "cue",
                        message: "WAV not listed in the CUE sheet".into(),
                    });
                }
            }
        }
    }
}

/// Check one CD WAV; returns its length in sectors.
fn check_wav(wav: &Path, v: &mut Vec<Violation>) -> u64 {
    match cd::wav_info(wav) {
        Ok(w) => {
            if (w.samplerate, w.bits, w.channels) != (44100, 16, 2) {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: format!(
                        "{} Hz / {}-bit / {} channels (a CD needs 44100 Hz / 16-bit / 2)",
                        w.samplerate, w.bits, w.channels
                    ),
                });
            }
            if w.data_bytes % cd::SECTOR_BYTES != 0 {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: format!(
                        "{} bytes of audio, not a multiple of the 2352-byte sector",
                        w.data_bytes
                    ),
                });
            }
            let sectors = w.data_bytes.div_ceil(cd::SECTOR_BYTES);
            if sectors < cd::track_sectors(0.0) {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: "shorter than 4 seconds (the CD minimum)".into(),
                });
            }
            sectors
        }
        Err(e) => {
            v.push(Violation {
                path: wav.to_path_buf(),
                rule: "wav",
                message: format!("{e}"),
            });
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
