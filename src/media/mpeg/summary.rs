//! What an MP3's frames say as a whole, as a device sees it: the MPEG
//! version and layer, sample rate, channels, the highest and the first
//! audio frame's bitrate, and whether the stream is VBR. Export decides
//! from it whether a file may be copied to a device that plays CBR only,
//! and `export --check` judges existing files with it; neither trusts the
//! writer that made the file.
//!
//! VBR means: the first frame holds a `Xing` or `VBRI` tag (LAME writes
//! `Info` for a CBR stream), or the audio frames do not all have the same
//! bitrate. Only the first [`MAX_FRAMES`] frames are walked: a stream that
//! changes bitrate later than that is rare and would still be flagged by
//! its Xing tag.

use super::chain::{find_sync, frame};
use super::header::{ChannelMode, Layer, Version};
use super::id3v2::leading_tags_len;
use super::trailing::{trailing_tags_start_in, Peel};
use super::xing;

/// At most this many frames are walked.
pub const MAX_FRAMES: usize = 2000;

/// The properties of an MPEG audio stream that a device profile judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    /// MPEG version of the first frame.
    pub version: Version,
    /// Layer of the first frame.
    pub layer: Layer,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// 1 (mono) or 2.
    pub channels: u8,
    /// The bitrate of the first audio frame, kbit/s.
    pub first_kbps: u32,
    /// The highest bitrate of any audio frame walked, kbit/s.
    pub max_kbps: u32,
    /// The info tag of the first frame (`Xing`, `Info` or `VBRI`), if any.
    pub info_tag: Option<[u8; 4]>,
    /// Variable bitrate: a Xing/VBRI tag, or frames of different bitrates.
    pub vbr: bool,
    /// Audio frames walked.
    pub frames: usize,
}

/// Summarise the MPEG audio stream in `b` (a whole file, or its head: a
/// frame cut short at the end is not counted). `None` when no frame is found.
pub fn summarize(b: &[u8]) -> Option<StreamSummary> {
    let mut start = leading_tags_len(b).min(b.len());
    while start < b.len() && b[start] == 0 {
        start += 1;
    }
    let end = trailing_tags_start_in(b, start, Peel::WithAppendedId3v2);
    let first = match frame(b, start, end, None) {
        Some(_) => start,
        None => find_sync(b, start + 1, end, None)?,
    };
    let h = frame(b, first, end, None)?;
    let info_tag = xing::parse(&b[first..end]).map(|t| t.kind);
    let mut s = StreamSummary {
        version: h.version,
        layer: h.layer,
        sample_rate: h.sample_rate,
        channels: if h.channel_mode == ChannelMode::Mono {
            1
        } else {
            2
        },
        first_kbps: 0,
        max_kbps: 0,
        info_tag,
        vbr: matches!(&info_tag, Some(k) if k == b"Xing" || k == b"VBRI"),
        frames: 0,
    };
    let id = Some(h.stream_id());
    let mut pos = first;
    // The info tag's frame holds no audio, and its bitrate is the encoder's
    // choice for the tag: it does not count.
    if info_tag.is_some() {
        pos += h.frame_len();
    }
    while pos < end && s.frames < MAX_FRAMES {
        let Some(f) = frame(b, pos, end, id) else {
            match find_sync(b, pos + 1, end, id) {
                Some(p) => {
                    pos = p;
                    continue;
                }
                None => break,
            }
        };
        if pos + f.frame_len() > end {
            break;
        }
        if s.frames == 0 {
            s.first_kbps = f.bitrate_kbps;
        } else if f.bitrate_kbps != s.first_kbps {
            s.vbr = true;
        }
        s.max_kbps = s.max_kbps.max(f.bitrate_kbps);
        s.frames += 1;
        pos += f.frame_len();
    }
    if s.frames == 0 {
        // Only the info frame: judge by its header.
        s.first_kbps = h.bitrate_kbps;
        s.max_kbps = h.bitrate_kbps;
    }
    Some(s)
}

/// Summarise the MP3 at `path` from its first `max` bytes.
pub fn summarize_file(path: &std::path::Path, max: u64) -> std::io::Result<Option<StreamSummary>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(summarize(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_mp3, quantize, Mp3Rate, Pcm};
    use crate::media::synth;

    #[test]
    fn lame_cbr_and_vbr_streams() {
        let s = quantize(&synth::music(2, 2.0, 44100, 2), 16);
        let pcm = Pcm::cd(&s);
        let cbr = summarize(&encode_mp3(pcm, Mp3Rate::Cbr(192)).unwrap()).unwrap();
        assert_eq!(cbr.info_tag, Some(*b"Info"));
        assert!(!cbr.vbr);
        assert_eq!((cbr.first_kbps, cbr.max_kbps), (192, 192));
        assert_eq!((cbr.sample_rate, cbr.channels), (44100, 2));
        assert_eq!((cbr.version, cbr.layer), (Version::Mpeg1, Layer::III));
        let vbr = summarize(&encode_mp3(pcm, Mp3Rate::Vbr(2)).unwrap()).unwrap();
        assert_eq!(vbr.info_tag, Some(*b"Xing"));
        assert!(vbr.vbr);
    }

    /// Frames of two bitrates and no info tag: VBR all the same.
    #[test]
    fn varying_bitrates_without_a_tag_are_vbr() {
        let mut b = Vec::new();
        for hdr in [[0xFF, 0xFB, 0x90, 0x00], [0xFF, 0xFB, 0xB0, 0x00]] {
            for _ in 0..3 {
                let h = crate::media::mpeg::FrameHeader::parse(&hdr).unwrap();
                let mut f = vec![0u8; h.frame_len()];
                f[..4].copy_from_slice(&hdr);
                b.extend(f);
            }
        }
        let s = summarize(&b).unwrap();
        assert_eq!(s.info_tag, None);
        assert_eq!((s.first_kbps, s.max_kbps, s.frames), (128, 192, 6));
        assert!(s.vbr);
        assert_eq!(summarize(&b[..417 * 3]).map(|s| s.vbr), Some(false));
        assert_eq!(summarize(b"no audio here"), None);
    }
}
