//! `playlist import` and `playlist export`: playlist files in and out of the
//! library.
//!
//! Import reads one file (the playlist itself), parses it, matches every
//! entry against the library's rows ([`super::matcher`]) and stores a static
//! playlist whose entries keep their source text and line. It never opens a
//! file named by an entry, so nothing outside the scanned roots is read, and
//! a reference to another playlist is reported, not followed.
//!
//! Export writes entries as paths (absolute, or relative to the output
//! folder), with backslashes on request, through a temporary file and a
//! rename. Missing and unresolved entries are written as their last known
//! location and reported, so an export followed by an import gives back the
//! same entries.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::location::{self, Location};
use super::matcher::{How, Matcher, Resolution};
use super::store::{self, EntryStatus, NewEntry, Playlist};
use super::{is_playlist_reference, ExportEntry, Format};
use crate::error::{Error, PlaylistErrorKind, Result};
use crate::library::Library;

/// Playlist files larger than this are refused (a 100k-entry M3U8 is ~10 MB).
pub const MAX_PLAYLIST_BYTES: u64 = 256 << 20;

/// One remark an import makes about one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportNote {
    /// The line of the entry in the imported file.
    pub line: usize,
    /// Whether the entry was kept unresolved (else it matched by a fallback).
    pub unresolved: bool,
    /// E.g. "matched by name+duration to /new/path", or "unresolved: ... (not in the library)".
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The playlist created.
    pub playlist: Playlist,
    /// The format read.
    pub format: Format,
    /// Number of entries stored (every entry of the file).
    pub entries: usize,
    /// Entries whose path is a library track's path.
    pub exact: usize,
    /// Entries matched by a fallback (case, name + folder/tags/duration).
    pub matched: usize,
    /// Entries kept unresolved.
    pub unresolved: usize,
    /// One note per entry that was not an exact match, in file order.
    pub notes: Vec<ImportNote>,
}

/// The folder a playlist file lives in, absolute (canonical when possible).
fn folder_of(file: &Path) -> PathBuf {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.canonicalize().unwrap_or(location::normalize(&dir))
}

/// The longest line an M3U or PLS file may have, in bytes. A real line
/// (a path, an `#EXTINF`) is a few hundred bytes; XSPF, where line breaks
/// mean nothing, has only the size limit.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Counts line lengths in a byte stream (in code units for UTF-16 with a
/// BOM), so that a line-based playlist with an endless line is refused
/// after [`MAX_LINE_BYTES`] rather than read to the end. Lines are
/// numbered as [`super::numbered_lines`] does (CR, LF and CRLF end a line).
struct LineCap {
    line: usize,
    len: usize,
    after_cr: bool,
    /// UTF-16 with a BOM: the unit order, and a byte waiting for its pair.
    utf16: Option<(UnitOrder, Option<u8>)>,
}

/// Two bytes to a UTF-16 code unit (little or big endian).
type UnitOrder = fn([u8; 2]) -> u16;

impl LineCap {
    fn new(head: &[u8]) -> LineCap {
        let utf16: Option<UnitOrder> = match head {
            [0xFF, 0xFE, ..] => Some(u16::from_le_bytes),
            [0xFE, 0xFF, ..] => Some(u16::from_be_bytes),
            _ => None,
        };
        LineCap {
            line: 1,
            len: 0,
            after_cr: false,
            utf16: utf16.map(|f| (f, None)),
        }
    }

    /// Count `chunk`; `Err(line)` when that line grows past the limit.
    fn feed(&mut self, chunk: &[u8]) -> std::result::Result<(), usize> {
        match self.utf16 {
            None => chunk.iter().try_for_each(|&b| self.unit(b as u16, 1)),
            Some((order, mut odd)) => {
                let r = chunk.iter().try_for_each(|&b| match odd.take() {
                    None => {
                        odd = Some(b);
                        Ok(())
                    }
                    Some(first) => self.unit(order([first, b]), 2),
                });
                self.utf16 = Some((order, odd));
                r
            }
        }
    }

    fn unit(&mut self, u: u16, bytes: usize) -> std::result::Result<(), usize> {
        match u {
            // A UTF-16 byte order mark is not part of the line.
            0xFEFF if bytes == 2 => {}
            0x0D => {
                self.line += 1;
                self.len = 0;
                self.after_cr = true;
            }
            0x0A => {
                if !self.after_cr {
                    self.line += 1;
                }
                self.len = 0;
                self.after_cr = false;
            }
            _ => {
                self.after_cr = false;
                self.len += bytes;
                if self.len > MAX_LINE_BYTES {
                    return Err(self.line);
                }
            }
        }
        Ok(())
    }
}

/// Read the playlist `file` and decide its format, refusing more than
/// `limit` bytes and, for M3U and PLS, a line longer than
/// [`MAX_LINE_BYTES`]. Both limits are enforced while reading: a pipe or a
/// device such as /dev/zero reports no size, and an endless line is
/// refused without being read to its end.
fn read_playlist(file: &Path, limit: u64) -> Result<(Vec<u8>, Format)> {
    let mut f = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
    let mut bytes = Vec::new();
    // The head is what `Format::detect` looks at.
    (&mut f)
        .take(4096)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(file, e))?;
    let format = Format::detect(Some(file), &bytes);
    let mut cap = (format != Format::Xspf).then(|| LineCap::new(&bytes));
    let mut from = 0;
    loop {
        if bytes.len() as u64 > limit {
            return Err(Error::playlist_file(
                PlaylistErrorKind::BadFile,
                file,
                format!("too large for a playlist (more than {limit} bytes)"),
            ));
        }
        if let Some(c) = cap.as_mut() {
            if let Err(line) = c.feed(&bytes[from..]) {
                return Err(Error::playlist_file(
                    PlaylistErrorKind::BadFile,
                    file,
                    format!("line {line} is longer than {MAX_LINE_BYTES} bytes"),
                ));
            }
        }
        from = bytes.len();
        let n = (&mut f)
            .take(1 << 16)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(file, e))?;
        if n == 0 {
            return Ok((bytes, format));
        }
    }
}

/// Import the playlist file `file` as a new static playlist called `name`
/// (default: the file name without its extension). With `replace`, an
/// existing playlist of that name is replaced; otherwise it is an error.
pub fn import(
    lib: &mut Library,
    file: &Path,
    name: Option<&str>,
    replace: bool,
) -> Result<ImportReport> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io(file, e))?;
    if meta.is_dir() {
        return Err(Error::playlist_file(
            PlaylistErrorKind::BadFile,
            file,
            "is a folder, not a playlist file",
        ));
    }
    let (bytes, format) = read_playlist(file, MAX_PLAYLIST_BYTES)?;
    let raw = format.parse(&bytes).map_err(|e| {
        Error::playlist_file(PlaylistErrorKind::BadFile, file, format!("{format}: {e}"))
    })?;
    let name = match name {
        Some(n) => n.to_string(),
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into()),
    };
    if let Some(existing) = store::get(lib, &name)? {
        if !replace {
            return Err(Error::playlist(
                PlaylistErrorKind::Exists,
                &existing.name,
                format!(
                    "a playlist named '{}' already exists (use --name to pick another, or --replace)",
                    existing.name
                ),
            ));
        }
    }

    let base = folder_of(file);
    let own_path = base.join(file.file_name().unwrap_or_default());
    let matcher = Matcher::new(lib)?;
    let uri = format == Format::Xspf;
    let mut report_notes = Vec::new();
    let (mut exact, mut matched, mut unresolved) = (0, 0, 0);
    let mut entries = Vec::with_capacity(raw.len());
    for e in &raw {
        let loc = location::interpret(&e.location, &base, uri);
        let resolution = if is_playlist_reference(&e.location) {
            let own = own_path.to_string_lossy().to_lowercase();
            let what = if matches!(&loc, Location::Path(p) if p.to_string_lossy().to_lowercase() == own)
            {
                "refers to this playlist itself"
            } else {
                "is another playlist"
            };
            Resolution::Unresolved {
                reason: format!("{what}; playlist references are not followed"),
            }
        } else {
            matcher.resolve(&loc, e)
        };
        let source = match &loc {
            Location::Empty => e
                .title
                .as_ref()
                .map(|t| match &e.artist {
                    Some(a) => format!("{a} - {t}"),
                    None => t.clone(),
                })
                .unwrap_or_default(),
            other => other.source_text(),
        };
        let track_id = match resolution {
            Resolution::Matched {
                track_id,
                path,
                how,
            } => {
                match how {
                    How::Exact => exact += 1,
                    How::IgnoringCase => {
                        matched += 1;
                        report_notes.push(ImportNote {
                            line: e.line,
                            unresolved: false,
                            message: format!(
                                "matched ignoring case or Unicode form to {}",
                                path.display()
                            ),
                        });
                    }
                    How::ByName { evidence } => {
                        matched += 1;
                        report_notes.push(ImportNote {
                            line: e.line,
                            unresolved: false,
                            message: format!("matched by {evidence} to {}", path.display()),
                        });
                    }
                }
                Some(track_id)
            }
            Resolution::Unresolved { reason } => {
                unresolved += 1;
                let shown = if e.location.trim().is_empty() {
                    "(no location)".to_string()
                } else {
                    e.location.trim().to_string()
                };
                report_notes.push(ImportNote {
                    line: e.line,
                    unresolved: true,
                    message: format!("unresolved: {shown} ({reason})"),
                });
                None
            }
        };
        entries.push(NewEntry {
            track_id,
            source: Some(source),
            source_line: Some(e.line as i64),
        });
    }
    let playlist = store::create_with_entries(lib, &name, None, &entries, replace)?;
    Ok(ImportReport {
        playlist,
        format,
        entries: entries.len(),
        exact,
        matched,
        unresolved,
        notes: report_notes,
    })
}

/// How to write a playlist file.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The file format.
    pub format: Format,
    /// The file to write.
    pub to: PathBuf,
    /// Write paths relative to `relative_to` (default: the output file's folder).
    pub relative: bool,
    /// The folder relative paths start from.
    pub relative_to: Option<PathBuf>,
    /// Write `\` instead of `/` (M3U and PLS; XSPF URIs always use `/`).
    pub windows_paths: bool,
    /// Replace an existing file.
    pub overwrite: bool,
}

/// What an export did.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The file written.
    pub path: PathBuf,
    /// Entries written.
    pub written: usize,
    /// (position, status, location written) of missing and unresolved entries.
    pub problems: Vec<(usize, EntryStatus, String)>,
    /// Positions of paths that are not valid UTF-8, or hold control
    /// characters, and were written with U+FFFD in M3U8/PLS (XSPF
    /// percent-encodes them exactly).
    pub lossy: Vec<usize>,
}

fn absolute_folder(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| {
        location::normalize(&std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()))
    })
}

/// Write the playlist `name` to a file as `opts` say.
pub fn export(lib: &Library, name: &str, opts: &ExportOptions) -> Result<ExportReport> {
    let playlist = store::find(lib, name)?;
    let entries = store::entries(lib, &playlist)?;
    let to_abs = std::path::absolute(&opts.to).map_err(|e| Error::io(&opts.to, e))?;
    if to_abs.is_dir() {
        return Err(Error::playlist_file(
            PlaylistErrorKind::Destination,
            &opts.to,
            "is a folder; give the playlist file to write",
        ));
    }
    if !opts.overwrite && to_abs.symlink_metadata().is_ok() {
        return Err(Error::playlist_file(
            PlaylistErrorKind::Destination,
            &opts.to,
            "already exists (use --force to replace it)",
        ));
    }
    let base = match &opts.relative_to {
        Some(d) => absolute_folder(d),
        None => absolute_folder(to_abs.parent().unwrap_or(Path::new("/"))),
    };
    let mut problems = Vec::new();
    let mut lossy = Vec::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in &entries {
        let status = e.status();
        // A local path when there is one (the track's, or an unresolved
        // entry's absolute source); otherwise the source text as it was.
        let (path, text): (Option<PathBuf>, String) = match &e.track {
            Some(t) => (Some(t.path.clone()), String::new()),
            None => {
                let src = e.source.clone().unwrap_or_default();
                if Path::new(&src).is_absolute() && !src.starts_with('\\') {
                    (Some(PathBuf::from(&src)), src)
                } else {
                    (None, src)
                }
            }
        };
        let location = match path {
            Some(p) => {
                let p = if opts.relative {
                    location::relative_path(&p, &base)
                } else {
                    p
                };
                let text = p.to_str();
                if opts.format != Format::Xspf && text.is_none_or(super::has_control) {
                    lossy.push(e.position);
                }
                match opts.format {
                    Format::Xspf => location::path_to_uri(&p),
                    _ if opts.windows_paths => p.to_string_lossy().replace('/', "\\"),
                    _ => p.to_string_lossy().into_owned(),
                }
            }
            None => match opts.format {
                Format::Xspf => windows_text_to_uri(&text),
                _ => text,
            },
        };
        if status != EntryStatus::Ok {
            problems.push((e.position, status, location.clone()));
        }
        out.push(ExportEntry {
            location,
            duration: e.track.as_ref().and_then(|t| t.props.length),
            artist: e.track.as_ref().and_then(|t| t.tags.artist.clone()),
            title: e.track.as_ref().and_then(|t| t.tags.title.clone()),
        });
    }
    let text = opts.format.write(&playlist.name, &out);
    crate::fsops::write_atomic(&to_abs, text.as_bytes(), opts.overwrite)?;
    Ok(ExportReport {
        path: to_abs,
        written: out.len(),
        problems,
        lossy,
    })
}

/// An unresolved source that is not a local path, for an XSPF `<location>`:
/// a Windows path becomes `file:///C:/...`; a URL stays as it is.
fn windows_text_to_uri(text: &str) -> String {
    let b = text.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if drive {
        let rest = text[2..].replace('\\', "/");
        return format!(
            "file:///{}{}",
            &text[..2],
            location::percent_encode(rest.as_bytes())
        );
    }
    if let Some(unc) = text.strip_prefix("\\\\") {
        return format!(
            "file://{}",
            location::percent_encode(unc.replace('\\', "/").as_bytes())
        );
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::store::tests::fixture;

    fn rows() -> Vec<(&'static str, &'static str, &'static str, f64)> {
        vec![
            (
                "/m/Queen/Opera/01 Bohemian Rhapsody.flac",
                "Queen",
                "Bohemian Rhapsody",
                355.0,
            ),
            ("/m/Björk/Post/Army of Me.mp3", "Björk", "Army of Me", 234.0),
            (
                "/m/AC DC/Back in Black/Hells Bells #1 100%.mp3",
                "AC/DC",
                "Hells Bells",
                312.0,
            ),
            ("/m/new/place/moved.mp3", "Moved", "Song", 200.0),
        ]
    }

    fn ids(lib: &Library, name: &str) -> Vec<(Option<i64>, Option<String>)> {
        let p = store::find(lib, name).unwrap();
        store::entries(lib, &p)
            .unwrap()
            .into_iter()
            .map(|e| (e.track.map(|t| t.id), e.source))
            .collect()
    }

    #[test]
    fn imports_with_fallbacks_and_reports_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(dir.path(), &rows());
        let list = dir.path().join("list.m3u");
        std::fs::write(
            &list,
            b"\xEF\xBB\xBF#EXTM3U\r\n\
              #EXTINF:355,Queen - Bohemian Rhapsody\r\n\
              /m/Queen/Opera/01 Bohemian Rhapsody.flac\r\n\
              C:\\Users\\me\\Music\\Bj\xc3\xb6rk\\Post\\army of me.mp3\r\n\
              file:///m/AC%20DC/Back%20in%20Black/Hells%20Bells%20%231%20100%25.mp3\r\n\
              #EXTINF:201,Moved - Song\r\n\
              /old/moved.mp3\r\n\
              ../../../../../../../etc/passwd\r\n\
              other.m3u\r\n\
              http://radio.example/stream\r\n",
        )
        .unwrap();
        let r = import(&mut lib, &list, None, false).unwrap();
        assert_eq!(r.playlist.name, "list");
        assert_eq!(r.format, Format::M3u);
        assert_eq!((r.entries, r.exact, r.matched, r.unresolved), (7, 2, 2, 3));
        let notes: Vec<_> = r
            .notes
            .iter()
            .map(|n| (n.line, n.message.clone()))
            .collect();
        assert_eq!(notes[0].0, 4);
        assert!(
            notes[0]
                .1
                .starts_with("matched by name+folder to /m/Björk/Post/Army of Me.mp3"),
            "{notes:?}"
        );
        assert_eq!(
            notes[1],
            (
                7,
                "matched by name+tags+duration to /m/new/place/moved.mp3".into()
            )
        );
        assert_eq!(
            notes[2],
            (
                8,
                "unresolved: ../../../../../../../etc/passwd (not in the library)".into()
            )
        );
        assert!(
            notes[3].1.contains("playlist references are not followed"),
            "{notes:?}"
        );
        assert!(notes[4].1.contains("not a local file"), "{notes:?}");
        let got = ids(&lib, "list");
        assert_eq!(
            got.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![Some(1), Some(2), Some(3), Some(4), None, None, None]
        );
        assert_eq!(got[4].1.as_deref(), Some("/etc/passwd"));
        assert_eq!(got[6].1.as_deref(), Some("http://radio.example/stream"));

        // Same name again: refused, unless replaced.
        assert!(import(&mut lib, &list, None, false)
            .unwrap_err()
            .to_string()
            .contains("already exists"));
        import(&mut lib, &list, None, true).unwrap();
        assert_eq!(store::list(&lib).unwrap().len(), 1);
    }

    #[test]
    fn bad_files_are_errors_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(dir.path(), &rows());
        let bad = dir.path().join("bad.xspf");
        std::fs::write(&bad, "<playlist>\n<trackList>\n</playlist>\n").unwrap();
        let err = import(&mut lib, &bad, None, false).unwrap_err().to_string();
        assert!(err.contains("bad.xspf: xspf: line 3, column 1:"), "{err}");
        let junk = dir.path().join("junk.m3u");
        std::fs::write(&junk, [0u8, 1, 2, 3, 0xff, 0xfe, 0x00]).unwrap();
        let err = import(&mut lib, &junk, None, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 1, column 1: not a text playlist"),
            "{err}"
        );
        assert!(store::list(&lib).unwrap().is_empty());
        let err = import(&mut lib, &dir.path().join("none.m3u"), None, false).unwrap_err();
        assert!(err.to_string().contains("none.m3u"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn endless_input_is_cut_at_the_limit() {
        let err = read_playlist(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(
            err.to_string()
                .contains("/dev/zero: too large for a playlist"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.m3u");
        std::fs::write(&p, b"1234").unwrap();
        assert_eq!(read_playlist(&p, 4).unwrap().0, b"1234");
        assert!(read_playlist(&p, 3).is_err());
    }

    /// Issue 12: a line-based playlist with an endless line is refused,
    /// naming the line, after reading little more than the limit.
    #[test]
    fn an_endless_line_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("long.m3u8");
        let mut body = b"#EXTM3U\r\na.mp3\r\n".to_vec();
        body.resize(body.len() + MAX_LINE_BYTES + 1, b'x');
        std::fs::write(&p, &body).unwrap();
        let err = read_playlist(&p, MAX_PLAYLIST_BYTES).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: line 3 is longer than 1048576 bytes", p.display())
        );
        body.truncate(body.len() - 1);
        std::fs::write(&p, &body).unwrap();
        assert_eq!(read_playlist(&p, MAX_PLAYLIST_BYTES).unwrap().0, body);
        // UTF-16 counts code units: 2 bytes each.
        let mut wide = vec![0xFF, 0xFE];
        for _ in 0..(MAX_LINE_BYTES / 2) {
            wide.extend_from_slice(&[b'x', 0]);
        }
        wide.extend_from_slice(&[b'\n', 0, b'x', 0]);
        std::fs::write(&p, &wide).unwrap();
        read_playlist(&p, MAX_PLAYLIST_BYTES).unwrap();
        wide.truncate(wide.len() - 4);
        wide.extend_from_slice(&[b'x', 0]);
        std::fs::write(&p, &wide).unwrap();
        let err = read_playlist(&p, MAX_PLAYLIST_BYTES).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("line 1 is longer than 1048576 bytes"),
            "{err}"
        );
        // XSPF has no line limit.
        let xspf = dir.path().join("one-line.xspf");
        let mut doc = b"<?xml version=\"1.0\"?><playlist><trackList>".to_vec();
        while doc.len() <= MAX_LINE_BYTES {
            doc.extend_from_slice(b"<track><location>a.mp3</location></track>");
        }
        doc.extend_from_slice(b"</trackList></playlist>");
        std::fs::write(&xspf, &doc).unwrap();
        assert_eq!(
            read_playlist(&xspf, MAX_PLAYLIST_BYTES).unwrap().1,
            Format::Xspf
        );
    }

    #[test]
    fn round_trips_through_all_formats() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(dir.path(), &rows());
        let p = store::create(&mut lib, "Mix", None).unwrap();
        let entry = |id: Option<i64>, src: &str| NewEntry {
            track_id: id,
            source: Some(src.into()),
            source_line: None,
        };
        store::append(
            &mut lib,
            &p,
            &[
                entry(Some(3), "/m/AC DC/Back in Black/Hells Bells #1 100%.mp3"),
                entry(Some(2), "/m/Björk/Post/Army of Me.mp3"),
                entry(None, "/m/gone/lost.mp3"),
                entry(None, "x:\\This\\is\\å\\path\\to_a_file.mp3"),
                entry(Some(1), "/m/Queen/Opera/01 Bohemian Rhapsody.flac"),
                entry(Some(2), "/m/Björk/Post/Army of Me.mp3"),
            ],
        )
        .unwrap();
        lib.conn()
            .execute("UPDATE tracks SET missing = 1 WHERE id = 1", [])
            .unwrap();
        let want = ids(&lib, "Mix");
        let out = dir.path().join("out");
        for format in [Format::M3u8, Format::Pls, Format::Xspf] {
            for (relative, windows) in [(false, false), (true, false), (true, true), (false, true)]
            {
                let to = out.join(format!("mix-{relative}-{windows}.{}", format.name()));
                let r = export(
                    &lib,
                    "mix",
                    &ExportOptions {
                        format,
                        to: to.clone(),
                        relative,
                        relative_to: None,
                        windows_paths: windows,
                        overwrite: false,
                    },
                )
                .unwrap();
                assert_eq!(r.written, 6);
                assert_eq!(
                    r.problems.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
                    vec![
                        (3, EntryStatus::Unresolved),
                        (4, EntryStatus::Unresolved),
                        (5, EntryStatus::Missing)
                    ]
                );
                let text = std::fs::read_to_string(&to).unwrap();
                if relative && format != Format::Xspf {
                    let sep = if windows { "\\" } else { "/" };
                    assert!(
                        text.contains(&format!("..{sep}..{sep}m{sep}Björk")),
                        "{text}"
                    );
                }
                let name = format!("back {format} {relative} {windows}");
                let rep = import(&mut lib, &to, Some(&name), false).unwrap();
                let got = ids(&lib, &name);
                let got_ids: Vec<_> = got.iter().map(|e| e.0).collect();
                let want_ids: Vec<_> = want.iter().map(|e| e.0).collect();
                assert_eq!(
                    got_ids, want_ids,
                    "{format} relative={relative} windows={windows}: {text}"
                );
                // Unresolved entries come back with the same source text.
                if !windows || relative {
                    assert_eq!(got[2].1, want[2].1, "{format} {relative} {windows}: {text}");
                }
                assert_eq!(got[3].1, want[3].1, "{format} {relative} {windows}: {text}");
                assert_eq!(rep.unresolved, 2);
            }
        }
        // Not overwritten without permission.
        let err = export(
            &lib,
            "mix",
            &ExportOptions {
                format: Format::Pls,
                to: out.join("mix-false-false.pls"),
                relative: false,
                relative_to: None,
                windows_paths: false,
                overwrite: false,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_survive_xspf_and_are_reported_in_m3u8() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(dir.path(), &[]);
        let raw = std::ffi::OsStr::from_bytes(b"/m/caf\xe9 #1.mp3");
        lib.conn()
            .execute(
                "INSERT INTO tracks (path, root_id, size, mtime, added, scanned) VALUES (?1, 1, 1, 0, 0, 0)",
                [crate::library::path_to_bytes(Path::new(raw))],
            )
            .unwrap();
        let p = store::create(&mut lib, "L", None).unwrap();
        store::append(
            &mut lib,
            &p,
            &[NewEntry {
                track_id: Some(1),
                source: None,
                source_line: None,
            }],
        )
        .unwrap();
        let opts = |format: Format, name: &str| ExportOptions {
            format,
            to: dir.path().join(name),
            relative: false,
            relative_to: None,
            windows_paths: false,
            overwrite: false,
        };
        let r = export(&lib, "L", &opts(Format::M3u8, "l.m3u8")).unwrap();
        assert_eq!(r.lossy, vec![1]);
        let r = export(&lib, "L", &opts(Format::Xspf, "l.xspf")).unwrap();
        assert!(r.lossy.is_empty());
        let text = std::fs::read_to_string(dir.path().join("l.xspf")).unwrap();
        assert!(
            text.contains("<location>file:///m/caf%E9%20%231.mp3</location>"),
            "{text}"
        );
        let back = import(&mut lib, &dir.path().join("l.xspf"), Some("back"), false).unwrap();
        assert_eq!((back.exact, back.unresolved), (1, 0));
    }
}
