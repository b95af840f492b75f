//! `mixtape organize`: arguments and printing; the work is in
//! `mixtape::organize` (plan, then run through the undo journal).
//!
//! Output: one line per track on stdout (`SRC -> DST`, `SRC -> DST (already
//! there)`, `SRC (in place)`), problems on stderr as `SRC: reason`, and a
//! summary on stderr. `--json` prints one object per track instead. A full
//! destination stops the run with one message (`PATH: no space left on
//! device (N of M done; ...)`), exit 2 (1 when nothing was done).

use std::path::PathBuf;

use anyhow::Context as _;
use mixtape::fsops::Mode;
use mixtape::library::track::Columns;
use mixtape::organize::moves::{self, Done, ItemResult};
use mixtape::organize::plan::{self, PlanItem, Verdict};
use mixtape::organize::sidecars::{self, Kept, Sidecar, SidecarVerdict};
use mixtape::organize::{Settings, Template};
use mixtape::query::Query;
use serde_json::json;

use super::output::{plural, Out};
use super::{Context, Outcome};

/// Arguments of `mixtape organize`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Templates: $field or ${field}, ${field:-fallback}, %lower{..}, %upper{..}, %ascii{..},
%left{text,n}, %if{cond,then,else}, %aunique{} (' [1977]' when another album has the
same album artist and name); $$ is a literal '$'. A '/' in the template makes a folder; a
'/' inside a tag value never does. $track and $disc are zero-padded. Album facts:
$multidisc (the album has several discs), $compilation (comp set, or mixed artists).
Default template:   %if{$compilation,Compilations,${albumartist:-${artist:-Unknown Artist}}}/${album:-Unknown Album}%aunique{}/%if{$multidisc,$disc-}$track ${title:-$stem}
Default singletons: Non-Album/${artist:-Unknown Artist}/${title:-$stem}

With --move the library follows the files (track ids and playlists are kept); with --copy
the library keeps pointing at the originals. Nothing is ever overwritten: the same audio
already at the destination counts as done (the source is left alone), different audio gets
\" (2)\". `mixtape undo` reverses the last run.")]
pub struct OrganizeArgs {
    /// Which tracks (query words; all tracks when empty).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// The destination folder.
    #[arg(long, value_name = "DIR")]
    into: PathBuf,
    /// Copy files (the originals stay; the library keeps pointing at them).
    #[arg(long, conflicts_with = "move_files")]
    copy: bool,
    /// Move files (the library follows them).
    #[arg(long = "move", id = "move_files")]
    move_files: bool,
    /// Show every source -> destination pair and change nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Path template for tracks with an album.
    #[arg(long, value_name = "T")]
    template: Option<String>,
    /// Path template for tracks without an album.
    #[arg(long, value_name = "T")]
    singletons: Option<String>,
    /// Transliterate every name to ASCII.
    #[arg(long)]
    ascii: bool,
    /// One JSON object per track.
    #[arg(long)]
    json: bool,
}

fn lossy(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Run `mixtape organize`.
pub fn run(args: OrganizeArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let mode = match (args.copy, args.move_files) {
        (true, _) => Mode::Copy,
        (_, true) => Mode::Move,
        // A preview is of one of them: refused the same way as the run.
        _ => anyhow::bail!(
            "organize: say whether to --copy or --move the files (with --dry-run to preview it)"
        ),
    };
    let mut settings = Settings::new(&args.into, mode)?;
    // A flag, else the config file, else the built-in default.
    let cfg = &ctx.config.organize;
    if let Some(t) = &args.template {
        settings.template = Template::parse(t).context("--template")?;
    } else if let Some(t) = &cfg.template {
        settings.template = Template::parse(&t.value).context("organize.template")?;
    }
    if let Some(t) = &args.singletons {
        settings.singletons = Template::parse(t).context("--singletons")?;
    } else if let Some(t) = &cfg.singletons {
        settings.singletons = Template::parse(&t.value).context("organize.singletons")?;
    }
    settings.ascii = args.ascii || cfg.ascii.as_ref().is_some_and(|a| a.value);

    let lib = if args.dry_run {
        ctx.read_library()?
    } else {
        ctx.write_library()?
    };
    let query = Query::parse(&args.query)?;
    let tracks = lib.select(&query, Columns::List)?;
    let plan = plan::plan(&lib, tracks, &settings)?;
    let mut out = Out::new();

    if args.dry_run {
        let mut skipped = 0;
        for item in &plan.items {
            if matches!(item.verdict, Verdict::Skip(_)) {
                skipped += 1;
            }
            print_plan_item(&mut out, item, mode, args.json)?;
        }
        let mut sidecars = 0;
        for item in &plan.sidecars.items {
            if sidecars::acts(item, mode) {
                sidecars += 1;
            }
            print_plan_sidecar(&mut out, item, mode, args.json)?;
        }
        out.flush()?;
        print_kept(&plan.sidecars.kept);
        let moving = plan
            .items
            .iter()
            .filter(|p| p.verdict == Verdict::Transfer)
            .count();
        let sidecars = if sidecars > 0 {
            format!(" and {sidecars} sidecar file{}", plural(sidecars))
        } else {
            String::new()
        };
        eprintln!(
            "dry run: would {} {moving} of {} tracks{sidecars} into {}{}; nothing changed",
            verb(mode),
            plan.items.len(),
            settings.into.display(),
            if skipped > 0 {
                format!(" ({skipped} skipped)")
            } else {
                String::new()
            }
        );
        return Ok(if skipped > 0 {
            Outcome::PartialFailure
        } else {
            Outcome::Success
        });
    }

    let bars = ctx.progress();
    let mut print_err: Option<std::io::Error> = None;
    let summary = moves::execute(
        &lib,
        &plan,
        &settings,
        &ctx.cancel,
        &bars,
        &mut |r: &ItemResult| {
            if print_err.is_none() {
                if let Err(e) = print_result(&mut out, r, args.json) {
                    print_err = Some(e);
                }
            }
        },
    )?;
    bars.finish();
    out.flush()?;
    if let Some(e) = print_err {
        return Err(e.into());
    }
    print_kept(&plan.sidecars.kept);
    let done = match mode {
        Mode::Move => "moved",
        Mode::Copy => "copied",
    };
    let head = format!(
        "{done} {} files into {}",
        summary.transferred,
        settings.into.display()
    );
    let counts = [
        (
            summary.unchanged as u64,
            "{} already in place or already there",
        ),
        (summary.failed as u64, "{} not organised (see above)"),
    ];
    let head = if summary.sidecars > 0 {
        format!(
            "{head}, with {} sidecar file{}",
            summary.sidecars,
            plural(summary.sidecars)
        )
    } else {
        head
    };
    let mut msg = super::output::with_counts(head, "; ", &counts);
    if let Some(id) = summary.op_id {
        msg.push_str(&format!("; undo with `mixtape undo` (operation {id})"));
    }
    eprintln!("{msg}");
    if let Some(stop) = summary.no_space {
        // Said once, by the caller: exit 2, or 1 when nothing was done.
        return Err(mixtape::Error::NoSpace(stop).into());
    }
    Ok(if summary.interrupted {
        eprintln!("mixtape: interrupted; what was done so far is journalled and can be undone");
        Outcome::Interrupted
    } else if summary.failed > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}

fn verb(mode: Mode) -> &'static str {
    match mode {
        Mode::Move => "move",
        Mode::Copy => "copy",
    }
}

fn print_plan_item(
    out: &mut Out,
    item: &PlanItem,
    mode: Mode,
    as_json: bool,
) -> std::io::Result<()> {
    let src = &item.track.path;
    let (result, reason) = match &item.verdict {
        Verdict::Transfer => (verb(mode), None),
        Verdict::AlreadyThere => ("already-there", None),
        Verdict::InPlace => ("in-place", None),
        Verdict::Skip(why) => ("skipped", Some(why.as_str())),
    };
    if as_json {
        return out.line(
            json!({
                "track_id": item.track.id,
                "sidecar": false,
                "src": lossy(src),
                "dst": lossy(&item.dst),
                "result": result,
                "reason": reason,
                "dry_run": true,
            })
            .to_string(),
        );
    }
    match &item.verdict {
        Verdict::Transfer => out.line(format!("{} -> {}", src.display(), item.dst.display())),
        Verdict::AlreadyThere => out.line(format!(
            "{} -> {} (already there)",
            src.display(),
            item.dst.display()
        )),
        Verdict::InPlace => out.line(format!("{} (in place)", src.display())),
        Verdict::Skip(why) => {
            eprintln!("{}: {why}", src.display());
            Ok(())
        }
    }
}

/// A planned sidecar: `src -> dst` (or `(already there)`, `(FILE lines
/// rewritten in place)`), as a track's line.
fn print_plan_sidecar(
    out: &mut Out,
    item: &Sidecar,
    mode: Mode,
    as_json: bool,
) -> std::io::Result<()> {
    let acts = sidecars::acts(item, mode);
    let result = match item.verdict {
        SidecarVerdict::Transfer => verb(mode),
        SidecarVerdict::AlreadyThere => "already-there",
        SidecarVerdict::RewriteInPlace if acts => "rewrite",
        SidecarVerdict::RewriteInPlace => "in-place",
    };
    if as_json {
        return out.line(
            json!({
                "track_id": null,
                "sidecar": true,
                "src": lossy(&item.src),
                "dst": lossy(&item.dst),
                "result": result,
                "reason": null,
                "dry_run": true,
            })
            .to_string(),
        );
    }
    let (src, dst) = (item.src.display(), item.dst.display());
    match item.verdict {
        SidecarVerdict::Transfer => out.line(format!("{src} -> {dst}")),
        SidecarVerdict::AlreadyThere => out.line(format!("{src} -> {dst} (already there)")),
        SidecarVerdict::RewriteInPlace if acts => {
            out.line(format!("{src} (FILE lines rewritten in place)"))
        }
        SidecarVerdict::RewriteInPlace => out.line(format!("{src} (in place)")),
    }
}

/// Folders whose sidecars stay: `folder: N sidecar files stay: why`.
fn print_kept(kept: &[Kept]) {
    for k in kept {
        eprintln!(
            "{}: {} sidecar file{} stay{}: {}",
            k.folder.display(),
            k.files,
            plural(k.files),
            if k.files == 1 { "s" } else { "" },
            k.why
        );
    }
}

fn print_result(out: &mut Out, r: &ItemResult, as_json: bool) -> std::io::Result<()> {
    if r.result == Done::NotReached {
        return Ok(());
    }
    if as_json {
        return out.line(
            json!({
                "track_id": r.track_id,
                "sidecar": r.sidecar,
                "src": lossy(&r.src),
                "dst": lossy(&r.dst),
                "result": r.result,
                "reason": r.reason,
                "note": r.note,
            })
            .to_string(),
        );
    }
    match r.result {
        Done::Moved | Done::Copied => match &r.note {
            Some(n) => out.line(format!("{} -> {} ({n})", r.src.display(), r.dst.display())),
            None => out.line(format!("{} -> {}", r.src.display(), r.dst.display())),
        },
        Done::AlreadyThere => out.line(format!(
            "{} -> {} (already there; source left in place)",
            r.src.display(),
            r.dst.display()
        )),
        Done::InPlace => match &r.note {
            Some(n) => out.line(format!("{} (in place; {n})", r.src.display())),
            None => out.line(format!("{} (in place)", r.src.display())),
        },
        Done::Skipped | Done::Failed | Done::NotReached => {
            eprintln!(
                "{}: {}",
                r.src.display(),
                r.reason.as_deref().unwrap_or("not organised")
            );
            Ok(())
        }
    }
}
