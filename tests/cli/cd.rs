//! The gapless CD profile (issue 15, item 3): the WAVs of an album's
//! consecutive tracks, concatenated, are the sources concatenated sample
//! for sample (read back with hound, not mixtape), each WAV is whole
//! sectors, and the CUE and TOC are exactly the expected text (with
//! CATALOG, ISRC and CD-TEXT SONGWRITER). Tracks that are not contiguous
//! keep their own zero padding.

use crate::export::{export_json, outputs, scan};
use crate::support::*;

/// Frames in one CD sector.
const SECTOR: usize = 588;

/// An album track: its file name, fixture and tags.
struct Song {
    name: &'static str,
    fixture: Fixture,
    tags: Vec<(&'static str, &'static str)>,
}

/// Lengths that are not whole sectors (nor whole seconds).
fn album() -> Vec<Song> {
    let tags = |n: &'static str, title: &'static str| {
        vec![
            ("title", title),
            ("artist", "The Band"),
            ("album", "Gapless"),
            ("albumartist", "The Band"),
            ("track", n),
            ("barcode", "5012345678900"),
        ]
    };
    let mut songs = vec![
        Song {
            name: "1.flac",
            fixture: Fixture::new(31, 4.31),
            tags: tags("1", "Intro"),
        },
        Song {
            name: "2.flac",
            fixture: Fixture::new(32, 5.17),
            tags: tags("2", "Segue"),
        },
        Song {
            name: "3.flac",
            fixture: Fixture::new(33, 4.73),
            tags: tags("3", "Crossfade"),
        },
        Song {
            name: "4.flac",
            fixture: Fixture::new(34, 4.09),
            tags: tags("4", "Outro"),
        },
    ];
    songs[0]
        .tags
        .extend([("isrc", "US-RC1-76-07839"), ("composer", "Ann Writer")]);
    songs[1]
        .tags
        .extend([("isrc", "GBAYE0601498"), ("composer", "Ann Writer")]);
    songs[2]
        .tags
        .extend([("isrc", "not-an-isrc"), ("composer", "Bob \"B\" Smith")]);
    songs
}

/// Write the songs under `music/`, scan, and make the playlist `name` of
/// them in the order given.
fn library(env: &TestEnv, songs: &[Song], name: &str) {
    for s in songs {
        let p = env.write_audio(&format!("music/{}", s.name), &s.fixture, Kind::Flac);
        set_tags(&p, &s.tags);
    }
    let ids = scan(env, &env.root().join("music"));
    let order: Vec<i64> = songs.iter().map(|s| ids[s.name]).collect();
    add_playlist(env, name, &order);
}

/// The 16-bit samples of a WAV, read with hound.
fn wav_samples(path: &std::path::Path) -> Vec<i32> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.bits_per_sample, spec.channels),
        (44100, 16, 2),
        "{}",
        path.display()
    );
    r.samples::<i16>().map(|s| s.unwrap() as i32).collect()
}

#[test]
fn an_album_s_wavs_concatenated_are_its_sources_concatenated() {
    let env = TestEnv::new();
    let songs = album();
    library(&env, &songs, "Album");
    let dest = env.root().join("cd");
    let args = ["Album", "--to", dest.to_str().unwrap(), "--profile", "cd"];
    let v = export_json(&env, &args);
    let files = [
        "01 The Band - Intro.wav",
        "02 The Band - Segue.wav",
        "03 The Band - Crossfade.wav",
        "04 The Band - Outro.wav",
    ];
    assert_eq!(
        outputs(&v, "converted"),
        files.map(|f| format!("disc01/{f}")).to_vec()
    );
    let disc = dest.join("disc01");
    let mut burned = Vec::new();
    for f in files {
        let s = wav_samples(&disc.join(f));
        assert_eq!(s.len() % (2 * SECTOR), 0, "{f} is not whole sectors");
        assert!(s.len() >= 2 * 4 * 44100, "{f} is shorter than 4 s");
        burned.extend(s);
    }
    let source: Vec<i32> = songs.iter().flat_map(|s| s.fixture.samples()).collect();
    assert!(
        source.len() % (2 * SECTOR) != 0,
        "the album must not be whole sectors"
    );
    assert_eq!(burned.len(), source.len().div_ceil(2 * SECTOR) * 2 * SECTOR);
    assert!(
        burned[..source.len()] == source[..],
        "the disc's audio differs from the sources'"
    );
    assert!(burned[source.len()..].iter().all(|&s| s == 0));
    // No track but the last is padded: the first WAV holds whole sectors
    // of the first source and nothing else.
    let first = songs[0].fixture.samples().len();
    let first_wav = wav_samples(&disc.join(files[0])).len();
    assert_eq!(first_wav, first / (2 * SECTOR) * 2 * SECTOR);

    let cue = std::fs::read_to_string(disc.join("disc01.cue")).unwrap();
    assert_text(
        "disc01.cue",
        r#"REM COMMENT "mixtape"
CATALOG 5012345678900
PERFORMER "The Band"
TITLE "Gapless"
FILE "01 The Band - Intro.wav" WAVE
  TRACK 01 AUDIO
    ISRC USRC17607839
    TITLE "Intro"
    PERFORMER "The Band"
    SONGWRITER "Ann Writer"
    INDEX 01 00:00:00
FILE "02 The Band - Segue.wav" WAVE
  TRACK 02 AUDIO
    ISRC GBAYE0601498
    TITLE "Segue"
    PERFORMER "The Band"
    SONGWRITER "Ann Writer"
    INDEX 01 00:00:00
FILE "03 The Band - Crossfade.wav" WAVE
  TRACK 03 AUDIO
    TITLE "Crossfade"
    PERFORMER "The Band"
    SONGWRITER "Bob 'B' Smith"
    INDEX 01 00:00:00
FILE "04 The Band - Outro.wav" WAVE
  TRACK 04 AUDIO
    TITLE "Outro"
    PERFORMER "The Band"
    INDEX 01 00:00:00
"#,
        &cue,
    );
    let toc = std::fs::read_to_string(disc.join("disc01.toc")).unwrap();
    assert_text(
        "disc01.toc",
        r#"CD_DA
CATALOG "5012345678900"

CD_TEXT {
  LANGUAGE_MAP {
    0 : EN
  }
  LANGUAGE 0 {
    TITLE "Gapless"
    PERFORMER "The Band"
    SONGWRITER ""
  }
}

TRACK AUDIO
ISRC "USRC17607839"
CD_TEXT {
  LANGUAGE 0 {
    TITLE "Intro"
    PERFORMER "The Band"
    SONGWRITER "Ann Writer"
  }
}
FILE "01 The Band - Intro.wav" 0

TRACK AUDIO
ISRC "GBAYE0601498"
CD_TEXT {
  LANGUAGE 0 {
    TITLE "Segue"
    PERFORMER "The Band"
    SONGWRITER "Ann Writer"
  }
}
FILE "02 The Band - Segue.wav" 0

TRACK AUDIO
CD_TEXT {
  LANGUAGE 0 {
    TITLE "Crossfade"
    PERFORMER "The Band"
    SONGWRITER "Bob \"B\" Smith"
  }
}
FILE "03 The Band - Crossfade.wav" 0

TRACK AUDIO
CD_TEXT {
  LANGUAGE 0 {
    TITLE "Outro"
    PERFORMER "The Band"
    SONGWRITER ""
  }
}
FILE "04 The Band - Outro.wav" 0
"#,
        &toc,
    );
    // The catalog is a field of its own.
    let r = env.run(["ls", "--json", "album:Gapless"]).ok();
    assert!(
        r.stdout.contains("\"catalog\":\"5012345678900\""),
        "{}",
        r.stdout
    );

    // A re-run rewrites nothing.
    let before = tree(&dest);
    let v = export_json(&env, &args);
    assert!(outputs(&v, "converted").is_empty(), "{v}");
    assert_eq!(tree(&dest), before);
}

#[test]
fn tracks_of_two_albums_keep_their_own_padding() {
    let env = TestEnv::new();
    let mut songs = album();
    songs.truncate(2);
    // Another album between the two: no boundary is contiguous.
    songs.insert(
        1,
        Song {
            name: "x.flac",
            fixture: Fixture::new(40, 4.44),
            tags: vec![
                ("title", "Other"),
                ("artist", "Else"),
                ("album", "Elsewhere"),
                ("track", "2"),
            ],
        },
    );
    library(&env, &songs, "Mixed");
    let dest = env.root().join("cd");
    export_json(
        &env,
        &["Mixed", "--to", dest.to_str().unwrap(), "--profile", "cd"],
    );
    let disc = dest.join("disc01");
    let files = [
        "01 The Band - Intro.wav",
        "02 Else - Other.wav",
        "03 The Band - Segue.wav",
    ];
    for (f, s) in files.iter().zip(&songs) {
        let wav = wav_samples(&disc.join(f));
        let source = s.fixture.samples();
        assert_eq!(
            wav.len(),
            source.len().div_ceil(2 * SECTOR) * 2 * SECTOR,
            "{f}"
        );
        assert!(wav[..source.len()] == source[..], "{f}: not its own source");
        assert!(wav[source.len()..].iter().all(|&v| v == 0), "{f}");
    }
    // The disc mixes albums: its title is the playlist's.
    let cue = std::fs::read_to_string(disc.join("disc01.cue")).unwrap();
    assert!(cue.contains("\nTITLE \"Mixed\"\n"), "{cue}");
    assert!(!cue.contains("CATALOG"), "{cue}");
}
