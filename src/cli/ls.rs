//! `mixtape ls`: list the tracks a query matches (see `mixtape::query` for
//! the language), as `artist - album - title` (missing tags left out with
//! their separator, and a missing title shown as the file name, as
//! foobar2000 does), a `--format` template, raw paths (`--path`) or one
//! JSON object per line (`--json`).
//!
//! Output streams row by row, so `mixtape ls | head` stops at once and a
//! large library does not sit in memory. Paths are written as raw bytes, so
//! a name that is not UTF-8 comes out byte for byte.
//!
//! On a terminal, control characters in tags and names (C0, DEL, C1) are
//! shown escaped as `\u{1}`, so that a tag cannot move the cursor, clear the
//! screen or change the terminal's title. Piped or redirected output keeps
//! every byte as it is, for scripts (`--json` escapes them the JSON way).

use anyhow::Context as _;

use mixtape::library::track::{FieldKind, FieldValue};
use mixtape::query::values::{format_duration, format_local_time};
use mixtape::query::{Query, Scope};
use mixtape::Track;

use super::output::Out;
use super::{Context, Outcome};

/// The query syntax in brief, after `--help`.
const AFTER_HELP: &str = "\
Query syntax (beets'):
  word              substring of artist, album, albumartist, title, genre or comments
  field:value       substring (text), equality (numbers), the period (dates)
  field:=value      exact (field:=~value: exact in any case);  field::regex
  \"a phrase\"        one term, also inside a value: title:\"at last\"
  year:1990..1999   ranges: bitrate:256k..  length:..4:30  added:2026-01..2026-03  added:-1w..
  ^term             not (or -term after `--`);  a , b  means a OR b
  path:/music/x     that folder or file and everything under it
  year+ title-      sort keys (or --sort 'year+ title-')
  format:flac  lossless:true  missing:true  error:true  dupe:true  playlist:NAME

Examples:
  mixtape ls bowie
  mixtape ls 'artist:bowie year:1970..1979 format:flac' --sort 'year+ track+'
  mixtape ls 'title:\"at last\"' ^live
  mixtape ls genre:jazz , genre:blues
  mixtape ls added:-1w.. --path

On a terminal, control characters in tags and file names are shown escaped
(U+0001 as \\u{1}); piped or redirected output keeps them byte for byte.";

/// Arguments of `mixtape ls`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct LsArgs {
    /// Query terms in beets' syntax (none: every track).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// Template for each line: $field or ${field} (any field of --json), $$ for a dollar.
    #[arg(short, long, value_name = "TEMPLATE", conflicts_with_all = ["path", "json"])]
    format: Option<String>,
    /// Print only the paths (raw bytes).
    #[arg(short, long, conflicts_with = "json")]
    path: bool,
    /// One JSON object per line, with every field.
    #[arg(long)]
    json: bool,
    /// Sort keys, e.g. 'year+ title-' (replaces sort terms in the query).
    #[arg(short, long, value_name = "KEYS")]
    sort: Option<String>,
    /// List albums instead of tracks (album fields: tracks, albumtotal,
    /// discs, length, format; see `mixtape albums`).
    #[arg(short = 'a', long)]
    albums: bool,
}

/// Run `mixtape ls`.
pub fn run(args: LsArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if args.albums {
        use super::albums::{list, Listing};
        let listing = Listing::new(args.query, args.format, args.path, args.json, args.sort);
        return list(listing, ctx);
    }
    let mut query = Query::parse(&args.query)?;
    if let Some(spec) = &args.sort {
        query.set_sort(Query::parse_sort(spec)?);
    }
    let template = match (&args.format, args.path, args.json) {
        (Some(f), false, false) => Some(Template::parse(f, Scope::Tracks)?),
        _ => None,
    };
    let lib = ctx.read_library()?;
    let mut out = Out::new();
    let mode = RowMode::new(args.json, args.path, template);
    let mut line = Vec::new();
    query.for_each_track(&lib, |t: Track| -> anyhow::Result<()> {
        if ctx.cancel.is_cancelled() {
            return Err(mixtape::Error::Interrupted.into());
        }
        let row = Row {
            json: &|| t.to_json(),
            path: &t.path,
            field: &|name| t.field(name),
            default: &|line| default_line(&t, line),
        };
        row.write(&mut out, &mut line, &mode)
    })?;
    out.flush()?;
    Ok(Outcome::Success)
}

/// How `ls` shows each row: JSON, the path, a template, or the default.
pub(super) struct RowMode {
    json: bool,
    path: bool,
    template: Option<Template>,
    escape: bool,
}

impl RowMode {
    pub(super) fn new(json: bool, path: bool, template: Option<Template>) -> Self {
        let escape = escape_for_terminal(json);
        RowMode {
            json,
            path,
            template,
            escape,
        }
    }
}

/// One listed item (a track or an album), as each [`RowMode`] needs it.
pub(super) struct Row<'a> {
    pub json: &'a dyn Fn() -> serde_json::Value,
    pub path: &'a std::path::Path,
    pub field: &'a dyn Fn(&str) -> Option<FieldValue>,
    pub default: &'a dyn Fn(&mut Vec<u8>),
}

impl Row<'_> {
    /// Render the row into `line` (cleared first) and write it.
    pub(super) fn write(
        &self,
        out: &mut Out,
        line: &mut Vec<u8>,
        mode: &RowMode,
    ) -> anyhow::Result<()> {
        line.clear();
        if mode.json {
            serde_json::to_writer(&mut *line, &(self.json)()).context("--json")?;
        } else if mode.path {
            line.extend_from_slice(&mixtape::library::path_to_bytes(self.path));
        } else if let Some(tpl) = &mode.template {
            tpl.render(self.field, self.path, line);
        } else {
            (self.default)(line);
        }
        write_line(out, line, mode.escape)
    }
}

/// Write one line, its control characters escaped when `escape`.
pub(super) fn write_line(out: &mut Out, line: &[u8], escape: bool) -> anyhow::Result<()> {
    if escape {
        out.bytes_line(&escape_controls(line))?;
    } else {
        out.bytes_line(line)?;
    }
    Ok(())
}

/// Whether lines go to a terminal and so need their controls escaped.
pub(super) fn escape_for_terminal(json: bool) -> bool {
    !json && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// `line` with every control character (C0, DEL, C1) written as `\u{..}`;
/// bytes that are not UTF-8 are kept as they are.
fn escape_controls(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    for chunk in line.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend_from_slice(c.escape_unicode().to_string().as_bytes());
            } else {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        out.extend_from_slice(chunk.invalid());
    }
    out
}

/// The default line: `artist - album - title`, leaving out missing tags
/// with their separator; a missing title is the file name without its
/// extension (raw bytes), so an untagged file is still recognisable.
fn default_line(t: &Track, out: &mut Vec<u8>) {
    fn present(v: &Option<String>) -> Option<&[u8]> {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::as_bytes)
    }
    let stem;
    let title = match present(&t.tags.title) {
        Some(title) => title,
        None => {
            stem = t
                .path
                .file_stem()
                .map(|s| mixtape::library::path_to_bytes(std::path::Path::new(s)))
                .unwrap_or_default();
            &stem[..]
        }
    };
    let parts = [present(&t.tags.artist), present(&t.tags.album), Some(title)];
    for (i, p) in parts.into_iter().flatten().enumerate() {
        if i > 0 {
            out.extend_from_slice(b" - ");
        }
        out.extend_from_slice(p);
    }
}

/// A parsed `--format` template.
pub(super) struct Template {
    parts: Vec<Part>,
}

enum Part {
    Literal(String),
    Field(&'static str, FieldKind),
}

impl Template {
    /// Parse `$field`, `${field}` and `$$`; an unknown field is an error
    /// naming its column. A `$` not followed by a name is kept as is.
    pub(super) fn parse(s: &str, scope: Scope) -> anyhow::Result<Template> {
        let chars: Vec<char> = s.chars().collect();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '$' {
                lit.push(chars[i]);
                i += 1;
                continue;
            }
            let col = i + 1;
            let (name, next) = match chars.get(i + 1) {
                Some('$') => {
                    lit.push('$');
                    i += 2;
                    continue;
                }
                Some('{') => match chars[i + 2..].iter().position(|&c| c == '}') {
                    Some(end) => (
                        chars[i + 2..i + 2 + end].iter().collect::<String>(),
                        i + 3 + end,
                    ),
                    None => anyhow::bail!("--format {s}: '${{' without '}}' at column {col}"),
                },
                _ => {
                    let end = (i + 1..chars.len())
                        .find(|&k| !(chars[k].is_ascii_alphanumeric() || chars[k] == '_'))
                        .unwrap_or(chars.len());
                    (chars[i + 1..end].iter().collect::<String>(), end)
                }
            };
            if name.is_empty() {
                lit.push('$');
                i += 1;
                continue;
            }
            let Some(field) = scope.field(&name.to_ascii_lowercase()) else {
                anyhow::bail!("--format {s}: unknown field '{name}' at column {col}");
            };
            if !lit.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut lit)));
            }
            parts.push(Part::Field(field.name, field.kind));
            i = next;
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(Template { parts })
    }

    /// Append the line for the fields `get` gives (and `path`, written as
    /// raw bytes) to `out`; missing fields print as nothing.
    pub(super) fn render(
        &self,
        get: &dyn Fn(&str) -> Option<FieldValue>,
        path: &std::path::Path,
        out: &mut Vec<u8>,
    ) {
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Part::Field("path", _) => {
                    out.extend_from_slice(&mixtape::library::path_to_bytes(path))
                }
                Part::Field(name, kind) => {
                    let text = match (get(name), kind) {
                        (None, _) => String::new(),
                        (Some(FieldValue::Float(x)), FieldKind::Time) => format_local_time(x),
                        (Some(FieldValue::Float(x)), _) if *name == "length" => format_duration(x),
                        (Some(FieldValue::Float(x)), _) => {
                            let s = format!("{x:.2}");
                            s.trim_end_matches('0').trim_end_matches('.').to_string()
                        }
                        (Some(v), _) => v.to_string(),
                    };
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(tpl: &str, t: &Track) -> String {
        let mut v = Vec::new();
        Template::parse(tpl, Scope::Tracks)
            .unwrap()
            .render(&|n| t.field(n), &t.path, &mut v);
        String::from_utf8(v).unwrap()
    }

    fn line(t: &Track) -> String {
        let mut v = Vec::new();
        default_line(t, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn default_line_leaves_out_missing_tags() {
        let mut t = Track {
            path: "/music/x/07 Unknown Song.mp3".into(),
            ..Track::default()
        };
        assert_eq!(line(&t), "07 Unknown Song");
        t.tags.artist = Some("Bowie".into());
        assert_eq!(line(&t), "Bowie - 07 Unknown Song");
        t.tags.title = Some("Starman".into());
        t.tags.album = Some(" ".into());
        assert_eq!(line(&t), "Bowie - Starman");
        t.tags.album = Some("Ziggy".into());
        assert_eq!(line(&t), "Bowie - Ziggy - Starman");
    }

    /// Issue 12: control characters in tags reached the terminal as they were.
    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(
            escape_controls("A\u{1}B\u{1b}[2J\u{7f}\u{9b}é\t".as_bytes()),
            b"A\\u{1}B\\u{1b}[2J\\u{7f}\\u{9b}\xc3\xa9\\u{9}".to_vec()
        );
        assert_eq!(escape_controls(b"caf\xe9\x01"), b"caf\xe9\\u{1}".to_vec());
    }

    #[test]
    fn templates() {
        let mut t = Track::default();
        t.tags.artist = Some("Bowie".into());
        t.tags.year = Some(1972);
        t.props.length = Some(270.6);
        t.loudness = Some(-14.237);
        assert_eq!(render("$artist - $album - $title", &t), "Bowie -  - ");
        assert_eq!(render("${artist}s ($year) $$5 $", &t), "Bowies (1972) $5 $");
        assert_eq!(render("$length|$loudness", &t), "4:30|-14.24");
        assert!(Template::parse("$nope", Scope::Tracks).is_err());
        assert!(Template::parse("$albumtotal", Scope::Tracks).is_err());
        assert!(Template::parse("$albumtotal", Scope::Albums).is_ok());
        let e = Template::parse("x ${artist", Scope::Tracks)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("column 3"), "{e}");
    }
}
