//! Integration tests for `mixtape export` (issue 5): profiles, names, play
//! order, CDs, incremental sync, interruption, a full disk and `--check`.
//!
//! Libraries are filled by inserting rows directly (the fixtures' tags and
//! properties are known), so these tests exercise export alone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::support::*;

/// One source file to put in the library.
struct Src<'a> {
    path: PathBuf,
    artist: &'a str,
    title: &'a str,
    format: &'a str,
    seconds: f64,
    samplerate: u32,
    bitdepth: Option<u32>,
    bitrate: u32,
}

/// Insert a track row for an existing file; returns its id.
fn add_track(env: &TestEnv, s: &Src<'_>) -> i64 {
    let lib = db(env);
    let meta = std::fs::metadata(&s.path).unwrap();
    let hash = mixtape::fsops::hash_file(&s.path).unwrap();
    lib
        .execute(
            "INSERT INTO tracks (path, size, mtime, added, scanned, file_hash, title, artist, album, \
             track, year, genre, format, lossless, length, samplerate, channels, bitdepth, bitrate) \
             VALUES (?1, ?2, 0, 0, 0, ?3, ?4, ?5, 'Test Album', 1, 2001, 'Rock', ?6, ?7, ?8, ?9, 2, ?10, ?11)",
            rusqlite::params![
                mixtape::library::path_to_bytes(&s.path),
                meta.len() as i64,
                hash.to_vec(),
                s.title,
                s.artist,
                s.format,
                (s.format != "mp3") as i64,
                s.seconds,
                s.samplerate,
                s.bitdepth,
                s.bitrate,
            ],
        )
        .unwrap();
    lib.last_insert_rowid()
}

/// A WAV source of `secs` seconds in the library.
pub(crate) fn wav_track(
    env: &TestEnv,
    rel: &str,
    seed: u64,
    secs: f64,
    artist: &str,
    title: &str,
) -> i64 {
    let path = env.wav(rel, seed, secs);
    add_track(
        env,
        &Src {
            path,
            artist,
            title,
            format: "wav",
            seconds: secs,
            samplerate: 44100,
            bitdepth: Some(16),
            bitrate: 1411200,
        },
    )
}

/// Every file below `dir`, relative, sorted.
pub(crate) fn files_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

/// No temporary or staging leftovers anywhere below `dir`.
#[track_caller]
fn assert_no_partials(dir: &Path) {
    for f in files_under(dir) {
        assert!(
            !f.contains(".mixtape-tmp-") && !f.contains(".mixtape-staging"),
            "leftover {f} in {}",
            dir.display()
        );
    }
}

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("bad JSON {e}: {}", run.stdout))
}

/// Run `mixtape export ARGS... --json`, which must succeed, and parse it.
pub(crate) fn export_json(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.push("--json");
    json_of(&env.run(all).ok())
}

pub(crate) fn outputs(v: &serde_json::Value, kind: &str) -> Vec<String> {
    v[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["output"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn usb_copies_under_safe_unique_names_with_an_m3u8_and_syncs_incrementally() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, 1.0, "AC/DC", "What?: <Live>");
    let b = wav_track(&env, "src/b.wav", 2, 1.0, "AC/DC", "What*: |Live|");
    let c = wav_track(&env, "src/c.wav", 3, 1.0, "Nul", "CON");
    add_playlist(&env, "Road trip", &[a, b, c]);
    let dest = env.root().join("stick");
    let run = env
        .run([
            "export",
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "usb",
            "--json",
        ])
        .ok();
    let v = json_of(&run);
    assert_eq!(
        outputs(&v, "copied"),
        vec![
            "AC_DC - What__ _Live_.wav",
            "AC_DC - What__ _Live_ (2).wav",
            "Nul - CON.wav"
        ]
    );
    assert_eq!(
        files_under(&dest),
        vec![
            ".mixtape-export.json",
            "AC_DC - What__ _Live_ (2).wav",
            "AC_DC - What__ _Live_.wav",
            "Nul - CON.wav",
            "Road trip.m3u8"
        ]
    );
    assert_eq!(
        std::fs::read(dest.join("AC_DC - What__ _Live_ (2).wav")).unwrap(),
        std::fs::read(env.root().join("src/b.wav")).unwrap()
    );
    let m3u = std::fs::read_to_string(dest.join("Road trip.m3u8")).unwrap();
    let entries: Vec<&str> = m3u.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        entries,
        vec![
            "AC_DC - What__ _Live_.wav",
            "AC_DC - What__ _Live_ (2).wav",
            "Nul - CON.wav"
        ]
    );

    // A foreign file, then a rerun: nothing is written.
    std::fs::write(dest.join("my notes.txt"), b"mine").unwrap();
    let before: Vec<_> = files_under(&dest)
        .iter()
        .map(|f| std::fs::metadata(dest.join(f)).unwrap().modified().unwrap())
        .collect();
    let v = export_json(&env, &["Road trip", "--to", dest.to_str().unwrap()]);
    assert!(
        outputs(&v, "copied").is_empty() && outputs(&v, "converted").is_empty(),
        "{v}"
    );
    assert_eq!(outputs(&v, "skipped").len(), 3);
    assert!(v["extras"].as_array().unwrap().is_empty(), "{v}");
    let after: Vec<_> = files_under(&dest)
        .iter()
        .map(|f| std::fs::metadata(dest.join(f)).unwrap().modified().unwrap())
        .collect();
    assert_eq!(before, after, "a second run rewrote files");

    // Removed from the playlist: removed from the stick; the foreign file stays.
    remove_from_playlist(&env, "Road trip", b);
    let plan = env
        .run([
            "export",
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--dry-run",
        ])
        .ok();
    assert!(
        plan.stdout.contains("  keep    Nul - CON.wav"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("  remove  AC_DC - What__ _Live_ (2).wav"),
        "{}",
        plan.stdout
    );
    let v = export_json(&env, &["Road trip", "--to", dest.to_str().unwrap()]);
    assert_eq!(
        v["removed"],
        serde_json::json!(["AC_DC - What__ _Live_ (2).wav"])
    );
    assert!(!dest.join("AC_DC - What__ _Live_ (2).wav").exists());
    assert_eq!(std::fs::read(dest.join("my notes.txt")).unwrap(), b"mine");
    let m3u = std::fs::read_to_string(dest.join("Road trip.m3u8")).unwrap();
    assert!(!m3u.contains("(2)"), "{m3u}");
    assert_no_partials(&dest);
    // The result passes its own check; a file deleted by hand is flagged.
    env.run([
        "export",
        "--check",
        dest.to_str().unwrap(),
        "--profile",
        "usb",
    ])
    .ok();
    std::fs::remove_file(dest.join("Nul - CON.wav")).unwrap();
    let r = env
        .run([
            "export",
            "--check",
            dest.to_str().unwrap(),
            "--profile",
            "usb",
        ])
        .expect_code(2);
    assert!(
        r.stdout
            .contains("Road trip.m3u8: line 5: \"Nul - CON.wav\" does not exist"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_foreign_file_with_a_planned_name_is_never_overwritten() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, 1.0, "A", "Song");
    add_playlist(&env, "P", &[a]);
    let dest = env.root().join("out");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("A - Song.wav"), b"user's own file").unwrap();
    let v = export_json(&env, &["P", "--to", dest.to_str().unwrap()]);
    assert_eq!(outputs(&v, "copied"), vec!["A - Song (2).wav"]);
    assert_eq!(
        std::fs::read(dest.join("A - Song.wav")).unwrap(),
        b"user's own file"
    );
}

#[test]
fn missing_sources_are_reported_and_the_rest_exported() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, 1.0, "A", "One");
    let b = wav_track(&env, "src/b.wav", 2, 1.0, "B", "Two");
    std::fs::remove_file(env.root().join("src/a.wav")).unwrap();
    add_playlist(&env, "P", &[a, b]);
    let dest = env.root().join("out");
    let run = env
        .run(["export", "P", "--to", dest.to_str().unwrap()])
        .expect_code(2);
    assert!(run.stdout.contains("Failed:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("a.wav: source missing"),
        "{}",
        run.stdout
    );
    assert!(dest.join("B - Two.wav").is_file());
    // An undecodable source fails alone; the rest is converted.
    let junk = env.path("src/junk.flac");
    std::fs::write(&junk, b"fLaC but not really a FLAC stream at all").unwrap();
    let j = add_track(
        &env,
        &Src {
            path: junk,
            artist: "J",
            title: "Junk",
            format: "flac",
            seconds: 3.0,
            samplerate: 44100,
            bitdepth: Some(16),
            bitrate: 900_000,
        },
    );
    add_playlist(&env, "Q", &[j, b]);
    let car = env.root().join("car");
    let v = json_of(
        &env.run([
            "export",
            "Q",
            "--to",
            car.to_str().unwrap(),
            "--profile",
            "car",
            "--json",
        ])
        .expect_code(2),
    );
    assert_eq!(outputs(&v, "converted"), vec!["01/002 B - Two.mp3"]);
    let failed = v["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{v}");
    assert!(
        failed[0]["error"].as_str().unwrap().contains("junk.flac"),
        "{v}"
    );
    assert_eq!(
        files_under(&car),
        vec![
            ".mixtape-export.json",
            "01/002 B - Two.mp3",
            "Q.m3u",
            "Q.m3u8"
        ]
    );
}

#[test]
fn bad_destinations_and_manifests_are_refused_clearly() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, 1.0, "A", "One");
    add_playlist(&env, "P", &[a]);
    // A file.
    let file = env.path("afile");
    std::fs::write(&file, b"x").unwrap();
    let r = env
        .run(["export", "P", "--to", file.to_str().unwrap()])
        .expect_code(1);
    assert!(r.stderr.contains("not a folder"), "{}", r.stderr);
    // A missing parent.
    let deep = env.root().join("no/such/dir");
    let r = env
        .run(["export", "P", "--to", deep.to_str().unwrap()])
        .expect_code(1);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert!(!env.root().join("no").exists());
    // A corrupt manifest is left untouched.
    let dest = env.root().join("out");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join(".mixtape-export.json"), b"{oops").unwrap();
    let r = env
        .run(["export", "P", "--to", dest.to_str().unwrap()])
        .expect_code(1);
    assert!(r.stderr.contains("corrupt export manifest"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(dest.join(".mixtape-export.json")).unwrap(),
        b"{oops"
    );
    assert_eq!(files_under(&dest), vec![".mixtape-export.json"]);
    // A manifest from a newer mixtape.
    std::fs::write(
        dest.join(".mixtape-export.json"),
        br#"{"version": 9, "profile": "usb", "settings": "", "source": "", "entries": []}"#,
    )
    .unwrap();
    let r = env
        .run(["export", "P", "--to", dest.to_str().unwrap()])
        .expect_code(1);
    assert!(r.stderr.contains("newer"), "{}", r.stderr);
    // Another playlist's export is not replaced unless asked.
    std::fs::remove_file(dest.join(".mixtape-export.json")).unwrap();
    env.run(["export", "P", "--to", dest.to_str().unwrap()])
        .ok();
    add_playlist(&env, "Q", &[a]);
    let r = env
        .run(["export", "Q", "--to", dest.to_str().unwrap()])
        .expect_code(1);
    assert!(r.stderr.contains("--replace"), "{}", r.stderr);
    assert!(dest.join("P.m3u8").is_file());
    env.run(["export", "Q", "--to", dest.to_str().unwrap(), "--replace"])
        .ok();
    assert!(!dest.join("P.m3u8").exists() && dest.join("Q.m3u8").is_file());
    // Bad options.
    let r = env
        .run([
            "export",
            "P",
            "--to",
            dest.to_str().unwrap(),
            "--format",
            "mp3",
            "--bitrate",
            "500k",
        ])
        .expect_code(1);
    assert!(r.stderr.contains("320k"), "{}", r.stderr);
}

#[test]
fn dry_run_shows_the_plan_and_writes_nothing() {
    let env = TestEnv::new();
    let ids: Vec<i64> = (0..5)
        .map(|i| wav_track(&env, &format!("src/{i}.wav"), i, 1.0, "A", &format!("T{i}")))
        .collect();
    add_playlist(&env, "P", &ids);
    let dest = env.root().join("cd");
    let r = env
        .run([
            "export",
            "P",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "cd",
            "--dry-run",
            "--disc-minutes",
            "1",
        ])
        .ok();
    assert!(
        r.stdout.contains("convert disc01/01 A - T0.wav"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Disc disc01: 5 tracks, 0:20"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Total: 5 files"), "{}", r.stdout);
    assert!(!dest.exists(), "dry run created the destination");
    let r = env
        .run([
            "export",
            "P",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "car",
            "--dry-run",
            "--json",
        ])
        .ok();
    let v = json_of(&r);
    assert_eq!(v["items"][0]["output"], "01/001 A - T0.mp3");
    assert_eq!(v["folders"][0]["files"], 5);
    assert!(v["total_bytes"].as_u64().unwrap() > 5 * 40_000);
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_clearly_and_leaves_nothing_partial() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new();
    let small = wav_track(&env, "src/small.wav", 1, 0.2, "A", "Small");
    let big = wav_track(&env, "src/big.wav", 2, 6.0, "B", "Big");
    add_playlist(&env, "P", &[small, big]);
    let dest = env.root().join("out");
    let mut cmd = env.cmd();
    cmd.args(["export", "P", "--to", dest.to_str().unwrap()]);
    // Files may grow to 200 kB: the 1 MB WAV hits "File too large" (EFBIG),
    // as a full stick would give ENOSPC.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: 200_000,
                rlim_max: 200_000,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r: Run = cmd.output().unwrap().into();
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("destination is full"), "{}", r.stderr);
    for f in files_under(&dest) {
        assert!(!f.contains(".mixtape-tmp-"), "partial file {f}");
        assert!(!f.ends_with("Big.wav"), "partial output {f}");
    }
    // With room again, the rerun finishes the job and cleans up.
    env.run(["export", "P", "--to", dest.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read(dest.join("B - Big.wav")).unwrap(),
        std::fs::read(env.root().join("src/big.wav")).unwrap()
    );
    assert_no_partials(&dest);
}

#[test]
fn a_query_selects_tracks_when_no_playlist_has_that_name() {
    let env = TestEnv::new();
    wav_track(&env, "src/a.wav", 1, 1.0, "Bowie", "Heroes");
    wav_track(&env, "src/b.wav", 2, 1.0, "Eno", "Fullness");
    let dest = env.root().join("out");
    let v = export_json(&env, &["artist:bowie", "--to", dest.to_str().unwrap()]);
    assert_eq!(outputs(&v, "copied"), vec!["Bowie - Heroes.wav"]);
    let names: HashSet<String> = files_under(&dest).into_iter().collect();
    assert!(names.contains("mixtape export.m3u8"), "{names:?}");
}

#[test]
fn check_lists_every_violation_of_a_hand_made_car_stick() {
    let env = TestEnv::new();
    let stick = env.root().join("stick");
    let mp3 = Fixture::new(1, 0.3).encode(Kind::Mp3(mixtape::export::encode::Mp3Rate::Cbr(128)));
    let mut low = Fixture::new(2, 0.3);
    low.samplerate = 22050;
    let low = low.encode(Kind::Mp3(mixtape::export::encode::Mp3Rate::Cbr(64)));
    let put =
        |rel: &str, bytes: &[u8]| std::fs::write(env.path(&format!("stick/{rel}")), bytes).unwrap();
    put("01/001 Good.mp3", &mp3);
    put("01/bad?name.mp3", &mp3);
    put("01/CON.mp3", &mp3);
    put("01/trailing.mp3.", &mp3);
    put("01/002 Low rate.mp3", &low);
    put("01/003 Tagged.mp3", &mp3);
    // lofty writes ID3v2.4 unless told otherwise.
    add_cover(
        &env.root().join("stick/01/003 Tagged.mp3"),
        jpeg(true, 600, 500),
    );
    put(
        "01/004 Lossless.flac",
        &Fixture::new(3, 0.2).encode(Kind::Flac),
    );
    put("01/.mixtape-tmp-1-0-x.mp3", b"partial");
    put("01/folder.jpg", &jpeg(false, 500, 500));
    put(".Trashes/501/old.flac", b"housekeeping");
    for i in 0..256 {
        put(&format!("02/{i:03}.mp3"), &mp3);
    }
    put("a/b/c/d/e/f/g/h/i/deep.mp3", &mp3);
    let long = "x".repeat(100);
    put(&format!("{long}/{long}/{long}.mp3"), &mp3);

    let r = env
        .run([
            "export",
            "--check",
            stick.to_str().unwrap(),
            "--profile",
            "car",
        ])
        .expect_code(2);
    let out = &r.stdout;
    for needle in [
        "bad?name.mp3: name: character '?' is not allowed on FAT",
        "CON.mp3: name: reserved device name",
        "trailing.mp3.: name: ends with a dot or a space",
        "002 Low rate.mp3: MP3 at 22050 Hz",
        "003 Tagged.mp3: ID3v2.4 tag",
        "003 Tagged.mp3: cover art is a progressive JPEG",
        "003 Tagged.mp3: cover art is 600x500 (at most 300x300)",
        "004 Lossless.flac: not an MP3",
        ".mixtape-tmp-1-0-x.mp3: leftover temporary file",
        "stick/02: 256 files in one folder (at most 255)",
        "stick/a/b/c/d/e/f/g/h/i: folder is 9 levels deep (at most 8)",
        "characters long (at most 255)",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(!out.contains("001 Good.mp3"), "{out}");
    assert!(
        !out.contains("folder.jpg") && !out.contains(".Trashes"),
        "{out}"
    );
    // --strict-names flags lower case and spaces too.
    let r = env
        .run([
            "export",
            "--check",
            stick.to_str().unwrap(),
            "--profile",
            "car",
            "--strict-names",
            "--json",
        ])
        .expect_code(2);
    let v = json_of(&r);
    let strict: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["message"].as_str().unwrap().contains("outside A-Z 0-9 _"))
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert!(
        strict.iter().any(|p| p.ends_with("001 Good.mp3")),
        "{strict:?}"
    );
}

/// A 44.1/16/2 (or other) WAV of `frames` silent frames.
fn silent_wav(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
    let s = vec![0i32; frames * channels as usize];
    mixtape::export::encode::encode_wav(mixtape::export::encode::Pcm {
        samples: &s,
        channels,
        samplerate: rate,
        bits: 16,
    })
    .unwrap()
}

#[test]
fn check_lists_every_violation_of_a_hand_made_cd_folder() {
    let env = TestEnv::new();
    let cdroot = env.root().join("cd");
    let put =
        |rel: &str, bytes: &[u8]| std::fs::write(env.path(&format!("cd/{rel}")), bytes).unwrap();
    put("disc01/01 ok.wav", &silent_wav(44100, 2, 588 * 75 * 40)); // 40 s, sector-aligned
    put("disc01/02 rate.wav", &silent_wav(48000, 2, 588 * 75 * 5));
    put(
        "disc01/03 odd.wav",
        &silent_wav(44100, 2, 588 * 75 * 30 + 7),
    );
    put("disc01/04 stray.wav", &silent_wav(44100, 2, 588 * 75 * 5));
    let cue = "TITLE \"x\"\nFILE \"01 ok.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n\
FILE \"02 rate.wav\" WAVE\n  TRACK 02 AUDIO\n    INDEX 01 00:00:00\n\
FILE \"03 odd.wav\" WAVE\n  TRACK 03 AUDIO\n    INDEX 01 00:00:00\n\
FILE \"05 gone.wav\" WAVE\n  TRACK 04 AUDIO\n    INDEX 01 00:00:00\n";
    put("disc01/disc01.cue", cue.as_bytes());
    put("disc02/01 a.wav", &silent_wav(44100, 2, 588 * 75 * 5));
    put(
        "disc02/disc02.cue",
        b"FILE \"01 a.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 oops\n",
    );
    put(
        "disc02/disc02.toc",
        b"CD_DA\nTRACK AUDIO\nFILE \"missing.wav\" 0\n",
    );
    let r = env
        .run([
            "export",
            "--check",
            cdroot.to_str().unwrap(),
            "--profile",
            "cd",
            "--disc-minutes",
            "1",
        ])
        .expect_code(2);
    let out = &r.stdout;
    for needle in [
        "02 rate.wav: 48000 Hz / 16-bit / 2 channels",
        "03 odd.wav: ",
        "not a multiple of the 2352-byte sector",
        "disc01.cue: TRACK 04: file \"05 gone.wav\" does not exist",
        "04 stray.wav: WAV not listed in the CUE sheet",
        "disc01: no cdrdao TOC file",
        "disc01.cue: disc is 01:15:",
        "disc02.cue: does not parse",
        "disc02.toc: file \"missing.wav\" does not exist",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(!out.contains("01 ok.wav:"), "{out}");
}

/// Start an export, wait until its first output is staged, then stop it
/// with `signal`. Returns the exit code.
#[cfg(unix)]
fn stop_mid_run(env: &TestEnv, args: &[&str], dest: &Path, signal: i32) -> Option<i32> {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let staging = dest.join(".mixtape-staging");
    let finished = || -> HashSet<String> {
        std::fs::read_dir(&staging)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with(".mixtape-tmp-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = finished();
    let mut child = env
        .cmd()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        // A newly finished output: the run is under way.
        let staged = finished().difference(&before).next().is_some();
        if staged || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    child.wait().unwrap().code()
}

/// Every file under a final name is complete: it equals what the rerun
/// keeps (the manifest's size and hash).
#[track_caller]
fn assert_manifest_matches_disk(dest: &Path) {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join(".mixtape-export.json")).unwrap()).unwrap();
    for e in m["entries"].as_array().unwrap() {
        let p = dest.join(e["path"].as_str().unwrap());
        let bytes = std::fs::read(&p).unwrap_or_else(|err| panic!("{}: {err}", p.display()));
        assert_eq!(
            bytes.len() as u64,
            e["size"].as_u64().unwrap(),
            "{}",
            p.display()
        );
        assert_eq!(
            mixtape::export::manifest::hex(blake3::hash(&bytes).as_bytes()),
            e["hash"].as_str().unwrap(),
            "{}",
            p.display()
        );
    }
}

#[cfg(unix)]
#[test]
fn a_killed_or_interrupted_export_resumes_and_leaves_nothing_partial() {
    let env = TestEnv::new();
    let mut ids = Vec::new();
    for i in 0..24 {
        let p = env.path(&format!("src/{i:02}.wav"));
        std::fs::write(&p, silent_wav(44100, 2, 44100 * 12 + i)).unwrap();
        ids.push(add_track(
            &env,
            &Src {
                path: p,
                artist: "A",
                title: &format!("T{i:02}"),
                format: "wav",
                seconds: 12.0,
                samplerate: 44100,
                bitdepth: Some(16),
                bitrate: 1411200,
            },
        ));
    }
    add_playlist(&env, "Long", &ids);
    let dest = env.root().join("out");
    let args = ["export", "Long", "--to", dest.to_str().unwrap()];
    // SIGKILL: no chance to clean up.
    let code = stop_mid_run(&env, &args, &dest, libc::SIGKILL);
    assert_ne!(code, Some(0));
    let complete = |dest: &Path| {
        for f in files_under(dest) {
            if let Some(n) = f.strip_prefix("A - T").and_then(|f| f.strip_suffix(".wav")) {
                let src = std::fs::read(env.root().join(format!("src/{n}.wav"))).unwrap();
                assert!(
                    std::fs::read(dest.join(&f)).unwrap() == src,
                    "{f} is partial"
                );
            }
        }
    };
    complete(&dest);
    // Ctrl-C (SIGINT) on a rerun: exit 130, nothing under a final name is partial.
    let code = stop_mid_run(&env, &args, &dest, libc::SIGINT);
    assert!(code == Some(130) || code == Some(0), "{code:?}");
    complete(&dest);
    // The rerun finishes the job.
    let v = export_json(&env, &["Long", "--to", dest.to_str().unwrap()]);
    assert!(v["failed"].as_array().unwrap().is_empty(), "{v}");
    assert_manifest_matches_disk(&dest);
    assert_eq!(files_under(&dest).len(), 24 + 2, "{:?}", files_under(&dest));
    for i in 0..24 {
        assert_eq!(
            std::fs::read(dest.join(format!("A - T{i:02}.wav"))).unwrap(),
            std::fs::read(env.root().join(format!("src/{i:02}.wav"))).unwrap()
        );
    }
    assert_no_partials(&dest);
}

/// Scan `dir` into the test library and return track ids by file name.
pub(crate) fn scan(env: &TestEnv, dir: &Path) -> std::collections::HashMap<String, i64> {
    env.run(["scan", "--no-fingerprint", dir.to_str().unwrap()])
        .ok();
    let lib = db(env);
    let mut stmt = lib.prepare("SELECT id, path FROM tracks").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap();
    rows.map(|r| {
        let (id, p) = r.unwrap();
        let p = mixtape::library::bytes_to_path(&p);
        (p.file_name().unwrap().to_string_lossy().into_owned(), id)
    })
    .collect()
}

/// The marker of a JPEG's frame header (0xC0 baseline, 0xC2 progressive,
/// ...), found by walking the segments from SOI: a reader of its own, not
/// the one mixtape uses.
fn jpeg_frame_marker(jpeg: &[u8]) -> u8 {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "not a JPEG");
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        assert_eq!(jpeg[i], 0xFF, "bad JPEG segment at {i}");
        let marker = jpeg[i + 1];
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            return marker;
        }
        i += 2 + u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
    }
    panic!("JPEG without a frame header");
}

#[test]
fn car_profile_makes_44k1_mp3_with_id3v23_tags_and_small_baseline_art_in_play_order() {
    use lofty::file::TaggedFileExt;
    use lofty::prelude::*;
    let env = TestEnv::new();
    let src = env.root().join("music");
    // 48 kHz / 24-bit FLAC, with a large progressive cover.
    let mut f48 = Fixture::new(1, 2.0);
    f48.samplerate = 48000;
    f48.bits = 24;
    let p48 = env.write_audio("music/a48.flac", &f48, Kind::Flac);
    set_tags(
        &p48,
        &[
            ("title", "Hey: You?"),
            ("artist", "Pink/Floyd"),
            ("album", "The Wall"),
            ("track", "3"),
            ("year", "1979"),
        ],
    );
    add_cover(&p48, jpeg(true, 640, 480));
    // 96 kHz / 24-bit FLAC.
    let mut f96 = Fixture::new(2, 2.0);
    f96.samplerate = 96000;
    f96.bits = 24;
    let p96 = env.write_audio("music/b96.flac", &f96, Kind::Flac);
    set_tags(
        &p96,
        &[
            ("title", "Ünïcødé Song"),
            ("artist", "Björk"),
            ("album", "Post"),
            ("track", "1"),
        ],
    );
    // An MP3 already fit for the car: copied, not re-encoded, but retagged as ID3v2.3.
    let pmp3 = env.mp3("music/c.mp3", 3, 2.0);
    set_tags(
        &pmp3,
        &[("title", "Copied"), ("artist", "Lame"), ("album", "Frames")],
    );
    let ids = scan(&env, &src);
    add_playlist(
        &env,
        "Road trip",
        &[ids["b96.flac"], ids["c.mp3"], ids["a48.flac"]],
    );
    let dest = env.root().join("stick");
    let v = export_json(
        &env,
        &[
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "car",
        ],
    );
    assert_eq!(
        outputs(&v, "converted"),
        vec![
            "01/001 Björk - Ünïcødé Song.mp3",
            "01/003 Pink_Floyd - Hey_ You_.mp3"
        ]
    );
    assert_eq!(outputs(&v, "copied"), vec!["01/002 Lame - Copied.mp3"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join(".mixtape-export.json")).unwrap()).unwrap();
    let order: Vec<&str> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![
            "01/001 Björk - Ünïcødé Song.mp3",
            "01/002 Lame - Copied.mp3",
            "01/003 Pink_Floyd - Hey_ You_.mp3"
        ]
    );
    // The copy keeps the source's MPEG frames byte for byte.
    let copied = std::fs::read(dest.join("01/002 Lame - Copied.mp3")).unwrap();
    let frames = Fixture::new(3, 2.0).encode(Kind::Mp3(mixtape::export::encode::Mp3Rate::Cbr(192)));
    assert!(copied.ends_with(&frames), "copied MP3 frames differ");
    for (name, title, artist, album) in [
        (
            "01/001 Björk - Ünïcødé Song.mp3",
            "Ünïcødé Song",
            "Björk",
            "Post",
        ),
        ("01/002 Lame - Copied.mp3", "Copied", "Lame", "Frames"),
        (
            "01/003 Pink_Floyd - Hey_ You_.mp3",
            "Hey: You?",
            "Pink/Floyd",
            "The Wall",
        ),
    ] {
        let p = dest.join(name);
        let bytes = std::fs::read(&p).unwrap();
        // The ID3v2 header's major version byte, read from the raw bytes.
        assert_eq!(&bytes[..4], b"ID3\x03", "{name}: not ID3v2.3");
        let file = lofty::read_from_path(&p).unwrap();
        let tag = file.primary_tag().unwrap();
        assert_eq!(tag.title().as_deref(), Some(title), "{name}");
        assert_eq!(tag.artist().as_deref(), Some(artist), "{name}");
        assert_eq!(tag.album().as_deref(), Some(album), "{name}");
        let props = file.properties();
        assert_eq!(props.sample_rate(), Some(44100), "{name}");
        let secs = props.duration().as_secs_f64();
        assert!((secs - 2.0).abs() < 0.1, "{name}: {secs} s");
    }
    let tagged = lofty::read_from_path(dest.join("01/003 Pink_Floyd - Hey_ You_.mp3")).unwrap();
    let tag = tagged.primary_tag().unwrap();
    assert_eq!(tag.track(), Some(3));
    let pic = &tag.pictures()[0];
    assert_eq!(jpeg_frame_marker(pic.data()), 0xC0, "not baseline JPEG");
    let art = image::load_from_memory(pic.data()).unwrap();
    let (w, h) = (art.width(), art.height());
    assert!(w <= 300 && h <= 300, "{w}x{h}");
    // The stick passes the car checks.
    let r = env.run([
        "export",
        "--check",
        dest.to_str().unwrap(),
        "--profile",
        "car",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // A second run writes nothing.
    let v = export_json(
        &env,
        &[
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "car",
        ],
    );
    assert!(
        outputs(&v, "converted").is_empty() && outputs(&v, "copied").is_empty(),
        "{v}"
    );
    assert_eq!(outputs(&v, "skipped").len(), 3);
    // --strict-names: only A-Z 0-9 _.
    let strict = env.root().join("strict");
    let v = export_json(
        &env,
        &[
            "Road trip",
            "--to",
            strict.to_str().unwrap(),
            "--profile",
            "car",
            "--strict-names",
        ],
    );
    let mut all = outputs(&v, "converted");
    all.extend(outputs(&v, "copied"));
    all.sort();
    assert_eq!(
        all,
        vec![
            "01/001_BJORK_UNICODE_SONG.MP3",
            "01/002_LAME_COPIED.MP3",
            "01/003_PINK_FLOYD_HEY_YOU.MP3"
        ]
    );
}

#[test]
fn cd_profile_makes_44k1_16bit_stereo_wavs_split_into_discs_with_cue_and_toc() {
    let env = TestEnv::new();
    let src = env.root().join("music");
    let mut names = Vec::new();
    for i in 0..20u64 {
        let mut f = Fixture::new(10 + i, 1.0);
        if i % 3 == 1 {
            f.samplerate = 48000;
            f.bits = 24;
        }
        if i % 5 == 2 {
            f.channels = 1;
        }
        let name = format!("t{i:02}.flac");
        let p = env.write_audio(&format!("music/{name}"), &f, Kind::Flac);
        set_tags(
            &p,
            &[("title", &format!("Song \"{i}\"")), ("artist", "Band")],
        );
        names.push(name);
    }
    let ids = scan(&env, &src);
    add_playlist(
        &env,
        "Mix",
        &names.iter().map(|n| ids[n]).collect::<Vec<_>>(),
    );
    let dest = env.root().join("cd");
    let r = env
        .run([
            "export",
            "Mix",
            "--to",
            dest.to_str().unwrap(),
            "--profile",
            "cd",
            "--disc-minutes",
            "1",
        ])
        .ok();
    assert!(r.stdout.contains("cdrdao write disc01.toc"), "{}", r.stdout);
    assert!(r.stdout.contains("wodim -dao -pad -audio"), "{}", r.stdout);
    // 1 s tracks are padded to 4 s: 15 fit in a minute. A CUE has no
    // escape for '"', so the titles' quotes become '; the TOC escapes them.
    for (d, disc, tracks) in [(1, "disc01", 0..15u64), (2, "disc02", 15..20)] {
        let dir = dest.join(disc);
        let files: Vec<String> = tracks
            .clone()
            .enumerate()
            .map(|(n, i)| format!("{:02} Band - Song _{i}_.wav", n + 1))
            .collect();
        let mut cue =
            format!("REM COMMENT \"mixtape\"\nPERFORMER \"Band\"\nTITLE \"Mix (disc {d}/2)\"\n");
        let mut toc = format!(
            "CD_DA\n\nCD_TEXT {{\n  LANGUAGE_MAP {{\n    0 : EN\n  }}\n  LANGUAGE 0 {{\n    TITLE \"Mix (disc {d}/2)\"\n    PERFORMER \"Band\"\n  }}\n}}\n",
        );
        for ((n, i), file) in tracks.enumerate().zip(&files) {
            cue += &format!(
                "FILE \"{file}\" WAVE\n  TRACK {:02} AUDIO\n    TITLE \"Song '{i}'\"\n    PERFORMER \"Band\"\n    INDEX 01 00:00:00\n",
                n + 1
            );
            toc += &format!(
                "\nTRACK AUDIO\nCD_TEXT {{\n  LANGUAGE 0 {{\n    TITLE \"Song \\\"{i}\\\"\"\n    PERFORMER \"Band\"\n  }}\n}}\nFILE \"{file}\" 0\n"
            );
        }
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{disc}.{ext}"))).unwrap();
        assert_text(&format!("{disc}.cue"), &cue, &read("cue"));
        assert_text(&format!("{disc}.toc"), &toc, &read("toc"));
        for file in &files {
            let w = hound::WavReader::open(dir.join(file)).unwrap();
            let spec = w.spec();
            assert_eq!(
                (spec.sample_rate, spec.bits_per_sample, spec.channels),
                (44100, 16, 2),
                "{file}"
            );
            assert_eq!(spec.sample_format, hound::SampleFormat::Int, "{file}");
            let data_bytes = w.len() * 2;
            assert_eq!(data_bytes % 2352, 0, "{file}");
            assert!(data_bytes >= 4 * 44100 * 4, "{file} shorter than 4 s");
        }
    }
    let r = env.run([
        "export",
        "--check",
        dest.to_str().unwrap(),
        "--profile",
        "cd",
        "--disc-minutes",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // The same folder checked against a 79:48 limit is fine too; against
    // the car rules it is all wrong.
    env.run([
        "export",
        "--check",
        dest.to_str().unwrap(),
        "--profile",
        "car",
    ])
    .expect_code(2);
}

#[test]
fn explicit_formats_copy_what_fits_convert_the_rest_and_store_measured_loudness() {
    let env = TestEnv::new();
    let src = env.root().join("music");
    let p = env.flac("music/a.flac", 5, 2.0);
    set_tags(&p, &[("title", "Gym"), ("artist", "Coach")]);
    let ids = scan(&env, &src);
    add_playlist(&env, "Gym", &[ids["a.flac"]]);
    let out = env.root().join("phone");
    // FLAC to FLAC: copied as is.
    let v = export_json(
        &env,
        &["Gym", "--to", out.to_str().unwrap(), "--format", "flac"],
    );
    assert_eq!(outputs(&v, "copied"), vec!["Coach - Gym.flac"]);
    assert_eq!(
        std::fs::read(out.join("Coach - Gym.flac")).unwrap(),
        std::fs::read(&p).unwrap()
    );
    // Switching to MP3 192k is refused without --replace (issue 16: it
    // used to remove and rewrite silently)...
    env.run([
        "export",
        "Gym",
        "--to",
        out.to_str().unwrap(),
        "--format",
        "mp3",
    ])
    .expect_code(1)
    .assert_stderr(&format!(
        "mixtape: {}: holds mixtape's export made with the format-flac profile, not format-mp3; export into another folder, or add --replace to remake it for format-mp3 (its files would be removed)\n",
        out.display()
    ));
    assert!(out.join("Coach - Gym.flac").is_file());
    // ...and with it replaces our FLAC with an MP3 (and its M3U8).
    let v = export_json(
        &env,
        &[
            "Gym",
            "--to",
            out.to_str().unwrap(),
            "--format",
            "mp3",
            "--bitrate",
            "192k",
            "--replace",
        ],
    );
    assert_eq!(outputs(&v, "converted"), vec!["Coach - Gym.mp3"]);
    assert_eq!(v["removed"], serde_json::json!(["Coach - Gym.flac"]));
    let m3u = std::fs::read_to_string(out.join("Gym.m3u8")).unwrap();
    assert!(m3u.contains("\nCoach - Gym.mp3\n"), "{m3u}");
    // --normalize measures the loudness and keeps it in the library.
    let wav = env.root().join("wav");
    let v = export_json(
        &env,
        &[
            "Gym",
            "--to",
            wav.to_str().unwrap(),
            "--format",
            "wav",
            "--normalize",
            "--target-lufs",
            "-16",
        ],
    );
    let measured = v["converted"][0]["loudness"]["lufs"]
        .as_f64()
        .expect("loudness reported");
    let lib = db(&env);
    let stored: Option<f64> = lib
        .query_row(
            "SELECT loudness FROM tracks WHERE id = ?1",
            [ids["a.flac"]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, Some(measured));
}

/// Issue 16, point 8: two exports of the same tracks with the same
/// settings are byte-identical, in every output container (tags with every
/// field, ReplayGain values and cover art included), so a manifest, a
/// checksum and a re-export agree.
#[test]
fn two_exports_of_the_same_tracks_are_byte_identical() {
    let env = TestEnv::new();
    for (i, title) in ["Première", "Second"].iter().enumerate() {
        let p = env.flac(&format!("src{i}.flac"), 11 + i as u64, 2.5);
        set_tags(
            &p,
            &[
                ("title", title),
                ("artist", "Artïst"),
                ("album", "Album"),
                ("albumartist", "Album Artist"),
                ("genre", "Genre"),
                ("composer", "Composer"),
                ("year", "1999"),
                ("track", &(i + 1).to_string()),
                ("tracktotal", "2"),
                ("disc", "1"),
                ("disctotal", "1"),
                ("comments", "A comment"),
                ("label", "Label"),
                ("isrc", "USRC17607839"),
            ],
        );
        add_cover(&p, jpeg(false, 64, 48));
    }
    env.run(["scan", "--no-fingerprint", env.root().to_str().unwrap()])
        .ok();
    env.run(["loudness"]).ok();
    for args in [
        &["--profile", "car"][..],
        &["--format", "mp3"],
        &["--format", "flac", "--force-transcode"],
        &["--format", "aac"],
        &["--format", "alac"],
        &["--format", "wav"],
        &["--format", "aiff"],
        &["--format", "opus"],
        &["--format", "vorbis"],
    ] {
        let mut trees = Vec::new();
        for n in 0..2 {
            let out = env.path(&format!("out{n}-{}", args[1]));
            let mut cmd = vec!["export", "album:Album", "--to", out.to_str().unwrap()];
            cmd.extend(args);
            env.run(cmd).ok();
            let mut t = tree(&out);
            t.retain(|k, _| !k.starts_with(".mixtape"));
            trees.push(t);
        }
        // Two tracks and the M3U8 (the car: in a folder, and an M3U too).
        let want = if args[1] == "car" { 5 } else { 3 };
        assert_eq!(trees[0].len(), want, "{args:?}: {:?}", trees[0]);
        assert_eq!(trees[0], trees[1], "{args:?}: the exports differ");
    }
}
