-- Sessions a person can see and end: each refresh-token family records the device it was last used from, when,
-- and how it ended. Ended sessions are kept as long as the activity log (ACTIVITY_RETENTION_DAYS).
ALTER TABLE refresh_token_families
    ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN user_agent   text NOT NULL DEFAULT '',
    ADD COLUMN ip_address   text NOT NULL DEFAULT '',
    ADD COLUMN end_reason   text CHECK (end_reason IN ('signed-out', 'ended-by-user', 'reuse-detected', 'deactivated',
                                                    'expired'));

-- Every instance asks, every few seconds, which sessions ended since it last asked.
CREATE INDEX refresh_token_families_revoked_at_idx ON refresh_token_families (revoked_at)
    WHERE revoked_at IS NOT NULL;
