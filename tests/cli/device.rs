//! Issue 16: a device is a set of playlists. Several playlists go onto one
//! destination, a file they share is written once, each gets its own
//! playlist files, a later export with no selection re-syncs them all,
//! `--add` / `--drop` change the set, and `--max-size` leaves off what does
//! not fit by the stated rule.

use std::path::Path;

use crate::export::{files_under, wav_track};
use crate::support::*;

/// The entries of a playlist file that are not comments, as text: read
/// here, not by mixtape's playlist reader.
fn m3u_entries(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    // An .m3u is Latin-1: each byte is the code point of its character.
    let text: String = if path.extension().is_some_and(|e| e == "m3u") {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8(bytes).unwrap()
    };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(String::from)
        .collect()
}

/// Every playlist file at the top of `dest` names only files that exist.
fn assert_playlists_resolve(dest: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dest).unwrap() {
        let p = e.unwrap().path();
        let ext = p.extension().map(|e| e.to_string_lossy().into_owned());
        if !matches!(ext.as_deref(), Some("m3u8") | Some("m3u")) {
            continue;
        }
        for entry in m3u_entries(&p) {
            assert!(
                dest.join(&entry).is_file(),
                "{}: {entry:?} does not resolve",
                p.display()
            );
            n += 1;
        }
    }
    n
}

/// The manifest's playlists per file.
fn holders(dest: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(dest.join(".mixtape-export.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let pls = e["playlists"]
                .as_array()
                .map(|a| a.iter().map(|p| p.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (e["path"].as_str().unwrap().to_string(), pls)
        })
        .collect()
}

fn append(env: &TestEnv, playlist: &str, id: i64) {
    db(env)
        .execute(
            "INSERT INTO playlist_entries (playlist_id, position, track_id) \
             SELECT id, (SELECT COUNT(*) FROM playlist_entries e WHERE e.playlist_id = p.id), ?2 \
             FROM playlists p WHERE name = ?1",
            rusqlite::params![playlist, id],
        )
        .unwrap();
}

/// Five one-second WAVs: "Road trip" = 1, 2, 3; "Gym" = 2, 4; and the
/// query `genre:jazz` = 3, 5.
fn library(env: &TestEnv) -> Vec<i64> {
    let ids: Vec<i64> = (1..=5)
        .map(|i| wav_track(env, &format!("src/{i}.wav"), i, 1.0, "A", &format!("T{i}")))
        .collect();
    add_playlist(env, "Road trip", &[ids[0], ids[1], ids[2]]);
    add_playlist(env, "Gym", &[ids[1], ids[3]]);
    db(env)
        .execute(
            "UPDATE tracks SET genre = 'Jazz', genres = 'Jazz' WHERE id IN (?1, ?2)",
            [ids[2], ids[4]],
        )
        .unwrap();
    ids
}

#[test]
fn three_playlists_share_one_stick_and_resync_add_and_drop() {
    let env = TestEnv::new();
    let ids = library(&env);
    let stick = env.root().join("stick");
    let to = stick.to_str().unwrap();
    env.run(["export", "Road trip", "Gym", "genre:jazz", "--to", to])
        .ok()
        .relative_to(&env)
        .assert_stdout(
            "Copied:\n  \
             A - T1.wav  <- {root}/src/1.wav\n  \
             A - T2.wav  <- {root}/src/2.wav\n  \
             A - T3.wav  <- {root}/src/3.wav\n  \
             A - T4.wav  <- {root}/src/4.wav\n  \
             A - T5.wav  <- {root}/src/5.wav\n\
             0 converted, 5 copied, 0 skipped, 0 failed, 0 removed (882.2 KB written) -> {root}/stick\n",
        );
    // Each shared file once; each playlist its own M3U8, relative to it.
    assert_eq!(
        files_under(&stick),
        vec![
            ".mixtape-export.json",
            "A - T1.wav",
            "A - T2.wav",
            "A - T3.wav",
            "A - T4.wav",
            "A - T5.wav",
            "Gym.m3u8",
            "Road trip.m3u8",
            "genre_jazz.m3u8",
        ]
    );
    assert_eq!(
        m3u_entries(&stick.join("Gym.m3u8")),
        vec!["A - T2.wav", "A - T4.wav"]
    );
    assert_eq!(
        m3u_entries(&stick.join("genre_jazz.m3u8")),
        vec!["A - T3.wav", "A - T5.wav"]
    );
    assert_eq!(assert_playlists_resolve(&stick), 7);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        holders(&stick),
        vec![
            ("A - T1.wav".into(), s(&["Road trip"])),
            ("A - T2.wav".into(), s(&["Road trip", "Gym"])),
            ("A - T3.wav".into(), s(&["Road trip", "genre:jazz"])),
            ("A - T4.wav".into(), s(&["Gym"])),
            ("A - T5.wav".into(), s(&["genre:jazz"])),
        ]
    );

    // No selection: every playlist the stick holds, nothing to do.
    let resync =
        "0 converted, 0 copied, 5 skipped, 0 failed, 0 removed (0 B written) -> {root}/stick\n";
    env.run(["export", "--to", to])
        .ok()
        .relative_to(&env)
        .assert_stdout(&format!("Skipped (already up to date): 5\n{resync}"));
    // A track added to a playlist in the library is added on the stick.
    let six = wav_track(&env, "src/6.wav", 6, 1.0, "A", "T6");
    append(&env, "Gym", six);
    env.run(["export", "--to", to])
        .ok()
        .relative_to(&env)
        .assert_stdout(
            "Copied:\n  A - T6.wav  <- {root}/src/6.wav\n\
             Skipped (already up to date): 5\n\
             0 converted, 1 copied, 5 skipped, 0 failed, 0 removed (176.4 KB written) -> {root}/stick\n",
        );
    assert_eq!(
        m3u_entries(&stick.join("Gym.m3u8")),
        vec!["A - T2.wav", "A - T4.wav", "A - T6.wav"]
    );

    // Naming another set alone is refused: it would remove the others.
    env.run(["export", "Gym", "--to", to])
        .expect_code(1)
        .relative_to(&env)
        .assert_stderr(
            "mixtape: {root}/stick: holds mixtape's export of \"Road trip\", \"Gym\", \"genre:jazz\", not \"Gym\"; add --add to put \"Gym\" beside them, --drop NAME to take one off, or --replace to replace them (their files would be removed)\n",
        );

    // Dropping Gym removes only the files no other playlist holds.
    std::fs::write(stick.join("mine.txt"), "the user's").unwrap();
    env.run(["export", "--to", to, "--drop", "Gym"])
        .ok()
        .relative_to(&env)
        .assert_stdout(
            "Skipped (already up to date): 4\n\
             Removed (no longer in the selection):\n  A - T4.wav\n  A - T6.wav\n  Gym.m3u8\n\
             0 converted, 0 copied, 4 skipped, 0 failed, 3 removed (0 B written) -> {root}/stick\n",
        );
    assert_eq!(
        files_under(&stick),
        vec![
            ".mixtape-export.json",
            "A - T1.wav",
            "A - T2.wav",
            "A - T3.wav",
            "A - T5.wav",
            "Road trip.m3u8",
            "genre_jazz.m3u8",
            "mine.txt",
        ]
    );
    assert_eq!(holders(&stick)[1].1, s(&["Road trip"]));
    env.run(["export", "--to", to, "--drop", "Gym"])
        .expect_code(1)
        .assert_stderr(
            "mixtape: --drop \"Gym\": not on this device (it holds \"Road trip\", \"genre:jazz\")\n",
        );
    // --add puts it back beside the others.
    env.run(["export", "Gym", "--to", to, "--add"]).ok();
    assert_eq!(m3u_entries(&stick.join("Gym.m3u8")).len(), 3);
    assert_eq!(assert_playlists_resolve(&stick), 8);
    assert_eq!(ids.len(), 5);
}

#[test]
fn a_car_stick_gets_a_numbered_folder_per_playlist_and_latin1_m3u_files() {
    let env = TestEnv::new();
    library(&env);
    let car = env.root().join("car");
    let to = car.to_str().unwrap();
    env.run(["export", "Road trip", "Gym", "--to", to, "--profile", "car"])
        .ok();
    assert_eq!(
        files_under(&car),
        vec![
            ".mixtape-export.json",
            "01 Road trip/001 A - T1.mp3",
            "01 Road trip/002 A - T2.mp3",
            "01 Road trip/003 A - T3.mp3",
            "02 Gym/001 A - T4.mp3",
            "Gym.m3u",
            "Gym.m3u8",
            "Road trip.m3u",
            "Road trip.m3u8",
        ]
    );
    assert_eq!(
        m3u_entries(&car.join("Gym.m3u")),
        vec!["01 Road trip/002 A - T2.mp3", "02 Gym/001 A - T4.mp3"]
    );
    assert_eq!(assert_playlists_resolve(&car), 10);
    // The re-sync keeps the profile the stick was made with.
    env.run(["export", "--to", to])
        .ok()
        .relative_to(&env)
        .assert_stdout(
            "Skipped (already up to date): 4\n\
             0 converted, 0 copied, 4 skipped, 0 failed, 0 removed (0 B written) -> {root}/car\n",
        );
    // Another profile over it is refused without --replace.
    env.run(["export", "--to", to, "--profile", "usb"])
        .expect_code(1)
        .relative_to(&env)
        .assert_stderr(
            "mixtape: {root}/car: holds mixtape's export made with the car profile, not usb; export into another folder, or add --replace to remake it for usb (its files would be removed)\n",
        );
}

#[test]
fn a_size_limit_leaves_off_what_does_not_fit_in_playlist_then_track_order() {
    let env = TestEnv::new();
    let ids: Vec<i64> = [(1, 2.0), (2, 1.0), (3, 3.0), (4, 1.0), (5, 1.0)]
        .iter()
        .map(|&(i, secs)| {
            wav_track(
                &env,
                &format!("src/{i}.wav"),
                i,
                secs,
                "A",
                &format!("T{i}"),
            )
        })
        .collect();
    add_playlist(&env, "One", &[ids[0], ids[1], ids[2]]);
    add_playlist(&env, "Two", &[ids[1], ids[3], ids[4]]);
    let size = |i: usize| {
        std::fs::metadata(env.root().join(format!("src/{i}.wav")))
            .unwrap()
            .len()
    };
    // Room for 1, 2 and 4 (2 again is free), not for 3, nor then 5.
    let room = 1_000_000 + size(1) + size(2) + size(4) + 1000;
    let max = room.to_string();
    let stick = env.root().join("stick");
    let to = stick.to_str().unwrap();
    let needs = size(1) + size(2) + size(4);
    let hb = mixtape::export::report::human_bytes;
    let plan = env
        .run([
            "export",
            "One",
            "Two",
            "--to",
            to,
            "--max-size",
            &max,
            "--dry-run",
        ])
        .expect_code(2)
        .relative_to(&env);
    let tail: Vec<&str> = plan.stdout.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        vec![
            "(dry run: nothing was written)",
            &format!("Total: 3 files, ~{}, 0:04", hb(needs)) as &str,
            &format!(
                "Space: needs {} of {} (--max-size); 2 track(s) left off, taken in playlist order, then track order",
                hb(needs),
                hb(room)
            ),
        ]
    );
    assert!(
        plan.stdout.contains(&format!(
            "  left off  {{root}}/src/3.wav  (~{}; no room)\n  left off  {{root}}/src/5.wav",
            hb(size(3))
        )),
        "{}",
        plan.stdout
    );
    assert!(!stick.exists(), "a dry run wrote");
    let run = env
        .run(["export", "One", "Two", "--to", to, "--max-size", &max])
        .expect_code(2)
        .relative_to(&env);
    assert!(
        run.stdout.contains(&format!(
            "Left off (no room):\n  {{root}}/src/3.wav  (~{}, in One)\n  {{root}}/src/5.wav  (~{}, in Two)\n",
            hb(size(3)),
            hb(size(5))
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        files_under(&stick),
        vec![
            ".mixtape-export.json",
            "A - T1.wav",
            "A - T2.wav",
            "A - T4.wav",
            "One.m3u8",
            "Two.m3u8"
        ]
    );
    let total: u64 = ["A - T1.wav", "A - T2.wav", "A - T4.wav"]
        .iter()
        .map(|n| std::fs::metadata(stick.join(n)).unwrap().len())
        .sum();
    assert!(total + 1_000_000 <= room);
    // A bad size is a usage error.
    env.run(["export", "One", "--to", to, "--max-size", "lots"])
        .expect_code(1)
        .assert_stderr("mixtape: --max-size lots: expected a size (e.g. 16G, 700M, 4.7GB)\n");
}
