//! WavPack through the pure-Rust `oxideav-wavpack` crate: the file is read
//! block by block (a block, or for more than two channels a set of member
//! blocks, is self-contained), each set decoded with its CRC checked, and
//! the MD5 of the samples that `wavpack -m` stores checked at the end.
//!
//! The block framing is read here (the crate takes whole blocks): a
//! 32-byte header (`wvpk`, size, version, totals, index, samples, flags,
//! CRC) followed by metadata sub-blocks. Bytes that are not a block are
//! the trailing tags (APEv2, ID3v1) or damage, which is reported and
//! skipped to the next block. Hybrid (lossy) files decode without their
//! `.wvc` correction file, as lossy audio; WavPack DSD is unsupported.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use md5::{Digest, Md5};

use super::{at, check_header, Chunk, Damage, NativeHeader, MAX_CHUNK_SAMPLES};
use crate::error::{MediaErrorKind, Problem};

const HEADER_LEN: usize = 32;
/// The largest block accepted: libwavpack's blocks stay far below.
const MAX_BLOCK_BYTES: usize = 16 << 20;
const BYTES_STORED: u32 = 3;
const MONO_FLAG: u32 = 4;
const HYBRID_FLAG: u32 = 8;
const FLOAT_DATA: u32 = 0x80;
const SHIFT_LSB: u32 = 13;
const FINAL_BLOCK: u32 = 0x1000;
const SRATE_LSB: u32 = 23;
const DSD_FLAG: u32 = 0x8000_0000;
const SAMPLE_RATES: [u32; 15] = [
    6000, 8000, 9600, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000,
    192000,
];
/// Metadata sub-block ids (without the large/odd-size bits).
const ID_CHANNEL_INFO: u8 = 0x0d;
const ID_MD5_CHECKSUM: u8 = 0x26;
const ID_SAMPLE_RATE: u8 = 0x27;

/// The fields of a block header this reader uses.
#[derive(Debug, Clone, Copy)]
struct BlockHeader {
    /// The whole block's length, header included.
    len: usize,
    total_samples: Option<u64>,
    block_index: u64,
    block_samples: u32,
    flags: u32,
}

impl BlockHeader {
    fn parse(b: &[u8; HEADER_LEN]) -> Option<BlockHeader> {
        if &b[..4] != b"wvpk" {
            return None;
        }
        let u32le = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let total = u32le(12);
        // libwavpack's GET_TOTAL_SAMPLES: the high byte extends the count.
        let total_samples = (total != u32::MAX)
            .then(|| (total as u64 + ((b[11] as u64) << 32)).saturating_sub(b[11] as u64));
        Some(BlockHeader {
            len: u32le(4) as usize + 8,
            total_samples,
            block_index: u32le(16) as u64 + ((b[10] as u64) << 32),
            block_samples: u32le(20),
            flags: u32le(24),
        })
    }

    fn bytes_per_sample(&self) -> u32 {
        (self.flags & BYTES_STORED) + 1
    }
}

/// The metadata sub-blocks of one block (`block` includes its header):
/// (id without the size bits, data).
fn sub_blocks(block: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut pos = HEADER_LEN;
    std::iter::from_fn(move || {
        let id = *block.get(pos)?;
        let (len, head) = if id & 0x80 != 0 {
            let b = block.get(pos + 1..pos + 4)?;
            (
                (b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16) * 2,
                4,
            )
        } else {
            (*block.get(pos + 1)? as usize * 2, 2)
        };
        let data_len = len - usize::from(id & 0x40 != 0 && len > 0);
        let data = block.get(pos + head..pos + head + data_len)?;
        pos += head + len;
        Some((id & 0x3f, data))
    })
}

/// An open WavPack file, decoded block set by block set.
pub(crate) struct WavPackStream {
    reader: BufReader<File>,
    header: NativeHeader,
    float: bool,
    /// Left shift making a container-width sample full-scale i32.
    scale_shift: u32,
    bytes_per_sample: u32,
    file_len: u64,
    /// Bytes read so far.
    offset: u64,
    /// The block read ahead while opening (the first one).
    pending: Option<(BlockHeader, Vec<u8>)>,
    /// The MD5 of the samples stored in a block (the first, or a trailing
    /// metadata-only one), and the running one (only for a full check).
    stored_md5: Option<[u8; 16]>,
    md5: Option<Md5>,
    /// Whether the stream ended early, or a block was damaged or skipped
    /// (the MD5 then says nothing new).
    cut: bool,
    damaged: bool,
    ints: Vec<i32>,
    floats: Vec<f32>,
    set: Vec<u8>,
}

/// The header of a file cut inside a block or a short read.
fn eof() -> Problem {
    Problem::new(
        MediaErrorKind::Stream,
        "stream error: unexpected end of file",
    )
}

impl WavPackStream {
    /// Open `path`: read its first block and take the stream's facts from it.
    pub(crate) fn open(path: &Path) -> Result<WavPackStream, Problem> {
        let io = |e: std::io::Error| Problem::new(MediaErrorKind::Io, e.to_string());
        let file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut s = WavPackStream {
            reader: BufReader::new(file),
            header: NativeHeader::default(),
            float: false,
            scale_shift: 0,
            bytes_per_sample: 2,
            file_len,
            offset: 0,
            pending: None,
            stored_md5: None,
            md5: None,
            cut: false,
            damaged: false,
            ints: Vec::new(),
            floats: Vec::new(),
            set: Vec::new(),
        };
        // The first block with samples (metadata-only blocks may lead).
        let (h, block) = loop {
            match s.read_block() {
                Some(Ok((h, block))) if h.block_samples > 0 => break (h, block),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(Problem::new(
                        MediaErrorKind::NoAudio,
                        "no WavPack block with audio",
                    ))
                }
            }
        };
        if h.flags & DSD_FLAG != 0 {
            return Err(Problem::new(
                MediaErrorKind::Unsupported,
                "unsupported format (WavPack DSD audio)",
            ));
        }
        let mut rate = SAMPLE_RATES
            .get(((h.flags >> SRATE_LSB) & 0xf) as usize)
            .copied()
            .unwrap_or(0);
        let mut channels = if h.flags & MONO_FLAG != 0 { 1 } else { 2 };
        s.note_md5(&block);
        for (id, data) in sub_blocks(&block) {
            match id {
                ID_SAMPLE_RATE if data.len() >= 3 => {
                    rate = u32::from_le_bytes([data[0], data[1], data[2], 0]);
                }
                ID_CHANNEL_INFO if !data.is_empty() => channels = data[0] as u32,
                _ => {}
            }
        }
        let bytes = h.bytes_per_sample();
        let shift = (h.flags >> SHIFT_LSB) & 0x1f;
        s.float = h.flags & FLOAT_DATA != 0;
        s.bytes_per_sample = bytes;
        s.scale_shift = 32 - bytes * 8;
        s.header = NativeHeader {
            codec: "wavpack",
            lossless: h.flags & HYBRID_FLAG == 0,
            samplerate: rate,
            channels,
            bits: if s.float {
                32
            } else {
                (bytes * 8).saturating_sub(shift)
            },
            frames: h.total_samples.filter(|&n| n > 0),
        };
        check_header(&s.header, "WavPack")?;
        s.pending = Some((h, block));
        Ok(s)
    }

    /// Keep the MD5 of the block's samples, if it stores one.
    fn note_md5(&mut self, block: &[u8]) {
        for (id, data) in sub_blocks(block) {
            if let (ID_MD5_CHECKSUM, Ok(sum)) = (id, <[u8; 16]>::try_from(data)) {
                self.stored_md5 = Some(sum);
            }
        }
    }

    /// Hash the samples as they are decoded, for the MD5 check in
    /// [`WavPackStream::finish`] (before the first chunk).
    pub(crate) fn check_md5(&mut self) {
        self.md5 = Some(Md5::new());
    }

    pub(crate) fn header(&self) -> &NativeHeader {
        &self.header
    }

    pub(crate) fn audio_bytes(&self) -> u64 {
        self.file_len
    }

    /// The next block, skipping (and reporting once) bytes that are not
    /// one; `None` at the end of the blocks (the end of the file or the
    /// trailing tags).
    fn read_block(&mut self) -> Option<Result<(BlockHeader, Vec<u8>), Problem>> {
        if let Some(p) = self.pending.take() {
            return Some(Ok(p));
        }
        if self.cut {
            return None;
        }
        let mut head = [0u8; HEADER_LEN];
        let mut skipped = 0u64;
        let start = self.offset;
        let h = loop {
            let left = self.file_len.saturating_sub(self.offset);
            if left == 0 {
                return None;
            }
            if left < HEADER_LEN as u64 {
                // Too short for a block: an ID3v1 tag's end, or a cut.
                if skipped == 0 && left >= 3 && self.peek(&mut head[..3]) && &head[..3] == b"TAG" {
                    return None;
                }
                self.cut = true;
                return Some(Err(eof()));
            }
            if !self.peek(&mut head) {
                self.cut = true;
                return Some(Err(eof()));
            }
            if let Some(h) = BlockHeader::parse(&head) {
                if h.len >= HEADER_LEN && h.len <= MAX_BLOCK_BYTES {
                    break h;
                }
            } else if skipped == 0
                && (head.starts_with(b"APETAGEX")
                    || head.starts_with(b"TAG")
                    || head.starts_with(b"ID3"))
            {
                return None;
            }
            // Not a block: on to the next `wvpk` after this byte.
            skipped += self.skip_to_magic();
        };
        if skipped > 0 {
            self.damaged = true;
            let p = Problem::new(
                MediaErrorKind::BadFrames,
                format!("{skipped} bytes of damage between blocks at byte {start}"),
            );
            return Some(Err(p));
        }
        let mut block = vec![0u8; h.len];
        if self.reader.read_exact(&mut block).is_err() {
            self.cut = true;
            return Some(Err(eof()));
        }
        self.offset += h.len as u64;
        Some(Ok((h, block)))
    }

    /// Read `buf.len()` bytes at the current offset without consuming them
    /// (seeking back).
    fn peek(&mut self, buf: &mut [u8]) -> bool {
        use std::io::{Seek, SeekFrom};
        let ok = self.reader.read_exact(buf).is_ok();
        ok && self.reader.seek(SeekFrom::Start(self.offset)).is_ok()
    }

    /// Move past the current byte to the next `wvpk` (or the end of the
    /// file), reading ahead in large pieces; returns the bytes skipped.
    fn skip_to_magic(&mut self) -> u64 {
        let start = self.offset;
        self.consume(1);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let mut n = 0;
            while n < buf.len() {
                match self.reader.read(&mut buf[n..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            if let Some(i) = buf[..n].windows(4).position(|w| w == b"wvpk") {
                self.consume(i as u64);
                break;
            }
            if n < buf.len() {
                // The end of the file: no further block.
                self.consume(n as u64);
                break;
            }
            self.consume((n - 3) as u64);
        }
        self.offset - start
    }

    fn consume(&mut self, n: u64) {
        use std::io::{Seek, SeekFrom};
        self.offset += n;
        let _ = self.reader.seek(SeekFrom::Start(self.offset));
    }

    pub(crate) fn next_chunk(&mut self) -> Option<Result<Chunk<'_>, Damage>> {
        self.set.clear();
        let mut first: Option<BlockHeader> = None;
        loop {
            let (h, block) = match self.read_block()? {
                Ok(b) => b,
                Err(e) => return Some(Err((e, 0))),
            };
            if h.block_samples == 0 {
                self.note_md5(&block);
                continue;
            }
            first.get_or_insert(h);
            self.set.extend_from_slice(&block);
            if h.flags & FINAL_BLOCK != 0 || self.set.len() > MAX_BLOCK_BYTES {
                break;
            }
        }
        let h = first?;
        let here = at(h.block_index, self.header.samplerate);
        let decoded =
            oxideav_wavpack::decode_multichannel_stream_muted_bounded(&self.set, MAX_CHUNK_SAMPLES);
        let (stream, crc_ok) = match decoded {
            Ok(d) => d,
            Err(e) => {
                self.damaged = true;
                let p = Problem::new(MediaErrorKind::BadFrames, format!("bad block{here}: {e}"));
                return Some(Err((p, h.block_samples as u64)));
            }
        };
        if stream.channels != self.header.channels as usize {
            self.damaged = true;
            let p = Problem::new(
                MediaErrorKind::BadFrames,
                format!(
                    "bad block{here}: {} channels in a {}-channel stream",
                    stream.channels, self.header.channels
                ),
            );
            return Some(Err((p, h.block_samples as u64)));
        }
        if let Some(md5) = self.md5.as_mut() {
            update_md5(md5, &stream.samples, self.bytes_per_sample);
        }
        if !crc_ok {
            // The block is muted (zeros), as libwavpack does.
            self.damaged = true;
        }
        let chunk = if self.float {
            self.floats.clear();
            self.floats
                .extend(stream.samples.iter().map(|&b| f32::from_bits(b as u32)));
            Chunk::Float(&self.floats)
        } else {
            self.ints.clear();
            let shift = self.scale_shift;
            self.ints
                .extend(stream.samples.iter().map(|&v| v.wrapping_shl(shift)));
            Chunk::Int(&self.ints)
        };
        if !crc_ok {
            let p = Problem::new(
                MediaErrorKind::Checksum,
                format!("WavPack block CRC mismatch{here}"),
            );
            return Some(Err((p, h.block_samples as u64)));
        }
        Some(Ok(chunk))
    }

    pub(crate) fn finish(&mut self) -> Vec<Problem> {
        // A trailing metadata block may follow the last audio block.
        while let Some(Ok((_, block))) = self.read_block() {
            self.note_md5(&block);
        }
        match (self.stored_md5, self.md5.take()) {
            (Some(stored), Some(md5)) if !self.damaged && !self.cut => {
                let got: [u8; 16] = md5.finalize().into();
                if got == stored {
                    Vec::new()
                } else {
                    vec![Problem::new(
                        MediaErrorKind::Checksum,
                        "WavPack MD5 mismatch (decoded audio differs from the stored checksum)",
                    )]
                }
            }
            _ => Vec::new(),
        }
    }
}

/// Feed samples to the MD5 as `wavpack -m` hashed them: little-endian in
/// the stored width, 8-bit unsigned.
fn update_md5(md5: &mut Md5, samples: &[i32], bytes_per_sample: u32) {
    let mut buf = Vec::with_capacity(samples.len() * bytes_per_sample as usize);
    for &v in samples {
        match bytes_per_sample {
            1 => buf.push((v + 128) as u8),
            n => buf.extend_from_slice(&v.to_le_bytes()[..n as usize]),
        }
    }
    md5.update(&buf);
}

#[cfg(test)]
mod tests {
    use super::super::tests::{corpus, decode_all};
    use super::*;
    use crate::media::Container;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/formats")
            .join(name)
    }

    #[test]
    fn sub_blocks_are_walked_with_their_sizes() {
        let mut block = vec![0u8; HEADER_LEN];
        // A small sub-block of 2 words, then a large odd-sized one of 3 bytes.
        block.extend_from_slice(&[0x27, 2, 1, 2, 3, 4]);
        block.extend_from_slice(&[0x80 | 0x40 | 0x0d, 2, 0, 0, 9, 8, 7, 0]);
        let subs: Vec<_> = sub_blocks(&block).collect();
        assert_eq!(
            subs,
            vec![(0x27, &[1u8, 2, 3, 4][..]), (0x0d, &[9u8, 8, 7][..])]
        );
    }

    #[test]
    fn the_fixture_decodes_with_its_header_facts() {
        let (h, samples, errors) = decode_all(&fixture("tone.wv"), Container::WavPack);
        assert_eq!(errors, Vec::<Problem>::new());
        assert_eq!((h.samplerate, h.channels, h.bits), (44100, 2, 16));
        assert_eq!(h.frames, Some(66150));
        assert_eq!(samples.len(), 66150 * 2);
        assert!(samples.iter().any(|&v| v != 0));
    }

    #[test]
    fn a_damaged_block_is_a_crc_mismatch_and_a_cut_file_ends_early() {
        let bytes = std::fs::read(fixture("tone.wv")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut bad = bytes.clone();
        bad[bytes.len() / 2] ^= 0x10;
        let p = dir.path().join("bad.wv");
        std::fs::write(&p, &bad).unwrap();
        let (_, samples, errors) = decode_all(&p, Container::WavPack);
        assert!(
            errors
                .iter()
                .any(|e| e.kind == MediaErrorKind::Checksum || e.kind == MediaErrorKind::BadFrames),
            "{errors:?}"
        );
        assert!(samples.len() < 66150 * 2 + 1);
        let p = dir.path().join("cut.wv");
        std::fs::write(&p, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let (_, samples, errors) = decode_all(&p, Container::WavPack);
        assert_eq!(errors, vec![eof()]);
        assert!(samples.len() < 66150 * 2);
    }

    #[test]
    fn junk_between_blocks_is_reported_and_skipped() {
        let bytes = std::fs::read(fixture("tone.wv")).unwrap();
        let h = BlockHeader::parse(bytes[..HEADER_LEN].try_into().unwrap()).unwrap();
        let mut junk = bytes[..h.len].to_vec();
        junk.extend(vec![0x5a; 200_000]);
        junk.extend_from_slice(&bytes[h.len..]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("junk.wv");
        std::fs::write(&p, &junk).unwrap();
        let (_, samples, errors) = decode_all(&p, Container::WavPack);
        assert_eq!(
            errors,
            vec![Problem::new(
                MediaErrorKind::BadFrames,
                format!("200000 bytes of damage between blocks at byte {}", h.len)
            )]
        );
        assert_eq!(samples.len(), 66150 * 2);
    }

    #[test]
    fn the_corpus_wavpack_decodes_clean() {
        let Some(src) = corpus("full.wv") else {
            return;
        };
        let (h, samples, errors) = decode_all(&src, Container::WavPack);
        assert_eq!(errors, Vec::<Problem>::new());
        assert_eq!((h.samplerate, h.channels, h.bits), (44100, 1, 16));
        assert_eq!(samples.len(), 44100);
    }
}
