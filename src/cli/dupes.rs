//! `mixtape dupes`: find duplicate tracks, print each group with its keeper
//! first (and why it was kept), and optionally quarantine the others
//! (`--move-to DIR`, with `--dry-run`). The work is in `mixtape::dupes`.
//!
//! Quarantined tracks are out of the active library, so a second
//! `--move-to` finds nothing to move and says so (exit 0). Unless it is a
//! dry run, the journal's interrupted moves are finished first
//! ([`journal::recover`]), so a killed earlier run is not listed again.

use std::path::PathBuf;

use anyhow::Context as _;
use mixtape::dupes::quarantine::{
    self, MoveItem, MoveResult, QuarantineReport, QuarantineSettings,
};
use mixtape::dupes::{find_dupes, DupeGroup, DupeSettings};
use mixtape::journal;
use mixtape::library::track::hex;
use serde_json::json;

use super::output::{plural, Out};
use super::{Context, Outcome};

/// Arguments of `mixtape dupes`.
#[derive(Debug, clap::Args)]
pub struct DupesArgs {
    /// Print one JSON object per line and group (and per file moved).
    #[arg(long)]
    json: bool,
    /// Also group files that have no usable fingerprint by normalised artist
    /// and title, with lengths within ±2 s.
    #[arg(long)]
    by_tags: bool,
    /// Rank tracks under DIR first when choosing the keeper (repeatable;
    /// earlier folders rank first).
    #[arg(long, value_name = "DIR")]
    prefer: Vec<PathBuf>,
    /// Move every duplicate except the keeper into DIR, under its path
    /// relative to its scan root. Nothing is deleted; `mixtape undo` restores.
    #[arg(long, value_name = "DIR")]
    move_to: Option<PathBuf>,
    /// With --move-to: show exactly what would move, and change nothing.
    #[arg(long, requires = "move_to")]
    dry_run: bool,
    /// With --move-to: also move the other versions in `similar` groups
    /// (alternate mixes, remasters), keeping the best version of each.
    #[arg(long, requires = "move_to")]
    include_similar: bool,
}

/// Run `mixtape dupes`.
pub fn run(args: DupesArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    // The flags, else the config file's dupes preferences.
    let cfg = &ctx.config.dupes;
    let (dirs, what) = match (&args.prefer[..], &cfg.prefer) {
        ([], Some(p)) => (p.value.clone(), "dupes.prefer"),
        (given, _) => (given.to_vec(), "--prefer"),
    };
    let mut prefer = Vec::new();
    for dir in &dirs {
        if !dir.is_dir() {
            anyhow::bail!("{}: {what}: no such folder", dir.display());
        }
        prefer.push(quarantine::absolute_dir(dir)?);
    }
    let mut settings = DupeSettings {
        by_tags: args.by_tags || cfg.by_tags.as_ref().is_some_and(|b| b.value),
        prefer,
        ..DupeSettings::default()
    };
    if let Some(t) = &cfg.match_threshold {
        settings.thresholds.matched = t.value;
    }
    if let Some(t) = &cfg.similar_threshold {
        settings.thresholds.similar = t.value;
    }
    // Only a move writes; a listing refreshes what it can without waiting.
    let lib = if args.move_to.is_some() && !args.dry_run {
        ctx.write_library()?
    } else {
        ctx.read_library()?
    };
    if !args.dry_run {
        lib.with_cache_writer(journal::recover)?;
    }
    let bars = ctx.progress();
    let groups = find_dupes(&lib, &settings, &bars, &ctx.cancel)?;
    bars.finish();
    let mut out = Out::new();
    let (similar, dupes): (Vec<&DupeGroup>, Vec<&DupeGroup>) =
        groups.iter().partition(|g| g.similar);
    for (i, g) in dupes.iter().chain(&similar).enumerate() {
        if args.json {
            out.line(group_json(g).to_string())?;
        } else {
            if i == dupes.len() {
                out.line("Similar: other versions of one tune (not duplicates; moved only with --include-similar)")?;
                out.line("")?;
            }
            print_group(&mut out, g)?;
        }
    }
    if !args.json {
        let n_dupes: usize = dupes.iter().map(|g| g.members.len() - 1).sum();
        let bytes: u64 = dupes
            .iter()
            .flat_map(|g| g.members[1..].iter().map(|m| m.track.size))
            .sum();
        let mut line = match dupes.len() {
            0 => "No duplicates found.".to_string(),
            n => format!(
                "{n} group{}, {n_dupes} duplicate{} ({}) besides the keepers.",
                plural(n),
                plural(n_dupes),
                indicatif::HumanBytes(bytes)
            ),
        };
        if !similar.is_empty() {
            line.push_str(&format!(
                " {} group{} of similar versions.",
                similar.len(),
                plural(similar.len())
            ));
        }
        out.line(line)?;
    }
    let groups: Vec<DupeGroup> = groups
        .into_iter()
        .filter(|g| !g.similar || args.include_similar)
        .collect();
    let Some(dir) = &args.move_to else {
        return Ok(Outcome::Success);
    };
    let qs = QuarantineSettings {
        dir: dir.clone(),
        dry_run: args.dry_run,
    };
    let report = quarantine::quarantine(&lib, &groups, &qs, &bars, &ctx.cancel)
        .with_context(|| format!("{}: quarantine", dir.display()))?;
    bars.finish();
    for item in &report.items {
        if args.json {
            out.line(move_json(item).to_string())?;
        } else {
            print_move(&mut out, item)?;
        }
    }
    if !args.json {
        let dest = quarantine::absolute_dir(dir)?;
        out.line(move_summary(&report, &dest, args.dry_run))?;
    }
    out.flush()?;
    if let Some(stop) = report.no_space {
        // Said once, by the caller: exit 2, or 1 when nothing was moved.
        return Err(mixtape::Error::NoSpace(stop).into());
    }
    Ok(if report.interrupted {
        Outcome::Interrupted
    } else if report.problems() > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}

/// The last line of `dupes --move-to`.
fn move_summary(report: &QuarantineReport, dest: &std::path::Path, dry_run: bool) -> String {
    let moved = report.count(if dry_run {
        MoveResult::WouldMove
    } else {
        MoveResult::Moved
    });
    let entries = report.playlist_entries();
    let repointed = match (entries, dry_run) {
        (0, _) => String::new(),
        (n, true) => format!(
            " and point {n} playlist entr{} at {} keeper{}",
            if n == 1 { "y" } else { "ies" },
            if n == 1 { "its" } else { "their" },
            plural(n)
        ),
        (n, false) => format!(
            "; {n} playlist entr{} now point{} at {} keeper{}",
            if n == 1 { "y" } else { "ies" },
            if n == 1 { "s" } else { "" },
            if n == 1 { "its" } else { "their" },
            plural(n)
        ),
    };
    let mut summary = match (moved, report.problems(), dry_run) {
        (0, 0, true) => format!("Dry run: nothing to move to {}.", dest.display()),
        (0, 0, false) => format!("Nothing to move to {}.", dest.display()),
        (n, _, true) => format!(
            "Dry run: would move {n} file{} to {}{repointed}; nothing changed.",
            plural(n),
            dest.display()
        ),
        (n, _, false) => format!(
            "Moved {n} file{} to {}{repointed}.",
            plural(n),
            dest.display()
        ),
    };
    if let Some(id) = report.op_id {
        summary.push_str(&format!(" Undo with `mixtape undo` (operation {id})."));
    }
    if report.problems() > 0 {
        summary.push_str(&format!(" {} skipped or failed.", report.problems()));
    }
    summary
}

fn similarity_text(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".into())
}

fn bitrate_text(b: Option<u32>) -> String {
    b.map(|b| format!("{} kbps", (b as f64 / 1000.0).round()))
        .unwrap_or_else(|| "?".into())
}

/// One group as a readable table, keeper first.
fn print_group(out: &mut Out, g: &DupeGroup) -> std::io::Result<()> {
    let keeper = &g.keeper().track;
    out.line(format!(
        "Group {}: {} ({} files) — {}: {}",
        g.number,
        keeper.display_name(),
        g.members.len(),
        if g.similar {
            "best version first"
        } else {
            "keeping the first"
        },
        g.reason
    ))?;
    out.line(format!(
        "  {:<14}  {:>5}  {:<7} {:>9}  {:>6}  {:>9}  PATH",
        "KIND", "SIM", "FORMAT", "BITRATE", "LENGTH", "BANDWIDTH"
    ))?;
    for m in &g.members {
        let p = &m.track.props;
        out.line(format!(
            "  {:<14}  {:>5}  {:<7} {:>9}  {:>6}  {:>9}  {}",
            m.kind.as_str(),
            similarity_text(m.similarity),
            p.format.as_deref().unwrap_or("?"),
            bitrate_text(p.bitrate),
            p.length
                .map(mixtape::dupes::keeper::format_length)
                .unwrap_or_else(|| "?".into()),
            bandwidth_text(&m.track.quality),
            m.track.path.display()
        ))?;
    }
    out.line("")
}

/// `16.8 kHz`, with `!` when the file is not what it claims (a lossy
/// source in a lossless file, an upscaled lossy file); `?` when unmeasured.
fn bandwidth_text(q: &mixtape::library::track::Quality) -> String {
    let flag = q.lossy_source == Some(true) || q.upscaled == Some(true);
    match q.bandwidth {
        Some(b) => format!(
            "{:.1} kHz{}",
            b as f64 / 1000.0,
            if flag { "!" } else { "" }
        ),
        None => "?".into(),
    }
}

/// One group as one JSON object.
fn group_json(g: &DupeGroup) -> serde_json::Value {
    let members: Vec<serde_json::Value> = g
        .members
        .iter()
        .map(|m| {
            json!({
                "id": m.track.id,
                "path": m.track.path.to_string_lossy(),
                "kind": m.kind.as_str(),
                "similarity": m.similarity,
                "format": m.track.props.format,
                "bitrate": m.track.props.bitrate,
                "length": m.track.props.length,
                "bandwidth": m.track.quality.bandwidth,
                "lossy_source": m.track.quality.lossy_source,
                "upscaled": m.track.quality.upscaled,
                "file_hash": m.track.file_hash.map(|h| hex(&h)),
            })
        })
        .collect();
    if g.similar {
        // Not duplicates: no keeper, the best version first.
        return json!({
            "group": g.number,
            "kind": "similar",
            "best": g.keeper().track.path.to_string_lossy(),
            "reason": g.reason,
            "members": members,
        });
    }
    json!({
        "group": g.number,
        "kind": "duplicates",
        "keeper": g.keeper().track.path.to_string_lossy(),
        "reason": g.reason,
        "members": members,
    })
}

fn print_move(out: &mut Out, item: &MoveItem) -> std::io::Result<()> {
    let dst = item
        .dst
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    match item.result {
        MoveResult::Moved => out.line(format!("moved {} -> {dst}", item.src.display())),
        MoveResult::WouldMove => out.line(format!("would move {} -> {dst}", item.src.display())),
        MoveResult::Skipped | MoveResult::Failed => {
            // Problems go to stderr as `path: reason`, after what was printed so far.
            out.flush()?;
            eprintln!(
                "mixtape: {}: {} {}",
                item.src.display(),
                if item.result == MoveResult::Skipped {
                    "skipped:"
                } else {
                    "not moved:"
                },
                item.reason.as_deref().unwrap_or("")
            );
            Ok(())
        }
    }
}

fn move_json(item: &MoveItem) -> serde_json::Value {
    json!({
        "move": {
            "group": item.group,
            "id": item.track_id,
            "src": item.src.to_string_lossy(),
            "dst": item.dst.as_ref().map(|d| d.to_string_lossy()),
            "result": item.result,
            "reason": item.reason,
            "keeper": item.keeper_id,
            "playlist_entries": item.playlist_entries,
        }
    })
}
