//! Decoding a whole file (or its first seconds) for those that need the
//! samples or only the verdict: [`decode`] keeps the samples (export,
//! loudness), [`verify`] drops them as it goes and adds the container's own
//! structural checks (MPEG frame chains, Ogg page CRCs, FLAC frame CRCs and
//! MD5) for `mixtape check`, and [`fingerprint_only`] fingerprints a file
//! outside the library.
//!
//! Only what symphonia demuxes and has a decoder for, and the formats with
//! a native decoder (APE, WavPack), are decodable here; any other file is
//! an `Err` saying so. A panic in a decoder becomes the file's
//! error, never the run's.

use std::path::Path;

use super::read::truncation;
use super::stream::{self, WalkOptions};
use super::{catch, fingerprint, integrity, mpeg, sniff, Container, Sniffed};
use crate::error::{Error, MediaErrorKind, Problem, Result};

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
    pub errors: Vec<Problem>,
}

/// Decode a file (at most `max_seconds` of it, when given). Problems met
/// on the way (bad frames, truncation, a FLAC MD5 mismatch on a full decode)
/// are in `Decoded::errors`; `Err` means the file could not be opened or
/// has no decodable audio.
pub fn decode(path: &Path, max_seconds: Option<f64>) -> Result<Decoded> {
    let (decoded, _) = decode_into(path, max_seconds, true)?;
    Ok(decoded)
}

/// What a full verification decode found (see [`verify`]).
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// Seconds decoded.
    pub seconds: f64,
    /// Problems: bad frames, truncation, CRC or MD5 mismatch. Empty when clean.
    pub errors: Vec<Problem>,
}

/// Decode the whole file without keeping the samples (memory stays bounded
/// whatever its length) and report any damage: what `mixtape check` runs.
pub fn verify(path: &Path) -> Result<Verified> {
    let (d, frames) = decode_into(path, None, false)?;
    let seconds = if d.samplerate > 0 {
        frames as f64 / d.samplerate as f64
    } else {
        0.0
    };
    Ok(Verified {
        seconds,
        errors: d.errors,
    })
}

/// Open `path` for decoding: sniffed, demuxed by symphonia (or read by a
/// native decoder), with a decoder.
/// Also returns the sniffed container.
pub(super) fn open_decodable(path: &Path) -> Result<(stream::Stream, Option<Container>)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::media(path, MediaErrorKind::Empty, "empty file"));
    }
    let container = match sniff(path)? {
        Sniffed::Audio(c) => Some(c),
        Sniffed::Unknown => None,
        other => {
            let reason = other
                .not_audio_reason()
                .unwrap_or_else(|| "not an audio file".to_string());
            return Err(Error::media(path, MediaErrorKind::NotAudio, reason));
        }
    };
    if let Some(c) = container.filter(|&c| !stream::opens(c)) {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("unsupported format (no decoder for {})", c.display_name()),
        ));
    }
    let st = catch("demuxer", || stream::open(path, container))
        .unwrap_or_else(|e| Err(Problem::new(MediaErrorKind::Panicked, e)))
        .map_err(|p| Error::problem(path, p))?;
    if let Some(p) = st.info.problems.first() {
        return Err(Error::problem(path, p.clone()));
    }
    if !st.info.decodable {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("unsupported format (no decoder for {})", st.info.codec),
        ));
    }
    Ok((st, container))
}

/// The acoustic fingerprint alone: the first 120 s decoded and fingerprinted
/// as `scan` does, without the hashes (for a file outside the library, and
/// for timing the fingerprint against fpcalc). The inner `Err` says why a
/// decodable file has no fingerprint (too short, silent, decoder failure).
pub fn fingerprint_only(path: &Path) -> Result<std::result::Result<Vec<u32>, String>> {
    let (mut st, _) = open_decodable(path)?;
    let sink = fingerprint::Collect::new(true, false, false, None);
    let (w, sink) = decode_walk(path, &mut st, sink, false)?;
    let c = sink.finish(false);
    Ok(match (c.fingerprint, c.fingerprint_error) {
        (Some(fp), _) => Ok(fp),
        (None, Some(e)) => Err(e),
        (None, None) => Err(crate::error::summarise(&w.errors)
            .map(|(_, text)| text)
            .unwrap_or_default()),
    })
}

/// Walk `st` decoding into `sink` (no packet hashing), a decoder panic
/// becoming the file's error; `verify` checks the FLAC MD5 too.
fn decode_walk(
    path: &Path,
    st: &mut stream::Stream,
    mut sink: fingerprint::Collect,
    verify: bool,
) -> Result<(stream::Walked, fingerprint::Collect)> {
    let walk_opts = WalkOptions {
        hash_packets: false,
        decode: true,
        verify,
    };
    catch("decoder", || {
        let w = st.walk(walk_opts, &mut sink);
        (w, sink)
    })
    .map_err(|e| Error::media(path, MediaErrorKind::Panicked, e))
}

/// The shared decode: collect samples (`keep`) or not. Returns the decoded
/// audio and the number of frames decoded.
fn decode_into(path: &Path, max_seconds: Option<f64>, keep: bool) -> Result<(Decoded, u64)> {
    let (mut st, container) = open_decodable(path)?;
    let si = st.info.clone();
    let full = max_seconds.is_none();
    let sink = fingerprint::Collect::new(false, false, keep, max_seconds);
    let (w, sink) = decode_walk(path, &mut st, sink, full)?;
    if let Some(e) = &w.no_decoder {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("cannot decode {}: {e}", si.codec),
        ));
    }
    let mut errors = Vec::new();
    if full {
        if let Some(t) = truncation(&si, &w, true) {
            errors.push(t);
        }
    }
    errors.extend(w.errors.iter().cloned());
    if full {
        // The container's own structure, which the demuxer skips over
        // silently: MPEG frame chains, Ogg page CRCs, FLAC frame CRCs. A
        // panic in these checks of ours is not the file's damage.
        let structural = match container {
            Some(Container::Mpeg) => catch("frame check", || mpeg::chain::check_file(path)),
            // Not sniffed (junk before the first frame), but demuxed as MPEG.
            None if matches!(si.codec, "mp3" | "mp2" | "mp1") => {
                catch("frame check", || mpeg::chain::check_file(path))
            }
            Some(Container::Ogg(_)) => catch("Ogg page check", || integrity::ogg_pages(path)),
            Some(Container::Flac) => catch("FLAC frame check", || integrity::flac_frames(path)),
            _ => Ok(Vec::new()),
        };
        for e in structural.unwrap_or_default() {
            let dup = e.kind == MediaErrorKind::Truncated
                && errors.iter().any(|x| x.kind == MediaErrorKind::Truncated);
            if !dup {
                errors.push(e);
            }
        }
    }
    if w.decoded_frames == 0 && errors.is_empty() {
        errors.push(Problem::new(MediaErrorKind::NoAudio, "no audio decoded"));
    }
    let c = sink.finish(false);
    let decoded = Decoded {
        samplerate: w.samplerate.or(si.samplerate).unwrap_or(0),
        channels: w
            .channels
            .map(|c| c as u16)
            .or(si.channels.map(|c| c as u16))
            .unwrap_or(0),
        bits_per_sample: si.bits,
        samples: c.samples,
        errors,
    };
    Ok((decoded, w.decoded_frames))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, encode_mp3, Mp3Rate};
    use crate::media::{read_media, ReadOptions};

    use crate::media::test_audio::{pcm, pcm16, write, RATE};
    use crate::media::verify;

    #[test]
    fn flac_md5_mismatch_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(8, 3.0))).unwrap();
        let clean = write(dir.path(), "clean.flac", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        // STREAMINFO's MD5 is its last 16 bytes: 8 (fLaC + block header) + 18.
        bytes[8 + 18] ^= 0xFF;
        let bad = write(dir.path(), "bad.flac", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum),
            "{:?}",
            v.errors
        );
        assert!((v.seconds - 3.0).abs() < 0.01);
    }

    #[test]
    fn flac_frame_crc_mismatch_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(13, 5.0))).unwrap();
        // No MD5 (as some encoders write it): only the frame CRC can tell.
        bytes[8 + 18..8 + 34].fill(0);
        let clean = write(dir.path(), "clean.flac", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        let bad = write(dir.path(), "bad.flac", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum
                && e.message.starts_with("FLAC frame CRC mismatch at 2.")),
            "{:?}",
            v.errors
        );
        // A cut file is reported truncated once, not once per check.
        let cut = write(dir.path(), "cut.flac", &bytes[..mid]);
        let v = verify(&cut).unwrap();
        let truncated = v
            .errors
            .iter()
            .filter(|e| e.kind == MediaErrorKind::Truncated);
        assert_eq!(truncated.count(), 1, "{:?}", v.errors);
    }

    #[test]
    fn flac_without_total_samples_gets_its_length_from_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(14, 7.5))).unwrap();
        // STREAMINFO's body starts at byte 8; its 36-bit total samples are
        // the low 4 bits of body byte 13 and body bytes 14..18.
        assert_ne!(&bytes[8 + 14..8 + 18], &[0; 4]);
        bytes[8 + 13] &= 0xF0;
        bytes[8 + 14..8 + 18].fill(0);
        let p = write(dir.path(), "unknown-length.flac", &bytes);
        for fingerprint in [false, true] {
            let m = read_media(&p, &ReadOptions::fingerprinting(fingerprint)).unwrap();
            let len = m.props.length.expect("a length");
            assert!(
                (len - 7.5).abs() < 0.01,
                "fingerprint: {fingerprint}: {len}"
            );
            assert_eq!(m.error_text(), None, "fingerprint: {fingerprint}");
        }
        let v = verify(&p).unwrap();
        assert_eq!(v.errors, Vec::<Problem>::new());
        assert!((v.seconds - 7.5).abs() < 0.01, "{}", v.seconds);
    }

    #[test]
    fn corrupted_mp3_frame_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_mp3(pcm(&pcm16(11, 4.0)), Mp3Rate::Cbr(128)).unwrap();
        let clean = write(dir.path(), "clean.mp3", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        // 1000 bytes of zeros always cover at least one frame header.
        let mid = bytes.len() / 2;
        bytes[mid..mid + 1000].fill(0);
        let bad = write(dir.path(), "bad.mp3", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors
                .iter()
                .any(|e| e.message.starts_with("corrupt frame at ")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn ape_and_wavpack_decode_to_the_flac_samples_and_verify_their_md5() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
        let flac = decode(&dir.join("music.flac"), None).unwrap();
        assert_eq!((flac.samplerate, flac.channels), (22050, 1));
        assert_eq!(flac.samples.len(), 4 * 22050);
        for f in ["music.wv", "music.ape"] {
            let d = decode(&dir.join(f), None).unwrap();
            assert_eq!(d.errors, Vec::<Problem>::new(), "{f}");
            assert_eq!(
                (d.samplerate, d.channels, d.bits_per_sample),
                (22050, 1, Some(16)),
                "{f}"
            );
            assert!(d.samples == flac.samples, "{f}: samples differ");
            assert_eq!(verify(&dir.join(f)).unwrap().errors, Vec::<Problem>::new());
        }
        // The WavPack MD5 of the samples is in a trailing metadata block:
        // flipping a byte of it is a checksum error, the audio untouched.
        let mut bytes = std::fs::read(dir.join("music.wv")).unwrap();
        let at = bytes.len() - 40;
        let tail = &bytes[at..];
        let md5 = at + tail.windows(2).position(|w| w == [0x26, 8]).unwrap() + 2;
        bytes[md5] ^= 1;
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "md5.wv", &bytes);
        let v = verify(&p).unwrap();
        assert_eq!(
            v.errors,
            vec![Problem::new(
                MediaErrorKind::Checksum,
                "WavPack MD5 mismatch (decoded audio differs from the stored checksum)"
            )]
        );
        assert!((v.seconds - 4.0).abs() < 0.01);
    }

    #[test]
    fn decode_returns_samples_and_source_bits() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(9, 2.0);
        let p = write(dir.path(), "d.flac", &encode_flac(pcm(&s)).unwrap());
        let d = decode(&p, Some(1.0)).unwrap();
        assert_eq!(
            (d.samplerate, d.channels, d.bits_per_sample),
            (RATE, 2, Some(16))
        );
        assert_eq!(d.samples.len(), RATE as usize * 2);
        assert!((d.samples[1000] - s[1000] as f32 / 32768.0).abs() < 1e-4);
        let full = decode(&p, None).unwrap();
        assert_eq!(full.samples.len(), s.len());
        assert!(full.errors.is_empty(), "{:?}", full.errors);
    }
}
