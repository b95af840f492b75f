//! The acoustic fingerprint (rusty-chromaprint with fpcalc's default
//! algorithm, `Configuration::preset_test2`, over the first 120 s), the
//! lossless `pcm_hash`, and sample collection, all fed from one decode pass.
//!
//! The decoded audio is mixed to mono (channel average) and resampled to
//! Chromaprint's 11025 Hz by [`super::downsample`] before rusty-chromaprint
//! sees it, as fpcalc has libswresample do before libchromaprint; audio at
//! 11025 Hz or below goes to chromaprint as mono at its own rate.

use rusty_chromaprint::{Configuration, Fingerprinter};

use super::downsample::{Downsampler, MAX_RATE, TARGET_RATE};
use super::spectrum::{Analyzer, Measured};
use super::stream::{Frames, Sink};

/// Seconds of audio fingerprinted (fpcalc's default `-length 120`).
pub const FINGERPRINT_SECONDS: f64 = 120.0;
/// Shorter audio is not fingerprinted.
pub const MIN_FINGERPRINT_SECONDS: f64 = 3.0;
/// A peak below this (33 on the 16-bit scale, about -60 dBFS) counts as
/// silence.
const SILENCE_PEAK: f32 = 33.0 / 32768.0;

/// The fingerprinter state during a walk.
struct FpState {
    fp: Fingerprinter,
    /// The resampler to 11025 Hz (None: the source rate is fed as it is).
    down: Option<Downsampler>,
    /// Frames still to feed.
    remaining: u64,
    fed: u64,
    peak: f32,
    failed: Option<String>,
    started: bool,
    /// Scratch: the mono mix, the resampled mix, as 16-bit.
    mono: Vec<f32>,
    low: Vec<f32>,
    s16: Vec<i16>,
}

impl FpState {
    /// Hand resampled (or mono source-rate) samples to chromaprint.
    fn consume(&mut self, samples: &[f32]) {
        self.s16.clear();
        self.s16.extend(samples.iter().map(|&v| {
            // Round half away from zero; `as` saturates. (`round()`
            // is a libm call on baseline x86-64.)
            let y = v * 32768.0;
            (y + 0.5f32.copysign(y)) as i16
        }));
        let (fp, s16) = (&mut self.fp, &self.s16);
        if let Err(e) = super::catch("chromaprint", || fp.consume(s16)) {
            self.failed = Some(e);
        }
    }
}

/// A [`Sink`] that computes any of: fingerprint, pcm_hash, collected samples,
/// and (with the fingerprint) the spectrum analysis of the same window.
pub(crate) struct Collect {
    fp: Option<FpState>,
    /// Whether to run the spectrum analysis on the fingerprint's window.
    analyse: bool,
    analyzer: Option<Analyzer>,
    pcm: Option<blake3::Hasher>,
    samples: Option<Vec<f32>>,
    /// Frames still wanted in `samples` (None: all).
    samples_left: Option<u64>,
    /// The cap on collected samples, in seconds.
    max_seconds: Option<f64>,
    rate: u32,
    channels: usize,
    s32: Vec<i32>,
    bytes: Vec<u8>,
    sf: Vec<f32>,
}

/// What [`Collect`] produced.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub fingerprint: Option<Vec<u32>>,
    pub fingerprint_error: Option<String>,
    pub pcm_hash: Option<[u8; 32]>,
    pub samples: Vec<f32>,
    /// The spectrum analysis of the fingerprint's window (when asked).
    pub measured: Option<Measured>,
}

impl Collect {
    /// A sink computing the fingerprint (if `fingerprint`), the pcm_hash (if
    /// `pcm_hash`) and collecting samples (if `samples`, at most
    /// `max_seconds` of them).
    pub(crate) fn new(
        fingerprint: bool,
        pcm_hash: bool,
        samples: bool,
        max_seconds: Option<f64>,
    ) -> Self {
        Collect {
            fp: fingerprint.then(|| FpState {
                fp: Fingerprinter::new(&Configuration::preset_test2()),
                down: None,
                remaining: 0,
                fed: 0,
                peak: 0.0,
                failed: None,
                started: false,
                mono: Vec::new(),
                low: Vec::new(),
                s16: Vec::new(),
            }),
            analyse: false,
            analyzer: None,
            pcm: pcm_hash.then(blake3::Hasher::new),
            samples: samples.then(Vec::new),
            samples_left: None,
            max_seconds,
            rate: 0,
            channels: 0,
            s32: Vec::new(),
            bytes: Vec::new(),
            sf: Vec::new(),
        }
    }

    /// Also measure the bandwidth and level of the fingerprint's window, at
    /// the native rate, from the mono mix the fingerprint is made of.
    pub(crate) fn with_analysis(mut self) -> Self {
        self.analyse = self.fp.is_some();
        self
    }

    /// Whether any part still wants samples.
    fn wants_more(&self) -> bool {
        self.fp
            .as_ref()
            .is_some_and(|f| f.remaining > 0 && f.failed.is_none())
            || self.pcm.is_some()
            || (self.samples.is_some() && self.samples_left != Some(0))
    }

    /// Finish: the fingerprint (or why there is none), the hash, the samples.
    /// `complete` says whether the whole stream was decoded (the pcm_hash is
    /// only given for a complete decode).
    pub(crate) fn finish(self, complete: bool) -> Collected {
        let mut out = Collected {
            measured: self.analyzer.map(Analyzer::finish),
            ..Collected::default()
        };
        if let Some(mut f) = self.fp {
            let secs = if self.rate > 0 {
                f.fed as f64 / self.rate as f64
            } else {
                0.0
            };
            if let Some(e) = f.failed {
                out.fingerprint_error = Some(e);
            } else if !f.started || secs < MIN_FINGERPRINT_SECONDS {
                out.fingerprint_error = Some("too short to fingerprint".to_string());
            } else if f.peak < SILENCE_PEAK {
                out.fingerprint_error = Some("silent".to_string());
            } else {
                if let Some(mut d) = f.down.take() {
                    let mut tail = std::mem::take(&mut f.low);
                    tail.clear();
                    d.finish(&mut tail);
                    f.consume(&tail);
                }
                match super::catch("chromaprint", move || {
                    f.fp.finish();
                    f.fp.fingerprint().to_vec()
                }) {
                    Ok(v) if !v.is_empty() => out.fingerprint = Some(v),
                    Ok(_) => out.fingerprint_error = Some("too short to fingerprint".to_string()),
                    Err(e) => out.fingerprint_error = Some(e),
                }
            }
        }
        if complete {
            out.pcm_hash = self.pcm.map(|h| *h.finalize().as_bytes());
        }
        out.samples = self.samples.unwrap_or_default();
        out
    }
}

impl Sink for Collect {
    fn start(&mut self, samplerate: u32, channels: usize) {
        self.rate = samplerate;
        self.channels = channels;
        if self.analyse {
            self.analyzer = Some(Analyzer::new(samplerate));
        }
        if let Some(f) = self.fp.as_mut() {
            f.remaining = (FINGERPRINT_SECONDS * samplerate as f64) as u64;
            f.down = Downsampler::new(samplerate);
            let rate = if f.down.is_some() {
                TARGET_RATE
            } else {
                samplerate
            };
            if samplerate > MAX_RATE {
                f.failed = Some(format!(
                    "cannot fingerprint: sample rate {samplerate} Hz is out of range"
                ));
            } else {
                match super::catch("chromaprint", || f.fp.start(rate, 1)) {
                    Ok(Ok(())) => f.started = true,
                    Ok(Err(e)) => f.failed = Some(format!("cannot fingerprint: {e:?}")),
                    Err(e) => f.failed = Some(e),
                }
            }
        }
        self.samples_left = self
            .max_seconds
            .map(|secs| (secs.max(0.0) * samplerate as f64).ceil() as u64);
    }

    fn samples(&mut self, frames: &Frames<'_>, n: usize, _before: u64) -> bool {
        let ch = self.channels.max(1);
        if let Some(f) = self.fp.as_mut() {
            if f.started && f.failed.is_none() && f.remaining > 0 {
                let mut mono = std::mem::take(&mut f.mono);
                let take = (n as u64).min(f.remaining) as usize;
                // The peak covers the whole packet, even past 120 s.
                let peak = frames.mix_mono(ch, &mut mono);
                f.peak = f.peak.max(peak);
                mono.truncate(take);
                if let Some(a) = self.analyzer.as_mut() {
                    a.push(&mono, peak);
                }
                match f.down.as_mut() {
                    Some(d) => {
                        let mut low = std::mem::take(&mut f.low);
                        low.clear();
                        d.push(&mono, &mut low);
                        f.consume(&low);
                        f.low = low;
                    }
                    None => f.consume(&mono),
                }
                f.mono = mono;
                f.remaining -= take as u64;
                f.fed += take as u64;
            }
        }
        if let Some(h) = self.pcm.as_mut() {
            frames.to_i32(&mut self.s32);
            // Sized once and filled in place, so the loop compiles to a copy.
            self.bytes.resize(self.s32.len() * 4, 0);
            for (b, v) in self.bytes.chunks_exact_mut(4).zip(&self.s32) {
                b.copy_from_slice(&v.to_le_bytes());
            }
            h.update(&self.bytes);
        }
        if let Some(out) = self.samples.as_mut() {
            let take = match self.samples_left {
                Some(left) => (n as u64).min(left) as usize,
                None => n,
            };
            if take > 0 {
                frames.to_f32(&mut self.sf);
                out.extend_from_slice(&self.sf[..(take * ch).min(self.sf.len())]);
                if let Some(left) = self.samples_left.as_mut() {
                    *left -= take as u64;
                }
            }
        }
        self.wants_more()
    }
}

/// Bit error rate between two raw fingerprints, compared item by item over
/// their common length (no alignment search): the share of differing bits.
#[doc(hidden)]
pub fn bit_error_rate(a: &[u32], b: &[u32]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let diff: u32 = a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum();
    Some(diff as f64 / (n as f64 * 32.0))
}
