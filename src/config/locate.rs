//! Places in a TOML text, for error messages: the line of a byte offset,
//! the dotted key a line sets (under the `[table]` in force there), and the
//! line where a table sets a key. A line-oriented reading of the common
//! forms (`[a.b]` headers, `key = value` lines); where it finds nothing the
//! caller says less rather than something wrong.

pub use crate::export::device::toml_key;

/// The 1-based line holding byte `offset` of `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A table's name from a header line (`[profile."my car"]` gives
/// `profile.my car`... with its parts re-joined as [`toml_key`] writes them).
fn header(line: &str) -> Option<String> {
    let t = line.trim();
    if t.starts_with("[[") {
        return None;
    }
    let inner = t.strip_prefix('[')?.split(']').next()?;
    Some(dotted(inner))
}

/// A dotted key as written, re-joined in one canonical form.
fn dotted(k: &str) -> String {
    if k.trim().is_empty() {
        return String::new();
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in k.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => parts.push(std::mem::take(&mut cur)),
            (None, c) if c.is_whitespace() => {}
            (None, c) => cur.push(c),
        }
    }
    parts.push(cur);
    parts
        .iter()
        .map(|p| toml_key(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// The key part of a `key = value` line.
fn key_of(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (k, _) = t.split_once('=')?;
    Some(dotted(k.trim()))
}

/// The full dotted key that line `line` (1-based) sets, or the table its
/// header opens.
pub fn key_on_line(text: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(h) = header(l) {
            table = h;
        }
        if i + 1 == line {
            if header(l).is_some() {
                return Some(table);
            }
            let k = key_of(l)?;
            return Some(if table.is_empty() {
                k
            } else {
                format!("{table}.{k}")
            });
        }
    }
    None
}

/// The 1-based line where table `table` ("" = the top) sets `key`, else
/// the line of its header.
pub fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let want = dotted(table);
    let key = toml_key(key);
    let mut cur = String::new();
    let mut header_line = None;
    for (i, l) in text.lines().enumerate() {
        if let Some(h) = header(l) {
            cur = h;
            if cur == want {
                header_line = Some(i + 1);
            }
            continue;
        }
        if cur == want && key_of(l).is_some_and(|k| k == key || k.starts_with(&format!("{key}."))) {
            return Some(i + 1);
        }
    }
    header_line
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "library = \"x\"\n\n[profile.\"my car\"]\nbase = \"car\"\n  bitrate = \"999k\" # no\n[scan]\nignore = []\n";

    #[test]
    fn lines_and_keys() {
        assert_eq!(line_of(TEXT, 0), 1);
        assert_eq!(line_of(TEXT, TEXT.find("bitrate").unwrap()), 5);
        assert_eq!(key_on_line(TEXT, 1).as_deref(), Some("library"));
        assert_eq!(key_on_line(TEXT, 3).as_deref(), Some("profile.\"my car\""));
        assert_eq!(
            key_on_line(TEXT, 5).as_deref(),
            Some("profile.\"my car\".bitrate")
        );
        assert_eq!(key_on_line(TEXT, 2), None);
        assert_eq!(key_line(TEXT, "profile.\"my car\"", "bitrate"), Some(5));
        assert_eq!(key_line(TEXT, "profile.\"my car\"", "nothing"), Some(3));
        assert_eq!(key_line(TEXT, "scan", "ignore"), Some(7));
        assert_eq!(key_line(TEXT, "", "library"), Some(1));
    }
}
