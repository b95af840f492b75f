-- mixtape library schema, version 1.
-- Append-only: never edit a released migration; add 0002_*.sql instead.

-- Folders the user scanned. Import and organise never touch files outside them.
CREATE TABLE roots (
    id        INTEGER PRIMARY KEY,
    path      BLOB NOT NULL UNIQUE,      -- raw OS bytes of the canonical path
    added     REAL NOT NULL,             -- unix seconds
    last_scan REAL
);

-- One row per audio file. `id` is the track's identity: it survives moves,
-- renames and rescans (a moved file keeps its row), and AUTOINCREMENT makes
-- sure a pruned id is never handed out again, so playlists never point at a
-- stranger.
CREATE TABLE tracks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    path              BLOB NOT NULL UNIQUE,   -- raw OS bytes, lossless
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
);
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

-- The latest duplicate analysis (`mixtape dupes` rewrites it); feeds `dupe:true`.
CREATE TABLE dupe_members (
    track_id   INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL,     -- keeper, exact, same-audio, same-recording, same-tags
    similarity REAL
);
CREATE INDEX dupe_members_group ON dupe_members(group_id);

-- Playlists: smart ones have a query, static ones have entries.
CREATE TABLE playlists (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    query    TEXT,                 -- NULL for a static playlist
    sort     TEXT,
    created  REAL NOT NULL,
    modified REAL NOT NULL
);

-- Static entries point at track identity. `source` keeps the original text
-- (a path from an imported file, or the track's last known path), so an
-- unresolved or vanished entry is still shown, never silently dropped.
CREATE TABLE playlist_entries (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    track_id    INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
    source      TEXT,
    source_line INTEGER,
    PRIMARY KEY (playlist_id, position)
);
CREATE INDEX playlist_entries_track ON playlist_entries(track_id);

-- File-changing operations (dupes --move-to, organize, ...), for undo.
CREATE TABLE operations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,     -- quarantine, organize-move, organize-copy, ...
    description TEXT,
    started     REAL NOT NULL,
    finished    REAL,              -- NULL: interrupted
    undone      REAL
);

-- One row per file action, written *before* the action is made.
CREATE TABLE journal (
    op_id     INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    action    TEXT NOT NULL,       -- move, copy, mkdir
    src       BLOB NOT NULL,
    dst       BLOB NOT NULL,
    track_id  INTEGER,
    file_hash BLOB,
    size      INTEGER,
    state     TEXT NOT NULL,       -- planned, done, undone, failed
    note      TEXT,
    PRIMARY KEY (op_id, seq)
);
