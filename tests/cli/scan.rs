//! Integration tests for `mixtape scan` and `mixtape stats` (issue: "Scan
//! music folders into the library").

use std::path::{Path, PathBuf};

use crate::support::*;
use mixtape::export::encode::Mp3Rate;

/// Parse the JSON summary printed by `scan --json`.
fn summary(run: &Run) -> serde_json::Value {
    run.json_lines().pop().expect("a JSON summary line")
}

fn count(s: &serde_json::Value, key: &str) -> u64 {
    s[key].as_u64().unwrap_or_else(|| panic!("no {key} in {s}"))
}

fn scan_json(env: &TestEnv, dir: &Path) -> (Run, serde_json::Value) {
    let run = env.run(
        ["scan", "--json", "--no-fingerprint"]
            .iter()
            .map(|s| s.to_string())
            .chain([dir.display().to_string()]),
    );
    let s = summary(&run);
    (run, s)
}

/// Open the test library directly to check stored facts.
fn lib(env: &TestEnv) -> mixtape::Library {
    mixtape::Library::open(&env.library).unwrap()
}

fn track(env: &TestEnv, path: &Path) -> mixtape::Track {
    let p = std::fs::canonicalize(path).unwrap();
    lib(env)
        .track_by_path(&p)
        .unwrap()
        .unwrap_or_else(|| panic!("{} not in library", p.display()))
}

#[test]
fn counts_new_changed_unchanged_moved_missing() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/a.wav", 1, 3.0);
    env.flac("music/b.flac", 2, 3.0);
    env.mp3("music/c.mp3", 3, 3.0);
    env.wav("music/d.wav", 4, 3.0);
    let (run, s) = scan_json(&env, &music);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!((count(&s, "scanned"), count(&s, "new")), (4, 4));

    let (_, s) = scan_json(&env, &music);
    assert_eq!(
        (
            count(&s, "unchanged"),
            count(&s, "new"),
            count(&s, "changed")
        ),
        (4, 0, 0)
    );

    let b_id = track(&env, &music.join("b.flac")).id;
    // change one, move one, delete one
    env.wav("music/a.wav", 11, 2.0);
    std::fs::create_dir_all(music.join("sub")).unwrap();
    std::fs::rename(music.join("b.flac"), music.join("sub/renamed.flac")).unwrap();
    std::fs::remove_file(music.join("d.wav")).unwrap();
    let (_, s) = scan_json(&env, &music);
    assert_eq!(count(&s, "changed"), 1, "{s}");
    assert_eq!(count(&s, "moved"), 1, "{s}");
    assert_eq!(count(&s, "missing"), 1, "{s}");
    assert_eq!(count(&s, "unchanged"), 1, "{s}");
    assert_eq!(count(&s, "new"), 0, "{s}");
    // the moved file kept its identity
    assert_eq!(track(&env, &music.join("sub/renamed.flac")).id, b_id);

    // missing is reported by stats, and --prune removes it
    let st = env.run(["stats", "--json"]).ok();
    let st: serde_json::Value = serde_json::from_str(st.stdout.trim()).unwrap();
    assert_eq!(st["missing"], 1);
    assert_eq!(st["tracks"], 3);
    let run = env.run([
        "scan",
        "--json",
        "--no-fingerprint",
        "--prune",
        music.to_str().unwrap(),
    ]);
    assert_eq!(count(&summary(&run), "pruned"), 1);
}

#[test]
fn tag_only_change_keeps_audio_hash() {
    let env = TestEnv::new();
    let music = env.path("music");
    let f = env.flac("music/song.flac", 5, 2.0);
    let m = env.mp3("music/song.mp3", 5, 2.0);
    scan_json(&env, &music).0.ok();
    let before_f = track(&env, &f);
    let before_m = track(&env, &m);
    set_tags(&f, &[("title", "New Title"), ("artist", "Someone")]);
    set_tags(&m, &[("title", "New Title"), ("artist", "Someone")]);
    let (_, s) = scan_json(&env, &music);
    assert_eq!(count(&s, "changed"), 2, "{s}");
    for (before, path) in [(before_f, &f), (before_m, &m)] {
        let after = track(&env, path);
        assert_eq!(after.id, before.id);
        assert_ne!(after.file_hash, before.file_hash, "{}", path.display());
        assert!(after.audio_hash.is_some());
        assert_eq!(after.audio_hash, before.audio_hash, "{}", path.display());
        assert_eq!(after.tags.title.as_deref(), Some("New Title"));
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_round_trips() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let music = env.path("music");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9 \xff.wav");
    let path = music.join(name);
    let bytes = env.wav("music/tmp.wav", 6, 1.0);
    std::fs::rename(bytes, &path).unwrap();
    scan_json(&env, &music).0.ok();
    let t = track(&env, &path);
    assert_eq!(t.path.file_name().unwrap().as_bytes(), b"caf\xe9 \xff.wav");
}

#[test]
fn lying_truncated_and_empty_files_are_errors_not_crashes() {
    let env = TestEnv::new();
    let music = env.path("music");
    // an MP3 named .flac is still read (content decides)
    let lying = env.mp3("music/actually-mp3.flac", 7, 2.0);
    // a text file named .mp3 is reported as not audio
    std::fs::write(
        env.path("music/notes.mp3"),
        "these are my notes, not music\n".repeat(20),
    )
    .unwrap();
    // a truncated FLAC
    let full = env.flac("music/full.flac", 8, 3.0);
    let bytes = std::fs::read(&full).unwrap();
    std::fs::write(env.path("music/truncated.flac"), &bytes[..bytes.len() / 3]).unwrap();
    // an empty file, and an audio file without extension
    std::fs::write(env.path("music/empty.mp3"), b"").unwrap();
    let noext = env.path("music/no_extension");
    std::fs::copy(&full, &noext).unwrap();
    let run = env.run(["scan", "--no-fingerprint", music.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let err_line = |name: &str| {
        run.stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no error line for {name}: {}", run.stderr))
            .to_string()
    };
    assert!(err_line("notes.mp3").contains("not an audio file"));
    assert!(err_line("empty.mp3").contains("empty"));
    assert!(err_line("truncated.flac").contains(": "));
    assert!(!run.stderr.contains("actually-mp3.flac"), "{}", run.stderr);
    assert_eq!(track(&env, &lying).props.format.as_deref(), Some("mp3"));
    assert_eq!(track(&env, &noext).props.format.as_deref(), Some("flac"));
    let t = track(&env, &music.join("truncated.flac"));
    assert!(t.error.is_some());
}

/// Run the binary as an unprivileged user when the tests run as root, so
/// that permission bits apply.
#[cfg(unix)]
fn unprivileged(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    if unsafe { libc::geteuid() } == 0 {
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

#[cfg(unix)]
#[test]
fn unreadable_folder_is_reported_and_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/ok/a.wav", 9, 1.0);
    env.wav("music/locked/b.wav", 10, 1.0);
    let locked = music.join("locked");
    // The library and folders must be usable by the unprivileged user.
    for p in [env.root(), &music, &music.join("ok")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = env.cmd();
    cmd.args(["scan", "--no-fingerprint", music.to_str().unwrap()]);
    unprivileged(&mut cmd);
    let run: Run = cmd.output().unwrap().into();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("locked: ") && run.stderr.to_lowercase().contains("permission denied"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("new 1"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn symlink_loop_with_follow_terminates() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/a/x.wav", 12, 1.0);
    std::os::unix::fs::symlink(&music, music.join("a/loop")).unwrap();
    let run = env.run([
        "scan",
        "--follow",
        "--no-fingerprint",
        music.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("symlink loop"), "{}", run.stderr);
    assert!(run.stdout.contains("new 1"), "{}", run.stdout);
}

#[test]
fn missing_root_and_bad_library_are_clear_errors() {
    let env = TestEnv::new();
    let run = env.run(["scan", "/definitely/not/here"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("/definitely/not/here: No such file or directory"),
        "{}",
        run.stderr
    );
    std::fs::write(
        &env.library,
        "not sqlite at all, just text that is long enough to look like a file",
    )
    .unwrap();
    let run = env.run(["stats"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not a mixtape library"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn killed_scan_resumes_and_database_stays_intact() {
    let env = TestEnv::new();
    let music = env.path("music");
    // Enough work that the scan is still running when it is killed.
    let one = Fixture::new(20, 20.0).encode(Kind::Flac);
    for i in 0..150 {
        let mut bytes = one.clone();
        bytes.extend_from_slice(&(i as u32).to_le_bytes()); // distinct files
        std::fs::write(env.path(&format!("music/{i:03}.flac")), bytes).unwrap();
    }
    let mut child = env
        .cmd()
        .args(["scan", "--quiet", music.to_str().unwrap()])
        .spawn()
        .unwrap();
    // Wait until at least one batch is committed, then kill -9.
    let start = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let n: i64 = rusqlite::Connection::open(&env.library)
            .and_then(|c| c.query_row("SELECT count(*) FROM tracks", [], |r| r.get(0)))
            .unwrap_or(0);
        if n > 0 || start.elapsed().as_secs() > 60 {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let c = rusqlite::Connection::open(&env.library).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let committed: i64 = c
        .query_row("SELECT count(*) FROM tracks", [], |r| r.get(0))
        .unwrap();
    drop(c);
    let (run, s) = scan_json(&env, &music);
    assert!(run.code == 0 || run.code == 2, "{run:?}");
    assert_eq!(count(&s, "unchanged") as i64, committed, "{s}");
    assert_eq!((count(&s, "new") + count(&s, "unchanged")), 150, "{s}");
}

/// A tagged FLAC, an MP3 and a WAV under `music/` (seeds from `seed`), and
/// byte copies of them under `backup/`.
fn music_and_backup(env: &TestEnv, seed: u64) {
    env.flac("music/a.flac", seed, 4.0);
    env.mp3("music/b.mp3", seed + 1, 4.0);
    env.wav("music/c.wav", seed + 2, 4.0);
    set_tags(
        &env.path("music/a.flac"),
        &[("title", "Tagged"), ("artist", "Someone")],
    );
    std::fs::create_dir_all(env.path("backup")).unwrap();
    for f in ["a.flac", "b.mp3", "c.wav"] {
        std::fs::copy(
            env.path(&format!("music/{f}")),
            env.path(&format!("backup/{f}")),
        )
        .unwrap();
    }
}

#[test]
fn byte_copies_are_read_once_and_stored_alike() {
    let env = TestEnv::new();
    music_and_backup(&env, 11);
    // A retagged FLAC: same audio, other bytes, so it is read in full.
    env.flac("music/d.flac", 11, 4.0);
    set_tags(&env.path("music/d.flac"), &[("title", "Other")]);
    let run = env
        .run([
            "scan",
            "--json",
            &env.path("music").display().to_string(),
            &env.path("backup").display().to_string(),
        ])
        .ok();
    let s = summary(&run);
    assert_eq!(
        (count(&s, "new"), count(&s, "copies_reused")),
        (7, 3),
        "{s}"
    );
    for f in ["a.flac", "b.mp3", "c.wav"] {
        let (a, b) = (
            track(&env, &env.path(&format!("music/{f}"))),
            track(&env, &env.path(&format!("backup/{f}"))),
        );
        assert!(a.fingerprint.is_some(), "{f}: {:?}", a.fingerprint_error);
        assert_eq!(
            (
                &a.file_hash,
                &a.audio_hash,
                &a.pcm_hash,
                &a.fingerprint,
                &a.tags,
                &a.props
            ),
            (
                &b.file_hash,
                &b.audio_hash,
                &b.pcm_hash,
                &b.fingerprint,
                &b.tags,
                &b.props
            ),
            "{f}"
        );
        assert_eq!(
            (&a.error, &a.fingerprint_error, a.art),
            (&b.error, &b.fingerprint_error, b.art)
        );
    }
    // The retag was decoded on its own and still has the same audio.
    let (a, d) = (
        track(&env, &env.path("music/a.flac")),
        track(&env, &env.path("music/d.flac")),
    );
    assert_ne!(a.file_hash, d.file_hash);
    assert_eq!((a.pcm_hash, a.fingerprint), (d.pcm_hash, d.fingerprint));
}

#[test]
fn a_backup_scanned_later_takes_the_stored_results_when_complete() {
    let env = TestEnv::new();
    music_and_backup(&env, 21);
    let scan = |library: &Path, args: &[&str]| -> serde_json::Value {
        let out: Run = env
            .cmd_bare()
            .arg("--library")
            .arg(library)
            .args(["scan", "--json"])
            .args(args)
            .output()
            .unwrap()
            .into();
        summary(&out.ok())
    };
    let (music, backup) = (
        env.path("music").display().to_string(),
        env.path("backup").display().to_string(),
    );
    // Library A: the originals, then the backup, which borrows their results.
    let a = env.path("a.db");
    scan(&a, &[&music]);
    let s = scan(&a, &[&backup]);
    assert_eq!(
        (count(&s, "new"), count(&s, "copies_reused")),
        (3, 3),
        "{s}"
    );
    // Library B reads the backup itself: the same facts.
    let b = env.path("b.db");
    let s = scan(&b, &[&backup]);
    assert_eq!(count(&s, "copies_reused"), 0, "{s}");
    let (la, lb) = (
        mixtape::Library::open(&a).unwrap(),
        mixtape::Library::open(&b).unwrap(),
    );
    for f in ["a.flac", "b.mp3", "c.wav"] {
        let p = std::fs::canonicalize(env.path(&format!("backup/{f}"))).unwrap();
        let (x, y) = (
            la.track_by_path(&p).unwrap().unwrap(),
            lb.track_by_path(&p).unwrap().unwrap(),
        );
        assert!(x.fingerprint.is_some(), "{f}");
        assert_eq!(
            (
                &x.file_hash,
                &x.audio_hash,
                &x.pcm_hash,
                &x.fingerprint,
                &x.tags,
                &x.props
            ),
            (
                &y.file_hash,
                &y.audio_hash,
                &y.pcm_hash,
                &y.fingerprint,
                &y.tags,
                &y.props
            ),
            "{f}"
        );
        assert_eq!(
            (&x.error, &x.fingerprint_error, x.art, &x.art_hash),
            (&y.error, &y.fingerprint_error, y.art, &y.art_hash)
        );
    }
    // Originals stored without fingerprints are not enough for a
    // fingerprinting scan: the backup is decoded.
    let c = env.path("c.db");
    scan(&c, &["--no-fingerprint", &music]);
    let s = scan(&c, &[&backup]);
    assert_eq!(count(&s, "copies_reused"), 0, "{s}");
    let lc = mixtape::Library::open(&c).unwrap();
    let p = std::fs::canonicalize(env.path("backup/a.flac")).unwrap();
    assert!(lc.track_by_path(&p).unwrap().unwrap().fingerprint.is_some());
}

/// Issue "Trustworthy on a real collection": a lossy track longer than the
/// fingerprint's 120-second decode (and than 2:30) is not truncated.
#[test]
fn a_lossy_track_longer_than_the_fingerprint_window_is_whole() {
    let env = TestEnv::new();
    let long = Fixture::new(21, 155.0);
    let mp3 = env.write_audio("music/long.mp3", &long, Kind::Mp3(Mp3Rate::Cbr(128)));
    let run = env.run(["scan", env.path("music").to_str().unwrap()]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{run:?}");
    let t = track(&env, &mp3);
    assert_eq!((t.error, t.error_kind), (None, None));
    let len = t.props.length.unwrap();
    assert!((len - 155.0).abs() < 0.2, "{len}");
    assert!(t.fingerprint.is_some(), "{:?}", t.fingerprint_error);
    assert_eq!(env.run(["ls", "error:true"]).ok().stdout, "");
}

/// Issue "Trustworthy on a real collection": every file the scan looks at
/// is counted once, and a skipped one can be listed with its reason.
#[test]
fn every_file_is_accounted_for() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.flac("music/a.flac", 1, 3.0);
    env.mp3("music/b.mp3", 2, 3.0);
    std::fs::write(env.path("music/README"), "liner notes\n".repeat(10)).unwrap();
    let mut midi = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk\0\0\0\x04\0\xff\x2f\0".to_vec();
    midi.extend([0u8; 16]);
    std::fs::write(env.path("music/tune.mid"), &midi).unwrap();
    let mut ape = b"APETAGEX".to_vec();
    ape.extend([0u8; 24]);
    std::fs::write(env.path("music/x.apev2"), &ape).unwrap();
    // Named like audio but not audio: unreadable, with its reason.
    std::fs::write(env.path("music/fake.flac"), "not a flac\n".repeat(10)).unwrap();
    let (run, s) = scan_json(&env, &music);
    assert_eq!(run.code, 2, "{run:?}");
    let parts = [
        "new",
        "changed",
        "unchanged",
        "moved",
        "skipped",
        "unreadable",
    ];
    let sum: u64 = parts.iter().map(|k| count(&s, k)).sum();
    assert_eq!((count(&s, "scanned"), sum), (6, 6), "{s}");
    assert_eq!(
        (
            count(&s, "new"),
            count(&s, "skipped"),
            count(&s, "unreadable")
        ),
        (2, 3, 1),
        "{s}"
    );
    let mut skipped: Vec<String> = s["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let p = Path::new(v["path"].as_str().unwrap());
            format!(
                "{}: {}",
                p.file_name().unwrap().to_string_lossy(),
                v["reason"].as_str().unwrap()
            )
        })
        .collect();
    skipped.sort();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    for line in &skipped {
        assert!(line.contains(": not an audio file ("), "{line}");
    }
    // Said once: `fake.flac` is the one error line.
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .ends_with("fake.flac: not an audio file (looks like a text file)\n"),
        "{}",
        run.stderr
    );
    // A rescan: all unchanged, the skipped still skipped and listed.
    let run = env.run([
        "scan",
        "--no-fingerprint",
        "--list-skipped",
        music.to_str().unwrap(),
    ]);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{run:?}");
    assert!(
        lines[..3].iter().all(|l| l.ends_with(") (skipped)")),
        "{lines:?}"
    );
    assert!(
        lines[3].starts_with(
            "scanned 6, new 0, changed 0, unchanged 3, moved 0, skipped 3, unreadable 0, missing 0, errors 0,"
        ),
        "{}",
        lines[3]
    );
}

/// Issue "Trustworthy on a real collection": `scan --no-fingerprint` then a
/// plain scan stores what one plain scan stores (fingerprints, why there is
/// none, errors and the quality analysis).
#[test]
fn a_later_plain_scan_completes_a_no_fingerprint_scan() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.flac("music/a.flac", 1, 6.0);
    env.mp3("music/b.mp3", 2, 6.0);
    env.wav("music/short.wav", 3, 1.0);
    let silent = Fixture {
        gain: 0.0,
        ..Fixture::new(4, 5.0)
    };
    env.write_audio("music/silent.wav", &silent, Kind::Wav);
    let full = std::fs::read(env.flac("music/full.flac", 5, 6.0)).unwrap();
    std::fs::write(env.path("music/cut.flac"), &full[..full.len() / 2]).unwrap();

    let split = env.path("split.db");
    let one = env.path("one.db");
    let dir = music.to_str().unwrap();
    let run = |lib: &Path, args: &[&str]| env.cmd_on(lib).args(args).output().unwrap();
    run(&split, &["scan", "--no-fingerprint", dir]);
    run(&split, &["scan", dir]);
    run(&one, &["scan", dir]);
    let rows = |lib: &Path| {
        let mut v: Vec<_> = all_tracks(lib, "path+")
            .into_iter()
            .map(|t| {
                (
                    t.path.file_name().unwrap().to_string_lossy().into_owned(),
                    t.fingerprint,
                    t.fingerprint_error,
                    t.error,
                    t.error_kind,
                    t.pcm_hash,
                    t.quality,
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let (a, b) = (rows(&split), rows(&one));
    assert_eq!(a.len(), 6);
    assert_eq!(a, b);
    let fingerprinted = a.iter().filter(|r| r.1.is_some()).count();
    let why_not = a.iter().filter(|r| r.2.is_some()).count();
    assert_eq!((fingerprinted, why_not), (3, 3), "{a:?}");
}

/// The smallest DSF (DSD stream file) and ASF (WMA) files a reader
/// recognises: real containers for which mixtape has no decoder (APE and
/// WavPack have one since issue 15).
fn dsf_and_wma(env: &TestEnv) -> (PathBuf, PathBuf) {
    let data = vec![0x69u8; 2 * 4096];
    let mut dsf = b"DSD ".to_vec();
    dsf.extend(28u64.to_le_bytes());
    dsf.extend((28 + 52 + 12 + data.len() as u64).to_le_bytes());
    dsf.extend(0u64.to_le_bytes());
    dsf.extend(b"fmt ");
    dsf.extend(52u64.to_le_bytes());
    // Version 1, DSD raw, stereo (type 2, 2 channels), 2.8224 MHz, 1 bit.
    for v in [1u32, 0, 2, 2, 2_822_400, 1] {
        dsf.extend(v.to_le_bytes());
    }
    dsf.extend(4096u64.to_le_bytes());
    dsf.extend(4096u32.to_le_bytes());
    dsf.extend(0u32.to_le_bytes());
    dsf.extend(b"data");
    dsf.extend((12 + data.len() as u64).to_le_bytes());
    dsf.extend(&data);
    let mut wma = vec![
        0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE,
        0x6C,
    ];
    wma.extend(54u64.to_le_bytes());
    wma.extend(0u32.to_le_bytes());
    wma.extend([1, 2]);
    wma.extend([0u8; 4000]);
    let a = env.path("music/a.dsf");
    let b = env.path("music/b.wma");
    std::fs::create_dir_all(a.parent().unwrap()).unwrap();
    std::fs::write(&a, dsf).unwrap();
    std::fs::write(&b, wma).unwrap();
    (a, b)
}

#[test]
fn check_says_not_checked_where_it_has_no_decoder_and_exits_0() {
    let env = TestEnv::new();
    let (dsf, wma) = dsf_and_wma(&env);
    env.wav("music/c.wav", 1, 1.0);
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();
    let r = env.run(["check"]).ok();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    // Files are checked in parallel and reported as they finish.
    let mut lines = r.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{}: not checked (no decoder for DSF)", canon(&dsf)),
            format!("{}: not checked (no decoder for WMA)", canon(&wma)),
        ]
    );
    assert_eq!(
        r.stderr,
        "checked 3 tracks: 0 damaged, 2 not checked (no decoder)\n"
    );
    // Not checked is not damaged: neither is listed as an error.
    let errors = env.run(["ls", "error:true", "--format", "$path"]).ok();
    assert_eq!(errors.stdout, "");
    let unsupported = env
        .run(["ls", "error:unsupported", "--format", "$path"])
        .ok();
    assert_eq!(unsupported.lines().len(), 2, "{}", unsupported.stdout);
}
