//! The single database writer: scan workers send [`WriteOp`]s over a bounded
//! channel; one thread applies them in batched transactions (fd's
//! `BatchSender` shape). Nothing else writes to `tracks` during a scan, so
//! there is no lock contention and an interrupted scan keeps every batch that
//! was committed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use rusqlite::{params, Transaction};

use super::{path_to_bytes, Library};
use crate::error::Problem;
use crate::error::Result;
use crate::library::track::{fingerprint_to_blob, list_to_sql};
use crate::media::{MediaInfo, Tags, ANALYSIS_VERSION};

/// What the writer is asked to do with one file.
// Nearly every op is a `Read`: boxing its result would cost an allocation
// per file and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum WriteOp {
    /// A file read (fully, partly, or not at all: then `info` is an error).
    Read {
        /// Existing track id when the path was already in the library.
        id: Option<i64>,
        file: FileRead,
        /// True when only the fingerprint was missing (a refill, not a change).
        refill: bool,
        /// The tracks of a CUE image, when the file is one.
        image: Option<Box<ImageRead>>,
    },
    /// A file that is not audio (by its content and its name): not a
    /// track, only counted and listed.
    Skipped { path: PathBuf, problem: Problem },
}

/// One file as read by a scan worker: where it is, what it is, and the
/// fingerprint's index keys (worked out by the worker, so the writer
/// thread only writes).
#[derive(Debug)]
pub struct FileRead {
    pub path: PathBuf,
    pub root_id: i64,
    pub size: u64,
    pub mtime: f64,
    pub info: std::result::Result<MediaInfo, Problem>,
    /// The `fp_keys` column: the index keys `dupes` looks fingerprints up
    /// by (empty when the fingerprint is unusable for matching).
    pub fp_keys: Option<Vec<u32>>,
}

/// What a scan worker found in one image, beside the file's own read.
#[derive(Debug, Clone, Default)]
pub struct ImageRead {
    /// The sheet (None: a `CUESHEET` tag in the file).
    pub cue_path: Option<PathBuf>,
    /// The sheet's mtime when read (None: embedded).
    pub cue_mtime: Option<f64>,
    /// The tracks, in the sheet's order (none: the file could not be cut,
    /// and stays a plain track).
    pub tracks: Vec<ImageTrack>,
    /// What was read past or went wrong, as `(path, reason)` for the
    /// scan's errors.
    pub warnings: Vec<(PathBuf, String)>,
    /// The tracks were fingerprinted and analysed (the image's own row
    /// then counts as analysed: it is not decoded on its own).
    pub analysed: bool,
}

/// One track of an image, as its row will hold it.
#[derive(Debug, Clone, Default)]
pub struct ImageTrack {
    pub number: u32,
    pub tags: Tags,
    /// First sample and exclusive end, in frames.
    pub start: u64,
    pub end: u64,
    /// INDEX 00 to INDEX 01 before it, in CD frames.
    pub pregap: u64,
    pub length: f64,
    /// The image's size shared out by length (for capacity sums).
    pub size: u64,
    pub fingerprint: Option<Vec<u32>>,
    pub fingerprint_error: Option<String>,
    pub fp_keys: Option<Vec<u32>>,
    pub pcm_hash: Option<[u8; 32]>,
    /// The track's own quality analysis (None: not analysed).
    pub quality: Option<crate::media::Quality>,
    /// A problem of this track alone (truncated before its end).
    pub problem: Option<Problem>,
}

/// Commit after this many operations or this much time, whichever is first.
pub const BATCH_OPS: usize = 256;
/// See [`BATCH_OPS`].
pub const BATCH_TIME: Duration = Duration::from_millis(500);

/// Run the writer loop until the channel closes: `apply` handles each op
/// inside the current transaction. Returns the library error that stopped
/// it, if any (the senders then see a closed channel).
pub fn run_writer<S>(
    lib: &mut Library,
    rx: Receiver<WriteOp>,
    state: &mut S,
    mut apply: impl FnMut(&Transaction<'_>, &mut S, WriteOp) -> Result<()>,
) -> Result<()> {
    let path = lib.path().to_path_buf();
    let map = |e| crate::error::Error::db(&path, e);
    loop {
        // Block for the first op of a batch.
        let first = match rx.recv() {
            Ok(op) => op,
            Err(_) => return Ok(()),
        };
        let tx = lib.conn_mut().transaction().map_err(map)?;
        apply(&tx, state, first)?;
        let started = Instant::now();
        let mut n = 1;
        let mut closed = false;
        while n < BATCH_OPS {
            let left = BATCH_TIME.saturating_sub(started.elapsed());
            match rx.recv_timeout(left) {
                Ok(op) => {
                    apply(&tx, state, op)?;
                    n += 1;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        tx.commit().map_err(map)?;
        if closed {
            return Ok(());
        }
    }
}

/// Insert a new track row; returns its id.
pub fn insert_track(tx: &Transaction<'_>, f: &FileRead, now: f64) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO tracks(path, root_id, size, mtime, added, scanned) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![path_to_bytes(&f.path), f.root_id, f.size as i64, f.mtime, now])?;
    let id = tx.last_insert_rowid();
    update_track(tx, id, f, now)?;
    Ok(id)
}

/// Whether the row's audio is the one read (`?7` file hash, `?8` audio
/// hash, `?9` pcm hash of the read): a retag keeps the audio hash, and an
/// image's track, which has neither hash of its own, keeps its `pcm_hash`.
const SAME_AUDIO: &str = "((?8 IS NOT NULL AND audio_hash IS ?8) OR file_hash IS ?7 \
     OR (?9 IS NOT NULL AND pcm_hash IS ?9))";

/// Overwrite a track's file facts, tags and properties (identity, `added`,
/// check results and playlists are kept). Loudness measured on the file is
/// kept only while its audio is the same (a retag keeps it; a new
/// encoding, an edit or a cut makes it stale, so it is forgotten).
pub fn update_track(tx: &Transaction<'_>, id: i64, f: &FileRead, now: f64) -> rusqlite::Result<()> {
    let FileRead {
        path,
        root_id,
        size,
        mtime,
        info,
        fp_keys,
    } = f;
    let mut stmt = tx.prepare_cached(
        &"UPDATE tracks SET path=?2, root_id=?3, size=?4, mtime=?5, scanned=?6, missing=0,
         file_hash=?7, audio_hash=?8, pcm_hash=?9,
         title=?10, artist=?11, album=?12, albumartist=?13, genre=?14, composer=?15, year=?16,
         track=?17, tracktotal=?18, disc=?19, disctotal=?20, bpm=?21, comp=?22, lyrics=?23,
         comments=?24, label=?25, mb_trackid=?26, mb_albumid=?27, mb_artistid=?28,
         mb_releasetrackid=?29, isrc=?30, art=?31, art_hash=?32, format=?33, lossless=?34,
         length=?35, samplerate=?36, channels=?37, bitdepth=?38, bitrate=?39, error=?40,
         fingerprint=?41, fingerprint_error=?42, fp_keys=?43, check_error=NULL, checked=NULL,
         check_kind=NULL, error_kind=?44, bandwidth=?45, lossy_source=?46, upscaled=?47,
         rms_db=?48, peak_db=?49, spectrum=?50, analysed=?51, genres=?52, artists=?53,
         catalog=?54, rg_track_gain=?55, rg_track_peak=?56, rg_album_gain=?57,
         rg_album_peak=?58, loudness=CASE WHEN {SAME} THEN loudness END,
         true_peak=CASE WHEN {SAME} THEN true_peak END,
         album_loudness=CASE WHEN {SAME} THEN album_loudness END,
         album_peak=CASE WHEN {SAME} THEN album_peak END,
         album_key=CASE WHEN {SAME} THEN album_key END
         WHERE id=?1"
            .replace("{SAME}", SAME_AUDIO),
    )?;
    let p = path_to_bytes(path);
    match info {
        Ok(m) => {
            let t = &m.tags;
            let a = &m.props;
            let q = &m.quality;
            let error = m.error();
            // A row read with the decode analysis holds its version; one
            // read without (`scan --no-fingerprint`) is filled in later.
            let analysed = m.analysed.then_some(ANALYSIS_VERSION);
            stmt.execute(params![
                id,
                p,
                root_id,
                *size as i64,
                mtime,
                now,
                m.file_hash.to_vec(),
                m.audio_hash.map(|h| h.to_vec()),
                m.pcm_hash.map(|h| h.to_vec()),
                t.title,
                t.artist,
                t.album,
                t.albumartist,
                t.genre,
                t.composer,
                t.year,
                t.track,
                t.tracktotal,
                t.disc,
                t.disctotal,
                t.bpm,
                t.comp,
                t.lyrics,
                t.comments,
                t.label,
                t.mb_trackid,
                t.mb_albumid,
                t.mb_artistid,
                t.mb_releasetrackid,
                t.isrc,
                m.art,
                m.art_hash.map(|h| h.to_vec()),
                a.format,
                a.lossless,
                a.length,
                a.samplerate,
                a.channels,
                a.bitdepth,
                a.bitrate,
                error.as_ref().map(|e| &e.1),
                m.fingerprint.as_deref().map(fingerprint_to_blob),
                m.fingerprint_error,
                fp_keys.as_deref().map(fingerprint_to_blob),
                error.as_ref().map(|e| e.0.as_str()),
                q.bandwidth,
                q.lossy_source,
                q.upscaled,
                q.rms_db,
                q.peak_db,
                q.spectrum,
                analysed,
                list_to_sql(&t.genres),
                list_to_sql(&t.artists),
                t.catalog,
                m.replaygain.track_gain,
                m.replaygain.track_peak,
                m.replaygain.album_gain,
                m.replaygain.album_peak,
            ])?;
        }
        Err(problem) => {
            // Unreadable: keep the row (with its identity), record why, and
            // forget facts that no longer describe the file. Reading it
            // again would give the same answer, so it counts as analysed.
            tx.prepare_cached(
                "UPDATE tracks SET path=?2, root_id=?3, size=?4, mtime=?5, scanned=?6, missing=0,
                 error=?7, error_kind=?8, file_hash=NULL, audio_hash=NULL, pcm_hash=NULL,
                 fingerprint=NULL, fingerprint_error=NULL, fp_keys=NULL, bandwidth=NULL,
                 lossy_source=NULL, upscaled=NULL, rms_db=NULL, peak_db=NULL, spectrum=NULL,
                 loudness=NULL, true_peak=NULL, album_loudness=NULL, album_peak=NULL,
                 album_key=NULL, analysed=?9 WHERE id=?1",
            )?
            .execute(params![
                id,
                p,
                root_id,
                *size as i64,
                mtime,
                now,
                problem.message,
                problem.kind.as_str(),
                ANALYSIS_VERSION
            ])?;
        }
    }
    Ok(())
}
