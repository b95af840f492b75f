//! Transliteration to ASCII, for organize's `%ascii{}` and `--ascii`, the
//! strict FAT/car names of export and cdrdao's 7-bit CD-TEXT.
//!
//! Invariant: no character transliterates to a path separator (`/` or
//! `\`), so transliterating a tag value can never add a folder level.

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
    fn ascii_text_folds_accents() {
        assert!(to_ascii("Björk – Jóga").starts_with("Bjork "));
        assert!(to_ascii("Björk – Jóga").ends_with(" Joga"));
    }
}
