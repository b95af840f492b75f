//! `mixtape undo`: put back what a file operation (`dupes --move-to`,
//! `organize`) moved or copied: the latest one, or `undo ID`; `--list`
//! shows past operations; `--dry-run` shows what would be restored. The
//! work (and its never-overwrite rules) is in `mixtape::journal`. Undoing a
//! quarantine also makes the tracks active again and points the playlist
//! entries it gave to the keepers back at them.

use mixtape::journal::{self, OperationSummary, UndoItem};
use serde_json::json;

use super::output::Out;
use super::{Context, Outcome};

/// Arguments of `mixtape undo`.
#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The operation to undo [default: the latest one not yet undone].
    #[arg(value_name = "ID")]
    id: Option<i64>,
    /// List past operations (newest first) instead of undoing.
    #[arg(long, conflicts_with_all = ["id", "dry_run"])]
    list: bool,
    /// Show what would be restored, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Run `mixtape undo`.
pub fn run(args: UndoArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let lib = if args.list {
        ctx.read_library()?
    } else {
        ctx.write_library()?
    };
    let mut out = Out::new();
    if args.list {
        let ops = journal::list(&lib)?;
        if args.json {
            for op in &ops {
                out.line(serde_json::to_string(op)?)?;
            }
        } else if ops.is_empty() {
            out.line("No file operations recorded.")?;
        } else {
            out.line(format!(
                "{:>4}  {:<14} {:<20} {:>5}  {:<11} DESCRIPTION",
                "ID", "KIND", "STARTED (UTC)", "FILES", "STATE"
            ))?;
            for op in &ops {
                out.line(format!(
                    "{:>4}  {:<14} {:<20} {:>5}  {:<11} {}",
                    op.id,
                    op.kind,
                    format_time(op.started),
                    op.files,
                    state(op),
                    op.description.as_deref().unwrap_or("")
                ))?;
            }
        }
        return Ok(Outcome::Success);
    }
    let report = journal::undo(&lib, args.id, args.dry_run)?;
    // Folder entries (created or removed folders) have src == dst; so does
    // a tag write, whose src is a file.
    let is_file = |i: &UndoItem| i.src != i.dst || i.src.is_file();
    let mut restored = 0;
    let mut problems = 0;
    for item in &report.items {
        if args.json {
            out.line(
                json!({
                    "operation": report.op_id,
                    "src": item.src.to_string_lossy(),
                    "dst": item.dst.to_string_lossy(),
                    "result": match (item.result.as_str(), args.dry_run) {
                        ("restored", true) => "would-restore",
                        ("removed-copy", true) => "would-remove-copy",
                        (other, _) => other,
                    },
                    "reason": item.reason,
                    "playlist_entries": item.playlist_entries,
                    "playlist_problems": item.playlist_problems,
                    "leftovers": item.leftovers,
                })
                .to_string(),
            )?;
        }
        match item.result.as_str() {
            "restored" | "removed-copy" if is_file(item) => {
                restored += 1;
                if !args.json {
                    let verb = match (item.result.as_str(), args.dry_run) {
                        ("restored", false) => "restored",
                        ("restored", true) => "would restore",
                        (_, false) => "removed copy",
                        (_, true) => "would remove copy",
                    };
                    if item.result == "restored" {
                        out.line(format!(
                            "{verb} {} -> {}",
                            item.dst.display(),
                            item.src.display()
                        ))?;
                    } else {
                        out.line(format!("{verb} {}", item.dst.display()))?;
                    }
                }
            }
            "skipped" if is_file(item) => {
                problems += 1;
                if !args.json {
                    out.flush()?;
                    eprintln!("mixtape: {}", item.reason.as_deref().unwrap_or("skipped"));
                }
            }
            "skipped" if !args.json => {
                out.line(format!(
                    "kept folder {}: {}",
                    item.dst.display(),
                    item.reason.as_deref().unwrap_or("")
                ))?;
            }
            _ => {}
        }
        for p in item.leftovers.iter().chain(&item.playlist_problems) {
            problems += 1;
            if !args.json {
                out.flush()?;
                eprintln!("mixtape: {p}");
            }
        }
    }
    if !args.json {
        let entries = report.playlist_entries();
        out.line(format!(
            "{} operation {} ({}): {} file{} restored{}{}{}.",
            if args.dry_run {
                "Dry run of undoing"
            } else {
                "Undid"
            },
            report.op_id,
            report.kind,
            restored,
            if restored == 1 { "" } else { "s" },
            match entries {
                0 => String::new(),
                1 => ", 1 playlist entry pointed back".to_string(),
                n => format!(", {n} playlist entries pointed back"),
            },
            if problems > 0 {
                format!(", {problems} could not be restored")
            } else {
                String::new()
            },
            if args.dry_run {
                "; nothing changed"
            } else {
                ""
            }
        ))?;
    }
    out.flush()?;
    Ok(if problems > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}

/// The state column of `undo --list`.
fn state(op: &OperationSummary) -> &'static str {
    match (op.finished, op.undone) {
        (_, Some(_)) => "undone",
        (Some(_), None) => "done",
        (None, None) => "interrupted",
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for unix seconds.
fn format_time(unix: f64) -> String {
    let secs = unix.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::format_time;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_time(0.0), "1970-01-01 00:00:00");
        assert_eq!(format_time(951_782_400.5), "2000-02-29 00:00:00");
        assert_eq!(format_time(1_795_305_600.0), "2026-11-22 00:00:00");
    }
}
