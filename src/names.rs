//! The one name sanitiser: whatever a tag holds, the file or folder name
//! built from it is legal on Linux, macOS, Windows and FAT/exFAT sticks.
//! Organize (folders and file names from its template) and export (device
//! names, with their collision handling in `export::naming`) both call
//! [`name`]; where they differ, the difference is a field of [`NameRules`].
//!
//! Rules applied to every name:
//! - characters illegal on Windows/FAT (`<>:"/\|?*`, control characters,
//!   NUL) become `_`; with [`NameRules::fat_strict`] only `A-Z 0-9 _`
//!   survive (transliterated, upper case, runs of `_` collapsed);
//! - surrounding spaces and trailing dots are dropped; a leading dot becomes
//!   `_` or is dropped ([`NameRules::drop_leading_dots`]), so there are no
//!   hidden files and no `.` or `..`;
//! - Windows reserved device names (`CON`, `PRN`, `AUX`, `NUL`,
//!   `COM1`-`COM9`, `LPT1`-`LPT9`, any case, with or without an extension)
//!   get a `_` after the device name (`CON.flac` -> `CON_.flac`);
//! - each name, extension and collision suffix included, is at most
//!   [`NameRules::max_bytes`] bytes and [`NameRules::max_chars`] characters,
//!   cut on a character boundary with the extension kept ([`truncate_bytes`]);
//! - an empty result becomes [`PLACEHOLDER`].
//!
//! With [`NameRules::ascii`] non-ASCII text is transliterated first
//! ([`to_ascii`]).

mod ascii;

pub use ascii::to_ascii;

/// The longest name most filesystems accept, in bytes of UTF-8 (ext4,
/// btrfs, XFS allow 255 bytes; FAT's long names 255 UTF-16 units, never
/// fewer).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// What an empty (or spaces-only) name becomes.
pub const PLACEHOLDER: &str = "_";

/// How names are made safe: the options on which organize and export differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRules {
    /// Transliterate to ASCII first (organize's `--ascii`).
    pub ascii: bool,
    /// Keep only `A-Z 0-9 _` in the stem, upper-case the extension, and
    /// number collisions `_2` rather than ` (2)` (car head units).
    pub fat_strict: bool,
    /// White space becomes a space, and runs of it one space (tags often
    /// carry doubled spaces or tabs); otherwise tabs and the like are
    /// control characters and become `_`.
    pub collapse_spaces: bool,
    /// Drop leading dots (and spaces between them) rather than turning the
    /// first dot into `_`.
    pub drop_leading_dots: bool,
    /// The longest name in bytes.
    pub max_bytes: usize,
    /// The longest name in characters.
    pub max_chars: usize,
    /// DOS 8.3 short names: with [`NameRules::fat_strict`], a stem of at
    /// most 8 characters (collision suffix included) and an extension of at
    /// most 3.
    pub short_8_3: bool,
}

impl NameRules {
    /// Organize's rules: names as the tags spell them, transliterated with
    /// `ascii`.
    pub fn organize(ascii: bool) -> NameRules {
        NameRules {
            ascii,
            fat_strict: false,
            collapse_spaces: false,
            drop_leading_dots: false,
            max_bytes: MAX_COMPONENT_BYTES,
            max_chars: usize::MAX,
            short_8_3: false,
        }
    }

    /// Export's rules for devices; `strict` selects the `A-Z 0-9 _` alphabet.
    pub fn export(strict: bool) -> NameRules {
        NameRules {
            ascii: false,
            fat_strict: strict,
            collapse_spaces: true,
            drop_leading_dots: true,
            max_bytes: MAX_COMPONENT_BYTES,
            max_chars: usize::MAX,
            short_8_3: false,
        }
    }

    /// Export's rules for DOS 8.3 short names (`A-Z 0-9 _`, 8 + 3).
    pub fn short_names() -> NameRules {
        NameRules {
            fat_strict: true,
            short_8_3: true,
            max_chars: 12,
            ..NameRules::export(true)
        }
    }
}

/// Is `c` illegal in a file name on Windows or FAT?
pub fn is_fat_forbidden(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') || c.is_control()
}

/// Is `c` allowed in a strict (head-unit safe) name stem?
pub fn is_strict_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

/// Is `name` (or the part before its first dot) a Windows device name?
pub fn is_reserved(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or("").trim_end();
    let upper = base.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let b = upper.as_bytes();
            b.len() == 4
                && (upper.starts_with("COM") || upper.starts_with("LPT"))
                && (b'1'..=b'9').contains(&b[3])
        }
    }
}

/// The longest prefix of `s` within `max` bytes, cut on a char boundary.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The longest prefix of `s` within `max` characters.
fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Drop trailing spaces and dots (Windows strips them silently).
fn trim_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Only `A-Z 0-9 _`: transliterated, upper case, other characters (and
/// `_` itself) as one `_` per run, no `_` at either end.
fn strict_alphabet(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in to_ascii(s).chars() {
        let c = c.to_ascii_uppercase();
        if is_strict_char(c) && c != '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Replace illegal characters, transliterate, fix leading dots, and trim
/// surrounding spaces and trailing dots. No length limit and no placeholder
/// yet.
fn clean(s: &str, rules: &NameRules) -> String {
    if rules.fat_strict {
        return strict_alphabet(s);
    }
    let s = if rules.ascii {
        to_ascii(s)
    } else {
        s.to_string()
    };
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        if rules.collapse_spaces && c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(if is_fat_forbidden(c) { '_' } else { c });
    }
    let start = if rules.drop_leading_dots {
        out.trim_start_matches(|c: char| c == '.' || c.is_whitespace())
    } else {
        out.trim_start()
    };
    let mut t = trim_end(start).to_string();
    if t.starts_with('.') {
        t.replace_range(0..1, "_");
    }
    t
}

/// Make one folder name safe (see the module rules).
pub fn folder_name(s: &str, rules: &NameRules) -> String {
    name(s, "", None, rules)
}

/// Make a file name safe: `stem` cleaned and cut so that `stem`, the
/// collision `suffix` (` (2)`, or `_2` under [`NameRules::fat_strict`]) and
/// `.ext` fit in [`NameRules::max_bytes`] and [`NameRules::max_chars`].
/// `ext` is without the dot and may be empty.
pub fn name(stem: &str, ext: &str, suffix: Option<u32>, rules: &NameRules) -> String {
    let mut ext = clean(
        ext,
        &NameRules {
            fat_strict: false,
            ..*rules
        },
    )
    .replace('.', "_");
    if rules.fat_strict {
        ext = to_ascii(&ext).to_ascii_uppercase();
    }
    if rules.short_8_3 {
        ext = strict_alphabet(&ext).chars().take(3).collect();
    }
    let tail = match (suffix, rules.fat_strict) {
        (None, _) => String::new(),
        (Some(n), true) => format!("_{n}"),
        (Some(n), false) => format!(" ({n})"),
    };
    let dot_ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    // At least a few characters of the stem, whatever the extension.
    let bytes = rules
        .max_bytes
        .saturating_sub(dot_ext.len())
        .max(8)
        .saturating_sub(tail.len())
        .max(1);
    let chars = if rules.short_8_3 {
        8usize.saturating_sub(tail.chars().count()).max(1)
    } else {
        rules
            .max_chars
            .saturating_sub(dot_ext.chars().count())
            .max(8)
            .saturating_sub(tail.chars().count())
            .max(1)
    };
    let base = clean(stem, rules);
    let mut base = trim_end(truncate_bytes(truncate_chars(&base, chars), bytes)).to_string();
    if rules.fat_strict {
        // A cut can end on a separator: `001_ZOE_` is `001_ZOE`.
        base.truncate(base.trim_end_matches('_').len());
    }
    if base.is_empty() {
        base = PLACEHOLDER.to_string();
    }
    let mut name = format!("{base}{tail}{dot_ext}");
    if is_reserved(&name) {
        // "CON.flac" -> "CON_.flac": insert after the device name.
        let cut = name.find('.').unwrap_or(name.len());
        name.insert(cut, '_');
    }
    name
}

/// Is `name` a DOS 8.3 short name: 1 to 8 characters of `A-Z 0-9 _`,
/// then optionally a dot and 1 to 3 more?
pub fn is_short_name(name: &str) -> bool {
    let (stem, ext) = match name.split_once('.') {
        Some((s, e)) => (s, Some(e)),
        None => (name, None),
    };
    let ok = |s: &str, max: usize| (1..=max).contains(&s.len()) && s.chars().all(is_strict_char);
    ok(stem, 8) && ext.is_none_or(|e| ok(e, 3))
}

/// Latin-1 text for `s`: characters beyond U+00FF transliterated
/// ([`to_ascii`]), the rest kept.
pub fn to_latin1(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if (c as u32) <= 0xFF {
            out.push(c);
        } else {
            out.push_str(&to_ascii(c.encode_utf8(&mut buf)));
        }
    }
    out
}

/// A title from a file's name, for a track without one: the stem without
/// a leading track number (`01 `, `01 - `, `1-02. `, `03_`), or the whole
/// stem when nothing else is left; `None` for an empty stem.
pub fn title_from_file_name(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let t = stem.trim();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let mut rest = &t[digits..];
    if digits > 0 && digits <= 3 {
        // A disc-track form such as 1-02.
        if let Some(r) = rest.strip_prefix('-') {
            let d2 = r.chars().take_while(|c| c.is_ascii_digit()).count();
            if (1..=3).contains(&d2) {
                rest = &r[d2..];
            }
        }
        let cut = rest.trim_start_matches(|c: char| c.is_whitespace() || "-._)".contains(c));
        // "01" alone, or "1984" (a year or a title): not a prefix.
        if !cut.is_empty() && cut.len() < rest.len() {
            return Some(cut.trim().to_string());
        }
    }
    (!t.is_empty()).then(|| t.to_string())
}

/// Everything wrong with one existing name under FAT (and, when `strict`,
/// under the strict head-unit rules): what `export --check` reports. An
/// empty list means the name is fine.
pub fn problems(name: &str, strict: bool) -> Vec<String> {
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
    if name.len() > MAX_COMPONENT_BYTES {
        problems.push(format!("longer than {MAX_COMPONENT_BYTES} bytes"));
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

#[cfg(test)]
mod tests {
    use super::*;

    const ORGANIZE: NameRules = NameRules {
        ascii: false,
        fat_strict: false,
        collapse_spaces: false,
        drop_leading_dots: false,
        max_bytes: MAX_COMPONENT_BYTES,
        max_chars: usize::MAX,
        short_8_3: false,
    };

    fn folder(s: &str) -> String {
        folder_name(s, &ORGANIZE)
    }

    fn file(stem: &str, ext: &str, suffix: Option<u32>) -> String {
        name(stem, ext, suffix, &ORGANIZE)
    }

    /// Export's stem sanitising (no extension, no suffix).
    fn device(s: &str, strict: bool) -> String {
        folder_name(s, &NameRules::export(strict))
    }

    #[test]
    fn illegal_characters_and_dots() {
        assert_eq!(folder("a<b>c:d\"e/f\\g|h?i*j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(folder("nul\0and\x07bell\ttab"), "nul_and_bell_tab");
        assert_eq!(folder(".."), "_");
        assert_eq!(folder("../.."), "_._");
        assert_eq!(folder(".hidden"), "_hidden");
        assert_eq!(folder("name. . "), "name");
        assert_eq!(folder("   "), "_");
        assert_eq!(folder(""), "_");
        assert_eq!(file("   ", "mp3", None), "_.mp3");
        assert_eq!(file("song.", "flac", Some(2)), "song (2).flac");
    }

    #[test]
    fn reserved_names() {
        for n in ["CON", "con", "Aux", "nul", "COM1", "lpt9", "PRN"] {
            assert!(is_reserved(n), "{n}");
            assert_eq!(folder(n), format!("{n}_"));
        }
        assert_eq!(file("con", "flac", None), "con_.flac");
        assert_eq!(file("Con.live", "mp3", None), "Con_.live.mp3");
        assert!(!is_reserved("CONCERT"));
        assert!(!is_reserved("COM0"));
        assert!(!is_reserved("LPT10"));
        assert_eq!(file("Concert", "flac", None), "Concert.flac");
    }

    #[test]
    fn long_names_are_cut_on_char_boundaries_keeping_the_extension() {
        let long = "é".repeat(500); // 1000 bytes
        let n = file(&long, "flac", Some(12));
        assert!(n.len() <= MAX_COMPONENT_BYTES, "{}", n.len());
        assert!(n.ends_with(" (12).flac"));
        let d = folder(&"x".repeat(300));
        assert_eq!(d.len(), 255);
        // A cut that lands on spaces or dots leaves no trailing ones.
        let s = format!("{}{}", "a".repeat(240), ". . . . . . . . . . . . . . . . ");
        let n = file(&s, "mp3", None);
        assert!(!n.trim_end_matches(".mp3").ends_with(['.', ' ']), "{n}");
    }

    #[test]
    fn ascii_option_applies_to_everything() {
        let rules = NameRules::organize(true);
        assert_eq!(name("Jóga", "flac", None, &rules), "Joga.flac");
        assert_eq!(folder_name("Björk", &rules), "Bjork");
    }

    #[test]
    fn export_replaces_fat_forbidden_characters() {
        assert_eq!(
            device("AC/DC: Back?<in>*Black|\"", false),
            "AC_DC_ Back__in__Black__"
        );
        assert_eq!(device("tab\there\u{1}", false), "tab here_");
        assert_eq!(device("...hidden. ", false), "hidden");
        assert_eq!(device("   ", false), "_");
    }

    #[test]
    fn strict_keeps_only_upper_alnum_and_underscore() {
        assert_eq!(
            device("001 Björk - Jóga (Live)", true),
            "001_BJORK_JOGA_LIVE"
        );
        assert_eq!(device("Straße", true), "STRASSE");
        assert_eq!(device("日本", true), "_");
        for c in device("Ça va? Ünïcødé!", true).chars() {
            assert!(is_strict_char(c), "{c}");
        }
        let strict = NameRules::export(true);
        assert_eq!(name("x y", "mp3", Some(2), &strict), "X_Y_2.MP3");
    }

    #[test]
    fn reserved_names_are_escaped_for_devices() {
        for r in ["CON", "con", "Nul", "COM1", "lpt9", "aux"] {
            assert!(is_reserved(r), "{r}");
            assert!(!is_reserved(&device(r, false)), "{r}");
            assert!(!is_reserved(&device(r, true)), "{r}");
        }
        assert!(is_reserved("CON.mp3"));
        assert!(!is_reserved("COM10"));
        assert!(!is_reserved("CONCERT"));
        assert!(!is_reserved("COM0"));
        // Export used to append the `_` at the end, leaving "CON.live_"
        // (still a device name on Windows).
        assert_eq!(device("CON.live", false), "CON_.live");
    }

    #[test]
    fn character_limit_keeps_the_extension() {
        let rules = NameRules {
            max_chars: 20,
            ..NameRules::export(false)
        };
        let n = name(&"é".repeat(40), "mp3", Some(2), &rules);
        assert_eq!(n.chars().count(), 20, "{n}");
        assert!(n.ends_with(" (2).mp3"), "{n}");
    }

    #[test]
    fn problems_are_listed() {
        assert!(problems("01 A - B.mp3", false).is_empty());
        assert_eq!(problems("a?b.mp3", false).len(), 1);
        assert_eq!(problems("01 A - B.mp3", true).len(), 1);
        assert!(problems("01_A_B.MP3", true).is_empty());
        assert_eq!(problems("NUL.mp3", false), vec!["reserved device name"]);
        assert_eq!(problems("x. ", false).len(), 1);
        let japanese = "夜".repeat(101);
        assert_eq!(
            problems(&format!("{japanese}.mp3"), false),
            vec!["longer than 255 bytes"]
        );
    }
}
