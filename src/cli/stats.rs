//! `mixtape stats`: what the library holds.

use mixtape::library::stats;

use super::{output::Out, Context, Outcome};

/// Arguments of `mixtape stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Print the statistics as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Run `mixtape stats`.
pub fn run(args: StatsArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let lib = ctx.read_library()?;
    let s = stats(&lib)?;
    let mut out = Out::new();
    if args.json {
        out.line(serde_json::to_string(&s)?)?;
        return Ok(Outcome::Success);
    }
    out.line(format!("Tracks:        {}", s.tracks))?;
    out.line(format!("Total length:  {}", human_duration(s.total_length)))?;
    out.line(format!(
        "Total size:    {}",
        indicatif::HumanBytes(s.total_size)
    ))?;
    out.line(format!("With errors:   {}", s.errors))?;
    out.line(format!("Missing:       {}", s.missing))?;
    out.line(format!("Fingerprinted: {}", s.fingerprinted))?;
    if s.quarantined > 0 {
        out.line(format!("Quarantined:   {}", s.quarantined))?;
    }
    out.line("Formats:")?;
    for (format, count) in &s.formats {
        out.line(format!("  {format:<12} {count}"))?;
    }
    Ok(Outcome::Success)
}

/// `1d 02:03:04`-style duration.
fn human_duration(secs: f64) -> String {
    let t = secs.round() as u64;
    let (d, h, m, s) = (t / 86400, t / 3600 % 24, t / 60 % 60, t % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
}
