//! The grouping stages, cheapest first, each a function of its own (the
//! czkawka shape): [`exact`] (same file hash), [`same_audio`] (same audio
//! packets or decoded samples), [`same_recording`] (fingerprints match) and
//! the optional [`same_tags`]. Each stage returns [`Link`]s between
//! candidates; [`Groups`] (a union-find) joins them into groups.
//!
//! The stages narrow: once the hash stages have joined byte copies and
//! same-audio files, the fingerprint stage indexes only one representative
//! per set, so a folder copied five times costs one fingerprint, not five.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::fingerprint::{self, Match};
use super::tags::tag_key;
use super::DupeKind;
use crate::error::{Error, Result};
use crate::library::track::{fingerprint_from_blob, fingerprint_to_blob};
use crate::library::{bytes_to_path, Library};
use crate::progress::{Cancel, Progress, ProgressSink, Stage};

/// What the stages need to know about a track: a light row, so that
/// grouping 100k tracks does not load every tag.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// Track id.
    pub id: i64,
    /// Where the file is.
    pub path: PathBuf,
    /// BLAKE3 of every byte.
    pub file_hash: Option<[u8; 32]>,
    /// BLAKE3 of the demuxed audio packets.
    pub audio_hash: Option<[u8; 32]>,
    /// BLAKE3 of the decoded samples (lossless files).
    pub pcm_hash: Option<[u8; 32]>,
    /// The fingerprint's index keys as stored at scan time (`fp_keys`;
    /// empty: the fingerprint is unusable). `None`: not stored, computed
    /// from `fingerprint` when that is loaded.
    pub fp_keys: Option<Vec<u32>>,
    /// Items in the stored fingerprint.
    pub fp_items: usize,
    /// The Chromaprint raw fingerprint: loaded only for tracks without
    /// stored keys and for the candidate pairs being aligned.
    pub fingerprint: Option<Vec<u32>>,
    /// Duration in seconds.
    pub length: Option<f64>,
    /// Artist tag.
    pub artist: Option<String>,
    /// Title tag.
    pub title: Option<String>,
}

impl Candidate {
    /// The fingerprint's index keys, if it can take part in matching.
    pub fn usable_keys(&self) -> Option<Cow<'_, [u32]>> {
        if self.length.is_some_and(|l| l < fingerprint::MIN_SECONDS) {
            return None;
        }
        let keys = match (&self.fp_keys, &self.fingerprint) {
            (Some(k), _) => Cow::Borrowed(k.as_slice()),
            (None, Some(fp)) => Cow::Owned(fingerprint::stored_keys(fp)),
            (None, None) => return None,
        };
        (!keys.is_empty()).then_some(keys)
    }

    /// Whether the track has a fingerprint usable for matching.
    pub fn has_usable_fingerprint(&self) -> bool {
        self.usable_keys().is_some()
    }

    /// Items in the fingerprint (0 without one).
    fn fingerprint_items(&self) -> usize {
        match &self.fingerprint {
            Some(fp) => fp.len(),
            None => self.fp_items,
        }
    }
}

/// Loads whole fingerprints by track id (for the pairs being aligned).
pub type FingerprintFetch<'a> = dyn Fn(&[i64]) -> Result<HashMap<i64, Vec<u32>>> + 'a;

/// The fingerprints of `ids`, from the library (one indexed lookup each).
pub fn fetch_fingerprints(lib: &Library, ids: &[i64]) -> Result<HashMap<i64, Vec<u32>>> {
    let mut stmt = lib
        .conn()
        .prepare_cached("SELECT fingerprint FROM tracks WHERE id = ?1")
        .map_err(|e| lib.err(e))?;
    let mut out = HashMap::with_capacity(ids.len());
    for &id in ids {
        let fp = stmt
            .query_row([id], |r| {
                Ok(r.get_ref(0)?.as_blob_or_null()?.map(fingerprint_from_blob))
            })
            .map_err(|e| lib.err(e))?;
        if let Some(fp) = fp {
            out.insert(id, fp);
        }
    }
    Ok(out)
}

/// Store the index keys of candidates whose library rows had a fingerprint
/// but no `fp_keys` (a library scanned before keys were stored), so the next
/// run reads keys only. Returns how many rows were filled.
pub fn backfill_keys(lib: &Library, cands: &[Candidate]) -> Result<usize> {
    let todo: Vec<(i64, Vec<u8>)> = cands
        .par_iter()
        .filter(|c| c.fp_keys.is_none())
        .filter_map(|c| {
            let fp = c.fingerprint.as_deref()?;
            Some((c.id, fingerprint_to_blob(&fingerprint::stored_keys(fp))))
        })
        .collect();
    if todo.is_empty() {
        return Ok(0);
    }
    let tx = lib.conn().unchecked_transaction().map_err(|e| lib.err(e))?;
    {
        let mut stmt = tx
            .prepare("UPDATE tracks SET fp_keys = ?2 WHERE id = ?1 AND fingerprint IS NOT NULL")
            .map_err(|e| lib.err(e))?;
        for (id, keys) in &todo {
            stmt.execute(rusqlite::params![id, keys])
                .map_err(|e| lib.err(e))?;
        }
    }
    tx.commit().map_err(|e| lib.err(e))?;
    Ok(todo.len())
}

/// Load every track that is not missing, in path order.
///
/// Reading 100k fingerprints is mostly SQLite walking overflow pages, so the
/// id range is split and read on parallel read-only connections (WAL lets
/// readers run side by side); the main connection reads the first part.
pub fn load_candidates(lib: &Library) -> Result<Vec<Candidate>> {
    let (lo, hi): (i64, i64) = lib
        .conn()
        .query_row(
            "SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM tracks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| lib.err(e))?;
    let parts = rayon::current_num_threads().clamp(1, 8) as i64;
    let step = ((hi - lo + 1) / parts).max(1);
    let ranges: Vec<(i64, i64)> = (0..parts)
        .map(|p| {
            (
                lo + p * step,
                if p == parts - 1 {
                    hi
                } else {
                    lo + (p + 1) * step - 1
                },
            )
        })
        .filter(|(a, b)| a <= b)
        .collect();
    let path = lib.path().to_path_buf();
    let mut chunks: Vec<Result<Vec<Candidate>>> = ranges
        .par_iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            if i == 0 {
                return Ok(Vec::new()); // read below, on the main connection
            }
            // Opened as every reader is (a read-only folder included).
            let reader = Library::open_reader(&path)?;
            read_range(reader.conn(), a, b).map_err(|e| Error::db(&path, e))
        })
        .collect();
    if let Some(&(a, b)) = ranges.first() {
        chunks[0] = read_range(lib.conn(), a, b).map_err(|e| lib.err(e));
    }
    let mut cands = Vec::new();
    for c in chunks {
        cands.extend(c?);
    }
    // Sorting here is much faster than ORDER BY path, which would visit the
    // table in index order.
    cands.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(cands)
}

/// The candidates with ids in `lo..=hi`.
fn read_range(conn: &rusqlite::Connection, lo: i64, hi: i64) -> rusqlite::Result<Vec<Candidate>> {
    // length() of a BLOB reads the record header only, not the overflow
    // pages the fingerprint lives in; the fingerprint itself is read only
    // where its keys were never stored.
    let mut stmt = conn.prepare(
        "SELECT id, path, file_hash, audio_hash, pcm_hash, fp_keys, length(fingerprint),
                CASE WHEN fp_keys IS NULL THEN fingerprint END, length, artist, title
         FROM tracks WHERE missing = 0 AND quarantined = 0 AND is_image = 0 AND id BETWEEN ?1 AND ?2",
    )?;
    let hash = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<Option<[u8; 32]>> {
        Ok(r.get_ref(i)?
            .as_blob_or_null()?
            .and_then(|b| <[u8; 32]>::try_from(b).ok()))
    };
    let rows = stmt.query_map([lo, hi], |r| {
        Ok(Candidate {
            id: r.get(0)?,
            path: bytes_to_path(r.get_ref(1)?.as_blob()?),
            file_hash: hash(r, 2)?,
            audio_hash: hash(r, 3)?,
            pcm_hash: hash(r, 4)?,
            fp_keys: r.get_ref(5)?.as_blob_or_null()?.map(fingerprint_from_blob),
            fp_items: r.get::<_, Option<i64>>(6)?.unwrap_or(0) as usize / 4,
            fingerprint: r.get_ref(7)?.as_blob_or_null()?.map(fingerprint_from_blob),
            length: r.get(8)?,
            artist: r.get(9)?,
            title: r.get(10)?,
        })
    })?;
    rows.collect()
}

/// Evidence that two candidates (indices) are duplicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub a: usize,
    pub b: usize,
    pub kind: DupeKind,
    /// 1 − bit error rate for fingerprint links; 1.0 for hash links; none for tags.
    pub similarity: Option<f64>,
}

/// Links every member of each bucket to the bucket's first member.
fn star_links(buckets: HashMap<[u8; 32], Vec<usize>>, kind: DupeKind) -> Vec<Link> {
    let mut links: Vec<Link> = buckets
        .into_values()
        .filter(|v| v.len() > 1)
        .flat_map(|v| {
            let first = v[0];
            v.into_iter().skip(1).map(move |b| Link {
                a: first,
                b,
                kind,
                similarity: Some(1.0),
            })
        })
        .collect();
    links.sort_by_key(|l| (l.a, l.b));
    links
}

/// Stage 1: byte-identical files (same `file_hash`).
pub fn exact(cands: &[Candidate]) -> Vec<Link> {
    let mut buckets: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    for (i, c) in cands.iter().enumerate() {
        if let Some(h) = c.file_hash {
            buckets.entry(h).or_default().push(i);
        }
    }
    star_links(buckets, DupeKind::Exact)
}

/// Stage 2: the same audio in another container or with other tags (same
/// `audio_hash`), or the same decoded samples (same `pcm_hash`: a FLAC and a
/// WAV of one rip).
pub fn same_audio(cands: &[Candidate]) -> Vec<Link> {
    let mut links = Vec::new();
    for pick in [
        (|c: &Candidate| c.audio_hash) as fn(&Candidate) -> Option<[u8; 32]>,
        |c: &Candidate| c.pcm_hash,
    ] {
        let mut buckets: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
        for (i, c) in cands.iter().enumerate() {
            if let Some(h) = pick(c) {
                buckets.entry(h).or_default().push(i);
            }
        }
        links.extend(star_links(buckets, DupeKind::SameAudio));
    }
    links
}

/// Are two durations close enough for the same recording? A few seconds
/// trimmed is allowed (up to the alignment window, or 5 % of a long track).
fn lengths_compatible(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= fingerprint::MAX_SHIFT_SECONDS.max(0.05 * a.max(b)),
        _ => true,
    }
}

/// Stage 3: the same recording (fingerprints match after alignment).
/// `groups` holds what the earlier stages joined: only one representative
/// per set (the one with the longest usable fingerprint) is indexed.
/// Candidate pairs come from the stored index keys; `fetch` loads the whole
/// fingerprints of the pairs' members that are not loaded yet.
pub fn same_recording(
    cands: &[Candidate],
    thresholds: &fingerprint::Thresholds,
    groups: &mut Groups,
    fetch: &FingerprintFetch<'_>,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<Vec<Link>> {
    let keys: Vec<Option<Cow<'_, [u32]>>> = cands.par_iter().map(Candidate::usable_keys).collect();
    let mut rep: HashMap<usize, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if k.is_none() {
            continue;
        }
        let root = groups.find(i);
        let better = match rep.get(&root) {
            Some(&r) => cands[r].fingerprint_items() < cands[i].fingerprint_items(),
            None => true,
        };
        if better {
            rep.insert(root, i);
        }
    }
    let mut reps: Vec<usize> = rep.into_values().collect();
    reps.sort_unstable();
    let rep_keys: Vec<&[u32]> = reps.iter().filter_map(|&i| keys[i].as_deref()).collect();
    let pairs = fingerprint::candidate_pairs_from_keys(&rep_keys);
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    // Whole fingerprints, only for the tracks in a pair.
    let mut need: Vec<usize> = pairs
        .iter()
        .flat_map(|&(x, y)| [reps[x as usize], reps[y as usize]])
        .filter(|&i| cands[i].fingerprint.is_none())
        .collect();
    need.sort_unstable();
    need.dedup();
    let ids: Vec<i64> = need.iter().map(|&i| cands[i].id).collect();
    let fetched = fetch(&ids)?;
    let fp_of = |i: usize| -> Option<&[u32]> {
        cands[i]
            .fingerprint
            .as_deref()
            .or_else(|| fetched.get(&cands[i].id).map(Vec::as_slice))
    };
    let total = pairs.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let report_every = (total / 100).max(1);
    let matches: Vec<Option<(usize, usize, Match)>> = pairs
        .par_iter()
        .map(|&(x, y)| {
            if cancel.is_cancelled() {
                return Err(Error::Interrupted);
            }
            let (a, b) = (reps[x as usize], reps[y as usize]);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n % report_every == 0 || n == total {
                progress.report(Progress {
                    stage: Stage::Match,
                    done: n,
                    total,
                    bytes: 0,
                    total_bytes: 0,
                });
            }
            if !lengths_compatible(cands[a].length, cands[b].length) {
                return Ok(None);
            }
            let (Some(fa), Some(fb)) = (fp_of(a), fp_of(b)) else {
                return Ok(None);
            };
            Ok(fingerprint::compare(fa, fb)
                .filter(|m| m.is_match_at(thresholds) || m.is_similar_at(thresholds))
                .map(|m| (a, b, m)))
        })
        .collect::<Result<_>>()?;
    Ok(matches
        .into_iter()
        .flatten()
        .map(|(a, b, m)| Link {
            a,
            b,
            kind: if m.is_match_at(thresholds) {
                DupeKind::SameRecording
            } else {
                DupeKind::Similar
            },
            similarity: Some(m.similarity()),
        })
        .collect())
}

/// Stage 4 (`--by-tags`): the same normalised artist and title, with
/// lengths within ±2 s, where at least one of the two has no usable
/// fingerprint (when both do, the fingerprints have already decided: two
/// different recordings with the same tags stay apart).
pub fn same_tags(cands: &[Candidate]) -> Vec<Link> {
    const LENGTH_TOLERANCE: f64 = 2.0;
    let mut buckets: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, c) in cands.iter().enumerate() {
        if let Some(key) = tag_key(c.artist.as_deref(), c.title.as_deref()) {
            buckets.entry(key).or_default().push(i);
        }
    }
    let mut links = Vec::new();
    for members in buckets.into_values().filter(|v| v.len() > 1) {
        let has_fp: Vec<bool> = members
            .iter()
            .map(|&i| cands[i].has_usable_fingerprint())
            .collect();
        for x in 0..members.len() {
            for y in x + 1..members.len() {
                if has_fp[x] && has_fp[y] {
                    continue;
                }
                let (a, b) = (members[x], members[y]);
                let close = match (cands[a].length, cands[b].length) {
                    (Some(la), Some(lb)) => (la - lb).abs() <= LENGTH_TOLERANCE,
                    _ => false,
                };
                if close {
                    links.push(Link {
                        a,
                        b,
                        kind: DupeKind::SameTags,
                        similarity: None,
                    });
                }
            }
        }
    }
    links.sort_by_key(|l| (l.a, l.b));
    links
}

/// A union-find over candidate indices: the groups the links build.
#[derive(Debug, Clone)]
pub struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        Groups {
            parent: (0..n).collect(),
        }
    }

    /// The representative of `i`'s set.
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Join the sets of `a` and `b` (the smaller index becomes the root).
    pub fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi] = lo;
        }
    }

    /// Every set with two or more members, members ascending, sets ordered by
    /// their first member.
    pub fn sets(&mut self) -> Vec<Vec<usize>> {
        let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.parent.len() {
            let r = self.find(i);
            by_root.entry(r).or_default().push(i);
        }
        let mut sets: Vec<Vec<usize>> = by_root.into_values().filter(|v| v.len() > 1).collect();
        sets.sort_unstable_by_key(|v| v[0]);
        sets
    }
}

/// A group found by the stages: member indices and the links inside it.
#[derive(Debug, Clone)]
pub struct RawGroup {
    /// Candidate indices, ascending.
    pub members: Vec<usize>,
    /// The links between members.
    pub links: Vec<Link>,
}

/// What the stages found: duplicate groups, and the `similar` links (other
/// versions of a tune), which join no group.
#[derive(Debug, Default)]
pub struct Grouped {
    pub groups: Vec<RawGroup>,
    pub similar: Vec<Link>,
}

/// Run every stage and join the links into groups.
pub fn group_candidates(
    cands: &[Candidate],
    by_tags: bool,
    thresholds: &fingerprint::Thresholds,
    fetch: &FingerprintFetch<'_>,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<Grouped> {
    let mut groups = Groups::new(cands.len());
    let mut links = exact(cands);
    links.extend(same_audio(cands));
    for l in &links {
        groups.union(l.a, l.b);
    }
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    let (similar, recording): (Vec<Link>, Vec<Link>) =
        same_recording(cands, thresholds, &mut groups, fetch, progress, cancel)?
            .into_iter()
            .partition(|l| l.kind == DupeKind::Similar);
    for l in &recording {
        groups.union(l.a, l.b);
    }
    links.extend(recording);
    if by_tags {
        let tagged = same_tags(cands);
        for l in &tagged {
            groups.union(l.a, l.b);
        }
        links.extend(tagged);
    }
    let sets = groups.sets();
    let mut set_of: HashMap<usize, usize> = HashMap::new();
    for (s, members) in sets.iter().enumerate() {
        for &m in members {
            set_of.insert(m, s);
        }
    }
    let mut out: Vec<RawGroup> = sets
        .into_iter()
        .map(|members| RawGroup {
            members,
            links: Vec::new(),
        })
        .collect();
    for l in links {
        if let Some(&s) = set_of.get(&l.a) {
            out[s].links.push(l);
        }
    }
    Ok(Grouped {
        groups: out,
        similar,
    })
}

/// How each member relates to `keeper` (a candidate index): the strongest
/// chain of links from the keeper, where a chain is as strong as its weakest
/// link (a copy of a transcode is a transcode of the keeper). Returns
/// `(kind, similarity)` per member, in `group.members` order.
pub fn relations_to(group: &RawGroup, keeper: usize) -> Vec<(DupeKind, Option<f64>)> {
    // Widest-path relaxation over (strength, similarity), compared
    // lexicographically; a chain takes the minimum of both. Groups are small.
    let mut best: HashMap<usize, (u8, f64)> = HashMap::new();
    best.insert(keeper, (DupeKind::Keeper.strength(), 1.0));
    loop {
        let mut changed = false;
        for l in &group.links {
            for (from, to) in [(l.a, l.b), (l.b, l.a)] {
                let Some(&(strength, sim)) = best.get(&from) else {
                    continue;
                };
                let chained = (
                    strength.min(l.kind.strength()),
                    sim.min(l.similarity.unwrap_or(1.0)),
                );
                let improves = match best.get(&to) {
                    None => true,
                    Some(&old) => chained.0 > old.0 || (chained.0 == old.0 && chained.1 > old.1),
                };
                if improves {
                    best.insert(to, chained);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    group
        .members
        .iter()
        .map(|m| match best.get(m) {
            Some(&(strength, sim)) => {
                let kind = DupeKind::from_strength(strength);
                let sim = matches!(
                    kind,
                    DupeKind::Exact | DupeKind::SameAudio | DupeKind::SameRecording
                )
                .then_some(sim);
                (kind, sim)
            }
            None => (DupeKind::SameTags, None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dupes::fingerprint::tests::{chromaprint, song};
    use crate::progress::NoProgress;

    /// The tests' candidates carry their fingerprints: nothing to load.
    fn no_fetch(_: &[i64]) -> Result<HashMap<i64, Vec<u32>>> {
        Ok(HashMap::new())
    }

    fn cand(id: i64, path: &str) -> Candidate {
        Candidate {
            id,
            path: PathBuf::from(path),
            ..Default::default()
        }
    }

    fn h(n: u8) -> Option<[u8; 32]> {
        Some([n; 32])
    }

    #[test]
    fn stages_join_copies_retags_transcodes_and_trims() {
        let a = song(1, 20.0);
        let fp_a = chromaprint(&a);
        let fp_gain = chromaprint(&a.iter().map(|x| x * 0.5).collect::<Vec<_>>());
        let fp_trim = chromaprint(&a[2 * 11025..]);
        let fp_other = chromaprint(&song(2, 20.0));
        let mut c = vec![
            cand(1, "/m/a.flac"),
            cand(2, "/m/copy/a.flac"),
            cand(3, "/m/retag.flac"),
            cand(4, "/m/a.wav"),
            cand(5, "/m/a.mp3"),
            cand(6, "/m/trim.flac"),
            cand(7, "/m/other.flac"),
        ];
        for x in c.iter_mut() {
            x.length = Some(20.0);
        }
        c[0].file_hash = h(1);
        c[0].audio_hash = h(10);
        c[0].pcm_hash = h(20);
        c[0].fingerprint = Some(fp_a.clone());
        c[1].file_hash = h(1);
        c[1].audio_hash = h(10);
        c[1].pcm_hash = h(20);
        c[1].fingerprint = Some(fp_a.clone());
        c[2].file_hash = h(2);
        c[2].audio_hash = h(10);
        c[2].fingerprint = Some(fp_a.clone());
        c[3].file_hash = h(3);
        c[3].pcm_hash = h(20);
        c[3].fingerprint = Some(fp_a.clone());
        c[4].file_hash = h(4);
        c[4].fingerprint = Some(fp_gain);
        c[5].file_hash = h(5);
        c[5].fingerprint = Some(fp_trim);
        c[5].length = Some(18.0);
        c[6].file_hash = h(6);
        c[6].fingerprint = Some(fp_other);
        let groups = group_candidates(
            &c,
            false,
            &Default::default(),
            &no_fetch,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap()
        .groups;
        assert_eq!(groups.len(), 1, "{groups:?}");
        let g = &groups[0];
        assert_eq!(g.members, vec![0, 1, 2, 3, 4, 5]);
        let rel = relations_to(g, 0);
        let kinds: Vec<DupeKind> = rel.iter().map(|r| r.0).collect();
        use DupeKind::*;
        assert_eq!(
            kinds,
            vec![
                Keeper,
                Exact,
                SameAudio,
                SameAudio,
                SameRecording,
                SameRecording
            ]
        );
        assert!(rel[5].1.unwrap() > 0.9);
        // Seen from the retag, the byte copies are same-audio too.
        let rel = relations_to(g, 2);
        assert_eq!(rel[0].0, SameAudio);
        assert_eq!(rel[1].0, SameAudio);
    }

    #[test]
    fn tags_only_link_files_without_fingerprints() {
        let fp1 = chromaprint(&song(3, 10.0));
        let fp2 = chromaprint(&song(4, 10.0));
        let mut c: Vec<Candidate> = (0..4)
            .map(|i| {
                let mut x = cand(i, &format!("/m/{i}.mp3"));
                x.artist = Some("The Band".into());
                x.title = Some("Song!".into());
                x.length = Some(10.0);
                x.file_hash = h(i as u8);
                x
            })
            .collect();
        c[0].fingerprint = Some(fp1);
        c[1].fingerprint = Some(fp2);
        c[1].artist = Some("band".into());
        c[2].length = Some(11.5); // no fingerprint, within 2 s
        c[3].length = Some(14.0); // no fingerprint, too long
        let none = group_candidates(
            &c,
            false,
            &Default::default(),
            &no_fetch,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap()
        .groups;
        assert!(none.is_empty());
        let links = same_tags(&c);
        let pairs: Vec<(usize, usize)> = links.iter().map(|l| (l.a, l.b)).collect();
        // 0-1 both have fingerprints (different recordings): never linked.
        assert!(!pairs.contains(&(0, 1)));
        assert!(pairs.contains(&(0, 2)) && pairs.contains(&(1, 2)));
        assert!(!pairs.iter().any(|&(a, b)| a == 3 || b == 3));
    }

    #[test]
    fn short_and_silent_files_never_group_by_fingerprint() {
        let short = chromaprint(&song(5, 2.5));
        let silence = chromaprint(&vec![0.0; 11025 * 8]);
        let mut c = vec![cand(1, "/a"), cand(2, "/b"), cand(3, "/c"), cand(4, "/d")];
        c[0].fingerprint = Some(short.clone());
        c[0].length = Some(2.5);
        c[1].fingerprint = Some(short);
        c[1].length = Some(2.5);
        c[2].fingerprint = Some(silence.clone());
        c[3].fingerprint = Some(silence);
        let groups = group_candidates(
            &c,
            false,
            &Default::default(),
            &no_fetch,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap()
        .groups;
        assert!(groups.is_empty(), "{groups:?}");
    }

    #[test]
    fn union_find_sets_are_ordered() {
        let mut g = Groups::new(6);
        g.union(4, 5);
        g.union(1, 3);
        g.union(3, 5);
        assert_eq!(g.sets(), vec![vec![1, 3, 4, 5]]);
    }
}
