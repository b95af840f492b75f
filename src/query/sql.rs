//! The typed AST to SQL, with bound parameters only. The SQL functions the
//! generated SQL relies on (`REGEXP`, `mixtape_contains`, `mixtape_lower`)
//! are registered by the library itself ([`crate::library::functions`]).
//!
//! Column names come from [`crate::library::track::FIELDS`] (a whitelist) or
//! are fixed strings here; every value the user typed travels as a parameter.
//!
//! Text matching: SQLite's `LIKE` folds case for ASCII only, so a needle that
//! is pure ASCII uses `LIKE` directly (fast), and a needle with other
//! characters goes through `mixtape_contains(field, needle)`, a Rust
//! function comparing Unicode lower case (and answering "no" at once for an
//! ASCII field, which cannot contain a non-ASCII needle). Sorting uses
//! SQLite's NOCASE collation, which folds ASCII only: `Édith` sorts after `Z`.

use rusqlite::types::Value;

use super::{Pred, Query, Term, TextMatch};
use crate::library::track::{FieldKind, FIELDS};

/// `cond` of a column; for a multi-valued column (a JSON array), true
/// when `cond` holds for any one of its values.
fn each_value(field: &str, cond: impl Fn(&str) -> String) -> String {
    let list = FIELDS
        .iter()
        .any(|f| f.name == field && f.kind == FieldKind::List);
    if list {
        format!(
            "EXISTS (SELECT 1 FROM json_each({field}) AS v WHERE {})",
            cond("v.value")
        )
    } else {
        cond(field)
    }
}

/// Collects parameters and hands out their `?N` placeholders.
#[derive(Default)]
pub(crate) struct Builder {
    pub params: Vec<Value>,
}

impl Builder {
    fn param(&mut self, v: Value) -> String {
        self.params.push(v);
        format!("?{}", self.params.len())
    }

    /// The condition for a whole query (OR of AND groups); "1" when empty.
    pub fn query(&mut self, q: &Query) -> String {
        // Quarantined tracks are out of the active library unless the
        // query asks about them (`quarantined:true`).
        let active = if q.names_field("quarantined") {
            ""
        } else {
            " AND quarantined = 0"
        };
        // An image file's own row is not a track: its CUE tracks are.
        format!("({}){active} AND is_image = 0", self.groups(q))
    }

    fn groups(&mut self, q: &Query) -> String {
        if q.groups.is_empty() {
            return "1".into();
        }
        let groups: Vec<String> = q
            .groups
            .iter()
            .map(|g| {
                let terms: Vec<String> = g.iter().map(|t| self.term(t)).collect();
                format!("({})", terms.join(" AND "))
            })
            .collect();
        if groups.len() == 1 {
            groups.into_iter().next().unwrap_or_else(|| "1".into())
        } else {
            format!("({})", groups.join(" OR "))
        }
    }

    fn term(&mut self, t: &Term) -> String {
        let c = self.pred(&t.pred);
        if t.negated {
            // NULL (a missing tag) must count as "does not match".
            format!("NOT COALESCE(({c}), 0)")
        } else {
            format!("({c})")
        }
    }

    fn pred(&mut self, p: &Pred) -> String {
        match p {
            Pred::Text { fields, m } => {
                if fields.is_empty() {
                    return "0".into();
                }
                let template = self.text(m);
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| each_value(f, |v| template.replace("{f}", v)))
                    .collect();
                parts.join(" OR ")
            }
            Pred::Regex {
                field,
                kind,
                pattern,
            } => {
                let n = self.param(Value::Text(pattern.clone()));
                match kind {
                    FieldKind::Hash => format!("lower(hex({field})) REGEXP {n}"),
                    _ => each_value(field, |v| format!("{v} REGEXP {n}")),
                }
            }
            Pred::IntRange { field, lo, hi } => {
                let mut parts = Vec::new();
                match (lo, hi) {
                    (Some(a), Some(b)) if a == b => {
                        let n = self.param(Value::Integer(*a));
                        parts.push(format!("{field} = {n}"));
                    }
                    _ => {
                        if let Some(a) = lo {
                            let n = self.param(Value::Integer(*a));
                            parts.push(format!("{field} >= {n}"));
                        }
                        if let Some(b) = hi {
                            let n = self.param(Value::Integer(*b));
                            parts.push(format!("{field} <= {n}"));
                        }
                    }
                }
                parts.join(" AND ")
            }
            Pred::FloatRange {
                field,
                lo,
                hi,
                hi_inclusive,
            } => {
                let mut parts = Vec::new();
                if let Some(a) = lo {
                    let n = self.param(Value::Real(*a));
                    parts.push(format!("{field} >= {n}"));
                }
                if let Some(b) = hi {
                    let n = self.param(Value::Real(*b));
                    let op = if *hi_inclusive { "<=" } else { "<" };
                    parts.push(format!("{field} {op} {n}"));
                }
                parts.join(" AND ")
            }
            Pred::TimeRange { field, start, end } => {
                let mut parts = Vec::new();
                if let Some(a) = start {
                    let n = self.param(Value::Real(*a));
                    parts.push(format!("{field} >= {n}"));
                }
                if let Some(b) = end {
                    let n = self.param(Value::Real(*b));
                    parts.push(format!("{field} < {n}"));
                }
                parts.join(" AND ")
            }
            Pred::Bool { field, value } => {
                let nullable_false = *field == "comp";
                match (value, nullable_false) {
                    (true, _) => format!("{field} = 1"),
                    (false, true) => format!("IFNULL({field}, 0) = 0"),
                    (false, false) => format!("{field} = 0"),
                }
            }
            Pred::HashPrefix { field, hex } => {
                let n = self.param(Value::Text(format!("{hex}%")));
                format!("hex({field}) LIKE {n}")
            }
            Pred::HashExact { field, bytes } => {
                let n = self.param(Value::Blob(bytes.clone()));
                format!("{field} = {n}")
            }
            Pred::PathExact(bytes) => {
                let n = self.param(Value::Blob(bytes.clone()));
                format!("path = {n}")
            }
            Pred::PathPrefix(bytes) => {
                // `/music/x` is the file itself or anything under the folder:
                // byte range ['/music/x/', '/music/x0'), since '0' follows '/'.
                // This keeps `/music/xy` out and can use the path index.
                let mut dir = bytes.clone();
                while dir.last() == Some(&b'/') {
                    dir.pop();
                }
                let exact = self.param(Value::Blob(dir.clone()));
                let mut lo = dir.clone();
                lo.push(b'/');
                let mut hi = dir;
                hi.push(b'/' + 1);
                let lo = self.param(Value::Blob(lo));
                let hi = self.param(Value::Blob(hi));
                format!("path = {exact} OR (path >= {lo} AND path < {hi})")
            }
            // A check that could not run (no decoder) is not an error.
            Pred::HasError(true) => {
                "error IS NOT NULL OR (check_error IS NOT NULL AND check_kind IS NOT 'unsupported')"
                    .into()
            }
            Pred::HasError(false) => {
                "error IS NULL AND (check_error IS NULL OR check_kind IS 'unsupported')".into()
            }
            Pred::Dupe { kind, yes } => {
                let sub = match kind {
                    Some(k) => {
                        let n = self.param(Value::Text((*k).to_string()));
                        format!("SELECT track_id FROM dupe_members WHERE kind = {n}")
                    }
                    None => "SELECT track_id FROM dupe_members".to_string(),
                };
                if *yes {
                    format!("id IN ({sub})")
                } else {
                    format!("id NOT IN ({sub})")
                }
            }
            Pred::Playlist { name, resolved } => match resolved {
                Some(q) => self.query(q),
                None => {
                    let n = self.param(Value::Text(name.clone()));
                    format!(
                        "id IN (SELECT pe.track_id FROM playlist_entries pe \
                         JOIN playlists p ON p.id = pe.playlist_id \
                         WHERE p.name = {n} AND p.query IS NULL AND pe.track_id IS NOT NULL)"
                    )
                }
            },
        }
    }

    /// A SQL template for one field (`{f}` stands for the column), its
    /// parameters already bound.
    fn text(&mut self, m: &TextMatch) -> String {
        match m {
            TextMatch::Substring(s) if s.is_ascii() => {
                let p = self.param(Value::Text(format!("%{}%", escape_like(s))));
                format!(r"{{f}} LIKE {p} ESCAPE '\'")
            }
            TextMatch::Substring(s) => {
                let lower = s.to_lowercase();
                let p = self.param(Value::Text(lower.clone()));
                match ascii_prefilter(&lower) {
                    // SQLite's fast LIKE first, the Rust function only on
                    // the rows that pass.
                    Some(run) => {
                        let q = self.param(Value::Text(format!("%{}%", escape_like(&run))));
                        format!(r"({{f}} LIKE {q} ESCAPE '\' AND mixtape_contains({{f}}, {p}))")
                    }
                    None => format!("mixtape_contains({{f}}, {p})"),
                }
            }
            // The NOCASE comparison lets SQLite use the NOCASE indexes; the
            // second one makes the match exact.
            TextMatch::Exact(s) => {
                let p = self.param(Value::Text(s.clone()));
                format!("({{f}} = {p} COLLATE NOCASE AND {{f}} = {p})")
            }
            TextMatch::ExactNoCase(s) if s.is_ascii() => {
                let p = self.param(Value::Text(s.clone()));
                format!("{{f}} = {p} COLLATE NOCASE")
            }
            TextMatch::ExactNoCase(s) => {
                let p = self.param(Value::Text(s.to_lowercase()));
                format!("mixtape_lower({{f}}) = {p}")
            }
            TextMatch::Regex(r) => {
                let p = self.param(Value::Text(r.clone()));
                format!("{{f}} REGEXP {p}")
            }
        }
    }
}

/// The longest run of ASCII characters in a lower-cased needle that any
/// matching text must contain (ASCII case aside), if it has at least two
/// characters. `k` and `i` end a run: the Kelvin sign and the dotted capital
/// I are the only non-ASCII characters whose lower case is ASCII.
fn ascii_prefilter(lower: &str) -> Option<String> {
    lower
        .split(|c: char| !c.is_ascii() || c == 'k' || c == 'i')
        .max_by_key(|r| r.len())
        .filter(|r| r.len() >= 2)
        .map(str::to_string)
}

/// Escape `%`, `_` and the escape character itself for `LIKE ... ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_runs() {
        assert_eq!(ascii_prefilter("café").as_deref(), Some("caf"));
        assert_eq!(ascii_prefilter("björk").as_deref(), Some("bj"));
        assert_eq!(ascii_prefilter("ökö"), None);
        assert_eq!(ascii_prefilter("édith piaf").as_deref(), Some("th p"));
    }

    #[test]
    fn like_escaping() {
        assert_eq!(escape_like(r"100%_a\b"), r"100\%\_a\\b");
    }
}
