//! The acoustic fingerprint (rusty-chromaprint with fpcalc's default
//! algorithm, `Configuration::preset_test2`, over the first 120 s), the
//! lossless `pcm_hash`, and sample collection, all fed from one decode pass.
//!
//! rusty-chromaprint takes interleaved 16-bit samples at the source rate and
//! channel count and does the downmix (channel average) and resampling to
//! 11025 Hz itself, as libchromaprint does behind fpcalc.

use rusty_chromaprint::{Configuration, Fingerprinter};

use super::stream::{Frames, Sink};

/// Seconds of audio fingerprinted (fpcalc's default `-length 120`).
pub const FINGERPRINT_SECONDS: f64 = 120.0;
/// Shorter audio is not fingerprinted.
pub const MIN_FINGERPRINT_SECONDS: f64 = 3.0;
/// A peak below this (16-bit scale, about -60 dBFS) counts as silence.
const SILENCE_PEAK: i16 = 33;

/// The fingerprinter state during a walk.
struct FpState {
    fp: Fingerprinter,
    /// Frames still to feed.
    remaining: u64,
    fed: u64,
    peak: i16,
    failed: Option<String>,
    started: bool,
}

/// A [`Sink`] that computes any of: fingerprint, pcm_hash, collected samples.
pub(crate) struct Collect {
    fp: Option<FpState>,
    pcm: Option<blake3::Hasher>,
    samples: Option<Vec<f32>>,
    /// Frames still wanted in `samples` (None: all).
    samples_left: Option<u64>,
    /// The cap on collected samples, in seconds.
    max_seconds: Option<f64>,
    rate: u32,
    channels: usize,
    s16: Vec<i16>,
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
                remaining: 0,
                fed: 0,
                peak: 0,
                failed: None,
                started: false,
            }),
            pcm: pcm_hash.then(blake3::Hasher::new),
            samples: samples.then(Vec::new),
            samples_left: None,
            max_seconds,
            rate: 0,
            channels: 0,
            s16: Vec::new(),
            s32: Vec::new(),
            bytes: Vec::new(),
            sf: Vec::new(),
        }
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
        let mut out = Collected::default();
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
        if let Some(f) = self.fp.as_mut() {
            f.remaining = (FINGERPRINT_SECONDS * samplerate as f64) as u64;
            match super::catch("chromaprint", || f.fp.start(samplerate, channels as u32)) {
                Ok(Ok(())) => f.started = true,
                Ok(Err(e)) => f.failed = Some(format!("cannot fingerprint: {e:?}")),
                Err(e) => f.failed = Some(e),
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
                frames.to_i16(&mut self.s16);
                let take = (n as u64).min(f.remaining) as usize;
                let part = &self.s16[..(take * ch).min(self.s16.len())];
                let peak = part.iter().map(|v| v.saturating_abs()).max().unwrap_or(0);
                f.peak = f.peak.max(peak);
                let fp = &mut f.fp;
                if let Err(e) = super::catch("chromaprint", || fp.consume(part)) {
                    f.failed = Some(e);
                }
                f.remaining -= take as u64;
                f.fed += take as u64;
            }
        }
        if let Some(h) = self.pcm.as_mut() {
            frames.to_i32(&mut self.s32);
            self.bytes.clear();
            self.bytes.reserve(self.s32.len() * 4);
            for v in &self.s32 {
                self.bytes.extend_from_slice(&v.to_le_bytes());
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
