//! The fingerprint's front end: decoded audio mixed to mono and resampled to
//! Chromaprint's 11025 Hz before it reaches rusty-chromaprint, as fpcalc
//! has libswresample do before libchromaprint (so chromaprint's own, much
//! slower general resampler never runs).
//!
//! The resampler is a polyphase windowed-sinc FIR sized for what Chromaprint
//! looks at, not for listening: its chroma features use 28-3520 Hz only, so
//! the passband is flat to 3.6 kHz, the cutoff sits at the output Nyquist
//! (5512.5 Hz) and the stopband (-70 dB) starts by 7.5 kHz, the lowest
//! frequency that could alias below 3520 Hz. At 44.1 kHz that is 48 taps per
//! output sample. Output sample `n` is centred on input time `n * rate /
//! 11025` (zero phase, zeros before the start), as libswresample aligns it.

/// The rate Chromaprint works at.
pub(crate) const TARGET_RATE: u32 = 11025;
/// The highest source rate taken (PCM tops out at 768 kHz); a header that
/// claims more is damaged, and its kernel would not fit in memory.
pub(crate) const MAX_RATE: u32 = 768_000;
/// Phases kept at most; a finer input/output ratio rounds to the nearest
/// (at most 1/2048 of an input sample off).
const MAX_PHASES: u64 = 1024;
/// Stopband attenuation, dB.
const ATTENUATION_DB: f64 = 70.0;
/// Transition band, Hz: flat to 3.6 kHz, stopped from 7.5 kHz.
const PASS_HZ: f64 = 3600.0;
const STOP_HZ: f64 = 7500.0;

/// A streaming mono resampler from `rate` (above 11025 Hz) to 11025 Hz.
pub(crate) struct Downsampler {
    /// Input samples per output sample is `step / phases_den` (reduced).
    step: u64,
    den: u64,
    /// `step / den` as whole and fractional steps.
    step_int: i64,
    step_frac: u64,
    /// Kernel taps per phase, and the table `phase * taps + k`.
    taps: usize,
    phases: u64,
    table: Vec<f32>,
    /// Pending input; `buf[0]` is input sample `base` (may be negative:
    /// the zeros before the start).
    buf: Vec<f32>,
    base: i64,
    /// The next output's centre: input index `pos` plus `frac / den`.
    pos: i64,
    frac: u64,
    /// Outputs emitted so far.
    emitted: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The zeroth-order modified Bessel function (for the Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

impl Downsampler {
    /// A resampler from `rate` Hz; `None` when `rate` is not above 11025 Hz
    /// (such audio goes to chromaprint as it is) or above [`MAX_RATE`].
    pub(crate) fn new(rate: u32) -> Option<Self> {
        if rate <= TARGET_RATE || rate > MAX_RATE {
            return None;
        }
        let rate_f = rate as f64;
        let g = gcd(rate as u64, TARGET_RATE as u64);
        let (step, den) = (rate as u64 / g, TARGET_RATE as u64 / g);
        let phases = den.min(MAX_PHASES);
        // Kaiser design: length from the transition width, beta from the
        // attenuation; an even tap count centred between taps half-1, half.
        let transition = (STOP_HZ - PASS_HZ) / rate_f;
        let len = (ATTENUATION_DB - 8.0) / (2.285 * 2.0 * std::f64::consts::PI * transition);
        let half = ((len / 2.0).ceil() as usize).max(2);
        let taps = 2 * half;
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let fc = (TARGET_RATE as f64 / 2.0) / rate_f; // cycles per input sample
        let i0_beta = bessel_i0(beta);
        let mut table = Vec::with_capacity((phases as usize + 1) * taps);
        // Phase p is the centre p/phases of a sample past input `pos`; tap k
        // is input `pos - half + 1 + k`. One extra phase (a whole sample)
        // saves a wrap when a rounded phase reaches `phases`.
        for p in 0..=phases {
            let frac = p as f64 / phases as f64;
            let start = table.len();
            for k in 0..taps {
                let x = (k as f64 - (half as f64 - 1.0)) - frac;
                let sinc = if x == 0.0 {
                    1.0
                } else {
                    let a = std::f64::consts::PI * 2.0 * fc * x;
                    a.sin() / a
                };
                let r = x / half as f64;
                let w = if r.abs() >= 1.0 {
                    0.0
                } else {
                    bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta
                };
                table.push((2.0 * fc * sinc * w) as f32);
            }
            // Unity gain at DC for every phase.
            let sum: f32 = table[start..].iter().sum();
            for t in &mut table[start..] {
                *t /= sum;
            }
        }
        Some(Downsampler {
            step,
            den,
            step_int: (step / den) as i64,
            step_frac: step % den,
            taps,
            phases,
            table,
            buf: vec![0.0; half - 1],
            base: -(half as i64 - 1),
            pos: 0,
            frac: 0,
            emitted: 0,
        })
    }

    /// Feed mono input; resampled output is appended to `out`.
    pub(crate) fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.buf.extend_from_slice(input);
        self.run(out);
    }

    /// Emit every output whose kernel is covered by the input so far.
    fn run(&mut self, out: &mut Vec<f32>) {
        let taps = self.taps;
        let half = taps as i64 / 2;
        let end = self.base + self.buf.len() as i64; // one past the last input
        while self.pos + half < end {
            let first = (self.pos - half + 1 - self.base) as usize;
            let phase = if self.phases == self.den {
                self.frac
            } else {
                (self.frac * self.phases + self.den / 2) / self.den
            } as usize;
            let kernel = &self.table[phase * taps..(phase + 1) * taps];
            let window = &self.buf[first..first + taps];
            out.push(dot(kernel, window));
            self.emitted += 1;
            self.pos += self.step_int;
            self.frac += self.step_frac;
            if self.frac >= self.den {
                self.frac -= self.den;
                self.pos += 1;
            }
        }
        // Drop input no later output needs.
        let keep_from = (self.pos - half + 1 - self.base).max(0) as usize;
        if keep_from > 0 && keep_from * 2 >= self.buf.len() {
            let keep_from = keep_from.min(self.buf.len());
            self.buf.drain(..keep_from);
            self.base += keep_from as i64;
        }
    }

    /// End of input: the outputs centred before its end, zeros after it.
    pub(crate) fn finish(&mut self, out: &mut Vec<f32>) {
        let end = self.base + self.buf.len() as i64;
        let half = self.taps / 2;
        self.buf.extend(std::iter::repeat_n(0.0, half));
        let first = self.emitted;
        let mut tail = Vec::new();
        self.run(&mut tail);
        // Outputs centred at or past the end are padding.
        let centre = |i: usize| {
            let n = first + i as u64;
            (n as u128 * self.step as u128 / self.den as u128) as i64
        };
        let keep = (0..tail.len()).take_while(|&i| centre(i) < end).count();
        out.extend_from_slice(&tail[..keep]);
    }
}

/// A dot product written so the compiler vectorises it (8 lanes).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, ar) = a.split_at(a.len() / 8 * 8);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(8).zip(bc.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, secs: f64) -> Vec<f32> {
        (0..(rate as f64 * secs) as usize)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin()) as f32
            })
            .collect()
    }

    /// Resample in uneven chunks (the way packets arrive).
    fn resample(rate: u32, input: &[f32]) -> Vec<f32> {
        let mut d = Downsampler::new(rate).unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        let mut chunk = 1;
        while at < input.len() {
            let n = chunk.min(input.len() - at);
            d.push(&input[at..at + n], &mut out);
            at += n;
            chunk = chunk * 3 % 4099 + 1;
        }
        d.finish(&mut out);
        out
    }

    /// Amplitude of `hz` in `x` at 11025 Hz (single-bin DFT), skipping the
    /// edges.
    fn amplitude(x: &[f32], hz: f64) -> f64 {
        let x = &x[1000..x.len() - 1000];
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let a = 2.0 * std::f64::consts::PI * hz * i as f64 / TARGET_RATE as f64;
            re += v as f64 * a.cos();
            im += v as f64 * a.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn length_gain_and_alignment() {
        for rate in [22050, 32000, 44100, 48000, 88200, 96000, 44056] {
            let input = tone(rate, 440.0, 2.0);
            let out = resample(rate, &input);
            let expected = (input.len() as u64 * 11025).div_ceil(rate as u64) as usize;
            assert_eq!(out.len(), expected, "{rate} Hz: output length");
            // A passband tone keeps its level and its phase: output n is the
            // input at time n / 11025 s.
            assert!(
                (amplitude(&out, 440.0) - 0.5).abs() < 0.005,
                "{rate} Hz: gain"
            );
            let want = tone(TARGET_RATE, 440.0, 2.0);
            let err = out[500..out.len() - 500]
                .iter()
                .zip(&want[500..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                err < 0.01,
                "{rate} Hz: max error {err} against an ideal resample"
            );
        }
    }

    #[test]
    fn passband_is_flat_and_aliases_are_stopped() {
        let rate = 44100;
        for hz in [100.0, 1000.0, 3520.0] {
            let a = amplitude(&resample(rate, &tone(rate, hz, 2.0)), hz);
            assert!((a - 0.5).abs() < 0.005, "{hz} Hz passes at {a}");
        }
        // 8 kHz would fold to 3025 Hz, inside chromaprint's band.
        let a = amplitude(&resample(rate, &tone(rate, 8000.0, 2.0)), 3025.0);
        assert!(a < 0.5 * 10f64.powf(-60.0 / 20.0), "8 kHz alias at {a}");
    }

    #[test]
    fn whole_ratios_match_the_direct_sum() {
        for rate in [22050, 44100, 88200] {
            let x = crate::media::synth::music(5, 1.3, rate, 1);
            let d = Downsampler::new(rate).unwrap();
            let (m, taps) = (d.step as i64, d.taps as i64);
            let direct: Vec<f32> = (0..(x.len() as i64 + m - 1) / m)
                .map(|n| {
                    (0..taps)
                        .map(|k| {
                            let i = n * m - taps / 2 + 1 + k;
                            let v = if (0..x.len() as i64).contains(&i) {
                                x[i as usize]
                            } else {
                                0.0
                            };
                            d.table[k as usize] * v
                        })
                        .sum()
                })
                .collect();
            let got = resample(rate, &x);
            assert_eq!(got.len(), direct.len());
            let err = got
                .iter()
                .zip(&direct)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(err < 1e-5, "{rate} Hz: {err}");
        }
    }

    #[test]
    fn low_rates_are_left_alone() {
        assert!(Downsampler::new(11025).is_none());
        assert!(Downsampler::new(8000).is_none());
        assert!(Downsampler::new(MAX_RATE + 1).is_none());
        let d = Downsampler::new(MAX_RATE).unwrap();
        assert!(d.table.len() < 200_000, "{} taps", d.table.len());
    }
}
