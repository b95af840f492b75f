-- Quarantine closes the loop: a quarantine move names the track that stands
-- in for the moved one, and the playlist entries it repointed are kept so
-- that undo can give them back.

-- The track that takes the moved track's place (quarantine: its group's
-- keeper). A move with `replaced_by` takes `track_id` out of the active
-- library (`quarantined = 1`) and points its static playlist entries at
-- `replaced_by`; undo reverses both.
ALTER TABLE journal ADD COLUMN replaced_by INTEGER;

-- One row per static playlist entry a journal entry repointed.
CREATE TABLE journal_repoints (
    op_id       INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,   -- the journal entry (the move) it follows
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    from_track  INTEGER NOT NULL,   -- what the entry pointed at (the moved track)
    to_track    INTEGER NOT NULL,   -- what it points at now (the keeper)
    state       TEXT NOT NULL,      -- done, undone
    PRIMARY KEY (op_id, playlist_id, position)
);
CREATE INDEX journal_repoints_seq ON journal_repoints(op_id, seq);
