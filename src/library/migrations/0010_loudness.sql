-- Issue 16 (loudness tags): what `mixtape loudness` measures beside each
-- track's own `loudness` and `true_peak` (both since 0001), and the
-- ReplayGain tags the file itself carries.
--
-- The album's EBU R128 integrated loudness (LUFS, gated over all of the
-- album's audio at once) and true peak (dBTP), on every track of the album;
-- `album_key` names the tracks they were measured over (a hash of their
-- ids), so an album that gained or lost a track is measured again.
ALTER TABLE tracks ADD COLUMN album_loudness REAL;
ALTER TABLE tracks ADD COLUMN album_peak REAL;
ALTER TABLE tracks ADD COLUMN album_key TEXT;
-- The file's REPLAYGAIN_* tags (an Opus file's R128_*_GAIN, converted):
-- gains in dB at the -18 LUFS reference, peaks linear. Rows read before
-- this step have none until the file is read again.
ALTER TABLE tracks ADD COLUMN rg_track_gain REAL;
ALTER TABLE tracks ADD COLUMN rg_track_peak REAL;
ALTER TABLE tracks ADD COLUMN rg_album_gain REAL;
ALTER TABLE tracks ADD COLUMN rg_album_peak REAL;
