//! Unique file names on FAT/exFAT devices, car stereos and CD burners.
//!
//! The names themselves come from the shared sanitiser
//! ([`crate::names`], with [`NameRules::export`]); this module adds what
//! only a device export needs:
//! - a whole relative path stays within [`MAX_PATH`] characters (and each
//!   name within [`MAX_NAME`] bytes);
//! - the profile's charset (`fat`, `ascii`, `strict` or DOS `8.3`) and
//!   name length ([`Namer::for_profile`]);
//! - names that collide once sanitised (FAT compares names case-blind) are
//!   made unique with a ` (2)` / `_2` suffix by [`Namer`].

use std::collections::{HashMap, HashSet};

use crate::export::device::NameCharset;
use crate::names::{self, NameRules, MAX_COMPONENT_BYTES};

/// The longest relative path (in characters) a device path may have.
pub const MAX_PATH: usize = 255;
/// The longest single name, in bytes of UTF-8.
pub const MAX_NAME: usize = MAX_COMPONENT_BYTES;

/// Hands out unique names per folder. Names are compared case-blind (FAT
/// does), and names already present (foreign files) can be reserved first.
#[derive(Debug, Default)]
pub struct Namer {
    rules: Option<NameRules>,
    used: HashMap<String, HashSet<String>>,
}

impl Namer {
    /// A namer; `strict` selects the `A-Z 0-9 _` alphabet.
    pub fn new(strict: bool) -> Namer {
        Namer::for_profile(
            if strict {
                NameCharset::Strict
            } else {
                NameCharset::Fat
            },
            MAX_NAME,
        )
    }

    /// A namer for a profile's `charset`, names of at most `max_chars`.
    pub fn for_profile(charset: NameCharset, max_chars: usize) -> Namer {
        let rules = match charset {
            NameCharset::Fat => NameRules::export(false),
            NameCharset::Ascii => NameRules {
                ascii: true,
                ..NameRules::export(false)
            },
            NameCharset::Strict => NameRules::export(true),
            NameCharset::Dos83 => NameRules::short_names(),
        };
        Namer {
            rules: Some(NameRules {
                max_chars: max_chars.min(rules.max_chars),
                ..rules
            }),
            used: HashMap::new(),
        }
    }

    /// A folder name under the namer's rules (not made unique).
    pub fn folder(&self, name: &str) -> String {
        names::name(
            name,
            "",
            None,
            &self.rules.unwrap_or(NameRules::export(false)),
        )
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
        let base = self.rules.unwrap_or(NameRules::export(false));
        let rules = NameRules {
            max_bytes: MAX_NAME,
            max_chars: MAX_PATH
                .saturating_sub(folder_len)
                .min(MAX_NAME)
                .min(base.max_chars),
            ..base
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
    fn short_names_are_8_3() {
        let mut n = Namer::for_profile(NameCharset::Dos83, 255);
        assert_eq!(n.unique("01", "001 Björk - Jóga", "mp3"), "001_BJOR.MP3");
        assert_eq!(
            n.unique("01", "001 Björk - Jóga (live)", "mp3"),
            "001_BJ_2.MP3"
        );
        assert_eq!(n.unique("", "Road trip", "m3u8"), "ROAD_TRI.M3U");
        for name in ["001_BJOR.MP3", "001_BJ_2.MP3", "ROAD_TRI.M3U"] {
            assert!(names::is_short_name(name), "{name}");
        }
        assert!(!names::is_short_name("001_BJORK.MP3"));
        assert!(!names::is_short_name("a.mp3"));
        let mut a = Namer::for_profile(NameCharset::Ascii, 20);
        let name = a.unique("", "Café del Mar – Ibiza", "mp3");
        assert_eq!(name, "Cafe del Mar - I.mp3");
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
