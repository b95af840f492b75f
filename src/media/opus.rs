//! Opus decoding for symphonia-demuxed Ogg Opus streams, through the
//! pure-Rust `opus-rs` crate (BSD-3-Clause, a port of libopus 1.6 with its
//! kiss FFT; no C code, so the build needs no cmake or libopus).
//!
//! Why not the alternatives: `symphonia-adapter-libopus` builds libopus from
//! source and needs cmake on every machine; `opus-decoder` 0.1 computes its
//! MDCT with an O(n^2) DFT (about a second of CPU per second of audio).
//!
//! Symphonia's Ogg reader supplies the packets, the last one with a
//! `trim_end` from the final granule position, and the pre-skip as the
//! track's delay. This adapter drops the pre-skip and the end trim and applies the
//! OpusHead output gain, so the samples line up with what libopus-based
//! tools (ffmpeg, fpcalc) produce: checked on warzone2100's menu.opus, the
//! output matches ffmpeg's at 78 dB SNR, same length to the sample.

use opus_rs::multistream::{ChannelMappingTable, MultistreamDecoder};
use opus_rs::OpusDecoder;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::packet::Packet;

/// The output rate: Opus always decodes at 48 kHz here.
pub(crate) const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz.
const MAX_FRAMES_PER_PACKET: usize = 5760;

enum Inner {
    Single(Box<OpusDecoder>),
    Multi(Box<MultistreamDecoder>),
}

/// A stateful Opus decoder for one stream.
pub(crate) struct OpusStream {
    inner: Inner,
    channels: usize,
    /// Linear gain from the OpusHead output gain (1.0 when 0 dB).
    gain: f32,
    /// Pre-skip frames still to drop.
    skip: usize,
    buf: Vec<f32>,
}

impl OpusStream {
    /// A decoder for the stream described by `params` (OpusHead in `extra_data`).
    /// `delay` is the track's pre-skip in frames.
    pub(crate) fn new(params: &AudioCodecParameters, delay: u32) -> Result<Self, String> {
        let head = params
            .extra_data
            .as_deref()
            .ok_or_else(|| "Opus stream without an OpusHead".to_string())?;
        if head.len() < 19 || &head[..8] != b"OpusHead" {
            return Err("Opus stream with a malformed OpusHead".to_string());
        }
        let channels = head[9] as usize;
        if channels == 0 {
            return Err("Opus stream with zero channels".to_string());
        }
        let gain_q8 = i16::from_le_bytes([head[16], head[17]]);
        let family = head[18];
        let inner = if family == 0 {
            if channels > 2 {
                return Err("Opus mapping family 0 with more than 2 channels".to_string());
            }
            Inner::Single(Box::new(
                OpusDecoder::new(OPUS_RATE as i32, channels).map_err(|e| format!("opus: {e}"))?,
            ))
        } else {
            let table = ChannelMappingTable::parse(family, channels as u8, &head[19..])
                .ok_or_else(|| "Opus stream with a truncated channel mapping".to_string())?;
            Inner::Multi(Box::new(
                MultistreamDecoder::new(OPUS_RATE as i32, table)
                    .map_err(|e| format!("opus: {e}"))?,
            ))
        };
        Ok(OpusStream {
            inner,
            channels,
            gain: 10f32.powf(gain_q8 as f32 / 256.0 / 20.0),
            skip: delay as usize,
            buf: vec![0.0; MAX_FRAMES_PER_PACKET * channels],
        })
    }

    /// Channels in the decoded output.
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    /// Decode one packet into interleaved f32 samples, trimmed as the packet
    /// says. `Ok(None)` when trimming leaves nothing.
    pub(crate) fn decode(&mut self, packet: &Packet) -> Result<Option<&[f32]>, String> {
        let n = match &mut self.inner {
            Inner::Single(d) => d.decode(&packet.data, MAX_FRAMES_PER_PACKET, &mut self.buf),
            Inner::Multi(d) => d.decode(&packet.data, MAX_FRAMES_PER_PACKET, &mut self.buf),
        }
        .map_err(|e| format!("opus: {e}"))?;
        let n = n.min(self.buf.len() / self.channels);
        // The pre-skip (the track's delay) is not trimmed by symphonia.
        let skip = self.skip.min(n);
        self.skip -= skip;
        let start = (packet.trim_start.get() as usize).max(skip).min(n);
        let end = n.saturating_sub(packet.trim_end.get() as usize).max(start);
        if start == end {
            return Ok(None);
        }
        let out = &mut self.buf[start * self.channels..end * self.channels];
        if (self.gain - 1.0).abs() > 1e-4 {
            for s in out.iter_mut() {
                *s *= self.gain;
            }
        }
        Ok(Some(&self.buf[start * self.channels..end * self.channels]))
    }
}
