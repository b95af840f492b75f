//! Content-based file type detection from a file's first bytes.
//!
//! The scanner uses [`sniff`] to find audio files whatever their name says:
//! a file with no extension is recognised as audio, and a `.mp3` that is
//! really a JPEG is reported as `not an audio file (looks like a JPEG image)`.
//! Only the first 64 KiB are read (plus 64 KiB after a leading ID3v2 tag), so
//! sniffing costs one small read per file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::mpeg::{frame_len as mpeg_frame_len, id3v2};
use crate::error::{Error, Result};

/// How many bytes are examined at the start of the file (and after an ID3v2 tag).
const SNIFF_LEN: usize = 64 * 1024;

/// An audio container (or raw stream) recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MPEG audio frames (MP1/MP2/MP3), possibly after an ID3v2 tag.
    Mpeg,
    /// Raw AAC in ADTS frames.
    Adts,
    /// Native FLAC (`fLaC`).
    Flac,
    /// Ogg, with the codec of its first stream.
    Ogg(OggCodec),
    /// RIFF WAVE (or RF64/BW64).
    Wav,
    /// AIFF or AIFF-C.
    Aiff,
    /// ISO base media (MP4/M4A/M4B/3GP).
    Mp4,
    /// Monkey's Audio.
    Ape,
    /// WavPack.
    WavPack,
    /// Musepack (SV7 `MP+` or SV8 `MPCK`).
    Musepack,
    /// ASF (WMA).
    Asf,
    /// DSD stream file (`DSD `).
    Dsf,
    /// DSDIFF (`FRM8`).
    Dff,
    /// Core Audio Format.
    Caf,
    /// Matroska or WebM.
    Matroska,
    /// True Audio.
    Tta,
    /// OptimFROG.
    OptimFrog,
    /// Tom's lossless Audio Kompressor.
    Tak,
    /// Raw AC-3 / E-AC-3 (Dolby Digital).
    Ac3,
}

/// The codec of an Ogg file's first logical stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OggCodec {
    Vorbis,
    Opus,
    Flac,
    Speex,
    /// Ogg, but not a codec we know (e.g. Theora video).
    Other,
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An audio file in this container.
    Audio(Container),
    /// Not audio; the text says what it looks like ("a JPEG image").
    NotAudio(&'static str),
    /// A zero-length file.
    Empty,
    /// Unrecognised binary data.
    Unknown,
}

impl Sniffed {
    /// Is this an audio file?
    pub fn is_audio(&self) -> bool {
        matches!(self, Sniffed::Audio(_))
    }

    /// The reason to record for a file that is not audio, e.g.
    /// `not an audio file (looks like a JPEG image)`. `None` for audio.
    pub fn not_audio_reason(&self) -> Option<String> {
        match self {
            Sniffed::Audio(_) => None,
            Sniffed::NotAudio(what) => Some(format!("not an audio file (looks like {what})")),
            Sniffed::Empty => Some("empty file".to_string()),
            Sniffed::Unknown => Some("not an audio file (unrecognised content)".to_string()),
        }
    }
}

impl Container {
    /// The lower-case codec name stored as `format` when nothing better is
    /// known (symphonia's codec, when it can open the file, wins).
    pub fn default_format(&self) -> &'static str {
        match self {
            Container::Mpeg => "mp3",
            Container::Adts => "aac",
            Container::Flac => "flac",
            Container::Ogg(OggCodec::Vorbis) => "vorbis",
            Container::Ogg(OggCodec::Opus) => "opus",
            Container::Ogg(OggCodec::Flac) => "flac",
            Container::Ogg(OggCodec::Speex) => "speex",
            Container::Ogg(OggCodec::Other) => "ogg",
            Container::Wav | Container::Aiff => "pcm",
            Container::Mp4 => "aac",
            Container::Ape => "ape",
            Container::WavPack => "wavpack",
            Container::Musepack => "musepack",
            Container::Asf => "wma",
            Container::Dsf | Container::Dff => "dsd",
            Container::Caf => "caf",
            Container::Matroska => "matroska",
            Container::Tta => "tta",
            Container::OptimFrog => "optimfrog",
            Container::Tak => "tak",
            Container::Ac3 => "ac3",
        }
    }

    /// A human name for messages ("APE", "WavPack", ...).
    pub fn display_name(&self) -> &'static str {
        match self {
            Container::Mpeg => "MPEG audio",
            Container::Adts => "AAC",
            Container::Flac => "FLAC",
            Container::Ogg(OggCodec::Vorbis) => "Ogg Vorbis",
            Container::Ogg(OggCodec::Opus) => "Opus",
            Container::Ogg(OggCodec::Flac) => "Ogg FLAC",
            Container::Ogg(OggCodec::Speex) => "Speex",
            Container::Ogg(OggCodec::Other) => "Ogg",
            Container::Wav => "WAV",
            Container::Aiff => "AIFF",
            Container::Mp4 => "MP4",
            Container::Ape => "APE",
            Container::WavPack => "WavPack",
            Container::Musepack => "Musepack",
            Container::Asf => "WMA",
            Container::Dsf => "DSF",
            Container::Dff => "DSDIFF",
            Container::Caf => "CAF",
            Container::Matroska => "Matroska",
            Container::Tta => "TTA",
            Container::OptimFrog => "OptimFROG",
            Container::Tak => "TAK",
            Container::Ac3 => "AC-3",
        }
    }

    /// Can symphonia demux this container? (Formats it cannot get their
    /// `audio_hash` from the file minus its tag regions instead.)
    pub fn symphonia_demuxes(&self) -> bool {
        matches!(
            self,
            Container::Mpeg
                | Container::Adts
                | Container::Flac
                | Container::Ogg(_)
                | Container::Wav
                | Container::Aiff
                | Container::Mp4
                | Container::Caf
                | Container::Matroska
        )
    }

    /// Lossless codecs by container (MP4/CAF/Matroska depend on the codec
    /// inside; symphonia answers for those).
    pub fn lossless(&self) -> Option<bool> {
        match self {
            Container::Flac
            | Container::Ogg(OggCodec::Flac)
            | Container::Wav
            | Container::Aiff
            | Container::Ape
            | Container::WavPack
            | Container::Dsf
            | Container::Dff
            | Container::Tta
            | Container::OptimFrog
            | Container::Tak => Some(true),
            Container::Mpeg
            | Container::Adts
            | Container::Ogg(OggCodec::Vorbis | OggCodec::Opus | OggCodec::Speex)
            | Container::Musepack
            | Container::Asf
            | Container::Ac3 => Some(false),
            _ => None,
        }
    }

    /// An extension symphonia's probe can use as a hint.
    pub fn hint_extension(&self) -> Option<&'static str> {
        Some(match self {
            Container::Mpeg => "mp3",
            Container::Adts => "aac",
            Container::Flac => "flac",
            Container::Ogg(_) => "ogg",
            Container::Wav => "wav",
            Container::Aiff => "aiff",
            Container::Mp4 => "m4a",
            Container::Caf => "caf",
            Container::Matroska => "mka",
            _ => return None,
        })
    }
}

/// Sniff a file: read its first bytes and say what it is.
pub fn sniff(path: &Path) -> Result<Sniffed> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let head = read_up_to(&mut file, SNIFF_LEN).map_err(|e| Error::io(path, e))?;
    if head.is_empty() {
        return Ok(Sniffed::Empty);
    }
    // A leading ID3v2 tag can hide any stream (MP3 mostly, sometimes FLAC,
    // AAC or APE): look past it.
    if let Some(tag_len) = id3v2::tag_len(&head) {
        let after = if tag_len + 16 <= head.len() {
            head[tag_len..].to_vec()
        } else {
            file.seek(SeekFrom::Start(tag_len as u64))
                .map_err(|e| Error::io(path, e))?;
            read_up_to(&mut file, SNIFF_LEN).map_err(|e| Error::io(path, e))?
        };
        return Ok(match sniff_bytes(&after) {
            s @ Sniffed::Audio(_) => s,
            // An ID3 tag with nothing recognisable after it: call it MPEG,
            // the decoder will say what is wrong with the stream.
            _ => Sniffed::Audio(Container::Mpeg),
        });
    }
    Ok(sniff_bytes(&head))
}

fn read_up_to(file: &mut File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n.min(1 << 20));
    file.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Sniff a buffer holding the start of a file (or of the stream after an ID3v2 tag).
pub fn sniff_bytes(b: &[u8]) -> Sniffed {
    use Container::*;
    if b.is_empty() {
        return Sniffed::Empty;
    }
    let starts = |m: &[u8]| b.starts_with(m);
    let at = |off: usize, m: &[u8]| b.len() >= off + m.len() && &b[off..off + m.len()] == m;

    if starts(b"fLaC") {
        return Sniffed::Audio(Flac);
    }
    if starts(b"OggS") {
        return Sniffed::Audio(Ogg(ogg_codec(b)));
    }
    if (starts(b"RIFF") || starts(b"RF64") || starts(b"BW64")) && at(8, b"WAVE") {
        return Sniffed::Audio(Wav);
    }
    if starts(b"RIFF") {
        return Sniffed::NotAudio(match b.get(8..12) {
            Some(b"AVI ") => "an AVI video",
            Some(b"WEBP") => "a WebP image",
            _ => "a RIFF file that is not WAVE",
        });
    }
    if starts(b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Sniffed::Audio(Aiff);
    }
    if at(4, b"moov") || at(4, b"mdat") || at(4, b"free") || at(4, b"wide") {
        // An MP4 without an ftyp box (old QuickTime files).
        return Sniffed::Audio(Mp4);
    }
    if starts(b"ADIF") {
        return Sniffed::Audio(Adts);
    }
    if starts(&[0x0B, 0x77]) && b.len() >= 8 {
        return Sniffed::Audio(Ac3);
    }
    if at(4, b"ftyp") {
        // QuickTime/MP4 family; HEIF/AVIF brands are images.
        return match b.get(8..12) {
            Some(b"heic" | b"heix" | b"mif1" | b"avif" | b"msf1") => {
                Sniffed::NotAudio("a HEIF/AVIF image")
            }
            _ => Sniffed::Audio(Mp4),
        };
    }
    if starts(b"MAC ") {
        return Sniffed::Audio(Ape);
    }
    if starts(b"wvpk") {
        return Sniffed::Audio(WavPack);
    }
    if starts(b"MPCK") || starts(b"MP+") {
        return Sniffed::Audio(Musepack);
    }
    if starts(&ASF_HEADER_GUID) {
        return Sniffed::Audio(Asf);
    }
    if starts(b"DSD ") {
        return Sniffed::Audio(Dsf);
    }
    if starts(b"FRM8") {
        return Sniffed::Audio(Dff);
    }
    if starts(b"caff") {
        return Sniffed::Audio(Caf);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Sniffed::Audio(Matroska);
    }
    if starts(b"TTA1") {
        return Sniffed::Audio(Tta);
    }
    if starts(b"OFR ") {
        return Sniffed::Audio(OptimFrog);
    }
    if starts(b"tBaK") {
        return Sniffed::Audio(Tak);
    }
    // Non-audio formats with a magic number, checked before MPEG frame sync
    // because some of them start with 0xFF.
    if let Some(what) = non_audio_magic(b) {
        return Sniffed::NotAudio(what);
    }
    if let Some(c) = mpeg_or_adts(b) {
        return Sniffed::Audio(c);
    }
    if looks_like_text(b) {
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        let lower: Vec<u8> = b.iter().take(512).map(|c| c.to_ascii_lowercase()).collect();
        let has = |m: &[u8]| lower.windows(m.len()).any(|w| w == m);
        return Sniffed::NotAudio(if lower.starts_with(b"#extm3u") {
            "an M3U playlist"
        } else if lower.starts_with(b"[playlist]") {
            "a PLS playlist"
        } else if has(b"<html") || has(b"<!doctype html") {
            "an HTML page"
        } else if lower.starts_with(b"<?xml") {
            "an XML document"
        } else if lower.starts_with(b"{") || lower.starts_with(b"[") {
            "a JSON or text file"
        } else {
            "a text file"
        });
    }
    Sniffed::Unknown
}

/// ASF header object GUID (75B22630-668E-11CF-A6D9-00AA0062CE6C).
const ASF_HEADER_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];

fn non_audio_magic(b: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| b.starts_with(m);
    Some(if starts(&[0xFF, 0xD8, 0xFF]) {
        "a JPEG image"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "a PNG image"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "a GIF image"
    } else if starts(b"BM") && b.len() > 14 && b[6..10] == [0, 0, 0, 0] {
        "a BMP image"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "a TIFF image"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        "a ZIP archive"
    } else if starts(&[0x1F, 0x8B]) {
        "a gzip archive"
    } else if starts(b"BZh") {
        "a bzip2 archive"
    } else if starts(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        "an xz archive"
    } else if starts(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        "a 7-Zip archive"
    } else if starts(b"Rar!") {
        "a RAR archive"
    } else if starts(b"\x7fELF") {
        "an ELF executable"
    } else if starts(b"MZ") {
        "a Windows executable"
    } else if starts(b"MThd") {
        "a MIDI file"
    } else if starts(b"SQLite format 3\0") {
        "a SQLite database"
    } else if starts(&[0x00, 0x00, 0x01, 0xBA]) || starts(&[0x00, 0x00, 0x01, 0xB3]) {
        "an MPEG video"
    } else {
        return None;
    })
}

fn ogg_codec(b: &[u8]) -> OggCodec {
    // The first page's first packet follows the segment table.
    if b.len() < 27 {
        return OggCodec::Other;
    }
    let nseg = b[26] as usize;
    let start = 27 + nseg;
    let p = match b.get(start..) {
        Some(p) => p,
        None => return OggCodec::Other,
    };
    if p.starts_with(b"\x01vorbis") {
        OggCodec::Vorbis
    } else if p.starts_with(b"OpusHead") {
        OggCodec::Opus
    } else if p.starts_with(b"\x7fFLAC") {
        OggCodec::Flac
    } else if p.starts_with(b"Speex   ") {
        OggCodec::Speex
    } else {
        OggCodec::Other
    }
}

/// Look for two consecutive valid MPEG frames (or ADTS frames) near the start.
fn mpeg_or_adts(b: &[u8]) -> Option<Container> {
    // ADTS: 12-bit sync, layer 00.
    if b.len() >= 7 && b[0] == 0xFF && b[1] & 0xF6 == 0xF0 {
        let len = (((b[3] & 3) as usize) << 11) | ((b[4] as usize) << 3) | ((b[5] as usize) >> 5);
        if len >= 7 && (b.len() < len + 2 || (b[len] == 0xFF && b[len + 1] & 0xF6 == 0xF0)) {
            return Some(Container::Adts);
        }
    }
    // MPEG: a frame at the very start (then its successor must be valid too,
    // when it is within the buffer), or two chained frames within the first
    // few KiB (files with junk before the first frame).
    let limit = b.len().min(8192);
    for off in 0..limit {
        if b[off] != 0xFF {
            continue;
        }
        if let Some(len) = mpeg_frame_len(&b[off..]) {
            let next = off + len;
            if next + 4 <= b.len() {
                if mpeg_frame_len(&b[next..]).is_some() {
                    return Some(Container::Mpeg);
                }
            } else if off == 0 {
                // A single frame file (tiny): accept.
                return Some(Container::Mpeg);
            }
        }
    }
    None
}

fn looks_like_text(b: &[u8]) -> bool {
    let sample = &b[..b.len().min(4096)];
    // Accept UTF-8 (possibly cut mid-character at the end) with no control
    // bytes other than whitespace.
    let valid = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 >= sample.len(),
    };
    let utf16 = sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]);
    utf16
        || (valid
            && !sample
                .iter()
                .any(|&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x0C)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(
            sniff_bytes(b"fLaC\0\0\0\x22"),
            Sniffed::Audio(Container::Flac)
        );
        assert_eq!(
            sniff_bytes(b"RIFF\0\0\0\0WAVEfmt "),
            Sniffed::Audio(Container::Wav)
        );
        assert_eq!(
            sniff_bytes(b"FORM\0\0\0\0AIFFCOMM"),
            Sniffed::Audio(Container::Aiff)
        );
        assert_eq!(
            sniff_bytes(b"\0\0\0\x20ftypM4A \0\0\0\0"),
            Sniffed::Audio(Container::Mp4)
        );
        assert_eq!(sniff_bytes(b"MAC \x96\x0f"), Sniffed::Audio(Container::Ape));
        assert_eq!(
            sniff_bytes(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']),
            Sniffed::NotAudio("a JPEG image")
        );
        assert_eq!(
            sniff_bytes(b"hello, this is not music\n"),
            Sniffed::NotAudio("a text file")
        );
        assert_eq!(sniff_bytes(b""), Sniffed::Empty);
        assert_eq!(sniff_bytes(&[0u8, 1, 2, 3, 250, 251]), Sniffed::Unknown);
    }

    #[test]
    fn mpeg_frames_need_a_valid_successor() {
        // MPEG-1 layer III, 128 kbps, 44.1 kHz, no padding: 417 bytes.
        let hdr = [0xFFu8, 0xFB, 0x90, 0x00];
        assert_eq!(mpeg_frame_len(&hdr), Some(417));
        let mut two = vec![0u8; 417 * 2 + 4];
        two[..4].copy_from_slice(&hdr);
        two[417..421].copy_from_slice(&hdr);
        assert_eq!(sniff_bytes(&two), Sniffed::Audio(Container::Mpeg));
        // A lone sync word followed by garbage is not MPEG.
        let mut one = vec![7u8; 2000];
        one[..4].copy_from_slice(&hdr);
        assert_eq!(sniff_bytes(&one), Sniffed::Unknown);
    }
}
