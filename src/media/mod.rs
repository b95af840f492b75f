//! Reading one media file: what it is (sniffed from its content), its tags
//! (lofty), audio properties, hashes (BLAKE3 of the file, of the demuxed audio
//! packets, of decoded PCM for lossless files), embedded art and the acoustic
//! fingerprint (rusty-chromaprint), plus full decoding for check and export.
//!
//! Media files are untrusted input: every entry point here catches panics from
//! the parsing libraries and turns them into that file's error.

pub mod synth;

use std::path::Path;

use crate::error::{Error, Result};
pub use crate::library::track::{AudioProps, Tags};

/// What reading a file produced. A file that could be read only in part
/// still yields a `MediaInfo`, with `error` saying what went wrong.
#[derive(Debug, Clone, Default)]
pub struct MediaInfo {
    pub tags: Tags,
    pub props: AudioProps,
    /// Has embedded art.
    pub art: bool,
    /// BLAKE3 of the front cover's bytes.
    pub art_hash: Option<[u8; 32]>,
    /// BLAKE3 of every byte of the file.
    pub file_hash: [u8; 32],
    /// BLAKE3 of the audio stream alone (tags excluded).
    pub audio_hash: Option<[u8; 32]>,
    /// BLAKE3 of the decoded samples (lossless files only, when fingerprinting).
    pub pcm_hash: Option<[u8; 32]>,
    /// Chromaprint raw fingerprint (fpcalc default algorithm, first 120 s).
    pub fingerprint: Option<Vec<u32>>,
    /// Why there is no fingerprint, e.g. "unavailable (no decoder for APE)".
    pub fingerprint_error: Option<String>,
    /// Why the file could be read only in part.
    pub error: Option<String>,
}

/// What to do while reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Decode and fingerprint (and pcm_hash lossless files).
    pub fingerprint: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { fingerprint: true }
    }
}

/// Read everything mixtape stores about one file. `Err` means the file could
/// not be read at all (I/O error, not audio); partial failures are in
/// `MediaInfo::error`.
pub fn read_media(path: &Path, _opts: &ReadOptions) -> Result<MediaInfo> {
    Err(Error::media(path, "media reading not implemented yet"))
}

/// Decoded audio: interleaved f32 samples in [-1, 1].
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub samplerate: u32,
    pub channels: u16,
    /// The source's bits per sample, when known (lossless formats).
    pub bits_per_sample: Option<u32>,
    /// Interleaved samples.
    pub samples: Vec<f32>,
    /// Problems met while decoding (bad frames, truncation, ...): the samples
    /// cover what decoded.
    pub errors: Vec<String>,
}

/// Decode a file (at most `max_seconds` of it, when given).
pub fn decode(path: &Path, _max_seconds: Option<f64>) -> Result<Decoded> {
    Err(Error::media(path, "decoding not implemented yet"))
}

/// Is this file name's extension one that audio files use? Files with no
/// extension, or an unknown one, are sniffed by content by the scanner.
pub fn has_audio_extension(path: &Path) -> bool {
    const EXTS: &[&str] = &[
        "mp3", "mp2", "mp1", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "alac",
        "wav", "wave", "aif", "aiff", "aifc", "ape", "wv", "mpc", "wma", "asf", "dsf", "dff",
        "caf", "mka", "webm", "spx", "tta", "ofr", "tak",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| EXTS.iter().any(|x| x.eq_ignore_ascii_case(e)))
        .unwrap_or(false)
}
