//! A structural check of MPEG audio (MP3) files, independent of the
//! decoder: walk the frame chain from header to header, as mp3val does, and
//! report bytes of garbage between frames (a damaged or overwritten region)
//! and a last frame cut short. Decoders resynchronise silently over such
//! damage, so this is what finds a corrupted frame in a file without CRCs.
//!
//! Conservative by design: tags (ID3v2 at the start, ID3v1, APEv2,
//! Lyrics3 and an appended ID3v2.4 at the end) are skipped; free-format streams are not judged; a
//! resynchronisation only counts when two consecutive valid frames follow.

/// Bitrates in kbit/s: [MPEG-1 L1, L2, L3, MPEG-2/2.5 L1, L2/L3] by index.
const BITRATES: [[u16; 16]; 5] = [
    [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0,
    ],
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0,
    ],
    [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0,
    ],
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0,
    ],
    [
        0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0,
    ],
];

/// A frame header's identity (what must stay constant along a stream) and
/// its length in bytes, or `None` when `b` does not start a valid header.
fn frame_at(b: &[u8]) -> Option<((u8, u8, u8), usize)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
    let layer = (b[1] >> 1) & 3; // 1: III, 2: II, 3: I
    let br_idx = (b[2] >> 4) as usize;
    let sr_idx = ((b[2] >> 2) & 3) as usize;
    if version == 1 || layer == 0 || br_idx == 0 || br_idx == 15 || sr_idx == 3 {
        return None;
    }
    let pad = ((b[2] >> 1) & 1) as usize;
    let mpeg1 = version == 3;
    let table = match (mpeg1, layer) {
        (true, 3) => 0,
        (true, 2) => 1,
        (true, _) => 2,
        (false, 3) => 3,
        (false, _) => 4,
    };
    let bitrate = BITRATES[table][br_idx] as usize * 1000;
    let base = [44100, 48000, 32000][sr_idx];
    let sr = match version {
        3 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let len = match layer {
        3 => (12 * bitrate / sr + pad) * 4,
        1 if !mpeg1 => 72 * bitrate / sr + pad,
        _ => 144 * bitrate / sr + pad,
    };
    (len >= 4).then_some(((version, layer, sr_idx as u8), len))
}

/// Where the audio ends once trailing tags are skipped.
fn audio_end(b: &[u8]) -> usize {
    let mut end = b.len();
    loop {
        if end >= 128 && &b[end - 128..end - 125] == b"TAG" {
            end -= 128;
        } else if end >= 32 && &b[end - 32..end - 24] == b"APETAGEX" {
            let f = &b[end - 32..end];
            let size = u32::from_le_bytes([f[12], f[13], f[14], f[15]]) as usize;
            let flags = u32::from_le_bytes([f[20], f[21], f[22], f[23]]);
            let total = size + if flags & (1 << 31) != 0 { 32 } else { 0 };
            if total > end {
                return end;
            }
            end -= total;
        } else if end >= 10 && &b[end - 10..end - 7] == b"3DI" {
            // An ID3v2.4 tag appended at the end (its footer).
            let s = &b[end - 4..end];
            let size = (s[0] as usize) << 21
                | (s[1] as usize) << 14
                | (s[2] as usize) << 7
                | s[3] as usize;
            if size + 20 > end {
                return end;
            }
            end -= size + 20;
        } else if end >= 15 && &b[end - 9..end] == b"LYRICS200" {
            let size = std::str::from_utf8(&b[end - 15..end - 9])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            if size + 15 > end {
                return end;
            }
            end -= size + 15;
        } else {
            return end;
        }
    }
}

/// Where the audio starts once leading ID3v2 tags are skipped.
fn audio_start(b: &[u8]) -> usize {
    let mut pos = 0;
    while b.len() >= pos + 10 && &b[pos..pos + 3] == b"ID3" {
        let s = &b[pos + 6..pos + 10];
        if s.iter().any(|x| x & 0x80 != 0) {
            break;
        }
        let size =
            (s[0] as usize) << 21 | (s[1] as usize) << 14 | (s[2] as usize) << 7 | s[3] as usize;
        let footer = if b[pos + 5] & 0x10 != 0 { 10 } else { 0 };
        pos += 10 + size + footer;
    }
    // Some encoders pad after the tag with zeros.
    while pos < b.len() && b[pos] == 0 {
        pos += 1;
    }
    pos
}

/// Problems in the frame structure of an MP3 file's bytes (empty: sound).
pub fn check_frames(b: &[u8]) -> Vec<String> {
    let start = audio_start(b);
    let end = audio_end(b);
    let mut errors = Vec::new();
    let mut pos = start;
    let mut stream_id = None;
    let mut frames = 0usize;
    let mut garbage_regions = 0usize;
    while pos < end {
        match frame_at(&b[pos..end]) {
            Some((id, len)) if stream_id.is_none_or(|s| s == id) => {
                if pos + len > end {
                    // The last frame is cut short: only a problem when the
                    // stream was well formed so far.
                    if frames > 0 {
                        errors.push(format!(
                            "last frame cut short ({} of {len} bytes at byte {pos})",
                            end - pos
                        ));
                    }
                    break;
                }
                stream_id = Some(id);
                frames += 1;
                pos += len;
            }
            _ => {
                if frames == 0 {
                    // Before the first frame: find where the stream starts.
                    match find_sync(b, pos + 1, end, None) {
                        Some(p) => {
                            pos = p;
                            continue;
                        }
                        None => break,
                    }
                }
                match find_sync(b, pos + 1, end, stream_id) {
                    Some(p) => {
                        garbage_regions += 1;
                        if garbage_regions <= 3 {
                            errors.push(format!(
                                "damaged frames: {} bytes of garbage at byte {pos} (after frame {frames})",
                                p - pos
                            ));
                        }
                        pos = p;
                    }
                    None => {
                        // Trailing junk after the last frame is common and harmless.
                        break;
                    }
                }
            }
        }
    }
    if garbage_regions > 3 {
        errors.push(format!("{} more damaged regions", garbage_regions - 3));
    }
    errors
}

/// The next position from `from` where two consecutive valid frames (of
/// stream `id`, when given) start.
fn find_sync(b: &[u8], from: usize, end: usize, id: Option<(u8, u8, u8)>) -> Option<usize> {
    (from..end.saturating_sub(4)).find(|&p| match frame_at(&b[p..end]) {
        Some((i, len)) if id.is_none_or(|s| s == i) => {
            let next = p + len;
            next == end || matches!(frame_at(&b[next..end]), Some((j, _)) if j == i)
        }
        _ => false,
    })
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

    #[test]
    fn clean_file_passes_and_damage_is_found() {
        let clean = mp3(2.0);
        assert_eq!(check_frames(&clean), Vec::<String>::new());
        let mut tagged = b"ID3\x04\x00\x00\x00\x00\x00\x05abcde".to_vec();
        tagged.extend_from_slice(&clean);
        tagged.extend_from_slice(b"TAG");
        tagged.extend_from_slice(&[b' '; 125]);
        assert_eq!(check_frames(&tagged), Vec::<String>::new());

        let mut bad = clean.clone();
        let mid = bad.len() / 2;
        for (i, x) in bad[mid..mid + 3000].iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        let e = check_frames(&bad);
        assert!(e.iter().any(|e| e.contains("damaged frames")), "{e:?}");

        let cut = &clean[..clean.len() - 100];
        let e = check_frames(cut);
        assert!(e.iter().any(|e| e.contains("cut short")), "{e:?}");
    }
}
