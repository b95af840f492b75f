//! The ID3v2 tag header: the ten bytes `ID3` major revision flags size that
//! open a tag, the synchsafe integers its sizes are written in, and from
//! them where the tag ends (header, body and, in v2.4, a footer); and the
//! frames of a tag walked for what export checks (version, pictures).
//!
//! A header is only accepted when it is well formed: version bytes other
//! than 0xFF and a size whose bytes all have the high bit clear. The footer
//! flag (0x10) is honoured whatever the major version says, as taggers in
//! the wild set it and every reader of this crate always has.

/// The header of an ID3v2 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagHeader {
    /// 2, 3 or 4 (the `x` of ID3v2.x).
    pub major: u8,
    /// The revision byte.
    pub revision: u8,
    /// The flags byte (0x80 unsynchronisation, 0x40 extended header, 0x10 footer).
    pub flags: u8,
    /// Bytes of the tag after the header, footer excluded.
    pub size: usize,
}

/// A 28-bit synchsafe integer (7 bits per byte, high bits ignored).
pub fn syncsafe(b: &[u8]) -> usize {
    b.iter()
        .take(4)
        .fold(0usize, |acc, &x| (acc << 7) | (x & 0x7f) as usize)
}

impl TagHeader {
    /// Parse the header at the start of `b` (`None` when there is none).
    pub fn parse(b: &[u8]) -> Option<TagHeader> {
        if b.len() < 10 || &b[..3] != b"ID3" || b[3] == 0xFF || b[4] == 0xFF {
            return None;
        }
        if b[6..10].iter().any(|x| x & 0x80 != 0) {
            return None;
        }
        Some(TagHeader {
            major: b[3],
            revision: b[4],
            flags: b[5],
            size: syncsafe(&b[6..10]),
        })
    }

    /// Is a 10-byte footer appended after the body?
    pub fn has_footer(&self) -> bool {
        self.flags & 0x10 != 0
    }

    /// Is an extended header present?
    pub fn has_extended_header(&self) -> bool {
        self.flags & 0x40 != 0
    }

    /// The whole tag's length: header, body and footer.
    pub fn total_len(&self) -> usize {
        10 + self.size + if self.has_footer() { 10 } else { 0 }
    }
}

/// The total length of an ID3v2 tag at the start of `b` (header, body and
/// footer), if there is one.
pub fn tag_len(b: &[u8]) -> Option<usize> {
    TagHeader::parse(b).map(|h| h.total_len())
}

/// Where the bytes after the leading ID3v2 tags of `b` begin (some files
/// carry more than one, back to back); 0 when there is none.
pub fn leading_tags_len(b: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(len) = b.get(pos..).and_then(tag_len) {
        pos += len;
    }
    pos
}

/// The length of an ID3v2 tag appended at the end of `tail` (found by its
/// `3DI` footer), if there is one.
pub fn appended_tag_len(tail: &[u8]) -> Option<usize> {
    let n = tail.len();
    if n < 10 || &tail[n - 10..n - 7] != b"3DI" {
        return None;
    }
    Some(syncsafe(&tail[n - 4..]) + 20)
}

/// What an ID3v2 header and its APIC frames say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id3Info {
    /// 2, 3 or 4.
    pub major: u8,
    /// Header + tag bytes (where the audio starts).
    pub total_len: usize,
    /// Picture data of every APIC/PIC frame.
    pub pictures: Vec<Vec<u8>>,
    /// Every frame that carries text (T***, COMM, USLT; v2.2: T??, COM,
    /// ULT) with its text-encoding byte (0 Latin-1, 1 UTF-16, 2 UTF-16BE,
    /// 3 UTF-8), in tag order.
    pub text_frames: Vec<(String, u8)>,
}

/// Read the ID3v2 tag at the start of `data`: its version, length and the
/// pictures of its APIC/PIC frames (frames walked as v2.2, v2.3 or v2.4
/// write them; a frame running past the tag is cut at its end).
pub fn read_info(data: &[u8]) -> Option<Id3Info> {
    let tag = TagHeader::parse(data)?;
    let major = tag.major;
    let total_len = tag.total_len();
    let end = (10 + tag.size).min(data.len());
    let mut pictures = Vec::new();
    let mut text_frames = Vec::new();
    let mut pos = 10;
    if tag.has_extended_header() && major >= 3 && pos + 4 <= end {
        // Extended header: skip it.
        let n = if major == 4 {
            syncsafe(&data[pos..pos + 4])
        } else {
            u32::from_be_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize
                + 4
        };
        pos += n;
    }
    let (hdr, idlen) = if major == 2 { (6, 3) } else { (10, 4) };
    while pos + hdr <= end {
        let id = &data[pos..pos + idlen];
        if id.iter().all(|&b| b == 0) {
            break;
        }
        let fsize = match major {
            2 => {
                ((data[pos + 3] as usize) << 16)
                    | ((data[pos + 4] as usize) << 8)
                    | data[pos + 5] as usize
            }
            3 => u32::from_be_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]])
                as usize,
            _ => syncsafe(&data[pos + 4..pos + 8]),
        };
        let body_start = pos + hdr;
        let body_end = body_start.saturating_add(fsize).min(end);
        let body = &data[body_start..body_end];
        let texty = id[0] == b'T' || matches!(id, b"COMM" | b"USLT" | b"COM" | b"ULT");
        if texty && !body.is_empty() {
            text_frames.push((String::from_utf8_lossy(id).into_owned(), body[0]));
        }
        if id == b"APIC" || id == b"PIC" {
            if let Some(p) = apic_data(body, major == 2) {
                pictures.push(p.to_vec());
            }
        }
        if fsize == 0 {
            break;
        }
        pos = body_start + fsize;
    }
    Some(Id3Info {
        major,
        total_len,
        pictures,
        text_frames,
    })
}

/// The image bytes of an APIC (or v2.2 PIC) frame body.
fn apic_data(body: &[u8], v22: bool) -> Option<&[u8]> {
    let enc = *body.first()?;
    let mut p = 1;
    if v22 {
        p += 3; // image format, e.g. "JPG"
    } else {
        p += body.get(p..)?.iter().position(|&b| b == 0)? + 1; // MIME type
    }
    p += 1; // picture type
    let rest = body.get(p..)?;
    // Description, terminated by 0 (Latin-1/UTF-8) or 00 00 (UTF-16).
    let skip = if enc == 1 || enc == 2 {
        let mut i = 0;
        loop {
            if i + 1 >= rest.len() {
                return None;
            }
            if rest[i] == 0 && rest[i + 1] == 0 {
                break i + 2;
            }
            i += 2;
        }
    } else {
        rest.iter().position(|&b| b == 0)? + 1
    };
    rest.get(skip..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_without_and_with_footer() {
        let h = [b'I', b'D', b'3', 4, 0, 0, 0, 0, 1, 0];
        assert_eq!(tag_len(&h), Some(10 + 128));
        // Synchsafe: 0x7F per byte, 28 bits in all.
        let big = [b'I', b'D', b'3', 3, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F];
        assert_eq!(tag_len(&big), Some(10 + (1 << 28) - 1));
        let footer = [b'I', b'D', b'3', 4, 0, 0x10, 0, 0, 0x02, 0x01];
        let h = TagHeader::parse(&footer).unwrap();
        assert!(h.has_footer());
        assert_eq!(h.size, 257);
        assert_eq!(h.total_len(), 10 + 257 + 10);
    }

    #[test]
    fn malformed_headers_are_not_tags() {
        assert_eq!(tag_len(b"ID3\x04\x00\x00\x00\x00\x80\x00"), None);
        assert_eq!(tag_len(b"ID3\xFF\x00\x00\x00\x00\x01\x00"), None);
        assert_eq!(tag_len(b"ID3\x04\x00"), None);
        assert_eq!(tag_len(b"TAG\x04\x00\x00\x00\x00\x01\x00"), None);
    }

    #[test]
    fn stacked_and_appended_tags() {
        let mut b = b"ID3\x03\x00\x00\x00\x00\x00\x02ab".to_vec();
        b.extend_from_slice(b"ID3\x04\x00\x00\x00\x00\x00\x01c");
        b.extend_from_slice(&[0xFF, 0xFB]);
        assert_eq!(leading_tags_len(&b), 12 + 11);
        assert_eq!(leading_tags_len(&[0xFF, 0xFB, 0x90, 0]), 0);
        let mut tail = vec![0u8; 40];
        tail.extend_from_slice(b"3DI\x04\x00\x10\x00\x00\x00\x05");
        assert_eq!(appended_tag_len(&tail), Some(25));
        assert_eq!(appended_tag_len(&tail[..40]), None);
    }
}
