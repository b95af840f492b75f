//! `mixtape modify QUERY field=value… field!`: arguments, the dry run, the
//! confirmation and printing; the work is in `mixtape::retag`.
//!
//! Each change is a line `path: field: old -> new` on stdout (with
//! `--dry-run` before anything is written); a file that could not be
//! changed is `path: reason` on stderr, and the rest go on (exit 2 then).
//! More than [`CONFIRM_ABOVE`] files need `--yes` or a `y` on a terminal.

use std::io::{BufRead, IsTerminal, Write};

use mixtape::library::track::Columns;
use mixtape::query::Query;
use mixtape::retag::{self, shown, Change};

use super::output::Out;
use super::{Context, Outcome};

/// Ask before changing more files than this.
const CONFIRM_ABOVE: usize = 20;

/// Arguments of `mixtape modify`.
#[derive(Debug, clap::Args)]
pub struct ModifyArgs {
    /// Query words, then `field=value` to set and `field!` to remove.
    #[arg(
        value_name = "QUERY|FIELD=VALUE|FIELD!",
        required = true,
        allow_hyphen_values = true
    )]
    words: Vec<String>,
    /// Show what would change; write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Do not ask, however many files change.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print the run's time and the audio check's share (benchmarks).
    #[arg(long, hide = true)]
    timings: bool,
}

/// One line per changed field (and for the art): `path: field: old -> new`.
pub(super) fn print_change(out: &mut Out, c: &Change) -> std::io::Result<()> {
    for f in &c.fields {
        out.line(format!(
            "{}: {}: {} -> {}",
            c.track.path.display(),
            f.field,
            shown(&f.old),
            shown(&f.new)
        ))?;
    }
    if let Some(a) = &c.art {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        out.line(format!(
            "{}: art: {} -> {}",
            c.track.path.display(),
            show(&a.old),
            show(&a.new)
        ))?;
    }
    Ok(())
}

/// Run `mixtape modify`.
pub fn run(args: ModifyArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let (words, edits) = retag::parse_words(&args.words)?;
    let lib = ctx.write_library()?;
    let query = Query::parse(&words)?;
    let tracks = lib.select(&query, Columns::Full)?;
    let changes = retag::plan(tracks, &edits);
    write_changes(&lib, &changes, args.dry_run, args.yes, 0, args.timings, ctx)
}

/// Show `changes` (dry run), or ask when there are many, write them and
/// say what was done (with `timings`, how long the run and its audio
/// check took). `failed_before` files were already reported as
/// errors while planning (they make the run a partial failure).
#[allow(clippy::too_many_arguments)]
pub(super) fn write_changes(
    lib: &mixtape::Library,
    changes: &[Change],
    dry_run: bool,
    yes: bool,
    failed_before: usize,
    timings: bool,
    ctx: &Context,
) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let mut out = Out::new();
    let partial = |failed: usize| {
        if failed > 0 {
            Outcome::PartialFailure
        } else {
            Outcome::Success
        }
    };
    if dry_run {
        for c in changes {
            print_change(&mut out, c)?;
        }
        out.flush()?;
        eprintln!(
            "dry run: would modify {} file{}; nothing changed",
            changes.len(),
            super::output::plural(changes.len())
        );
        return Ok(partial(failed_before));
    }
    if changes.len() > CONFIRM_ABOVE && !yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            anyhow::bail!(
                "would modify {} files; pass --yes to go ahead (or --dry-run to see the changes)",
                changes.len()
            );
        }
        eprint!("modify {} files? [y/N] ", changes.len());
        std::io::stderr().flush()?;
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing changed");
            return Ok(Outcome::Success);
        }
    }
    let mut print_err: Option<std::io::Error> = None;
    let summary = retag::execute(lib, changes, &ctx.cancel, &mut |c, err| match err {
        Some(e) => eprintln!("{e}"),
        None => {
            if print_err.is_none() {
                print_err = print_change(&mut out, c).err();
            }
        }
    })?;
    out.flush()?;
    if let Some(e) = print_err {
        return Err(e.into());
    }
    let failed = summary.failed + failed_before;
    let mut msg = format!(
        "modified {} file{}",
        summary.modified,
        super::output::plural(summary.modified)
    );
    if failed > 0 {
        msg.push_str(&format!("; {failed} not modified (see above)"));
    }
    if let (Some(id), true) = (summary.op_id, summary.modified > 0) {
        msg.push_str(&format!("; undo with `mixtape undo` (operation {id})"));
    }
    eprintln!("{msg}");
    if timings {
        let total = started.elapsed().as_secs_f64();
        let check = summary.verify.as_secs_f64();
        eprintln!(
            "timings: {total:.2} s in all, {check:.2} s reading the copies back ({:.0}%)",
            100.0 * check / total.max(1e-9)
        );
    }
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else {
        partial(failed)
    })
}
