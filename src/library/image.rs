//! The rows of a single-file album image, written by the scan's one writer:
//! the image file keeps its own row (`is_image = 1`, hidden from every
//! track selection), and each TRACK of its CUE sheet is a row of its own
//! (`image_id` = the image's row) with the image's path, its sample range,
//! its own tags, fingerprint and `pcm_hash`.
//!
//! A rescan keeps each image track's id by its TRACK number, so static
//! playlist entries and dupes verdicts survive; a track the sheet no longer
//! has is removed, and a file that is no longer an image loses its tracks.

use rusqlite::{params, Transaction};

use super::path_to_bytes;
use super::writer::{update_track, FileRead};
pub use super::writer::{ImageRead, ImageTrack};
use crate::error::MediaErrorKind;
use crate::media::{MediaInfo, ANALYSIS_VERSION};

/// Write the image side of the file row `id` just written from `file`:
/// with `image`, mark the row as an image and write its tracks; without,
/// make sure the row is a plain track with no image tracks. Returns the
/// number of image tracks written.
pub fn write_image(
    tx: &Transaction<'_>,
    id: i64,
    file: &FileRead,
    image: Option<&ImageRead>,
    now: f64,
) -> rusqlite::Result<usize> {
    let Some(img) = image.filter(|i| !i.tracks.is_empty()) else {
        tx.prepare_cached("DELETE FROM tracks WHERE image_id = ?1")?
            .execute([id])?;
        tx.prepare_cached(
            "UPDATE tracks SET is_image = 0, cue_path = NULL, cue_mtime = NULL
             WHERE id = ?1 AND is_image = 1",
        )?
        .execute([id])?;
        return Ok(0);
    };
    tx.prepare_cached(
        "UPDATE tracks SET is_image = 1, cue_path = ?2, cue_mtime = ?3,
         analysed = CASE WHEN ?4 THEN ?5 ELSE analysed END WHERE id = ?1",
    )?
    .execute(params![
        id,
        img.cue_path.as_deref().map(path_to_bytes),
        img.cue_mtime,
        img.analysed,
        ANALYSIS_VERSION
    ])?;
    let mut existing: Vec<(i64, u32)> = tx
        .prepare_cached("SELECT id, cue_track FROM tracks WHERE image_id = ?1")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let Ok(base) = &file.info else {
        return Ok(0);
    };
    for t in &img.tracks {
        let row = match existing.iter().position(|&(_, n)| n == t.number) {
            Some(i) => existing.swap_remove(i).0,
            None => {
                tx.prepare_cached(
                    "INSERT INTO tracks(path, root_id, size, mtime, added, scanned, image_id, cue_track)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
                )?
                .execute(params![
                    path_to_bytes(&file.path),
                    file.root_id,
                    t.size as i64,
                    file.mtime,
                    now,
                    id,
                    t.number
                ])?;
                tx.last_insert_rowid()
            }
        };
        let child = FileRead {
            path: file.path.clone(),
            root_id: file.root_id,
            size: t.size,
            mtime: file.mtime,
            info: Ok(track_info(base, t, img.analysed)),
            fp_keys: t.fp_keys.clone(),
        };
        update_track(tx, row, &child, now)?;
        tx.prepare_cached(
            "UPDATE tracks SET file_hash = NULL, audio_hash = NULL, is_image = 0, image_id = ?2,
             cue_track = ?3, start_sample = ?4, end_sample = ?5, pregap = ?6 WHERE id = ?1",
        )?
        .execute(params![
            row,
            id,
            t.number,
            t.start as i64,
            t.end as i64,
            t.pregap as i64
        ])?;
    }
    for (gone, _) in existing {
        tx.prepare_cached("DELETE FROM tracks WHERE id = ?1")?
            .execute([gone])?;
    }
    Ok(img.tracks.len())
}

/// The facts of one image track: the image's, with the track's own tags,
/// length, fingerprint and hash, and its own problem (else the image's).
fn track_info(base: &MediaInfo, t: &ImageTrack, analysed: bool) -> MediaInfo {
    let mut m = base.clone();
    m.analysed = analysed;
    if let Some(q) = &t.quality {
        m.quality = q.clone();
    }
    m.tags = t.tags.clone();
    // The image's own track gain is the whole image's; its album gain is
    // the album's, which every track shares.
    m.replaygain.track_gain = None;
    m.replaygain.track_peak = None;
    m.props.length = Some(t.length);
    m.pcm_hash = t.pcm_hash;
    m.audio_hash = None;
    m.fingerprint = t.fingerprint.clone();
    m.fingerprint_error = t.fingerprint_error.clone();
    // A truncated image is damaged only in the tracks it cuts short; its
    // other problems (a tag it could not read) are every track's.
    m.problems.retain(|p| p.kind != MediaErrorKind::Truncated);
    m.problems.extend(t.problem.clone());
    m
}
