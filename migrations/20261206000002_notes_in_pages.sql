-- The notes list comes in pages, newest first (created_at, then id): one index walks them.
DROP INDEX notes_user_id_created_at_idx;
CREATE INDEX notes_user_id_created_at_id_idx ON notes (user_id, created_at DESC, id DESC);
