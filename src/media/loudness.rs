//! EBU R128 loudness (the `ebur128` crate, a port of libebur128):
//! integrated loudness (LUFS, gated) and true peak (dBTP, 4x oversampled
//! below 96 kHz), of samples in memory ([`measure_samples`], what export's
//! `--normalize` uses) or of a whole file or one CUE track's range decoded
//! as a stream ([`measure_file`], [`measure_range`]): the samples go to the
//! meter packet by packet and are never held, so memory stays small
//! whatever the length.
//!
//! A measurement keeps its meter, so that an album's loudness is the gated
//! loudness over all its tracks' audio together
//! ([`EbuR128::loudness_global_multiple`], the EBU's album loudness), not an
//! average of the tracks' values: [`album`].

use std::path::Path;

use ebur128::{EbuR128, Mode};

use super::decode::open_decodable;
use super::read::truncation;
use super::stream::{Frames, Sink, WalkOptions};
use crate::error::{EncodeStage, Error, MediaErrorKind, Problem, Result};

/// One measured stretch of audio.
#[derive(Debug)]
pub struct Loudness {
    /// Integrated loudness, LUFS (-inf for silence).
    pub lufs: f64,
    /// True peak, dBTP: the highest over the channels.
    pub true_peak: f64,
    /// Seconds measured.
    pub seconds: f64,
    /// Problems met while decoding (bad frames, truncation): the values
    /// cover what decoded.
    pub problems: Vec<Problem>,
    meter: EbuR128,
}

/// The meter's mode: integrated loudness (keeping every gating block, so
/// the value is exact, not binned) and true peak.
fn mode() -> Mode {
    Mode::I | Mode::TRUE_PEAK
}

/// The true peak over every channel of `m`, in dBTP.
fn peak_db(m: &EbuR128) -> std::result::Result<f64, ebur128::Error> {
    let mut peak = 0f64;
    for c in 0..m.channels() {
        peak = peak.max(m.true_peak(c)?);
    }
    Ok(20.0 * peak.max(1e-10).log10())
}

/// Integrated loudness (LUFS) and true peak (dBTP, the highest over
/// channels) of interleaved f32 audio. Silence measures as -inf LUFS.
pub fn measure_samples(samples: &[f32], rate: u32, channels: u16) -> Result<(f64, f64)> {
    let err = |e: ebur128::Error| Error::encode(EncodeStage::Loudness, format!("loudness: {e}"));
    let ch = channels.max(1) as u32;
    let mut m = EbuR128::new(ch, rate, mode()).map_err(err)?;
    // Feed in pieces so the meter's internal buffers stay small.
    for chunk in samples.chunks(ch as usize * 65_536) {
        m.add_frames_f32(chunk).map_err(err)?;
    }
    Ok((m.loudness_global().map_err(err)?, peak_db(&m).map_err(err)?))
}

/// Measure a whole file by a full decode.
pub fn measure_file(path: &Path) -> Result<Loudness> {
    measure(path, None)
}

/// Measure frames `start..end` of a file only (a track of a CUE image),
/// decoding from a seek near `start` where the format allows it.
pub fn measure_range(path: &Path, start: u64, end: u64) -> Result<Loudness> {
    measure(path, Some((start, end)))
}

/// The album's integrated loudness (LUFS, gated over all its tracks'
/// audio as one programme) and true peak (dBTP, the highest track's).
/// Tracks at different sample rates or channel counts are gated together
/// all the same: each meter holds its own blocks' energies.
pub fn album(tracks: &[&Loudness]) -> Result<(f64, f64)> {
    let lufs = EbuR128::loudness_global_multiple(tracks.iter().map(|t| &t.meter))
        .map_err(|e| Error::encode(EncodeStage::Loudness, format!("album loudness: {e}")))?;
    let peak = tracks
        .iter()
        .map(|t| t.true_peak)
        .fold(f64::NEG_INFINITY, f64::max);
    Ok((lufs, peak))
}

/// Feeds a walk's samples (those of `start..end`) to the meter.
struct Meter {
    meter: Option<EbuR128>,
    failed: Option<String>,
    /// The frame the walk's first sample is (after a seek; else 0).
    offset: u64,
    start: u64,
    end: u64,
    rate: u32,
    channels: usize,
    fed: u64,
    buf: Vec<f32>,
}

impl Sink for Meter {
    fn start(&mut self, samplerate: u32, channels: usize) {
        self.rate = samplerate;
        self.channels = channels.max(1);
        match EbuR128::new(channels.max(1) as u32, samplerate, mode()) {
            Ok(m) => self.meter = Some(m),
            Err(e) => {
                self.failed = Some(format!(
                    "cannot measure {channels} channels at {samplerate} Hz: {e}"
                ))
            }
        }
    }

    fn samples(&mut self, frames: &Frames<'_>, n: usize, before: u64) -> bool {
        let Some(m) = self.meter.as_mut() else {
            return false;
        };
        let before = before + self.offset;
        let after = before + n as u64;
        if after <= self.start {
            return true;
        }
        if before >= self.end {
            return false;
        }
        frames.to_f32(&mut self.buf);
        let ch = self.channels;
        let a = (self.start.saturating_sub(before) as usize * ch).min(self.buf.len());
        let b = ((self.end.min(after) - before) as usize * ch).min(self.buf.len());
        let slice = &self.buf[a..b.max(a)];
        let whole = slice.len() / ch * ch;
        if let Err(e) = m.add_frames_f32(&slice[..whole]) {
            self.failed = Some(e.to_string());
            return false;
        }
        self.fed += (whole / ch) as u64;
        after < self.end
    }
}

fn measure(path: &Path, range: Option<(u64, u64)>) -> Result<Loudness> {
    let (mut st, _) = open_decodable(path)?;
    let si = st.info.clone();
    let (start, end) = range.unwrap_or((0, u64::MAX));
    let offset = match range {
        Some(_) => st.seek_near(start).unwrap_or(0),
        None => 0,
    };
    let mut sink = Meter {
        meter: None,
        failed: None,
        offset,
        start,
        end,
        rate: 0,
        channels: 1,
        fed: 0,
        buf: Vec::new(),
    };
    let opts = WalkOptions {
        hash_packets: false,
        decode: true,
        verify: false,
    };
    let w = super::catch("decoder", || st.walk(opts, &mut sink))
        .map_err(|e| Error::media(path, MediaErrorKind::Panicked, e))?;
    if let Some(e) = &w.no_decoder {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("cannot decode {}: {e}", si.codec),
        ));
    }
    if let Some(e) = sink.failed {
        return Err(Error::media(path, MediaErrorKind::Stream, e));
    }
    let meter = match sink.meter {
        Some(m) if sink.fed > 0 => m,
        _ => {
            let why = w
                .errors
                .first()
                .map(|p| p.message.clone())
                .unwrap_or_else(|| "no audio decoded".into());
            return Err(Error::media(path, MediaErrorKind::NoAudio, why));
        }
    };
    let mut problems = Vec::new();
    match range {
        None => problems.extend(truncation(&si, &w, true)),
        Some((s, e)) if sink.fed < e - s => problems.push(Problem::new(
            MediaErrorKind::Truncated,
            format!(
                "truncated: decoded {} of the track's {} samples",
                sink.fed,
                e - s
            ),
        )),
        Some(_) => {}
    }
    problems.extend(w.errors.iter().cloned());
    let err =
        |e: ebur128::Error| Error::media(path, MediaErrorKind::Stream, format!("loudness: {e}"));
    Ok(Loudness {
        lufs: meter.loudness_global().map_err(err)?,
        true_peak: peak_db(&meter).map_err(err)?,
        seconds: sink.fed as f64 / f64::from(sink.rate.max(1)),
        problems,
        meter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, encode_wav, Pcm};
    use crate::media::test_audio::write;

    /// `secs` of a sine at `freq` Hz and `amp` (full scale 1.0), in
    /// `channels` equal channels, as 24-bit integers.
    fn sine(freq: f64, amp: f64, secs: f64, rate: u32, channels: usize) -> Vec<i32> {
        let n = (secs * rate as f64) as usize;
        (0..n)
            .flat_map(|i| {
                let v = amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin();
                std::iter::repeat_n((v * 8_388_607.0).round() as i32, channels)
            })
            .collect()
    }

    fn pcm24(s: &[i32], rate: u32, channels: u16) -> Pcm<'_> {
        Pcm {
            samples: s,
            channels,
            samplerate: rate,
            bits: 24,
        }
    }

    /// A 997 Hz sine at full scale in one channel is -3.01 LUFS; in both
    /// channels of a stereo file 3.01 LU louder (EBU Tech 3341: -23 dBFS in
    /// each channel is -23 LUFS); at half amplitude 6.02 dB lower. The
    /// stream meter, the in-memory one and a range of the file agree.
    #[test]
    fn a_full_scale_sine_is_minus_3_01_lufs() {
        let dir = tempfile::tempdir().unwrap();
        let s = sine(997.0, 1.0, 10.0, 48_000, 1);
        let p = write(
            dir.path(),
            "s.flac",
            &encode_flac(pcm24(&s, 48_000, 1)).unwrap(),
        );
        let l = measure_file(&p).unwrap();
        assert!((l.lufs + 3.01).abs() < 0.01, "{}", l.lufs);
        assert!(l.true_peak.abs() < 0.05, "{}", l.true_peak);
        assert!((l.seconds - 10.0).abs() < 1e-9);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let f: Vec<f32> = s.iter().map(|&v| v as f32 / 8_388_608.0).collect();
        let (mem, _) = measure_samples(&f, 48_000, 1).unwrap();
        assert!((mem - l.lufs).abs() < 1e-6, "{mem} {}", l.lufs);
        let half = sine(997.0, 0.5, 10.0, 48_000, 2);
        let p2 = write(
            dir.path(),
            "h.wav",
            &encode_wav(pcm24(&half, 48_000, 2)).unwrap(),
        );
        let h = measure_file(&p2).unwrap();
        assert!((h.lufs + 6.02).abs() < 0.01, "{}", h.lufs);
        assert!((h.true_peak + 6.02).abs() < 0.05, "{}", h.true_peak);
        let r = measure_range(&p, 48_000, 48_000 * 6).unwrap();
        assert!((r.seconds - 5.0).abs() < 1e-9);
        assert!((r.lufs + 3.01).abs() < 0.01, "{}", r.lufs);
    }

    /// An album is gated as one programme: a loud and a softer track of
    /// equal length give their energy mean, not the mean of the LUFS
    /// values, and a track far below the album's relative gate (-10 LU)
    /// does not count at all.
    #[test]
    fn album_loudness_is_gated_over_all_the_audio() {
        let dir = tempfile::tempdir().unwrap();
        let track = |name: &str, amp: f64| {
            let s = sine(997.0, amp, 6.0, 44_100, 1);
            let p = write(
                dir.path(),
                name,
                &encode_flac(pcm24(&s, 44_100, 1)).unwrap(),
            );
            measure_file(&p).unwrap()
        };
        let (a, b, c) = (
            track("a.flac", 1.0),
            track("b.flac", 0.5),
            track("c.flac", 0.05),
        );
        assert!((b.lufs + 9.03).abs() < 0.02, "{}", b.lufs);
        let (lufs, peak) = album(&[&a, &b]).unwrap();
        let want = 10.0 * ((10f64.powf(a.lufs / 10.0) + 10f64.powf(b.lufs / 10.0)) / 2.0).log10();
        assert!((lufs - want).abs() < 0.01, "{lufs} vs {want}");
        assert!(
            lufs > (a.lufs + b.lufs) / 2.0 + 0.5,
            "{lufs}: an average of LUFS"
        );
        assert_eq!(peak, a.true_peak);
        // -29 LUFS is below the gate of an album at about -6 LUFS.
        let (gated, _) = album(&[&a, &c]).unwrap();
        assert!((gated - a.lufs).abs() < 0.01, "{gated}");
    }

    /// APE and WavPack go through their native decoders: the committed
    /// fixtures hold the FLAC's samples, so they measure the same.
    #[test]
    fn ape_and_wavpack_measure_as_their_flac() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
        let flac = measure_file(&dir.join("music.flac")).unwrap();
        assert!(flac.lufs.is_finite() && flac.seconds > 1.0);
        for name in ["music.ape", "music.wv"] {
            let l = measure_file(&dir.join(name)).unwrap();
            assert!(
                (l.lufs - flac.lufs).abs() < 1e-9,
                "{name}: {} {}",
                l.lufs,
                flac.lufs
            );
            assert!((l.true_peak - flac.true_peak).abs() < 1e-9, "{name}");
            assert!(l.problems.is_empty(), "{name}: {:?}", l.problems);
        }
    }

    #[test]
    fn what_is_not_audio_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x.flac", b"not audio at all");
        assert!(measure_file(&p).is_err());
        let (lufs, _) = measure_samples(&[0.0; 88_200], 44_100, 2).unwrap();
        assert_eq!(lufs, f64::NEG_INFINITY);
    }
}
