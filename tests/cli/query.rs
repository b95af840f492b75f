//! Integration tests for the query language through `mixtape ls`.
//!
//! The fixture library is built by inserting rows straight into a library
//! created with `mixtape::Library::open` (the query does not care how rows
//! got there), then the real binary runs `ls` with every query form and the
//! exact titles, in order, are compared. The binary runs with `TZ=UTC` so
//! date queries are deterministic.

use std::process::{Command, Stdio};

use rusqlite::types::Value;

use crate::support::*;

const DAY: f64 = 86_400.0;

/// 2026-01-15 12:00 UTC etc., as Unix seconds.
const JAN_15: f64 = 1_768_478_400.0;
const FEB_20: f64 = 1_771_588_800.0;
const MAR_31_23H: f64 = 1_774_998_000.0;
const JUN_2025: f64 = 1_748_779_200.0;
const JAN_2024: f64 = 1_704_110_400.0;

fn now() -> f64 {
    mixtape::library::now()
}

/// One fixture row: column name and value.
type Row = Vec<(&'static str, Value)>;

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}
fn i(v: i64) -> Value {
    Value::Integer(v)
}
fn r(v: f64) -> Value {
    Value::Real(v)
}
fn b(s: &[u8]) -> Value {
    Value::Blob(s.to_vec())
}

/// Insert rows into the library at `env.library` (created if needed).
/// `size`, `mtime`, `added` and `scanned` get defaults; `mtime` defaults
/// to `added`.
fn insert(env: &TestEnv, rows: &[Row]) -> Vec<i64> {
    let mut lib = db(env);
    let tx = lib.transaction().unwrap();
    let mut ids = Vec::new();
    for row in rows {
        let mut cols: Vec<&str> = row.iter().map(|(c, _)| *c).collect();
        let mut vals: Vec<Value> = row.iter().map(|(_, v)| v.clone()).collect();
        let added = row
            .iter()
            .find(|(c, _)| *c == "added")
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Real(JAN_2024));
        for (c, v) in [
            ("size", Value::Integer(1000)),
            ("added", added.clone()),
            ("mtime", added.clone()),
            ("scanned", added),
        ] {
            if !cols.contains(&c) {
                cols.push(c);
                vals.push(v);
            }
        }
        let marks: Vec<String> = (1..=cols.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "INSERT INTO tracks ({}) VALUES ({})",
            cols.join(", "),
            marks.join(", ")
        );
        tx.execute(&sql, rusqlite::params_from_iter(vals.iter()))
            .unwrap();
        ids.push(tx.last_insert_rowid());
    }
    tx.commit().unwrap();
    ids
}

/// Run SQL against the fixture library (playlists, dupes).
fn exec(env: &TestEnv, sql: &str, params: &[Value]) {
    let lib = db(env);
    lib.execute(sql, rusqlite::params_from_iter(params.iter()))
        .unwrap();
}

/// The fixture: 13 tracks whose titles are unique (the tests compare titles).
fn fixture() -> TestEnv {
    let env = TestEnv::new();
    let recent = now() - 2.0 * DAY;
    let bowie = |title: &str, album: &str, year: i64, track: i64, path: &str| -> Row {
        vec![
            ("title", t(title)),
            ("artist", t("David Bowie")),
            ("album", t(album)),
            ("year", i(year)),
            ("track", i(track)),
            ("path", b(path.as_bytes())),
        ]
    };
    let mut a = bowie(
        "Changes",
        "Hunky Dory",
        1971,
        1,
        "/music/bowie/hunky/01 Changes.flac",
    );
    a.extend([
        ("albumartist", t("David Bowie")),
        ("disc", i(1)),
        ("genre", t("Rock")),
        ("format", t("flac")),
        ("lossless", i(1)),
        ("length", r(213.4)),
        ("bitrate", i(900_000)),
        ("added", r(JAN_15)),
    ]);
    let mut bb = bowie(
        "Oh! You Pretty Things",
        "Hunky Dory",
        1971,
        2,
        "/music/bowie/hunky/02.flac",
    );
    bb.extend([
        ("albumartist", t("David Bowie")),
        ("disc", i(1)),
        ("genre", t("Rock")),
        ("format", t("flac")),
        ("lossless", i(1)),
        ("length", r(192.5)),
        ("bitrate", i(880_000)),
        ("added", r(JAN_15)),
    ]);
    let ziggy = "The Rise and Fall of Ziggy Stardust";
    let mut c = bowie("Five Years", ziggy, 1972, 1, "/music/bowie/ziggy/01.mp3");
    c.extend([
        ("genre", t("Glam Rock")),
        ("format", t("mp3")),
        ("lossless", i(0)),
        ("length", r(282.0)),
        ("bitrate", i(320_000)),
        ("added", r(FEB_20)),
    ]);
    let mut d = bowie("Starman", ziggy, 1972, 4, "/music/bowie/ziggy/04.mp3");
    d.extend([
        ("genre", t("Glam Rock")),
        ("format", t("mp3")),
        ("lossless", i(0)),
        ("length", r(254.9)),
        ("bitrate", i(256_000)),
        ("comments", t("single edit")),
        ("added", r(FEB_20)),
    ]);
    let mut e = bowie(
        "Changes (Live)",
        "Live Santa Monica '72",
        1972,
        9,
        "/music/bowie/live/09.mp3",
    );
    e.extend([
        ("genre", t("Rock")),
        ("format", t("mp3")),
        ("lossless", i(0)),
        ("length", r(215.0)),
        ("bitrate", i(192_000)),
        ("comments", t("live")),
        ("added", r(MAR_31_23H)),
    ]);
    let rows = vec![
        a,
        bb,
        c,
        d,
        e,
        vec![
            ("title", t("At Last")),
            ("artist", t("Etta James")),
            ("album", t("At Last!")),
            ("year", i(1960)),
            ("track", i(1)),
            ("genre", t("Soul")),
            ("format", t("flac")),
            ("lossless", i(1)),
            ("length", r(180.0)),
            ("bitrate", i(700_000)),
            ("added", r(JUN_2025)),
            ("path", b(b"/music/etta/At Last.flac")),
        ],
        vec![
            ("title", t("Human Behaviour")),
            ("artist", t("Björk")),
            ("album", t("Debut")),
            ("year", i(1993)),
            ("track", i(1)),
            ("genre", t("Electronic")),
            ("format", t("vorbis")),
            ("lossless", i(0)),
            ("length", r(252.0)),
            ("bitrate", i(160_000)),
            ("added", r(recent)),
            ("path", b("/music/björk/debut/01.ogg".as_bytes())),
        ],
        vec![
            ("title", t("La Vie en rose")),
            ("artist", t("ÉDITH PIAF")),
            ("album", t("Best of")),
            ("year", i(1947)),
            ("track", i(3)),
            ("genre", t("Chanson")),
            ("format", t("flac")),
            ("lossless", i(1)),
            ("length", r(186.0)),
            ("bitrate", i(600_000)),
            ("check_error", t("decode error at 1:02")),
            ("added", r(recent)),
            ("path", b(b"/music/misc/piaf.flac")),
        ],
        vec![
            ("title", t("100% Pure_Love")),
            ("artist", t("Crystal Waters")),
            ("album", t("Storyteller")),
            ("year", i(1994)),
            ("track", i(2)),
            ("genre", t("House")),
            ("format", t("mp3")),
            ("lossless", i(0)),
            ("length", r(301.0)),
            ("bitrate", i(128_000)),
            ("missing", i(1)),
            ("added", r(recent)),
            ("path", b(b"/music/misc/100%.mp3")),
        ],
        vec![
            ("title", t("X Track")),
            ("format", t("mp3")),
            ("lossless", i(0)),
            ("length", r(60.0)),
            ("bitrate", i(128_000)),
            ("path", b(b"/music/x/a.mp3")),
        ],
        vec![
            ("title", t("Re: XY")),
            ("artist", t("The XY")),
            ("year", i(2001)),
            ("format", t("mp3")),
            ("lossless", i(0)),
            ("length", r(61.0)),
            ("bitrate", i(128_000)),
            ("path", b(b"/music/xy/b.mp3")),
        ],
        vec![
            ("title", t("Broken")),
            ("error", t("truncated file")),
            ("error_kind", t("truncated")),
            ("path", b(b"/music/broken.mp3")),
        ],
        vec![
            ("title", t("Café")),
            ("artist", t("Zaz")),
            ("album", t("Zaz")),
            ("year", i(2010)),
            ("genre", t("Chanson")),
            ("format", t("mp3")),
            ("lossless", i(0)),
            ("length", r(200.0)),
            ("bitrate", i(192_000)),
            ("path", b(b"/music/caf\xe9/z.mp3")),
        ],
    ];
    let ids = insert(&env, &rows);
    let id = |title: &str| -> Value {
        let k = rows
            .iter()
            .position(|row| row.iter().any(|(c, v)| *c == "title" && *v == t(title)))
            .unwrap();
        Value::Integer(ids[k])
    };
    // Duplicates: At Last (keeper) and Changes (exact), group 1.
    exec(
        &env,
        "INSERT INTO dupe_members (track_id, group_id, kind) VALUES (?1, 1, 'keeper'), (?2, 1, 'exact')",
        &[id("At Last"), id("Changes")],
    );
    // Playlists: static "Wedding"; smart ones, one nesting others, two in a loop.
    let pl = |name: &str, query: Option<&str>| {
        exec(
            &env,
            "INSERT INTO playlists (name, query, created, modified) VALUES (?1, ?2, 0, 0)",
            &[t(name), query.map(t).unwrap_or(Value::Null)],
        )
    };
    pl("Wedding", None);
    pl("Bowie 72", Some("artist:bowie year:1972 title-"));
    pl("Nested", Some(r#"playlist:"bowie 72" , playlist:wedding"#));
    pl("Loop", Some("playlist:loop2"));
    pl("Loop2", Some("bowie playlist:Loop"));
    pl("Broken query", Some("year:19x0"));
    for (pos, title) in ["At Last", "La Vie en rose", "Changes"].iter().enumerate() {
        exec(
            &env,
            "INSERT INTO playlist_entries (playlist_id, position, track_id) \
             SELECT id, ?1, ?2 FROM playlists WHERE name = 'Wedding'",
            &[i(pos as i64), id(title)],
        );
    }
    env
}

/// Every title, in the default order.
const ALL: &[&str] = &[
    "Human Behaviour",
    "100% Pure_Love",
    "Changes",
    "Oh! You Pretty Things",
    "Changes (Live)",
    "Five Years",
    "Starman",
    "At Last",
    "Re: XY",
    "Café",
    "La Vie en rose",
    "Broken",
    "X Track",
];

fn mixtape(env: &TestEnv) -> Command {
    let mut c = env.cmd();
    c.env("TZ", "UTC");
    c
}

/// `mixtape ls ARGS --format $title`: the titles, in order.
#[track_caller]
fn titles(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let out: Run = mixtape(env)
        .arg("ls")
        .args(args)
        .args(["--format", "$title"])
        .output()
        .unwrap()
        .into();
    let out = out.ok();
    out.lines().iter().map(|s| s.to_string()).collect()
}

/// The titles of ALL except `excluded`, in the default order.
fn all_but(excluded: &[&str]) -> Vec<String> {
    ALL.iter()
        .filter(|t| !excluded.contains(t))
        .map(|s| s.to_string())
        .collect()
}

#[track_caller]
fn check(env: &TestEnv, args: &[&str], want: &[&str]) {
    assert_eq!(titles(env, args), want, "ls {args:?}");
}

/// `mixtape ls ARGS`: exit code 1 and exactly this message.
#[track_caller]
fn check_error(env: &TestEnv, args: &[&str], message: &str) {
    let out: Run = mixtape(env).arg("ls").args(args).output().unwrap().into();
    out.expect_code(1)
        .assert_stdout("")
        .assert_stderr(&format!("mixtape: {message}\n"));
}

const BOWIE: &[&str] = &[
    "Changes",
    "Oh! You Pretty Things",
    "Changes (Live)",
    "Five Years",
    "Starman",
];

#[test]
fn query_all_tracks_in_default_order() {
    let env = fixture();
    check(&env, &[], ALL);
}

#[test]
fn query_bare_words_search_the_default_fields() {
    let env = fixture();
    check(&env, &["bowie"], BOWIE);
    check(&env, &["BoWiE"], BOWIE);
    // genre
    check(&env, &["glam"], &["Five Years", "Starman"]);
    // comments, album and title
    check(&env, &["live"], &["Changes (Live)"]);
    check(&env, &["edit"], &["Starman"]);
    // two words: AND, also inside one argument
    check(&env, &["bowie", "changes"], &["Changes", "Changes (Live)"]);
    check(&env, &["bowie changes"], &["Changes", "Changes (Live)"]);
    // the path is not a default field
    check(&env, &["hunky/02"], &[]);
}

#[test]
fn query_quoted_phrases_are_one_term() {
    let env = fixture();
    check(&env, &["love pure"], &["100% Pure_Love"]);
    check(&env, &[r#""love pure""#], &[]);
    check(&env, &[r#""pure_love""#], &["100% Pure_Love"]);
    check(&env, &[r#"title:"at last""#], &["At Last"]);
    check(&env, &["title:'at last'"], &["At Last"]);
    // A quoted colon is text, not a field separator.
    check(&env, &[r#""re: xy""#], &["Re: XY"]);
    check(&env, &[r#"re": xy""#], &["Re: XY"]);
}

#[test]
fn query_like_wildcards_are_escaped() {
    let env = fixture();
    check(&env, &["%"], &["100% Pure_Love"]);
    check(&env, &["_"], &["100% Pure_Love"]);
    check(&env, &["title:100%"], &["100% Pure_Love"]);
    check(&env, &[r"title:\"], &[]);
}

#[test]
fn query_non_ascii_is_case_insensitive() {
    let env = fixture();
    check(&env, &["björk"], &["Human Behaviour"]);
    check(&env, &["BJÖRK"], &["Human Behaviour"]);
    check(&env, &["artist:édith"], &["La Vie en rose"]);
    check(&env, &["piaf"], &["La Vie en rose"]);
    check(&env, &["CAFÉ"], &["Café"]);
    check(&env, &["artist:=~édith piaf"], &[]);
    check(&env, &[r#"artist:=~"édith piaf""#], &["La Vie en rose"]);
}

#[test]
fn query_field_substring_exact_and_regex() {
    let env = fixture();
    check(&env, &["artist:bowie"], BOWIE);
    check(&env, &["title:changes"], &["Changes", "Changes (Live)"]);
    check(&env, &["title:=Changes"], &["Changes"]);
    check(&env, &["title:=changes"], &[]);
    check(&env, &["title:=~changes"], &["Changes"]);
    check(&env, &["title::^Ch.*s$"], &["Changes"]);
    check(&env, &["title::(?i)^ch"], &["Changes", "Changes (Live)"]);
    check(&env, &[r"title::\d"], &["100% Pure_Love"]);
    check(
        &env,
        &["year::^19[67]"],
        &[
            "Changes",
            "Oh! You Pretty Things",
            "Changes (Live)",
            "Five Years",
            "Starman",
            "At Last",
        ],
    );
    // Field names are case-insensitive; an empty field means the default ones.
    check(&env, &["ARTIST:bowie"], BOWIE);
    check(&env, &[":=Starman"], &["Starman"]);
    // `field:` with nothing after it: the field is set.
    check(&env, &["comments:"], &["Changes (Live)", "Starman"]);
}

#[test]
fn query_numeric_ranges() {
    let env = fixture();
    check(
        &env,
        &["year:1972"],
        &["Changes (Live)", "Five Years", "Starman"],
    );
    check(&env, &["year:=1971"], &["Changes", "Oh! You Pretty Things"]);
    check(&env, &["year:1970..1979"], BOWIE);
    check(
        &env,
        &["year:1990.."],
        &["Human Behaviour", "100% Pure_Love", "Re: XY", "Café"],
    );
    check(&env, &["year:..1960"], &["At Last", "La Vie en rose"]);
    let high = &[
        "Changes",
        "Oh! You Pretty Things",
        "Five Years",
        "Starman",
        "At Last",
        "La Vie en rose",
    ];
    check(&env, &["bitrate:256000.."], high);
    check(&env, &["bitrate:256k.."], high);
    check(
        &env,
        &["bitrate:..128k"],
        &["100% Pure_Love", "Re: XY", "X Track"],
    );
}

#[test]
fn query_duration_ranges() {
    let env = fixture();
    check(
        &env,
        &["length:..4:30"],
        &[
            "Human Behaviour",
            "Changes",
            "Oh! You Pretty Things",
            "Changes (Live)",
            "Starman",
            "At Last",
            "Re: XY",
            "Café",
            "La Vie en rose",
            "X Track",
        ],
    );
    // A single duration is the second it names: 4:14 is 254.0 up to 254.999.
    check(&env, &["length:4:14"], &["Starman"]);
    check(&env, &["length:3:33"], &["Changes"]);
    check(&env, &["length:4:40..5:00"], &["Five Years"]);
    check(&env, &["length:300.."], &["100% Pure_Love"]);
    check(&env, &["length:1:00..0:01:01"], &["Re: XY", "X Track"]);
}

#[test]
fn query_date_ranges() {
    let env = fixture();
    check(
        &env,
        &["added:2026-01..2026-03"],
        &[
            "Changes",
            "Oh! You Pretty Things",
            "Changes (Live)",
            "Five Years",
            "Starman",
        ],
    );
    check(&env, &["added:2026-02"], &["Five Years", "Starman"]);
    check(
        &env,
        &["added:2026-01-15"],
        &["Changes", "Oh! You Pretty Things"],
    );
    check(&env, &["added:2026-03-31T23"], &["Changes (Live)"]);
    check(
        &env,
        &["added:2026-01-01.."],
        &[
            "Human Behaviour",
            "100% Pure_Love",
            "Changes",
            "Oh! You Pretty Things",
            "Changes (Live)",
            "Five Years",
            "Starman",
            "La Vie en rose",
        ],
    );
    check(
        &env,
        &["added:-1w.."],
        &["Human Behaviour", "100% Pure_Love", "La Vie en rose"],
    );
    check(
        &env,
        &["added:..2025"],
        &["At Last", "Re: XY", "Café", "Broken", "X Track"],
    );
    check(
        &env,
        &["mtime:..2024"],
        &["Re: XY", "Café", "Broken", "X Track"],
    );
}

#[test]
fn query_negation_counts_missing_tags_as_not_matching() {
    let env = fixture();
    let not_bowie = all_but(BOWIE);
    check(
        &env,
        &["^bowie"],
        &not_bowie.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    );
    // `-term` needs `--` in front, or it reads as an option.
    let out: Run = mixtape(&env)
        .args(["ls", "--format", "$title", "--", "-bowie"])
        .output()
        .unwrap()
        .into();
    assert_eq!(out.ok().lines(), not_bowie);
    check(
        &env,
        &["bowie", "^year:1972"],
        &["Changes", "Oh! You Pretty Things"],
    );
    check(
        &env,
        &["bowie ^live ^title:oh"],
        &["Changes", "Five Years", "Starman"],
    );
    // A quoted ^ is text.
    check(&env, &[r#""^bowie""#], &[]);
}

#[test]
fn query_comma_is_or_between_groups() {
    let env = fixture();
    check(
        &env,
        &["year:1960", ",", "year:1993"],
        &["Human Behaviour", "At Last"],
    );
    check(
        &env,
        &["bowie year:1972 , piaf"],
        &["Changes (Live)", "Five Years", "Starman", "La Vie en rose"],
    );
    // A quoted comma is text.
    check(&env, &["bowie", "\",\"", "piaf"], &[]);
}

#[test]
fn query_path_is_a_folder_prefix() {
    let env = fixture();
    check(&env, &["path:/music/x"], &["X Track"]);
    check(&env, &["path:/music/x/"], &["X Track"]);
    check(
        &env,
        &["path:/music/bowie/hunky"],
        &["Changes", "Oh! You Pretty Things"],
    );
    check(
        &env,
        &[r#"path:"/music/bowie/hunky/01 Changes.flac""#],
        &["Changes"],
    );
    check(&env, &["path:=/music/misc/100%.mp3"], &["100% Pure_Love"]);
    check(&env, &["path:/music/misc/100"], &[]);
    check(&env, &["path::ziggy/0[14]"], &["Five Years", "Starman"]);
    check(&env, &["path:/music/bowie/../etta"], &["At Last"]);
}

#[test]
fn query_sorting() {
    let env = fixture();
    let want = &[
        "Oh! You Pretty Things",
        "Changes",
        "Starman",
        "Five Years",
        "Changes (Live)",
    ];
    check(&env, &["artist:bowie", "--sort", "year+ title-"], want);
    check(&env, &["artist:bowie year+ title-"], want);
    check(&env, &["artist:bowie", "year+", "title-"], want);
    // --sort replaces sort terms of the query.
    check(
        &env,
        &["artist:bowie title-", "--sort", "year+,title-"],
        want,
    );
    // Missing values sort last both ways; ties fall back to the default order.
    check(
        &env,
        &["--sort", "year-"],
        &[
            "Café",
            "Re: XY",
            "100% Pure_Love",
            "Human Behaviour",
            "Changes (Live)",
            "Five Years",
            "Starman",
            "Changes",
            "Oh! You Pretty Things",
            "At Last",
            "La Vie en rose",
            "Broken",
            "X Track",
        ],
    );
    check(
        &env,
        &["bowie", "--sort", "length"],
        &[
            "Oh! You Pretty Things",
            "Changes",
            "Changes (Live)",
            "Starman",
            "Five Years",
        ],
    );
    // A quoted sort term is a search.
    check(&env, &["\"year+\""], &[]);
}

#[test]
fn query_mixtape_fields() {
    let env = fixture();
    let flac = &[
        "Changes",
        "Oh! You Pretty Things",
        "At Last",
        "La Vie en rose",
    ];
    check(&env, &["format:flac"], flac);
    check(&env, &["lossless:true"], flac);
    check(
        &env,
        &["lossless:false"],
        &[
            "Human Behaviour",
            "100% Pure_Love",
            "Changes (Live)",
            "Five Years",
            "Starman",
            "Re: XY",
            "Café",
            "X Track",
        ],
    );
    check(&env, &["missing:true"], &["100% Pure_Love"]);
    check(
        &env,
        &["missing:no"],
        &all_but(&["100% Pure_Love"])
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    check(&env, &["error:true"], &["La Vie en rose", "Broken"]);
    check(
        &env,
        &["error:false"],
        &all_but(&["La Vie en rose", "Broken"])
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    check(&env, &["error:truncated"], &["Broken"]);
    check(&env, &["error:decode"], &["La Vie en rose"]);
    check(&env, &["dupe:true"], &["Changes", "At Last"]);
    check(&env, &["dupe:keeper"], &["At Last"]);
    check(
        &env,
        &["bowie", "dupe:false"],
        &[
            "Oh! You Pretty Things",
            "Changes (Live)",
            "Five Years",
            "Starman",
        ],
    );
}

#[test]
fn query_playlists_static_smart_and_nested() {
    let env = fixture();
    check(
        &env,
        &["playlist:Wedding"],
        &["Changes", "At Last", "La Vie en rose"],
    );
    check(
        &env,
        &["playlist:wedding"],
        &["Changes", "At Last", "La Vie en rose"],
    );
    // A smart playlist's query is used (its sort is not: the query's order rules).
    check(
        &env,
        &[r#"playlist:"Bowie 72""#],
        &["Changes (Live)", "Five Years", "Starman"],
    );
    check(
        &env,
        &["playlist:nested"],
        &[
            "Changes",
            "Changes (Live)",
            "Five Years",
            "Starman",
            "At Last",
            "La Vie en rose",
        ],
    );
    check(
        &env,
        &["^playlist:nested", "year:1900..1999"],
        &["Human Behaviour", "100% Pure_Love", "Oh! You Pretty Things"],
    );
    check_error(
        &env,
        &["playlist:loop"],
        "query: playlist:loop: smart playlist refers to itself (Loop -> Loop2 -> Loop)",
    );
    check_error(
        &env,
        &["playlist:nope"],
        "query: playlist:nope: no playlist named 'nope'",
    );
    check_error(
        &env,
        &[r#"playlist:"broken query""#],
        "query: playlist:broken query: the stored query of 'Broken query' is invalid: year:19x0: expected a number at column 6",
    );
}

#[test]
fn query_errors_point_at_the_bad_token() {
    let env = fixture();
    check_error(
        &env,
        &["year:19x0.."],
        "query: year:19x0..: expected a number at column 6",
    );
    check_error(
        &env,
        &["bowie year:1970..19x9"],
        "query: year:1970..19x9: expected a number at column 12",
    );
    check_error(
        &env,
        &["yaer:1999"],
        "query: yaer:1999: unknown field 'yaer' (did you mean 'year'?) at column 1",
    );
    check_error(
        &env,
        &["^foo:bar"],
        "query: ^foo:bar: unknown field 'foo' (quote the term to search for text containing ':') at column 2",
    );
    check_error(
        &env,
        &[r#"title:"at last"#],
        r#"query: title:"at last: unbalanced quote (") at column 7"#,
    );
    check_error(
        &env,
        &["year:1999..1990"],
        "query: year:1999..1990: empty range (1999 is above 1990) at column 6",
    );
    check_error(
        &env,
        &["year:.."],
        "query: year:..: a range needs a start, an end, or both at column 6",
    );
    check_error(
        &env,
        &["year:1..2..3"],
        "query: year:1..2..3: a range has only one '..' at column 10",
    );
    check_error(
        &env,
        &["title::(unclosed"],
        "query: title::(unclosed: invalid regular expression: unclosed group at column 8",
    );
    check_error(
        &env,
        &["length:4:75"],
        "query: length:4:75: seconds must be below 60 in m:ss at column 8",
    );
    check_error(
        &env,
        &["added:2026-13"],
        "query: added:2026-13: month out of range at column 7",
    );
    check_error(
        &env,
        &["lossless:maybe"],
        "query: lossless:maybe: expected true or false at column 10",
    );
    check_error(
        &env,
        &[",", "bowie"],
        "query: ,: ',' (or) needs a term before it at column 1",
    );
    check_error(
        &env,
        &["bowie", ","],
        "query: ,: ',' (or) needs a term after it at column 1",
    );
    check_error(
        &env,
        &["bowie", "--sort", "yaer+"],
        "query: --sort yaer+: unknown field 'yaer' (did you mean 'year'?) at column 8",
    );
}

#[test]
fn ls_default_format_and_templates() {
    let env = fixture();
    let out = env.run(["ls", "year:1972"]).ok();
    assert_eq!(
        out.lines(),
        [
            "David Bowie - Live Santa Monica '72 - Changes (Live)",
            "David Bowie - The Rise and Fall of Ziggy Stardust - Five Years",
            "David Bowie - The Rise and Fall of Ziggy Stardust - Starman",
        ]
    );
    // Missing tags are left out with their separator.
    let out = env.run(["ls", "title:broken"]).ok();
    assert_eq!(out.lines(), ["Broken"]);
    let out = mixtape(&env)
        .args([
            "ls",
            "starman",
            "--format",
            "${artist}|$year|$length|$format|$lossless|$added|$$|$missing",
        ])
        .output()
        .unwrap();
    let out: Run = out.into();
    assert_eq!(
        out.ok().lines(),
        ["David Bowie|1972|4:14|mp3|false|2026-02-20 12:00:00|$|false"]
    );
    check_error(
        &env,
        &["--format", "$nope"],
        "--format $nope: unknown field 'nope' at column 1",
    );
}

#[test]
fn ls_json_has_every_field() {
    let env = fixture();
    let out = env.run(["ls", "--json", "starman"]).ok();
    let rows = out.json_lines();
    assert_eq!(rows.len(), 1);
    let o = rows[0].as_object().unwrap();
    assert_eq!(o.len(), mixtape::library::FIELDS.len());
    for f in mixtape::library::FIELDS {
        assert!(o.contains_key(f.name), "{}", f.name);
    }
    assert_eq!(o["title"], "Starman");
    assert_eq!(o["year"], 1972);
    assert_eq!(o["length"], 254.9);
    assert_eq!(o["path"], "/music/bowie/ziggy/04.mp3");
    assert_eq!(o["comments"], "single edit");
    assert!(o["albumartist"].is_null());
    let out = env.run(["ls", "--json", "bowie"]).ok();
    let titles: Vec<_> = out
        .json_lines()
        .iter()
        .map(|v| v["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles, BOWIE);
}

#[cfg(unix)]
#[test]
fn ls_path_writes_raw_bytes() {
    let env = fixture();
    let out = mixtape(&env)
        .args(["ls", "--path", "zaz"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"/music/caf\xe9/z.mp3\n");
    let out = mixtape(&env)
        .args(["ls", "--format", "$path|$title", "zaz"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"/music/caf\xe9/z.mp3|Caf\xc3\xa9\n");
    let out = mixtape(&env)
        .args(["ls", "--path", "year:1971"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "/music/bowie/hunky/01 Changes.flac\n/music/bowie/hunky/02.flac\n"
    );
}

#[cfg(unix)]
#[test]
fn ls_into_a_closed_pipe_exits_quietly() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new();
    let rows: Vec<Row> = (0..20_000)
        .map(|n| {
            vec![
                ("title", t(&format!("Song {n:05}"))),
                ("artist", t("Many")),
                ("path", b(format!("/music/many/{n:05}.mp3").as_bytes())),
            ]
        })
        .collect();
    insert(&env, &rows);
    let mut child = mixtape(&env)
        .arg("ls")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(first, "Many - Song 00000\n");
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn ls_on_an_empty_library_prints_nothing() {
    let env = TestEnv::new();
    // Only scan creates a library (issue 12): an empty one, here.
    std::fs::create_dir_all(env.root().join("empty")).unwrap();
    env.run(["scan", "empty"]).ok();
    let out = env.run(["ls"]).ok();
    assert_eq!(out.stdout, "");
    let out = env.run(["ls", "artist:x", "--json"]).ok();
    assert_eq!(out.stdout, "");
}

/// The whole path: generated audio files, tagged, scanned by the real
/// binary, then queried.
#[test]
fn query_a_scanned_library() {
    let env = TestEnv::new();
    let music = env.path("music");
    let a = env.flac("music/Bowie/Hunky Dory/01.flac", 1, 2.0);
    set_tags(
        &a,
        &[
            ("title", "Changes"),
            ("artist", "David Bowie"),
            ("album", "Hunky Dory"),
            ("year", "1971"),
            ("track", "1"),
        ],
    );
    let b = env.mp3("music/Bowie/Ziggy/04.mp3", 2, 3.0);
    set_tags(
        &b,
        &[
            ("title", "Starman"),
            ("artist", "David Bowie"),
            ("album", "Ziggy Stardust"),
            ("year", "1972"),
            ("track", "4"),
        ],
    );
    let c = env.wav("music/Other/x.wav", 3, 1.0);
    let bad = env.path("music/Other/not-audio.mp3");
    std::fs::write(&bad, b"this is not audio at all, just text pretending").unwrap();
    let scan = env.run(["scan", "--no-fingerprint", music.to_str().unwrap()]);
    assert!(scan.code == 0 || scan.code == 2, "{}", scan.stderr);

    let out = env.run(["ls", "bowie"]).ok();
    assert_eq!(
        out.lines(),
        [
            "David Bowie - Hunky Dory - Changes",
            "David Bowie - Ziggy Stardust - Starman"
        ]
    );
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap().display().to_string();
    let out = env.run(["ls", "--path", "format:flac lossless:true"]).ok();
    assert_eq!(out.lines(), [canon(&a)]);
    let out = env
        .run([
            "ls",
            "--path",
            "year:1972",
            ",",
            "format:=mp3 length:..0:03",
        ])
        .ok();
    assert_eq!(out.lines(), [canon(&b)]);
    let out = env.run(["ls", "--path", "error:true"]).ok();
    assert_eq!(out.lines(), [canon(&bad)]);
    let folder = std::fs::canonicalize(music.join("Other")).unwrap();
    let out = env
        .run([
            "ls",
            "--path",
            "--sort",
            "path-",
            &format!("path:{}", folder.display()),
        ])
        .ok();
    assert_eq!(out.lines(), [canon(&c), canon(&bad)]);
    let out = env.run(["ls", "--json", "title:starman"]).ok();
    let rows = out.json_lines();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["format"], "mp3");
    assert!(rows[0]["file_hash"].as_str().is_some_and(|h| h.len() == 64));
    assert!(rows[0]["length"]
        .as_f64()
        .is_some_and(|l| (l - 3.0).abs() < 0.2));
    // Added just now: within the last day, not before.
    assert_eq!(
        env.run(["ls", "--path", "added:-1d..", "^error:true"])
            .ok()
            .lines()
            .len(),
        3
    );
    assert_eq!(env.run(["ls", "added:..-2d"]).ok().stdout, "");
}
