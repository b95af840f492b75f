//! Transcoding one source file into one output file: decode, mix channels,
//! resample, normalise loudness, pad (CD), dither and quantise, encode, tag,
//! add cover art, and write the result atomically.
//!
//! This is the audio half of export; the planner (profiles, names, folders,
//! discs, manifest) decides *what* to write and calls [`transcode`] for each
//! file, from rayon workers. Invariants:
//! - `dst` is written through a temporary sibling, fsynced and renamed
//!   (`fsops::write_atomic`): an error, a full disk or an interruption never
//!   leaves a partial file under `dst`.
//! - Nothing is global except a memory budget, so calls are thread-safe;
//!   the budget keeps several long, high-rate files from being held in
//!   memory at once (see [`super::budget::MemoryBudget`]).
//! - Dither is applied whenever quantisation loses precision (see
//!   [`super::dither::needs_dither`]); MP3 is fed floats and needs none.

use std::path::Path;

use crate::error::{EncodeStage, Error, Result};
use crate::fsops;
use crate::library::Track;
use crate::media::loudness::measure_samples;
use crate::media::replaygain::ReplayGain;
use crate::media::Decoded;

use super::encode::{self, Mp3Rate, Pcm};
use super::target::{AudioTarget, OutputFormat};
use super::{art, budget, dither, loudness, mp4, ogg, resample, tagging};

/// What a transcode produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeReport {
    pub samplerate: u32,
    pub channels: u16,
    /// Bits per sample of lossless output (`None` for MP3/AAC).
    pub bitdepth: Option<u16>,
    /// Duration of the output, padding included.
    pub seconds: f64,
    /// Sample frames in the output.
    pub frames: u64,
    /// Loudness gain applied, in dB.
    pub gain_db: Option<f64>,
    /// Loudness measured here on the source (LUFS, dBTP), for the planner
    /// to store (None when the library already had it, or the audio was
    /// remixed first).
    pub loudness: Option<(f64, f64)>,
    /// Bytes written to `dst`.
    pub bytes: u64,
    /// Things the user should know (decode problems, downmixes, art dropped).
    pub warnings: Vec<String>,
}

/// Transcode `src` to `dst` as `target` says, with `track`'s library tags.
/// `dst` is replaced atomically if it exists; on error nothing is left there.
pub fn transcode(
    src: &Path,
    track: &Track,
    target: &AudioTarget,
    dst: &Path,
) -> Result<TranscodeReport> {
    transcode_with(src, track, target, dst, &|p| decode_track_at(p, track))
}

/// A track's samples: its file's, or for a track of a CUE image the
/// image's samples in its range only.
pub fn decode_track(track: &Track) -> Result<Decoded> {
    decode_track_at(&track.path, track)
}

/// [`decode_track`] of the file at `path` (the track's, or a copy of it).
fn decode_track_at(path: &Path, track: &Track) -> Result<Decoded> {
    match track.cue {
        Some(c) => crate::media::ranges::decode_range(path, c.start, c.end),
        None => crate::media::decode(path, None),
    }
}

/// [`transcode`] with the decoder given (tests and callers holding PCM).
pub fn transcode_with(
    src: &Path,
    track: &Track,
    target: &AudioTarget,
    dst: &Path,
    decode: &dyn Fn(&Path) -> Result<Decoded>,
) -> Result<TranscodeReport> {
    target.validate()?;
    let _permit = budget::MEMORY.acquire(budget::estimate_bytes(src, track));
    let decoded = decode(src)?;
    let cover = if target.options.no_art {
        None
    } else {
        art::front_cover(src)
    };
    // Encoders and parsers run on untrusted data (art, odd sample counts):
    // a panic fails this file only, never the whole export.
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        render(decoded, track, target, cover.as_deref())
    }))
    .unwrap_or_else(|_| {
        Err(Error::encode(
            EncodeStage::Panic,
            "internal error while encoding (panic)",
        ))
    });
    let (bytes, mut report) = rendered.map_err(|e| match e {
        Error::Encode { reason, .. } => Error::at(src, reason),
        e => e,
    })?;
    fsops::write_atomic(dst, &bytes, true)?;
    report.bytes = bytes.len() as u64;
    Ok(report)
}

/// Turn decoded audio into the bytes of an output file (tags and art
/// included), without touching the filesystem.
pub fn render(
    decoded: Decoded,
    track: &Track,
    target: &AudioTarget,
    cover: Option<&[u8]>,
) -> Result<(Vec<u8>, TranscodeReport)> {
    let format = target.format;
    let mut warnings: Vec<String> = decoded
        .errors
        .iter()
        .map(|e| format!("decode: {e}"))
        .collect();
    let src_ch = decoded.channels;
    let src_rate = decoded.samplerate;
    let src_frames = decoded.samples.len() as u64 / src_ch.max(1) as u64;
    if src_ch == 0 || src_rate == 0 || decoded.samples.is_empty() {
        return Err(Error::encode(EncodeStage::Decode, "no audio decoded"));
    }
    let mut processed = false;

    // Channels.
    let mut ch = target.channels.unwrap_or(src_ch).min(format.max_channels());
    if src_ch > 2 && ch > 2 && ch != src_ch {
        ch = 2;
    }
    let (mut samples, scaled) = resample::remix(decoded.samples, src_ch, ch)?;
    if ch != src_ch {
        processed = true;
        if target.channels != Some(ch) {
            warnings.push(format!(
                "mixed {src_ch} channels to {ch} ({format} carries at most {})",
                format.max_channels()
            ));
        }
    }
    if scaled {
        warnings.push("downmix scaled down to avoid clipping".into());
    }

    // Sample rate.
    let rate = target
        .options
        .samplerate
        .unwrap_or_else(|| format.default_rate(src_rate));
    if rate != src_rate {
        samples = resample::resample(&samples, ch, src_rate, rate)?;
        processed = true;
    }

    // Loudness: the library's measurement when the channels are kept,
    // else measured here when a gain or a ReplayGain tag needs it.
    let normalize = target.options.normalize;
    let remixed = ch != src_ch;
    let stored = track.loudness.zip(track.true_peak);
    let source_rg = loudness::source_replaygain(track);
    let now = match stored {
        Some(s) if !remixed => Some(s),
        _ if normalize.is_some() || (remixed && !source_rg.is_empty()) => {
            Some(measure_samples(&samples, rate, ch)?)
        }
        _ => None,
    };
    // Measured here on the source's channels: for the library to keep.
    let measured = now.filter(|_| !remixed && stored.is_none());
    let rg = match now {
        Some(m) if remixed && !source_rg.is_empty() => loudness::remixed(&source_rg, m),
        Some(m) => ReplayGain::from_loudness(Some(m), None).or(&source_rg),
        None => source_rg,
    };
    let mut gain_db = None;
    let mut applied = 0.0;
    if let (Some(target_lufs), Some((lufs, tp))) = (normalize, now) {
        // Album mode: the album's values (measured before the export), the
        // same for every track of it; a track without them gets its own.
        let album = (target.options.normalize_album && track.album_loudness.is_some())
            .then(|| loudness::as_loudness(rg.album_gain, rg.album_peak))
            .flatten();
        let (l, p) = album.unwrap_or((lufs, tp));
        if let Some(g) = loudness::normalization_gain(target_lufs, l, p) {
            if g.abs() > 0.01 {
                loudness::apply_gain(&mut samples, g);
                processed = true;
                applied = g;
            }
            gain_db = Some(g);
        } else {
            warnings.push("silent track: not normalised".into());
        }
    }
    // The tags describe the output: gains less what was baked in, peaks
    // scaled by it.
    let rg = rg.after_gain(applied);

    // Padding (CD): a minimum length, then whole sectors.
    let chn = ch as usize;
    let mut frames = samples.len() / chn;
    samples.truncate(frames * chn);
    if let Some(min) = target.min_seconds {
        let want = (min * rate as f64).ceil() as usize;
        if frames < want {
            frames = want;
        }
    }
    if target.pad_to_sector {
        frames = frames.div_ceil(SECTOR_FRAMES) * SECTOR_FRAMES;
    }
    samples.resize(frames * chn, 0.0);

    // Encode.
    let bits = match format {
        f if !f.is_lossless() => 16,
        _ => target
            .options
            .bitdepth
            .unwrap_or_else(|| default_bits(format, decoded.bits_per_sample)),
    };
    if format == OutputFormat::Alac && decoded.bits_per_sample.is_some_and(|b| b > 16) {
        warnings.push(format!(
            "ALAC is written at 16 bits (dithered from {}); use --format flac to keep 24 bits",
            decoded.bits_per_sample.unwrap_or(0)
        ));
    }
    let seed = (track.id as u64) ^ ((frames as u64) << 20);
    let quantize = |samples: &[f32]| {
        let d = dither::needs_dither(decoded.bits_per_sample, bits, processed);
        dither::quantize(samples, bits, d, seed)
    };
    let mut bytes = match format {
        OutputFormat::Mp3 => {
            let mode = match (target.options.bitrate_kbps, target.options.vbr_quality) {
                (_, Some(q)) => Mp3Rate::Vbr(q),
                (Some(b), None) => Mp3Rate::Cbr(b),
                (None, None) => Mp3Rate::Cbr(320),
            };
            encode::encode_mp3_f32(&samples, ch, rate, mode)?
        }
        OutputFormat::Opus | OutputFormat::Vorbis => {
            let audio = ogg::Audio {
                samples: &samples,
                channels: ch,
                rate,
            };
            let source = ogg::Source {
                rate: src_rate,
                frames: src_frames,
            };
            let out = ogg::encode(format, audio, source, &target.options, seed)?;
            frames = out.frames;
            warnings.extend(out.note);
            out.bytes
        }
        OutputFormat::Aac => {
            let ints = quantize(&samples);
            drop(samples);
            mp4::encode_aac(
                &ints,
                ch,
                rate,
                target.options.bitrate_kbps,
                target.options.vbr_quality,
            )?
        }
        _ => {
            let ints = quantize(&samples);
            drop(samples);
            let pcm = Pcm {
                samples: &ints,
                channels: ch,
                samplerate: rate,
                bits,
            };
            match format {
                OutputFormat::Wav => encode::encode_wav(pcm)?,
                OutputFormat::Flac => encode::encode_flac(pcm)?,
                OutputFormat::Aiff => encode::encode_aiff(pcm)?,
                _ => mp4::encode_alac(pcm)?,
            }
        }
    };

    // Tags and art.
    let picture = match cover {
        Some(data) => match art::prepare_cover(data, target.art_max_px) {
            Ok(p) => Some(p),
            Err(e) => {
                warnings.push(format!("{e}; exported without art"));
                None
            }
        },
        None => None,
    };
    tagging::write_target_tags(&mut bytes, track, &rg, picture.as_ref(), target)?;

    let report = TranscodeReport {
        samplerate: rate,
        channels: ch,
        bitdepth: format.is_lossless().then_some(bits),
        seconds: frames as f64 / rate as f64,
        frames: frames as u64,
        gain_db,
        loudness: measured,
        bytes: bytes.len() as u64,
        warnings,
    };
    Ok((bytes, report))
}

/// An estimate of the bytes `target` will write for `track` (for checking
/// free space before an export). Errs on the high side: lossless outputs
/// count as uncompressed PCM, and 300 kB are allowed for tags and art.
pub fn estimate_size(track: &Track, target: &AudioTarget) -> u64 {
    let p = &track.props;
    let src_rate = p.samplerate.unwrap_or(44_100);
    let mut secs = p.length.unwrap_or(0.0).max(0.0);
    if let Some(min) = target.min_seconds {
        secs = secs.max(min);
    }
    let rate = target
        .options
        .samplerate
        .unwrap_or_else(|| target.format.default_rate(src_rate)) as f64;
    let src_ch = p.channels.unwrap_or(2).clamp(1, 32) as u16;
    let ch = target
        .channels
        .unwrap_or(src_ch)
        .min(target.format.max_channels()) as f64;
    let overhead = if target.options.no_art {
        64_000.0
    } else {
        300_000.0
    };
    let audio = match target.estimate_kbps(ch as u16) {
        Some(kbps) => secs * kbps * 125.0,
        None => {
            let bits = target
                .options
                .bitdepth
                .unwrap_or_else(|| default_bits(target.format, p.bitdepth))
                as f64;
            let frames = if target.pad_to_sector {
                ((secs * rate) / SECTOR_FRAMES as f64).ceil() * SECTOR_FRAMES as f64
            } else {
                secs * rate
            };
            frames * ch * bits / 8.0
        }
    };
    (audio + overhead).ceil() as u64
}

/// Frames in one CD sector: 2352 bytes of 16-bit stereo.
pub const SECTOR_FRAMES: usize = 588;

/// The output bit depth when the target leaves it open: the source's depth
/// rounded up to one the format takes (16 for lossy or unknown sources).
fn default_bits(format: OutputFormat, src: Option<u32>) -> u16 {
    let want = match src {
        Some(b) if b > 16 => 24,
        _ => 16,
    };
    if format.bit_depths().contains(&want) {
        want
    } else {
        16
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::export::target::AudioOptions;
    use crate::library::track::{AudioProps, Tags};
    use crate::media::synth;
    use lofty::file::{AudioFile, TaggedFileExt};
    use lofty::tag::{Accessor, ItemKey};
    use std::path::PathBuf;

    pub(crate) fn tags() -> Tags {
        Tags {
            title: Some("Café del Mar".into()),
            artist: Some("東京 Orchestra".into()),
            album: Some("Road Trip".into()),
            albumartist: Some("Various Artists".into()),
            genre: Some("Ambient".into()),
            year: Some(1999),
            track: Some(3),
            tracktotal: Some(12),
            disc: Some(1),
            disctotal: Some(2),
            mb_trackid: Some("0b4f9a4e-5a3c-4d1f-9d6e-1b2c3d4e5f60".into()),
            mb_albumid: Some("1c5e0a5f-6b4d-4e2f-8e7f-2c3d4e5f6071".into()),
            mb_artistid: Some("2d6f1b60-7c5e-4f30-9f80-3d4e5f607182".into()),
            mb_releasetrackid: Some("3e702c71-8d6f-4041-8091-4e5f60718293".into()),
            ..Tags::default()
        }
    }

    /// Write a FLAC fixture (`secs` of synth music) with embedded cover art.
    /// Returns the path and its library track.
    pub(crate) fn flac_fixture(
        dir: &Path,
        name: &str,
        secs: f64,
        rate: u32,
        channels: u16,
        bits: u16,
        cover: Option<Vec<u8>>,
    ) -> (PathBuf, Track) {
        let f = synth::music(7, secs, rate, channels);
        let ints = dither::quantize(&f, bits, false, 0);
        let mut bytes = encode::encode_flac(Pcm {
            samples: &ints,
            channels,
            samplerate: rate,
            bits,
        })
        .unwrap();
        let pic = cover.map(|c| art::prepare_cover(&c, None).unwrap());
        let rg = ReplayGain::default();
        tagging::write_tags(
            &mut bytes,
            OutputFormat::Flac,
            &tags(),
            &rg,
            pic.as_ref(),
            false,
        )
        .unwrap();
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let track = Track {
            id: 42,
            path: path.clone(),
            tags: tags(),
            props: AudioProps {
                format: Some("flac".into()),
                lossless: Some(true),
                length: Some(secs),
                samplerate: Some(rate),
                channels: Some(channels as u32),
                bitdepth: Some(bits as u32),
                ..AudioProps::default()
            },
            ..Track::default()
        };
        (path, track)
    }

    fn run(src: &Path, track: &Track, target: &AudioTarget, dst: &Path) -> Result<TranscodeReport> {
        transcode(src, track, target, dst)
    }

    fn no_temp_files(dir: &Path) -> bool {
        std::fs::read_dir(dir)
            .unwrap()
            .all(|e| !fsops::is_temp_name(&e.unwrap().path()))
    }

    /// The text encoding byte of an ID3v2 frame.
    fn id3_frame_encoding(bytes: &[u8], id: &[u8; 4]) -> u8 {
        let at = bytes
            .windows(4)
            .position(|w| w == id)
            .expect("frame present");
        bytes[at + 10]
    }

    #[test]
    fn car_mp3_from_48k_and_96k_24_bit_flac() {
        let dir = tempfile::tempdir().unwrap();
        let cover = art::tests::png(800, 600);
        for rate in [48_000, 96_000] {
            let (src, track) = flac_fixture(
                dir.path(),
                &format!("in{rate}.flac"),
                3.0,
                rate,
                2,
                24,
                Some(cover.clone()),
            );
            let dst = dir.path().join(format!("out/{rate}.mp3"));
            let rep = run(&src, &track, &AudioTarget::car(&Default::default()), &dst).unwrap();
            assert_eq!(
                (rep.samplerate, rep.channels, rep.bitdepth),
                (44_100, 2, None)
            );
            assert_eq!(rep.frames, 132_300);
            let bytes = std::fs::read(&dst).unwrap();
            assert_eq!(rep.bytes, bytes.len() as u64);
            // ID3v2.3 header: "ID3", major version 3.
            assert_eq!(tagging::id3v2_version(&bytes), Some(3));
            // Latin-1 where it fits (0), UTF-16 where it does not (1).
            assert_eq!(id3_frame_encoding(&bytes, b"TIT2"), 0);
            assert_eq!(id3_frame_encoding(&bytes, b"TPE1"), 1);
            assert!(bytes.windows(4).any(|w| w == b"TYER"), "v2.3 year frame");

            let f = lofty::read_from_path(&dst).unwrap();
            assert_eq!(f.properties().sample_rate(), Some(44_100));
            assert_eq!(f.properties().channels(), Some(2));
            let ms = f.properties().duration().as_millis();
            assert!((2950..=3100).contains(&ms), "duration {ms} ms");
            assert!(f.properties().audio_bitrate().unwrap() >= 300, "320k CBR");
            let t = f.primary_tag().unwrap();
            assert_eq!(t.title().as_deref(), Some("Café del Mar"));
            assert_eq!(t.artist().as_deref(), Some("東京 Orchestra"));
            assert_eq!(t.album().as_deref(), Some("Road Trip"));
            assert_eq!(t.get_string(ItemKey::AlbumArtist), Some("Various Artists"));
            assert_eq!(t.genre().as_deref(), Some("Ambient"));
            assert_eq!((t.track(), t.track_total()), (Some(3), Some(12)));
            assert_eq!((t.disk(), t.disk_total()), (Some(1), Some(2)));
            assert_eq!(t.date().map(|d| d.year), Some(1999));
            for (key, want) in [
                (ItemKey::MusicBrainzRecordingId, &tags().mb_trackid),
                (ItemKey::MusicBrainzReleaseId, &tags().mb_albumid),
                (ItemKey::MusicBrainzArtistId, &tags().mb_artistid),
                (ItemKey::MusicBrainzTrackId, &tags().mb_releasetrackid),
            ] {
                assert_eq!(t.get_string(key), want.as_deref(), "{key:?}");
            }
            let pic = &t.pictures()[0];
            assert_eq!(pic.pic_type(), lofty::picture::PictureType::CoverFront);
            let (w, h) = art::image_size(pic.data()).unwrap();
            assert!(w <= 300 && h <= 300, "{w}x{h}");
            assert_eq!((w, h), (300, 225));
            assert!(!art::jpeg_is_progressive(pic.data()));
            assert!(no_temp_files(dst.parent().unwrap()));
        }
    }

    #[test]
    fn vbr_and_id3v24_and_no_art() {
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(
            dir.path(),
            "a.flac",
            2.0,
            44_100,
            2,
            16,
            Some(art::tests::png(64, 64)),
        );
        let target = AudioTarget::of_format(
            OutputFormat::Mp3,
            &AudioOptions {
                vbr_quality: Some(0),
                no_art: true,
                ..Default::default()
            },
        );
        let dst = dir.path().join("a.mp3");
        run(&src, &track, &target, &dst).unwrap();
        let bytes = std::fs::read(&dst).unwrap();
        assert_eq!(&bytes[..4], b"ID3\x04");
        let f = lofty::read_from_path(&dst).unwrap();
        assert!(f.primary_tag().unwrap().pictures().is_empty());
        assert_eq!(f.properties().sample_rate(), Some(44_100));
    }

    #[test]
    fn cd_wav_is_44k_16_bit_stereo_sector_padded() {
        let dir = tempfile::tempdir().unwrap();
        // A 24-bit 96 kHz stereo track of 2.5 s and a 1 s mono 48 kHz one.
        let (src, track) = flac_fixture(dir.path(), "hi.flac", 5.01, 96_000, 2, 24, None);
        let (short, strack) = flac_fixture(dir.path(), "short.flac", 1.0, 48_000, 1, 16, None);
        for (s, t, min_frames) in [(&src, &track, 220_941usize), (&short, &strack, 176_400)] {
            let dst = dir
                .path()
                .join("cd")
                .join(s.file_name().unwrap())
                .with_extension("wav");
            let rep = run(s, t, &AudioTarget::cd(&Default::default()), &dst).unwrap();
            let r = hound::WavReader::open(&dst).unwrap();
            let spec = r.spec();
            assert_eq!(
                (spec.sample_rate, spec.bits_per_sample, spec.channels),
                (44_100, 16, 2)
            );
            let data_bytes = r.len() as usize * 2;
            assert_eq!(data_bytes % 2352, 0, "not sector aligned: {data_bytes}");
            assert_eq!(rep.frames as usize * 4, data_bytes);
            assert!(rep.frames as usize >= min_frames);
            assert!((rep.frames as usize) < min_frames + SECTOR_FRAMES);
        }
    }

    #[test]
    fn lossless_formats_keep_tags_and_exact_samples() {
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(
            dir.path(),
            "s.flac",
            1.5,
            44_100,
            2,
            16,
            Some(art::tests::png(40, 30)),
        );
        let want = crate::media::decode(&src, None).unwrap();
        for format in [OutputFormat::Flac, OutputFormat::Wav, OutputFormat::Aiff] {
            let dst = dir.path().join(format!("o.{}", format.extension()));
            let rep = run(&src, &track, &AudioTarget::new(format), &dst).unwrap();
            assert_eq!(rep.bitdepth, Some(16));
            let f = lofty::read_from_path(&dst).unwrap();
            assert_eq!(f.properties().sample_rate(), Some(44_100), "{format}");
            assert_eq!(f.properties().bit_depth(), Some(16), "{format}");
            let t = f.primary_tag().unwrap();
            assert_eq!(t.title().as_deref(), Some("Café del Mar"), "{format}");
            assert_eq!(t.track(), Some(3), "{format}");
            assert_eq!(
                t.get_string(ItemKey::MusicBrainzReleaseId),
                tags().mb_albumid.as_deref(),
                "{format}"
            );
            assert_eq!(t.pictures().len(), 1, "{format}: cover carried");
            if format == OutputFormat::Wav {
                // Undithered, unprocessed 16-bit: the samples are exact.
                let got: Vec<i32> = hound::WavReader::open(&dst)
                    .unwrap()
                    .samples::<i16>()
                    .map(|s| s.unwrap() as i32)
                    .collect();
                let exp = dither::quantize(&want.samples, 16, false, 0);
                assert_eq!(got, exp);
            }
        }
    }

    #[test]
    fn aac_and_alac_m4a_carry_tags_and_art() {
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(
            dir.path(),
            "m.flac",
            2.0,
            48_000,
            2,
            24,
            Some(art::tests::png(500, 500)),
        );
        for format in [OutputFormat::Aac, OutputFormat::Alac] {
            let dst = dir.path().join(format!("{format}.m4a"));
            let target = AudioTarget {
                art_max_px: Some(300),
                ..AudioTarget::new(format)
            };
            let rep = run(&src, &track, &target, &dst).unwrap();
            assert_eq!(rep.frames, 96_000);
            assert_eq!(
                rep.warnings.iter().any(|w| w.contains("16 bits")),
                format == OutputFormat::Alac
            );
            let f = lofty::read_from_path(&dst).unwrap();
            assert_eq!(f.properties().sample_rate(), Some(48_000), "{format}");
            let ms = f.properties().duration().as_millis();
            assert!((2000..2100).contains(&ms), "{format}: {ms}");
            let t = f.primary_tag().unwrap();
            assert_eq!(t.tag_type(), lofty::tag::TagType::Mp4Ilst);
            assert_eq!(t.artist().as_deref(), Some("東京 Orchestra"));
            assert_eq!((t.disk(), t.disk_total()), (Some(1), Some(2)));
            assert_eq!(
                t.get_string(ItemKey::MusicBrainzRecordingId),
                tags().mb_trackid.as_deref()
            );
            let (w, h) = art::image_size(t.pictures()[0].data()).unwrap();
            assert!(w <= 300 && h <= 300);
        }
    }

    #[test]
    fn normalize_reaches_target_or_stops_at_true_peak() {
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(dir.path(), "n.flac", 6.0, 44_100, 2, 24, None);
        let read = |p: &Path| -> Vec<f32> {
            hound::WavReader::open(p)
                .unwrap()
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / 8_388_608.0)
                .collect()
        };
        let level = |lufs| AudioOptions {
            normalize: Some(lufs),
            ..Default::default()
        };
        let quiet = AudioTarget::of_format(OutputFormat::Wav, &level(-23.0));
        let dst = dir.path().join("q.wav");
        let rep = run(&src, &track, &quiet, &dst).unwrap();
        assert!(rep.gain_db.unwrap() < 0.0);
        let (lufs, _) = measure_samples(&read(&dst), 44_100, 2).unwrap();
        assert!((lufs + 23.0).abs() < 0.1, "{lufs}");
        // A target louder than the peaks allow: limited to -1 dBTP.
        let loud = AudioTarget::of_format(OutputFormat::Wav, &level(-3.0));
        let dst = dir.path().join("l.wav");
        let rep = run(&src, &track, &loud, &dst).unwrap();
        let (lufs, tp) = measure_samples(&read(&dst), 44_100, 2).unwrap();
        let (src_lufs, src_tp) = rep.loudness.unwrap();
        assert!(lufs < -3.5, "not limited: {lufs}");
        assert!(tp <= -0.95, "true peak {tp}");
        assert!((rep.gain_db.unwrap() - (-1.0 - src_tp)).abs() < 1e-9);
        assert!(src_lufs < lufs);
    }

    #[test]
    fn failures_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let track = Track::default();
        // A source that does not decode: error names it, no output.
        let bad = dir.path().join("bad.flac");
        std::fs::write(&bad, b"not audio").unwrap();
        let dst = dir.path().join("out/bad.mp3");
        let e = run(&bad, &track, &AudioTarget::car(&Default::default()), &dst).unwrap_err();
        assert!(e.to_string().contains("bad.flac"), "{e}");
        assert!(!dst.exists());
        // Bad options are refused before any work.
        let mut t = AudioTarget::car(&Default::default());
        t.options.bitrate_kbps = Some(512);
        assert!(run(&bad, &track, &t, &dst)
            .unwrap_err()
            .to_string()
            .contains("320k"));
        // A destination that is a file where a folder should be.
        let (src, track) = flac_fixture(dir.path(), "ok.flac", 0.5, 44_100, 2, 16, None);
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let dst = dir.path().join("file/x.wav");
        assert!(run(&src, &track, &AudioTarget::cd(&Default::default()), &dst).is_err());
        assert!(no_temp_files(dir.path()));
    }

    /// Runs in a child process (see `full_disk_leaves_no_partial_file`) with
    /// RLIMIT_FSIZE low, as if the disk filled up mid-write.
    #[test]
    #[ignore = "run by full_disk_leaves_no_partial_file in a child process"]
    fn full_disk_child() {
        let Ok(dir) = std::env::var("MIXTAPE_FULL_DISK_DIR") else {
            return;
        };
        let dir = PathBuf::from(dir);
        let (src, track) = flac_fixture(&dir, "big.flac", 3.0, 44_100, 2, 16, None);
        let dst = dir.join("out/big.wav");
        match run(&src, &track, &AudioTarget::cd(&Default::default()), &dst) {
            Ok(_) => println!("RESULT: ok"),
            Err(e) => println!("RESULT: error: {e}"),
        }
    }

    #[test]
    fn full_disk_leaves_no_partial_file() {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args(["--ignored", "--exact", "--nocapture"])
            .arg("export::transcode::tests::full_disk_child")
            .env("MIXTAPE_FULL_DISK_DIR", dir.path());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // 3 s of CD audio is ~530 kB: allow the fixture (~400 kB FLAC), not the WAV.
                let lim = libc::rlimit {
                    rlim_cur: 450_000,
                    rlim_max: 450_000,
                };
                libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("RESULT:"))
            .unwrap_or_else(|| panic!("child did not report: {stdout}"));
        assert!(line.contains("error") && line.contains("big.wav"), "{line}");
        assert!(
            line.contains("too large") || line.contains("space"),
            "{line}"
        );
        let out_dir = dir.path().join("out");
        assert!(!out_dir.join("big.wav").exists());
        assert!(no_temp_files(&out_dir), "temp file left behind");
    }

    /// Outputs decode with mixtape's own decoder (symphonia): lossless ones
    /// bit-exact against the source, lossy ones at the right rate and length.
    #[test]
    fn outputs_decode_back_with_our_decoder() {
        let dir = tempfile::tempdir().unwrap();
        let (src24, t24) = flac_fixture(dir.path(), "d24.flac", 2.0, 48_000, 2, 24, None);
        let (src16, t16) = flac_fixture(dir.path(), "d16.flac", 2.0, 44_100, 2, 16, None);
        let decode = |p: &Path| crate::media::decode(p, None).unwrap();
        let s24 = decode(&src24);
        assert_eq!(s24.bits_per_sample, Some(24));
        let s16 = decode(&src16);
        // Lossless at the source's depth: bit-exact.
        for (src, track, want, format) in [
            (&src24, &t24, &s24, OutputFormat::Flac),
            (&src24, &t24, &s24, OutputFormat::Wav),
            (&src24, &t24, &s24, OutputFormat::Aiff),
            (&src16, &t16, &s16, OutputFormat::Alac),
            (&src16, &t16, &s16, OutputFormat::Flac),
        ] {
            let dst = dir
                .path()
                .join(format!("rt-{format}.{}", format.extension()));
            run(src, track, &AudioTarget::new(format), &dst).unwrap();
            let got = decode(&dst);
            assert_eq!(got.samplerate, want.samplerate, "{format}");
            assert_eq!(got.channels, want.channels, "{format}");
            assert_eq!(got.samples.len(), want.samples.len(), "{format}");
            assert!(got.samples == want.samples, "{format}: samples differ");
            assert!(got.errors.is_empty(), "{format}: {:?}", got.errors);
        }
        // Lossy: right rate, channels and length. MP3 is gapless to within a
        // frame (LAME Info header); symphonia ignores MP4 edit lists, so AAC
        // comes back with FDK's 2048 priming frames and a partial last packet
        // (ffmpeg, which honours `elst`, returns the source's alignment).
        for (target, rate, frames, slack) in [
            (
                AudioTarget::car(&Default::default()),
                44_100,
                88_200usize,
                1152,
            ),
            (
                AudioTarget::new(OutputFormat::Aac),
                48_000,
                96_000,
                2048 + 1024,
            ),
        ] {
            let dst = dir.path().join(format!("rt.{}", target.format.extension()));
            run(&src24, &t24, &target, &dst).unwrap();
            let got = decode(&dst);
            assert_eq!(
                (got.samplerate, got.channels),
                (rate, 2),
                "{}",
                target.format
            );
            let n = got.samples.len() / 2;
            assert!(
                n >= frames && n <= frames + slack,
                "{}: {n} frames, want {frames}",
                target.format
            );
        }
    }

    #[test]
    fn size_estimates_cover_real_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let (src, track) = flac_fixture(dir.path(), "e.flac", 5.0, 48_000, 2, 24, None);
        for target in [
            AudioTarget::car(&Default::default()),
            AudioTarget::cd(&Default::default()),
            AudioTarget::new(OutputFormat::Flac),
            AudioTarget::new(OutputFormat::Aac),
        ] {
            let dst = dir.path().join(format!("e.{}", target.format.extension()));
            let rep = run(&src, &track, &target, &dst).unwrap();
            let est = estimate_size(&track, &target);
            assert!(est >= rep.bytes, "{}: {est} < {}", target.format, rep.bytes);
            assert!(
                est < rep.bytes * 3 + 300_000,
                "{}: {est} vs {}",
                target.format,
                rep.bytes
            );
        }
    }

    #[test]
    fn defaults_and_validation() {
        assert_eq!(OutputFormat::Mp3.default_rate(96_000), 48_000);
        assert_eq!(OutputFormat::Mp3.default_rate(88_200), 44_100);
        assert_eq!(OutputFormat::Mp3.default_rate(22_050), 44_100);
        assert_eq!(OutputFormat::Flac.default_rate(96_000), 96_000);
        assert_eq!(OutputFormat::Opus.default_rate(44_100), 48_000);
        assert_eq!(OutputFormat::Vorbis.default_rate(22_050), 22_050);
        assert_eq!(default_bits(OutputFormat::Flac, Some(24)), 24);
        assert_eq!(default_bits(OutputFormat::Wav, None), 16);
        assert!(AudioTarget::car(&Default::default()).validate().is_ok());
        assert!(AudioTarget::cd(&Default::default()).validate().is_ok());
        let mut bad = AudioTarget::car(&Default::default());
        bad.options.samplerate = Some(96_000);
        assert!(bad.validate().unwrap_err().to_string().contains("44100"));
        for f in OutputFormat::ALL {
            assert_eq!(OutputFormat::parse(f.name()), Some(f));
        }
    }
}
