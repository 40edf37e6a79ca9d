//! Users in Postgres: the atomic first-login upsert, the dev user and lookups.
//!
//! Matching rule: a token that carries `user_id` signs in the user linked to that Vector id; otherwise the
//! user with the token's email (case-insensitive), who gets linked to the `user_id` if they had none. When
//! the email already belongs to a user linked to a *different* Vector id, sign-in is refused
//! (`AccountConflict`) rather than merging two accounts. Claims only overwrite fields with non-empty values.

use sqlx::{FromRow, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::proxy_token::ProxyClaims;
use crate::types::User;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub picture: String,
    /// The user's id at Vector (the proxy token's `user_id`), when they signed in with one.
    pub vector_uga_user_id: Option<String>,
    pub is_active: bool,
    /// When the user last signed out everywhere (or was deactivated): proxy tokens issued before cannot sign in.
    pub sessions_ended_at: Option<time::OffsetDateTime>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        let full_name = format!("{} {}", row.first_name, row.last_name)
            .trim()
            .to_owned();
        User {
            id: row.id.to_string(),
            full_name: if full_name.is_empty() {
                row.email.clone()
            } else {
                full_name
            },
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            picture: row.picture,
        }
    }
}

const COLUMNS: &str =
    "id, email, first_name, last_name, picture, vector_uga_user_id, is_active, sessions_ended_at";

pub async fn find(db: &PgPool, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Creates or updates the user a verified proxy token describes, in the sign-in's transaction. `None` when the
/// email belongs to a user linked to another Vector id. A unique violation means a concurrent sign-in created
/// the other side of a match: the caller starts the transaction again, and then sees it. A returning user whose
/// claims change nothing is read, not written: signing in does not rewrite their row.
pub async fn upsert_from_claims(
    tx: &mut Transaction<'_, Postgres>,
    claims: &ProxyClaims,
) -> Result<Option<UserRow>, sqlx::Error> {
    if let Some(user_id) = &claims.user_id {
        // The email follows the token unless another user holds it. The update touches the row only when a
        // value differs; otherwise the last query returns the row as it is.
        let linked: Option<UserRow> = sqlx::query_as(&format!(
            "WITH wanted AS (
                 SELECT u.id,
                        CASE WHEN EXISTS (SELECT 1 FROM users other
                                          WHERE lower(other.email) = lower($2) AND other.id <> u.id)
                             THEN u.email ELSE $2 END AS email,
                        COALESCE(NULLIF($3, ''), u.first_name) AS first_name,
                        COALESCE(NULLIF($4, ''), u.last_name) AS last_name,
                        COALESCE(NULLIF($5, ''), u.picture) AS picture
                 FROM users u
                 WHERE u.vector_uga_user_id = $1
             ), changed AS (
                 UPDATE users SET
                     email = wanted.email,
                     first_name = wanted.first_name,
                     last_name = wanted.last_name,
                     picture = wanted.picture,
                     updated_at = now()
                 FROM wanted
                 WHERE users.id = wanted.id
                   AND (users.email, users.first_name, users.last_name, users.picture)
                       IS DISTINCT FROM (wanted.email, wanted.first_name, wanted.last_name, wanted.picture)
                 RETURNING users.*
             )
             SELECT {COLUMNS} FROM changed
             UNION ALL
             SELECT {COLUMNS} FROM users
             WHERE vector_uga_user_id = $1 AND NOT EXISTS (SELECT 1 FROM changed)"
        ))
        .bind(user_id)
        .bind(&claims.email)
        .bind(&claims.first_name)
        .bind(&claims.last_name)
        .bind(&claims.picture)
        .fetch_optional(&mut **tx)
        .await?;
        if linked.is_some() {
            return Ok(linked);
        }
    }
    // One statement, so simultaneous first logins for one email give one row. No row comes back when the
    // email belongs to a user linked to another Vector id, or when nothing would change.
    let written: Option<UserRow> = sqlx::query_as(&format!(
        "INSERT INTO users (email, first_name, last_name, picture, vector_uga_user_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (lower(email)) DO UPDATE SET
             first_name = COALESCE(NULLIF(EXCLUDED.first_name, ''), users.first_name),
             last_name = COALESCE(NULLIF(EXCLUDED.last_name, ''), users.last_name),
             picture = COALESCE(NULLIF(EXCLUDED.picture, ''), users.picture),
             vector_uga_user_id = COALESCE(users.vector_uga_user_id, EXCLUDED.vector_uga_user_id),
             updated_at = now()
         WHERE (users.vector_uga_user_id IS NULL
                OR EXCLUDED.vector_uga_user_id IS NULL
                OR users.vector_uga_user_id = EXCLUDED.vector_uga_user_id)
           AND (users.first_name, users.last_name, users.picture, users.vector_uga_user_id)
               IS DISTINCT FROM (COALESCE(NULLIF(EXCLUDED.first_name, ''), users.first_name),
                                 COALESCE(NULLIF(EXCLUDED.last_name, ''), users.last_name),
                                 COALESCE(NULLIF(EXCLUDED.picture, ''), users.picture),
                                 COALESCE(users.vector_uga_user_id, EXCLUDED.vector_uga_user_id))
         RETURNING {COLUMNS}"
    ))
    .bind(&claims.email)
    .bind(&claims.first_name)
    .bind(&claims.last_name)
    .bind(&claims.picture)
    .bind(&claims.user_id)
    .fetch_optional(&mut **tx)
    .await?;
    if written.is_some() {
        return Ok(written);
    }
    // The conflict left the row locked and unwritten: it is this user unchanged, or another Vector account's.
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users
         WHERE lower(email) = lower($1)
           AND (vector_uga_user_id IS NULL OR $2::text IS NULL OR vector_uga_user_id = $2)"
    ))
    .bind(&claims.email)
    .bind(&claims.user_id)
    .fetch_optional(&mut **tx)
    .await
}

/// The dev-mode user, created on first use.
pub async fn dev_user(db: &PgPool, email: &str) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO users (email) VALUES ($1)
         ON CONFLICT (lower(email)) DO UPDATE SET email = users.email
         RETURNING {COLUMNS}"
    ))
    .bind(email)
    .fetch_one(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(first: &str, last: &str) -> UserRow {
        UserRow {
            id: Uuid::nil(),
            email: "ada@example.com".into(),
            first_name: first.into(),
            last_name: last.into(),
            picture: String::new(),
            vector_uga_user_id: None,
            is_active: true,
            sessions_ended_at: None,
        }
    }

    #[test]
    fn full_name_falls_back_to_email() {
        assert_eq!(User::from(row("Ada", "Lovelace")).full_name, "Ada Lovelace");
        assert_eq!(User::from(row("Ada", "")).full_name, "Ada");
        assert_eq!(User::from(row("", "")).full_name, "ada@example.com");
        assert_eq!(
            User::from(row("", "")).id,
            "00000000-0000-0000-0000-000000000000"
        );
    }
}
