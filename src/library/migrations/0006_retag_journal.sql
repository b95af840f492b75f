-- Issue 14 ("Edit tags with undo"): a tag write is journalled with what
-- undo needs to give the file back byte for byte. The journal entry
-- (action 'retag', src = dst = the file) holds the hash and size the file
-- has after the write; this row holds the bytes it had before, as the one
-- range that differs: at `patch_at`, `patch_len` bytes of the new file
-- stand where `patch` stood. Audio is never in it (the write is checked
-- to keep the audio), only tag bytes and what moved with them.
CREATE TABLE journal_retags (
    op_id     INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    old_hash  BLOB NOT NULL,      -- BLAKE3 of the file before the write
    old_size  INTEGER NOT NULL,
    patch_at  INTEGER NOT NULL,
    patch_len INTEGER NOT NULL,
    patch     BLOB NOT NULL,
    old_tags  TEXT NOT NULL,      -- JSON: the edited fields' values before
    PRIMARY KEY (op_id, seq)
);
