//! Sample-rate conversion (rubato 5, FFT-based synchronous resampler) and
//! channel mixing (downmix to stereo or mono, upmix mono).
//!
//! Invariants: the output of [`resample`] has exactly
//! `ceil(frames * to / from)` frames with the resampler's start-up delay
//! trimmed, so timing and track lengths survive conversion (3 s at 48 kHz
//! become exactly 132,300 frames at 44.1 kHz). [`remix`] never clips: a
//! downmix whose sum would exceed full scale is scaled down as a whole.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::error::{EncodeStage, Error, Result};

/// Chunk size of the FFT resampler, in input frames. Larger chunks are a
/// little faster; this keeps the resampler's own buffers small.
const CHUNK: usize = 4096;

/// Resample interleaved f32 audio from `from` Hz to `to` Hz.
pub fn resample(samples: &[f32], channels: u16, from: u32, to: u32) -> Result<Vec<f32>> {
    let ch = channels.max(1) as usize;
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    if from == 0 || to == 0 {
        return Err(Error::encode(
            EncodeStage::Resample,
            format!("resample: bad rate {from} -> {to}"),
        ));
    }
    let frames = samples.len() / ch;
    let err = |e: &dyn std::fmt::Display| {
        Error::encode(
            EncodeStage::Resample,
            format!("resample {from} -> {to}: {e}"),
        )
    };
    let mut r = Fft::<f32>::new(from as usize, to as usize, CHUNK, ch, FixedSync::Input)
        .map_err(|e| err(&e))?;
    let input = InterleavedSlice::new(&samples[..frames * ch], ch, frames).map_err(|e| err(&e))?;
    let out = r.process_all(&input, frames, None).map_err(|e| err(&e))?;
    Ok(out.take_data())
}

/// Mix interleaved audio from `from` channels to `to` channels. Supported:
/// anything to mono (average), mono to stereo (copy), and 3..8 channels to
/// stereo using the ITU-R BS.775 coefficients in WAVE channel order (L R C
/// LFE Ls Rs ...; LFE dropped). Returns the samples and whether they were
/// scaled down to avoid clipping.
pub fn remix(samples: Vec<f32>, from: u16, to: u16) -> Result<(Vec<f32>, bool)> {
    if from == to {
        return Ok((samples, false));
    }
    let n = from.max(1) as usize;
    let frames = samples.len() / n;
    let mut out = match (from, to) {
        (_, 1) => samples
            .chunks_exact(n)
            .map(|f| f.iter().sum::<f32>() / n as f32)
            .collect::<Vec<f32>>(),
        (1, 2) => samples.iter().flat_map(|&s| [s, s]).collect(),
        (3..=8, 2) => {
            let weights = stereo_weights(from);
            let mut out = Vec::with_capacity(frames * 2);
            for f in samples.chunks_exact(n) {
                let (mut l, mut r) = (0f32, 0f32);
                for (s, (wl, wr)) in f.iter().zip(&weights) {
                    l += s * wl;
                    r += s * wr;
                }
                out.push(l);
                out.push(r);
            }
            out
        }
        _ => {
            return Err(Error::encode(
                EncodeStage::Resample,
                format!(
            "cannot mix {from} channels to {to} (supported: any to mono or stereo, mono to stereo)"
        ),
            ))
        }
    };
    let peak = out.iter().fold(0f32, |m, s| m.max(s.abs()));
    let scaled = peak > 1.0;
    if scaled {
        let g = 1.0 / peak;
        out.iter_mut().for_each(|s| *s *= g);
    }
    Ok((out, scaled))
}

/// (left, right) weights per input channel, WAVE order.
fn stereo_weights(channels: u16) -> Vec<(f32, f32)> {
    const H: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let mut w = vec![(1.0, 0.0), (0.0, 1.0)];
    match channels {
        3 => w.push((H, H)),                         // L R C
        4 => w.extend([(H, 0.0), (0.0, H)]),         // L R Ls Rs
        5 => w.extend([(H, H), (H, 0.0), (0.0, H)]), // L R C Ls Rs
        _ => {
            w.extend([(H, H), (0.0, 0.0)]); // C, LFE
            for i in 4..channels {
                // Surrounds and backs alternate left, right.
                w.push(if i % 2 == 0 { (H, 0.0) } else { (0.0, H) });
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth;

    #[test]
    fn exact_frame_counts() {
        let three_s = synth::music(1, 3.0, 48_000, 2);
        let out = resample(&three_s, 2, 48_000, 44_100).unwrap();
        assert_eq!(out.len() / 2, 132_300);
        let hi = synth::music(1, 1.0, 96_000, 2);
        assert_eq!(resample(&hi, 2, 96_000, 44_100).unwrap().len() / 2, 44_100);
        let odd = synth::music(1, 1.0, 88_200, 1);
        assert_eq!(resample(&odd, 1, 88_200, 44_100).unwrap().len(), 44_100);
    }

    #[test]
    fn a_tone_keeps_its_pitch_and_level() {
        // 1 kHz at 48 kHz -> 44.1 kHz: zero crossings per second stay 2000,
        // and the amplitude stays ~0.5 (no delay smear at the start either).
        let sr = 48_000;
        let tone: Vec<f32> = (0..sr * 2)
            .map(|i| 0.5 * (i as f32 * 1000.0 * std::f32::consts::TAU / sr as f32).sin())
            .collect();
        let out = resample(&tone, 1, sr as u32, 44_100).unwrap();
        let mid = &out[22_050..66_150];
        let crossings = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((999..=1001).contains(&crossings), "{crossings}");
        let peak = mid.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!((peak - 0.5).abs() < 0.01, "peak {peak}");
        // The first sample is aligned: sin(0) = 0, not delayed silence then a jump.
        assert!(
            out[10].abs() > 0.1,
            "start-up delay not trimmed: {}",
            out[10]
        );
    }

    #[test]
    fn mixing() {
        let (m, _) = remix(vec![0.2, 0.4, -0.2, 0.0], 2, 1).unwrap();
        assert_eq!(m, vec![0.3, -0.1]);
        let (s, _) = remix(vec![0.1, 0.2], 1, 2).unwrap();
        assert_eq!(s, vec![0.1, 0.1, 0.2, 0.2]);
        // 5.1: centre to both, LFE dropped, surrounds to their side.
        let (st, scaled) = remix(vec![0.0, 0.0, 0.5, 0.9, 0.0, 0.0], 6, 2).unwrap();
        assert!(!scaled);
        assert!((st[0] - 0.3536).abs() < 1e-3 && (st[1] - 0.3536).abs() < 1e-3);
        // A loud 5.1 frame would clip: scaled down, never above full scale.
        let (st, scaled) = remix(vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0], 6, 2).unwrap();
        assert!(scaled && st.iter().all(|s| s.abs() <= 1.0));
        assert!(remix(vec![0.0; 4], 2, 4).is_err());
    }
}
