//! Integration tests for the library file itself (issue 12, "Never lose a
//! file"): what mixtape refuses to touch (a newer library, another
//! program's database, a file that is not SQLite), what reading commands
//! never create, read-only libraries, two processes on one library (the
//! writer lock, readers that never wait, every pairing of writers run at
//! once), and organize planning around paths the library holds.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::support::*;

/// The bytes and modification time of a file.
fn snapshot(p: &Path) -> (Vec<u8>, SystemTime) {
    (
        std::fs::read(p).unwrap(),
        std::fs::metadata(p).unwrap().modified().unwrap(),
    )
}

/// `path` with `suffix` added to its name.
fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Assert that nothing but the file itself is beside it: no `-wal`,
/// `-shm`, `-journal` or `.lock`.
#[track_caller]
fn no_side_files(p: &Path) {
    for s in ["-wal", "-shm", "-journal", ".lock"] {
        assert!(
            !with_suffix(p, s).exists(),
            "{} appeared",
            with_suffix(p, s).display()
        );
    }
}

fn scan(env: &TestEnv, dir: &Path) -> Run {
    env.run(["scan", "--no-fingerprint", &dir.display().to_string()])
        .ok()
}

/// Commands that must refuse a file that is not a library of ours, and
/// must not touch it.
const REFUSERS: &[&[&str]] = &[
    &["ls"],
    &["stats"],
    &["dupes"],
    &["playlist", "ls"],
    &["playlist", "new", "x"],
    &["undo"],
    &["scan", "music"],
];

#[test]
fn newer_library_is_refused_byte_identical() {
    let env = TestEnv::new();
    env.path("music/.keep");
    scan(&env, &env.root().join("music"));
    {
        let c = rusqlite::Connection::open(&env.library).unwrap();
        c.execute_batch("PRAGMA user_version = 999").unwrap();
    }
    // The (empty) lock file the scan left; none may appear again.
    std::fs::remove_file(with_suffix(&env.library, ".lock")).unwrap();
    no_side_files(&env.library);
    let before = snapshot(&env.library);
    for args in REFUSERS {
        let r = env.run(*args).expect_code(1);
        assert_eq!(
            r.stderr,
            format!(
                "mixtape: {}: library schema version 999 is newer than this mixtape supports ({}); upgrade mixtape (the file was left untouched)\n",
                env.library.display(),
                mixtape::library::migrations::LATEST
            ),
            "{args:?}"
        );
        assert_eq!(snapshot(&env.library), before, "{args:?}");
        // Not switched to WAL, no lock file left beside it.
        no_side_files(&env.library);
    }
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let env = TestEnv::new();
    env.path("music/.keep");
    let db = env.root().join("contacts.db");
    for version in [0, 1] {
        {
            let c = rusqlite::Connection::open(&db).unwrap();
            c.execute_batch(&format!(
                "DROP TABLE IF EXISTS contacts;
                 CREATE TABLE contacts(name TEXT, phone TEXT);
                 INSERT INTO contacts VALUES ('Ada', '123');
                 PRAGMA user_version = {version};"
            ))
            .unwrap();
        }
        let before = snapshot(&db);
        for args in REFUSERS {
            let r = env.cmd_on(&db).args(*args).output().unwrap();
            let r = Run::from(r).expect_code(1);
            assert_eq!(
                r.stderr,
                format!(
                    "mixtape: {} is a SQLite database of another program, not a mixtape library (left untouched)\n",
                    db.display()
                ),
                "user_version {version}, {args:?}"
            );
            assert_eq!(snapshot(&db), before, "user_version {version}, {args:?}");
            no_side_files(&db);
        }
    }
    // And a file that is not SQLite at all.
    let notes = env.root().join("notes.db");
    std::fs::write(&notes, "shopping: milk, eggs, a new hard disk\n".repeat(20)).unwrap();
    let before = snapshot(&notes);
    for args in REFUSERS {
        let r = Run::from(env.cmd_on(&notes).args(*args).output().unwrap()).expect_code(1);
        assert_eq!(
            r.stderr,
            format!(
                "mixtape: {}: not a mixtape library (not a SQLite database)\n",
                notes.display()
            ),
            "{args:?}"
        );
        assert_eq!(snapshot(&notes), before);
        no_side_files(&notes);
    }
}

#[test]
fn without_a_library_nothing_is_created() {
    let env = TestEnv::new();
    let commands: &[&[&str]] = &[
        &["ls"],
        &["stats"],
        &["dupes"],
        &["check"],
        &["playlist", "ls"],
        &["playlist", "show", "x"],
        &["playlist", "new", "x"],
        &["undo"],
        &["undo", "--list"],
        &["organize", "--move", "--dry-run", "--into", "out"],
        &["organize", "--copy", "--into", "out"],
    ];
    for lib in [
        env.root().join("nowhere").join("library.db"),
        PathBuf::from("/nonexistent/dir/x.db"),
    ] {
        for args in commands {
            let r = Run::from(env.cmd_on(&lib).args(*args).output().unwrap()).expect_code(1);
            assert_eq!(
                r.stderr,
                format!(
                    "mixtape: no library at {}: run 'mixtape scan DIR' first\n",
                    lib.display()
                ),
                "{args:?}"
            );
            assert!(!lib.parent().unwrap().exists(), "{args:?} created a folder");
        }
    }
    // The default place ($XDG_DATA_HOME/mixtape/library.db) is not made either.
    let default = env.root().join("xdg").join("mixtape").join("library.db");
    let r = env.cmd_bare().arg("ls").output().unwrap();
    let r = Run::from(r).expect_code(1);
    assert_eq!(
        r.stderr,
        format!(
            "mixtape: no library at {}: run 'mixtape scan DIR' first\n",
            default.display()
        )
    );
    assert!(!env.root().join("xdg").exists());
    assert!(!env.root().join("out").exists());
}

/// A read-only view of a folder: a read-only bind mount when we are root
/// (chmod does not stop root), else the folder and its files made
/// read-only. Undone on drop.
struct ReadOnly {
    view: PathBuf,
    mounted: bool,
}

impl ReadOnly {
    fn new(dir: &Path, view: &Path) -> Option<ReadOnly> {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::fs::create_dir_all(view).unwrap();
            let ok = Command::new("mount")
                .args(["--bind", "-o", "ro"])
                .arg(dir)
                .arg(view)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!("skipped: cannot make a read-only bind mount as root");
                return None;
            }
            Some(ReadOnly {
                view: view.to_path_buf(),
                mounted: true,
            })
        } else {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
            }
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
            Some(ReadOnly {
                view: dir.to_path_buf(),
                mounted: false,
            })
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.mounted {
            let _ = Command::new("umount").arg(&self.view).status();
        } else {
            let _ = std::fs::set_permissions(&self.view, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn read_only_library_can_be_read() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/a.wav", 1, 0.3);
    env.wav("music/b.wav", 1, 0.3);
    let dir = env.root().join("libdir");
    std::fs::create_dir_all(&dir).unwrap();
    let lib = dir.join("library.db");
    let run = |lib: &Path, args: &[&str]| Run::from(env.cmd_on(lib).args(args).output().unwrap());
    run(&lib, &["scan", "--no-fingerprint", music.to_str().unwrap()]).ok();
    run(&lib, &["playlist", "new", "p"]).ok();
    let a = music.join("a.wav");
    run(
        &lib,
        &["playlist", "add", "p", "--file", a.to_str().unwrap()],
    )
    .ok();
    let reads: &[&[&str]] = &[
        &["ls"],
        &["stats"],
        &["dupes"],
        &["playlist", "ls"],
        &["playlist", "show", "p"],
        &["undo", "--list"],
    ];
    let expected: Vec<Run> = reads.iter().map(|a| run(&lib, a).ok()).collect();
    assert_eq!(expected[0].stdout, "a\nb\n");
    assert!(
        expected[2].stdout.contains("1 group"),
        "{}",
        expected[2].stdout
    );
    // What the commands above left beside it: the empty lock file, and
    // SQLite's -wal and -shm (kept by the read-only connections, which
    // cannot checkpoint). A last connection checkpoints and removes them.
    std::fs::remove_file(dir.join("library.db.lock")).unwrap();
    {
        let c = rusqlite::Connection::open(&lib).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    no_side_files(&lib);
    let Some(ro) = ReadOnly::new(&dir, &env.root().join("ro")) else {
        return;
    };
    let ro_lib = ro.view.join("library.db");
    let before = snapshot(&ro_lib);
    for (args, want) in reads.iter().zip(&expected) {
        let r = run(&ro_lib, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, want.stdout, "{args:?}");
        assert_eq!(snapshot(&ro_lib), before, "{args:?}");
        no_side_files(&ro_lib);
    }
    // A command that writes says why it cannot, once.
    let r = run(&ro_lib, &["playlist", "new", "q"]).expect_code(1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(snapshot(&ro_lib), before);
    drop(ro);
}

/// Hold the writer lock of `library` from this process, naming `command`
/// as the holder, as a running mixtape would.
#[allow(clippy::incompatible_msrv)] // File::lock: Rust 1.89, as rusqlite 0.41 needs
fn hold_lock(library: &Path, command: &str) -> std::fs::File {
    let path = with_suffix(&std::fs::canonicalize(library).unwrap(), ".lock");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    f.lock().unwrap();
    f.set_len(0).unwrap();
    write!(f, "{}\n{command}\n", std::process::id()).unwrap();
    f
}

/// Wait for `child`, at most `limit`.
fn wait_bounded(mut child: Child, limit: Duration, what: &str) -> Run {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap().into();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out: Run = child.wait_with_output().unwrap().into();
            panic!(
                "{what}: still running after {limit:?}\n{}\n{}",
                out.stdout, out.stderr
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_second_writer_waits_and_readers_do_not() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/a.wav", 1, 0.3);
    scan(&env, &music);
    let lock = hold_lock(&env.library, "mixtape scan ~/Music");
    let holder = format!("PID {} (mixtape scan ~/Music)", std::process::id());

    // Readers do not wait.
    for args in [&["ls"][..], &["stats"], &["dupes"], &["playlist", "ls"]] {
        let child = env
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_bounded(child, Duration::from_secs(10), "reader").ok();
    }
    // --no-wait fails at once, saying who holds the library.
    let r = env
        .run(["--no-wait", "playlist", "new", "x"])
        .expect_code(1);
    assert_eq!(
        r.stderr,
        format!("mixtape: {} is in use by {holder}\n", env.library.display())
    );

    // A writer waits, saying so once, and goes on when the holder is done.
    let mut child = env
        .cmd()
        .args(["playlist", "new", "x"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut stderr = child.stderr.take().unwrap();
    let waiting = format!(
        "waiting for {holder} to finish with {}\u{2026}\n",
        env.library.display()
    );
    let mut seen = Vec::new();
    while seen.len() < waiting.len() && started.elapsed() < Duration::from_secs(10) {
        let mut b = [0u8; 256];
        let n = stderr.read(&mut b).unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&b[..n]);
    }
    assert_eq!(String::from_utf8_lossy(&seen), waiting);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the writer did not wait"
    );
    let released = Instant::now();
    drop(lock);
    let r = wait_bounded(child, Duration::from_secs(10), "waiting writer").ok();
    eprintln!(
        "second writer waited {:.2}s; went on {:.3}s after the lock was let go",
        started.elapsed().as_secs_f64(),
        released.elapsed().as_secs_f64()
    );
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
    assert_eq!(r.stdout, "created static playlist 'x'\n");
}

/// A library with `n` small WAVs under music/ scanned, a static playlist
/// `p`, and two organize copies to undo.
fn busy_library(n: usize) -> TestEnv {
    let env = TestEnv::new();
    for i in 0..n {
        let p = env.flac(&format!("music/d{}/t{i:03}.flac", i % 7), i as u64, 0.1);
        set_tags(
            &p,
            &[
                ("artist", &format!("A{}", i % 5)),
                ("title", &format!("T{i}")),
            ],
        );
    }
    scan(&env, &env.root().join("music"));
    env.run(["playlist", "new", "p"]).ok();
    env.run(["organize", "--copy", "--into", "copy1", "artist:A1"])
        .ok();
    env.run(["organize", "--copy", "--into", "copy2", "artist:A2"])
        .ok();
    env
}

fn spawn(env: &TestEnv, args: &[&str]) -> (Child, Instant) {
    let c = env
        .cmd()
        .arg("--quiet")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (c, Instant::now())
}

/// Write `n` new small WAVs under `rel/` (in a few subfolders).
fn fresh_files(env: &TestEnv, rel: &str, n: usize, seed: u64) -> PathBuf {
    for i in 0..n {
        env.wav(
            &format!("{rel}/d{}/t{i:03}.wav", i % 3),
            seed + i as u64,
            0.1,
        );
    }
    env.root().join(rel)
}

#[test]
fn writers_run_at_once_never_fail_on_a_locked_database() {
    let env = busy_library(60);
    let jobs = ["scan", "scan-overlap", "playlist-add", "organize", "undo"];
    let mut n = 0;
    let mut scanned = 0;
    for i in 0..jobs.len() {
        for j in i..jobs.len() {
            if i == j && jobs[i] != "scan" {
                continue;
            }
            n += 1;
            // Work for the scans: new files, under one root and its subfolder.
            let fresh = fresh_files(&env, &format!("music/fresh{n}"), 90, 1000 * n as u64);
            scanned += match (jobs[i], jobs[j]) {
                ("scan", _) | (_, "scan") => 90,
                ("scan-overlap", _) => 30, // d0: every third file
                _ => 0,
            };
            let args = |job: &str, k: usize| -> Vec<String> {
                let v: Vec<String> = match job {
                    "scan" => vec![
                        "scan".into(),
                        "--no-fingerprint".into(),
                        fresh.display().to_string(),
                    ],
                    "scan-overlap" => vec![
                        "scan".into(),
                        "--no-fingerprint".into(),
                        fresh.join("d0").display().to_string(),
                    ],
                    "playlist-add" => ["playlist", "add", "p", "artist:A3"]
                        .map(String::from)
                        .to_vec(),
                    "organize" => vec![
                        "organize".into(),
                        "--copy".into(),
                        "--into".into(),
                        format!("out{n}-{k}"),
                        "artist:A4".into(),
                    ],
                    _ => vec!["undo".into()],
                };
                v
            };
            let a = args(jobs[i], 0);
            let b = args(jobs[j], 1);
            let (ca, ta) = spawn(&env, &a.iter().map(String::as_str).collect::<Vec<_>>());
            let (cb, tb) = spawn(&env, &b.iter().map(String::as_str).collect::<Vec<_>>());
            let ra = wait_bounded(ca, Duration::from_secs(60), jobs[i]);
            let da = ta.elapsed();
            let rb = wait_bounded(cb, Duration::from_secs(60), jobs[j]);
            let db = tb.elapsed();
            for (name, r, d) in [(jobs[i], &ra, da), (jobs[j], &rb, db)] {
                let pair = format!("{} + {}", jobs[i], jobs[j]);
                assert!(
                    !r.stderr.contains("locked") && !r.stderr.contains("UNIQUE"),
                    "{pair}: {name}: {}",
                    r.stderr
                );
                assert_eq!(r.code, 0, "{pair}: {name}: {}{}", r.stdout, r.stderr);
                let waited = r.stderr.lines().any(|l| l.starts_with("waiting for PID"));
                eprintln!(
                    "{pair}: {name} took {:.2}s{}",
                    d.as_secs_f64(),
                    if waited {
                        ", waiting for the other"
                    } else {
                        ""
                    }
                );
            }
            // Undo needs something to undo in the next pairing.
            if jobs[i] == "undo" || jobs[j] == "undo" {
                env.run([
                    "organize",
                    "--copy",
                    "--into",
                    &format!("again{n}"),
                    "artist:A0",
                ])
                .ok();
            }
        }
    }
    let c = rusqlite::Connection::open(&env.library).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    // Every fresh file is in the library exactly once.
    let count: i64 = c
        .query_row(
            "SELECT count(*) FROM tracks WHERE CAST(path AS TEXT) LIKE '%/fresh%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, scanned);
}

#[test]
fn organize_plans_around_paths_the_library_holds() {
    let env = TestEnv::new();
    let music = env.path("music");
    let a = env.flac("music/in/a.flac", 1, 0.5);
    set_tags(
        &a,
        &[
            ("artist", "Alpha"),
            ("album", "B"),
            ("title", "C"),
            ("track", "1"),
        ],
    );
    // Another track already known at a's destination, whose file is gone.
    let held = env.flac("music/out/Alpha/B/01 C.flac", 2, 0.5);
    set_tags(&held, &[("artist", "Other"), ("title", "Z")]);
    scan(&env, &music);
    std::fs::remove_file(&held).unwrap();
    scan(&env, &music);
    let r = env
        .run(["organize", "--move", "--into", "music/out", "artist:Alpha"])
        .ok();
    let dst = env.root().join("music/out/Alpha/B/01 C (2).flac");
    let src = env.root().join("music/in/a.flac");
    assert_eq!(
        r.stdout,
        format!("{} -> {}\n", src.display(), dst.display())
    );
    assert!(dst.exists() && !src.exists());
    let r = env.run(["ls", "missing:false", "--path"]).ok();
    assert_eq!(r.stdout, format!("{}\n", dst.display()));
}

#[test]
fn undo_refuses_an_operation_still_running_unless_named() {
    let env = TestEnv::new();
    let music = env.path("music");
    env.wav("music/a.wav", 1, 0.3);
    scan(&env, &music);
    env.run(["organize", "--copy", "--into", "out"]).ok();
    // As if the organize were still running in this (live) process.
    {
        let c = rusqlite::Connection::open(&env.library).unwrap();
        c.execute(
            "UPDATE operations SET finished = NULL, pid = ?1",
            [std::process::id()],
        )
        .unwrap();
    }
    let r = env.run(["undo"]).expect_code(1);
    assert_eq!(
        r.stderr,
        format!(
            "mixtape: undo: operation 1 is still running (PID {}); wait for it to finish, or name it to undo it anyway: mixtape undo 1\n",
            std::process::id()
        )
    );
    assert!(env.root().join("out").exists());
    env.run(["undo", "1"]).ok();
    assert!(!env.root().join("out").exists());
}
