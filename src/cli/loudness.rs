//! `mixtape loudness QUERY [--force] [--json]`: arguments and printing; the
//! work is in `mixtape::loudness` (parallel full decode, album gating, one
//! database writer).
//!
//! Each selected track is one line on stdout, `path: -9.03 LUFS, -6.02
//! dBTP; album -7.50 LUFS, -0.10 dBTP` (its values after the run; `silent`
//! for digital silence), then the summary (`measured 3 tracks and 1 album;
//! 2 already measured`). `--json` prints one object per track instead and
//! the summary on stderr. A file that cannot be decoded is `path: reason`
//! on stderr and the run goes on (exit 2); one of a format mixtape has no
//! decoder for (WMA, Musepack) is listed too, but is no failure, as in
//! `check`.

use mixtape::library::track::Columns;
use mixtape::library::Track;
use mixtape::loudness::{self, Outcome, Report, TrackResult};
use mixtape::media::replaygain::ReplayGain;
use mixtape::query::Query;
use serde_json::json;

use super::output::{plural, with_counts, Out};
use super::{Context, Outcome as Exit};

/// Arguments of `mixtape loudness`.
#[derive(Debug, clap::Args)]
pub struct LoudnessArgs {
    /// Which tracks (query words; all tracks when empty).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// Measure again tracks and albums that already have their values.
    #[arg(long)]
    force: bool,
    /// One JSON object per selected track.
    #[arg(long)]
    json: bool,
}

/// Run `mixtape loudness`.
pub fn run(args: LoudnessArgs, ctx: &Context) -> anyhow::Result<Exit> {
    let mut lib = ctx.write_library()?;
    let query = Query::parse(&args.query)?;
    let tracks = lib.select(&query, Columns::List)?;
    let bars = ctx.progress();
    let report = loudness::measure(&mut lib, tracks, args.force, &ctx.cancel, &bars);
    bars.finish();
    let report = report?;
    warn(&report);
    let mut out = Out::new();
    for r in &report.tracks {
        if args.json {
            out.line(to_json(r).to_string())?;
        } else if let Some(line) = line(&r.track) {
            out.line(line)?;
        }
    }
    let summary = summary(&report);
    if args.json {
        out.flush()?;
        eprintln!("{summary}");
    } else {
        out.line(summary)?;
        out.flush()?;
    }
    Ok(if report.interrupted {
        Exit::Interrupted
    } else if report.failed() > 0 {
        Exit::PartialFailure
    } else {
        Exit::Success
    })
}

/// Print failures and decode problems to stderr, `path: reason`.
pub fn warn(report: &Report) {
    for r in report.tracks.iter().chain(&report.album_only) {
        match &r.outcome {
            Outcome::Failed(e) | Outcome::NoDecoder(e) => eprintln!("{e}"),
            Outcome::Measured(problems) => {
                for p in problems {
                    eprintln!("{}: {} (measured what decoded)", name(&r.track), p.message);
                }
            }
            Outcome::Skipped | Outcome::NotDone => {}
        }
    }
    for (album, why) in &report.albums_failed {
        eprintln!("album {album}: no album loudness ({why})");
    }
}

/// The track as it is named on a line: its path, and for a track of a CUE
/// image its number in it.
fn name(t: &Track) -> String {
    match t.cue {
        Some(c) => format!("{} [track {}]", t.path.display(), c.number),
        None => t.path.display().to_string(),
    }
}

/// A level to two decimals (never `-0.00`).
fn db(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{:.2}", if r == 0.0 { 0.0 } else { r })
}

/// `-9.03 LUFS, -6.02 dBTP`, or `silent`.
fn values(lufs: f64, peak: f64) -> String {
    if lufs.is_finite() {
        format!("{} LUFS, {} dBTP", db(lufs), db(peak))
    } else {
        "silent".to_string()
    }
}

/// One track's line, when it has values.
fn line(t: &Track) -> Option<String> {
    let (l, p) = t.loudness.zip(t.true_peak)?;
    let mut s = format!("{}: {}", name(t), values(l, p));
    if let Some((al, ap)) = t.album_loudness.zip(t.album_peak) {
        s.push_str(&format!("; album {}", values(al, ap)));
    }
    Some(s)
}

fn to_json(r: &TrackResult) -> serde_json::Value {
    let t = &r.track;
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    let rg = ReplayGain::from_loudness(
        t.loudness.zip(t.true_peak),
        t.album_loudness.zip(t.album_peak),
    );
    json!({
        "track_id": t.id,
        "path": t.path.to_string_lossy(),
        "cue_track": t.cue.map(|c| c.number),
        "loudness": finite(t.loudness),
        "true_peak": finite(t.true_peak),
        "album_loudness": finite(t.album_loudness),
        "album_peak": finite(t.album_peak),
        "replaygain": {
            "track_gain": rg.track_gain,
            "track_peak": rg.track_peak,
            "album_gain": rg.album_gain,
            "album_peak": rg.album_peak,
        },
        "measured": matches!(r.outcome, Outcome::Measured(_)),
        "error": match &r.outcome {
            Outcome::Failed(e) | Outcome::NoDecoder(e) => Some(e.as_str()),
            _ => None,
        },
    })
}

/// `measured 3 tracks and 1 album; 2 already measured, 1 failed`.
pub fn summary(r: &Report) -> String {
    let selected = r
        .tracks
        .iter()
        .filter(|t| matches!(t.outcome, Outcome::Measured(_)))
        .count();
    let mut head = format!("measured {selected} track{}", plural(selected));
    if r.albums_measured > 0 {
        head.push_str(&format!(
            " and {} album{}",
            r.albums_measured,
            plural(r.albums_measured)
        ));
    }
    let extra = r
        .album_only
        .iter()
        .filter(|t| matches!(t.outcome, Outcome::Measured(_)))
        .count();
    let not_done = r
        .tracks
        .iter()
        .filter(|t| t.outcome == Outcome::NotDone)
        .count();
    let counts = [
        (r.skipped() as u64, "{} already measured"),
        (extra as u64, "{} more of their albums' tracks decoded"),
        (r.failed() as u64, "{} failed"),
        (r.no_decoder() as u64, "{} not measured (no decoder)"),
        (
            r.albums_failed.len() as u64,
            "{} albums without album values",
        ),
        (not_done as u64, "{} not reached (interrupted)"),
    ];
    let tail = with_counts(String::new(), ", ", &counts);
    match tail.strip_prefix(", ") {
        Some(t) => format!("{head}; {t}"),
        None => head,
    }
}
