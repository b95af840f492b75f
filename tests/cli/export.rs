//! Integration tests for `mixtape export` (issue 5): profiles, names, play
//! order, CDs, incremental sync, interruption, a full disk and `--check`.
//!
//! Libraries are filled by inserting rows directly (the fixtures' tags and
//! properties are known), so these tests exercise export alone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::support::*;
use mixtape::Library;

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
    let lib = Library::open(&env.library).unwrap();
    let meta = std::fs::metadata(&s.path).unwrap();
    let hash = mixtape::fsops::hash_file(&s.path).unwrap();
    lib.conn()
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
    lib.conn().last_insert_rowid()
}

/// A static playlist with these tracks, in order.
fn add_playlist(env: &TestEnv, name: &str, ids: &[i64]) {
    let lib = Library::open(&env.library).unwrap();
    lib.conn()
        .execute(
            "INSERT INTO playlists (name, created, modified) VALUES (?1, 0, 0)",
            [name],
        )
        .unwrap();
    let pid = lib.conn().last_insert_rowid();
    for (pos, id) in ids.iter().enumerate() {
        lib.conn()
            .execute(
                "INSERT INTO playlist_entries (playlist_id, position, track_id) VALUES (?1, ?2, ?3)",
                rusqlite::params![pid, pos as i64, id],
            )
            .unwrap();
    }
}

fn remove_from_playlist(env: &TestEnv, name: &str, id: i64) {
    let lib = Library::open(&env.library).unwrap();
    lib.conn()
        .execute(
            "DELETE FROM playlist_entries WHERE track_id = ?1 AND playlist_id = \
             (SELECT id FROM playlists WHERE name = ?2)",
            rusqlite::params![id, name],
        )
        .unwrap();
}

/// A WAV source of `secs` seconds in the library.
fn wav_track(env: &TestEnv, rel: &str, seed: u64, secs: f64, artist: &str, title: &str) -> i64 {
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
fn files_under(dir: &Path) -> Vec<String> {
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

fn outputs(v: &serde_json::Value, kind: &str) -> Vec<String> {
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
    let v = json_of(
        &env.run([
            "export",
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--json",
        ])
        .ok(),
    );
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
    let v = json_of(
        &env.run([
            "export",
            "Road trip",
            "--to",
            dest.to_str().unwrap(),
            "--json",
        ])
        .ok(),
    );
    assert_eq!(
        v["removed"],
        serde_json::json!(["AC_DC - What__ _Live_ (2).wav"])
    );
    assert!(!dest.join("AC_DC - What__ _Live_ (2).wav").exists());
    assert_eq!(std::fs::read(dest.join("my notes.txt")).unwrap(), b"mine");
    let m3u = std::fs::read_to_string(dest.join("Road trip.m3u8")).unwrap();
    assert!(!m3u.contains("(2)"), "{m3u}");
    assert_no_partials(&dest);
}

#[test]
fn a_foreign_file_with_a_planned_name_is_never_overwritten() {
    let env = TestEnv::new();
    let a = wav_track(&env, "src/a.wav", 1, 1.0, "A", "Song");
    add_playlist(&env, "P", &[a]);
    let dest = env.root().join("out");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("A - Song.wav"), b"user's own file").unwrap();
    let v = json_of(
        &env.run(["export", "P", "--to", dest.to_str().unwrap(), "--json"])
            .ok(),
    );
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
    let v = json_of(
        &env.run([
            "export",
            "artist:bowie",
            "--to",
            dest.to_str().unwrap(),
            "--json",
        ])
        .ok(),
    );
    assert_eq!(outputs(&v, "copied"), vec!["Bowie - Heroes.wav"]);
    let names: HashSet<String> = files_under(&dest).into_iter().collect();
    assert!(names.contains("mixtape export.m3u8"), "{names:?}");
}
