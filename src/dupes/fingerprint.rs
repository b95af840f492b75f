//! Matching Chromaprint fingerprints: is this the same recording?
//!
//! A raw Chromaprint fingerprint is one `u32` per ~0.124 s of audio (fpcalc's
//! default algorithm: 1365.3 samples at 11025 Hz per item). Two encodings of
//! the same recording (another codec or bitrate, a gain change) give nearly
//! the same items; a copy with a few seconds trimmed off the start gives the
//! same items shifted by an offset (and, since the trim is rarely a whole
//! item, with some bits changed).
//!
//! Matching has two steps, so that a library of 100k tracks costs seconds
//! instead of the hours that comparing every pair would take:
//!
//! 1. [`candidate_pairs`]: an inverted index over fingerprint sub-hashes.
//!    The key is an item's full 32-bit value, which survives transcoding and
//!    trimming often enough (measured on music-like signals: ~45 % of items
//!    of a 2 s-trimmed copy are bit-identical after alignment) while being
//!    selective. Long fingerprints index a content-defined 1/8 sample of
//!    their distinct values (the same values are sampled in every track, so
//!    shared values stay shared); values present in too many tracks (silence,
//!    common textures) are stop words and are dropped. Pairs that share at
//!    least [`MIN_SHARED_KEYS`] keys become candidates.
//! 2. [`compare`]: like AcoustID's matcher, try every alignment within
//!    ±[`MAX_SHIFT_SECONDS`] (coarse pass on every 4th item, then refine the
//!    best few) and measure the bit error rate (BER) over the overlap. The
//!    same recording scores a BER of a few percent; different recordings,
//!    even in the same key and tempo, score 0.4–0.5. [`MATCH_BER`] separates
//!    them.
//!
//! Fingerprints of files under [`MIN_SECONDS`], or of near-silence, are not
//! [`usable`]: they never group by fingerprint.

use rayon::prelude::*;

/// Fingerprint items per second of audio (fpcalc's default configuration).
pub const ITEMS_PER_SECOND: f64 = 11025.0 / (4096.0 - 4096.0 * 2.0 / 3.0);

/// Shorter files are "too short to fingerprint" for matching purposes.
pub const MIN_SECONDS: f64 = 3.0;

/// The largest start offset between two copies that is searched.
pub const MAX_SHIFT_SECONDS: f64 = 12.0;

/// Highest bit error rate (over the aligned overlap) that still means "the
/// same recording" (similarity 0.90). Measured on the real-music library
/// (`benches/similarity.py`, 204 true pairs among 11,781): every copy,
/// transcode (MP3, AAC, Opus, Vorbis, transcodes of transcodes), -4 dB gain
/// change and trim scored 0.928 or more; every other pair 0.695 or less.
/// An alternate mix of the same tune has been seen at 0.81.
pub const MATCH_BER: f64 = 0.10;

/// Highest bit error rate that still means "clearly related" (similarity
/// 0.75): another mix, a remaster, an arrangement of the same tune; kind
/// `similar`, never a duplicate. Above the 0.695 of the most alike
/// unrelated pair measured, below the 0.81 of an alternate mix.
pub const SIMILAR_BER: f64 = 0.25;

/// Candidate pairs must share at least this many index keys.
pub const MIN_SHARED_KEYS: u32 = 2;

/// A key found in more tracks than this is a stop word (silence, common
/// textures) and is not used to find candidates.
pub const MAX_POSTINGS: usize = 200;

/// Fingerprints with at least this many items index only a 1/8 sample of
/// their distinct values; shorter ones index all of them.
const SAMPLE_FROM_ITEMS: usize = 240;

/// Minimum number of items a fingerprint must have.
fn min_items() -> usize {
    (MIN_SECONDS * ITEMS_PER_SECOND).floor() as usize - 8
}

/// The maximum shift, in items.
fn max_shift() -> isize {
    (MAX_SHIFT_SECONDS * ITEMS_PER_SECOND).round() as isize
}

/// Why a fingerprint cannot be used for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Under [`MIN_SECONDS`] of audio.
    TooShort,
    /// (Nearly) silent: a single value dominates.
    Silent,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unusable::TooShort => "too short to fingerprint",
            Unusable::Silent => "silent",
        })
    }
}

/// Can this fingerprint take part in matching? `length` is the file's
/// duration in seconds, when known.
pub fn usable(fp: &[u32], length: Option<f64>) -> Result<(), Unusable> {
    if fp.len() < min_items() || length.is_some_and(|l| l < MIN_SECONDS) {
        return Err(Unusable::TooShort);
    }
    // Silence fingerprints to one constant value, near-silence to a value
    // that barely changes. O(n) without allocating: this runs for every
    // track of the library. A majority value (Boyer-Moore vote, then a count)
    // or fewer than one change in ten items means silent.
    let (mut major, mut votes) = (fp[0], 0usize);
    for &v in fp {
        if votes == 0 {
            major = v;
        }
        votes = if v == major { votes + 1 } else { votes - 1 };
    }
    let count = fp.iter().filter(|&&v| v == major).count();
    let changes = fp.windows(2).filter(|w| w[0] != w[1]).count();
    if count * 2 > fp.len() || changes * 10 < fp.len() {
        return Err(Unusable::Silent);
    }
    Ok(())
}

/// The result of aligning two fingerprints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Bit error rate over the overlap at the best alignment (0 = identical).
    pub ber: f64,
    /// Item `i` of the first fingerprint lines up with item `i + offset` of
    /// the second.
    pub offset: isize,
    /// Items compared.
    pub overlap: usize,
}

/// The bit-error rates that decide: at most `matched` is the same
/// recording, at most `similar` another version of the tune (the config
/// file's `dupes.match_threshold` and `dupes.similar_threshold`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Same recording at or below this BER.
    pub matched: f64,
    /// Another version at or below this BER.
    pub similar: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            matched: MATCH_BER,
            similar: SIMILAR_BER,
        }
    }
}

impl Match {
    /// 1 − BER: 1.0 for identical fingerprints, about 0.5 for unrelated ones.
    pub fn similarity(&self) -> f64 {
        1.0 - self.ber
    }

    /// The offset in seconds (positive: the second starts later in the
    /// recording, i.e. its start was trimmed).
    pub fn offset_seconds(&self) -> f64 {
        -(self.offset as f64) / ITEMS_PER_SECOND
    }

    /// Is this the same recording?
    pub fn is_match(&self) -> bool {
        self.is_match_at(&Thresholds::default())
    }

    /// Is this another version of the same tune (related, not the same
    /// recording)?
    pub fn is_similar(&self) -> bool {
        self.is_similar_at(&Thresholds::default())
    }

    /// [`Match::is_match`] at thresholds `t`.
    pub fn is_match_at(&self, t: &Thresholds) -> bool {
        self.ber <= t.matched
    }

    /// [`Match::is_similar`] at thresholds `t`.
    pub fn is_similar_at(&self, t: &Thresholds) -> bool {
        self.ber > t.matched && self.ber <= t.similar
    }
}

/// Bit errors and items compared at one alignment, looking at every `step`-th item.
fn errors_at(a: &[u32], b: &[u32], offset: isize, step: usize) -> (u64, usize) {
    let start = 0isize.max(-offset) as usize;
    let end = (a.len() as isize).min(b.len() as isize - offset);
    if end <= start as isize {
        return (0, 0);
    }
    let end = end as usize;
    let bstart = (start as isize + offset) as usize;
    let mut bits = 0u64;
    let mut n = 0usize;
    for (x, y) in a[start..end].iter().zip(&b[bstart..]).step_by(step) {
        bits += (x ^ y).count_ones() as u64;
        n += 1;
    }
    (bits, n)
}

/// Align two fingerprints (offsets within ±[`MAX_SHIFT_SECONDS`]) and return
/// the best alignment, or `None` if no alignment overlaps enough (at least
/// [`MIN_SECONDS`] and half of the shorter fingerprint).
pub fn compare(a: &[u32], b: &[u32]) -> Option<Match> {
    let shift = max_shift();
    let need = min_items().max(a.len().min(b.len()) / 2);
    let full_overlap = |off: isize| -> usize {
        let start = 0isize.max(-off);
        let end = (a.len() as isize).min(b.len() as isize - off);
        (end - start).max(0) as usize
    };
    // Coarse pass: every 4th item at every offset.
    let mut coarse: Vec<(f64, isize)> = (-shift..=shift)
        .filter(|&off| full_overlap(off) >= need)
        .filter_map(|off| {
            let (bits, n) = errors_at(a, b, off, 4);
            (n > 0).then(|| (bits as f64 / (32 * n) as f64, off))
        })
        .collect();
    if coarse.is_empty() {
        return None;
    }
    coarse.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.abs().cmp(&y.1.abs())));
    // Refine the best few coarse offsets (and their neighbours) on every item.
    let mut best: Option<Match> = None;
    for &(_, off) in coarse.iter().take(3) {
        for o in off - 1..=off + 1 {
            if o < -shift || o > shift || full_overlap(o) < need {
                continue;
            }
            let (bits, n) = errors_at(a, b, o, 1);
            if n == 0 {
                continue;
            }
            let m = Match {
                ber: bits as f64 / (32 * n) as f64,
                offset: o,
                overlap: n,
            };
            if best.is_none_or(|b| m.ber < b.ber) {
                best = Some(m);
            }
        }
    }
    best
}

/// A cheap, well-mixed hash of a fingerprint value, for sampling.
fn mix(v: u32) -> u32 {
    let mut x = v.wrapping_mul(0x9E37_79B1);
    x ^= x >> 15;
    x.wrapping_mul(0x85EB_CA77)
}

/// The index keys of one fingerprint: its distinct values (a 1/8 sample of
/// them for long fingerprints), sorted.
pub fn index_keys(fp: &[u32]) -> Vec<u32> {
    let sample = fp.len() >= SAMPLE_FROM_ITEMS;
    let mut keys: Vec<u32> = fp
        .iter()
        .copied()
        .filter(|&v| !sample || mix(v) >> 29 == 0)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The index keys stored with a fingerprint at scan time (the `fp_keys`
/// column): [`index_keys`] when the fingerprint's content is usable for
/// matching, empty when it is not (too few items, or silent). `dupes` reads
/// these ~0.4 KB per track instead of the ~4 KB fingerprints, and loads
/// whole fingerprints only for the candidate pairs it aligns.
pub fn stored_keys(fp: &[u32]) -> Vec<u32> {
    if usable(fp, None).is_ok() {
        index_keys(fp)
    } else {
        Vec::new()
    }
}

/// Pairs `(i, j)`, `i < j`, of fingerprints (indices into `fps`) that share
/// at least [`MIN_SHARED_KEYS`] index keys: the only pairs worth aligning.
pub fn candidate_pairs(fps: &[&[u32]]) -> Vec<(u32, u32)> {
    let keys: Vec<Vec<u32>> = fps.par_iter().map(|fp| index_keys(fp)).collect();
    let refs: Vec<&[u32]> = keys.iter().map(Vec::as_slice).collect();
    candidate_pairs_from_keys(&refs)
}

/// [`candidate_pairs`] from each fingerprint's [`index_keys`] (sorted,
/// distinct). Runs in about O(total keys · log) plus the number of
/// co-occurrences.
pub fn candidate_pairs_from_keys(per_track: &[&[u32]]) -> Vec<(u32, u32)> {
    // Postings as (key << 32 | track), partitioned by a hash of the key into
    // buckets (a counting sort: two linear passes), then each bucket sorted
    // on its own, in parallel and in cache: a key's tracks become one run.
    const BUCKET_BITS: u32 = 12;
    let bucket_of = |p: u64| {
        (mix((p >> 32) as u32) >> (32 - 3 - BUCKET_BITS)) as usize & ((1 << BUCKET_BITS) - 1)
    };
    let mut counts = vec![0usize; 1 << BUCKET_BITS];
    for keys in per_track {
        for &k in keys.iter() {
            counts[bucket_of((k as u64) << 32)] += 1;
        }
    }
    let mut starts = Vec::with_capacity(counts.len() + 1);
    let mut total = 0;
    for c in &counts {
        starts.push(total);
        total += c;
    }
    starts.push(total);
    let mut postings = vec![0u64; total];
    let mut next = starts.clone();
    for (track, keys) in per_track.iter().enumerate() {
        for &k in keys.iter() {
            let p = ((k as u64) << 32) | track as u64;
            let b = bucket_of(p);
            postings[next[b]] = p;
            next[b] += 1;
        }
    }
    let mut buckets: Vec<&mut [u64]> = Vec::with_capacity(counts.len());
    let mut rest: &mut [u64] = &mut postings;
    for c in &counts {
        let (head, tail) = rest.split_at_mut(*c);
        buckets.push(head);
        rest = tail;
    }
    let mut pairs: Vec<u64> = buckets
        .into_par_iter()
        .flat_map_iter(|bucket| {
            bucket.sort_unstable();
            let mut out = Vec::new();
            for run in bucket.chunk_by(|a, b| a >> 32 == b >> 32) {
                if run.len() < 2 || run.len() > MAX_POSTINGS {
                    continue;
                }
                for (x, a) in run.iter().enumerate() {
                    let a = a & 0xFFFF_FFFF;
                    out.extend(run[x + 1..].iter().map(|b| (a << 32) | (b & 0xFFFF_FFFF)));
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() as u32 >= MIN_SHARED_KEYS)
        .map(|run| ((run[0] >> 32) as u32, (run[0] & 0xFFFF_FFFF) as u32))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::synth;
    use rusty_chromaprint::{Configuration, Fingerprinter};

    /// A real Chromaprint fingerprint (fpcalc's default algorithm) of mono
    /// samples at 11025 Hz.
    pub(crate) fn chromaprint(samples: &[f32]) -> Vec<u32> {
        let mut f = Fingerprinter::new(&Configuration::preset_test2());
        f.start(11025, 1).unwrap();
        f.consume(&synth::to_i16(samples));
        f.finish();
        f.fingerprint().to_vec()
    }

    /// The music-like signal `seed`, mono at 11025 Hz.
    pub(crate) fn song(seed: u64, secs: f64) -> Vec<f32> {
        synth::music(seed, secs, 11025, 1)
    }

    #[test]
    fn same_recording_survives_gain_requantisation_and_trims() {
        let a = song(7, 25.0);
        let fa = chromaprint(&a);
        assert_eq!(usable(&fa, Some(25.0)), Ok(()));
        let gain: Vec<f32> = a.iter().map(|x| x * 0.4).collect();
        let coarse: Vec<f32> = a.iter().map(|x| (x * 48.0).round() / 48.0).collect();
        let trim_start = a[2 * 11025 + 333..].to_vec();
        let trim_end = a[..a.len() - 3 * 11025].to_vec();
        for (what, other) in [
            ("gain", gain),
            ("requantised", coarse),
            ("trimmed start", trim_start),
            ("trimmed end", trim_end),
        ] {
            let fb = chromaprint(&other);
            let m = compare(&fa, &fb).expect("overlap");
            assert!(m.is_match(), "{what}: {m:?}");
            assert!(
                candidate_pairs(&[&fa, &fb]) == vec![(0, 1)],
                "{what}: not a candidate"
            );
            if what == "trimmed start" {
                assert!((m.offset_seconds() - 2.03).abs() < 0.2, "{m:?}");
            }
        }
    }

    #[test]
    fn different_recordings_do_not_match() {
        let fps: Vec<Vec<u32>> = (20..26).map(|s| chromaprint(&song(s, 20.0))).collect();
        for i in 0..fps.len() {
            for j in i + 1..fps.len() {
                let m = compare(&fps[i], &fps[j]).expect("overlap");
                assert!(!m.is_match(), "{i} vs {j}: {m:?}");
                assert!(m.ber > 0.3, "{i} vs {j} too close: {m:?}");
            }
        }
        let refs: Vec<&[u32]> = fps.iter().map(|f| f.as_slice()).collect();
        // Candidates may include a chance pair, but never all of them.
        assert!(candidate_pairs(&refs).len() < 3);
    }

    #[test]
    fn short_and_silent_fingerprints_are_unusable() {
        let short = chromaprint(&song(3, 2.5));
        assert_eq!(usable(&short, Some(2.5)), Err(Unusable::TooShort));
        let silence = chromaprint(&vec![0.0; 11025 * 10]);
        assert_eq!(usable(&silence, Some(10.0)), Err(Unusable::Silent));
        assert_eq!(usable(&[], None), Err(Unusable::TooShort));
    }

    #[test]
    fn compare_finds_synthetic_offsets_and_respects_overlap() {
        let mut r = synth::Rng::new(5);
        let base: Vec<u32> = (0..900).map(|_| r.next_u64() as u32).collect();
        let shifted = base[40..].to_vec();
        let m = compare(&base, &shifted).unwrap();
        assert_eq!((m.offset, m.ber), (-40, 0.0));
        let m = compare(&shifted, &base).unwrap();
        assert_eq!(m.offset, 40);
        // Beyond the shift window nothing lines up.
        let far = base[200..].to_vec();
        assert!(!compare(&base, &far).unwrap().is_match());
        assert!(compare(&base[..10], &base[..10]).is_none());
    }

    #[test]
    fn stop_words_do_not_make_candidates() {
        // 300 tracks sharing two common values and otherwise unrelated.
        let mut r = synth::Rng::new(9);
        let fps: Vec<Vec<u32>> = (0..300)
            .map(|_| {
                let mut f: Vec<u32> = (0..100).map(|_| r.next_u64() as u32).collect();
                f[10] = 0x256d_f977;
                f[50] = 0x1234_5678;
                f
            })
            .collect();
        let refs: Vec<&[u32]> = fps.iter().map(|f| f.as_slice()).collect();
        assert!(candidate_pairs(&refs).is_empty());
    }
}
