-- Signing in no longer writes the user's row when their claims are unchanged (one commit per sign-in, and that
-- one the session's), so a per-sign-in timestamp has no place here: each sign-in starts a session, which records
-- when it began.
ALTER TABLE users DROP COLUMN last_login;
