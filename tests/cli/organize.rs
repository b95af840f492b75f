//! Integration tests for `mixtape organize`, `mixtape undo` after it, and
//! `mixtape check` (issue 6: "Organise files into a clean folder layout,
//! check their integrity, and undo anything").

use std::path::{Path, PathBuf};

use crate::support::*;

fn scan(env: &TestEnv, dir: &Path) {
    env.run(["scan", "--no-fingerprint", &dir.display().to_string()])
        .ok();
}

fn tagged_flac(env: &TestEnv, rel: &str, seed: u64, tags: &[(&str, &str)]) -> PathBuf {
    let p = env.flac(rel, seed, 0.5);
    set_tags(&p, tags);
    p
}

/// `mixtape undo` of the latest operation; it must restore everything.
fn undo(env: &TestEnv) {
    let r = env.run(["undo"]);
    assert_eq!(r.code, 0, "undo failed\n{}\n{}", r.stdout, r.stderr);
}

fn organize(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["organize"];
    all.extend_from_slice(args);
    env.run(all)
}

#[test]
fn requires_copy_or_move_and_rejects_bad_templates() {
    let env = TestEnv::new();
    // The preview is refused the same way as the run (issue 17).
    for args in [&["--into", "out"][..], &["--into", "out", "--dry-run"]] {
        organize(&env, args).expect_code(1).assert_stderr(
            "mixtape: organize: say whether to --copy or --move the files (with --dry-run to preview it)\n",
        );
    }
    let r = organize(
        &env,
        &[
            "--into",
            "out",
            "--copy",
            "--template",
            "$artist/%lower{$title",
        ],
    )
    .expect_code(1);
    r.assert_stderr(
        "mixtape: --template: template \"$artist/%lower{$title\": unclosed %lower{ at column 9\n",
    );
    let r = organize(
        &env,
        &["--into", "out", "--copy", "--template", "$artist/$titel"],
    )
    .expect_code(1);
    r.assert_stderr(
        "mixtape: --template: template \"$artist/$titel\": unknown field $titel at column 10\n",
    );
}

#[test]
fn default_template_copy_keeps_library_and_sources() {
    let env = TestEnv::new();
    let music = env.path("music");
    let a = tagged_flac(
        &env,
        "music/in/a.flac",
        1,
        &[
            ("artist", "Nina Simone"),
            ("album", "Pastel Blues"),
            ("title", "Sinnerman"),
            ("track", "10"),
        ],
    );
    let b = env.mp3("music/in/b.mp3", 2, 0.5);
    set_tags(&b, &[("artist", "Solo"), ("title", "Single")]);
    let c = tagged_flac(
        &env,
        "music/in/c.flac",
        3,
        &[
            ("artist", "X"),
            ("albumartist", "Various"),
            ("album", "Mix"),
            ("title", "T"),
            ("track", "7"),
            ("tracktotal", "120"),
            ("disc", "2"),
            ("disctotal", "2"),
        ],
    );
    scan(&env, &music);
    let before = tree(&music);
    let out = env.root().join("out");
    let r = organize(&env, &["--into", "out", "--copy"]).ok();
    assert_eq!(
        files(&out),
        vec![
            "Nina Simone/Pastel Blues/10 Sinnerman.flac",
            "Non-Album/Solo/Single.mp3",
            "Various/Mix/02-007 T.flac",
        ],
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(out.join("Nina Simone/Pastel Blues/10 Sinnerman.flac")).unwrap(),
        std::fs::read(&a).unwrap()
    );
    assert_eq!(tree(&music), before, "--copy leaves the sources alone");
    assert!(c.exists());
    // The library still points at the originals.
    let lib = mixtape::Library::open(&env.library).unwrap();
    assert!(lib
        .track_by_path(&a.canonicalize().unwrap())
        .unwrap()
        .is_some());
    // A second run finds everything already there and changes nothing.
    let r = organize(&env, &["--into", "out", "--copy"]).ok();
    assert_eq!(
        r.stdout.matches("(already there").count(),
        3,
        "{}",
        r.stdout
    );
    assert_eq!(files(&out).len(), 3);
}

#[test]
fn custom_template_fallbacks_singletons_and_ascii() {
    let env = TestEnv::new();
    let music = env.path("music");
    tagged_flac(
        &env,
        "music/1.flac",
        1,
        &[
            ("artist", "Björk"),
            ("album", "Début"),
            ("title", "Human Behaviour"),
            ("track", "1"),
            ("year", "1993"),
        ],
    );
    tagged_flac(
        &env,
        "music/2.flac",
        2,
        &[("artist", "Sigur Rós"), ("title", "Hoppípolla")],
    );
    tagged_flac(
        &env,
        "music/3.flac",
        3,
        &[("album", "Anonymous"), ("title", "Øde"), ("track", "3")],
    );
    scan(&env, &music);
    organize(
        &env,
        &[
            "--into",
            "out",
            "--copy",
            "--ascii",
            "--template",
            "%lower{${albumartist:-${artist:-nobody}}}/$album ($year)/%left{$title,5}",
            "--singletons",
            "${album:-Loose}/%upper{$artist} - $title",
        ],
    )
    .ok();
    assert_eq!(
        files(&env.root().join("out")),
        vec![
            "Loose/SIGUR ROS - Hoppipolla.flac",
            "bjork/Debut (1993)/Human.flac",
            "nobody/Anonymous ()/Ode.flac",
        ]
    );
}

#[test]
fn hostile_tag_values_stay_inside_into() {
    let env = TestEnv::new();
    let music = env.path("music");
    let long = "L".repeat(500);
    let hostile: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("artist", "../../.."),
            ("album", ".."),
            ("title", "../escape"),
        ],
        vec![
            ("artist", "/etc"),
            ("album", "/tmp/x"),
            ("title", "/passwd"),
        ],
        vec![
            ("artist", "ctl\u{1}\u{7}\u{1b}"),
            ("album", "a\tb\rc"),
            ("title", "q?*<>|\":"),
        ],
        vec![("artist", "Long"), ("album", &long), ("title", &long)],
        vec![("artist", "   "), ("album", " "), ("title", "  ")],
        vec![("artist", "CON"), ("album", "nul"), ("title", "com1")],
    ];
    for (i, tags) in hostile.iter().enumerate() {
        tagged_flac(&env, &format!("music/{i}.flac"), i as u64, tags);
    }
    scan(&env, &music);
    let outside_before: Vec<_> = std::fs::read_dir(env.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let r = organize(&env, &["--into", "out/lib", "--move"]).ok();
    let out = env.root().join("out/lib");
    let got = files(&out);
    assert_eq!(got.len(), hostile.len(), "{got:?}\n{}", r.stdout);
    assert!(files(&music).is_empty(), "every file moved");
    for f in &got {
        for comp in Path::new(f).components() {
            let s = comp.as_os_str().to_string_lossy();
            assert!(s.len() <= 255, "{f}");
            assert!(
                !s.starts_with('.') && !s.ends_with(' ') && !s.ends_with('.'),
                "{f}"
            );
            assert!(
                !s.chars()
                    .any(|c| c.is_control() || "<>:\"\\|?*".contains(c)),
                "{f}"
            );
            let stem = s.split('.').next().unwrap().to_ascii_uppercase();
            assert!(!["CON", "NUL", "COM1"].contains(&stem.as_str()), "{f}");
        }
    }
    assert!(
        got.iter().any(|f| f.ends_with(".flac") && f.len() > 250),
        "long names are cut, not dropped: {got:?}"
    );
    // Nothing appeared next to the temp folder's entries other than `out`.
    let mut outside_after: Vec<_> = std::fs::read_dir(env.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    outside_after.retain(|n| n != "out");
    let mut expected = outside_before;
    expected.retain(|n| n != "out");
    outside_after.sort();
    expected.sort();
    assert_eq!(outside_after, expected);
}

#[test]
fn collisions_never_overwrite() {
    let env = TestEnv::new();
    let music = env.path("music");
    let tags = [
        ("artist", "A"),
        ("album", "B"),
        ("title", "Same"),
        ("track", "1"),
    ];
    tagged_flac(&env, "music/x/1.flac", 1, &tags);
    tagged_flac(&env, "music/y/1.flac", 2, &tags);
    tagged_flac(&env, "music/z/1.flac", 3, &tags);
    scan(&env, &music);
    // A different file already sits at the first destination.
    let taken = env.path("out/A/B/01 Same.flac");
    std::fs::write(&taken, b"not music, but the user's").unwrap();
    // Without %aunique{} (the default tells the three copies apart by
    // folder, see `default_template_keeps_albums_together`).
    let tpl = "$albumartist/$album/$track $title";
    organize(&env, &["--into", "out", "--move", "--template", tpl]).ok();
    assert_eq!(std::fs::read(&taken).unwrap(), b"not music, but the user's");
    assert_eq!(
        files(&env.root().join("out")),
        vec![
            "A/B/01 Same (2).flac",
            "A/B/01 Same (3).flac",
            "A/B/01 Same (4).flac",
            "A/B/01 Same.flac"
        ]
    );
    // Same audio already at the destination: counts as done, source kept.
    let copy = tagged_flac(
        &env,
        "music2/again.flac",
        9,
        &[("artist", "C"), ("title", "D")],
    );
    std::fs::create_dir_all(env.root().join("out/Non-Album/C")).unwrap();
    std::fs::copy(&copy, env.root().join("out/Non-Album/C/D.flac")).unwrap();
    scan(&env, &env.root().join("music2"));
    let r = organize(&env, &["--into", "out", "--move", "artist:C"])
        .ok()
        .relative_to(&env);
    r.assert_stdout(
        "{root}/music2/again.flac -> {root}/out/Non-Album/C/D.flac (already there; source left in place)\n",
    );
    assert!(copy.exists());
}

#[test]
fn move_then_undo_is_byte_identical_and_repeat_runs_are_idempotent() {
    let env = TestEnv::new();
    let music = env.path("music");
    for i in 0..6u64 {
        tagged_flac(
            &env,
            &format!("music/dump/cd{}/t{i}.flac", i % 2),
            i,
            &[
                ("artist", "Band"),
                ("album", &format!("Album {}", i % 2)),
                ("title", &format!("Song {i}")),
                ("track", &format!("{}", i + 1)),
            ],
        );
    }
    env.mp3("music/dump/untagged.mp3", 7, 0.5);
    std::fs::create_dir_all(music.join("empty-before")).unwrap();
    std::fs::write(music.join("dump/cover.jpg"), b"jpeg").unwrap();
    scan(&env, &music);
    let before = tree(&music);
    let lib = mixtape::Library::open(&env.library).unwrap();
    let ids_before: Vec<(i64, PathBuf)> = all_tracks(&env.library, "id+")
        .into_iter()
        .map(|t| (t.id, t.path))
        .collect();

    // The destination lies inside the scanned folder.
    let r = organize(&env, &["--into", "music/Library", "--move"]).ok();
    assert_eq!(r.stdout.lines().count(), 7, "{}", r.stdout);
    assert!(music.join("Library/Band/Album 0/01 Song 0.flac").is_file());
    assert!(music
        .join("Library/Non-Album/Unknown Artist/untagged.mp3")
        .is_file());
    assert!(
        !music.join("dump/cd0").exists(),
        "folders emptied by the move are removed"
    );
    assert!(
        music.join("dump/cover.jpg").is_file(),
        "non-music files are left alone"
    );
    assert!(
        music.join("empty-before").is_dir(),
        "folders mixtape did not empty stay"
    );
    // The library follows, keeping track identity.
    for (id, _) in &ids_before {
        let t = lib.track(*id).unwrap().unwrap();
        assert!(
            t.path
                .starts_with(music.canonicalize().unwrap().join("Library")),
            "{}",
            t.path.display()
        );
        assert!(t.path.is_file());
    }
    // Rescanning and organising again changes nothing.
    scan(&env, &music);
    let organised = tree(&music);
    let r = organize(&env, &["--into", "music/Library", "--move"]).ok();
    assert_eq!(r.stdout.matches("(in place)").count(), 7, "{}", r.stdout);
    assert_eq!(tree(&music), organised);

    // Undo the real move (the second run did nothing and journalled nothing).
    undo(&env);
    assert_eq!(tree(&music), before);
    for (id, path) in &ids_before {
        assert_eq!(&lib.track(*id).unwrap().unwrap().path, path);
    }
}

#[cfg(unix)]
#[test]
fn killed_midway_then_undo_loses_nothing() {
    let env = TestEnv::new();
    let music = env.path("music");
    let n = 600;
    let fx = Fixture::new(1, 0.05);
    let bytes = fx.encode(Kind::Wav);
    for i in 0..n {
        // Distinct files (the last bytes differ), all in one folder per 50.
        let mut b = bytes.clone();
        let len = b.len();
        b[len - 4..].copy_from_slice(&(i as u32).to_le_bytes());
        std::fs::write(env.path(&format!("music/d{}/f{i:04}.wav", i / 50)), b).unwrap();
    }
    scan(&env, &music);
    let before = tree(&music);
    let out = env.root().join("out/flat");
    let mut child = env
        .cmd()
        .args([
            "organize",
            "--into",
            "out",
            "--move",
            "--template",
            "flat/$stem",
            "--singletons",
            "flat/$stem",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let moved = std::fs::read_dir(&out).map(|r| r.count()).unwrap_or(0);
        if moved >= 40 {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("organize finished before it could be killed: {status}");
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "organize never started moving"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let moved = files(&out).len();
    assert!(
        moved > 0 && moved < n,
        "killed midway: {moved} of {n} moved"
    );
    undo(&env);
    assert_eq!(tree(&music), before, "every file is back, byte for byte");
    assert!(
        !env.root().join("out").exists(),
        "folders made by organize are gone"
    );
    // Organising again after the undo works from a clean state.
    organize(
        &env,
        &[
            "--into",
            "out",
            "--copy",
            "--template",
            "flat/$stem",
            "--singletons",
            "flat/$stem",
        ],
    )
    .ok();
    assert_eq!(files(&out).len(), n);
}

#[test]
fn dry_run_lists_every_pair_and_changes_nothing() {
    let env = TestEnv::new();
    let music = env.path("music");
    tagged_flac(
        &env,
        "music/a.flac",
        1,
        &[
            ("artist", "A"),
            ("album", "B"),
            ("title", "C"),
            ("track", "2"),
        ],
    );
    env.wav("music/b.wav", 2, 0.5);
    scan(&env, &music);
    let before = tree(&music);
    let r = organize(&env, &["--into", "out", "--move", "--dry-run"]).ok();
    let lines = r.lines();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    let want = format!(
        "a.flac -> {}",
        env.root()
            .canonicalize()
            .unwrap()
            .join("out/A/B/02 C.flac")
            .display()
    );
    assert!(lines.iter().any(|l| l.ends_with(&want)), "{}", r.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("out/Non-Album/Unknown Artist/b.wav")),
        "{}",
        r.stdout
    );
    let r = organize(&env, &["--into", "out", "--move", "--dry-run", "--json"]).ok();
    let objs = r.json_lines();
    assert_eq!(objs.len(), 2);
    assert!(objs
        .iter()
        .all(|o| o["result"] == "move" && o["dry_run"] == true));
    assert_eq!(tree(&music), before, "nothing changed");
    assert!(!env.root().join("out").exists());
}

#[test]
fn changed_source_is_skipped_with_a_reason_and_exit_2() {
    let env = TestEnv::new();
    let music = env.path("music");
    let a = tagged_flac(&env, "music/a.flac", 1, &[("title", "A")]);
    tagged_flac(&env, "music/b.flac", 2, &[("title", "B")]);
    scan(&env, &music);
    // Changed after the scan: a different size.
    let mut bytes = std::fs::read(&a).unwrap();
    bytes.extend_from_slice(&[0u8; 100]);
    std::fs::write(&a, &bytes).unwrap();
    let r = organize(&env, &["--into", "out", "--move"])
        .expect_code(2)
        .relative_to(&env);
    r.assert_stderr("{root}/music/a.flac: changed since the last scan (size or contents differ); run `mixtape scan` first\nmoved 1 files into {root}/out; 1 not organised (see above); undo with `mixtape undo` (operation 1)\n");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        bytes,
        "changed source left alone"
    );
    assert_eq!(
        files(&env.root().join("out")),
        vec!["Non-Album/Unknown Artist/B.flac"]
    );
}

/// Overwrite `len` bytes at `at` (a fraction of the file) with a pattern.
fn damage(path: &Path, at: f64, len: usize) {
    let mut b = std::fs::read(path).unwrap();
    let start = (b.len() as f64 * at) as usize;
    for (i, x) in b[start..start + len].iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(37) ^ 0x5a;
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn check_flags_truncated_corrupt_and_md5_mismatch_and_passes_clean_files() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.flac("music/clean.flac", 1, 2.0);
    env.mp3("music/clean.mp3", 2, 2.0);
    env.wav("music/clean.wav", 3, 2.0);
    // Truncated FLAC: the last 40% cut off.
    let t = env.flac("music/truncated.flac", 4, 2.0);
    let b = std::fs::read(&t).unwrap();
    std::fs::write(&t, &b[..b.len() * 6 / 10]).unwrap();
    // Corrupted MP3: bytes overwritten in the middle.
    let m = env.mp3("music/corrupt.mp3", 5, 2.0);
    damage(&m, 0.5, 3000);
    // FLAC whose STREAMINFO MD5 does not match its audio.
    let f = env.flac("music/md5.flac", 6, 2.0);
    let mut b = std::fs::read(&f).unwrap();
    assert_eq!(&b[..4], b"fLaC");
    assert_eq!(b[4] & 0x7f, 0, "STREAMINFO comes first");
    for x in &mut b[26..42] {
        *x ^= 0xff;
    }
    std::fs::write(&f, b).unwrap();
    // The scan itself notices the truncation (exit 2); check must find all three.
    let r = env.run(["scan", "--no-fingerprint", &music.display().to_string()]);
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);

    let r = env.run(["check"]).expect_code(2);
    let line = |name: &str| {
        r.lines()
            .into_iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{}", r.stdout))
            .to_string()
    };
    assert!(line("truncated.flac").contains("truncated"));
    assert!(line("md5.flac").contains("MD5 mismatch"));
    assert!(line("corrupt.mp3").contains("damaged frames"));
    let mut damaged: Vec<&str> = r
        .lines()
        .into_iter()
        .map(|l| {
            Path::new(l.split(": ").next().unwrap())
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
        })
        .collect();
    damaged.sort();
    assert_eq!(
        damaged,
        vec!["corrupt.mp3", "md5.flac", "truncated.flac"],
        "{}",
        r.stdout
    );

    let r = env.run(["check", "--json"]).expect_code(2);
    let objs = r.json_lines();
    assert_eq!(objs.len(), 6);
    for o in &objs {
        let name = Path::new(o["path"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(o["ok"].as_bool().unwrap(), name.starts_with("clean"), "{o}");
    }
    // Recorded per track: check_error (NULL when clean) and checked.
    for t in all_tracks(&env.library, "id+") {
        let name = t.path.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            t.check_error.is_none(),
            name.starts_with("clean"),
            "{name}: {:?}",
            t.check_error
        );
    }
    let unchecked: i64 = db(&env)
        .query_row(
            "SELECT count(*) FROM tracks WHERE checked IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unchecked, 0);
    // `ls error:true` finds them afterwards.
    let r = env.run(["ls", "--path", "error:true"]).ok();
    let mut listed: Vec<&str> = r
        .lines()
        .into_iter()
        .map(|l| Path::new(l).file_name().unwrap().to_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, vec!["corrupt.mp3", "md5.flac", "truncated.flac"]);
    // Only the clean ones: exit 0, nothing listed.
    let r = env.run(["check", "^error:true"]).ok();
    r.assert_stdout("")
        .assert_stderr("checked 3 tracks: 0 damaged\n");
}

/// Issue 13 (item 3, one way to select tracks): `playlist:NAME` of a smart
/// playlist selects what its stored query matches in `organize` and
/// `check`, as in `ls` (they built their own SQL and matched only static
/// entries, so a smart playlist selected nothing).
#[test]
fn organize_and_check_select_a_smart_playlists_tracks() {
    let env = TestEnv::new();
    let music = env.path("music");
    let tags = |artist: &str, title: &str| {
        vec![
            ("artist", artist.to_string()),
            ("album", "A".into()),
            ("title", title.into()),
        ]
    };
    for (i, (artist, title)) in [("Queen", "One"), ("Queen", "Two"), ("Abba", "Three")]
        .iter()
        .enumerate()
    {
        let mut t = tags(artist, title);
        if *artist == "Abba" {
            // Another album, so that "A" is not a compilation.
            t[1].1 = "Gold".into();
        }
        let t: Vec<(&str, &str)> = t.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tagged_flac(&env, &format!("music/in/{i}.flac"), i as u64, &t);
    }
    scan(&env, &music);
    env.run(["playlist", "new", "Royals", "artist:queen"]).ok();

    let r = organize(
        &env,
        &["--into", "out", "--move", "--dry-run", "playlist:royals"],
    )
    .ok();
    let mut lines: Vec<&str> = r.stdout.lines().collect();
    lines.sort();
    let into = env.path("out");
    let src = music.canonicalize().unwrap().join("in");
    assert_eq!(
        lines,
        [
            format!(
                "{} -> {}",
                src.join("0.flac").display(),
                into.join("Queen/A/One.flac").display()
            ),
            format!(
                "{} -> {}",
                src.join("1.flac").display(),
                into.join("Queen/A/Two.flac").display()
            ),
        ],
        "{}",
        r.stderr
    );

    let r = env.run(["check", "--json", "playlist:royals"]).ok();
    let mut checked: Vec<String> = r
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_string()
        })
        .collect();
    checked.sort();
    assert_eq!(
        checked,
        [
            src.join("0.flac").display().to_string(),
            src.join("1.flac").display().to_string()
        ]
    );
    assert!(
        r.stderr.contains("checked 2 tracks: 0 damaged"),
        "{}",
        r.stderr
    );
}
