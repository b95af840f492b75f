//! Integration tests for what a file really is and which copy is kept
//! (issue: "Trustworthy on a real collection"). The material is a
//! generated full-band, music-like signal (notes with harmonics, a bright
//! lead, percussion and noise up to 20 kHz) put through a transcode chain:
//! CD -> 128k MP3 (LAME) -> FLAC (flacenc) and -> 320k MP3. Every file is
//! scanned by the real binary; the flags are read back from `ls --json`
//! and the keepers and their printed reasons from `dupes --json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mixtape::export::dither;
use mixtape::export::encode::{self, Mp3Rate, Pcm};
use mixtape::media::synth;

use crate::support::*;

const SECS: f64 = 20.0;
const RATE: u32 = 44_100;

/// The "CD" of `seed`: full-band stereo, 16-bit, 44.1 kHz.
fn cd(seed: u64) -> Vec<i32> {
    encode::quantize(&synth::full_band(seed, SECS, RATE, 2), 16)
}

fn pcm(samples: &[i32]) -> Pcm<'_> {
    Pcm {
        samples,
        channels: 2,
        samplerate: RATE,
        bits: 16,
    }
}

fn write(env: &TestEnv, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = env.path(rel);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `bytes` decoded by mixtape's reader (interleaved f32).
fn decoded(path: &Path) -> Vec<f32> {
    mixtape::media::decode(path, None).unwrap().samples
}

/// The chain in folder `dir`: a 128k MP3 of the CD, a FLAC made from that
/// MP3 (dithered to 16 bits, as a converter does) and a 320k MP3 made from
/// it. With `original`, the CD itself as FLAC too.
struct Chain {
    flac: Option<PathBuf>,
    mp3_128: PathBuf,
    flac_of_mp3: PathBuf,
    mp3_320_of_mp3: PathBuf,
}

fn chain(env: &TestEnv, dir: &str, seed: u64, original: bool) -> Chain {
    let cd = cd(seed);
    let flac = original.then(|| {
        write(
            env,
            &format!("{dir}/cd.flac"),
            &encode::encode_flac(pcm(&cd)).unwrap(),
        )
    });
    let mp3 = encode::encode_mp3(pcm(&cd), Mp3Rate::Cbr(128)).unwrap();
    let mp3_128 = write(env, &format!("{dir}/128k.mp3"), &mp3);
    let lossy = decoded(&mp3_128);
    let q = dither::quantize(&lossy, 16, true, 7);
    let flac_of_mp3 = write(
        env,
        &format!("{dir}/from 128k.flac"),
        &encode::encode_flac(pcm(&q)).unwrap(),
    );
    let up = encode::encode_mp3_f32(&lossy, 2, RATE, Mp3Rate::Cbr(320)).unwrap();
    let mp3_320_of_mp3 = write(env, &format!("{dir}/320k from 128k.mp3"), &up);
    Chain {
        flac,
        mp3_128,
        flac_of_mp3,
        mp3_320_of_mp3,
    }
}

/// `samples` through `poles` cascaded one-pole low-passes at `hz`: the
/// gentle, analogue-style roll-off of a dull recording, not a codec's cut.
fn rolled_off(samples: &[f32], hz: f64, poles: usize) -> Vec<f32> {
    let a = (1.0 - (-std::f64::consts::TAU * hz / RATE as f64).exp()) as f32;
    let mut state = [[0f32; 8]; 2];
    let mut out = samples.to_vec();
    for frame in out.chunks_mut(2) {
        for (c, x) in frame.iter_mut().enumerate() {
            let mut v = *x;
            for s in &mut state[c][..poles] {
                *s += a * (v - *s);
                v = *s;
            }
            *x = v;
        }
    }
    out
}

fn canon(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

/// path -> the `ls --json` object.
fn tracks(env: &TestEnv) -> BTreeMap<String, serde_json::Value> {
    env.run(["ls", "--json"])
        .ok()
        .json_lines()
        .into_iter()
        .map(|v| (v["path"].as_str().unwrap().to_string(), v))
        .collect()
}

/// keeper path -> (reason, member paths) for every duplicate group.
fn keepers(env: &TestEnv) -> BTreeMap<String, (String, Vec<String>)> {
    env.run(["dupes", "--json"])
        .ok()
        .json_lines()
        .into_iter()
        .filter(|g| g.get("group").is_some())
        .map(|g| {
            let members = g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["path"].as_str().unwrap().to_string())
                .collect();
            (
                g["keeper"].as_str().unwrap().to_string(),
                (g["reason"].as_str().unwrap().to_string(), members),
            )
        })
        .collect()
}

fn flags(t: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
    (t["lossy_source"].clone(), t["upscaled"].clone())
}

#[test]
fn a_transcode_chain_is_flagged_and_the_keeper_is_the_source() {
    use serde_json::Value::{Bool, Null};
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("music/with cd")).unwrap();
    std::fs::create_dir_all(env.path("music/no cd")).unwrap();
    std::fs::create_dir_all(env.path("music/dull")).unwrap();
    std::fs::create_dir_all(env.path("music/pair")).unwrap();
    let with = chain(&env, "music/with cd", 41, true);
    let without = chain(&env, "music/no cd", 42, false);
    // Only the MP3 and the FLAC made from it.
    let pair = chain(&env, "music/pair", 44, false);
    std::fs::remove_file(&pair.mp3_320_of_mp3).unwrap();
    // A lossless recording that is dull by nature: rolled off from 3 kHz
    // at 12 dB/octave, with no codec's cliff.
    let dull = rolled_off(&synth::full_band(43, SECS, RATE, 2), 3_000.0, 2);
    let dull = write(
        &env,
        "music/dull/dull.flac",
        &encode::encode_flac(pcm(&dither::quantize(&dull, 16, true, 3))).unwrap(),
    );
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();

    let ts = tracks(&env);
    let of = |p: &Path| flags(&ts[&canon(p)]);
    let cd = with.flac.as_ref().unwrap();
    assert_eq!(of(cd), (Bool(false), Null), "{}", ts[&canon(cd)]);
    assert_eq!(of(&dull), (Bool(false), Null), "{}", ts[&canon(&dull)]);
    for c in [&with, &without] {
        assert_eq!(of(&c.mp3_128), (Null, Bool(false)));
        assert_eq!(of(&c.flac_of_mp3), (Bool(true), Null));
        assert_eq!(of(&c.mp3_320_of_mp3), (Null, Bool(true)));
        let bw = ts[&canon(&c.flac_of_mp3)]["bandwidth"].as_u64().unwrap();
        assert!((15_500..=17_500).contains(&bw), "{bw}");
    }
    let cd_bw = ts[&canon(cd)]["bandwidth"].as_u64().unwrap();
    assert!(cd_bw >= 19_500, "{cd_bw}");
    // The queries see the same.
    let q = |q: &str| env.run(["ls", q, "--format", "$path"]).ok().lines().len();
    assert_eq!(q("lossy_source:true"), 3);
    assert_eq!(q("upscaled:true"), 2);
    assert_eq!(q("bandwidth:..17500"), 8);

    let ks = keepers(&env);
    assert_eq!(ks.len(), 3, "{ks:#?}");
    let (reason, members) = &ks[&canon(cd)];
    assert_eq!(members.len(), 4);
    // The runner-up is the 128k MP3: the FLAC made from it ranks as it.
    assert_eq!(reason, "lossless (flac vs mp3)");
    let (reason, members) = &ks[&canon(&without.mp3_128)];
    assert_eq!(members.len(), 3);
    assert_eq!(
        reason,
        "kept the 128k MP3: the 320k MP3 is upscaled (bandwidth 16.8 kHz)"
    );
    let (reason, members) = &ks[&canon(&pair.mp3_128)];
    assert_eq!(members.len(), 2);
    assert_eq!(
        reason,
        "kept the 128k MP3: the FLAC is made from lossy audio (bandwidth 16.8 kHz)"
    );
    assert!(!ks.contains_key(&canon(&dull)));

    // The FLAC is replaced by a real rip: a rescan updates its verdict,
    // and the keeper follows. Nothing is stale.
    let rip = encode::encode_flac(pcm(&self::cd(44))).unwrap();
    std::fs::write(&pair.flac_of_mp3, rip).unwrap();
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();
    let t = &tracks(&env)[&canon(&pair.flac_of_mp3)];
    assert_eq!(flags(t), (Bool(false), Null), "{t}");
    assert!(t["bandwidth"].as_u64().unwrap() >= 19_500, "{t}");
    let ks = keepers(&env);
    assert_eq!(ks[&canon(&pair.flac_of_mp3)].0, "lossless (flac vs mp3)");
    assert_eq!(q("lossy_source:true"), 2);
}

#[test]
fn between_copies_of_one_audio_the_untouched_the_used_and_the_complete_win() {
    let env = TestEnv::new();
    for d in ["gain", "trim", "used", "tags", "art", "path"] {
        std::fs::create_dir_all(env.path(&format!("music/{d}"))).unwrap();
    }
    // A copy with the gain lowered by 6 dB loses to the untouched one,
    // even when it is listed first.
    let mut quiet = Fixture::new(51, SECS);
    quiet.gain = 0.5;
    env.write_audio("music/gain/a quieter.flac", &quiet, Kind::Flac);
    let loud = env.write_audio("music/gain/b.flac", &Fixture::new(51, SECS), Kind::Flac);
    // A trimmed copy loses to the whole one.
    let mut trimmed = Fixture::new(52, SECS);
    trimmed.trim_start = 3.0;
    env.write_audio("music/trim/a trimmed.flac", &trimmed, Kind::Flac);
    let whole = env.write_audio("music/trim/b.flac", &Fixture::new(52, SECS), Kind::Flac);
    // Byte-identical copies: the one a playlist uses is kept.
    let first = env.flac("music/used/a.flac", 53, SECS);
    let used = env.path("music/used/b.flac");
    std::fs::copy(&first, &used).unwrap();
    // Same audio: more complete tags win, then embedded art.
    let sparse = env.flac("music/tags/a.flac", 54, SECS);
    set_tags(&sparse, &[("title", "Song")]);
    let full = env.flac("music/tags/b.flac", 54, SECS);
    set_tags(
        &full,
        &[("title", "Song"), ("artist", "Band"), ("album", "Record")],
    );
    let bare = env.flac("music/art/a.flac", 55, SECS);
    set_tags(&bare, &[("title", "Song")]);
    let covered = env.flac("music/art/b.flac", 55, SECS);
    set_tags(&covered, &[("title", "Song")]);
    add_cover(&covered, jpeg(false, 32, 32));
    // Otherwise equal: path order.
    let a = env.flac("music/path/a.flac", 56, SECS);
    std::fs::copy(&a, env.path("music/path/b.flac")).unwrap();
    env.run(["scan", "--quiet", env.path("music").to_str().unwrap()])
        .ok();
    env.run(["playlist", "new", "Mix"]).ok();
    let q = format!("path:{}", canon(&used));
    env.run(["playlist", "add", "Mix", &q]).ok();

    let got: BTreeMap<String, String> = keepers(&env)
        .into_iter()
        .map(|(k, (reason, _))| (k, reason))
        .collect();
    let want: BTreeMap<String, String> = [
        (
            &loud,
            "untouched level (-16.0 dB vs -22.0 dB RMS: the other's gain was changed)",
        ),
        (&whole, "untrimmed (0:20 vs 0:17)"),
        (&used, "used by a playlist"),
        (&full, "more complete tags (3 vs 1 fields)"),
        (&covered, "embedded art"),
        (&a, "first in path order (otherwise equal)"),
    ]
    .iter()
    .map(|(p, r)| (canon(p), r.to_string()))
    .collect();
    assert_eq!(got, want);
}
