//! Integration tests for album folders in `organize` (issue 14, items 3
//! and 5): the default template's compilation rule, `%aunique{}` and disc
//! prefixes, and sidecars (`cover.jpg`, `.cue`, `.log`, `.lrc`) that
//! follow their album, a `.cue` rewritten to the new names, and undo that
//! restores every byte.

use crate::support::*;

fn tagged(env: &TestEnv, rel: &str, seed: u64, tags: &[(&str, &str)]) {
    let p = env.flac(rel, seed, 0.5);
    set_tags(&p, tags);
}

/// A rip folder (two tracks and their sidecars), a folder holding two
/// albums with one cover, and a compilation.
fn collection(env: &TestEnv) {
    for (n, title) in [(1, "One"), (2, "Two")] {
        tagged(
            env,
            &format!("music/rip/{n:02}.flac"),
            n,
            &[
                ("artist", "Band"),
                ("album", "Live"),
                ("title", title),
                ("track", &n.to_string()),
            ],
        );
    }
    std::fs::write(env.path("music/rip/cover.jpg"), b"\xff\xd8 a cover").unwrap();
    std::fs::write(env.path("music/rip/rip.log"), "EAC log\r\n").unwrap();
    std::fs::write(env.path("music/rip/01.lrc"), "[00:00.00]la\n").unwrap();
    std::fs::write(env.path("music/rip/desktop.ini"), "[x]\n").unwrap();
    let cue = "REM COMMENT \"ExactAudioCopy\"\r\nPERFORMER \"Band\"\r\nTITLE \"Live\"\r\nFILE \"01.flac\" WAVE\r\n  TRACK 01 AUDIO\r\n    INDEX 01 00:00:00\r\nFILE \"02.flac\" WAVE\r\n  TRACK 02 AUDIO\r\n    INDEX 01 00:00:00\r\n";
    std::fs::write(env.path("music/rip/Live.cue"), cue).unwrap();
    for (n, album) in [(1, "A1"), (2, "A2")] {
        tagged(
            env,
            &format!("music/mixed/{n}.flac"),
            10 + n,
            &[("artist", "Solo"), ("album", album), ("title", "T")],
        );
    }
    std::fs::write(env.path("music/mixed/folder.jpg"), b"\xff\xd8 mixed").unwrap();
    for (n, artist) in [(1, "X"), (2, "Y")] {
        tagged(
            env,
            &format!("music/comp/{n}.flac"),
            20 + n,
            &[
                ("artist", artist),
                ("album", "Hits"),
                ("title", &format!("Hit {n}")),
                ("track", &n.to_string()),
            ],
        );
    }
    env.run(["scan", "--no-fingerprint", "music"]).ok();
}

#[test]
fn sidecars_follow_their_album_and_undo_restores_every_byte() {
    let env = TestEnv::new();
    collection(&env);
    let music = env.path("music").canonicalize().unwrap();
    let before = tree(&music);
    let out = env.root().canonicalize().unwrap().join("out");
    let (m, o) = (music.display(), out.display());

    let dry = env
        .run(["organize", "--into", "out", "--move", "--dry-run"])
        .ok();
    let mut lines: Vec<&str> = dry.stdout.lines().collect();
    lines.sort();
    let mut want = vec![
        format!("{m}/comp/1.flac -> {o}/Compilations/Hits/01 Hit 1.flac"),
        format!("{m}/comp/2.flac -> {o}/Compilations/Hits/02 Hit 2.flac"),
        format!("{m}/mixed/1.flac -> {o}/Solo/A1/T.flac"),
        format!("{m}/mixed/2.flac -> {o}/Solo/A2/T.flac"),
        format!("{m}/rip/01.flac -> {o}/Band/Live/01 One.flac"),
        format!("{m}/rip/01.lrc -> {o}/Band/Live/01 One.lrc"),
        format!("{m}/rip/02.flac -> {o}/Band/Live/02 Two.flac"),
        format!("{m}/rip/Live.cue -> {o}/Band/Live/Live.cue"),
        format!("{m}/rip/cover.jpg -> {o}/Band/Live/cover.jpg"),
        format!("{m}/rip/rip.log -> {o}/Band/Live/rip.log"),
    ];
    want.sort();
    assert_eq!(lines, want);
    dry.assert_stderr(&format!(
        "{m}/mixed: 1 sidecar file stays: holds tracks of several albums (2 destination folders)\n\
         dry run: would move 6 of 6 tracks and 4 sidecar files into {o}; nothing changed\n"
    ));
    assert_eq!(tree(&music), before, "a dry run changes nothing");

    let run = env.run(["organize", "--into", "out", "--move"]).ok();
    assert!(
        run.stdout.contains(&format!(
            "{m}/rip/Live.cue -> {o}/Band/Live/Live.cue (2 FILE lines rewritten)\n"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.ends_with(&format!(
            "moved 6 files into {o}, with 4 sidecar files; undo with `mixtape undo` (operation 1)\n"
        )),
        "{}",
        run.stderr
    );
    let live = out.join("Band/Live");
    assert_eq!(
        std::fs::read_to_string(live.join("Live.cue")).unwrap(),
        "REM COMMENT \"ExactAudioCopy\"\r\nPERFORMER \"Band\"\r\nTITLE \"Live\"\r\nFILE \"01 One.flac\" WAVE\r\n  TRACK 01 AUDIO\r\n    INDEX 01 00:00:00\r\nFILE \"02 Two.flac\" WAVE\r\n  TRACK 02 AUDIO\r\n    INDEX 01 00:00:00\r\n"
    );
    assert_eq!(
        std::fs::read(live.join("cover.jpg")).unwrap(),
        b"\xff\xd8 a cover"
    );
    assert_eq!(
        std::fs::read_to_string(live.join("rip.log")).unwrap(),
        "EAC log\r\n"
    );
    assert!(live.join("01 One.lrc").is_file());
    // What is not a sidecar stays, so the folder does too; the folder of
    // two albums keeps its cover.
    assert!(music.join("rip/desktop.ini").is_file());
    assert!(!music.join("rip/cover.jpg").exists());
    assert!(music.join("mixed/folder.jpg").is_file());
    assert!(!music.join("comp").exists(), "an emptied folder is removed");

    env.run(["undo"]).ok();
    assert_eq!(tree(&music), before, "every file is back, byte for byte");
    assert!(!out.join("Band").exists());
}

/// A folder whose tracks are not all organised keeps its sidecars, and a
/// copy copies them (the sources stay as they were).
#[test]
fn sidecars_stay_when_tracks_stay_and_are_copied_with_a_copy() {
    let env = TestEnv::new();
    collection(&env);
    let music = env.path("music").canonicalize().unwrap();
    let before = tree(&music);
    let out = env.root().canonicalize().unwrap().join("out");
    let r = env
        .run([
            "organize",
            "--into",
            "out",
            "--move",
            "--dry-run",
            "title:one",
        ])
        .ok();
    assert!(
        r.stderr.starts_with(&format!(
            "{}/rip: 4 sidecar files stay: 1 of its 2 tracks are not organised\n",
            music.display()
        )),
        "{}",
        r.stderr
    );
    env.run(["organize", "--into", "out", "--copy", "album:live"])
        .ok();
    assert_eq!(tree(&music), before, "--copy leaves the sources alone");
    let cue = std::fs::read_to_string(out.join("Band/Live/Live.cue")).unwrap();
    assert!(cue.contains("FILE \"01 One.flac\" WAVE\r\n"), "{cue}");
    assert!(out.join("Band/Live/cover.jpg").is_file());
    env.run(["undo"]).ok();
    assert!(!out.join("Band").exists(), "undo removes the copies");
}
