//! The burn files of one CD: a CUE sheet and a cdrdao TOC, with the disc's
//! CATALOG, each track's ISRC and pregap, and CD-TEXT (TITLE, PERFORMER,
//! SONGWRITER for the disc and every track).
//!
//! Each track is one WAV of whole sectors, so every `INDEX 01` is at the
//! start of its file. A pregap whose audio is in the previous track's
//! file (a gapless source) is written as cdrdao documents it: in the CUE,
//! `INDEX 00` inside the previous FILE; in the TOC, the previous file's
//! tail taken into this track, then `START`. Any other pregap is silence
//! (`PREGAP`). The CUE keeps UTF-8 and cannot escape a quote (it becomes
//! an apostrophe); the TOC is plain ASCII (cdrdao reads CD-TEXT as 8-bit)
//! with `\"` and `\\` escapes.

use crate::export::cd::msf;
use crate::library::Track;
use crate::names::to_ascii;

/// One track of a disc, for the burn files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiscTrack {
    /// The WAV's file name inside the disc folder.
    pub file: String,
    /// The WAV's length in sectors (CD frames).
    pub sectors: u64,
    /// CD-TEXT title.
    pub title: String,
    /// CD-TEXT performer.
    pub performer: String,
    /// CD-TEXT songwriter (the composer).
    pub songwriter: Option<String>,
    /// The ISRC as tagged (written only when valid, see [`isrc`]).
    pub isrc: Option<String>,
    /// The source's pregap in CD frames (1/75 s), whose audio ends the
    /// previous track's file.
    pub pregap: Option<u64>,
}

/// A disc's burn-file header: CD-TEXT and catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Disc {
    /// CD-TEXT title.
    pub title: String,
    /// CD-TEXT performer.
    pub performer: String,
    /// The UPC/EAN as tagged (written only when valid, see [`catalog`]).
    pub catalog: Option<String>,
    /// The tracks in order.
    pub tracks: Vec<DiscTrack>,
}

/// An ISRC as a CD holds it: 12 characters, `CCOOOYYSSSSS` (country and
/// owner letters or digits, year and serial digits), dashes and spaces
/// dropped, upper case; `None` when the tag is not one.
pub fn isrc(tag: &str) -> Option<String> {
    let s: String = tag
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = s.as_bytes();
    let ok = b.len() == 12
        && b[..5].iter().all(u8::is_ascii_alphanumeric)
        && b[5..].iter().all(u8::is_ascii_digit);
    ok.then_some(s)
}

/// A UPC/EAN as a CD's CATALOG holds it: 13 digits (a 12-digit UPC-A gets
/// its leading 0), dashes and spaces dropped; `None` otherwise.
pub fn catalog(tag: &str) -> Option<String> {
    let s: String = tag.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        13 => Some(s),
        12 => Some(format!("0{s}")),
        _ => None,
    }
}

/// The disc's CD-TEXT title and performer and its catalog, from its
/// tracks: the album and album artist when every track shares them, else
/// `fallback` (the playlist name or query); the album artist (else artist)
/// every track shares, else the track artist every track shares, else
/// "Various Artists"; the catalog when all share one.
pub fn disc_text(tracks: &[&Track], fallback: &str) -> (String, String, Option<String>) {
    fn shared(values: Vec<Option<String>>) -> Option<String> {
        let first = values.first()?.clone()?;
        values
            .iter()
            .all(|v| v.as_deref() == Some(first.as_str()))
            .then_some(first)
            .filter(|s| !s.trim().is_empty())
    }
    let album = shared(tracks.iter().map(|t| t.tags.album.clone()).collect());
    let title = album.clone().unwrap_or_else(|| fallback.to_string());
    let artist = |t: &&Track| t.tags.albumartist.clone().or(t.tags.artist.clone());
    let performer = shared(tracks.iter().map(artist).collect())
        .or_else(|| shared(tracks.iter().map(|t| t.tags.artist.clone()).collect()))
        .unwrap_or_else(|| crate::album::VARIOUS_ARTISTS.to_string());
    let catalog = shared(
        tracks
            .iter()
            .map(|t| t.tags.catalog.as_deref().and_then(catalog))
            .collect(),
    );
    (title, performer, catalog)
}

/// Text for a CUE string: a quote becomes an apostrophe, control
/// characters spaces.
fn cue_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Text for a TOC string: ASCII, `"` and `\` escaped, controls as spaces.
fn toc_text(s: &str) -> String {
    let mut out = String::new();
    for c in to_ascii(s).trim().chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Where track `i`'s pregap starts in the previous file, in sectors, when
/// its audio is there (it fits in the previous file).
fn pregap_in_previous(tracks: &[DiscTrack], i: usize) -> Option<(u64, u64)> {
    let gap = tracks[i].pregap.filter(|&g| g > 0)?;
    let prev = tracks.get(i.checked_sub(1)?)?;
    (gap < prev.sectors).then(|| (prev.sectors - gap, gap))
}

/// A CUE sheet: one FILE per track, `INDEX 01 00:00:00` at its start.
pub fn cue_sheet(disc: &Disc) -> String {
    let mut s = String::from("REM COMMENT \"mixtape\"\n");
    if let Some(c) = disc.catalog.as_deref().and_then(catalog) {
        s.push_str(&format!("CATALOG {c}\n"));
    }
    s.push_str(&format!("PERFORMER \"{}\"\n", cue_text(&disc.performer)));
    s.push_str(&format!("TITLE \"{}\"\n", cue_text(&disc.title)));
    let tracks = &disc.tracks;
    for (i, t) in tracks.iter().enumerate() {
        let in_previous = pregap_in_previous(tracks, i);
        if in_previous.is_none() {
            s.push_str(&format!("FILE \"{}\" WAVE\n", cue_text(&t.file)));
        }
        s.push_str(&format!("  TRACK {:02} AUDIO\n", i + 1));
        if let Some(code) = t.isrc.as_deref().and_then(isrc) {
            s.push_str(&format!("    ISRC {code}\n"));
        }
        s.push_str(&format!("    TITLE \"{}\"\n", cue_text(&t.title)));
        s.push_str(&format!("    PERFORMER \"{}\"\n", cue_text(&t.performer)));
        if let Some(w) = t.songwriter.as_deref().filter(|w| !w.trim().is_empty()) {
            s.push_str(&format!("    SONGWRITER \"{}\"\n", cue_text(w)));
        }
        match (in_previous, t.pregap.filter(|&g| g > 0)) {
            (Some((at, _)), _) => {
                s.push_str(&format!("    INDEX 00 {}\n", msf(at)));
                s.push_str(&format!("FILE \"{}\" WAVE\n", cue_text(&t.file)));
            }
            (None, Some(gap)) => s.push_str(&format!("    PREGAP {}\n", msf(gap))),
            (None, None) => {}
        }
        s.push_str("    INDEX 01 00:00:00\n");
    }
    s
}

/// A cdrdao TOC file (`cdrdao write disc01.toc`) with CD-TEXT. cdrdao
/// wants an item defined for one track defined for all and for the disc,
/// so SONGWRITER, when any track has one, is on every track (empty where
/// unknown).
pub fn toc_file(disc: &Disc) -> String {
    let tracks = &disc.tracks;
    let songwriters = tracks.iter().any(|t| t.songwriter.is_some());
    let songwriter = |w: Option<&str>| {
        if songwriters {
            format!("    SONGWRITER \"{}\"\n", toc_text(w.unwrap_or("")))
        } else {
            String::new()
        }
    };
    let mut s = String::from("CD_DA\n");
    if let Some(c) = disc.catalog.as_deref().and_then(catalog) {
        s.push_str(&format!("CATALOG \"{c}\"\n"));
    }
    s.push_str("\nCD_TEXT {\n  LANGUAGE_MAP {\n    0 : EN\n  }\n  LANGUAGE 0 {\n");
    s.push_str(&format!("    TITLE \"{}\"\n", toc_text(&disc.title)));
    s.push_str(&format!(
        "    PERFORMER \"{}\"\n",
        toc_text(&disc.performer)
    ));
    let first = tracks.first().and_then(|t| t.songwriter.as_deref());
    let shared = first.filter(|w| tracks.iter().all(|t| t.songwriter.as_deref() == Some(*w)));
    s.push_str(&songwriter(shared));
    s.push_str("  }\n}\n");
    for (i, t) in tracks.iter().enumerate() {
        s.push_str("\nTRACK AUDIO\n");
        if let Some(code) = t.isrc.as_deref().and_then(isrc) {
            s.push_str(&format!("ISRC \"{code}\"\n"));
        }
        s.push_str("CD_TEXT {\n  LANGUAGE 0 {\n");
        s.push_str(&format!("    TITLE \"{}\"\n", toc_text(&t.title)));
        s.push_str(&format!("    PERFORMER \"{}\"\n", toc_text(&t.performer)));
        s.push_str(&songwriter(t.songwriter.as_deref()));
        s.push_str("  }\n}\n");
        match (pregap_in_previous(tracks, i), t.pregap.filter(|&g| g > 0)) {
            (Some((at, gap)), _) => {
                let prev = toc_text(&tracks[i - 1].file);
                s.push_str(&format!(
                    "FILE \"{prev}\" {} {}\nSTART\n",
                    msf(at),
                    msf(gap)
                ));
            }
            (None, Some(gap)) => s.push_str(&format!("PREGAP {}\n", msf(gap))),
            (None, None) => {}
        }
        let file = toc_text(&t.file);
        let next_gap = (i + 1 < tracks.len())
            .then(|| pregap_in_previous(tracks, i + 1))
            .flatten();
        match next_gap {
            Some((len, _)) => s.push_str(&format!("FILE \"{file}\" 0 {}\n", msf(len))),
            None => s.push_str(&format!("FILE \"{file}\" 0\n")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::cd::{parse_cue, parse_toc};
    use std::path::Path;

    fn disc() -> Disc {
        Disc {
            title: "Trip \"live\"".into(),
            performer: "Various Artists".into(),
            catalog: Some("0-12345-67890-5".into()),
            tracks: vec![
                DiscTrack {
                    file: "01 A - One.wav".into(),
                    sectors: 300 * 2,
                    title: "One \"quoted\"".into(),
                    performer: "A".into(),
                    songwriter: Some("Zoë".into()),
                    isrc: Some("us-rc1-76-07839".into()),
                    pregap: None,
                },
                DiscTrack {
                    file: "02 B - Two.wav".into(),
                    sectors: 300,
                    title: "Two".into(),
                    performer: "Björk".into(),
                    songwriter: None,
                    isrc: Some("not an isrc".into()),
                    pregap: Some(150),
                },
            ],
        }
    }

    #[test]
    fn isrc_and_catalog_are_normalised_or_dropped() {
        assert_eq!(isrc("US-RC1-76-07839").as_deref(), Some("USRC17607839"));
        assert_eq!(isrc("gbaye0601498").as_deref(), Some("GBAYE0601498"));
        assert_eq!(isrc("USRC1760783"), None);
        assert_eq!(isrc("USRC17A07839"), None);
        assert_eq!(catalog("0 12345 67890 5").as_deref(), Some("0012345678905"));
        assert_eq!(catalog("5012345678900").as_deref(), Some("5012345678900"));
        assert_eq!(catalog("50123456789"), None);
        assert_eq!(catalog("501234567890X"), None);
    }

    #[test]
    fn cue_sheet_text_with_a_pregap_in_the_previous_file() {
        let text = cue_sheet(&disc());
        assert_eq!(
            text,
            "REM COMMENT \"mixtape\"
CATALOG 0012345678905
PERFORMER \"Various Artists\"
TITLE \"Trip 'live'\"
FILE \"01 A - One.wav\" WAVE
  TRACK 01 AUDIO
    ISRC USRC17607839
    TITLE \"One 'quoted'\"
    PERFORMER \"A\"
    SONGWRITER \"Zoë\"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE \"Two\"
    PERFORMER \"Björk\"
    INDEX 00 00:06:00
FILE \"02 B - Two.wav\" WAVE
    INDEX 01 00:00:00
"
        );
        let cue = parse_cue(Path::new("d.cue"), &text).unwrap();
        assert_eq!(cue.files[cue.tracks[1].file], "02 B - Two.wav");
        assert_eq!(cue.tracks[1].index01, 0);
    }

    #[test]
    fn toc_text_with_a_pregap_in_the_previous_file() {
        let text = toc_file(&disc());
        assert_eq!(
            text,
            r#"CD_DA
CATALOG "0012345678905"

CD_TEXT {
  LANGUAGE_MAP {
    0 : EN
  }
  LANGUAGE 0 {
    TITLE "Trip \"live\""
    PERFORMER "Various Artists"
    SONGWRITER ""
  }
}

TRACK AUDIO
ISRC "USRC17607839"
CD_TEXT {
  LANGUAGE 0 {
    TITLE "One \"quoted\""
    PERFORMER "A"
    SONGWRITER "Zoe"
  }
}
FILE "01 A - One.wav" 0 00:06:00

TRACK AUDIO
CD_TEXT {
  LANGUAGE 0 {
    TITLE "Two"
    PERFORMER "Bjork"
    SONGWRITER ""
  }
}
FILE "01 A - One.wav" 00:06:00 00:02:00
START
FILE "02 B - Two.wav" 0
"#
        );
        let toc = parse_toc(Path::new("d.toc"), &text).unwrap();
        assert_eq!(toc.files, vec!["01 A - One.wav", "02 B - Two.wav"]);
    }

    #[test]
    fn a_first_track_pregap_is_silence() {
        let mut d = disc();
        d.tracks.truncate(1);
        d.tracks[0].pregap = Some(75);
        d.tracks[0].songwriter = None;
        d.catalog = None;
        let cue = cue_sheet(&d);
        assert!(
            cue.ends_with("    PREGAP 00:01:00\n    INDEX 01 00:00:00\n"),
            "{cue}"
        );
        assert!(!cue.contains("CATALOG"));
        let toc = toc_file(&d);
        assert!(
            toc.ends_with("}\nPREGAP 00:01:00\nFILE \"01 A - One.wav\" 0\n"),
            "{toc}"
        );
        assert!(!toc.contains("SONGWRITER"), "{toc}");
    }

    #[test]
    fn disc_text_is_the_album_when_shared() {
        let t = |album: &str, artist: &str, catalog: Option<&str>| {
            let mut t = Track::default();
            t.tags.album = Some(album.into());
            t.tags.albumartist = Some("AA".into());
            t.tags.artist = Some(artist.into());
            t.tags.catalog = catalog.map(str::to_string);
            t
        };
        let (a, b) = (
            t("X", "P", Some("5012345678900")),
            t("X", "Q", Some("5012345678900")),
        );
        assert_eq!(
            disc_text(&[&a, &b], "mix"),
            ("X".into(), "AA".into(), Some("5012345678900".into()))
        );
        let c = t("Y", "P", None);
        assert_eq!(
            disc_text(&[&a, &c], "mix"),
            ("mix".into(), "AA".into(), None)
        );
        let mut d = t("Y", "P", None);
        d.tags.albumartist = None;
        assert_eq!(disc_text(&[&a, &d], "mix").1, "P");
        d.tags.artist = Some("R".into());
        assert_eq!(disc_text(&[&a, &d], "mix").1, "Various Artists");
    }
}
