//! File names that every FAT/exFAT device, car stereo and CD burner accepts.
//!
//! One naming module serves every export profile (and `export --check`):
//! - characters impossible on FAT (`<>:"/\|?*` and control characters) are
//!   replaced by `_`; with strict names only `A-Z 0-9 _` survive (accented
//!   Latin letters lose their accents, lower case becomes upper case);
//! - reserved DOS device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9) get a `_`
//!   suffix, and no name ends in a dot or a space or starts with a dot;
//! - names are cut (on a character boundary) so that a whole relative path
//!   stays within [`MAX_PATH`] characters and each name, extension and
//!   collision suffix included, within [`MAX_NAME`] bytes (what Linux
//!   filesystems allow; FAT's 255 UTF-16 units are never more than that), with
//!   organize's [`truncate_bytes`];
//! - names that collide once sanitised (FAT compares names case-blind) are
//!   made unique with a ` (2)` / `_2` suffix by [`Namer`].

use std::collections::{HashMap, HashSet};

pub use crate::organize::sanitize::is_reserved;
use crate::organize::sanitize::{to_ascii, truncate_bytes, MAX_COMPONENT_BYTES};

/// The longest relative path (in characters) a device path may have.
pub const MAX_PATH: usize = 255;
/// The longest single name, in bytes of UTF-8 (ext4, btrfs, XFS allow 255
/// bytes; FAT's long names allow 255 UTF-16 units, never fewer).
pub const MAX_NAME: usize = MAX_COMPONENT_BYTES;

/// Characters no FAT name may contain.
const FAT_FORBIDDEN: &[char] = &['<', '>', ':', '"', '/', '\\', '|', '?', '*'];

/// Is `c` impossible in a FAT file name?
pub fn is_fat_forbidden(c: char) -> bool {
    c.is_control() || FAT_FORBIDDEN.contains(&c)
}

/// Is `c` allowed in a strict (head-unit safe) name stem?
pub fn is_strict_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

/// Plain ASCII for text that must stay 7-bit (cdrdao's CD-TEXT): accented
/// Latin letters lose their accents (organize's transliteration).
pub fn ascii_text(text: &str) -> String {
    to_ascii(text)
}

/// Make one name component (no extension) safe. `strict` keeps only
/// `A-Z 0-9 _`. The result is never empty, never reserved, never starts with
/// a dot and never ends in a dot or space.
pub fn sanitize(text: &str, strict: bool) -> String {
    let mut out = String::with_capacity(text.len());
    if strict {
        for p in to_ascii(text).chars() {
            let p = p.to_ascii_uppercase();
            if is_strict_char(p) {
                out.push(p);
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        let trimmed = out.trim_matches('_').to_string();
        out = trimmed;
    } else {
        let mut last_space = false;
        for c in text.chars() {
            let c = if c.is_whitespace() {
                ' '
            } else if is_fat_forbidden(c) {
                '_'
            } else {
                c
            };
            // Collapse runs of white space: tags often carry doubled spaces.
            if c.is_whitespace() {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
        let trimmed = out
            .trim_start_matches([' ', '.'])
            .trim_end_matches([' ', '.'])
            .to_string();
        out = trimmed;
    }
    if out.is_empty() {
        out.push('_');
    }
    if is_reserved(&out) {
        out.push('_');
    }
    out
}

/// Cut `s` to at most `max_chars` characters and `max_bytes` bytes (on a
/// character boundary), then re-trim what FAT forbids at the end.
fn cut(s: &str, max_chars: usize, max_bytes: usize) -> String {
    let cut: String = s.chars().take(max_chars.max(1)).collect();
    let cut = truncate_bytes(&cut, max_bytes.max(1));
    let trimmed = cut.trim_end_matches([' ', '.']).to_string();
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed
    }
}

/// Everything wrong with one name under FAT (and, when `strict`, under the
/// strict head-unit rules). An empty list means the name is fine.
pub fn name_problems(name: &str, strict: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(c) = name.chars().find(|&c| is_fat_forbidden(c)) {
        problems.push(format!("character {c:?} is not allowed on FAT"));
    }
    if is_reserved(name) {
        problems.push("reserved device name".to_string());
    }
    if name.ends_with('.') || name.ends_with(' ') {
        problems.push("ends with a dot or a space".to_string());
    }
    if name.len() > MAX_NAME {
        problems.push(format!("longer than {MAX_NAME} bytes"));
    }
    if strict {
        let stem = match name.rsplit_once('.') {
            Some((s, _)) => s,
            None => name,
        };
        if let Some(c) = stem.chars().find(|&c| !is_strict_char(c)) {
            problems.push(format!("character {c:?} is outside A-Z 0-9 _"));
        }
    }
    problems
}

/// Hands out unique names per folder. Names are compared case-blind (FAT
/// does), and names already present (foreign files) can be reserved first.
#[derive(Debug, Default)]
pub struct Namer {
    strict: bool,
    used: HashMap<String, HashSet<String>>,
}

impl Namer {
    /// A namer; `strict` selects the `A-Z 0-9 _` alphabet.
    pub fn new(strict: bool) -> Namer {
        Namer {
            strict,
            used: HashMap::new(),
        }
    }

    /// Mark `name` in `folder` ("" = top) as taken.
    pub fn reserve(&mut self, folder: &str, name: &str) {
        self.used
            .entry(folder.to_string())
            .or_default()
            .insert(name.to_lowercase());
    }

    /// A safe, unique file name in `folder` for `stem` + `.ext`, such that
    /// `folder/name` stays within [`MAX_PATH`] characters and the name within
    /// [`MAX_NAME`] bytes.
    pub fn unique(&mut self, folder: &str, stem: &str, ext: &str) -> String {
        let strict = self.strict;
        let ext = if strict {
            ext.to_ascii_uppercase()
        } else {
            ext.to_string()
        };
        let base = sanitize(stem, strict);
        let folder_len = if folder.is_empty() {
            0
        } else {
            folder.chars().count() + 1
        };
        let ext_len = if ext.is_empty() {
            0
        } else {
            ext.chars().count() + 1
        };
        let budget = MAX_PATH
            .saturating_sub(folder_len)
            .min(MAX_NAME)
            .saturating_sub(ext_len)
            .max(8);
        // The same in bytes, `.ext` included.
        let byte_budget = MAX_NAME.saturating_sub(ext.len() + 1).max(8);
        let used = self.used.entry(folder.to_string()).or_default();
        let mut n = 1;
        loop {
            let suffix = match (n, strict) {
                (1, _) => String::new(),
                (_, true) => format!("_{n}"),
                (_, false) => format!(" ({n})"),
            };
            let stem = format!(
                "{}{suffix}",
                cut(
                    &base,
                    budget.saturating_sub(suffix.chars().count()),
                    byte_budget.saturating_sub(suffix.len())
                )
            );
            let name = if ext.is_empty() {
                stem
            } else {
                format!("{stem}.{ext}")
            };
            if used.insert(name.to_lowercase()) {
                return name;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_fat_forbidden_characters() {
        assert_eq!(
            sanitize("AC/DC: Back?<in>*Black|\"", false),
            "AC_DC_ Back__in__Black__"
        );
        assert_eq!(sanitize("tab\there\u{1}", false), "tab here_");
        assert_eq!(sanitize("...hidden. ", false), "hidden");
        assert_eq!(sanitize("   ", false), "_");
    }

    #[test]
    fn strict_keeps_only_upper_alnum_and_underscore() {
        assert_eq!(
            sanitize("001 Björk - Jóga (Live)", true),
            "001_BJORK_JOGA_LIVE"
        );
        assert_eq!(sanitize("Straße", true), "STRASSE");
        assert_eq!(sanitize("日本", true), "_");
        for c in sanitize("Ça va? Ünïcødé!", true).chars() {
            assert!(is_strict_char(c), "{c}");
        }
    }

    #[test]
    fn ascii_text_folds_accents() {
        assert!(ascii_text("Björk – Jóga").starts_with("Bjork "));
        assert!(ascii_text("Björk – Jóga").ends_with(" Joga"));
    }

    #[test]
    fn reserved_names_are_escaped() {
        for r in ["CON", "con", "Nul", "COM1", "lpt9", "aux"] {
            assert!(is_reserved(r), "{r}");
            assert!(!is_reserved(&sanitize(r, false)), "{r}");
            assert!(!is_reserved(&sanitize(r, true)), "{r}");
        }
        assert!(is_reserved("CON.mp3"));
        assert!(!is_reserved("COM10"));
        assert!(!is_reserved("CONCERT"));
        assert!(!is_reserved("COM0"));
    }

    #[test]
    fn collisions_get_unique_names_case_blind() {
        let mut n = Namer::new(false);
        assert_eq!(n.unique("01", "A: B", "mp3"), "A_ B.mp3");
        assert_eq!(n.unique("01", "A? B", "mp3"), "A_ B (2).mp3");
        assert_eq!(n.unique("01", "a_ b", "mp3"), "a_ b (3).mp3");
        assert_eq!(n.unique("02", "A: B", "mp3"), "A_ B.mp3");
        n.reserve("", "song.mp3");
        assert_eq!(n.unique("", "Song", "mp3"), "Song (2).mp3");
        let mut s = Namer::new(true);
        assert_eq!(s.unique("", "x y", "mp3"), "X_Y.MP3");
        assert_eq!(s.unique("", "x-y", "mp3"), "X_Y_2.MP3");
    }

    #[test]
    fn long_names_fit_the_path_limit() {
        let mut n = Namer::new(false);
        let long = "é".repeat(400);
        let folder = "f".repeat(100);
        let name = n.unique(&folder, &long, "mp3");
        assert!(folder.chars().count() + 1 + name.chars().count() <= MAX_PATH);
        assert!(name.ends_with(".mp3"));
        let again = n.unique(&folder, &long, "mp3");
        assert_ne!(name, again);
        assert!(folder.chars().count() + 1 + again.chars().count() <= MAX_PATH);
    }

    /// Issue 12: a 101-character Japanese title (303 bytes) or an emoji
    /// title made names the filesystem refused (`File name too long`).
    #[test]
    fn names_fit_255_bytes_cut_on_char_boundaries() {
        let mut n = Namer::new(false);
        let japanese = "夜".repeat(101);
        let emoji = "🎵".repeat(100);
        for stem in [japanese.as_str(), emoji.as_str()] {
            for _ in 0..3 {
                let name = n.unique("", &format!("001 {stem}"), "mp3");
                assert!(name.len() <= 255, "{} bytes", name.len());
                assert!(name.ends_with(".mp3"), "{name}");
                assert!(name.starts_with("001 "), "{name}");
            }
        }
        let m3u = n.unique("", &"é".repeat(1000), "m3u8");
        assert!(m3u.len() <= 255 && m3u.ends_with(".m3u8"), "{m3u}");
        assert_eq!(
            name_problems(&format!("{japanese}.mp3"), false),
            vec!["longer than 255 bytes"]
        );
    }

    #[test]
    fn problems_are_listed() {
        assert!(name_problems("01 A - B.mp3", false).is_empty());
        assert_eq!(name_problems("a?b.mp3", false).len(), 1);
        assert_eq!(name_problems("01 A - B.mp3", true).len(), 1);
        assert!(name_problems("01_A_B.MP3", true).is_empty());
        assert_eq!(
            name_problems("NUL.mp3", false),
            vec!["reserved device name"]
        );
        assert_eq!(name_problems("x. ", false).len(), 1);
    }
}
