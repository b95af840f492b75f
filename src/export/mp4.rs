//! AAC (Fraunhofer FDK AAC via the `fdk-aac` crate) and ALAC (`alac-encoder`)
//! encoding, muxed into a minimal MP4 (.m4a) container written here.
//!
//! No maintained pure-Rust MP4 *writer* for audio builds without extra
//! steps, and the structure needed is small: `ftyp`, `mdat` (all packets in
//! one chunk), then `moov` with one sound track (`mvhd`, `trak` > `tkhd`,
//! `edts`/`elst`, `mdia` > `mdhd`, `hdlr`, `minf` > `smhd`, `dinf`, `stbl` >
//! `stsd` (`mp4a`+`esds` or `alac`), `stts`, `stsc`, `stsz`, `stco`). The
//! `moov` goes last so that adding tags later (lofty writes `udta/meta/ilst`
//! into `moov`) never moves the audio and chunk offsets stay valid.
//!
//! Gapless: AAC's encoder delay (priming) is hidden with an edit list, so
//! players that honour `elst` (iTunes, ffmpeg, symphonia) play exactly the
//! source's frames.
//!
//! Licences: the FDK AAC library that `fdk-aac-sys` bundles is under the
//! "Software License for The Fraunhofer FDK AAC Codec Library for Android":
//! redistribution is allowed, but it is not an OSI-approved licence, it
//! grants no patent rights (AAC patents are licensed separately, via Via
//! LA) and the FSF considers it GPL-incompatible. `alac-encoder` is
//! MIT/Apache-2.0 (Apple's ALAC is Apache-2.0).

use super::encode::Pcm;
use crate::error::{EncodeStage, Error, Result};

fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::encode(EncodeStage::Encoder, format!("{what}: {e}"))
}

/// Encode AAC-LC into an .m4a. `samples` are interleaved 16-bit values;
/// `kbps` selects CBR, `vbr` (V0 best .. V9) FDK's VBR modes; neither gives
/// CBR 128 kbit/s per channel.
pub fn encode_aac(
    samples: &[i32],
    channels: u16,
    rate: u32,
    kbps: Option<u32>,
    vbr: Option<u8>,
) -> Result<Vec<u8>> {
    use fdk_aac::enc::{AudioObjectType, BitRate, ChannelMode, Encoder, EncoderParams, Transport};
    let ch = channels as usize;
    let mode = match channels {
        1 => ChannelMode::Mono,
        2 => ChannelMode::Stereo,
        n => {
            return Err(Error::encode(
                EncodeStage::Encoder,
                format!("aac: {n} channels (1 or 2 supported)"),
            ))
        }
    };
    let bit_rate = match (kbps, vbr) {
        (_, Some(q)) => match q {
            0..=1 => BitRate::VbrVeryHigh,
            2..=3 => BitRate::VbrHigh,
            4..=5 => BitRate::VbrMedium,
            6..=7 => BitRate::VbrLow,
            _ => BitRate::VbrVeryLow,
        },
        (Some(k), None) => BitRate::Cbr(k * 1000),
        (None, None) => BitRate::Cbr(128_000 * channels as u32),
    };
    let enc = Encoder::new(EncoderParams {
        bit_rate,
        sample_rate: rate,
        transport: Transport::Raw,
        channels: mode,
        audio_object_type: AudioObjectType::Mpeg4LowComplexity,
    })
    .map_err(|e| invalid("aac encoder", e))?;
    let info = enc.info().map_err(|e| invalid("aac encoder", e))?;
    let frame_len = info.frameLength.max(1) as usize;
    let delay = info.nDelay as usize;
    let asc = info.confBuf[..(info.confSize as usize).min(info.confBuf.len())].to_vec();
    let frames = samples.len() / ch;

    // Input: the samples, then zeros enough to push the last real sample
    // through the encoder's delay line (the edit list hides the extra).
    let total = frames + delay + frame_len;
    let mut pcm: Vec<i16> = Vec::with_capacity(total * ch);
    pcm.extend(
        samples[..frames * ch]
            .iter()
            .map(|&s| s.clamp(-32768, 32767) as i16),
    );
    pcm.resize(total * ch, 0);

    let mut mdat = Vec::new();
    let mut sizes = Vec::new();
    let mut out = vec![0u8; (info.maxOutBufBytes as usize).max(8192)];
    let mut pos = 0;
    while pos < pcm.len() {
        // Feed one frame at a time so each call yields at most one packet.
        let end = (pos + frame_len * ch).min(pcm.len());
        let r = enc
            .encode(&pcm[pos..end], &mut out)
            .map_err(|e| invalid("aac encode", e))?;
        if r.output_size > 0 {
            mdat.extend_from_slice(&out[..r.output_size]);
            sizes.push(r.output_size as u32);
        }
        if r.input_consumed == 0 && r.output_size == 0 {
            break; // the encoder wants nothing more: avoid spinning
        }
        pos += r.input_consumed;
    }
    // Packets needed to cover the priming plus every real frame.
    let needed = (delay + frames).div_ceil(frame_len);
    if sizes.len() < needed {
        return Err(Error::encode(
            EncodeStage::Encoder,
            format!(
                "aac encode: {} packets for {} frames (expected {needed})",
                sizes.len(),
                frames
            ),
        ));
    }
    let avg_bitrate = if frames > 0 {
        (mdat.len() as f64 * 8.0 * rate as f64 / frames as f64) as u32
    } else {
        0
    };
    let entry = aac_sample_entry(channels, rate, &asc, avg_bitrate, max_of(&sizes));
    Ok(mux(Mux {
        rate,
        entry,
        packet_frames: frame_len as u32,
        last_packet_frames: frame_len as u32,
        sizes,
        mdat,
        edit: Some((delay as u64, frames as u64)),
    }))
}

fn max_of(v: &[u32]) -> u32 {
    v.iter().copied().max().unwrap_or(0)
}

/// Frames per ALAC packet (Apple's default).
const ALAC_FRAMES: usize = 4096;

/// Encode ALAC into an .m4a. The encoder crate takes 16-bit PCM only.
pub fn encode_alac(pcm: Pcm<'_>) -> Result<Vec<u8>> {
    use alac_encoder::{AlacEncoder, FormatDescription};
    if pcm.bits != 16 {
        return Err(Error::encode(
            EncodeStage::Encoder,
            format!("alac: {}-bit audio not supported (16 only)", pcm.bits),
        ));
    }
    if !(1..=2).contains(&pcm.channels) {
        return Err(Error::encode(
            EncodeStage::Encoder,
            format!("alac: {} channels (1 or 2 supported)", pcm.channels),
        ));
    }
    let ch = pcm.channels as usize;
    let rate = pcm.samplerate;
    let out_fmt = FormatDescription::alac(rate as f64, ALAC_FRAMES as u32, ch as u32);
    let in_fmt = FormatDescription::pcm::<i16>(rate as f64, ch as u32);
    let mut enc = AlacEncoder::new(&out_fmt);
    let mut buf = vec![0u8; out_fmt.max_packet_size()];
    let frames = pcm.samples.len() / ch;
    let mut mdat = Vec::new();
    let mut sizes = Vec::new();
    let mut bytes = Vec::with_capacity(ALAC_FRAMES * ch * 2);
    for packet in pcm.samples[..frames * ch].chunks(ALAC_FRAMES * ch) {
        bytes.clear();
        for &s in packet {
            bytes.extend_from_slice(&(s.clamp(-32768, 32767) as i16).to_ne_bytes());
        }
        let n = enc.encode(&in_fmt, &bytes, &mut buf);
        mdat.extend_from_slice(&buf[..n]);
        sizes.push(n as u32);
    }
    let last = match frames % ALAC_FRAMES {
        0 => ALAC_FRAMES,
        r => r,
    };
    let entry = alac_sample_entry(pcm.channels, rate, &enc.magic_cookie());
    Ok(mux(Mux {
        rate,
        entry,
        packet_frames: ALAC_FRAMES as u32,
        last_packet_frames: last as u32,
        sizes,
        mdat,
        edit: None,
    }))
}

/// Everything the muxer needs for one audio track.
struct Mux {
    rate: u32,
    /// The `stsd` sample entry (`mp4a` or `alac` box).
    entry: Vec<u8>,
    packet_frames: u32,
    last_packet_frames: u32,
    sizes: Vec<u32>,
    mdat: Vec<u8>,
    /// (priming frames to skip, frames to play), as an edit list.
    edit: Option<(u64, u64)>,
}

/// A box: size, type, payload.
fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&((8 + payload.len()) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

/// A full box: version 0, flags, payload.
fn full(kind: &[u8; 4], flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = (flags & 0xFF_FFFF).to_be_bytes().to_vec();
    p.extend_from_slice(payload);
    bx(kind, &p)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The unity matrix of `mvhd`/`tkhd`.
const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

fn be32(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn mux(m: Mux) -> Vec<u8> {
    let packets = m.sizes.len() as u32;
    let media_frames: u64 = if packets == 0 {
        0
    } else {
        (packets as u64 - 1) * m.packet_frames as u64 + m.last_packet_frames as u64
    };
    let play = m.edit.map(|(_, n)| n).unwrap_or(media_frames);
    let ftyp = bx(b"ftyp", b"M4A \x00\x00\x02\x00M4A mp42isom\x00\x00\x00\x00");
    let mdat_header = 8usize;
    let chunk_offset = ftyp.len() + mdat_header;
    let mdat = {
        let mut v = Vec::with_capacity(8 + m.mdat.len());
        v.extend_from_slice(&((8 + m.mdat.len()) as u32).to_be_bytes());
        v.extend_from_slice(b"mdat");
        v.extend_from_slice(&m.mdat);
        v
    };
    let dur32 = |d: u64| d.min(u32::MAX as u64) as u32;

    let mvhd = full(
        b"mvhd",
        0,
        &cat(&[
            &be32(&[0, 0, m.rate, dur32(play), 0x10000]),
            &0x0100u16.to_be_bytes(),
            &[0; 10],
            &be32(&MATRIX),
            &[0; 24],
            &2u32.to_be_bytes(), // next track id
        ]),
    );
    let tkhd = full(
        b"tkhd",
        7, // enabled, in movie, in preview
        &cat(&[
            &be32(&[0, 0, 1, 0, dur32(play), 0, 0]),
            &[0, 0, 0, 0], // layer, alternate group
            &0x0100u16.to_be_bytes(),
            &[0, 0],
            &be32(&MATRIX),
            &be32(&[0, 0]), // width, height
        ]),
    );
    let edts = m.edit.map(|(skip, n)| {
        bx(
            b"edts",
            &full(b"elst", 0, &be32(&[1, dur32(n), skip as u32, 0x10000])),
        )
    });
    let mdhd = full(
        b"mdhd",
        0,
        &cat(&[
            &be32(&[0, 0, m.rate, dur32(media_frames)]),
            &0x55C4u16.to_be_bytes(), // language "und"
            &[0, 0],
        ]),
    );
    let hdlr = full(
        b"hdlr",
        0,
        &cat(&[&[0; 4], b"soun", &[0; 12], b"SoundHandler\0"]),
    );
    let smhd = full(b"smhd", 0, &[0; 4]);
    let dinf = bx(
        b"dinf",
        &full(
            b"dref",
            0,
            &cat(&[&1u32.to_be_bytes(), &full(b"url ", 1, &[])]),
        ),
    );
    let stsd = full(b"stsd", 0, &cat(&[&1u32.to_be_bytes(), &m.entry]));
    let stts = {
        let mut e = vec![];
        if packets > 0 {
            if m.last_packet_frames == m.packet_frames {
                e.push((packets, m.packet_frames));
            } else {
                if packets > 1 {
                    e.push((packets - 1, m.packet_frames));
                }
                e.push((1, m.last_packet_frames));
            }
        }
        let mut p = be32(&[e.len() as u32]);
        for (n, d) in e {
            p.extend(be32(&[n, d]));
        }
        full(b"stts", 0, &p)
    };
    let stsc = if packets > 0 {
        full(b"stsc", 0, &be32(&[1, 1, packets, 1]))
    } else {
        full(b"stsc", 0, &be32(&[0]))
    };
    let stsz = {
        let mut p = be32(&[0, packets]);
        p.extend(be32(&m.sizes));
        full(b"stsz", 0, &p)
    };
    let stco = if chunk_offset as u64 + m.mdat.len() as u64 > u32::MAX as u64 {
        let mut p = be32(&[1]);
        p.extend_from_slice(&(chunk_offset as u64).to_be_bytes());
        full(b"co64", 0, &p)
    } else {
        full(b"stco", 0, &be32(&[1, chunk_offset as u32]))
    };
    let stbl = bx(b"stbl", &cat(&[&stsd, &stts, &stsc, &stsz, &stco]));
    let minf = bx(b"minf", &cat(&[&smhd, &dinf, &stbl]));
    let mdia = bx(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
    let trak = bx(
        b"trak",
        &cat(&[&tkhd, edts.as_deref().unwrap_or_default(), &mdia]),
    );
    let moov = bx(b"moov", &cat(&[&mvhd, &trak]));
    cat(&[&ftyp, &mdat, &moov])
}

/// The common part of an audio sample entry (ISO 14496-12 AudioSampleEntry).
fn audio_entry_head(channels: u16, bits: u16, rate: u32) -> Vec<u8> {
    cat(&[
        &[0; 6],
        &1u16.to_be_bytes(), // data reference index
        &[0; 8],
        &channels.to_be_bytes(),
        &bits.to_be_bytes(),
        &[0; 4],
        // 16.16 fixed point; rates above 65535 Hz do not fit (the codec config carries them).
        &((rate.min(65_535)) << 16).to_be_bytes(),
    ])
}

/// An MPEG-4 descriptor: tag, length (one byte when short), payload.
fn descriptor(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = payload.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        v.extend_from_slice(&[
            0x80 | ((n >> 21) & 0x7F) as u8,
            0x80 | ((n >> 14) & 0x7F) as u8,
            0x80 | ((n >> 7) & 0x7F) as u8,
            (n & 0x7F) as u8,
        ]);
    }
    v.extend_from_slice(payload);
    v
}

fn aac_sample_entry(channels: u16, rate: u32, asc: &[u8], avg: u32, max_packet: u32) -> Vec<u8> {
    let dec_specific = descriptor(0x05, asc);
    let dec_config = descriptor(
        0x04,
        &cat(&[
            &[0x40, 0x15], // MPEG-4 audio; audio stream
            &max_packet.to_be_bytes()[1..],
            &be32(&[avg.max(1), avg.max(1)]),
            &dec_specific,
        ]),
    );
    let sl = descriptor(0x06, &[0x02]);
    let es = descriptor(0x03, &cat(&[&[0, 1, 0], &dec_config, &sl]));
    let esds = full(b"esds", 0, &es);
    bx(
        b"mp4a",
        &cat(&[&audio_entry_head(channels, 16, rate), &esds]),
    )
}

fn alac_sample_entry(channels: u16, rate: u32, cookie: &[u8]) -> Vec<u8> {
    let config = full(b"alac", 0, cookie);
    bx(
        b"alac",
        &cat(&[&audio_entry_head(channels, 16, rate), &config]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::dither;
    use crate::media::synth;
    use lofty::file::{AudioFile, TaggedFileExt};

    fn pcm(secs: f64, rate: u32) -> Vec<i32> {
        dither::quantize(&synth::music(9, secs, rate, 2), 16, false, 0)
    }

    fn probe(bytes: &[u8]) -> lofty::file::TaggedFile {
        lofty::probe::Probe::new(std::io::Cursor::new(bytes))
            .guess_file_type()
            .unwrap()
            .read()
            .unwrap()
    }

    #[test]
    fn aac_m4a_is_readable_with_right_length() {
        let s = pcm(2.0, 44_100);
        let m4a = encode_aac(&s, 2, 44_100, Some(192), None).unwrap();
        assert_eq!(&m4a[4..8], b"ftyp");
        let f = probe(&m4a);
        assert_eq!(f.file_type(), lofty::file::FileType::Mp4);
        let p = f.properties();
        assert_eq!(p.sample_rate(), Some(44_100));
        assert_eq!(p.channels(), Some(2));
        // lofty reports the media duration (priming and tail included)...
        let ms = p.duration().as_millis();
        assert!((2000..2100).contains(&ms), "{ms}");
        // ...while the movie (mvhd) and the edit list play exactly 2 s.
        let mvhd = m4a.windows(4).position(|w| w == b"mvhd").unwrap();
        let field = |at: usize| u32::from_be_bytes(m4a[at..at + 4].try_into().unwrap());
        assert_eq!((field(mvhd + 16), field(mvhd + 20)), (44_100, 88_200));
        let elst = m4a.windows(4).position(|w| w == b"elst").unwrap();
        assert_eq!(field(elst + 8), 1);
        assert_eq!(field(elst + 12), 88_200);
        assert!(field(elst + 16) > 0, "priming skipped");
        let kbps = p.audio_bitrate().unwrap();
        assert!((150..=230).contains(&kbps), "bitrate {kbps}");
    }

    #[test]
    fn alac_m4a_is_readable() {
        let s = pcm(1.3, 48_000);
        let m4a = encode_alac(Pcm {
            samples: &s,
            channels: 2,
            samplerate: 48_000,
            bits: 16,
        })
        .unwrap();
        let f = probe(&m4a);
        let p = f.properties();
        assert_eq!(p.sample_rate(), Some(48_000));
        assert_eq!(p.bit_depth(), Some(16));
        assert_eq!(p.duration().as_millis(), 1300);
        // Lossless compresses music-like audio below raw PCM size.
        assert!(m4a.len() < s.len() * 2, "{} >= {}", m4a.len(), s.len() * 2);
    }

    #[test]
    fn descriptor_lengths() {
        assert_eq!(descriptor(5, &[1, 2]), vec![5, 2, 1, 2]);
        let long = descriptor(5, &[0; 200]);
        assert_eq!(&long[..5], &[5, 0x80, 0x80, 0x81, 0x48]);
    }
}
