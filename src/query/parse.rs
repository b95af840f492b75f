//! Terms to the typed AST: which field, which kind of match, which values.
//! Every check on user input happens here, so that SQL generation cannot fail.

use super::lexer::{lex_word, Token};
use super::values::{self, parse_bool, parse_date, parse_duration, parse_float, parse_int};
use super::{Group, Pred, Query, QueryError, SortKey, Term, TextMatch, DEFAULT_FIELDS};
use crate::error::MediaErrorKind;
use crate::library::track::{field_by_name, FieldKind, TrackField, ALBUM_FIELDS, FIELDS};

/// Fields that are not columns of `tracks` but work in queries.
const VIRTUAL_FIELDS: &[&str] = &["dupe", "playlist"];

/// The kinds of duplicate membership `dupe:` accepts besides true/false.
const DUPE_KINDS: &[&str] = &[
    "keeper",
    "exact",
    "same-audio",
    "same-recording",
    "same-tags",
];

/// How a `field:` term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `field:value`
    Plain,
    /// `field:=value`
    Exact,
    /// `field:=~value`
    ExactNoCase,
    /// `field::regex`
    Regex,
}

/// What a query selects, which decides the fields it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Tracks: the fields of [`FIELDS`].
    Tracks,
    /// Albums: [`ALBUM_FIELDS`] and every track field.
    Albums,
}

impl Scope {
    /// The field named `name` (lower case) in this scope.
    pub fn field(self, name: &str) -> Option<&'static TrackField> {
        match self {
            Scope::Albums => ALBUM_FIELDS
                .iter()
                .find(|f| f.name == name)
                .or_else(|| field_by_name(name)),
            Scope::Tracks => field_by_name(name),
        }
    }
}

/// Parse all words into a query. `now` (Unix seconds) anchors relative dates.
pub(crate) fn parse_words<S: AsRef<str>>(
    words: &[S],
    now: f64,
    scope: Scope,
) -> Result<Query, QueryError> {
    let mut tokens = Vec::new();
    for w in words {
        tokens.extend(lex_word(w.as_ref())?);
    }
    let mut groups: Vec<Group> = vec![Vec::new()];
    let mut sort = Vec::new();
    let mut last_comma: Option<&Token> = None;
    for tok in &tokens {
        if tok.chars.len() == 1 && tok.is_op(0, ',') {
            if groups.last().is_some_and(|g| g.is_empty()) {
                return Err(tok.error_at(0, "',' (or) needs a term before it"));
            }
            groups.push(Vec::new());
            last_comma = Some(tok);
            continue;
        }
        if let Some(key) = sort_term(tok, scope) {
            sort.push(key);
            continue;
        }
        let term = parse_term(tok, now, scope)?;
        if let Some(g) = groups.last_mut() {
            g.push(term);
        }
    }
    if let (Some(tok), true) = (last_comma, groups.last().is_some_and(|g| g.is_empty())) {
        return Err(tok.error_at(0, "',' (or) needs a term after it"));
    }
    if groups.len() == 1 && groups[0].is_empty() {
        groups.clear();
    }
    Ok(Query { groups, sort })
}

/// A trailing-style sort term: an unquoted known field name followed by `+` or `-`.
fn sort_term(tok: &Token, scope: Scope) -> Option<SortKey> {
    let n = tok.chars.len();
    if n < 2 || tok.chars.iter().any(|c| c.quoted) {
        return None;
    }
    let dir = tok.chars[n - 1].c;
    if dir != '+' && dir != '-' {
        return None;
    }
    let name: String = tok.chars[..n - 1].iter().map(|c| c.c).collect();
    let field = scope.field(&name.to_ascii_lowercase())?;
    Some(SortKey {
        field: field.name,
        descending: dir == '-',
    })
}

/// Parse a `--sort` specification: `year+ title-` (no suffix = ascending;
/// commas and whitespace separate keys).
pub(crate) fn parse_sort(spec: &str, scope: Scope) -> Result<Vec<SortKey>, QueryError> {
    let mut keys = Vec::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() || chars[i] == ',' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ',' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let (name, descending) = match word.strip_suffix('-') {
            Some(n) => (n, true),
            None => (word.strip_suffix('+').unwrap_or(&word), false),
        };
        let err = |msg: String| QueryError {
            term: format!("--sort {spec}"),
            message: msg,
            column: start + 1 + "--sort ".len(),
        };
        let lower = name.to_ascii_lowercase();
        match scope.field(&lower) {
            Some(f) => keys.push(SortKey {
                field: f.name,
                descending,
            }),
            None if VIRTUAL_FIELDS.contains(&lower.as_str()) => {
                return Err(err(format!("cannot sort by '{name}'")))
            }
            None => return Err(err(unknown_field_message(name, true))),
        }
    }
    Ok(keys)
}

/// The message for an unknown field name: a close field is suggested (for
/// `--sort`, only fields it can sort by); a query term is told how to
/// search for text containing `:`, which a sort key cannot mean.
fn unknown_field_message(name: &str, for_sort: bool) -> String {
    let lower = name.to_ascii_lowercase();
    let virtual_fields = VIRTUAL_FIELDS.iter().copied().filter(|_| !for_sort);
    let best = FIELDS
        .iter()
        .map(|f| f.name)
        .chain(virtual_fields)
        .map(|f| (edit_distance(&lower, f), f))
        .min();
    match best {
        Some((d, f)) if d <= 2 && d < lower.chars().count().max(1) => {
            format!("unknown field '{name}' (did you mean '{f}'?)")
        }
        _ if for_sort => format!("unknown field '{name}'"),
        _ => format!("unknown field '{name}' (quote the term to search for text containing ':')"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Parse one term (negation, field, operator, value).
fn parse_term(tok: &Token, now: f64, scope: Scope) -> Result<Term, QueryError> {
    if tok.chars.len() == 1 && tok.is_op(0, '^') {
        return Err(tok.error_at(0, "'^' excludes the term after it, and none follows"));
    }
    let mut i = 0;
    let negated = tok.chars.len() > 1 && (tok.is_op(0, '^') || tok.is_op(0, '-'));
    if negated {
        i = 1;
    }
    let colon = (i..tok.chars.len()).find(|&k| tok.is_op(k, ':'));
    let pred = match colon {
        None => Pred::Text {
            fields: DEFAULT_FIELDS,
            m: TextMatch::Substring(tok.text(i)),
        },
        Some(c) => {
            let name: String = tok.chars[i..c].iter().map(|ch| ch.c).collect();
            let mut v = c + 1;
            let op = if tok.is_op(v, ':') {
                v += 1;
                Op::Regex
            } else if tok.is_op(v, '=') {
                v += 1;
                if tok.is_op(v, '~') {
                    v += 1;
                    Op::ExactNoCase
                } else {
                    Op::Exact
                }
            } else {
                Op::Plain
            };
            field_pred(tok, i, &name, op, v, now, scope)?
        }
    };
    Ok(Term { negated, pred })
}

/// The predicate of `name<op>value`, with the value starting at `chars[v]`.
fn field_pred(
    tok: &Token,
    name_at: usize,
    name: &str,
    op: Op,
    v: usize,
    now: f64,
    scope: Scope,
) -> Result<Pred, QueryError> {
    let value = tok.text(v);
    let lower = name.to_ascii_lowercase();
    if lower.is_empty() {
        return Ok(Pred::Text {
            fields: DEFAULT_FIELDS,
            m: text_match(tok, op, v, value)?,
        });
    }
    match lower.as_str() {
        "dupe" => {
            if let Some(b) = parse_bool(&value) {
                return Ok(Pred::Dupe { kind: None, yes: b });
            }
            let kind = value.to_ascii_lowercase();
            return match DUPE_KINDS.iter().find(|k| **k == kind) {
                Some(k) => Ok(Pred::Dupe {
                    kind: Some(k),
                    yes: true,
                }),
                None => Err(tok.error_at(
                    v,
                    format!(
                        "expected true, false or a duplicate kind ({})",
                        DUPE_KINDS.join(", ")
                    ),
                )),
            };
        }
        "playlist" => {
            if value.is_empty() {
                return Err(tok.error_at(v, "expected a playlist name"));
            }
            return Ok(Pred::Playlist {
                name: value,
                resolved: None,
            });
        }
        _ => {}
    }
    let field = match scope.field(&lower) {
        Some(f) => f,
        None => return Err(tok.error_at(name_at, unknown_field_message(name, false))),
    };
    let f = field.name;
    if op == Op::Regex {
        return Ok(Pred::Regex {
            field: f,
            kind: field.kind,
            pattern: checked_regex(tok, v, value)?,
        });
    }
    match field.kind {
        FieldKind::Text => {
            if f == "error" {
                if let (Op::Plain, Some(b)) = (op, parse_bool(&value)) {
                    return Ok(Pred::HasError(b));
                }
                // A kind name (`error:truncated`) matches the kind, of the
                // scan's error or of check's.
                if let (Op::Plain | Op::Exact, Some(k)) = (op, MediaErrorKind::parse(&value)) {
                    return Ok(Pred::Text {
                        fields: &["error_kind", "check_kind"],
                        m: TextMatch::Exact(k.as_str().to_string()),
                    });
                }
                return Ok(Pred::Text {
                    fields: &["error", "check_error"],
                    m: text_match(tok, op, v, value)?,
                });
            }
            Ok(Pred::Text {
                fields: field_slice(f),
                m: text_match(tok, op, v, value)?,
            })
        }
        FieldKind::List => Ok(Pred::Text {
            fields: field_slice(f),
            m: text_match(tok, op, v, value)?,
        }),
        FieldKind::Bool => match parse_bool(&value) {
            Some(b) => Ok(Pred::Bool { field: f, value: b }),
            None => Err(tok.error_at(v, "expected true or false")),
        },
        FieldKind::Int => {
            let (lo, hi) = split_range(tok, v, op)?;
            let num = |r: Option<(usize, usize)>| -> Result<Option<i64>, QueryError> {
                match r {
                    None => Ok(None),
                    Some((a, b)) => {
                        let s: String = tok.chars[a..b].iter().map(|c| c.c).collect();
                        parse_int(&s).map(Some).map_err(|m| tok.error_at(a, m))
                    }
                }
            };
            let (l, h) = (num(lo)?, num(hi)?);
            let (l, h) = if is_single(tok, v) { (l, l) } else { (l, h) };
            if let (Some(a), Some(b)) = (l, h) {
                if a > b {
                    return Err(tok.error_at(v, format!("empty range ({a} is above {b})")));
                }
            }
            Ok(Pred::IntRange {
                field: f,
                lo: l,
                hi: h,
            })
        }
        FieldKind::Float => {
            let duration = f == "length";
            let (lo, hi) = split_range(tok, v, op)?;
            let num = |r: Option<(usize, usize)>| -> Result<Option<(f64, f64)>, QueryError> {
                match r {
                    None => Ok(None),
                    Some((a, b)) => {
                        let s: String = tok.chars[a..b].iter().map(|c| c.c).collect();
                        let parsed = if duration {
                            parse_duration(&s)
                        } else {
                            parse_float(&s)
                        };
                        parsed.map(Some).map_err(|m| tok.error_at(a, m))
                    }
                }
            };
            let (l, h) = (num(lo)?, num(hi)?);
            // A duration names the period [x, x + precision) (4:30 is 270 up to
            // 271 s, as displayed); another real number rounds to x.
            let (lo_v, hi_v) = if is_single(tok, v) {
                match (l, duration) {
                    (Some((x, p)), true) => (Some(x), Some(x + p)),
                    (Some((x, p)), false) => (Some(x - p / 2.0), Some(x + p / 2.0)),
                    _ => (None, None),
                }
            } else {
                let hi_end = h.map(|(x, p)| if duration { x + p } else { x });
                (l.map(|(x, _)| x), hi_end)
            };
            if let (Some(a), Some(b)) = (l, h) {
                if a.0 > b.0 {
                    return Err(tok.error_at(v, "empty range (the start is above the end)"));
                }
            }
            Ok(Pred::FloatRange {
                field: f,
                lo: lo_v,
                hi: hi_v,
                hi_inclusive: !duration && !is_single(tok, v),
            })
        }
        FieldKind::Time => {
            let (lo, hi) = split_range(tok, v, op)?;
            let date = |r: Option<(usize, usize)>| -> Result<Option<values::Period>, QueryError> {
                match r {
                    None => Ok(None),
                    Some((a, b)) => {
                        let s: String = tok.chars[a..b].iter().map(|c| c.c).collect();
                        parse_date(&s, now)
                            .map(Some)
                            .map_err(|m| tok.error_at(a, m))
                    }
                }
            };
            let (l, h) = (date(lo)?, date(hi)?);
            let (start, end) = if is_single(tok, v) {
                (l.map(|p| p.start), l.map(|p| p.end))
            } else {
                (l.map(|p| p.start), h.map(|p| p.end))
            };
            if let (Some(a), Some(b)) = (start, end) {
                if a >= b {
                    return Err(tok.error_at(v, "empty date range (the start is after the end)"));
                }
            }
            Ok(Pred::TimeRange {
                field: f,
                start,
                end,
            })
        }
        FieldKind::Hash => {
            let hex = value.to_ascii_lowercase();
            if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || hex.len() > 64 {
                return Err(tok.error_at(v, "expected hexadecimal digits (up to 64)"));
            }
            if matches!(op, Op::Exact | Op::ExactNoCase) {
                if hex.len() != 64 {
                    return Err(tok.error_at(v, "an exact hash needs all 64 hexadecimal digits"));
                }
                return Ok(Pred::HashExact {
                    field: f,
                    bytes: (0..32)
                        .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap_or(0))
                        .collect(),
                });
            }
            Ok(Pred::HashPrefix {
                field: f,
                hex: hex.to_ascii_uppercase(),
            })
        }
        FieldKind::Path => {
            if value.is_empty() {
                return Err(tok.error_at(v, "expected a path"));
            }
            let p = absolute_path(&value);
            let bytes = crate::library::path_to_bytes(&p);
            Ok(match op {
                Op::Exact | Op::ExactNoCase => Pred::PathExact(bytes),
                _ => Pred::PathPrefix(bytes),
            })
        }
    }
}

/// Is the value at `chars[v..]` free of an unquoted `..`?
fn is_single(tok: &Token, v: usize) -> bool {
    find_dots(tok, v).is_none()
}

fn find_dots(tok: &Token, v: usize) -> Option<usize> {
    (v..tok.chars.len().saturating_sub(1)).find(|&k| tok.is_op(k, '.') && tok.is_op(k + 1, '.'))
}

/// Split a range value `lo..hi` into the character spans of its ends. A
/// value without `..` is returned as `lo` alone.
#[allow(clippy::type_complexity)]
fn split_range(
    tok: &Token,
    v: usize,
    op: Op,
) -> Result<(Option<(usize, usize)>, Option<(usize, usize)>), QueryError> {
    let end = tok.chars.len();
    let Some(d) = find_dots(tok, v) else {
        if v >= end {
            return Err(tok.error_at(v, "expected a value"));
        }
        return Ok((Some((v, end)), None));
    };
    if op != Op::Plain {
        return Err(tok.error_at(d, "a range cannot be combined with ':=' (use field:lo..hi)"));
    }
    if let Some(d2) = find_dots(tok, d + 2) {
        return Err(tok.error_at(d2, "a range has only one '..'"));
    }
    let lo = (d > v).then_some((v, d));
    let hi = (d + 2 < end).then_some((d + 2, end));
    if lo.is_none() && hi.is_none() {
        return Err(tok.error_at(d, "a range needs a start, an end, or both"));
    }
    Ok((lo, hi))
}

fn text_match(tok: &Token, op: Op, v: usize, value: String) -> Result<TextMatch, QueryError> {
    Ok(match op {
        Op::Plain => TextMatch::Substring(value),
        Op::Exact => TextMatch::Exact(value),
        Op::ExactNoCase => TextMatch::ExactNoCase(value),
        Op::Regex => TextMatch::Regex(checked_regex(tok, v, value)?),
    })
}

fn checked_regex(tok: &Token, v: usize, pattern: String) -> Result<String, QueryError> {
    match crate::library::functions::compile_regex(&pattern) {
        Ok(_) => Ok(pattern),
        Err(e) => {
            // The regex crate's message spans several lines; keep its last one.
            let msg = e.to_string();
            let short = msg
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            Err(tok.error_at(v, format!("invalid regular expression: {short}")))
        }
    }
}

/// The one-element field list for a text field (from the whitelist).
fn field_slice(name: &'static str) -> &'static [&'static str] {
    const NAMES: &[&str] = &[
        "title",
        "artist",
        "album",
        "albumartist",
        "genre",
        "genres",
        "artists",
        "composer",
        "lyrics",
        "comments",
        "label",
        "mb_trackid",
        "mb_albumid",
        "mb_artistid",
        "mb_releasetrackid",
        "isrc",
        "catalog",
        "format",
        "error",
        "error_kind",
        "fingerprint_error",
        "check_error",
        "check_kind",
    ];
    match NAMES.iter().position(|n| *n == name) {
        Some(i) => &NAMES[i..i + 1],
        None => &[],
    }
}

/// `~/x` and relative paths made absolute (against $HOME and the current
/// folder), `.` and `..` resolved lexically; a trailing `/` dropped.
fn absolute_path(value: &str) -> std::path::PathBuf {
    use std::path::{Component, Path, PathBuf};
    let raw = if let Some(rest) = value.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(rest),
            None => PathBuf::from(value),
        }
    } else {
        PathBuf::from(value)
    };
    let raw = if raw.is_absolute() {
        raw
    } else {
        std::env::current_dir().unwrap_or_default().join(raw)
    };
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        return Path::new("/").to_path_buf();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_slices_cover_every_text_field() {
        for f in FIELDS.iter().filter(|f| f.kind == FieldKind::Text) {
            assert_eq!(field_slice(f.name), &[f.name], "{}", f.name);
        }
    }

    #[test]
    fn edit_distance_works() {
        assert_eq!(edit_distance("yaer", "year"), 2);
        assert_eq!(edit_distance("artst", "artist"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute_path("/music/x/"), std::path::Path::new("/music/x"));
        assert_eq!(
            absolute_path("/music/./x/../y"),
            std::path::Path::new("/music/y")
        );
        assert_eq!(absolute_path("/"), std::path::Path::new("/"));
        assert!(absolute_path("rel").is_absolute());
    }
}
