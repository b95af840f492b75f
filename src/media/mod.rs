//! Reading one media file: what it is (sniffed from its content), its tags
//! (lofty), audio properties, hashes (BLAKE3 of the file, of the demuxed audio
//! packets, of decoded PCM for lossless files), embedded art and the acoustic
//! fingerprint (rusty-chromaprint), plus full decoding for check and export.
//!
//! Media files are untrusted input: every entry point here catches panics from
//! the parsing libraries and turns them into that file's error.

mod asf;
mod decode;
mod downsample;
mod fingerprint;
mod hash;
mod integrity;
pub mod loudness;
pub mod mpeg;
mod native;
mod opus;
pub mod props;
pub mod ranges;
mod read;
mod region;
pub mod replaygain;
mod sniff;
mod spectrum;
mod stream;
pub mod synth;
pub mod tag_edit;
mod tags;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::error::{MediaErrorKind, Problem};
#[doc(hidden)]
pub use fingerprint::bit_error_rate;
pub use fingerprint::{FINGERPRINT_SECONDS, MIN_FINGERPRINT_SECONDS};
pub use props::{AudioProps, Quality, Tags};

/// The version of the decode analysis (fingerprint, bandwidth, level)
/// that this build stores in `tracks.analysed`. Raise it when the analysis
/// changes: a fingerprinting scan then reads older rows again, so no
/// verdict is stale. (3: APE and WavPack are decoded, so their rows get
/// a fingerprint and a `pcm_hash`.)
pub const ANALYSIS_VERSION: u32 = 3;
pub use decode::{decode, fingerprint_only, verify, Decoded, Verified};
pub use integrity::ogg_page_crc;
pub use read::{read_media, read_media_with};
pub use sniff::{sniff, Container, OggCodec, Sniffed};
pub use spectrum::expected_bandwidth;
pub use tags::{embedded_cuesheet, MAX_FIELD_BYTES};

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
    /// The file's own ReplayGain tags (an Opus file's R128 gains).
    pub replaygain: replaygain::ReplayGain,
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
    /// What the decode analysis found the audio to be (when fingerprinting).
    pub quality: Quality,
    /// Whether the decode analysis ran (fingerprint, quality): a read
    /// without it (`scan --no-fingerprint`) is completed by a later scan.
    pub analysed: bool,
    /// Why the file could be read only in part, each with its kind.
    pub problems: Vec<Problem>,
}

impl MediaInfo {
    /// The problems as stored: the most severe kind and every message.
    pub fn error(&self) -> Option<(MediaErrorKind, String)> {
        crate::error::summarise(&self.problems)
    }

    /// Every problem's message, joined with `; ` (what `error` stores).
    pub fn error_text(&self) -> Option<String> {
        self.error().map(|(_, text)| text)
    }
}

/// What to do while reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Decode and fingerprint (and pcm_hash lossless files).
    pub fingerprint: bool,
    /// With `fingerprint`: decode a lossless file in full for its
    /// `pcm_hash` (off for a CUE image, whose tracks are hashed apart).
    pub pcm_hash: bool,
}

impl ReadOptions {
    /// Fingerprint (and hash lossless audio) or not.
    pub fn fingerprinting(fingerprint: bool) -> Self {
        ReadOptions {
            fingerprint,
            pcm_hash: true,
        }
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions::fingerprinting(true)
    }
}

/// Run `f`, turning a panic into `"<what> panicked: <message>"`.
pub(crate) fn catch<T>(what: &str, f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("{what} panicked: {msg}")
    })
}

/// Is this file name's extension one that audio files use? Files with no
/// extension, or an unknown one, are sniffed by content by the scanner.
pub fn has_audio_extension(path: &Path) -> bool {
    const EXTS: &[&str] = &[
        "mp3", "mp2", "mp1", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "alac",
        "wav", "wave", "aif", "aiff", "aifc", "ape", "wv", "mpc", "wma", "asf", "dsf", "dff",
        "caf", "mka", "webm", "spx", "tta", "ofr", "tak",
    ];
    extension_is_one_of(path, EXTS)
}

/// Is this file name's extension one of `exts` (lower case, no dot),
/// ignoring case?
pub fn extension_is_one_of(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Helpers the media tests share: synthetic music, quantised, encoded and
/// written to a temporary folder.
#[cfg(test)]
mod test_audio {
    use super::synth;
    use crate::export::encode::{quantize, Pcm};
    use std::path::{Path, PathBuf};

    pub(super) const RATE: u32 = 44100;

    pub(super) fn pcm16(seed: u64, secs: f64) -> Vec<i32> {
        quantize(&synth::music(seed, secs, RATE, 2), 16)
    }

    pub(super) fn pcm(s: &[i32]) -> Pcm<'_> {
        Pcm::cd(s)
    }

    pub(super) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// Tests over the shared real-world corpus (`../shared/corpus`), skipped
/// with a printed reason when it is absent.
#[cfg(test)]
mod corpus_tests {
    use super::*;
    use std::path::PathBuf;

    /// `../shared/corpus` next to the checkout (or next to the folder
    /// holding a git worktree of it).
    fn corpus() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("../shared/corpus"),
            root.join("../../shared/corpus"),
        ];
        let found = dirs.iter().find(|d| d.is_dir()).cloned();
        if found.is_none() {
            println!("skipped: {} is absent", dirs[0].display());
        }
        found
    }

    /// A tag write into a copy of every `full.*` keeps its audio and reads
    /// back; WMA and DSF are refused by name.
    #[test]
    fn full_files_take_a_tag_write_and_keep_their_audio() {
        use super::tag_edit::{write_fields, EditError, TagField};
        let Some(dir) = corpus() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let opts = ReadOptions::fingerprinting(false);
        let mut written = Vec::new();
        // AIFF is left out: lofty 0.25 fails to write its ID3 chunk here
        // ("failed to write Aiff file"); `modify` is to report it per file
        // until that is fixed.
        for ext in [
            "alac.m4a", "ape", "dsf", "flac", "m4a", "mp3", "mpc", "ogg", "opus", "wav", "wma",
            "wv",
        ] {
            let src = dir.join("mediafile").join(format!("full.{ext}"));
            if !src.is_file() {
                continue;
            }
            let p = tmp.path().join(format!("full.{ext}"));
            std::fs::copy(&src, &p).unwrap();
            let before = read_media(&p, &opts).unwrap();
            match write_fields(&p, &[(TagField::Title, Some("Edited".into()))]) {
                Err(EditError::Unsupported(f)) => {
                    assert!(["wma", "dsf"].contains(&ext), "{ext}: {f}");
                    continue;
                }
                Err(e) => panic!("{ext}: {e}"),
                Ok(()) => {}
            }
            let after = read_media(&p, &opts).unwrap();
            assert_eq!(before.audio_hash, after.audio_hash, "{ext}");
            assert_eq!(after.tags.title.as_deref(), Some("Edited"), "{ext}");
            assert_eq!(after.tags.artist, before.tags.artist, "{ext}");
            written.push(ext);
        }
        assert!(written.len() >= 8, "{written:?}");
    }

    /// Every `full.*` that lofty reads carries the README's tags.
    #[test]
    fn full_files_show_the_readme_tags() {
        let Some(dir) = corpus() else { return };
        let mut checked = 0;
        let mut entries: Vec<_> = std::fs::read_dir(dir.join("mediafile"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("full."))
            })
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if lofty::read_from_path(&p).is_err() {
                println!("{name}: lofty cannot read it (no tags expected)");
                continue;
            }
            let m = read_media(&p, &ReadOptions::fingerprinting(false)).unwrap();
            let t = &m.tags;
            assert_eq!(t.title.as_deref(), Some("full"), "{name}");
            assert_eq!(t.artist.as_deref(), Some("the artist"), "{name}");
            assert_eq!(t.album.as_deref(), Some("the album"), "{name}");
            assert_eq!(t.genre.as_deref(), Some("the genre"), "{name}");
            assert_eq!((t.track, t.tracktotal), (Some(2), Some(3)), "{name}");
            assert!(
                m.props.length.is_some_and(|l| (l - 1.0).abs() < 0.1),
                "{name}"
            );
            assert!(m.audio_hash.is_some(), "{name}");
            if name == "full.wav" {
                // mediafile writes only these fields to WAV (its ID3 chunk
                // holds nothing else).
                checked += 1;
                continue;
            }
            assert_eq!(t.composer.as_deref(), Some("the composer"), "{name}");
            assert_eq!(t.year, Some(2001), "{name}");
            assert_eq!((t.disc, t.disctotal), (Some(4), Some(5)), "{name}");
            assert_eq!(t.bpm, Some(6), "{name}");
            assert_eq!(t.comp, Some(true), "{name}");
            assert_eq!(t.label.as_deref(), Some("the label"), "{name}");
            assert_eq!(t.lyrics.as_deref(), Some("the lyrics"), "{name}");
            assert_eq!(t.comments.as_deref(), Some("the comments"), "{name}");
            assert_eq!(
                t.mb_trackid.as_deref(),
                Some("8b882575-08a5-4452-a7a7-cbb8a1531f9e"),
                "{name}"
            );
            assert_eq!(
                t.mb_albumid.as_deref(),
                Some("9e873859-8aa4-4790-b985-5a953e8ef628"),
                "{name}"
            );
            assert_eq!(
                t.mb_artistid.as_deref(),
                Some("7cf0ea9d-86b9-4dad-ba9e-2355a64899ea"),
                "{name}"
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} full.* files checked");
    }

    /// Nothing in the corpus panics or hangs; every file gets a result.
    #[test]
    fn whole_corpus_reads_without_panic() {
        let Some(dir) = corpus() else { return };
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        assert!(files.len() > 100);
        let mut audio = 0;
        for p in &files {
            match read_media(p, &ReadOptions::fingerprinting(true)) {
                Ok(m) => {
                    audio += 1;
                    assert!(m.props.format.is_some(), "{}", p.display());
                    if let Some(e) = &m.error_text() {
                        assert!(!e.is_empty());
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(&p.display().to_string()), "{msg}");
                }
            }
            let _ = sniff(p).unwrap();
        }
        assert!(audio > 150, "{audio}");
    }

    /// A flipped bit in a real Opus file's Ogg page is found by verify
    /// (the Ogg reader resynchronises past it silently).
    #[test]
    fn ogg_page_crc_mismatch_is_reported_by_verify() {
        let Some(dir) = corpus() else { return };
        let p = dir.join("beets/whitenoise.opus");
        if !p.is_file() {
            println!("skipped: {} is absent", p.display());
            return;
        }
        assert_eq!(verify(&p).unwrap().errors, Vec::<Problem>::new());
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() * 2 / 3;
        bytes[at] ^= 0x20;
        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("flip.opus");
        std::fs::write(&bad, &bytes).unwrap();
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum
                && e.message.starts_with("Ogg page CRC mismatch at byte ")),
            "{:?}",
            v.errors
        );
    }

    /// The Opus decoder handles the corpus's Opus files.
    #[test]
    fn opus_files_decode() {
        let Some(dir) = corpus() else { return };
        let p = dir.join("beets/whitenoise.opus");
        if !p.is_file() {
            println!("skipped: {} is absent", p.display());
            return;
        }
        let d = decode(&p, None).unwrap();
        assert_eq!(d.samplerate, 48_000);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let rms = (d.samples.iter().map(|s| s * s).sum::<f32>() / d.samples.len() as f32).sqrt();
        assert!(rms > 0.01, "white noise decoded as near silence: {rms}");
    }
}
