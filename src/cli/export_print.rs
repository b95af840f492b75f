//! What `mixtape export` prints: the plan (`--dry-run`), the report of a
//! run (converted, copied, skipped, left off, removed, failed, the space
//! needed, burn instructions for CDs), as text or as JSON.

use serde_json::{json, Value};

use mixtape::export::compare::compare;
use mixtape::export::manifest::Manifest;
use mixtape::export::plan::ExportPlan;
use mixtape::export::profile::{self, ExportSettings};
use mixtape::export::report::{human_bytes, Done, ExportReport};
use mixtape::export::set::Capacity;

use super::output::Out;

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
        if let Some(q) = t.options.vorbis_quality {
            d.push_str(&format!(" q{q}"));
        }
        match t.options.samplerate {
            Some(r) => d.push_str(&format!(" {r} Hz")),
            None if !s.profile.sample_rates.is_empty() => {
                d.push_str(&format!(" {}", profile::rates(&s.profile.sample_rates)))
            }
            None => {}
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

pub(super) fn print_plan(plan: &ExportPlan, as_json: bool) -> anyhow::Result<()> {
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
            "playlists": plan.playlists.iter().map(|p| json!({
                "name": p.name,
                "query": p.query,
                "tracks": p.members.len(),
                "files": p.files,
            })).collect::<Vec<_>>(),
            "left_off": left_off_json(plan),
            "space": space_json(plan),
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
    for f in plan.playlists.iter().flat_map(|p| &p.files) {
        out.line(format!("  write   {f}"))?;
    }
    for l in &plan.left_off {
        out.line(format!(
            "  left off  {}  (~{}; no room)",
            l.track.path.display(),
            human_bytes(l.est_bytes)
        ))?;
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
    if let Some(line) = space_line(plan) {
        out.line(line)?;
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

/// `Space: needs 15.2 GB of 16.0 GB (--max-size)`, where a limit was set
/// or tracks were left off (the free space alone is not worth a line).
fn space_line(plan: &ExportPlan) -> Option<String> {
    let sp = plan.space;
    let (limit, why) = match sp.capacity {
        Capacity::Max(b) => (b, "--max-size"),
        Capacity::Free(b) if !plan.left_off.is_empty() => (b, "free at the destination"),
        _ => return None,
    };
    let mut line = format!(
        "Space: needs {} of {} ({why})",
        human_bytes(sp.needs),
        human_bytes(limit)
    );
    if !plan.left_off.is_empty() {
        line.push_str(&format!(
            "; {} track(s) left off, taken in playlist order, then track order",
            plan.left_off.len()
        ));
    }
    Some(line)
}

fn left_off_json(plan: &ExportPlan) -> Value {
    plan.left_off
        .iter()
        .map(|l| {
            json!({
                "track_id": l.track.id,
                "source": l.track.path.to_string_lossy(),
                "playlists": l.playlists,
                "est_bytes": l.est_bytes,
            })
        })
        .collect()
}

fn space_json(plan: &ExportPlan) -> Value {
    let (limit, kind) = match plan.space.capacity {
        Capacity::Max(b) => (Some(b), Some("max-size")),
        Capacity::Free(b) => (Some(b), Some("free")),
        Capacity::Unlimited => (None, None),
    };
    json!({"needs": plan.space.needs, "limit": limit, "limit_kind": kind})
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

pub(super) fn print_report(
    plan: &ExportPlan,
    r: &ExportReport,
    as_json: bool,
) -> anyhow::Result<()> {
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
            "playlists": plan.playlists.iter().map(|p| json!({
                "name": p.name,
                "tracks": p.members.len(),
                "files": p.files,
            })).collect::<Vec<_>>(),
            "left_off": left_off_json(plan),
            "space": space_json(plan),
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
    if !plan.left_off.is_empty() {
        out.line("Left off (no room):")?;
        for l in &plan.left_off {
            out.line(format!(
                "  {}  (~{}, in {})",
                l.track.path.display(),
                human_bytes(l.est_bytes),
                l.playlists.join(", ")
            ))?;
        }
    }
    if let Some(line) = space_line(plan) {
        out.line(line)?;
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
pub(super) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+,:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
