//! `mixtape export`: arguments, the plan printout (`--dry-run`), the final
//! list of what was converted, copied, skipped and failed (or the same as
//! JSON), burn instructions for CDs, and `export --check`. The work is in
//! `mixtape::export`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{json, Value};

use mixtape::export::check::{check_dir, CheckOptions};
use mixtape::export::compare::compare;
use mixtape::export::manifest::Manifest;
use mixtape::export::pipeline::run_export;
use mixtape::export::plan::{plan_export, resolve_selection, ExportPlan};
use mixtape::export::produce::Transcoder;
use mixtape::export::profile::{self, ExportSettings, Profile, DEFAULT_DISC_MINUTES};
use mixtape::export::report::{human_bytes, Done, ExportReport};
use mixtape::Library;

use super::output::Out;
use super::{Context, Outcome};

/// Arguments of `mixtape export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mixtape export \"Road trip\" --to /media/USBSTICK --profile car\n  mixtape export 'artist:bowie' --to ~/cd --profile cd\n  mixtape export Gym --to /media/phone --format mp3 --bitrate 320k\n  mixtape export --check /media/USBSTICK --profile car"
)]
pub struct ExportArgs {
    /// A playlist name, or a query (e.g. `artist:bowie year:1977`).
    #[arg(value_name = "PLAYLIST|QUERY")]
    selection: Vec<String>,
    /// The destination folder (created if its parent exists).
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    to: Option<PathBuf>,
    /// Validate an existing folder against the profile's rules instead of exporting.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["to", "dry_run"])]
    check: Option<PathBuf>,
    /// Device profile: usb (copy as is), car (MP3 for head units), cd (WAV + CUE + TOC).
    #[arg(long, value_name = "PROFILE", value_parser = ["usb", "car", "cd"])]
    profile: Option<String>,
    /// Convert everything to this format instead of using a profile.
    #[arg(long, value_name = "FORMAT", conflicts_with = "profile",
          value_parser = ["mp3", "aac", "wav", "flac", "aiff", "alac"])]
    format: Option<String>,
    /// Constant bitrate for MP3/AAC, up to 320k.
    #[arg(long, value_name = "RATE")]
    bitrate: Option<String>,
    /// VBR quality for MP3 (V0 best .. V9).
    #[arg(long, value_name = "VN", conflicts_with = "bitrate")]
    quality: Option<String>,
    /// Output sample rate in Hz.
    #[arg(long, value_name = "HZ")]
    samplerate: Option<u32>,
    /// Output bits per sample (16, 24 or 32; lossless formats).
    #[arg(long, value_name = "BITS")]
    bitdepth: Option<u16>,
    /// Normalise loudness (EBU R128): each track to the target (track, the
    /// default), or each album as a whole, one gain for all its tracks
    /// (album; measured first where the library has no album values).
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "track",
          value_parser = ["track", "album"])]
    normalize: Option<String>,
    /// The loudness --normalize aims at.
    #[arg(long, value_name = "LUFS", default_value_t = -14.0, allow_hyphen_values = true)]
    target_lufs: f64,
    /// Leave cover art out.
    #[arg(long)]
    no_art: bool,
    /// Names in A-Z, 0-9 and _ only (for strict head units).
    #[arg(long)]
    strict_names: bool,
    /// Re-encode even files that could be copied as they are.
    #[arg(long)]
    force_transcode: bool,
    /// CD length limit in minutes [default: 79.8 = 79:48].
    #[arg(long, value_name = "MIN")]
    disc_minutes: Option<f64>,
    /// Replace another playlist's export at the destination (its files are removed).
    #[arg(long)]
    replace: bool,
    /// Show the plan (files, names, folders, size, duration, discs) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result (or the plan, or the check) as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments become validated settings here, and only here.
fn settings(args: &ExportArgs) -> anyhow::Result<ExportSettings> {
    let profile = match (&args.profile, &args.format) {
        (_, Some(f)) => Profile::Format(profile::parse_format(f)?),
        (Some(p), None) => Profile::parse(p)?,
        (None, None) => Profile::Usb,
    };
    let mut s = ExportSettings::new(profile);
    s.options.bitrate_kbps = args
        .bitrate
        .as_deref()
        .map(profile::parse_bitrate)
        .transpose()?;
    s.options.vbr_quality = args
        .quality
        .as_deref()
        .map(profile::parse_quality)
        .transpose()?;
    s.options.samplerate = args.samplerate;
    s.options.bitdepth = args.bitdepth;
    if let Some(mode) = &args.normalize {
        if !(-70.0..=0.0).contains(&args.target_lufs) {
            anyhow::bail!(
                "--target-lufs {}: must be between -70 and 0",
                args.target_lufs
            );
        }
        s.options.normalize = Some(args.target_lufs);
        s.options.normalize_album = mode == "album";
    }
    s.options.no_art = args.no_art;
    s.strict_names = args.strict_names;
    s.force_transcode = args.force_transcode;
    s.disc_minutes = args.disc_minutes.unwrap_or(DEFAULT_DISC_MINUTES);
    s.validate()?;
    Ok(s)
}

/// Run `mixtape export`.
pub fn run(args: ExportArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let settings = settings(&args)?;
    if let Some(dir) = &args.check {
        return run_check(dir, &settings, args.json);
    }
    let Some(dest) = args.to.clone() else {
        anyhow::bail!("--to DIR is required");
    };
    if args.selection.is_empty() {
        anyhow::bail!("name a playlist or give a query to export");
    }
    mixtape::export::destination::prepare_destination(&dest, true)?;
    // A real export holds the writer lock throughout: the files it reads
    // stay where the library says, and the loudness it measures is stored.
    let mut lib = if args.dry_run {
        ctx.read_library()?
    } else {
        ctx.write_library()?
    };
    let mut selection = resolve_selection(&lib, &args.selection)?;
    if selection.tracks.is_empty() && selection.missing.is_empty() {
        anyhow::bail!("{}: no tracks to export", selection.label);
    }
    if settings.options.normalize_album && !args.dry_run {
        // One gain per album needs each album's loudness: measured now
        // where the library has none (and kept there).
        let bars = ctx.progress();
        let tracks = std::mem::take(&mut selection.tracks);
        let measured = mixtape::loudness::measure(&mut lib, tracks, false, &ctx.cancel, &bars);
        bars.finish();
        let measured = measured?;
        super::loudness::warn(&measured);
        if measured.interrupted {
            return Ok(Outcome::Interrupted);
        }
        selection.tracks = measured.tracks.into_iter().map(|r| r.track).collect();
    }
    let plan = plan_export(&selection, &settings, &dest)?;
    if let Some(m) = &plan.manifest {
        if m.source != plan.label && !args.replace {
            anyhow::bail!(
                "{}: holds mixtape's export of {:?}, not {:?}; export into another folder, or add --replace to replace it (its files would be removed)",
                dest.display(),
                m.source,
                plan.label
            );
        }
    }
    if args.dry_run {
        print_plan(&plan, args.json)?;
        return Ok(if plan.unavailable.is_empty() {
            Outcome::Success
        } else {
            Outcome::PartialFailure
        });
    }
    let bars = ctx.progress();
    let report = run_export(&plan, &Transcoder, &bars, &ctx.cancel)
        .with_context(|| format!("export to {}", dest.display()))?;
    bars.finish();
    store_loudness(&mut lib, &report)?;
    print_report(&plan, &report, args.json)?;
    Ok(if report.interrupted {
        Outcome::Interrupted
    } else if report.failed.is_empty() {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}

/// Keep loudness measured by `--normalize` in the library, so the next
/// export (or `ls loudness:...`) does not measure it again.
fn store_loudness(lib: &mut Library, report: &ExportReport) -> anyhow::Result<()> {
    let measured: Vec<(i64, f64, f64)> = report
        .converted
        .iter()
        .filter_map(|d| d.loudness.map(|(l, tp)| (d.track_id, l, tp)))
        .collect();
    lib.set_loudness(&measured)?;
    Ok(())
}

/// `h:mm:ss` or `m:ss`.
fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn describe(s: &ExportSettings) -> String {
    let mut d = s.profile.name();
    if let Some(t) = s.target() {
        d.push_str(&format!(": {}", t.format.name()));
        if let Some(b) = t.options.bitrate_kbps {
            d.push_str(&format!(" {b}k"));
        }
        if let Some(q) = t.options.vbr_quality {
            d.push_str(&format!(" V{q}"));
        }
        if let Some(r) = t.options.samplerate {
            d.push_str(&format!(" {r} Hz"));
        }
        if let Some(b) = t.options.bitdepth {
            d.push_str(&format!(" {b}-bit"));
        }
        if let Some(n) = t.options.normalize {
            d.push_str(&format!(", normalised to {n} LUFS"));
        }
    } else {
        d.push_str(": copies as they are");
    }
    d
}

fn print_plan(plan: &ExportPlan, as_json: bool) -> anyhow::Result<()> {
    let mut out = Out::new();
    // What the destination already holds decides each item's status.
    let old = plan
        .manifest
        .clone()
        .unwrap_or_else(|| Manifest::new("", "", ""));
    let cmp = compare(plan, &old);
    let status = |i: &mixtape::export::plan::PlanItem| -> &'static str {
        if cmp.in_place.contains(&i.index) {
            "keep"
        } else if cmp.moved_from_old.contains_key(&i.index) {
            "move"
        } else if cmp.staged_before.contains(&i.index) {
            "resume"
        } else {
            i.action.label()
        }
    };
    let removals: Vec<&str> = cmp
        .obsolete
        .iter()
        .map(|&oi| old.entries[oi].path.as_str())
        .collect();
    let folders = plan.folders();
    let count = |f: &String| plan.items.iter().filter(|i| &i.folder == f).count();
    let discs: Vec<(String, usize, f64)> = plan
        .discs
        .iter()
        .enumerate()
        .map(|(d, m)| {
            let secs = m
                .iter()
                .map(|&i| mixtape::export::cd::track_sectors(plan.items[i].seconds) as f64 / 75.0)
                .sum();
            (format!("disc{:02}", d + 1), m.len(), secs)
        })
        .collect();
    if as_json {
        let v = json!({
            "dry_run": true,
            "dest": plan.dest.to_string_lossy(),
            "source": plan.label,
            "profile": plan.settings.profile.name(),
            "settings": plan.settings.fingerprint(),
            "items": plan.items.iter().map(|i| json!({
                "index": i.index + 1,
                "track_id": i.track.id,
                "source": i.track.path.to_string_lossy(),
                "output": i.rel,
                "action": i.action.label(),
                "status": status(i),
                "est_bytes": i.est_bytes,
                "seconds": i.seconds,
                "disc": i.disc,
            })).collect::<Vec<_>>(),
            "folders": folders.iter().map(|f| json!({"folder": f, "files": count(f)})).collect::<Vec<_>>(),
            "discs": discs.iter().map(|(f, n, s)| json!({"folder": f, "tracks": n, "seconds": s})).collect::<Vec<_>>(),
            "playlist_file": plan.playlist_file,
            "remove": removals,
            "warnings": plan.warnings(),
            "total_bytes": plan.total_bytes(),
            "total_seconds": plan.total_seconds(),
            "unavailable": plan.unavailable.iter().map(|u| json!({
                "track_id": u.track.as_ref().map(|t| t.id),
                "error": u.reason,
            })).collect::<Vec<_>>(),
        });
        out.line(v.to_string())?;
        return Ok(());
    }
    out.line(format!(
        "Plan: export {:?} to {} ({})",
        plan.label,
        plan.dest.display(),
        describe(&plan.settings)
    ))?;
    for i in &plan.items {
        out.line(format!(
            "  {:<7} {}  <- {}  (~{}, {})",
            status(i),
            i.rel,
            i.track.path.display(),
            human_bytes(i.est_bytes),
            duration(i.seconds)
        ))?;
    }
    if let Some(m) = &plan.playlist_file {
        out.line(format!("  write   {m}"))?;
    }
    for r in &removals {
        out.line(format!("  remove  {r}"))?;
    }
    let named: Vec<String> = folders
        .iter()
        .filter(|f| !f.is_empty())
        .map(|f| format!("{f}/ ({} files)", count(f)))
        .collect();
    if !named.is_empty() {
        out.line(format!("Folders: {}", named.join(", ")))?;
    }
    for (f, n, s) in &discs {
        out.line(format!(
            "Disc {f}: {n} tracks, {} (+ {f}.cue, {f}.toc)",
            duration(*s)
        ))?;
    }
    for u in &plan.unavailable {
        out.line(format!("  unavailable: {}", u.reason))?;
    }
    for w in plan.warnings() {
        out.line(format!("warning: {w}"))?;
    }
    out.line(format!(
        "Total: {} files, ~{}, {}{}",
        plan.items.len(),
        human_bytes(plan.total_bytes()),
        duration(plan.total_seconds()),
        if discs.is_empty() {
            String::new()
        } else {
            format!(", {} disc(s)", discs.len())
        }
    ))?;
    out.line("(dry run: nothing was written)")?;
    Ok(())
}

fn done_json(d: &Done) -> Value {
    json!({
        "track_id": d.track_id,
        "source": d.source.to_string_lossy(),
        "output": d.output,
        "bytes": d.bytes,
        "warnings": d.warnings,
        "loudness": d.loudness.map(|(l, tp)| json!({"lufs": l, "true_peak": tp})),
    })
}

fn print_report(plan: &ExportPlan, r: &ExportReport, as_json: bool) -> anyhow::Result<()> {
    let mut out = Out::new();
    if as_json {
        let v = json!({
            "dest": plan.dest.to_string_lossy(),
            "source": plan.label,
            "profile": plan.settings.profile.name(),
            "converted": r.converted.iter().map(done_json).collect::<Vec<_>>(),
            "copied": r.copied.iter().map(done_json).collect::<Vec<_>>(),
            "skipped": r.skipped.iter().map(done_json).collect::<Vec<_>>(),
            "failed": r.failed.iter().map(|f| json!({
                "track_id": f.track_id,
                "source": f.source.as_ref().map(|p| p.to_string_lossy()),
                "output": f.output,
                "error": f.error,
            })).collect::<Vec<_>>(),
            "removed": r.removed,
            "extras": r.extras_written,
            "discs": r.discs.iter().map(|(f, n, s)| json!({"folder": f, "tracks": n, "seconds": s})).collect::<Vec<_>>(),
            "warnings": r.warnings,
            "interrupted": r.interrupted,
        });
        out.line(v.to_string())?;
        return Ok(());
    }
    if r.interrupted {
        out.line("Interrupted: finished files wait in the destination's staging folder; run the same command again to resume.")?;
        return Ok(());
    }
    if !r.converted.is_empty() {
        out.line("Converted:")?;
        for d in &r.converted {
            out.line(format!("  {}  <- {}", d.output, d.source.display()))?;
            for w in &d.warnings {
                out.line(format!("    note: {w}"))?;
            }
        }
    }
    if !r.copied.is_empty() {
        out.line("Copied:")?;
        for d in &r.copied {
            out.line(format!("  {}  <- {}", d.output, d.source.display()))?;
        }
    }
    if !r.skipped.is_empty() {
        out.line(format!("Skipped (already up to date): {}", r.skipped.len()))?;
    }
    if !r.removed.is_empty() {
        out.line("Removed (no longer in the selection):")?;
        for p in &r.removed {
            out.line(format!("  {p}"))?;
        }
    }
    if !r.failed.is_empty() {
        out.line("Failed:")?;
        for f in &r.failed {
            out.line(format!("  {}", f.error))?;
        }
    }
    for w in &r.warnings {
        out.line(format!("warning: {w}"))?;
    }
    let bytes: u64 = r.converted.iter().chain(&r.copied).map(|d| d.bytes).sum();
    out.line(format!(
        "{} converted, {} copied, {} skipped, {} failed, {} removed ({} written) -> {}",
        r.converted.len(),
        r.copied.len(),
        r.skipped.len(),
        r.failed.len(),
        r.removed.len(),
        human_bytes(bytes),
        plan.dest.display()
    ))?;
    if !r.discs.is_empty() {
        out.line("To burn (one blank CD per disc; cdrdao writes the CD-TEXT too):")?;
        for (folder, n, secs) in &r.discs {
            let dir = plan.dest.join(folder);
            let wavs: Vec<String> = plan
                .items
                .iter()
                .filter(|i| &i.folder == folder)
                .map(|i| shell_quote(i.rel.rsplit('/').next().unwrap_or(&i.rel)))
                .collect();
            out.line(format!("  {folder}: {n} tracks, {}", duration(*secs)))?;
            out.line(format!(
                "    cd {} && cdrdao write {folder}.toc",
                shell_quote(&dir.to_string_lossy())
            ))?;
            out.line(format!(
                "    or: cd {} && wodim -dao -pad -audio {}",
                shell_quote(&dir.to_string_lossy()),
                wavs.join(" ")
            ))?;
        }
    }
    Ok(())
}

/// Quote for a POSIX shell when needed.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+,:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn run_check(dir: &Path, settings: &ExportSettings, as_json: bool) -> anyhow::Result<Outcome> {
    let opts = CheckOptions {
        profile: settings.profile,
        strict_names: settings.strict_names,
        disc_minutes: settings.disc_minutes,
    };
    let rep = check_dir(dir, &opts)?;
    let mut out = Out::new();
    if as_json {
        let v = json!({
            "dir": dir.to_string_lossy(),
            "profile": settings.profile.name(),
            "files": rep.files,
            "violations": rep.violations.iter().map(|v| json!({
                "path": v.path.to_string_lossy(),
                "rule": v.rule,
                "message": v.message,
            })).collect::<Vec<_>>(),
            "notes": rep.notes,
        });
        out.line(v.to_string())?;
    } else {
        for v in &rep.violations {
            out.line(format!("{v}"))?;
        }
        for n in &rep.notes {
            out.line(format!("note: {n}"))?;
        }
        out.line(format!(
            "{}: {} files checked against the {} profile, {} violation(s)",
            dir.display(),
            rep.files,
            settings.profile.name(),
            rep.violations.len()
        ))?;
    }
    Ok(if rep.violations.is_empty() {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}
