//! Choosing the copy to keep in a duplicate group, and saying why.
//!
//! Criteria, in order (the first that separates two tracks decides):
//! 0. a folder given with `--prefer`;
//! 1. lossless over lossy;
//! 2. higher bitrate (between lossy files only: a WAV's bitrate is not
//!    "better" than a FLAC's);
//! 3. higher sample rate, then higher bit depth;
//! 4. the untrimmed (longer) length, when it differs by more than a second
//!    (encoder padding is a few hundredths);
//! 5. more complete tags;
//! 6. embedded art;
//! 7. path order.
//!
//! The reason printed is the first criterion that separated the keeper from
//! the runner-up (byte copies of the keeper are passed over, since only
//! their path can differ), e.g. "lossless (flac vs mp3)".

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::library::Track;

/// Length differences up to this many seconds are encoder padding, not trims.
const LENGTH_SLACK: f64 = 1.0;

/// One of the ranking criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Criterion {
    Preferred,
    Lossless,
    Bitrate,
    SampleRate,
    BitDepth,
    Length,
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

fn preferred(t: &Track, prefer: &[PathBuf]) -> Option<usize> {
    prefer.iter().position(|d| t.path.starts_with(d))
}

/// Compare two tracks: `Less` means `a` ranks before (is better than) `b`.
/// Also returns the criterion that decided.
fn compare(a: &Track, b: &Track, prefer: &[PathBuf]) -> (Ordering, Criterion) {
    use Criterion::*;
    // Earlier --prefer folders rank first; any preferred beats none.
    let pa = preferred(a, prefer).unwrap_or(usize::MAX);
    let pb = preferred(b, prefer).unwrap_or(usize::MAX);
    let steps: [(Criterion, Ordering); 8] = [
        (Preferred, pa.cmp(&pb)),
        (Lossless, lossless(b).cmp(&lossless(a))),
        (
            Bitrate,
            if lossless(a) && lossless(b) {
                Ordering::Equal
            } else {
                b.props
                    .bitrate
                    .unwrap_or(0)
                    .cmp(&a.props.bitrate.unwrap_or(0))
            },
        ),
        (
            SampleRate,
            b.props
                .samplerate
                .unwrap_or(0)
                .cmp(&a.props.samplerate.unwrap_or(0)),
        ),
        (
            BitDepth,
            b.props
                .bitdepth
                .unwrap_or(0)
                .cmp(&a.props.bitdepth.unwrap_or(0)),
        ),
        (
            Length,
            match (a.props.length, b.props.length) {
                (Some(la), Some(lb)) if (la - lb).abs() > LENGTH_SLACK => lb.total_cmp(&la),
                _ => Ordering::Equal,
            },
        ),
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

fn format_name(t: &Track) -> String {
    t.props
        .format
        .clone()
        .or_else(|| {
            t.path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
        })
        .unwrap_or_else(|| "unknown".into())
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

/// Why `keeper` won over `runner_up`, as printed.
fn describe(c: Criterion, keeper: &Track, runner_up: &Track, prefer: &[PathBuf]) -> String {
    match c {
        Criterion::Preferred => {
            let dir = preferred(keeper, prefer)
                .and_then(|i| prefer.get(i))
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!("in preferred folder {dir}")
        }
        Criterion::Lossless => format!(
            "lossless ({} vs {})",
            format_name(keeper),
            format_name(runner_up)
        ),
        Criterion::Bitrate => format!(
            "higher bitrate ({} vs {} kbps)",
            kbps(keeper),
            kbps(runner_up)
        ),
        Criterion::SampleRate => format!(
            "higher sample rate ({} vs {} kHz)",
            khz(keeper.props.samplerate),
            khz(runner_up.props.samplerate)
        ),
        Criterion::BitDepth => format!(
            "higher bit depth ({} vs {} bit)",
            keeper.props.bitdepth.unwrap_or(0),
            runner_up.props.bitdepth.unwrap_or(0)
        ),
        Criterion::Length => format!(
            "untrimmed ({} vs {})",
            format_length(keeper.props.length.unwrap_or(0.0)),
            format_length(runner_up.props.length.unwrap_or(0.0))
        ),
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
pub fn rank_keeper(tracks: &[&Track], prefer: &[PathBuf]) -> (Vec<usize>, String) {
    let mut order: Vec<usize> = (0..tracks.len()).collect();
    order.sort_by(|&a, &b| compare(tracks[a], tracks[b], prefer).0);
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
            let (_, c) = compare(keeper, tracks[r], prefer);
            describe(c, keeper, tracks[r], prefer)
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
        let (order, reason) = rank_keeper(&refs, prefer);
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
            "higher bitrate (320 vs 128 kbps)"
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
