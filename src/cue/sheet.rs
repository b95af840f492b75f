//! The lenient reading of a CUE sheet that describes a single-file album
//! image (`Album.flac` + `Album.cue`, or a `CUESHEET` tag): every command
//! of the format, sheets in UTF-8 (with or without a BOM), UTF-16 with a
//! BOM, or CP1252/Latin-1, with CRLF or LF line ends.
//!
//! What a sheet gets wrong either becomes a best reading with a warning
//! (an unknown command, a DATA track, a track without `INDEX 01`, an
//! index past the end of the audio) or, where no reading can be trusted
//! (indexes out of order, so the split would be wrong), a clear
//! `path: line N: reason`. The track ranges are worked out in samples by
//! [`Sheet::ranges`], once the audio's rate and length are known.

use std::path::Path;

use crate::error::{Error, Result};

use super::{parse_msf, quoted, FRAMES_PER_SECOND};

/// A sheet as read for an image: the disc's fields and its audio tracks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub title: Option<String>,
    pub performer: Option<String>,
    pub songwriter: Option<String>,
    /// `CATALOG`: the disc's UPC/EAN.
    pub catalog: Option<String>,
    /// `REM DATE`.
    pub date: Option<String>,
    /// `REM GENRE`.
    pub genre: Option<String>,
    /// `REM COMMENT`.
    pub comment: Option<String>,
    /// `REM DISCNUMBER` / `REM TOTALDISCS`.
    pub disc: Option<u32>,
    pub disctotal: Option<u32>,
    /// The `FILE` names, in order.
    pub files: Vec<String>,
    /// The audio tracks, in order.
    pub tracks: Vec<SheetTrack>,
    /// What was read leniently, one line each (`line N: ...`).
    pub warnings: Vec<String>,
}

/// One audio track of a [`Sheet`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetTrack {
    pub number: u32,
    /// Index into [`Sheet::files`].
    pub file: usize,
    pub title: Option<String>,
    pub performer: Option<String>,
    pub songwriter: Option<String>,
    pub isrc: Option<String>,
    /// `INDEX 00` in CD frames (1/75 s) from the start of its file.
    pub index00: Option<u64>,
    /// `INDEX 01` in CD frames from the start of its file.
    pub index01: u64,
}

/// A track's place in its file, in samples (frames of all channels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The track's position in [`Sheet::tracks`].
    pub track: usize,
    pub start: u64,
    /// Exclusive end.
    pub end: u64,
    /// The pregap (`INDEX 00` to `INDEX 01`) of this track, in CD frames.
    pub pregap: u64,
}

/// The text of a sheet's bytes: UTF-8 (a BOM dropped), UTF-16 with a BOM,
/// else CP1252 (Latin-1 with the 0x80-0x9F punctuation of Windows).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(b) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(b).into_owned();
    }
    let utf16 = |b: &[u8], le: bool| {
        let units = b.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    if let Some(b) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(b, true);
    }
    if let Some(b) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(b, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

/// One CP1252 byte as a character (undefined bytes as their Latin-1 code).
fn cp1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).unwrap_or('?'),
        _ => char::from(b),
    }
}

/// A `REM` or text value: quoted, or the rest of the line.
fn value(rest: &str) -> Option<String> {
    let rest = rest.trim();
    let v = if rest.starts_with('"') {
        quoted(rest)?
    } else {
        rest.to_string()
    };
    (!v.is_empty()).then_some(v)
}

/// Read a sheet leniently (see the module doc); `path` names it in errors.
pub fn read_sheet(path: &Path, bytes: &[u8]) -> Result<Sheet> {
    let text = decode_text(bytes);
    let mut s = Sheet::default();
    // The track being read, and whether it is a DATA track (left out).
    let mut current: Option<SheetTrack> = None;
    let mut skipping = false;
    let bad = |n: usize, why: String| Error::at(path, format!("line {}: {why}", n + 1));
    let finish = |s: &mut Sheet, t: Option<SheetTrack>, line: usize| {
        if let Some(t) = t {
            if t.index01 == u64::MAX {
                s.warnings.push(format!(
                    "line {line}: TRACK {:02} has no INDEX 01, left out",
                    t.number
                ));
            } else {
                s.tracks.push(t);
            }
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (cmd, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let cmd = cmd.to_ascii_uppercase();
        let in_track = current.is_some() || skipping;
        match cmd.as_str() {
            "REM" => {
                let (key, v) = rest
                    .trim()
                    .split_once(char::is_whitespace)
                    .unwrap_or((rest, ""));
                let v = value(v);
                match key.to_ascii_uppercase().as_str() {
                    "DATE" if !in_track => s.date = v,
                    "GENRE" if !in_track => s.genre = v,
                    "COMMENT" if !in_track => s.comment = v,
                    "DISCNUMBER" => s.disc = v.and_then(|v| v.parse().ok()),
                    "TOTALDISCS" => s.disctotal = v.and_then(|v| v.parse().ok()),
                    _ => {} // DISCID, REPLAYGAIN_*, COMPOSER, free comments
                }
            }
            "CATALOG" => s.catalog = value(rest),
            "CDTEXTFILE" | "FLAGS" | "PREGAP" | "POSTGAP" => {}
            "FILE" => {
                let name = quoted(rest).ok_or_else(|| bad(n, "FILE without a name".into()))?;
                s.files.push(name);
            }
            "TRACK" => {
                finish(&mut s, current.take(), n + 1);
                let mut words = rest.split_whitespace();
                let number = words
                    .next()
                    .and_then(|w| w.parse::<u32>().ok())
                    .filter(|&t| (1..=99).contains(&t))
                    .ok_or_else(|| bad(n, "TRACK needs a number 01-99".into()))?;
                if s.files.is_empty() {
                    return Err(bad(n, "TRACK before any FILE".into()));
                }
                let kind = words.next().unwrap_or("");
                skipping = !kind.eq_ignore_ascii_case("AUDIO");
                if skipping {
                    s.warnings.push(format!(
                        "line {}: TRACK {number:02} is {kind} (data), left out",
                        n + 1
                    ));
                } else {
                    current = Some(SheetTrack {
                        number,
                        file: s.files.len() - 1,
                        index01: u64::MAX,
                        ..SheetTrack::default()
                    });
                }
            }
            "INDEX" => {
                let mut words = rest.split_whitespace();
                let idx = words.next().and_then(|w| w.parse::<u32>().ok());
                let at = words.next().and_then(parse_msf);
                let (Some(idx), Some(at)) = (idx, at) else {
                    return Err(bad(n, format!("INDEX needs a number and mm:ss:ff: {rest}")));
                };
                if let Some(t) = current.as_mut() {
                    if t.file != s.files.len() - 1 && idx <= 1 {
                        // INDEX 01 in the next FILE: the track starts there.
                        t.file = s.files.len() - 1;
                        t.index00 = None;
                    }
                    match idx {
                        0 => t.index00 = Some(at),
                        1 => t.index01 = at,
                        _ => {}
                    }
                } else if !skipping {
                    return Err(bad(n, "INDEX before any TRACK".into()));
                }
            }
            "TITLE" | "PERFORMER" | "SONGWRITER" | "ISRC" => {
                let v = value(rest);
                match (current.as_mut(), cmd.as_str()) {
                    (Some(t), "TITLE") => t.title = v,
                    (Some(t), "PERFORMER") => t.performer = v,
                    (Some(t), "SONGWRITER") => t.songwriter = v,
                    (Some(t), _) => t.isrc = v,
                    (None, _) if skipping => {}
                    (None, "TITLE") => s.title = v,
                    (None, "PERFORMER") => s.performer = v,
                    (None, "SONGWRITER") => s.songwriter = v,
                    (None, _) => {}
                }
            }
            other => s
                .warnings
                .push(format!("line {}: unknown command {other}, ignored", n + 1)),
        }
    }
    let lines = text.lines().count();
    finish(&mut s, current.take(), lines);
    if s.tracks.is_empty() {
        return Err(Error::at(path, "no audio tracks in the CUE sheet"));
    }
    for pair in s.tracks.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.file == b.file && b.index00.unwrap_or(b.index01) < a.index01 {
            return Err(Error::at(
                path,
                format!(
                    "TRACK {:02} starts at {} but TRACK {:02} before it starts at {}: \
                     indexes out of order",
                    b.number,
                    msf(b.index00.unwrap_or(b.index01)),
                    a.number,
                    msf(a.index01)
                ),
            ));
        }
        if b.number <= a.number {
            s.warnings.push(format!(
                "TRACK {:02} follows TRACK {:02}",
                b.number, a.number
            ));
        }
    }
    Ok(s)
}

/// `mm:ss:ff` of a frame count.
pub fn msf(frames: u64) -> String {
    let f = frames % FRAMES_PER_SECOND;
    let sec = frames / FRAMES_PER_SECOND;
    format!("{:02}:{:02}:{:02}", sec / 60, sec % 60, f)
}

/// CD frames as samples at `rate` (exact for 44.1, 48, 88.2, 96 kHz...).
pub fn frames_to_samples(frames: u64, rate: u32) -> u64 {
    (u128::from(frames) * u128::from(rate) / u128::from(FRAMES_PER_SECOND)) as u64
}

impl Sheet {
    /// The sample ranges of the tracks in file `file` of the sheet, for
    /// audio at `rate` Hz holding `total` samples (frames). A track ends
    /// where the next one's `INDEX 01` starts (a pregap belongs to the
    /// track before it, as EAC writes images); the last one at the end.
    /// Tracks that start at or past the end of the audio are left out with
    /// a warning pushed to `warnings`.
    pub fn ranges(
        &self,
        file: usize,
        rate: u32,
        total: u64,
        warnings: &mut Vec<String>,
    ) -> Vec<Range> {
        let in_file: Vec<(usize, &SheetTrack)> = self
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.file == file)
            .collect();
        let mut out = Vec::new();
        for (k, &(i, t)) in in_file.iter().enumerate() {
            let start = frames_to_samples(t.index01, rate);
            if start >= total {
                warnings.push(format!(
                    "TRACK {:02} starts at {}, past the end of the audio ({}): left out",
                    t.number,
                    msf(t.index01),
                    msf(total * FRAMES_PER_SECOND / u64::from(rate.max(1)))
                ));
                continue;
            }
            let end = in_file
                .get(k + 1)
                .map(|(_, n)| frames_to_samples(n.index01, rate).min(total))
                .unwrap_or(total);
            let pregap = t.index00.map(|z| t.index01.saturating_sub(z)).unwrap_or(0);
            out.push(Range {
                track: i,
                start,
                end,
                pregap,
            });
        }
        out
    }

    /// The index of the `FILE` entry that names `file_name`: the same name,
    /// else the same name in another case, else (when the sheet names one
    /// file only, or only one entry has that stem) the same stem with
    /// another extension, the usual state after a re-encode (`Album.wav`
    /// in the sheet, `Album.flac` on disk). `exists` says whether a name
    /// is a file beside the sheet, so an entry naming a file that is there
    /// is never taken for another.
    pub fn file_for(&self, file_name: &str, exists: &dyn Fn(&str) -> bool) -> Option<usize> {
        let base = |n: &str| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string();
        let names: Vec<String> = self.files.iter().map(|f| base(f)).collect();
        if let Some(i) = names.iter().position(|n| n == file_name) {
            return Some(i);
        }
        if let Some(i) = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(file_name) && !exists(n))
        {
            return Some(i);
        }
        let stem = |n: &str| {
            n.rsplit_once('.')
                .map(|(s, _)| s.to_string())
                .unwrap_or(n.into())
        };
        let want = stem(file_name).to_lowercase();
        let same: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| stem(n).to_lowercase() == want && !exists(n))
            .map(|(i, _)| i)
            .collect();
        (same.len() == 1).then(|| same[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Sheet {
        read_sheet(Path::new("a.cue"), text.as_bytes()).unwrap()
    }

    const TWO: &str = "PERFORMER \"P\"\nFILE \"a.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 00 00:10:00\n    INDEX 01 00:12:00\n";

    #[test]
    fn cp1252_and_utf16_and_a_bom_are_read() {
        assert_eq!(decode_text(b"Caf\xe9 \x93x\x94"), "Café \u{201c}x\u{201d}");
        assert_eq!(decode_text("\u{feff}Café".as_bytes()), "Café");
        assert_eq!(decode_text(b"\xff\xfeA\0\xe9\0"), "Aé");
        assert_eq!(decode_text(b"\xfe\xff\0A\0\xe9"), "Aé");
    }

    #[test]
    fn ranges_end_at_the_next_index_01_and_keep_the_pregap() {
        let s = read(TWO);
        let mut w = Vec::new();
        let r = s.ranges(0, 44100, 44100 * 20, &mut w);
        assert!(w.is_empty());
        assert_eq!(
            r,
            [
                Range {
                    track: 0,
                    start: 0,
                    end: 12 * 44100,
                    pregap: 0
                },
                Range {
                    track: 1,
                    start: 12 * 44100,
                    end: 20 * 44100,
                    pregap: 150
                },
            ]
        );
        // 48 kHz: 640 samples per CD frame.
        assert_eq!(frames_to_samples(1, 48000), 640);
    }

    #[test]
    fn a_file_line_matches_by_name_case_or_stem_after_a_reencode() {
        let s = read(TWO);
        let none = |_: &str| false;
        assert_eq!(s.file_for("a.wav", &none), Some(0));
        assert_eq!(s.file_for("A.WAV", &none), Some(0));
        assert_eq!(s.file_for("a.flac", &none), Some(0));
        assert_eq!(s.file_for("b.flac", &none), None);
        // The WAV it names is there: the FLAC beside it is another file.
        assert_eq!(s.file_for("a.flac", &|n: &str| n == "a.wav"), None);
    }

    #[test]
    fn bad_sheets_are_refused_with_the_line() {
        let err = |t: &str| {
            read_sheet(Path::new("a.cue"), t.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("TRACK 01 AUDIO\n"),
            "a.cue: line 1: TRACK before any FILE"
        );
        assert_eq!(
            err("FILE \"a\" WAVE\nTRACK 00 AUDIO\n"),
            "a.cue: line 2: TRACK needs a number 01-99"
        );
        assert_eq!(
            err("FILE \"a\" WAVE\n"),
            "a.cue: no audio tracks in the CUE sheet"
        );
        let s = read("FILE \"a\" WAVE\nTRACK 01 AUDIO\nTRACK 02 AUDIO\nINDEX 01 00:01:00\n");
        assert_eq!(s.tracks.len(), 1);
        assert_eq!(s.warnings, ["line 3: TRACK 01 has no INDEX 01, left out"]);
    }
}
