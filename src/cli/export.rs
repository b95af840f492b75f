//! `mixtape export`: arguments, the device's set of playlists and the
//! options it keeps for a re-sync, and `export --check`. What it prints is
//! in [`super::export_print`]; the work is in `mixtape::export`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

use mixtape::export::check::{check_dir, CheckOptions};
use mixtape::export::destination::room;
use mixtape::export::device::Layout;
use mixtape::export::manifest::Manifest;
use mixtape::export::pipeline::run_export;
use mixtape::export::plan::{plan_device, resolve_selection, split_selections};
use mixtape::export::produce::Transcoder;
use mixtape::export::profile::{self, ExportSettings};
use mixtape::export::profiles::ProfileSet;
use mixtape::export::report::ExportReport;
use mixtape::export::set::{parse_size, resolve_set, SetChange};
use mixtape::export::target::OutputFormat;
use mixtape::Library;

use super::export_print::{print_plan, print_report, shell_quote};
use super::output::Out;
use super::{Context, Outcome};

/// Arguments of `mixtape export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mixtape export \"Road trip\" --to /media/USBSTICK --profile car\n  mixtape export 'artist:bowie' --to ~/cd --profile cd\n  mixtape export Gym --to /media/phone --format mp3 --bitrate 320k\n  mixtape export Gym --to /media/phone --format opus --bitrate 128k\n  mixtape export --check /media/USBSTICK --profile car"
)]
pub struct ExportArgs {
    /// Playlist names and queries (e.g. `"Road trip" Gym 'genre:jazz'`), all
    /// onto one device. None: re-sync every playlist the device holds.
    #[arg(value_name = "PLAYLIST|QUERY")]
    selection: Vec<String>,
    /// The destination folder (created if its parent exists).
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    to: Option<PathBuf>,
    /// Validate an existing folder against the profile's rules instead of exporting.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["to", "dry_run"])]
    check: Option<PathBuf>,
    /// Device profile: usb (copy as is), car (MP3 for head units), cd (WAV +
    /// CUE + TOC), or one of your own from the config file (`mixtape config
    /// profiles` lists them all).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Convert everything to this format instead of using a profile.
    #[arg(long, value_name = "FORMAT", conflicts_with = "profile",
          value_parser = ["mp3", "aac", "wav", "flac", "aiff", "alac", "opus", "vorbis"])]
    format: Option<String>,
    /// Bitrate, up to 320k: constant for MP3/AAC (from 8k), the VBR target
    /// for Opus (from 6k; default 160k) and Vorbis (from 32k).
    #[arg(long, value_name = "RATE")]
    bitrate: Option<String>,
    /// VBR quality: V0 (best) .. V9 for MP3/AAC; -1 .. 10 for Vorbis (as
    /// oggenc -q; default 6, about 192k).
    #[arg(
        long,
        value_name = "Q",
        conflicts_with = "bitrate",
        allow_hyphen_values = true
    )]
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
    /// Replace what the destination holds (other playlists, another profile); their files are removed.
    #[arg(long, conflicts_with = "add")]
    replace: bool,
    /// Put the named playlists beside those the device already holds.
    #[arg(long)]
    add: bool,
    /// Take a playlist off the device (its files that no other playlist holds are removed).
    #[arg(long, value_name = "NAME")]
    drop: Vec<String>,
    /// Fill at most this much (e.g. 16G, 700M) [default: the free space].
    #[arg(long, value_name = "SIZE")]
    max_size: Option<String>,
    /// Where files go: playlist (a numbered folder per playlist), album (Artist/Album/), or flat.
    #[arg(long, value_name = "LAYOUT", value_parser = ["playlist", "album", "flat"])]
    layout: Option<String>,
    /// Show the plan (files, names, folders, size, duration, discs) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result (or the plan, or the check) as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments become validated settings here, and only here.
fn settings(args: &ExportArgs, profiles: &ProfileSet) -> anyhow::Result<ExportSettings> {
    let profile = match (&args.profile, &args.format) {
        (_, Some(f)) => profile::format_profile(profile::parse_format(f)?),
        (Some(p), None) => profiles.get(p).cloned().ok_or_else(|| {
            mixtape::Error::invalid(
                mixtape::error::InvalidKind::Unknown,
                format!("--profile {p}"),
                format!("unknown profile (known: {})", profiles.names().join(", ")),
            )
        })?,
        (None, None) => profiles.get("usb").cloned().unwrap_or_default(),
    };
    let mut s = ExportSettings::new(profile);
    s.options.bitrate_kbps = args
        .bitrate
        .as_deref()
        .map(profile::parse_bitrate)
        .transpose()?;
    match (s.profile.format, args.quality.as_deref()) {
        (Some(OutputFormat::Vorbis), Some(q)) => {
            s.options.vorbis_quality = Some(profile::parse_vorbis_quality(q)?);
        }
        (_, q) => s.options.vbr_quality = q.map(profile::parse_quality).transpose()?,
    }
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
    s.disc_minutes = args.disc_minutes.unwrap_or(s.disc_minutes);
    s.layout = args.layout.as_deref().and_then(Layout::parse);
    s.validate()?;
    Ok(s)
}

/// The options of `args` that decide the output, as words a later
/// re-sync can parse again (the selection, destination and run options
/// are not among them).
fn settings_words(args: &ExportArgs) -> Vec<String> {
    let mut w: Vec<String> = Vec::new();
    let mut opt = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            w.push(format!("--{name}"));
            w.push(v);
        }
    };
    opt("profile", args.profile.clone());
    opt("format", args.format.clone());
    opt("bitrate", args.bitrate.clone());
    opt("quality", args.quality.clone());
    opt("samplerate", args.samplerate.map(|v| v.to_string()));
    opt("bitdepth", args.bitdepth.map(|v| v.to_string()));
    opt("disc-minutes", args.disc_minutes.map(|v| v.to_string()));
    opt("layout", args.layout.clone());
    if let Some(mode) = &args.normalize {
        w.push(format!("--normalize={mode}"));
        w.push(format!("--target-lufs={}", args.target_lufs));
    }
    for (on, name) in [
        (args.no_art, "--no-art"),
        (args.strict_names, "--strict-names"),
        (args.force_transcode, "--force-transcode"),
    ] {
        if on {
            w.push(name.into());
        }
    }
    w
}

/// The settings a device was exported with, from the words its manifest
/// kept.
fn settings_from_words(words: &[String], profiles: &ProfileSet) -> anyhow::Result<ExportSettings> {
    #[derive(clap::Parser)]
    struct Stored {
        #[command(flatten)]
        args: ExportArgs,
    }
    let argv = std::iter::once("export".to_string())
        .chain(words.iter().cloned())
        .chain(["--to".to_string(), ".".to_string()]);
    let stored = <Stored as clap::Parser>::try_parse_from(argv).map_err(|e| {
        anyhow::anyhow!(
            "the options stored in the export manifest do not parse ({}); give them again",
            e.kind()
        )
    })?;
    settings(&stored.args, profiles)
}

/// Run `mixtape export`.
pub fn run(args: ExportArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let profiles = &ctx.config.profiles;
    if let Some(dir) = &args.check {
        return run_check(dir, &settings(&args, profiles)?, args.json);
    }
    let Some(dest) = args.to.clone() else {
        anyhow::bail!("--to DIR is required");
    };
    let max_size = args.max_size.as_deref().map(parse_size).transpose()?;
    mixtape::export::destination::prepare_destination(&dest, true)?;
    let manifest = if dest.is_dir() {
        Manifest::load(&dest)?
    } else {
        None
    };
    // A re-sync with no options repeats those the device was made with.
    let mut words = settings_words(&args);
    let settings = match &manifest {
        Some(m) if words.is_empty() && !m.options.is_empty() => {
            words = m.options.clone();
            settings_from_words(&words, profiles)?
        }
        // An older manifest kept only the profile's name.
        Some(m) if words.is_empty() && args.selection.is_empty() => {
            words = match m.profile.strip_prefix("format-") {
                Some(f) => vec!["--format".into(), f.into()],
                None => vec!["--profile".into(), m.profile.clone()],
            };
            settings_from_words(&words, profiles)?
        }
        _ => settings(&args, profiles)?,
    };
    if let Some(m) = &manifest {
        let profile = settings.profile.name();
        if m.profile != profile && !args.replace {
            anyhow::bail!(
                "{}: holds mixtape's export made with the {} profile, not {profile}; export into another folder, or add --replace to remake it for {profile} (its files would be removed)",
                dest.display(),
                m.profile
            );
        }
    }
    // A real export holds the writer lock throughout: the files it reads
    // stay where the library says, and the loudness it measures is stored.
    let mut lib = if args.dry_run {
        ctx.read_library()?
    } else {
        ctx.write_library()?
    };
    let change = SetChange {
        given: split_selections(&lib, &args.selection)?,
        add: args.add,
        drop: args.drop.clone(),
        replace: args.replace,
    };
    let held = manifest.as_ref().map(|m| m.held());
    let set = resolve_set(&dest.display().to_string(), held.as_deref(), &change)?;
    let mut selections = Vec::with_capacity(set.len());
    for name in &set {
        let sel = resolve_selection(&lib, std::slice::from_ref(name))?;
        if sel.tracks.is_empty() && sel.missing.is_empty() {
            if held.as_ref().is_some_and(|h| h.contains(name)) {
                anyhow::bail!(
                    "{}: no tracks (no playlist has this name now, and no track matches it as a query); take it off the device with --drop {}",
                    sel.label,
                    shell_quote(name)
                );
            }
            anyhow::bail!(nothing_to_export(&sel));
        }
        selections.push(sel);
    }
    if settings.options.normalize_album && !args.dry_run {
        // One gain per album needs each album's loudness: measured now
        // where the library has none (and kept there).
        for sel in &mut selections {
            let bars = ctx.progress();
            let tracks = std::mem::take(&mut sel.tracks);
            let measured = mixtape::loudness::measure(&mut lib, tracks, false, &ctx.cancel, &bars);
            bars.finish();
            let measured = measured?;
            super::loudness::warn(&measured);
            if measured.interrupted {
                return Ok(Outcome::Interrupted);
            }
            sel.tracks = measured.tracks.into_iter().map(|r| r.track).collect();
        }
    }
    let room = room(&dest, manifest.as_ref(), max_size);
    let mut plan = plan_device(&selections, &settings, &dest, room)?;
    plan.device_args = words;
    if args.dry_run {
        print_plan(&plan, args.json)?;
        return Ok(if plan.unavailable.is_empty() && plan.left_off.is_empty() {
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
    } else if report.failed.is_empty() && plan.left_off.is_empty() {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}

/// Why a selection gave no track: an empty playlist, a query that matches
/// nothing, or words that are neither (the likely mistake is a playlist
/// name misspelt, or a query without its field).
fn nothing_to_export(sel: &mixtape::export::plan::Selection) -> String {
    let text = &sel.label;
    if sel.playlist {
        format!("{text}: the playlist is empty; nothing to export")
    } else if text.contains(':') {
        format!("{text}: no track matches this query; nothing to export")
    } else {
        format!(
            "{text:?}: there is no playlist of that name (see `mixtape playlist ls`), and no track matches it as words of a query; if you meant a query, name its field, e.g. {}",
            shell_quote(&format!("title:{text}"))
        )
    }
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

fn run_check(dir: &Path, settings: &ExportSettings, as_json: bool) -> anyhow::Result<Outcome> {
    let opts = CheckOptions::new(settings);
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
