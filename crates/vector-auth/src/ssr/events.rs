//! The activity log: security events per account, each written by the statement or transaction that makes the
//! change it records, with the session, the client and event-specific details (never a token). Refreshes are
//! not recorded: the session's `last_used_at` says when it was last used, and the log does not grow per refresh.

use sqlx::{FromRow, PgExecutor, PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::sessions::{Client, describe_device};
use crate::types::ActivityEvent;

/// How many events the account page shows.
pub const RECENT: i64 = 20;

/// Records a sign-in in the sign-in's transaction; true when it made the user (a new user, not a returning one).
pub async fn signed_in(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
    session_id: Uuid,
    client: &Client,
) -> Result<bool, sqlx::Error> {
    // A user created by this transaction has `created_at = now()`, the transaction's start.
    sqlx::query_scalar(
        "INSERT INTO auth_events (user_id, session_id, kind, ip_address, user_agent, details)
         SELECT id, $2, 'signed-in', $3, $4, jsonb_build_object('new_user', created_at = now())
         FROM users WHERE id = $1
         RETURNING (details->>'new_user')::boolean",
    )
    .bind(user_id)
    .bind(session_id)
    .bind(client.address())
    .bind(&client.user_agent)
    .fetch_one(&mut **tx)
    .await
}

/// Records an event about a user that is not a sign-in or a session ending (those are written with them).
pub async fn record<'e>(
    db: impl PgExecutor<'e>,
    user_id: Uuid,
    kind: &str,
    client: &Client,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO auth_events (user_id, kind, ip_address, user_agent) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(kind)
    .bind(client.address())
    .bind(&client.user_agent)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    kind: String,
    session_id: Option<Uuid>,
    ip_address: String,
    user_agent: String,
    details: serde_json::Value,
    created_at: OffsetDateTime,
}

/// The user's most recent events, newest first.
pub async fn recent(
    db: &PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<ActivityEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT kind, session_id, ip_address, user_agent, details, created_at FROM auth_events
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ActivityEvent {
            description: describe(&row.kind, &row.details),
            kind: row.kind,
            session_id: row.session_id.map(|id| id.to_string()),
            device: describe_device(&row.user_agent),
            ip_address: row.ip_address,
            details: row.details.to_string(),
            at: row.created_at.format(&Rfc3339).unwrap_or_default(),
        })
        .collect())
}

/// Deletes the events older than the retention; returns how many.
pub async fn delete_older_than(db: &PgPool, days: u32) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM auth_events WHERE created_at < now() - $1 * interval '1 day'")
            .bind(f64::from(days))
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// What an event means, for a person.
fn describe(kind: &str, details: &serde_json::Value) -> String {
    let sessions = details["sessions_ended"].as_i64().unwrap_or(0);
    let plural = if sessions == 1 { "" } else { "s" };
    match kind {
        "signed-in" if details["new_user"] == true => "Signed in for the first time".into(),
        "signed-in" => "Signed in".into(),
        "signed-out" => "Signed out".into(),
        "session-ended" => "Ended a session".into(),
        "other-sessions-ended" => format!("Signed out {sessions} other session{plural}"),
        "all-sessions-ended" => format!("Signed out everywhere ({sessions} session{plural})"),
        "refresh-token-reused" => {
            "A used sign-in token was presented again: the session was ended".into()
        }
        "user-deactivated" => format!("Account deactivated ({sessions} session{plural} ended)"),
        "user-reactivated" => "Account reactivated".into(),
        "session-limit" => "A session ended: signed in on more devices than the limit".into(),
        other => other.to_owned(),
    }
}
