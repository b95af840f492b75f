//! Integration tests for Opus and Vorbis export (issue 16, point 4):
//! `--format opus|vorbis` from FLAC, WAV and MP3 sources, read back with
//! independent readers — lofty for tags, art and duration, symphonia (through
//! mixtape's decoder) for the decoded length, and a small Ogg page parser
//! here for Opus's pre-skip and granule arithmetic — plus copies of Opus and
//! Vorbis sources that need no re-encoding, and usage errors.

use std::path::{Path, PathBuf};

use lofty::file::{AudioFile, FileType, TaggedFileExt};
use lofty::tag::{Accessor, ItemKey};

use crate::support::*;

/// What the Ogg pages of a file say: OpusHead's pre-skip and input rate
/// (Opus only), and the last page's granule position and flags.
struct OggFacts {
    pre_skip: Option<u16>,
    input_rate: Option<u32>,
    last_granule: u64,
    last_flags: u8,
}

/// Walk an Ogg file's pages (capture pattern, header, lacing) without any
/// Ogg library.
fn ogg_facts(path: &Path) -> OggFacts {
    let b = std::fs::read(path).unwrap();
    let mut i = 0;
    let mut facts = OggFacts {
        pre_skip: None,
        input_rate: None,
        last_granule: 0,
        last_flags: 0,
    };
    while i < b.len() {
        assert_eq!(&b[i..i + 4], b"OggS", "{}: page at {i}", path.display());
        let segments = b[i + 26] as usize;
        let body: usize = b[i + 27..i + 27 + segments]
            .iter()
            .map(|&l| l as usize)
            .sum();
        let data = &b[i + 27 + segments..i + 27 + segments + body];
        if data.starts_with(b"OpusHead") {
            facts.pre_skip = Some(u16::from_le_bytes([data[10], data[11]]));
            facts.input_rate = Some(u32::from_le_bytes(data[12..16].try_into().unwrap()));
        }
        facts.last_flags = b[i + 5];
        facts.last_granule = u64::from_le_bytes(b[i + 6..i + 14].try_into().unwrap());
        i += 27 + segments + body;
    }
    facts
}

/// Sample frames of a file as decoded (symphonia; opus-rs for Opus).
fn decoded_frames(path: &Path) -> (u64, u32, u16) {
    let d = mixtape::media::decode(path, None).unwrap();
    assert!(d.errors.is_empty(), "{}: {:?}", path.display(), d.errors);
    (
        (d.samples.len() / d.channels as usize) as u64,
        d.samplerate,
        d.channels,
    )
}

/// A FLAC with every tag and a cover, a WAV and an MP3 with a few tags,
/// scanned into the library. Returns the source folder.
fn sources(env: &TestEnv) -> PathBuf {
    std::fs::create_dir_all(env.path("src")).unwrap();
    let a = env.flac("src/a.flac", 1, 2.5);
    set_tags(
        &a,
        &[
            ("title", "Café del Mar"),
            ("artist", "東京 Orchestra"),
            ("album", "Road Trip"),
            ("albumartist", "Various Artists"),
            ("genre", "Ambient"),
            ("year", "1999"),
            ("track", "3"),
            ("tracktotal", "12"),
            ("disc", "1"),
            ("disctotal", "2"),
        ],
    );
    add_cover(&a, jpeg(false, 120, 90));
    let b = env.wav("src/b.wav", 2, 1.3);
    set_tags(&b, &[("title", "Wave"), ("artist", "Band")]);
    let c = env.mp3("src/c.mp3", 3, 1.7);
    set_tags(&c, &[("title", "Lame"), ("artist", "Band")]);
    env.run(["scan", env.path("src").to_str().unwrap()]).ok();
    env.path("src")
}

/// Each source and the name its output gets, with extension `ext`.
fn outputs(ext: &str) -> [(&'static str, String); 3] {
    [
        ("a.flac", format!("東京 Orchestra - Café del Mar.{ext}")),
        ("b.wav", format!("Band - Wave.{ext}")),
        ("c.mp3", format!("Band - Lame.{ext}")),
    ]
}

/// The summary of converting the three sources to `ext` in `dir`.
fn converted(ext: &str, written: &str, dir: &str) -> String {
    format!(
        "Converted:\n  Band - Wave.{ext}  <- {{root}}/src/b.wav\n  Band - Lame.{ext}  <- {{root}}/src/c.mp3\n  \
         東京 Orchestra - Café del Mar.{ext}  <- {{root}}/src/a.flac\n\
         3 converted, 0 copied, 0 skipped, 0 failed, 0 removed ({written} written) -> {{root}}/{dir}\n"
    )
}

fn export(env: &TestEnv, dest: &Path, args: &[&str]) -> Run {
    let src = env.path("src");
    let query = format!("path:{}", src.display());
    let mut all = vec!["export", query.as_str(), "--to", dest.to_str().unwrap()];
    all.extend_from_slice(args);
    env.run(all)
}

#[test]
fn ogg_opus_export_is_gapless_tagged_and_carries_the_cover() {
    let env = TestEnv::new();
    let src = sources(&env);
    let dest = env.path("opus");
    export(&env, &dest, &["--format", "opus"])
        .ok()
        .relative_to(&env)
        .assert_stdout(&converted("opus", "116.2 KB", "opus"));
    for (source, out) in outputs("opus") {
        let (src_frames, src_rate, _) = decoded_frames(&src.join(source));
        let want = (src_frames as f64 * 48_000.0 / src_rate as f64).round() as u64;
        let path = dest.join(&out);
        // Pages: pre-skip 312, the source's rate, an exact end trim.
        let facts = ogg_facts(&path);
        assert_eq!(facts.pre_skip, Some(312), "{out}");
        assert_eq!(facts.input_rate, Some(44_100), "{out}");
        assert_eq!(facts.last_granule - 312, want, "{out}");
        assert_eq!(facts.last_flags & 0x04, 0x04, "{out}: EOS");
        // A decoder that applies them plays exactly that many frames.
        assert_eq!(decoded_frames(&path), (want, 48_000, 2), "{out}");
        let f = lofty::read_from_path(&path).unwrap();
        assert_eq!(f.file_type(), FileType::Opus);
        let ms = (want as f64 / 48.0).round() as u128;
        assert_eq!(f.properties().duration().as_millis(), ms, "{out}");
    }
    let f = lofty::read_from_path(dest.join("東京 Orchestra - Café del Mar.opus")).unwrap();
    let t = f.primary_tag().unwrap();
    assert_eq!(t.tag_type(), lofty::tag::TagType::VorbisComments);
    assert_eq!(t.title().as_deref(), Some("Café del Mar"));
    assert_eq!(t.artist().as_deref(), Some("東京 Orchestra"));
    assert_eq!(t.album().as_deref(), Some("Road Trip"));
    assert_eq!(t.get_string(ItemKey::AlbumArtist), Some("Various Artists"));
    assert_eq!(t.genre().as_deref(), Some("Ambient"));
    assert_eq!((t.track(), t.track_total()), (Some(3), Some(12)));
    assert_eq!((t.disk(), t.disk_total()), (Some(1), Some(2)));
    assert_eq!(t.date().map(|d| d.year), Some(1999));
    assert_eq!(t.pictures().len(), 1);
    assert_eq!(t.pictures()[0].data(), &jpeg(false, 120, 90)[..]);
    let t = lofty::read_from_path(dest.join("Band - Lame.opus")).unwrap();
    assert_eq!(t.primary_tag().unwrap().title().as_deref(), Some("Lame"));
}

#[test]
fn ogg_vorbis_export_keeps_the_exact_length_tags_and_cover() {
    let env = TestEnv::new();
    let src = sources(&env);
    let dest = env.path("vorbis");
    export(&env, &dest, &["--format", "vorbis", "--quality", "4"])
        .ok()
        .relative_to(&env)
        .assert_stdout(&converted("ogg", "84.3 KB", "vorbis"));
    for (source, out) in outputs("ogg") {
        let (src_frames, rate, ch) = decoded_frames(&src.join(source));
        let path = dest.join(&out);
        assert_eq!(decoded_frames(&path), (src_frames, rate, ch), "{out}");
        let facts = ogg_facts(&path);
        assert_eq!(facts.last_granule, src_frames, "{out}");
        assert_eq!(facts.pre_skip, None);
        let f = lofty::read_from_path(&path).unwrap();
        assert_eq!(f.file_type(), FileType::Vorbis);
        assert_eq!(f.properties().sample_rate(), Some(44_100));
    }
    let f = lofty::read_from_path(dest.join("東京 Orchestra - Café del Mar.ogg")).unwrap();
    let t = f.primary_tag().unwrap();
    assert_eq!(t.title().as_deref(), Some("Café del Mar"));
    assert_eq!((t.track(), t.track_total()), (Some(3), Some(12)));
    assert_eq!((t.disk(), t.disk_total()), (Some(1), Some(2)));
    assert_eq!(t.pictures().len(), 1);
    assert_eq!(t.pictures()[0].data(), &jpeg(false, 120, 90)[..]);
    // Higher quality, bigger files; a bitrate aims where it is told.
    let small = env.path("q0");
    export(
        &env,
        &small,
        &["--format", "vorbis", "--quality", "0", "--json"],
    )
    .ok();
    let big = env.path("b256");
    export(
        &env,
        &big,
        &["--format", "vorbis", "--bitrate", "256k", "--json"],
    )
    .ok();
    let size = |d: &Path| std::fs::metadata(d.join("Band - Wave.ogg")).unwrap().len();
    assert!(size(&small) < size(&dest) && size(&dest) < size(&big));
}

/// An Opus or Vorbis source at or below what is asked is copied as it is
/// (lossy audio is not re-encoded into the same codec for nothing); above
/// it, or into the other codec, it is converted.
#[test]
fn ogg_sources_at_or_below_the_target_are_copied_not_re_encoded() {
    use mixtape::export::ogg::{encode_opus, encode_vorbis, Audio, Source, VorbisMode};
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("src")).unwrap();
    let music = mixtape::media::synth::music(4, 2.0, 48_000, 2);
    let audio = Audio {
        samples: &music,
        channels: 2,
        rate: 48_000,
    };
    let source = Source {
        rate: 48_000,
        frames: 96_000,
    };
    let (opus, _) = encode_opus(audio, source, 64, 1).unwrap();
    std::fs::write(env.path("src/d.opus"), &opus).unwrap();
    let (vorbis, _) = encode_vorbis(audio, VorbisMode::Quality(0.0), 2).unwrap();
    std::fs::write(env.path("src/e.ogg"), &vorbis).unwrap();
    set_tags(
        &env.path("src/d.opus"),
        &[("title", "Small"), ("artist", "Op")],
    );
    set_tags(
        &env.path("src/e.ogg"),
        &[("title", "Small"), ("artist", "Vo")],
    );
    env.run(["scan", env.path("src").to_str().unwrap()]).ok();
    let run = |dir: &str, args: &[&str]| {
        let dest = env.path(dir);
        let mut all = vec!["--format"];
        all.extend_from_slice(args);
        export(&env, &dest, &all).ok().relative_to(&env).stdout
    };
    assert_text(
        "opus 128k",
        "Converted:\n\
         \x20 Vo - Small.opus  <- {root}/src/e.ogg\n\
         Copied:\n\
         \x20 Op - Small.opus  <- {root}/src/d.opus\n\
         1 converted, 1 copied, 0 skipped, 0 failed, 0 removed (57.9 KB written) -> {root}/o128\n",
        &run("o128", &["opus", "--bitrate", "128k"]),
    );
    let copied = env.path("o128/Op - Small.opus");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(env.path("src/d.opus")).unwrap()
    );
    let out = run("o32", &["opus", "--bitrate", "32k"]);
    assert!(out.contains("2 converted, 0 copied"), "{out}");
    let out = run("v", &["vorbis"]);
    assert!(
        out.contains("Copied:\n  Vo - Small.ogg  <- {root}/src/e.ogg\n"),
        "{out}"
    );
    assert!(
        out.contains("Converted:\n  Op - Small.ogg  <- {root}/src/d.opus\n"),
        "{out}"
    );
    // --quality 9 (nominal 320k) takes the q0 source as it is; -1 (45k) does not.
    assert!(run("v9", &["vorbis", "--quality", "9"]).contains("1 converted, 1 copied"));
    assert!(run("vm1", &["vorbis", "--quality", "-1"]).contains("2 converted, 0 copied"));
    // --force-transcode re-encodes all.
    assert!(run("vf", &["vorbis", "--force-transcode"]).contains("2 converted, 0 copied"));
}

#[test]
fn ogg_bitrates_and_qualities_out_of_range_are_usage_errors() {
    let env = TestEnv::new();
    sources(&env);
    let dest = env.path("x");
    for (args, err) in [
        (
            &["--format", "opus", "--bitrate", "5k"][..],
            "mixtape: --bitrate 5k: must be between 6k and 320k\n",
        ),
        (
            &["--format", "opus", "--bitrate", "400k"],
            "mixtape: --bitrate 400k: must be between 6k and 320k\n",
        ),
        (
            &["--format", "vorbis", "--bitrate", "24k"],
            "mixtape: --bitrate 24k: must be between 32k and 320k for vorbis\n",
        ),
        (
            &["--format", "vorbis", "--quality", "11"],
            "mixtape: --quality 11: expected -1 to 10 (Vorbis quality, as oggenc -q)\n",
        ),
        (
            &["--format", "opus", "--quality", "V2"],
            "mixtape: opus: --quality does not apply; use --bitrate (6k to 320k)\n",
        ),
        (
            &["--format", "opus", "--samplerate", "44100"],
            "mixtape: opus: sample rate 44100 Hz not supported (use 48000)\n",
        ),
    ] {
        export(&env, &dest, args)
            .expect_code(1)
            .assert_stdout("")
            .assert_stderr(err);
    }
    assert!(!dest.exists(), "nothing is written on a usage error");
}
