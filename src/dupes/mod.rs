//! Duplicate detection as narrowing stages (hashes, then fingerprints, then
//! optionally tags), keeper ranking and quarantine.
//!
//! [`find_dupes`] loads a light row per track ([`stages::Candidate`]), runs
//! the stages in [`stages`] (cheapest first; the fingerprint stage uses the
//! sub-quadratic index in [`fingerprint`]), ranks each group's members with
//! [`keeper`], and rewrites the `dupe_members` table (which feeds the query
//! field `dupe:true`). [`quarantine`] moves every non-keeper away, through
//! the undo journal, and out of the active library. Missing and quarantined
//! tracks are ignored. Nothing here deletes a file.

pub mod fingerprint;
pub mod keeper;
pub mod quarantine;
pub mod stages;
pub mod tags;

use std::collections::HashMap;
use std::path::PathBuf;

use rusqlite::params;

use crate::error::{Error, Result};
use crate::library::{Library, Track};
use crate::progress::{Cancel, ProgressSink};

/// How a group member relates to the group's keeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DupeKind {
    /// The copy that stays.
    Keeper,
    /// Byte-identical file (same `file_hash`).
    Exact,
    /// The same audio with other tags or another container (`audio_hash`),
    /// or the same decoded samples (`pcm_hash`).
    SameAudio,
    /// The fingerprints match: another encoding, gain or trim of the recording.
    SameRecording,
    /// Only the normalised artist and title (and length) agree (`--by-tags`).
    SameTags,
    /// Not a duplicate: another version of the same tune (an alternate mix,
    /// a remaster, an arrangement), whose fingerprints are clearly related
    /// but below the same-recording threshold. Never moved unless asked.
    Similar,
}

impl DupeKind {
    /// The name printed and stored in `dupe_members.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            DupeKind::Keeper => "keeper",
            DupeKind::Exact => "exact",
            DupeKind::SameAudio => "same-audio",
            DupeKind::SameRecording => "same-recording",
            DupeKind::SameTags => "same-tags",
            DupeKind::Similar => "similar",
        }
    }

    /// How strong the evidence is (higher is stronger).
    pub fn strength(self) -> u8 {
        match self {
            DupeKind::Keeper => 5,
            DupeKind::Exact => 4,
            DupeKind::SameAudio => 3,
            DupeKind::SameRecording => 2,
            DupeKind::SameTags => 1,
            DupeKind::Similar => 0,
        }
    }

    /// The kind of a given [`strength`](Self::strength).
    pub fn from_strength(s: u8) -> DupeKind {
        match s {
            5.. => DupeKind::Keeper,
            4 => DupeKind::Exact,
            3 => DupeKind::SameAudio,
            2 => DupeKind::SameRecording,
            1 => DupeKind::SameTags,
            _ => DupeKind::Similar,
        }
    }
}

impl std::fmt::Display for DupeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `dupes` should do, validated by the CLI.
#[derive(Debug, Clone, Default)]
pub struct DupeSettings {
    /// Also group files without fingerprints by normalised artist + title.
    pub by_tags: bool,
    /// Folders whose tracks rank first as keepers (earlier first).
    pub prefer: Vec<PathBuf>,
    /// The fingerprint bit-error rates of a match and of a similar version.
    pub thresholds: fingerprint::Thresholds,
}

/// One member of a group.
#[derive(Debug, Clone)]
pub struct DupeMember {
    /// The track, as in the library.
    pub track: Track,
    /// Its relation to the keeper (`Keeper` for the keeper itself).
    pub kind: DupeKind,
    /// 1.0 for hash matches, 1 − BER for fingerprint matches, none for the
    /// keeper and tag matches.
    pub similarity: Option<f64>,
}

/// A group of duplicates.
#[derive(Debug, Clone)]
pub struct DupeGroup {
    /// 1-based group number, as printed and stored.
    pub number: usize,
    /// The keeper first, then the others best first.
    pub members: Vec<DupeMember>,
    /// Why the keeper won, e.g. "lossless (flac vs mp3)".
    pub reason: String,
    /// A group of other versions of one tune (kind `similar`), not of
    /// duplicates: listed apart, never moved unless asked.
    pub similar: bool,
}

impl DupeGroup {
    /// The copy that stays.
    pub fn keeper(&self) -> &DupeMember {
        &self.members[0]
    }
}

/// Find every duplicate group in the library, rank keepers, and record the
/// result in `dupe_members`. Groups are ordered by their keeper's path.
pub fn find_dupes(
    lib: &Library,
    settings: &DupeSettings,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<Vec<DupeGroup>> {
    let cands = stages::load_candidates(lib)?;
    // Caches: refreshed when the library can be written without waiting.
    lib.with_cache_writer(|w| stages::backfill_keys(w, &cands))?;
    let fetch = |ids: &[i64]| stages::fetch_fingerprints(lib, ids);
    let grouped = stages::group_candidates(
        &cands,
        settings.by_tags,
        &settings.thresholds,
        &fetch,
        progress,
        cancel,
    )?;
    let raw = grouped.groups;
    let mut ctx = keeper::RankContext {
        prefer: settings.prefer.clone(),
        in_playlist: tracks_in_playlists(lib)?,
        centrality: HashMap::new(),
    };
    let mut groups = Vec::with_capacity(raw.len());
    // Candidate index -> its group's keeper (candidate index).
    let mut keeper_of: HashMap<usize, usize> = HashMap::new();
    for g in &raw {
        if cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        let mut tracks = Vec::with_capacity(g.members.len());
        for &m in &g.members {
            let id = cands[m].id;
            let track = lib.track(id)?.ok_or_else(|| {
                Error::Internal(format!("track {id} vanished from the library during dupes"))
            })?;
            tracks.push(track);
        }
        let refs: Vec<&Track> = tracks.iter().collect();
        ctx.centrality = centrality(lib, &tracks)?;
        let (order, reason) = keeper::rank_keeper(&refs, &ctx);
        let relations = stages::relations_to(g, g.members[order[0]]);
        for &m in &g.members {
            keeper_of.insert(m, g.members[order[0]]);
        }
        let members = order
            .iter()
            .map(|&i| DupeMember {
                track: tracks[i].clone(),
                kind: relations[i].0,
                similarity: relations[i].1,
            })
            .collect();
        groups.push(DupeGroup {
            number: 0,
            members,
            reason,
            similar: false,
        });
    }
    groups.sort_by(|a, b| a.keeper().track.path.cmp(&b.keeper().track.path));
    ctx.centrality.clear();
    let mut similar = similar_groups(lib, &cands, &grouped.similar, &keeper_of, &ctx)?;
    similar.sort_by(|a, b| a.keeper().track.path.cmp(&b.keeper().track.path));
    groups.extend(similar);
    for (i, g) in groups.iter_mut().enumerate() {
        g.number = i + 1;
    }
    // Duplicates are recorded (`dupe:true`); other versions are not.
    let dupes: Vec<DupeGroup> = groups.iter().filter(|g| !g.similar).cloned().collect();
    lib.with_cache_writer(|w| save_groups(w, &dupes))?;
    Ok(groups)
}

/// Groups of other versions of one tune, from the `similar` links: each
/// duplicate group stands in them by its keeper, so a similar group never
/// splits a duplicate group. Its best version (as the keeper is ranked)
/// comes first.
fn similar_groups(
    lib: &Library,
    cands: &[stages::Candidate],
    links: &[stages::Link],
    keeper_of: &HashMap<usize, usize>,
    ctx: &keeper::RankContext,
) -> Result<Vec<DupeGroup>> {
    let stand_in = |i: usize| keeper_of.get(&i).copied().unwrap_or(i);
    let mut sets = stages::Groups::new(cands.len());
    let mut best: HashMap<usize, f64> = HashMap::new();
    for l in links {
        let (a, b) = (stand_in(l.a), stand_in(l.b));
        if a == b {
            continue;
        }
        sets.union(a, b);
        let sim = l.similarity.unwrap_or(0.0);
        for m in [a, b] {
            let e = best.entry(m).or_insert(0.0);
            *e = e.max(sim);
        }
    }
    let mut out = Vec::new();
    for members in sets.sets() {
        let mut tracks = Vec::with_capacity(members.len());
        for &m in &members {
            if let Some(t) = lib.track(cands[m].id)? {
                tracks.push((m, t));
            }
        }
        if tracks.len() < 2 {
            continue;
        }
        let refs: Vec<&Track> = tracks.iter().map(|(_, t)| t).collect();
        let (order, reason) = keeper::rank_keeper(&refs, ctx);
        let members = order
            .iter()
            .enumerate()
            .map(|(rank, &i)| DupeMember {
                track: tracks[i].1.clone(),
                kind: if rank == 0 {
                    DupeKind::Keeper
                } else {
                    DupeKind::Similar
                },
                similarity: (rank > 0)
                    .then(|| best.get(&tracks[i].0).copied())
                    .flatten(),
            })
            .collect();
        out.push(DupeGroup {
            number: 0,
            members,
            reason,
            similar: true,
        });
    }
    Ok(out)
}

/// Each fingerprinted member's mean similarity to the group's other
/// fingerprinted members (see `keeper::RankContext::centrality`).
fn centrality(lib: &Library, tracks: &[Track]) -> Result<HashMap<i64, f64>> {
    let ids: Vec<i64> = tracks.iter().map(|t| t.id).collect();
    let fps = stages::fetch_fingerprints(lib, &ids)?;
    let mut out = HashMap::new();
    if fps.len() < 3 {
        return Ok(out); // with two members, both are equally central
    }
    let mut sum: HashMap<i64, (f64, u32)> = HashMap::new();
    let have: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| fps.contains_key(i))
        .collect();
    for (n, &a) in have.iter().enumerate() {
        for &b in &have[n + 1..] {
            if let Some(m) = fingerprint::compare(&fps[&a], &fps[&b]) {
                for id in [a, b] {
                    let e = sum.entry(id).or_insert((0.0, 0));
                    e.0 += m.similarity();
                    e.1 += 1;
                }
            }
        }
    }
    for (id, (s, n)) in sum {
        out.insert(id, s / n as f64);
    }
    Ok(out)
}

/// The tracks a static playlist points at (a keeper prefers them).
fn tracks_in_playlists(lib: &Library) -> Result<std::collections::HashSet<i64>> {
    let mut stmt = lib
        .conn()
        .prepare("SELECT DISTINCT track_id FROM playlist_entries WHERE track_id IS NOT NULL")
        .map_err(|e| lib.err(e))?;
    let ids = stmt
        .query_map([], |r| r.get::<_, i64>(0))
        .map_err(|e| lib.err(e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| lib.err(e));
    ids
}

/// Replace the `dupe_members` table with `groups`, in one transaction.
pub fn save_groups(lib: &Library, groups: &[DupeGroup]) -> Result<()> {
    let conn = lib.conn();
    let tx = conn.unchecked_transaction().map_err(|e| lib.err(e))?;
    tx.execute("DELETE FROM dupe_members", [])
        .map_err(|e| lib.err(e))?;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO dupe_members(track_id, group_id, kind, similarity) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(|e| lib.err(e))?;
        for g in groups {
            for m in &g.members {
                stmt.execute(params![
                    m.track.id,
                    g.number as i64,
                    m.kind.as_str(),
                    m.similarity
                ])
                .map_err(|e| lib.err(e))?;
            }
        }
    }
    tx.commit().map_err(|e| lib.err(e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::library::path_to_bytes;
    use crate::library::track::fingerprint_to_blob;
    use crate::progress::NoProgress;
    use std::path::Path;

    /// `SELECT count(*) FROM` this table and condition.
    fn count(lib: &Library, from: &str) -> i64 {
        lib.conn()
            .query_row(&format!("SELECT count(*) FROM {from}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Insert a track row with the columns dupes reads.
    pub(crate) fn insert(lib: &Library, t: &Track) -> i64 {
        lib.conn()
            .execute(
                "INSERT INTO tracks(path, size, mtime, added, scanned, missing, file_hash, audio_hash,
                 pcm_hash, title, artist, format, lossless, length, samplerate, bitdepth, bitrate,
                 fingerprint, art)
                 VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    path_to_bytes(&t.path),
                    t.size as i64,
                    t.mtime,
                    t.missing as i64,
                    t.file_hash.map(|h| h.to_vec()),
                    t.audio_hash.map(|h| h.to_vec()),
                    t.pcm_hash.map(|h| h.to_vec()),
                    t.tags.title,
                    t.tags.artist,
                    t.props.format,
                    t.props.lossless.map(|b| b as i64),
                    t.props.length,
                    t.props.samplerate,
                    t.props.bitdepth,
                    t.props.bitrate,
                    t.fingerprint.as_deref().map(fingerprint_to_blob),
                    t.art as i64,
                ],
            )
            .unwrap();
        lib.conn().last_insert_rowid()
    }

    pub(crate) fn track(path: &Path, format: &str, lossless: bool, hash: u8) -> Track {
        let mut t = Track {
            path: path.to_path_buf(),
            file_hash: Some([hash; 32]),
            ..Default::default()
        };
        t.props.format = Some(format.into());
        t.props.lossless = Some(lossless);
        t.props.length = Some(20.0);
        t.props.bitrate = Some(if lossless { 900_000 } else { 192_000 });
        t
    }

    #[test]
    fn groups_are_ranked_saved_and_missing_tracks_ignored() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let flac = track(Path::new("/m/b.flac"), "flac", true, 1);
        let copy = track(Path::new("/m/c.flac"), "flac", true, 1);
        let mut mp3 = track(Path::new("/m/a.mp3"), "mp3", false, 2);
        let mut gone = track(Path::new("/m/d.flac"), "flac", true, 1);
        gone.missing = true;
        let fp = crate::dupes::fingerprint::tests::chromaprint(
            &crate::dupes::fingerprint::tests::song(11, 20.0),
        );
        let mut flac = flac;
        flac.fingerprint = Some(fp.clone());
        mp3.fingerprint = Some(fp);
        let ids: Vec<i64> = [&flac, &copy, &mp3, &gone]
            .iter()
            .map(|t| insert(&lib, t))
            .collect();
        let groups =
            find_dupes(&lib, &DupeSettings::default(), &NoProgress, &Cancel::new()).unwrap();
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(g.reason, "lossless (flac vs mp3)");
        let got: Vec<(i64, DupeKind)> = g.members.iter().map(|m| (m.track.id, m.kind)).collect();
        assert_eq!(
            got,
            vec![
                (ids[0], DupeKind::Keeper),
                (ids[1], DupeKind::Exact),
                (ids[2], DupeKind::SameRecording)
            ]
        );
        assert_eq!(count(&lib, "dupe_members WHERE group_id = 1"), 3);
        // Rows inserted without index keys (an older library) got them, and
        // a run that reads the stored keys (fetching only the pair's
        // fingerprints) finds the same group.
        assert_eq!(
            count(
                &lib,
                "tracks WHERE fingerprint IS NOT NULL AND length(fp_keys) > 0"
            ),
            2
        );
        let again =
            find_dupes(&lib, &DupeSettings::default(), &NoProgress, &Cancel::new()).unwrap();
        let ids_again: Vec<i64> = again[0].members.iter().map(|m| m.track.id).collect();
        assert_eq!(ids_again, vec![ids[0], ids[1], ids[2]]);
        // A second run rewrites the table.
        lib.conn()
            .execute("UPDATE tracks SET missing = 1 WHERE id = ?1", [ids[2]])
            .unwrap();
        lib.conn()
            .execute("UPDATE tracks SET missing = 1 WHERE id = ?1", [ids[1]])
            .unwrap();
        let groups =
            find_dupes(&lib, &DupeSettings::default(), &NoProgress, &Cancel::new()).unwrap();
        assert!(groups.is_empty());
        assert_eq!(count(&lib, "dupe_members"), 0);
    }
}
