-- Users signed in through the Vector auth proxy (fields as govector-auth's User model).
CREATE TABLE users (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email              text NOT NULL,
    first_name         text NOT NULL DEFAULT '',
    last_name          text NOT NULL DEFAULT '',
    picture            text NOT NULL DEFAULT '',
    vector_uga_user_id text,
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    last_login         timestamptz
);

-- Emails are unique regardless of case; the upsert on first login relies on this index.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_vector_uga_user_id_key ON users (vector_uga_user_id);
