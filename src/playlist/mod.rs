//! Playlists: smart (a query) and static (track identities), read and written
//! as M3U/M3U8, PLS and XSPF.
//!
//! The pieces, in the order data flows through an import:
//! - [`decode_text`] turns a playlist file's bytes into text (UTF-8 with or
//!   without BOM, UTF-16 with BOM, else Windows-1252/Latin-1);
//! - [`m3u`], [`pls`] and [`xspf`] are pure parsers (text -> [`RawEntry`]s
//!   with line numbers, or a [`ParseError`] naming the line and column) and
//!   writers ([`ExportEntry`]s -> text);
//! - [`resolve`] interprets a location (relative, absolute, Windows, `file://`)
//!   and matches it against the library's rows, never against the disk;
//! - [`store`] keeps playlists in the library: static entries point at
//!   `tracks.id`, so they survive moves, renames and rescans;
//! - [`transfer`] ties them together: `import` and `export`.
//!
//! Invariants: an import never opens a file named inside a playlist (only
//! library rows are consulted, so nothing outside the scanned roots is read),
//! and no entry is dropped: what cannot be matched is kept as unresolved,
//! with its text and line.

pub mod files;
pub mod location;
pub mod m3u;
pub mod matcher;
pub mod pls;
pub mod store;
pub mod xspf;

use std::fmt;
use std::path::Path;

pub use files::{export, import, ExportOptions, ExportReport, ImportNote, ImportReport};
pub use store::{Entry, EntryStatus, NewEntry, Playlist};

/// One entry as read from a playlist file, before it is matched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawEntry {
    /// The location exactly as written (after entity/encoding decoding).
    pub location: String,
    /// 1-based line of the location in the file.
    pub line: usize,
    /// Artist, from `#EXTINF:secs,Artist - Title`, PLS `TitleN` or XSPF `creator`.
    pub artist: Option<String>,
    /// Title (the whole `#EXTINF` text when it has no " - ").
    pub title: Option<String>,
    /// Duration in seconds, when the file gives one.
    pub duration: Option<f64>,
}

/// One entry to write to a playlist file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportEntry {
    /// The location as it should appear in the file (path or URL text).
    pub location: String,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Artist, for `#EXTINF`, `TitleN` and `creator`.
    pub artist: Option<String>,
    /// Title.
    pub title: Option<String>,
}

impl ExportEntry {
    /// "Artist - Title", "Title", or `None`.
    pub fn display(&self) -> Option<String> {
        match (&self.artist, &self.title) {
            (Some(a), Some(t)) => Some(format!("{a} - {t}")),
            (None, Some(t)) => Some(t.clone()),
            (Some(a), None) => Some(a.clone()),
            (None, None) => None,
        }
    }
}

/// Split an `#EXTINF`/PLS display text "Artist - Title" into its parts.
pub fn split_display(text: &str) -> (Option<String>, Option<String>) {
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    match text.split_once(" - ") {
        Some((a, t)) if !a.trim().is_empty() && !t.trim().is_empty() => {
            (Some(a.trim().to_string()), Some(t.trim().to_string()))
        }
        _ => (None, Some(text.to_string())),
    }
}

/// A playlist file that could not be parsed, with where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What was wrong.
    pub message: String,
}

impl ParseError {
    /// An error at `line`, `column`.
    pub fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// The playlist file formats mixtape reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// M3U / extended M3U (`.m3u`, legacy encodings accepted).
    M3u,
    /// M3U8: extended M3U in UTF-8 (what mixtape writes).
    M3u8,
    /// PLS (`[playlist]`, `FileN=`).
    Pls,
    /// XSPF (XML Shareable Playlist Format).
    Xspf,
}

impl Format {
    /// Parse a `--format` value.
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "m3u" => Some(Format::M3u),
            "m3u8" => Some(Format::M3u8),
            "pls" => Some(Format::Pls),
            "xspf" => Some(Format::Xspf),
            _ => None,
        }
    }

    /// The usual name / extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::M3u => "m3u",
            Format::M3u8 => "m3u8",
            Format::Pls => "pls",
            Format::Xspf => "xspf",
        }
    }

    /// Decide the format of a playlist file from its content, then its
    /// extension: XML is XSPF, a `[playlist]` section is PLS, anything else
    /// is M3U.
    pub fn detect(path: Option<&Path>, bytes: &[u8]) -> Format {
        let text = decode_text(&bytes[..bytes.len().min(4096)]);
        let head = text.trim_start();
        if head.starts_with("<?xml") || head.starts_with("<playlist") {
            return Format::Xspf;
        }
        if head
            .get(..10)
            .is_some_and(|h| h.eq_ignore_ascii_case("[playlist]"))
        {
            return Format::Pls;
        }
        let ext = path
            .and_then(|p| p.extension())
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if head.starts_with("#EXTM3U") {
            return match ext.as_deref() {
                Some("m3u") => Format::M3u,
                _ => Format::M3u8,
            };
        }
        match ext.as_deref() {
            Some("xspf") => Format::Xspf,
            Some("pls") => Format::Pls,
            Some("m3u8") => Format::M3u8,
            _ => Format::M3u,
        }
    }

    /// Parse `bytes` as this format.
    pub fn parse(self, bytes: &[u8]) -> Result<Vec<RawEntry>, ParseError> {
        match self {
            Format::M3u | Format::M3u8 => m3u::parse(bytes),
            Format::Pls => pls::parse(bytes),
            Format::Xspf => xspf::parse(bytes),
        }
    }

    /// Write `entries` in this format (`name` is the playlist's title).
    pub fn write(self, name: &str, entries: &[ExportEntry]) -> String {
        match self {
            Format::M3u | Format::M3u8 => m3u::write(entries),
            Format::Pls => pls::write(entries),
            Format::Xspf => xspf::write(name, entries),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Playlist file bytes as text: a UTF-8 BOM is dropped, UTF-16 with a BOM
/// is decoded, valid UTF-8 is taken as is, and anything else is read as
/// Windows-1252 (a superset of Latin-1's printable range), which is what old
/// `.m3u` files written on Windows are.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => s.to_string(),
            Err(_) => decode_cp1252(rest),
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => decode_cp1252(bytes),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252 to text; the five undefined bytes map to the C1 controls of
/// the same value (as Latin-1 does).
pub fn decode_cp1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[(b - 0x80) as usize],
            _ => b as char,
        })
        .collect()
}

/// The first character of `text` that cannot appear in a text playlist (NUL
/// and other C0 controls besides tab, CR, LF and form feed), as a
/// [`ParseError`] pointing at it: binary junk is refused, not guessed at.
pub(crate) fn check_text(text: &str) -> Result<(), ParseError> {
    for (i, line) in text.split('\n').enumerate() {
        if let Some((col, c)) = line
            .chars()
            .enumerate()
            .find(|(_, c)| (*c < ' ' && !matches!(c, '\t' | '\r' | '\x0c')) || *c == '\u{7f}')
        {
            return Err(ParseError::new(
                i + 1,
                col + 1,
                format!("not a text playlist (control character U+{:04X})", c as u32),
            ));
        }
    }
    Ok(())
}

/// Lines of `text` with their 1-based numbers; `\r\n`, `\n` and lone `\r`
/// all end a line.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .flat_map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            // A lone CR (classic Mac) also ends a line; split it here.
            l.split('\r')
        })
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// `s` without `prefix`, compared ignoring ASCII case.
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A duration in seconds as written in a playlist; negative (`-1` means
/// unknown), NaN or unreadable values are `None`.
pub(crate) fn parse_seconds(text: &str) -> Option<f64> {
    valid_seconds(text.trim().parse::<f64>().ok())
}

/// A known, usable duration.
pub(crate) fn valid_seconds(d: Option<f64>) -> Option<f64> {
    d.filter(|d| d.is_finite() && *d >= 0.0)
}

/// Whole seconds for `#EXTINF` and `LengthN`, `-1` when unknown.
pub(crate) fn whole_seconds(d: Option<f64>) -> i64 {
    valid_seconds(d).map(|d| d.round() as i64).unwrap_or(-1)
}

/// A text on one line with no control characters, as every playlist
/// writer (and the export's M3U8) puts titles and locations: white-space
/// controls (tab, line breaks, form feed, NEL) become spaces, and the
/// other controls (C0, DEL, C1), which an import refuses or a terminal
/// obeys, become U+FFFD.
pub fn plain_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if !c.is_control() => c,
            c if c.is_whitespace() => ' ',
            _ => '\u{fffd}',
        })
        .collect()
}

/// Does `s` hold a character [`plain_text`] would change?
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Is `location` itself a playlist file (which an import reports instead of
/// following)?
pub fn is_playlist_reference(location: &str) -> bool {
    let lower = location.trim().to_ascii_lowercase();
    [".m3u", ".m3u8", ".pls", ".xspf"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_utf16_and_latin1() {
        assert_eq!(decode_text(b"\xEF\xBB\xBF#EXTM3U"), "#EXTM3U");
        assert_eq!(decode_text(b"\xFF\xFEa\0b\0"), "ab");
        assert_eq!(decode_text(b"\xFE\xFF\0a\0b"), "ab");
        // "Café Ménage" in Latin-1, plus a CP1252 right quote.
        assert_eq!(decode_text(b"Caf\xe9 M\xe9nage \x92"), "Café Ménage ’");
        assert_eq!(decode_text("Caf\u{e9}".as_bytes()), "Café");
    }

    #[test]
    fn detects_by_content_then_extension() {
        let p = |s: &str| Some(Path::new(s).to_path_buf());
        assert_eq!(
            Format::detect(p("a.m3u").as_deref(), b"<?xml version='1.0'?><playlist/>"),
            Format::Xspf
        );
        assert_eq!(
            Format::detect(p("a.txt").as_deref(), b"\xEF\xBB\xBF[Playlist]\nFile1=a"),
            Format::Pls
        );
        assert_eq!(Format::detect(p("a.pls").as_deref(), b""), Format::Pls);
        assert_eq!(Format::detect(p("a.XSPF").as_deref(), b""), Format::Xspf);
        assert_eq!(Format::detect(None, b"/a.mp3\n"), Format::M3u);
    }

    #[test]
    fn splits_display() {
        assert_eq!(
            split_display("Queen - Bohemian Rhapsody"),
            (Some("Queen".into()), Some("Bohemian Rhapsody".into()))
        );
        assert_eq!(split_display("Intro"), (None, Some("Intro".into())));
        assert_eq!(split_display(" - x"), (None, Some("- x".into())));
        assert_eq!(split_display("  "), (None, None));
    }

    #[test]
    fn junk_is_refused_with_position() {
        let e = check_text("ok\nab\0c").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn lines_split_on_all_line_ends() {
        let lines: Vec<_> = numbered_lines("a\r\nb\rc\nd").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
    }
}

/// Property tests: arbitrary input gives entries or an error, never a panic,
/// and what the writers produce reads back. `PROPTEST_CASES` raises the
/// number of cases for a long run (the default keeps `cargo test` fast).
#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    /// Everything a parser returns must be usable: every location can be
    /// interpreted without a panic either.
    fn parse_all(bytes: &[u8]) {
        let base = PathBuf::from("/home/u/lists");
        for format in [Format::M3u, Format::Pls, Format::Xspf] {
            if let Ok(entries) = format.parse(bytes) {
                for e in entries {
                    assert!(e.line >= 1);
                    let _ = location::interpret(&e.location, &base, format == Format::Xspf);
                }
            }
        }
        let _ = Format::detect(None, bytes);
    }

    /// Fragments that steer random input into the parsers' deeper branches.
    fn fragments() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop_oneof![
            Just("<?xml version='1.0'?>".to_string()),
            Just("<playlist>".to_string()),
            Just("</playlist>".to_string()),
            Just("<trackList>".to_string()),
            Just("</trackList>".to_string()),
            Just("<track>".to_string()),
            Just("</track>".to_string()),
            Just("<location>".to_string()),
            Just("</location>".to_string()),
            Just("<duration>".to_string()),
            Just("<x:track a='1' b=\"&amp;\"/>".to_string()),
            Just("<![CDATA[".to_string()),
            Just("]]>".to_string()),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            Just("<!DOCTYPE x [".to_string()),
            Just("&#x".to_string()),
            Just("&#".to_string()),
            Just(";".to_string()),
            Just("[playlist]\n".to_string()),
            Just("File1=".to_string()),
            Just("Title1=".to_string()),
            Just("Length1=".to_string()),
            Just("#EXTM3U\r\n".to_string()),
            Just("#EXTINF:".to_string()),
            Just(",A - B\n".to_string()),
            Just("file:///".to_string()),
            Just("file://host/".to_string()),
            Just("C:\\".to_string()),
            Just("\\\\".to_string()),
            Just("%".to_string()),
            Just("%C3%A9".to_string()),
            Just("../".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\u{feff}".to_string()),
            "[ -~]{0,6}",
            "\\PC{0,3}",
        ];
        prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat().into_bytes())
    }

    fn text() -> impl Strategy<Value = String> {
        // Printable text without line breaks, " - " (which splits artist and
        // title) or leading/trailing spaces (which readers trim). Control
        // characters (C0, DEL, C1) are replaced on writing (`plain_text`).
        "[^\\x00-\\x1f\\x7f-\\x{9f}\u{feff}\u{fffe}\u{ffff}]{1,20}"
            .prop_filter("trimmed, no ' - '", |s| {
                s.trim() == s && !s.contains(" - ") && !s.starts_with('-') && !s.ends_with('-')
            })
    }

    fn entry() -> impl Strategy<Value = ExportEntry> {
        (
            text().prop_filter("not a comment", |s| {
                !s.starts_with('#') && !s.starts_with('[') && !s.starts_with(';')
            }),
            prop::option::of(0u32..100_000),
            prop::option::of(text()),
            prop::option::of(text()),
        )
            .prop_map(|(location, d, artist, title)| ExportEntry {
                location,
                duration: d.map(f64::from),
                artist: if title.is_some() { artist } else { None },
                title,
            })
    }

    /// The long run: each parser gets `MIXTAPE_FUZZ_SECS` seconds (default
    /// 300) of random bytes and playlist-like fragments; the case counts are
    /// printed. Run it with
    /// `cargo test --lib playlist::proptests::long_fuzz -- --ignored --nocapture`.
    #[test]
    #[ignore = "long fuzz run (minutes); run explicitly with --ignored"]
    fn long_fuzz() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let secs: u64 = std::env::var("MIXTAPE_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300);
        let inputs = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4096),
            fragments(),
            mutated()
        ];
        let base = PathBuf::from("/home/u/lists");
        for format in [Format::M3u, Format::Pls, Format::Xspf] {
            let mut runner = TestRunner::deterministic();
            let start = std::time::Instant::now();
            let (mut cases, mut ok) = (0u64, 0u64);
            while start.elapsed().as_secs() < secs {
                // A runner counts every rejected draw for good; over millions
                // of draws that exhausts its budget, so a fresh runner (with
                // an RNG forked from this one: still deterministic) goes on.
                let bytes = match inputs.new_tree(&mut runner) {
                    Ok(tree) => tree.current(),
                    Err(_) => {
                        let rng = runner.new_rng();
                        runner = TestRunner::new_with_rng(runner.config().clone(), rng);
                        continue;
                    }
                };
                let result = std::panic::catch_unwind(|| {
                    format.parse(&bytes).map(|entries| {
                        for e in &entries {
                            let _ = location::interpret(&e.location, &base, format == Format::Xspf);
                        }
                    })
                });
                match result {
                    Ok(r) => ok += u64::from(r.is_ok()),
                    Err(_) => panic!(
                        "{format} parser panicked on {:?}",
                        String::from_utf8_lossy(&bytes)
                    ),
                }
                cases += 1;
            }
            println!(
                "{format}: {cases} cases in {:.0} s ({ok} parsed, {} errors), no panic",
                start.elapsed().as_secs_f64(),
                cases - ok
            );
        }
    }

    /// A valid playlist of a random format, with a few random bytes
    /// overwritten, inserted or cut: input that gets deep into each parser.
    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec(entry(), 0..6),
            0usize..3,
            prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..4),
        )
            .prop_map(|(entries, f, edits)| {
                let format = [Format::M3u8, Format::Pls, Format::Xspf][f];
                let mut bytes = format.write("x", &entries).into_bytes();
                for (at, b, kind) in edits {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = at % bytes.len();
                    match kind {
                        0 => bytes[at] = b,
                        1 => bytes.insert(at, b),
                        _ => bytes.truncate(at),
                    }
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn mutated_playlists_never_panic(bytes in mutated()) {
            parse_all(&bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            parse_all(&bytes);
        }

        #[test]
        fn playlist_like_input_never_panics(bytes in fragments()) {
            parse_all(&bytes);
        }

        #[test]
        fn written_playlists_read_back(entries in prop::collection::vec(entry(), 0..12)) {
            for format in [Format::M3u8, Format::Pls, Format::Xspf] {
                let text = format.write("name & <list>", &entries);
                let back = format.parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{format}: {e}\n{text}")))?;
                prop_assert_eq!(back.len(), entries.len(), "{}", text);
                for (a, b) in entries.iter().zip(&back) {
                    prop_assert_eq!(&a.location, &b.location, "{}", format);
                    prop_assert_eq!(a.duration, b.duration, "{}", format);
                    prop_assert_eq!(&a.title, &b.title, "{}", format);
                    prop_assert_eq!(&a.artist, &b.artist, "{}", format);
                }
            }
        }
    }
}
