//! From an entry's text to a library track.
//!
//! [`interpret`] turns a location (relative or absolute path, Windows path,
//! `file://` URL, other URL) into a [`Location`] without touching the disk:
//! relative paths are joined to the playlist's folder and `..` is folded
//! lexically, so `../../../etc/passwd` is just a path that no library row has.
//!
//! [`Matcher`] then looks the location up among the library's rows, in order
//! of confidence: the exact path; the same path ignoring case and Unicode
//! normalisation form (a playlist made on macOS often spells `é` as `e` plus
//! a combining accent, NFD, where Linux file names are usually NFC); then, for a
//! path that no longer exists (or a Windows path), tracks with the same file
//! name confirmed by their folder, tags or duration; last, tags plus duration
//! from `#EXTINF`. Every fallback match says how it was made, and an entry
//! that matches nothing says why.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use super::{strip_prefix_ci, RawEntry};
use crate::error::Result;
use crate::library::{bytes_to_path, path_to_bytes, Library};

/// The key names and tags are compared by: lower case, then Unicode NFC, so
/// `Beyoncé` typed, `BEYONCÉ` and a decomposed `Beyonce\u{301}` all agree.
fn fold(s: &str) -> String {
    s.to_lowercase().nfc().collect()
}

/// Durations from playlists are whole seconds and encoders pad: this much
/// difference still confirms a match (and more contradicts it).
pub const DURATION_TOLERANCE: f64 = 2.0;

/// What an entry's text points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A local path: absolute and lexically normalised.
    Path(PathBuf),
    /// A Windows path (drive letter, UNC or rooted with `\`), which cannot be
    /// opened here: `text` is its canonical form (backslashes), `parts` its
    /// folders and file name, for matching by name.
    Windows {
        /// The path with backslashes, e.g. `C:\Music\a.mp3`.
        text: String,
        /// Its components after the drive or server, e.g. `["Music", "a.mp3"]`.
        parts: Vec<String>,
    },
    /// A URL that is not a local file (`http://...`): kept, never fetched.
    Remote(String),
    /// An empty location.
    Empty,
}

impl Location {
    /// The text to keep as the entry's `source`.
    pub fn source_text(&self) -> String {
        match self {
            Location::Path(p) => p.to_string_lossy().into_owned(),
            Location::Windows { text, .. } => text.clone(),
            Location::Remote(u) => u.clone(),
            Location::Empty => String::new(),
        }
    }
}

/// Interpret `text` from a playlist whose folder is `base` (absolute).
/// `uri` says the text is a URI reference (XSPF), so it is percent-decoded
/// even without a `file:` scheme.
pub fn interpret(text: &str, base: &Path, uri: bool) -> Location {
    let text = text.trim();
    if text.is_empty() {
        return Location::Empty;
    }
    if let Some(rest) = strip_prefix_ci(text, "file:") {
        return interpret_file_url(rest, base);
    }
    if has_scheme(text) {
        return Location::Remote(text.to_string());
    }
    if uri {
        let bytes = percent_decode(text);
        return match String::from_utf8(bytes) {
            Ok(s) => interpret_plain(&s, base),
            Err(e) => Location::Path(normalize(&base.join(bytes_to_path(e.as_bytes())))),
        };
    }
    interpret_plain(text, base)
}

/// A path as written in an M3U/PLS (or a decoded URI).
fn interpret_plain(text: &str, base: &Path) -> Location {
    if let Some(w) = windows_location(text) {
        return w;
    }
    if text.contains('\\') && !text.starts_with('/') {
        // A relative Windows path (`Album\01.mp3`): backslashes are separators.
        return Location::Path(normalize(&base.join(text.replace('\\', "/"))));
    }
    Location::Path(normalize(&base.join(text)))
}

/// `C:\...`, `C:/...`, `\\server\share\...` or `\rooted\...`.
fn windows_location(text: &str) -> Option<Location> {
    let b = text.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    let unc_or_rooted = b.first() == Some(&b'\\');
    if !drive && !unc_or_rooted {
        return None;
    }
    let body = if drive { &text[2..] } else { text };
    let parts: Vec<String> = body
        .split(['\\', '/'])
        .filter(|p| !p.is_empty() && *p != ".")
        .map(str::to_string)
        .collect();
    let mut canonical = if drive {
        text[..2].to_string()
    } else {
        String::new()
    };
    canonical.push_str(&body.replace('/', "\\"));
    Some(Location::Windows {
        text: canonical,
        parts,
    })
}

/// The part of a `file:` URL after the scheme.
fn interpret_file_url(rest: &str, base: &Path) -> Location {
    // file:///path, file://localhost/path, file://server/share (UNC), file:/path
    let path_part = if let Some(after) = rest.strip_prefix("//") {
        let (host, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
            let decoded = String::from_utf8_lossy(&percent_decode(path)).into_owned();
            let unc = format!("\\\\{host}{}", decoded.replace('/', "\\"));
            return windows_location(&unc).unwrap_or(Location::Remote(unc));
        }
        path
    } else {
        rest
    };
    // Drop a query or fragment.
    let path_part = path_part.split(['?', '#']).next().unwrap_or("");
    let bytes = percent_decode(path_part);
    // file:///C:/Music/a.mp3 is a Windows path.
    if let Ok(s) = std::str::from_utf8(&bytes) {
        let s2 = s.strip_prefix('/').unwrap_or(s);
        let b = s2.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            if let Some(w) = windows_location(s2) {
                return w;
            }
        }
    }
    Location::Path(normalize(&base.join(bytes_to_path(&bytes))))
}

/// `scheme://` with a scheme of two or more characters (so `C://` is not one).
fn has_scheme(text: &str) -> bool {
    match text.find("://") {
        Some(i) if i >= 2 => {
            let scheme = &text[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// Decode `%XX` escapes to raw bytes; a malformed escape is kept literally.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Percent-encode raw path bytes for a URI: unreserved characters and `/`
/// stay, everything else (spaces, `%`, `#`, `?`, non-ASCII bytes) is escaped.
pub fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `file://` URL for an absolute path, or a relative URI reference for a
/// relative one.
pub fn path_to_uri(path: &Path) -> String {
    let enc = percent_encode(&path_to_bytes(path));
    if path.is_absolute() {
        format!("file://{enc}")
    } else {
        enc
    }
}

/// Fold `.` and `..` without touching the disk (`..` never climbs above the root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `target` relative to folder `base` (both absolute and normalised), using
/// `..` where needed.
pub fn relative_path(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// How an entry was matched to a track.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// The path is a library track's path.
    Exact,
    /// The path matches a library track's path ignoring case and Unicode
    /// normalisation form.
    IgnoringCase,
    /// The file name matched, confirmed by `evidence` (e.g. "name+duration").
    ByName {
        /// What confirmed it, e.g. "name+folder+duration".
        evidence: String,
    },
}

/// The outcome of matching one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Matched to a track.
    Matched {
        /// The track's identity.
        track_id: i64,
        /// The track's path in the library.
        path: PathBuf,
        /// How.
        how: How,
    },
    /// Not matched; kept as an unresolved entry.
    Unresolved {
        /// Why, for the report.
        reason: String,
    },
}

struct Candidate {
    id: i64,
    path: PathBuf,
    /// Lower-cased components, file name last.
    parts: Vec<String>,
    length: Option<f64>,
    artist: Option<String>,
    title: Option<String>,
}

/// An in-memory index of the library's tracks for matching playlist entries.
/// Built once per import; every lookup is a hash probe plus a scan of the
/// (few) tracks sharing a file name, so a 100k-line playlist stays linear.
pub struct Matcher {
    tracks: Vec<Candidate>,
    by_path: HashMap<Vec<u8>, usize>,
    by_lower_path: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    by_tags: HashMap<(String, String), Vec<usize>>,
}

impl Matcher {
    /// Index every track row of `lib` (missing ones included: they are still
    /// identities a playlist can point at).
    pub fn new(lib: &Library) -> Result<Matcher> {
        let mut stmt = lib
            .conn()
            .prepare("SELECT id, path, length, artist, title FROM tracks ORDER BY id")
            .map_err(|e| lib.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| lib.err(e))?;
        let mut m = Matcher {
            tracks: Vec::new(),
            by_path: HashMap::new(),
            by_lower_path: HashMap::new(),
            by_name: HashMap::new(),
            by_tags: HashMap::new(),
        };
        for row in rows {
            let (id, bytes, length, artist, title) = row.map_err(|e| lib.err(e))?;
            m.add(id, bytes, length, artist, title);
        }
        Ok(m)
    }

    fn add(
        &mut self,
        id: i64,
        bytes: Vec<u8>,
        length: Option<f64>,
        artist: Option<String>,
        title: Option<String>,
    ) {
        let i = self.tracks.len();
        let path = bytes_to_path(&bytes);
        let parts: Vec<String> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(fold(&s.to_string_lossy())),
                _ => None,
            })
            .collect();
        self.by_path.insert(bytes, i);
        self.by_lower_path
            .entry(fold(&path.to_string_lossy()))
            .or_default()
            .push(i);
        if let Some(name) = parts.last() {
            self.by_name.entry(name.clone()).or_default().push(i);
        }
        if let (Some(a), Some(t)) = (&artist, &title) {
            self.by_tags
                .entry((fold(a.trim()), fold(t.trim())))
                .or_default()
                .push(i);
        }
        self.tracks.push(Candidate {
            id,
            path,
            parts,
            length,
            artist,
            title,
        });
    }

    fn matched(&self, i: usize, how: How) -> Resolution {
        Resolution::Matched {
            track_id: self.tracks[i].id,
            path: self.tracks[i].path.clone(),
            how,
        }
    }

    /// Match one entry whose text was interpreted as `loc`.
    pub fn resolve(&self, loc: &Location, entry: &RawEntry) -> Resolution {
        let parts: Vec<String> = match loc {
            Location::Empty => {
                return Resolution::Unresolved {
                    reason: "empty location".into(),
                }
            }
            Location::Remote(_) => {
                return Resolution::Unresolved {
                    reason: "not a local file (URL kept as is)".into(),
                }
            }
            Location::Path(p) => {
                if let Some(&i) = self.by_path.get(&path_to_bytes(p)) {
                    return self.matched(i, How::Exact);
                }
                if let Some(v) = self.by_lower_path.get(&fold(&p.to_string_lossy())) {
                    if v.len() == 1 {
                        return self.matched(v[0], How::IgnoringCase);
                    }
                }
                p.components()
                    .filter_map(|c| match c {
                        Component::Normal(s) => Some(fold(&s.to_string_lossy())),
                        _ => None,
                    })
                    .collect()
            }
            Location::Windows { parts, .. } => parts.iter().map(|p| fold(p)).collect(),
        };
        match self.by_name_evidence(&parts, entry) {
            Ok(r) => r,
            Err(reason) => self
                .by_tags(entry)
                .unwrap_or(Resolution::Unresolved { reason }),
        }
    }

    /// Tracks with the same file name, confirmed by folder, tags or duration.
    fn by_name_evidence(&self, parts: &[String], entry: &RawEntry) -> Result<Resolution, String> {
        let Some(name) = parts.last() else {
            return Err("no file name".into());
        };
        let Some(cands) = self.by_name.get(name) else {
            return Err("not in the library".into());
        };
        // (evidence count, common trailing components, index, evidence)
        let mut scored: Vec<(usize, usize, usize, Vec<&str>)> = Vec::new();
        for &i in cands {
            let c = &self.tracks[i];
            let tail = parts
                .iter()
                .rev()
                .zip(c.parts.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            let dur = duration_agrees(entry.duration, c.length);
            if dur == Some(false) {
                continue;
            }
            let mut evidence = vec!["name"];
            if tail >= 2 {
                evidence.push("folder");
            }
            if tags_agree(entry, c) {
                evidence.push("tags");
            }
            if dur == Some(true) {
                evidence.push("duration");
            }
            if evidence.len() > 1 {
                scored.push((evidence.len(), tail, i, evidence));
            }
        }
        scored.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
        match scored.as_slice() {
            [] => {
                let c = &self.tracks[cands[0]];
                Err(if cands.len() == 1 {
                    format!(
                        "a track with the same name is at {}, but neither its folder, tags nor duration confirm it",
                        c.path.display()
                    )
                } else {
                    format!(
                        "{} tracks have the same name, but neither their folders, tags nor durations confirm one",
                        cands.len()
                    )
                })
            }
            [best, second, ..] if (best.0, best.1) == (second.0, second.1) => Err(format!(
                "ambiguous: {} and {} match equally well ({})",
                self.tracks[best.2].path.display(),
                self.tracks[second.2].path.display(),
                best.3.join("+")
            )),
            [best, ..] => Ok(self.matched(
                best.2,
                How::ByName {
                    evidence: best.3.join("+"),
                },
            )),
        }
    }

    /// Last resort: `#EXTINF` artist and title plus a confirming duration.
    fn by_tags(&self, entry: &RawEntry) -> Option<Resolution> {
        let key = (
            fold(entry.artist.as_ref()?.trim()),
            fold(entry.title.as_ref()?.trim()),
        );
        let hits: Vec<usize> = self
            .by_tags
            .get(&key)?
            .iter()
            .copied()
            .filter(|&i| duration_agrees(entry.duration, self.tracks[i].length) == Some(true))
            .collect();
        match hits.as_slice() {
            [one] => Some(self.matched(
                *one,
                How::ByName {
                    evidence: "tags+duration".into(),
                },
            )),
            _ => None,
        }
    }
}

/// `Some(true)` when both durations are known and close, `Some(false)` when
/// they are known and far apart, `None` when either is unknown (or zero).
fn duration_agrees(entry: Option<f64>, track: Option<f64>) -> Option<bool> {
    let (e, t) = (entry.filter(|d| *d > 0.0)?, track.filter(|d| *d > 0.0)?);
    Some((e - t).abs() <= DURATION_TOLERANCE)
}

/// The entry's title (and artist, when both sides have one) equal the track's.
fn tags_agree(entry: &RawEntry, c: &Candidate) -> bool {
    let eq = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => fold(a.trim()) == fold(b.trim()),
        _ => false,
    };
    if !eq(&entry.title, &c.title) {
        return false;
    }
    match (&entry.artist, &c.artist) {
        (Some(_), Some(_)) => eq(&entry.artist, &c.artist),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> PathBuf {
        PathBuf::from("/home/u/lists")
    }

    #[test]
    fn interprets_paths() {
        let b = base();
        assert_eq!(interpret("  ", &b, false), Location::Empty);
        assert_eq!(
            interpret("../Music/a.mp3", &b, false),
            Location::Path("/home/u/Music/a.mp3".into())
        );
        assert_eq!(
            interpret("/m/./x/../a.mp3", &b, false),
            Location::Path("/m/a.mp3".into())
        );
        assert_eq!(
            interpret("../../../../../../etc/passwd", &b, false),
            Location::Path("/etc/passwd".into())
        );
        assert_eq!(
            interpret("Album\\01 x.mp3", &b, false),
            Location::Path("/home/u/lists/Album/01 x.mp3".into())
        );
        assert_eq!(
            interpret("http://radio.example/stream", &b, false),
            Location::Remote("http://radio.example/stream".into())
        );
    }

    #[test]
    fn interprets_windows_paths() {
        let b = base();
        let w = |t: &str, parts: &[&str]| Location::Windows {
            text: t.into(),
            parts: parts.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            interpret(r"C:\Music\Björk\a.mp3", &b, false),
            w(r"C:\Music\Björk\a.mp3", &["Music", "Björk", "a.mp3"])
        );
        assert_eq!(
            interpret("c:/Music/a.mp3", &b, false),
            w(r"c:\Music\a.mp3", &["Music", "a.mp3"])
        );
        assert_eq!(
            interpret(r"\\nas\share\a.mp3", &b, false),
            w(r"\\nas\share\a.mp3", &["nas", "share", "a.mp3"])
        );
        assert_eq!(
            interpret("file:///C:/My%20Music/a.mp3", &b, false),
            w(r"C:\My Music\a.mp3", &["My Music", "a.mp3"])
        );
        assert_eq!(
            interpret("file://nas/share/a%20b.mp3", &b, false),
            w(r"\\nas\share\a b.mp3", &["nas", "share", "a b.mp3"])
        );
    }

    #[cfg(unix)]
    #[test]
    fn interprets_file_urls() {
        use std::os::unix::ffi::OsStrExt;
        let b = base();
        assert_eq!(
            interpret("file:///m/AC%2FDC%20x/Caf%C3%A9.mp3", &b, false),
            Location::Path("/m/AC/DC x/Café.mp3".into())
        );
        assert_eq!(
            interpret("FILE://localhost/m/a.mp3", &b, false),
            Location::Path("/m/a.mp3".into())
        );
        assert_eq!(
            interpret("file:/m/a.mp3", &b, false),
            Location::Path("/m/a.mp3".into())
        );
        // Non-UTF-8 bytes survive percent-decoding.
        assert_eq!(
            interpret("file:///m/caf%E9.mp3", &b, false),
            Location::Path(PathBuf::from(std::ffi::OsStr::from_bytes(
                b"/m/caf\xe9.mp3"
            )))
        );
        // XSPF relative URI references are decoded; M3U text is not.
        assert_eq!(
            interpret("a%20b.mp3", &b, true),
            Location::Path("/home/u/lists/a b.mp3".into())
        );
        assert_eq!(
            interpret("a%20b.mp3", &b, false),
            Location::Path("/home/u/lists/a%20b.mp3".into())
        );
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
    }

    #[cfg(unix)]
    #[test]
    fn uri_round_trip() {
        use std::os::unix::ffi::OsStrExt;
        let p = PathBuf::from(std::ffi::OsStr::from_bytes(
            b"/m/a b#%?/caf\xe9 \xc3\xa9.mp3",
        ));
        let uri = path_to_uri(&p);
        assert_eq!(uri, "file:///m/a%20b%23%25%3F/caf%E9%20%C3%A9.mp3");
        assert_eq!(interpret(&uri, &base(), true), Location::Path(p));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/m/a/b.mp3"), Path::new("/m/lists")),
            PathBuf::from("../a/b.mp3")
        );
        assert_eq!(
            relative_path(Path::new("/m/a/b.mp3"), Path::new("/m")),
            PathBuf::from("a/b.mp3")
        );
    }

    fn matcher() -> Matcher {
        let mut m = Matcher {
            tracks: Vec::new(),
            by_path: HashMap::new(),
            by_lower_path: HashMap::new(),
            by_name: HashMap::new(),
            by_tags: HashMap::new(),
        };
        let t = |s: &str| Some(s.to_string());
        m.add(
            1,
            b"/m/Queen/Opera/Bohemian.flac".to_vec(),
            Some(355.0),
            t("Queen"),
            t("Bohemian Rhapsody"),
        );
        m.add(
            2,
            b"/m/Queen/Live/Bohemian.flac".to_vec(),
            Some(400.0),
            t("Queen"),
            t("Bohemian Rhapsody"),
        );
        m.add(
            3,
            b"/m/new/place/song.mp3".to_vec(),
            Some(200.0),
            t("A"),
            t("Song"),
        );
        m.add(
            6,
            "/m/Beyonc\u{e9}/Lemonade/Formation.flac"
                .as_bytes()
                .to_vec(),
            Some(206.0),
            t("Beyonc\u{e9}"),
            t("Formation"),
        );
        m.add(4, b"/m/x/01.mp3".to_vec(), Some(100.0), None, None);
        m.add(5, b"/m/y/01.mp3".to_vec(), Some(100.0), None, None);
        m
    }

    fn entry(dur: Option<f64>, artist: Option<&str>, title: Option<&str>) -> RawEntry {
        RawEntry {
            location: String::new(),
            line: 1,
            artist: artist.map(str::to_string),
            title: title.map(str::to_string),
            duration: dur,
        }
    }

    fn id(r: &Resolution) -> Option<(i64, String)> {
        match r {
            Resolution::Matched { track_id, how, .. } => Some((
                *track_id,
                match how {
                    How::Exact => "exact".into(),
                    How::IgnoringCase => "case".into(),
                    How::ByName { evidence } => evidence.clone(),
                },
            )),
            Resolution::Unresolved { .. } => None,
        }
    }

    #[test]
    fn matches_in_order_of_confidence() {
        let m = matcher();
        let b = Path::new("/");
        let e = entry(None, None, None);
        let r = |t: &str, e: &RawEntry| id(&m.resolve(&interpret(t, b, false), e));
        assert_eq!(
            r("/m/Queen/Opera/Bohemian.flac", &e),
            Some((1, "exact".into()))
        );
        assert_eq!(
            r("/M/queen/opera/BOHEMIAN.FLAC", &e),
            Some((1, "case".into()))
        );
        // A decomposed (NFD, as macOS writes) é finds the NFC file name, and
        // a decomposed, upper-case artist still agrees with the tags.
        assert_eq!(
            r("/m/Beyonce\u{301}/Lemonade/Formation.flac", &e),
            Some((6, "case".into()))
        );
        assert_eq!(
            r(
                "/elsewhere/formation.flac",
                &entry(None, Some("BEYONCE\u{301}"), Some("Formation"))
            ),
            Some((6, "name+tags".into()))
        );
        // A Windows path matches by folder + name.
        assert_eq!(
            r(r"D:\Music\Queen\Opera\Bohemian.flac", &e),
            Some((1, "name+folder".into()))
        );
        // Moved: the name alone is not enough...
        assert_eq!(r("/old/song.mp3", &e), None);
        // ... but name + duration is, and so is name + tags.
        assert_eq!(
            r("/old/song.mp3", &entry(Some(201.0), None, None)),
            Some((3, "name+duration".into()))
        );
        assert_eq!(
            r("/old/song.mp3", &entry(None, Some("a"), Some("song"))),
            Some((3, "name+tags".into()))
        );
        // A contradicting duration refuses the match.
        assert_eq!(
            r(
                "/old/song.mp3",
                &entry(Some(250.0), Some("A"), Some("Song"))
            ),
            None
        );
        // Two equally good candidates: ambiguous, not guessed.
        assert_eq!(r("/old/01.mp3", &entry(Some(100.0), None, None)), None);
        // Duration picks between same-named tracks.
        assert_eq!(
            r("/elsewhere/Bohemian.flac", &entry(Some(399.0), None, None)),
            Some((2, "name+duration".into()))
        );
        // Renamed file: tags + duration from #EXTINF.
        assert_eq!(
            r(
                "/old/renamed.mp3",
                &entry(Some(200.0), Some("a"), Some("SONG"))
            ),
            Some((3, "tags+duration".into()))
        );
        assert_eq!(r("../../etc/passwd", &e), None);
    }
}
