//! `export --check`, one name and one file at a time: a name against the
//! profile's charset and length, and an audio file against every audio rule
//! of the profile. The file is read independently of the writer: an MP3
//! through the MPEG reader of `media::mpeg` (ID3v2 version, text-frame
//! encodings and pictures; the frames' rate, channels, bitrates, Xing/Info/
//! VBRI header; an ID3v1 tag in the last 128 bytes), any other format
//! through the media layer's properties.
//!
//! Rules: the format (by extension, and for MP3 by the frames found), the
//! sample rate in the accepted list, channels, CBR when required, the
//! bitrate at most the profile's, the ID3 version at most the profile's, no
//! UTF-16/UTF-8 text frame when tags are Latin-1 only, the ID3v1 mirror when
//! required, and the cover art (present at all, a baseline JPEG, its size).

use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::export::art;
use crate::export::device::{DeviceProfile, NameCharset, TagCharset, TagVersion};
use crate::export::profile::rates;
use crate::export::target::OutputFormat;
use crate::media::mpeg::{id3v2, summary};
use crate::names;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// A short rule id: name, path-length, depth, folder-count,
    /// folders-count, total-count, format, id3-version, tag-charset, id3v1,
    /// art, samplerate, channels, cbr, bitrate, order, cue, toc, wav, disc,
    /// partial, playlist.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// How much of an MP3's head is read (tags with art, and the frames).
const HEAD_BYTES: u64 = 4 << 20;

/// Everything wrong with the name of an entry under `charset` and `max`
/// characters. Playlists, CUE sheets and TOCs are spared the strict
/// alphabet (units do not list them), not the other rules.
pub fn name_problems(name: &str, charset: NameCharset, max: usize, aux: bool) -> Vec<String> {
    let mut out = names::problems(name, charset == NameCharset::Strict && !aux);
    match charset {
        NameCharset::Ascii => {
            if let Some(c) = name.chars().find(|c| !c.is_ascii()) {
                out.push(format!("character {c:?} is not ASCII"));
            }
        }
        NameCharset::Dos83 if !names::is_short_name(name) => {
            out.push("not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)".into());
        }
        _ => {}
    }
    let n = name.chars().count();
    if n > max && charset != NameCharset::Dos83 {
        out.push(format!("{n} characters long (at most {max})"));
    }
    out
}

/// How a format is named in a message: "an MP3", "a FLAC file".
fn named(f: OutputFormat) -> &'static str {
    match f {
        OutputFormat::Mp3 => "an MP3",
        OutputFormat::Aac => "an AAC (.m4a) file",
        OutputFormat::Alac => "an ALAC (.m4a) file",
        OutputFormat::Flac => "a FLAC file",
        OutputFormat::Wav => "a WAV file",
        OutputFormat::Aiff => "an AIFF file",
        OutputFormat::Opus => "an Opus (.opus) file",
        OutputFormat::Vorbis => "an Ogg Vorbis (.ogg) file",
    }
}

/// Check one audio file against the audio rules of `p` (a profile that
/// converts to one format); other files (covers, text) are not judged.
pub fn check_audio_file(path: &Path, p: &DeviceProfile, v: &mut Vec<Violation>) {
    let Some(want) = p.format else { return };
    if !crate::media::has_audio_extension(path) {
        return;
    }
    let mut push = |rule: &'static str, message: String| {
        v.push(Violation {
            path: path.to_path_buf(),
            rule,
            message,
        })
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != want.extension() {
        push(
            "format",
            format!(
                "not {} (the {} profile plays {} only)",
                named(want),
                p.name,
                want.name()
            ),
        );
        return;
    }
    let accepted: Vec<u32> = if p.sample_rates.is_empty() {
        want.sample_rates().map(<[u32]>::to_vec).unwrap_or_default()
    } else {
        p.sample_rates.clone()
    };
    let max_ch = p.channels.unwrap_or(want.max_channels()) as u32;
    if want != OutputFormat::Mp3 {
        let opts = crate::media::ReadOptions::fingerprinting(false);
        match crate::media::read_media(path, &opts) {
            Ok(info) => {
                let props = info.props;
                if let Some(r) = props
                    .samplerate
                    .filter(|r| !accepted.is_empty() && !accepted.contains(r))
                {
                    push(
                        "samplerate",
                        format!("{r} Hz (the {} profile plays {})", p.name, rates(&accepted)),
                    );
                }
                if let Some(c) = props.channels.filter(|&c| c > max_ch) {
                    push("channels", format!("{c} channels (at most {max_ch})"));
                }
            }
            Err(e) => push("format", format!("cannot be read: {}", e.reason())),
        }
        return;
    }
    let data = match read_head(path, HEAD_BYTES) {
        Ok(d) => d,
        Err(e) => {
            push("format", format!("cannot read: {e}"));
            return;
        }
    };
    let tag = id3v2::read_info(&data);
    if let Some(t) = &tag {
        let newest = match p.tags {
            TagVersion::Id3v23 => Some(3),
            TagVersion::Id3v24 => Some(4),
            TagVersion::None => None,
        };
        if let Some(max) = newest.filter(|&m| t.major > m) {
            push(
                "id3-version",
                format!(
                    "ID3v2.{} tag (the {} profile needs ID3v2.{max} or older)",
                    t.major, p.name
                ),
            );
        }
        if p.tag_charset == TagCharset::Latin1 {
            for (id, enc) in t.text_frames.iter().filter(|(_, e)| *e != 0) {
                let kind = if *enc == 3 { "UTF-8" } else { "UTF-16" };
                push(
                    "tag-charset",
                    format!(
                        "ID3 frame {id} is {kind} text (the {} profile reads Latin-1 only)",
                        p.name
                    ),
                );
            }
        }
    }
    match summary::summarize(&data) {
        Some(s) => {
            if !accepted.is_empty() && !accepted.contains(&s.sample_rate) {
                push(
                    "samplerate",
                    format!(
                        "MP3 at {} Hz (the {} profile plays {})",
                        s.sample_rate,
                        p.name,
                        rates(&accepted)
                    ),
                );
            }
            if s.channels as u32 > max_ch {
                push(
                    "channels",
                    format!("{} channels (at most {max_ch})", s.channels),
                );
            }
            if p.cbr_only && s.vbr {
                push(
                    "cbr",
                    format!(
                        "VBR MP3 (the {} profile plays constant bitrate only)",
                        p.name
                    ),
                );
            }
            if let Some(max) = p.bitrate_kbps.filter(|&m| s.max_kbps > m) {
                push(
                    "bitrate",
                    format!("MP3 frames at {} kbit/s (at most {max}k)", s.max_kbps),
                );
            }
        }
        None => push("format", "no MPEG audio frame found".into()),
    }
    if p.id3v1 && !has_id3v1(path) {
        push(
            "id3v1",
            format!("no ID3v1 tag (the {} profile needs one)", p.name),
        );
    }
    if let Some(t) = &tag {
        check_art(&t.pictures, p, &mut push);
    }
}

/// The cover-art rules for the pictures of one file.
fn check_art(pictures: &[Vec<u8>], p: &DeviceProfile, push: &mut dyn FnMut(&'static str, String)) {
    if !p.art && !pictures.is_empty() {
        push(
            "art",
            format!("has cover art (the {} profile has none)", p.name),
        );
        return;
    }
    for pic in pictures {
        let jpeg = pic.starts_with(&[0xFF, 0xD8]);
        if p.baseline_jpeg && !jpeg {
            push("art", "cover art is not a JPEG".into());
            continue;
        }
        if p.baseline_jpeg && art::jpeg_is_progressive(pic) {
            push(
                "art",
                "cover art is a progressive JPEG (use baseline)".into(),
            );
        }
        if let Some(max) = p.art_max_px {
            match art::image_size(pic) {
                Some((w, h)) if w > max || h > max => {
                    push("art", format!("cover art is {w}x{h} (at most {max}x{max})"))
                }
                Some(_) => {}
                None => push("art", "cover art cannot be read".into()),
            }
        }
    }
}

/// Does the file end with an ID3v1 tag (`TAG` 128 bytes from the end)?
fn has_id3v1(path: &Path) -> bool {
    let read = || -> std::io::Result<bool> {
        let mut f = fs::File::open(path)?;
        if f.metadata()?.len() < 128 {
            return Ok(false);
        }
        f.seek(SeekFrom::End(-128))?;
        let mut b = [0u8; 3];
        f.read_exact(&mut b)?;
        Ok(&b == b"TAG")
    };
    read().unwrap_or(false)
}

/// `dir` joined with a `/`-separated relative path ("" = `dir`).
pub(super) fn join(dir: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() {
        dir.to_path_buf()
    } else {
        rel.split('/').fold(dir.to_path_buf(), |p, c| p.join(c))
    }
}

/// The first `max` bytes of a file.
pub(super) fn read_head(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_against_each_charset() {
        let fat = |n: &str| name_problems(n, NameCharset::Fat, 255, false);
        assert!(fat("01 Björk.mp3").is_empty());
        assert_eq!(
            name_problems("01 Björk.mp3", NameCharset::Ascii, 255, false),
            vec!["character 'ö' is not ASCII"]
        );
        assert_eq!(
            name_problems("01_BJORK_X.MP3", NameCharset::Dos83, 12, false),
            vec!["not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)"]
        );
        assert!(name_problems("01_BJORK.MP3", NameCharset::Dos83, 12, false).is_empty());
        assert_eq!(
            name_problems("abcdefghijklmnop.mp3", NameCharset::Fat, 16, false),
            vec!["20 characters long (at most 16)"]
        );
        // Playlists are spared the strict alphabet only.
        assert!(name_problems("Road trip.m3u8", NameCharset::Strict, 255, true).is_empty());
    }
}
