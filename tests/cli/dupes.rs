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
    let rows: i64 = db(&env)
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
    // Only scan creates a library (issue 12); undo needs one to say more.
    std::fs::create_dir_all(env.root().join("empty")).unwrap();
    env.run(["scan", "empty"]).ok();
    let run = env.run(["dupes", "--dry-run"]);
    assert_ne!(run.code, 0);
    let run = env.run(["dupes", "--prefer", "no/such/dir"]).expect_code(1);
    assert!(run.stderr.contains("no/such/dir"), "{}", run.stderr);
    let run = env.run(["undo", "42"]).expect_code(1);
    assert!(run.stderr.contains("no operation 42"), "{}", run.stderr);
}

// Issue "Trustworthy on a real collection", item 5: quarantine closes the
// loop. A moved duplicate leaves the active library (ls, dupes, stats,
// exports), its playlist entries go to the keeper, rescans keep it
// quarantined, a second --move-to has nothing to do, and undo gives back
// files, rows and entries.

/// What `dupes` printed after the group tables: the summary line, then
/// the --move-to lines (the tables hold encoder-dependent bitrates).
fn after_tables(run: &Run) -> &str {
    match run.stdout.rfind("\n\n") {
        Some(i) => &run.stdout[i + 2..],
        None => &run.stdout,
    }
}

/// A keeper (FLAC), a byte copy of it, an MP3 of the same recording and an
/// unrelated FLAC under `music/`, scanned. Returns the canonical temp folder.
fn collection(env: &TestEnv) -> String {
    let keep = env.flac("music/Artist/song.flac", 11, SECS);
    copy(&keep, &env.path("music/Backup/song.flac"));
    env.mp3("music/Phone/song.mp3", 11, SECS);
    env.flac("music/Artist/other.flac", 12, SECS);
    scan(env, &env.path("music"));
    canon(env.root())
}

/// `playlist show NAME --json` as the track ids and statuses of its entries.
fn entries(env: &TestEnv, name: &str) -> Vec<(Option<i64>, String)> {
    env.run(["playlist", "show", name, "--json"])
        .ok()
        .json_lines()
        .iter()
        .map(|v| {
            (
                v["track"]["id"].as_i64(),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The id of the track at `path`.
fn id_of(env: &TestEnv, path: &str) -> i64 {
    let lib = mixtape::Library::open(&env.library).unwrap();
    lib.track_by_path(Path::new(path)).unwrap().unwrap().id
}

#[test]
fn quarantined_files_leave_the_library_and_a_second_move_to_has_nothing_to_do() {
    let env = TestEnv::new();
    let t = collection(&env);
    let moved = env.run(["dupes", "--move-to", "quarantine"]).ok();
    assert_eq!(
        after_tables(&moved),
        format!(
            "1 group, 2 duplicates (2.32 MiB) besides the keepers.\n\
             moved {t}/music/Backup/song.flac -> {t}/quarantine/Backup/song.flac\n\
             moved {t}/music/Phone/song.mp3 -> {t}/quarantine/Phone/song.mp3\n\
             Moved 2 files to {t}/quarantine. Undo with `mixtape undo` (operation 1).\n"
        )
    );

    // Out of the active library: no group, not listed, not counted.
    assert_eq!(env.run(["dupes"]).ok().stdout, "No duplicates found.\n");
    assert!(groups(&env, &[]).is_empty());
    assert_eq!(
        env.run(["ls", "--path"]).ok().stdout,
        format!("{t}/music/Artist/other.flac\n{t}/music/Artist/song.flac\n")
    );
    assert_eq!(
        env.run(["ls", "--path", "quarantined:true"]).ok().stdout,
        format!("{t}/quarantine/Backup/song.flac\n{t}/quarantine/Phone/song.mp3\n")
    );
    let stats = env.run(["stats", "--json"]).ok().json_lines();
    assert_eq!(stats[0]["tracks"], 2);
    assert_eq!(stats[0]["quarantined"], 2);

    // Nothing left to do: no per-file line, exit 0.
    let again = env.run(["dupes", "--move-to", "quarantine"]).ok();
    assert_eq!(
        again.stdout,
        format!("No duplicates found.\nNothing to move to {t}/quarantine.\n")
    );
    assert_eq!(again.stderr, "");
    let dry = env
        .run(["dupes", "--move-to", "quarantine", "--dry-run"])
        .ok();
    assert_eq!(
        dry.stdout,
        format!("No duplicates found.\nDry run: nothing to move to {t}/quarantine.\n")
    );
    assert_eq!(
        env.run(["undo", "--list", "--json"])
            .ok()
            .json_lines()
            .len(),
        1,
        "the empty runs recorded no operation"
    );
}

#[test]
fn quarantined_tracks_are_not_exported() {
    let env = TestEnv::new();
    let t = collection(&env);
    env.run(["dupes", "--move-to", "quarantine"]).ok();
    let sources = |run: Run| -> Vec<String> {
        run.json_lines()[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["source"].as_str().unwrap().to_string())
            .collect()
    };
    // By query: the quarantined FLAC copy is not among the FLACs.
    let by_query = env
        .run([
            "export",
            "format:flac",
            "--to",
            "dev",
            "--dry-run",
            "--json",
        ])
        .ok();
    assert_eq!(
        sources(by_query),
        [
            format!("{t}/music/Artist/other.flac"),
            format!("{t}/music/Artist/song.flac")
        ]
    );
    // A static playlist holding quarantined tracks (added on purpose):
    // shown as such, and not exported.
    env.run(["playlist", "new", "Old"]).ok();
    env.run(["playlist", "add", "Old", "quarantined:true"]).ok();
    let other = format!("path:{t}/music/Artist/other.flac");
    env.run(["playlist", "add", "Old", &other]).ok();
    let show = env.run(["playlist", "show", "Old"]).ok();
    assert_eq!(
        show.stdout,
        format!(
            "   1  [quarantined] song.flac  0:20  {t}/quarantine/Backup/song.flac\n   \
             2  [quarantined] song.mp3  0:20  {t}/quarantine/Phone/song.mp3\n   \
             3  other.flac  0:20  {t}/music/Artist/other.flac\n"
        )
    );
    let plan = env
        .run(["export", "Old", "--to", "dev2", "--dry-run", "--json"])
        .expect_code(2);
    let v = &plan.json_lines()[0];
    let unavailable: Vec<&str> = v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        unavailable,
        [
            format!("entry 1 ({t}/quarantine/Backup/song.flac): quarantined by `dupes --move-to`"),
            format!("entry 2 ({t}/quarantine/Phone/song.mp3): quarantined by `dupes --move-to`"),
        ]
    );
    assert_eq!(sources(plan), [format!("{t}/music/Artist/other.flac")]);
}

#[test]
fn playlist_entries_go_to_the_keeper_and_undo_gives_back_files_rows_and_entries() {
    let env = TestEnv::new();
    let t = collection(&env);
    let keeper = id_of(&env, &format!("{t}/music/Artist/song.flac"));
    let mp3 = id_of(&env, &format!("{t}/music/Phone/song.mp3"));
    let other = id_of(&env, &format!("{t}/music/Artist/other.flac"));
    env.run(["playlist", "new", "Mix"]).ok();
    for rel in ["Phone", "Artist/other.flac", "Phone"] {
        let q = format!("path:{t}/music/{rel}");
        env.run(["playlist", "add", "Mix", &q]).ok();
    }
    let ok = |id: i64| (Some(id), "ok".to_string());
    let original = vec![ok(mp3), ok(other), ok(mp3)];
    assert_eq!(entries(&env, "Mix"), original);
    let music = env.path("music");
    let before = tree(&music);

    // Dry run: says what would happen, changes nothing.
    let dry = env
        .run(["dupes", "--move-to", "quarantine", "--dry-run"])
        .ok();
    assert_eq!(
        after_tables(&dry),
        format!(
            "1 group, 2 duplicates (2.32 MiB) besides the keepers.\n\
             would move {t}/music/Backup/song.flac -> {t}/quarantine/Backup/song.flac\n\
             would move {t}/music/Phone/song.mp3 -> {t}/quarantine/Phone/song.mp3\n\
             Dry run: would move 2 files to {t}/quarantine and point 2 playlist entries \
             at their keepers; nothing changed.\n"
        )
    );
    assert_eq!(tree(&music), before, "dry run changed files");
    assert!(!env.root().join("quarantine").exists());
    assert_eq!(entries(&env, "Mix"), original);
    assert_eq!(env.run(["ls", "quarantined:true"]).ok().stdout, "");
    assert_eq!(groups(&env, &[]).len(), 1);

    let moved = env.run(["dupes", "--move-to", "quarantine"]).ok();
    assert!(
        after_tables(&moved).ends_with(&format!(
            "Moved 2 files to {t}/quarantine; 2 playlist entries now point at their \
             keepers. Undo with `mixtape undo` (operation 1).\n"
        )),
        "{}",
        moved.stdout
    );
    assert_eq!(entries(&env, "Mix"), [ok(keeper), ok(other), ok(keeper)]);
    assert!(!music.join("Phone/song.mp3").exists());

    let undo = env.run(["undo"]).ok();
    assert_eq!(
        undo.stdout,
        format!(
            "restored {t}/quarantine/Phone/song.mp3 -> {t}/music/Phone/song.mp3\n\
             restored {t}/quarantine/Backup/song.flac -> {t}/music/Backup/song.flac\n\
             Undid operation 1 (quarantine): 2 files restored, 2 playlist entries pointed back.\n"
        )
    );
    assert_eq!(undo.stderr, "");
    assert_eq!(entries(&env, "Mix"), original);
    assert_eq!(env.run(["ls", "quarantined:true"]).ok().stdout, "");
    assert_eq!(
        env.run(["ls", "--path"]).ok().stdout,
        format!(
            "{t}/music/Artist/other.flac\n{t}/music/Artist/song.flac\n\
             {t}/music/Backup/song.flac\n{t}/music/Phone/song.mp3\n"
        )
    );
    assert_eq!(groups(&env, &[]).len(), 1, "the group is back");
    // The files are where they were (the quarantine folder is gone again).
    assert_eq!(tree(&music), before);
    assert!(!env.root().join("quarantine").exists());
}

#[test]
fn rescans_keep_quarantined_files_quarantined_wherever_the_folder_is() {
    // Inside the scanned root (visible or hidden) and outside every root.
    for (dir, scanned) in [
        ("music/_quarantine", "music/_quarantine"),
        ("music/.quarantine", "music/.quarantine"),
        ("quarantine", "quarantine"),
    ] {
        let env = TestEnv::new();
        let t = collection(&env);
        env.run(["dupes", "--move-to", dir]).ok();
        let rescan = env
            .run(["scan", "--prune", env.path("music").to_str().unwrap()])
            .ok();
        let visible = dir == "music/_quarantine";
        let want = format!(
            "scanned {n}, new 0, changed 0, unchanged {n}, moved 0, skipped 0, unreadable 0, missing 0, errors 0, elapsed ",
            n = if visible { 4 } else { 2 }
        );
        assert!(rescan.stdout.starts_with(&want), "{dir}: {}", rescan.stdout);
        assert_eq!(
            env.run(["ls", "--path"]).ok().stdout,
            format!("{t}/music/Artist/other.flac\n{t}/music/Artist/song.flac\n"),
            "{dir}"
        );
        assert_eq!(
            env.run(["ls", "--path", "quarantined:true"]).ok().stdout,
            format!("{t}/{scanned}/Backup/song.flac\n{t}/{scanned}/Phone/song.mp3\n"),
            "{dir}"
        );
        assert_eq!(env.run(["dupes"]).ok().stdout, "No duplicates found.\n");
        // And undo still finds everything to put back.
        let undo = env.run(["undo"]).ok();
        assert!(
            undo.stdout.ends_with("2 files restored.\n"),
            "{dir}: {}",
            undo.stdout
        );
        assert_eq!(env.run(["ls", "quarantined:true"]).ok().stdout, "");
    }
}

#[test]
fn a_quarantine_killed_before_the_library_followed_is_finished_by_the_next_scan() {
    let env = TestEnv::new();
    let t = collection(&env);
    let mp3 = id_of(&env, &format!("{t}/music/Phone/song.mp3"));
    env.run(["playlist", "new", "Mix"]).ok();
    env.run(["playlist", "add", "Mix", &format!("path:{t}/music/Phone")])
        .ok();
    env.run(["dupes", "--move-to", "quarantine"]).ok();
    // Put the library back to how a kill -9 right after the MP3's move
    // leaves it: the entry planned, the row and the playlist as before.
    {
        let old = format!("{t}/music/Phone/song.mp3");
        db(&env)
            .execute_batch(&format!(
                "UPDATE journal SET state = 'planned' WHERE track_id = {mp3};
                 UPDATE tracks SET quarantined = 0, path = CAST('{old}' AS BLOB) WHERE id = {mp3};
                 UPDATE playlist_entries SET track_id = {mp3};
                 DELETE FROM journal_repoints;
                 UPDATE operations SET finished = NULL;"
            ))
            .unwrap();
    }
    let phone = format!("path:{t}/music/Phone");
    assert_eq!(
        env.run(["ls", "--path", &phone]).ok().stdout,
        format!("{t}/music/Phone/song.mp3\n"),
        "the simulated kill left the row behind"
    );
    let rescan = env.run(["scan", env.path("music").to_str().unwrap()]).ok();
    assert!(
        rescan.stdout.starts_with(
            "scanned 2, new 0, changed 0, unchanged 2, moved 0, skipped 0, unreadable 0, missing 0, errors 0, elapsed "
        ),
        "{}",
        rescan.stdout
    );
    assert!(
        rescan.stdout.ends_with(", finished interrupted moves 1\n"),
        "{}",
        rescan.stdout
    );
    assert_eq!(
        env.run(["ls", "--path", "quarantined:true"]).ok().stdout,
        format!("{t}/quarantine/Backup/song.flac\n{t}/quarantine/Phone/song.mp3\n")
    );
    let keeper = id_of(&env, &format!("{t}/music/Artist/song.flac"));
    assert_eq!(entries(&env, "Mix"), [(Some(keeper), "ok".to_string())]);
    // Undo of the interrupted operation gives everything back.
    let undo = env.run(["undo"]).ok();
    assert!(
        undo.stdout.ends_with(
            "Undid operation 1 (quarantine): 2 files restored, 1 playlist entry pointed back.\n"
        ),
        "{}",
        undo.stdout
    );
    assert_eq!(entries(&env, "Mix"), [(Some(mp3), "ok".to_string())]);
    assert_eq!(env.run(["ls", "quarantined:true"]).ok().stdout, "");
}

#[test]
fn a_new_copy_of_the_keeper_is_not_taken_by_its_deleted_quarantined_twin() {
    let env = TestEnv::new();
    let t = collection(&env);
    let music = env.path("music");
    env.run(["dupes", "--move-to", "music/_quarantine"]).ok();
    // The user empties the quarantine folder; a scan notices.
    std::fs::remove_dir_all(music.join("_quarantine")).unwrap();
    let rescan = env.run(["scan", music.to_str().unwrap()]).ok();
    assert!(
        rescan.stdout.starts_with(
            "scanned 2, new 0, changed 0, unchanged 2, moved 0, skipped 0, unreadable 0, missing 2, errors 0, elapsed "
        ),
        "{}",
        rescan.stdout
    );
    // A byte copy of the keeper (same hash as the deleted quarantined copy)
    // arrives, and the keeper itself moves: both stay active.
    copy(
        &music.join("Artist/song.flac"),
        &music.join("New/song.flac"),
    );
    std::fs::rename(
        music.join("Artist/song.flac"),
        music.join("Artist/song (moved).flac"),
    )
    .unwrap();
    let rescan = env.run(["scan", music.to_str().unwrap()]).ok();
    assert!(
        rescan.stdout.starts_with(
            "scanned 3, new 1, changed 0, unchanged 1, moved 1, skipped 0, unreadable 0, missing 0, errors 0, elapsed "
        ),
        "{}",
        rescan.stdout
    );
    assert_eq!(
        env.run(["ls", "--path"]).ok().stdout,
        format!(
            "{t}/music/Artist/other.flac\n{t}/music/Artist/song (moved).flac\n{t}/music/New/song.flac\n"
        )
    );
    assert_eq!(
        env.run(["ls", "--path", "quarantined:true"]).ok().stdout,
        format!("{t}/music/_quarantine/Backup/song.flac\n{t}/music/_quarantine/Phone/song.mp3\n")
    );
}
