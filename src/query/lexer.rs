//! Splitting query words into terms.
//!
//! Each command-line word may hold several terms separated by whitespace
//! (`'artist:bowie year:1970..1979'`). Double or single quotes group a phrase
//! into one term, also in the middle of a term (`title:"at last"`). Every
//! character remembers whether it was quoted, so that a quoted `:`, `,`, `^`,
//! `-`, `+` or `..` is plain text, and its column in its word, so that errors
//! can point at it.
//!
//! Backslash escapes only a quote character or whitespace (`\"`, `\'`, `\ `);
//! any other backslash is kept, so regular expressions like `title::\d+` need
//! no doubling. Inside single quotes nothing is special.

use super::QueryError;

/// One character of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ch {
    /// The character itself.
    pub c: char,
    /// Whether it came from inside quotes or after a backslash.
    pub quoted: bool,
    /// 1-based column of the character in its word.
    pub col: usize,
}

/// One term as typed: its characters and where it sits in its word.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// The term's characters with the quotes removed.
    pub chars: Vec<Ch>,
    /// The term as typed (quotes included), for error messages.
    pub raw: String,
    /// 1-based column of the term's first character in its word.
    pub col: usize,
}

impl Token {
    /// The characters `chars[from..]` as a string.
    pub fn text(&self, from: usize) -> String {
        self.chars
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .map(|c| c.c)
            .collect()
    }

    /// An error about this term, pointing at `chars[at]` (or just past its
    /// end when `at` is out of range). Columns count from the term's start.
    pub fn error_at(&self, at: usize, msg: impl Into<String>) -> QueryError {
        let col = match self.chars.get(at) {
            Some(c) => c.col,
            None => match self.chars.last() {
                Some(c) => c.col + 1,
                None => self.col,
            },
        };
        QueryError {
            term: self.raw.clone(),
            message: msg.into(),
            column: col.saturating_sub(self.col) + 1,
        }
    }

    /// Is this character index an unquoted `c`?
    pub fn is_op(&self, at: usize, c: char) -> bool {
        matches!(self.chars.get(at), Some(ch) if ch.c == c && !ch.quoted)
    }
}

/// Split one word into terms.
pub(crate) fn lex_word(word: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = word.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut out = Vec::new();
        while i < chars.len() && !chars[i].is_whitespace() {
            let c = chars[i];
            match c {
                '"' | '\'' => {
                    let open = i;
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => {
                                let raw: String = chars[start..].iter().collect();
                                return Err(QueryError {
                                    term: raw,
                                    message: format!("unbalanced quote ({c})"),
                                    column: open - start + 1,
                                });
                            }
                            Some(&q) if q == c => {
                                i += 1;
                                break;
                            }
                            Some('\\') if c == '"' && matches!(chars.get(i + 1), Some('"')) => {
                                out.push(Ch {
                                    c: '"',
                                    quoted: true,
                                    col: i + 2,
                                });
                                i += 2;
                            }
                            Some(&q) => {
                                out.push(Ch {
                                    c: q,
                                    quoted: true,
                                    col: i + 1,
                                });
                                i += 1;
                            }
                        }
                    }
                }
                '\\' if matches!(chars.get(i + 1), Some(n) if *n == '"' || *n == '\'' || n.is_whitespace()) =>
                {
                    out.push(Ch {
                        c: chars[i + 1],
                        quoted: true,
                        col: i + 2,
                    });
                    i += 2;
                }
                _ => {
                    out.push(Ch {
                        c,
                        quoted: false,
                        col: i + 1,
                    });
                    i += 1;
                }
            }
        }
        tokens.push(Token {
            chars: out,
            raw: chars[start..i].iter().collect(),
            col: start + 1,
        });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(w: &str) -> Vec<String> {
        lex_word(w).unwrap().iter().map(|t| t.text(0)).collect()
    }

    #[test]
    fn splits_on_whitespace_and_keeps_quoted_phrases() {
        assert_eq!(texts("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(texts(r#"title:"at last" x"#), ["title:at last", "x"]);
        assert_eq!(texts("'it''s'"), ["its"]);
        assert_eq!(texts(r#""say \"hi\"""#), [r#"say "hi""#]);
        assert_eq!(texts(r"a\ b"), ["a b"]);
        assert_eq!(texts(r"title::\d+"), [r"title::\d+"]);
        assert_eq!(texts(r#""""#), [""]);
        assert!(texts("   ").is_empty());
    }

    #[test]
    fn quoted_characters_are_marked() {
        let t = &lex_word(r#"a":"b"#).unwrap()[0];
        assert!(!t.chars[0].quoted);
        assert!(t.chars[1].quoted);
        assert!(!t.is_op(1, ':'));
    }

    #[test]
    fn unbalanced_quote_points_at_the_quote() {
        let e = lex_word(r#"x title:"at last"#).unwrap_err();
        assert_eq!(e.term, r#"title:"at last"#);
        assert_eq!(e.column, 7);
        assert!(e.message.contains("unbalanced"), "{e:?}");
    }

    #[test]
    fn columns_are_relative_to_the_term() {
        let toks = lex_word("ab year:19x0").unwrap();
        let e = toks[1].error_at(5, "expected a number");
        assert_eq!(e.column, 6);
        assert_eq!(e.term, "year:19x0");
    }
}
