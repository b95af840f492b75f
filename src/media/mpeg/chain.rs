//! The MPEG audio frame-chain check, run by `verify` (so by `mixtape
//! check`) on every MP1/MP2/MP3: symphonia's MP3 reader resynchronises
//! silently past damaged frame headers or junk, and its decoder accepts most
//! damaged payloads, so a corrupted MP3 would pass a plain decode. Here the
//! chain is walked from header to header, as mp3val does: every frame must
//! start exactly where the previous one ended, with a valid header of the
//! same stream (version, layer, sample rate), from the first frame to the
//! trailing tags. A break is reported with its position in seconds and
//! bytes; a last frame cut short is a truncation.
//!
//! Conservative by design: tags (ID3v2 at the start, ID3v1, APEv2,
//! Lyrics3v2 and an appended ID3v2.4 at the end) and zero padding after the
//! leading tag are skipped; free-format streams are not judged (no frame
//! starts a chain); a resynchronisation only counts where two consecutive
//! valid frames of the stream follow; fewer than 128 stray bytes after the
//! last frame are harmless padding.

use std::path::Path;

use super::header::{FrameHeader, Layer, Version};
use super::id3v2::leading_tags_len;
use super::trailing::{trailing_tags_start_in, Peel};
use crate::error::{MediaErrorKind, Problem};

/// At most this many breaks are listed (the rest are counted).
const MAX_REPORTS: usize = 5;
/// Junk shorter than this after the last frame is ignored.
const HARMLESS_TAIL: usize = 128;

/// The identity of a stream: what stays constant from frame to frame.
pub(super) type StreamId = (Version, Layer, u32);

/// Check the frame chain of the MPEG audio file at `path`; an unreadable
/// file yields no problems here (the decode reports it).
pub(crate) fn check_file(path: &Path) -> Vec<Problem> {
    match std::fs::read(path) {
        Ok(bytes) => check_chain(&bytes),
        Err(_) => Vec::new(),
    }
}

/// The header at `pos` (before `end`), when it belongs to stream `id`.
pub(super) fn frame(b: &[u8], pos: usize, end: usize, id: Option<StreamId>) -> Option<FrameHeader> {
    let h = FrameHeader::parse(b.get(pos..end)?)?;
    id.is_none_or(|s| s == h.stream_id()).then_some(h)
}

/// The next position from `from` where two consecutive valid frames (of
/// stream `id`, when given) start, or one frame that ends exactly at `end`.
pub(super) fn find_sync(b: &[u8], from: usize, end: usize, id: Option<StreamId>) -> Option<usize> {
    (from..end.saturating_sub(3)).find(|&p| match frame(b, p, end, id) {
        Some(h) => {
            let next = p + h.frame_len();
            next == end || frame(b, next, end, Some(h.stream_id())).is_some()
        }
        None => false,
    })
}

/// Problems in the frame chain of an MPEG audio file's bytes (empty: sound).
pub fn check_chain(b: &[u8]) -> Vec<Problem> {
    let mut start = leading_tags_len(b).min(b.len());
    // Some encoders pad after the tag with zeros.
    while start < b.len() && b[start] == 0 {
        start += 1;
    }
    let end = trailing_tags_start_in(b, start, Peel::WithAppendedId3v2);
    let mut problems = Vec::new();
    // The first frame: where the audio starts, or after junk there.
    let first = match frame(b, start, end, None) {
        Some(_) => Some(start),
        None => find_sync(b, start + 1, end, None),
    };
    let Some(mut pos) = first else {
        return problems;
    };
    let mut stream = None;
    let mut frames = 0usize;
    let mut seconds = 0f64;
    let mut breaks = 0usize;
    while pos < end {
        if let Some(h) = frame(b, pos, end, stream) {
            let len = h.frame_len();
            if pos + len > end {
                // Cut short: only a problem once the stream was well formed.
                if frames == 0 {
                    break;
                }
                problems.push(Problem::new(
                    MediaErrorKind::Truncated,
                    format!(
                        "truncated (last frame cut at {seconds:.1} s: {} of {len} bytes at byte {pos})",
                        end - pos
                    ),
                ));
                break;
            }
            stream = Some(h.stream_id());
            frames += 1;
            seconds += h.seconds();
            pos += len;
            continue;
        }
        // Lost sync: find where the chain resumes.
        let resume = find_sync(b, pos + 1, end, stream);
        let skipped = resume.unwrap_or(end) - pos;
        if resume.is_none() && skipped < HARMLESS_TAIL {
            break;
        }
        breaks += 1;
        if breaks <= MAX_REPORTS {
            problems.push(Problem::new(
                MediaErrorKind::BadFrames,
                format!(
                    "corrupt frame at {seconds:.1} s (damaged frames: {skipped} bytes without a valid frame header at byte {pos}, after frame {frames})"
                ),
            ));
        }
        match resume {
            Some(p) => pos = p,
            None => break,
        }
    }
    if breaks > MAX_REPORTS {
        problems.push(Problem::new(
            MediaErrorKind::BadFrames,
            format!("{} more damaged regions", breaks - MAX_REPORTS),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_mp3, quantize, Mp3Rate, Pcm};
    use crate::media::synth;

    fn mp3(secs: f64) -> Vec<u8> {
        let s = quantize(&synth::music(3, secs, 44100, 2), 16);
        let pcm = Pcm::cd(&s);
        encode_mp3(pcm, Mp3Rate::Cbr(192)).unwrap()
    }

    fn kinds(p: &[Problem]) -> Vec<MediaErrorKind> {
        p.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn clean_files_pass_with_their_tags() {
        let clean = mp3(2.0);
        assert_eq!(check_chain(&clean), Vec::<Problem>::new());
        let mut tagged = b"ID3\x04\x00\x00\x00\x00\x00\x05abcde\0\0\0".to_vec();
        tagged.extend_from_slice(&clean);
        tagged.extend_from_slice(b"ID3\x04\x00\x10\x00\x00\x00\x00");
        tagged.extend_from_slice(b"3DI\x04\x00\x10\x00\x00\x00\x00");
        tagged.extend_from_slice(b"TAG");
        tagged.extend_from_slice(&[b' '; 125]);
        assert_eq!(check_chain(&tagged), Vec::<Problem>::new());
        // A few stray bytes at the end are padding.
        let mut padded = clean.clone();
        padded.extend_from_slice(&[0x11; 40]);
        assert_eq!(check_chain(&padded), Vec::<Problem>::new());
        // Not MPEG at all: nothing to judge.
        assert_eq!(check_chain(&[7u8; 5000]), Vec::<Problem>::new());
    }

    #[test]
    fn a_corrupted_chain_is_found() {
        let mut bad = mp3(2.0);
        let mid = bad.len() / 2;
        for (i, x) in bad[mid..mid + 3000].iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        let e = check_chain(&bad);
        assert_eq!(kinds(&e), vec![MediaErrorKind::BadFrames], "{e:?}");
        assert!(e[0].message.starts_with("corrupt frame at "), "{e:?}");
        assert!(e[0].message.contains("damaged frames"), "{e:?}");
        // Zeros where frames were: the same.
        let mut zeros = mp3(2.0);
        zeros[mid..mid + 1000].fill(0);
        assert_eq!(kinds(&check_chain(&zeros)), vec![MediaErrorKind::BadFrames]);
        // Long junk after the last frame, with no frame after it.
        let mut tail = mp3(1.0);
        tail.extend((0..600u32).map(|i| (i * 7 % 251) as u8 | 1));
        assert_eq!(kinds(&check_chain(&tail)), vec![MediaErrorKind::BadFrames]);
    }

    #[test]
    fn many_breaks_are_counted_not_listed() {
        let mut bad = mp3(3.0);
        let step = bad.len() / 9;
        for k in 1..9 {
            bad[k * step..k * step + 700].fill(0x33);
        }
        let e = check_chain(&bad);
        assert_eq!(e.len(), MAX_REPORTS + 1, "{e:?}");
        assert_eq!(e[MAX_REPORTS].message, "3 more damaged regions");
    }

    #[test]
    fn a_truncated_chain_is_found() {
        let clean = mp3(2.0);
        let cut = &clean[..clean.len() - 100];
        let e = check_chain(cut);
        assert_eq!(kinds(&e), vec![MediaErrorKind::Truncated], "{e:?}");
        assert!(
            e[0].message.starts_with("truncated (last frame cut at "),
            "{e:?}"
        );
    }

    #[test]
    fn another_stream_in_the_middle_is_damage() {
        // MPEG-1 frames, then MPEG-2 frames that chain among themselves.
        let a = [0xFFu8, 0xFB, 0x90, 0x00]; // 417 bytes
        let b2 = [0xFFu8, 0xF3, 0x80, 0x00]; // 208 bytes
        let mut s = Vec::new();
        for _ in 0..5 {
            let mut f = vec![0u8; 417];
            f[..4].copy_from_slice(&a);
            s.extend(f);
        }
        for _ in 0..5 {
            let mut f = vec![0u8; 208];
            f[..4].copy_from_slice(&b2);
            s.extend(f);
        }
        let e = check_chain(&s);
        assert_eq!(kinds(&e), vec![MediaErrorKind::BadFrames], "{e:?}");
    }
}
