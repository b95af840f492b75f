-- CUE images: one image file, many tracks. `path` is no longer unique on its
-- own (an image's tracks share its path), so the table is rebuilt as
-- SQLite's ALTER TABLE procedure says (foreign keys are off during
-- migrations; `migrate` checks them before each commit). Ids, and the
-- AUTOINCREMENT high-water mark, are kept.

CREATE TEMP TABLE migrate_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'tracks';

CREATE TABLE tracks_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    path              BLOB NOT NULL,          -- raw OS bytes, lossless (an image's tracks share it)
    root_id           INTEGER REFERENCES roots(id) ON DELETE SET NULL,
    size              INTEGER NOT NULL,
    mtime             REAL NOT NULL,          -- unix seconds, sub-second precision
    added             REAL NOT NULL,
    scanned           REAL NOT NULL,
    missing           INTEGER NOT NULL DEFAULT 0,
    file_hash         BLOB,                   -- BLAKE3 of every byte
    audio_hash        BLOB,                   -- BLAKE3 of the demuxed packets
    pcm_hash          BLOB,                   -- BLAKE3 of decoded samples (lossless only)
    -- tags, under beets' field names
    title             TEXT,
    artist            TEXT,
    album             TEXT,
    albumartist       TEXT,
    genre             TEXT,
    composer          TEXT,
    year              INTEGER,
    track             INTEGER,
    tracktotal        INTEGER,
    disc              INTEGER,
    disctotal         INTEGER,
    bpm               INTEGER,
    comp              INTEGER,
    lyrics            TEXT,
    comments          TEXT,
    label             TEXT,
    mb_trackid        TEXT,
    mb_albumid        TEXT,
    mb_artistid       TEXT,
    mb_releasetrackid TEXT,
    isrc              TEXT,
    art               INTEGER NOT NULL DEFAULT 0,  -- has embedded art
    art_hash          BLOB,                        -- BLAKE3 of the front cover bytes
    -- audio properties
    format            TEXT,                   -- codec: mp3, flac, aac, alac, vorbis, opus, wav, aiff, ...
    lossless          INTEGER,
    length            REAL,                   -- seconds
    samplerate        INTEGER,
    channels          INTEGER,
    bitdepth          INTEGER,                -- lossless only
    bitrate           INTEGER,                -- bits per second
    -- problems
    error             TEXT,                   -- could not be read, or only in part
    fingerprint       BLOB,                   -- chromaprint raw, little-endian u32s
    fingerprint_error TEXT,                   -- e.g. "unavailable (no decoder for APE)"
    check_error       TEXT,                   -- result of `mixtape check` (NULL = clean or never checked)
    checked           REAL,                   -- when `check` last decoded it in full
    -- loudness (EBU R128), filled by export --normalize or check
    loudness          REAL,                   -- integrated LUFS
    true_peak         REAL                    -- dBTP
, fp_keys BLOB, error_kind TEXT, check_kind TEXT, bandwidth INTEGER, lossy_source INTEGER, upscaled INTEGER, rms_db REAL, peak_db REAL, spectrum BLOB, analysed INTEGER, quarantined INTEGER NOT NULL DEFAULT 0, genres TEXT, artists TEXT,
    -- CUE images (0008): the image file's row has is_image = 1 and is not a
    -- track; each TRACK of its sheet is a row with image_id = that row.
    is_image          INTEGER NOT NULL DEFAULT 0,
    cue_path          BLOB,                   -- image row: the sheet (NULL: a CUESHEET tag)
    cue_mtime         REAL,                   -- image row: the sheet's mtime when read
    image_id          INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
    cue_track         INTEGER,                -- the TRACK number
    start_sample      INTEGER,                -- first sample (frame) in the image
    end_sample        INTEGER,                -- exclusive end
    pregap            INTEGER                 -- INDEX 00 to 01, in CD frames (1/75 s)
);

INSERT INTO tracks_new (id, path, root_id, size, mtime, added, scanned, missing, file_hash, audio_hash, pcm_hash, title, artist, album, albumartist, genre, composer, year, track, tracktotal, disc, disctotal, bpm, comp, lyrics, comments, label, mb_trackid, mb_albumid, mb_artistid, mb_releasetrackid, isrc, art, art_hash, format, lossless, length, samplerate, channels, bitdepth, bitrate, error, fingerprint, fingerprint_error, check_error, checked, loudness, true_peak, fp_keys, error_kind, check_kind, bandwidth, lossy_source, upscaled, rms_db, peak_db, spectrum, analysed, quarantined, genres, artists)
    SELECT id, path, root_id, size, mtime, added, scanned, missing, file_hash, audio_hash, pcm_hash, title, artist, album, albumartist, genre, composer, year, track, tracktotal, disc, disctotal, bpm, comp, lyrics, comments, label, mb_trackid, mb_albumid, mb_artistid, mb_releasetrackid, isrc, art, art_hash, format, lossless, length, samplerate, channels, bitdepth, bitrate, error, fingerprint, fingerprint_error, check_error, checked, loudness, true_peak, fp_keys, error_kind, check_kind, bandwidth, lossy_source, upscaled, rms_db, peak_db, spectrum, analysed, quarantined, genres, artists FROM tracks;
DROP TABLE tracks;
ALTER TABLE tracks_new RENAME TO tracks;

DELETE FROM sqlite_sequence WHERE name = 'tracks';
INSERT INTO sqlite_sequence(name, seq) SELECT 'tracks',
    max(coalesce((SELECT seq FROM migrate_seq), 0), coalesce((SELECT max(id) FROM tracks), 0));
DROP TABLE migrate_seq;

-- A file has one row; an image's tracks one row each.
CREATE UNIQUE INDEX tracks_path ON tracks(path, coalesce(cue_track, 0));
CREATE INDEX tracks_image ON tracks(image_id) WHERE image_id IS NOT NULL;
CREATE INDEX tracks_file_hash  ON tracks(file_hash);
CREATE INDEX tracks_audio_hash ON tracks(audio_hash);
CREATE INDEX tracks_pcm_hash   ON tracks(pcm_hash);
CREATE INDEX tracks_root       ON tracks(root_id);
CREATE INDEX tracks_artist     ON tracks(artist COLLATE NOCASE);
CREATE INDEX tracks_album      ON tracks(album COLLATE NOCASE);
CREATE INDEX tracks_albumartist ON tracks(albumartist COLLATE NOCASE);
CREATE INDEX tracks_title      ON tracks(title COLLATE NOCASE);
CREATE INDEX tracks_year       ON tracks(year);
CREATE INDEX tracks_format     ON tracks(format);
CREATE INDEX tracks_added      ON tracks(added);
CREATE INDEX tracks_mtime      ON tracks(mtime);
CREATE INDEX tracks_bitrate    ON tracks(bitrate);
CREATE INDEX tracks_length     ON tracks(length);
CREATE INDEX tracks_genre      ON tracks(genre COLLATE NOCASE);
CREATE INDEX tracks_quarantined ON tracks(quarantined) WHERE quarantined = 1;
