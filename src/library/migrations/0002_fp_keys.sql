-- The fingerprint's index keys (little-endian u32s, see
-- dupes::fingerprint::stored_keys), written with the fingerprint at scan
-- time: `dupes` reads these ~0.4 KB per track instead of ~4 KB fingerprints.
-- Empty: the fingerprint is unusable for matching (silent, too short).
-- NULL with a fingerprint: not computed yet (`dupes` fills it in).
ALTER TABLE tracks ADD COLUMN fp_keys BLOB;
