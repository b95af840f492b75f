//! Tags at the end of a file: ID3v1 (`TAG` and 125 bytes), APEv2 (a
//! 32-byte `APETAGEX` footer giving the size, with or without a header),
//! Lyrics3v2 (a six-digit size and `LYRICS200`) and, optionally, an ID3v2
//! tag appended with its `3DI` footer. Taggers stack them in any order, so
//! they are peeled from the end until none is left; nothing is peeled past
//! `start` (the end of the leading tags).
//!
//! The walk reads through a callback, so the same code serves a file read
//! with seeks ([`trailing_tags_start`]) and bytes in memory
//! ([`trailing_tags_start_in`]).

use std::io;

/// Which tags to peel besides ID3v1, APEv2 and Lyrics3v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peel {
    /// ID3v1, APEv2 and Lyrics3v2 (what the `audio_hash` fallback strips).
    Standard,
    /// Those and an appended ID3v2 tag (for the frame-chain walk).
    WithAppendedId3v2,
}

/// Where the trailing tags of a file of `len` bytes begin (`len` when it
/// has none), looking no further back than `start`. `read(pos, buf)` fills
/// `buf` from `pos` and says whether the file held that many bytes.
pub fn trailing_tags_start(
    read: &mut dyn FnMut(u64, &mut [u8]) -> io::Result<bool>,
    start: u64,
    len: u64,
    peel: Peel,
) -> io::Result<u64> {
    let mut end = len;
    // Peel trailing tags until none is found (at most a few rounds).
    for _ in 0..4 {
        let before = end;
        // ID3v1: "TAG" in the last 128 bytes.
        if end >= start + 128 {
            let mut t = [0u8; 3];
            if read(end - 128, &mut t)? && &t == b"TAG" {
                end -= 128;
            }
        }
        // APEv2 footer: "APETAGEX" version(4) size(4) items(4) flags(4) reserved(8).
        if end >= start + 32 {
            let mut f = [0u8; 32];
            if read(end - 32, &mut f)? && &f[..8] == b"APETAGEX" {
                let size = u32::from_le_bytes([f[12], f[13], f[14], f[15]]) as u64;
                let flags = u32::from_le_bytes([f[20], f[21], f[22], f[23]]);
                let header = if flags & 0x8000_0000 != 0 { 32 } else { 0 };
                let total = size + header;
                if total <= end - start {
                    end -= total;
                }
            }
        }
        // Lyrics3v2: size(6 digits) "LYRICS200" at the end.
        if end >= start + 15 {
            let mut l = [0u8; 15];
            if read(end - 15, &mut l)? && &l[6..] == b"LYRICS200" {
                if let Some(size) = std::str::from_utf8(&l[..6])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    if size + 15 <= end - start {
                        end -= size + 15;
                    }
                }
            }
        }
        // ID3v2 appended at the end: its footer "3DI" ... size(4).
        if peel == Peel::WithAppendedId3v2 && end >= start + 10 {
            let mut f = [0u8; 10];
            if read(end - 10, &mut f)? {
                if let Some(total) = super::id3v2::appended_tag_len(&f) {
                    if total as u64 <= end - start {
                        end -= total as u64;
                    }
                }
            }
        }
        if end == before {
            break;
        }
    }
    Ok(end)
}

/// [`trailing_tags_start`] over bytes in memory.
pub fn trailing_tags_start_in(bytes: &[u8], start: usize, peel: Peel) -> usize {
    let mut read = |pos: u64, buf: &mut [u8]| -> io::Result<bool> {
        let pos = pos as usize;
        match bytes.get(pos..pos + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(true)
            }
            None => Ok(false),
        }
    };
    let start = start.min(bytes.len());
    // Reading from memory cannot fail.
    trailing_tags_start(&mut read, start as u64, bytes.len() as u64, peel)
        .map(|e| e as usize)
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ape(items: &[u8], with_header: bool) -> Vec<u8> {
        let mut v = Vec::new();
        let size = items.len() as u32 + 32;
        let flags: u32 = if with_header { 0x8000_0000 } else { 0 };
        let mut footer = b"APETAGEX".to_vec();
        footer.extend(2000u32.to_le_bytes());
        footer.extend(size.to_le_bytes());
        footer.extend(1u32.to_le_bytes());
        footer.extend(flags.to_le_bytes());
        footer.extend([0u8; 8]);
        if with_header {
            v.extend_from_slice(&footer);
        }
        v.extend_from_slice(items);
        v.extend_from_slice(&footer);
        v
    }

    #[test]
    fn stacked_tags_are_peeled_in_any_order() {
        let audio = vec![0x55u8; 300];
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        let mut b = audio.clone();
        b.extend(ape(b"item", true));
        b.extend(b"LYRICSBEGINhello");
        b.extend(b"000016LYRICS200");
        b.extend(&v1);
        assert_eq!(trailing_tags_start_in(&b, 0, Peel::Standard), 300);
        let mut b = audio.clone();
        b.extend(&v1);
        b.extend(ape(b"x", false));
        assert_eq!(trailing_tags_start_in(&b, 0, Peel::Standard), 300);
        // Nothing is peeled past `start`.
        assert_eq!(trailing_tags_start_in(&v1, 10, Peel::Standard), 128);
    }

    #[test]
    fn an_appended_id3v2_only_when_asked() {
        let mut b = vec![0x55u8; 300];
        b.extend(b"ID3\x04\x00\x10\x00\x00\x00\x05");
        b.extend(b"hello");
        b.extend(b"3DI\x04\x00\x10\x00\x00\x00\x05");
        assert_eq!(trailing_tags_start_in(&b, 0, Peel::Standard), b.len());
        assert_eq!(trailing_tags_start_in(&b, 0, Peel::WithAppendedId3v2), 300);
    }
}
