//! `mixtape scan`: arguments, the progress bar and the final report.

use std::path::PathBuf;

use mixtape::scan::ignore::IgnoreSet;
use mixtape::scan::{scan, ScanSettings};

use super::{output::Out, Context, Outcome};

/// Arguments of `mixtape scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Folders (or files) to scan.
    #[arg(required = true, value_name = "DIR")]
    roots: Vec<PathBuf>,
    /// Include hidden files and folders.
    #[arg(long)]
    hidden: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(short = 'L', long)]
    follow: bool,
    /// Skip decoding and fingerprinting (a later plain scan fills them in).
    #[arg(long)]
    no_fingerprint: bool,
    /// Remove tracks whose files are missing from the library.
    #[arg(long)]
    prune: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Also list the files skipped as not audio, as `path: reason`.
    #[arg(long)]
    list_skipped: bool,
}

/// The config file's `scan.ignore` globs (checked when the file was read).
fn ignore_set(ctx: &Context) -> anyhow::Result<IgnoreSet> {
    let globs = ctx
        .config
        .scan_ignore
        .as_ref()
        .map(|s| s.value.as_slice())
        .unwrap_or(&[]);
    IgnoreSet::new(globs).map_err(|(g, e)| anyhow::anyhow!("scan.ignore {g:?}: {e}"))
}

/// Run `mixtape scan`.
pub fn run(args: ScanArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let mut lib = ctx.open_writer(true)?;
    let settings = ScanSettings {
        roots: args.roots,
        hidden: args.hidden,
        follow: args.follow,
        fingerprint: !args.no_fingerprint,
        prune: args.prune,
        ignore: ignore_set(ctx)?,
    };
    let bars = ctx.progress();
    let summary = scan(&mut lib, &settings, &bars, &ctx.cancel)?;
    bars.finish();
    let mut out = Out::new();
    for (path, reason) in &summary.errors {
        eprintln!("{}: {reason}", path.display());
    }
    if args.json {
        let mut v = serde_json::to_value(&summary)?;
        v["elapsed"] = serde_json::json!(summary.elapsed.as_secs_f64());
        let listed = |l: &[(PathBuf, String)]| -> serde_json::Value {
            l.iter()
                .map(|(p, r)| serde_json::json!({"path": p.to_string_lossy(), "reason": r}))
                .collect()
        };
        v["errors"] = listed(&summary.errors);
        v["skipped_files"] = listed(&summary.skipped_files);
        out.line(v.to_string())?;
    } else {
        if args.list_skipped {
            for (path, reason) in &summary.skipped_files {
                out.line(format!("{}: {reason} (skipped)", path.display()))?;
            }
        }
        let head = format!(
            "scanned {}, new {}, changed {}, unchanged {}, moved {}, skipped {}, unreadable {}, missing {}, errors {}, elapsed {:.2}s",
            summary.scanned,
            summary.new,
            summary.changed,
            summary.unchanged,
            summary.moved,
            summary.skipped,
            summary.unreadable,
            summary.missing,
            summary.errors.len(),
            summary.elapsed.as_secs_f64()
        );
        let extras = [
            (summary.images, "CUE images {}"),
            (summary.image_tracks, "tracks in them {}"),
            (summary.fingerprinted, "fingerprinted {}"),
            (summary.copies_reused, "byte copies read once {}"),
            (summary.pruned, "pruned {}"),
            (summary.recovered, "finished interrupted moves {}"),
        ];
        let mut line = super::output::with_counts(head, ", ", &extras);
        if summary.interrupted {
            line.push_str(" (interrupted: committed work is kept; scan again to continue)");
        }
        out.line(line)?;
    }
    out.flush()?;
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else if summary.errors.is_empty() {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}
