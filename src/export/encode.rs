//! Encoders from interleaved PCM to file bytes: WAV (hound), FLAC (flacenc),
//! MP3 (LAME via mp3lame-encoder) and AIFF (written here); AAC and ALAC live
//! in [`super::mp4`] with their container. Each returns the encoded bytes; the
//! caller decides where they go (always a temporary file, then a rename).
//!
//! Known traps handled here (see shared/DEPENDENCIES.md):
//! - flacenc writes the short last block's size as STREAMINFO's minimum block
//!   size, which makes symphonia refuse the file: we rewrite min = max.
//! - mp3lame-encoder's `*_to_vec` helpers write into spare capacity: we
//!   reserve `max_required_buffer_size` before encoding and 7200 bytes before
//!   flushing.

use std::io::Cursor;

use crate::error::{EncodeStage, Error, Result};

/// Interleaved integer PCM: `samples[frame * channels + channel]`, each value
/// within `bits` bits (e.g. -32768..=32767 for 16 bits).
#[derive(Debug, Clone, Copy)]
pub struct Pcm<'a> {
    pub samples: &'a [i32],
    pub channels: u16,
    pub samplerate: u32,
    pub bits: u16,
}

impl<'a> Pcm<'a> {
    /// CD-format PCM: 16-bit stereo at 44.1 kHz.
    pub fn cd(samples: &'a [i32]) -> Self {
        Pcm {
            samples,
            channels: 2,
            samplerate: 44_100,
            bits: 16,
        }
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::encode(EncodeStage::Encoder, format!("{what}: {e}"))
}

/// Encode a RIFF WAVE file (integer PCM).
pub fn encode_wav(pcm: Pcm<'_>) -> Result<Vec<u8>> {
    let spec = hound::WavSpec {
        channels: pcm.channels,
        sample_rate: pcm.samplerate,
        bits_per_sample: pcm.bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::with_capacity(
        pcm.samples.len() * (pcm.bits as usize / 8) + 64,
    ));
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).map_err(|e| invalid("wav", e))?;
        match pcm.bits {
            8 => {
                for &s in pcm.samples {
                    w.write_sample(s as i8).map_err(|e| invalid("wav", e))?;
                }
            }
            16 => {
                let mut w16 = w.get_i16_writer(pcm.samples.len() as u32);
                for &s in pcm.samples {
                    w16.write_sample(s as i16);
                }
                w16.flush().map_err(|e| invalid("wav", e))?;
            }
            _ => {
                for &s in pcm.samples {
                    w.write_sample(s).map_err(|e| invalid("wav", e))?;
                }
            }
        }
        w.finalize().map_err(|e| invalid("wav", e))?;
    }
    Ok(cursor.into_inner())
}

/// Encode a FLAC file (with a correct STREAMINFO and MD5).
pub fn encode_flac(pcm: Pcm<'_>) -> Result<Vec<u8>> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    const BLOCK: usize = 4096;
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| invalid("flac config", format!("{e:?}")))?;
    let source = flacenc::source::MemSource::from_samples(
        pcm.samples,
        pcm.channels as usize,
        pcm.bits as usize,
        pcm.samplerate as usize,
    );
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, BLOCK)
        .map_err(|e| invalid("flac encode", format!("{e:?}")))?;
    // flacenc-rs#242: a short last block must not become the minimum block size.
    stream
        .stream_info_mut()
        .set_block_sizes(BLOCK, BLOCK)
        .map_err(|e| invalid("flac streaminfo", format!("{e:?}")))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| invalid("flac write", format!("{e:?}")))?;
    Ok(sink.as_slice().to_vec())
}

/// How LAME should spend bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mp3Rate {
    /// Constant bitrate in kbit/s (32..=320).
    Cbr(u32),
    /// VBR quality 0 (best) ..= 9.
    Vbr(u8),
}

/// LAME's noise-shaping/search effort (`-q`): 3 is LAME's own default (the
/// `lame` CLI, ffmpeg's libmp3lame); -q 2 spends more time for no
/// audible gain at 320k or V0.
const LAME_ALGORITHM_QUALITY: mp3lame_encoder::Quality = mp3lame_encoder::Quality::VeryNice;

fn lame_bitrate(kbps: u32) -> mp3lame_encoder::Bitrate {
    use mp3lame_encoder::Bitrate::*;
    match kbps {
        0..=8 => Kbps8,
        9..=16 => Kbps16,
        17..=24 => Kbps24,
        25..=32 => Kbps32,
        33..=40 => Kbps40,
        41..=48 => Kbps48,
        49..=64 => Kbps64,
        65..=80 => Kbps80,
        81..=96 => Kbps96,
        97..=112 => Kbps112,
        113..=128 => Kbps128,
        129..=160 => Kbps160,
        161..=192 => Kbps192,
        193..=224 => Kbps224,
        225..=256 => Kbps256,
        _ => Kbps320,
    }
}

fn lame_quality(q: u8) -> mp3lame_encoder::Quality {
    use mp3lame_encoder::Quality::*;
    match q {
        0 => Best,
        1 => SecondBest,
        2 => NearBest,
        3 => VeryNice,
        4 => Nice,
        5 => Good,
        6 => Decent,
        7 => Ok,
        8 => SecondWorst,
        _ => Worst,
    }
}

/// Encode an MP3 (no tags; the caller writes ID3 afterwards). Input must be
/// 16-bit PCM, mono or stereo.
pub fn encode_mp3(pcm: Pcm<'_>, rate: Mp3Rate) -> Result<Vec<u8>> {
    let samples: Vec<i16> = pcm
        .samples
        .iter()
        .map(|&s| s.clamp(-32768, 32767) as i16)
        .collect();
    encode_mp3_with(&samples, pcm.channels, pcm.samplerate, rate)
}

/// Encode an MP3 from interleaved f32 samples in [-1, 1] (mono or stereo).
/// LAME works in floating point internally, so feeding it floats skips a
/// needless (and noisy) reduction to 16 bits: no dither is needed.
pub fn encode_mp3_f32(
    samples: &[f32],
    channels: u16,
    samplerate: u32,
    rate: Mp3Rate,
) -> Result<Vec<u8>> {
    encode_mp3_with(samples, channels, samplerate, rate)
}

/// Sample types LAME accepts interleaved (i16 and f32).
trait LameSample: Copy {
    fn encode(
        enc: &mut mp3lame_encoder::Encoder,
        samples: &[Self],
        mono: bool,
        out: &mut [std::mem::MaybeUninit<u8>],
    ) -> std::result::Result<usize, mp3lame_encoder::EncodeError>;
}

macro_rules! lame_sample {
    ($t:ty) => {
        impl LameSample for $t {
            fn encode(
                enc: &mut mp3lame_encoder::Encoder,
                samples: &[Self],
                mono: bool,
                out: &mut [std::mem::MaybeUninit<u8>],
            ) -> std::result::Result<usize, mp3lame_encoder::EncodeError> {
                if mono {
                    enc.encode(mp3lame_encoder::MonoPcm(samples), out)
                } else {
                    enc.encode(mp3lame_encoder::InterleavedPcm(samples), out)
                }
            }
        }
    };
}
lame_sample!(i16);
lame_sample!(f32);

fn encode_mp3_with<S: LameSample>(
    samples: &[S],
    channels: u16,
    samplerate: u32,
    rate: Mp3Rate,
) -> Result<Vec<u8>> {
    use mp3lame_encoder::{Builder, FlushGap};
    if channels == 0 || channels > 2 {
        return Err(Error::encode(
            EncodeStage::Encoder,
            format!("mp3: {channels} channels (1 or 2 supported)"),
        ));
    }
    let e = |what: &str, err: &dyn std::fmt::Debug| invalid(what, format!("{err:?}"));
    let mut b = Builder::new()
        .ok_or_else(|| Error::encode(EncodeStage::Encoder, "mp3: LAME init failed"))?;
    b.set_num_channels(channels as u8)
        .map_err(|x| e("mp3 channels", &x))?;
    b.set_sample_rate(samplerate)
        .map_err(|x| e("mp3 samplerate", &x))?;
    match rate {
        Mp3Rate::Cbr(kbps) => {
            b.set_brate(lame_bitrate(kbps))
                .map_err(|x| e("mp3 bitrate", &x))?;
            b.set_quality(LAME_ALGORITHM_QUALITY)
                .map_err(|x| e("mp3 quality", &x))?;
        }
        Mp3Rate::Vbr(q) => {
            b.set_vbr_mode(mp3lame_encoder::VbrMode::Mtrh)
                .map_err(|x| e("mp3 vbr", &x))?;
            b.set_vbr_quality(lame_quality(q))
                .map_err(|x| e("mp3 vbr quality", &x))?;
            b.set_quality(LAME_ALGORITHM_QUALITY)
                .map_err(|x| e("mp3 quality", &x))?;
        }
    }
    let mut enc = b.build().map_err(|x| e("mp3 build", &x))?;
    let ch = channels as usize;
    let frames = samples.len() / ch;
    let mut out: Vec<u8> = Vec::new();
    // Encode in chunks so the output buffer stays small and bounded.
    const CHUNK: usize = 1 << 16;
    let mut start = 0;
    while start < frames {
        let end = (start + CHUNK).min(frames);
        out.reserve(mp3lame_encoder::max_required_buffer_size(end - start));
        let slice = &samples[start * ch..end * ch];
        let n = S::encode(&mut enc, slice, ch == 1, out.spare_capacity_mut())
            .map_err(|x| e("mp3 encode", &x))?;
        // SAFETY: LAME wrote `n` initialised bytes into the spare capacity.
        unsafe { out.set_len(out.len() + n) };
        start = end;
    }
    out.reserve(7200);
    let n = enc
        .flush::<FlushGap>(out.spare_capacity_mut())
        .map_err(|x| e("mp3 flush", &x))?;
    // SAFETY: as above.
    unsafe { out.set_len(out.len() + n) };
    // LAME reserved the first frame for the Xing/LAME "Info" header: fill it
    // in now, so players know the exact length (VBR seeking, duration) and
    // the encoder delay and padding to trim (gapless playback).
    let mut info = Vec::with_capacity(enc.lame_tag_size());
    if let Some(len) = enc.lame_tag_encode_to_vec(&mut info) {
        if len.get() <= out.len() {
            out[..len.get()].copy_from_slice(&info);
        }
    }
    Ok(out)
}

/// Encode an AIFF file: big-endian integer PCM in a `FORM`/`AIFF` container
/// with a `COMM` chunk (80-bit extended sample rate) and an `SSND` chunk.
pub fn encode_aiff(pcm: Pcm<'_>) -> Result<Vec<u8>> {
    if !matches!(pcm.bits, 8 | 16 | 24 | 32) || pcm.channels == 0 {
        return Err(Error::encode(
            EncodeStage::Encoder,
            format!(
                "aiff: {} bits, {} channels not supported",
                pcm.bits, pcm.channels
            ),
        ));
    }
    let bytes_per = pcm.bits as usize / 8;
    let frames = pcm.samples.len() / pcm.channels as usize;
    let data_len = frames * pcm.channels as usize * bytes_per;
    let ssnd_len = 8 + data_len;
    let pad = ssnd_len % 2; // chunks are even-sized
    let form_len = 4 + (8 + 18) + (8 + ssnd_len + pad);
    let too_big = || {
        Error::encode(
            EncodeStage::Encoder,
            "aiff: audio too long for a 4 GiB AIFF file",
        )
    };
    let mut out = Vec::with_capacity(8 + form_len);
    out.extend_from_slice(b"FORM");
    out.extend_from_slice(
        &u32::try_from(form_len)
            .map_err(|_| too_big())?
            .to_be_bytes(),
    );
    out.extend_from_slice(b"AIFF");
    out.extend_from_slice(b"COMM");
    out.extend_from_slice(&18u32.to_be_bytes());
    out.extend_from_slice(&pcm.channels.to_be_bytes());
    out.extend_from_slice(&u32::try_from(frames).map_err(|_| too_big())?.to_be_bytes());
    out.extend_from_slice(&pcm.bits.to_be_bytes());
    out.extend_from_slice(&extended80(pcm.samplerate as f64));
    out.extend_from_slice(b"SSND");
    out.extend_from_slice(&(ssnd_len as u32).to_be_bytes());
    out.extend_from_slice(&[0; 8]); // offset, block size
    for &s in &pcm.samples[..frames * pcm.channels as usize] {
        out.extend_from_slice(&s.to_be_bytes()[4 - bytes_per..]);
    }
    if pad == 1 {
        out.push(0);
    }
    Ok(out)
}

/// An IEEE 754 80-bit extended float, big-endian (AIFF's sample rate field).
fn extended80(v: f64) -> [u8; 10] {
    let mut out = [0u8; 10];
    if v <= 0.0 || !v.is_finite() {
        return out;
    }
    let exp = v.log2().floor() as i32;
    let mantissa = (v / 2f64.powi(exp - 63)) as u64; // integer bit explicit
    out[..2].copy_from_slice(&((exp + 16383) as u16).to_be_bytes());
    out[2..].copy_from_slice(&mantissa.to_be_bytes());
    out
}

/// Scale f32 samples in [-1, 1] to integers of `bits` bits (no dither; the
/// export pipeline dithers before calling this when it reduces bit depth).
pub fn quantize(samples: &[f32], bits: u16) -> Vec<i32> {
    let max = ((1i64 << (bits - 1)) - 1) as f32;
    samples
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * max).round() as i32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth;

    fn pcm16(secs: f64, rate: u32) -> Vec<i32> {
        quantize(&synth::music(3, secs, rate, 2), 16)
    }

    #[test]
    fn wav_flac_mp3_produce_headers() {
        let s = pcm16(1.0, 44100);
        let pcm = Pcm::cd(&s);
        assert_eq!(&encode_wav(pcm).unwrap()[..4], b"RIFF");
        let flac = encode_flac(pcm).unwrap();
        assert_eq!(&flac[..4], b"fLaC");
        // STREAMINFO min block size (bytes 8..10) equals max (10..12).
        assert_eq!(flac[8..10], flac[10..12]);
        let mp3 = encode_mp3(pcm, Mp3Rate::Cbr(192)).unwrap();
        assert!(mp3.len() > 10_000, "mp3 too small: {}", mp3.len());
        assert_eq!(mp3[0], 0xFF);
        // The first frame is LAME's Info header (CBR) with the encoder delay.
        assert!(mp3[..200].windows(4).any(|w| w == b"Info"));
        let vbr = encode_mp3(pcm, Mp3Rate::Vbr(0)).unwrap();
        assert!(vbr[..200].windows(4).any(|w| w == b"Xing"));
        // Gapless: frames x 1152 - delay - padding is exactly the input length.
        for bytes in [&mp3, &vbr] {
            let tag = crate::media::mpeg::xing::parse(bytes).expect("Xing/Info tag");
            let lame = tag.lame.expect("LAME info tag");
            let frames = tag.frames.expect("frame count");
            assert_eq!(
                frames * 1152 - lame.delay - lame.padding,
                44_100,
                "{frames} {} {}",
                lame.delay,
                lame.padding
            );
        }
    }

    #[test]
    fn extended80_known_rates() {
        // 44100 Hz in AIFF files written by every tool.
        assert_eq!(
            extended80(44100.0),
            [0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            extended80(48000.0),
            [0x40, 0x0E, 0xBB, 0x80, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn aiff_layout_and_readable() {
        let s = pcm16(0.5, 44100);
        let aiff = encode_aiff(Pcm::cd(&s)).unwrap();
        assert_eq!(&aiff[..4], b"FORM");
        assert_eq!(&aiff[8..12], b"AIFF");
        let form_len = u32::from_be_bytes(aiff[4..8].try_into().unwrap()) as usize;
        assert_eq!(form_len + 8, aiff.len());
        // First sample, big-endian, right after SSND's 8-byte header.
        let ssnd = aiff.windows(4).position(|w| w == b"SSND").unwrap();
        let first = i16::from_be_bytes([aiff[ssnd + 16], aiff[ssnd + 17]]);
        assert_eq!(first as i32, s[0]);
        // lofty understands it: properties read back.
        let f = lofty::probe::Probe::new(std::io::Cursor::new(&aiff))
            .guess_file_type()
            .unwrap()
            .read()
            .unwrap();
        use lofty::file::{AudioFile, TaggedFileExt};
        assert_eq!(f.file_type(), lofty::file::FileType::Aiff);
        assert_eq!(f.properties().sample_rate(), Some(44100));
        assert_eq!(f.properties().channels(), Some(2));
        assert_eq!(f.properties().bit_depth(), Some(16));
        assert_eq!(f.properties().duration().as_millis(), 500);
    }
}
