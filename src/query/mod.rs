//! The query language: beets' syntax, parsed into a typed AST and turned into
//! SQL with bound parameters only. No user text is ever spliced into SQL:
//! column names come from the [`FIELDS`](crate::library::FIELDS) whitelist,
//! every value is a parameter.
//!
//! # Syntax
//!
//! | form | meaning |
//! |---|---|
//! | `word` | case-insensitive substring of artist, album, albumartist, title, genre or comments |
//! | `field:value` | case-insensitive substring (text fields); equality (numbers, booleans); the period named (dates) |
//! | `field:=value` | exact, case-sensitive (`field:=~value`: exact, any case) |
//! | `field::regex` | regular expression (Rust `regex` syntax, case-sensitive; `(?i)` for any case) |
//! | `"a phrase"`, `'a phrase'` | one term; quotes work inside values too: `title:"at last"` |
//! | `year:1990..1999`, `bitrate:256k..`, `length:..4:30` | inclusive ranges; either end may be left out |
//! | `added:2026-01-01..`, `added:2026-01..2026-03`, `added:-1w..` | date ranges (local time; relative `d`, `w`, `m` = 30 d, `y` = 365 d) |
//! | `^term`, `-term` | negation (a missing tag counts as "does not match") |
//! | `a b , c` | OR between AND-groups: (a AND b) OR c |
//! | `path:/music/x` | the file or folder `/music/x` and everything under it (not `/music/xy`) |
//! | `year+`, `title-` | sort keys (also `--sort 'year+ title-'`) |
//! | `format:flac`, `lossless:true`, `missing:true`, `error:true`, `dupe:true`, `playlist:NAME` | mixtape's own fields |
//!
//! Numbers accept `k`, `M`, `G` multipliers. `length` takes `m:ss`, `h:mm:ss`
//! or seconds, and a single duration names the second it starts
//! (`length:4:30` is 4:30.000 up to 4:30.999). A quoted `:`, `,`, `^`, `-`
//! or `..` is plain text. `field:` with an empty value matches tracks that
//! have the field set. `error:true` matches a read error or a `check` error;
//! `dupe:` also takes a duplicate kind (`dupe:keeper`, `dupe:same-audio`).
//!
//! `playlist:NAME` matches the members of a static playlist, or what a smart
//! playlist's stored query matches; smart playlists are expanded by
//! [`Query::resolve`] (done by [`Query::tracks`] and [`Query::for_each_track`]),
//! which refuses a playlist that refers to itself.
//!
//! Default order: album artist (artist when there is none), album, disc,
//! track, path; explicit sort keys come first and missing values sort last.
//!
//! Errors name the term and the column in it:
//! `query: year:19x0..: expected a number at column 6`.

mod groups;
mod lexer;
mod order;
mod parse;
mod sql;
pub mod values;

pub use groups::Group as TrackGroup;
pub use parse::Scope;

use rusqlite::types::Value;
use rusqlite::Connection;

use crate::error::{Error, QueryErrorKind, Result};
use crate::library::track::{Columns, FieldKind};
use crate::library::{track, Library, Track};

/// The fields a bare word searches.
pub const DEFAULT_FIELDS: &[&str] = &[
    "artist",
    "album",
    "albumartist",
    "title",
    "genre",
    "comments",
];

/// How many smart playlists may nest inside one another.
const MAX_PLAYLIST_DEPTH: usize = 16;

/// A parsed query: an OR of AND-groups of terms, and sort keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// OR of these groups; each group is an AND of its terms. Empty: everything.
    groups: Vec<Group>,
    /// Explicit sort keys (before the default order).
    sort: Vec<SortKey>,
}

type Group = Vec<Term>;

/// One term, possibly negated.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    negated: bool,
    pred: Pred,
}

/// What a term tests. Field names are `&'static str` from the whitelist.
#[derive(Debug, Clone, PartialEq)]
enum Pred {
    /// Any of these text columns matches.
    Text {
        fields: &'static [&'static str],
        m: TextMatch,
    },
    /// A regular expression on any field's text form.
    Regex {
        field: &'static str,
        kind: FieldKind,
        pattern: String,
    },
    /// Inclusive integer range (equal ends: equality).
    IntRange {
        field: &'static str,
        lo: Option<i64>,
        hi: Option<i64>,
    },
    /// `lo <= field < hi` (or `<= hi` when `hi_inclusive`).
    FloatRange {
        field: &'static str,
        lo: Option<f64>,
        hi: Option<f64>,
        hi_inclusive: bool,
    },
    /// `start <= field < end` (Unix seconds).
    TimeRange {
        field: &'static str,
        start: Option<f64>,
        end: Option<f64>,
    },
    Bool {
        field: &'static str,
        value: bool,
    },
    /// Upper-case hex prefix of a hash.
    HashPrefix {
        field: &'static str,
        hex: String,
    },
    HashExact {
        field: &'static str,
        bytes: Vec<u8>,
    },
    /// The file or folder (raw path bytes) and everything under it.
    PathPrefix(Vec<u8>),
    PathExact(Vec<u8>),
    /// A read error or a `check` error (true), or neither (false).
    HasError(bool),
    /// In the latest duplicate analysis (optionally as a given kind).
    Dupe {
        kind: Option<&'static str>,
        yes: bool,
    },
    /// Member of a playlist. `resolved` holds a smart playlist's query once
    /// [`Query::resolve`] has run; otherwise static membership is tested.
    Playlist {
        name: String,
        resolved: Option<Box<Query>>,
    },
}

/// How a text value is compared.
#[derive(Debug, Clone, PartialEq)]
enum TextMatch {
    Substring(String),
    Exact(String),
    ExactNoCase(String),
    Regex(String),
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// A field name from [`FIELDS`](crate::library::FIELDS).
    pub field: &'static str,
    /// Largest first.
    pub descending: bool,
}

/// A parse error: the term, what is wrong, and the 1-based column in the term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    term: String,
    message: String,
    column: usize,
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Error {
        Error::Query {
            term: e.term,
            column: Some(e.column),
            kind: QueryErrorKind::Syntax,
            reason: e.message,
        }
    }
}

impl Query {
    /// Parse a query from its words as given on the command line. A word may
    /// hold several terms (`'artist:bowie year:1970..1979'`).
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Query> {
        Query::parse_in(words, Scope::Tracks)
    }

    /// Parse a query on `scope` (on albums, album fields such as `tracks`
    /// or `albumtotal` are known too; see [`Query::matching_groups`]).
    pub fn parse_in<S: AsRef<str>>(words: &[S], scope: Scope) -> Result<Query> {
        Ok(parse::parse_words(words, crate::library::now(), scope)?)
    }

    /// [`Query::parse_sort`] on `scope`.
    pub fn parse_sort_in(spec: &str, scope: Scope) -> Result<Vec<SortKey>> {
        Ok(parse::parse_sort(spec, scope)?)
    }

    /// Parse a query stored as one string (smart playlists).
    pub fn parse_str(text: &str) -> Result<Query> {
        Query::parse(&[text])
    }

    /// Parse a sort specification such as `year+ title-` (no suffix means
    /// ascending).
    pub fn parse_sort(spec: &str) -> Result<Vec<SortKey>> {
        Query::parse_sort_in(spec, Scope::Tracks)
    }

    /// Replace the sort keys (e.g. with those of `--sort`).
    pub fn set_sort(&mut self, keys: Vec<SortKey>) {
        self.sort = keys;
    }

    /// The explicit sort keys (from trailing `field+` terms or [`Query::set_sort`]).
    pub fn sort(&self) -> &[SortKey] {
        &self.sort
    }

    /// Does this query match every track?
    pub fn matches_all(&self) -> bool {
        self.groups.is_empty()
    }

    /// Does a term of this query test the field `name`?
    pub fn names_field(&self, name: &str) -> bool {
        self.groups.iter().flatten().any(|t| match &t.pred {
            Pred::Bool { field, .. } | Pred::Regex { field, .. } => *field == name,
            _ => false,
        })
    }

    /// Does this query mention `playlist:NAME` for any name?
    pub fn uses_playlists(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|t| matches!(t.pred, Pred::Playlist { .. }))
    }

    /// `WHERE ... ORDER BY ...` with its parameters (e.g. for `EXPLAIN
    /// QUERY PLAN` in the benchmarks; selecting goes through
    /// [`Library::select`]). A `playlist:NAME` term naming a smart
    /// playlist needs [`Query::resolve`] first; unresolved, it tests static
    /// membership only.
    pub fn to_sql(&self) -> (String, Vec<Value>) {
        let mut b = sql::Builder::default();
        let cond = b.query(self);
        let order = order::order_by_sql(&self.sort);
        let sql = format!("WHERE {cond} ORDER BY {order}");
        (sql, b.params)
    }

    /// Only the condition (no `WHERE`, no `ORDER BY`) and its parameters,
    /// for callers that build their own statement. Parameters are numbered
    /// from `?1`.
    pub fn to_sql_condition(&self) -> (String, Vec<Value>) {
        let mut b = sql::Builder::default();
        let cond = b.query(self);
        (cond, b.params)
    }

    /// Expand `playlist:NAME` terms: a smart playlist's stored query is
    /// parsed and embedded, a static one keeps the membership test. An
    /// unknown name, a broken stored query, or a playlist that refers to
    /// itself (directly or through others) is an error.
    pub fn resolve(&mut self, conn: &Connection) -> Result<()> {
        let mut stack = Vec::new();
        self.resolve_inner(conn, &mut stack)
            .map_err(|(name, msg)| Error::Query {
                term: format!("playlist:{name}"),
                column: None,
                kind: QueryErrorKind::Playlist,
                reason: msg,
            })
    }

    /// On error: the `playlist:` value as typed at the top level, and why.
    fn resolve_inner(
        &mut self,
        conn: &Connection,
        stack: &mut Vec<String>,
    ) -> std::result::Result<(), (String, String)> {
        for term in self.groups.iter_mut().flatten() {
            let Pred::Playlist { name, resolved } = &mut term.pred else {
                continue;
            };
            let fail = |msg: String| (name.clone(), msg);
            let row = conn
                .query_row(
                    "SELECT name, query FROM playlists WHERE name = ?1",
                    [name.as_str()],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
                )
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(fail(e.to_string())),
                })?;
            let Some((stored_name, text)) = row else {
                return Err(fail(format!("no playlist named '{name}'")));
            };
            let Some(text) = text else {
                *resolved = None;
                continue;
            };
            if stack
                .iter()
                .any(|s: &String| s.to_lowercase() == stored_name.to_lowercase())
                || stack.len() >= MAX_PLAYLIST_DEPTH
            {
                let mut chain = stack.clone();
                chain.push(stored_name);
                return Err(fail(format!(
                    "smart playlist refers to itself ({})",
                    chain.join(" -> ")
                )));
            }
            let mut sub = Query::parse_str(&text).map_err(|e| {
                fail(format!(
                    "the stored query of '{stored_name}' is invalid: {}",
                    e.query_message()
                ))
            })?;
            sub.sort.clear();
            stack.push(stored_name);
            let r = sub.resolve_inner(conn, stack);
            stack.pop();
            // Report the name the user typed, with the inner reason.
            r.map_err(|(_, msg)| fail(msg))?;
            *resolved = Some(Box::new(sub));
        }
        Ok(())
    }

    /// Resolve playlists and run the query: the matching tracks, in order,
    /// without their fingerprints (see [`Library::select`]).
    pub fn tracks(&self, lib: &Library) -> Result<Vec<Track>> {
        lib.select(self, Columns::List)
    }

    /// Resolve playlists and run the query, handing each matching track to
    /// `f` in order (`f` may stop early with an error, e.g. a closed pipe).
    ///
    /// The rows are read unsorted, each with its sort key values, and sorted
    /// here (see `order.rs`); the tracks come without their fingerprints,
    /// which no listing shows.
    pub fn for_each_track<F, E>(&self, lib: &Library, f: F) -> std::result::Result<(), E>
    where
        F: FnMut(Track) -> std::result::Result<(), E>,
        E: From<Error>,
    {
        self.sorted_rows(lib, track::LIST_COLUMNS, Track::from_row, f)
    }

    /// The ids of the matching tracks, in order (resolving playlists).
    pub fn track_ids(&self, lib: &Library) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        self.sorted_rows(
            lib,
            "id",
            |r| r.get(0),
            |id| {
                ids.push(id);
                Ok::<_, Error>(())
            },
        )?;
        Ok(ids)
    }

    /// Resolve playlists, select `columns` (read by `build`) and the sort
    /// keys of every matching row, sort the rows by the keys and hand them
    /// to `f` in order.
    fn sorted_rows<T, F, E>(
        &self,
        lib: &Library,
        columns: &str,
        build: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        f: F,
    ) -> std::result::Result<(), E>
    where
        F: FnMut(T) -> std::result::Result<(), E>,
        E: From<Error>,
    {
        self.sorted_rows_within(lib, columns, build, f, MAX_SORTED_IN_MEMORY)
    }

    /// [`Query::sorted_rows`], sorting at most `in_memory` rows in memory.
    fn sorted_rows_within<T, F, E>(
        &self,
        lib: &Library,
        columns: &str,
        build: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        mut f: F,
        in_memory: usize,
    ) -> std::result::Result<(), E>
    where
        F: FnMut(T) -> std::result::Result<(), E>,
        E: From<Error>,
    {
        let mut q = self.clone();
        if q.uses_playlists() {
            q.resolve(lib.conn())?;
        }
        let keys = order::order_keys(&q.sort);
        let (cond, params) = q.to_sql_condition();
        let sql = format!(
            "SELECT {columns}, {} FROM tracks WHERE {cond}",
            order::key_columns(&keys)
        );
        let mut stmt = lib.conn().prepare(&sql).map_err(|e| lib.err(e))?;
        let first_key = stmt.column_count() - keys.len();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| lib.err(e))?;
        // Every row's encoded keys go into one buffer; the (key range, row)
        // entries are sorted, not the rows (a track is large to move).
        let mut buf: Vec<u8> = Vec::new();
        let mut entries: Vec<(usize, usize, usize)> = Vec::new();
        let mut items: Vec<Option<Box<T>>> = Vec::new();
        while let Some(row) = rows.next().map_err(|e| lib.err(e))? {
            if items.len() == in_memory {
                // Too many rows to hold: let SQLite sort and stream them,
                // in the same order (see `order`).
                drop(rows);
                let sql = format!(
                    "SELECT {columns} FROM tracks WHERE {cond} ORDER BY {}",
                    order::order_by_sql(&q.sort)
                );
                let mut stmt = lib.conn().prepare(&sql).map_err(|e| lib.err(e))?;
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params.iter()))
                    .map_err(|e| lib.err(e))?;
                while let Some(row) = rows.next().map_err(|e| lib.err(e))? {
                    f(build(row).map_err(|e| lib.err(e))?)?;
                }
                return Ok(());
            }
            let start = buf.len();
            for (i, k) in keys.iter().enumerate() {
                order::encode(
                    row.get_ref(first_key + i).map_err(|e| lib.err(e))?,
                    k,
                    &mut buf,
                );
            }
            entries.push((start, buf.len(), items.len()));
            items.push(Some(Box::new(build(row).map_err(|e| lib.err(e))?)));
        }
        entries.sort_unstable_by(|a, b| buf[a.0..a.1].cmp(&buf[b.0..b.1]));
        for (_, _, i) in entries {
            if let Some(item) = items[i].take() {
                f(*item)?;
            }
        }
        Ok(())
    }
}

impl Library {
    /// The tracks `query` matches, in its order, reading `columns`: the one
    /// way mixtape selects tracks (`playlist:NAME` of a smart playlist is
    /// expanded, see [`Query::resolve`]). Written here, beside the query
    /// language, so that the library module does not depend on it.
    pub fn select(&self, query: &Query, columns: Columns) -> Result<Vec<Track>> {
        let mut out = Vec::new();
        query.sorted_rows(self, columns.sql(), Track::from_row, |t| {
            out.push(t);
            Ok::<_, Error>(())
        })?;
        Ok(out)
    }
}

/// Results up to this many rows are sorted in memory (fast); larger ones
/// are sorted by SQLite and streamed (bounded memory for `ls` over a whole
/// library).
const MAX_SORTED_IN_MEMORY: usize = 20_000;

#[cfg(test)]
mod tests;
