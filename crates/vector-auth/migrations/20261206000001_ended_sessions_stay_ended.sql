-- An ended session stays ended. Each session records the proxy token that started it (its SHA-256, never the
-- token), so that the same token cannot start another once it has ended; each user records when they last
-- signed out everywhere (or were deactivated), which refuses the proxy tokens issued before it. And a user keeps
-- at most MAX_SESSIONS_PER_USER live sessions: the oldest ends, as 'session-limit'.
ALTER TABLE refresh_token_families ADD COLUMN proxy_token_sha256 bytea;
CREATE INDEX refresh_token_families_proxy_token_idx ON refresh_token_families (proxy_token_sha256)
    WHERE proxy_token_sha256 IS NOT NULL;

ALTER TABLE users ADD COLUMN sessions_ended_at timestamptz;

ALTER TABLE refresh_token_families DROP CONSTRAINT refresh_token_families_end_reason_check;
ALTER TABLE refresh_token_families ADD CONSTRAINT refresh_token_families_end_reason_check
    CHECK (end_reason IN ('signed-out', 'ended-by-user', 'reuse-detected', 'deactivated', 'expired', 'session-limit'));

-- A user's live sessions, in the order they are listed (and paged) and the oldest ended past the limit.
CREATE INDEX refresh_token_families_user_last_used_idx ON refresh_token_families (user_id, last_used_at DESC, id DESC)
    WHERE revoked_at IS NULL;
