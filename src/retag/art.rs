//! `mixtape art`: embed a cover into the selected tracks' files, extract
//! their covers into image files, or clear them.
//!
//! Embedding and clearing are tag writes, planned here as [`Change`]s and
//! carried out by [`super::execute`] like `modify`: a temporary copy, the
//! audio checked unchanged and the art read back as written, the journal
//! holding the bytes replaced, undo byte for byte. An embedded cover
//! replaces every picture the file had (as beets' `embedart`); with
//! `--max-size` a larger cover is shrunk to fit and re-encoded as a
//! baseline JPEG ([`crate::export::art::prepare_cover`]), one that fits is
//! embedded byte for byte. Only JPEG and PNG are embedded.
//!
//! Extracting writes one image per distinct cover of an album
//! (`Album Artist - Album.jpg`, or `Artist - Title.jpg` for a single) into
//! `--to`, never over an existing file, each journalled as a copy so undo
//! removes them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ArtChange, Change};
use crate::error::{Error, InvalidKind, Result};
use crate::export::art::{embedded_cover, folder_image, image_size, prepare_cover};
use crate::fsops;
use crate::journal::{Action, Operation};
use crate::library::{Library, Track};
use crate::media::tag_edit::ArtEdit;
use crate::names::{self, NameRules};
use crate::progress::Cancel;

/// Where `art embed` takes its cover from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverSource {
    /// One image for every selected track.
    File(PathBuf),
    /// Each track's folder image (cover.jpg, folder.jpg, front.png, ...).
    Folder,
}

/// A cover ready to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    pub data: Vec<u8>,
    pub png: bool,
}

/// `JPEG 600x600, 45 KB`: what a cover is, for the change lines.
pub fn describe(data: &[u8]) -> String {
    let format = match image::guess_format(data) {
        Ok(image::ImageFormat::Png) => "PNG",
        Ok(image::ImageFormat::Jpeg) => "JPEG",
        Ok(f) => f.extensions_str().first().copied().unwrap_or("image"),
        Err(_) => "image",
    };
    let size = image_size(data)
        .map(|(w, h)| format!(" {w}x{h}"))
        .unwrap_or_default();
    let kb = (data.len() as u64).div_ceil(1024);
    format!("{format}{size}, {kb} KB")
}

/// Read the image at `path` as a cover: JPEG or PNG that decodes; shrunk
/// to `max_size` pixels a side when larger.
pub fn load_cover(path: &Path, max_size: Option<u32>) -> Result<Cover> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let png = match image::guess_format(&data) {
        Ok(image::ImageFormat::Png) => true,
        Ok(image::ImageFormat::Jpeg) => false,
        _ => return Err(Error::at(path, "not a JPEG or PNG image")),
    };
    let (w, h) = image_size(&data).ok_or_else(|| Error::at(path, "not a readable image"))?;
    // The whole image must decode, not only its header.
    image::load_from_memory(&data).map_err(|e| Error::at(path, format!("cannot decode: {e}")))?;
    match max_size {
        Some(max) if w > max || h > max => {
            let pic = prepare_cover(&data, Some(max)).map_err(|e| match e {
                Error::Encode { .. } => Error::at(path, e.to_string()),
                other => other,
            })?;
            Ok(Cover {
                data: pic.data().to_vec(),
                png: false,
            })
        }
        _ => Ok(Cover { data, png }),
    }
}

/// The embed changes for `tracks`: the cover each gets, unless it already
/// has exactly that one. Tracks without a cover to take (no folder
/// image) are errors, as `path: reason`, and the rest go on.
pub fn plan_embed(
    tracks: Vec<Track>,
    source: &CoverSource,
    max_size: Option<u32>,
) -> Result<(Vec<Change>, Vec<Error>)> {
    let shared = match source {
        CoverSource::File(p) => Some(load_cover(p, max_size)?),
        CoverSource::Folder => None,
    };
    let mut by_folder: HashMap<PathBuf, std::result::Result<Cover, String>> = HashMap::new();
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for track in tracks {
        let cover =
            match &shared {
                Some(c) => c.clone(),
                None => {
                    let dir = track.path.parent().unwrap_or(Path::new(".")).to_path_buf();
                    let found =
                        by_folder.entry(dir.clone()).or_insert_with(|| {
                            match folder_image(&dir) {
                        None => Err(
                            "no cover image in its folder (cover.jpg, folder.jpg, front.png, ...)"
                                .into(),
                        ),
                        Some(img) => load_cover(&img, max_size).map_err(|e| e.to_string()),
                    }
                        });
                    match found {
                        Ok(c) => c.clone(),
                        Err(why) => {
                            errors.push(Error::at(&track.path, why.clone()));
                            continue;
                        }
                    }
                }
            };
        if track.art_hash == Some(*blake3::hash(&cover.data).as_bytes()) {
            continue;
        }
        let new = Some(describe(&cover.data));
        changes.push(Change {
            art: Some(ArtChange {
                edit: ArtEdit::Front {
                    data: cover.data,
                    png: cover.png,
                },
                old: track.art.then(|| "embedded".to_string()),
                new,
            }),
            fields: Vec::new(),
            track,
        });
    }
    Ok((changes, errors))
}

/// The clear changes: every track that has embedded art.
pub fn plan_clear(tracks: Vec<Track>) -> Vec<Change> {
    tracks
        .into_iter()
        .filter(|t| t.art)
        .map(|track| Change {
            art: Some(ArtChange {
                edit: ArtEdit::Clear,
                old: Some("embedded".into()),
                new: None,
            }),
            fields: Vec::new(),
            track,
        })
        .collect()
}

/// One image `art extract` writes (or would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The track it came from (the first of its album with that cover).
    pub src: PathBuf,
    pub dst: PathBuf,
    /// The same bytes were already there: nothing written.
    pub already_there: bool,
}

/// The file name stem for a track's cover.
fn cover_stem(t: &Track) -> String {
    let tags = &t.tags;
    let pick = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let artist = pick(&tags.albumartist)
        .or_else(|| pick(&tags.artist))
        .unwrap_or_else(|| "Unknown Artist".into());
    match pick(&tags.album) {
        Some(album) => format!("{artist} - {album}"),
        None => {
            let title = pick(&tags.title).unwrap_or_else(|| {
                t.path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            format!("{artist} - {title}")
        }
    }
}

/// Plan the images `tracks` give: one per distinct (name, cover), named
/// after the album; a name taken by other bytes gets ` (2)`. Tracks
/// without embedded art are left out.
pub fn plan_extract(tracks: &[Track], to: &Path) -> Vec<(Extracted, Vec<u8>)> {
    let rules = NameRules::organize(false);
    let mut out: Vec<(Extracted, Vec<u8>)> = Vec::new();
    let mut seen: HashMap<(String, [u8; 32]), ()> = HashMap::new();
    for t in tracks.iter().filter(|t| t.art) {
        let Some(data) = embedded_cover(&t.path) else {
            continue;
        };
        let hash = *blake3::hash(&data).as_bytes();
        let stem = cover_stem(t);
        if seen.insert((stem.clone(), hash), ()).is_some() {
            continue;
        }
        let ext = if matches!(image::guess_format(&data), Ok(image::ImageFormat::Png)) {
            "png"
        } else {
            "jpg"
        };
        for n in std::iter::once(None).chain((2..=9999).map(Some)) {
            let dst = to.join(names::name(&stem, ext, n, &rules));
            let taken = out.iter().any(|(e, _)| e.dst == dst);
            let on_disk = dst.symlink_metadata().is_ok();
            if !taken && on_disk && fsops::hash_file(&dst).is_ok_and(|h| h == hash) {
                out.push((
                    Extracted {
                        src: t.path.clone(),
                        dst,
                        already_there: true,
                    },
                    data,
                ));
                break;
            }
            if taken || on_disk {
                continue;
            }
            out.push((
                Extracted {
                    src: t.path.clone(),
                    dst,
                    already_there: false,
                },
                data,
            ));
            break;
        }
    }
    out
}

/// Write the planned images (journalled as copies, so undo removes them).
/// `on_item` sees each with its error, if any. Returns the operation id
/// and how many were written.
pub fn extract(
    lib: &Library,
    plan: &[(Extracted, Vec<u8>)],
    to: &Path,
    cancel: &Cancel,
    on_item: &mut dyn FnMut(&Extracted, Option<&Error>),
) -> Result<(Option<i64>, usize)> {
    let todo: Vec<&(Extracted, Vec<u8>)> = plan.iter().filter(|(e, _)| !e.already_there).collect();
    if todo.is_empty() {
        return Ok((None, 0));
    }
    let mut op = Operation::begin(
        lib,
        "art-extract",
        &format!("art extract {} images into {}", todo.len(), to.display()),
    )?;
    let id = op.id();
    op.make_dirs(to, None)?;
    let mut written = 0;
    for (e, data) in todo {
        if cancel.is_cancelled() {
            break;
        }
        let hash = *blake3::hash(data).as_bytes();
        let seq = op.plan(Action::Copy, &e.src, &e.dst, None, Some(hash))?;
        match fsops::write_atomic(&e.dst, data, false) {
            Ok(()) => {
                op.mark(seq, true, None)?;
                written += 1;
                on_item(e, None);
            }
            Err(err) => {
                op.mark(seq, false, Some(&err.to_string()))?;
                on_item(e, Some(&err));
            }
        }
    }
    op.finish()?;
    Ok((Some(id), written))
}

/// `--max-size` must be a useful size.
pub fn check_max_size(n: u32) -> Result<u32> {
    if n < 16 {
        return Err(Error::invalid(
            InvalidKind::OutOfRange,
            "--max-size",
            format!("{n} pixels is too small for a cover (16 at least)"),
        ));
    }
    Ok(n)
}
