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
}

fn print_change(out: &mut Out, c: &Change) -> std::io::Result<()> {
    for f in &c.fields {
        out.line(format!(
            "{}: {}: {} -> {}",
            c.track.path.display(),
            f.field,
            shown(&f.old),
            shown(&f.new)
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
    let mut out = Out::new();
    if args.dry_run {
        for c in &changes {
            print_change(&mut out, c)?;
        }
        out.flush()?;
        eprintln!(
            "dry run: would modify {} files; nothing changed",
            changes.len()
        );
        return Ok(Outcome::Success);
    }
    if changes.len() > CONFIRM_ABOVE && !args.yes {
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
    let summary = retag::execute(&lib, &changes, &ctx.cancel, &mut |c, err| match err {
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
    let mut msg = format!(
        "modified {} file{}",
        summary.modified,
        super::output::plural(summary.modified)
    );
    if summary.failed > 0 {
        msg.push_str(&format!("; {} not modified (see above)", summary.failed));
    }
    if let (Some(id), true) = (summary.op_id, summary.modified > 0) {
        msg.push_str(&format!("; undo with `mixtape undo` (operation {id})"));
    }
    eprintln!("{msg}");
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else if summary.failed > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}
