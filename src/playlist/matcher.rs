//! From a [`Location`] to a library track.
//!
//! [`Matcher`] looks a location up among the library's rows, in order of
//! confidence: the exact path; the same path ignoring case and Unicode
//! normalisation form (a playlist made on macOS often spells `é` as `e` plus
//! a combining accent, NFD, where Linux file names are usually NFC); then, for a
//! path that no longer exists (or a Windows path), tracks with the same file
//! name confirmed by their folder, tags or duration; last, tags plus duration
//! from `#EXTINF`. Every fallback match says how it was made, and an entry
//! that matches nothing says why.

use std::collections::HashMap;
use std::path::{Component, PathBuf};

use unicode_normalization::UnicodeNormalization;

use super::location::Location;
use super::RawEntry;
use crate::error::Result;
use crate::library::{bytes_to_path, path_to_bytes, Library};

/// The key names and tags are compared by: lower case, then Unicode NFC, so
/// `Beyoncé` typed, `BEYONCÉ` and a decomposed `Beyonce\u{301}` all agree.
fn fold(s: &str) -> String {
    s.to_lowercase().nfc().collect()
}

/// Durations from playlists are whole seconds and encoders pad: this much
/// difference still confirms a match (and more contradicts it).
pub const DURATION_TOLERANCE: f64 = 2.0;

/// How an entry was matched to a track.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// The path is a library track's path.
    Exact,
    /// The path matches a library track's path ignoring case and Unicode
    /// normalisation form.
    IgnoringCase,
    /// The file name matched, confirmed by `evidence` (e.g. "name+duration").
    ByName {
        /// What confirmed it, e.g. "name+folder+duration".
        evidence: String,
    },
}

/// The outcome of matching one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Matched to a track.
    Matched {
        /// The track's identity.
        track_id: i64,
        /// The track's path in the library.
        path: PathBuf,
        /// How.
        how: How,
    },
    /// Not matched; kept as an unresolved entry.
    Unresolved {
        /// Why, for the report.
        reason: String,
    },
}

struct Candidate {
    id: i64,
    path: PathBuf,
    /// Lower-cased components, file name last.
    parts: Vec<String>,
    length: Option<f64>,
    artist: Option<String>,
    title: Option<String>,
}

/// An in-memory index of the library's tracks for matching playlist entries.
/// Built once per import; every lookup is a hash probe plus a scan of the
/// (few) tracks sharing a file name, so a 100k-line playlist stays linear.
#[derive(Default)]
pub struct Matcher {
    tracks: Vec<Candidate>,
    by_path: HashMap<Vec<u8>, usize>,
    by_lower_path: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    by_tags: HashMap<(String, String), Vec<usize>>,
}

impl Matcher {
    /// Index every track row of `lib` (missing ones included: they are still
    /// identities a playlist can point at).
    pub fn new(lib: &Library) -> Result<Matcher> {
        let mut stmt = lib
            .conn()
            .prepare(
                "SELECT id, path, length, artist, title FROM tracks WHERE is_image = 0 ORDER BY id",
            )
            .map_err(|e| lib.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| lib.err(e))?;
        let mut m = Matcher::default();
        for row in rows {
            let (id, bytes, length, artist, title) = row.map_err(|e| lib.err(e))?;
            m.add(id, bytes, length, artist, title);
        }
        Ok(m)
    }

    fn add(
        &mut self,
        id: i64,
        bytes: Vec<u8>,
        length: Option<f64>,
        artist: Option<String>,
        title: Option<String>,
    ) {
        let i = self.tracks.len();
        let path = bytes_to_path(&bytes);
        let parts: Vec<String> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(fold(&s.to_string_lossy())),
                _ => None,
            })
            .collect();
        self.by_path.insert(bytes, i);
        self.by_lower_path
            .entry(fold(&path.to_string_lossy()))
            .or_default()
            .push(i);
        if let Some(name) = parts.last() {
            self.by_name.entry(name.clone()).or_default().push(i);
        }
        if let (Some(a), Some(t)) = (&artist, &title) {
            self.by_tags
                .entry((fold(a.trim()), fold(t.trim())))
                .or_default()
                .push(i);
        }
        self.tracks.push(Candidate {
            id,
            path,
            parts,
            length,
            artist,
            title,
        });
    }

    fn matched(&self, i: usize, how: How) -> Resolution {
        Resolution::Matched {
            track_id: self.tracks[i].id,
            path: self.tracks[i].path.clone(),
            how,
        }
    }

    /// Match one entry whose text was interpreted as `loc`.
    pub fn resolve(&self, loc: &Location, entry: &RawEntry) -> Resolution {
        let parts: Vec<String> = match loc {
            Location::Empty => {
                return Resolution::Unresolved {
                    reason: "empty location".into(),
                }
            }
            Location::Remote(_) => {
                return Resolution::Unresolved {
                    reason: "not a local file (URL kept as is)".into(),
                }
            }
            Location::Path(p) => {
                if let Some(&i) = self.by_path.get(&path_to_bytes(p)) {
                    return self.matched(i, How::Exact);
                }
                if let Some(v) = self.by_lower_path.get(&fold(&p.to_string_lossy())) {
                    if v.len() == 1 {
                        return self.matched(v[0], How::IgnoringCase);
                    }
                }
                p.components()
                    .filter_map(|c| match c {
                        Component::Normal(s) => Some(fold(&s.to_string_lossy())),
                        _ => None,
                    })
                    .collect()
            }
            Location::Windows { parts, .. } => parts.iter().map(|p| fold(p)).collect(),
        };
        match self.by_name_evidence(&parts, entry) {
            Ok(r) => r,
            Err(reason) => self
                .by_tags(entry)
                .unwrap_or(Resolution::Unresolved { reason }),
        }
    }

    /// Tracks with the same file name, confirmed by folder, tags or duration.
    fn by_name_evidence(&self, parts: &[String], entry: &RawEntry) -> Result<Resolution, String> {
        let Some(name) = parts.last() else {
            return Err("no file name".into());
        };
        let Some(cands) = self.by_name.get(name) else {
            return Err("not in the library".into());
        };
        // (evidence count, common trailing components, index, evidence)
        let mut scored: Vec<(usize, usize, usize, Vec<&str>)> = Vec::new();
        for &i in cands {
            let c = &self.tracks[i];
            let tail = parts
                .iter()
                .rev()
                .zip(c.parts.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            let dur = duration_agrees(entry.duration, c.length);
            if dur == Some(false) {
                continue;
            }
            let mut evidence = vec!["name"];
            if tail >= 2 {
                evidence.push("folder");
            }
            if tags_agree(entry, c) {
                evidence.push("tags");
            }
            if dur == Some(true) {
                evidence.push("duration");
            }
            if evidence.len() > 1 {
                scored.push((evidence.len(), tail, i, evidence));
            }
        }
        scored.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
        match scored.as_slice() {
            [] => {
                let c = &self.tracks[cands[0]];
                Err(if cands.len() == 1 {
                    format!(
                        "a track with the same name is at {}, but neither its folder, tags nor duration confirm it",
                        c.path.display()
                    )
                } else {
                    format!(
                        "{} tracks have the same name, but neither their folders, tags nor durations confirm one",
                        cands.len()
                    )
                })
            }
            [best, second, ..] if (best.0, best.1) == (second.0, second.1) => Err(format!(
                "ambiguous: {} and {} match equally well ({})",
                self.tracks[best.2].path.display(),
                self.tracks[second.2].path.display(),
                best.3.join("+")
            )),
            [best, ..] => Ok(self.matched(
                best.2,
                How::ByName {
                    evidence: best.3.join("+"),
                },
            )),
        }
    }

    /// Last resort: `#EXTINF` artist and title plus a confirming duration.
    fn by_tags(&self, entry: &RawEntry) -> Option<Resolution> {
        let key = (
            fold(entry.artist.as_ref()?.trim()),
            fold(entry.title.as_ref()?.trim()),
        );
        let hits: Vec<usize> = self
            .by_tags
            .get(&key)?
            .iter()
            .copied()
            .filter(|&i| duration_agrees(entry.duration, self.tracks[i].length) == Some(true))
            .collect();
        match hits.as_slice() {
            [one] => Some(self.matched(
                *one,
                How::ByName {
                    evidence: "tags+duration".into(),
                },
            )),
            _ => None,
        }
    }
}

/// `Some(true)` when both durations are known and close, `Some(false)` when
/// they are known and far apart, `None` when either is unknown (or zero).
fn duration_agrees(entry: Option<f64>, track: Option<f64>) -> Option<bool> {
    let (e, t) = (entry.filter(|d| *d > 0.0)?, track.filter(|d| *d > 0.0)?);
    Some((e - t).abs() <= DURATION_TOLERANCE)
}

/// The entry's title (and artist, when both sides have one) equal the track's.
fn tags_agree(entry: &RawEntry, c: &Candidate) -> bool {
    let eq = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => fold(a.trim()) == fold(b.trim()),
        _ => false,
    };
    if !eq(&entry.title, &c.title) {
        return false;
    }
    match (&entry.artist, &c.artist) {
        (Some(_), Some(_)) => eq(&entry.artist, &c.artist),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::location::interpret;
    use std::path::Path;

    fn matcher() -> Matcher {
        let mut m = Matcher::default();
        let t = |s: &str| Some(s.to_string());
        m.add(
            1,
            b"/m/Queen/Opera/Bohemian.flac".to_vec(),
            Some(355.0),
            t("Queen"),
            t("Bohemian Rhapsody"),
        );
        m.add(
            2,
            b"/m/Queen/Live/Bohemian.flac".to_vec(),
            Some(400.0),
            t("Queen"),
            t("Bohemian Rhapsody"),
        );
        m.add(
            3,
            b"/m/new/place/song.mp3".to_vec(),
            Some(200.0),
            t("A"),
            t("Song"),
        );
        m.add(
            6,
            "/m/Beyonc\u{e9}/Lemonade/Formation.flac"
                .as_bytes()
                .to_vec(),
            Some(206.0),
            t("Beyonc\u{e9}"),
            t("Formation"),
        );
        m.add(4, b"/m/x/01.mp3".to_vec(), Some(100.0), None, None);
        m.add(5, b"/m/y/01.mp3".to_vec(), Some(100.0), None, None);
        m
    }

    fn entry(dur: Option<f64>, artist: Option<&str>, title: Option<&str>) -> RawEntry {
        RawEntry {
            location: String::new(),
            line: 1,
            artist: artist.map(str::to_string),
            title: title.map(str::to_string),
            duration: dur,
        }
    }

    fn id(r: &Resolution) -> Option<(i64, String)> {
        match r {
            Resolution::Matched { track_id, how, .. } => Some((
                *track_id,
                match how {
                    How::Exact => "exact".into(),
                    How::IgnoringCase => "case".into(),
                    How::ByName { evidence } => evidence.clone(),
                },
            )),
            Resolution::Unresolved { .. } => None,
        }
    }

    #[test]
    fn matches_in_order_of_confidence() {
        let m = matcher();
        let b = Path::new("/");
        let e = entry(None, None, None);
        let r = |t: &str, e: &RawEntry| id(&m.resolve(&interpret(t, b, false), e));
        assert_eq!(
            r("/m/Queen/Opera/Bohemian.flac", &e),
            Some((1, "exact".into()))
        );
        assert_eq!(
            r("/M/queen/opera/BOHEMIAN.FLAC", &e),
            Some((1, "case".into()))
        );
        // A decomposed (NFD, as macOS writes) é finds the NFC file name, and
        // a decomposed, upper-case artist still agrees with the tags.
        assert_eq!(
            r("/m/Beyonce\u{301}/Lemonade/Formation.flac", &e),
            Some((6, "case".into()))
        );
        assert_eq!(
            r(
                "/elsewhere/formation.flac",
                &entry(None, Some("BEYONCE\u{301}"), Some("Formation"))
            ),
            Some((6, "name+tags".into()))
        );
        // A Windows path matches by folder + name.
        assert_eq!(
            r(r"D:\Music\Queen\Opera\Bohemian.flac", &e),
            Some((1, "name+folder".into()))
        );
        // Moved: the name alone is not enough...
        assert_eq!(r("/old/song.mp3", &e), None);
        // ... but name + duration is, and so is name + tags.
        assert_eq!(
            r("/old/song.mp3", &entry(Some(201.0), None, None)),
            Some((3, "name+duration".into()))
        );
        assert_eq!(
            r("/old/song.mp3", &entry(None, Some("a"), Some("song"))),
            Some((3, "name+tags".into()))
        );
        // A contradicting duration refuses the match.
        assert_eq!(
            r(
                "/old/song.mp3",
                &entry(Some(250.0), Some("A"), Some("Song"))
            ),
            None
        );
        // Two equally good candidates: ambiguous, not guessed.
        assert_eq!(r("/old/01.mp3", &entry(Some(100.0), None, None)), None);
        // Duration picks between same-named tracks.
        assert_eq!(
            r("/elsewhere/Bohemian.flac", &entry(Some(399.0), None, None)),
            Some((2, "name+duration".into()))
        );
        // Renamed file: tags + duration from #EXTINF.
        assert_eq!(
            r(
                "/old/renamed.mp3",
                &entry(Some(200.0), Some("a"), Some("SONG"))
            ),
            Some((3, "tags+duration".into()))
        );
        assert_eq!(r("../../etc/passwd", &e), None);
    }
}
