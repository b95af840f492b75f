//! Every album of a library, found by track: what a path template asks
//! of a track's album (`$multidisc`, `$compilation`, the derived album
//! artist) and beets' `%aunique{}`, the text that tells an album from
//! others with the same album artist and name.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use super::{norm, Album};

/// beets' `%aunique{keys,disambiguators,brackets}`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aunique {
    /// The fields two albums must share to need telling apart.
    pub keys: Vec<String>,
    /// The fields tried in order; the first whose values differ between
    /// every such album is shown.
    pub disambiguators: Vec<String>,
    /// What the value is put between (`[` `]`, or nothing).
    pub open: String,
    pub close: String,
}

impl Default for Aunique {
    fn default() -> Self {
        Aunique {
            keys: vec!["albumartist".into(), "album".into()],
            disambiguators: vec!["year".into(), "label".into(), "format".into()],
            open: "[".into(),
            close: "]".into(),
        }
    }
}

/// For each key list in use, the albums that share each key.
type Peers = HashMap<Vec<Option<String>>, Vec<usize>>;

/// Albums by track id.
#[derive(Debug, Default)]
pub struct AlbumIndex {
    albums: Vec<Album>,
    by_track: HashMap<i64, usize>,
    peers: RefCell<HashMap<Vec<String>, Peers>>,
}

impl AlbumIndex {
    /// Index `albums`.
    pub fn new(albums: Vec<Album>) -> AlbumIndex {
        let mut by_track = HashMap::new();
        for (i, a) in albums.iter().enumerate() {
            for t in &a.tracks {
                by_track.insert(t.id, i);
            }
        }
        AlbumIndex {
            albums,
            by_track,
            peers: RefCell::default(),
        }
    }

    /// The album of the track with id `track`.
    pub fn album_of(&self, track: i64) -> Option<&Album> {
        self.by_track.get(&track).map(|&i| &self.albums[i])
    }

    fn key(&self, i: usize, keys: &[String]) -> Vec<Option<String>> {
        keys.iter()
            .map(|k| self.albums[i].value(k).map(|v| norm(&v)))
            .collect()
    }

    /// `%aunique{}` for the album of `track`: "" when no other album
    /// shares its keys; else ` [value]` of the first disambiguator whose
    /// values tell every such album apart, or ` [n]`, the album's place
    /// among them (by id) when none does.
    pub fn aunique(&self, track: i64, spec: &Aunique) -> String {
        let Some(&me) = self.by_track.get(&track) else {
            return String::new();
        };
        let mine = self.key(me, &spec.keys);
        let mut cache = self.peers.borrow_mut();
        let peers = cache.entry(spec.keys.clone()).or_insert_with(|| {
            let mut m: Peers = HashMap::new();
            for i in 0..self.albums.len() {
                m.entry(self.key(i, &spec.keys)).or_default().push(i);
            }
            m
        });
        let peers = peers.get(&mine).map(Vec::as_slice).unwrap_or_default();
        if peers.len() < 2 {
            return String::new();
        }
        let wrap = |v: String| format!(" {}{v}{}", spec.open, spec.close);
        for field in &spec.disambiguators {
            let values: Vec<Option<String>> =
                peers.iter().map(|&i| self.albums[i].value(field)).collect();
            let distinct: BTreeSet<&Option<String>> = values.iter().collect();
            if distinct.len() == peers.len() && values.iter().all(Option::is_some) {
                return self.albums[me].value(field).map(wrap).unwrap_or_default();
            }
        }
        let mut ids: Vec<i64> = peers.iter().map(|&i| self.albums[i].id).collect();
        ids.sort_unstable();
        let n = ids
            .iter()
            .position(|&id| id == self.albums[me].id)
            .unwrap_or(0)
            + 1;
        wrap(n.to_string())
    }
}
