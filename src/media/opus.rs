//! Opus decoding for symphonia-demuxed Ogg Opus streams, through the
//! pure-Rust `opus-decoder` crate (MIT OR Apache-2.0; RFC 8251 conformant, no
//! C code, so the build needs no cmake or libopus).
//!
//! Symphonia's Ogg reader supplies the packets, with `trim_start`/`trim_end`
//! already set from the pre-skip and the final granule position; this adapter
//! applies those trims and the OpusHead output gain, so the samples match
//! what libopus-based tools (ffmpeg, fpcalc) produce.

use opus_decoder::{OpusDecoder, OpusMultistreamDecoder};
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::packet::Packet;

/// The output rate: Opus always decodes at 48 kHz here.
pub(crate) const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz.
const MAX_FRAMES_PER_PACKET: usize = 5760;

enum Inner {
    Single(OpusDecoder),
    Multi(OpusMultistreamDecoder),
}

/// A stateful Opus decoder for one stream.
pub(crate) struct OpusStream {
    inner: Inner,
    channels: usize,
    /// Linear gain from the OpusHead output gain (1.0 when 0 dB).
    gain: f32,
    buf: Vec<i16>,
}

impl OpusStream {
    /// A decoder for the stream described by `params` (OpusHead in `extra_data`).
    pub(crate) fn new(params: &AudioCodecParameters) -> Result<Self, String> {
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
            Inner::Single(OpusDecoder::new(OPUS_RATE, channels).map_err(|e| e.to_string())?)
        } else {
            if head.len() < 21 + channels {
                return Err("Opus stream with a truncated channel mapping".to_string());
            }
            let streams = head[19] as usize;
            let coupled = head[20] as usize;
            let mapping = &head[21..21 + channels];
            Inner::Multi(
                OpusMultistreamDecoder::new(OPUS_RATE, channels, streams, coupled, mapping)
                    .map_err(|e| e.to_string())?,
            )
        };
        Ok(OpusStream {
            inner,
            channels,
            gain: 10f32.powf(gain_q8 as f32 / 256.0 / 20.0),
            buf: vec![0; MAX_FRAMES_PER_PACKET * channels],
        })
    }

    /// Channels in the decoded output.
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    /// Decode one packet into interleaved 16-bit samples, trimmed as the
    /// packet says. `Ok(None)` when trimming leaves nothing.
    pub(crate) fn decode(&mut self, packet: &Packet) -> Result<Option<&[i16]>, String> {
        let n = match &mut self.inner {
            Inner::Single(d) => d.decode(&packet.data, &mut self.buf, false),
            Inner::Multi(d) => d.decode(&packet.data, &mut self.buf, false),
        }
        .map_err(|e| format!("opus: {e}"))?;
        let n = n.min(self.buf.len() / self.channels);
        let start = (packet.trim_start.get() as usize).min(n);
        let end = n.saturating_sub(packet.trim_end.get() as usize).max(start);
        if start == end {
            return Ok(None);
        }
        let out = &mut self.buf[start * self.channels..end * self.channels];
        if (self.gain - 1.0).abs() > 1e-4 {
            for s in out.iter_mut() {
                *s = (*s as f32 * self.gain).round().clamp(-32768.0, 32767.0) as i16;
            }
        }
        Ok(Some(&self.buf[start * self.channels..end * self.channels]))
    }
}
