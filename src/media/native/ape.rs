//! Monkey's Audio through the pure-Rust `ape-decoder` crate: one APE frame
//! decoded at a time (each frame is independent and carries a CRC of its
//! samples, which the crate checks), the file's MD5 (over its header, seek
//! table and compressed frames) checked at the end of a full decode.
//!
//! Files older than version 3.95 are refused by the crate: they are
//! reported as unsupported, not as damage.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ape_decoder::{ApeDecoder, ApeError};

use super::{at, check_header, Chunk, Damage, NativeHeader, MAX_CHUNK_SAMPLES};
use crate::error::{MediaErrorKind, Problem};

/// An open APE file, decoded frame by frame.
pub(crate) struct ApeStream {
    decoder: ApeDecoder<BufReader<File>>,
    header: NativeHeader,
    /// The next frame to decode.
    next: u32,
    /// The first frame of the next chunk, in sample frames.
    position: u64,
    /// Whether a frame could not be read whole (the file ends early):
    /// the frames after it cannot be read either.
    cut: bool,
    /// Whether any frame failed: the MD5 then says nothing new.
    damaged: bool,
    buf: Vec<i32>,
}

/// An `ape-decoder` error as a problem of its kind.
fn problem(e: &ApeError, position: &str) -> Problem {
    match e {
        ApeError::UnsupportedVersion(v) => Problem::new(
            MediaErrorKind::Unsupported,
            format!(
                "unsupported format (APE version {:.2}; only 3.95 and later decode)",
                *v as f64 / 1000.0
            ),
        ),
        ApeError::InvalidFormat(what) => Problem::new(
            MediaErrorKind::CorruptHeader,
            format!("corrupt APE header: {what}"),
        ),
        ApeError::InvalidChecksum => Problem::new(
            MediaErrorKind::Checksum,
            format!("APE frame CRC mismatch{position}"),
        ),
        ApeError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Problem::new(
            MediaErrorKind::Stream,
            "stream error: unexpected end of file".to_string(),
        ),
        ApeError::DecodingError("short read on frame data") => Problem::new(
            MediaErrorKind::Stream,
            "stream error: unexpected end of file".to_string(),
        ),
        other => Problem::new(
            MediaErrorKind::BadFrames,
            format!("bad frame{position}: {other}"),
        ),
    }
}

impl ApeStream {
    /// Open `path` and check its header.
    pub(crate) fn open(path: &Path) -> Result<ApeStream, Problem> {
        let file = File::open(path).map_err(|e| Problem::new(MediaErrorKind::Io, e.to_string()))?;
        let decoder = ApeDecoder::new(BufReader::new(file)).map_err(|e| {
            // The crate parses old headers wrongly before it looks at
            // the version: an old file is unsupported, not corrupt.
            match old_version(path) {
                Some(v) => problem(&ApeError::UnsupportedVersion(v), ""),
                None => problem(&e, ""),
            }
        })?;
        let info = decoder.info();
        let header = NativeHeader {
            codec: "ape",
            lossless: true,
            samplerate: info.sample_rate,
            channels: info.channels as u32,
            bits: info.bits_per_sample as u32,
            frames: Some(info.total_samples).filter(|&n| n > 0),
        };
        check_header(&header, "APE")?;
        if !matches!(info.bits_per_sample, 8 | 16 | 24 | 32) {
            return Err(Problem::new(
                MediaErrorKind::CorruptHeader,
                format!(
                    "corrupt APE header: {} bits per sample is out of range",
                    info.bits_per_sample
                ),
            ));
        }
        let frame_samples = info.blocks_per_frame as u64 * info.channels as u64;
        if frame_samples > MAX_CHUNK_SAMPLES {
            return Err(Problem::new(
                MediaErrorKind::CorruptHeader,
                format!(
                    "corrupt APE header: {} blocks per frame is out of range",
                    info.blocks_per_frame
                ),
            ));
        }
        Ok(ApeStream {
            decoder,
            header,
            next: 0,
            position: 0,
            cut: false,
            damaged: false,
            buf: Vec::new(),
        })
    }

    pub(crate) fn header(&self) -> &NativeHeader {
        &self.header
    }

    pub(crate) fn audio_bytes(&self) -> u64 {
        self.decoder.file_info().ape_frame_data_bytes
    }

    pub(crate) fn next_chunk(&mut self) -> Option<Result<Chunk<'_>, Damage>> {
        if self.cut || self.next >= self.decoder.total_frames() {
            return None;
        }
        let frame = self.next;
        self.next += 1;
        let blocks = self.decoder.info().frame_samples(frame) as u64;
        let here = at(self.position, self.header.samplerate);
        self.position += blocks;
        let bytes = match self.decoder.decode_frame(frame) {
            Ok(b) => b,
            Err(e) => {
                let p = problem(&e, &here);
                self.cut = p.kind == MediaErrorKind::Stream;
                self.damaged = true;
                let lost = if self.cut { 0 } else { blocks };
                return Some(Err((p, lost)));
            }
        };
        let info = self.decoder.info();
        to_i32(
            &bytes,
            info.bits_per_sample,
            info.is_signed_8bit,
            &mut self.buf,
        );
        Some(Ok(Chunk::Int(&self.buf)))
    }

    pub(crate) fn finish(&mut self) -> Vec<Problem> {
        if self.damaged || self.decoder.info().version < 3980 {
            return Vec::new();
        }
        match self.decoder.verify_md5() {
            Ok(true) => Vec::new(),
            Ok(false) => vec![Problem::new(
                MediaErrorKind::Checksum,
                "APE MD5 mismatch (the file differs from the checksum in its header)",
            )],
            Err(e) => vec![problem(&e, "")],
        }
    }
}

/// The version of an APE file older than 3.95 (which the crate cannot
/// decode), read from the `MAC ` magic at its start.
fn old_version(path: &Path) -> Option<u16> {
    use std::io::Read;
    let mut head = [0u8; 6];
    File::open(path).ok()?.read_exact(&mut head).ok()?;
    let v = u16::from_le_bytes([head[4], head[5]]);
    (&head[..4] == b"MAC " && v < 3950).then_some(v)
}

/// Little-endian PCM bytes (as a WAV holds them: 8-bit unsigned unless
/// flagged signed) as full-scale i32, replacing `out`.
fn to_i32(bytes: &[u8], bits: u16, signed_8bit: bool, out: &mut Vec<i32>) {
    out.clear();
    match bits {
        8 => out.extend(bytes.iter().map(|&b| {
            let v = if signed_8bit {
                b as i8 as i32
            } else {
                b as i32 - 128
            };
            v << 24
        })),
        16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| (i16::from_le_bytes([c[0], c[1]]) as i32) << 16),
        ),
        24 => out.extend(
            bytes
                .chunks_exact(3)
                .map(|c| i32::from_le_bytes([0, c[0], c[1], c[2]])),
        ),
        _ => out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{corpus, decode_all};
    use super::*;
    use crate::media::Container;

    #[test]
    fn pcm_bytes_become_full_scale_integers() {
        let mut out = Vec::new();
        to_i32(&[0x01, 0x80, 0xFF, 0x7F], 16, false, &mut out);
        assert_eq!(out, vec![-32767 << 16, 32767 << 16]);
        to_i32(&[0x00, 0x00, 0x80], 24, false, &mut out);
        assert_eq!(out, vec![i32::MIN]);
        to_i32(&[0x80, 0x00, 0xFF], 8, false, &mut out);
        assert_eq!(out, vec![0, -128 << 24, 127 << 24]);
        to_i32(&[0xFF], 8, true, &mut out);
        assert_eq!(out, vec![-1 << 24]);
    }

    #[test]
    fn the_corpus_ape_decodes_clean_and_its_damage_is_found() {
        let Some(src) = corpus("full.ape") else {
            return;
        };
        let (h, samples, errors) = decode_all(&src, Container::Ape);
        assert_eq!((h.samplerate, h.channels, h.bits), (44100, 1, 16));
        assert_eq!(h.frames, Some(44100));
        assert_eq!(samples.len(), 44100);
        assert_eq!(errors, Vec::<Problem>::new());

        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(&src).unwrap();
        let start = bytes.len() - 6000;
        let mut bad = bytes.clone();
        bad[start] ^= 0x55;
        let p = dir.path().join("bad.ape");
        std::fs::write(&p, &bad).unwrap();
        // A flipped byte is caught by the range decoder or by the CRC.
        let (_, _, errors) = decode_all(&p, Container::Ape);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(
                errors[0].kind,
                MediaErrorKind::Checksum | MediaErrorKind::BadFrames
            ),
            "{errors:?}"
        );
        assert!(errors[0].message.contains(" at 0.0 s"), "{errors:?}");
        let p = dir.path().join("cut.ape");
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let (_, samples, errors) = decode_all(&p, Container::Ape);
        // The crate reads the cut frame up to the end of the file, and
        // its decoder then fails on it.
        assert!(samples.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(
                errors[0].kind,
                MediaErrorKind::BadFrames | MediaErrorKind::Stream
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn an_old_ape_is_unsupported_not_damaged() {
        let Some(src) = corpus("oldape.ape") else {
            return;
        };
        let e = ApeStream::open(&src).err().unwrap();
        assert_eq!(e.kind, MediaErrorKind::Unsupported, "{e:?}");
    }
}
