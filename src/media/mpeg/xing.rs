//! The info tags an encoder writes into the first frame of an MP3 in place
//! of audio: Xing (VBR) or Info (CBR) after the side information, with
//! LAME's extension after it (encoder version, delay and padding for
//! gapless playback), or Fraunhofer's VBRI 32 bytes after the header.
//! They give the stream's length in frames and bytes without walking it.

use super::header::{FrameHeader, Layer};

/// What a Xing/Info or VBRI tag says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoTag {
    /// `Xing`, `Info` or `VBRI`.
    pub kind: [u8; 4],
    /// Frames in the stream (the tag's own frame excluded), when given.
    pub frames: Option<u32>,
    /// Bytes in the stream, when given.
    pub bytes: Option<u32>,
    /// LAME's extension, when present.
    pub lame: Option<LameTag>,
}

/// LAME's extension of the Xing/Info tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LameTag {
    /// The encoder string, e.g. `LAME3.100`.
    pub encoder: String,
    /// Samples of encoder delay at the start.
    pub delay: u32,
    /// Samples of padding at the end.
    pub padding: u32,
}

fn be(d: &[u8], at: usize, n: usize) -> Option<u32> {
    Some(
        d.get(at..at + n)?
            .iter()
            .fold(0u32, |a, &b| a << 8 | b as u32),
    )
}

/// The info tag in the frame that starts `frame` (header first), if any.
pub fn parse(frame: &[u8]) -> Option<InfoTag> {
    let h = FrameHeader::parse(frame)?;
    if h.layer != Layer::III {
        return None;
    }
    let crc = if frame[1] & 1 == 0 { 2 } else { 0 };
    let at = 4 + crc + h.side_info_len();
    match frame.get(at..at + 4)? {
        k @ (b"Xing" | b"Info") => {
            let kind: [u8; 4] = k.try_into().ok()?;
            xing(frame, at, kind)
        }
        _ => vbri(frame),
    }
}

fn xing(d: &[u8], at: usize, kind: [u8; 4]) -> Option<InfoTag> {
    let flags = be(d, at + 4, 4)?;
    let mut p = at + 8;
    let mut field = |bit: u32, n: usize| -> Option<Option<u32>> {
        if flags & bit == 0 {
            return Some(None);
        }
        let v = be(d, p, n.min(4))?;
        p += n;
        Some(Some(v))
    };
    let frames = field(1, 4)?;
    let bytes = field(2, 4)?;
    field(4, 100)?; // seek table
    field(8, 4)?; // quality
    let lame = d.get(p..p + 9).and_then(|enc| {
        if !enc.starts_with(b"LAME") && !enc.starts_with(b"Lavc") && !enc.starts_with(b"Lavf") {
            return None;
        }
        let x = be(d, p + 21, 3)?;
        Some(LameTag {
            encoder: String::from_utf8_lossy(enc)
                .trim_end_matches(['\0', ' '])
                .to_string(),
            delay: x >> 12,
            padding: x & 0xFFF,
        })
    });
    Some(InfoTag {
        kind,
        frames,
        bytes,
        lame,
    })
}

/// Fraunhofer's VBRI: 32 bytes after the header, version(2) delay(2)
/// quality(2) bytes(4) frames(4).
fn vbri(d: &[u8]) -> Option<InfoTag> {
    if d.get(36..40)? != b"VBRI" {
        return None;
    }
    Some(InfoTag {
        kind: *b"VBRI",
        bytes: Some(be(d, 46, 4)?),
        frames: Some(be(d, 50, 4)?),
        lame: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_mp3, quantize, Mp3Rate, Pcm};
    use crate::media::synth;

    #[test]
    fn lame_info_tags_give_exact_length() {
        let s = quantize(&synth::music(1, 1.0, 44100, 2), 16);
        let pcm = Pcm::cd(&s);
        for (rate, kind) in [(Mp3Rate::Cbr(192), b"Info"), (Mp3Rate::Vbr(0), b"Xing")] {
            let mp3 = encode_mp3(pcm, rate).unwrap();
            let tag = parse(&mp3).expect("an info tag");
            assert_eq!(&tag.kind, kind);
            let lame = tag.lame.expect("LAME extension");
            assert!(lame.encoder.starts_with("LAME"), "{}", lame.encoder);
            // Gapless: frames x 1152 - delay - padding is the input length.
            let frames = tag.frames.unwrap();
            assert_eq!(frames * 1152 - lame.delay - lame.padding, 44_100);
            assert!(tag.bytes.unwrap() as usize <= mp3.len());
        }
    }

    #[test]
    fn vbri_and_plain_frames() {
        let mut f = vec![0u8; 417];
        f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        assert_eq!(parse(&f), None);
        f[36..40].copy_from_slice(b"VBRI");
        f[46..50].copy_from_slice(&123_456u32.to_be_bytes());
        f[50..54].copy_from_slice(&300u32.to_be_bytes());
        let t = parse(&f).unwrap();
        assert_eq!((t.frames, t.bytes), (Some(300), Some(123_456)));
        // Xing with frames only.
        let mut x = vec![0u8; 417];
        x[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0xC0]); // mono: side info 17
        x[21..25].copy_from_slice(b"Xing");
        x[25..29].copy_from_slice(&1u32.to_be_bytes());
        x[29..33].copy_from_slice(&77u32.to_be_bytes());
        let t = parse(&x).unwrap();
        assert_eq!((t.frames, t.bytes, t.lame), (Some(77), None, None));
    }
}
