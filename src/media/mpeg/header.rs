//! The MPEG audio frame header (ISO 11172-3 / 13818-3, and the MPEG-2.5
//! extension): the four bytes before every frame of MP1/MP2/MP3 give the
//! version, layer, bitrate, sample rate, padding and channel mode, and from
//! them the frame's length in bytes and duration in samples.
//!
//! [`FrameHeader::parse`] accepts only headers a frame chain can be walked
//! with: the reserved version, layer, bitrate and sample-rate values are
//! rejected, and so is free format (bitrate index 0), whose frame length the
//! header does not give. [`sample_rate`] reads just the fields that name the
//! rate, for callers that do not need the length.

/// The MPEG version a header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// MPEG-1 (32, 44.1, 48 kHz).
    Mpeg1,
    /// MPEG-2 LSF (16, 22.05, 24 kHz).
    Mpeg2,
    /// MPEG-2.5, the unofficial extension (8, 11.025, 12 kHz).
    Mpeg25,
}

/// The layer a header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Layer I (MP1).
    I,
    /// Layer II (MP2).
    II,
    /// Layer III (MP3).
    III,
}

/// The channel mode of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelMode {
    Stereo,
    JointStereo,
    DualChannel,
    Mono,
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// MPEG version.
    pub version: Version,
    /// Layer.
    pub layer: Layer,
    /// Bitrate in kbit/s (never 0: free format is rejected).
    pub bitrate_kbps: u32,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// One padding slot is added to this frame.
    pub padding: bool,
    /// Channel mode.
    pub channel_mode: ChannelMode,
}

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

/// Sync, version, layer and sample rate of a header, or `None` when the
/// sync is missing or one of them is reserved.
fn fields(b: &[u8]) -> Option<(Version, Layer, u32)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = match (b[1] >> 3) & 3 {
        0 => Version::Mpeg25,
        2 => Version::Mpeg2,
        3 => Version::Mpeg1,
        _ => return None,
    };
    let layer = match (b[1] >> 1) & 3 {
        1 => Layer::III,
        2 => Layer::II,
        3 => Layer::I,
        _ => return None,
    };
    let sr_idx = ((b[2] >> 2) & 3) as usize;
    if sr_idx == 3 {
        return None;
    }
    let base = [44100u32, 48000, 32000][sr_idx];
    let rate = match version {
        Version::Mpeg1 => base,
        Version::Mpeg2 => base / 2,
        Version::Mpeg25 => base / 4,
    };
    Some((version, layer, rate))
}

/// The sample rate of the header at the start of `b`, free format
/// included (only the bitrate index 15 is refused).
pub fn sample_rate(b: &[u8]) -> Option<u32> {
    let (_, _, rate) = fields(b)?;
    (b[2] >> 4 != 15).then_some(rate)
}

impl FrameHeader {
    /// Parse the header at the start of `b`; `None` when there is no valid
    /// (and not free-format) header there.
    pub fn parse(b: &[u8]) -> Option<FrameHeader> {
        let (version, layer, sample_rate) = fields(b)?;
        let br_idx = (b[2] >> 4) as usize;
        if br_idx == 0 || br_idx == 15 {
            return None;
        }
        let table = match (version, layer) {
            (Version::Mpeg1, Layer::I) => 0,
            (Version::Mpeg1, Layer::II) => 1,
            (Version::Mpeg1, Layer::III) => 2,
            (_, Layer::I) => 3,
            _ => 4,
        };
        let channel_mode = match b[3] >> 6 {
            0 => ChannelMode::Stereo,
            1 => ChannelMode::JointStereo,
            2 => ChannelMode::DualChannel,
            _ => ChannelMode::Mono,
        };
        let h = FrameHeader {
            version,
            layer,
            bitrate_kbps: BITRATES[table][br_idx] as u32,
            sample_rate,
            padding: (b[2] >> 1) & 1 != 0,
            channel_mode,
        };
        (h.frame_len() >= 4).then_some(h)
    }

    /// The frame's length in bytes, header included.
    pub fn frame_len(&self) -> usize {
        let bitrate = self.bitrate_kbps as usize * 1000;
        let sr = self.sample_rate as usize;
        let pad = self.padding as usize;
        match (self.layer, self.version) {
            (Layer::I, _) => (12 * bitrate / sr + pad) * 4,
            (Layer::III, Version::Mpeg2 | Version::Mpeg25) => 72 * bitrate / sr + pad,
            _ => 144 * bitrate / sr + pad,
        }
    }

    /// Samples (per channel) the frame holds.
    pub fn samples(&self) -> u32 {
        match (self.layer, self.version) {
            (Layer::I, _) => 384,
            (Layer::II, _) | (Layer::III, Version::Mpeg1) => 1152,
            _ => 576,
        }
    }

    /// The frame's duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples() as f64 / self.sample_rate as f64
    }

    /// What stays constant along one stream: version, layer, sample rate.
    pub fn stream_id(&self) -> (Version, Layer, u32) {
        (self.version, self.layer, self.sample_rate)
    }

    /// Bytes of side information after the header (and its CRC) in a
    /// Layer III frame: where a Xing/Info tag starts.
    pub fn side_info_len(&self) -> usize {
        let mono = self.channel_mode == ChannelMode::Mono;
        match (self.version, mono) {
            (Version::Mpeg1, false) => 32,
            (Version::Mpeg1, true) | (_, false) => 17,
            (_, true) => 9,
        }
    }
}

/// The length of the frame whose header starts `b`, if it is a valid one.
pub fn frame_len(b: &[u8]) -> Option<usize> {
    FrameHeader::parse(b).map(|h| h.frame_len())
}

/// Sample rate of the first MPEG audio frame at or after `start` (free
/// format included).
pub fn first_sample_rate(data: &[u8], start: usize) -> Option<u32> {
    (start..data.len().saturating_sub(3)).find_map(|i| sample_rate(&data[i..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpeg1_layer3_128k_44k() {
        // MPEG-1 layer III, 128 kbps, 44.1 kHz, joint stereo.
        let h = FrameHeader::parse(&[0xFF, 0xFB, 0x90, 0x40]).unwrap();
        assert_eq!(h.version, Version::Mpeg1);
        assert_eq!(h.layer, Layer::III);
        assert_eq!((h.bitrate_kbps, h.sample_rate), (128, 44100));
        assert_eq!(h.channel_mode, ChannelMode::JointStereo);
        assert!(!h.padding);
        assert_eq!(h.frame_len(), 417);
        assert_eq!(h.samples(), 1152);
        // The padding bit adds one byte.
        assert_eq!(frame_len(&[0xFF, 0xFB, 0x92, 0x40]), Some(418));
        assert_eq!(frame_len(&[0xFF, 0xFB, 0x90, 0x00]), Some(417));
    }

    #[test]
    fn mpeg2_and_mpeg25_layer3() {
        // MPEG-2 layer III, 64 kbps, 22.05 kHz, mono: 72 * 64000 / 22050.
        let h = FrameHeader::parse(&[0xFF, 0xF3, 0x80, 0xC0]).unwrap();
        assert_eq!(h.version, Version::Mpeg2);
        assert_eq!((h.bitrate_kbps, h.sample_rate), (64, 22050));
        assert_eq!(h.channel_mode, ChannelMode::Mono);
        assert_eq!(h.frame_len(), 208);
        assert_eq!(h.samples(), 576);
        assert_eq!(h.side_info_len(), 9);
        // MPEG-2.5 layer III, 32 kbps, 11.025 kHz: 72 * 32000 / 11025.
        let h = FrameHeader::parse(&[0xFF, 0xE3, 0x40, 0x00]).unwrap();
        assert_eq!(h.version, Version::Mpeg25);
        assert_eq!((h.bitrate_kbps, h.sample_rate), (32, 11025));
        assert_eq!(h.frame_len(), 208);
        // MPEG-1 layer I (288k: 4-byte slots) and layer II (160k).
        assert_eq!(frame_len(&[0xFF, 0xFF, 0x90, 0x00]), Some(312));
        assert_eq!(frame_len(&[0xFF, 0xFD, 0x90, 0x00]), Some(522));
    }

    #[test]
    fn reserved_free_format_and_bad_values_are_rejected() {
        // Free format (bitrate index 0): no length in the header.
        assert_eq!(FrameHeader::parse(&[0xFF, 0xFB, 0x00, 0x00]), None);
        // ... but its sample rate is still known.
        assert_eq!(sample_rate(&[0xFF, 0xFB, 0x00, 0x00]), Some(44100));
        // Bitrate index 15.
        assert_eq!(FrameHeader::parse(&[0xFF, 0xFB, 0xF0, 0x00]), None);
        assert_eq!(sample_rate(&[0xFF, 0xFB, 0xF0, 0x00]), None);
        // Sample-rate index 3.
        assert_eq!(FrameHeader::parse(&[0xFF, 0xFB, 0x9C, 0x00]), None);
        // Reserved version (01) and layer (00).
        assert_eq!(FrameHeader::parse(&[0xFF, 0xEB, 0x90, 0x00]), None);
        assert_eq!(FrameHeader::parse(&[0xFF, 0xF9, 0x90, 0x00]), None);
        // No sync, or too short.
        assert_eq!(FrameHeader::parse(&[0xFF, 0x1B, 0x90, 0x00]), None);
        assert_eq!(FrameHeader::parse(&[0xFF, 0xFB, 0x90]), None);
        // Sample rates by version.
        assert_eq!(sample_rate(&[0xFF, 0xFB, 0x94, 0x00]), Some(48000));
        assert_eq!(sample_rate(&[0xFF, 0xF3, 0x90, 0x00]), Some(22050));
    }
}
