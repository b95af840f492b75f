//! APE and WavPack, which symphonia cannot read, decoded by mixtape's own
//! decoders (issue 15, item 2): a scan gives them a fingerprint and a
//! `pcm_hash` equal to a FLAC's of the same audio, and `mixtape check`
//! flags a damaged or truncated copy as `path: reason`.
//!
//! The files are `fixtures/formats/music.{wv,ape,flac}` (one 4 s signal,
//! made by `fixtures/formats/make-lossless.sh`) and, when the shared corpus
//! is beside the checkout, its real-world APE and WavPack files.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{all_tracks, TestEnv};

/// A writable copy of `fixtures/formats/NAME` at `music/AS` in `env`.
fn copy_fixture(env: &TestEnv, name: &str, to: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/formats")
        .join(name);
    let dst = env.path(&format!("music/{to}"));
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::fs::write(&dst, std::fs::read(src).unwrap()).unwrap();
    dst
}

fn canon(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

#[test]
fn ape_and_wavpack_get_a_fingerprint_and_the_flac_pcm_hash() {
    let env = TestEnv::new();
    for f in ["music.wv", "music.ape", "music.flac"] {
        copy_fixture(&env, f, f);
    }
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();
    let tracks = all_tracks(&env.library, "path+");
    let names: Vec<_> = tracks
        .iter()
        .map(|t| t.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["music.ape", "music.flac", "music.wv"]);
    for t in &tracks {
        assert_eq!(t.error, None, "{}", t.path.display());
        assert!(
            t.fingerprint.as_ref().is_some_and(|f| !f.is_empty()),
            "{}: {:?}",
            t.path.display(),
            t.fingerprint_error
        );
        assert!(t.pcm_hash.is_some(), "{}", t.path.display());
    }
    assert_eq!(tracks[0].pcm_hash, tracks[1].pcm_hash);
    assert_eq!(tracks[2].pcm_hash, tracks[1].pcm_hash);
    assert_eq!(tracks[0].fingerprint, tracks[1].fingerprint);
    assert_eq!(tracks[2].fingerprint, tracks[1].fingerprint);
    let formats: Vec<_> = tracks
        .iter()
        .map(|t| {
            let p = &t.props;
            (
                p.format.clone().unwrap_or_default(),
                p.samplerate,
                p.channels,
                p.bitdepth,
            )
        })
        .collect();
    assert_eq!(
        formats,
        [
            ("ape".to_string(), Some(22050), Some(1), Some(16)),
            ("flac".to_string(), Some(22050), Some(1), Some(16)),
            ("wavpack".to_string(), Some(22050), Some(1), Some(16)),
        ]
    );
    // The same audio three times: one group of duplicates.
    let r = env.run(["dupes", "--json"]).ok();
    let groups = r.json_lines();
    assert_eq!(groups.len(), 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("music.ape") && r.stdout.contains("music.wv"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_flags_damaged_and_truncated_ape_and_wavpack() {
    let env = TestEnv::new();
    copy_fixture(&env, "music.wv", "clean.wv");
    copy_fixture(&env, "music.ape", "clean.ape");
    let cut_wv = copy_fixture(&env, "music.wv", "cut.wv");
    let cut_ape = copy_fixture(&env, "music.ape", "cut.ape");
    let bad_wv = copy_fixture(&env, "music.wv", "bad.wv");
    let bad_ape = copy_fixture(&env, "music.ape", "bad.ape");
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();
    // Damage them after the scan, as a disk would.
    for p in [&cut_wv, &cut_ape] {
        let b = std::fs::read(p).unwrap();
        std::fs::write(p, &b[..b.len() / 2]).unwrap();
    }
    for p in [&bad_wv, &bad_ape] {
        let mut b = std::fs::read(p).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x21;
        std::fs::write(p, b).unwrap();
    }
    let r = env.run(["check"]).expect_code(2);
    let mut lines = r.lines();
    lines.sort();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    // A damaged frame is silence in its place, not a cut file.
    assert_eq!(
        lines[0],
        format!(
            "{}: bad frame at 0.0 s: decoding error: range coder: overflow range_total out of bounds",
            canon(&bad_ape)
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "{}: bad block at 1.3 s: oxideav-wavpack: stream truncated",
            canon(&bad_wv)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{}: truncated (decoded 0.0 of 4.0 s); stream error: unexpected end of file",
            canon(&cut_ape)
        )
    );
    assert_eq!(
        lines[3],
        format!(
            "{}: truncated (decoded 1.3 of 4.0 s); stream error: unexpected end of file",
            canon(&cut_wv)
        )
    );
    assert_eq!(r.stderr, "checked 6 tracks: 4 damaged\n");
}

/// The shared corpus of real-world files, when it is beside the checkout.
fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/mediafile");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: no corpus at {}", dir.display());
        None
    }
}

#[test]
fn the_corpus_ape_and_wavpack_files_decode_and_an_old_ape_is_not_checked() {
    let Some(dir) = corpus() else {
        return;
    };
    let env = TestEnv::new();
    let music = env.path("music");
    std::fs::create_dir_all(&music).unwrap();
    for f in [
        "full.ape",
        "full.wv",
        "empty.ape",
        "empty.wv",
        "image.ape",
        "oldape.ape",
    ] {
        let dst = music.join(f);
        std::fs::copy(dir.join(f), &dst).unwrap();
        // The corpus is read-only; the copies are the user's files.
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    env.run(["scan", "--quiet", music.to_str().unwrap()]).ok();
    let tracks = all_tracks(&env.library, "path+");
    assert_eq!(tracks.len(), 6);
    let pcm = |name: &str| {
        tracks
            .iter()
            .find(|t| t.path.ends_with(name))
            .unwrap()
            .pcm_hash
    };
    // The same second of audio in both formats.
    assert!(pcm("full.ape").is_some());
    assert_eq!(pcm("full.ape"), pcm("full.wv"));
    assert_eq!(pcm("oldape.ape"), None);
    let r = env.run(["check"]).ok();
    assert_eq!(
        r.stdout,
        format!(
            "{}: not checked (APE version 3.92; only 3.95 and later decode)\n",
            canon(&music.join("oldape.ape"))
        )
    );
}
