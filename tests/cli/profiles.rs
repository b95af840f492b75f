//! Integration tests for issue 16, points 5 to 7: device profiles of the
//! user's own in a TOML config file (8.3 names, Latin-1 tags), `export
//! --check` against any profile, profile rules enforced on copies (a 48 kHz
//! VBR MP3 and an MPEG-in-WAV source are converted for the car), and the
//! config file itself: its errors, `mixtape config`, scan's ignore globs and
//! the library path.
//!
//! What mixtape wrote is read back with lofty and with a few lines of ID3
//! parsing here, never with mixtape's own writer.

use std::path::{Path, PathBuf};

use mixtape::export::encode::Mp3Rate;

use crate::support::*;

/// Write the default config file (`$XDG_CONFIG_HOME/mixtape/config.toml`
/// as the test env sets it).
fn write_config(env: &TestEnv, text: &str) -> PathBuf {
    let p = env.path("xdg-config/mixtape/config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// An MP3 of `secs` at `rate` Hz (`kbps` CBR, or VBR V4 when `None`).
fn mp3_bytes(seed: u64, secs: f64, rate: u32, kbps: Option<u32>) -> Vec<u8> {
    let mut f = Fixture::new(seed, secs);
    f.samplerate = rate;
    f.encode(Kind::Mp3(kbps.map_or(Mp3Rate::Vbr(4), Mp3Rate::Cbr)))
}

/// A RIFF WAVE whose format tag is 0x55 (MPEG Layer 3) around `mp3`.
fn mpeg_in_wav(mp3: &[u8], rate: u32) -> Vec<u8> {
    let mut fmt = Vec::new();
    fmt.extend(0x55u16.to_le_bytes()); // WAVE_FORMAT_MPEGLAYER3
    fmt.extend(2u16.to_le_bytes());
    fmt.extend(rate.to_le_bytes());
    fmt.extend((128_000u32 / 8).to_le_bytes());
    fmt.extend(1u16.to_le_bytes()); // block align
    fmt.extend(0u16.to_le_bytes()); // bits per sample
    fmt.extend(12u16.to_le_bytes()); // cbSize: MPEGLAYER3WAVEFORMAT
    fmt.extend(1u16.to_le_bytes()); // wID
    fmt.extend(2u32.to_le_bytes()); // fdwFlags
    fmt.extend(418u16.to_le_bytes()); // nBlockSize
    fmt.extend(1u16.to_le_bytes()); // nFramesPerBlock
    fmt.extend(1393u16.to_le_bytes()); // nCodecDelay
    let mut body = b"WAVE".to_vec();
    body.extend(b"fmt ");
    body.extend((fmt.len() as u32).to_le_bytes());
    body.extend(&fmt);
    body.extend(b"data");
    body.extend((mp3.len() as u32).to_le_bytes());
    body.extend(mp3);
    if mp3.len() % 2 == 1 {
        body.push(0);
    }
    let mut riff = b"RIFF".to_vec();
    riff.extend((body.len() as u32).to_le_bytes());
    riff.extend(body);
    riff
}

/// Every text frame of the leading ID3v2.3/2.4 tag of `bytes`: its id and
/// text-encoding byte (read here, independently of mixtape).
fn id3_text_encodings(bytes: &[u8]) -> (u8, Vec<(String, u8)>) {
    assert_eq!(&bytes[..3], b"ID3", "no ID3v2 tag");
    let major = bytes[3];
    let syncsafe = |b: &[u8]| b.iter().fold(0usize, |a, &x| a << 7 | x as usize);
    let end = 10 + syncsafe(&bytes[6..10]);
    let mut pos = 10;
    let mut out = Vec::new();
    while pos + 10 <= end && bytes[pos] != 0 {
        let id = String::from_utf8_lossy(&bytes[pos..pos + 4]).into_owned();
        let size = if major == 4 {
            syncsafe(&bytes[pos + 4..pos + 8])
        } else {
            u32::from_be_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize
        };
        if id.starts_with('T') || id == "COMM" {
            out.push((id, bytes[pos + 10]));
        }
        pos += 10 + size;
    }
    (major, out)
}

/// Scan `src` (no fingerprints: they play no part here).
fn scan(env: &TestEnv) {
    env.run(["scan", "--no-fingerprint", "src"]).ok();
}

const ECLIPSE: &str = "# An Eclipse head unit: 8.3 names, Latin-1 tags.\n\
[profile.eclipse]\n\
base = \"car\"\n\
description = \"Eclipse CD3200: 8.3 names, Latin-1 tags, ID3v1 too\"\n\
name_charset = \"8.3\"\n\
tag_charset = \"latin1\"\n\
id3v1 = true\n";

/// Issue 16: a user profile with 8.3 names and Latin-1 tags produces only
/// such names and tags, and `--check` flags a folder that breaks it.
#[test]
fn a_user_profile_with_8_3_names_and_latin1_tags() {
    let env = TestEnv::new();
    write_config(&env, ECLIPSE);
    let flac = env.flac("src/a.flac", 1, 1.0);
    set_tags(
        &flac,
        &[("title", "Café ☕ del Mar"), ("artist", "東京 Orchestra")],
    );
    let mp3 = env.path("src/b.mp3");
    std::fs::write(&mp3, mp3_bytes(2, 1.0, 44100, Some(128))).unwrap();
    set_tags(&mp3, &[("title", "Ça va"), ("artist", "Zoë Ωmega")]);
    env.wav("src/07 - Ünïcødé.wav", 3, 1.0);
    scan(&env);
    let stick = env.root().join("stick");
    env.run(["export", "path:src path+", "--to", "stick", "--profile", "eclipse"])
        .relative_to(&env)
        .assert_stdout(
            "Converted:\n  01/001_07_U.MP3  <- {root}/src/07 - Ünïcødé.wav\n  01/002_ORCH.MP3  <- {root}/src/a.flac\n\
Copied:\n  01/003_ZOE.MP3  <- {root}/src/b.mp3\n\
2 converted, 1 copied, 0 skipped, 0 failed, 0 removed (103.3 KB written) -> stick\n",
        );
    let names = files(&stick);
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&"MIXTAPE.M3U".to_string()), "{names:?}");
    for n in &names {
        let file = n.rsplit('/').next().unwrap();
        if !file.starts_with('.') {
            assert!(mixtape::names::is_short_name(file), "{n}");
        }
    }
    let expect = [
        ("001_07_U.MP3", "Ünïcødé", None),
        ("002_ORCH.MP3", "Café _ del Mar", Some("__ Orchestra")),
        ("003_ZOE.MP3", "Ça va", Some("Zoë Omega")),
    ];
    for (name, title, artist) in expect {
        let path = stick.join("01").join(name);
        let bytes = std::fs::read(&path).unwrap();
        let (major, frames) = id3_text_encodings(&bytes);
        assert_eq!(major, 3, "{name}");
        assert!(
            frames.iter().any(|(id, _)| id == "TIT2"),
            "{name}: {frames:?}"
        );
        for (id, enc) in &frames {
            assert_eq!(*enc, 0, "{name}: frame {id} is not Latin-1");
        }
        // The ID3v1 mirror, Latin-1 by definition.
        let v1 = &bytes[bytes.len() - 128..];
        assert_eq!(&v1[..3], b"TAG", "{name}");
        let v1_title: String = v1[3..33]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect();
        assert_eq!(v1_title, title, "{name}");
        let f = lofty::read_from_path(&path).unwrap();
        use lofty::file::TaggedFileExt;
        use lofty::tag::Accessor;
        let tag = f.tag(lofty::tag::TagType::Id3v2).unwrap();
        assert_eq!(tag.title().as_deref(), Some(title), "{name}");
        assert_eq!(tag.artist().as_deref(), artist, "{name}");
    }
    env.run(["export", "--check", "stick", "--profile", "eclipse"])
        .relative_to(&env)
        .assert_stdout(
            "note: stick: not a FAT filesystem, so directory order (play order on FAT) was not checked\n\
stick: 4 files checked against the eclipse profile, 0 violation(s)\n",
        );
    // The same playlist for the built-in car profile breaks the Eclipse's
    // rules: long names, UTF-16 text frames (where the text is not all
    // Latin-1: "Ünïcødé" is), no ID3v1.
    env.run([
        "export",
        "path:src path+",
        "--to",
        "car",
        "--profile",
        "car",
    ])
    .ok();
    env.run(["export", "--check", "car", "--profile", "eclipse"])
        .expect_code(2)
        .assert_stdout(
            "car/01/001 07 - Ünïcødé.mp3: name: not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)\n\
car/01/001 07 - Ünïcødé.mp3: no ID3v1 tag (the eclipse profile needs one)\n\
car/01/002 東京 Orchestra - Café ☕ del Mar.mp3: name: not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)\n\
car/01/002 東京 Orchestra - Café ☕ del Mar.mp3: ID3 frame TIT2 is UTF-16 text (the eclipse profile reads Latin-1 only)\n\
car/01/002 東京 Orchestra - Café ☕ del Mar.mp3: ID3 frame TPE1 is UTF-16 text (the eclipse profile reads Latin-1 only)\n\
car/01/002 東京 Orchestra - Café ☕ del Mar.mp3: no ID3v1 tag (the eclipse profile needs one)\n\
car/01/003 Zoë Ωmega - Ça va.mp3: name: not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)\n\
car/01/003 Zoë Ωmega - Ça va.mp3: ID3 frame TPE1 is UTF-16 text (the eclipse profile reads Latin-1 only)\n\
car/01/003 Zoë Ωmega - Ça va.mp3: no ID3v1 tag (the eclipse profile needs one)\n\
car/mixtape export.m3u: name: not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)\n\
car/mixtape export.m3u8: name: not a DOS 8.3 name (up to 8 of A-Z 0-9 _, a dot, up to 3 more)\n\
note: car: not a FAT filesystem, so directory order (play order on FAT) was not checked\n\
car: 5 files checked against the eclipse profile, 11 violation(s)\n",
        );
}

/// Issue 16 (point 6): the car plan says `mp3 320k 44100 Hz`, and a 48 kHz
/// VBR MP3 (about 106 kbit/s) is converted, not copied; `--check` flags it
/// on a stick where it was copied as it is. (Point 7) an MPEG-in-WAV
/// source becomes an .mp3.
#[test]
fn car_converts_what_breaks_its_rules_and_check_flags_it() {
    let env = TestEnv::new();
    let vbr48 = mp3_bytes(4, 2.0, 48000, None);
    std::fs::write(env.path("src/1 hi.mp3"), &vbr48).unwrap();
    let cbr = mp3_bytes(5, 2.0, 44100, Some(128));
    std::fs::write(env.path("src/2 mpeg.wav"), mpeg_in_wav(&cbr, 44100)).unwrap();
    std::fs::write(env.path("src/3 ok.mp3"), &cbr).unwrap();
    scan(&env);
    let car = |extra: &[&str]| {
        let mut args = vec![
            "export",
            "path:src path+",
            "--to",
            "stick",
            "--profile",
            "car",
        ];
        args.extend(extra);
        env.run(args)
    };
    car(&["--dry-run"]).relative_to(&env).assert_stdout(
        "Plan: export \"path:src path+\" to stick (car: mp3 320k 44100 Hz)\n\
\x20 convert 01/001 1 hi.mp3  <- {root}/src/1 hi.mp3  (~380.0 KB, 0:02)\n\
\x20 convert 01/002 2 mpeg.mp3  <- {root}/src/2 mpeg.wav  (~380.0 KB, 0:02)\n\
\x20 copy    01/003 3 ok.mp3  <- {root}/src/3 ok.mp3  (~97.0 KB, 0:02)\n\
\x20 write   mixtape export.m3u8\n\
\x20 write   mixtape export.m3u\n\
Folders: 01/ (3 files)\n\
Total: 3 files, ~857.0 KB, 0:06\n\
(dry run: nothing was written)\n",
    );
    car(&[]).ok();
    for (name, untitled) in [
        ("001 1 hi.mp3", "hi"),
        ("002 2 mpeg.mp3", "mpeg"),
        ("003 3 ok.mp3", "ok"),
    ] {
        let path = env.root().join("stick/01").join(name);
        let f = lofty::read_from_path(&path).unwrap();
        assert_eq!(f.properties().sample_rate(), Some(44100), "{name}");
        use lofty::file::{AudioFile, TaggedFileExt};
        use lofty::tag::Accessor;
        // Untagged sources get a title from the file name, copies too.
        let t = f.primary_tag().unwrap();
        assert_eq!(t.title().as_deref(), Some(untitled), "{name}");
        let _ = f.properties().audio_bitrate();
    }
    let hi = lofty::read_from_path(env.root().join("stick/01/001 1 hi.mp3")).unwrap();
    use lofty::file::AudioFile;
    assert!(hi.properties().audio_bitrate().unwrap() >= 300, "320k CBR");
    env.run(["export", "--check", "stick", "--profile", "car"])
        .assert_stdout(
            "note: stick: not a FAT filesystem, so directory order (play order on FAT) was not checked\n\
stick: 5 files checked against the car profile, 0 violation(s)\n",
        );
    // What an older mixtape made: the 48 kHz VBR MP3 and the WAV copied.
    std::fs::write(env.path("old/01/001 1 hi.mp3"), &vbr48).unwrap();
    std::fs::copy(env.path("src/2 mpeg.wav"), env.path("old/01/002 mpeg.wav")).unwrap();
    env.run(["export", "--check", "old", "--profile", "car"])
        .expect_code(2)
        .assert_stdout(
            "old/01/001 1 hi.mp3: MP3 at 48000 Hz (the car profile plays 44100 Hz)\n\
old/01/001 1 hi.mp3: VBR MP3 (the car profile plays constant bitrate only)\n\
old/01/002 mpeg.wav: not an MP3 (the car profile plays mp3 only)\n\
note: old: not a FAT filesystem, so directory order (play order on FAT) was not checked\n\
old: 2 files checked against the car profile, 3 violation(s)\n",
        );
}

/// A bad config file names the file, the line and the key, exits 1, and
/// nothing runs (the scan below would create the library).
#[test]
fn config_errors_name_file_line_and_key_and_nothing_runs() {
    let env = TestEnv::new();
    env.wav("src/a.wav", 1, 0.5);
    let cases: [(&str, &str); 8] = [
        ("libary = \"x\"\n", "2: libary: unknown key"),
        (
            "[profile.mine]\nbase = \"car\"\nbitrat = \"192k\"\n",
            "4: profile.mine.bitrat: unknown key",
        ),
        (
            "[profile.mine]\nbase = \"car\"\n\nbitrate = \"999k\"\n",
            "5: profile.mine.bitrate: \"999k\" is out of range (8k to 320k)",
        ),
        (
            "[profile.mine]\nfiles_per_folder = \"many\"\n",
            "3: profile.mine.files_per_folder: invalid type: string \"many\", expected usize",
        ),
        (
            "[profile.mine]\nbase = \"van\"\n",
            "3: profile.mine.base: unknown base profile \"van\" (built-in: usb, car, cd)",
        ),
        (
            "[profile.car]\nbitrate = 192\n",
            "2: profile.car: \"car\" is a built-in profile's name; name yours otherwise and start from it with base = \"car\"",
        ),
        (
            "[profile.mine]\nname_charset = \"dos\"\n",
            "3: profile.mine.name_charset: unknown variant `dos`, expected one of `fat`, `ascii`, `strict`, `8.3`",
        ),
        ("[scan]\nignore = [\"*.tmp\"\n", "3: scan.ignore: unclosed array, expected `]`"),
    ];
    for (text, want) in cases {
        let path = write_config(&env, &format!("# mine\n{text}"));
        env.run(["scan", "src"])
            .expect_code(1)
            .assert_stdout("")
            .assert_stderr(&format!("mixtape: {}:{want}\n", path.display()));
        assert!(!env.library.exists(), "{text}: the scan ran");
    }
    // A missing default file is no error; a missing --config file is.
    std::fs::remove_file(env.path("xdg-config/mixtape/config.toml")).unwrap();
    env.run(["--config", "nowhere.toml", "ls"])
        .expect_code(1)
        .assert_stderr("mixtape: nowhere.toml: No such file or directory (os error 2)\n");
    env.run(["scan", "--no-fingerprint", "src"]).ok();
}

/// `mixtape config` shows every effective value and where it came from.
#[test]
fn config_shows_each_value_and_its_source() {
    let env = TestEnv::new();
    let cfg = write_config(
        &env,
        "library = \"/nowhere/lib.db\"\n\n[dupes]\nprefer = [\"/music/flac\"]\nmatch_threshold = 0.08\n\n[scan]\nignore = [\"*.tmp\", \"Podcasts\"]\n\n[profile.eclipse]\nbase = \"car\"\ndescription = \"my Eclipse\"\n",
    );
    let c = cfg.display();
    let rest = |lib_line: &str| {
        format!(
            "config = \"{c}\"  # default\n{lib_line}\n\
organize.template = \"%if{{$compilation,Compilations,${{albumartist:-${{artist:-Unknown Artist}}}}}}/${{album:-Unknown Album}}%aunique{{}}/%if{{$multidisc,$disc-}}$track ${{title:-$stem}}\"  # default\n\
organize.singletons = \"Non-Album/${{artist:-Unknown Artist}}/${{title:-$stem}}\"  # default\n\
organize.ascii = false  # default\n\
dupes.prefer = [\"/music/flac\"]  # config {c}:4\n\
dupes.by_tags = false  # default\n\
dupes.match_threshold = 0.08  # config {c}:5\n\
dupes.similar_threshold = 0.25  # default\n\
scan.ignore = [\"*.tmp\", \"Podcasts\"]  # config {c}:8\n\
profile.usb = \"copy files as they are, FAT-safe names, an M3U8 beside them\"  # built-in\n\
profile.car = \"MP3 for car head units: strict limits, play order = directory order\"  # built-in\n\
profile.cd = \"audio CD: 44.1 kHz/16-bit stereo WAVs split into discs with CUE + TOC\"  # built-in\n\
profile.eclipse = \"my Eclipse\"  # config {c}:10\n"
        )
    };
    let lib = env.library.display().to_string();
    env.run(["config"])
        .ok()
        .assert_stdout(&rest(&format!("library = \"{lib}\"  # --library")));
    let bare = |envs: &[(&str, &str)]| -> Run {
        let mut cmd = env.cmd_bare();
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.arg("config").output().unwrap().into()
    };
    bare(&[]).ok().assert_stdout(&rest(&format!(
        "library = \"/nowhere/lib.db\"  # config {c}:1"
    )));
    bare(&[("MIXTAPE_LIBRARY", "/env/lib.db")])
        .ok()
        .assert_stdout(&rest("library = \"/env/lib.db\"  # env MIXTAPE_LIBRARY"));
    // --config (or MIXTAPE_CONFIG) names another file.
    let other = env.path("other.toml");
    std::fs::write(&other, "").unwrap();
    let r: Run = env
        .cmd_bare()
        .env("MIXTAPE_CONFIG", &other)
        .arg("config")
        .output()
        .unwrap()
        .into();
    assert_eq!(
        r.ok().lines()[..2],
        [
            format!("config = \"{}\"  # env MIXTAPE_CONFIG", other.display()),
            format!(
                "library = \"{}\"  # default",
                env.root().join("xdg/mixtape/library.db").display()
            )
        ]
    );
}

/// `mixtape config profiles` prints every profile as config-file tables
/// that parse back (the round trip is unit-tested in `export::profiles`).
#[test]
fn config_profiles_prints_builtins_and_the_users_own() {
    let env = TestEnv::new();
    let cfg = write_config(&env, ECLIPSE);
    let out = env.run(["config", "profiles"]).ok().stdout;
    let mut expected = String::from(
        "# mixtape's device profiles: built-in, then those of the config file.\n\
# A table of your own takes these keys; `base = \"car\"` starts from a built-in.\n\n\
# built-in\n[profile.usb]\n\
description = \"copy files as they are, FAT-safe names, an M3U8 beside them\"\n\
format = \"copy\"\ncbr_only = false\ncopy = true\nlayout = \"flat\"\nordered_folders = false\n\
max_depth = 8\nname_charset = \"fat\"\nname_length = 255\ntags = \"id3v2.4\"\ntag_charset = \"unicode\"\n\
id3v1 = false\nretag_copies = false\nart = true\nbaseline_jpeg = false\n\n\
# built-in\n[profile.car]\n\
description = \"MP3 for car head units: strict limits, play order = directory order\"\n\
format = \"mp3\"\nbitrate = \"320k\"\nsample_rates = [44100]\nchannels = 2\ncbr_only = true\ncopy = true\n\
layout = \"playlist\"\nordered_folders = true\nfiles_per_folder = 255\nfiles_per_device = 500\n\
max_depth = 8\nname_charset = \"fat\"\nname_length = 255\ntags = \"id3v2.3\"\ntag_charset = \"unicode\"\n\
id3v1 = false\nretag_copies = true\nart = true\nart_max_px = 300\nbaseline_jpeg = true\n\n\
# built-in\n[profile.cd]\n\
description = \"audio CD: 44.1 kHz/16-bit stereo WAVs split into discs with CUE + TOC\"\n\
format = \"wav\"\nsample_rates = [44100]\nbit_depth = 16\nchannels = 2\ncbr_only = false\ncopy = false\n\
layout = \"disc\"\nordered_folders = false\nmax_depth = 8\nname_charset = \"fat\"\nname_length = 255\n\
tags = \"id3v2.4\"\ntag_charset = \"unicode\"\nid3v1 = false\nretag_copies = false\nart = false\n\
baseline_jpeg = false\ndisc_minutes = 79.8\ndisc_tracks = 99\nmin_track_seconds = 4.0\nsector_padding = true\n\n",
    );
    expected.push_str(&format!("# {}:2\n", cfg.display()));
    expected.push_str(
        "[profile.eclipse]\n\
description = \"Eclipse CD3200: 8.3 names, Latin-1 tags, ID3v1 too\"\n\
format = \"mp3\"\nbitrate = \"320k\"\nsample_rates = [44100]\nchannels = 2\ncbr_only = true\ncopy = true\n\
layout = \"playlist\"\nordered_folders = true\nfiles_per_folder = 255\nfiles_per_device = 500\n\
max_depth = 8\nname_charset = \"8.3\"\nname_length = 12\ntags = \"id3v2.3\"\ntag_charset = \"latin1\"\n\
id3v1 = true\nretag_copies = true\nart = true\nart_max_px = 300\nbaseline_jpeg = true\n",
    );
    assert_text("stdout", &expected, &out);
    // The printout is itself a config file (with the user's table renamed,
    // as built-in names are taken).
    let reread = env.path("reread.toml");
    let own = out.split("[profile.eclipse]").nth(1).unwrap();
    std::fs::write(&reread, format!("[profile.eclipse2]{own}")).unwrap();
    let r = env.run(["--config", reread.to_str().unwrap(), "config", "profiles"]);
    assert!(r.ok().stdout.ends_with(own), "{own}");
}

/// `--profile` takes any known profile; an unknown name is a usage error
/// that lists the known ones.
#[test]
fn an_unknown_profile_is_a_usage_error_listing_the_known_ones() {
    let env = TestEnv::new();
    write_config(&env, ECLIPSE);
    env.run(["export", "--check", ".", "--profile", "van"])
        .expect_code(1)
        .assert_stderr("mixtape: --profile van: unknown profile (known: usb, car, cd, eclipse)\n");
}

/// The config's scan ignore globs skip files and whole folders, and its
/// library path is where the library goes when no flag or variable says.
#[test]
fn scan_ignore_globs_and_the_library_path_come_from_the_config() {
    let env = TestEnv::new();
    let lib = env.root().join("from-config.db");
    write_config(
        &env,
        &format!(
            "library = {:?}\n[scan]\nignore = [\"*.part.wav\", \"Podcasts\", \"Live/**/b*.wav\"]\n",
            lib.display().to_string()
        ),
    );
    env.wav("src/keep.wav", 1, 0.3);
    env.wav("src/x.part.wav", 2, 0.3);
    env.wav("src/Podcasts/ep.wav", 3, 0.3);
    env.wav("src/Live/1999/a.wav", 4, 0.3);
    env.wav("src/Live/1999/b.wav", 5, 0.3);
    let run = |args: &[&str]| -> Run { env.cmd_bare().args(args).output().unwrap().into() };
    run(&["scan", "--no-fingerprint", "src"]).ok();
    assert!(lib.is_file(), "the library is not at the config's path");
    run(&["ls", "--path", "--sort", "path+"])
        .ok()
        .relative_to(&env)
        .assert_stdout("{root}/src/Live/1999/a.wav\n{root}/src/keep.wav\n");
    // Ignored later: the track stays as it is (not declared gone).
    write_config(
        &env,
        &format!(
            "library = {:?}\n[scan]\nignore = [\"keep.wav\"]\n",
            lib.display().to_string()
        ),
    );
    run(&["scan", "--no-fingerprint", "src"]).ok();
    let r = run(&["ls", "--path", "--sort", "path+"])
        .ok()
        .relative_to(&env);
    assert!(r.stdout.contains("{root}/src/keep.wav"), "{}", r.stdout);
    assert!(!Path::new(&env.root().join("xdg/mixtape/library.db")).exists());
}

/// dupes takes its preferred folders from the config when no `--prefer`
/// is given (a folder that is not there is said to come from the config).
#[test]
fn dupes_preferences_come_from_the_config() {
    let env = TestEnv::new();
    let cfg = write_config(&env, "[dupes]\nprefer = [\"gone\"]\n");
    env.wav("src/a.wav", 1, 0.3);
    env.run(["scan", "--no-fingerprint", "src"]).ok();
    let gone = cfg.parent().unwrap().join("gone");
    env.run(["dupes"]).expect_code(1).assert_stderr(&format!(
        "mixtape: {}: dupes.prefer: no such folder\n",
        gone.display()
    ));
    std::fs::create_dir_all(env.path("mine")).unwrap();
    env.run(["dupes", "--prefer", "mine"])
        .ok()
        .assert_stdout("No duplicates found.\n");
}
