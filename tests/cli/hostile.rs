//! Integration tests for issue 12 ("Never lose a file"), export and names:
//! a rerun next to files the user replaced, symlinks inside a destination,
//! names too long for the filesystem, control characters, hostile tags and
//! hostile playlists. Each test is bounded to seconds (`run_within`).
//!
//! Libraries are filled by inserting rows for real files (with their real
//! size and mtime, so organize trusts them), which lets a tag hold anything,
//! NUL included.

use std::path::Path;

use crate::support::*;

/// Seconds a single command may take here.
const LIMIT: u64 = 60;

/// Insert a track row for the existing file `path` with these tags.
fn add_track(env: &TestEnv, path: &Path, artist: &str, title: &str) -> i64 {
    let lib = db(env);
    let meta = std::fs::metadata(path).unwrap();
    let mtime = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let hash = mixtape::fsops::hash_file(path).unwrap();
    lib
        .execute(
            "INSERT INTO tracks (path, size, mtime, added, scanned, file_hash, title, artist, album, \
             track, format, lossless, length, samplerate, channels, bitdepth, bitrate) \
             VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, ?6, 'Album', 1, 'wav', 1, 0.2, 44100, 2, 16, 1411200)",
            rusqlite::params![
                mixtape::library::path_to_bytes(path),
                meta.len() as i64,
                mtime,
                hash.to_vec(),
                title,
                artist,
            ],
        )
        .unwrap();
    lib.last_insert_rowid()
}

/// A WAV of 0.2 s in the library.
fn wav_track(env: &TestEnv, rel: &str, seed: u64, artist: &str, title: &str) -> i64 {
    let p = env.wav(rel, seed, 0.2);
    add_track(env, &p.canonicalize().unwrap(), artist, title)
}

/// Files below `dir`, relative, sorted (mixtape's manifest left out).
fn files_but_manifest(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|(k, v)| {
            v != "dir" && v != "special" && !v.starts_with("link") && k != ".mixtape-export.json"
        })
        .map(|(k, _)| k)
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Issue 12: a rerun deleted (or moved) an exported file that the user had
/// replaced, and rewrote an M3U8 the user had edited. Now each is left
/// alone, reported once, and is the user's from then on.
#[test]
fn an_export_rerun_leaves_files_the_user_replaced_alone() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, "A", "One");
    let b = wav_track(&env, "src/b.wav", 2, "B", "Two");
    let c = wav_track(&env, "src/c.wav", 3, "C", "Three");
    add_playlist(&env, "P", &[a, b, c]);
    let dest = env.root().join("stick");
    env.run_within(LIMIT, ["export", "P", "--to", s(&dest)])
        .ok();
    assert_eq!(
        files_but_manifest(&dest),
        vec!["A - One.wav", "B - Two.wav", "C - Three.wav", "P.m3u8"]
    );
    // The user records over one file (another size), patches another in
    // place (same size, other bytes) and edits the playlist.
    std::fs::write(dest.join("A - One.wav"), b"my own recording").unwrap();
    let mut two = std::fs::read(dest.join("B - Two.wav")).unwrap();
    let n = two.len();
    two[n - 4..].copy_from_slice(b"mine");
    std::fs::write(dest.join("B - Two.wav"), &two).unwrap();
    std::fs::write(dest.join("P.m3u8"), b"#EXTM3U\nmy order.wav\n").unwrap();
    remove_from_playlist(&env, "P", a);
    remove_from_playlist(&env, "P", b);
    let r = env
        .run_within(LIMIT, ["export", "P", "--to", s(&dest)])
        .ok();
    let d = dest.display();
    assert_eq!(
        r.stdout,
        format!(
            "Skipped (already up to date): 1\n\
             warning: {d}/A - One.wav: changed since mixtape wrote it; left alone\n\
             warning: {d}/B - Two.wav: changed since mixtape wrote it; left alone\n\
             warning: {d}/P.m3u8: changed since mixtape wrote it; left alone\n\
             0 converted, 0 copied, 1 skipped, 0 failed, 0 removed (0 B written) -> {d}\n"
        )
    );
    assert_eq!(
        std::fs::read(dest.join("A - One.wav")).unwrap(),
        b"my own recording"
    );
    assert_eq!(std::fs::read(dest.join("B - Two.wav")).unwrap(), two);
    assert_eq!(
        std::fs::read(dest.join("P.m3u8")).unwrap(),
        b"#EXTM3U\nmy order.wav\n"
    );
    // Reported once: they are the user's files now, and a new playlist file
    // is written beside the edited one.
    let r = env
        .run_within(LIMIT, ["export", "P", "--to", s(&dest)])
        .ok();
    assert!(!r.stdout.contains("warning"), "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(dest.join("P (2).m3u8")).unwrap(),
        "#EXTM3U\n#EXTINF:0,C - Three\nC - Three.wav\n"
    );
    // A user's file in the staging folder survives the cleanup.
    let staging = dest.join(".mixtape-staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("notes.txt"), b"mine").unwrap();
    env.run_within(LIMIT, ["export", "P", "--to", s(&dest)])
        .ok();
    assert_eq!(std::fs::read(staging.join("notes.txt")).unwrap(), b"mine");
}

/// Issue 12: a symlinked folder inside the destination was followed for
/// writes and deletions. Now writing or removing through a link that leads
/// outside is refused, and the outside is left byte for byte as it was.
#[cfg(unix)]
#[test]
fn a_symlink_inside_the_destination_that_leads_outside_is_refused() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, "A", "One");
    let b = wav_track(&env, "src/b.wav", 2, "B", "Two");
    add_playlist(&env, "P", &[a, b]);
    let outside = env.root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("precious.txt"), b"keep").unwrap();
    let before = tree(&outside);
    let root = env.root().canonicalize().unwrap();
    let dest = root.join("cd");
    std::fs::create_dir_all(&dest).unwrap();
    std::os::unix::fs::symlink(&outside, dest.join("disc01")).unwrap();
    let r = env.run_within(LIMIT, ["export", "P", "--to", s(&dest), "--profile", "cd"]);
    let r = r.expect_code(2);
    let d = dest.display();
    assert!(
        r.stdout.starts_with(&format!(
            "Failed:\n  \
             {d}/disc01/01 A - One.wav: leads outside {d} through a symlink; refused\n  \
             {d}/disc01/02 B - Two.wav: leads outside {d} through a symlink; refused\n\
             0 converted, 0 copied, 0 skipped, 2 failed, 0 removed (0 B written) -> {d}\n"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(tree(&outside), before, "something was written outside");

    // The staging folder itself as a link: the export stops before writing.
    let dest2 = root.join("usb");
    std::fs::create_dir_all(&dest2).unwrap();
    std::os::unix::fs::symlink(&outside, dest2.join(".mixtape-staging")).unwrap();
    let r = env
        .run_within(LIMIT, ["export", "P", "--to", s(&dest2)])
        .expect_code(1);
    let d2 = dest2.display();
    assert_eq!(
        r.stderr,
        format!(
            "mixtape: export to {d2}: {d2}/.mixtape-staging/.mixtape-staging: leads outside {d2} through a symlink; refused\n"
        )
    );
    assert_eq!(tree(&outside), before, "something was written outside");

    // A file the manifest lists, reached through a link made after the
    // export, is not removed through it.
    let dest3 = root.join("car");
    env.run_within(LIMIT, ["export", "P", "--to", s(&dest3), "--profile", "cd"])
        .ok();
    let moved = root.join("moved");
    std::fs::rename(dest3.join("disc01"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, dest3.join("disc01")).unwrap();
    let kept = tree(&moved);
    remove_from_playlist(&env, "P", b);
    let r = env.run_within(LIMIT, ["export", "P", "--to", s(&dest3), "--profile", "cd"]);
    assert_eq!(tree(&moved), kept, "removed or rewrote through a link");
    assert!(
        r.stdout.contains(&format!(
            "{}/disc01/02 B - Two.wav: leads outside {} through a symlink; refused",
            dest3.display(),
            dest3.display()
        )),
        "{}",
        r.stdout
    );

    // organize --into: the same.
    let into = root.join("library");
    std::fs::create_dir_all(&into).unwrap();
    std::os::unix::fs::symlink(&outside, into.join("A")).unwrap();
    let r = env
        .run_within(
            LIMIT,
            [
                "organize",
                "--into",
                s(&into),
                "--copy",
                "--template",
                "$artist/$title",
            ],
        )
        .expect_code(2);
    assert!(
        r.stderr.contains(&format!(
            "{}: leads outside {} through a symlink; refused",
            into.join("A/One.wav").display(),
            into.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(tree(&outside), before, "organize wrote outside");
    assert!(into.join("B/Two.wav").is_file());
}

/// Issue 12: one 101-character Japanese title (303 bytes) or an emoji title
/// gave `File name too long (os error 36)` and stopped the whole export, for
/// every profile, on every rerun.
#[test]
fn long_japanese_and_emoji_titles_are_exported_under_255_bytes_with_the_rest() {
    let env = TestEnv::new();
    let japanese = "夜".repeat(101);
    let emoji = "🎵".repeat(70);
    let a = wav_track(&env, "src/a.wav", 1, "歌手", &japanese);
    let b = wav_track(&env, "src/b.wav", 2, "A", &emoji);
    let c = wav_track(&env, "src/c.wav", 3, "C", "Plain");
    add_playlist(&env, &japanese, &[a, b, c]);
    for profile in ["usb", "cd"] {
        let dest = env.root().join(profile);
        let r = env.run_within(
            LIMIT,
            ["export", &japanese, "--to", s(&dest), "--profile", profile],
        );
        let r = r.ok();
        let names = files_but_manifest(&dest);
        assert_eq!(
            names.len(),
            if profile == "usb" { 4 } else { 5 },
            "{names:?}"
        );
        for n in &names {
            for part in n.split('/') {
                assert!(part.len() <= 255, "{part}: {} bytes", part.len());
            }
        }
        assert!(names.iter().any(|n| n.contains("夜夜夜")), "{names:?}");
        assert!(names.iter().any(|n| n.contains("🎵🎵")), "{names:?}");
        assert!(
            names.iter().any(|n| n.ends_with("C - Plain.wav")),
            "{names:?}"
        );
        assert!(r.stdout.contains("0 failed"), "{}", r.stdout);
    }
}

/// Issue 12: a control character in a title went into the exported M3U8 (and
/// `playlist export` files), and the import then refused the whole file
/// (`not a text playlist (control character U+0001)`).
#[test]
fn control_characters_in_titles_do_not_break_the_playlist_round_trip() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, "A\u{1b}[2J", "Bell\u{7}\u{1}Song");
    let b = wav_track(&env, "src/b.wav", 2, "B", "Two\u{85}\u{9b}x\u{7f}");
    add_playlist(&env, "P", &[a, b]);
    let dest = env.root().join("stick");
    env.run_within(LIMIT, ["export", "P", "--to", s(&dest)])
        .ok();
    let m3u = std::fs::read_to_string(dest.join("P.m3u8")).unwrap();
    assert_eq!(
        m3u,
        "#EXTM3U\n\
         #EXTINF:0,A\u{fffd}[2J - Bell\u{fffd}\u{fffd}Song\n\
         A_[2J - Bell__Song.wav\n\
         #EXTINF:0,B - Two \u{fffd}x\u{fffd}\n\
         B - Two _x_.wav\n"
    );
    // The exported files are in the library once scanned, so the import
    // matches every entry by path.
    env.run_within(LIMIT, ["scan", "--no-fingerprint", s(&dest)])
        .ok();
    let r = env
        .run_within(
            LIMIT,
            [
                "playlist",
                "import",
                s(&dest.join("P.m3u8")),
                "--name",
                "Back",
            ],
        )
        .ok();
    assert_eq!(
        r.stdout,
        format!(
            "imported 'Back' from {} (m3u8): 2 entries, 2 by path, 0 matched otherwise, 0 unresolved\n",
            dest.join("P.m3u8").display()
        )
    );
    // `playlist export` in every format reads back with the same entries.
    for fmt in ["m3u8", "pls", "xspf"] {
        let file = env.root().join(format!("out.{fmt}"));
        env.run_within(LIMIT, ["playlist", "export", "P", "--to", s(&file)])
            .ok();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains(|c: char| c.is_control() && c != '\n'),
            "{fmt}: {text:?}"
        );
        let name = format!("Back {fmt}");
        let r = env
            .run_within(LIMIT, ["playlist", "import", s(&file), "--name", &name])
            .ok();
        assert!(
            r.stdout
                .ends_with("2 entries, 2 by path, 0 matched otherwise, 0 unresolved\n"),
            "{fmt}: {}",
            r.stdout
        );
        let shown = env
            .run_within(LIMIT, ["playlist", "show", &name, "--json"])
            .ok();
        let ids: Vec<i64> = shown
            .json_lines()
            .iter()
            .map(|v| {
                v["track"]["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{fmt}: {v}"))
            })
            .collect();
        assert_eq!(ids, vec![a, b], "{fmt}");
    }
}

/// Hostile tag values for one test each (artist, title).
const HOSTILE: &[(&str, &str)] = &[
    ("..", "../../../escaped"),
    ("/etc", "/passwd"),
    ("a\\..\\..\\b", "c\\d"),
    ("nul\0byte", "x\0/../y"),
    ("CON", "PRN"),
    ("6 ÷ 3", "÷/÷"),
    (".", "."),
];

/// Issue 12: tags with `../`, `/`, `\`, NUL, 1000 characters, `CON` and `÷`
/// never write outside the destination, in export or in organize (where
/// `%ascii{}` used to turn `÷` into a folder separator).
#[test]
fn hostile_tags_never_write_outside_the_destination() {
    let env = TestEnv::new();
    let long = "x".repeat(1000);
    let mut tags: Vec<(String, String)> = HOSTILE
        .iter()
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .collect();
    tags.push((long.clone(), long.clone()));
    let mut ids = Vec::new();
    for (i, (artist, title)) in tags.iter().enumerate() {
        ids.push(wav_track(
            &env,
            &format!("src/{i}.wav"),
            i as u64,
            artist,
            title,
        ));
    }
    add_playlist(&env, "P", &ids);
    let root = env.root().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("deep/er")).unwrap();
    let outside_before = tree(&root);
    let mut written = Vec::new();
    for profile in ["usb", "cd"] {
        let dest = root.join("deep/er").join(profile);
        env.run_within(
            LIMIT,
            ["export", "P", "--to", s(&dest), "--profile", profile],
        )
        .ok();
        let names = files_but_manifest(&dest);
        // One file per track, plus the playlist or the CUE and TOC.
        assert_eq!(
            names.len(),
            ids.len() + if profile == "usb" { 1 } else { 2 },
            "{names:?}"
        );
        for n in &names {
            let depth = if profile == "usb" { 1 } else { 2 };
            assert_eq!(n.split('/').count(), depth, "{n}");
            assert!(
                n.split('/').all(|c| c.len() <= 255 && !c.starts_with('.')),
                "{n}"
            );
        }
        written.push(dest);
    }
    let usb = files_but_manifest(&written[0]);
    assert!(usb.contains(&"6 ÷ 3 - ÷_÷.wav".to_string()), "{usb:?}");
    assert!(usb.contains(&"CON - PRN.wav".to_string()), "{usb:?}");
    assert!(
        usb.contains(&"nul_byte - x__.._y.wav".to_string()),
        "{usb:?}"
    );

    // organize, plain and with %ascii{}: everything lands below --into, and
    // no tag adds a folder level.
    for (n, template) in ["$artist/$title", "%ascii{$artist}/%ascii{$title}"]
        .iter()
        .enumerate()
    {
        let into = root.join(format!("org{n}"));
        env.run_within(
            LIMIT,
            [
                "organize",
                "--into",
                s(&into),
                "--copy",
                "--template",
                template,
            ],
        )
        .ok();
        let names = files_but_manifest(&into);
        assert_eq!(names.len(), ids.len(), "{names:?}");
        for f in &names {
            assert_eq!(f.split('/').count(), 2, "{template}: {f}");
        }
        written.push(into);
    }
    let ascii = files_but_manifest(&written[3]);
    assert!(ascii.contains(&"6 _ 3/___.wav".to_string()), "{ascii:?}");
    // Nothing changed outside what was written to.
    let outside = |k: &String| {
        !k.starts_with("library.db")
            && !written
                .iter()
                .any(|w| root.join(k).starts_with(w) || w.starts_with(root.join(k)))
    };
    let mut after = tree(&root);
    after.retain(|k, _| outside(k));
    let mut before = outside_before;
    before.retain(|k, _| outside(k));
    assert_eq!(after, before);
}

/// Issue 12: playlists naming `../../etc/passwd`, `file:///etc/shadow` or
/// a file outside the library, and one with a 100 MB line. Import never
/// opens a named file (a FIFO would hang it), refuses the endless line
/// without reading it all, and reports each clearly.
#[cfg(unix)]
#[test]
fn hostile_playlists_are_reported_without_touching_anything_outside() {
    let env = TestEnv::new();
    wav_track(&env, "music/a.wav", 1, "A", "One");
    let root = env.root().canonicalize().unwrap();
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let fifo = outside.join("trap.mp3");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let before = tree(&root);
    let lists = root.join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    let evil = lists.join("evil.m3u8");
    std::fs::write(
        &evil,
        "#EXTM3U\n../../../../../../etc/passwd\nfile:///etc/shadow\n../outside/trap.mp3\nfile://localhost/etc/passwd\n../music/a.wav\n",
    )
    .unwrap();
    let r = env.run_within(LIMIT, ["playlist", "import", s(&evil)]).ok();
    let e = evil.display();
    assert_eq!(
        r.stdout,
        format!(
            "{e}: line 2: unresolved: ../../../../../../etc/passwd (not in the library)\n\
             {e}: line 3: unresolved: file:///etc/shadow (not in the library)\n\
             {e}: line 4: unresolved: ../outside/trap.mp3 (not in the library)\n\
             {e}: line 5: unresolved: file://localhost/etc/passwd (not in the library)\n\
             imported 'evil' from {e} (m3u8): 5 entries, 1 by path, 0 matched otherwise, 4 unresolved\n"
        )
    );

    // A 100 MB line: refused at 1 MiB, naming the line, in well under the limit.
    let big = lists.join("big.m3u");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(b"#EXTM3U\n").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n").unwrap();
    }
    let started = std::time::Instant::now();
    let r = env
        .run_within(LIMIT, ["playlist", "import", s(&big)])
        .expect_code(1);
    assert_eq!(
        r.stderr,
        format!(
            "mixtape: {}: line 2 is longer than 1048576 bytes\n",
            big.display()
        )
    );
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    std::fs::remove_file(&big).unwrap();
    // The same in PLS.
    let pls = lists.join("big.pls");
    let mut body = b"[playlist]\nFile1=".to_vec();
    body.resize(body.len() + (2 << 20), b'b');
    std::fs::write(&pls, &body).unwrap();
    let r = env
        .run_within(LIMIT, ["playlist", "import", s(&pls)])
        .expect_code(1);
    assert_eq!(
        r.stderr,
        format!(
            "mixtape: {}: line 2 is longer than 1048576 bytes\n",
            pls.display()
        )
    );
    std::fs::remove_file(&pls).unwrap();
    // Nothing outside the playlists changed (the FIFO was never opened).
    let mut after = tree(&root);
    after.retain(|k, _| !k.starts_with("lists") && !k.starts_with("library.db"));
    let mut before = before;
    before.retain(|k, _| !k.starts_with("library.db"));
    assert_eq!(after, before);
}
