//! PLS: an INI file with a `[playlist]` section holding `FileN=`, `TitleN=`
//! and `LengthN=` keys, plus `NumberOfEntries` and `Version=2`.
//!
//! Entries are ordered by their number N (not by their place in the file); two
//! `FileN` with the same N are both kept, in file order. Keys are matched
//! case-insensitively; unknown keys and other sections are ignored, but a line
//! that is not `key=value` is an error naming it.

use super::{
    check_text, decode_text, numbered_lines, parse_seconds, plain_text, split_display,
    whole_seconds, ExportEntry, ParseError, RawEntry,
};

/// Parse a PLS file. Linear in the size of the input (plus one sort).
pub fn parse(bytes: &[u8]) -> Result<Vec<RawEntry>, ParseError> {
    let text = decode_text(bytes);
    check_text(&text)?;
    // (N, entry); titles and lengths are attached by N afterwards.
    let mut files: Vec<(u64, RawEntry)> = Vec::new();
    let mut titles = std::collections::HashMap::new();
    let mut lengths = std::collections::HashMap::new();
    let mut section: Option<String> = None;
    for (line_no, raw) in numbered_lines(&text) {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            if !line.ends_with(']') {
                return Err(ParseError::new(
                    line_no,
                    line.chars().count(),
                    "expected ']' to close the section name",
                ));
            }
            section = Some(line[1..line.len() - 1].trim().to_ascii_lowercase());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(ParseError::new(line_no, 1, "expected key=value"));
        };
        match section.as_deref() {
            Some("playlist") => {}
            Some(_) => continue,
            None => {
                return Err(ParseError::new(
                    line_no,
                    1,
                    "expected the [playlist] section before entries",
                ))
            }
        }
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        let numbered =
            |prefix: &str| -> Option<Result<u64, ParseError>> {
                let digits = key.strip_prefix(prefix)?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(digits.parse::<u64>().map_err(|_| {
                    ParseError::new(line_no, prefix.len() + 1, "entry number too large")
                }))
            };
        if let Some(n) = numbered("file") {
            files.push((
                n?,
                RawEntry {
                    location: value.to_string(),
                    line: line_no,
                    ..Default::default()
                },
            ));
        } else if let Some(n) = numbered("title") {
            titles.entry(n?).or_insert_with(|| value.to_string());
        } else if let Some(n) = numbered("length") {
            let secs = parse_seconds(value);
            lengths.entry(n?).or_insert(secs);
        }
    }
    files.sort_by_key(|(n, _)| *n);
    Ok(files
        .into_iter()
        .map(|(n, mut e)| {
            if let Some(t) = titles.get(&n) {
                let (artist, title) = split_display(t);
                e.artist = artist;
                e.title = title;
            }
            e.duration = lengths.get(&n).copied().flatten();
            e
        })
        .collect())
}

/// Write a PLS (version 2) file.
pub fn write(entries: &[ExportEntry]) -> String {
    let mut out = String::from("[playlist]\n");
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        out.push_str(&format!("File{n}={}\n", plain_text(&e.location)));
        if let Some(d) = e.display() {
            out.push_str(&format!("Title{n}={}\n", plain_text(&d)));
        }
        let secs = whole_seconds(e.duration);
        out.push_str(&format!("Length{n}={secs}\n"));
    }
    out.push_str(&format!("NumberOfEntries={}\nVersion=2\n", entries.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbered_entries_in_order() {
        let pls = b"[playlist]\r\nFile2=/m/b.mp3\r\nTitle2=B - Two\r\nFile1=C:\\m\\a.mp3\r\nTitle1=One\r\nLength1=61\r\nLength2=-1\r\nNumberOfEntries=2\r\nVersion=2\r\n";
        let e = parse(pls).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].location.as_str(), e[0].line), ("C:\\m\\a.mp3", 4));
        assert_eq!(e[0].title.as_deref(), Some("One"));
        assert_eq!(e[0].duration, Some(61.0));
        assert_eq!(e[1].artist.as_deref(), Some("B"));
        assert_eq!(e[1].duration, None);
    }

    #[test]
    fn case_insensitive_keys_and_bom() {
        let e = parse("\u{feff}[Playlist]\nfile1 = /a.mp3\n".as_bytes()).unwrap();
        assert_eq!(e[0].location, "/a.mp3");
    }

    #[test]
    fn duplicate_numbers_are_both_kept() {
        let e = parse(b"[playlist]\nFile1=/a.mp3\nFile1=/b.mp3\n").unwrap();
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse(b"[playlist]\nFile1=/a.mp3\nthis is not ini\n").unwrap_err();
        assert_eq!(err.line, 3);
        let err = parse(b"File1=/a.mp3\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = parse(b"[playlist\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = parse(b"[playlist]\nFile99999999999999999999999=/a\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn round_trip() {
        let entries = vec![
            ExportEntry {
                location: "/m/a b.flac".into(),
                duration: Some(100.2),
                artist: Some("A".into()),
                title: Some("T".into()),
            },
            ExportEntry {
                location: "..\\x.mp3".into(),
                ..Default::default()
            },
        ];
        let text = write(&entries);
        assert!(text.starts_with("[playlist]\nFile1=/m/a b.flac\nTitle1=A - T\nLength1=100\n"));
        assert!(text.ends_with("NumberOfEntries=2\nVersion=2\n"));
        let back = parse(text.as_bytes()).unwrap();
        assert_eq!(back[0].location, "/m/a b.flac");
        assert_eq!(back[0].duration, Some(100.0));
        assert_eq!(back[1].location, "..\\x.mp3");
    }
}
