-- Refresh-token rotation. Each sign-in starts a family; every refresh marks the presented token used and
-- issues its one child. Presenting a used token (outside the grace window) revokes the whole family.
CREATE TABLE refresh_token_families (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Expiry of the family's newest token: past it, the family is deleted.
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX refresh_token_families_expires_at_idx ON refresh_token_families (expires_at);
CREATE INDEX refresh_token_families_user_id_idx ON refresh_token_families (user_id);

CREATE TABLE refresh_tokens (
    jti        uuid PRIMARY KEY,
    family_id  uuid NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
    -- `iat` and `exp` of the token (Unix seconds), so the same token can be signed again in the grace window.
    issued_at  bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at    timestamptz,
    child_jti  uuid
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
