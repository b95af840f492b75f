//! Fault injection: the commands that write (`scan`, `organize --move`,
//! `dupes --move-to`, `export --profile car`, and `undo` itself) are killed
//! with SIGKILL at pseudo-random moments, and what they leave behind is
//! checked against mixtape's promise, never to lose or alter the user's
//! music:
//!
//! - the library database passes `PRAGMA integrity_check`;
//! - `undo` (repeated until there is nothing left to undo) and a rescan
//!   give back every original file at its original path with its original
//!   BLAKE3, with no `.mixtape-tmp-*` file left in the music tree and no
//!   file left in the quarantine or organise folder;
//! - the library then holds the same rows (path, hashes, missing,
//!   quarantined) as a clean scan of the untouched collection;
//! - an export never has a partial file under a final name: every file
//!   there is byte-identical to the one a clean export makes, and running
//!   the export again converges on the clean export.
//!
//! Kill points are spread over a clean run's duration (stratified, jittered
//! by a seeded RNG, so a failure reproduces with the seed it prints). Runs
//! per command: `MIXTAPE_FAULT_RUNS` (default 10); seed:
//! `MIXTAPE_FAULT_SEED`. Each test reuses one temporary folder, resetting
//! it between runs to the generated collection (fixed mtimes) and, where
//! the command needs a scanned library, to a saved copy of a clean scan's
//! database: the paths stay the same, so the saved library stays valid and
//! no run pays for a full scan it does not test.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use crate::support::*;

/// Seconds of audio per generated track: long enough that `scan` and
/// `export --profile car` (a transcode) take a measurable while.
const SECS: f64 = 6.0;

/// Runs per command (`MIXTAPE_FAULT_RUNS`, default 10).
fn runs() -> usize {
    std::env::var("MIXTAPE_FAULT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(10)
}

/// The base seed (`MIXTAPE_FAULT_SEED`, decimal or 0x-hex).
fn seed() -> u64 {
    std::env::var("MIXTAPE_FAULT_SEED")
        .ok()
        .and_then(|v| match v.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => v.parse().ok(),
        })
        .unwrap_or(0x006d_6978_7461_7065)
}

/// SplitMix64: small, seedable, and the same everywhere.
struct Rng(u64);

impl Rng {
    /// A stream for one test, from the base seed and the test's name.
    fn new(seed: u64, name: &str) -> Rng {
        let mut s = seed;
        for b in name.bytes() {
            s = (s ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Rng(s)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One generated file of the collection: its path below `music/` and bytes.
struct Original {
    rel: String,
    bytes: Vec<u8>,
}

/// The collection, generated once for the whole module: four tagged albums'
/// worth of WAV, FLAC and MP3 tracks (so organize has names and export has
/// transcodes to make), and byte copies of four of them in `Backup/` (so
/// dupes has something to move).
fn collection() -> &'static [Original] {
    static C: OnceLock<Vec<Original>> = OnceLock::new();
    C.get_or_init(|| {
        let env = TestEnv::new();
        let mut out = Vec::new();
        let albums = [
            ("Alpha", "First Light", "wav"),
            ("Beta", "Second Wind", "flac"),
            ("Gamma", "Third Rail", "mp3"),
        ];
        let mut seed = 100;
        for (artist, album, ext) in albums {
            for n in 1..=4u64 {
                seed += 1;
                let rel = format!("{artist}/{album}/0{n} Song {n}.{ext}");
                let p = match ext {
                    "wav" => env.wav(&rel, seed, SECS),
                    "flac" => env.flac(&rel, seed, SECS),
                    _ => env.mp3(&rel, seed, SECS),
                };
                set_tags(
                    &p,
                    &[
                        ("artist", artist),
                        ("albumartist", artist),
                        ("album", album),
                        ("title", &format!("{artist} song {n}")),
                        ("track", &n.to_string()),
                        ("year", "2024"),
                    ],
                );
                out.push(Original {
                    rel,
                    bytes: std::fs::read(&p).unwrap(),
                });
            }
        }
        for (from, to) in [
            (0, "Backup/a1.wav"),
            (4, "Backup/b1.flac"),
            (5, "Backup/b2.flac"),
            (8, "Backup/c1.mp3"),
        ] {
            let bytes = out[from].bytes.clone();
            out.push(Original {
                rel: to.to_string(),
                bytes,
            });
        }
        out
    })
}

fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Every file below `dir`: relative path -> BLAKE3 (empty when `dir` is absent).
fn tree(dir: &Path) -> BTreeMap<String, String> {
    tree_by(dir, hex)
}

/// Every file below `dir`: relative path -> `key` of its bytes.
fn tree_by(dir: &Path, key: fn(&[u8]) -> String) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (rel.to_string_lossy().into_owned(), key(&bytes))
        })
        .collect()
}

/// An exported file's identity: its length and the BLAKE3 of what follows
/// its ID3v2 tag. Two clean exports write the same frames in a different
/// order (so whole-file hashes differ), but a partial file is shorter or
/// has different audio.
fn export_key(bytes: &[u8]) -> String {
    let mut start = 0;
    if bytes.len() >= 10 && &bytes[..3] == b"ID3" {
        let size = bytes[6..10]
            .iter()
            .fold(0usize, |n, &b| (n << 7) | usize::from(b & 0x7f));
        let footer = if bytes[5] & 0x10 != 0 { 10 } else { 0 };
        start = (10 + size + footer).min(bytes.len());
    }
    format!("{} bytes, audio {}", bytes.len(), hex(&bytes[start..]))
}

/// Files below `dir` whose names are mixtape temporaries.
fn temp_files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|rel| rel.contains(".mixtape-tmp-"))
        .collect()
}

/// What a library row must agree on after recovery (no ids, no times).
type Row = (String, String, String, bool, bool);

/// How one run went: the problems found (none: it survived).
type Problems = Vec<String>;

/// One test's working folder: the collection under `music/`, a library,
/// and the clean results to compare with.
struct Bench {
    env: TestEnv,
    music: PathBuf,
    /// The database of a clean scan of `music/` (with its WAL, if any).
    saved: PathBuf,
    /// `ls --json` rows of that clean scan.
    clean_rows: BTreeSet<Row>,
}

impl Bench {
    /// A fresh folder with the collection scanned once, cleanly.
    fn new() -> Bench {
        let env = TestEnv::new();
        let music = env.root().join("music");
        let saved = env.root().join("saved");
        let mut b = Bench {
            env,
            music,
            saved,
            clean_rows: BTreeSet::new(),
        };
        b.reset(false);
        b.run(&b.scan_args()).ok();
        b.clean_rows = b.rows().expect("ls after a clean scan");
        assert_eq!(b.clean_rows.len(), collection().len());
        std::fs::create_dir_all(&b.saved).unwrap();
        for name in db_files() {
            let from = b.env.root().join(name);
            if from.exists() {
                std::fs::copy(&from, b.saved.join(name)).unwrap();
            }
        }
        b
    }

    fn root(&self) -> &Path {
        self.env.root()
    }

    /// Put the folder back as it was before any command: the collection
    /// (fixed mtimes, so a saved scan still matches it), nothing else, and
    /// with `scanned` the clean scan's library.
    fn reset(&self, scanned: bool) {
        for d in ["music", "quarantine", "sorted", "export", "xdg"] {
            let p = self.root().join(d);
            if p.exists() {
                std::fs::remove_dir_all(&p).unwrap();
            }
        }
        for name in db_files() {
            let _ = std::fs::remove_file(self.root().join(name));
        }
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (i, o) in collection().iter().enumerate() {
            let p = self.music.join(&o.rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &o.bytes).unwrap();
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_modified(base + Duration::from_secs(i as u64))
                .unwrap();
        }
        if scanned {
            for name in db_files() {
                let from = self.saved.join(name);
                if from.exists() {
                    std::fs::copy(&from, self.root().join(name)).unwrap();
                }
            }
        }
    }

    fn run(&self, args: &[String]) -> Run {
        self.env.run(args)
    }

    fn scan_args(&self) -> Vec<String> {
        args(&["scan", "--quiet", &self.music.display().to_string()])
    }

    /// The library's rows as `ls --json` gives them, paths relative to `music/`.
    fn rows(&self) -> Result<BTreeSet<Row>, String> {
        let r = self.run(&args(&["ls", "--json"]));
        if r.code != 0 {
            return Err(format!("ls exited {}: {}", r.code, r.stderr.trim()));
        }
        let music = std::fs::canonicalize(&self.music).unwrap_or(self.music.clone());
        Ok(r.json_lines()
            .iter()
            .map(|v| {
                let path = v["path"].as_str().unwrap_or_default();
                let rel = Path::new(path)
                    .strip_prefix(&music)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| format!("(outside music) {path}"));
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                (
                    rel,
                    s("file_hash"),
                    s("audio_hash"),
                    v["missing"].as_bool().unwrap_or(false),
                    v["quarantined"].as_bool().unwrap_or(false),
                )
            })
            .collect())
    }

    /// How long a clean run of `args` takes after `setup` (it must succeed).
    fn time(&self, setup: &dyn Fn(&Bench), args: &[String]) -> Duration {
        setup(self);
        let t = Instant::now();
        let r = self.run(args);
        let d = t.elapsed();
        r.ok();
        d
    }

    /// Spawn `mixtape ARGS`, SIGKILL it after `delay`, and reap it. True
    /// when it was still running (killed mid-run), false when it had
    /// already exited.
    fn kill_after(&self, args: &[String], delay: Duration) -> bool {
        let mut child = self
            .env
            .cmd()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mixtape");
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait for mixtape");
        status.signal() == Some(libc::SIGKILL)
    }

    /// After a kill: the library is sound, undo and a rescan give back
    /// every original untouched, and the library converges on the clean
    /// scan. Problems go to `p`.
    fn recover_and_check(&self, p: &mut Problems) {
        self.check_integrity(p);
        self.undo_all(p);
        let trees = [
            ("music", self.music.clone()),
            ("quarantine", self.root().join("quarantine")),
            ("sorted", self.root().join("sorted")),
        ];
        for (name, dir) in &trees {
            for t in temp_files(dir) {
                p.push(format!("temporary file left after undo: {name}/{t}"));
            }
        }
        let now = tree(&self.music);
        for o in collection() {
            match now.get(&o.rel) {
                None => p.push(format!("original missing after undo: music/{}", o.rel)),
                Some(h) if *h != hex(&o.bytes) => {
                    p.push(format!("original changed after undo: music/{}", o.rel))
                }
                _ => {}
            }
        }
        let originals: BTreeSet<&str> = collection().iter().map(|o| o.rel.as_str()).collect();
        for rel in now.keys() {
            if !originals.contains(rel.as_str()) && !rel.contains(".mixtape-tmp-") {
                p.push(format!(
                    "extra file in the music tree after undo: music/{rel}"
                ));
            }
        }
        for (name, dir) in &trees[1..] {
            for rel in tree(dir).keys() {
                if !rel.contains(".mixtape-tmp-") {
                    p.push(format!("file left behind after undo: {name}/{rel}"));
                }
            }
        }
        let scan = self.run(&self.scan_args());
        if scan.code != 0 {
            p.push(format!(
                "rescan exited {}: {}",
                scan.code,
                scan.stderr.trim()
            ));
        }
        match self.rows() {
            Err(e) => p.push(e),
            Ok(rows) if rows != self.clean_rows => {
                for r in rows.difference(&self.clean_rows) {
                    p.push(format!("library row not in a clean scan: {r:?}"));
                }
                for r in self.clean_rows.difference(&rows) {
                    p.push(format!("clean scan's row missing from the library: {r:?}"));
                }
            }
            Ok(_) => {}
        }
    }

    /// `PRAGMA integrity_check` on the library, if there is one yet.
    fn check_integrity(&self, p: &mut Problems) {
        if !self.env.library.exists() {
            return;
        }
        let result = (|| -> rusqlite::Result<Vec<String>> {
            let conn = rusqlite::Connection::open(&self.env.library)?;
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        })();
        match result {
            Ok(rows) if rows == ["ok"] => {}
            Ok(rows) => p.push(format!("integrity_check: {}", rows.join("; "))),
            Err(e) => p.push(format!("integrity_check could not run: {e}")),
        }
    }

    /// Whether the library file exists and holds any table yet.
    fn has_schema(&self) -> bool {
        let Ok(conn) = rusqlite::Connection::open_with_flags(
            &self.env.library,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) else {
            return false;
        };
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .unwrap_or(false)
    }

    /// `undo` until there is nothing left to undo (at most a few times).
    fn undo_all(&self, p: &mut Problems) {
        for _ in 0..5 {
            let r = self.run(&args(&["undo"]));
            match r.code {
                0 => continue,
                1 if r.stderr.contains("nothing to undo") => return,
                // A scan killed before its first commit leaves no library
                // (or an empty file): there is nothing to undo, and the
                // rescan that follows creates it.
                1 if r.stderr.contains("no library at") && !self.has_schema() => return,
                code => {
                    p.push(format!(
                        "undo exited {code}\n--- stdout\n{}--- stderr\n{}",
                        r.stdout, r.stderr
                    ));
                    return;
                }
            }
        }
        p.push("undo still had something to undo after 5 runs".into());
    }
}

/// The library file and its SQLite companions, relative to the root.
fn db_files() -> [&'static str; 3] {
    ["library.db", "library.db-wal", "library.db-shm"]
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// One way of setting up and running the command under test.
struct Variant<'a> {
    label: &'a str,
    setup: &'a dyn Fn(&Bench),
    args: Vec<String>,
}

/// Kill `name` at `runs()` points spread over a clean run's duration
/// (variants taken in turn), check each run with `check`, print the
/// summary, and fail with every problem found.
fn kill_runs(
    b: &Bench,
    name: &str,
    variants: &[Variant<'_>],
    check: &dyn Fn(&Bench, &mut Problems),
) {
    let n = runs();
    let base = seed();
    let mut rng = Rng::new(base, name);
    let clean: Vec<Duration> = variants.iter().map(|v| b.time(v.setup, &v.args)).collect();
    let started = Instant::now();
    let mut survived = 0;
    let mut mid = 0;
    let mut failures = Vec::new();
    for i in 0..n {
        let k = i % variants.len();
        let v = &variants[k];
        (v.setup)(b);
        let delay = clean[k].mul_f64((i as f64 + rng.unit()) / n as f64);
        let killed = b.kill_after(&v.args, delay);
        mid += usize::from(killed);
        let mut problems = Vec::new();
        check(b, &mut problems);
        if problems.is_empty() {
            survived += 1;
        } else {
            failures.push(format!(
                "run {i} of {name} ({}; MIXTAPE_FAULT_SEED={base:#x}, kill after {delay:?} of a clean {:?}, {}):\n  {}",
                v.label,
                clean[k],
                if killed { "mid-run" } else { "after it had finished" },
                problems.join("\n  ")
            ));
        }
    }
    eprintln!(
        "kill -9: {name} survived {survived}/{n} ({mid} killed mid-run; clean run {}; {:.1?} for the runs)",
        clean
            .iter()
            .zip(variants)
            .map(|(d, v)| format!("{} {d:.2?}", v.label))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn kill_9_during_scan_leaves_a_sound_library_that_a_rescan_completes() {
    let b = Bench::new();
    let v = Variant {
        label: "full scan",
        setup: &|b: &Bench| b.reset(false),
        args: b.scan_args(),
    };
    kill_runs(&b, "scan", &[v], &|b, p| b.recover_and_check(p));
}

#[test]
fn kill_9_during_organize_move_is_undone_to_the_original_tree() {
    let b = Bench::new();
    let v = Variant {
        label: "organize --move",
        setup: &|b: &Bench| b.reset(true),
        args: args(&["organize", "--move", "--into", "sorted"]),
    };
    kill_runs(&b, "organize --move", &[v], &|b, p| b.recover_and_check(p));
}

#[test]
fn kill_9_during_dupes_move_to_is_undone_to_the_original_tree() {
    let b = Bench::new();
    let v = Variant {
        label: "dupes --move-to",
        setup: &|b: &Bench| b.reset(true),
        args: args(&["dupes", "--move-to", "quarantine"]),
    };
    kill_runs(&b, "dupes --move-to", &[v], &|b, p| b.recover_and_check(p));
}

#[test]
fn kill_9_during_undo_is_finished_by_the_next_undo() {
    let b = Bench::new();
    let after_dupes = |b: &Bench| {
        b.reset(true);
        b.run(&args(&["dupes", "--move-to", "quarantine"])).ok();
    };
    let after_organize = |b: &Bench| {
        b.reset(true);
        b.run(&args(&["organize", "--move", "--into", "sorted"]))
            .ok();
    };
    let variants = [
        Variant {
            label: "undo of dupes --move-to",
            setup: &after_dupes,
            args: args(&["undo"]),
        },
        Variant {
            label: "undo of organize --move",
            setup: &after_organize,
            args: args(&["undo"]),
        },
    ];
    kill_runs(&b, "undo", &variants, &|b, p| b.recover_and_check(p));
}

#[test]
fn kill_9_during_export_leaves_no_partial_file_and_a_rerun_converges() {
    let b = Bench::new();
    // One album of FLAC (transcoded to MP3), so a run takes about a second.
    let album = std::fs::canonicalize(b.music.join("Beta")).unwrap();
    let dest = b.root().join("export");
    let export = args(&[
        "export",
        &format!("path:{}", album.display()),
        "--to",
        "export",
        "--profile",
        "car",
        "--quiet",
    ]);
    // What a clean export gives (and that it gives it every time, so a
    // file that differs from it is a partial one, not a different encode).
    // Only the ID3v2 frame order varies between clean runs: see `export_key`.
    let visible = |d: &Path| -> BTreeMap<String, String> {
        tree_by(d, export_key)
            .into_iter()
            .filter(|(rel, _)| !rel.split('/').any(|c| c.starts_with('.')))
            .collect()
    };
    b.reset(true);
    b.run(&export).ok();
    let clean = visible(&dest);
    assert!(
        clean.keys().filter(|k| k.ends_with(".mp3")).count() == 4,
        "{clean:#?}"
    );
    b.reset(true);
    b.run(&export).ok();
    assert_eq!(visible(&dest), clean, "two clean exports differ");

    let check = |b: &Bench, p: &mut Problems| {
        // Straight after the kill: nothing under a final name is partial.
        for (rel, h) in tree_by(&dest, export_key) {
            let hidden = rel.split('/').any(|c| c.starts_with('.'));
            if rel.ends_with(".mixtape-export.json") {
                let text = std::fs::read_to_string(dest.join(&rel)).unwrap_or_default();
                if serde_json::from_str::<serde_json::Value>(&text).is_err() {
                    p.push(format!("export manifest {rel} is not whole JSON"));
                }
            } else if !hidden {
                match clean.get(&rel) {
                    None => p.push(format!("export/{rel}: not in a clean export")),
                    Some(c) if *c != h => p.push(format!(
                        "export/{rel}: differs from the clean export (partial?)"
                    )),
                    _ => {}
                }
            }
        }
        // Running it again finishes the job, with no leftovers.
        let again = b.run(&export);
        if again.code != 0 {
            p.push(format!(
                "export after the kill exited {}: {}",
                again.code,
                again.stderr.trim()
            ));
        }
        let now = visible(&dest);
        if now != clean {
            p.push(format!(
                "export after the kill differs from a clean one:\n  got {:?}\n  want {:?}",
                now.keys().collect::<Vec<_>>(),
                clean.keys().collect::<Vec<_>>()
            ));
        }
        for rel in tree(&dest).keys() {
            if rel.contains(".mixtape-tmp-") || rel.contains(".mixtape-staging") {
                p.push(format!("leftover export/{rel} after a finished export"));
            }
        }
        b.recover_and_check(p);
    };
    let v = Variant {
        label: "export --profile car",
        setup: &|b: &Bench| b.reset(true),
        args: export.clone(),
    };
    kill_runs(&b, "export --profile car", &[v], &check);
}
