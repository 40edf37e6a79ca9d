-- The activity log: what happened to each account, written in the same transaction as the change it records.
-- Never a token. Deleted after ACTIVITY_RETENTION_DAYS by the hourly clean-up.
CREATE TABLE auth_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- No foreign key: the clean-up deletes expired sessions, and their events outlive them.
    session_id uuid,
    kind       text NOT NULL,
    ip_address text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    details    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_events_user_id_created_at_idx ON auth_events (user_id, created_at DESC, id DESC);
CREATE INDEX auth_events_created_at_idx ON auth_events (created_at);
