//! The query language (beets' syntax): text -> typed AST -> SQL with bound
//! parameters only. No user text is ever spliced into SQL.

use crate::error::{Error, Result};
use rusqlite::types::Value;

/// A parsed query, ready to be turned into SQL.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Bare words / field:value terms (placeholder until the full language lands).
    pub terms: Vec<(Option<String>, String)>,
}

impl Query {
    /// Parse a query from its words (as given on the command line).
    pub fn parse(words: &[String]) -> Result<Query> {
        let mut terms = Vec::new();
        for w in words {
            match w.split_once(':') {
                Some((f, v)) => {
                    if crate::library::track::field_by_name(f).is_none() {
                        return Err(Error::Query(format!(
                            "{w}: unknown field '{f}' at column 1"
                        )));
                    }
                    terms.push((Some(f.to_string()), v.to_string()))
                }
                None => terms.push((None, w.clone())),
            }
        }
        Ok(Query { terms })
    }

    /// `WHERE ... ORDER BY ...` with its parameters.
    pub fn to_sql(&self) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        for (f, v) in &self.terms {
            params.push(Value::Text(format!("%{}%", v)));
            let n = params.len();
            match f {
                Some(f) => clauses.push(format!("{f} LIKE ?{n}")),
                None => clauses.push(format!(
                    "(artist LIKE ?{n} OR album LIKE ?{n} OR title LIKE ?{n})"
                )),
            }
        }
        let w = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (
            format!("{w} ORDER BY albumartist, album, disc, track, path"),
            params,
        )
    }
}
