//! Where the audio lies in a FLAC or WAV file, read from the headers alone,
//! so a scan can hash it in the same read as the whole file instead of
//! demuxing it packet by packet.
//!
//! In both formats the demuxed packets are one contiguous byte run (FLAC's
//! frames after the metadata blocks, WAV's `data` chunk), so the BLAKE3 of
//! that run is exactly the BLAKE3 of the packets that the other formats'
//! `audio_hash` covers; reading it as a region skips symphonia's frame
//! parser (and its per-frame CRC-16, a fifth of a scan's CPU time).
//!
//! What the packet walk also gave, and this module gives instead: the end of
//! the stream in frames, for the truncation check. For WAV it is the bytes
//! present in the `data` chunk over the block size; for FLAC it is the end of
//! the last frame whose header is found (and confirmed by the header before
//! it) near the end of the file.

use std::fs::File;
use std::io;

use super::hash::read_at;
use super::mpeg::id3v2::tag_len as id3v2_len;
use super::sniff::Container;

/// A container's audio byte range and how far its stream reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AudioRegion {
    /// First byte of the audio (the first FLAC frame, WAV's `data` payload).
    pub start: u64,
    /// One past the last byte of the audio (trailing tags excluded).
    pub end: u64,
    /// Frames (samples per channel) the present bytes reach, when known.
    pub end_frames: Option<u64>,
}

/// The audio region of a FLAC or plain RIFF WAVE file; `None` for other
/// containers, and for files whose headers do not lay it out plainly (RF64,
/// a `data` chunk before `fmt `, a metadata block running past the end):
/// those take the packet walk.
pub(crate) fn audio_region(
    file: &mut File,
    len: u64,
    container: Option<Container>,
) -> io::Result<Option<AudioRegion>> {
    match container {
        Some(Container::Flac) => flac(file, len),
        Some(Container::Wav) => wav(file, len),
        _ => Ok(None),
    }
}

/// A FLAC file's metadata blocks as read from their headers.
pub(super) struct FlacLayout {
    /// Each block's header offset and first header byte (last-block flag and
    /// type).
    pub blocks: Vec<(u64, u8)>,
    /// STREAMINFO's minimum block size.
    pub min_block: Option<u32>,
    /// STREAMINFO's sample rate (0 when the block says so).
    pub sample_rate: Option<u32>,
    /// STREAMINFO's total samples per channel (0: unknown).
    pub total_frames: Option<u64>,
    /// Where the frames begin (after the last metadata block).
    pub frames_start: u64,
}

/// Walk the metadata blocks; `None` when the file is not laid out as FLAC
/// (no `fLaC`, or a block running past the end).
pub(super) fn flac_layout(file: &mut File, len: u64) -> io::Result<Option<FlacLayout>> {
    let mut head = [0u8; 10];
    if !read_at(file, 0, &mut head)? {
        return Ok(None);
    }
    let mut pos = id3v2_len(&head).map(|l| l as u64).unwrap_or(0);
    let mut magic = [0u8; 4];
    if !read_at(file, pos, &mut magic)? || &magic != b"fLaC" {
        return Ok(None);
    }
    pos += 4;
    let mut layout = FlacLayout {
        blocks: Vec::new(),
        min_block: None,
        sample_rate: None,
        total_frames: None,
        frames_start: 0,
    };
    // Metadata blocks: last-flag(1) type(7) length(24), then the body.
    for _ in 0..10_000 {
        let mut h = [0u8; 4];
        if !read_at(file, pos, &mut h)? {
            return Ok(None);
        }
        layout.blocks.push((pos, h[0]));
        let body = u32::from_be_bytes([0, h[1], h[2], h[3]]) as u64;
        // STREAMINFO: min block (16 bits), max block (16), min and max
        // frame size (24 each), sample rate (20), channels (3), bits (5),
        // total samples (36), MD5.
        let mut si = [0u8; 18];
        if h[0] & 0x7F == 0 && body >= 18 && read_at(file, pos + 4, &mut si)? {
            layout.min_block = Some(u16::from_be_bytes([si[0], si[1]]) as u32);
            layout.sample_rate =
                Some((si[10] as u32) << 12 | (si[11] as u32) << 4 | (si[12] as u32) >> 4);
            layout.total_frames = Some(
                ((si[13] & 0x0F) as u64) << 32
                    | u32::from_be_bytes([si[14], si[15], si[16], si[17]]) as u64,
            );
        }
        pos += 4 + body;
        if pos > len {
            return Ok(None);
        }
        if h[0] & 0x80 != 0 {
            break;
        }
    }
    layout.frames_start = pos;
    Ok(Some(layout))
}

fn flac(file: &mut File, len: u64) -> io::Result<Option<AudioRegion>> {
    let Some(FlacLayout {
        min_block: Some(min_block),
        frames_start: pos,
        ..
    }) = flac_layout(file, len)?
    else {
        return Ok(None);
    };
    let end = super::hash::trailing_tags_start(file, pos, len)?;
    let end_frames = last_flac_frame_end(file, pos, end, min_block)?;
    Ok(Some(AudioRegion {
        start: pos,
        end,
        end_frames,
    }))
}

/// One-byte patches that turn every FLAC metadata block except STREAMINFO
/// and SEEKTABLE into PADDING (same length, same last-block flag): what a
/// demuxer needs to reach the audio when a tag, picture or cuesheet block
/// is malformed. Empty when there is nothing to patch or no FLAC layout.
pub(crate) fn flac_metadata_as_padding(file: &mut File, len: u64) -> io::Result<Vec<(u64, u8)>> {
    Ok(flac_layout(file, len)?
        .map(|l| {
            l.blocks
                .into_iter()
                .filter(|&(_, b)| !matches!(b & 0x7F, 0 | 1 | 3))
                .map(|(at, b)| (at, (b & 0x80) | 1))
                .collect()
        })
        .unwrap_or_default())
}

/// CRC-8 (polynomial 0x07) of a FLAC frame header.
fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A parsed FLAC frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameHeader {
    /// Variable block size: `number` is a sample number, else a frame number.
    pub variable: bool,
    pub number: u64,
    /// Block size in frames.
    pub block: u32,
}

/// The longest FLAC frame header: sync and codes (4 bytes), a 7-byte coded
/// number, a 16-bit block size, a 16-bit sample rate and the CRC-8.
pub(super) const MAX_FRAME_HEADER: usize = 16;

/// Parse a FLAC frame header at the start of `b` (checking its CRC-8).
pub(super) fn frame_header(b: &[u8]) -> Option<FrameHeader> {
    if b.len() < 6 || b[0] != 0xFF || b[1] & 0xFE != 0xF8 {
        return None;
    }
    let variable = b[1] & 1 == 1;
    let bs_code = b[2] >> 4;
    let sr_code = b[2] & 0x0F;
    if bs_code == 0 || sr_code == 0x0F || b[3] >> 4 >= 11 || b[3] & 1 != 0 {
        return None;
    }
    // The UTF-8-style coded number.
    let first = b[4];
    let extra = match first.leading_ones() {
        0 => 0,
        n @ 2..=7 => n as usize - 1,
        _ => return None,
    };
    if !variable && extra > 5 {
        return None;
    }
    let mut number = if extra == 0 {
        first as u64
    } else {
        (first & (0x7F >> (extra + 1))) as u64
    };
    let mut i = 5;
    for _ in 0..extra {
        let c = *b.get(i)?;
        if c & 0xC0 != 0x80 {
            return None;
        }
        number = (number << 6) | (c & 0x3F) as u64;
        i += 1;
    }
    let block = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            i += 1;
            *b.get(i - 1)? as u32 + 1
        }
        7 => {
            i += 2;
            u16::from_be_bytes([*b.get(i - 2)?, *b.get(i - 1)?]) as u32 + 1
        }
        _ => 256 << (bs_code - 8),
    };
    i += match sr_code {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    let crc = *b.get(i)?;
    (crc8(&b[..i]) == crc).then_some(FrameHeader {
        variable,
        number,
        block,
    })
}

impl FrameHeader {
    /// The first frame (sample) this block holds.
    pub(super) fn first_frame(&self, min_block: u32) -> u64 {
        if self.variable {
            self.number
        } else {
            self.number.saturating_mul(min_block as u64)
        }
    }

    /// Whether `next` is the frame right after this one: the same blocking
    /// strategy, and the next frame number (fixed blocking) or the sample
    /// number just past this block (variable blocking).
    pub(super) fn precedes(&self, next: &FrameHeader) -> bool {
        next.variable == self.variable
            && if self.variable {
                self.number + self.block as u64 == next.number
            } else {
                self.number + 1 == next.number
            }
    }
}

/// How far the last complete-looking frame reaches, in frames: found by
/// scanning back from the end for a frame header, confirmed by the header
/// of the frame just before it (a sync pattern inside audio data rarely
/// passes the CRC-8 twice with consecutive numbers). The tail is read in
/// growing windows (64 KiB, then up to 1 MiB); `None` when no confirmed
/// pair is found there.
fn last_flac_frame_end(
    file: &mut File,
    audio_start: u64,
    end: u64,
    min_block: u32,
) -> io::Result<Option<u64>> {
    let mut window: u64 = 64 << 10;
    loop {
        let from = end.saturating_sub(window).max(audio_start);
        let mut buf = vec![0u8; (end - from) as usize];
        if !read_at(file, from, &mut buf)? {
            return Ok(None);
        }
        if let Some(found) = confirmed_last_frame(&buf, min_block) {
            return Ok(Some(found));
        }
        if from == audio_start || window >= 1 << 20 {
            return Ok(None);
        }
        window *= 4;
    }
}

/// The end (in frames) of the last frame header in `buf` that the header
/// of its preceding frame confirms.
fn confirmed_last_frame(buf: &[u8], min_block: u32) -> Option<u64> {
    let mut later: Vec<FrameHeader> = Vec::new();
    for i in (0..buf.len().saturating_sub(1)).rev() {
        if buf[i] != 0xFF || buf[i + 1] & 0xFE != 0xF8 {
            continue;
        }
        let Some(h) = frame_header(&buf[i..]) else {
            continue;
        };
        // Does `h` precede one of the headers found after it (latest first)?
        if let Some(next) = later.iter().find(|n| h.precedes(n)) {
            return Some(next.first_frame(min_block) + next.block as u64);
        }
        // A stream of one frame has nothing before it to confirm with.
        if h.number == 0 && later.is_empty() && i == 0 {
            return Some(h.block as u64);
        }
        if later.len() >= 64 {
            return None;
        }
        later.push(h);
    }
    None
}

/// What a plain RIFF WAVE's headers say, up to its `data` chunk.
struct WavLayout {
    /// The `fmt ` chunk's format tag and block size.
    format_tag: u16,
    block_align: u32,
    /// The `data` payload's first byte and its end (cut at the file's end).
    data: (u64, u64),
}

/// Walk a WAV's chunks to `data`; `None` without `RIFF`/`WAVE`, without a
/// `fmt ` before `data` (RF64 too), or when the chunks run out.
fn wav_layout(file: &mut File, len: u64) -> io::Result<Option<WavLayout>> {
    let mut riff = [0u8; 12];
    if !read_at(file, 0, &mut riff)? || &riff[..4] != b"RIFF" || &riff[8..] != b"WAVE" {
        return Ok(None);
    }
    let mut pos = 12u64;
    let mut fmt: Option<(u16, u32)> = None;
    for _ in 0..10_000 {
        let mut h = [0u8; 8];
        if !read_at(file, pos, &mut h)? {
            return Ok(None);
        }
        let size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
        let body = pos + 8;
        match &h[..4] {
            b"fmt " => {
                let mut f = [0u8; 16];
                if size < 16 || !read_at(file, body, &mut f)? {
                    return Ok(None);
                }
                fmt = Some((
                    u16::from_le_bytes([f[0], f[1]]),
                    u16::from_le_bytes([f[12], f[13]]) as u32,
                ));
            }
            b"data" => {
                return Ok(fmt.map(|(format_tag, block_align)| WavLayout {
                    format_tag,
                    block_align,
                    data: (body, (body + size).min(len)),
                }));
            }
            _ => {}
        }
        pos = body + size + (size & 1);
        if pos >= len {
            return Ok(None);
        }
    }
    Ok(None)
}

/// The `data` chunk's byte range of a WAV whose format tag says MPEG audio
/// (0x50 MPEG, 0x55 MPEG layer 3); `None` for any other WAV.
pub(crate) fn wav_mpeg_data(file: &mut File, len: u64) -> io::Result<Option<(u64, u64)>> {
    Ok(wav_layout(file, len)?
        .filter(|w| matches!(w.format_tag, 0x50 | 0x55))
        .map(|w| w.data))
}

fn wav(file: &mut File, len: u64) -> io::Result<Option<AudioRegion>> {
    let Some(w) = wav_layout(file, len)?.filter(|w| w.block_align > 0) else {
        return Ok(None);
    };
    let (start, end) = w.data;
    let align = w.block_align as u64;
    // Whole blocks only, as the demuxer hands them out.
    let blocks = (end - start) / align;
    // A block is one frame for PCM, float, A-law, mu-law and extensible;
    // ADPCM and MPEG blocks hold many, so their length in frames is left to
    // the packet walk.
    let frame_blocks = matches!(w.format_tag, 1 | 3 | 6 | 7 | 0xFFFE);
    Ok(Some(AudioRegion {
        start,
        end: start + blocks * align,
        end_frames: frame_blocks.then_some(blocks),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, quantize, Pcm};
    use crate::media::synth;

    fn region_of(bytes: &[u8], c: Container) -> Option<AudioRegion> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, bytes).unwrap();
        let mut f = File::open(&p).unwrap();
        audio_region(&mut f, bytes.len() as u64, Some(c)).unwrap()
    }

    fn flac_bytes(secs: f64) -> (Vec<u8>, u64) {
        let s = quantize(&synth::music(3, secs, 44100, 2), 16);
        let pcm = Pcm::cd(&s);
        (encode_flac(pcm).unwrap(), (s.len() / 2) as u64)
    }

    #[test]
    fn flac_region_skips_id3v2_and_metadata_and_reaches_the_last_frame() {
        let (flac, frames) = flac_bytes(3.0);
        let plain = region_of(&flac, Container::Flac).expect("region");
        assert_eq!(plain.end, flac.len() as u64);
        assert_eq!(plain.end_frames, Some(frames));
        assert_eq!(
            &flac[plain.start as usize..plain.start as usize + 2],
            &[0xFF, 0xF8]
        );

        // A leading ID3v2 tag and a trailing ID3v1 tag are outside the region.
        let mut tagged = vec![b'I', b'D', b'3', 3, 0, 0, 0, 0, 0, 20];
        tagged.extend_from_slice(&[0u8; 20]);
        tagged.extend_from_slice(&flac);
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b'x');
        tagged.extend_from_slice(&v1);
        let r = region_of(&tagged, Container::Flac).expect("region");
        assert_eq!(r.start, plain.start + 30);
        assert_eq!(r.end - r.start, plain.end - plain.start);
        assert_eq!(r.end_frames, Some(frames));

        // Cut in half: the last whole frame header says how far it reaches.
        let cut = region_of(&flac[..flac.len() / 2], Container::Flac).expect("region");
        let reach = cut.end_frames.expect("a frame pair");
        assert!(
            reach < frames * 3 / 4 && reach > frames / 4,
            "{reach} of {frames}"
        );
    }

    /// A RIFF WAVE file with the given chunks after the header.
    fn riff(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let chunks: Vec<(&[u8; 4], &[u8])> = chunks.iter().map(|(id, c)| (*id, &c[..])).collect();
        crate::media::synth::riff_wave(&chunks)
    }

    fn fmt_chunk(channels: u16, bits: u16) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut f = Vec::new();
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&44100u32.to_le_bytes());
        f.extend_from_slice(&(44100 * align as u32).to_le_bytes());
        f.extend_from_slice(&align.to_le_bytes());
        f.extend_from_slice(&bits.to_le_bytes());
        f
    }

    #[test]
    fn wav_region_is_the_data_chunk_after_odd_chunks() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7) as u8).collect();
        let wav = riff(&[
            (b"fmt ", fmt_chunk(2, 16)),
            (b"junk", vec![1, 2, 3]), // odd size: padded
            (b"data", data.clone()),
            (b"LIST", b"INFOtags".to_vec()),
        ]);
        let r = region_of(&wav, Container::Wav).expect("region");
        assert_eq!(&wav[r.start as usize..r.end as usize], &data[..]);
        assert_eq!(r.end_frames, Some(1000));

        // Truncated: the frames present, whole frames only.
        let cut = region_of(&wav[..r.start as usize + 1001], Container::Wav).expect("region");
        assert_eq!(cut.end_frames, Some(250));
        assert_eq!(cut.end - cut.start, 1000);

        // `data` before `fmt ` and RF64 are left to the packet walk.
        let odd = riff(&[(b"data", data.clone()), (b"fmt ", fmt_chunk(2, 16))]);
        assert_eq!(region_of(&odd, Container::Wav), None);
        let mut rf64 = wav.clone();
        rf64[..4].copy_from_slice(b"RF64");
        assert_eq!(region_of(&rf64, Container::Wav), None);
    }

    #[test]
    fn crc8_matches_the_flac_reference() {
        // A real header: fixed blocking, 4096-sample blocks, 44.1 kHz,
        // stereo, 16 bit, frame 0.
        let h = [0xFF, 0xF8, 0xC9, 0x18, 0x00];
        let crc = crc8(&h);
        let mut full = h.to_vec();
        full.push(crc);
        let parsed = frame_header(&full).expect("parses");
        assert_eq!(
            parsed,
            FrameHeader {
                variable: false,
                number: 0,
                block: 4096
            }
        );
        full[5] ^= 1;
        assert!(frame_header(&full).is_none(), "a bad CRC is refused");
    }

    #[test]
    fn coded_numbers_and_explicit_block_sizes() {
        // Variable blocking, sample number 1_000_000 (4 bytes coded), block
        // size from a 16-bit field (code 7): 1000 frames.
        let n: u32 = 1_000_000;
        let coded = [
            0xF0 | (n >> 18) as u8,
            0x80 | ((n >> 12) & 0x3F) as u8,
            0x80 | ((n >> 6) & 0x3F) as u8,
            0x80 | (n & 0x3F) as u8,
        ];
        let mut h = vec![0xFF, 0xF9, 0x79, 0x18];
        h.extend_from_slice(&coded);
        h.extend_from_slice(&999u16.to_be_bytes());
        h.push(crc8(&h));
        let parsed = frame_header(&h).expect("parses");
        assert!(parsed.variable);
        assert_eq!(parsed.number, 1_000_000);
        assert_eq!(parsed.block, 1000);
        assert_eq!(parsed.first_frame(4096), 1_000_000);
    }
}
