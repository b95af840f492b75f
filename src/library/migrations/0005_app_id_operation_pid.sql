-- Issue 12 ("Never lose a file"): mixtape's libraries say whose they are,
-- and an operation says which process runs it.

-- 'mxtp': a SQLite database without it (and without mixtape's tables) is
-- another program's, and is refused untouched.
PRAGMA application_id = 1836610672;

-- The process that ran the operation: `undo` refuses an unfinished
-- operation whose process is still alive (it is not interrupted, it is
-- running), unless it is named by its id.
ALTER TABLE operations ADD COLUMN pid INTEGER;
