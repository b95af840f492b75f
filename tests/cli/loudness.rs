//! `mixtape loudness` and the ReplayGain tags of exports: exact values on
//! sines of known level (EBU Tech 3341: a 997 Hz sine at full scale in both
//! channels is -3.01 LUFS), album gating, incremental runs and rescans,
//! unreadable files, `--normalize album`, and the tags read back with lofty.

use std::path::{Path, PathBuf};

use lofty::file::TaggedFileExt;
use lofty::tag::{Accessor, ItemKey};
use mixtape::export::encode::{self, Pcm};
use mixtape::media::replaygain::{format_gain, format_peak, peak_linear};

use crate::support::{all_tracks, set_tags, TestEnv};

const RATE: u32 = 44_100;

/// A 24-bit mono FLAC of `secs` of a 997 Hz sine at amplitude `amp`
/// (1.0: full scale, -3.01 LUFS).
fn sine_flac(path: &Path, amp: f64, secs: f64) {
    let n = (secs * RATE as f64) as usize;
    let s: Vec<i32> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            (amp * (2.0 * std::f64::consts::PI * 997.0 * t).sin() * 8_388_607.0).round() as i32
        })
        .collect();
    let bytes = encode::encode_flac(Pcm {
        samples: &s,
        channels: 1,
        samplerate: RATE,
        bits: 24,
    })
    .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// An album "Sines" of two tracks (-9.03 and -15.05 LUFS) and a loose
/// track (-9.03 LUFS), scanned.
fn sines(env: &TestEnv) -> (PathBuf, PathBuf, PathBuf) {
    let a = env.path("m/Sines/a.flac");
    let b = env.path("m/Sines/b.flac");
    let c = env.path("m/c.flac");
    sine_flac(&a, 0.5, 10.0);
    sine_flac(&b, 0.25, 10.0);
    sine_flac(&c, 0.5, 10.0);
    for (p, title, track) in [(&a, "A", "1"), (&b, "B", "2")] {
        set_tags(
            p,
            &[
                ("title", title),
                ("artist", "Tone"),
                ("album", "Sines"),
                ("track", track),
            ],
        );
    }
    set_tags(&c, &[("title", "C"), ("artist", "Tone")]);
    env.run(["scan", "--no-fingerprint", env.path("m").to_str().unwrap()])
        .ok();
    (a, b, c)
}

fn titles(env: &TestEnv, query: &str) -> Vec<String> {
    env.run(["ls", query, "--format", "$title"])
        .ok()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn loudness_measures_tracks_and_albums_and_is_incremental() {
    let env = TestEnv::new();
    sines(&env);
    let want = "\
{root}/m/Sines/a.flac: -9.03 LUFS, -6.02 dBTP; album -11.07 LUFS, -6.02 dBTP
{root}/m/Sines/b.flac: -15.05 LUFS, -12.04 dBTP; album -11.07 LUFS, -6.02 dBTP
{root}/m/c.flac: -9.03 LUFS, -6.02 dBTP
";
    env.run(["loudness"])
        .ok()
        .relative_to(&env)
        .assert_stdout(&format!("{want}measured 3 tracks and 1 album\n"))
        .assert_stderr("");
    // Nothing to do the second time: the values are listed as stored.
    env.run(["loudness"])
        .ok()
        .relative_to(&env)
        .assert_stdout(&format!("{want}measured 0 tracks; 3 already measured\n"));
    // The values are query fields.
    assert_eq!(titles(&env, "loudness:..-14"), ["B"]);
    assert_eq!(titles(&env, "loudness:-9.03"), ["A", "C"]);
    assert_eq!(titles(&env, "album_loudness:-11.5..-10.5"), ["A", "B"]);
    assert_eq!(titles(&env, "true_peak:-7..-5"), ["A", "C"]);
    // JSON: one object per track, with the ReplayGain values.
    let v = env.run(["loudness", "--json", "title:B"]).ok().json_lines();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["measured"], false);
    let gain = v[0]["replaygain"]["track_gain"].as_f64().unwrap();
    assert_eq!(format_gain(gain), "-2.95 dB");
    let album_gain = v[0]["replaygain"]["album_gain"].as_f64().unwrap();
    assert_eq!(format_gain(album_gain), "-6.93 dB");
    // --force measures again.
    let r = env.run(["loudness", "--force", "title:C"]).ok();
    assert_eq!(r.lines().last(), Some(&"measured 1 track"));
}

/// A CUE image's tracks are measured on their own samples, and the
/// image's album as a whole.
#[test]
fn the_tracks_of_a_cue_image_are_measured_on_their_ranges() {
    let env = TestEnv::new();
    let n = 5 * RATE as usize;
    let one = |amp: f64, from: usize| {
        (from..from + n).map(move |i| {
            let t = i as f64 / RATE as f64;
            (amp * (2.0 * std::f64::consts::PI * 997.0 * t).sin() * 8_388_607.0).round() as i32
        })
    };
    let s: Vec<i32> = one(0.5, 0).chain(one(0.25, n)).collect();
    let bytes = encode::encode_flac(Pcm {
        samples: &s,
        channels: 1,
        samplerate: RATE,
        bits: 24,
    })
    .unwrap();
    std::fs::create_dir_all(env.path("c")).unwrap();
    std::fs::write(env.path("c/img.flac"), bytes).unwrap();
    std::fs::write(
        env.path("c/img.cue"),
        "PERFORMER \"Tone\"\nTITLE \"Image\"\nFILE \"img.flac\" WAVE\n  TRACK 01 AUDIO\n    TITLE \"One\"\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    TITLE \"Two\"\n    INDEX 01 00:05:00\n",
    )
    .unwrap();
    env.run(["scan", "--no-fingerprint", env.path("c").to_str().unwrap()])
        .ok();
    env.run(["loudness"]).ok().relative_to(&env).assert_stdout(
        "\
{root}/c/img.flac [track 1]: -9.03 LUFS, -6.02 dBTP; album -11.07 LUFS, -6.02 dBTP
{root}/c/img.flac [track 2]: -15.05 LUFS, -12.04 dBTP; album -11.07 LUFS, -6.02 dBTP
measured 2 tracks and 1 album
",
    );
}

/// A retag keeps the values (same audio); new audio in a file makes them
/// stale, so the rescan forgets them and its album is measured again. A
/// file that cannot be decoded is `path: reason` and the run goes on.
#[test]
fn a_rescan_forgets_stale_values_and_failures_are_reported() {
    let env = TestEnv::new();
    let (a, b, c) = sines(&env);
    env.run(["loudness"]).ok();
    set_tags(&a, &[("title", "A2")]);
    sine_flac(&b, 0.125, 10.0);
    set_tags(
        &b,
        &[
            ("title", "B"),
            ("artist", "Tone"),
            ("album", "Sines"),
            ("track", "2"),
        ],
    );
    env.run(["scan", "--no-fingerprint", env.path("m").to_str().unwrap()])
        .ok();
    let level = |title: &str| {
        env.run([
            "ls",
            &format!("title:={title}"),
            "--format",
            "$loudness|$album_loudness",
        ])
        .ok()
        .stdout
    };
    assert_eq!(level("A2"), "-9.03|-11.07\n");
    assert_eq!(level("B"), "|\n");
    env.run(["loudness"]).ok().relative_to(&env).assert_stdout(
        "\
{root}/m/Sines/a.flac: -9.03 LUFS, -6.02 dBTP; album -11.78 LUFS, -6.02 dBTP
{root}/m/Sines/b.flac: -21.07 LUFS, -18.06 dBTP; album -11.78 LUFS, -6.02 dBTP
{root}/m/c.flac: -9.03 LUFS, -6.02 dBTP
measured 2 tracks and 1 album; 1 already measured
",
    );
    // Part of an album: the rest of it is decoded for the album's value.
    env.run(["loudness", "--force", "title:A2"])
        .ok()
        .relative_to(&env)
        .assert_stdout(
            "\
{root}/m/Sines/a.flac: -9.03 LUFS, -6.02 dBTP; album -11.78 LUFS, -6.02 dBTP
measured 1 track and 1 album; 1 more of their albums' tracks decoded
",
        );
    std::fs::write(&c, b"this is no longer audio").unwrap();
    let r = env
        .run(["loudness", "--force"])
        .expect_code(2)
        .relative_to(&env);
    assert!(
        r.stderr.starts_with("{root}/m/c.flac: "),
        "stderr: {}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(
        r.lines().last(),
        Some(&"measured 2 tracks and 1 album; 1 failed")
    );
}

/// The ReplayGain tag values of a file, read with lofty: track gain,
/// track peak, album gain, album peak.
fn rg_tags(p: &Path) -> [Option<String>; 4] {
    let f = lofty::read_from_path(p).unwrap();
    let t = f.primary_tag().unwrap();
    [
        ItemKey::ReplayGainTrackGain,
        ItemKey::ReplayGainTrackPeak,
        ItemKey::ReplayGainAlbumGain,
        ItemKey::ReplayGainAlbumPeak,
    ]
    .map(|k| t.get_string(k).map(str::to_string))
}

/// The single audio file below `dir` with extension `ext`, by title.
fn output(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} missing: {:?}",
        p.display(),
        crate::support::files(dir)
    );
    p
}

/// Exports write ReplayGain 2.0 tags from the library's measurement, in
/// each container's form: TXXX frames in ID3v2.3 (car) and 2.4 (mp3),
/// Vorbis comments (FLAC), `----:com.apple.iTunes:` atoms (M4A).
#[test]
fn exports_carry_replaygain_tags_of_the_measurement() {
    let env = TestEnv::new();
    sines(&env);
    env.run(["loudness"]).ok();
    let tracks = all_tracks(&env.library, "title+");
    let a = tracks
        .iter()
        .find(|t| t.tags.title.as_deref() == Some("A"))
        .unwrap();
    let want = [
        Some(format_gain(-18.0 - a.loudness.unwrap())),
        Some(format_peak(peak_linear(a.true_peak.unwrap()))),
        Some(format_gain(-18.0 - a.album_loudness.unwrap())),
        Some(format_peak(peak_linear(a.album_peak.unwrap()))),
    ];
    assert_eq!(want[0].as_deref(), Some("-8.97 dB"));
    for (args, file, version) in [
        (vec!["--profile", "car"], "Tone - A.mp3", Some(3u8)),
        (vec!["--format", "mp3"], "Tone - A.mp3", Some(4)),
        (
            vec!["--format", "flac", "--force-transcode"],
            "Tone - A.flac",
            None,
        ),
        (vec!["--format", "aac"], "Tone - A.m4a", None),
        (vec!["--format", "alac"], "Tone - A.m4a", None),
    ] {
        let out = env.path(&format!("out-{}", args.join("")));
        let mut cmd = vec!["export", "title:A", "--to", out.to_str().unwrap()];
        cmd.extend(&args);
        env.run(cmd).ok();
        let files = crate::support::files(&out);
        let p = files
            .iter()
            .find(|f| f.ends_with(file))
            .map(|f| out.join(f))
            .unwrap_or_else(|| output(&out, file));
        assert_eq!(rg_tags(&p), want, "{args:?}");
        let bytes = std::fs::read(&p).unwrap();
        if let Some(v) = version {
            assert_eq!(&bytes[..4], [b'I', b'D', b'3', v], "{args:?}");
            assert!(
                bytes
                    .windows(b"REPLAYGAIN_ALBUM_PEAK".len())
                    .any(|w| w == b"REPLAYGAIN_ALBUM_PEAK"),
                "{args:?}: no TXXX frame"
            );
        }
        if file.ends_with(".m4a") {
            assert!(
                bytes
                    .windows(b"replaygain_track_gain".len())
                    .any(|w| w == b"replaygain_track_gain"),
                "{args:?}: no iTunes freeform atom"
            );
            assert!(bytes.windows(16).any(|w| w == b"com.apple.iTunes"));
        }
    }
}

/// A source that carries ReplayGain tags and has no measurement keeps
/// them: converted (FLAC) and copied (car MP3, retagged) alike.
#[test]
fn a_sources_own_replaygain_tags_are_kept() {
    let env = TestEnv::new();
    let p = env.mp3("d.mp3", 3, 4.0);
    set_tags(
        &p,
        &[
            ("title", "D"),
            ("artist", "Tags"),
            ("rg_track_gain", "-3.21 dB"),
            ("rg_track_peak", "0.912345"),
            ("rg_album_gain", "-4.5 dB"),
            ("rg_album_peak", "0.99"),
        ],
    );
    env.run(["scan", "--no-fingerprint", p.to_str().unwrap()])
        .ok();
    let v = env.run(["ls", "--json", "title:D"]).ok().json_lines();
    assert_eq!(v[0]["rg_track_gain"], -3.21);
    assert_eq!(v[0]["rg_album_peak"], 0.99);
    assert!(v[0]["loudness"].is_null());
    let want = ["-3.21 dB", "0.912345", "-4.50 dB", "0.990000"].map(|s| Some(s.to_string()));
    for (args, file) in [
        (["--format", "flac"], "Tags - D.flac"),
        (["--profile", "car"], "Tags - D.mp3"),
    ] {
        let out = env.path(&format!("out-{}", args[1]));
        let mut cmd = vec!["export", "title:D", "--to", out.to_str().unwrap()];
        cmd.extend(args);
        env.run(cmd).ok();
        let files = crate::support::files(&out);
        let f = files.iter().find(|f| f.ends_with(file)).unwrap();
        assert_eq!(rg_tags(&out.join(f)), want, "{args:?}");
    }
}

/// The peak magnitude of a WAV's samples (full scale 1.0).
fn wav_peak(p: &Path) -> f64 {
    let mut r = hound::WavReader::open(p).unwrap();
    let bits = r.spec().bits_per_sample;
    let full = (1i64 << (bits - 1)) as f64;
    r.samples::<i32>()
        .map(|s| (s.unwrap() as f64 / full).abs())
        .fold(0.0, f64::max)
}

/// `--normalize album` gives every track of the album one gain, from the
/// album's loudness (measured first), and the written ReplayGain values
/// describe the output: the album at the target has an album gain of
/// -18 - target.
#[test]
fn album_normalisation_gives_an_album_one_gain() {
    let env = TestEnv::new();
    sines(&env);
    let out = env.path("wav");
    let r = env
        .run([
            "export",
            "album:Sines",
            "--to",
            out.to_str().unwrap(),
            "--format",
            "wav",
            "--normalize",
            "album",
            "--target-lufs",
            "-14",
        ])
        .ok();
    assert!(
        r.stderr.is_empty() || !r.stderr.contains("error"),
        "{}",
        r.stderr
    );
    // Measured before the export, and kept.
    let level = env
        .run(["ls", "title:A", "--format", "$album_loudness"])
        .ok()
        .stdout;
    assert_eq!(level, "-11.07\n");
    let ga = wav_peak(&output(&out, "Tone - A.wav")) / 0.5;
    let gb = wav_peak(&output(&out, "Tone - B.wav")) / 0.25;
    assert!((ga - gb).abs() < 2e-3, "gains differ: {ga} {gb}");
    let db = 20.0 * ga.log10();
    assert!((db + 2.93).abs() < 0.02, "album gain {db} dB");
    // Track mode would give each its own gain.
    let each = env.path("wav-track");
    env.run([
        "export",
        "album:Sines",
        "--to",
        each.to_str().unwrap(),
        "--format",
        "wav",
        "--normalize",
        "--target-lufs",
        "-14",
    ])
    .ok();
    let ta = wav_peak(&output(&each, "Tone - A.wav")) / 0.5;
    let tb = wav_peak(&output(&each, "Tone - B.wav")) / 0.25;
    assert!((20.0 * (tb / ta).log10() - 6.02).abs() < 0.05, "{ta} {tb}");
    // FLAC: the tags describe the normalised output.
    let flac = env.path("flac");
    env.run([
        "export",
        "album:Sines",
        "--to",
        flac.to_str().unwrap(),
        "--format",
        "flac",
        "--normalize=album",
        "--target-lufs",
        "-14",
    ])
    .ok();
    for (file, track_gain) in [("Tone - A.flac", "-6.04 dB"), ("Tone - B.flac", "-0.02 dB")] {
        let [tg, _, ag, ap] = rg_tags(&output(&flac, file));
        assert_eq!(ag.as_deref(), Some("-4.00 dB"), "{file}");
        assert_eq!(tg.as_deref(), Some(track_gain), "{file}");
        let peak: f64 = ap.unwrap().parse().unwrap();
        assert!(
            (peak - 0.5 * 10f64.powf(-2.93 / 20.0)).abs() < 2e-3,
            "{file}: {peak}"
        );
        let f = lofty::read_from_path(output(&flac, file)).unwrap();
        assert_eq!(f.primary_tag().unwrap().album().as_deref(), Some("Sines"));
    }
}
