//! The path template language of `mixtape organize` (beets' path formats).
//!
//! A template is text with fields and function calls:
//! - `$field` or `${field}`: a track field (any name in
//!   [`FIELDS`](crate::library::FIELDS), plus `stem`, the source file name
//!   without extension, `ext`, its extension, `multidisc`, true when the
//!   album has more than one disc, and `compilation`, true when `comp` is
//!   set or the album's artists differ). `$albumartist` is the album's
//!   derived album artist when the tag is empty (see [`crate::album`]), so
//!   an album stays in one folder. `$track` and `$disc` are zero-padded
//!   to two digits, or more when `tracktotal`/`disctotal` need it.
//! - `${field:-fallback}`: the fallback (itself a template) when the field
//!   is missing, empty or only spaces, e.g. `${albumartist:-$artist}`.
//! - `%lower{x}`, `%upper{x}`, `%ascii{x}` (transliterate to ASCII),
//!   `%left{x,n}` (the first `n` characters), `%if{cond,then}` and
//!   `%if{cond,then,else}` (cond is false when empty, `0` or `false`).
//! - `%aunique{}` (beets'): nothing, unless another album has the same
//!   album artist and album; then ` [x]`, where x is the first of year,
//!   label and format that tells them all apart (or their order, 1, 2..).
//!   `%aunique{keys,disambiguators,brackets}` names the fields (separated
//!   by spaces) and the two bracket characters (empty for none).
//! - Escapes: `$$`, `$%`, `$,`, `$}` produce `$`, `%`, `,`, `}`.
//!
//! A literal `/` in the template separates folders. A `/` inside a field
//! value never does: values have it replaced by `_` when they are inserted,
//! so a tag can never add a folder level (or climb out with `../`).
//! Errors point at the column where parsing failed.

use crate::album::{AlbumIndex, Aunique, ALBUM_FIELDS};
use crate::error::{Error, InvalidKind, Result};
use crate::library::track::{field_by_name, FieldValue};
use crate::library::Track;
use crate::names::to_ascii;

/// Fields computed for templates, on top of the stored ones.
const DERIVED: &[&str] = &["stem", "ext", "multidisc", "compilation"];

/// What a template's fields and `%aunique{}` are read from.
pub trait Source {
    /// A field's value (`None` = missing).
    fn value(&self, name: &str) -> Option<String>;
    /// `%aunique{}`: "" unless the item's album needs telling apart.
    fn aunique(&self, _spec: &Aunique) -> String {
        String::new()
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn value(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A track and, when known, every album of its library.
pub struct TrackSource<'a> {
    pub track: &'a Track,
    pub albums: Option<&'a AlbumIndex>,
}

impl Source for TrackSource<'_> {
    fn value(&self, name: &str) -> Option<String> {
        let album = self.albums.and_then(|a| a.album_of(self.track.id));
        let yes = |b: bool| b.then(|| "true".to_string());
        match (name, album) {
            ("multidisc", Some(a)) => yes(a.multidisc()),
            ("compilation", Some(a)) => yes(a.comp),
            ("compilation", None) => yes(self.track.tags.comp.unwrap_or(false)),
            // Every track of a multi-disc album gets a disc number.
            ("disc", Some(a)) if a.multidisc() && self.track.tags.disc.is_none() => {
                let width = a.disctotal().to_string().len().max(2);
                Some(format!("{:0width$}", 1))
            }
            ("albumartist", Some(a)) => track_value(self.track, name)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| Some(a.albumartist.clone())),
            _ => track_value(self.track, name),
        }
    }

    fn aunique(&self, spec: &Aunique) -> String {
        self.albums
            .map(|a| a.aunique(self.track.id, spec))
            .unwrap_or_default()
    }
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Field {
        name: String,
        fallback: Option<Vec<Node>>,
    },
    Call {
        func: Func,
        args: Vec<Vec<Node>>,
    },
    Aunique(Aunique),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Lower,
    Upper,
    Ascii,
    Left,
    If,
    Aunique,
}

impl Func {
    fn by_name(name: &str) -> Option<Func> {
        Some(match name {
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "ascii" => Func::Ascii,
            "left" => Func::Left,
            "if" => Func::If,
            "aunique" => Func::Aunique,
            _ => return None,
        })
    }
    /// Allowed argument counts.
    fn arity(self) -> (usize, usize) {
        match self {
            Func::Lower | Func::Upper | Func::Ascii => (1, 1),
            Func::Left => (2, 2),
            Func::If => (2, 3),
            Func::Aunique => (1, 3),
        }
    }
}

/// What ends the sequence being parsed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    End,
    /// A function argument: `,` or `}`.
    Arg,
    /// A fallback inside `${...}`: `}`.
    Brace,
}

struct Parser<'a> {
    src: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, col: usize, msg: impl std::fmt::Display) -> Error {
        Error::invalid(
            InvalidKind::Malformed,
            format!("template {:?}", self.src),
            format!("{msg} at column {}", col + 1),
        )
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn seq(&mut self, until: Until) -> Result<Vec<Node>> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        let flush = |text: &mut String, nodes: &mut Vec<Node>| {
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(text)));
            }
        };
        while let Some(c) = self.peek() {
            match c {
                ',' if until == Until::Arg => break,
                '}' if until != Until::End => break,
                '$' => {
                    let at = self.pos;
                    self.pos += 1;
                    match self.peek() {
                        Some(e @ ('$' | '%' | ',' | '}')) => {
                            text.push(e);
                            self.pos += 1;
                        }
                        Some('{') => {
                            self.pos += 1;
                            let name_at = self.pos;
                            let name = self.ident();
                            self.check_field(&name, name_at)?;
                            let fallback = match self.peek() {
                                Some('}') => None,
                                Some(':') if self.chars.get(self.pos + 1) == Some(&'-') => {
                                    self.pos += 2;
                                    Some(self.seq(Until::Brace)?)
                                }
                                _ => {
                                    return Err(self.err(
                                        self.pos,
                                        format!("expected '}}' or ':-' after '${{{name}'"),
                                    ))
                                }
                            };
                            if self.peek() != Some('}') {
                                return Err(self.err(at, "unclosed '${'"));
                            }
                            self.pos += 1;
                            flush(&mut text, &mut nodes);
                            nodes.push(Node::Field { name, fallback });
                        }
                        _ => {
                            let name_at = self.pos;
                            let name = self.ident();
                            self.check_field(&name, name_at)?;
                            flush(&mut text, &mut nodes);
                            nodes.push(Node::Field {
                                name,
                                fallback: None,
                            });
                        }
                    }
                }
                '%' => {
                    let at = self.pos;
                    self.pos += 1;
                    let name = self.ident();
                    if name.is_empty() {
                        text.push('%');
                        continue;
                    }
                    let Some(func) = Func::by_name(&name) else {
                        if self.peek() == Some('{') {
                            return Err(self.err(
                                at,
                                format!(
                                    "unknown function %{name} (known: %lower, %upper, %ascii, %left, %if, %aunique)"
                                ),
                            ));
                        }
                        text.push('%');
                        text.push_str(&name);
                        continue;
                    };
                    if self.peek() != Some('{') {
                        return Err(self.err(self.pos, format!("expected '{{' after %{name}")));
                    }
                    self.pos += 1;
                    let mut args = vec![self.seq(Until::Arg)?];
                    loop {
                        match self.peek() {
                            Some(',') => {
                                self.pos += 1;
                                args.push(self.seq(Until::Arg)?);
                            }
                            Some('}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.err(at, format!("unclosed %{name}{{"))),
                        }
                    }
                    let (lo, hi) = func.arity();
                    if args.len() < lo || args.len() > hi {
                        let want = if lo == hi {
                            format!("{lo}")
                        } else {
                            format!("{lo} or {hi}")
                        };
                        return Err(self.err(
                            at,
                            format!("%{name} takes {want} argument(s), got {}", args.len()),
                        ));
                    }
                    if func == Func::Left {
                        let n_ok = matches!(args[1].as_slice(), [Node::Text(t)] if t.trim().parse::<usize>().is_ok());
                        if !n_ok {
                            return Err(self.err(at, "%left{text,n}: n must be a whole number"));
                        }
                    }
                    flush(&mut text, &mut nodes);
                    if func == Func::Aunique {
                        nodes.push(Node::Aunique(self.aunique(&args, at)?));
                        continue;
                    }
                    nodes.push(Node::Call { func, args });
                }
                _ => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut text, &mut nodes);
        Ok(nodes)
    }

    /// `%aunique{keys,disambiguators,brackets}`: literal field lists and
    /// brackets; empty arguments keep beets' defaults.
    fn aunique(&self, args: &[Vec<Node>], at: usize) -> Result<Aunique> {
        let mut spec = Aunique::default();
        let mut texts = Vec::new();
        for a in args {
            match a.as_slice() {
                [] => texts.push(String::new()),
                [Node::Text(t)] => texts.push(t.trim().to_string()),
                _ => return Err(self.err(at, "%aunique{} takes field names, not fields or calls")),
            }
        }
        let fields = |list: &str| -> Result<Vec<String>> {
            list.split_whitespace()
                .map(|f| {
                    let known =
                        field_by_name(f).is_some() || ALBUM_FIELDS.iter().any(|a| a.name == f);
                    if known {
                        Ok(f.to_string())
                    } else {
                        Err(self.err(at, format!("%aunique{{}}: unknown field {f}")))
                    }
                })
                .collect()
        };
        if let Some(k) = texts.first().filter(|k| !k.is_empty()) {
            spec.keys = fields(k)?;
        }
        if let Some(d) = texts.get(1).filter(|d| !d.is_empty()) {
            spec.disambiguators = fields(d)?;
        }
        if let Some(b) = texts.get(2) {
            let b: Vec<char> = b.chars().collect();
            match b.as_slice() {
                [] => (spec.open, spec.close) = (String::new(), String::new()),
                [o, c] => (spec.open, spec.close) = (o.to_string(), c.to_string()),
                _ => return Err(self.err(at, "%aunique{}: brackets are two characters, or none")),
            }
        }
        Ok(spec)
    }

    fn check_field(&self, name: &str, at: usize) -> Result<()> {
        if name.is_empty() {
            return Err(self.err(
                at,
                "expected a field name after '$' (write $$ for a literal '$')",
            ));
        }
        if field_by_name(name).is_none() && !DERIVED.contains(&name) {
            return Err(self.err(at, format!("unknown field ${name}")));
        }
        Ok(())
    }
}

impl Template {
    /// Parse a template; errors name the column.
    pub fn parse(src: &str) -> Result<Template> {
        let mut p = Parser {
            src,
            chars: src.chars().collect(),
            pos: 0,
        };
        let nodes = p.seq(Until::End)?;
        if p.pos < p.chars.len() {
            return Err(p.err(p.pos, "unexpected character"));
        }
        if src.trim().is_empty() {
            return Err(p.err(0, "template is empty"));
        }
        Ok(Template {
            source: src.to_string(),
            nodes,
        })
    }

    /// The template's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluate with `src` giving field values. Values have `/` and `\`
    /// replaced by `_`; literal `/` separate folders.
    pub fn render(&self, src: &dyn Source) -> String {
        render_nodes(&self.nodes, src)
    }

    /// Evaluate for a track, with its album when `albums` is given.
    pub fn render_track(&self, track: &Track, albums: Option<&AlbumIndex>) -> String {
        self.render(&TrackSource { track, albums })
    }
}

/// `src` with every value transliterated to ASCII (for `%ascii{}`).
struct AsciiSource<'a>(&'a dyn Source);

impl Source for AsciiSource<'_> {
    fn value(&self, name: &str) -> Option<String> {
        self.0.value(name).map(|v| to_ascii(&v))
    }
    fn aunique(&self, spec: &Aunique) -> String {
        to_ascii(&self.0.aunique(spec))
    }
}

fn render_nodes(nodes: &[Node], lookup: &dyn Source) -> String {
    let mut out = String::new();
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Field { name, fallback } => {
                let v = lookup.value(name).filter(|v| !v.trim().is_empty());
                match (v, fallback) {
                    (Some(v), _) => out.push_str(&v.replace(['/', '\\'], "_")),
                    (None, Some(fb)) => out.push_str(&render_nodes(fb, lookup)),
                    (None, None) => {}
                }
            }
            Node::Call { func, args } => {
                let arg = |i: usize| render_nodes(&args[i], lookup);
                match func {
                    Func::Lower => out.push_str(&arg(0).to_lowercase()),
                    Func::Upper => out.push_str(&arg(0).to_uppercase()),
                    Func::Ascii => {
                        // Values are transliterated before their `/` and `\`
                        // are replaced, so no transliteration can add a folder.
                        let ascii = AsciiSource(lookup);
                        out.push_str(&to_ascii(&render_nodes(&args[0], &ascii)));
                    }
                    Func::Left => {
                        let n = arg(1).trim().parse::<usize>().unwrap_or(usize::MAX);
                        out.extend(arg(0).chars().take(n));
                    }
                    // Parsed into Node::Aunique.
                    Func::Aunique => {}
                    Func::If => {
                        let c = arg(0);
                        let c = c.trim();
                        let truthy = !(c.is_empty() || c == "0" || c.eq_ignore_ascii_case("false"));
                        if truthy {
                            out.push_str(&arg(1));
                        } else if args.len() > 2 {
                            out.push_str(&arg(2));
                        }
                    }
                }
            }
            Node::Aunique(spec) => out.push_str(&lookup.aunique(spec).replace(['/', '\\'], "_")),
        }
    }
    out
}

/// A track's value for a template field: text as stored, numbers in
/// decimal, `$track`/`$disc` zero-padded, booleans `true` or missing.
pub fn track_value(track: &Track, name: &str) -> Option<String> {
    let pad = |v: Option<i64>, total: Option<i64>| {
        v.map(|n| {
            let width = total.map(|t| t.to_string().len()).unwrap_or(0).max(2);
            format!("{n:0width$}")
        })
    };
    match name {
        "track" => pad(track.tags.track, track.tags.tracktotal),
        "disc" => pad(track.tags.disc, track.tags.disctotal),
        "stem" => track
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned()),
        "ext" => track
            .path
            .extension()
            .map(|s| s.to_string_lossy().into_owned()),
        "multidisc" => {
            let multi = track.tags.disctotal.unwrap_or(0) > 1 || track.tags.disc.unwrap_or(0) > 1;
            multi.then(|| "true".to_string())
        }
        _ => match track.field(name)? {
            FieldValue::Bool(false) => None,
            v => Some(v.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn render(t: &str, fields: &[(&str, &str)]) -> String {
        let m: HashMap<String, String> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Template::parse(t)
            .unwrap()
            .render(&|n: &str| m.get(n).cloned())
    }

    #[test]
    fn fields_and_fallbacks() {
        let f = [("artist", "Nina"), ("title", "Sinnerman"), ("album", "  ")];
        assert_eq!(render("$artist - $title", &f), "Nina - Sinnerman");
        assert_eq!(render("${albumartist:-$artist}", &f), "Nina");
        assert_eq!(render("${album:-Unknown Album}", &f), "Unknown Album");
        assert_eq!(
            render("${albumartist:-${composer:-Nobody}}/x", &f),
            "Nobody/x"
        );
        assert_eq!(render("${title}s", &f), "Sinnermans");
        assert_eq!(render("100% $$5 a$,b", &f), "100% $5 a,b");
    }

    #[test]
    fn functions() {
        let f = [
            ("artist", "Björk Guðmundsdóttir"),
            ("title", "Jóga"),
            ("comp", ""),
        ];
        assert_eq!(render("%lower{$title}", &f), "jóga");
        assert_eq!(render("%upper{$title}", &f), "JÓGA");
        assert_eq!(render("%ascii{$artist}", &f), "Bjork Gudmundsdottir");
        assert_eq!(render("%left{$artist,4}", &f), "Björ");
        assert_eq!(
            render("%if{$comp,Compilations,$artist}", &f),
            "Björk Guðmundsdóttir"
        );
        assert_eq!(render("%if{$title,[$title]}", &f), "[Jóga]");
        assert_eq!(render("%if{0,yes,no}", &f), "no");
        assert_eq!(render("%upper{%left{$title,2}}", &f), "JÓ");
    }

    /// Issue 12: `%ascii{}` turned `÷` in a tag into `/`, a folder separator.
    #[test]
    fn ascii_never_adds_a_folder_level() {
        let f = [("artist", "A ÷ B/C\\D"), ("album", "x")];
        assert_eq!(render("%ascii{$artist}/$album", &f), "A _ B_C_D/x");
        assert_eq!(render("%ascii{$artist ÷ $album}", &f), "A _ B_C_D _ x");
    }

    #[test]
    fn values_never_add_folders() {
        let f = [("artist", "AC/DC"), ("title", "../../etc\\passwd")];
        assert_eq!(render("$artist/$title", &f), "AC_DC/.._.._etc_passwd");
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = Template::parse("$artist/$nope").unwrap_err().to_string();
        assert!(e.contains("unknown field $nope at column 10"), "{e}");
        let e = Template::parse("%lower{$title").unwrap_err().to_string();
        assert!(e.contains("unclosed %lower{ at column 1"), "{e}");
        let e = Template::parse("a %frob{x}").unwrap_err().to_string();
        assert!(e.contains("unknown function %frob (known: %lower"), "{e}");
        assert!(e.ends_with("at column 3"), "{e}");
        let e = Template::parse("%left{$title,x}").unwrap_err().to_string();
        assert!(e.contains("whole number"), "{e}");
        let e = Template::parse("%if{a}").unwrap_err().to_string();
        assert!(e.contains("takes 2 or 3 argument(s), got 1"), "{e}");
        let e = Template::parse("x ${album").unwrap_err().to_string();
        assert!(e.contains("column 10"), "{e}");
        let e = Template::parse("cost: $ 5").unwrap_err().to_string();
        assert!(
            e.contains("expected a field name after '$'") && e.ends_with("at column 8"),
            "{e}"
        );
        assert!(Template::parse("  ").is_err());
    }

    #[test]
    fn track_and_disc_are_padded() {
        let mut t = Track::default();
        t.tags.track = Some(7);
        t.tags.disc = Some(1);
        assert_eq!(track_value(&t, "track").as_deref(), Some("07"));
        assert_eq!(track_value(&t, "disc").as_deref(), Some("01"));
        t.tags.tracktotal = Some(120);
        assert_eq!(track_value(&t, "track").as_deref(), Some("007"));
        assert_eq!(track_value(&t, "multidisc"), None);
        t.tags.disctotal = Some(2);
        assert_eq!(track_value(&t, "multidisc").as_deref(), Some("true"));
        t.path = "/m/a b.flac".into();
        assert_eq!(track_value(&t, "stem").as_deref(), Some("a b"));
        assert_eq!(track_value(&t, "ext").as_deref(), Some("flac"));
    }

    fn album_track(id: i64, path: &str, album: &str, artist: &str, disc: Option<i64>) -> Track {
        let mut t = crate::album::tests::t(id, path, album, artist, disc, id);
        t.tags.title = Some(format!("T{id}"));
        t
    }

    /// The default template with album facts: a compilation goes under
    /// Compilations/, every track of a multi-disc album gets a disc
    /// (also the one without a disc tag), and two same-named albums are
    /// told apart.
    #[test]
    fn default_template_with_albums() {
        use crate::album::{group, AlbumIndex};
        let mut tracks = vec![
            album_track(1, "/m/v/1.flac", "Hits", "X", None),
            album_track(2, "/m/v/2.flac", "Hits", "Y", None),
            album_track(3, "/m/s/a.flac", "Saga", "Z", None),
            album_track(4, "/m/s/b.flac", "Saga", "Z", Some(2)),
            album_track(5, "/m/l1/1.flac", "Live", "Z", None),
            album_track(6, "/m/l2/1.flac", "Live", "Z", None),
        ];
        tracks[4].tags.year = Some(1990);
        tracks[5].tags.year = Some(2001);
        // The same number in both: two releases, not one split in folders.
        tracks[5].tags.track = Some(5);
        let index = AlbumIndex::new(group(tracks.clone()));
        let tpl = Template::parse(crate::organize::DEFAULT_TEMPLATE).unwrap();
        let paths: Vec<String> = tracks
            .iter()
            .map(|t| tpl.render_track(t, Some(&index)))
            .collect();
        assert_eq!(
            paths,
            [
                "Compilations/Hits/01 T1",
                "Compilations/Hits/02 T2",
                "Z/Saga/01-03 T3",
                "Z/Saga/02-04 T4",
                "Z/Live [1990]/05 T5",
                "Z/Live [2001]/05 T6",
            ]
        );
        // Without the library's albums, only the track's own tags count.
        assert_eq!(tpl.render_track(&tracks[0], None), "X/Hits/01 T1");
        let own = Template::parse("%aunique{albumartist album,year,()}|%aunique{,,}").unwrap();
        assert_eq!(own.render_track(&tracks[4], Some(&index)), " (1990)| 1990");
        let e = Template::parse("%aunique{,nope}").unwrap_err().to_string();
        assert!(
            e.contains("%aunique{}: unknown field nope at column 1"),
            "{e}"
        );
        let e = Template::parse("%aunique{$album}").unwrap_err().to_string();
        assert!(e.contains("takes field names"), "{e}");
        let e = Template::parse("%aunique{,,[[]}").unwrap_err().to_string();
        assert!(e.contains("two characters"), "{e}");
    }
}
