//! M3U and M3U8: one location per line, `#` lines are comments, and the
//! extended form's `#EXTINF:secs,Artist - Title` describes the next location.
//!
//! Reading accepts a BOM, CRLF or CR line ends, and Latin-1/CP1252 text (see
//! [`super::decode_text`]); binary junk is refused with its position. Writing
//! always produces extended M3U in UTF-8 (M3U8), without a BOM.

use super::{
    check_text, decode_text, numbered_lines, parse_seconds, plain_text, split_display,
    strip_prefix_ci, whole_seconds, ExportEntry, ParseError, RawEntry,
};

/// Parse an M3U/M3U8 file. Linear in the size of the input.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawEntry>, ParseError> {
    let text = decode_text(bytes);
    check_text(&text)?;
    let mut entries = Vec::new();
    // (duration, artist, title) from the last #EXTINF, for the next location.
    let mut pending: Option<(Option<f64>, Option<String>, Option<String>)> = None;
    for (line_no, line) in numbered_lines(&text) {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = strip_prefix_ci(line, "#EXTINF:") {
            pending = Some(parse_extinf(rest));
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (duration, artist, title) = pending.take().unwrap_or((None, None, None));
        entries.push(RawEntry {
            location: line.to_string(),
            line: line_no,
            artist,
            title,
            duration,
        });
    }
    Ok(entries)
}

/// `secs[ attributes],Artist - Title` -> (duration, artist, title). A negative
/// or unreadable duration is unknown.
fn parse_extinf(rest: &str) -> (Option<f64>, Option<String>, Option<String>) {
    // The display text starts after the first comma outside the quoted
    // attribute values (`tvg-name="a,b"`).
    let mut quoted = false;
    let comma = rest.char_indices().find(|&(_, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        c == ',' && !quoted
    });
    let (head, display) = match comma {
        Some((i, _)) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let secs = head.split_whitespace().next().unwrap_or("");
    let duration = parse_seconds(secs);
    let (artist, title) = split_display(display);
    (duration, artist, title)
}

/// Write extended M3U (UTF-8): `#EXTM3U`, then `#EXTINF:secs,Artist - Title`
/// and the location for every entry. Control characters are replaced (see
/// [`super::plain_text`]): a line break cannot be represented in M3U, and
/// the others would make the file unreadable to an import.
pub fn write(entries: &[ExportEntry]) -> String {
    let mut out = String::from("#EXTM3U\n");
    for e in entries {
        let secs = whole_seconds(e.duration);
        let display = e.display().unwrap_or_default();
        out.push_str(&format!("#EXTINF:{secs},{}\n", plain_text(&display)));
        out.push_str(&plain_text(&e.location));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locs(v: &[RawEntry]) -> Vec<(&str, usize)> {
        v.iter().map(|e| (e.location.as_str(), e.line)).collect()
    }

    #[test]
    fn plain_m3u_with_line_numbers() {
        let e = parse(b"/a/b.mp3\n\n# comment\nrel/c.flac\n").unwrap();
        assert_eq!(locs(&e), vec![("/a/b.mp3", 1), ("rel/c.flac", 4)]);
        assert_eq!(e[0].duration, None);
    }

    #[test]
    fn bom_crlf_and_extinf() {
        let bytes = b"\xEF\xBB\xBF#EXTM3U\r\n#EXTINF:215,Queen - Bohemian Rhapsody\r\nC:\\Music\\q.mp3\r\n#EXTINF:-1,Intro\r\nintro.mp3\r\n";
        let e = parse(bytes).unwrap();
        assert_eq!(locs(&e), vec![("C:\\Music\\q.mp3", 3), ("intro.mp3", 5)]);
        assert_eq!(e[0].duration, Some(215.0));
        assert_eq!(e[0].artist.as_deref(), Some("Queen"));
        assert_eq!(e[0].title.as_deref(), Some("Bohemian Rhapsody"));
        assert_eq!(e[1].duration, None);
        assert_eq!(e[1].artist, None);
        assert_eq!(e[1].title.as_deref(), Some("Intro"));
    }

    #[test]
    fn extinf_with_attributes_and_lowercase() {
        let e = parse(b"#extinf:12.5 tvg-id=\"x,y\",A - B, Part 2\nx.mp3\n").unwrap();
        assert_eq!(e[0].duration, Some(12.5));
        assert_eq!(e[0].artist.as_deref(), Some("A"));
        assert_eq!(e[0].title.as_deref(), Some("B, Part 2"));
    }

    #[test]
    fn extinf_applies_only_to_next_location() {
        let e = parse(b"#EXTINF:10,A - B\na.mp3\nb.mp3\n").unwrap();
        assert_eq!(e[1].title, None);
    }

    #[test]
    fn latin1_m3u() {
        let e = parse(b"#EXTM3U\n#EXTINF:100,Bj\xf6rk - J\xf3ga\n/music/Bj\xf6rk/J\xf3ga.mp3\n")
            .unwrap();
        assert_eq!(e[0].location, "/music/Björk/Jóga.mp3");
        assert_eq!(e[0].artist.as_deref(), Some("Björk"));
    }

    #[test]
    fn binary_junk_is_an_error_with_position() {
        let err = parse(b"#EXTM3U\n/a.mp3\n\x00\x01\x02junk").unwrap_err();
        assert_eq!((err.line, err.column), (3, 1));
        assert!(err.message.contains("not a text playlist"), "{err}");
    }

    #[test]
    fn writes_extended_m3u() {
        let out = write(&[
            ExportEntry {
                location: "/m/a.flac".into(),
                duration: Some(215.4),
                artist: Some("Queen".into()),
                title: Some("Bohemian\nRhapsody".into()),
            },
            ExportEntry {
                location: "b.mp3".into(),
                ..Default::default()
            },
        ]);
        assert_eq!(
            out,
            "#EXTM3U\n#EXTINF:215,Queen - Bohemian Rhapsody\n/m/a.flac\n#EXTINF:-1,\nb.mp3\n"
        );
        let back = parse(out.as_bytes()).unwrap();
        assert_eq!(locs(&back), vec![("/m/a.flac", 3), ("b.mp3", 5)]);
        assert_eq!(back[0].duration, Some(215.0));
    }

    /// Issue 12: a title with control characters made an exported playlist
    /// that the import refused as a whole.
    #[test]
    fn control_characters_are_replaced_so_the_file_reads_back() {
        for write in [
            write as fn(&[ExportEntry]) -> String,
            crate::playlist::pls::write,
        ] {
            let out = write(&[ExportEntry {
                location: "/m/a\u{1}b.flac".into(),
                duration: Some(1.0),
                artist: Some("A\u{7f}".into()),
                title: Some("T\u{1}\u{9b}\tx\u{85}y".into()),
            }]);
            assert!(
                !out.contains(|c: char| c.is_control() && c != '\n'),
                "{out:?}"
            );
            assert!(out.contains("A\u{fffd} - T\u{fffd}\u{fffd} x y"), "{out:?}");
            let fmt = crate::playlist::Format::detect(None, out.as_bytes());
            let back = fmt.parse(out.as_bytes()).unwrap();
            assert_eq!(back.len(), 1);
            assert_eq!(back[0].location, "/m/a\u{fffd}b.flac");
        }
    }

    #[test]
    fn hundred_thousand_lines() {
        let mut s = String::from("#EXTM3U\n");
        for i in 0..100_000 {
            s.push_str(&format!("#EXTINF:{i},A - T{i}\n/music/{i}.mp3\n"));
        }
        let e = parse(s.as_bytes()).unwrap();
        assert_eq!(e.len(), 100_000);
        assert_eq!(e[99_999].line, 200_001);
    }
}
