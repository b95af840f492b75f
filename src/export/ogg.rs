//! Ogg output: Opus and Vorbis encoding, each returning the bytes of a
//! complete Ogg file with an empty comment header (the tagger then writes
//! the library's tags and art into it, as for FLAC, through lofty).
//!
//! - **Opus** is encoded by `opus-rs` (pure Rust, BSD-3-Clause, a port of
//!   libopus 1.6: every libopus binding on the registry builds libopus with
//!   cmake) in 20 ms CELT/hybrid frames, VBR, complexity 10, and the Ogg
//!   pages are written here (RFC 7845). Opus always codes 48 kHz: the
//!   caller resamples, and OpusHead records the source's rate.
//! - **Vorbis** is encoded by `vorbis_rs` (BSD-3-Clause), which builds
//!   libogg and libvorbis with the aoTuV and Lancer patches from source with
//!   the `cc` crate (no cmake, no system library), and pages it with libogg.
//!
//! Gapless invariants (checked by the tests against independent readers):
//! - Opus: OpusHead's pre-skip is the encoder's lookahead
//!   ([`OPUS_PRE_SKIP`]), and the last page's granule position is pre-skip
//!   plus exactly `round(source frames x 48000 / source rate)`, so decoders
//!   drop the priming and trim the end padding of the last packet.
//! - Vorbis: libvorbis sets the final granule to the exact frame count.
//!
//! Stream serials are derived from the caller's seed, not drawn at random,
//! so a re-export writes the same bytes.

use std::num::{NonZeroU32, NonZeroU8};

use opus_rs::{Application, OpusEncoder};
use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder, VorbisLibraryErrorKind};

use super::target::{
    default_opus_kbps, vorbis_quality_for_kbps, AudioOptions, OutputFormat, DEFAULT_VORBIS_QUALITY,
};
use crate::error::{EncodeStage, Error, Result};
use crate::media::ogg_page_crc;

/// The rate Opus codes at.
pub const OPUS_RATE: u32 = 48_000;
/// The encoder's lookahead at 48 kHz, written as OpusHead's pre-skip:
/// 2.5 ms of CELT window overlap plus 4 ms of delay compensation, as
/// libopus reports it (`OPUS_GET_LOOKAHEAD`) for the audio application.
pub const OPUS_PRE_SKIP: u16 = 312;
/// Frames in one Opus packet: 20 ms, the size music encoders use.
const OPUS_FRAME: usize = 960;
/// The largest Opus packet a frame can produce (RFC 6716: 1275 bytes).
const MAX_OPUS_PACKET: usize = 1500;
/// Packets per Ogg page at most: one second, as opusenc pages.
const PAGE_PACKETS: usize = 50;
/// Frames per block handed to libvorbis.
const VORBIS_BLOCK: usize = 4096;
/// The vendor string of the Opus comment header (lofty keeps it).
const OPUS_VENDOR: &str = concat!("mixtape ", env!("CARGO_PKG_VERSION"), " (opus-rs 0.1.40)");

/// Interleaved float audio at its coding rate.
#[derive(Debug, Clone, Copy)]
pub struct Audio<'a> {
    pub samples: &'a [f32],
    pub channels: u16,
    pub rate: u32,
}

/// The source the audio was decoded from, before resampling: its rate
/// (for OpusHead) and its length (for the exact Opus end trim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub rate: u32,
    pub frames: u64,
}

fn encoder_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::encode(EncodeStage::Encoder, format!("{what}: {e}"))
}

/// An encoded Ogg file.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    /// Sample frames it plays (at 48 kHz for Opus).
    pub frames: usize,
    /// What the user should know (a Vorbis bitrate libvorbis cannot code).
    pub note: Option<String>,
}

/// Encode `audio` as `format` (Opus or Vorbis) with the user's bitrate or
/// quality. `serial` seeds the Ogg stream serial.
pub fn encode(
    format: OutputFormat,
    audio: Audio<'_>,
    source: Source,
    options: &AudioOptions,
    serial: u64,
) -> Result<Encoded> {
    let serial = (serial ^ (serial >> 32)) as u32;
    match format {
        OutputFormat::Opus => {
            let kbps = options
                .bitrate_kbps
                .unwrap_or_else(|| default_opus_kbps(audio.channels));
            let (bytes, frames) = encode_opus(audio, source, kbps, serial)?;
            Ok(Encoded {
                bytes,
                frames,
                note: None,
            })
        }
        OutputFormat::Vorbis => {
            let mode = match (options.bitrate_kbps, options.vorbis_quality) {
                (Some(k), _) => VorbisMode::Bitrate(k),
                (None, q) => VorbisMode::Quality(q.unwrap_or(DEFAULT_VORBIS_QUALITY)),
            };
            let (bytes, note) = encode_vorbis(audio, mode, serial)?;
            let frames = audio.samples.len() / audio.channels.max(1) as usize;
            Ok(Encoded {
                bytes,
                frames,
                note,
            })
        }
        other => Err(encoder_error(
            "ogg",
            format!("{other} is not an Ogg format"),
        )),
    }
}

/// The 48 kHz frames an Opus file of `source` plays:
/// `round(frames x 48000 / rate)`.
pub fn opus_frames(source: Source) -> u64 {
    let rate = source.rate.max(1) as u128;
    ((source.frames as u128 * OPUS_RATE as u128 * 2 + rate) / (2 * rate)) as u64
}

/// Encode 48 kHz mono or stereo audio as an Ogg Opus file at `kbps`
/// (VBR), trimmed to exactly [`opus_frames`] of `source`.
pub fn encode_opus(
    audio: Audio<'_>,
    source: Source,
    kbps: u32,
    serial: u32,
) -> Result<(Vec<u8>, usize)> {
    let ch = audio.channels as usize;
    if audio.rate != OPUS_RATE || !(1..=2).contains(&ch) {
        return Err(encoder_error(
            "opus",
            format!(
                "{} channels at {} Hz (mono or stereo at 48000 Hz)",
                ch, audio.rate
            ),
        ));
    }
    let mut enc = OpusEncoder::new(OPUS_RATE as i32, ch, Application::Audio)
        .map_err(|e| encoder_error("opus encoder", e))?;
    enc.bitrate_bps = (kbps * 1000) as i32;
    enc.complexity = 10;
    enc.use_cbr = false;

    // Frames to play; the rubato resampler gives ceil(), one more at most.
    let n = opus_frames(source) as usize;
    let have = (audio.samples.len() / ch).min(n);
    // Enough packets to push the last real frame out through the lookahead.
    let packets = (n + OPUS_PRE_SKIP as usize).div_ceil(OPUS_FRAME);
    let final_granule = n as u64 + OPUS_PRE_SKIP as u64;

    let mut ogg = OggPages::new(serial);
    ogg.page(&[&opus_head(audio.channels, source.rate)], 0, BOS);
    ogg.page(&[&opus_tags()], 0, 0);
    let mut frame = vec![0f32; OPUS_FRAME * ch];
    let mut packet = vec![0u8; MAX_OPUS_PACKET];
    let mut page: Vec<Vec<u8>> = Vec::with_capacity(PAGE_PACKETS);
    let mut segments = 0;
    for k in 0..packets {
        let start = (k * OPUS_FRAME).min(have);
        let end = ((k + 1) * OPUS_FRAME).min(have);
        frame.fill(0.0);
        frame[..(end - start) * ch].copy_from_slice(&audio.samples[start * ch..end * ch]);
        let len = enc
            .encode(&frame, OPUS_FRAME, &mut packet)
            .map_err(|e| encoder_error("opus encode", e))?;
        let need = lacing_len(len);
        if page.len() == PAGE_PACKETS || segments + need > 255 {
            let granule = (k * OPUS_FRAME) as u64;
            ogg.page(&refs(&page), granule, 0);
            page.clear();
            segments = 0;
        }
        page.push(packet[..len].to_vec());
        segments += need;
    }
    ogg.page(&refs(&page), final_granule, EOS);
    Ok((ogg.out, n))
}

/// OpusHead (RFC 7845 5.1): version 1, channel count, pre-skip, the
/// source's rate, 0 dB output gain, mapping family 0 (mono/stereo).
fn opus_head(channels: u16, input_rate: u32) -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(channels as u8);
    h.extend_from_slice(&OPUS_PRE_SKIP.to_le_bytes());
    h.extend_from_slice(&input_rate.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    h.push(0);
    h
}

/// An OpusTags packet with the vendor string and no comments.
fn opus_tags() -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    t.extend_from_slice(&(OPUS_VENDOR.len() as u32).to_le_bytes());
    t.extend_from_slice(OPUS_VENDOR.as_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

fn refs(packets: &[Vec<u8>]) -> Vec<&[u8]> {
    packets.iter().map(Vec::as_slice).collect()
}

/// Page flag: first page of the stream.
const BOS: u8 = 0x02;
/// Page flag: last page of the stream.
const EOS: u8 = 0x04;

/// Lacing values a packet of `len` bytes takes in a page's segment table.
fn lacing_len(len: usize) -> usize {
    len / 255 + 1
}

/// An Ogg stream being written page by page (RFC 3533), one logical
/// stream, every page ending on a packet boundary.
struct OggPages {
    out: Vec<u8>,
    serial: u32,
    sequence: u32,
}

impl OggPages {
    fn new(serial: u32) -> OggPages {
        OggPages {
            out: Vec::new(),
            serial,
            sequence: 0,
        }
    }

    /// Append a page holding `packets` whole (at most 255 lacing values),
    /// with `granule` as its granule position.
    fn page(&mut self, packets: &[&[u8]], granule: u64, flags: u8) {
        let start = self.out.len();
        self.out.extend_from_slice(b"OggS");
        self.out.push(0);
        self.out.push(flags);
        self.out.extend_from_slice(&granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.sequence.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        let lacing: usize = packets.iter().map(|p| lacing_len(p.len())).sum();
        debug_assert!(lacing <= 255, "{lacing} lacing values");
        self.out.push(lacing as u8);
        for p in packets {
            self.out.extend(std::iter::repeat_n(255u8, p.len() / 255));
            self.out.push((p.len() % 255) as u8);
        }
        for p in packets {
            self.out.extend_from_slice(p);
        }
        let crc = ogg_page_crc(&self.out[start..]);
        self.out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
        self.sequence += 1;
    }
}

/// How libvorbis should spend bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VorbisMode {
    /// VBR aimed at an average bitrate in kbit/s (oggenc -b).
    Bitrate(u32),
    /// VBR at a quality on oggenc's -1..=10 scale (oggenc -q).
    Quality(f32),
}

/// Encode audio (1 to 8 channels, WAVE/FLAC channel order) as Ogg Vorbis.
/// libvorbis codes a bitrate only within a range that depends on the
/// channels and rate (none at 96 kHz and above, at most about 240k mono at
/// 44.1 kHz): outside it, the quality nearest that bitrate is used instead,
/// and the returned note says so.
pub fn encode_vorbis(
    audio: Audio<'_>,
    mode: VorbisMode,
    serial: u32,
) -> Result<(Vec<u8>, Option<String>)> {
    let ch = audio.channels as usize;
    let order = vorbis_order(audio.channels)
        .ok_or_else(|| encoder_error("vorbis", format!("{ch} channels (1 to 8 supported)")))?;
    if audio.rate == 0 {
        return Err(encoder_error("vorbis", "sample rate 0 Hz"));
    }
    let failed = |e: vorbis_rs::VorbisError| encoder_error("vorbis", e);
    match (vorbis_stream(audio, order, mode, serial), mode) {
        (Err(vorbis_rs::VorbisError::LibraryError(e)), VorbisMode::Bitrate(kbps))
            if matches!(e.kind(), VorbisLibraryErrorKind::NotImplemented) =>
        {
            // The nominal table is for stereo: scale to two channels' worth.
            let q = vorbis_quality_for_kbps(kbps * 2 / ch as u32);
            let bytes =
                vorbis_stream(audio, order, VorbisMode::Quality(q), serial).map_err(failed)?;
            let note = format!(
                "libvorbis codes no {kbps}k for {ch} channel(s) at {} Hz: encoded at quality {q:.1} instead",
                audio.rate
            );
            Ok((bytes, Some(note)))
        }
        (r, _) => r.map(|b| (b, None)).map_err(failed),
    }
}

/// One libvorbis run over `audio` (rate and channels non-zero); `order`
/// maps Vorbis channels to the input's.
fn vorbis_stream(
    audio: Audio<'_>,
    order: &[usize],
    mode: VorbisMode,
    serial: u32,
) -> std::result::Result<Vec<u8>, vorbis_rs::VorbisError> {
    let ch = audio.channels as usize;
    let rate = NonZeroU32::new(audio.rate).unwrap_or(NonZeroU32::MIN);
    let channels = NonZeroU8::new(audio.channels as u8).unwrap_or(NonZeroU8::MIN);
    let strategy = match mode {
        VorbisMode::Bitrate(k) => VorbisBitrateManagementStrategy::Vbr {
            target_bitrate: NonZeroU32::new(k * 1000).unwrap_or(NonZeroU32::MIN),
        },
        VorbisMode::Quality(q) => VorbisBitrateManagementStrategy::QualityVbr {
            target_quality: q / 10.0,
        },
    };
    let mut builder =
        VorbisEncoderBuilder::new_with_serial(rate, channels, Vec::new(), serial as i32);
    builder.bitrate_management_strategy(strategy);
    let mut enc = builder.build()?;
    let frames = audio.samples.len() / ch;
    let mut planar: Vec<Vec<f32>> = vec![Vec::with_capacity(VORBIS_BLOCK); ch];
    let mut start = 0;
    while start < frames {
        let end = (start + VORBIS_BLOCK).min(frames);
        for (out, &src) in planar.iter_mut().zip(order) {
            out.clear();
            out.extend(
                audio.samples[start * ch..end * ch]
                    .iter()
                    .skip(src)
                    .step_by(ch),
            );
        }
        enc.encode_audio_block(&planar)?;
        start = end;
    }
    enc.finish()
}

/// For each Vorbis channel (Vorbis I spec 4.3.9), the WAVE/FLAC channel it
/// takes: L C R for 3 channels, and centre before right, LFE last for 5.1
/// and above (as ffmpeg's libvorbis wrapper maps them).
fn vorbis_order(channels: u16) -> Option<&'static [usize]> {
    Some(match channels {
        1 => &[0],
        2 => &[0, 1],
        3 => &[0, 2, 1],
        4 => &[0, 1, 2, 3],
        5 => &[0, 2, 1, 3, 4],
        6 => &[0, 2, 1, 4, 5, 3],
        7 => &[0, 2, 1, 5, 6, 4, 3],
        8 => &[0, 2, 1, 6, 7, 4, 5, 3],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth;

    /// One Ogg page as an independent reader sees it.
    struct Page {
        flags: u8,
        granule: u64,
        serial: u32,
        sequence: u32,
        packets: Vec<Vec<u8>>,
    }

    /// Split an Ogg file into pages, checking capture patterns, CRCs (with
    /// ogg_pager's CRC, not ours) and that packets never span pages.
    fn pages(bytes: &[u8]) -> Vec<Page> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            assert_eq!(&bytes[i..i + 4], b"OggS", "capture pattern at {i}");
            let n = bytes[i + 26] as usize;
            let lacing = &bytes[i + 27..i + 27 + n];
            let body: usize = lacing.iter().map(|&l| l as usize).sum();
            let end = i + 27 + n + body;
            let mut page = bytes[i..end].to_vec();
            let crc = u32::from_le_bytes(page[22..26].try_into().unwrap());
            page[22..26].fill(0);
            assert_eq!(ogg_pager::crc32(&page), crc, "CRC of page at {i}");
            let mut packets = Vec::new();
            let mut pos = i + 27 + n;
            let mut cur = Vec::new();
            for &l in lacing {
                cur.extend_from_slice(&bytes[pos..pos + l as usize]);
                pos += l as usize;
                if l < 255 {
                    packets.push(std::mem::take(&mut cur));
                }
            }
            assert!(cur.is_empty(), "packet continues past page at {i}");
            out.push(Page {
                flags: bytes[i + 5],
                granule: u64::from_le_bytes(bytes[i + 6..i + 14].try_into().unwrap()),
                serial: u32::from_le_bytes(bytes[i + 14..i + 18].try_into().unwrap()),
                sequence: u32::from_le_bytes(bytes[i + 18..i + 22].try_into().unwrap()),
                packets,
            });
            i = end;
        }
        out
    }

    fn opus_of(secs: f64, src_rate: u32, channels: u16, kbps: u32) -> (Vec<u8>, Source, Vec<f32>) {
        let src = synth::music(5, secs, src_rate, channels);
        let source = Source {
            rate: src_rate,
            frames: (src.len() / channels as usize) as u64,
        };
        let at48 = crate::export::resample::resample(&src, channels, src_rate, OPUS_RATE).unwrap();
        let audio = Audio {
            samples: &at48,
            channels,
            rate: OPUS_RATE,
        };
        let (bytes, n) = encode_opus(audio, source, kbps, 7).unwrap();
        assert_eq!(n as u64, opus_frames(source));
        (bytes, source, at48)
    }

    #[test]
    fn opus_frames_round_to_the_nearest_48k_frame() {
        let f = |frames, rate| opus_frames(Source { rate, frames });
        assert_eq!(f(44_100, 44_100), 48_000);
        assert_eq!(f(1, 44_100), 1); // 1.088 -> 1
        assert_eq!(f(12, 44_100), 13); // 13.06 -> 13
        assert_eq!(f(29, 96_000), 15); // 14.5 -> 15
        assert_eq!(f(1000, 48_000), 1000);
        assert_eq!(f(3 * 22_050 + 1, 22_050), 144_002); // 144002.18
    }

    #[test]
    fn opus_pages_carry_head_pre_skip_and_an_exact_final_granule() {
        for (secs, rate, ch) in [(2.3, 44_100, 2), (0.01, 48_000, 1), (1.7, 96_000, 2)] {
            let (bytes, source, _) = opus_of(secs, rate, ch, 128);
            let p = pages(&bytes);
            assert!(p.len() >= 3);
            assert_eq!(p[0].flags, BOS);
            assert!(p.iter().all(|x| x.serial == p[0].serial));
            assert!(p.iter().enumerate().all(|(i, x)| x.sequence == i as u32));
            let head = &p[0].packets[0];
            assert_eq!(&head[..8], b"OpusHead");
            assert_eq!(head[9] as u16, ch);
            assert_eq!(u16::from_le_bytes([head[10], head[11]]), OPUS_PRE_SKIP);
            assert_eq!(u32::from_le_bytes(head[12..16].try_into().unwrap()), rate);
            assert_eq!(&p[1].packets[0][..8], b"OpusTags");
            let last = p.last().unwrap();
            assert_eq!(last.flags, EOS);
            let want = (source.frames as f64 * 48_000.0 / rate as f64).round() as u64;
            assert_eq!(
                last.granule,
                OPUS_PRE_SKIP as u64 + want,
                "{secs} s at {rate}"
            );
            // Every packet is one 20 ms frame (TOC config 15/31: 20 ms),
            // and they cover the pre-skip plus the audio, less than a frame over.
            let audio: Vec<&Vec<u8>> = p[2..].iter().flat_map(|x| &x.packets).collect();
            let total = audio.len() as u64 * 960;
            assert!(total >= last.granule && total < last.granule + 960);
            for pk in &audio {
                assert_eq!(pk[0] & 0x03, 0, "one frame per packet");
            }
            // Granules grow page by page and never pass the final one.
            let g: Vec<u64> = p[2..].iter().map(|x| x.granule).collect();
            assert!(g.windows(2).all(|w| w[0] < w[1]), "{g:?}");
        }
    }

    /// The pre-skip is the encoder's real delay: decoded (by opus-rs's
    /// decoder, fed the packets), the output after pre-skip lines up with
    /// the input sample for sample.
    #[test]
    fn opus_pre_skip_matches_the_encoder_delay() {
        let (bytes, _, input) = opus_of(1.0, 48_000, 1, 256);
        let p = pages(&bytes);
        let mut dec = opus_rs::OpusDecoder::new(48_000, 1).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0f32; 5760];
        for pk in p[2..].iter().flat_map(|x| &x.packets) {
            let n = dec.decode(pk, 5760, &mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        // Cross-correlate around the nominal delay: the best lag is 0.
        let window = &input[4_800..43_200];
        let corr = |lag: i64| -> f64 {
            window
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    x as f64
                        * out[(4_800 + i) as i64 as usize + (OPUS_PRE_SKIP as i64 + lag) as usize]
                            as f64
                })
                .sum()
        };
        let best = (-40..=40)
            .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
            .unwrap();
        assert_eq!(best, 0, "decoded audio is {best} samples off the pre-skip");
        // And at 256k the waveform is close: SNR well above 20 dB.
        let (sig, err) = window
            .iter()
            .enumerate()
            .fold((0f64, 0f64), |(s, e), (i, &x)| {
                let y = out[4_800 + i + OPUS_PRE_SKIP as usize] as f64;
                (s + (x as f64).powi(2), e + (x as f64 - y).powi(2))
            });
        let snr = 10.0 * (sig / err).log10();
        assert!(snr > 20.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn opus_bitrate_is_respected() {
        for kbps in [64, 160, 320] {
            let (bytes, _, _) = opus_of(4.0, 48_000, 2, kbps);
            let got = bytes.len() as f64 * 8.0 / 4.0 / 1000.0;
            assert!(
                got > kbps as f64 * 0.6 && got < kbps as f64 * 1.3,
                "{kbps}k asked, {got:.0}k written"
            );
        }
    }

    #[test]
    fn opus_refuses_what_it_cannot_code() {
        let s = vec![0f32; 4800];
        let src = Source {
            rate: 44_100,
            frames: 1600,
        };
        for (ch, rate) in [(3, 48_000), (2, 44_100)] {
            let a = Audio {
                samples: &s,
                channels: ch,
                rate,
            };
            assert!(encode_opus(a, src, 128, 1).is_err());
        }
    }

    /// Write `bytes` to a file and decode it with symphonia (through
    /// mixtape's reader, which shares nothing with libvorbis).
    fn decode_file(bytes: &[u8], ext: &str) -> crate::media::Decoded {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("x.{ext}"));
        std::fs::write(&p, bytes).unwrap();
        crate::media::decode(&p, None).unwrap()
    }

    #[test]
    fn vorbis_decodes_to_exactly_the_source_frames() {
        for (secs, rate, ch) in [(1.37, 44_100, 2), (0.3, 22_050, 1), (2.0, 96_000, 2)] {
            let src = synth::music(3, secs, rate, ch);
            let audio = Audio {
                samples: &src,
                channels: ch,
                rate,
            };
            let (bytes, note) = encode_vorbis(audio, VorbisMode::Quality(5.0), 3).unwrap();
            assert!(note.is_none());
            let got = decode_file(&bytes, "ogg");
            assert_eq!((got.samplerate, got.channels), (rate, ch));
            assert_eq!(got.samples.len(), src.len(), "{secs} s at {rate} Hz");
            // The last page's granule is the frame count too.
            let last = pages(&bytes).pop().unwrap();
            assert_eq!(last.granule, (src.len() / ch as usize) as u64);
            assert_eq!(last.flags, EOS);
        }
    }

    #[test]
    fn vorbis_bitrates_libvorbis_cannot_code_fall_back_to_a_quality() {
        let src = synth::music(3, 1.0, 96_000, 2);
        let audio = Audio {
            samples: &src,
            channels: 2,
            rate: 96_000,
        };
        let (bytes, note) = encode_vorbis(audio, VorbisMode::Bitrate(192), 3).unwrap();
        assert_eq!(
            note.as_deref(),
            Some("libvorbis codes no 192k for 2 channel(s) at 96000 Hz: encoded at quality 6.0 instead")
        );
        assert_eq!(decode_file(&bytes, "ogg").samples.len(), src.len());
        // Within range, the bitrate is what is coded.
        let src = synth::music(3, 1.0, 44_100, 2);
        let audio = Audio {
            samples: &src,
            channels: 2,
            rate: 44_100,
        };
        assert!(encode_vorbis(audio, VorbisMode::Bitrate(192), 3)
            .unwrap()
            .1
            .is_none());
    }

    /// 5.1 in WAVE order goes into Vorbis's order (L C R Ls Rs LFE) and
    /// comes back out of symphonia's decoder in WAVE order again.
    #[test]
    fn vorbis_surround_keeps_each_channel_in_its_place() {
        let rate = 48_000;
        let frames = rate as usize;
        let mut s = vec![0f32; frames * 6];
        for (i, f) in s.chunks_exact_mut(6).enumerate() {
            for (c, v) in f.iter_mut().enumerate() {
                // Low tones: libvorbis codes the LFE channel band-limited.
                let hz = 60.0 + 10.0 * c as f32;
                *v = 0.1
                    * (c + 1) as f32
                    * (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin();
            }
        }
        let audio = Audio {
            samples: &s,
            channels: 6,
            rate,
        };
        let (bytes, _) = encode_vorbis(audio, VorbisMode::Quality(6.0), 1).unwrap();
        let got = decode_file(&bytes, "ogg");
        assert_eq!(got.channels, 6);
        // Each decoded channel correlates best with its own source channel
        // (each carries its own tone), and keeps its level (LFE aside:
        // libvorbis codes it band-limited and coarsely).
        let chan = |v: &[f32], c: usize| -> Vec<f64> {
            v.iter().skip(c).step_by(6).map(|&x| x as f64).collect()
        };
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        for c in 0..6 {
            let out = chan(&got.samples, c);
            let best = (0..6)
                .max_by(|&i, &j| {
                    let (a, b) = (chan(&s, i), chan(&s, j));
                    (dot(&out, &a) / dot(&a, &a).sqrt())
                        .total_cmp(&(dot(&out, &b) / dot(&b, &b).sqrt()))
                })
                .unwrap();
            assert_eq!(best, c, "decoded channel {c} holds source channel {best}");
            let src = chan(&s, c);
            let ratio = (dot(&out, &out) / dot(&src, &src)).sqrt();
            let tolerance = if c == 3 { 0.5 } else { 0.05 };
            assert!(
                (ratio - 1.0).abs() < tolerance,
                "channel {c}: level x{ratio:.3}"
            );
        }
    }

    /// A FLAC source (with cover art, two genres and two artists) exported
    /// to Opus and Vorbis: lofty reads back every tag, multi-valued fields
    /// as several values, the cover as a picture, and the right length.
    #[test]
    fn opus_and_vorbis_exports_carry_tags_and_art() {
        use crate::export::target::AudioTarget;
        use crate::export::transcode::{tests::flac_fixture, transcode};
        use lofty::file::{AudioFile, FileType, TaggedFileExt};
        use lofty::tag::{Accessor, ItemKey};
        let dir = tempfile::tempdir().unwrap();
        let (src, mut track) = flac_fixture(
            dir.path(),
            "t.flac",
            2.5,
            44_100,
            2,
            24,
            Some(crate::export::art::tests::png(64, 48)),
        );
        track.tags.genres = vec!["Ambient".into(), "Chillout".into()];
        track.tags.artists = vec!["東京 Orchestra".into(), "Guest".into()];
        for (format, kind) in [
            (OutputFormat::Opus, FileType::Opus),
            (OutputFormat::Vorbis, FileType::Vorbis),
        ] {
            let dst = dir.path().join(format!("t.{}", format.extension()));
            let rep = transcode(&src, &track, &AudioTarget::new(format), &dst).unwrap();
            assert!(rep.warnings.is_empty(), "{format}: {:?}", rep.warnings);
            let f = lofty::read_from_path(&dst).unwrap();
            assert_eq!(f.file_type(), kind);
            // Opus reports the source's rate (OpusHead), Vorbis its own.
            assert_eq!(f.properties().sample_rate(), Some(44_100), "{format}");
            assert_eq!(f.properties().duration().as_millis(), 2_500, "{format}");
            let t = f.primary_tag().unwrap();
            assert_eq!(t.title().as_deref(), Some("Café del Mar"));
            assert_eq!(t.album().as_deref(), Some("Road Trip"));
            assert_eq!(t.get_string(ItemKey::AlbumArtist), Some("Various Artists"));
            assert_eq!((t.track(), t.track_total()), (Some(3), Some(12)));
            assert_eq!((t.disk(), t.disk_total()), (Some(1), Some(2)));
            assert_eq!(t.date().map(|d| d.year), Some(1999));
            let genres: Vec<&str> = t.get_strings(ItemKey::Genre).collect();
            assert_eq!(genres, ["Ambient", "Chillout"], "{format}");
            let artists: Vec<&str> = t.get_strings(ItemKey::TrackArtists).collect();
            assert_eq!(artists, ["東京 Orchestra", "Guest"], "{format}");
            assert_eq!(
                t.get_string(ItemKey::MusicBrainzReleaseId),
                track.tags.mb_albumid.as_deref()
            );
            assert_eq!(t.pictures().len(), 1, "{format}");
            assert_eq!(
                crate::export::art::image_size(t.pictures()[0].data()),
                Some((64, 48))
            );
            // The comment header replaced ours, the audio pages kept their
            // granules: the length is still exact.
            let want = match format {
                OutputFormat::Opus => 120_000,
                _ => 110_250,
            };
            assert_eq!(
                decode_file(&std::fs::read(&dst).unwrap(), format.extension())
                    .samples
                    .len(),
                want * 2
            );
        }
    }

    /// The free-space check's estimates cover what the encoders write.
    #[test]
    fn size_estimates_cover_opus_and_vorbis_outputs() {
        use crate::export::target::AudioTarget;
        use crate::export::transcode::{estimate_size, tests::flac_fixture, transcode};
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(dir.path(), "e.flac", 5.0, 44_100, 2, 16, None);
        let with = |format, bitrate_kbps, vorbis_quality| {
            let options = AudioOptions {
                bitrate_kbps,
                vorbis_quality,
                ..AudioOptions::default()
            };
            AudioTarget::of_format(format, &options)
        };
        for t in [
            with(OutputFormat::Opus, None, None),
            with(OutputFormat::Opus, Some(320), None),
            with(OutputFormat::Opus, Some(6), None),
            with(OutputFormat::Vorbis, None, None),
            with(OutputFormat::Vorbis, None, Some(10.0)),
            with(OutputFormat::Vorbis, Some(96), None),
        ] {
            let dst = dir.path().join(format!("e.{}", t.format.extension()));
            let rep = transcode(&src, &track, &t, &dst).unwrap();
            let est = estimate_size(&track, &t);
            let what = format!("{} {:?}", t.format, t.options);
            assert!(est >= rep.bytes, "{what}: {est} < {}", rep.bytes);
            assert!(
                est < rep.bytes * 3 + 300_000,
                "{what}: {est} vs {}",
                rep.bytes
            );
            assert_eq!(
                rep.frames,
                if t.format == OutputFormat::Opus {
                    240_000
                } else {
                    220_500
                }
            );
        }
    }

    #[test]
    fn vorbis_channel_orders_are_permutations() {
        for ch in 1..=8u16 {
            let mut o = vorbis_order(ch).unwrap().to_vec();
            o.sort();
            assert_eq!(o, (0..ch as usize).collect::<Vec<_>>());
        }
        assert!(vorbis_order(9).is_none());
    }

    #[test]
    fn serials_are_deterministic() {
        let src = synth::music(2, 0.5, 48_000, 2);
        let audio = Audio {
            samples: &src,
            channels: 2,
            rate: 48_000,
        };
        let source = Source {
            rate: 48_000,
            frames: 24_000,
        };
        let o = AudioOptions::default();
        for f in [OutputFormat::Opus, OutputFormat::Vorbis] {
            let a = encode(f, audio, source, &o, 99).unwrap();
            let b = encode(f, audio, source, &o, 99).unwrap();
            assert!(a == b, "{f}: two encodes differ");
            let c = encode(f, audio, source, &o, 100).unwrap();
            assert_ne!(pages(&a.bytes)[0].serial, pages(&c.bytes)[0].serial, "{f}");
        }
    }
}
