//! The normalisation gain an export applies (`--normalize track|album`),
//! from EBU R128 values measured by [`crate::media::loudness`].
//!
//! Invariant: the gain never makes the output clip. It is `target - measured`,
//! lowered when needed so that the true peak after gain stays at or below
//! [`PEAK_CEILING_DB`] (-1 dBTP, the EBU/streaming recommendation, which
//! leaves room for lossy encoders' overshoot).

use crate::library::Track;
use crate::media::replaygain::ReplayGain;

/// The highest true peak (dBTP) a normalised export may reach.
pub const PEAK_CEILING_DB: f64 = -1.0;

/// The gain (dB) that brings `measured` LUFS to `target` LUFS, limited so the
/// true peak after gain stays at or below [`PEAK_CEILING_DB`]. `None` when the
/// track is silent (no meaningful loudness). For an album, `measured` and
/// `true_peak_db` are the album's, so every track gets the same gain and
/// the album's loudest peak stays under the ceiling.
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

/// The ReplayGain values of a track's source as the library knows them:
/// its measurement (`mixtape loudness`, `--normalize`) where it has one,
/// else the file's own `REPLAYGAIN_*` tags, the track's pair and the
/// album's each from one of them.
pub fn source_replaygain(track: &Track) -> ReplayGain {
    ReplayGain::from_loudness(
        track.loudness.zip(track.true_peak),
        track.album_loudness.zip(track.album_peak),
    )
    .or(&track.replaygain)
}

/// The values of audio remixed to other channels from the source `rg`
/// describes, which now measures `now` (LUFS, dBTP): the track's pair is
/// the new measurement's, and the album's moves as the track's did.
pub fn remixed(rg: &ReplayGain, now: (f64, f64)) -> ReplayGain {
    let new = ReplayGain::from_loudness(Some(now), None);
    let shift = match (rg.track_gain, new.track_gain) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let scale = match (rg.track_peak, new.track_peak) {
        (Some(a), Some(b)) if a > 0.0 => b / a,
        _ => 1.0,
    };
    ReplayGain {
        album_gain: rg.album_gain.map(|g| g + shift),
        album_peak: rg.album_peak.map(|p| p * scale),
        ..new
    }
}

/// A ReplayGain pair as the loudness (LUFS) and true peak (dBTP) it says.
pub fn as_loudness(gain: Option<f64>, peak: Option<f64>) -> Option<(f64, f64)> {
    let (g, p) = (gain?, peak?);
    Some((
        crate::media::replaygain::REFERENCE_LUFS - g,
        20.0 * p.max(1e-10).log10(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::loudness::measure_samples as measure_loudness;
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
