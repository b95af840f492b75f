-- Issue 14 ("Multi-valued tags, read consistently"): every genre and
-- every track artist a file holds, each a JSON array of strings in the
-- file's order (NULL: none). Rows read before this step get their single
-- value, until the file is read again.
ALTER TABLE tracks ADD COLUMN genres TEXT;
ALTER TABLE tracks ADD COLUMN artists TEXT;
UPDATE tracks SET genres = json_array(genre) WHERE genre IS NOT NULL AND genre <> '';
UPDATE tracks SET artists = json_array(artist) WHERE artist IS NOT NULL AND artist <> '';
