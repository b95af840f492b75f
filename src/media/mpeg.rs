//! An MPEG audio frame-chain check for `verify`: symphonia's MP3 reader
//! resynchronises silently past damaged frame headers or junk, and its
//! decoder accepts most damaged payloads, so a corrupted MP3 would pass a
//! plain decode. Here every frame header must be valid and each frame must
//! start exactly where the previous one ended, from the first frame to the
//! trailing tags; any break is reported with its position in seconds.

use std::path::Path;

use super::hash::audio_region;
use super::sniff::{mpeg_frame_len, Container};
use crate::error::{MediaErrorKind, Problem};

/// Files larger than this are not chain-checked (they are still decoded).
const MAX_CHECKED: u64 = 256 << 20;
/// At most this many breaks are listed.
const MAX_REPORTS: usize = 5;

/// Samples per frame and sample rate of an MPEG header (assumed valid).
fn frame_timing(h: &[u8]) -> (u32, u32) {
    let version = (h[1] >> 3) & 3;
    let layer = (h[1] >> 1) & 3;
    let sr_idx = ((h[2] >> 2) & 3) as usize;
    let base = [44100u32, 48000, 32000][sr_idx.min(2)];
    let rate = match version {
        3 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let samples = match (layer, version) {
        (3, _) => 384,
        (2, _) => 1152,
        (_, 3) => 1152,
        _ => 576,
    };
    (samples, rate)
}

/// Is there a frame at `pos` followed by another valid frame (or the end)?
fn chain_at(b: &[u8], pos: usize, end: usize) -> Option<usize> {
    let len = mpeg_frame_len(b.get(pos..end)?)?;
    let next = pos + len;
    if next == end || (next < end && mpeg_frame_len(&b[next..end]).is_some()) {
        Some(len)
    } else {
        None
    }
}

/// Check the frame chain of an MPEG audio file; returns the problems found.
pub(crate) fn check_frames(path: &Path) -> Vec<Problem> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Vec::new();
    };
    if meta.len() > MAX_CHECKED {
        return Vec::new();
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let Ok((start, end)) = audio_region(path, Some(Container::Mpeg)) else {
        return Vec::new();
    };
    let (start, end) = (start as usize, (end as usize).min(bytes.len()));
    // The first frame: allow padding or junk after the ID3 tag.
    let search_end = (start + 64 * 1024).min(end);
    let Some(mut pos) = (start..search_end).find(|&p| chain_at(&bytes, p, end).is_some()) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut seconds = 0f64;
    while pos + 4 <= end {
        if let Some(len) = mpeg_frame_len(&bytes[pos..end]) {
            if pos + len > end {
                problems.push(Problem::new(
                    MediaErrorKind::Truncated,
                    format!("truncated (last frame cut at {seconds:.1} s)"),
                ));
                break;
            }
            let (samples, rate) = frame_timing(&bytes[pos..]);
            seconds += samples as f64 / rate as f64;
            pos += len;
            continue;
        }
        // Lost sync: find where the chain resumes.
        let resume = (pos + 1..end).find(|&p| chain_at(&bytes, p, end).is_some());
        let skipped = resume.unwrap_or(end) - pos;
        // A few stray bytes at the very end (padding) are harmless.
        if resume.is_none() && skipped < 128 {
            break;
        }
        if problems.len() < MAX_REPORTS {
            problems.push(Problem::new(
                MediaErrorKind::BadFrames,
                format!(
                    "corrupt frame at {seconds:.1} s ({skipped} bytes without a valid frame header)"
                ),
            ));
        } else if problems.len() == MAX_REPORTS {
            problems.push(Problem::new(
                MediaErrorKind::BadFrames,
                "(more corrupt frames not shown)",
            ));
        }
        match resume {
            Some(p) => pos = p,
            None => break,
        }
    }
    problems
}
