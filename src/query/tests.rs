//! Unit tests for the query language: every form parses to the expected
//! AST, errors point at the right column, SQL carries user text only as
//! parameters, and (property tests) no input makes the parser panic or
//! produce SQL that SQLite refuses.

use super::*;
use crate::library::FIELDS;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;

/// A fixed "now" (2026-03-10 12:00 UTC) for relative dates.
const NOW: f64 = 1_773_144_000.0;

fn q(s: &str) -> Query {
    parse::parse_words(&[s], NOW, parse::Scope::Tracks).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn err(s: &str) -> String {
    match Query::parse_str(s) {
        Ok(q) => panic!("{s} parsed: {q:?}"),
        Err(e) => e.to_string(),
    }
}

fn one(s: &str) -> Term {
    let q = q(s);
    assert_eq!(q.groups.len(), 1, "{s}");
    assert_eq!(q.groups[0].len(), 1, "{s}");
    q.groups[0][0].clone()
}

fn pred(s: &str) -> Pred {
    one(s).pred
}

fn sub(s: &str) -> TextMatch {
    TextMatch::Substring(s.into())
}

#[test]
fn empty_query_matches_everything() {
    let q = q("   ");
    assert!(q.matches_all());
    let (sql, params) = q.to_sql();
    assert!(
        sql.starts_with("WHERE (1) AND quarantined = 0 AND is_image = 0 ORDER BY "),
        "{sql}"
    );
    assert!(params.is_empty());
    assert!(Query::parse::<String>(&[]).unwrap().matches_all());
}

#[test]
fn bare_words_search_default_fields() {
    assert_eq!(
        pred("bowie"),
        Pred::Text {
            fields: DEFAULT_FIELDS,
            m: sub("bowie")
        }
    );
    let q = q("david bowie");
    assert_eq!(q.groups[0].len(), 2);
    // Separate words and one word with several terms are the same query.
    assert_eq!(
        Query::parse(&["david".to_string(), "bowie".to_string()]).unwrap(),
        Query::parse_str("david bowie").unwrap()
    );
}

#[test]
fn field_forms() {
    assert_eq!(
        pred("artist:bowie"),
        Pred::Text {
            fields: &["artist"],
            m: sub("bowie")
        }
    );
    // Unquoted, a space ends the term: "Bowie" is a second, bare term.
    assert_eq!(q("artist:=David Bowie").groups[0].len(), 2);
    assert_eq!(
        pred(r#"artist:="David Bowie""#),
        Pred::Text {
            fields: &["artist"],
            m: TextMatch::Exact("David Bowie".into())
        }
    );
    assert_eq!(
        pred("artist:=~david"),
        Pred::Text {
            fields: &["artist"],
            m: TextMatch::ExactNoCase("david".into())
        }
    );
    assert_eq!(
        pred(r"title::^\d+$"),
        Pred::Regex {
            field: "title",
            kind: FieldKind::Text,
            pattern: r"^\d+$".into()
        }
    );
    assert_eq!(
        pred("year::^19"),
        Pred::Regex {
            field: "year",
            kind: FieldKind::Int,
            pattern: "^19".into()
        }
    );
    assert_eq!(
        pred("::^a"),
        Pred::Text {
            fields: DEFAULT_FIELDS,
            m: TextMatch::Regex("^a".into())
        }
    );
    assert_eq!(
        pred("Title:x"),
        Pred::Text {
            fields: &["title"],
            m: sub("x")
        }
    );
    assert_eq!(
        pred("title:"),
        Pred::Text {
            fields: &["title"],
            m: sub("")
        }
    );
}

#[test]
fn quotes_make_one_term_and_quoted_operators_are_text() {
    assert_eq!(
        pred(r#"title:"at last""#),
        Pred::Text {
            fields: &["title"],
            m: sub("at last")
        }
    );
    assert_eq!(
        pred("'at last'"),
        Pred::Text {
            fields: DEFAULT_FIELDS,
            m: sub("at last")
        }
    );
    assert_eq!(
        pred(r#""re: stacks""#),
        Pred::Text {
            fields: DEFAULT_FIELDS,
            m: sub("re: stacks")
        }
    );
    assert!(!one(r#""^live""#).negated);
    assert!(!one(r#""-live""#).negated);
    assert_eq!(q(r#"a "," b"#).groups.len(), 1);
    assert!(q(r#""year+""#).sort.is_empty());
    assert_eq!(
        pred(r#"title:"a..b""#),
        Pred::Text {
            fields: &["title"],
            m: sub("a..b")
        }
    );
    // A quoted range is not a range.
    assert_eq!(
        err(r#"year:"1990..1999""#),
        r#"query: year:"1990..1999": expected a number at column 7"#
    );
}

#[test]
fn numeric_ranges() {
    let r = |s: &str| pred(s);
    assert_eq!(
        r("year:1990..1999"),
        Pred::IntRange {
            field: "year",
            lo: Some(1990),
            hi: Some(1999)
        }
    );
    assert_eq!(
        r("year:1990"),
        Pred::IntRange {
            field: "year",
            lo: Some(1990),
            hi: Some(1990)
        }
    );
    assert_eq!(
        r("year:=1990"),
        Pred::IntRange {
            field: "year",
            lo: Some(1990),
            hi: Some(1990)
        }
    );
    assert_eq!(
        r("bitrate:256000.."),
        Pred::IntRange {
            field: "bitrate",
            lo: Some(256_000),
            hi: None
        }
    );
    assert_eq!(
        r("bitrate:..320k"),
        Pred::IntRange {
            field: "bitrate",
            lo: None,
            hi: Some(320_000)
        }
    );
    assert_eq!(
        r("length:..4:30"),
        Pred::FloatRange {
            field: "length",
            lo: None,
            hi: Some(271.0),
            hi_inclusive: false
        }
    );
    assert_eq!(
        r("length:4:30"),
        Pred::FloatRange {
            field: "length",
            lo: Some(270.0),
            hi: Some(271.0),
            hi_inclusive: false
        }
    );
    assert_eq!(
        r("length:1:00:00.."),
        Pred::FloatRange {
            field: "length",
            lo: Some(3600.0),
            hi: None,
            hi_inclusive: false
        }
    );
    assert_eq!(
        r("loudness:-20..-10"),
        Pred::FloatRange {
            field: "loudness",
            lo: Some(-20.0),
            hi: Some(-10.0),
            hi_inclusive: true
        }
    );
    assert_eq!(
        r("loudness:-14"),
        Pred::FloatRange {
            field: "loudness",
            lo: Some(-14.5),
            hi: Some(-13.5),
            hi_inclusive: false
        }
    );
}

#[test]
fn date_ranges() {
    // These hold in any time zone: compare with the parsed periods.
    let day = |s: &str| values::parse_date(s, NOW).unwrap();
    let Pred::TimeRange { field, start, end } = pred("added:2026-01-01..") else {
        panic!()
    };
    assert_eq!(field, "added");
    assert_eq!(start, Some(day("2026-01-01").start));
    assert_eq!(end, None);
    let Pred::TimeRange { start, end, .. } = pred("added:2026-01..2026-03") else {
        panic!()
    };
    assert_eq!(start, Some(day("2026-01-01").start));
    assert_eq!(end, Some(day("2026-04-01").start));
    let Pred::TimeRange { start, end, .. } = pred("mtime:2026-02") else {
        panic!()
    };
    assert_eq!(start, Some(day("2026-02-01").start));
    assert_eq!(end, Some(day("2026-03-01").start));
    let Pred::TimeRange { start, end, .. } = pred("added:-1w..") else {
        panic!()
    };
    assert_eq!(start, Some(day("2026-03-03").start));
    assert_eq!(end, None);
    let Pred::TimeRange { start, end, .. } = pred("added:..-1d") else {
        panic!()
    };
    assert_eq!(start, None);
    assert_eq!(end, Some(day("2026-03-10").start));
}

#[test]
fn negation_or_and_sort() {
    assert!(one("^live").negated);
    assert!(one("-live").negated);
    assert!(one("^year:1990..").negated);
    assert_eq!(
        pred("-live"),
        Pred::Text {
            fields: DEFAULT_FIELDS,
            m: sub("live")
        }
    );
    // A lone - or ^ is text.
    assert!(!one("-").negated);
    let q = q("a b , c , d e f");
    assert_eq!(
        q.groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
        [2, 1, 3]
    );
    let q = super::tests::q("bowie year+ title-");
    assert_eq!(
        q.sort,
        [
            SortKey {
                field: "year",
                descending: false
            },
            SortKey {
                field: "title",
                descending: true
            }
        ]
    );
    assert_eq!(q.groups[0].len(), 1);
    // Not a field: a search for "ac-".
    assert!(super::tests::q("ac-").sort.is_empty());
    assert_eq!(
        Query::parse_sort("year+ title-,  album").unwrap(),
        [
            SortKey {
                field: "year",
                descending: false
            },
            SortKey {
                field: "title",
                descending: true
            },
            SortKey {
                field: "album",
                descending: false
            }
        ]
    );
    assert!(Query::parse_sort("").unwrap().is_empty());
}

#[test]
fn mixtape_fields() {
    assert_eq!(
        pred("format:flac"),
        Pred::Text {
            fields: &["format"],
            m: sub("flac")
        }
    );
    assert_eq!(
        pred("lossless:true"),
        Pred::Bool {
            field: "lossless",
            value: true
        }
    );
    assert_eq!(
        pred("missing:no"),
        Pred::Bool {
            field: "missing",
            value: false
        }
    );
    assert_eq!(pred("error:true"), Pred::HasError(true));
    assert_eq!(pred("error:0"), Pred::HasError(false));
    assert_eq!(
        pred("error:truncated"),
        Pred::Text {
            fields: &["error_kind", "check_kind"],
            m: TextMatch::Exact("truncated".into())
        }
    );
    assert_eq!(
        pred("error:cut"),
        Pred::Text {
            fields: &["error", "check_error"],
            m: sub("cut")
        }
    );
    assert_eq!(
        pred("dupe:true"),
        Pred::Dupe {
            kind: None,
            yes: true
        }
    );
    assert_eq!(
        pred("dupe:Same-Audio"),
        Pred::Dupe {
            kind: Some("same-audio"),
            yes: true
        }
    );
    assert_eq!(
        pred(r#"playlist:"Road trip""#),
        Pred::Playlist {
            name: "Road trip".into(),
            resolved: None
        }
    );
    assert_eq!(
        pred("path:/music/x/"),
        Pred::PathPrefix(b"/music/x".to_vec())
    );
    assert_eq!(
        pred("path:=/music/x/a.mp3"),
        Pred::PathExact(b"/music/x/a.mp3".to_vec())
    );
    assert_eq!(
        pred("file_hash:ABcd"),
        Pred::HashPrefix {
            field: "file_hash",
            hex: "ABCD".into()
        }
    );
    let full = "ab".repeat(32);
    assert_eq!(
        pred(&format!("audio_hash:={full}")),
        Pred::HashExact {
            field: "audio_hash",
            bytes: vec![0xab; 32]
        }
    );
}

#[test]
fn errors_name_the_term_and_column() {
    assert_eq!(
        err("year:19x0.."),
        "query: year:19x0..: expected a number at column 6"
    );
    assert_eq!(
        err("bowie year:1990..19x9"),
        "query: year:1990..19x9: expected a number at column 12"
    );
    assert_eq!(
        err("yaer:1990"),
        "query: yaer:1990: unknown field 'yaer' (did you mean 'year'?) at column 1"
    );
    assert_eq!(
        err("^artst:x"),
        "query: ^artst:x: unknown field 'artst' (did you mean 'artist'?) at column 2"
    );
    assert_eq!(
        err(r#"a title:"at last"#),
        r#"query: title:"at last: unbalanced quote (") at column 7"#
    );
    assert_eq!(
        err("year:1999..1990"),
        "query: year:1999..1990: empty range (1999 is above 1990) at column 6"
    );
    assert_eq!(
        err("year:.."),
        "query: year:..: a range needs a start, an end, or both at column 6"
    );
    assert_eq!(
        err("year:1.5"),
        "query: year:1.5: expected a whole number at column 6"
    );
    assert_eq!(
        err("year:=1..2"),
        "query: year:=1..2: a range cannot be combined with ':=' (use field:lo..hi) at column 8"
    );
    assert_eq!(err("year:"), "query: year:: expected a value at column 6");
    assert_eq!(
        err("title::a(b"),
        "query: title::a(b: invalid regular expression: unclosed group at column 8"
    );
    assert_eq!(
        err("length:..4:3x"),
        "query: length:..4:3x: expected a duration (m:ss, h:mm:ss or seconds) at column 10"
    );
    assert_eq!(
        err("added:2026-02-30.."),
        "query: added:2026-02-30..: day out of range at column 7"
    );
    assert_eq!(
        err("added:2026-03..2026-01"),
        "query: added:2026-03..2026-01: empty date range (the start is after the end) at column 7"
    );
    assert_eq!(
        err("lossless:maybe"),
        "query: lossless:maybe: expected true or false at column 10"
    );
    assert_eq!(
        err("dupe:perhaps"),
        "query: dupe:perhaps: expected true, false or a duplicate kind (keeper, exact, same-audio, same-recording, same-tags) at column 6"
    );
    assert_eq!(
        err("playlist:"),
        "query: playlist:: expected a playlist name at column 10"
    );
    assert_eq!(
        err("file_hash:xyz"),
        "query: file_hash:xyz: expected hexadecimal digits (up to 64) at column 11"
    );
    assert_eq!(err("path:"), "query: path:: expected a path at column 6");
    assert_eq!(
        err(", a"),
        "query: ,: ',' (or) needs a term before it at column 1"
    );
    assert_eq!(
        err("a , , b"),
        "query: ,: ',' (or) needs a term before it at column 1"
    );
    assert_eq!(
        err("a ,"),
        "query: ,: ',' (or) needs a term after it at column 1"
    );
    assert_eq!(
        Query::parse_sort("year+ nope-").unwrap_err().to_string(),
        "query: --sort year+ nope-: unknown field 'nope' at column 14"
    );
    assert_eq!(
        Query::parse_sort("dupe").unwrap_err().to_string(),
        "query: --sort dupe: cannot sort by 'dupe' at column 8"
    );
    // Issue 17: a sort key is never a text search, so no hint about ':'.
    assert_eq!(
        Query::parse_sort("badfield").unwrap_err().to_string(),
        "query: --sort badfield: unknown field 'badfield' at column 8"
    );
    // A negation of nothing.
    assert_eq!(
        err("^"),
        "query: ^: '^' excludes the term after it, and none follows at column 1"
    );
    assert_eq!(
        err("artist:x ^"),
        "query: ^: '^' excludes the term after it, and none follows at column 1"
    );
}

/// A small library on disk with a few rows (including NULLs and a
/// non-UTF-8 path) and a static and a smart playlist.
fn sample_library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(&dir.path().join("lib.db")).unwrap();
    lib.conn()
        .execute_batch(
            "INSERT INTO tracks (path, size, mtime, added, scanned, title, artist, year, length, genre)
               VALUES (CAST('/m/a.flac' AS BLOB), 1, 0, 0, 0, 'Ça va', 'Björk', 1993, 200.5, 'Pop');
             INSERT INTO tracks (path, size, mtime, added, scanned)
               VALUES (X'2F6D2F63E92E6D7033', 1, 0, 0, 0);
             INSERT INTO tracks (path, size, mtime, added, scanned, title, error, file_hash)
               VALUES (CAST('/m/x/b.mp3' AS BLOB), 1, 0, 0, 0, '100%', 'bad', zeroblob(32));
             INSERT INTO playlists (name, query, created, modified) VALUES ('s', NULL, 0, 0);
             INSERT INTO playlists (name, query, created, modified) VALUES ('smart', 'year:1990..', 0, 0);
             INSERT INTO playlist_entries (playlist_id, position, track_id) VALUES (1, 0, 2);
             INSERT INTO dupe_members (track_id, group_id, kind) VALUES (3, 1, 'exact');",
        )
        .unwrap();
    (dir, lib)
}

fn ids(lib: &Library, s: &str) -> Vec<i64> {
    Query::parse_str(s).unwrap().track_ids(lib).unwrap()
}

/// A result too large to sort in memory is sorted by SQLite, in the same
/// order.
#[test]
fn large_results_stream_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(&dir.path().join("lib.db")).unwrap();
    let words = ["abba", "ABBA", "Åsa", "zz", "", "beta", "Beta"];
    for i in 0..60i64 {
        let pick = |k: i64| (i * 7 + k * 3) % 9;
        let text = |k: i64| words.get(pick(k) as usize).map(|w| w.to_string());
        lib.conn()
            .execute(
                "INSERT INTO tracks (path, size, mtime, added, scanned, title, artist, albumartist,
                 album, year, track, length, genre, comp, bpm)
                 VALUES (?1, 1, 0, 0, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                rusqlite::params![
                    format!("/m/{}/{i:02}.flac", pick(5)).into_bytes(),
                    text(1),
                    text(2),
                    text(3),
                    text(4),
                    (pick(6) < 7).then_some(1990 + pick(6) * 5),
                    (pick(7) < 8).then_some(pick(7)),
                    100.0 + pick(8) as f64 * 10.5,
                    if i % 2 == 0 { "Rock" } else { "pop" },
                    i % 3 == 0,
                    (i % 4 != 0).then_some(i % 5),
                ],
            )
            .unwrap();
    }
    for (text, sort) in [
        ("", ""),
        ("", "year- title+"),
        ("year:..2000 , genre:rock", "artist+ length-"),
        ("^comp:true", "bpm+ path-"),
    ] {
        let mut q = Query::parse_str(text).unwrap();
        q.set_sort(Query::parse_sort(sort).unwrap());
        let in_memory = q.track_ids(&lib).unwrap();
        assert!(in_memory.len() > 10, "{text:?}");
        let mut streamed = Vec::new();
        q.sorted_rows_within(
            &lib,
            "id",
            |r| r.get::<_, i64>(0),
            |id| {
                streamed.push(id);
                Ok::<_, Error>(())
            },
            5,
        )
        .unwrap();
        assert_eq!(streamed, in_memory, "{text:?} sorted by {sort:?}");
    }
}

#[test]
fn sql_runs_and_matches() {
    let (_d, lib) = sample_library();
    assert_eq!(ids(&lib, ""), [1, 2, 3]);
    assert_eq!(ids(&lib, "björk"), [1]);
    assert_eq!(ids(&lib, "ÇA"), [1]);
    assert_eq!(ids(&lib, "%"), [3]);
    assert_eq!(ids(&lib, "^björk"), [2, 3]);
    assert_eq!(ids(&lib, "path:/m/x"), [3]);
    assert_eq!(ids(&lib, "path::^/m/c"), [2]);
    assert_eq!(ids(&lib, "year::3$"), [1]);
    assert_eq!(ids(&lib, "length:3:20"), [1]);
    assert_eq!(ids(&lib, "error:true"), [3]);
    assert_eq!(ids(&lib, "dupe:true"), [3]);
    assert_eq!(ids(&lib, "dupe:exact"), [3]);
    assert_eq!(ids(&lib, "^dupe:true"), [1, 2]);
    assert_eq!(ids(&lib, "playlist:S"), [2]);
    assert_eq!(ids(&lib, "playlist:smart , playlist:s"), [1, 2]);
    assert_eq!(ids(&lib, "file_hash:0000"), [3]);
    assert_eq!(ids(&lib, &format!("file_hash:={}", "0".repeat(64))), [3]);
    assert_eq!(ids(&lib, "file_hash::^0+$"), [3]);
    assert_eq!(ids(&lib, "title:- , genre:pop"), [1]);
    assert_eq!(ids(&lib, "title-"), [1, 3, 2]);
    // Without resolve, a smart playlist matches nothing rather than failing.
    let (sql, params) = Query::parse_str("playlist:smart").unwrap().to_sql();
    assert!(lib.tracks_where(&sql, &params).unwrap().is_empty());
}

#[test]
fn user_text_only_travels_as_parameters() {
    let (_d, lib) = sample_library();
    let evil = r#"title:"x'); DROP TABLE tracks; --" ^'a"b' year:1..2 path:"/it's" playlist:"p'q""#;
    let q = Query::parse_str(evil).unwrap();
    let (sql, params) = q.to_sql();
    for bad in ["DROP", "x'", "it's", "p'q", "a\"b"] {
        assert!(!sql.contains(bad), "{bad} spliced into {sql}");
    }
    assert!(params.len() >= 5);
    assert!(lib.tracks_where(&sql, &params).unwrap().is_empty());
    assert_eq!(ids(&lib, ""), [1, 2, 3]);
}

#[test]
fn resolve_detects_loops_and_unknown_playlists() {
    let (_d, lib) = sample_library();
    lib.conn()
        .execute_batch(
            "INSERT INTO playlists (name, query, created, modified) VALUES ('a', 'playlist:b', 0, 0);
             INSERT INTO playlists (name, query, created, modified) VALUES ('b', 'x , playlist:A', 0, 0);
             INSERT INTO playlists (name, query, created, modified) VALUES ('self', 'playlist:self', 0, 0);",
        )
        .unwrap();
    let e = |s: &str| {
        Query::parse_str(s)
            .unwrap()
            .tracks(&lib)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e("playlist:a"),
        "query: playlist:a: smart playlist refers to itself (a -> b -> a)"
    );
    assert_eq!(
        e("playlist:self"),
        "query: playlist:self: smart playlist refers to itself (self -> self)"
    );
    assert_eq!(
        e("playlist:zz"),
        "query: playlist:zz: no playlist named 'zz'"
    );
}

/// Words that make parsing go deep: field names, operators, values of
/// every shape, quotes and separators.
fn query_like() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just(String::new()),
        proptest::sample::select(
            FIELDS
                .iter()
                .map(|f| f.name.to_string())
                .chain(["dupe", "playlist", "nope", "YEAR"].map(String::from))
                .collect::<Vec<_>>()
        ),
    ];
    let op = proptest::sample::select(vec!["", ":", ":", ":=", "::", ":=~", ":::"]);
    let value = prop_oneof![
        "[-+0-9.:kMGTtdwmy]{0,12}",
        "[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2}(T[0-9]{1,2}(:[0-9]{2})?)?)?)?(\\.\\.[-0-9a-z:]{0,10})?",
        "[a-zA-Zé%_\\\\*()\\[\\]^$.+?|{}]{0,10}",
        "[\"' ,^-]{0,4}[a-z]{0,4}[\"']?",
        "/[a-z/.~]{0,12}",
        "(true|false|yes|no|keeper|same-audio|maybe)",
    ];
    let term = (
        proptest::sample::select(vec!["", "", "^", "-", "\""]),
        field,
        op,
        value,
        proptest::sample::select(vec!["", "", "+", "-", "\"", "'"]),
    )
        .prop_map(|(neg, f, o, v, tail)| format!("{neg}{f}{o}{v}{tail}"));
    proptest::collection::vec(
        prop_oneof![term, Just(",".to_string()), Just("\"a , b\"".to_string())],
        0..6,
    )
    .prop_map(|ws| ws.join(" "))
}

/// Parse `s`; if it parses, its SQL must prepare and run, and resolving its
/// playlists must succeed or fail cleanly.
fn check_never_panics(lib: &Library, s: &str) -> Result<(), TestCaseError> {
    let _ = Query::parse_sort(s);
    let words: Vec<&str> = s.split(' ').collect();
    let _ = Query::parse(&words);
    let Ok(q) = Query::parse_str(s) else {
        return Ok(());
    };
    let (sql, params) = q.to_sql();
    lib.tracks_where(&sql, &params)
        .map_err(|e| TestCaseError::fail(format!("{s:?} -> {sql}: {e}")))?;
    let _ = q.tracks(lib);
    Ok(())
}

fn run_fuzz(cases: u32) -> u32 {
    let (_d, lib) = sample_library();
    let n = Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&any::<String>(), |s| {
            n.set(n.get() + 1);
            check_never_panics(&lib, &s)
        })
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&query_like(), |s| {
            n.set(n.get() + 1);
            check_never_panics(&lib, &s)
        })
        .unwrap();
    n.get()
}

#[test]
fn arbitrary_input_never_panics() {
    run_fuzz(800);
}

/// The long run, for a fixed time: `MIXTAPE_FUZZ_SECS=330 cargo test --lib
/// query::tests::fuzz_long -- --ignored --nocapture`. Batches of fresh
/// random cases (both strategies) run until the time is up; the total
/// number of cases is printed.
#[test]
#[ignore]
fn fuzz_long() {
    let secs: u64 = std::env::var("MIXTAPE_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(330);
    let t = std::time::Instant::now();
    let mut n = 0u64;
    while t.elapsed().as_secs() < secs {
        n += u64::from(run_fuzz(2_000));
    }
    eprintln!(
        "query fuzz: {n} cases without a panic in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

proptest! {
    #![proptest_config(Config { cases: 500, failure_persistence: None, ..Config::default() })]

    /// Numbers round-trip through ranges.
    #[test]
    fn int_ranges_round_trip(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
        let (lo, hi) = (a.min(b), a.max(b));
        let p = pred(&format!("year:{lo}..{hi}"));
        prop_assert_eq!(p, Pred::IntRange { field: "year", lo: Some(lo), hi: Some(hi) });
    }

    /// Any text survives quoting as a value (with quotes escaped).
    #[test]
    fn quoted_values_are_taken_literally(s in "[^\"\\\\]{0,20}") {
        let p = pred(&format!("title:\"{s}\""));
        prop_assert_eq!(p, Pred::Text { fields: &["title"], m: TextMatch::Substring(s) });
    }
}

#[test]
fn parse_accepts_a_vec_of_strings() {
    let words: Vec<String> = vec!["artist:bowie".into(), "year:1972".into()];
    assert_eq!(Query::parse(&words).unwrap().groups[0].len(), 2);
}

/// `genres` and `artists` match when any one of their values does, in
/// every text form; a track without values matches none and counts as not
/// matching under negation.
#[test]
fn multi_valued_fields_match_any_value() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(&dir.path().join("lib.db")).unwrap();
    lib.conn()
        .execute_batch(
            r#"INSERT INTO tracks (path, size, mtime, added, scanned, genre, genres, artists)
                 VALUES (CAST('/m/1' AS BLOB), 1, 0, 0, 0, 'Rock', '["Rock","Trip Hop"]', '["A","Björk"]');
               INSERT INTO tracks (path, size, mtime, added, scanned, genre, genres)
                 VALUES (CAST('/m/2' AS BLOB), 1, 0, 0, 0, 'Hop', '["Hop"]');
               INSERT INTO tracks (path, size, mtime, added, scanned)
                 VALUES (CAST('/m/3' AS BLOB), 1, 0, 0, 0);"#,
        )
        .unwrap();
    assert_eq!(ids(&lib, "genres:hop"), [1, 2]);
    assert_eq!(ids(&lib, "genres:=Hop"), [2]);
    assert_eq!(ids(&lib, "genres:=~\"trip hop\""), [1]);
    assert_eq!(ids(&lib, "genres::^Trip"), [1]);
    assert_eq!(ids(&lib, "genre:trip"), Vec::<i64>::new());
    assert_eq!(ids(&lib, "artists:björk"), [1]);
    assert_eq!(ids(&lib, "artists:BJÖRK"), [1]);
    assert_eq!(ids(&lib, "genres:"), [1, 2]);
    assert_eq!(ids(&lib, "^genres:rock"), [2, 3]);
    let t = &lib.tracks_where("WHERE id = 1", &[]).unwrap()[0];
    assert_eq!(t.tags.genres, ["Rock", "Trip Hop"]);
    assert_eq!(
        t.field("genres").map(|v| v.to_string()).as_deref(),
        Some("Rock; Trip Hop")
    );
    assert_eq!(t.to_json()["artists"], serde_json::json!(["A", "Björk"]));
}
