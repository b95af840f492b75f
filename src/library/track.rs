//! The track model: one audio file in the library, with its tags (under
//! beets' field names), audio properties, hashes and problems.
//!
//! [`FIELDS`] is the single list of user-visible fields: `ls --format`,
//! `ls --json`, the query language and templates all go through it, so a
//! field added here is available everywhere.

use std::path::PathBuf;

use rusqlite::types::ValueRef;
use rusqlite::Row;
use serde_json::{Map, Value as Json};

use super::bytes_to_path;
use crate::error::{MediaErrorKind, Problem};
use crate::media::{MediaInfo, ANALYSIS_VERSION};

pub use crate::media::props::{AudioProps, Quality, Tags};
pub use crate::media::replaygain::ReplayGain;

/// One track as stored in the library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track {
    /// Identity; survives moves and renames.
    pub id: i64,
    pub path: PathBuf,
    pub size: u64,
    /// Unix seconds.
    pub mtime: f64,
    /// When the track entered the library (unix seconds).
    pub added: f64,
    pub missing: bool,
    pub file_hash: Option<[u8; 32]>,
    pub audio_hash: Option<[u8; 32]>,
    pub pcm_hash: Option<[u8; 32]>,
    pub tags: Tags,
    pub props: AudioProps,
    /// Has embedded art.
    pub art: bool,
    /// BLAKE3 of the front cover.
    pub art_hash: Option<[u8; 32]>,
    /// Why the file could not be read (fully).
    pub error: Option<String>,
    /// The kind of `error`.
    pub error_kind: Option<MediaErrorKind>,
    /// Chromaprint raw fingerprint.
    pub fingerprint: Option<Vec<u32>>,
    pub fingerprint_error: Option<String>,
    /// Damage found by `mixtape check` (or why it could not check).
    pub check_error: Option<String>,
    /// The kind of `check_error` (`unsupported`: not checked, no decoder).
    pub check_kind: Option<MediaErrorKind>,
    /// What the audio really is.
    pub quality: Quality,
    /// Moved away by `dupes --move-to` (out of the active library).
    pub quarantined: bool,
    /// The version of the decode analysis the row holds (None: never
    /// analysed; see `media::ANALYSIS_VERSION`).
    pub analysed: Option<u32>,
    /// EBU R128 integrated loudness (LUFS) and true peak (dBTP), as
    /// measured by `mixtape loudness` or `export --normalize`.
    pub loudness: Option<f64>,
    pub true_peak: Option<f64>,
    /// The album's loudness (LUFS, gated over all its tracks) and true
    /// peak (dBTP), with the key of the tracks they cover.
    pub album_loudness: Option<f64>,
    pub album_peak: Option<f64>,
    pub album_key: Option<String>,
    /// The file's own ReplayGain tags (beets' `rg_*` fields).
    pub replaygain: ReplayGain,
    /// Where the track lies in its image, for a track of a CUE image
    /// (`path` is then the image file's, shared with its other tracks).
    pub cue: Option<CuePlace>,
}

/// A track's place in a single-file album image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CuePlace {
    /// The image file's row (not a track itself).
    pub image_id: i64,
    /// The sheet's TRACK number.
    pub number: u32,
    /// First sample (frame of all channels) in the image.
    pub start: u64,
    /// Exclusive end.
    pub end: u64,
    /// The pregap (INDEX 00 to 01) before it, in CD frames (1/75 s).
    pub pregap: u64,
}

/// The column list of [`SELECT_COLUMNS`] with the fingerprint column given.
macro_rules! track_columns {
    ($fingerprint:literal) => {
        concat!(
            "id, path, size, mtime, added, missing, file_hash, audio_hash, pcm_hash, \
title, artist, album, albumartist, genre, composer, year, track, tracktotal, disc, disctotal, bpm, comp, \
lyrics, comments, label, mb_trackid, mb_albumid, mb_artistid, mb_releasetrackid, isrc, art, art_hash, \
format, lossless, length, samplerate, channels, bitdepth, bitrate, error, ",
            $fingerprint,
            ", fingerprint_error, check_error, loudness, true_peak, \
error_kind, check_kind, bandwidth, lossy_source, upscaled, rms_db, peak_db, spectrum, quarantined, analysed, \
genres, artists, catalog, image_id, cue_track, start_sample, end_sample, pregap, \
album_loudness, album_peak, album_key, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak"
        )
    };
}

/// The columns every track SELECT reads, in [`Track::from_row`] order.
pub const SELECT_COLUMNS: &str = track_columns!("fingerprint");

/// [`SELECT_COLUMNS`] without the fingerprint (read as NULL): what listings
/// read, since a fingerprint is ~4 KB per track that no listing shows.
pub const LIST_COLUMNS: &str = track_columns!("NULL");

/// Which of a track's columns a selection reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// Every column ([`SELECT_COLUMNS`]), the fingerprint included.
    Full,
    /// Every column but the fingerprint ([`LIST_COLUMNS`]): what listings,
    /// `organize` and `check` read.
    List,
}

impl Columns {
    /// The column list, in [`Track::from_row`] order.
    pub fn sql(self) -> &'static str {
        match self {
            Columns::Full => SELECT_COLUMNS,
            Columns::List => LIST_COLUMNS,
        }
    }
}

/// A 32-byte hash column (read in place, without an intermediate Vec).
fn hash32(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<[u8; 32]>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) => <[u8; 32]>::try_from(b).ok(),
        _ => None,
    })
}

/// A stored kind name (an unknown name, from a newer mixtape, reads as none).
fn kind(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<MediaErrorKind>> {
    Ok(r.get::<_, Option<String>>(i)?
        .as_deref()
        .and_then(MediaErrorKind::parse))
}

/// A multi-valued field stored as a JSON array of strings (NULL: none).
fn list(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Text(b) => serde_json::from_slice(b).unwrap_or_default(),
        _ => Vec::new(),
    })
}

/// A multi-valued field as stored: a JSON array of strings, NULL when empty.
pub fn list_to_sql(values: &[String]) -> Option<String> {
    (!values.is_empty()).then(|| Json::from(values.to_vec()).to_string())
}

/// Encode a fingerprint compactly: little-endian u32s.
pub fn fingerprint_to_blob(fp: &[u32]) -> Vec<u8> {
    fp.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Decode a fingerprint stored by [`fingerprint_to_blob`].
pub fn fingerprint_from_blob(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Track {
    /// What reading gave for a track already in the library (for a byte copy
    /// of its file); `None` when the row has no file hash (it was never read).
    pub fn media_info(&self) -> Option<MediaInfo> {
        let t = self;
        Some(MediaInfo {
            tags: t.tags.clone(),
            props: t.props.clone(),
            art: t.art,
            art_hash: t.art_hash,
            replaygain: t.replaygain,
            file_hash: t.file_hash?,
            audio_hash: t.audio_hash,
            pcm_hash: t.pcm_hash,
            fingerprint: t.fingerprint.clone(),
            fingerprint_error: t.fingerprint_error.clone(),
            quality: t.quality.clone(),
            analysed: t.analysed == Some(ANALYSIS_VERSION),
            problems: match (&t.error, t.error_kind) {
                (Some(e), kind) => vec![Problem::new(kind.unwrap_or(MediaErrorKind::Io), e)],
                (None, _) => Vec::new(),
            },
        })
    }

    /// Build a track from a row selected with [`SELECT_COLUMNS`].
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Track> {
        Ok(Track {
            id: r.get(0)?,
            path: bytes_to_path(match r.get_ref(1)? {
                ValueRef::Blob(b) | ValueRef::Text(b) => b,
                _ => b"",
            }),
            size: r.get::<_, i64>(2)? as u64,
            mtime: r.get(3)?,
            added: r.get(4)?,
            missing: r.get::<_, i64>(5)? != 0,
            file_hash: hash32(r, 6)?,
            audio_hash: hash32(r, 7)?,
            pcm_hash: hash32(r, 8)?,
            tags: Tags {
                title: r.get(9)?,
                artist: r.get(10)?,
                album: r.get(11)?,
                albumartist: r.get(12)?,
                genre: r.get(13)?,
                composer: r.get(14)?,
                year: r.get(15)?,
                track: r.get(16)?,
                tracktotal: r.get(17)?,
                disc: r.get(18)?,
                disctotal: r.get(19)?,
                bpm: r.get(20)?,
                comp: r.get::<_, Option<i64>>(21)?.map(|v| v != 0),
                lyrics: r.get(22)?,
                comments: r.get(23)?,
                label: r.get(24)?,
                mb_trackid: r.get(25)?,
                mb_albumid: r.get(26)?,
                mb_artistid: r.get(27)?,
                mb_releasetrackid: r.get(28)?,
                isrc: r.get(29)?,
                genres: list(r, 55)?,
                artists: list(r, 56)?,
                catalog: r.get(57)?,
            },
            replaygain: ReplayGain {
                track_gain: r.get(66)?,
                track_peak: r.get(67)?,
                album_gain: r.get(68)?,
                album_peak: r.get(69)?,
            },
            art: r.get::<_, i64>(30)? != 0,
            art_hash: hash32(r, 31)?,
            props: AudioProps {
                format: r.get(32)?,
                lossless: r.get::<_, Option<i64>>(33)?.map(|v| v != 0),
                length: r.get(34)?,
                samplerate: r.get(35)?,
                channels: r.get(36)?,
                bitdepth: r.get(37)?,
                bitrate: r.get(38)?,
            },
            error: r.get(39)?,
            fingerprint: r
                .get::<_, Option<Vec<u8>>>(40)?
                .map(|b| fingerprint_from_blob(&b)),
            fingerprint_error: r.get(41)?,
            check_error: r.get(42)?,
            loudness: r.get(43)?,
            true_peak: r.get(44)?,
            album_loudness: r.get(63)?,
            album_peak: r.get(64)?,
            album_key: r.get(65)?,
            error_kind: kind(r, 45)?,
            check_kind: kind(r, 46)?,
            quality: Quality {
                bandwidth: r.get(47)?,
                lossy_source: r.get::<_, Option<i64>>(48)?.map(|v| v != 0),
                upscaled: r.get::<_, Option<i64>>(49)?.map(|v| v != 0),
                rms_db: r.get(50)?,
                peak_db: r.get(51)?,
                spectrum: r.get(52)?,
            },
            quarantined: r.get::<_, i64>(53)? != 0,
            analysed: r.get(54)?,
            cue: match r.get::<_, Option<i64>>(58)? {
                Some(image_id) => Some(CuePlace {
                    image_id,
                    number: r.get::<_, Option<u32>>(59)?.unwrap_or(0),
                    start: r.get::<_, Option<i64>>(60)?.unwrap_or(0) as u64,
                    end: r.get::<_, Option<i64>>(61)?.unwrap_or(0) as u64,
                    pregap: r.get::<_, Option<i64>>(62)?.unwrap_or(0) as u64,
                }),
                None => None,
            },
        })
    }

    /// The value of a user-visible field, for templates and JSON.
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        use FieldValue::*;
        let t = &self.tags;
        let p = &self.props;
        let s = |v: &Option<String>| v.clone().map(Text);
        let i = |v: Option<i64>| v.map(Int);
        let u = |v: Option<u32>| v.map(|x| Int(x as i64));
        let h = |v: &Option<[u8; 32]>| v.map(|x| Text(hex(&x)));
        let l = |v: &Vec<String>| (!v.is_empty()).then(|| List(v.clone()));
        Some(match name {
            "id" => Int(self.id),
            "path" => Text(self.path.to_string_lossy().into_owned()),
            "size" => Int(self.size as i64),
            "mtime" => Float(self.mtime),
            "added" => Float(self.added),
            "missing" => Bool(self.missing),
            "file_hash" => return h(&self.file_hash),
            "audio_hash" => return h(&self.audio_hash),
            "pcm_hash" => return h(&self.pcm_hash),
            "title" => return s(&t.title),
            "artist" => return s(&t.artist),
            "album" => return s(&t.album),
            "albumartist" => return s(&t.albumartist),
            "genre" => return s(&t.genre),
            "genres" => return l(&t.genres),
            "artists" => return l(&t.artists),
            "composer" => return s(&t.composer),
            "year" => return i(t.year),
            "track" => return i(t.track),
            "tracktotal" => return i(t.tracktotal),
            "disc" => return i(t.disc),
            "disctotal" => return i(t.disctotal),
            "bpm" => return i(t.bpm),
            "comp" => return t.comp.map(Bool),
            "lyrics" => return s(&t.lyrics),
            "comments" => return s(&t.comments),
            "label" => return s(&t.label),
            "mb_trackid" => return s(&t.mb_trackid),
            "mb_albumid" => return s(&t.mb_albumid),
            "mb_artistid" => return s(&t.mb_artistid),
            "mb_releasetrackid" => return s(&t.mb_releasetrackid),
            "isrc" => return s(&t.isrc),
            "catalog" => return s(&t.catalog),
            "art" => Bool(self.art),
            "art_hash" => return h(&self.art_hash),
            "format" => return s(&p.format),
            "lossless" => return p.lossless.map(Bool),
            "length" => return p.length.map(Float),
            "samplerate" => return u(p.samplerate),
            "channels" => return u(p.channels),
            "bitdepth" => return u(p.bitdepth),
            "bitrate" => return u(p.bitrate),
            "error" => return s(&self.error),
            "error_kind" => return self.error_kind.map(|k| Text(k.as_str().into())),
            "check_kind" => return self.check_kind.map(|k| Text(k.as_str().into())),
            "bandwidth" => return u(self.quality.bandwidth),
            "lossy_source" => return self.quality.lossy_source.map(Bool),
            "upscaled" => return self.quality.upscaled.map(Bool),
            "rms_db" => return self.quality.rms_db.map(Float),
            "peak_db" => return self.quality.peak_db.map(Float),
            "quarantined" => Bool(self.quarantined),
            "fingerprint_error" => return s(&self.fingerprint_error),
            "check_error" => return s(&self.check_error),
            "loudness" => return self.loudness.map(Float),
            "true_peak" => return self.true_peak.map(Float),
            "album_loudness" => return self.album_loudness.map(Float),
            "album_peak" => return self.album_peak.map(Float),
            "rg_track_gain" => return self.replaygain.track_gain.map(Float),
            "rg_track_peak" => return self.replaygain.track_peak.map(Float),
            "rg_album_gain" => return self.replaygain.album_gain.map(Float),
            "rg_album_peak" => return self.replaygain.album_peak.map(Float),
            "cue_track" => return self.cue.map(|c| Int(i64::from(c.number))),
            "start_sample" => return self.cue.map(|c| Int(c.start as i64)),
            "end_sample" => return self.cue.map(|c| Int(c.end as i64)),
            "pregap" => return self.cue.map(|c| Int(c.pregap as i64)),
            _ => return None,
        })
    }

    /// The track as one JSON object: every field in [`FIELDS`] (null when unset).
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        for f in FIELDS {
            let v = FieldValue::json(self.field(f.name));
            m.insert(f.name.to_string(), v);
        }
        Json::Object(m)
    }

    /// A display name for messages: "Artist - Title", or the file name.
    pub fn display_name(&self) -> String {
        match (&self.tags.artist, &self.tags.title) {
            (Some(a), Some(t)) => format!("{a} - {t}"),
            (None, Some(t)) => t.clone(),
            _ => self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// A field's value, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// The values of a multi-valued field (shown joined by "; ").
    List(Vec<String>),
}

impl FieldValue {
    /// A field's value as JSON (null when unset).
    pub fn json(v: Option<FieldValue>) -> Json {
        match v {
            None => Json::Null,
            Some(FieldValue::Text(s)) => Json::String(s),
            Some(FieldValue::Int(i)) => Json::from(i),
            Some(FieldValue::Float(x)) => serde_json::Number::from_f64(x)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Some(FieldValue::Bool(b)) => Json::Bool(b),
            Some(FieldValue::List(v)) => Json::from(v),
        }
    }
}

impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Text(s) => f.write_str(s),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Float(x) => write!(f, "{x}"),
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::List(v) => f.write_str(&v.join("; ")),
        }
    }
}

/// How a field is stored and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (substring / regex / exact matches).
    Text,
    /// Several text values, stored as a JSON array; a text match matches
    /// when any value does.
    List,
    /// Integer (ranges).
    Int,
    /// Real number (ranges; `length` also accepts m:ss).
    Float,
    /// Boolean stored as 0/1.
    Bool,
    /// Unix time (date ranges).
    Time,
    /// Hex of a BLOB hash.
    Hash,
    /// A path stored as raw bytes.
    Path,
}

/// A user-visible field: its name (also the column name) and kind.
#[derive(Debug, Clone, Copy)]
pub struct TrackField {
    pub name: &'static str,
    pub kind: FieldKind,
}

const fn f(name: &'static str, kind: FieldKind) -> TrackField {
    TrackField { name, kind }
}

/// The fields of an album (`crate::album`), in `--json` order. A query on
/// albums takes these and every track field: an album matches when one of
/// its tracks does, with these fields holding the album's values.
pub const ALBUM_FIELDS: &[TrackField] = &[
    f("id", FieldKind::Int),
    f("albumartist", FieldKind::Text),
    f("album", FieldKind::Text),
    f("year", FieldKind::Int),
    f("genre", FieldKind::Text),
    f("comp", FieldKind::Bool),
    f("tracks", FieldKind::Int),
    f("albumtotal", FieldKind::Int),
    f("discs", FieldKind::Int),
    f("disctotal", FieldKind::Int),
    f("length", FieldKind::Float),
    f("format", FieldKind::Text),
    f("path", FieldKind::Path),
    f("added", FieldKind::Time),
    f("mb_albumid", FieldKind::Text),
];

/// Every user-visible field, in `ls --json` order.
pub const FIELDS: &[TrackField] = &[
    f("id", FieldKind::Int),
    f("path", FieldKind::Path),
    f("size", FieldKind::Int),
    f("mtime", FieldKind::Time),
    f("added", FieldKind::Time),
    f("missing", FieldKind::Bool),
    f("title", FieldKind::Text),
    f("artist", FieldKind::Text),
    f("artists", FieldKind::List),
    f("album", FieldKind::Text),
    f("albumartist", FieldKind::Text),
    f("genre", FieldKind::Text),
    f("genres", FieldKind::List),
    f("composer", FieldKind::Text),
    f("year", FieldKind::Int),
    f("track", FieldKind::Int),
    f("tracktotal", FieldKind::Int),
    f("disc", FieldKind::Int),
    f("disctotal", FieldKind::Int),
    f("bpm", FieldKind::Int),
    f("comp", FieldKind::Bool),
    f("lyrics", FieldKind::Text),
    f("comments", FieldKind::Text),
    f("label", FieldKind::Text),
    f("mb_trackid", FieldKind::Text),
    f("mb_albumid", FieldKind::Text),
    f("mb_artistid", FieldKind::Text),
    f("mb_releasetrackid", FieldKind::Text),
    f("isrc", FieldKind::Text),
    f("catalog", FieldKind::Text),
    f("art", FieldKind::Bool),
    f("art_hash", FieldKind::Hash),
    f("format", FieldKind::Text),
    f("lossless", FieldKind::Bool),
    f("length", FieldKind::Float),
    f("samplerate", FieldKind::Int),
    f("channels", FieldKind::Int),
    f("bitdepth", FieldKind::Int),
    f("bitrate", FieldKind::Int),
    f("file_hash", FieldKind::Hash),
    f("audio_hash", FieldKind::Hash),
    f("pcm_hash", FieldKind::Hash),
    f("error", FieldKind::Text),
    f("error_kind", FieldKind::Text),
    f("fingerprint_error", FieldKind::Text),
    f("check_error", FieldKind::Text),
    f("check_kind", FieldKind::Text),
    f("bandwidth", FieldKind::Int),
    f("lossy_source", FieldKind::Bool),
    f("upscaled", FieldKind::Bool),
    f("rms_db", FieldKind::Float),
    f("peak_db", FieldKind::Float),
    f("quarantined", FieldKind::Bool),
    f("loudness", FieldKind::Float),
    f("true_peak", FieldKind::Float),
    f("album_loudness", FieldKind::Float),
    f("album_peak", FieldKind::Float),
    f("rg_track_gain", FieldKind::Float),
    f("rg_track_peak", FieldKind::Float),
    f("rg_album_gain", FieldKind::Float),
    f("rg_album_peak", FieldKind::Float),
    f("cue_track", FieldKind::Int),
    f("start_sample", FieldKind::Int),
    f("end_sample", FieldKind::Int),
    f("pregap", FieldKind::Int),
];

/// Look a field up by name.
pub fn field_by_name(name: &str) -> Option<&'static TrackField> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
