//! CUE images: one FLAC made of several music-like segments plus a `.cue`,
//! and the same segments as separate files. The image's tracks are tracks
//! (titles and lengths to the sample, their own `pcm_hash` equal to the
//! separate file's), dupes pairs them, export cuts exactly their samples,
//! organize moves the image with its sheet and undo brings both back, and
//! what would cut the image apart (quarantine, modify) leaves it alone.
//! Messy sheets get a best reading with a warning or a clear reason.

use std::path::{Path, PathBuf};

use mixtape::export::encode::{self, Pcm};

use crate::support::{set_tags, tree, Fixture, Kind, TestEnv};

/// Segment lengths: whole CD frames (1/75 s), as a CD rip's tracks are, so
/// a sheet can place them to the sample. 30 s, 25.04 s, 20 s.
const SEGMENTS: [(u64, f64); 3] = [(11, 30.0), (12, 25.04), (13, 20.0)];

/// The segments' samples (16-bit stereo 44.1 kHz, interleaved).
fn segment(seed: u64, secs: f64) -> Vec<i32> {
    Fixture::new(seed, secs).samples()
}

fn flac_of(samples: &[i32]) -> Vec<u8> {
    encode::encode_flac(Pcm {
        samples,
        channels: 2,
        samplerate: 44100,
        bits: 16,
    })
    .unwrap()
}

/// `mm:ss:ff` of a sample offset (a whole number of CD frames).
fn msf(samples: usize) -> String {
    let frames = samples / 588;
    format!(
        "{:02}:{:02}:{:02}",
        frames / 75 / 60,
        frames / 75 % 60,
        frames % 75
    )
}

/// The sheet for the segments: FILE names `file`, `extra` goes after the
/// header (REM lines and such).
fn sheet(file: &str, extra: &str) -> String {
    let mut s = format!(
        "REM GENRE Jazz\nREM DATE 1999\nPERFORMER \"The Band\"\nTITLE \"Live Album\"\n{extra}FILE \"{file}\" WAVE\n"
    );
    let mut at = 0usize;
    for (i, (seed, secs)) in SEGMENTS.iter().enumerate() {
        let n = segment(*seed, *secs).len() / 2;
        s += &format!(
            "  TRACK {:02} AUDIO\n    TITLE \"Song {}\"\n    ISRC USABC99000{:02}\n    INDEX 01 {}\n",
            i + 1,
            i + 1,
            i + 1,
            msf(at)
        );
        at += n;
    }
    s
}

/// `music/Album.flac` (the segments concatenated) with `sheet` as
/// `music/Album.cue`, and the segments as `music/sep/N.flac`.
fn image_env(cue: &str) -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("music/sep")).unwrap();
    let mut all = Vec::new();
    for (i, (seed, secs)) in SEGMENTS.iter().enumerate() {
        let s = segment(*seed, *secs);
        std::fs::write(env.path(&format!("music/sep/{}.flac", i + 1)), flac_of(&s)).unwrap();
        all.extend(s);
    }
    std::fs::write(env.path("music/Album.flac"), flac_of(&all)).unwrap();
    std::fs::write(env.path("music/Album.cue"), cue).unwrap();
    env
}

fn ls(env: &TestEnv, query: &str, format: &str) -> String {
    env.run(["ls", query, "--sort", "path+ track+", "-f", format])
        .ok()
        .stdout
}

#[test]
fn the_tracks_of_an_image_are_tracks_to_the_sample() {
    let env = image_env(&sheet("Album.wav", ""));
    let scan = env.run(["scan", "music"]).ok();
    assert!(
        scan.stdout.contains("new 4,") && scan.stdout.contains("CUE images 1, tracks in them 3"),
        "{}",
        scan.stdout
    );
    assert_eq!(scan.stderr, "");
    // The image file itself is not a track; its three tracks are.
    let listed = ls(
        &env,
        "path:music/Album.flac",
        "$track/$tracktotal $artist - $album - $title $isrc $genre $year $start_sample..$end_sample",
    );
    assert_eq!(
        listed,
        "1/3 The Band - Live Album - Song 1 USABC9900001 Jazz 1999 0..1323000\n\
         2/3 The Band - Live Album - Song 2 USABC9900002 Jazz 1999 1323000..2427264\n\
         3/3 The Band - Live Album - Song 3 USABC9900003 Jazz 1999 2427264..3309264\n"
    );
    // Each image track decodes to exactly its separate file's samples.
    let image = ls(&env, "path:music/Album.flac", "$pcm_hash");
    let separate = ls(&env, "path:music/sep", "$pcm_hash");
    assert_eq!(image, separate);
    assert_eq!(image.lines().filter(|l| l.len() == 64).count(), 3);
    // And each has its own fingerprint, matching the separate file's.
    let dupes = env.run(["dupes", "--json"]).ok();
    let groups: Vec<serde_json::Value> = dupes.json_lines();
    assert_eq!(groups.len(), 3, "{}", dupes.stdout);
    for g in &groups {
        let kinds: Vec<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 2, "{g}");
        assert!(
            kinds.contains(&"same-audio") || kinds.contains(&"same-recording"),
            "{g}"
        );
    }
}

#[test]
fn a_rescan_keeps_the_ids_and_a_changed_sheet_is_read_again() {
    let env = image_env(&sheet("Album.flac", ""));
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    let ids = ls(&env, "path:music/Album.flac", "$id $title");
    let again = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(again.stdout.contains("unchanged 4,"), "{}", again.stdout);
    assert_eq!(ls(&env, "path:music/Album.flac", "$id $title"), ids);
    // A retitled track: the sheet changed, so the image is read again; the
    // track keeps its id.
    let cue = sheet("Album.flac", "").replace("Song 2", "Second Song");
    std::fs::write(env.path("music/Album.cue"), cue).unwrap();
    let t = filetime_later(&env.path("music/Album.cue"));
    assert!(t);
    let changed = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(changed.stdout.contains("changed 1,"), "{}", changed.stdout);
    let now = ls(&env, "path:music/Album.flac", "$id $title");
    let want = ids.replace("Song 2", "Second Song");
    assert_eq!(now, want);
}

/// Push a file's mtime a few seconds on (a rewrite within the same second
/// may keep it).
fn filetime_later(p: &Path) -> bool {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    f.set_modified(later).is_ok()
}

#[test]
fn export_cuts_exactly_the_tracks_samples() {
    let env = image_env(&sheet("Album.flac", ""));
    env.run(["scan", "music"]).ok();
    env.run([
        "export",
        "path:music/Album.flac",
        "--to",
        "out",
        "--format",
        "flac",
    ])
    .ok();
    // Read back by a second library: the exported tracks' samples are the
    // separate files'.
    let other = env.path("other.db");
    let scan = env.cmd_on(&other).args(["scan", "out"]).output().unwrap();
    assert!(scan.status.success(), "{scan:?}");
    let hashes = |lib: &PathBuf, q: &str| {
        let out = env
            .cmd_on(lib)
            .args(["ls", q, "--sort", "path+", "-f", "$pcm_hash $length"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let exported = hashes(&other, "path:out");
    let separate = hashes(&env.path("library.db"), "path:music/sep");
    assert_eq!(exported.lines().count(), 3, "{exported}");
    assert!(exported.lines().all(|l| l.len() > 64), "{exported}");
    assert_eq!(exported, separate);
}

#[test]
fn organize_moves_the_image_with_its_sheet_and_undo_brings_them_back() {
    let env = image_env(&sheet("Album.flac", ""));
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    let before = tree(&env.path("music"));
    let ids = ls(&env, "", "$id $title");
    env.run(["organize", "--into", "music", "--move"]).ok();
    let after = tree(&env.path("music"));
    let names: Vec<&String> = after
        .iter()
        .filter(|(_, v)| *v != "dir")
        .map(|(k, _)| k)
        .collect();
    // The image is named after its album, and its sheet follows it with
    // the FILE line rewritten (every other byte kept).
    assert_eq!(
        names,
        [
            "The Band/Live Album/Live Album.cue",
            "The Band/Live Album/Live Album.flac"
        ],
        "{after:?}"
    );
    assert_eq!(
        after["The Band/Live Album/Live Album.flac"],
        before["Album.flac"]
    );
    let cue =
        std::fs::read_to_string(env.path("music/The Band/Live Album/Live Album.cue")).unwrap();
    assert_eq!(
        cue,
        sheet("Album.flac", "").replace("FILE \"Album.flac\"", "FILE \"Live Album.flac\"")
    );
    // The tracks followed their image, and a rescan finds them there.
    assert_eq!(ls(&env, "", "$id $title"), ids);
    let image = env.path("music/The Band/Live Album/Live Album.flac");
    let image = image.canonicalize().unwrap();
    assert_eq!(
        ls(&env, "", "$path").lines().collect::<Vec<_>>(),
        vec![image.to_string_lossy(); 3]
    );
    let again = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(
        again.stdout.contains("CUE images 1, tracks in them 3"),
        "{}",
        again.stdout
    );
    assert_eq!(ls(&env, "", "$id $title"), ids);
    env.run(["undo"]).ok();
    assert_eq!(tree(&env.path("music")), before);
    let back = ls(&env, "", "$path");
    assert!(
        back.lines().all(|l| l.ends_with("music/Album.flac")),
        "{back}"
    );
}

#[test]
fn what_would_cut_an_image_apart_leaves_it_alone() {
    let env = image_env(&sheet("Album.flac", ""));
    // The separate files are better tagged, so they are the keepers and
    // the image's tracks the duplicates.
    for i in 1..=3 {
        let p = env.path(&format!("music/sep/{i}.flac"));
        let title = format!("Song {i}");
        let track = i.to_string();
        set_tags(
            &p,
            &[
                ("title", &title),
                ("artist", "The Band"),
                ("album", "Live Album"),
                ("albumartist", "The Band"),
                ("track", &track),
                ("tracktotal", "3"),
                ("year", "1999"),
                ("genre", "Jazz"),
                ("comments", "tagged"),
                ("label", "Label"),
            ],
        );
    }
    env.run(["scan", "music"]).ok();
    let before = tree(&env.path("music"));
    let run = env.run(["dupes", "--prefer", "music/sep", "--move-to", "q"]);
    assert!(
        run.stderr.contains(
            "a track of a CUE image: the image file holds its other tracks too, so it stays"
        ),
        "{run:?}"
    );
    assert_eq!(tree(&env.path("music")), before);
    // modify refuses to write one track's tags into the whole image.
    let m = env
        .run(["modify", "path:music/Album.flac", "title=X", "--yes"])
        .expect_code(2);
    assert!(
        m.stderr
            .contains("of a CUE image: its tags come from the sheet, edit the .cue instead"),
        "{m:?}"
    );
    assert_eq!(tree(&env.path("music")), before);
}

#[test]
fn messy_sheets_get_a_best_reading_or_a_clear_reason() {
    // Latin-1, CRLF, a FILE line naming the WAV the FLAC was made from, a
    // DATA track, and an unknown command.
    let cue = sheet("ALBUM.WAV", "CATALOG 0123456789012\nFOO bar\n")
        .replace("Live Album", "Caf\u{e9} Live")
        .replace(
            "  TRACK 03 AUDIO",
            "  TRACK 04 MODE1/2352\n    INDEX 01 00:55:00\n  TRACK 03 AUDIO",
        )
        .replace('\n', "\r\n");
    let latin1: Vec<u8> = cue.chars().map(|c| c as u32 as u8).collect();
    let env = image_env("");
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    std::fs::write(env.path("music/Album.cue"), latin1).unwrap();
    let run = env
        .run(["scan", "--no-fingerprint", "music"])
        .relative_to(&env);
    run.assert_stderr(
        "{root}/music/Album.cue: line 6: unknown command FOO, ignored\n\
         {root}/music/Album.cue: line 16: TRACK 04 is MODE1/2352 (data), left out\n",
    );
    assert_eq!(
        ls(&env, "", "$track $album $title"),
        "1 Caf\u{e9} Live Song 1\n2 Caf\u{e9} Live Song 2\n3 Caf\u{e9} Live Song 3\n"
    );
}

#[test]
fn a_sheet_that_cannot_be_trusted_says_why_and_the_file_stays_a_track() {
    let env = image_env("");
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    // Out of order: no split can be trusted.
    let unordered = sheet("Album.flac", "").replace("INDEX 01 00:30:00", "INDEX 01 01:00:00");
    std::fs::write(env.path("music/Album.cue"), unordered).unwrap();
    // A sheet for a file that is not there.
    std::fs::write(env.path("music/Other.cue"), sheet("Gone.flac", "")).unwrap();
    let run = env
        .run(["scan", "--no-fingerprint", "music"])
        .relative_to(&env);
    run.assert_stderr(
        "{root}/music/Album.cue: TRACK 03 starts at 00:55:03 but TRACK 02 before it starts at 01:00:00: indexes out of order\n\
         {root}/music/Other.cue: FILE \"Gone.flac\" is not beside the sheet; its 3 tracks are left out\n",
    );
    assert_eq!(
        ls(&env, "", "$path"),
        format!(
            "{}\n",
            env.path("music/Album.flac")
                .canonicalize()
                .unwrap()
                .display()
        )
    );
}

#[test]
fn an_index_past_the_end_leaves_that_track_out_with_a_warning() {
    let env = image_env("");
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    let cue =
        sheet("Album.flac", "") + "  TRACK 04 AUDIO\n    TITLE \"Ghost\"\n    INDEX 01 70:00:00\n";
    std::fs::write(env.path("music/Album.cue"), cue).unwrap();
    let run = env
        .run(["scan", "--no-fingerprint", "music"])
        .relative_to(&env);
    run.assert_stderr(
        "{root}/music/Album.cue: TRACK 04 starts at 70:00:00, past the end of the audio (01:15:03): left out\n",
    );
    assert_eq!(ls(&env, "", "$title"), "Song 1\nSong 2\nSong 3\n");
    let _ = Kind::Flac;
}

#[test]
fn a_cuesheet_tag_makes_a_flac_an_image() {
    use lofty::config::{ParseOptions, WriteOptions};
    use lofty::flac::FlacFile;
    use lofty::prelude::*;
    let env = image_env("");
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    std::fs::remove_file(env.path("music/Album.cue")).unwrap();
    let p = env.path("music/Album.flac");
    let mut f = std::fs::File::open(&p).unwrap();
    let mut flac = FlacFile::read_from(&mut f, ParseOptions::new()).unwrap();
    drop(f);
    let mut vc = flac.vorbis_comments().cloned().unwrap_or_default();
    vc.push("CUESHEET".into(), sheet("Album.flac", ""));
    flac.set_vorbis_comments(vc);
    flac.save_to_path(&p, WriteOptions::default()).unwrap();
    let scan = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(
        scan.stdout.contains("CUE images 1, tracks in them 3"),
        "{}",
        scan.stdout
    );
    assert_eq!(
        ls(&env, "", "$track $title"),
        "1 Song 1\n2 Song 2\n3 Song 3\n"
    );
    // Unchanged, it is not read again.
    let again = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(again.stdout.contains("unchanged 1,"), "{}", again.stdout);
}

#[test]
fn a_rerun_rewrites_nothing_and_a_changed_sheet_reexports_only_its_change() {
    let env = image_env(&sheet("Album.flac", ""));
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    let first = env
        .run(["export", "artist:band", "--to", "car", "--profile", "car"])
        .ok();
    assert!(
        first.stdout.contains("3 converted, 0 copied"),
        "{}",
        first.stdout
    );
    let again = env
        .run(["export", "artist:band", "--to", "car", "--profile", "car"])
        .ok();
    assert!(
        again.stdout.contains("0 converted, 0 copied"),
        "{}",
        again.stdout
    );
    let cue = sheet("Album.flac", "").replace("Song 2", "Second Song");
    std::fs::write(env.path("music/Album.cue"), cue).unwrap();
    assert!(filetime_later(&env.path("music/Album.cue")));
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    let changed = env
        .run(["export", "artist:band", "--to", "car", "--profile", "car"])
        .ok();
    assert!(
        changed.stdout.contains("1 converted, 0 copied"),
        "{}",
        changed.stdout
    );
    let names: Vec<String> = tree(&env.path("car"))
        .into_keys()
        .filter(|k| k.ends_with(".mp3"))
        .collect();
    assert_eq!(
        names,
        [
            "01/001 The Band - Song 1.mp3",
            "01/002 The Band - Second Song.mp3",
            "01/003 The Band - Song 3.mp3"
        ]
    );
}

#[test]
fn a_cd_of_an_image_is_the_image_sample_for_sample_with_its_pregap() {
    // Track 2 has a 2-second pregap (INDEX 00), which belongs to the end of
    // track 1 in the image, as on the CD.
    let cue = sheet("Album.flac", "").replace(
        "    INDEX 01 00:30:00\n",
        "    INDEX 00 00:28:00\n    INDEX 01 00:30:00\n",
    );
    let env = image_env(&cue);
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    env.run(["export", "artist:band", "--to", "cd", "--profile", "cd"])
        .ok();
    let mut disc: Vec<i32> = Vec::new();
    let wavs: Vec<String> = tree(&env.path("cd"))
        .into_keys()
        .filter(|k| k.ends_with(".wav"))
        .collect();
    assert_eq!(wavs.len(), 3, "{wavs:?}");
    for w in &wavs {
        let mut r = hound::WavReader::open(env.path(&format!("cd/{w}"))).unwrap();
        let s: Vec<i32> = r.samples::<i16>().map(|v| i32::from(v.unwrap())).collect();
        assert_eq!(s.len() % (588 * 2), 0, "{w} is not whole sectors");
        disc.extend(s);
    }
    let mut source: Vec<i32> = Vec::new();
    for (seed, secs) in SEGMENTS {
        source.extend(segment(seed, secs));
    }
    assert!(disc.len() >= source.len());
    assert!(
        disc[..source.len()] == source[..],
        "the disc is not the image"
    );
    assert!(disc[source.len()..].iter().all(|&v| v == 0));
    let cue_out = std::fs::read_to_string(env.path("cd/disc01.cue"))
        .or_else(|_| {
            let name = tree(&env.path("cd"))
                .into_keys()
                .find(|k| k.ends_with(".cue"))
                .unwrap();
            std::fs::read_to_string(env.path(&format!("cd/{name}")))
        })
        .unwrap();
    assert!(cue_out.contains("TITLE \"Live Album\""), "{cue_out}");
    assert!(cue_out.contains("ISRC USABC9900002"), "{cue_out}");
    assert!(cue_out.contains("INDEX 00 00:28:00"), "{cue_out}");
}

#[test]
fn a_truncated_image_damages_only_the_tracks_it_cuts_short() {
    let env = image_env(&sheet("Album.flac", ""));
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    // Cut the image at 60 % of its bytes: inside track 2 (30 s of 75 s is 40 %).
    let p = env.path("music/Album.flac");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() * 6 / 10]).unwrap();
    let scan = env.run(["scan", "--no-fingerprint", "music"]);
    assert_eq!(scan.code, 2, "{scan:?}");
    let listed = ls(&env, "", "$track $error_kind");
    assert_eq!(listed, "1 \n2 truncated\n3 truncated\n");
}

#[test]
fn ape_and_wavpack_images_are_cut_like_a_flac_one() {
    // One 4 s signal as FLAC, WavPack and APE (fixtures/formats, made by
    // make-lossless.sh), each an image of two 2-second tracks.
    let env = TestEnv::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
    for ext in ["flac", "wv", "ape"] {
        let dir = env.path(&format!("music/{ext}/x"));
        let dir = dir.parent().unwrap();
        std::fs::copy(
            fixtures.join(format!("music.{ext}")),
            dir.join(format!("music.{ext}")),
        )
        .unwrap();
        let cue = format!(
            "TITLE \"Four\"\nFILE \"music.{ext}\" WAVE\n  TRACK 01 AUDIO\n    TITLE \"A\"\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    TITLE \"B\"\n    INDEX 01 00:02:00\n"
        );
        std::fs::write(dir.join("music.cue"), cue).unwrap();
    }
    let scan = env.run(["scan", "music"]).ok();
    assert!(
        scan.stdout.contains("CUE images 3, tracks in them 6"),
        "{}",
        scan.stdout
    );
    let listed = env
        .run([
            "ls",
            "--sort",
            "title+ format+",
            "-f",
            "$title $format $length $pcm_hash",
        ])
        .ok()
        .stdout;
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(rows.len(), 6, "{listed}");
    let formats: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(
        formats,
        ["ape", "flac", "wavpack", "ape", "flac", "wavpack"],
        "{listed}"
    );
    for part in rows.chunks(3) {
        assert!(
            part.iter().all(|r| r[2] == "0:02" && r[3].len() == 64),
            "{listed}"
        );
        assert!(part.iter().all(|r| r[3] == part[0][3]), "{listed}");
    }
    assert_ne!(rows[0][3], rows[3][3]);
}

#[test]
fn the_usb_profile_cuts_image_tracks_out_as_flac() {
    let env = image_env(&sheet("Album.flac", ""));
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    let run = env
        .run(["export", "path:music", "--to", "usb", "--profile", "usb"])
        .ok();
    assert!(
        run.stdout.contains("3 converted, 3 copied"),
        "{}",
        run.stdout
    );
    let other = env.path("other.db");
    let out = env.cmd_on(&other).args(["scan", "usb"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // Six FLACs: the three separate ones copied, the three image tracks
    // cut out; each pair holds the same samples.
    let out = env
        .cmd_on(&other)
        .args(["ls", "--sort", "pcm_hash+", "-f", "$format $pcm_hash"])
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = listed.lines().collect();
    assert_eq!(rows.len(), 6, "{listed}");
    for pair in rows.chunks(2) {
        assert!(
            pair[0].starts_with("flac ") && pair[0].len() == 69,
            "{listed}"
        );
        assert_eq!(pair[0], pair[1], "{listed}");
    }
}

#[test]
fn an_image_its_sheet_names_by_another_name_keeps_its_name() {
    // The sheet names the WAV the FLAC was made from: renaming the FLAC
    // would leave the sheet pointing at nothing it can find.
    let env = image_env(&sheet("Album.wav", ""));
    std::fs::remove_dir_all(env.path("music/sep")).unwrap();
    env.run(["scan", "--no-fingerprint", "music"]).ok();
    env.run(["organize", "--into", "music", "--move"]).ok();
    let names: Vec<String> = tree(&env.path("music"))
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        names,
        [
            "The Band/Live Album/Album.cue",
            "The Band/Live Album/Album.flac"
        ]
    );
    let again = env.run(["scan", "--no-fingerprint", "music"]).ok();
    assert!(again.stdout.contains("unchanged 1,"), "{}", again.stdout);
    assert_eq!(ls(&env, "", "$title"), "Song 1\nSong 2\nSong 3\n");
}
