//! `mixtape playlist`: create, fill, show, import and export playlists
//! (arguments and printing; the work is in `mixtape::playlist`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use mixtape::playlist::{self, store, EntryStatus, ExportOptions, Format, NewEntry};
use mixtape::Library;
use serde_json::json;

use super::output::Out;
use super::{Context, Outcome};

/// Arguments of `mixtape playlist`.
#[derive(Debug, clap::Args)]
pub struct PlaylistArgs {
    #[command(subcommand)]
    command: PlaylistCommand,
}

#[derive(Debug, Subcommand)]
enum PlaylistCommand {
    /// Create a playlist: smart (re-evaluated each time) with a query, static without.
    New {
        /// The playlist's name (unique, ignoring case).
        name: String,
        /// A query (as for `mixtape ls`; negate with ^term, or put -term after --) for a smart playlist.
        query: Vec<String>,
    },
    /// Append tracks to a static playlist, in the query's order.
    Add {
        /// The playlist.
        name: String,
        /// The tracks to add (as for `mixtape ls`).
        query: Vec<String>,
        /// Add these files instead (each must be a track in the library).
        #[arg(long = "file", value_name = "PATH", num_args = 1..)]
        files: Vec<PathBuf>,
    },
    /// Remove entries from a static playlist: the tracks a query matches, or one position.
    Remove {
        /// The playlist.
        name: String,
        /// Remove every entry of the tracks this query matches.
        query: Vec<String>,
        /// Remove the entry at this position (1 is the first; see `playlist show`).
        #[arg(long, value_name = "N")]
        position: Option<usize>,
    },
    /// List playlists: name, kind and number of entries.
    Ls {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Show a playlist's entries in order, missing and unresolved ones included.
    Show {
        /// The playlist.
        name: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Rename a playlist.
    Rename {
        /// Its current name.
        old: String,
        /// The new name.
        new: String,
    },
    /// Delete a playlist (its tracks and files are not touched).
    Delete {
        /// The playlist.
        name: String,
    },
    /// Import an M3U, M3U8, PLS or XSPF file as a static playlist.
    Import {
        /// The playlist file.
        file: PathBuf,
        /// The playlist's name [default: the file name without extension].
        #[arg(long)]
        name: Option<String>,
        /// Replace an existing playlist of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Write a playlist to an M3U8, PLS or XSPF file.
    Export {
        /// The playlist.
        name: String,
        /// The file format [default: from the --to extension, else m3u8].
        #[arg(long, value_parser = ["m3u8", "m3u", "pls", "xspf"])]
        format: Option<String>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Write paths relative to the output file's folder.
        #[arg(long)]
        relative: bool,
        /// Make relative paths start from this folder instead.
        #[arg(long, value_name = "DIR", requires = "relative")]
        relative_to: Option<PathBuf>,
        /// Write backslashes (for Windows players; M3U and PLS only).
        #[arg(long)]
        windows_paths: bool,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// Run `mixtape playlist`.
pub fn run(args: PlaylistArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let writes = !matches!(
        args.command,
        PlaylistCommand::Ls { .. } | PlaylistCommand::Show { .. } | PlaylistCommand::Export { .. }
    );
    let mut lib = if writes {
        ctx.write_library()?
    } else {
        ctx.read_library()?
    };
    let mut out = Out::new();
    match args.command {
        PlaylistCommand::New { name, query } => {
            let text = (!query.is_empty()).then(|| store::join_query(&query));
            let p = store::create(&mut lib, &name, text.as_deref())?;
            match &p.query {
                Some(q) => {
                    let n = store::query_tracks(&lib, q)?.len();
                    out.line(format!(
                        "created smart playlist '{}' ({q}): {n} tracks match now",
                        p.name
                    ))?;
                }
                None => out.line(format!("created static playlist '{}'", p.name))?,
            }
        }
        PlaylistCommand::Add { name, query, files } => {
            let p = store::find_static(&lib, &name)?;
            let tracks = match (query.is_empty(), files.is_empty()) {
                (false, true) => store::query_tracks(&lib, &store::join_query(&query))?,
                (true, false) => files
                    .iter()
                    .map(|f| library_track(&lib, f))
                    .collect::<anyhow::Result<Vec<_>>>()?,
                (true, true) => bail!("playlist add: give a query or --file PATH"),
                (false, false) => bail!("playlist add: give a query or --file PATH, not both"),
            };
            if tracks.is_empty() {
                eprintln!("mixtape: no tracks match; '{}' is unchanged", p.name);
                return Ok(Outcome::Success);
            }
            let entries: Vec<NewEntry> = tracks
                .iter()
                .map(|t| NewEntry {
                    track_id: Some(t.id),
                    source: Some(t.path.to_string_lossy().into_owned()),
                    source_line: None,
                })
                .collect();
            store::append(&mut lib, &p, &entries)?;
            let total = store::entries(&lib, &p)?.len();
            out.line(format!(
                "added {} tracks to '{}' (now {total} entries)",
                entries.len(),
                p.name
            ))?;
        }
        PlaylistCommand::Remove {
            name,
            query,
            position,
        } => {
            let p = store::find_static(&lib, &name)?;
            match (query.is_empty(), position) {
                (true, Some(n)) => {
                    store::remove_position(&mut lib, &p, n)?;
                    out.line(format!("removed entry {n} from '{}'", p.name))?;
                }
                (false, None) => {
                    let ids: HashSet<i64> = store::query_tracks(&lib, &store::join_query(&query))?
                        .iter()
                        .map(|t| t.id)
                        .collect();
                    let n = store::remove_tracks(&mut lib, &p, &ids)?;
                    out.line(format!("removed {n} entries from '{}'", p.name))?;
                }
                (true, None) => bail!("playlist remove: give a query or --position N"),
                (false, Some(_)) => {
                    bail!("playlist remove: give a query or --position N, not both")
                }
            }
        }
        PlaylistCommand::Ls { json } => {
            let all = store::list(&lib)?;
            let width = all
                .iter()
                .map(|(p, _)| p.name.chars().count())
                .max()
                .unwrap_or(0);
            for (p, count) in all {
                if json {
                    let (count, error) = match count {
                        Ok(n) => (json!(n), None),
                        Err(e) => (serde_json::Value::Null, Some(e.to_string())),
                    };
                    out.line(
                        json!({"name": p.name, "kind": p.kind(), "count": count,
                               "query": p.query, "error": error})
                        .to_string(),
                    )?;
                } else {
                    let count = match count {
                        Ok(n) => n.to_string(),
                        Err(e) => format!("? ({e})"),
                    };
                    let query = p
                        .query
                        .as_ref()
                        .map(|q| format!("  {q}"))
                        .unwrap_or_default();
                    out.line(format!(
                        "{:<width$}  {:<6}  {count:>5}{query}",
                        p.name,
                        p.kind()
                    ))?;
                }
            }
        }
        PlaylistCommand::Show { name, json } => {
            let p = store::find(&lib, &name)?;
            for e in store::entries(&lib, &p)? {
                if json {
                    out.line(
                        json!({
                            "position": e.position,
                            "status": e.status().name(),
                            "source": e.source,
                            "source_line": e.source_line,
                            "track": e.track.as_ref().map(|t| t.to_json()),
                        })
                        .to_string(),
                    )?;
                } else {
                    out.line(show_line(&e))?;
                }
            }
        }
        PlaylistCommand::Rename { old, new } => {
            let before = store::find(&lib, &old)?.name;
            let broken = store::broken_smart_playlists(&lib)?;
            let p = store::rename(&mut lib, &old, &new)?;
            out.line(format!("renamed '{before}' to '{}'", p.name))?;
            warn_newly_broken(&lib, &broken)?;
        }
        PlaylistCommand::Delete { name } => {
            let p = store::find(&lib, &name)?;
            let n = store::entries(&lib, &p).map(|e| e.len()).unwrap_or(0);
            let broken = store::broken_smart_playlists(&lib)?;
            store::delete(&mut lib, &name)?;
            out.line(format!(
                "deleted {} playlist '{}' ({n} entries); no track or file was touched",
                p.kind(),
                p.name
            ))?;
            warn_newly_broken(&lib, &broken)?;
        }
        PlaylistCommand::Import {
            file,
            name,
            replace,
        } => {
            let r = playlist::import(&mut lib, &file, name.as_deref(), replace)?;
            for n in &r.notes {
                out.line(format!(
                    "{}: line {}: {}",
                    file.display(),
                    n.line,
                    n.message
                ))?;
            }
            out.line(format!(
                "imported '{}' from {} ({}): {} entries, {} by path, {} matched otherwise, {} unresolved",
                r.playlist.name,
                file.display(),
                r.format,
                r.entries,
                r.exact,
                r.matched,
                r.unresolved
            ))?;
        }
        PlaylistCommand::Export {
            name,
            format,
            to,
            relative,
            relative_to,
            windows_paths,
            force,
        } => {
            let format = match format {
                Some(f) => Format::from_name(&f).context("unknown format")?,
                None => to
                    .extension()
                    .and_then(|e| Format::from_name(&e.to_string_lossy()))
                    .unwrap_or(Format::M3u8),
            };
            let opts = ExportOptions {
                format,
                to,
                relative,
                relative_to,
                windows_paths,
                overwrite: force,
            };
            let r = playlist::export(&lib, &name, &opts)?;
            for (pos, status, loc) in &r.problems {
                let what = match status {
                    EntryStatus::Missing => "is missing",
                    EntryStatus::Quarantined => "is quarantined",
                    _ => "is unresolved",
                };
                eprintln!("mixtape: warning: entry {pos} {what}; written as {loc}");
            }
            for pos in &r.lossy {
                eprintln!(
                    "mixtape: warning: entry {pos}: the path is not valid UTF-8 or holds control characters; written with U+FFFD (XSPF keeps it exactly)"
                );
            }
            out.line(format!(
                "wrote {} entries to {} ({format})",
                r.written,
                r.path.display()
            ))?;
        }
    }
    out.flush()?;
    Ok(Outcome::Success)
}

/// Warn about smart playlists that a rename or delete just broke (their
/// `playlist:NAME` terms name a playlist that is gone).
fn warn_newly_broken(lib: &Library, before: &[(String, String)]) -> anyhow::Result<()> {
    for (name, err) in store::broken_smart_playlists(lib)? {
        if !before.iter().any(|(b, _)| *b == name) {
            eprintln!("mixtape: warning: smart playlist '{name}' no longer works: {err}");
        }
    }
    Ok(())
}

/// The library track at `path` (as given, or canonicalised).
fn library_track(lib: &Library, path: &Path) -> anyhow::Result<mixtape::Track> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let canon = abs.canonicalize().ok();
    for p in std::iter::once(&abs).chain(canon.as_ref()) {
        if let Some(t) = lib.track_by_path(p)? {
            return Ok(t);
        }
    }
    bail!(
        "{}: not a track in the library (scan its folder first)",
        path.display()
    )
}

/// One text line of `playlist show`.
fn show_line(e: &playlist::Entry) -> String {
    let flag = match e.status() {
        EntryStatus::Ok => String::new(),
        EntryStatus::Missing => "[missing] ".to_string(),
        EntryStatus::Quarantined => "[quarantined] ".to_string(),
        EntryStatus::Unresolved => match e.source_line {
            Some(l) => format!("[unresolved, line {l}] "),
            None => "[unresolved] ".to_string(),
        },
    };
    match &e.track {
        Some(t) => {
            let len = t
                .props
                .length
                .map(|s| {
                    let s = s.round() as i64;
                    format!("  {}:{:02}", s / 60, s % 60)
                })
                .unwrap_or_default();
            format!(
                "{:>4}  {flag}{}{len}  {}",
                e.position,
                t.display_name(),
                t.path.display()
            )
        }
        None => format!(
            "{:>4}  {flag}{}",
            e.position,
            e.source.as_deref().unwrap_or("")
        ),
    }
}
