//! Choosing the copy to keep in a duplicate group, and saying why.
//!
//! The keeper is the copy whose audio really is best, which is not always
//! the one whose container claims most: a FLAC made from an MP3 holds
//! lossy audio, and a 320k MP3 made from a 128k one holds 128k audio. The
//! scan's decode analysis (`media::spectrum`) measured each file's
//! bandwidth and flagged such files (`lossy_source`, `upscaled`); ranking
//! uses what it found.
//!
//! Criteria, in order (the first that separates two tracks decides):
//! 0. a folder given with `--prefer`;
//! 1. the real quality: genuine lossless (by sample rate and bit depth)
//!    over anything lossy; a lossless file made from lossy audio ranks as
//!    that lossy audio; a lossy file ranks by the lower of what its codec
//!    and bitrate give and what its measured bandwidth shows (both in
//!    MP3-equivalent kbit/s, equal within [`QUALITY_SLACK`]);
//! 2. agreement: the file whose bandwidth is what its own codec and
//!    bitrate give (the original) over one whose spectrum was cut by an
//!    earlier encoder (a re-encode);
//! 3. untrimmed: the longer length, when it differs by more than a second
//!    (encoder padding is a few hundredths);
//! 4. untouched gain: the louder of two copies whose levels differ by more
//!    than [`GAIN_SLACK_DB`], unless the louder one was clipped by a boost;
//! 5. the copy a static playlist uses;
//! 6. more complete tags;
//! 7. embedded art;
//! 8. path order.
//!
//! The reason printed is the first criterion that separated the keeper from
//! the runner-up (byte copies of the keeper are passed over, since only
//! their path can differ), saying what was detected, e.g. `the FLAC is made
//! from lossy audio (bandwidth 16.0 kHz)`.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::library::Track;
use crate::media::expected_bandwidth;

/// Length differences up to this many seconds are encoder padding, not trims.
const LENGTH_SLACK: f64 = 1.0;
/// Real qualities within this ratio of each other are equal (two encoders
/// of one bandwidth differ by less).
pub const QUALITY_SLACK: f64 = 0.12;
/// Level differences up to this many dB are encoders' and resamplers'
/// doing, not a gain change.
pub const GAIN_SLACK_DB: f64 = 1.0;
/// Agreement (measured / expected bandwidth) differences below this are
/// measurement noise.
const AGREEMENT_SLACK: f64 = 0.04;

/// What ranking knows beyond the tracks themselves.
#[derive(Debug, Clone, Default)]
pub struct RankContext {
    /// Folders whose tracks rank first (earlier first).
    pub prefer: Vec<PathBuf>,
    /// Tracks a static playlist points at.
    pub in_playlist: HashSet<i64>,
}

/// One of the ranking criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Criterion {
    Preferred,
    Quality,
    Agreement,
    Length,
    Gain,
    Playlist,
    Tags,
    Art,
    Path,
}

/// How many of the descriptive tags are filled in.
fn tag_count(t: &Track) -> usize {
    let g = &t.tags;
    let texts = [
        &g.title,
        &g.artist,
        &g.album,
        &g.albumartist,
        &g.genre,
        &g.composer,
        &g.label,
        &g.mb_trackid,
        &g.mb_albumid,
        &g.isrc,
    ];
    let nums = [g.year, g.track, g.tracktotal, g.disc];
    texts
        .iter()
        .filter(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
        .count()
        + nums.iter().filter(|v| v.is_some()).count()
}

fn lossless(t: &Track) -> bool {
    t.props.lossless.unwrap_or(false)
}

/// Lossless, and not made from lossy audio.
fn genuine_lossless(t: &Track) -> bool {
    lossless(t) && t.quality.lossy_source != Some(true)
}

fn preferred(t: &Track, prefer: &[PathBuf]) -> Option<usize> {
    prefer.iter().position(|d| t.path.starts_with(d))
}

fn codec(t: &Track) -> &str {
    t.props.format.as_deref().unwrap_or("")
}

/// How many kbit/s of MP3 one kbit/s of this codec is worth (listening
/// tests put AAC and Vorbis at about 128k for MP3's 160-192k, Opus at about
/// 96-112k).
fn codec_efficiency(codec: &str) -> f64 {
    match codec {
        "opus" => 1.6,
        "aac" | "vorbis" => 1.3,
        "mp3" | "mp2" | "mp1" => 1.0,
        _ => 1.0,
    }
}

/// The MP3-equivalent kbit/s that a bandwidth stands for: LAME's low-pass
/// by bitrate (see `media::spectrum`), read backwards. Full band reads as
/// 320.
fn kbps_for_bandwidth(hz: u32) -> f64 {
    // (bandwidth, MP3 kbit/s), ascending.
    const STEPS: [(f64, f64); 7] = [
        (11_000.0, 64.0),
        (15_000.0, 96.0),
        (16_000.0, 112.0),
        (17_000.0, 128.0),
        (17_500.0, 160.0),
        (19_000.0, 192.0),
        (19_800.0, 320.0),
    ];
    let f = hz as f64;
    if f <= STEPS[0].0 {
        return STEPS[0].1 * f / STEPS[0].0;
    }
    for w in STEPS.windows(2) {
        let ((f0, k0), (f1, k1)) = (w[0], w[1]);
        if f <= f1 {
            return k0 + (k1 - k0) * (f - f0) / (f1 - f0);
        }
    }
    STEPS[STEPS.len() - 1].1
}

/// The real quality of a track on one scale: a genuine lossless file
/// ranks above every lossy one (by sample rate, then bit depth); anything
/// lossy, including a lossless file made from lossy audio, ranks by
/// MP3-equivalent kbit/s: the lower of what its codec and bitrate give and
/// what its bandwidth shows.
fn real_quality(t: &Track) -> f64 {
    if genuine_lossless(t) {
        let rate = t.props.samplerate.unwrap_or(44_100) as f64;
        let bits = t.props.bitdepth.unwrap_or(16) as f64;
        return 10_000.0 + rate / 1000.0 + bits / 100.0;
    }
    let by_band = t.quality.bandwidth.map(kbps_for_bandwidth);
    if lossless(t) {
        return by_band.unwrap_or(128.0);
    }
    let nominal = t
        .props
        .bitrate
        .map(|b| b as f64 / 1000.0 * codec_efficiency(codec(t)));
    match (nominal, by_band) {
        (Some(n), Some(b)) => n.min(b),
        (Some(n), None) => n,
        (None, Some(b)) => b,
        (None, None) => 0.0,
    }
}

/// Compare real qualities, equal within [`QUALITY_SLACK`] for lossy audio.
fn quality_order(a: &Track, b: &Track) -> Ordering {
    let (qa, qb) = (real_quality(a), real_quality(b));
    if qa >= 10_000.0 || qb >= 10_000.0 {
        return qb.total_cmp(&qa);
    }
    if (qa - qb).abs() <= QUALITY_SLACK * qa.max(qb) {
        Ordering::Equal
    } else {
        qb.total_cmp(&qa)
    }
}

/// How well a file's bandwidth matches what its codec and bitrate give
/// (1.0: as expected or more; lower: cut by an earlier encoder). None when
/// either is unknown, or for a genuine lossless file (nothing to expect).
fn agreement(t: &Track) -> Option<f64> {
    let measured = t.quality.bandwidth? as f64;
    if genuine_lossless(t) {
        return None;
    }
    let expected = if lossless(t) {
        // A lossless container expects full band: its lossy source shows.
        20_000.0_f64.min(t.props.samplerate? as f64 / 2.0)
    } else {
        expected_bandwidth(
            codec(t),
            t.props.bitrate?,
            t.props.channels.unwrap_or(2),
            t.props.samplerate?,
        )? as f64
    };
    Some((measured / expected).min(1.0))
}

fn agreement_order(a: &Track, b: &Track) -> Ordering {
    match (agreement(a), agreement(b)) {
        (Some(x), Some(y)) if (x - y).abs() > AGREEMENT_SLACK => y.total_cmp(&x),
        _ => Ordering::Equal,
    }
}

/// The louder copy wins, unless it was clipped by a boost: its peak is at
/// full scale and the quieter copy's peak, raised by the difference, would
/// have gone over.
fn gain_order(a: &Track, b: &Track) -> Ordering {
    let (Some(ra), Some(rb)) = (a.quality.rms_db, b.quality.rms_db) else {
        return Ordering::Equal;
    };
    if (ra - rb).abs() <= GAIN_SLACK_DB {
        return Ordering::Equal;
    }
    let (loud, quiet, loud_is_a) = if ra > rb { (a, b, true) } else { (b, a, false) };
    let diff = (ra - rb).abs();
    let clipped = loud.quality.peak_db.is_some_and(|p| p >= -0.1)
        && quiet.quality.peak_db.is_some_and(|p| p + diff > 0.5);
    let a_wins = loud_is_a != clipped;
    if a_wins {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// Compare two tracks: `Less` means `a` ranks before (is better than) `b`.
/// Also returns the criterion that decided.
fn compare(a: &Track, b: &Track, ctx: &RankContext) -> (Ordering, Criterion) {
    use Criterion::*;
    // Earlier --prefer folders rank first; any preferred beats none.
    let pa = preferred(a, &ctx.prefer).unwrap_or(usize::MAX);
    let pb = preferred(b, &ctx.prefer).unwrap_or(usize::MAX);
    let used = |t: &Track| ctx.in_playlist.contains(&t.id);
    let steps: [(Criterion, Ordering); 8] = [
        (Preferred, pa.cmp(&pb)),
        (Quality, quality_order(a, b)),
        (Agreement, agreement_order(a, b)),
        (
            Length,
            match (a.props.length, b.props.length) {
                (Some(la), Some(lb)) if (la - lb).abs() > LENGTH_SLACK => lb.total_cmp(&la),
                _ => Ordering::Equal,
            },
        ),
        (Gain, gain_order(a, b)),
        (Playlist, used(b).cmp(&used(a))),
        (Tags, tag_count(b).cmp(&tag_count(a))),
        (Art, b.art.cmp(&a.art)),
    ];
    for (criterion, ord) in steps {
        if ord != Ordering::Equal {
            return (ord, criterion);
        }
    }
    (a.path.cmp(&b.path), Path)
}

/// The codec's display name: `FLAC`, `MP3`, `Vorbis`, `AAC`, `Opus`, `WAV`.
fn codec_label(t: &Track) -> String {
    let name = t
        .props
        .format
        .clone()
        .or_else(|| {
            t.path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
        })
        .unwrap_or_else(|| "unknown".into());
    match name.as_str() {
        "vorbis" => "Vorbis".into(),
        "opus" => "Opus".into(),
        "pcm" => match t.path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("wav") => "WAV".into(),
            Some(e) if e.to_ascii_lowercase().starts_with("aif") => "AIFF".into(),
            _ => "PCM".into(),
        },
        other => other.to_uppercase(),
    }
}

/// `m:ss` for a duration in seconds.
pub fn format_length(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn kbps(t: &Track) -> String {
    t.props
        .bitrate
        .map(|b| format!("{}", (b as f64 / 1000.0).round()))
        .unwrap_or_else(|| "?".into())
}

fn khz(hz: Option<u32>) -> String {
    match hz {
        Some(hz) if hz % 1000 == 0 => format!("{}", hz / 1000),
        Some(hz) => format!("{:.1}", hz as f64 / 1000.0),
        None => "?".into(),
    }
}

/// `the 320k MP3`, `the FLAC`: a track as the reason names it.
fn label(t: &Track) -> String {
    if lossless(t) {
        format!("the {}", codec_label(t))
    } else {
        format!("the {}k {}", kbps(t), codec_label(t))
    }
}

/// What the analysis found that makes `t` worse than it looks, if anything.
fn flaw(t: &Track) -> Option<String> {
    let band = khz(t.quality.bandwidth.map(|b| (b + 50) / 100 * 100));
    if lossless(t) && t.quality.lossy_source == Some(true) {
        Some(format!(
            "{} is made from lossy audio (bandwidth {band} kHz)",
            label(t)
        ))
    } else if !lossless(t) && t.quality.upscaled == Some(true) {
        Some(format!("{} is upscaled (bandwidth {band} kHz)", label(t)))
    } else {
        None
    }
}

/// Why `keeper` won over `runner_up`, as printed.
fn describe(c: Criterion, keeper: &Track, runner_up: &Track, ctx: &RankContext) -> String {
    match c {
        Criterion::Preferred => {
            let dir = preferred(keeper, &ctx.prefer)
                .and_then(|i| ctx.prefer.get(i))
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!("in preferred folder {dir}")
        }
        Criterion::Quality => {
            let kept = format!("kept {}", label(keeper));
            if let Some(f) = flaw(runner_up) {
                format!("{kept}: {f}")
            } else if genuine_lossless(keeper) && genuine_lossless(runner_up) {
                if keeper.props.samplerate != runner_up.props.samplerate {
                    format!(
                        "higher sample rate ({} vs {} kHz)",
                        khz(keeper.props.samplerate),
                        khz(runner_up.props.samplerate)
                    )
                } else {
                    format!(
                        "higher bit depth ({} vs {} bit)",
                        keeper.props.bitdepth.unwrap_or(0),
                        runner_up.props.bitdepth.unwrap_or(0)
                    )
                }
            } else if genuine_lossless(keeper) {
                format!(
                    "lossless ({} vs {})",
                    codec_label(keeper).to_lowercase(),
                    codec_label(runner_up).to_lowercase()
                )
            } else {
                format!(
                    "{kept}: higher quality ({} vs {})",
                    label(keeper).trim_start_matches("the "),
                    label(runner_up).trim_start_matches("the ")
                )
            }
        }
        Criterion::Agreement => match flaw(runner_up) {
            Some(f) => format!("kept {}: {f}", label(keeper)),
            None => format!(
                "kept {}: {} is a re-encode (bandwidth {} kHz, less than its format gives)",
                label(keeper),
                label(runner_up),
                khz(runner_up.quality.bandwidth.map(|b| (b + 50) / 100 * 100))
            ),
        },
        Criterion::Length => format!(
            "untrimmed ({} vs {})",
            format_length(keeper.props.length.unwrap_or(0.0)),
            format_length(runner_up.props.length.unwrap_or(0.0))
        ),
        Criterion::Gain => format!(
            "untouched level ({:.1} dB vs {:.1} dB RMS: the other's gain was changed)",
            keeper.quality.rms_db.unwrap_or(0.0),
            runner_up.quality.rms_db.unwrap_or(0.0)
        ),
        Criterion::Playlist => "used by a playlist".into(),
        Criterion::Tags => format!(
            "more complete tags ({} vs {} fields)",
            tag_count(keeper),
            tag_count(runner_up)
        ),
        Criterion::Art => "embedded art".into(),
        Criterion::Path => "first in path order (otherwise equal)".into(),
    }
}

/// Rank a group's tracks best first. Returns the order (indices into
/// `tracks`) and why the first one won over the runner-up (the best track
/// that is not a byte copy of it).
pub fn rank_keeper(tracks: &[&Track], ctx: &RankContext) -> (Vec<usize>, String) {
    let mut order: Vec<usize> = (0..tracks.len()).collect();
    // Pairwise criteria with slack are not transitive, so the order is
    // built by selection: repeatedly the track that loses to no other
    // remaining one (the most wins when every track loses to some).
    let mut left: Vec<usize> = order.clone();
    order.clear();
    while !left.is_empty() {
        let wins = |i: usize| {
            left.iter()
                .filter(|&&j| j != i && compare(tracks[i], tracks[j], ctx).0 == Ordering::Less)
                .count()
        };
        let beaten = |i: usize| {
            left.iter()
                .any(|&j| j != i && compare(tracks[j], tracks[i], ctx).0 == Ordering::Less)
        };
        let best = left
            .iter()
            .copied()
            .filter(|&i| !beaten(i))
            .min_by(|&a, &b| tracks[a].path.cmp(&tracks[b].path))
            .unwrap_or_else(|| {
                left.iter()
                    .copied()
                    .max_by(|&a, &b| {
                        wins(a)
                            .cmp(&wins(b))
                            .then(tracks[b].path.cmp(&tracks[a].path))
                    })
                    .unwrap_or(left[0])
            });
        order.push(best);
        left.retain(|&i| i != best);
    }
    // The runner-up is the best track that is not a byte copy of the keeper
    // (between identical files only the path can decide, which says little).
    let Some(&k) = order.first() else {
        return (order, String::new());
    };
    let keeper = tracks[k];
    let same_bytes = |t: &Track| t.file_hash.is_some() && t.file_hash == keeper.file_hash;
    let runner_up = order[1..]
        .iter()
        .find(|&&i| !same_bytes(tracks[i]))
        .or(order.get(1));
    let reason = match runner_up {
        Some(&r) => {
            let (_, c) = compare(keeper, tracks[r], ctx);
            describe(c, keeper, tracks[r], ctx)
        }
        None => String::new(),
    };
    (order, reason)
}

/// Is `path` under one of the `--prefer` folders?
pub fn is_preferred(path: &Path, prefer: &[PathBuf]) -> bool {
    prefer.iter().any(|d| path.starts_with(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::track::{AudioProps, Tags};

    fn t(path: &str, format: &str, lossless: bool, bitrate: u32) -> Track {
        Track {
            path: PathBuf::from(path),
            props: AudioProps {
                format: Some(format.into()),
                lossless: Some(lossless),
                bitrate: Some(bitrate),
                samplerate: Some(44100),
                bitdepth: lossless.then_some(16),
                length: Some(200.0),
                channels: Some(2),
            },
            ..Default::default()
        }
    }

    fn keeper(tracks: &[Track], prefer: &[PathBuf]) -> (String, String) {
        let refs: Vec<&Track> = tracks.iter().collect();
        let ctx = RankContext {
            prefer: prefer.to_vec(),
            ..Default::default()
        };
        let (order, reason) = rank_keeper(&refs, &ctx);
        (tracks[order[0]].path.display().to_string(), reason)
    }

    #[test]
    fn each_criterion_decides_in_order() {
        let mp3 = t("/a/x.mp3", "mp3", false, 320_000);
        let flac = t("/b/x.flac", "flac", true, 900_000);
        assert_eq!(
            keeper(&[mp3.clone(), flac.clone()], &[]),
            ("/b/x.flac".into(), "lossless (flac vs mp3)".into())
        );
        let low = t("/a/low.mp3", "mp3", false, 128_000);
        assert_eq!(
            keeper(&[low.clone(), mp3.clone()], &[]).1,
            "kept the 320k MP3: higher quality (320k MP3 vs 128k MP3)"
        );
        // A WAV's higher bitrate does not beat a FLAC; tags then decide.
        let mut wav = t("/a/x.wav", "pcm", true, 1_411_200);
        let mut tagged = flac.clone();
        tagged.tags = Tags {
            title: Some("T".into()),
            artist: Some("A".into()),
            ..Default::default()
        };
        wav.tags.title = Some("T".into());
        assert_eq!(
            keeper(&[wav.clone(), tagged.clone()], &[]),
            (
                "/b/x.flac".into(),
                "more complete tags (2 vs 1 fields)".into()
            )
        );
        let mut hires = flac.clone();
        hires.path = PathBuf::from("/z/hires.flac");
        hires.props.samplerate = Some(96000);
        assert_eq!(
            keeper(&[flac.clone(), hires.clone()], &[]).1,
            "higher sample rate (96 vs 44.1 kHz)"
        );
        let mut deep = flac.clone();
        deep.path = PathBuf::from("/z/deep.flac");
        deep.props.bitdepth = Some(24);
        assert_eq!(
            keeper(&[flac.clone(), deep], &[]).1,
            "higher bit depth (24 vs 16 bit)"
        );
        let mut trimmed = flac.clone();
        trimmed.path = PathBuf::from("/0/trimmed.flac");
        trimmed.props.length = Some(198.0);
        assert_eq!(
            keeper(&[trimmed.clone(), flac.clone()], &[]),
            ("/b/x.flac".into(), "untrimmed (3:20 vs 3:18)".into())
        );
        // Padding differences are not trims.
        trimmed.props.length = Some(199.95);
        assert_eq!(
            keeper(&[trimmed, flac.clone()], &[]).1,
            "first in path order (otherwise equal)"
        );
        let mut art = flac.clone();
        art.path = PathBuf::from("/z/art.flac");
        art.art = true;
        assert_eq!(keeper(&[flac.clone(), art], &[]).1, "embedded art");
    }

    #[test]
    fn prefer_beats_everything() {
        let mp3 = t("/phone/x.mp3", "mp3", false, 128_000);
        let flac = t("/rips/x.flac", "flac", true, 900_000);
        assert_eq!(
            keeper(&[flac, mp3], &[PathBuf::from("/phone")]),
            ("/phone/x.mp3".into(), "in preferred folder /phone".into())
        );
    }
}
