//! Integration tests for `mixtape dupes` and `mixtape undo` (issue: "Find
//! duplicate tracks (copies, retags, transcodes, trims) and quarantine them
//! with undo"). Fixtures are music-like signals of 20 s, so fingerprints
//! are meaningful; every test scans them with the real binary first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::*;

const SECS: f64 = 20.0;

fn scan(env: &TestEnv, dir: &Path) {
    env.run(["scan".as_ref(), "--quiet".as_ref(), dir.as_os_str()])
        .ok();
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

/// `dupes --json ARGS`: the group objects.
fn groups(env: &TestEnv, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["dupes", "--json"];
    args.extend_from_slice(extra);
    env.run(args)
        .ok()
        .json_lines()
        .into_iter()
        .filter(|v| v.get("group").is_some())
        .collect()
}

/// path (canonical, as a string) -> kind, over every group.
fn kinds(groups: &[serde_json::Value]) -> BTreeMap<String, String> {
    groups
        .iter()
        .flat_map(|g| g["members"].as_array().unwrap().iter())
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn canon(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

/// Every path under `dir` with a BLAKE3 of its content (folders marked).
fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            let what = if e.file_type().is_file() {
                blake3::hash(&std::fs::read(e.path()).unwrap())
                    .to_hex()
                    .to_string()
            } else {
                "dir".into()
            };
            (rel, what)
        })
        .collect();
    out.sort();
    out
}

/// Lines of stdout that start with `prefix`.
fn count(run: &Run, prefix: &str) -> usize {
    run.lines().iter().filter(|l| l.starts_with(prefix)).count()
}

const TAGS: &[(&str, &str)] = &[
    ("artist", "The Testers"),
    ("title", "Same Song"),
    ("album", "Fixtures"),
    ("year", "2024"),
];

#[test]
fn copies_retags_lossless_pairs_transcodes_and_trims_are_grouped_by_kind() {
    let env = TestEnv::new();
    let orig = env.flac("music/orig/song.flac", 1, SECS);
    set_tags(&orig, TAGS);
    let copied = env.path("music/copy/song.flac");
    copy(&orig, &copied);
    let retag = env.path("music/retag/song.flac");
    copy(&orig, &retag);
    set_tags(&retag, &[("title", "Same Song (retagged)")]);
    let wav = env.wav("music/wav/song.wav", 1, SECS);
    let mp3 = env.mp3("music/mp3/song.mp3", 1, SECS);
    let mut trimmed = Fixture::new(1, SECS);
    trimmed.trim_start = 2.0;
    let trim = env.write_audio("music/trim/song.flac", &trimmed, Kind::Flac);
    // A different recording carrying exactly the same tags.
    let other = env.flac("music/other/song.flac", 2, SECS);
    set_tags(&other, TAGS);
    scan(&env, &env.path("music"));

    let prefer = env.path("music/orig");
    let gs = groups(&env, &["--prefer", prefer.to_str().unwrap()]);
    assert_eq!(gs.len(), 1, "{gs:#?}");
    let g = &gs[0];
    assert_eq!(g["keeper"], canon(&orig));
    assert!(g["reason"].as_str().unwrap().contains("preferred"), "{g}");
    let want: BTreeMap<String, String> = [
        (&orig, "keeper"),
        (&copied, "exact"),
        (&retag, "same-audio"),
        (&wav, "same-audio"),
        (&mp3, "same-recording"),
        (&trim, "same-recording"),
    ]
    .iter()
    .map(|(p, k)| (canon(p), k.to_string()))
    .collect();
    assert_eq!(kinds(&gs), want);
    assert!(
        !kinds(&gs).contains_key(&canon(&other)),
        "a different recording with the same tags was grouped"
    );
    for m in g["members"].as_array().unwrap() {
        let sim = m["similarity"].as_f64();
        match m["kind"].as_str().unwrap() {
            "keeper" => assert!(sim.is_none(), "{m}"),
            "exact" | "same-audio" => assert_eq!(sim, Some(1.0), "{m}"),
            _ => assert!(sim.unwrap() > 0.8 && sim.unwrap() <= 1.0, "{m}"),
        }
    }
    // The keeper is listed first, and the table shows the same.
    assert_eq!(g["members"][0]["kind"], "keeper");
    let table = env
        .run(["dupes", "--prefer", prefer.to_str().unwrap()])
        .ok();
    let first_row = table.lines()[2].to_string();
    assert!(
        first_row.trim_start().starts_with("keeper"),
        "{}",
        table.stdout
    );
    assert!(first_row.ends_with(&canon(&orig)), "{}", table.stdout);
    // `dupe:true` is fed from dupe_members: every member has a row.
    let lib = mixtape::Library::open(&env.library).unwrap();
    let rows: i64 = lib
        .conn()
        .query_row("SELECT count(*) FROM dupe_members", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 6);
}

#[test]
fn keeper_is_lossless_and_json_lists_it_among_members() {
    let env = TestEnv::new();
    let mp3 = env.mp3("music/a/song.mp3", 3, SECS);
    let flac = env.flac("music/b/song.flac", 3, SECS);
    env.flac("music/c/unrelated.flac", 4, SECS);
    scan(&env, &env.path("music"));
    let run = env.run(["dupes", "--json"]).ok();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "one object per group: {}", run.stdout);
    let g = &lines[0];
    assert_eq!(g["group"], 1);
    assert_eq!(g["keeper"], canon(&flac));
    assert_eq!(g["reason"], "lossless (flac vs mp3)");
    let members = g["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["path"], canon(&flac));
    assert_eq!(members[0]["kind"], "keeper");
    assert_eq!(members[1]["path"], canon(&mp3));
    assert_eq!(members[1]["kind"], "same-recording");
    for key in ["path", "kind", "similarity", "format", "bitrate", "length"] {
        assert!(
            members[1].get(key).is_some(),
            "{key} missing: {}",
            members[1]
        );
    }
    assert_eq!(members[1]["format"], "mp3");
    assert!((members[1]["length"].as_f64().unwrap() - SECS).abs() < 0.5);

    let table = env.run(["dupes"]).ok();
    assert!(
        table.stdout.contains("lossless (flac vs mp3)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("1 group, 1 duplicate"),
        "{}",
        table.stdout
    );
}

#[test]
fn short_files_never_group_by_fingerprint_but_can_by_tags() {
    let env = TestEnv::new();
    let a = env.flac("music/a.flac", 5, 2.0);
    let b = env.mp3("music/b.mp3", 5, 2.0);
    set_tags(&a, &[("artist", "Jingle Band"), ("title", "Station ID")]);
    set_tags(&b, &[("artist", "jingle band"), ("title", "Station ID!")]);
    scan(&env, &env.path("music"));
    assert!(groups(&env, &[]).is_empty());
    let gs = groups(&env, &["--by-tags"]);
    assert_eq!(gs.len(), 1, "{gs:#?}");
    assert_eq!(gs[0]["keeper"], canon(&a));
    assert_eq!(gs[0]["members"][1]["kind"], "same-tags");
}

#[test]
fn move_to_then_undo_leaves_the_tree_byte_identical() {
    let env = TestEnv::new();
    let keep = env.flac("music/Artist/Album/01 song.flac", 6, SECS);
    copy(&keep, &env.path("music/Backup/01 song.flac"));
    env.mp3("music/Phone/song.mp3", 6, SECS);
    env.flac("music/Artist/Album/02 other.flac", 7, SECS);
    let music = env.path("music");
    let quarantine = env.path("quarantine");
    // Something already sits where the MP3 would go: never overwritten.
    std::fs::create_dir_all(quarantine.join("Phone")).unwrap();
    std::fs::write(quarantine.join("Phone/song.mp3"), b"not yours").unwrap();
    scan(&env, &music);
    let before = (tree(&music), tree(&quarantine));

    let dry = env
        .run(["dupes", "--move-to", "quarantine", "--dry-run"])
        .ok();
    let planned = dry
        .lines()
        .iter()
        .filter(|l| l.starts_with("would move "))
        .count();
    assert_eq!(planned, 2, "{}", dry.stdout);
    assert!(dry.stdout.contains("song (2).mp3"), "{}", dry.stdout);
    assert_eq!(
        (tree(&music), tree(&quarantine)),
        before,
        "dry run moved files"
    );

    let moved = env.run(["dupes", "--move-to", "quarantine"]).ok();
    assert_eq!(count(&moved, "moved "), 2, "{}", moved.stdout);
    assert!(keep.exists());
    assert!(!music.join("Backup/01 song.flac").exists());
    assert!(quarantine.join("Backup/01 song.flac").exists());
    assert_eq!(
        std::fs::read(quarantine.join("Phone/song.mp3")).unwrap(),
        b"not yours"
    );
    assert!(quarantine.join("Phone/song (2).mp3").exists());
    // The library follows the files (ids kept), and lists the operation.
    let lib = mixtape::Library::open(&env.library).unwrap();
    let q = std::fs::canonicalize(&quarantine).unwrap();
    assert!(lib
        .track_by_path(&q.join("Phone/song (2).mp3"))
        .unwrap()
        .is_some());
    drop(lib);
    let list = env.run(["undo", "--list"]).ok();
    assert!(list.stdout.contains("quarantine"), "{}", list.stdout);
    assert!(list.stdout.contains("done"), "{}", list.stdout);

    let dry_undo = env.run(["undo", "--dry-run"]).ok();
    assert_eq!(count(&dry_undo, "would restore "), 2, "{}", dry_undo.stdout);
    assert!(quarantine.join("Phone/song (2).mp3").exists());

    let undo = env.run(["undo"]).ok();
    assert_eq!(count(&undo, "restored "), 2, "{}", undo.stdout);
    assert_eq!((tree(&music), tree(&quarantine)), before);
    let list = env.run(["undo", "--list", "--json"]).ok();
    assert!(list.json_lines()[0]["undone"].is_number());
    env.run(["undo"]).expect_code(1);
    // The library points at the original places again.
    let lib = mixtape::Library::open(&env.library).unwrap();
    let m = std::fs::canonicalize(&music).unwrap();
    assert!(lib
        .track_by_path(&m.join("Phone/song.mp3"))
        .unwrap()
        .is_some());
}

#[test]
fn a_file_changed_since_the_scan_is_skipped_with_exit_code_2() {
    let env = TestEnv::new();
    env.flac("music/a.flac", 8, SECS);
    let mp3 = env.mp3("music/b.mp3", 8, SECS);
    scan(&env, &env.path("music"));
    set_tags(&mp3, &[("comments", "edited after the scan")]);
    let run = env.run(["dupes", "--move-to", "q"]).expect_code(2);
    assert!(
        run.stderr.contains("changed since the last scan"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("b.mp3"), "{}", run.stderr);
    assert!(mp3.exists());
}

#[test]
fn undo_reports_files_moved_again_by_hand_and_restores_the_rest() {
    let env = TestEnv::new();
    env.flac("music/keep.flac", 9, SECS);
    copy(
        &env.path("music/keep.flac"),
        &env.path("music/x/copy1.flac"),
    );
    copy(
        &env.path("music/keep.flac"),
        &env.path("music/y/copy2.flac"),
    );
    scan(&env, &env.path("music"));
    env.run(["dupes", "--move-to", "q"]).ok();
    let q = env.path("q");
    std::fs::rename(q.join("x/copy1.flac"), env.path("elsewhere.flac")).unwrap();
    let run = env.run(["undo"]).expect_code(2);
    assert!(run.stderr.contains("copy1.flac"), "{}", run.stderr);
    assert!(env.path("music/y/copy2.flac").exists());
    assert!(!env.path("music/x/copy1.flac").exists());
}

#[test]
fn bad_arguments_are_clear_errors() {
    let env = TestEnv::new();
    let run = env.run(["dupes", "--dry-run"]);
    assert_ne!(run.code, 0);
    let run = env.run(["dupes", "--prefer", "no/such/dir"]).expect_code(1);
    assert!(run.stderr.contains("no/such/dir"), "{}", run.stderr);
    let run = env.run(["undo", "42"]).expect_code(1);
    assert!(run.stderr.contains("no operation 42"), "{}", run.stderr);
}
