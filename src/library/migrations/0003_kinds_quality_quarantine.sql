-- Typed problem kinds, what each file really is, and quarantine.

-- The kind of `error` (MediaErrorKind::as_str: truncated, corrupt-header,
-- checksum, bad-frames, stream, panicked, no-audio, unsupported, tags, io),
-- so code and queries match on a kind, never on message text.
ALTER TABLE tracks ADD COLUMN error_kind TEXT;
-- The kind of `check_error`; `unsupported` with check_error set means
-- "not checked (no decoder)", which is not damage.
ALTER TABLE tracks ADD COLUMN check_kind TEXT;
-- The effective audio bandwidth in Hz (where the spectrum falls off the
-- encoder's cliff to the noise floor), measured from the fingerprint's
-- decode at the native rate. NULL: not measured (short, silent, undecodable).
ALTER TABLE tracks ADD COLUMN bandwidth INTEGER;
-- A lossless file whose spectrum stops the way a lossy encode does (1), or
-- does not (0); NULL: no verdict (lossy, unsure, short or silent).
ALTER TABLE tracks ADD COLUMN lossy_source INTEGER;
-- A lossy file whose bandwidth is well below what its codec and bitrate
-- give (1), or is not (0); NULL: no verdict.
ALTER TABLE tracks ADD COLUMN upscaled INTEGER;
-- The analysed window's level: RMS and peak in dBFS (gain changes).
ALTER TABLE tracks ADD COLUMN rms_db REAL;
ALTER TABLE tracks ADD COLUMN peak_db REAL;
-- The averaged spectrum as 1 byte a band (see media::spectrum), for the report.
ALTER TABLE tracks ADD COLUMN spectrum BLOB;
-- Which version of the decode analysis (fingerprint, bandwidth, level) the
-- row holds; NULL: never analysed. A fingerprinting scan re-reads a row
-- whose version is older than the build's, so no verdict is stale.
ALTER TABLE tracks ADD COLUMN analysed INTEGER;
-- Moved away by `dupes --move-to`: out of the active library (ls, dupes,
-- exports) until undone; `ls quarantined:true` lists them.
ALTER TABLE tracks ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tracks_quarantined ON tracks(quarantined) WHERE quarantined = 1;

-- Kinds for the errors recorded before kinds existed.
UPDATE tracks SET error_kind = CASE
    WHEN error IS NULL THEN NULL
    WHEN error LIKE '%truncated%' THEN 'truncated'
    WHEN error LIKE '%panicked%' THEN 'panicked'
    WHEN error LIKE '%unsupported format%' OR error LIKE '%no decoder%' THEN 'unsupported'
    WHEN error LIKE 'not an audio file%' THEN 'not-audio'
    WHEN error = 'empty file' THEN 'empty'
    WHEN error LIKE '%bad frame%' OR error LIKE '%corrupt frame%' THEN 'bad-frames'
    WHEN error LIKE 'tags unreadable%' THEN 'tags'
    WHEN error LIKE '%no audio%' THEN 'no-audio'
    WHEN error LIKE '%stream%' THEN 'stream'
    ELSE 'io' END;
UPDATE tracks SET check_kind = CASE
    WHEN check_error IS NULL THEN NULL
    WHEN check_error LIKE '%truncated%' THEN 'truncated'
    WHEN check_error LIKE '%no decoder%' OR check_error LIKE '%unsupported%' THEN 'unsupported'
    WHEN check_error LIKE '%MD5%' OR check_error LIKE '%CRC%' THEN 'checksum'
    ELSE 'bad-frames' END;
