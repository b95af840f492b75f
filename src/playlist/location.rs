//! Where a playlist entry points, without touching the disk.
//!
//! [`interpret`] turns an entry's text (a relative or absolute path, a
//! Windows path, a `file://` URL, another URL) into a [`Location`]: relative
//! paths are joined to the playlist's folder and `..` is folded lexically, so
//! `../../../etc/passwd` is just a path that no library row has. The reverse
//! helpers ([`path_to_uri`], [`relative_path`], [`percent_encode`]) write
//! locations into playlist files.

use std::path::{Component, Path, PathBuf};

use super::strip_prefix_ci;
use crate::library::{bytes_to_path, path_to_bytes};

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
}
