//! What an export is asked for: the command line's words split into the
//! selections of a device (playlists and queries), each resolved to its
//! tracks in play order, with the entries that cannot be exported named.

use crate::error::{Error, InvalidKind, Result};
use crate::library::{Library, Track};
use crate::playlist::store;

/// What was asked for, resolved to tracks.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A label for messages and the M3U8/CUE title (playlist name or query).
    pub label: String,
    /// Whether the words named a playlist.
    pub playlist: bool,
    /// Tracks in play order.
    pub tracks: Vec<Track>,
    /// Playlist entries whose track is no longer in the library, or is
    /// quarantined.
    pub missing: Vec<String>,
}

/// Split the command line's words into selections: the whole text if it
/// names a playlist (`export Road trip` still means "Road trip"); else
/// each word that names a playlist is one, and each run of the other words
/// is one query (`export Gym artist:bowie year:1977` is a playlist and one
/// query).
pub fn split_selections(lib: &Library, words: &[String]) -> Result<Vec<String>> {
    if words.len() <= 1 || store::get(lib, &store::join_query(words))?.is_some() {
        return Ok(words
            .first()
            .map(|_| vec![store::join_query(words)])
            .unwrap_or_default());
    }
    let mut out = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for w in words {
        if store::get(lib, w)?.is_some() {
            if !run.is_empty() {
                out.push(store::join_query(&run));
                run.clear();
            }
            out.push(w.trim().to_string());
        } else {
            run.push(w.clone());
        }
    }
    if !run.is_empty() {
        out.push(store::join_query(&run));
    }
    Ok(out)
}

/// Resolve `words` to tracks: a playlist with that name (a static one's
/// entries in order, a smart one's query results), else a query. Tracks
/// moved away by `dupes --move-to` are not exported: the query leaves them
/// out, and a static entry still pointing at one is listed as unavailable.
pub fn resolve_selection(lib: &Library, words: &[String]) -> Result<Selection> {
    let text = store::join_query(words);
    if text.trim().is_empty() {
        return Err(Error::invalid_input(
            InvalidKind::Malformed,
            "name a playlist or give a query to export",
        ));
    }
    let Some(p) = store::get(lib, &text)? else {
        return Ok(Selection {
            label: text.clone(),
            playlist: false,
            tracks: store::query_tracks(lib, &text)?,
            missing: Vec::new(),
        });
    };
    let mut sel = Selection {
        label: p.name.clone(),
        playlist: true,
        ..Selection::default()
    };
    for e in store::entries(lib, &p)? {
        match e.track {
            Some(t) if t.quarantined => sel.missing.push(format!(
                "entry {} ({}): quarantined by `dupes --move-to`",
                e.position,
                t.path.display()
            )),
            Some(t) => sel.tracks.push(t),
            None => sel.missing.push(format!(
                "entry {} ({}): not in the library",
                e.position,
                e.source.unwrap_or_else(|| "unknown".into())
            )),
        }
    }
    Ok(sel)
}
