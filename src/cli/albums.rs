//! `mixtape albums` (and `mixtape ls -a`): list the albums a query matches,
//! or audit them with `--check`; the work is in `mixtape::album`.
//!
//! A listing line is `Album Artist - Album`, a `--format` template of
//! album fields, the album's folder (`--path`), or one JSON object per
//! album (`--json`). `--check` prints one line per finding,
//! `Album Artist - Album (folder): kind: detail`, or one JSON object per
//! finding, and exits 2 when it found any; `--fix` prints instead the
//! `mixtape modify` commands that would fix what a tag edit can fix (not
//! run; pipe them to `sh` to run them).

use mixtape::album::{self, check, Album};
use mixtape::query::{Query, Scope};

use super::ls::{escape_for_terminal, write_line, Row, RowMode, Template};
use super::output::{plural, Out};
use super::{Context, Outcome};

/// Arguments of `mixtape albums`.
#[derive(Debug, clap::Args)]
pub struct AlbumsArgs {
    /// Query terms (album fields: tracks, albumtotal, discs, disctotal,
    /// length, format; any track field matches when one track does).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// Audit the albums: missing or doubled track numbers, missing discs,
    /// differing album artist/year/genre, mixed rates/formats/depths, art.
    #[arg(long)]
    check: bool,
    /// With --check: print the `mixtape modify` commands that would fix
    /// the tag findings (they are not run).
    #[arg(long, requires = "check")]
    fix: bool,
    /// Template for each album: $field or ${field} (album fields).
    #[arg(short, long, value_name = "TEMPLATE", conflicts_with_all = ["path", "json", "check"])]
    format: Option<String>,
    /// Print only the albums' folders.
    #[arg(short, long, conflicts_with_all = ["json", "check"])]
    path: bool,
    /// One JSON object per album (per finding with --check).
    #[arg(long)]
    json: bool,
    /// Sort keys, e.g. 'year+ album-'.
    #[arg(short, long, value_name = "KEYS")]
    sort: Option<String>,
}

/// What a listing of albums needs (from `albums` or `ls -a`).
pub struct Listing {
    pub query: Vec<String>,
    pub format: Option<String>,
    pub path: bool,
    pub json: bool,
    pub sort: Option<String>,
}

impl Listing {
    /// A listing of the albums `query` matches, shown as the flags say.
    pub fn new(
        query: Vec<String>,
        format: Option<String>,
        path: bool,
        json: bool,
        sort: Option<String>,
    ) -> Listing {
        Listing {
            query,
            format,
            path,
            json,
            sort,
        }
    }
}

/// Run `mixtape albums`.
pub fn run(args: AlbumsArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if !args.check {
        let listing = Listing::new(args.query, args.format, args.path, args.json, args.sort);
        return list(listing, ctx);
    }
    let albums = select(ctx, &args.query, args.sort.as_deref())?;
    let mut out = Out::new();
    let (mut findings, mut with, mut unfixable) = (0usize, 0usize, 0usize);
    for a in &albums {
        let found = check::check(a);
        findings += found.len();
        with += usize::from(!found.is_empty());
        for f in &found {
            if args.fix {
                match &f.fix {
                    Some((field, value)) => out.line(fix_command(a, field, value))?,
                    None => unfixable += 1,
                }
            } else if args.json {
                out.line(f.to_json(a).to_string())?;
            } else {
                let line = format!("{} ({}): {f}", a.display_name(), a.folder.display());
                write_line(&mut out, line.as_bytes(), escape_for_terminal(false))?;
            }
        }
    }
    out.flush()?;
    let mut summary = format!(
        "checked {} album{}: {findings} finding{} in {with} album{}",
        albums.len(),
        plural(albums.len()),
        plural(findings),
        plural(with)
    );
    if args.fix && unfixable > 0 {
        summary.push_str(&format!("; {unfixable} not fixable by a tag edit"));
    }
    if !ctx.quiet || findings > 0 {
        eprintln!("{summary}");
    }
    Ok(if findings > 0 {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}

/// List albums (`albums` without `--check`, `ls -a`).
pub fn list(l: Listing, ctx: &Context) -> anyhow::Result<Outcome> {
    let template = match (&l.format, l.path, l.json) {
        (Some(f), false, false) => Some(Template::parse(f, Scope::Albums)?),
        _ => None,
    };
    let albums = select(ctx, &l.query, l.sort.as_deref())?;
    let mut out = Out::new();
    let mode = RowMode::new(l.json, l.path, template);
    let mut line = Vec::new();
    for a in &albums {
        if ctx.cancel.is_cancelled() {
            return Err(mixtape::Error::Interrupted.into());
        }
        let row = Row {
            json: &|| a.to_json(),
            path: &a.folder,
            field: &|name| a.field(name),
            default: &|line| line.extend_from_slice(a.display_name().as_bytes()),
        };
        row.write(&mut out, &mut line, &mode)?;
    }
    out.flush()?;
    Ok(Outcome::Success)
}

fn select(ctx: &Context, words: &[String], sort: Option<&str>) -> anyhow::Result<Vec<Album>> {
    let mut query = Query::parse_in(words, Scope::Albums)?;
    if let Some(spec) = sort {
        query.set_sort(Query::parse_sort_in(spec, Scope::Albums)?);
    }
    let lib = ctx.read_library()?;
    Ok(album::select(&lib, &query)?)
}

/// A word quoted for a POSIX shell.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=:./,+@~".contains(c))
        && !word.starts_with('~')
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The `modify` command that sets `field` to `value` on every track of
/// `album` (selected by its folder and name).
fn fix_command(album: &Album, field: &str, value: &str) -> String {
    let words = [
        format!("path:{}", album.folder.display()),
        format!("album:=~{}", album.album),
        format!("{field}={value}"),
    ];
    let quoted: Vec<String> = words.iter().map(|w| sh(w)).collect();
    format!("mixtape modify {}", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(sh("year=1977"), "year=1977");
        assert_eq!(sh("album:=Don't Stop"), r"'album:=Don'\''t Stop'");
        assert_eq!(sh(""), "''");
    }
}
