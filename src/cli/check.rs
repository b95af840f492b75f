//! `mixtape check`: arguments and printing; the work is in
//! `mixtape::check` (parallel full decode, one database writer).
//!
//! Damaged files are listed on stdout as `path: what is wrong`; `--json`
//! prints one object per checked track (`{"track_id", "path", "ok",
//! "state", "missing", "errors", "kinds", "not_checked"}`), clean ones
//! included. States: ok, damaged, not checked (no decoder). Exit 0 unless a
//! file is damaged, then 2; a missing file is listed, not counted as damage
//! (`scan` tracks that).

use mixtape::check::{self, CheckResult};
use mixtape::library::track::Columns;
use mixtape::query::Query;
use serde_json::json;

use super::output::Out;
use super::{Context, Outcome};

/// Arguments of `mixtape check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Which tracks (query words; all tracks when empty).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// One JSON object per checked track.
    #[arg(long)]
    json: bool,
}

/// Run `mixtape check`.
pub fn run(args: CheckArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let lib = ctx.write_library()?;
    let query = Query::parse(&args.query)?;
    let tracks = lib.select(&query, Columns::List)?;
    let bars = ctx.progress();
    let mut out = Out::new();
    let summary = check::check_tracks(&lib, &tracks, &ctx.cancel, &bars, &mut |r| {
        print(&mut out, r, args.json).map_err(|e| mixtape::Error::io("<stdout>", e))
    });
    bars.finish();
    let summary = match summary {
        Ok(s) => s,
        Err(mixtape::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            return Err(source.into())
        }
        Err(e) => return Err(e.into()),
    };
    out.flush()?;
    let head = format!(
        "checked {} track{}: {} damaged",
        summary.checked,
        super::output::plural(summary.checked),
        summary.damaged
    );
    let counts = [
        (summary.not_checked as u64, "{} not checked (no decoder)"),
        (summary.missing as u64, "{} missing (rescan)"),
    ];
    eprintln!("{}", super::output::with_counts(head, ", ", &counts));
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else if summary.damaged > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}

fn print(out: &mut Out, r: &CheckResult, as_json: bool) -> std::io::Result<()> {
    if as_json {
        return out.line(
            json!({
                "track_id": r.track_id,
                "path": r.path.to_string_lossy(),
                "ok": r.ok(),
                "state": r.state(),
                "missing": r.missing,
                "errors": r.errors.iter().map(|p| &p.message).collect::<Vec<_>>(),
                "kinds": r.errors.iter().chain(r.unchecked.as_ref()).map(|p| p.kind).collect::<Vec<_>>(),
                "not_checked": r.unchecked.as_ref().map(|p| &p.message),
            })
            .to_string(),
        );
    }
    if r.missing {
        out.line(format!("{}: missing (not checked)", r.path.display()))
    } else if !r.ok() {
        out.line(format!("{}: {}", r.path.display(), r.message()))
    } else {
        Ok(())
    }
}
