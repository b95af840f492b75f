//! Result order: the sort keys of a query (the user's, then the default
//! album order) as SQL expressions, and the same order applied in Rust.
//!
//! Listings sort in Rust rather than with SQL's `ORDER BY`: SQLite's sorter
//! copies every selected column of every row (a whole track) through its
//! merge, which cost more than the query itself on a large result. Here
//! SQLite only evaluates the key expressions next to each row, and the rows
//! are sorted by those values, encoded so that a byte comparison follows
//! SQLite's own rules (NULLs last, numbers before text before blobs,
//! `NOCASE` folding ASCII letters only): the order is exactly the one
//! [`order_by_sql`] gives in SQL.

use rusqlite::types::ValueRef;

use super::SortKey;
use crate::library::track::{field_by_name, FieldKind};

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderKey {
    /// The SQL expression (a column name or a fixed expression).
    pub expr: &'static str,
    /// Compare text with SQLite's NOCASE collation.
    pub nocase: bool,
    pub descending: bool,
}

/// The default order: album artist (falling back to artist), album, disc,
/// track number, then path. Missing values sort last.
const DEFAULT_KEYS: [(&str, bool); 5] = [
    ("COALESCE(NULLIF(albumartist, ''), artist)", true),
    ("album", true),
    ("disc", false),
    ("track", false),
    ("path", false),
];

/// The keys for `sort`: the user's keys (known fields only), then the
/// default order.
pub(crate) fn order_keys(sort: &[SortKey]) -> Vec<OrderKey> {
    let mut keys: Vec<OrderKey> = sort
        .iter()
        .filter_map(|k| {
            let f = field_by_name(k.field)?;
            Some(OrderKey {
                expr: f.name,
                nocase: f.kind == FieldKind::Text,
                descending: k.descending,
            })
        })
        .collect();
    keys.extend(DEFAULT_KEYS.iter().map(|&(expr, nocase)| OrderKey {
        expr,
        nocase,
        descending: false,
    }));
    keys
}

/// The same order as an SQL `ORDER BY` list (for callers that let SQLite
/// sort, e.g. a narrow select of ids).
pub(crate) fn order_by_sql(sort: &[SortKey]) -> String {
    keys_sql(&order_keys(sort))
}

/// `keys` as an SQL `ORDER BY` list.
fn keys_sql(keys: &[OrderKey]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "{}{} {} NULLS LAST",
                k.expr,
                if k.nocase { " COLLATE NOCASE" } else { "" },
                if k.descending { "DESC" } else { "ASC" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key expressions, comma-separated, to select after a row's columns.
pub(crate) fn key_columns(keys: &[OrderKey]) -> String {
    keys.iter().map(|k| k.expr).collect::<Vec<_>>().join(", ")
}

/// Append the sort-key encoding of `v` under `k` to `out`.
///
/// The encoding is "memcomparable": comparing two rows' encoded keys as
/// bytes gives SQLite's order. Per key: NULL is a single `1` byte (after
/// every value, in either direction: `NULLS LAST`); anything else is a `0`
/// byte, then its storage class (numbers < text < blobs, as SQLite ranks
/// them), then the value: numbers as order-preserving `f64` bits, text
/// (ASCII-folded for NOCASE) and blobs with `0` escaped as `0 255` and
/// ended by `0 0`, so a prefix sorts first. A descending key has its class
/// and value bytes inverted.
pub(crate) fn encode(v: ValueRef<'_>, k: &OrderKey, out: &mut Vec<u8>) {
    let (class, start) = match v {
        ValueRef::Null => {
            out.push(1);
            return;
        }
        ValueRef::Integer(_) | ValueRef::Real(_) => (1u8, out.len() + 1),
        ValueRef::Text(_) => (2, out.len() + 1),
        ValueRef::Blob(_) => (3, out.len() + 1),
    };
    out.push(0);
    out.push(class);
    match v {
        ValueRef::Integer(i) => push_f64(i as f64, out),
        ValueRef::Real(x) => push_f64(x, out),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let from = out.len();
            if t.contains(&0) {
                for &b in t {
                    out.push(b);
                    if b == 0 {
                        out.push(255);
                    }
                }
            } else {
                out.extend_from_slice(t);
            }
            if k.nocase && matches!(v, ValueRef::Text(_)) {
                out[from..].make_ascii_lowercase();
            }
            out.extend_from_slice(&[0, 0]);
        }
        ValueRef::Null => {}
    }
    if k.descending {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

/// An `f64` as 8 bytes that compare like the numbers.
fn push_f64(x: f64, out: &mut Vec<u8>) {
    let bits = x.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    };
    out.extend_from_slice(&ordered.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// The Rust order agrees with SQLite's ORDER BY on mixed, tricky values.
    #[test]
    fn rust_order_is_sqlite_order() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b);
             INSERT INTO t (a, b) VALUES
               ('beta', 2), ('Beta', 1), ('ALPHA', NULL), ('alpha', 3), (NULL, 1),
               ('Édith', 5), ('zed', 1.5), ('', 4), (7, 0), (2.5, 0), (X'00', 9),
               ('beta', NULL), ('b', 2), ('BETA', 2.0), ('a' || char(0) || 'b', -1),
               ('a', -2.5), (-3, 1), ('Zed', 1);",
        )
        .unwrap();
        for (nocase, desc_a, desc_b) in [
            (true, false, false),
            (true, true, false),
            (false, false, true),
            (false, true, true),
        ] {
            let keys = [
                OrderKey {
                    expr: "a",
                    nocase,
                    descending: desc_a,
                },
                OrderKey {
                    expr: "b",
                    nocase: false,
                    descending: desc_b,
                },
                OrderKey {
                    expr: "id",
                    nocase: false,
                    descending: false,
                },
            ];
            let order = keys_sql(&keys);
            let by_sql: Vec<i64> = c
                .prepare(&format!("SELECT id FROM t ORDER BY {order}"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let mut rows: Vec<(i64, Vec<u8>)> = c
                .prepare("SELECT id, a, b, id FROM t")
                .unwrap()
                .query_map([], |r| {
                    let mut key = Vec::new();
                    for (i, k) in keys.iter().enumerate() {
                        encode(r.get_ref(i + 1).unwrap(), k, &mut key);
                    }
                    Ok((r.get(0)?, key))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort_by(|x, y| x.1.cmp(&y.1));
            let by_rust: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
            assert_eq!(by_rust, by_sql, "nocase {nocase}, desc {desc_a}/{desc_b}");
        }
    }
}
