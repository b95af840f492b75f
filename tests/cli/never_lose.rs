//! Integration tests for issue 12 ("Never lose a file"), through the real
//! binary: a cross-filesystem quarantine crashed between publishing a copy
//! and removing its source, the state a power loss leaves there (the copy
//! only under its temporary name), a damaged leftover, and full disks for
//! `organize --copy` and `dupes --move-to`.
//!
//! Cross-filesystem cases mount a tmpfs, which needs root: they say why on
//! stderr and return when they cannot. The crash is injected with
//! `MIXTAPE_FAULT=after-publish[:N]`, which only debug builds of mixtape
//! read (see `mixtape::fsops::fault`). A full disk without root is a
//! file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so writes get EFBIG).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A tmpfs mounted on a temporary folder for one test; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str, size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("{test}: skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("{test}: skipped: mount -t tmpfs failed");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Does the binary under test read `MIXTAPE_FAULT` (a debug build)?
fn faults_available(test: &str) -> bool {
    if !cfg!(debug_assertions) {
        eprintln!("{test}: skipped: fault injection exists in debug builds only");
    }
    cfg!(debug_assertions)
}

fn scan(env: &TestEnv, dir: &Path) {
    env.run(["scan", "--no-fingerprint", dir.to_str().unwrap()])
        .ok();
}

/// Two groups of exact copies (a keeper and a duplicate each) under
/// `music/`, scanned. Returns the canonical music folder.
fn two_pairs(env: &TestEnv, secs: [f64; 2]) -> PathBuf {
    let a = env.wav("music/a/one.wav", 1, secs[0]);
    std::fs::copy(&a, env.path("music/b/one.wav")).unwrap();
    let c = env.wav("music/c/two.wav", 2, secs[1]);
    std::fs::copy(&c, env.path("music/d/two.wav")).unwrap();
    let music = env.path("music").canonicalize().unwrap();
    scan(env, &music);
    music
}

/// `dupes --move-to Q` with a crash injected after the `nth` publish.
fn crashing_quarantine(env: &TestEnv, q: &Path, nth: u32) {
    let r: Run = env
        .cmd()
        .args(["dupes", "--move-to", q.to_str().unwrap()])
        .env("MIXTAPE_FAULT", format!("after-publish:{nth}"))
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, -1, "killed by SIGABRT: {r:?}");
}

/// The one file that is both in `music` and in `q` (published, source
/// not yet removed), as a relative path.
fn in_both(music: &Path, q: &Path) -> String {
    let m = files(music);
    let both: Vec<String> = files(q).into_iter().filter(|f| m.contains(f)).collect();
    assert_eq!(both.len(), 1, "{both:?}");
    both[0].clone()
}

/// Issue 12: killed between publishing a cross-filesystem copy and removing
/// its source, with one move finished before: undo removes the published
/// copy (its hash matches the source's), moves the other file back, and
/// every file has its original BLAKE3.
#[test]
fn a_cross_fs_quarantine_killed_after_publish_is_undone_with_every_file_intact() {
    let test = "cross_fs_killed_after_publish";
    if !faults_available(test) {
        return;
    }
    let Some(fs2) = Tmpfs::mount(test, "64m") else {
        return;
    };
    let env = TestEnv::new();
    let music = two_pairs(&env, [0.3, 0.4]);
    let before = tree(&music);
    let q = fs2.path().join("quarantine");
    crashing_quarantine(&env, &q, 2);
    let crashed = in_both(&music, &q);
    let moved: Vec<String> = files(&q).into_iter().filter(|f| *f != crashed).collect();
    assert_eq!(moved.len(), 1, "the first move finished");
    assert!(!music.join(&moved[0]).exists());
    let undo = env.run(["undo"]).ok();
    assert_eq!(
        undo.stdout,
        format!(
            "removed copy {q}/{crashed}\nrestored {q}/{m} -> {music}/{m}\nUndid operation 1 (quarantine): 2 files restored.\n",
            q = q.display(),
            m = moved[0],
            music = music.display()
        )
    );
    assert_eq!(undo.stderr, "");
    assert_eq!(tree(&music), before, "every file back with its BLAKE3");
    assert!(files(&fs2.path()).is_empty(), "{:?}", tree(&fs2.path()));
}

/// Issue 12: the state a power loss leaves when the destination folder was
/// not synced: the copy only under its temporary name, the source's
/// removal on disk, the entry planned. Undo gives the temporary file the
/// source name back (it holds the journal's BLAKE3) instead of deleting
/// the only copy.
#[test]
fn after_a_power_loss_undo_publishes_the_only_copy_back_to_its_source() {
    let test = "power_loss_leftover_published";
    if !faults_available(test) {
        return;
    }
    let Some(fs2) = Tmpfs::mount(test, "64m") else {
        return;
    };
    let env = TestEnv::new();
    let music = two_pairs(&env, [0.3, 0.4]);
    let before = tree(&music);
    let q = fs2.path().join("quarantine");
    crashing_quarantine(&env, &q, 1);
    let rel = in_both(&music, &q);
    let published = q.join(&rel);
    let name = published.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::rename(
        &published,
        published.with_file_name(format!(".mixtape-tmp-1-0-{name}")),
    )
    .unwrap();
    std::fs::remove_file(music.join(&rel)).unwrap();
    let undo = env.run(["undo"]).ok();
    assert_eq!(
        undo.stdout,
        format!(
            "restored {q}/{rel} -> {music}/{rel}\nUndid operation 1 (quarantine): 1 file restored.\n",
            q = q.display(),
            music = music.display()
        )
    );
    assert_eq!(tree(&music), before, "every file back with its BLAKE3");
    assert!(files(&fs2.path()).is_empty(), "{:?}", tree(&fs2.path()));
}

/// Issue 12: a leftover whose BLAKE3 differs from the journal's is removed
/// while the source is intact (it is a damaged extra copy), and left alone
/// and reported (exit 2) when the source is gone.
#[test]
fn a_damaged_leftover_goes_only_while_the_source_is_intact() {
    let test = "damaged_leftover";
    if !faults_available(test) {
        return;
    }
    let Some(fs2) = Tmpfs::mount(test, "64m") else {
        return;
    };
    let env = TestEnv::new();
    let music = two_pairs(&env, [0.3, 0.4]);
    let before = tree(&music);
    let q = fs2.path().join("quarantine");
    let damage = |rel: &str| -> PathBuf {
        let published = q.join(rel);
        let name = published.file_name().unwrap().to_str().unwrap().to_string();
        let tmp = published.with_file_name(format!(".mixtape-tmp-1-0-{name}"));
        let mut bytes = std::fs::read(&published).unwrap();
        bytes[100] ^= 0xFF;
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::remove_file(&published).unwrap();
        tmp
    };
    // The source is intact: the damaged leftover is removed.
    crashing_quarantine(&env, &q, 1);
    let rel = in_both(&music, &q);
    damage(&rel);
    let undo = env.run(["undo"]).ok();
    assert_eq!(
        undo.stdout,
        "Undid operation 1 (quarantine): 0 files restored.\n"
    );
    assert_eq!(tree(&music), before);
    assert!(files(&fs2.path()).is_empty(), "{:?}", tree(&fs2.path()));
    // The source is gone: the leftover is all there is; it stays.
    crashing_quarantine(&env, &q, 1);
    let rel = in_both(&music, &q);
    let tmp = damage(&rel);
    std::fs::remove_file(music.join(&rel)).unwrap();
    let undo = env.run(["undo"]).expect_code(2);
    assert_eq!(
        undo.stderr,
        format!(
            "mixtape: {}: a leftover copy of {}, which is gone, does not match the journalled hash (damaged or partial); left alone\n",
            tmp.display(),
            music.join(&rel).display()
        )
    );
    assert!(tmp.is_file(), "the leftover was kept");
}

/// Run `cmd` with files limited to `limit` bytes (SIGXFSZ ignored, so a
/// write past it fails with EFBIG, as a full disk fails with ENOSPC).
fn with_file_size_limit(cmd: &mut Command, limit: u64) -> Run {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap().into()
}

/// Issue 12: `organize --copy` onto a full disk stops at the first file
/// with one message, exit 2, nothing partial under any name; a rerun with
/// room finishes, and undo rolls both runs back.
#[test]
fn organize_copy_onto_a_full_disk_stops_once_and_a_rerun_completes() {
    let env = TestEnv::new();
    for (i, (name, secs)) in [("a", 0.3), ("b", 0.3), ("c", 7.0), ("d", 0.3), ("e", 0.3)]
        .into_iter()
        .enumerate()
    {
        env.wav(&format!("music/{name}.wav"), i as u64 + 1, secs);
    }
    let music = env.path("music").canonicalize().unwrap();
    scan(&env, &music);
    let root = env.root().canonicalize().unwrap();
    let out = root.join("out");
    let args = [
        "organize",
        "--copy",
        "--into",
        out.to_str().unwrap(),
        "--template",
        "flat/$stem",
        "--singletons",
        "flat/$stem",
    ];
    let mut cmd = env.cmd();
    cmd.args(args);
    // c.wav (1.2 MB) is larger than any file may grow.
    let r = with_file_size_limit(&mut cmd, 1_000_000);
    assert_eq!(r.code, 2, "{r:?}");
    let flat = out.join("flat");
    assert_eq!(
        r.stdout,
        format!(
            "{m}/a.wav -> {f}/a.wav\n{m}/b.wav -> {f}/b.wav\n",
            m = music.display(),
            f = flat.display()
        )
    );
    assert_eq!(
        r.stderr,
        format!(
            "copied 2 files into {o}; undo with `mixtape undo` (operation 1)\n\
             mixtape: {f}/c.wav: no space left on device (2 of 5 done; run `mixtape undo` to roll back, or free space and rerun)\n",
            o = out.display(),
            f = flat.display()
        )
    );
    assert_eq!(files(&out), ["flat/a.wav", "flat/b.wav"], "nothing partial");
    // With room again the rerun finishes the job.
    env.run(args).ok();
    let sources = tree(&music);
    let copies: BTreeMap<String, String> = tree(&flat)
        .into_iter()
        .filter(|(k, _)| k.ends_with(".wav"))
        .collect();
    assert_eq!(copies, sources, "every copy has its source's BLAKE3");
    // Both runs are journalled and undoable.
    env.run(["undo"]).ok();
    env.run(["undo"]).ok();
    assert!(!out.exists(), "{:?}", tree(&out));
    assert_eq!(tree(&music), sources);
}

/// Issue 12: `dupes --move-to` a quarantine folder on a full filesystem
/// (moves there copy) stops at the first file with one message, exit 2;
/// after space is freed a rerun moves the rest; undo restores everything.
#[test]
fn dupes_move_to_a_full_quarantine_stops_once_and_a_rerun_completes() {
    let test = "dupes_full_quarantine";
    let Some(fs2) = Tmpfs::mount(test, "1m") else {
        return;
    };
    let env = TestEnv::new();
    // 350 kB and 880 kB duplicates: either fits in 1 MB, not both.
    let music = two_pairs(&env, [2.0, 5.0]);
    let before = tree(&music);
    let q = fs2.path().join("quarantine");
    let r = env.run(["dupes", "--move-to", q.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    let moved = files(&q);
    assert_eq!(moved.len(), 1, "{moved:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "said once: {}", r.stderr);
    let prefix = format!("mixtape: {}/", q.display());
    let suffix = ": no space left on device (1 of 2 done; run `mixtape undo` to roll back, or free space and rerun)";
    assert!(
        lines[0].starts_with(&prefix) && lines[0].ends_with(suffix),
        "{}",
        lines[0]
    );
    let failed = &lines[0][prefix.len()..lines[0].len() - suffix.len()];
    assert!(music.join(failed).is_file(), "{failed} stays where it was");
    assert!(
        r.stdout.ends_with(&format!(
            "Moved 1 file to {}. Undo with `mixtape undo` (operation 1).\n",
            q.display()
        )),
        "{}",
        r.stdout
    );
    assert!(
        tree(&fs2.path())
            .keys()
            .all(|k| !k.contains(".mixtape-tmp-")),
        "nothing partial"
    );
    fs2.resize("8m");
    let r = env.run(["dupes", "--move-to", q.to_str().unwrap()]).ok();
    assert!(
        r.stdout
            .contains(&format!("moved {}/{failed} -> ", music.display())),
        "{}",
        r.stdout
    );
    assert_eq!(files(&q).len(), 2);
    env.run(["undo"]).ok();
    env.run(["undo"]).ok();
    assert_eq!(tree(&music), before, "every file back with its BLAKE3");
    assert!(files(&fs2.path()).is_empty());
}
