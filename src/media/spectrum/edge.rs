//! Finding the edge of an averaged spectrum: the smoothed band levels, a
//! lossy encoder's cliff (a fall of tens of dB within a few hundred Hz onto
//! a floor that stays down to Nyquist), and without one the point where the
//! content meets a flat floor. Anything unclear gives no edge.

/// Cliff finding (levels are smoothed ~100 Hz bands, dB; Hz figures are
/// scaled down for low sample rates, see [`Scale`]). The fall from content
/// to the floor must happen within `TRANSITION_HZ`: LAME's low-pass falls
/// ~80 dB in ~600 Hz, AAC, Vorbis and Opus ~40 dB in 300-800 Hz, while a
/// natural roll-off (even an 8-pole filter) loses well under 10 dB per kHz.
pub(super) const TRANSITION_HZ: f64 = 1000.0;
/// The shoulder is the median level of the `SHOULDER_HZ` at and below the
/// edge band,
pub(super) const SHOULDER_HZ: f64 = 700.0;
/// and the edge band is still content: within `EDGE_DB` of the shoulder.
pub(super) const EDGE_DB: f64 = 6.0;
/// Everything above the transition, up to Nyquist, stays at least this far
/// below the shoulder: the floor. It need not be flat: after AAC's, Vorbis'
/// and Opus' cliffs it slides down a further 30-60 dB.
pub(super) const MIN_DROP_DB: f64 = 30.0;
/// Below a cliff already found, a step of this much is a cliff too: Opus
/// (and AAC's noise substitution) fill the empty bands under their own cut
/// with noise, so a 128k MP3 re-encoded to Opus falls 25 dB at LAME's
/// 16.8 kHz onto a noise plateau, then off Opus' own cliff at 20 kHz. Music
/// never falls 20 dB within 1 kHz (that takes a slope of 15 dB/kHz; an
/// 8-pole low-pass at 4 kHz has 9 dB/kHz at 8 kHz).
pub(super) const NESTED_DROP_DB: f64 = 20.0;
/// The floor is at least this wide.
pub(super) const MIN_FLOOR_HZ: f64 = 500.0;

/// Without a cliff, the bandwidth is where the content meets a flat floor
/// at the top of the spectrum, if there is one. A flat region has no band
/// more than `FLAT_DB` above its median,
pub(super) const FLAT_DB: f64 = 6.0;
/// none more than `DIP_DB` below it (a region holding both content and the
/// floor under it is not flat, however much of it is content),
pub(super) const DIP_DB: f64 = 15.0;
/// and its first and last thirds within `TILT_DB` of each other (a steady
/// natural decline is not a floor).
pub(super) const TILT_DB: f64 = 4.0;
/// A flat region is a floor only if it is this far below the loud part of
/// the spectrum (the 90th percentile of the bands below it)
pub(super) const FLOOR_BELOW_DB: f64 = 40.0;
/// and no louder than this: the floor of 16-bit audio (with TPDF dither)
/// is about -125 dB per bin on this scale; flat content such as cymbals at
/// -85 dB is music, not a floor, however flat.
pub(super) const FLOOR_MAX_DB: f64 = -105.0;

/// A sharp drop from content to a flat floor, as a lossy encoder's low-pass
/// leaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cliff {
    /// Where the level has fallen half the drop (in dB), Hz.
    pub freq: u32,
    /// The shoulder (the median of the 700 Hz below the edge) minus the
    /// loudest band of the floor, dB.
    pub drop_db: f32,
    /// The fall from 80 % to 20 % of the drop, Hz.
    pub width_hz: u32,
    /// The floor's median level (dB per ~21.5 Hz bin relative to a full-scale
    /// sine).
    pub floor_db: f32,
}

/// Frequencies of the smoothed bands, and the edge finder's Hz-sized
/// parameters scaled to the sample rate.
pub(super) struct Scale {
    pub(super) nyquist: f64,
    /// FFT bins per band, and Hz per band.
    pub(super) bins: usize,
    pub(super) band_hz: f64,
    /// min(1, nyquist / 22050): windows shrink for low rates, whose bands
    /// are narrower and whose encoders' transitions are too.
    pub(super) s: f64,
}

impl Scale {
    pub(super) fn new(rate: u32, n: usize) -> Scale {
        let nyquist = rate as f64 / 2.0;
        let bin_hz = rate as f64 / n as f64;
        // ~100 Hz bands; narrower for low rates (~220 bands up to Nyquist),
        // wider above 192 kHz (at most ~1000 bands, which bounds the cost of
        // the edge search, quadratic in the band count).
        let want = (nyquist / 220.0).min(100.0).max(nyquist / 1000.0);
        let bins = ((want / bin_hz).round() as usize).max(1);
        Scale {
            nyquist,
            bins,
            band_hz: bins as f64 * bin_hz,
            s: (nyquist / 22_050.0).min(1.0),
        }
    }

    /// Hz (scaled for low rates) as a number of bands, at least `min`.
    pub(super) fn bands(&self, hz: f64, min: usize) -> usize {
        ((hz * self.s / self.band_hz).round() as usize).max(min)
    }

    /// The upper edge of band `j`, Hz.
    pub(super) fn top_hz(&self, j: usize) -> f64 {
        ((j + 1) as f64 * self.band_hz).min(self.nyquist)
    }

    /// The averaged power as band levels: the mean power of each band in
    /// dB, and the same through a 5-band running median (which keeps steps
    /// sharp but removes single tonal peaks).
    pub(super) fn levels(&self, power: &[f64], norm: f64) -> Levels {
        let raw: Vec<f64> = power
            .chunks_exact(self.bins)
            .map(|c| {
                let mean = c.iter().sum::<f64>() / c.len() as f64;
                10.0 * (mean / norm).max(1e-30).log10()
            })
            .collect();
        let mut win = Vec::with_capacity(5);
        let smooth = (0..raw.len())
            .map(|j| {
                win.clear();
                win.extend_from_slice(&raw[j.saturating_sub(2)..(j + 3).min(raw.len())]);
                median(&mut win)
            })
            .collect();
        Levels { raw, smooth }
    }
}

/// Band levels, dB.
pub(super) struct Levels {
    /// Each band's mean power.
    pub(super) raw: Vec<f64>,
    /// Through a 5-band running median.
    pub(super) smooth: Vec<f64>,
}

/// The median of `v` (reordered); NaN-free input assumed, 0 for empty.
pub(super) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *m
}

/// The `q` quantile (0..=1) of `v` (reordered).
pub(super) fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let k = ((v.len() - 1) as f64 * q).round() as usize;
    let (_, m, _) = v.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    *m
}

/// The edge the spectrum has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Edge {
    pub(super) bandwidth: u32,
    pub(super) cliff: Option<Cliff>,
}

/// The floor at the top of `m`: the widest region `[k, len)` that is flat
/// (see [`FLAT_DB`], [`DIP_DB`], [`TILT_DB`]) and at least `min` bands
/// wide, as `(k, median level)`; None when the top is not flat.
pub(super) fn top_floor(m: &[f64], min: usize) -> Option<(usize, f64)> {
    let end = m.len();
    let mut sorted: Vec<f64> = Vec::with_capacity(end);
    let mut scratch: Vec<f64> = Vec::with_capacity(end);
    let mut max = f64::NEG_INFINITY;
    let mut best = None;
    for k in (0..end).rev() {
        let v = m[k];
        let at = sorted.partition_point(|&x| x < v);
        sorted.insert(at, v);
        max = max.max(v);
        let w = end - k;
        if w < min {
            continue;
        }
        let med = sorted[w / 2];
        if max > med + FLAT_DB || sorted[0] < med - DIP_DB {
            continue;
        }
        let third = (w / 3).max(1);
        scratch.clear();
        scratch.extend_from_slice(&m[k..k + third]);
        let low = median(&mut scratch);
        scratch.clear();
        scratch.extend_from_slice(&m[end - third..end]);
        let high = median(&mut scratch);
        if (low - high).abs() > TILT_DB {
            continue;
        }
        best = Some((k, med));
    }
    best
}

/// Find the spectrum's edge in the smoothed levels `m`.
///
/// The highest cliff is found first. The search then repeats below it (with
/// [`NESTED_DROP_DB`]), and the lowest cliff found is the edge: a hi-res
/// file upsampled from a FLAC that was itself made from an MP3 has a
/// resampler's cliff at ~22 kHz from the old 16-bit floor down to the new
/// one, and LAME's at 16-17 kHz onto that 16-bit floor; the lower one is
/// where the music ends.
///
/// Without a cliff, the bandwidth is where the content last stands 10 dB
/// above a flat floor at the top (a natural fade into the noise), or
/// Nyquist when the top is not a floor (content all the way up).
pub(super) fn find_edge(levels: &Levels, scale: &Scale) -> Option<Edge> {
    let m = &levels.smooth;
    if m.len() < 16 {
        return None;
    }
    let mut cliff = None;
    let mut end = m.len();
    // At most three cliffs deep (native, resampled, re-resampled).
    for depth in 0..3 {
        let min_drop = if depth == 0 {
            MIN_DROP_DB
        } else {
            NESTED_DROP_DB
        };
        let Some((c, top)) = cliff_below(&levels.raw[..end], &m[..end], scale, min_drop) else {
            break;
        };
        cliff = Some(c);
        end = top + 1;
    }
    if let Some(c) = cliff {
        return Some(Edge {
            bandwidth: c.freq,
            cliff: Some(c),
        });
    }
    let mut bandwidth = scale.nyquist as u32;
    if let Some((k, floor)) = top_floor(m, scale.bands(MIN_FLOOR_HZ, 5)) {
        let mut below: Vec<f64> = m[..k].to_vec();
        let content = quantile(&mut below, 0.9);
        if k > 0 && floor <= content - FLOOR_BELOW_DB && floor <= FLOOR_MAX_DB {
            let top = (0..k).rev().find(|&j| m[j] >= floor + 10.0).unwrap_or(0);
            bandwidth = scale.top_hz(top) as u32;
        }
    }
    Some(Edge {
        bandwidth,
        cliff: None,
    })
}

/// The highest cliff in the smoothed levels `m` (see [`TRANSITION_HZ`] and
/// the figures after it), with the index of its edge band (the last band of
/// content). The floor's ceiling is taken from the `raw` levels: the median
/// would hide sparse tones above a "cliff" (the upper harmonics of a piano,
/// too far apart to survive it), and a lossy floor has none.
pub(super) fn cliff_below(
    raw: &[f64],
    m: &[f64],
    scale: &Scale,
    min_drop: f64,
) -> Option<(Cliff, usize)> {
    let t = scale.bands(TRANSITION_HZ, 3);
    let sh = scale.bands(SHOULDER_HZ, 4);
    let fl = scale.bands(MIN_FLOOR_HZ, 4);
    let end = m.len();
    if end < sh + t + fl + 1 {
        return None;
    }
    // above[i]: the loudest raw band from i up.
    let mut above = vec![f64::NEG_INFINITY; end + 1];
    for i in (0..end).rev() {
        above[i] = above[i + 1].max(raw[i]);
    }
    let mut win = Vec::with_capacity(sh + 1);
    for j in (sh..=end - t - fl).rev() {
        let ceiling = above[j + t];
        if m[j] < ceiling + min_drop {
            continue;
        }
        win.clear();
        win.extend_from_slice(&m[j - sh..=j]);
        let shoulder = median(&mut win);
        let drop = shoulder - ceiling;
        if m[j] < shoulder - EDGE_DB || drop < min_drop {
            continue;
        }
        // Where the fall crosses a fraction of the drop (in dB).
        let cross = |x: f64| {
            (j..=j + t)
                .rev()
                .find(|&k| m[k] >= ceiling + x * drop)
                .unwrap_or(j)
        };
        win.clear();
        win.extend_from_slice(&m[j + t..]);
        let cliff = Cliff {
            freq: scale.top_hz(cross(0.5)) as u32,
            drop_db: drop as f32,
            width_hz: ((cross(0.2) - cross(0.8)) as f64 * scale.band_hz).round() as u32,
            floor_db: median(&mut win) as f32,
        };
        return Some((cliff, j));
    }
    None
}
