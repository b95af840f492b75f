//! XSPF (XML Shareable Playlist Format): `<playlist><trackList><track>` with
//! `<location>`, `<creator>`, `<title>` and `<duration>` (milliseconds).
//!
//! The reader is a small, strict XML tokenizer written for this job: it checks
//! that tags balance and entities are known, and reports the line and column
//! of the first error. It never expands DTD entities (no "billion laughs") and
//! never fetches anything. Namespace prefixes are ignored (`xspf:track` is a
//! track). Locations are returned as written: URIs, which [`super::resolve`]
//! decodes. The writer escapes every text and drops characters XML 1.0
//! cannot carry.

use super::{decode_text, parse_seconds, valid_seconds, ExportEntry, ParseError, RawEntry};

/// Parse an XSPF file. Linear in the size of the input.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawEntry>, ParseError> {
    let text = decode_text(bytes);
    let mut lex = Lexer::new(&text);
    // Open elements: (local name, line, column).
    let mut stack: Vec<(String, usize, usize)> = Vec::new();
    let mut entries = Vec::new();
    let mut track: Option<RawEntry> = None;
    let mut leaf = String::new();
    let mut leaf_line = 0;
    let mut root_done = false;
    loop {
        match lex.next()? {
            Event::Eof => break,
            Event::Start {
                name,
                line,
                column,
                empty,
            } => {
                let local = local_name(&name).to_string();
                if root_done {
                    return Err(ParseError::new(
                        line,
                        column,
                        "content after the root element",
                    ));
                }
                if stack.is_empty() && local != "playlist" {
                    return Err(ParseError::new(
                        line,
                        column,
                        format!("expected the <playlist> root element, found <{name}>"),
                    ));
                }
                if in_track_list(&stack) && local == "track" {
                    track = Some(RawEntry {
                        line,
                        ..Default::default()
                    });
                }
                leaf.clear();
                leaf_line = line;
                if empty {
                    close(&stack, &local, &mut track, &mut entries, "", line);
                    if stack.is_empty() {
                        root_done = true;
                    }
                } else {
                    stack.push((local, line, column));
                }
            }
            Event::End { name, line, column } => {
                let local = local_name(&name);
                match stack.pop() {
                    Some((open, _, _)) if open == local => {
                        close(&stack, local, &mut track, &mut entries, &leaf, leaf_line);
                        leaf.clear();
                        if stack.is_empty() {
                            root_done = true;
                        }
                    }
                    Some((open, ol, oc)) => {
                        return Err(ParseError::new(
                            line,
                            column,
                            format!(
                            "</{name}> does not close <{open}> (opened at line {ol}, column {oc})"
                        ),
                        ))
                    }
                    None => {
                        return Err(ParseError::new(
                            line,
                            column,
                            format!("</{name}> closes nothing"),
                        ))
                    }
                }
            }
            Event::Text { text, line, column } => {
                if stack.is_empty() {
                    if !text.trim().is_empty() {
                        return Err(ParseError::new(
                            line,
                            column,
                            "text outside the root element",
                        ));
                    }
                    continue;
                }
                if stack.len() == 4 {
                    if leaf.is_empty() {
                        leaf_line = line;
                    }
                    leaf.push_str(&text);
                }
            }
        }
    }
    if let Some((open, l, c)) = stack.last() {
        return Err(ParseError::new(
            lex.line,
            lex.column(lex.pos),
            format!("unexpected end of file: <{open}> (line {l}, column {c}) is not closed"),
        ));
    }
    if !root_done {
        return Err(ParseError::new(
            1,
            1,
            "no <playlist> element (empty document)",
        ));
    }
    Ok(entries)
}

/// Is the innermost open element path `playlist/trackList`?
fn in_track_list(stack: &[(String, usize, usize)]) -> bool {
    stack.len() == 2 && stack[1].0 == "trackList"
}

/// An element named `local` was closed while `stack` was open around it.
fn close(
    stack: &[(String, usize, usize)],
    local: &str,
    track: &mut Option<RawEntry>,
    entries: &mut Vec<RawEntry>,
    text: &str,
    text_line: usize,
) {
    if stack.len() == 2 && in_track_list(stack) && local == "track" {
        if let Some(t) = track.take() {
            entries.push(t);
        }
        return;
    }
    if stack.len() != 3 || stack[2].0 != "track" {
        return;
    }
    let Some(t) = track.as_mut() else { return };
    let value = text.trim();
    match local {
        // Several <location>s are alternatives: the first one is the entry.
        "location" if t.location.is_empty() => {
            t.location = value.to_string();
            t.line = text_line;
        }
        "title" if !value.is_empty() => t.title = Some(value.to_string()),
        "creator" if !value.is_empty() => t.artist = Some(value.to_string()),
        "duration" => t.duration = parse_seconds(value).map(|ms| ms / 1000.0),
        _ => {}
    }
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

enum Event {
    Start {
        name: String,
        line: usize,
        column: usize,
        empty: bool,
    },
    End {
        name: String,
        line: usize,
        column: usize,
    },
    Text {
        text: String,
        line: usize,
        column: usize,
    },
    Eof,
}

/// A forward-only XML tokenizer that tracks line numbers as it goes.
#[derive(Clone, Copy)]
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer {
            s,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// 1-based column of byte `pos` on the current line (in characters).
    fn column(&self, pos: usize) -> usize {
        self.s
            .get(self.line_start..pos)
            .map(|p| p.chars().count())
            .unwrap_or(0)
            + 1
    }

    fn here(&self) -> (usize, usize) {
        (self.line, self.column(self.pos))
    }

    /// Move to byte `to`, counting the line ends passed.
    fn advance(&mut self, to: usize) {
        let to = to.min(self.s.len());
        let passed = &self.s.as_bytes()[self.pos..to];
        for (i, b) in passed.iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = to;
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        let (l, c) = self.here();
        ParseError::new(l, c, message)
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    /// Skip to just after `end`, or fail with `what` at the current position.
    fn skip_past(&mut self, end: &str, what: &str) -> Result<&'a str, ParseError> {
        match self.rest().find(end) {
            Some(i) => {
                let body = &self.s[self.pos..self.pos + i];
                self.advance(self.pos + i + end.len());
                Ok(body)
            }
            None => Err(self.err(format!("unterminated {what}"))),
        }
    }

    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.advance(self.pos + n);
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let rest = self.rest();
        let n = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '>' | '=' | '<' | '"' | '\''))
            .unwrap_or(rest.len());
        if n == 0 {
            return Err(self.err("expected a name"));
        }
        let name = rest[..n].to_string();
        self.advance(self.pos + n);
        Ok(name)
    }

    fn next(&mut self) -> Result<Event, ParseError> {
        loop {
            if self.pos >= self.s.len() {
                return Ok(Event::Eof);
            }
            let (line, column) = self.here();
            let rest = self.rest();
            if !rest.starts_with('<') {
                let n = rest.find('<').unwrap_or(rest.len());
                let raw = &rest[..n];
                let at = |(off, msg): (usize, String)| {
                    let mut l = *self;
                    l.advance(self.pos + off);
                    l.err(msg)
                };
                check_chars(raw).map_err(at)?;
                let text = unescape(raw).map_err(at)?;
                self.advance(self.pos + n);
                return Ok(Event::Text { text, line, column });
            }
            if rest.starts_with("<!--") {
                self.advance(self.pos + 4);
                self.skip_past("-->", "comment")?;
                continue;
            }
            if rest.starts_with("<![CDATA[") {
                self.advance(self.pos + 9);
                let body = self.skip_past("]]>", "CDATA section")?;
                return Ok(Event::Text {
                    text: body.to_string(),
                    line,
                    column,
                });
            }
            if rest.starts_with("<?") {
                self.advance(self.pos + 2);
                self.skip_past("?>", "processing instruction")?;
                continue;
            }
            if rest.starts_with("<!") {
                // DOCTYPE and friends: skipped (entities are never expanded).
                let mut depth = 0i64;
                let end = rest.char_indices().find(|&(_, c)| {
                    match c {
                        '[' => depth += 1,
                        ']' => depth -= 1,
                        '>' if depth <= 0 => return true,
                        _ => {}
                    }
                    false
                });
                match end {
                    Some((i, _)) => {
                        self.advance(self.pos + i + 1);
                        continue;
                    }
                    None => return Err(self.err("unterminated <! declaration")),
                }
            }
            if rest.starts_with("</") {
                self.advance(self.pos + 2);
                let name = self.name()?;
                self.skip_ws();
                if !self.rest().starts_with('>') {
                    return Err(self.err(format!("expected '>' to end </{name}")));
                }
                self.advance(self.pos + 1);
                return Ok(Event::End { name, line, column });
            }
            self.advance(self.pos + 1);
            let name = self.name()?;
            loop {
                self.skip_ws();
                let rest = self.rest();
                if rest.starts_with("/>") {
                    self.advance(self.pos + 2);
                    return Ok(Event::Start {
                        name,
                        line,
                        column,
                        empty: true,
                    });
                }
                if rest.starts_with('>') {
                    self.advance(self.pos + 1);
                    return Ok(Event::Start {
                        name,
                        line,
                        column,
                        empty: false,
                    });
                }
                if rest.is_empty() {
                    return Err(self.err(format!("unexpected end of file inside <{name}>")));
                }
                let attr = self.name()?;
                self.skip_ws();
                if !self.rest().starts_with('=') {
                    return Err(self.err(format!("expected '=' after attribute {attr}")));
                }
                self.advance(self.pos + 1);
                self.skip_ws();
                let quote = match self.rest().chars().next() {
                    Some(q @ ('"' | '\'')) => q,
                    _ => return Err(self.err(format!("expected a quoted value for {attr}"))),
                };
                let value_start = self.pos + 1;
                let Some(len) = self.s[value_start..].find(quote) else {
                    return Err(self.err(format!("unterminated value of {attr}")));
                };
                let raw = &self.s[value_start..value_start + len];
                if let Some(i) = raw.find('<') {
                    self.advance(value_start + i);
                    return Err(self.err("'<' is not allowed in an attribute value"));
                }
                if let Err((off, msg)) = unescape(raw) {
                    self.advance(value_start + off);
                    return Err(self.err(msg));
                }
                self.advance(value_start + len + 1);
            }
        }
    }
}

/// Characters XML 1.0 does not allow in a document.
fn check_chars(s: &str) -> Result<(), (usize, String)> {
    match s.char_indices().find(|(_, c)| {
        (*c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    }) {
        Some((i, c)) => Err((
            i,
            format!("character U+{:04X} is not allowed in XML", c as u32),
        )),
        None => Ok(()),
    }
}

/// Decode the five predefined entities and character references; an unknown
/// entity is an error at its byte offset.
fn unescape(raw: &str) -> Result<String, (usize, String)> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(rel) = raw[i..].find('&') {
        let at = i + rel;
        out.push_str(&raw[i..at]);
        let Some(semi) = raw[at..].find(';').filter(|&n| n <= 12) else {
            return Err((at, "'&' must start an entity such as &amp;".to_string()));
        };
        let ent = &raw[at + 1..at + semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let num = if let Some(h) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X"))
                {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse::<u32>().ok()
                } else {
                    None
                };
                num.and_then(char::from_u32).filter(|&c| c != '\0')
            }
        };
        match c {
            Some(c) => out.push(c),
            None => return Err((at, format!("unknown entity &{ent};"))),
        }
        i = at + semi + 1;
    }
    out.push_str(&raw[i..]);
    Ok(out)
}

/// Escape text for XML content and attribute values; characters XML 1.0
/// cannot carry, and the DEL and C1 controls it discourages, become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Write an XSPF document titled `name`. Locations must already be URIs
/// (see [`super::location::path_to_uri`]).
pub fn write(name: &str, entries: &[ExportEntry]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n",
    );
    out.push_str(&format!(
        "  <title>{}</title>\n  <trackList>\n",
        escape(name)
    ));
    for e in entries {
        out.push_str("    <track>\n");
        out.push_str(&format!(
            "      <location>{}</location>\n",
            escape(&e.location)
        ));
        if let Some(a) = &e.artist {
            out.push_str(&format!("      <creator>{}</creator>\n", escape(a)));
        }
        if let Some(t) = &e.title {
            out.push_str(&format!("      <title>{}</title>\n", escape(t)));
        }
        if let Some(d) = valid_seconds(e.duration) {
            out.push_str(&format!(
                "      <duration>{}</duration>\n",
                (d * 1000.0).round() as u64
            ));
        }
        out.push_str("    </track>\n");
    }
    out.push_str("  </trackList>\n</playlist>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE playlist [ <!ENTITY lol "lol"> ]>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <title>Road &amp; trip</title>
  <!-- a comment with <tags> -->
  <trackList>
    <track>
      <location>file:///music/AC%2FDC/Back%20in%20Black.flac</location>
      <location>http://example.com/alt.mp3</location>
      <creator>AC/DC</creator>
      <title>Back in &lt;Black&gt; &#233;&#xE9;</title>
      <duration>255000</duration>
      <extension application="x"><title>ignored</title></extension>
    </track>
    <track><location><![CDATA[relative/a&b.mp3]]></location></track>
    <track><title>no location</title></track>
  </trackList>
</playlist>
"#;

    #[test]
    fn parses_tracks_with_lines() {
        let e = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(
            e[0].location,
            "file:///music/AC%2FDC/Back%20in%20Black.flac"
        );
        assert_eq!(e[0].line, 8);
        assert_eq!(e[0].artist.as_deref(), Some("AC/DC"));
        assert_eq!(e[0].title.as_deref(), Some("Back in <Black> éé"));
        assert_eq!(e[0].duration, Some(255.0));
        assert_eq!(e[1].location, "relative/a&b.mp3");
        assert_eq!(e[1].line, 15);
        assert_eq!(e[2].location, "");
        assert_eq!(e[2].title.as_deref(), Some("no location"));
        assert_eq!(e[2].line, 16);
    }

    #[test]
    fn invalid_xml_errors_name_line_and_column() {
        let cases: &[(&str, usize, usize, &str)] = &[
            (
                "<playlist>\n<trackList>\n</playlist>",
                3,
                1,
                "does not close <trackList>",
            ),
            ("<playlist>\n  <trackList>", 2, 14, "not closed"),
            (
                "<playlist>\n <a>&bogus;</a></playlist>",
                2,
                5,
                "unknown entity",
            ),
            (
                "<playlist>\n <a>AT&T</a></playlist>",
                2,
                7,
                "'&' must start",
            ),
            ("<html></html>", 1, 1, "expected the <playlist> root"),
            ("<playlist a=1/>", 1, 13, "expected a quoted value"),
            ("", 1, 1, "no <playlist>"),
            ("<playlist/>junk", 1, 12, "text outside"),
            (
                "<playlist><!-- x </playlist>",
                1,
                15,
                "unterminated comment",
            ),
            ("<playlist>\u{1}</playlist>", 1, 11, "not allowed in XML"),
        ];
        for (doc, line, col, msg) in cases {
            let e = parse(doc.as_bytes()).unwrap_err();
            assert_eq!((e.line, e.column), (*line, *col), "{doc:?}: {e}");
            assert!(e.message.contains(msg), "{doc:?}: {e}");
        }
    }

    #[test]
    fn namespace_prefixes_are_ignored() {
        let doc = r#"<x:playlist xmlns:x="http://xspf.org/ns/0/"><x:trackList><x:track><x:location>/a.mp3</x:location></x:track></x:trackList></x:playlist>"#;
        let e = parse(doc.as_bytes()).unwrap();
        assert_eq!(e[0].location, "/a.mp3");
    }

    #[test]
    fn escapes_and_round_trips() {
        let entries = vec![ExportEntry {
            location: "file:///m/Tom%20%26%20Jerry/%3C1%3E.mp3".into(),
            duration: Some(61.5),
            artist: Some("Tom & \"Jerry\" <'s>".into()),
            title: Some("bell\u{7}".into()),
        }];
        let doc = write("R&B <mix>", &entries);
        assert!(doc.contains("<title>R&amp;B &lt;mix&gt;</title>"), "{doc}");
        assert!(doc.contains("<creator>Tom &amp; &quot;Jerry&quot; &lt;&apos;s&gt;</creator>"));
        assert!(doc.contains("<title>bell\u{fffd}</title>"));
        let back = parse(doc.as_bytes()).unwrap();
        assert_eq!(back[0].location, entries[0].location);
        assert_eq!(back[0].artist, entries[0].artist);
        assert_eq!(back[0].duration, Some(61.5));
    }
}
