//! `mixtape albums --check`: an offline audit of each album, from the tags
//! and properties the library holds (no network, unlike beets' `missing`).
//!
//! It finds, per album: track numbers missing against `tracktotal` (or up
//! to the highest number present), track numbers used twice, a disc of a
//! multi-disc album that is not there, album artist, year or genre that
//! differ between tracks, mixed sample rates, formats or bit depths, and
//! art that some tracks have and others lack, or that differs. Each
//! [`Finding`] names its kind and says what it saw; [`Finding::fix`]
//! proposes a `mixtape modify` command where a tag edit would fix it.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Value as Json};

use super::Album;
use crate::library::Track;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    MissingTracks,
    DuplicateNumbers,
    MissingDisc,
    DifferingAlbumartist,
    DifferingYear,
    DifferingGenre,
    MixedSamplerate,
    MixedFormat,
    MixedBitdepth,
    ArtMissing,
    ArtDiffers,
}

impl FindingKind {
    /// The kind's name in output and JSON.
    pub fn as_str(self) -> &'static str {
        use FindingKind::*;
        match self {
            MissingTracks => "missing-tracks",
            DuplicateNumbers => "duplicate-numbers",
            MissingDisc => "missing-disc",
            DifferingAlbumartist => "differing-albumartist",
            DifferingYear => "differing-year",
            DifferingGenre => "differing-genre",
            MixedSamplerate => "mixed-samplerate",
            MixedFormat => "mixed-format",
            MixedBitdepth => "mixed-bitdepth",
            ArtMissing => "art-missing",
            ArtDiffers => "art-differs",
        }
    }
}

/// One problem with one album.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// What was seen, e.g. "3, 7 of 12" or "1999 (9 tracks), 2001 (1)".
    pub detail: String,
    /// The tag field a `modify` would set, and the value most tracks have.
    pub fix: Option<(&'static str, String)>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)
    }
}

impl Finding {
    /// The finding as JSON, with its album.
    pub fn to_json(&self, album: &Album) -> Json {
        json!({
            "albumartist": album.albumartist,
            "album": album.album,
            "path": album.folder.to_string_lossy(),
            "album_id": album.id,
            "kind": self.kind.as_str(),
            "detail": self.detail,
            "fix": self.fix.as_ref().map(|(f, v)| format!("{f}={v}")),
        })
    }
}

/// Numbers as "1, 2, 5".
fn list(ns: &[i64]) -> String {
    ns.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// Every finding for `album`, in [`FindingKind`] order.
pub fn check(album: &Album) -> Vec<Finding> {
    let mut out = Vec::new();
    let discs = album.disc_numbers();
    let multidisc = album.multidisc();
    for &d in &discs {
        let numbers: Vec<i64> = album.disc(d).filter_map(|t| t.tags.track).collect();
        let Some(&highest) = numbers.iter().max() else {
            continue;
        };
        let total = album.disc_tracktotal(d);
        let expected = total.unwrap_or(highest).max(highest);
        let missing: Vec<i64> = (1..=expected).filter(|n| !numbers.contains(n)).collect();
        let on = if multidisc {
            format!(" on disc {d}")
        } else {
            String::new()
        };
        if !missing.is_empty() {
            let of = match total {
                Some(t) => format!(" of {t}"),
                None => format!(" (up to {highest})"),
            };
            out.push(Finding {
                kind: FindingKind::MissingTracks,
                detail: format!("{}{of}{on}", list(&missing)),
                fix: None,
            });
        }
        let mut seen = BTreeMap::<i64, usize>::new();
        for n in &numbers {
            *seen.entry(*n).or_default() += 1;
        }
        let twice: Vec<i64> = seen
            .iter()
            .filter(|(_, c)| **c > 1)
            .map(|(n, _)| *n)
            .collect();
        if !twice.is_empty() {
            out.push(Finding {
                kind: FindingKind::DuplicateNumbers,
                detail: format!("{}{on}", list(&twice)),
                fix: None,
            });
        }
    }
    let total = album.disctotal();
    let absent: Vec<i64> = (1..=total).filter(|d| !discs.contains(d)).collect();
    if total > 1 && !absent.is_empty() {
        out.push(Finding {
            kind: FindingKind::MissingDisc,
            detail: format!("{} of {total}", list(&absent)),
            fix: None,
        });
    }
    let text = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_string);
    differing(
        &mut out,
        album,
        FindingKind::DifferingAlbumartist,
        Some("albumartist"),
        |t| Some(text(&t.tags.albumartist).unwrap_or_default()),
    );
    differing(
        &mut out,
        album,
        FindingKind::DifferingYear,
        Some("year"),
        |t| t.tags.year.map(|y| y.to_string()),
    );
    differing(
        &mut out,
        album,
        FindingKind::DifferingGenre,
        Some("genre"),
        |t| text(&t.tags.genre),
    );
    differing(&mut out, album, FindingKind::MixedSamplerate, None, |t| {
        t.props.samplerate.map(|r| format!("{r} Hz"))
    });
    differing(&mut out, album, FindingKind::MixedFormat, None, |t| {
        t.props.format.clone()
    });
    differing(&mut out, album, FindingKind::MixedBitdepth, None, |t| {
        t.props.bitdepth.map(|b| format!("{b}-bit"))
    });
    let with_art = album.tracks.iter().filter(|t| t.art).count();
    if with_art > 0 && with_art < album.tracks.len() {
        out.push(Finding {
            kind: FindingKind::ArtMissing,
            detail: format!(
                "{} of {} tracks have no art",
                album.tracks.len() - with_art,
                album.tracks.len()
            ),
            fix: None,
        });
    } else if with_art > 0 {
        differing(&mut out, album, FindingKind::ArtDiffers, None, |t| {
            t.art_hash.map(|h| crate::library::track::hex(&h[..4]))
        });
    }
    out
}

/// A finding when the tracks' values (`get`; None: not known, left out)
/// are not all the same: each value with how many tracks have it, the
/// most common first.
fn differing(
    out: &mut Vec<Finding>,
    album: &Album,
    kind: FindingKind,
    field: Option<&'static str>,
    get: impl Fn(&Track) -> Option<String>,
) {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for v in album.tracks.iter().filter_map(get) {
        match counts.iter_mut().find(|(x, _)| *x == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    if counts.len() < 2 {
        return;
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shown = |v: &str| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.to_string()
        }
    };
    let detail = counts
        .iter()
        .map(|(v, n)| {
            let unit = if *n == 1 { "track" } else { "tracks" };
            format!("{} ({n} {unit})", shown(v))
        })
        .collect::<Vec<_>>()
        .join(", ");
    // A fix only when one value has a majority and it is a value.
    let fix = match (field, counts.as_slice()) {
        (Some(f), [(best, a), (_, b), ..]) if a > b && !best.is_empty() => Some((f, best.clone())),
        _ => None,
    };
    out.push(Finding { kind, detail, fix });
}
