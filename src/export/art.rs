//! Cover art for exports: find the source's front cover, and make it safe
//! for strict players (car head units stall on large or progressive JPEGs).
//!
//! Invariants: a cover that already fits (a baseline JPEG within the size
//! limit) is passed through byte for byte, so re-exports do not degrade it;
//! anything else is decoded, shrunk to fit inside `max_px` x `max_px`
//! (aspect kept) and re-encoded as a baseline JPEG. Art is untrusted input:
//! a cover that fails to decode is dropped with a warning, never fatal.

use std::io::Cursor;
use std::path::Path;

use image::imageops::FilterType;
use lofty::picture::{MimeType, Picture, PictureType};

use crate::error::{EncodeStage, Error, Result};

/// JPEG quality for re-encoded covers.
const JPEG_QUALITY: u8 = 90;

/// Folder images used when the source has no embedded art (beets and most
/// rippers write one of these).
const FOLDER_IMAGES: &[&str] = &[
    "cover.jpg",
    "cover.jpeg",
    "cover.png",
    "folder.jpg",
    "folder.jpeg",
    "folder.png",
    "front.jpg",
    "front.png",
    "albumart.jpg",
];

/// The source's front cover: the embedded front cover (or, failing that,
/// the first embedded picture), else a cover image in the source's folder.
/// `None` when there is none or the file cannot be read.
pub fn front_cover(src: &Path) -> Option<Vec<u8>> {
    embedded_cover(src).or_else(|| folder_cover(src))
}

/// The embedded front cover (else the first embedded picture).
pub fn embedded_cover(src: &Path) -> Option<Vec<u8>> {
    use lofty::file::TaggedFileExt;
    let path = src.to_path_buf();
    // Media files are untrusted: a parser panic is this file's problem only.
    let tagged = std::panic::catch_unwind(move || {
        lofty::probe::Probe::open(&path)
            .ok()?
            .options(lofty::config::ParseOptions::new().read_properties(false))
            .read()
            .ok()
    })
    .ok()??;
    let pictures: Vec<&Picture> = tagged.tags().iter().flat_map(|t| t.pictures()).collect();
    pictures
        .iter()
        .find(|p| p.pic_type() == PictureType::CoverFront)
        .or_else(|| pictures.first())
        .map(|p| p.data().to_vec())
}

fn folder_cover(src: &Path) -> Option<Vec<u8>> {
    folder_image(src.parent()?).and_then(|p| std::fs::read(p).ok())
}

/// The cover image in `dir` (cover.jpg, folder.jpg, front.png, ... in
/// that order, names in any case).
pub fn folder_image(dir: &Path) -> Option<std::path::PathBuf> {
    let entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    FOLDER_IMAGES.iter().find_map(|want| {
        entries
            .iter()
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(want))
            .map(|e| e.path())
    })
}

/// Is this JPEG progressive (SOF2/SOF6/SOF10/SOF14)? Scans the marker
/// segments up to the first start-of-frame. `false` for non-JPEG data.
pub fn jpeg_is_progressive(data: &[u8]) -> bool {
    jpeg_sof(data).is_some_and(|m| matches!(m, 0xC2 | 0xC6 | 0xCA | 0xCE))
}

/// The first start-of-frame marker of a JPEG.
fn jpeg_sof(data: &[u8]) -> Option<u8> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return None;
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return Some(marker);
        }
        if marker == 0xD9 || marker == 0xDA {
            return None; // end of image or start of scan before any frame
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        i += 2 + len;
    }
    None
}

/// Width and height of an image, from its header.
pub fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// Make a cover fit for export. With `max_px`, the result is a baseline
/// JPEG of at most `max_px` x `max_px`; without, the cover is kept as is.
pub fn prepare_cover(data: &[u8], max_px: Option<u32>) -> Result<Picture> {
    let bad =
        |e: &dyn std::fmt::Display| Error::encode(EncodeStage::Art, format!("cover art: {e}"));
    let Some(max_px) = max_px else {
        let mime = image::guess_format(data)
            .ok()
            .map(|f| MimeType::from_str(f.to_mime_type()))
            .unwrap_or(MimeType::Jpeg);
        return Ok(picture(data.to_vec(), mime));
    };
    let max_px = max_px.max(1);
    if jpeg_sof(data) == Some(0xC0) || jpeg_sof(data) == Some(0xC1) {
        if let Some((w, h)) = image_size(data) {
            if w <= max_px && h <= max_px {
                return Ok(picture(data.to_vec(), MimeType::Jpeg));
            }
        }
    }
    let img = image::load_from_memory(data).map_err(|e| bad(&e))?;
    let img = if img.width() > max_px || img.height() > max_px {
        img.resize(max_px, max_px, FilterType::Lanczos3)
    } else {
        img
    };
    // JPEG has no alpha; image's encoder writes baseline (SOF0) JPEG.
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| bad(&e))?;
    Ok(picture(out, MimeType::Jpeg))
}

fn picture(data: Vec<u8>, mime: MimeType) -> Picture {
    Picture::unchecked(data)
        .pic_type(PictureType::CoverFront)
        .mime_type(mime)
        .build()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A test image: a colour gradient of `w` x `h`.
    pub(crate) fn gradient(w: u32, h: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
    }

    /// A PNG of `w` x `h`.
    pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        gradient(w, h)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn big_png_becomes_small_baseline_jpeg() {
        let pic = prepare_cover(&png(1200, 800), Some(300)).unwrap();
        assert_eq!(pic.mime_type(), Some(&MimeType::Jpeg));
        assert_eq!(image_size(pic.data()), Some((300, 200)));
        assert!(!jpeg_is_progressive(pic.data()));
        assert_eq!(jpeg_sof(pic.data()), Some(0xC0));
    }

    #[test]
    fn small_baseline_jpeg_passes_through() {
        let first = prepare_cover(&png(200, 200), Some(300)).unwrap();
        let again = prepare_cover(first.data(), Some(300)).unwrap();
        assert_eq!(first.data(), again.data());
        // Without a limit, art is kept as it is.
        let png = png(50, 40);
        assert_eq!(prepare_cover(&png, None).unwrap().data(), &png[..]);
    }

    #[test]
    fn progressive_detection() {
        // A minimal header with SOF2 after an APP0 segment.
        let prog = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC2, 0x00, 0x0B,
        ];
        assert!(jpeg_is_progressive(&prog));
        let mut base = prog;
        base[9] = 0xC0;
        assert!(!jpeg_is_progressive(&base));
        assert!(!jpeg_is_progressive(b"\x89PNG\r\n"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(prepare_cover(b"not an image", Some(300)).is_err());
    }
}
