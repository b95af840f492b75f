//! Unique file names on FAT/exFAT devices, car stereos and CD burners.
//!
//! The names themselves come from the shared sanitiser
//! ([`crate::names`], with [`NameRules::export`]); this module adds what
//! only a device export needs:
//! - a whole relative path stays within [`MAX_PATH`] characters (and each
//!   name within [`MAX_NAME`] bytes);
//! - names that collide once sanitised (FAT compares names case-blind) are
//!   made unique with a ` (2)` / `_2` suffix by [`Namer`].

use std::collections::{HashMap, HashSet};

use crate::names::{self, NameRules, MAX_COMPONENT_BYTES};

/// The longest relative path (in characters) a device path may have.
pub const MAX_PATH: usize = 255;
/// The longest single name, in bytes of UTF-8.
pub const MAX_NAME: usize = MAX_COMPONENT_BYTES;

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
        let folder_len = if folder.is_empty() {
            0
        } else {
            folder.chars().count() + 1
        };
        let rules = NameRules {
            max_bytes: MAX_NAME,
            max_chars: MAX_PATH.saturating_sub(folder_len).min(MAX_NAME),
            ..NameRules::export(self.strict)
        };
        let used = self.used.entry(folder.to_string()).or_default();
        let mut n = 1;
        loop {
            let suffix = (n > 1).then_some(n);
            let name = names::name(stem, ext, suffix, &rules);
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
            names::problems(&format!("{japanese}.mp3"), false),
            vec!["longer than 255 bytes"]
        );
    }
}
