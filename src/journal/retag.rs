//! Tag writes in the journal: what `modify` (and the art commands) record so
//! that undo gives a file back byte for byte.
//!
//! A tag write changes one stretch of the file (the tag, and whatever the
//! format moves with it: padding, an MP4 chunk offset table), never the
//! audio, which is checked before the write is kept. The journal stores
//! that stretch of the old file as a [`Patch`], and the hashes of the file
//! before and after. Undo rebuilds the old bytes from the file as it is,
//! only when the file still is what the write left (its hash), checks the
//! result against the old hash, and writes it atomically. A file changed
//! since (by hand, by another tagger) is reported and left alone.
//!
//! Order: the entry (with its patch) is recorded before the new file takes
//! the old one's name, and the library follows after, in one transaction
//! with the entry's `done`. Killed in between, undo still works from the
//! hashes: a file with the old hash needs nothing, one with the new hash is
//! put back.

use std::path::Path;

use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::fsops;
use crate::library::writer::{self, FileRead};
use crate::library::{now, unix_seconds, Library, Track};
use crate::media::{self, MediaInfo, ReadOptions};

use super::{set_state, Action, Entry, Operation};

/// The one range where two versions of a file differ: at `at`, the new
/// file has `new_len` bytes where the old had `old`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub at: u64,
    pub new_len: u64,
    pub old: Vec<u8>,
}

impl Patch {
    /// The patch that turns `new` back into `old`: their common prefix and
    /// suffix are left out.
    pub fn between(old: &[u8], new: &[u8]) -> Patch {
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        Patch {
            at: prefix as u64,
            new_len: (new.len() - prefix - suffix) as u64,
            old: old[prefix..old.len() - suffix].to_vec(),
        }
    }

    /// `new` with the patch applied (the old file), or `None` when `new`
    /// is too short to be the file the patch was made against.
    pub fn apply(&self, new: &[u8]) -> Option<Vec<u8>> {
        let at = usize::try_from(self.at).ok()?;
        let end = at.checked_add(usize::try_from(self.new_len).ok()?)?;
        if end > new.len() {
            return None;
        }
        let mut out = Vec::with_capacity(new.len() - (end - at) + self.old.len());
        out.extend_from_slice(&new[..at]);
        out.extend_from_slice(&self.old);
        out.extend_from_slice(&new[end..]);
        Some(out)
    }
}

impl Operation<'_> {
    /// Record, before the rewritten file replaces `path`, that it goes from
    /// the `old` bytes to the `new` ones: the tag write of track `track_id`,
    /// or with `None` the rewrite of a file that is not a track (a `.cue`
    /// whose `FILE` lines follow the audio's new names). `old_tags` is the
    /// edited fields' values before, as JSON. Undo puts the old bytes back.
    /// Returns the entry's number.
    pub fn plan_retag(
        &mut self,
        path: &Path,
        track_id: Option<i64>,
        old: &[u8],
        new: &[u8],
        old_tags: &str,
    ) -> Result<i64> {
        let patch = Patch::between(old, new);
        let old_hash = *blake3::hash(old).as_bytes();
        let old_size = old.len() as u64;
        let new_hash = *blake3::hash(new).as_bytes();
        let seq = self.plan(Action::Retag, path, path, track_id, Some(new_hash))?;
        self.lib
            .conn()
            .execute(
                "INSERT INTO journal_retags(op_id, seq, old_hash, old_size, patch_at, patch_len,
                                            patch, old_tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    self.id,
                    seq,
                    old_hash.to_vec(),
                    old_size as i64,
                    patch.at as i64,
                    patch.new_len as i64,
                    patch.old,
                    old_tags
                ],
            )
            .map_err(|e| self.lib.err(e))?;
        Ok(seq)
    }

    /// The rewritten file is in place: the track's row takes `row` and the
    /// entry is marked done, in one transaction.
    pub fn settle_retag(&self, seq: i64, track_id: i64, row: &FileRead) -> Result<()> {
        let lib = self.lib;
        let tx = lib.conn().unchecked_transaction().map_err(|x| lib.err(x))?;
        writer::update_track(&tx, track_id, row, now()).map_err(|e| lib.err(e))?;
        set_state(lib, self.id, seq, "done")?;
        tx.commit().map_err(|e| lib.err(e))
    }
}

/// The row of a track whose file was rewritten with the same audio: what
/// reading the file now gave (`read`: tags, art, hashes), its size and
/// time from the disk, and the decode analysis the track already had
/// (fingerprint, quality), which still describes the audio.
pub fn retagged_row(lib: &Library, track: &Track, read: MediaInfo) -> Result<FileRead> {
    let path = &track.path;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let root_id = lib.root_id_for(path)?.unwrap_or(0);
    let mut info = read;
    if let Some(stored) = track.media_info() {
        info.fingerprint = stored.fingerprint;
        info.fingerprint_error = stored.fingerprint_error;
        info.quality = stored.quality;
        info.analysed = stored.analysed;
        info.pcm_hash = stored.pcm_hash;
    }
    Ok(FileRead {
        path: path.clone(),
        root_id,
        size: meta.len(),
        mtime: meta.modified().map(unix_seconds).unwrap_or(0.0),
        info: Ok(info),
        // `dupes` derives the index keys from the fingerprint when absent.
        fp_keys: None,
    })
}

/// Undo one tag write: `(result, reason)` for the undo report.
pub(super) fn undo_retag(
    lib: &Library,
    op_id: i64,
    e: &Entry,
    dry_run: bool,
) -> Result<(&'static str, Option<String>)> {
    let path = &e.src;
    let row: Option<(Vec<u8>, i64, i64, Vec<u8>)> = lib
        .conn()
        .query_row(
            "SELECT old_hash, patch_at, patch_len, patch FROM journal_retags
             WHERE op_id = ?1 AND seq = ?2",
            [op_id, e.seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|x| lib.err(x))?;
    let Some((old_hash, at, new_len, old)) = row else {
        return Ok((
            "skipped",
            Some(format!(
                "{}: the journal holds no earlier bytes",
                path.display()
            )),
        ));
    };
    let skipped = |why: &str| {
        Ok((
            "skipped",
            Some(format!("{}: {why}; left alone", path.display())),
        ))
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(x) if x.kind() == std::io::ErrorKind::NotFound => return skipped("no longer there"),
        Err(x) => return Err(Error::io(path, x)),
    };
    let now_hash = *blake3::hash(&bytes).as_bytes();
    if now_hash.as_slice() == old_hash.as_slice() {
        // The write never took the file's name (a killed run), or the file
        // was put back already.
        if !dry_run {
            set_state(lib, op_id, e.seq, "undone")?;
        }
        return Ok(("nothing-to-do", None));
    }
    if e.file_hash != Some(now_hash) {
        return skipped("changed since the tag write");
    }
    let patch = Patch {
        at: at as u64,
        new_len: new_len as u64,
        old,
    };
    let restored = match patch.apply(&bytes) {
        Some(r) if blake3::hash(&r).as_bytes().as_slice() == old_hash.as_slice() => r,
        _ => return skipped("the journalled bytes do not rebuild the earlier file"),
    };
    if dry_run {
        return Ok(("restored", None));
    }
    let perms = std::fs::metadata(path)
        .map_err(|x| Error::io(path, x))?
        .permissions();
    fsops::write_atomic_with(path, true, |out| {
        use std::io::Write;
        out.write_all(&restored)?;
        out.set_permissions(perms.clone())
    })?;
    // The library follows the file: its tags as read now.
    if let Some(track) = e
        .track_id
        .and_then(|id| lib.track(id).transpose())
        .transpose()?
    {
        let read = media::read_media(path, &ReadOptions::fingerprinting(false))?;
        let row = retagged_row(lib, &track, read)?;
        let tx = lib.conn().unchecked_transaction().map_err(|x| lib.err(x))?;
        writer::update_track(&tx, track.id, &row, now()).map_err(|x| lib.err(x))?;
        set_state(lib, op_id, e.seq, "undone")?;
        tx.commit().map_err(|x| lib.err(x))?;
    } else {
        set_state(lib, op_id, e.seq, "undone")?;
    }
    Ok(("restored", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_rebuilds_the_old_bytes_whatever_changed() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"ID3 old tag|AUDIO", b"ID3 a much longer new tag|AUDIO"),
            (b"ID3 long old tag|AUDIO", b"ID3 x|AUDIO"),
            (b"AUDIO|APE old", b"AUDIO|APE new!"),
            (b"same", b"same"),
            (b"", b"new"),
            (b"aaaa", b"aa"),
        ];
        for (old, new) in cases {
            let p = Patch::between(old, new);
            assert_eq!(p.apply(new).as_deref(), Some(old), "{old:?} -> {new:?}");
            assert!(p.old.len() <= old.len());
        }
        // Only the differing stretch is kept.
        let p = Patch::between(b"HEAD-old-AUDIOAUDIO", b"HEAD-newer-AUDIOAUDIO");
        assert_eq!(
            (p.at, p.new_len, p.old.as_slice()),
            (5, 5, b"old".as_slice())
        );
        assert_eq!(p.apply(b"short"), None);
    }
}
