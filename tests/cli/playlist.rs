//! Integration tests for `mixtape playlist` (issue 4, sections 2-4): static
//! and smart playlists, import from M3U/M3U8/PLS/XSPF with every kind of
//! path, export and round trips, and bad input.
use std::path::PathBuf;

use crate::support::*;

/// A fixture library: real WAV files under `music/`, recorded as tracks by
/// inserting rows (the scanner is not needed for these tests).
struct Fixture {
    env: TestEnv,
    music: PathBuf,
}

impl Fixture {
    /// `tracks`: (path under music/, artist, album, title, length in seconds).
    fn new(tracks: &[(&str, &str, &str, &str, f64)]) -> Fixture {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.path("music")).unwrap();
        let music = env.path("music").canonicalize().unwrap();
        let lib = db(&env);
        lib.execute(
            "INSERT INTO roots (path, added) VALUES (?1, 0)",
            [mixtape::library::path_to_bytes(&music)],
        )
        .unwrap();
        for (i, (rel, artist, album, title, len)) in tracks.iter().enumerate() {
            env.wav(&format!("music/{rel}"), i as u64, 0.1);
            lib
                .execute(
                    "INSERT INTO tracks (path, root_id, size, mtime, added, scanned, artist, album, title, length, format)
                     VALUES (?1, 1, 1, 0, 0, 0, ?2, ?3, ?4, ?5, 'pcm')",
                    rusqlite::params![
                        mixtape::library::path_to_bytes(&music.join(rel)),
                        artist,
                        album,
                        title,
                        len
                    ],
                )
                .unwrap();
        }
        Fixture { env, music }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.env.run(args)
    }

    fn m(&self, rel: &str) -> String {
        self.music.join(rel).display().to_string()
    }

    /// `playlist show NAME --json` as (track id or null, status, source, line).
    fn show(&self, name: &str) -> Vec<(Option<i64>, String, String, Option<i64>)> {
        self.run(&["playlist", "show", name, "--json"])
            .ok()
            .json_lines()
            .iter()
            .map(|v| {
                (
                    v["track"]["id"].as_i64(),
                    v["status"].as_str().unwrap().to_string(),
                    v["source"].as_str().unwrap_or("").to_string(),
                    v["source_line"].as_i64(),
                )
            })
            .collect()
    }

    fn ids(&self, name: &str) -> Vec<Option<i64>> {
        self.show(name).into_iter().map(|e| e.0).collect()
    }
}

fn standard() -> Fixture {
    Fixture::new(&[
        (
            "Queen/Opera/01 Bohemian Rhapsody.wav",
            "Queen",
            "A Night at the Opera",
            "Bohemian Rhapsody",
            355.0,
        ),
        (
            "Björk/Post/Army of Me.wav",
            "Björk",
            "Post",
            "Army of Me",
            234.0,
        ),
        (
            "AC DC/Back in Black/Hells Bells #1 100%.wav",
            "AC/DC",
            "Back in Black",
            "Hells Bells",
            312.0,
        ),
        (
            "Queen/Live/Bohemian Rhapsody (live).wav",
            "Queen",
            "Live Killers",
            "Bohemian Rhapsody live",
            400.0,
        ),
    ])
}

#[test]
fn static_playlist_add_show_remove_rename_delete() {
    let f = standard();
    f.run(&["playlist", "new", "Wedding"])
        .ok()
        .assert_stdout("created static playlist 'Wedding'\n");
    let r = f.run(&["playlist", "add", "wedding", "artist:queen"]).ok();
    assert_eq!(r.stdout, "added 2 tracks to 'Wedding' (now 2 entries)\n");
    let r = f
        .run(&[
            "playlist",
            "add",
            "Wedding",
            "--file",
            &f.m("Björk/Post/Army of Me.wav"),
        ])
        .ok();
    assert_eq!(r.stdout, "added 1 tracks to 'Wedding' (now 3 entries)\n");
    let show = f.run(&["playlist", "show", "Wedding"]).ok();
    assert_eq!(
        show.lines(),
        vec![
            format!(
                "   1  Queen - Bohemian Rhapsody  5:55  {}",
                f.m("Queen/Opera/01 Bohemian Rhapsody.wav")
            ),
            format!(
                "   2  Queen - Bohemian Rhapsody live  6:40  {}",
                f.m("Queen/Live/Bohemian Rhapsody (live).wav")
            ),
            format!(
                "   3  Björk - Army of Me  3:54  {}",
                f.m("Björk/Post/Army of Me.wav")
            ),
        ]
    );
    assert_eq!(f.ids("Wedding"), vec![Some(1), Some(4), Some(2)]);

    let r = f
        .run(&["playlist", "remove", "Wedding", "--position", "1"])
        .ok();
    assert_eq!(r.stdout, "removed entry 1 from 'Wedding'\n");
    assert_eq!(f.ids("Wedding"), vec![Some(4), Some(2)]);
    let r = f
        .run(&["playlist", "remove", "Wedding", "artist:björk"])
        .ok();
    assert_eq!(r.stdout, "removed 1 entries from 'Wedding'\n");
    assert_eq!(f.ids("Wedding"), vec![Some(4)]);

    f.run(&["playlist", "new", "Road trip", "artist:queen"])
        .ok();
    let ls = f.run(&["playlist", "ls"]).ok();
    assert_eq!(
        ls.lines(),
        vec![
            "Road trip  smart       2  artist:queen",
            "Wedding    static      1"
        ]
    );
    let ls = f.run(&["playlist", "ls", "--json"]).ok().json_lines();
    assert_eq!(ls[0]["kind"], "smart");
    assert_eq!(ls[0]["count"], 2);
    assert_eq!(ls[1]["name"], "Wedding");

    let r = f.run(&["playlist", "rename", "wedding", "Party"]).ok();
    assert_eq!(r.stdout, "renamed 'Wedding' to 'Party'\n");
    assert_eq!(f.ids("party"), vec![Some(4)]);
    let r = f.run(&["playlist", "delete", "PARTY"]).ok();
    r.assert_stdout("deleted static playlist 'Party' (1 entries); no track or file was touched\n");
    assert_eq!(f.run(&["playlist", "ls"]).ok().lines().len(), 1);
    // The files are untouched.
    assert!(f
        .music
        .join("Queen/Live/Bohemian Rhapsody (live).wav")
        .exists());
}

#[test]
fn clear_errors_for_bad_names_positions_and_queries() {
    let f = standard();
    f.run(&["playlist", "new", "A"]).ok();
    let cases: &[(&[&str], &str)] = &[
        (
            &["playlist", "new", "a"],
            "a playlist named 'A' already exists",
        ),
        (
            &["playlist", "new", "  "],
            "a playlist name cannot be empty",
        ),
        (&["playlist", "show", "Nope"], "no playlist named 'Nope'"),
        (
            &["playlist", "add", "Nope", "queen"],
            "no playlist named 'Nope'",
        ),
        (&["playlist", "delete", "Nope"], "no playlist named 'Nope'"),
        (
            &["playlist", "rename", "Nope", "B"],
            "no playlist named 'Nope'",
        ),
        (
            &["playlist", "remove", "A", "--position", "1"],
            "position 1: playlist 'A' is empty",
        ),
        (&["playlist", "add", "A"], "give a query or --file PATH"),
        (&["playlist", "new", "S", "nosuchfield:x"], "query: "),
        (
            &["playlist", "export", "Nope", "--to", "x.m3u8"],
            "no playlist named 'Nope'",
        ),
    ];
    for (args, msg) in cases {
        let r = f.run(args).expect_code(1);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    // The bad smart playlist was not created.
    assert_eq!(f.run(&["playlist", "ls"]).ok().lines().len(), 1);

    f.run(&["playlist", "add", "A", "queen"]).ok();
    let r = f
        .run(&["playlist", "remove", "A", "--position", "3"])
        .expect_code(1);
    r.assert_stderr("mixtape: position 3 is out of range: playlist 'A' has entries 1..2\n");
    let r = f
        .run(&["playlist", "remove", "A", "--position", "0"])
        .expect_code(1);
    assert!(r.stderr.contains("out of range"), "{}", r.stderr);

    f.run(&["playlist", "new", "Smart", "queen"]).ok();
    let r = f.run(&["playlist", "add", "Smart", "queen"]).expect_code(1);
    r.assert_stderr("mixtape: 'Smart' is a smart playlist (query: queen); its tracks come from the query, so entries cannot be added or removed\n");

    // --file must be a library track.
    let stray = f.env.wav("elsewhere/stray.wav", 9, 0.1);
    let r = f
        .run(&["playlist", "add", "A", "--file", stray.to_str().unwrap()])
        .expect_code(1);
    assert!(
        r.stderr.contains("stray.wav: not a track in the library"),
        "{}",
        r.stderr
    );
    let r = f.run(&["playlist", "rename", "A", "smart"]).expect_code(1);
    r.assert_stderr("mixtape: a playlist named 'Smart' already exists\n");
}

#[test]
fn import_m3u_with_every_kind_of_path() {
    let f = standard();
    let lists = f.env.path("lists/x").parent().unwrap().to_path_buf();
    let music = f.music.display().to_string();
    let text = format!(
        "\u{feff}#EXTM3U\r\n\
         #EXTINF:355,Queen - Bohemian Rhapsody\r\n\
         ../music/Queen/Opera/01 Bohemian Rhapsody.wav\r\n\
         C:\\Users\\Me\\MUSIC\\björk\\post\\army of me.wav\r\n\
         file://{}/AC%20DC/Back%20in%20Black/Hells%20Bells%20%231%20100%25.wav\r\n\
         #EXTINF:400,Queen - Bohemian Rhapsody live\r\n\
         /old/disk/Bohemian Rhapsody (live).wav\r\n\
         ../../../../../../../../etc/passwd\r\n\
         favourites.m3u8\r\n\
         {}/QUEEN/opera/01 bohemian rhapsody.WAV\r\n",
        music.replace(' ', "%20"),
        music
    );
    let file = lists.join("Favourites.m3u8");
    std::fs::write(&file, text).unwrap();
    let r = f.run(&["playlist", "import", file.to_str().unwrap()]).ok();
    let fd = file.display();
    assert_eq!(
        r.lines(),
        vec![
            format!("{fd}: line 4: matched by name+folder to {}", f.m("Björk/Post/Army of Me.wav")),
            format!(
                "{fd}: line 7: matched by name+tags+duration to {}",
                f.m("Queen/Live/Bohemian Rhapsody (live).wav")
            ),
            format!("{fd}: line 8: unresolved: ../../../../../../../../etc/passwd (not in the library)"),
            format!(
                "{fd}: line 9: unresolved: favourites.m3u8 (refers to this playlist itself; playlist references are not followed)"
            ),
            format!("{fd}: line 10: matched ignoring case or Unicode form to {}", f.m("Queen/Opera/01 Bohemian Rhapsody.wav")),
            format!(
                "imported 'Favourites' from {fd} (m3u8): 7 entries, 2 by path, 3 matched otherwise, 2 unresolved"
            ),
        ]
    );
    let show = f.show("favourites");
    assert_eq!(
        show.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![Some(1), Some(2), Some(3), Some(4), None, None, Some(1)]
    );
    assert_eq!(
        show[4],
        (None, "unresolved".into(), "/etc/passwd".into(), Some(8))
    );
    let text = f.run(&["playlist", "show", "Favourites"]).ok();
    assert_eq!(text.lines()[4], "   5  [unresolved, line 8] /etc/passwd");
}

#[test]
fn import_latin1_pls_and_xspf() {
    let f = standard();
    // A Latin-1 .m3u written by an old Windows player.
    let mut bytes = b"#EXTM3U\r\n#EXTINF:234,Bj\xf6rk - Army of Me\r\n".to_vec();
    bytes.extend_from_slice(f.music.to_str().unwrap().as_bytes());
    bytes.extend_from_slice(b"/Bj\xf6rk/Post/Army of Me.wav\r\n");
    let file = f.env.path("old.m3u");
    std::fs::write(&file, bytes).unwrap();
    let r = f.run(&["playlist", "import", file.to_str().unwrap()]).ok();
    assert!(
        r.stdout.contains("(m3u): 1 entries, 1 by path"),
        "{}",
        r.stdout
    );
    assert_eq!(f.ids("old"), vec![Some(2)]);

    let pls = f.env.path("list.pls");
    std::fs::write(
        &pls,
        "[playlist]\nFile2=music/Björk/Post/Army of Me.wav\nFile1=music\\Queen\\Opera\\01 Bohemian Rhapsody.wav\nNumberOfEntries=2\nVersion=2\n",
    )
    .unwrap();
    f.run(&["playlist", "import", pls.to_str().unwrap(), "--name", "P"])
        .ok();
    assert_eq!(f.ids("P"), vec![Some(1), Some(2)]);

    let xspf = f.env.path("sub/list.xspf");
    std::fs::write(
        &xspf,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>
  <track><location>../music/AC%20DC/Back%20in%20Black/Hells%20Bells%20%231%20100%25.wav</location></track>
  <track><location>{}</location><title>Army &amp; Me</title></track>
  <track><location>http://example.com/stream.mp3</location></track>
</trackList></playlist>"#,
            format!("file://{}/Bj%C3%B6rk/Post/Army%20of%20Me.wav", f.music.display()).replace(' ', "%20")
        ),
    )
    .unwrap();
    let r = f.run(&["playlist", "import", xspf.to_str().unwrap()]).ok();
    assert!(
        r.stdout
            .contains("line 5: unresolved: http://example.com/stream.mp3 (not a local file"),
        "{}",
        r.stdout
    );
    assert_eq!(f.ids("list"), vec![Some(3), Some(2), None]);
}

#[test]
fn bad_playlist_files_give_errors_with_lines() {
    let f = standard();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "junk.m3u",
            b"#EXTM3U\n/a.mp3\n\x7fELF\x02\x01\x01\x00\x00",
            "junk.m3u: m3u: line 3, column 1: not a text playlist",
        ),
        (
            "bad.xspf",
            b"<?xml version='1.0'?>\n<playlist>\n  <trackList>\n  </track>\n</playlist>",
            "bad.xspf: xspf: line 4, column 3: </track> does not close <trackList>",
        ),
        (
            "bad.pls",
            b"[playlist]\nFile1=/a.mp3\ngarbage line\n",
            "bad.pls: pls: line 3, column 1: expected key=value",
        ),
    ];
    for (name, bytes, msg) in cases {
        let p = f.env.path(name);
        std::fs::write(&p, bytes).unwrap();
        let r = f
            .run(&["playlist", "import", p.to_str().unwrap()])
            .expect_code(1);
        assert!(r.stderr.contains(msg), "{name}: {}", r.stderr);
    }
    let r = f
        .run(&["playlist", "import", "does-not-exist.m3u"])
        .expect_code(1);
    r.assert_stderr("mixtape: does-not-exist.m3u: No such file or directory (os error 2)\n");
    assert_eq!(f.run(&["playlist", "ls"]).ok().stdout, "");
}

#[test]
fn export_then_import_round_trips_in_every_format() {
    let f = standard();
    f.run(&["playlist", "new", "Mix"]).ok();
    f.run(&[
        "playlist",
        "add",
        "Mix",
        "--file",
        &f.m("AC DC/Back in Black/Hells Bells #1 100%.wav"),
        &f.m("Björk/Post/Army of Me.wav"),
    ])
    .ok();
    // A missing track survives the trip too (unresolved entries: "lost" below).
    let lost = f.env.path("lost.m3u");
    std::fs::write(&lost, "x:\\This\\is\\å\\path\\to_a_file.mp3\n").unwrap();
    f.run(&["playlist", "import", lost.to_str().unwrap()]).ok();
    f.run(&[
        "playlist",
        "add",
        "Mix",
        "--file",
        &f.m("Queen/Opera/01 Bohemian Rhapsody.wav"),
        &f.m("Queen/Live/Bohemian Rhapsody (live).wav"),
    ])
    .ok();
    let lib = db(&f.env);
    lib.execute("UPDATE tracks SET missing = 1 WHERE id = 4", [])
        .unwrap();
    drop(lib);
    let want = f.ids("Mix");
    assert_eq!(want, vec![Some(3), Some(2), Some(1), Some(4)]);

    for format in ["m3u8", "pls", "xspf"] {
        for extra in [
            &[][..],
            &["--relative"][..],
            &["--relative", "--windows-paths"][..],
        ] {
            let to = f
                .env
                .path(&format!("out/{format}-{}.{format}", extra.len()));
            let mut args = vec![
                "playlist",
                "export",
                "Mix",
                "--format",
                format,
                "--to",
                to.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            let r = f.run(&args).ok();
            assert!(r.stdout.starts_with("wrote 4 entries to"), "{}", r.stdout);
            assert!(
                r.stderr.contains("warning: entry 4 is missing"),
                "{}",
                r.stderr
            );
            let name = format!("{format}{}", extra.len());
            f.run(&["playlist", "import", to.to_str().unwrap(), "--name", &name])
                .ok();
            assert_eq!(f.ids(&name), want, "{format} {extra:?}");
        }
    }
    let m3u8 = std::fs::read_to_string(f.env.path("out/m3u8-1.m3u8")).unwrap();
    assert_eq!(
        m3u8,
        "#EXTM3U\n#EXTINF:312,AC/DC - Hells Bells\n../music/AC DC/Back in Black/Hells Bells #1 100%.wav\n\
         #EXTINF:234,Björk - Army of Me\n../music/Björk/Post/Army of Me.wav\n\
         #EXTINF:355,Queen - Bohemian Rhapsody\n../music/Queen/Opera/01 Bohemian Rhapsody.wav\n\
         #EXTINF:400,Queen - Bohemian Rhapsody live\n../music/Queen/Live/Bohemian Rhapsody (live).wav\n"
    );
    let win = std::fs::read_to_string(f.env.path("out/pls-2.pls")).unwrap();
    assert!(
        win.contains("File2=..\\music\\Björk\\Post\\Army of Me.wav\n"),
        "{win}"
    );
    let xspf = std::fs::read_to_string(f.env.path("out/xspf-0.xspf")).unwrap();
    assert!(
        xspf.contains("/AC%20DC/Back%20in%20Black/Hells%20Bells%20%231%20100%25.wav</location>"),
        "{xspf}"
    );
    assert!(xspf.contains("<creator>AC/DC</creator>"), "{xspf}");

    // --relative-to, and the unresolved entry of the imported list.
    let to = f.env.path("out/lost.m3u8");
    f.run(&["playlist", "export", "lost", "--to", to.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&to).unwrap(),
        "#EXTM3U\n#EXTINF:-1,\nx:\\This\\is\\å\\path\\to_a_file.mp3\n"
    );
    let to = f.env.path("elsewhere/mix.m3u8");
    f.run(&[
        "playlist",
        "export",
        "Mix",
        "--to",
        to.to_str().unwrap(),
        "--relative",
        "--relative-to",
        f.music.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&to).unwrap();
    assert!(text.contains("\nBjörk/Post/Army of Me.wav\n"), "{text}");
    // An existing file is not replaced without --force.
    let r = f
        .run(&["playlist", "export", "Mix", "--to", to.to_str().unwrap()])
        .expect_code(1);
    assert!(
        r.stderr.contains("already exists (use --force"),
        "{}",
        r.stderr
    );
    f.run(&[
        "playlist",
        "export",
        "Mix",
        "--to",
        to.to_str().unwrap(),
        "--force",
    ])
    .ok();
    assert!(!std::fs::read_to_string(&to).unwrap().contains("\nBjörk/"));
}

#[test]
fn huge_playlist_imports() {
    let f = standard();
    let mut text = String::from("#EXTM3U\n");
    for i in 0..100_000 {
        if i % 1000 == 0 {
            text.push_str(&format!("{}\n", f.m("Björk/Post/Army of Me.wav")));
        } else {
            text.push_str(&format!("#EXTINF:{i},A - T{i}\n/nowhere/{i}.mp3\n"));
        }
    }
    let p = f.env.path("huge.m3u8");
    std::fs::write(&p, text).unwrap();
    let r = f.run(&["playlist", "import", p.to_str().unwrap()]).ok();
    assert!(
        r.stdout
            .ends_with("100000 entries, 100 by path, 0 matched otherwise, 99900 unresolved\n"),
        "{}",
        &r.stdout[r.stdout.len().saturating_sub(300)..]
    );
    let ls = f.run(&["playlist", "ls"]).ok();
    assert_eq!(ls.stdout, "huge  static  100000\n");
}

/// Issue 4: a static playlist points at track identity, so a file moved and
/// rescanned is still played, and a deleted one shows as missing.
#[test]
fn playlist_survives_move_and_rescan() {
    let env = TestEnv::new();
    let one = env.wav("music/a/one.wav", 1, 0.5);
    let two = env.wav("music/a/two.wav", 2, 0.6);
    let three = env.wav("music/a/three.wav", 3, 0.7);
    set_tags(&one, &[("artist", "Alpha"), ("title", "One")]);
    env.run(["scan", "music", "--no-fingerprint"]).ok();
    env.run(["playlist", "new", "Keep"]).ok();
    for f in [&three, &one, &two] {
        env.run(["playlist", "add", "Keep", "--file", f.to_str().unwrap()])
            .ok();
    }
    let before: Vec<_> = env
        .run(["playlist", "show", "Keep", "--json"])
        .ok()
        .json_lines()
        .iter()
        .map(|v| v["track"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(before.len(), 3);

    // Move and rename one, delete another, then rescan.
    let moved = env.path("music/b/renamed.wav");
    std::fs::rename(&one, &moved).unwrap();
    std::fs::remove_file(&two).unwrap();
    env.run(["scan", "music", "--no-fingerprint"]).ok();

    let after = env
        .run(["playlist", "show", "Keep", "--json"])
        .ok()
        .json_lines();
    let ids: Vec<_> = after.iter().map(|v| v["track"]["id"].as_i64()).collect();
    assert_eq!(ids, before.iter().map(|&i| Some(i)).collect::<Vec<_>>());
    let moved_canon = moved.canonicalize().unwrap();
    assert_eq!(after[1]["status"], "ok");
    assert_eq!(after[1]["track"]["path"], moved_canon.to_str().unwrap());
    assert_eq!(after[1]["track"]["title"], "One");
    assert_eq!(after[2]["status"], "missing");
    let text = env.run(["playlist", "show", "Keep"]).ok();
    assert!(
        text.lines()[1].ends_with(&format!("Alpha - One  0:01  {}", moved_canon.display())),
        "{}",
        text.stdout
    );
    assert!(
        text.lines()[2].contains("[missing] two.wav"),
        "{}",
        text.stdout
    );

    // An export follows the move, and writes the missing file's last path.
    let to = env.path("out/keep.m3u8");
    let r = env
        .run(["playlist", "export", "Keep", "--to", to.to_str().unwrap()])
        .ok();
    assert!(r.stderr.contains("entry 3 is missing"), "{}", r.stderr);
    let m3u = std::fs::read_to_string(&to).unwrap();
    assert!(
        m3u.contains(&format!("\n{}\n", moved_canon.display())),
        "{m3u}"
    );
    assert!(m3u.contains("/music/a/two.wav\n"), "{m3u}");

    // Pruning the missing track keeps the entry, unresolved, with its source.
    env.run(["scan", "music", "--no-fingerprint", "--prune"])
        .ok();
    let after = env
        .run(["playlist", "show", "Keep", "--json"])
        .ok()
        .json_lines();
    assert_eq!(after.len(), 3);
    assert_eq!(after[2]["status"], "unresolved");
    assert!(after[2]["source"]
        .as_str()
        .unwrap()
        .ends_with("/music/a/two.wav"));
}

/// Issue 4 acceptance: the four playlists of beets' test corpus, imported
/// against a library scanned from that folder: every entry resolves or is
/// reported with its line.
#[test]
fn corpus_playlists_import_and_report_every_entry() {
    // ../shared/corpus beside the checkout (or beside a worktree's parent).
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(corpus) = ["../shared/corpus/beets", "../../shared/corpus/beets"]
        .iter()
        .map(|rel| manifest.join(rel))
        .find(|p| p.is_dir())
    else {
        eprintln!("skipped: ../shared/corpus/beets is absent");
        return;
    };
    let env = TestEnv::new();
    let scan = env.run([
        std::ffi::OsStr::new("scan"),
        corpus.as_os_str(),
        "--no-fingerprint".as_ref(),
    ]);
    assert!(matches!(scan.code, 0 | 2), "scan: {scan:?}");
    for name in [
        "playlist.m3u",
        "playlist.m3u8",
        "playlist_windows.m3u8",
        "playlist_non_ext.m3u",
    ] {
        let file = corpus.join(name);
        let bytes = std::fs::read(&file).unwrap();
        let r = env
            .run([
                std::ffi::OsStr::new("playlist"),
                "import".as_ref(),
                file.as_os_str(),
                "--name".as_ref(),
                name.as_ref(),
            ])
            .ok();
        let shown = env
            .run(["playlist", "show", name, "--json"])
            .ok()
            .json_lines();
        // The entries the file holds: every non-comment line, with its number.
        let text = String::from_utf8(bytes).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let want: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert_eq!(shown.len(), want.len(), "{name}: {}", r.stdout);
        for ((line, loc), e) in want.iter().zip(&shown) {
            assert_eq!(e["source_line"].as_u64(), Some(*line as u64), "{name}");
            if e["status"] != "ok" {
                let note = format!("{}: line {line}: unresolved: {loc} (", file.display());
                assert!(
                    r.stdout.contains(&note),
                    "{name}: no report for line {line}:\n{}",
                    r.stdout
                );
            }
        }
        println!("{name}: {}", r.lines().last().unwrap());
    }
}

/// Smart playlists speak the whole query language (several terms in one
/// argument, negation, `playlist:NAME`), are re-evaluated on every read and
/// are validated when created.
#[test]
fn smart_playlists_use_the_query_language() {
    let f = standard();
    let r = f
        .run(&["playlist", "new", "Road trip", "artist:queen ^live"])
        .ok();
    assert_eq!(
        r.stdout,
        "created smart playlist 'Road trip' (artist:queen ^live): 1 tracks match now\n"
    );
    assert_eq!(f.ids("road trip"), vec![Some(1)]);
    // Words given separately are the same query; -term works after --.
    f.run(&["playlist", "new", "Same", "artist:queen", "--", "-live"])
        .ok();
    assert_eq!(f.ids("Same"), vec![Some(1)]);

    f.run(&["playlist", "new", "Wedding"]).ok();
    f.run(&[
        "playlist",
        "add",
        "Wedding",
        "--file",
        &f.m("Björk/Post/Army of Me.wav"),
    ])
    .ok();
    f.run(&[
        "playlist",
        "new",
        "Both",
        "playlist:wedding , playlist:\"road trip\"",
    ])
    .ok();
    // In the query's default order (artist, album, ...).
    assert_eq!(f.ids("Both"), vec![Some(2), Some(1)]);
    // Re-evaluated: a change to the static playlist shows up at once.
    f.run(&["playlist", "add", "Wedding", "title:hells"]).ok();
    assert_eq!(f.ids("Both"), vec![Some(3), Some(2), Some(1)]);
    let ls = f.run(&["playlist", "ls"]).ok();
    assert!(
        ls.lines()
            .contains(&"Both       smart       3  playlist:wedding , playlist:\"road trip\""),
        "{}",
        ls.stdout
    );

    for (query, msg) in [
        (
            "year:19x0..",
            "query: year:19x0..: expected a number at column 6",
        ),
        (
            "playlist:nope",
            "query: playlist:nope: no playlist named 'nope'",
        ),
        ("title:\"open", "unbalanced quote"),
    ] {
        let r = f.run(&["playlist", "new", "Bad", query]).expect_code(1);
        assert!(r.stderr.contains(msg), "{query}: {}", r.stderr);
    }
    assert!(!f.run(&["playlist", "ls"]).ok().stdout.contains("Bad"));

    // Renaming a playlist another one is built on says what broke.
    let r = f.run(&["playlist", "rename", "Wedding", "Party"]).ok();
    r.assert_stderr("mixtape: warning: smart playlist 'Both' no longer works: query: playlist:wedding: no playlist named 'wedding'\n");
    let ls = f.run(&["playlist", "ls"]).ok();
    assert!(
        ls.stdout
            .contains("Both       smart   ? (query: playlist:wedding"),
        "{}",
        ls.stdout
    );
}
