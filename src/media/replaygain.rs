//! ReplayGain 2.0 values as plain data: what a file's `REPLAYGAIN_*` tags
//! say (read at scan time), what an export writes, and the arithmetic
//! between them and EBU R128 measurements.
//!
//! ReplayGain 2.0 takes -18 LUFS as its reference: a track measured at L
//! LUFS gets a gain of `-18 - L` dB, written as `"-6.52 dB"`, and its peak
//! is the linear true peak (`"0.988553"`, 1.0 = full scale). Opus files
//! carry `R128_TRACK_GAIN`/`R128_ALBUM_GAIN` instead: Q7.8 fixed-point
//! integers (1/256 dB) relative to -23 LUFS (RFC 7845), so an R128 gain is
//! the ReplayGain gain less 5 dB. [`r128_gain`] and [`gain_from_r128`] are
//! the two directions; nothing here depends on the rest of mixtape.

/// The ReplayGain 2.0 reference loudness (LUFS).
pub const REFERENCE_LUFS: f64 = -18.0;
/// The reference of Opus' R128 gain tags (LUFS).
pub const R128_REFERENCE_LUFS: f64 = -23.0;

/// A file's ReplayGain values: gains in dB (at the -18 LUFS reference),
/// peaks linear (1.0 = full scale). Each is absent when unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReplayGain {
    pub track_gain: Option<f64>,
    pub track_peak: Option<f64>,
    pub album_gain: Option<f64>,
    pub album_peak: Option<f64>,
}

impl ReplayGain {
    /// No value at all.
    pub fn is_empty(&self) -> bool {
        *self == ReplayGain::default()
    }

    /// The values for EBU R128 measurements: the track's integrated
    /// loudness (LUFS) and true peak (dBTP), and its album's (when known).
    /// A silent track (loudness -inf) gets no gain.
    pub fn from_loudness(track: Option<(f64, f64)>, album: Option<(f64, f64)>) -> ReplayGain {
        let gain = |lufs: f64| lufs.is_finite().then_some(REFERENCE_LUFS - lufs);
        ReplayGain {
            track_gain: track.and_then(|(l, _)| gain(l)),
            track_peak: track.map(|(_, p)| peak_linear(p)),
            album_gain: album.and_then(|(l, _)| gain(l)),
            album_peak: album.map(|(_, p)| peak_linear(p)),
        }
    }

    /// The values of the same audio after `gain_db` was applied to it:
    /// every gain lowered by it, every peak scaled by it.
    pub fn after_gain(&self, gain_db: f64) -> ReplayGain {
        let scale = 10f64.powf(gain_db / 20.0);
        ReplayGain {
            track_gain: self.track_gain.map(|g| g - gain_db),
            track_peak: self.track_peak.map(|p| p * scale),
            album_gain: self.album_gain.map(|g| g - gain_db),
            album_peak: self.album_peak.map(|p| p * scale),
        }
    }

    /// Each value of `self`, else `other`'s, pair by pair: a track's gain
    /// and peak come together from one of them, and so do the album's.
    pub fn or(&self, other: &ReplayGain) -> ReplayGain {
        let track = self.track_gain.is_some() || self.track_peak.is_some();
        let album = self.album_gain.is_some() || self.album_peak.is_some();
        let (t, a) = (
            if track { self } else { other },
            if album { self } else { other },
        );
        ReplayGain {
            track_gain: t.track_gain,
            track_peak: t.track_peak,
            album_gain: a.album_gain,
            album_peak: a.album_peak,
        }
    }

    /// `R128_TRACK_GAIN` for an Opus file of this audio (None: no track gain).
    pub fn r128_track_gain(&self) -> Option<i16> {
        self.track_gain.map(r128_gain)
    }

    /// `R128_ALBUM_GAIN` for an Opus file of this audio.
    pub fn r128_album_gain(&self) -> Option<i16> {
        self.album_gain.map(r128_gain)
    }
}

/// A true peak in dBTP as a linear ReplayGain peak.
pub fn peak_linear(db: f64) -> f64 {
    if db.is_finite() {
        10f64.powf(db / 20.0)
    } else {
        0.0
    }
}

/// A gain as its tag value: two decimals and ` dB` (`"-6.52 dB"`,
/// `"2.10 dB"`; never `-0.00`).
pub fn format_gain(db: f64) -> String {
    let r = (db * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r:.2} dB")
}

/// A peak as its tag value: six decimals (`"0.988553"`).
pub fn format_peak(linear: f64) -> String {
    format!("{:.6}", linear.max(0.0))
}

/// A gain tag's value in dB: `"-6.52 dB"`, `"+2.1 dB"`, `"-6.52"` (any
/// case, spaces around). None for anything else, or past ±100 dB.
pub fn parse_gain(s: &str) -> Option<f64> {
    let s = s.trim();
    let num = match s.len().checked_sub(2) {
        Some(i) if s.is_char_boundary(i) && s[i..].eq_ignore_ascii_case("db") => &s[..i],
        _ => s,
    };
    let v: f64 = num.trim().trim_start_matches('+').parse().ok()?;
    (v.is_finite() && v.abs() <= 100.0).then_some(v)
}

/// A peak tag's value (linear, 0 up to 100 = +40 dBFS).
pub fn parse_peak(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && (0.0..=100.0).contains(&v)).then_some(v)
}

/// The Opus `R128_*_GAIN` value (Q7.8, relative to -23 LUFS) for a
/// ReplayGain 2.0 gain (relative to -18 LUFS), rounded to the nearest
/// 1/256 dB and held within i16.
pub fn r128_gain(replaygain_db: f64) -> i16 {
    let db = replaygain_db - (REFERENCE_LUFS - R128_REFERENCE_LUFS);
    (db * 256.0).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
}

/// The ReplayGain 2.0 gain (dB, at -18 LUFS) an Opus `R128_*_GAIN` tag
/// value says; None when the value is not an integer in range.
pub fn gain_from_r128(s: &str) -> Option<f64> {
    let q: i16 = s.trim().trim_start_matches('+').parse().ok()?;
    Some(f64::from(q) / 256.0 + (REFERENCE_LUFS - R128_REFERENCE_LUFS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_and_peaks_are_written_as_replaygain_2_says() {
        assert_eq!(format_gain(-6.5234), "-6.52 dB");
        assert_eq!(format_gain(2.1), "2.10 dB");
        assert_eq!(format_gain(-0.001), "0.00 dB");
        assert_eq!(format_peak(0.98855312), "0.988553");
        let rg = ReplayGain::from_loudness(Some((-11.48, -0.1)), Some((-12.0, 0.0)));
        assert_eq!(format_gain(rg.track_gain.unwrap()), "-6.52 dB");
        assert_eq!(format_peak(rg.track_peak.unwrap()), "0.988553");
        assert_eq!(rg.album_gain, Some(-6.0));
        assert_eq!(rg.album_peak, Some(1.0));
        // Silence has a peak but no gain.
        let silent = ReplayGain::from_loudness(Some((f64::NEG_INFINITY, -200.0)), None);
        assert_eq!(silent.track_gain, None);
        assert!(silent.track_peak.unwrap() < 1e-9);
    }

    #[test]
    fn tag_values_parse_in_their_usual_spellings() {
        assert_eq!(parse_gain("-6.52 dB"), Some(-6.52));
        assert_eq!(parse_gain(" +2.10 DB "), Some(2.1));
        assert_eq!(parse_gain("-3.5dB"), Some(-3.5));
        assert_eq!(parse_gain("1.25"), Some(1.25));
        assert_eq!(parse_gain("loud"), None);
        assert_eq!(parse_gain("NaN dB"), None);
        assert_eq!(parse_gain("-400 dB"), None);
        assert_eq!(parse_peak("0.988553"), Some(0.988553));
        assert_eq!(parse_peak("-1"), None);
        assert_eq!(parse_peak("x"), None);
    }

    /// RFC 7845: Q7.8 relative to -23 LUFS. A track at -23 LUFS has an
    /// R128 gain of 0 and a ReplayGain gain of +5 dB.
    #[test]
    fn r128_gains_are_q7_8_relative_to_minus_23_lufs() {
        assert_eq!(r128_gain(5.0), 0);
        assert_eq!(r128_gain(-6.52), -2949); // (-6.52 - 5) * 256 = -2949.12
        assert_eq!(r128_gain(6.0), 256);
        assert_eq!(r128_gain(1000.0), i16::MAX);
        assert_eq!(r128_gain(-1000.0), i16::MIN);
        assert_eq!(gain_from_r128("0"), Some(5.0));
        assert_eq!(gain_from_r128("-2949"), Some(-2949.0 / 256.0 + 5.0));
        assert_eq!(gain_from_r128("40000"), None);
        assert_eq!(gain_from_r128("1.5"), None);
        let rg = ReplayGain::from_loudness(Some((-23.0, -3.0)), Some((-18.0, -1.0)));
        assert_eq!(rg.r128_track_gain(), Some(0));
        assert_eq!(rg.r128_album_gain(), Some(-1280));
        for q in [-32768i16, -2949, -1, 0, 1, 300, 32767] {
            assert_eq!(r128_gain(gain_from_r128(&q.to_string()).unwrap()), q);
        }
    }

    #[test]
    fn a_baked_gain_moves_the_values_with_the_audio() {
        let rg = ReplayGain {
            track_gain: Some(-4.0),
            track_peak: Some(0.5),
            album_gain: Some(-5.0),
            album_peak: Some(0.8),
        };
        let after = rg.after_gain(-6.0206);
        assert!((after.track_gain.unwrap() - 2.0206).abs() < 1e-9);
        assert!((after.track_peak.unwrap() - 0.25).abs() < 1e-4);
        assert!((after.album_gain.unwrap() - 1.0206).abs() < 1e-9);
        assert!((after.album_peak.unwrap() - 0.4).abs() < 1e-4);
        // Pairs are taken whole from one side.
        let src = ReplayGain {
            album_gain: Some(1.0),
            album_peak: Some(0.9),
            ..Default::default()
        };
        let mixed = ReplayGain {
            track_gain: Some(-2.0),
            track_peak: Some(0.7),
            ..Default::default()
        }
        .or(&src);
        assert_eq!(mixed.track_gain, Some(-2.0));
        assert_eq!(mixed.album_peak, Some(0.9));
        assert!(ReplayGain::default().is_empty());
    }
}
