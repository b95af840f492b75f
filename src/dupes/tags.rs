//! Normalised artist and title, for the optional `--by-tags` stage.
//!
//! Tags are the weakest evidence of a duplicate (a live and a studio take, or
//! a mislabelled file, carry the same tags), so this stage only ever links a
//! file that has no usable fingerprint. Normalisation removes differences
//! that do not change what a tag names: case, punctuation, spacing, a
//! leading "The", "&" against "and", and common accents. Words inside
//! brackets are kept: "(Live)" or "(Remix)" names a different recording.

/// The normalised form of a tag value; empty when nothing meaningful is left.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c == '&' {
            out.push_str(" and ");
        } else if c.is_alphanumeric() {
            out.push(c);
        } else if c == '\'' || c == '’' {
            // "don't" and "dont" are the same word.
        } else {
            out.push(' ');
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let words = match words.as_slice() {
        ["the", rest @ ..] if !rest.is_empty() => rest,
        w => w,
    };
    words.join(" ")
}

/// The key two tracks must share to be "the same tags": normalised artist
/// and title, both present.
pub fn tag_key(artist: Option<&str>, title: Option<&str>) -> Option<(String, String)> {
    let artist = normalize(artist?);
    let title = normalize(title?);
    (!artist.is_empty() && !title.is_empty()).then_some((artist, title))
}

/// Latin letters with the most common diacritics, folded to ASCII.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_punctuation_articles_and_accents() {
        assert_eq!(normalize("  The Beatles "), "beatles");
        assert_eq!(normalize("Simon & Garfunkel"), "simon and garfunkel");
        assert_eq!(normalize("Don't Stop Me Now!"), "dont stop me now");
        assert_eq!(normalize("Björk"), "bjork");
        assert_eq!(normalize("The"), "the");
        assert_eq!(normalize("..."), "");
        // Bracketed words name another version and are kept.
        assert_ne!(normalize("Song (Live)"), normalize("Song"));
    }

    #[test]
    fn key_needs_both_fields() {
        assert_eq!(
            tag_key(Some("ABBA"), Some("Waterloo")),
            Some(("abba".into(), "waterloo".into()))
        );
        assert_eq!(tag_key(None, Some("Waterloo")), None);
        assert_eq!(tag_key(Some("ABBA"), Some("?!")), None);
    }
}
