//! CUE sheets: the one reader of the format. [`parse_cue`] reads a sheet
//! into its tracks (for `export --check` of the CDs mixtape burns), and
//! [`rewrite_files`] renames the audio a sheet's `FILE` lines name while
//! keeping every other byte as it was (for a `.cue` that follows its album
//! in `organize`).
//!
//! [`sheet`] reads the sheets of single-file album images leniently, with
//! every command, for the library's image tracks.
//!
//! Sheets in the wild are UTF-8 (with or without a BOM) or a legacy 8-bit
//! code page; the rewriter works on bytes, so a sheet in Latin-1 stays in
//! Latin-1.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

pub mod sheet;

/// CUE frames (CD sectors) per second.
pub const FRAMES_PER_SECOND: u64 = 75;

/// The first quoted string of a CUE/TOC line's arguments, else the first word.
pub(crate) fn quoted(rest: &str) -> Option<String> {
    let rest = rest.trim();
    if let Some(r) = rest.strip_prefix('"') {
        r.find('"').map(|end| r[..end].to_string())
    } else {
        rest.split_whitespace().next().map(str::to_string)
    }
}

/// `mm:ss:ff` (frames are 1/75 s) as sectors.
pub fn parse_msf(s: &str) -> Option<u64> {
    let mut it = s.split(':').map(|p| p.parse::<u64>().ok());
    let (m, sec, f) = (it.next()??, it.next()??, it.next()??);
    if it.next().is_some() || sec >= 60 || f >= 75 {
        return None;
    }
    Some((m * 60 + sec) * FRAMES_PER_SECOND + f)
}

/// Parse a CUE sheet strictly, for the sheets mixtape burns (`export
/// --check`): the lenient [`sheet::read_sheet`] reading, with anything it
/// would read past (an unknown command, a DATA track, a track without
/// INDEX 01) an error. `path` names it in errors (`path: line N: reason`).
pub fn parse_cue(path: &Path, text: &str) -> Result<sheet::Sheet> {
    let s = sheet::read_sheet(path, text.as_bytes())?;
    match s.warnings.first() {
        Some(w) => Err(Error::at(path, w.clone())),
        None => Ok(s),
    }
}

/// The `FILE` lines of a sheet: for each, the byte range of the file name
/// (inside the quotes, or the bare word).
fn file_names(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| start + i)
            .unwrap_or(bytes.len());
        let line = &bytes[start..end];
        let mut i = 0;
        // A BOM on the first line, then leading blanks.
        if start == 0 && line.starts_with(b"\xef\xbb\xbf") {
            i = 3;
        }
        while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        let is_file = line.len() >= i + 5
            && line[i..i + 4].eq_ignore_ascii_case(b"FILE")
            && (line[i + 4] == b' ' || line[i + 4] == b'\t');
        if is_file {
            i += 5;
            while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
                i += 1;
            }
            if line.get(i) == Some(&b'"') {
                if let Some(len) = line[i + 1..].iter().position(|&b| b == b'"') {
                    out.push(start + i + 1..start + i + 1 + len);
                }
            } else {
                let len = line[i..]
                    .iter()
                    .position(|b| b.is_ascii_whitespace())
                    .unwrap_or(line.len() - i);
                if len > 0 {
                    out.push(start + i..start + i + len);
                }
            }
        }
        start = end + 1;
    }
    out
}

/// `name` in the sheet's encoding: UTF-8 when the sheet is UTF-8 (or
/// ASCII), else Latin-1 when every character fits; `None` when it cannot
/// be written without mixing encodings.
fn encode_like(sheet: &[u8], name: &str) -> Option<Vec<u8>> {
    if name.is_ascii() || std::str::from_utf8(sheet).is_ok() {
        return Some(name.as_bytes().to_vec());
    }
    name.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// What [`rewrite_files`] did to a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The new sheet.
    pub bytes: Vec<u8>,
    /// How many `FILE` lines changed.
    pub changed: usize,
}

/// The sheet `bytes` with each `FILE` name found in `renames` (old name ->
/// new name, both as written in the sheet, i.e. file names beside it)
/// replaced; `None` when no line names a renamed file. A name that cannot
/// be written in the sheet's encoding is an error (`path` names it).
pub fn rewrite_files(
    path: &Path,
    bytes: &[u8],
    renames: &HashMap<Vec<u8>, String>,
) -> Result<Option<Rewritten>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut last = 0;
    let mut changed = 0;
    for r in file_names(bytes) {
        let Some(new) = renames.get(&bytes[r.clone()]) else {
            continue;
        };
        let Some(encoded) = encode_like(bytes, new) else {
            return Err(Error::at(
                path,
                format!("cannot write {new:?} into this sheet's 8-bit encoding"),
            ));
        };
        if encoded.contains(&b'"') || encoded.contains(&b'\n') {
            return Err(Error::at(
                path,
                format!("cannot write {new:?} into a FILE line"),
            ));
        }
        out.extend_from_slice(&bytes[last..r.start]);
        out.extend_from_slice(&encoded);
        last = r.end;
        changed += 1;
    }
    if changed == 0 {
        return Ok(None);
    }
    out.extend_from_slice(&bytes[last..]);
    Ok(Some(Rewritten {
        bytes: out,
        changed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renames(pairs: &[(&str, &str)]) -> HashMap<Vec<u8>, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.as_bytes().to_vec(), b.to_string()))
            .collect()
    }

    #[test]
    fn parse_msf_reads_minutes_seconds_frames() {
        assert_eq!(parse_msf("01:01:03"), Some(75 * 61 + 3));
        assert_eq!(parse_msf("00:61:00"), None);
        assert_eq!(parse_msf("00:00:75"), None);
    }

    /// Only the names change: CRLF line ends, the BOM, REM lines, the
    /// spacing, a bare (unquoted) name and a name not renamed stay.
    #[test]
    fn rewrite_keeps_every_other_byte() {
        let sheet = "\u{feff}REM GENRE Rock\r\nPERFORMER \"X\"\r\nFILE \"01 a.flac\" WAVE\r\n  TRACK 01 AUDIO\r\n    INDEX 01 00:00:00\r\n\tfile  02.flac WAVE\r\nFILE \"keep.wav\" WAVE\r\n";
        let r = rewrite_files(
            Path::new("x.cue"),
            sheet.as_bytes(),
            &renames(&[("01 a.flac", "01 Alpha.flac"), ("02.flac", "02 Beta.flac")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.changed, 2);
        assert_eq!(
            String::from_utf8(r.bytes).unwrap(),
            "\u{feff}REM GENRE Rock\r\nPERFORMER \"X\"\r\nFILE \"01 Alpha.flac\" WAVE\r\n  TRACK 01 AUDIO\r\n    INDEX 01 00:00:00\r\n\tfile  02 Beta.flac WAVE\r\nFILE \"keep.wav\" WAVE\r\n"
        );
        let none = rewrite_files(
            Path::new("x.cue"),
            sheet.as_bytes(),
            &renames(&[("z", "y")]),
        );
        assert_eq!(none.unwrap(), None);
    }

    /// A Latin-1 sheet stays Latin-1; a name it cannot hold is an error.
    #[test]
    fn rewrite_keeps_a_latin1_sheet_in_latin1() {
        let sheet = b"TITLE \"Caf\xe9\"\nFILE \"a.wav\" WAVE\n";
        let r = rewrite_files(
            Path::new("x.cue"),
            sheet,
            &renames(&[("a.wav", "Déjà.wav")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            r.bytes,
            b"TITLE \"Caf\xe9\"\nFILE \"D\xe9j\xe0.wav\" WAVE\n"
        );
        let e = rewrite_files(
            Path::new("x.cue"),
            sheet,
            &renames(&[("a.wav", "日本.wav")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("x.cue: cannot write"), "{e}");
    }
}
