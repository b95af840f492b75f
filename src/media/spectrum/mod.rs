//! What a file really is, read from its decoded audio: the effective audio
//! bandwidth (where the averaged spectrum falls off a lossy encoder's
//! low-pass "cliff" to the noise floor), and from it two verdicts:
//! `lossy_source` (a lossless file whose spectrum stops the way a lossy
//! encode does: a FLAC made from an MP3) and `upscaled` (a lossy file whose
//! bandwidth is well below what its codec and bitrate give: a 320k MP3 made
//! from a 128k one).
//!
//! The [`Analyzer`] is fed the same native-rate mono mix the fingerprint
//! sees; it examines one frame in [`STRIDE`] (a Hann-windowed real FFT) and
//! averages power over the frames that are not near-silent. [`Analyzer::finish`]
//! finds the edge; [`judge`] turns it into verdicts.
//!
//! The edge is judged by its SHAPE, not by low energy: a lossy encoder's
//! low-pass drops the level by tens of dB within a few hundred Hz (LAME's
//! by ~75 dB in ~500 Hz), and the level stays down from there to Nyquist,
//! while music that is naturally band-limited (solo piano, old mono
//! recordings, a lossless signal through an analogue-style low-pass)
//! declines a few dB per kHz and meets its floor gently. Only the first
//! counts as a [`Cliff`]; anything unclear gives `None` ("unknown"), never
//! a guess. Frequencies are judged against the file's own Nyquist, so a
//! 96 kHz file upsampled from CD (a resampler's cliff at ~21.6 kHz) is not
//! taken for a lossy one, while one upsampled from an MP3-sourced FLAC is.
//!
//! Levels are in dB per FFT bin (~21.5 Hz at every rate) relative to a
//! full-scale sine in one bin; on that scale the floor of dithered 16-bit
//! audio is about -125 dB and a decoded MP3's above its cut -143 dB.
//!
//! Invariants: nothing here panics on any input (NaN, infinities and huge
//! samples are sanitised, a zero or absurd sample rate yields an empty
//! [`Measured`]); the cost is bounded by the frames examined: 2-3.5 ms per
//! 120 s of 44.1 kHz audio in a release build (the FFTs about half of it,
//! the edge search in `finish` 0.1 ms), against ~30 ms to fingerprint and
//! 60-100 ms to decode the same audio. It grows with the sample rate.

use std::cell::RefCell;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// One frame in `STRIDE` is examined. Averaging ~320 frames of 120 s (or
/// ~54 of a 20 s test signal, 8 of the shortest judged, 3 s) already gives
/// a spectrum steady to a fraction of a dB once smoothed into ~100 Hz
/// bands; examining every frame would cost eight times as much for no
/// better edge.
pub(crate) const STRIDE: u64 = 8;
/// Audio shorter than this (seconds pushed) gets no bandwidth and no verdict.
pub(crate) const MIN_SECONDS: f64 = 3.0;
/// Fewer non-silent examined frames than this give no bandwidth.
const MIN_FRAMES: u64 = 4;
/// A sample this close to full scale (or beyond it) marks its frame as
/// clipped: 32766/32768 in 16 bits.
const CLIP: f32 = 0.9999;
/// A frame whose RMS is below this (dBFS) is near-silent and left out of the
/// average, so long fades and digital silence do not weigh on it.
const SILENT_FRAME_DB: f64 = -60.0;
/// Bands in [`Measured::bands`].
pub(crate) const PICTURE_BANDS: usize = 64;
/// The highest sample rate taken (as the fingerprint's resampler).
const MAX_RATE: u32 = 768_000;

mod edge;
mod verdict;

pub(crate) use edge::Cliff;
use edge::*;
pub use verdict::expected_bandwidth;
pub(crate) use verdict::judge;
/// Spectrum analysis fed with native-rate mono samples (the channel average,
/// f32 in [-1, 1]) of the first ~120 s of a file.
pub(crate) struct Analyzer {
    rate: u32,
    /// The FFT (None: the sample rate is unusable; only samples are counted).
    fft: Option<Arc<dyn RealToComplex<f32>>>,
    /// Frame length and its Hann window.
    n: usize,
    window: Vec<f32>,
    /// The frame being filled (only for examined frames).
    buf: Vec<f32>,
    /// Samples of the current frame seen so far (examined or not).
    fill: usize,
    /// Index of the current frame.
    frame: u64,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Power per FFT bin, summed over the non-silent examined frames that
    /// do not touch full scale.
    power: Vec<f64>,
    used: u64,
    /// The same over frames that touch full scale: clipping (in the file,
    /// or by a decoder's output overshooting and being clamped) splatters
    /// energy across the whole band and fills a codec's cliff, so those
    /// frames are used only when too few clean ones remain.
    clipped_power: Vec<f64>,
    clipped: u64,
    /// Whether the frame being filled touched full scale.
    frame_clips: bool,
    pushed: u64,
    /// Over all examined frames (silent ones too).
    sum_sq: f64,
    examined: u64,
    peak: f32,
}

thread_local! {
    /// Plans are reused across files on the same (rayon) thread: planning
    /// computes twiddles, which would otherwise be repeated per file.
    static PLANNER: RefCell<RealFftPlanner<f32>> = RefCell::new(RealFftPlanner::new());
}

impl Analyzer {
    /// An analyzer for audio at `samplerate` Hz. The frame is ~46 ms (2048
    /// samples at 44.1 kHz, scaled to the nearest power of two at other
    /// rates) so every rate gets ~21.5 Hz bins.
    pub(crate) fn new(samplerate: u32) -> Analyzer {
        let usable = (1000..=MAX_RATE).contains(&samplerate);
        let n = if usable { frame_len(samplerate) } else { 0 };
        let fft = usable.then(|| PLANNER.with(|p| p.borrow_mut().plan_fft_forward(n)));
        let (spectrum, scratch) = match &fft {
            Some(f) => (f.make_output_vec(), f.make_scratch_vec()),
            None => (Vec::new(), Vec::new()),
        };
        let window = (0..n)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / n as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        Analyzer {
            rate: samplerate,
            power: vec![0.0; spectrum.len()],
            clipped_power: vec![0.0; spectrum.len()],
            clipped: 0,
            frame_clips: false,
            fft,
            n,
            window,
            buf: Vec::with_capacity(n),
            fill: 0,
            frame: 0,
            spectrum,
            scratch,
            used: 0,
            pushed: 0,
            sum_sq: 0.0,
            examined: 0,
            peak: 0.0,
        }
    }

    /// Push mono samples, in chunks of any size, with `peak`: the largest
    /// magnitude of any channel's sample in the chunk (frames that the
    /// chunk touches count as clipped when it reaches [`CLIP`]).
    pub(crate) fn push(&mut self, mono: &[f32], peak: f32) {
        self.pushed += mono.len() as u64;
        if self.fft.is_none() {
            return;
        }
        let clips = peak >= CLIP;
        let mut rest = mono;
        while !rest.is_empty() {
            let take = (self.n - self.fill).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.frame_clips |= clips;
            if self.frame % STRIDE == 0 {
                // NaN becomes silence; infinities and huge values clip.
                self.buf.extend(now.iter().map(
                    |&x| {
                        if x.is_nan() {
                            0.0
                        } else {
                            x.clamp(-1.0, 1.0)
                        }
                    },
                ));
            }
            self.fill += take;
            if self.fill == self.n {
                if self.frame % STRIDE == 0 {
                    self.examine();
                }
                self.buf.clear();
                self.fill = 0;
                self.frame += 1;
                self.frame_clips = false;
            }
            rest = later;
        }
    }

    /// Window, transform and accumulate the full frame in `buf`.
    fn examine(&mut self) {
        let Some(fft) = &self.fft else { return };
        // Eight lanes of sums and peaks, so the loop vectorises (a single
        // running sum is a chain of dependent adds); n is a power of two.
        let mut sums = [0f32; 8];
        let mut peaks = [0f32; 8];
        for (x, w) in self
            .buf
            .chunks_exact_mut(8)
            .zip(self.window.chunks_exact(8))
        {
            for (((x, w), s), p) in x.iter_mut().zip(w).zip(&mut sums).zip(&mut peaks) {
                *s += *x * *x;
                *p = p.max(x.abs());
                *x *= w;
            }
        }
        let sum_sq: f32 = sums.iter().sum();
        self.peak = peaks.iter().fold(self.peak, |a, &b| a.max(b));
        self.sum_sq += sum_sq as f64;
        self.examined += 1;
        let ms = sum_sq as f64 / self.n as f64;
        if ms <= 0.0 || 10.0 * ms.log10() < SILENT_FRAME_DB {
            return;
        }
        // Lengths are the plan's own, so this cannot fail; skip if it does.
        if fft
            .process_with_scratch(&mut self.buf, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return;
        }
        let (power, count) = if self.frame_clips {
            (&mut self.clipped_power, &mut self.clipped)
        } else {
            (&mut self.power, &mut self.used)
        };
        for (acc, c) in power.iter_mut().zip(&self.spectrum) {
            *acc += (c.re * c.re + c.im * c.im) as f64;
        }
        *count += 1;
    }

    /// The measurements of everything pushed.
    pub(crate) fn finish(mut self) -> Measured {
        // Too few clean frames (a master limited hard throughout): measure
        // them all, clipped or not, as the best there is.
        if self.used < MIN_FRAMES.max((self.used + self.clipped) / 10) {
            for (acc, c) in self.power.iter_mut().zip(&self.clipped_power) {
                *acc += c;
            }
            self.used += self.clipped;
        }
        let mut m = Measured {
            samplerate: self.rate,
            seconds: if self.rate > 0 {
                self.pushed as f64 / self.rate as f64
            } else {
                0.0
            },
            ..Measured::default()
        };
        if self.examined > 0 && self.peak > 0.0 {
            let ms = self.sum_sq / (self.examined as f64 * self.n as f64);
            m.rms_db = Some(10.0 * ms.max(1e-30).log10());
            m.peak_db = Some(20.0 * (self.peak as f64).log10());
        }
        if self.used == 0 {
            return m;
        }
        // dB relative to a full-scale sine in one bin: its Hann-windowed
        // peak is n/4, so its power is n²/16.
        let norm = (self.n * self.n) as f64 / 16.0 * self.used as f64;
        m.bands = picture(&self.power, norm);
        if m.seconds < MIN_SECONDS || self.used < MIN_FRAMES {
            return m;
        }
        let scale = Scale::new(self.rate, self.n);
        let levels = scale.levels(&self.power, norm);
        if let Some(edge) = find_edge(&levels, &scale) {
            m.bandwidth = Some(edge.bandwidth);
            m.cliff = edge.cliff;
        }
        m
    }
}

/// The frame length for a rate: the power of two nearest 2048 * rate / 44100
/// (~46 ms, ~21.5 Hz bins). Longer frames resolve no better at ~100 Hz
/// bands and give fewer frames to average for the same cost.
fn frame_len(rate: u32) -> usize {
    let ideal = 2048.0 * rate as f64 / 44_100.0;
    let exp = ideal.log2().round().clamp(8.0, 15.0);
    1usize << exp as u32
}

/// The averaged spectrum as [`PICTURE_BANDS`] linear bands from 0 to
/// Nyquist, each the mean power of its bins as `clamp(dB + 120, 0, 255)`.
fn picture(power: &[f64], norm: f64) -> Vec<u8> {
    let bins = power.len().saturating_sub(1).max(1);
    (0..PICTURE_BANDS)
        .map(|b| {
            let lo = b * bins / PICTURE_BANDS;
            let hi = ((b + 1) * bins / PICTURE_BANDS)
                .max(lo + 1)
                .min(power.len());
            let slice = &power[lo.min(hi)..hi];
            let mean = slice.iter().sum::<f64>() / slice.len().max(1) as f64;
            let db = 10.0 * (mean / norm).max(1e-30).log10();
            (db + 120.0).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// What the measurement found.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Measured {
    pub samplerate: u32,
    /// Seconds of audio pushed (analysed).
    pub seconds: f64,
    /// The effective bandwidth, Hz: the cliff's frequency when there is one,
    /// else where the spectrum meets a flat noise floor, else Nyquist (content
    /// all the way up). None when silent, too short or unusable.
    pub bandwidth: Option<u32>,
    /// A lossy-style cliff, when found.
    pub cliff: Option<Cliff>,
    /// RMS of the examined frames, dBFS (a full-scale square wave is 0 dB);
    /// None when they are all digital silence.
    pub rms_db: Option<f64>,
    /// Peak sample of the examined frames, dBFS.
    pub peak_db: Option<f64>,
    /// The averaged spectrum: 64 linear bands from 0 to Nyquist, each as
    /// `clamp(dB + 120, 0, 255)` with 0 dB a full-scale sine in one FFT bin
    /// (for a picture). Empty when no frame was loud enough.
    pub bands: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::verdict::*;
    use super::*;
    use crate::export::dither;
    use crate::export::encode::{
        encode_flac, encode_mp3, encode_mp3_f32, encode_wav, quantize, Mp3Rate, Pcm,
    };
    use crate::media::synth;
    use std::sync::OnceLock;

    const RATE: u32 = 44_100;
    const SECS: f64 = 20.0;

    /// The largest magnitude in `x`.
    fn peak(x: &[f32]) -> f32 {
        x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    }

    /// Mix interleaved samples to mono and measure them, in decoder-sized
    /// chunks.
    fn measure(samples: &[f32], channels: usize, rate: u32) -> Measured {
        let mono: Vec<f32> = samples
            .chunks(channels.max(1))
            .map(|f| f.iter().sum::<f32>() / f.len() as f32)
            .collect();
        let ch = channels.max(1);
        let mut a = Analyzer::new(rate);
        for (c, s) in mono.chunks(1152).zip(samples.chunks(1152 * ch)) {
            a.push(c, peak(s));
        }
        a.finish()
    }

    fn decode_bytes(bytes: &[u8], name: &str) -> crate::media::Decoded {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        crate::media::decode(&p, None).unwrap()
    }

    /// Decode an encoded file through the project's reader and measure it.
    fn measure_file(bytes: &[u8], name: &str) -> Measured {
        let d = decode_bytes(bytes, name);
        measure(&d.samples, d.channels as usize, d.samplerate)
    }

    fn pcm(samples: &[i32], channels: u16, samplerate: u32, bits: u16) -> Pcm<'_> {
        Pcm {
            samples,
            channels,
            samplerate,
            bits,
        }
    }

    fn lossless(m: &Measured) -> Option<bool> {
        judge(m, "flac", true, None, None).lossy_source
    }

    fn upscaled(m: &Measured, kbps: u32) -> Option<bool> {
        judge(m, "mp3", false, Some(kbps * 1000), Some(2)).upscaled
    }

    /// The "CD": full-band stereo music, 16-bit 44.1 kHz.
    fn cd() -> &'static [i32] {
        static CD: OnceLock<Vec<i32>> = OnceLock::new();
        CD.get_or_init(|| quantize(&synth::full_band(11, SECS, RATE, 2), 16))
    }

    /// The CD through a 128k MP3, decoded (interleaved f32).
    fn via_128k() -> &'static [f32] {
        static MP3: OnceLock<Vec<f32>> = OnceLock::new();
        MP3.get_or_init(|| {
            let mp3 = encode_mp3(Pcm::cd(cd()), Mp3Rate::Cbr(128)).unwrap();
            decode_bytes(&mp3, "a.mp3").samples
        })
    }

    /// A FLAC of `samples` (dithered to 16 bits, as a ripper or converter would).
    fn flac16(samples: &[f32], channels: u16, rate: u32) -> Measured {
        let q = dither::quantize(samples, 16, true, 7);
        measure_file(&encode_flac(pcm(&q, channels, rate, 16)).unwrap(), "a.flac")
    }

    /// `samples` (interleaved) through `poles` cascaded one-pole low-passes
    /// at `hz`: an analogue-style, gentle roll-off (6 dB/octave per pole).
    fn one_poles(samples: &[f32], channels: usize, rate: u32, hz: f64, poles: usize) -> Vec<f32> {
        let a = (1.0 - (-std::f64::consts::TAU * hz / rate as f64).exp()) as f32;
        let mut state = vec![0f32; channels * poles];
        let mut out = samples.to_vec();
        for frame in out.chunks_mut(channels) {
            for (c, x) in frame.iter_mut().enumerate() {
                let mut v = *x;
                for s in &mut state[c * poles..(c + 1) * poles] {
                    *s += a * (v - *s);
                    v = *s;
                }
                *x = v;
            }
        }
        out
    }

    /// Piano-like music with no noise at all: notes whose harmonics fall
    /// off as 1/k^2.5, die away faster the higher they are and stop at
    /// 8 kHz, so the spectrum fades into the floor by a few kHz. Mono.
    fn piano(seconds: f64, rate: u32) -> Vec<f32> {
        let mut rng = synth::Rng::new(5);
        let frames = (seconds * rate as f64) as usize;
        let note = 0.5;
        let notes: Vec<f32> = (0..64)
            .map(|_| 110.0 * 2f32.powf(rng.below(36) as f32 / 12.0))
            .collect();
        (0..frames)
            .map(|i| {
                let t = i as f32 / rate as f32;
                let n = (t / note) as usize;
                let mut s = 0.0;
                // The current note and the one before, still ringing.
                for back in 0..2 {
                    let Some(k0) = n.checked_sub(back) else {
                        continue;
                    };
                    let f = notes[k0 % notes.len()];
                    let age = t - k0 as f32 * note;
                    for k in 1..=24 {
                        let fk = f * k as f32;
                        if fk > 8_000f32.min(rate as f32 / 2.0) {
                            break;
                        }
                        let kf = k as f32;
                        let amp = 0.2 / (kf * kf.sqrt() * kf) * (-age * (1.0 + kf)).exp();
                        s += amp * (std::f32::consts::TAU * fk * age).sin();
                    }
                }
                s
            })
            .collect()
    }

    #[test]
    fn lossless_original_is_full_band() {
        let m = measure_file(&encode_flac(Pcm::cd(cd())).unwrap(), "a.flac");
        eprintln!("original flac: {:?} {:?}", m.bandwidth, m.cliff);
        assert!(m.bandwidth.unwrap() >= 19_500, "{m:?}");
        assert_eq!(lossless(&m), Some(false));
        assert_eq!(judge(&m, "flac", true, None, None).upscaled, None);
        assert_eq!(m.bands.len(), PICTURE_BANDS);
        assert!((m.seconds - SECS).abs() < 0.1);
        let rms = m.rms_db.unwrap();
        assert!((-30.0..-5.0).contains(&rms), "{rms}");
        assert!(m.peak_db.unwrap() <= 0.0);
    }

    #[test]
    fn mp3_128k_is_what_it_says() {
        let d = via_128k();
        let m = measure(d, 2, RATE);
        eprintln!("128k mp3: {:?} {:?}", m.bandwidth, m.cliff);
        let bw = m.bandwidth.unwrap();
        assert!((16_000..=17_500).contains(&bw), "{m:?}");
        let c = m.cliff.unwrap();
        assert!(c.drop_db > 40.0 && c.width_hz <= 800, "{c:?}");
        assert_eq!(upscaled(&m, 128), Some(false));
        assert_eq!(
            judge(&m, "mp3", false, Some(128_000), Some(2)).lossy_source,
            None
        );
        // The same audio claiming 320k is upscaled.
        assert_eq!(upscaled(&m, 320), Some(true));
        // The bands picture shows the cliff: empty above 17.5 kHz.
        assert!(m.bands[52..].iter().all(|&b| b < 10), "{:?}", m.bands);
        assert!(m.bands[40] > 40, "{:?}", m.bands);
    }

    #[test]
    fn flac_made_from_an_mp3_is_a_lossy_source() {
        let m = flac16(via_128k(), 2, RATE);
        eprintln!("flac from 128k mp3: {:?} {:?}", m.bandwidth, m.cliff);
        assert!((16_000..=17_500).contains(&m.bandwidth.unwrap()), "{m:?}");
        assert_eq!(lossless(&m), Some(true));
        assert_eq!(judge(&m, "flac", true, None, None).upscaled, None);
    }

    /// A loud FLAC made from the MP3: the converter raised the level and
    /// clipped the peaks, whose splatter fills the cliff in those frames.
    /// The clean frames still show it; a lossless master clipped the same
    /// way stays full-band.
    #[test]
    fn clipping_does_not_hide_a_lossy_source() {
        let loud = |x: &[f32]| -> Vec<f32> {
            let gain = 0.999 / x.iter().fold(0f32, |m, v| m.max(v.abs()));
            x.iter()
                .map(|v| (v * gain * 2.0).clamp(-1.0, 1.0))
                .collect()
        };
        let from_mp3 = loud(via_128k());
        // The share of 2048-sample frames with a clipped sample.
        let frames = from_mp3.chunks(4096);
        let n = frames.len();
        let clipped = frames.filter(|f| f.iter().any(|v| v.abs() >= 1.0)).count();
        eprintln!("{clipped} of {n} frames clipped");
        assert!(clipped * 5 > n, "{clipped} of {n}");
        let m = flac16(&from_mp3, 2, RATE);
        eprintln!("loud flac from 128k mp3: {:?} {:?}", m.bandwidth, m.cliff);
        assert!((16_000..=17_500).contains(&m.bandwidth.unwrap()), "{m:?}");
        assert_eq!(lossless(&m), Some(true));
        let cd: Vec<f32> = cd().iter().map(|&v| v as f32 / 32768.0).collect();
        let m = flac16(&loud(&cd), 2, RATE);
        eprintln!("loud cd: {:?} {:?}", m.bandwidth, m.cliff);
        assert_eq!(lossless(&m), Some(false));
    }

    #[test]
    fn flac_made_from_an_aac_is_a_lossy_source() {
        let x = &cd()[..RATE as usize * 2 * 8];
        let aac = crate::export::mp4::encode_aac(x, 2, RATE, Some(256), None).unwrap();
        let d = decode_bytes(&aac, "a.m4a");
        let m = measure(&d.samples, 2, RATE);
        eprintln!("256k fdk aac: {:?} {:?}", m.bandwidth, m.cliff);
        // FDK stays at 17 kHz even at 256k: as expected, not upscaled.
        let aac_verdict = judge(&m, "aac", false, Some(256_000), Some(2));
        assert_eq!(aac_verdict.upscaled, Some(false));
        let m = flac16(&d.samples, 2, RATE);
        eprintln!("flac from 256k aac: {:?} {:?}", m.bandwidth, m.cliff);
        assert_eq!(lossless(&m), Some(true));
    }

    #[test]
    fn mp3_320k_from_a_128k_mp3_is_upscaled() {
        let mp3 = encode_mp3_f32(via_128k(), 2, RATE, Mp3Rate::Cbr(320)).unwrap();
        let m = measure_file(&mp3, "b.mp3");
        eprintln!("320k from 128k: {:?} {:?}", m.bandwidth, m.cliff);
        assert_eq!(upscaled(&m, 320), Some(true));
        // Claimed honestly as what it came from, it is fine.
        assert_eq!(upscaled(&m, 128), Some(false));
    }

    /// An MP3 re-encoded by a codec that fills empty bands with noise below
    /// its own cut (Opus): LAME's cliff onto the plateau is still found.
    #[test]
    fn noise_filled_plateau_under_a_codec_cut_is_seen() {
        let n = RATE as usize * 8;
        let mono: Vec<f32> = via_128k()[..n * 2]
            .chunks(2)
            .map(|f| (f[0] + f[1]) / 2.0)
            .collect();
        let mut planner = RealFftPlanner::<f32>::new();
        let (fwd, inv) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
        let mut x = mono.clone();
        let mut spec = fwd.make_output_vec();
        fwd.process(&mut x, &mut spec).unwrap();
        let hz = |k: usize| k as f64 * RATE as f64 / n as f64;
        let bins = |lo: f64, hi: f64| (0..spec.len()).filter(move |&k| (lo..hi).contains(&hz(k)));
        let content = bins(15_000.0, 16_500.0)
            .map(|k| spec[k].norm_sqr())
            .sum::<f32>()
            / bins(15_000.0, 16_500.0).count() as f32;
        // Noise 25 dB under the content from 16.9 to 20 kHz, nothing above.
        let mag = (content * 10f32.powf(-2.5)).sqrt();
        let mut rng = synth::Rng::new(1);
        for k in bins(16_900.0, 20_000.0) {
            let phase = rng.next_f32() * std::f32::consts::TAU;
            spec[k] += Complex::from_polar(mag, phase);
        }
        let mut y = vec![0f32; n];
        inv.process(&mut spec, &mut y).unwrap();
        let y: Vec<f32> = y.iter().map(|v| v / n as f32).collect();
        let m = measure(&y, 1, RATE);
        eprintln!("plateau: {:?} {:?}", m.bandwidth, m.cliff);
        assert!((16_000..=17_500).contains(&m.bandwidth.unwrap()), "{m:?}");
        let v = judge(&m, "opus", false, Some(128_000), Some(2));
        assert_eq!(v.upscaled, Some(true));
    }

    #[test]
    fn genuine_mp3_320k_is_not_upscaled() {
        let mp3 = encode_mp3(Pcm::cd(cd()), Mp3Rate::Cbr(320)).unwrap();
        let m = measure_file(&mp3, "c.mp3");
        eprintln!("genuine 320k: {:?} {:?}", m.bandwidth, m.cliff);
        assert!(m.bandwidth.unwrap() >= 19_500, "{m:?}");
        assert_eq!(upscaled(&m, 320), Some(false));
        // A FLAC of it could not be told from a studio's 20 kHz filter:
        // LAME 320k's 20.3 kHz cliff is in the ambiguous zone.
        assert_eq!(lossless(&m), None);
    }

    #[test]
    fn natural_roll_off_is_not_a_lossy_source() {
        let x: Vec<f32> = cd().iter().map(|&v| v as f32 / 32768.0).collect();
        for (hz, poles) in [(5_000.0, 1), (5_000.0, 4), (4_000.0, 8)] {
            let lp = one_poles(&x, 2, RATE, hz, poles);
            let m = flac16(&lp, 2, RATE);
            eprintln!("{poles} poles at {hz}: {:?} {:?}", m.bandwidth, m.cliff);
            assert_eq!(m.cliff, None, "{poles} poles at {hz}");
            assert_ne!(lossless(&m), Some(true), "{poles} poles at {hz}");
        }
        let p = piano(12.0, RATE);
        let m = flac16(&p, 1, RATE);
        eprintln!("piano flac: {:?} {:?}", m.bandwidth, m.cliff);
        assert_ne!(lossless(&m), Some(true));
        // A lossy file of naturally band-limited music with no cliff (the
        // piano's spectrum claimed as a 320k MP3): unknown, not upscaled.
        assert_eq!(m.cliff, None);
        assert!(m.bandwidth.unwrap() < 10_000, "{m:?}");
        assert_eq!(
            judge(&m, "mp3", false, Some(320_000), Some(1)).upscaled,
            None
        );
        // A real 320k MP3 of it: LAME adds its own quantisation noise up
        // to its 20 kHz low-pass, whose cliff shows the encode is genuine.
        let mp3 = encode_mp3_f32(&p, 1, RATE, Mp3Rate::Cbr(320)).unwrap();
        let m = measure_file(&mp3, "p.mp3");
        eprintln!("piano 320k: {:?} {:?}", m.bandwidth, m.cliff);
        assert_ne!(
            judge(&m, "mp3", false, Some(320_000), Some(1)).upscaled,
            Some(true)
        );
    }

    #[test]
    fn other_rates_and_depths_are_judged_against_their_own_nyquist() {
        // (label, samplerate, channels, bits)
        for (rate, ch, bits) in [
            (44_100, 1, 16),
            (8_000, 1, 16),
            (22_050, 2, 16),
            (44_100, 2, 8),
            (96_000, 2, 24),
            (192_000, 2, 24),
        ] {
            let secs = if rate > 48_000 { 8.0 } else { 12.0 };
            let q = quantize(&synth::full_band(3, secs, rate, ch), bits);
            let p = pcm(&q, ch, rate, bits);
            // flacenc takes at most 96 kHz: WAV for the rest.
            let wav = bits == 8 || rate > 96_000;
            let bytes = if wav {
                encode_wav(p).unwrap()
            } else {
                encode_flac(p).unwrap()
            };
            let m = measure_file(&bytes, if wav { "a.wav" } else { "a.flac" });
            eprintln!(
                "{rate} Hz {ch} ch {bits} bit: {:?} {:?}",
                m.bandwidth, m.cliff
            );
            assert_eq!(m.samplerate, rate);
            assert_ne!(lossless(&m), Some(true), "{rate} {ch} {bits}");
            if bits >= 16 {
                assert_eq!(lossless(&m), Some(false), "{rate} {ch} {bits}");
            }
        }
    }

    #[test]
    fn upsampled_cd_is_not_lossy_but_upsampled_mp3_is() {
        let x: Vec<f32> = cd().iter().map(|&v| v as f32 / 32768.0).collect();
        let secs = 8.0;
        let n = (secs * RATE as f64) as usize * 2;
        for (label, src, lossy) in [("cd", &x[..n], false), ("mp3", &via_128k()[..n], true)] {
            // A 16-bit master (the old floor), upsampled and stored at 24 bits.
            let src16: Vec<f32> = dither::quantize(src, 16, true, 3)
                .iter()
                .map(|&v| v as f32 / 32768.0)
                .collect();
            for to in [96_000, 192_000] {
                let up = crate::export::resample::resample(&src16, 2, RATE, to).unwrap();
                let q = dither::quantize(&up, 24, true, 4);
                let p = pcm(&q, 2, to, 24);
                let m = if to > 96_000 {
                    measure_file(&encode_wav(p).unwrap(), "u.wav")
                } else {
                    measure_file(&encode_flac(p).unwrap(), "u.flac")
                };
                eprintln!("{label} upsampled to {to}: {:?} {:?}", m.bandwidth, m.cliff);
                assert_eq!(lossless(&m), Some(lossy), "{label} {to}");
                let bw = m.bandwidth.unwrap();
                if lossy {
                    assert!((16_000..=17_500).contains(&bw), "{label} {to} {bw}");
                } else {
                    assert!((19_500..=22_100).contains(&bw), "{label} {to} {bw}");
                }
            }
        }
    }

    #[test]
    fn silence_short_and_garbage_get_no_verdict() {
        let none = Verdict::default();
        let silent = measure(&vec![0.0; RATE as usize * 10], 1, RATE);
        assert_eq!(
            (silent.bandwidth, silent.rms_db, silent.peak_db),
            (None, None, None)
        );
        assert!(silent.bands.is_empty());
        assert_eq!(judge(&silent, "flac", true, None, None), none);
        assert_eq!(judge(&silent, "mp3", false, Some(320_000), Some(2)), none);

        let short = synth::full_band(1, 1.0, RATE, 1);
        let m = measure(&short, 1, RATE);
        assert_eq!(m.bandwidth, None);
        assert!(m.rms_db.is_some());
        assert_eq!(judge(&m, "flac", true, None, None), none);

        let mut rng = synth::Rng::new(9);
        let garbage: Vec<f32> = (0..RATE as usize * 5)
            .map(|i| match i % 7 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => f32::NEG_INFINITY,
                3 => 1e30,
                4 => -f32::MAX,
                _ => f32::from_bits(rng.next_u64() as u32),
            })
            .collect();
        for rate in [0, 1, 999, 8_000, RATE, 768_000, 768_001, u32::MAX] {
            let mut a = Analyzer::new(rate);
            a.push(&garbage, peak(&garbage));
            a.push(&[], 0.0);
            let m = a.finish();
            if let Some(r) = m.rms_db {
                assert!(r.is_finite());
            }
            for codec in ["flac", "mp3", "aac", "opus", "", "vorbis"] {
                let _ = judge(&m, codec, codec == "flac", Some(u32::MAX), Some(0));
            }
        }
        let _ = expected_bandwidth("mp3", u32::MAX, u32::MAX, u32::MAX);
        assert_eq!(expected_bandwidth("mp3", 128_000, 2, 0), None);
    }

    #[test]
    fn chunk_sizes_do_not_matter() {
        let x = synth::full_band(4, 6.0, RATE, 1);
        let whole = {
            let mut a = Analyzer::new(RATE);
            a.push(&x, peak(&x));
            a.finish()
        };
        for size in [1, 1152, 2047, 2048, 2049, 4096] {
            let mut a = Analyzer::new(RATE);
            for c in x.chunks(size) {
                a.push(c, peak(c));
            }
            assert_eq!(a.finish(), whole, "chunks of {size}");
        }
    }

    #[test]
    fn expected_bandwidths() {
        assert_eq!(expected_bandwidth("mp3", 128_000, 2, 44_100), Some(17_000));
        assert_eq!(expected_bandwidth("mp3", 320_000, 2, 44_100), Some(19_845));
        assert_eq!(expected_bandwidth("mp3", 320_000, 2, 48_000), Some(20_500));
        // A VBR average between table rows gets the lower row.
        assert_eq!(expected_bandwidth("mp3", 245_000, 2, 44_100), Some(19_400));
        assert_eq!(expected_bandwidth("mp3", 64_000, 1, 44_100), Some(17_000));
        // Capped below Nyquist: LAME at 22.05 kHz cuts at 10.1 kHz.
        assert_eq!(expected_bandwidth("mp3", 128_000, 2, 22_050), Some(9_922));
        assert_eq!(expected_bandwidth("aac", 256_000, 2, 44_100), Some(17_000));
        assert_eq!(expected_bandwidth("opus", 128_000, 2, 48_000), Some(20_000));
        assert_eq!(expected_bandwidth("opus", 16_000, 2, 48_000), None);
        assert_eq!(
            expected_bandwidth("vorbis", 500_000, 2, 44_100),
            Some(19_000)
        );
        assert_eq!(expected_bandwidth("wma", 128_000, 2, 44_100), None);
        assert_eq!(expected_bandwidth("mp3", 4_000, 2, 44_100), None);
    }

    /// The expected figures for LAME hold for the encoder the project uses:
    /// a genuine encode at each bitrate is judged not upscaled.
    #[test]
    fn lame_table_matches_lame() {
        let x = &cd()[..RATE as usize * 2 * 8];
        for kbps in [96, 160, 192, 256] {
            let mp3 = encode_mp3(Pcm::cd(x), Mp3Rate::Cbr(kbps)).unwrap();
            let m = measure_file(&mp3, "l.mp3");
            let d = decode_bytes(&mp3, "l.mp3");
            // The table's figure (uncapped: LAME moves 96k to 32 kHz, where
            // the 0.9 * Nyquist cap is below its 15.1 kHz).
            let table = lookup(&LAME, kbps as f64).unwrap();
            eprintln!(
                "lame {kbps}k at {}: {:?} table {table}",
                d.samplerate, m.bandwidth
            );
            assert!(m.cliff.is_some(), "{kbps}");
            assert!(m.bandwidth.unwrap().abs_diff(table) < 500, "{kbps}: {m:?}");
            assert_eq!(upscaled(&m, kbps), Some(false), "{kbps}");
        }
    }

    /// Cost of 120 s at 44.1 kHz (run with --release --ignored --nocapture).
    #[test]
    #[ignore]
    fn timing() {
        let x = synth::full_band(1, 120.0, RATE, 1);
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let mut a = Analyzer::new(RATE);
            for c in x.chunks(1152) {
                a.push(c, peak(c));
            }
            let pushed = t.elapsed();
            let m = a.finish();
            eprintln!(
                "120 s: {:?} (push {pushed:?}, bandwidth {:?})",
                t.elapsed(),
                m.bandwidth
            );
        }
        // The FFTs alone, for comparison.
        let n = frame_len(RATE);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let (mut i, mut o, mut sc) = (
            fft.make_input_vec(),
            fft.make_output_vec(),
            fft.make_scratch_vec(),
        );
        let t = std::time::Instant::now();
        let frames = x.len() / n / STRIDE as usize;
        for _ in 0..frames {
            fft.process_with_scratch(&mut i, &mut o, &mut sc).unwrap();
        }
        eprintln!("{frames} FFTs of {n}: {:?}", t.elapsed());
    }

    /// Calibration aid: print the smoothed levels from `from` Hz up.
    fn dump_levels(label: &str, samples: &[f32], channels: usize, rate: u32, from: f64) {
        let mono: Vec<f32> = samples
            .chunks(channels)
            .map(|f| f.iter().sum::<f32>() / channels as f32)
            .collect();
        let mut a = Analyzer::new(rate);
        a.push(&mono, peak(samples));
        let norm = (a.n * a.n) as f64 / 16.0 * a.used.max(1) as f64;
        let scale = Scale::new(rate, a.n);
        let line: Vec<String> = scale
            .levels(&a.power, norm)
            .smooth
            .iter()
            .enumerate()
            .filter(|(j, _)| scale.top_hz(*j) >= from)
            .map(|(j, l)| format!("{:.0}:{:.0}", scale.top_hz(j), l))
            .collect();
        eprintln!("{label} levels {}", line.join(" "));
    }

    /// Calibration aid, not a check: write a full-band 44.1 kHz stereo WAV
    /// to `$SPECTRUM_WAV` for encoding with other tools.
    #[test]
    #[ignore]
    fn write_calibration_wav() {
        let Ok(path) = std::env::var("SPECTRUM_WAV") else {
            return;
        };
        let s = quantize(&synth::full_band(5, 30.0, RATE, 2), 16);
        std::fs::write(
            path,
            crate::export::encode::encode_wav(Pcm::cd(&s)).unwrap(),
        )
        .unwrap();
    }

    /// Calibration aid, not a check: measure every file in `$SPECTRUM_DIR`
    /// (e.g. ffmpeg encodes of the WAV above) and print what was found.
    #[test]
    #[ignore]
    fn measure_calibration_dir() {
        let Ok(dir) = std::env::var("SPECTRUM_DIR") else {
            return;
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            let Ok(d) = crate::media::decode(&p, Some(120.0)) else {
                eprintln!("{}: cannot decode", p.display());
                continue;
            };
            let m = measure(&d.samples, d.channels as usize, d.samplerate);
            if let Ok(from) = std::env::var("SPECTRUM_LEVELS") {
                let from = from.parse().unwrap_or(14_000.0);
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                dump_levels(&name, &d.samples, d.channels as usize, d.samplerate, from);
            }
            let opts = crate::media::ReadOptions::fingerprinting(false);
            let props = crate::media::read_media(&p, &opts).unwrap().props;
            let codec = props.format.unwrap_or_default();
            let verdict = judge(
                &m,
                &codec,
                props.lossless.unwrap_or(false),
                props.bitrate,
                props.channels,
            );
            eprintln!(
                "{}: {codec} {} Hz {:?} b/s bandwidth={:?} cliff={:?} {verdict:?}",
                p.file_name().unwrap().to_string_lossy(),
                d.samplerate,
                props.bitrate,
                m.bandwidth,
                m.cliff.map(|c| (c.freq, c.drop_db.round(), c.width_hz))
            );
        }
    }
}
