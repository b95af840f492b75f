//! Playlists in the library database (`playlists`, `playlist_entries`).
//!
//! A smart playlist is a stored query, evaluated each time it is read. A
//! static playlist is an ordered list of entries numbered 1..=n without gaps;
//! each entry points at a track's identity (`tracks.id`, kept across moves,
//! renames and rescans) and keeps its `source` text and line, so an entry
//! whose track vanished or was never found is still listed, never dropped.
//! Every change to a playlist's entries is one transaction.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension};

use crate::error::{Error, PlaylistErrorKind, Result};
use crate::library::{now, track, Library, Track};
use crate::query::Query;

/// A playlist's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Playlist {
    /// Row id.
    pub id: i64,
    /// Unique name (case-insensitively).
    pub name: String,
    /// The query text of a smart playlist; `None` for a static one.
    pub query: Option<String>,
    /// Stored sort order (unused by static playlists).
    pub sort: Option<String>,
    /// Creation time (unix seconds).
    pub created: f64,
    /// Last change (unix seconds).
    pub modified: f64,
}

impl Playlist {
    /// "smart" or "static".
    pub fn kind(&self) -> &'static str {
        if self.query.is_some() {
            "smart"
        } else {
            "static"
        }
    }
}

/// An entry to append to a static playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// The track, when known.
    pub track_id: Option<i64>,
    /// The original text (imported location or the track's path).
    pub source: Option<String>,
    /// The line of an imported file it came from.
    pub source_line: Option<i64>,
}

/// Whether an entry can be played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// Points at a track whose file is present.
    Ok,
    /// Points at a track whose file disappeared (last known path kept).
    Missing,
    /// Matched no track (imported text kept).
    Unresolved,
    /// Points at a track moved away by `dupes --move-to` (out of the
    /// active library until undone).
    Quarantined,
}

impl EntryStatus {
    /// "ok", "missing", "unresolved" or "quarantined".
    pub fn name(self) -> &'static str {
        match self {
            EntryStatus::Ok => "ok",
            EntryStatus::Missing => "missing",
            EntryStatus::Unresolved => "unresolved",
            EntryStatus::Quarantined => "quarantined",
        }
    }
}

/// One entry of a playlist as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based position.
    pub position: usize,
    /// The track, when the entry points at one.
    pub track: Option<Track>,
    /// The original text.
    pub source: Option<String>,
    /// The line of the imported file it came from.
    pub source_line: Option<i64>,
}

impl Entry {
    /// Ok, missing, unresolved or quarantined.
    pub fn status(&self) -> EntryStatus {
        match &self.track {
            Some(t) if t.quarantined => EntryStatus::Quarantined,
            Some(t) if t.missing => EntryStatus::Missing,
            Some(_) => EntryStatus::Ok,
            None => EntryStatus::Unresolved,
        }
    }
}

/// Parse query text as stored in a smart playlist (one string; the query
/// language splits it into terms). `playlist:NAME` terms must name existing
/// playlists, so a query is checked in full before it is stored.
pub fn parse_query(lib: &Library, text: &str) -> Result<Query> {
    let mut q = Query::parse_str(text)?;
    if q.uses_playlists() {
        q.resolve(lib.conn())?;
    }
    Ok(q)
}

/// Join command-line query words into the text a smart playlist stores;
/// parsing it gives the same terms as parsing the words.
pub fn join_query(words: &[String]) -> String {
    words.join(" ")
}

/// The tracks matching query text, in the query's order (`playlist:NAME`
/// terms resolved, smart playlists nested).
pub fn query_tracks(lib: &Library, text: &str) -> Result<Vec<Track>> {
    parse_query(lib, text)?.tracks(lib)
}

fn not_found(name: &str) -> Error {
    Error::playlist(
        PlaylistErrorKind::NotFound,
        name,
        format!("no playlist named '{name}' (see `mixtape playlist ls`)"),
    )
}

fn check_name(name: &str) -> Result<&str> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Error::playlist(
            PlaylistErrorKind::BadName,
            name,
            "a playlist name cannot be empty",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::playlist(
            PlaylistErrorKind::BadName,
            name,
            format!("{trimmed:?}: a playlist name cannot contain control characters"),
        ));
    }
    Ok(trimmed)
}

const PLAYLIST_COLUMNS: &str = "id, name, query, sort, created, modified";

fn playlist_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Playlist> {
    Ok(Playlist {
        id: r.get(0)?,
        name: r.get(1)?,
        query: r.get(2)?,
        sort: r.get(3)?,
        created: r.get(4)?,
        modified: r.get(5)?,
    })
}

/// The playlist called `name` (case-insensitively), if any.
pub fn get(lib: &Library, name: &str) -> Result<Option<Playlist>> {
    lib.conn()
        .query_row(
            &format!("SELECT {PLAYLIST_COLUMNS} FROM playlists WHERE name = ?1"),
            [name.trim()],
            playlist_from_row,
        )
        .optional()
        .map_err(|e| lib.err(e))
}

/// The playlist called `name`, or an error saying there is none.
pub fn find(lib: &Library, name: &str) -> Result<Playlist> {
    get(lib, name)?.ok_or_else(|| not_found(name))
}

/// The playlist called `name`, which must be static (entries can be changed).
pub fn find_static(lib: &Library, name: &str) -> Result<Playlist> {
    let p = find(lib, name)?;
    if let Some(q) = &p.query {
        return Err(Error::playlist(
            PlaylistErrorKind::Smart,
            &p.name,
            format!(
                "'{}' is a smart playlist (query: {q}); its tracks come from the query, so entries cannot be added or removed",
                p.name
            ),
        ));
    }
    Ok(p)
}

/// Create a playlist: smart when `query` is given (it must parse), static
/// otherwise. A name already taken (ignoring case) is an error.
pub fn create(lib: &mut Library, name: &str, query: Option<&str>) -> Result<Playlist> {
    create_with_entries(lib, name, query, &[], false)
}

/// Create a static (or smart) playlist and its entries in one transaction.
/// With `replace`, a playlist of the same name is deleted in that same
/// transaction (so a failure leaves it as it was); otherwise it is an error.
pub fn create_with_entries(
    lib: &mut Library,
    name: &str,
    query: Option<&str>,
    entries: &[NewEntry],
    replace: bool,
) -> Result<Playlist> {
    let name = check_name(name)?;
    if let Some(q) = query {
        parse_query(lib, q)?;
    }
    let existing = get(lib, name)?;
    if let (Some(existing), false) = (&existing, replace) {
        return Err(Error::playlist(
            PlaylistErrorKind::Exists,
            &existing.name,
            format!("a playlist named '{}' already exists", existing.name),
        ));
    }
    let t = now();
    let path = lib.path().to_path_buf();
    let db = |e| Error::db(&path, e);
    let tx = lib.conn_mut().transaction().map_err(db)?;
    if let Some(old) = existing {
        tx.execute(
            "DELETE FROM playlist_entries WHERE playlist_id = ?1",
            [old.id],
        )
        .map_err(db)?;
        tx.execute("DELETE FROM playlists WHERE id = ?1", [old.id])
            .map_err(db)?;
    }
    tx.execute(
        "INSERT INTO playlists (name, query, sort, created, modified) VALUES (?1, ?2, NULL, ?3, ?3)",
        params![name, query, t],
    )
    .map_err(db)?;
    let id = tx.last_insert_rowid();
    insert_entries(&tx, id, 1, entries).map_err(db)?;
    tx.commit().map_err(db)?;
    find(lib, name)
}

fn insert_entries(
    tx: &rusqlite::Transaction<'_>,
    playlist_id: i64,
    first_position: usize,
    entries: &[NewEntry],
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO playlist_entries (playlist_id, position, track_id, source, source_line) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, e) in entries.iter().enumerate() {
        stmt.execute(params![
            playlist_id,
            (first_position + i) as i64,
            e.track_id,
            e.source,
            e.source_line
        ])?;
    }
    Ok(())
}

/// Every playlist, by name, with its number of entries (for a smart
/// playlist: the number of tracks its query matches now, or the error its
/// query gives).
pub fn list(lib: &Library) -> Result<Vec<(Playlist, Result<usize>)>> {
    let mut stmt = lib
        .conn()
        .prepare(&format!(
            "SELECT {PLAYLIST_COLUMNS} FROM playlists ORDER BY name COLLATE NOCASE"
        ))
        .map_err(|e| lib.err(e))?;
    let playlists = stmt
        .query_map([], playlist_from_row)
        .map_err(|e| lib.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))?;
    let mut out = Vec::new();
    for p in playlists {
        let count = match &p.query {
            Some(q) => query_tracks(lib, q).map(|t| t.len()),
            None => lib
                .conn()
                .query_row(
                    "SELECT COUNT(*) FROM playlist_entries WHERE playlist_id = ?1",
                    [p.id],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n as usize)
                .map_err(|e| lib.err(e)),
        };
        out.push((p, count));
    }
    Ok(out)
}

/// The entries of a playlist in order: a smart playlist's query results, or
/// a static playlist's stored entries (missing and unresolved ones included).
pub fn entries(lib: &Library, p: &Playlist) -> Result<Vec<Entry>> {
    if let Some(q) = &p.query {
        return Ok(query_tracks(lib, q)?
            .into_iter()
            .enumerate()
            .map(|(i, t)| Entry {
                position: i + 1,
                source: Some(t.path.to_string_lossy().into_owned()),
                track: Some(t),
                source_line: None,
            })
            .collect());
    }
    let cols: Vec<String> = track::SELECT_COLUMNS
        .split(',')
        .map(|c| format!("t.{}", c.trim()))
        .collect();
    let n = cols.len();
    let sql = format!(
        "SELECT {}, e.position, e.source, e.source_line FROM playlist_entries e \
         LEFT JOIN tracks t ON t.id = e.track_id WHERE e.playlist_id = ?1 ORDER BY e.position",
        cols.join(", ")
    );
    let mut stmt = lib.conn().prepare(&sql).map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([p.id], |r| {
            let track = match r.get::<_, Option<i64>>(0)? {
                Some(_) => Some(Track::from_row(r)?),
                None => None,
            };
            Ok(Entry {
                position: r.get::<_, i64>(n)? as usize,
                track,
                source: r.get(n + 1)?,
                source_line: r.get(n + 2)?,
            })
        })
        .map_err(|e| lib.err(e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))
}

fn touch(tx: &rusqlite::Transaction<'_>, id: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE playlists SET modified = ?1 WHERE id = ?2",
        params![now(), id],
    )
    .map(|_| ())
}

/// Append entries to the end of a static playlist.
pub fn append(lib: &mut Library, p: &Playlist, entries: &[NewEntry]) -> Result<()> {
    let path = lib.path().to_path_buf();
    let db = |e| Error::db(&path, e);
    let tx = lib.conn_mut().transaction().map_err(db)?;
    let last: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(position), 0) FROM playlist_entries WHERE playlist_id = ?1",
            [p.id],
            |r| r.get(0),
        )
        .map_err(db)?;
    insert_entries(&tx, p.id, last as usize + 1, entries).map_err(db)?;
    touch(&tx, p.id).map_err(db)?;
    tx.commit().map_err(db)
}

/// Keep only the entries for which `keep(position, track_id)` is true,
/// renumbering the rest 1..=n in their order. Returns how many were removed.
fn retain(
    lib: &mut Library,
    p: &Playlist,
    mut keep: impl FnMut(usize, Option<i64>) -> bool,
) -> Result<usize> {
    let path = lib.path().to_path_buf();
    let db = |e| Error::db(&path, e);
    let tx = lib.conn_mut().transaction().map_err(db)?;
    let rows: Vec<(usize, NewEntry)> = {
        let mut stmt = tx
            .prepare(
                "SELECT position, track_id, source, source_line FROM playlist_entries \
                 WHERE playlist_id = ?1 ORDER BY position",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([p.id], |r| {
                Ok((
                    r.get::<_, i64>(0)? as usize,
                    NewEntry {
                        track_id: r.get(1)?,
                        source: r.get(2)?,
                        source_line: r.get(3)?,
                    },
                ))
            })
            .map_err(db)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)?
    };
    let total = rows.len();
    let kept: Vec<NewEntry> = rows
        .into_iter()
        .filter(|(pos, e)| keep(*pos, e.track_id))
        .map(|(_, e)| e)
        .collect();
    let removed = total - kept.len();
    if removed > 0 {
        tx.execute(
            "DELETE FROM playlist_entries WHERE playlist_id = ?1",
            [p.id],
        )
        .map_err(db)?;
        insert_entries(&tx, p.id, 1, &kept).map_err(db)?;
        touch(&tx, p.id).map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(removed)
}

/// The static playlist entries pointing at `track_id`, as (playlist id,
/// 1-based position), in playlist and position order.
pub fn entries_pointing_at(lib: &Library, track_id: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = lib
        .conn()
        .prepare_cached(
            "SELECT playlist_id, position FROM playlist_entries WHERE track_id = ?1
             ORDER BY playlist_id, position",
        )
        .map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([track_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| lib.err(e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))
}

/// Point the static entry at (`playlist_id`, `position`) at track `to`,
/// if it points at `from` now (an entry changed since is left alone).
/// Returns whether it changed. Runs inside the caller's transaction, if
/// any (quarantine and undo repoint entries together with the track rows).
pub fn repoint_entry(
    lib: &Library,
    playlist_id: i64,
    position: i64,
    from: i64,
    to: i64,
) -> Result<bool> {
    let c = lib.conn();
    let n = c
        .prepare_cached(
            "UPDATE playlist_entries SET track_id = ?4
             WHERE playlist_id = ?1 AND position = ?2 AND track_id = ?3",
        )
        .and_then(|mut s| s.execute(params![playlist_id, position, from, to]))
        .map_err(|e| lib.err(e))?;
    if n > 0 {
        c.prepare_cached("UPDATE playlists SET modified = ?1 WHERE id = ?2")
            .and_then(|mut s| s.execute(params![now(), playlist_id]))
            .map_err(|e| lib.err(e))?;
    }
    Ok(n > 0)
}

/// The name of playlist `id`, for messages (`None` once it is deleted).
pub fn name_of(lib: &Library, id: i64) -> Result<Option<String>> {
    lib.conn()
        .query_row("SELECT name FROM playlists WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| lib.err(e))
}

/// Remove every entry pointing at one of `track_ids`; returns how many.
pub fn remove_tracks(lib: &mut Library, p: &Playlist, track_ids: &HashSet<i64>) -> Result<usize> {
    retain(lib, p, |_, id| {
        !id.is_some_and(|id| track_ids.contains(&id))
    })
}

/// Remove the entry at 1-based `position`; an out-of-range position is an
/// error naming the valid range.
pub fn remove_position(lib: &mut Library, p: &Playlist, position: usize) -> Result<()> {
    let count: i64 = lib
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM playlist_entries WHERE playlist_id = ?1",
            [p.id],
            |r| r.get(0),
        )
        .map_err(|e| lib.err(e))?;
    let count = count as usize;
    if position == 0 || position > count {
        return Err(Error::playlist(
            PlaylistErrorKind::Position,
            &p.name,
            match count {
                0 => format!("position {position}: playlist '{}' is empty", p.name),
                _ => format!(
                    "position {position} is out of range: playlist '{}' has entries 1..{count}",
                    p.name
                ),
            },
        ));
    }
    retain(lib, p, |pos, _| pos != position)?;
    Ok(())
}

/// Rename a playlist; the new name must be free (changing only its case is fine).
pub fn rename(lib: &mut Library, old: &str, new: &str) -> Result<Playlist> {
    let p = find(lib, old)?;
    let new = check_name(new)?;
    if let Some(other) = get(lib, new)? {
        if other.id != p.id {
            return Err(Error::playlist(
                PlaylistErrorKind::Exists,
                &other.name,
                format!("a playlist named '{}' already exists", other.name),
            ));
        }
    }
    lib.conn()
        .execute(
            "UPDATE playlists SET name = ?1, modified = ?2 WHERE id = ?3",
            params![new, now(), p.id],
        )
        .map_err(|e| lib.err(e))?;
    find(lib, new)
}

/// Smart playlists whose stored query no longer parses or resolves (e.g. a
/// `playlist:NAME` term naming a playlist that was renamed or deleted), with
/// the error each gives.
pub fn broken_smart_playlists(lib: &Library) -> Result<Vec<(String, String)>> {
    let mut stmt = lib
        .conn()
        .prepare("SELECT name, query FROM playlists WHERE query IS NOT NULL ORDER BY name COLLATE NOCASE")
        .map_err(|e| lib.err(e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| lib.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| lib.err(e))?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, q)| parse_query(lib, &q).err().map(|e| (name, e.to_string())))
        .collect())
}

/// Delete a playlist and its entries (never any track or file).
pub fn delete(lib: &mut Library, name: &str) -> Result<Playlist> {
    let p = find(lib, name)?;
    let path = lib.path().to_path_buf();
    let db = |e| Error::db(&path, e);
    let tx = lib.conn_mut().transaction().map_err(db)?;
    tx.execute(
        "DELETE FROM playlist_entries WHERE playlist_id = ?1",
        [p.id],
    )
    .map_err(db)?;
    tx.execute("DELETE FROM playlists WHERE id = ?1", [p.id])
        .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(p)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::library::path_to_bytes;
    use std::path::Path;

    /// A library with one root (/m) and the given (path, artist, title, length) rows.
    pub(crate) fn fixture(dir: &Path, rows: &[(&str, &str, &str, f64)]) -> Library {
        let lib = Library::open(&dir.join("lib.db")).unwrap();
        lib.conn()
            .execute(
                "INSERT INTO roots (path, added) VALUES (?1, 0)",
                [path_to_bytes(Path::new("/m"))],
            )
            .unwrap();
        for (p, a, t, len) in rows {
            lib.conn()
                .execute(
                    "INSERT INTO tracks (path, root_id, size, mtime, added, scanned, artist, title, length)
                     VALUES (?1, 1, 1, 0, 0, 0, ?2, ?3, ?4)",
                    params![path_to_bytes(Path::new(p)), a, t, len],
                )
                .unwrap();
        }
        lib
    }

    fn ids(lib: &Library, p: &Playlist) -> Vec<Option<i64>> {
        entries(lib, p)
            .unwrap()
            .iter()
            .map(|e| e.track.as_ref().map(|t| t.id))
            .collect()
    }

    fn e(id: Option<i64>, src: &str) -> NewEntry {
        NewEntry {
            track_id: id,
            source: Some(src.into()),
            source_line: None,
        }
    }

    #[test]
    fn static_playlist_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(
            dir.path(),
            &[("/m/a.mp3", "A", "One", 1.0), ("/m/b.mp3", "B", "Two", 2.0)],
        );
        let p = create(&mut lib, " Road trip ", None).unwrap();
        assert_eq!(p.name, "Road trip");
        assert!(create(&mut lib, "ROAD TRIP", None)
            .unwrap_err()
            .to_string()
            .contains("already exists"));
        assert!(create(&mut lib, "  ", None).is_err());
        append(
            &mut lib,
            &p,
            &[e(Some(2), "/m/b.mp3"), e(Some(1), "/m/a.mp3")],
        )
        .unwrap();
        append(
            &mut lib,
            &p,
            &[e(None, "x:\\gone.mp3"), e(Some(2), "/m/b.mp3")],
        )
        .unwrap();
        assert_eq!(ids(&lib, &p), vec![Some(2), Some(1), None, Some(2)]);
        let st: Vec<_> = entries(&lib, &p)
            .unwrap()
            .iter()
            .map(|e| e.status())
            .collect();
        assert_eq!(st[2], EntryStatus::Unresolved);

        remove_position(&mut lib, &p, 2).unwrap();
        assert_eq!(ids(&lib, &p), vec![Some(2), None, Some(2)]);
        let err = remove_position(&mut lib, &p, 4).unwrap_err().to_string();
        assert!(
            err.contains("out of range") && err.contains("1..3"),
            "{err}"
        );
        assert!(remove_position(&mut lib, &p, 0).is_err());
        let n = remove_tracks(&mut lib, &p, &HashSet::from([2])).unwrap();
        assert_eq!(n, 2);
        assert_eq!(ids(&lib, &p), vec![None]);
        let positions: Vec<_> = entries(&lib, &p)
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        assert_eq!(positions, vec![1]);

        // A track that is deleted from the library leaves an unresolved entry.
        append(&mut lib, &p, &[e(Some(1), "/m/a.mp3")]).unwrap();
        lib.conn()
            .execute("UPDATE tracks SET missing = 1 WHERE id = 1", [])
            .unwrap();
        assert_eq!(entries(&lib, &p).unwrap()[1].status(), EntryStatus::Missing);
        lib.conn()
            .execute("DELETE FROM tracks WHERE id = 1", [])
            .unwrap();
        let es = entries(&lib, &p).unwrap();
        assert_eq!(es[1].status(), EntryStatus::Unresolved);
        assert_eq!(es[1].source.as_deref(), Some("/m/a.mp3"));

        let p2 = rename(&mut lib, "road trip", "Trip").unwrap();
        assert_eq!(p2.id, p.id);
        rename(&mut lib, "trip", "TRIP").unwrap();
        create(&mut lib, "Other", None).unwrap();
        assert!(rename(&mut lib, "TRIP", "other").is_err());
        assert!(rename(&mut lib, "nope", "x")
            .unwrap_err()
            .to_string()
            .contains("no playlist named 'nope'"));
        let listed: Vec<_> = list(&lib)
            .unwrap()
            .into_iter()
            .map(|(p, n)| (p.kind(), p.name, n.unwrap()))
            .collect();
        assert_eq!(
            listed,
            vec![("static", "Other".into(), 0), ("static", "TRIP".into(), 2)]
        );
        delete(&mut lib, "trip").unwrap();
        assert!(get(&lib, "TRIP").unwrap().is_none());
        let left: i64 = lib
            .conn()
            .query_row("SELECT COUNT(*) FROM playlist_entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn smart_playlists_refuse_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = fixture(dir.path(), &[("/m/a.mp3", "A", "One", 1.0)]);
        let p = create(&mut lib, "Smart", Some("artist:a")).unwrap();
        assert_eq!(p.kind(), "smart");
        assert_eq!(ids(&lib, &p), vec![Some(1)]);
        assert!(find_static(&lib, "smart")
            .unwrap_err()
            .to_string()
            .contains("smart playlist"));
        assert!(create(&mut lib, "Bad", Some("nosuchfield:x")).is_err());
        assert!(get(&lib, "Bad").unwrap().is_none());

        // A smart playlist built on another breaks when that one is renamed.
        create(&mut lib, "Base", None).unwrap();
        create(&mut lib, "On base", Some("playlist:base")).unwrap();
        assert!(broken_smart_playlists(&lib).unwrap().is_empty());
        rename(&mut lib, "Base", "Moved").unwrap();
        let broken = broken_smart_playlists(&lib).unwrap();
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].0, "On base");
        assert!(
            broken[0].1.contains("no playlist named 'base'"),
            "{broken:?}"
        );
    }
}
