//! SQL functions every library connection has: `regexp(pattern, value)`
//! (behind the `REGEXP` operator), `mixtape_lower(text)` (Unicode lower
//! case) and `mixtape_contains(text, needle)` (Unicode case-insensitive
//! substring). The query module's SQL relies on them; they live here so the
//! library registers its own functions and does not depend on the query
//! module (query depends on library, never the reverse).

use std::sync::Arc;

use regex::Regex;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// Compile a regular expression the way the `REGEXP` function does (a size
/// limit keeps pathological patterns from eating memory).
pub fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(4 << 20)
        .dfa_size_limit(4 << 20)
        .build()
}

/// Register the SQL functions queries use on `conn`: `regexp(pattern, value)`
/// (which backs the `REGEXP` operator), `mixtape_contains(text, needle)` and
/// `mixtape_lower(text)`. Called when
/// a library connection opens; harmless to call again.
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("regexp", 2, flags, |ctx| {
        let re: Arc<Regex> = ctx.get_or_create_aux(0, |vr| -> Result<Regex, BoxError> {
            let p = match vr {
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                _ => return Err("regexp: the pattern must be text".into()),
            };
            Ok(compile_regex(&p)?)
        })?;
        Ok(value_text(ctx.get_raw(1)).map(|s| re.is_match(&s)))
    })?;
    conn.create_scalar_function("mixtape_lower", 1, flags, |ctx| {
        Ok(value_text(ctx.get_raw(0)).map(|s| s.to_lowercase()))
    })?;
    conn.create_scalar_function("mixtape_contains", 2, flags, |ctx| {
        let needle = match ctx.get_raw(1) {
            ValueRef::Text(t) => t,
            _ => return Ok(None),
        };
        let hay = match ctx.get_raw(0) {
            ValueRef::Text(t) => t,
            _ => return Ok(None),
        };
        Ok(Some(contains_lowercase(hay, needle)))
    })?;
    Ok(())
}

/// Does `hay`, lower-cased (Unicode), contain `needle` (already lower-cased)?
/// Most tags are ASCII, and an ASCII text lower-cases to ASCII, so it cannot
/// contain a needle with other characters: that case answers without
/// allocating.
fn contains_lowercase(hay: &[u8], needle: &[u8]) -> bool {
    if hay.is_ascii() && !needle.is_ascii() {
        return false;
    }
    let hay = String::from_utf8_lossy(hay).to_lowercase();
    let needle = String::from_utf8_lossy(needle);
    hay.contains(needle.as_ref())
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Any SQL value as text (NULL stays None; BLOBs such as paths are decoded
/// lossily).
fn value_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_work() {
        let c = Connection::open_in_memory().unwrap();
        register_functions(&c).unwrap();
        let r: Option<bool> = c
            .query_row("SELECT 'abc' REGEXP '^a.c$'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, Some(true));
        let r: Option<bool> = c
            .query_row("SELECT NULL REGEXP 'x'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, None);
        let r: Option<bool> = c
            .query_row("SELECT 1999 REGEXP '^19'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, Some(true));
        let s: String = c
            .query_row("SELECT mixtape_lower('ÉCOLE Björk')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(s, "école björk");
        let r: Option<bool> = c
            .query_row(
                "SELECT mixtape_contains('BJÖRK Guðmundsdóttir', 'björk g')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(r, Some(true));
        let r: Option<bool> = c
            .query_row("SELECT mixtape_contains('Bjork', 'björk')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(r, Some(false));
        // A bad pattern from another caller is an SQL error, not a panic.
        assert!(c
            .query_row("SELECT 'a' REGEXP '('", [], |r| r.get::<_, Option<bool>>(0))
            .is_err());
    }
}
