//! EBU R128 loudness (ebur128): integrated loudness and true peak, and the
//! normalisation gain an export applies.
//!
//! Invariant: the gain never makes the output clip. It is `target - measured`,
//! lowered when needed so that the true peak after gain stays at or below
//! [`PEAK_CEILING_DB`] (-1 dBTP, the EBU/streaming recommendation, which
//! leaves room for lossy encoders' overshoot).

use ebur128::{EbuR128, Mode};

use crate::error::{EncodeStage, Error, Result};

/// The highest true peak (dBTP) a normalised export may reach.
pub const PEAK_CEILING_DB: f64 = -1.0;

/// Measure integrated loudness (LUFS) and true peak (dBTP, the highest over
/// channels) of interleaved f32 audio. Silence measures as -inf LUFS.
pub fn measure_loudness(samples: &[f32], rate: u32, channels: u16) -> Result<(f64, f64)> {
    let err = |e: ebur128::Error| Error::encode(EncodeStage::Loudness, format!("loudness: {e}"));
    let ch = channels.max(1) as u32;
    let mut m = EbuR128::new(ch, rate, Mode::I | Mode::TRUE_PEAK).map_err(err)?;
    // Feed in pieces so the meter's internal buffers stay small.
    for chunk in samples.chunks(ch as usize * 65_536) {
        m.add_frames_f32(chunk).map_err(err)?;
    }
    let lufs = m.loudness_global().map_err(err)?;
    let mut peak = 0f64;
    for c in 0..ch {
        peak = peak.max(m.true_peak(c).map_err(err)?);
    }
    Ok((lufs, 20.0 * peak.max(1e-10).log10()))
}

/// The gain (dB) that brings `measured` LUFS to `target` LUFS, limited so the
/// true peak after gain stays at or below [`PEAK_CEILING_DB`]. `None` when the
/// track is silent (no meaningful loudness).
pub fn normalization_gain(target: f64, measured: f64, true_peak_db: f64) -> Option<f64> {
    if !measured.is_finite() {
        return None;
    }
    let wanted = target - measured;
    let headroom = PEAK_CEILING_DB - true_peak_db;
    Some(wanted.min(headroom))
}

/// Multiply samples by a gain in dB.
pub fn apply_gain(samples: &mut [f32], gain_db: f64) {
    let g = 10f64.powf(gain_db / 20.0) as f32;
    if g != 1.0 {
        samples.iter_mut().for_each(|s| *s *= g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth;

    #[test]
    fn gain_reaches_target_when_peaks_allow() {
        let mut s = synth::music(4, 10.0, 44_100, 2);
        apply_gain(&mut s, -12.0);
        let (lufs, tp) = measure_loudness(&s, 44_100, 2).unwrap();
        assert!(lufs < -20.0 && tp < -6.0, "{lufs} {tp}");
        let g = normalization_gain(lufs + 3.0, lufs, tp).unwrap();
        assert!((g - 3.0).abs() < 1e-9);
        apply_gain(&mut s, g);
        let (after, _) = measure_loudness(&s, 44_100, 2).unwrap();
        assert!((after - (lufs + 3.0)).abs() < 0.05, "{after}");
    }

    #[test]
    fn gain_is_limited_by_true_peak() {
        // A loud signal and a very loud target: the gain stops at -1 dBTP.
        let mut s = synth::music(5, 10.0, 44_100, 2);
        let (lufs, tp) = measure_loudness(&s, 44_100, 2).unwrap();
        let g = normalization_gain(-5.0, lufs, tp).unwrap();
        assert!(g < -5.0 - lufs, "gain must be limited: {g}");
        apply_gain(&mut s, g);
        let (_, tp_after) = measure_loudness(&s, 44_100, 2).unwrap();
        assert!(tp_after <= PEAK_CEILING_DB + 0.05, "true peak {tp_after}");
        assert!(s.iter().all(|x| x.abs() <= 1.0), "clipped");
    }

    #[test]
    fn silence_gets_no_gain() {
        let (lufs, _) = measure_loudness(&[0.0; 88_200], 44_100, 2).unwrap();
        assert_eq!(normalization_gain(-14.0, lufs, -100.0), None);
    }
}
