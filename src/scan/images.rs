//! CUE images in a scan: the sheets the walk found are read, each `FILE`
//! entry holding two or more tracks is matched to an audio file beside the
//! sheet ([`Sheet::file_for`]: the same name, another case, or the same
//! stem after a re-encode), and a worker reading such a file also cuts it
//! into its tracks ([`read_image`]): their tags from the sheet over the
//! file's, their sample ranges, and one decode that fingerprints and
//! hashes each range on its own.
//!
//! A sheet that cannot be read, or that names a file that is not there, is
//! one `path: reason` in the scan's errors; what a sheet gets wrong but can
//! be read past is one warning line each, also there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cue::sheet::{read_sheet, Sheet};
use crate::error::{MediaErrorKind, Problem};
use crate::library::image::{ImageRead, ImageTrack};
use crate::media::{self, MediaInfo, Tags};

use super::walk::Found;

/// The largest sheet read (a sheet is a few kilobytes).
const MAX_SHEET_BYTES: u64 = 1 << 20;

/// The sheet entry that makes a file an image.
#[derive(Debug, Clone)]
pub(super) struct ImageSheet {
    pub sheet_path: PathBuf,
    pub sheet_mtime: f64,
    pub sheet: Sheet,
    /// The sheet's `FILE` entry that names the image.
    pub file: usize,
    /// A `CUESHEET` tag of the image itself (not a file beside it).
    pub embedded: bool,
}

/// Read the `.cue` files `sheets` and map each image among `files` they
/// describe to its sheet. Problems go to `errors` as `(path, reason)`.
pub(super) fn find_sheets(
    files: &[Found],
    sheets: &[Found],
    errors: &mut Vec<(PathBuf, String)>,
) -> HashMap<PathBuf, ImageSheet> {
    let mut out: HashMap<PathBuf, ImageSheet> = HashMap::new();
    let mut by_dir: HashMap<&Path, Vec<&Found>> = HashMap::new();
    for f in files {
        if let Some(dir) = f.path.parent() {
            by_dir.entry(dir).or_default().push(f);
        }
    }
    for f in sheets {
        let Some(dir) = f.path.parent() else { continue };
        if f.size > MAX_SHEET_BYTES {
            errors.push((f.path.clone(), "too large for a CUE sheet".into()));
            continue;
        }
        let bytes = match std::fs::read(&f.path) {
            Ok(b) => b,
            Err(e) => {
                errors.push((f.path.clone(), e.to_string()));
                continue;
            }
        };
        let sheet = match read_sheet(&f.path, &bytes) {
            Ok(s) => s,
            Err(e) => {
                errors.push((f.path.clone(), e.reason()));
                continue;
            }
        };
        let siblings: Vec<(&str, &Found)> = by_dir
            .get(dir)
            .into_iter()
            .flatten()
            .filter_map(|s| Some((s.path.file_name()?.to_str()?, *s)))
            .collect();
        let exists = |name: &str| siblings.iter().any(|(n, _)| *n == name);
        for (i, name) in sheet.files.iter().enumerate() {
            let tracks = sheet.tracks.iter().filter(|t| t.file == i).count();
            if tracks < 2 {
                continue; // one FILE per track: a sheet of separate files
            }
            let found = siblings.iter().find(|(n, _)| {
                sheet.file_for(n, &exists) == Some(i) && media::has_audio_extension(Path::new(n))
            });
            let Some((_, audio)) = found else {
                errors.push((
                    f.path.clone(),
                    format!(
                        "FILE \"{name}\" is not beside the sheet; its {tracks} tracks are left out"
                    ),
                ));
                continue;
            };
            for w in &sheet.warnings {
                errors.push((f.path.clone(), w.clone()));
            }
            let img = ImageSheet {
                sheet_path: f.path.clone(),
                sheet_mtime: f.mtime,
                sheet: sheet.clone(),
                file: i,
                embedded: false,
            };
            // Two sheets for one image: the one named after it wins.
            let named = |s: &ImageSheet| s.sheet_path.file_stem() == audio.path.file_stem();
            match out.get(&audio.path) {
                Some(prev) if named(prev) || !named(&img) => errors.push((
                    f.path.clone(),
                    format!(
                        "{} is described by {} already; this sheet is not used",
                        audio.path.display(),
                        prev.sheet_path.display()
                    ),
                )),
                _ => {
                    out.insert(audio.path.clone(), img);
                }
            }
        }
    }
    out
}

/// The image side of the file at `path` (read as `info`): cut by the sheet
/// beside it, else by a `CUESHEET` tag of its own; `None` when it is not
/// an image.
pub(super) fn read_any(
    sheets: &HashMap<PathBuf, ImageSheet>,
    path: &Path,
    info: &MediaInfo,
    size: u64,
    fingerprint: bool,
) -> Option<ImageRead> {
    if let Some(img) = sheets.get(path) {
        return Some(read_image(path, img, info, size, fingerprint));
    }
    let text = media::embedded_cuesheet(path)?;
    let sheet = match read_sheet(path, text.as_bytes()) {
        Ok(s) => s,
        Err(e) => {
            return Some(ImageRead {
                warnings: vec![(path.to_path_buf(), format!("CUESHEET tag: {}", e.reason()))],
                ..ImageRead::default()
            })
        }
    };
    let file = (0..sheet.files.len())
        .find(|&i| sheet.tracks.iter().filter(|t| t.file == i).count() >= 2)?;
    let img = ImageSheet {
        sheet_path: path.to_path_buf(),
        sheet_mtime: 0.0,
        sheet,
        file,
        embedded: true,
    };
    Some(read_image(path, &img, info, size, fingerprint))
}

/// Cut the image at `path` (read as `info`) into the tracks of its sheet.
/// When it cannot be cut, the read has no tracks and says why.
pub(super) fn read_image(
    path: &Path,
    img: &ImageSheet,
    info: &MediaInfo,
    size: u64,
    fingerprint: bool,
) -> ImageRead {
    match cut(path, img, info, size, fingerprint) {
        Ok(r) => r,
        Err(why) => ImageRead {
            warnings: vec![(
                img.sheet_path.clone(),
                format!("{} not cut into its tracks: {why}", path.display()),
            )],
            ..ImageRead::default()
        },
    }
}

fn cut(
    path: &Path,
    img: &ImageSheet,
    info: &MediaInfo,
    size: u64,
    fingerprint: bool,
) -> Result<ImageRead, String> {
    let sheet = &img.sheet;
    let ranges = std::cell::RefCell::new((Vec::new(), Vec::new()));
    let plan = |rate: u32, total: u64| {
        let mut w = Vec::new();
        let r = sheet.ranges(img.file, rate, total, &mut w);
        let spans = r.iter().map(|r| (r.start, r.end)).collect();
        *ranges.borrow_mut() = (r, w);
        spans
    };
    let read = media::ranges::read_ranges(path, &plan, fingerprint, true, &info.props)
        .map_err(|e| e.reason())?;
    let (ranges, w) = ranges.into_inner();
    let warnings = w.into_iter().map(|w| (img.sheet_path.clone(), w)).collect();
    let rate = f64::from(read.samplerate.max(1));
    let total = read.total_frames.max(1);
    let first_problem = read.errors.first().cloned();
    let tracktotal = ranges.len() as i64;
    let tracks = ranges
        .iter()
        .zip(&read.ranges)
        .map(|(r, a)| {
            let t = &sheet.tracks[r.track];
            let short = a.cut_short;
            ImageTrack {
                number: t.number,
                tags: track_tags(&info.tags, sheet, r.track, tracktotal),
                start: r.start,
                end: r.end,
                pregap: r.pregap,
                length: (r.end - r.start) as f64 / rate,
                size: (u128::from(size) * u128::from(r.end - r.start) / u128::from(total)) as u64,
                fp_keys: a
                    .fingerprint
                    .as_deref()
                    .map(crate::dupes::fingerprint::stored_keys),
                fingerprint: a.fingerprint.clone(),
                fingerprint_error: a.fingerprint_error.clone(),
                pcm_hash: a.pcm_hash,
                quality: a.quality.clone(),
                problem: short.then(|| {
                    let why = first_problem.as_ref().map(|p| format!(" ({})", p.message));
                    Problem::new(
                        MediaErrorKind::Truncated,
                        format!(
                            "truncated: the image ends {:.1} s into this {:.1} s track{}",
                            a.frames as f64 / rate,
                            (r.end - r.start) as f64 / rate,
                            why.unwrap_or_default()
                        ),
                    )
                }),
            }
        })
        .collect();
    Ok(ImageRead {
        cue_path: (!img.embedded).then(|| img.sheet_path.clone()),
        cue_mtime: (!img.embedded).then_some(img.sheet_mtime),
        tracks,
        warnings,
        analysed: fingerprint,
    })
}

/// Track `i`'s tags: the sheet's over the file's (an image's own tags
/// describe the album, and its title tag is often the album's).
fn track_tags(file: &Tags, sheet: &Sheet, i: usize, tracktotal: i64) -> Tags {
    let t = &sheet.tracks[i];
    let or = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    let genre = or(&sheet.genre, &file.genre);
    let artist = t
        .performer
        .clone()
        .or_else(|| sheet.performer.clone())
        .or_else(|| file.artist.clone());
    Tags {
        title: t.title.clone(),
        artists: artist.iter().cloned().collect(),
        artist,
        album: or(&sheet.title, &file.album),
        albumartist: or(&file.albumartist, &sheet.performer),
        genres: match (&sheet.genre, &file.genre) {
            (Some(g), _) => vec![g.clone()],
            _ => file.genres.clone(),
        },
        genre,
        composer: t
            .songwriter
            .clone()
            .or_else(|| sheet.songwriter.clone())
            .or_else(|| file.composer.clone()),
        year: sheet
            .date
            .as_deref()
            .and_then(|d| d.get(..4)?.parse().ok())
            .or(file.year),
        track: Some(i64::from(t.number)),
        tracktotal: Some(tracktotal),
        disc: sheet.disc.map(i64::from).or(file.disc),
        disctotal: sheet.disctotal.map(i64::from).or(file.disctotal),
        comments: or(&sheet.comment, &file.comments),
        isrc: t.isrc.clone(),
        label: file.label.clone(),
        catalog: or(&sheet.catalog, &file.catalog),
        mb_albumid: file.mb_albumid.clone(),
        ..Tags::default()
    }
}
