//! Queries on groups of tracks (albums): [`Query::matching_groups`] runs
//! the same SQL as a track query, over a temporary view in which each
//! track row carries its group's values for the group-level fields
//! ([`ALBUM_FIELDS`]). A group matches when one of its rows does: so
//! `tracks:..5` tests the album, `artist:bowie` any of its tracks.
//!
//! The tables and the view are `TEMP`, on this connection only (a
//! read-only library is fine), and are emptied after each use.

use std::collections::BTreeSet;

use rusqlite::types::Value;

use super::Query;
use crate::error::Result;
use crate::library::track::ALBUM_FIELDS;
use crate::library::Library;

/// One group of tracks, with its values for the group-level fields.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub track_ids: Vec<i64>,
    /// Values by field name (fields of [`ALBUM_FIELDS`]; `id` and `path`
    /// stay the track's).
    pub values: Vec<(&'static str, Value)>,
}

/// Group-level fields that are columns of the view (the others, `id` and
/// `path`, keep their track meaning so that `playlist:`, `dupe:` and
/// `path:` work as on tracks).
fn group_columns() -> impl Iterator<Item = &'static str> {
    ALBUM_FIELDS
        .iter()
        .map(|f| f.name)
        .filter(|n| *n != "id" && *n != "path")
}

impl Query {
    /// The ids of the `groups` this query matches (playlists resolved).
    pub fn matching_groups(&self, lib: &Library, groups: &[Group]) -> Result<BTreeSet<i64>> {
        let mut q = self.clone();
        if q.uses_playlists() {
            q.resolve(lib.conn())?;
        }
        let conn = lib.conn();
        let db = |e| lib.err(e);
        let cols: Vec<&str> = group_columns().collect();
        let track_cols: Vec<String> = {
            let mut stmt = conn
                .prepare("SELECT name FROM pragma_table_info('tracks')")
                .map_err(db)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)?
        };
        let select: Vec<String> = track_cols
            .iter()
            .filter(|c| !cols.contains(&c.as_str()))
            .map(|c| format!("t.\"{c}\""))
            .chain(cols.iter().map(|c| format!("g.\"{c}\"")))
            .collect();
        let setup = format!(
            "DROP VIEW IF EXISTS temp.mixtape_group_rows;
             DROP TABLE IF EXISTS temp.mixtape_group_of;
             DROP TABLE IF EXISTS temp.mixtape_groups;
             CREATE TEMP TABLE mixtape_group_of (track_id INTEGER PRIMARY KEY, group_id INTEGER);
             CREATE TEMP TABLE mixtape_groups (mixtape_group_id INTEGER PRIMARY KEY, {});
             CREATE TEMP VIEW mixtape_group_rows AS SELECT {}, g.mixtape_group_id
               FROM main.tracks t JOIN mixtape_group_of m ON m.track_id = t.id
               JOIN mixtape_groups g ON g.mixtape_group_id = m.group_id;",
            cols.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", "),
            select.join(", ")
        );
        conn.execute_batch(&setup).map_err(db)?;
        let result = (|| -> rusqlite::Result<BTreeSet<i64>> {
            {
                let mut member =
                    conn.prepare("INSERT OR IGNORE INTO mixtape_group_of VALUES (?1, ?2)")?;
                let placeholders: Vec<String> =
                    (0..=cols.len()).map(|i| format!("?{}", i + 1)).collect();
                let mut group = conn.prepare(&format!(
                    "INSERT INTO mixtape_groups VALUES ({})",
                    placeholders.join(", ")
                ))?;
                for g in groups {
                    for t in &g.track_ids {
                        member.execute(rusqlite::params![t, g.id])?;
                    }
                    let mut row: Vec<Value> = vec![Value::Integer(g.id)];
                    for c in &cols {
                        let v = g
                            .values
                            .iter()
                            .find(|(n, _)| n == c)
                            .map(|(_, v)| v.clone());
                        row.push(v.unwrap_or(Value::Null));
                    }
                    group.execute(rusqlite::params_from_iter(row))?;
                }
            }
            let (cond, params) = q.to_sql_condition();
            let mut stmt = conn.prepare(&format!(
                "SELECT DISTINCT mixtape_group_id FROM mixtape_group_rows WHERE {cond}"
            ))?;
            let ids = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
            ids.collect()
        })();
        let cleanup = conn.execute_batch(
            "DROP VIEW IF EXISTS temp.mixtape_group_rows;
             DROP TABLE IF EXISTS temp.mixtape_group_of;
             DROP TABLE IF EXISTS temp.mixtape_groups;",
        );
        let ids = result.map_err(db)?;
        cleanup.map_err(db)?;
        Ok(ids)
    }
}
