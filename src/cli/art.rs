//! `mixtape art embed|extract|clear QUERY`: arguments and printing; the
//! work is in `mixtape::retag::art`.
//!
//! `embed` and `clear` print `path: art: old -> new` per file and share
//! `modify`'s dry run, confirmation and summary; `extract` prints
//! `track -> image` per image written. Every one is journalled, so
//! `mixtape undo` reverses it.

use std::path::PathBuf;

use mixtape::library::track::Columns;
use mixtape::query::Query;
use mixtape::retag::art::{self, CoverSource};

use super::modify::write_changes;
use super::output::{plural, Out};
use super::{Context, Outcome};

/// Arguments of `mixtape art`.
#[derive(Debug, clap::Args)]
pub struct ArtArgs {
    #[command(subcommand)]
    action: ArtAction,
}

#[derive(Debug, clap::Subcommand)]
enum ArtAction {
    /// Embed a cover into the selected tracks (replacing their pictures).
    Embed {
        /// Which tracks (query words).
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
        /// The image to embed (JPEG or PNG).
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "from_folder",
            required_unless_present = "from_folder"
        )]
        from: Option<PathBuf>,
        /// Each track's folder image (cover.jpg, folder.jpg, front.png, ...).
        #[arg(long)]
        from_folder: bool,
        /// Shrink a larger cover to fit this many pixels a side (as JPEG).
        #[arg(long, value_name = "PIXELS")]
        max_size: Option<u32>,
        /// Show what would change; write nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Do not ask, however many files change.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Write the selected tracks' covers into DIR, one image per album.
    Extract {
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
        /// The folder the images go into.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Show what would be written; write nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
    },
    /// Remove every embedded picture from the selected tracks.
    Clear {
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
        #[arg(long, short = 'n')]
        dry_run: bool,
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Run `mixtape art`.
pub fn run(args: ArtArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    match args.action {
        ArtAction::Embed {
            query,
            from,
            from_folder: _,
            max_size,
            dry_run,
            yes,
        } => {
            let max_size = max_size.map(art::check_max_size).transpose()?;
            let lib = ctx.write_library()?;
            let tracks = lib.select(&Query::parse(&query)?, Columns::Full)?;
            let source = match from {
                Some(p) => CoverSource::File(p),
                None => CoverSource::Folder,
            };
            let (changes, errors) = art::plan_embed(tracks, &source, max_size)?;
            for e in &errors {
                eprintln!("{e}");
            }
            write_changes(&lib, &changes, dry_run, yes, errors.len(), false, ctx)
        }
        ArtAction::Clear {
            query,
            dry_run,
            yes,
        } => {
            let lib = ctx.write_library()?;
            let tracks = lib.select(&Query::parse(&query)?, Columns::Full)?;
            write_changes(&lib, &art::plan_clear(tracks), dry_run, yes, 0, false, ctx)
        }
        ArtAction::Extract { query, to, dry_run } => extract(&query, &to, dry_run, ctx),
    }
}

fn extract(
    query: &[String],
    to: &std::path::Path,
    dry_run: bool,
    ctx: &Context,
) -> anyhow::Result<Outcome> {
    let lib = if dry_run {
        ctx.read_library()?
    } else {
        ctx.write_library()?
    };
    let tracks = lib.select(&Query::parse(query)?, Columns::List)?;
    let to = mixtape::organize::resolve_into(to)?;
    let plan = art::plan_extract(&tracks, &to);
    let mut out = Out::new();
    let line = |e: &art::Extracted| {
        let tail = if e.already_there {
            " (already there)"
        } else {
            ""
        };
        format!("{} -> {}{tail}", e.src.display(), e.dst.display())
    };
    let new = plan.iter().filter(|(e, _)| !e.already_there).count();
    if dry_run {
        for (e, _) in &plan {
            out.line(line(e))?;
        }
        out.flush()?;
        eprintln!(
            "dry run: would write {new} image{} into {}; nothing changed",
            plural(new),
            to.display()
        );
        return Ok(Outcome::Success);
    }
    for (e, _) in plan.iter().filter(|(e, _)| e.already_there) {
        out.line(line(e))?;
    }
    let mut failed = 0;
    let mut print_err = None;
    let (op, written) = art::extract(&lib, &plan, &to, &ctx.cancel, &mut |e, err| match err {
        Some(err) => {
            failed += 1;
            eprintln!("{err}");
        }
        None => {
            if print_err.is_none() {
                print_err = out.line(line(e)).err();
            }
        }
    })?;
    out.flush()?;
    if let Some(e) = print_err {
        return Err(e.into());
    }
    let mut msg = format!(
        "wrote {written} image{} into {}",
        plural(written),
        to.display()
    );
    if let Some(id) = op.filter(|_| written > 0) {
        msg.push_str(&format!("; undo with `mixtape undo` (operation {id})"));
    }
    eprintln!("{msg}");
    Ok(if failed > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}
