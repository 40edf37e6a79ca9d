//! What the admin command (`src/bin/admin.rs`) does to accounts, with the server's own rules: deactivating a
//! user ends their sessions as the account page does (every instance refuses their tokens within seconds), and
//! each change is written to the activity log in its transaction.

use sqlx::{FromRow, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::events;
use super::sessions::{self, Actor, Client, EndReason, Which};
use crate::types::ActivityEvent;

/// A user as the admin command lists them.
#[derive(Debug, Clone, FromRow)]
pub struct UserSummary {
    /// The user's id in this app.
    pub id: Uuid,
    /// The email address the auth proxy sent.
    pub email: String,
    /// Given name; may be empty.
    pub first_name: String,
    /// Family name; may be empty.
    pub last_name: String,
    /// The user's id at Vector; `None` when their proxy token carried none.
    pub vector_uga_user_id: Option<String>,
    /// False once deactivated: the user's tokens are refused and signing in starts no session.
    pub is_active: bool,
    /// When the user first signed in here.
    pub created_at: OffsetDateTime,
    /// Sessions not ended and not expired.
    pub live_sessions: i64,
}

const SUMMARY: &str = "SELECT u.id, u.email, u.first_name, u.last_name, u.vector_uga_user_id, u.is_active,
            u.created_at,
            (SELECT count(*) FROM refresh_token_families f
             WHERE f.user_id = u.id AND f.revoked_at IS NULL AND f.expires_at > now()) AS live_sessions
     FROM users u";

/// Every user, oldest first.
pub async fn users(db: &PgPool) -> Result<Vec<UserSummary>, sqlx::Error> {
    sqlx::query_as(&format!("{SUMMARY} ORDER BY u.created_at, u.id"))
        .fetch_all(db)
        .await
}

/// The user with this email (any case) or id.
pub async fn find_user(db: &PgPool, email_or_id: &str) -> Result<Option<UserSummary>, sqlx::Error> {
    let id = email_or_id.parse::<Uuid>().ok();
    sqlx::query_as(&format!(
        "{SUMMARY} WHERE lower(u.email) = lower($1) OR u.id = $2"
    ))
    .bind(email_or_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Deactivates (`active = false`) or reactivates a user; deactivating ends all their sessions. Returns whether
/// anything changed and how many sessions ended.
pub async fn set_active(
    db: &PgPool,
    user_id: Uuid,
    active: bool,
) -> Result<(bool, usize), sqlx::Error> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE users SET is_active = $2, updated_at = now() WHERE id = $1 AND is_active <> $2",
    )
    .bind(user_id)
    .bind(active)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let admin = Client::admin();
    let mut ended = 0;
    if changed && active {
        events::record(&mut *tx, user_id, "user-reactivated", &admin).await?;
    } else if changed {
        let by = Actor {
            session: None,
            client: &admin,
        };
        ended = sessions::end(&mut *tx, user_id, Which::All, EndReason::Deactivated, by)
            .await?
            .len();
    }
    tx.commit().await?;
    Ok((changed, ended))
}

/// Ends every session of a user; returns how many.
pub async fn end_sessions(db: &PgPool, user_id: Uuid) -> Result<usize, sqlx::Error> {
    let admin = Client::admin();
    let by = Actor {
        session: None,
        client: &admin,
    };
    Ok(
        sessions::end(db, user_id, Which::All, EndReason::EndedByUser, by)
            .await?
            .len(),
    )
}

/// The user's most recent events, newest first.
pub async fn events(
    db: &PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<ActivityEvent>, sqlx::Error> {
    events::recent(db, user_id, limit).await
}
