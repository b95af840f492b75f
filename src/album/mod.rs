//! Albums, derived from the tracks' tags: mixtape stores tracks, and an
//! album is what a group of them shares.
//!
//! A track belongs to an album when it has an `album` tag. Its album
//! artist is the `albumartist` tag; without one, the artist when every
//! track of the album has the same one, else "Various Artists" (also when
//! `comp` is set). Tracks with the same album name in one folder are one
//! album, unless their album artists differ (two "Greatest Hits" in a
//! Downloads folder). Groups in different folders with the same album
//! artist and album join into one album (the discs of a release kept in
//! `CD1/` and `CD2/`) unless they collide: the same disc and track number,
//! or the same title, in both, or different MusicBrainz album ids. The
//! folder is then the tie-breaker, and two releases that share a name stay
//! two albums. Discs belong to their album.
//!
//! [`Album::field`] gives the album-level fields (`albumtotal`, `tracks`,
//! `discs`, `length`, `format` single or `mixed`, ...), which `ls -a` and
//! `albums` show and query ([`crate::query::Query::matching_groups`]);
//! [`check`] audits albums offline.

pub mod check;
mod index;

pub use index::{AlbumIndex, Aunique};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use rusqlite::types::Value;

use crate::error::Result;
use crate::library::track::FieldValue;
use crate::library::{Library, Track};
use crate::query::{Query, SortKey, TrackGroup};

/// The album artist of a compilation without one.
pub const VARIOUS_ARTISTS: &str = "Various Artists";

pub use crate::library::track::ALBUM_FIELDS;

/// One album: its tracks in disc and track order.
#[derive(Debug, Clone, PartialEq)]
pub struct Album {
    /// Stable identity: the smallest track id.
    pub id: i64,
    pub albumartist: String,
    pub album: String,
    /// A compilation: `comp` set on a track, or artists that differ.
    pub comp: bool,
    /// The folder holding every track (their deepest common folder).
    pub folder: PathBuf,
    pub tracks: Vec<Track>,
}

/// Normalised text for comparing names.
fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Group `tracks` into albums (tracks without an album tag are left out),
/// in album artist, album, folder order.
pub fn group(tracks: Vec<Track>) -> Vec<Album> {
    // 1. Per folder and album name, split by album artist tag.
    let mut by_folder: BTreeMap<(PathBuf, String), Vec<Track>> = BTreeMap::new();
    for t in tracks {
        let Some(name) = present(&t.tags.album).map(norm) else {
            continue;
        };
        let folder = t.path.parent().map(Path::to_path_buf).unwrap_or_default();
        by_folder.entry((folder, name)).or_default().push(t);
    }
    let mut units: Vec<Album> = Vec::new();
    for (_, tracks) in by_folder {
        for part in split_by_albumartist(tracks) {
            units.push(unit(part));
        }
    }
    // 2. Units of the same album artist and album join unless they collide.
    let mut merged: Vec<Album> = Vec::new();
    let mut index: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for u in units {
        let key = (norm(&u.albumartist), norm(&u.album));
        let slots = index.entry(key).or_default();
        match slots.iter().find(|&&i| !collide(&merged[i], &u)) {
            Some(&i) => {
                let a = &mut merged[i];
                a.comp |= u.comp;
                a.folder = common_folder(&a.folder, &u.folder);
                a.id = a.id.min(u.id);
                a.tracks.extend(u.tracks);
            }
            None => {
                slots.push(merged.len());
                merged.push(u);
            }
        }
    }
    for a in &mut merged {
        a.tracks.sort_by(|x, y| {
            let k = |t: &Track| (t.tags.disc.unwrap_or(1), t.tags.track.unwrap_or(i64::MAX));
            k(x).cmp(&k(y)).then_with(|| x.path.cmp(&y.path))
        });
    }
    merged.sort_by(|a, b| {
        (norm(&a.albumartist), norm(&a.album), &a.folder).cmp(&(
            norm(&b.albumartist),
            norm(&b.album),
            &b.folder,
        ))
    });
    merged
}

/// The tracks of one folder and album name, split by their album artist
/// tags; tracks without one join the only group there is, or the group of
/// their artist, or form their own.
fn split_by_albumartist(tracks: Vec<Track>) -> Vec<Vec<Track>> {
    let mut tagged: BTreeMap<String, Vec<Track>> = BTreeMap::new();
    let mut untagged = Vec::new();
    for t in tracks {
        match present(&t.tags.albumartist).map(norm) {
            Some(aa) => tagged.entry(aa).or_default().push(t),
            None => untagged.push(t),
        }
    }
    let mut rest = Vec::new();
    for t in untagged {
        let artist = present(&t.tags.artist).map(norm);
        let slot = if tagged.len() == 1 {
            tagged.values_mut().next()
        } else {
            artist.and_then(|a| tagged.get_mut(&a))
        };
        match slot {
            Some(v) => v.push(t),
            None => rest.push(t),
        }
    }
    let mut out: Vec<Vec<Track>> = tagged.into_values().collect();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// An album of one group of tracks: names as most of its tracks spell
/// them.
fn unit(tracks: Vec<Track>) -> Album {
    let comp_tag = tracks.iter().any(|t| t.tags.comp == Some(true));
    let album =
        most_common(tracks.iter().filter_map(|t| present(&t.tags.album))).unwrap_or_default();
    let tagged = most_common(tracks.iter().filter_map(|t| present(&t.tags.albumartist)));
    let artists: BTreeSet<String> = tracks
        .iter()
        .filter_map(|t| present(&t.tags.artist).map(norm))
        .collect();
    let (albumartist, comp) = match tagged {
        Some(aa) => {
            let various = norm(&aa) == norm(VARIOUS_ARTISTS);
            (aa, comp_tag || various)
        }
        None if comp_tag || artists.len() > 1 => (VARIOUS_ARTISTS.to_string(), true),
        None => (
            most_common(tracks.iter().filter_map(|t| present(&t.tags.artist))).unwrap_or_default(),
            false,
        ),
    };
    let folder = tracks
        .first()
        .and_then(|t| t.path.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Album {
        id: tracks.iter().map(|t| t.id).min().unwrap_or(0),
        albumartist,
        album,
        comp,
        folder,
        tracks,
    }
}

/// The value most items have (the first seen among equals).
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(x, _)| *x == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    let best = counts.iter().map(|c| c.1).max()?;
    counts
        .into_iter()
        .find(|c| c.1 == best)
        .map(|c| c.0.to_string())
}

/// Whether two groups are different releases: a shared (disc, track)
/// number or title, or different MusicBrainz album ids.
fn collide(a: &Album, b: &Album) -> bool {
    let ids = |x: &Album| -> BTreeSet<String> {
        x.tracks
            .iter()
            .filter_map(|t| present(&t.tags.mb_albumid).map(norm))
            .collect()
    };
    let (ia, ib) = (ids(a), ids(b));
    if !ia.is_empty() && !ib.is_empty() {
        return ia.is_disjoint(&ib);
    }
    let numbers = |x: &Album| -> BTreeSet<(i64, i64)> {
        x.tracks
            .iter()
            .filter_map(|t| Some((t.tags.disc.unwrap_or(1), t.tags.track?)))
            .collect()
    };
    let titles = |x: &Album| -> BTreeSet<String> {
        x.tracks
            .iter()
            .filter_map(|t| present(&t.tags.title).map(norm))
            .collect()
    };
    !numbers(a).is_disjoint(&numbers(b)) || !titles(a).is_disjoint(&titles(b))
}

/// The deepest folder holding both.
fn common_folder(a: &Path, b: &Path) -> PathBuf {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

impl Album {
    /// The disc numbers present (a track without one is on disc 1).
    pub fn disc_numbers(&self) -> BTreeSet<i64> {
        self.tracks
            .iter()
            .map(|t| t.tags.disc.unwrap_or(1))
            .collect()
    }

    /// How many discs the album has: the most a track's `disctotal` says,
    /// or the highest disc number present.
    pub fn disctotal(&self) -> i64 {
        let tagged = self.tracks.iter().filter_map(|t| t.tags.disctotal).max();
        let present = self.disc_numbers().last().copied().unwrap_or(1);
        tagged.unwrap_or(0).max(present).max(1)
    }

    /// More than one disc (what `$disc` in a path template needs).
    pub fn multidisc(&self) -> bool {
        self.disctotal() > 1
    }

    /// The tracks of one disc.
    pub fn disc(&self, n: i64) -> impl Iterator<Item = &Track> {
        self.tracks
            .iter()
            .filter(move |t| t.tags.disc.unwrap_or(1) == n)
    }

    /// How many tracks a disc should have: its tracks' `tracktotal`, else
    /// None.
    pub fn disc_tracktotal(&self, n: i64) -> Option<i64> {
        self.disc(n).filter_map(|t| t.tags.tracktotal).max()
    }

    /// The tracks the whole album should have: the discs' totals added
    /// (None when no track says).
    pub fn albumtotal(&self) -> Option<i64> {
        let totals: Vec<Option<i64>> = self
            .disc_numbers()
            .into_iter()
            .map(|d| self.disc_tracktotal(d))
            .collect();
        if totals.iter().all(Option::is_none) {
            return None;
        }
        Some(
            self.disc_numbers()
                .into_iter()
                .zip(totals)
                .map(|(d, t)| {
                    t.unwrap_or_else(|| {
                        self.disc(d).filter_map(|x| x.tags.track).max().unwrap_or(0)
                    })
                })
                .sum(),
        )
    }

    /// The value most tracks have for `get`.
    fn common<T: Clone + PartialEq>(&self, get: impl Fn(&Track) -> Option<T>) -> Option<T> {
        let mut counts: Vec<(T, usize)> = Vec::new();
        for v in self.tracks.iter().filter_map(get) {
            match counts.iter_mut().find(|(x, _)| *x == v) {
                Some(c) => c.1 += 1,
                None => counts.push((v, 1)),
            }
        }
        let best = counts.iter().map(|c| c.1).max()?;
        counts.into_iter().find(|c| c.1 == best).map(|c| c.0)
    }

    /// The format of every track, or `mixed`.
    pub fn format(&self) -> Option<String> {
        let formats: BTreeSet<&str> = self
            .tracks
            .iter()
            .filter_map(|t| t.props.format.as_deref())
            .collect();
        match formats.len() {
            0 => None,
            1 => formats.into_iter().next().map(str::to_string),
            _ => Some("mixed".to_string()),
        }
    }

    /// An album-level field (see [`ALBUM_FIELDS`]).
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        use FieldValue::*;
        Some(match name {
            "id" => Int(self.id),
            "albumartist" => Text(self.albumartist.clone()),
            "album" => Text(self.album.clone()),
            "year" => return self.common(|t| t.tags.year).map(Int),
            "genre" => return self.common(|t| t.tags.genre.clone()).map(Text),
            "comp" => Bool(self.comp),
            "tracks" => Int(self.tracks.len() as i64),
            "albumtotal" => return self.albumtotal().map(Int),
            "discs" => Int(self.disc_numbers().len() as i64),
            "disctotal" => Int(self.disctotal()),
            "length" => Float(self.tracks.iter().filter_map(|t| t.props.length).sum()),
            "format" => return self.format().map(Text),
            "path" => Text(self.folder.to_string_lossy().into_owned()),
            "added" => {
                return self
                    .tracks
                    .iter()
                    .map(|t| t.added)
                    .reduce(f64::min)
                    .map(Float)
            }
            "mb_albumid" => return self.common(|t| t.tags.mb_albumid.clone()).map(Text),
            _ => return None,
        })
    }

    /// Any field's value as text: an album field, else the value most
    /// tracks have for a track field (what `%aunique{}` compares).
    pub fn value(&self, name: &str) -> Option<String> {
        if ALBUM_FIELDS.iter().any(|f| f.name == name) {
            return self.field(name).map(|v| v.to_string());
        }
        self.common(|t| t.field(name).map(|v| v.to_string()))
    }

    /// The album as one JSON object: every album field, and its tracks'
    /// ids in order.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        for f in ALBUM_FIELDS {
            m.insert(f.name.to_string(), FieldValue::json(self.field(f.name)));
        }
        m.insert(
            "track_ids".into(),
            Json::from(self.tracks.iter().map(|t| t.id).collect::<Vec<_>>()),
        );
        Json::Object(m)
    }

    /// "Album Artist - Album".
    pub fn display_name(&self) -> String {
        match (self.albumartist.is_empty(), self.album.is_empty()) {
            (false, _) => format!("{} - {}", self.albumartist, self.album),
            (true, _) => self.album.clone(),
        }
    }
}

/// The albums `query` matches (a query parsed on [`crate::query::Scope::Albums`]), in
/// its sort order, then album artist, album and folder. Albums are
/// derived from every active track, so an album is whole even when the
/// query names one of its tracks.
pub fn select(lib: &Library, query: &Query) -> Result<Vec<Album>> {
    let mut albums = group(Query::default().tracks(lib)?);
    if !query.matches_all() {
        let groups: Vec<TrackGroup> = albums.iter().map(Album::as_group).collect();
        let ids = query.matching_groups(lib, &groups)?;
        albums.retain(|a| ids.contains(&a.id));
    }
    sort(&mut albums, query.sort());
    Ok(albums)
}

/// Sort by `keys` (missing values last, text in any case); stable, so the
/// default order stays among equals.
fn sort(albums: &mut [Album], keys: &[SortKey]) {
    use std::cmp::Ordering;
    fn cmp(a: &Option<FieldValue>, b: &Option<FieldValue>) -> Ordering {
        use FieldValue::*;
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
            (Some(Text(x)), Some(Text(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
            (Some(Int(x)), Some(Int(y))) => x.cmp(y),
            (Some(Float(x)), Some(Float(y))) => x.total_cmp(y),
            (Some(Bool(x)), Some(Bool(y))) => x.cmp(y),
            (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
        }
    }
    albums.sort_by(|a, b| {
        for k in keys {
            let o = cmp(&a.field(k.field), &b.field(k.field));
            // Missing values stay last either way.
            let o = match (
                k.descending,
                a.field(k.field).is_some() && b.field(k.field).is_some(),
            ) {
                (true, true) => o.reverse(),
                _ => o,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

impl Album {
    /// The album as a group for [`Query::matching_groups`].
    fn as_group(&self) -> TrackGroup {
        let values = ALBUM_FIELDS
            .iter()
            .filter_map(|f| {
                let v = match self.field(f.name)? {
                    FieldValue::Text(s) => Value::Text(s),
                    FieldValue::Int(i) => Value::Integer(i),
                    FieldValue::Float(x) => Value::Real(x),
                    FieldValue::Bool(b) => Value::Integer(b.into()),
                    FieldValue::List(v) => Value::Text(Json::from(v).to_string()),
                };
                Some((f.name, v))
            })
            .collect();
        TrackGroup {
            id: self.id,
            track_ids: self.tracks.iter().map(|t| t.id).collect(),
            values,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
