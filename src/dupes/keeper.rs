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
//! 1. the real quality: real lossless (by sample rate and bit depth) over
//!    anything lossy; a lossless file made from lossy audio, or holding no
//!    more spectrum than a lossy copy in its group, ranks as lossy; between
//!    lossy files the higher believable bandwidth (a transcode never has
//!    more spectrum than its source);
//! 2. the likely source: the copy closest to every other copy by
//!    fingerprint (copies made from one source are one generation from it
//!    and two from each other);
//! 3. agreement: the file whose bandwidth is what its own codec and
//!    bitrate give over one whose spectrum was cut by an earlier encoder;
//! 4. untrimmed: the longer length, when it differs by more than a second
//!    (encoder padding is a few hundredths);
//! 5. untouched gain: the louder of two copies whose levels differ by more
//!    than [`GAIN_SLACK_DB`], unless the louder one was clipped by a boost;
//! 6. the higher bitrate, weighted by codec efficiency;
//! 7. the copy a static playlist uses;
//! 8. more complete tags;
//! 9. embedded art;
//! 10. path order.
//!
//! The reason printed is the first criterion that separated the keeper from
//! the runner-up (byte copies of the keeper are passed over, since only
//! their path can differ), saying what was detected, e.g. `the FLAC is made
//! from lossy audio (bandwidth 16.0 kHz)`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
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
    /// Per track of the group being ranked: its mean fingerprint
    /// similarity to the group's other members. Copies made from one source
    /// are each one generation from it and two from each other, so the
    /// source is the most central member.
    pub centrality: HashMap<i64, f64>,
}

/// A group's view for ranking: the context, and the lossless members that
/// hold no more spectrum than a lossy member of the same group (so may be
/// made from it, whatever their own spectrum's shape says).
struct GroupView<'a> {
    ctx: &'a RankContext,
    demoted: HashSet<i64>,
}

/// Bandwidths within this many Hz are the same (the analysis's step is
/// ~100 Hz; encoders of one source land within a few hundred).
const BANDWIDTH_SLACK_HZ: u32 = 600;
/// Centralities within this are equal.
const CENTRALITY_SLACK: f64 = 0.004;

/// One of the ranking criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Criterion {
    Preferred,
    Quality,
    Centrality,
    Agreement,
    Nominal,
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

/// Lossless as far as this group shows: genuine, and not demoted.
fn real_lossless(t: &Track, g: &GroupView<'_>) -> bool {
    genuine_lossless(t) && !g.demoted.contains(&t.id)
}

/// A lossy file's measured bandwidth, when it can be believed: a reading
/// above what the codec can carry (Opus stops at 20 kHz; LAME at its
/// bitrate's low-pass) is decoder noise or clipping, not content.
fn lossy_bandwidth(t: &Track) -> Option<u32> {
    let bw = t.quality.bandwidth?;
    if lossless(t) {
        return Some(bw);
    }
    let ceiling = match codec(t) {
        "opus" => Some(20_600),
        // The highest a genuine Vorbis encode of this rate reaches (libvorbis
        // 1.3, `media::spectrum`): above it is the encoder's noise filling.
        "vorbis" => t
            .props
            .bitrate
            .and_then(|b| vorbis_ceiling(b / 1000))
            .map(|c| c + 1_500),
        "mp3" => t.props.bitrate.and_then(|b| {
            expected_bandwidth(
                "mp3",
                b,
                t.props.channels.unwrap_or(2),
                t.props.samplerate.unwrap_or(44_100),
            )
            .map(|e| e + 1_500)
        }),
        _ => None,
    };
    match ceiling {
        Some(c) if bw > c => None,
        _ => Some(bw),
    }
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

/// The low-pass of libvorbis 1.3 by nominal kbit/s (measured: q4/128k
/// 19.7 kHz, q5/160k 21.0 kHz, q6/192k and up none).
fn vorbis_ceiling(kbps: u32) -> Option<u32> {
    match kbps {
        0..=71 => Some(15_600),
        72..=119 => Some(18_300),
        120..=150 => Some(19_700),
        151..=180 => Some(21_000),
        _ => None,
    }
}

/// What the audio really is, first: real lossless (by sample rate, then
/// bit depth) over anything lossy; between lossy files (a lossless file
/// made from lossy audio counts as one), the higher believable bandwidth,
/// when the two differ by more than [`BANDWIDTH_SLACK_HZ`]: a transcode
/// never has more spectrum than its source, and a better encode has more.
fn quality_order(a: &Track, b: &Track, g: &GroupView<'_>) -> Ordering {
    match (real_lossless(a, g), real_lossless(b, g)) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (true, true) => {
            let key = |t: &Track| {
                (
                    t.props.samplerate.unwrap_or(0),
                    t.props.bitdepth.unwrap_or(0),
                )
            };
            return key(b).cmp(&key(a));
        }
        (false, false) => {}
    }
    match (lossy_bandwidth(a), lossy_bandwidth(b)) {
        (Some(x), Some(y)) if opus_top_band(a, x, y) || opus_top_band(b, y, x) => Ordering::Equal,
        (Some(x), Some(y)) if x.abs_diff(y) > BANDWIDTH_SLACK_HZ => y.cmp(&x),
        _ => Ordering::Equal,
    }
}

/// Where Opus's top band starts: CELT codes 15.6-20 kHz as one band and
/// spreads its energy over all of it, so an Opus reading there says only
/// that the source reached the band, not how far.
const OPUS_TOP_BAND_HZ: u32 = 15_600;

/// Whether `t`, read at `bw`, is an Opus file in its top band, compared
/// with a reading `other` that reaches the band too: no evidence either way.
fn opus_top_band(t: &Track, bw: u32, other: u32) -> bool {
    codec(t) == "opus" && bw >= OPUS_TOP_BAND_HZ && other + BANDWIDTH_SLACK_HZ >= OPUS_TOP_BAND_HZ
}

/// Between lossy files of equal bandwidth: the higher bitrate, weighted by
/// codec efficiency (MP3-equivalent kbit/s, equal within [`QUALITY_SLACK`]).
fn nominal_order(a: &Track, b: &Track, g: &GroupView<'_>) -> Ordering {
    if real_lossless(a, g) || real_lossless(b, g) {
        return Ordering::Equal;
    }
    let q = |t: &Track| {
        t.props
            .bitrate
            .filter(|_| !lossless(t))
            .map(|b| b as f64 / 1000.0 * codec_efficiency(codec(t)))
            .unwrap_or(0.0)
    };
    let (qa, qb) = (q(a), q(b));
    if (qa - qb).abs() <= QUALITY_SLACK * qa.max(qb) {
        Ordering::Equal
    } else {
        qb.total_cmp(&qa)
    }
}

/// The more central copy (the likely source) first.
fn centrality_order(a: &Track, b: &Track, g: &GroupView<'_>) -> Ordering {
    let c = &g.ctx.centrality;
    match (c.get(&a.id), c.get(&b.id)) {
        (Some(x), Some(y)) if (x - y).abs() > CENTRALITY_SLACK => y.total_cmp(x),
        _ => Ordering::Equal,
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
fn compare(a: &Track, b: &Track, g: &GroupView<'_>) -> (Ordering, Criterion) {
    use Criterion::*;
    let ctx = g.ctx;
    // Earlier --prefer folders rank first; any preferred beats none.
    let pa = preferred(a, &ctx.prefer).unwrap_or(usize::MAX);
    let pb = preferred(b, &ctx.prefer).unwrap_or(usize::MAX);
    let used = |t: &Track| ctx.in_playlist.contains(&t.id);
    let steps: [(Criterion, Ordering); 10] = [
        (Preferred, pa.cmp(&pb)),
        (Quality, quality_order(a, b, g)),
        (Centrality, centrality_order(a, b, g)),
        (Agreement, agreement_order(a, b)),
        (
            Length,
            match (a.props.length, b.props.length) {
                (Some(la), Some(lb)) if (la - lb).abs() > LENGTH_SLACK => lb.total_cmp(&la),
                _ => Ordering::Equal,
            },
        ),
        (Gain, gain_order(a, b)),
        (Nominal, nominal_order(a, b, g)),
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
fn describe(c: Criterion, keeper: &Track, runner_up: &Track, g: &GroupView<'_>) -> String {
    let ctx = g.ctx;
    let kept = format!("kept {}", label(keeper));
    // Whatever decided between two encodings, a flaw the analysis found
    // in the runner-up is the reason a person wants to read.
    let audio = matches!(
        c,
        Criterion::Quality | Criterion::Centrality | Criterion::Agreement | Criterion::Nominal
    );
    if audio {
        if let Some(f) = flaw(runner_up) {
            return format!("{kept}: {f}");
        }
        if g.demoted.contains(&runner_up.id) {
            return format!(
                "{kept}: {} holds no more than a lossy copy does (bandwidth {} kHz)",
                label(runner_up),
                khz(runner_up.quality.bandwidth.map(|b| (b + 50) / 100 * 100))
            );
        }
    }
    let band = |t: &Track| khz(t.quality.bandwidth.map(|b| (b + 50) / 100 * 100));
    match c {
        Criterion::Preferred => {
            let dir = preferred(keeper, &ctx.prefer)
                .and_then(|i| ctx.prefer.get(i))
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!("in preferred folder {dir}")
        }
        Criterion::Quality if real_lossless(keeper, g) && real_lossless(runner_up, g) => {
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
        }
        Criterion::Quality if real_lossless(keeper, g) => format!(
            "lossless ({} vs {})",
            codec_label(keeper).to_lowercase(),
            codec_label(runner_up).to_lowercase()
        ),
        Criterion::Quality => format!(
            "{kept}: more of the recording (bandwidth {} vs {} kHz)",
            band(keeper),
            band(runner_up)
        ),
        Criterion::Centrality => format!(
            "{kept}: the likely source (closest to every other copy: similarity {:.3} vs {:.3})",
            ctx.centrality.get(&keeper.id).copied().unwrap_or(0.0),
            ctx.centrality.get(&runner_up.id).copied().unwrap_or(0.0)
        ),
        Criterion::Agreement => format!(
            "{kept}: {} is a re-encode (bandwidth {} kHz, less than its format gives)",
            label(runner_up),
            band(runner_up)
        ),
        Criterion::Nominal => format!(
            "{kept}: higher quality ({} vs {})",
            label(keeper).trim_start_matches("the "),
            label(runner_up).trim_start_matches("the ")
        ),
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

/// The lossless members of a group that hold no more spectrum than one of
/// its lossy members (within [`BANDWIDTH_SLACK_HZ`] / 1.5): a FLAC made
/// from a Vorbis file whose cut is too high to look lossy on its own.
fn demoted(tracks: &[&Track]) -> HashSet<i64> {
    let best_lossy = tracks
        .iter()
        .filter(|t| !lossless(t))
        .filter_map(|t| lossy_bandwidth(t))
        .max();
    let Some(best) = best_lossy else {
        return HashSet::new();
    };
    tracks
        .iter()
        .filter(|t| genuine_lossless(t))
        .filter(|t| {
            t.quality
                .bandwidth
                .is_some_and(|bw| bw <= best + BANDWIDTH_SLACK_HZ / 2)
        })
        .map(|t| t.id)
        .collect()
}

/// Rank a group's tracks best first. Returns the order (indices into
/// `tracks`) and why the first one won over the runner-up (the best track
/// that is not a byte copy of it).
pub fn rank_keeper(tracks: &[&Track], ctx: &RankContext) -> (Vec<usize>, String) {
    let g = GroupView {
        ctx,
        demoted: demoted(tracks),
    };
    // Pairwise criteria with slack are not transitive, so the order is
    // built by selection: repeatedly the track that loses to no other
    // remaining one (the most wins when every track loses to some).
    let mut left: Vec<usize> = (0..tracks.len()).collect();
    let mut order: Vec<usize> = Vec::with_capacity(tracks.len());
    while !left.is_empty() {
        let beats = |i: usize, j: usize| compare(tracks[i], tracks[j], &g).0 == Ordering::Less;
        let wins = |i: usize| left.iter().filter(|&&j| j != i && beats(i, j)).count();
        let unbeaten = left
            .iter()
            .copied()
            .filter(|&i| !left.iter().any(|&j| j != i && beats(j, i)))
            .min_by(|&a, &b| tracks[a].path.cmp(&tracks[b].path));
        let best = unbeaten.unwrap_or_else(|| {
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
            let (_, c) = compare(keeper, tracks[r], &g);
            describe(c, keeper, tracks[r], &g)
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

    fn with_band(mut t: Track, id: i64, bw: u32) -> Track {
        t.id = id;
        t.quality.bandwidth = Some(bw);
        t.quality.rms_db = Some(-14.0);
        t.quality.peak_db = Some(-1.0);
        t
    }

    /// Issue "Trustworthy on a real collection": the keeper sees through
    /// transcodes, each rule with its printed reason.
    #[test]
    fn the_keeper_sees_through_transcodes() {
        // A 320k MP3 made from a 128k Vorbis file: upscaled.
        let vorbis = with_band(t("/m/x.ogg", "vorbis", false, 128_000), 1, 16_700);
        let mut up = with_band(t("/a/x.mp3", "mp3", false, 320_000), 2, 16_700);
        up.quality.upscaled = Some(true);
        assert_eq!(
            keeper(&[up.clone(), vorbis.clone()], &[]),
            (
                "/m/x.ogg".into(),
                "kept the 128k Vorbis: the 320k MP3 is upscaled (bandwidth 16.7 kHz)".into()
            )
        );
        // A FLAC made from lossy audio ranks as that lossy audio: the
        // genuine 320k MP3 (more of the recording) wins.
        let mut fake = with_band(t("/a/x.flac", "flac", true, 700_000), 3, 16_000);
        fake.quality.lossy_source = Some(true);
        let mp3 = with_band(t("/b/x.mp3", "mp3", false, 320_000), 4, 20_200);
        assert_eq!(
            keeper(&[fake.clone(), mp3.clone()], &[]),
            (
                "/b/x.mp3".into(),
                "kept the 320k MP3: the FLAC is made from lossy audio (bandwidth 16 kHz)".into()
            )
        );
        // A FLAC holding no more than a lossy copy of its group is demoted
        // even without a lossy cliff; the lossy file is the source here.
        let ogg = with_band(t("/m/y.ogg", "vorbis", false, 160_000), 5, 21_000);
        let flac_of_ogg = with_band(t("/a/y.flac", "flac", true, 800_000), 6, 20_900);
        assert_eq!(keeper(&[flac_of_ogg, ogg.clone()], &[]).0, "/m/y.ogg");
        // A genuine FLAC with more spectrum stays the keeper.
        let flac = with_band(t("/m/z.flac", "flac", true, 800_000), 7, 21_500);
        let mp3z = with_band(t("/a/z.mp3", "mp3", false, 320_000), 8, 20_200);
        assert_eq!(
            keeper(&[mp3z, flac.clone()], &[]),
            ("/m/z.flac".into(), "lossless (flac vs mp3)".into())
        );
        // A gain-lowered copy loses to the untouched one.
        let mut quiet = flac.clone();
        quiet.id = 9;
        quiet.path = PathBuf::from("/0/z.flac");
        quiet.quality.rms_db = Some(-18.0);
        quiet.quality.peak_db = Some(-5.0);
        assert_eq!(
            keeper(&[quiet.clone(), flac.clone()], &[]),
            (
                "/m/z.flac".into(),
                "untouched level (-14.0 dB vs -18.0 dB RMS: the other's gain was changed)".into()
            )
        );
        // ... but a boost that clipped loses to the quieter original.
        let mut boosted = flac.clone();
        boosted.id = 10;
        boosted.path = PathBuf::from("/0/b.flac");
        boosted.quality.rms_db = Some(-10.0);
        boosted.quality.peak_db = Some(0.0);
        assert_eq!(keeper(&[boosted, flac.clone()], &[]).0, "/m/z.flac");
        // At equal bandwidth, the likely source (most central) wins.
        let a = with_band(t("/m/s.ogg", "vorbis", false, 128_000), 11, 17_000);
        let b = with_band(t("/a/s.opus", "opus", false, 135_000), 12, 17_000);
        let c = with_band(t("/b/s.mp3", "mp3", false, 320_000), 13, 17_000);
        let ctx = RankContext {
            centrality: [(11, 0.95), (12, 0.93), (13, 0.93)].into_iter().collect(),
            ..Default::default()
        };
        let tracks = [b.clone(), c.clone(), a.clone()];
        let refs: Vec<&Track> = tracks.iter().collect();
        let (order, reason) = rank_keeper(&refs, &ctx);
        assert_eq!(tracks[order[0]].path, PathBuf::from("/m/s.ogg"));
        assert_eq!(
            reason,
            "kept the 128k Vorbis: the likely source (closest to every other copy: similarity 0.950 vs 0.930)"
        );
    }

    /// Opus spreads its top band (15.6-20 kHz) to 20 kHz whatever the
    /// source held there: an Opus transcode of a Vorbis file reads wider
    /// than its source, and that is no reason to keep it.
    #[test]
    fn opus_top_band_is_no_evidence_of_more_spectrum() {
        let ogg = with_band(t("/m/s.ogg", "vorbis", false, 160_000), 11, 19_400);
        let opus = with_band(t("/a/s.opus", "opus", false, 133_000), 12, 20_300);
        let ctx = RankContext {
            centrality: [(11, 0.97), (12, 0.95)].into_iter().collect(),
            ..Default::default()
        };
        let tracks = [opus.clone(), ogg.clone()];
        let refs: Vec<&Track> = tracks.iter().collect();
        let (order, reason) = rank_keeper(&refs, &ctx);
        assert_eq!(tracks[order[0]].path, PathBuf::from("/m/s.ogg"), "{reason}");
        // Below its top band, Opus's cut is what it is: the wider file wins.
        let narrow = with_band(t("/a/s.opus", "opus", false, 64_000), 12, 12_000);
        let tracks = [narrow, ogg];
        let refs: Vec<&Track> = tracks.iter().collect();
        let (order, reason) = rank_keeper(&refs, &ctx);
        assert_eq!(tracks[order[0]].path, PathBuf::from("/m/s.ogg"));
        assert_eq!(
            reason,
            "kept the 160k Vorbis: more of the recording (bandwidth 19.4 vs 12 kHz)"
        );
    }

    /// Among copies with the same audio: the one a playlist uses, then
    /// tags, then art, then path.
    #[test]
    fn same_audio_prefers_the_playlist_copy() {
        let mut a = t("/a/x.flac", "flac", true, 900_000);
        a.id = 1;
        a.tags.title = Some("T".into());
        let mut b = a.clone();
        b.id = 2;
        b.path = PathBuf::from("/b/x.flac");
        b.tags.artist = Some("A".into());
        let ctx = RankContext {
            in_playlist: [1].into_iter().collect(),
            ..Default::default()
        };
        let tracks = [b.clone(), a.clone()];
        let refs: Vec<&Track> = tracks.iter().collect();
        let (order, reason) = rank_keeper(&refs, &ctx);
        assert_eq!(
            (tracks[order[0]].id, reason.as_str()),
            (1, "used by a playlist")
        );
        assert_eq!(
            keeper(&[a, b], &[]),
            (
                "/b/x.flac".into(),
                "more complete tags (2 vs 1 fields)".into()
            )
        );
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
