//! Safe path components: whatever a tag holds, the name built from it is
//! legal on Linux, macOS, Windows and FAT/exFAT sticks.
//!
//! Rules applied to every component: characters illegal on Windows/FAT
//! (`<>:"/\|?*`, control characters, NUL) become `_`; surrounding spaces
//! and trailing dots are dropped; a leading dot becomes `_` (no hidden
//! files, no `.` or `..`); Windows reserved device names (`CON`, `PRN`,
//! `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, any case, with or without an
//! extension) get a `_` appended; each component is at most
//! [`MAX_COMPONENT_BYTES`] bytes, cut on a character boundary with the
//! extension kept; an empty result becomes [`PLACEHOLDER`]. With `ascii`,
//! non-ASCII text is transliterated first ([`to_ascii`]).

/// The longest component most filesystems accept, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// What an empty (or spaces-only) component becomes.
pub const PLACEHOLDER: &str = "_";

/// Transliterate text to ASCII: accented Latin letters lose their accents
/// (é -> e), ligatures and special letters are spelled out (ß -> ss,
/// æ -> ae, ø -> o, þ -> th), typographic punctuation becomes its plain
/// form, Greek and Cyrillic letters are romanised; anything else becomes `_`.
/// No character transliterates to a path separator (`÷` becomes `_`).
pub fn to_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(ascii_of(c));
        }
    }
    out
}

fn ascii_of(c: char) -> &'static str {
    match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' | 'Ǎ' => "A",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'ª' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ð' | 'Ď' | 'Đ' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĥ' | 'Ħ' => "H",
        'ĥ' | 'ħ' => "h",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' | 'Ǐ' => "I",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => "i",
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'Ĵ' => "J",
        'ĵ' => "j",
        'Ķ' => "K",
        'ķ' | 'ĸ' => "k",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => "N",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' | 'Ǒ' => "O",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' | 'º' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => "s",
        'ß' => "ss",
        'ẞ' => "SS",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'Þ' => "TH",
        'þ' => "th",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' | 'Ǔ' => "U",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => "u",
        'Ŵ' => "W",
        'ŵ' => "w",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        // Punctuation and symbols.
        '‘' | '’' | '‚' | '‛' | '′' | '´' | '`' => "'",
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        '…' => "...",
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{3000}' => " ",
        '\u{200b}'..='\u{200d}' | '\u{feff}' | '\u{ad}' => "",
        '×' => "x",
        // Never "/": a transliterated tag must not add a folder level.
        '÷' => "_",
        '©' => "(c)",
        '®' => "(r)",
        '™' => "TM",
        '°' => "deg",
        '€' => "EUR",
        '£' => "GBP",
        '¥' => "JPY",
        '¡' => "!",
        '¿' => "?",
        '·' | '•' => ".",
        '½' => "1_2",
        '¼' => "1_4",
        '¾' => "3_4",
        '¹' => "1",
        '²' => "2",
        '³' => "3",
        _ => greek_cyrillic(c),
    }
}

fn greek_cyrillic(c: char) -> &'static str {
    const GREEK_UPPER: [&str; 25] = [
        "A", "B", "G", "D", "E", "Z", "I", "Th", "I", "K", "L", "M", "N", "X", "O", "P", "R", "",
        "S", "T", "Y", "Ph", "Ch", "Ps", "O",
    ];
    const CYR: [&str; 32] = [
        "a", "b", "v", "g", "d", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
        "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia",
    ];
    const CYR_UPPER: [&str; 32] = [
        "A", "B", "V", "G", "D", "E", "Zh", "Z", "I", "I", "K", "L", "M", "N", "O", "P", "R", "S",
        "T", "U", "F", "Kh", "Ts", "Ch", "Sh", "Shch", "", "Y", "", "E", "Iu", "Ia",
    ];
    let u = c as u32;
    match u {
        0x391..=0x3a9 => GREEK_UPPER[(u - 0x391) as usize],
        0x3b1..=0x3c9 => {
            if u == 0x3c2 {
                "s" // final sigma
            } else {
                // Lower case of the same table; "" stays "".
                match GREEK_UPPER[(u - 0x3b1) as usize] {
                    "A" => "a",
                    "B" => "b",
                    "G" => "g",
                    "D" => "d",
                    "E" => "e",
                    "Z" => "z",
                    "I" => "i",
                    "Th" => "th",
                    "K" => "k",
                    "L" => "l",
                    "M" => "m",
                    "N" => "n",
                    "X" => "x",
                    "O" => "o",
                    "P" => "p",
                    "R" => "r",
                    "S" => "s",
                    "T" => "t",
                    "Y" => "y",
                    "Ph" => "ph",
                    "Ch" => "ch",
                    "Ps" => "ps",
                    _ => "",
                }
            }
        }
        0x386 => "A",
        0x388 => "E",
        0x389 | 0x38a => "I",
        0x38c | 0x38f => "O",
        0x38e => "Y",
        0x3ac => "a",
        0x3ad => "e",
        0x3ae | 0x3af | 0x3ca | 0x390 => "i",
        0x3cc | 0x3ce => "o",
        0x3cd | 0x3cb | 0x3b0 => "y",
        0x410..=0x42f => CYR_UPPER[(u - 0x410) as usize],
        0x430..=0x44f => CYR[(u - 0x430) as usize],
        0x401 => "Yo",
        0x451 => "yo",
        0x404 => "Ye",
        0x454 => "ye",
        0x406 => "I",
        0x456 => "i",
        0x407 => "Yi",
        0x457 => "yi",
        0x490 => "G",
        0x491 => "g",
        _ => "_",
    }
}

/// Is `c` illegal in a file name on Windows or FAT?
fn is_illegal(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') || c.is_control()
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

/// Replace illegal characters, transliterate (with `ascii`), fix leading
/// dots, and trim surrounding spaces and trailing dots. No length limit and
/// no placeholder yet.
fn clean(s: &str, ascii: bool) -> String {
    let s = if ascii { to_ascii(s) } else { s.to_string() };
    let replaced: String = s
        .chars()
        .map(|c| if is_illegal(c) { '_' } else { c })
        .collect();
    let mut t = trim_end(replaced.trim_start()).to_string();
    if t.starts_with('.') {
        t.replace_range(0..1, "_");
    }
    t
}

/// Drop trailing spaces and dots (Windows strips them silently).
fn trim_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Make one folder name safe (see the module rules).
pub fn folder_name(s: &str, ascii: bool) -> String {
    file_name(s, "", None, ascii)
}

/// Make a file name safe: `stem` cleaned and cut so that `stem`, the
/// collision `suffix` (` (2)`) and `.ext` fit in [`MAX_COMPONENT_BYTES`].
/// `ext` is the source's extension (without the dot; may be empty).
pub fn file_name(stem: &str, ext: &str, suffix: Option<u32>, ascii: bool) -> String {
    let ext = clean(ext, ascii).replace('.', "_");
    let tail = match suffix {
        Some(n) => format!(" ({n})"),
        None => String::new(),
    };
    let dot_ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    let budget = MAX_COMPONENT_BYTES.saturating_sub(tail.len() + dot_ext.len());
    let mut base = clean(stem, ascii);
    base = trim_end(truncate_bytes(&base, budget)).to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_transliteration() {
        assert_eq!(to_ascii("Café Müller"), "Cafe Muller");
        assert_eq!(
            to_ascii("Straße Ørsted Æon Œuvre"),
            "Strasse Orsted AEon OEuvre"
        );
        assert_eq!(to_ascii("Łódź — “x” …"), "Lodz - \"x\" ...");
        assert_eq!(to_ascii("Москва"), "Moskva");
        assert_eq!(to_ascii("Σωκράτης"), "Sokratis");
        assert_eq!(to_ascii("東京"), "__");
        // Issue 12: `÷` used to become `/`, a folder separator.
        assert_eq!(to_ascii("6 ÷ 3"), "6 _ 3");
        for c in (0x80..0x3000u32).filter_map(char::from_u32) {
            let a = to_ascii(&c.to_string());
            assert!(!a.contains(['/', '\\']), "{c:?} -> {a:?}");
        }
    }

    #[test]
    fn illegal_characters_and_dots() {
        assert_eq!(
            folder_name("a<b>c:d\"e/f\\g|h?i*j", false),
            "a_b_c_d_e_f_g_h_i_j"
        );
        assert_eq!(
            folder_name("nul\0and\x07bell\ttab", false),
            "nul_and_bell_tab"
        );
        assert_eq!(folder_name("..", false), "_");
        assert_eq!(folder_name("../..", false), "_._");
        assert_eq!(folder_name(".hidden", false), "_hidden");
        assert_eq!(folder_name("name. . ", false), "name");
        assert_eq!(folder_name("   ", false), "_");
        assert_eq!(folder_name("", false), "_");
        assert_eq!(file_name("   ", "mp3", None, false), "_.mp3");
        assert_eq!(file_name("song.", "flac", Some(2), false), "song (2).flac");
    }

    #[test]
    fn reserved_names() {
        for n in ["CON", "con", "Aux", "nul", "COM1", "lpt9", "PRN"] {
            assert!(is_reserved(n), "{n}");
            assert_eq!(folder_name(n, false), format!("{n}_"));
        }
        assert_eq!(file_name("con", "flac", None, false), "con_.flac");
        assert_eq!(file_name("Con.live", "mp3", None, false), "Con_.live.mp3");
        assert!(!is_reserved("CONCERT"));
        assert!(!is_reserved("COM0"));
        assert!(!is_reserved("LPT10"));
        assert_eq!(file_name("Concert", "flac", None, false), "Concert.flac");
    }

    #[test]
    fn long_names_are_cut_on_char_boundaries_keeping_the_extension() {
        let long = "é".repeat(500); // 1000 bytes
        let n = file_name(&long, "flac", Some(12), false);
        assert!(n.len() <= MAX_COMPONENT_BYTES, "{}", n.len());
        assert!(n.ends_with(" (12).flac"));
        let d = folder_name(&"x".repeat(300), false);
        assert_eq!(d.len(), 255);
        // A cut that lands on spaces or dots leaves no trailing ones.
        let s = format!("{}{}", "a".repeat(240), ". . . . . . . . . . . . . . . . ");
        let n = file_name(&s, "mp3", None, false);
        assert!(!n.trim_end_matches(".mp3").ends_with(['.', ' ']), "{n}");
    }

    #[test]
    fn ascii_option_applies_to_everything() {
        assert_eq!(file_name("Jóga", "flac", None, true), "Joga.flac");
        assert_eq!(folder_name("Björk", true), "Bjork");
    }
}
