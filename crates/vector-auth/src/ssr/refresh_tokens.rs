//! Refresh-token families in Postgres: rotation with reuse detection, revocation and clean-up.
//!
//! A refresh token is valid while its row is unused and its family is not revoked. Using it marks it used
//! and issues its one child. Presenting a used token revokes the family, except the immediate parent of the
//! newest token presented again within the grace window (two tabs refreshing at once): that request gets the
//! same child token again, so nobody is logged out and the family does not fork.
//!
//! A family lives at most `max_age` (SESSION_MAX_AGE) from its sign-in: its tokens never expire later,
//! however often they are rotated. Used tokens whose own lifetime has passed are pruned, since a replay of
//! an expired token never reaches the database.

use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::error::AuthError;
use super::sessions::{self, Actor, Client, ENDED_CHANNEL, EndReason, Which};
use super::tokens::{Claims, TokenKeys, TokenType, now};

/// A refresh token for the family, expiring no later than the session does.
fn refresh_claims(keys: &TokenKeys, user_id: Uuid, session_ends_at: i64) -> Claims {
    let mut claims = keys.claims(TokenType::Refresh, user_id);
    claims.exp = claims.exp.min(session_ends_at);
    claims
}

/// What a new session starts from.
pub struct NewFamily<'a> {
    /// Its user.
    pub user_id: Uuid,
    /// `SESSION_MAX_AGE`.
    pub max_age: Duration,
    /// `MAX_SESSIONS_PER_USER`: the user's least recently used sessions past it end.
    pub max_sessions: u32,
    /// The SHA-256 of the proxy token that signs in (the token itself is never stored).
    pub proxy_token_sha256: &'a [u8],
    /// Where the sign-in comes from.
    pub client: &'a Client,
}

/// A session started, and the ones it ended by taking the user past their limit.
pub struct Started {
    /// The new session's (family's) id.
    pub id: Uuid,
    /// Its first refresh token's claims.
    pub claims: Claims,
    /// The sessions ended as `session-limit` (every instance is told when the transaction commits).
    pub ended: Vec<Uuid>,
}

/// Starts a family (a session) for a new sign-in, in the sign-in's transaction and in one statement: the family,
/// its first refresh token, and the end of the user's least recently used live sessions past the limit (each
/// recorded in the activity log). `None`, with nothing written, when the proxy token started a session that has
/// ended: an ended session does not come back through the token a device kept.
pub async fn start_family(
    tx: &mut Transaction<'_, Postgres>,
    keys: &TokenKeys,
    new: NewFamily<'_>,
) -> Result<Option<Started>, sqlx::Error> {
    let claims = refresh_claims(keys, new.user_id, now() + new.max_age.as_secs() as i64);
    let family_id = Uuid::new_v4();
    // The live sessions kept besides the new one. The `excess` query sees the table as the statement began,
    // without the new session.
    let keep_others = i64::from(new.max_sessions.max(1) - 1);
    let (started, ended): (i64, Vec<Uuid>) = sqlx::query_as(&format!(
        "WITH refused AS (
             SELECT 1 FROM refresh_token_families WHERE proxy_token_sha256 = $6 AND revoked_at IS NOT NULL LIMIT 1
         ), family AS (
             INSERT INTO refresh_token_families (id, user_id, expires_at, user_agent, ip_address, proxy_token_sha256)
             SELECT $1, $2, to_timestamp($3), $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM refused)
             RETURNING id
         ), token AS (
             INSERT INTO refresh_tokens (jti, family_id, issued_at, expires_at) SELECT $7, id, $8, $3 FROM family
         ), excess AS (
             SELECT f.id FROM refresh_token_families f
             WHERE f.user_id = $2 AND f.revoked_at IS NULL AND f.expires_at > now()
               AND EXISTS (SELECT 1 FROM family)
             ORDER BY f.last_used_at DESC, f.id DESC OFFSET $9
         ), ended AS (
             UPDATE refresh_token_families SET revoked_at = now(), end_reason = 'session-limit'
             WHERE id IN (SELECT id FROM excess)
             RETURNING id
         ), logged AS (
             INSERT INTO auth_events (user_id, session_id, kind, ip_address, user_agent)
             SELECT $2, id, 'session-limit', $5, $4 FROM ended
         )
         SELECT (SELECT count(*) FROM family),
                ARRAY(SELECT e.id FROM ended e, pg_notify('{ENDED_CHANNEL}', e.id::text))"
    ))
    .bind(family_id)
    .bind(new.user_id)
    .bind(claims.exp)
    .bind(&new.client.user_agent)
    .bind(new.client.address())
    .bind(new.proxy_token_sha256)
    .bind(claims.jti)
    .bind(claims.iat)
    .bind(keep_others)
    .fetch_one(&mut **tx)
    .await?;
    Ok((started == 1).then_some(Started {
        id: family_id,
        claims,
        ended,
    }))
}

/// Exchanges a presented (signature-checked, unexpired) refresh token for its child; returns the family's id
/// with it. The session records the client and the time (the write a rotation makes anyway).
pub async fn rotate(
    db: &PgPool,
    keys: &TokenKeys,
    presented: &Claims,
    grace: Duration,
    max_age: Duration,
    client: &Client,
) -> Result<(Uuid, Claims), AuthError> {
    let mut tx = db.begin().await?;
    // Locking the family serialises every rotation within it.
    let family: Option<(Uuid, Uuid, bool, bool, i64)> = sqlx::query_as(
        "SELECT f.id, f.user_id, f.revoked_at IS NOT NULL, u.is_active,
                extract(epoch FROM f.created_at)::bigint
         FROM refresh_token_families f JOIN users u ON u.id = f.user_id
         WHERE f.id = (SELECT family_id FROM refresh_tokens WHERE jti = $1)
         FOR UPDATE OF f",
    )
    .bind(presented.jti)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((family_id, user_id, revoked, is_active, started_at)) = family else {
        // A deleted user's sessions went with them: say so, as govector-auth does for a valid token.
        let user_exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
                .bind(presented.user_id)
                .fetch_one(&mut *tx)
                .await?;
        return Err(if user_exists {
            AuthError::InvalidRefreshToken
        } else {
            AuthError::UserNotFound
        });
    };
    let session_ends_at = started_at + max_age.as_secs() as i64;
    if revoked || user_id != presented.user_id || now() >= session_ends_at {
        return Err(AuthError::InvalidRefreshToken);
    }
    if !is_active {
        return Err(AuthError::UserInactive);
    }

    let (used, within_grace, child_jti): (bool, bool, Option<Uuid>) = sqlx::query_as(
        "SELECT used_at IS NOT NULL, COALESCE(used_at > now() - $2 * interval '1 second', false), child_jti
         FROM refresh_tokens WHERE jti = $1",
    )
    .bind(presented.jti)
    .bind(grace.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;

    if !used {
        let child = refresh_claims(keys, user_id, session_ends_at);
        insert_token(&mut tx, family_id, &child).await?;
        sqlx::query("UPDATE refresh_tokens SET used_at = now(), child_jti = $2 WHERE jti = $1")
            .bind(presented.jti)
            .bind(child.jti)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE refresh_token_families
             SET expires_at = to_timestamp($2), last_used_at = now(), user_agent = $3, ip_address = $4
             WHERE id = $1",
        )
        .bind(family_id)
        .bind(child.exp as f64)
        .bind(&client.user_agent)
        .bind(client.address())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok((family_id, child));
    }

    if within_grace {
        // The newest token is this one's child, still unused: hand it out again.
        let newest: Option<(i64, i64)> = sqlx::query_as(
            "SELECT issued_at, expires_at FROM refresh_tokens WHERE jti = $1 AND used_at IS NULL",
        )
        .bind(child_jti)
        .fetch_optional(&mut *tx)
        .await?;
        if let (Some(jti), Some((iat, exp))) = (child_jti, newest) {
            tx.commit().await?;
            let claims = Claims {
                token_type: TokenType::Refresh,
                user_id,
                jti,
                iat,
                exp,
                sid: None,
            };
            return Ok((family_id, claims));
        }
    }

    let by = Actor {
        session: Some(family_id),
        client,
    };
    sessions::end(
        &mut *tx,
        user_id,
        Which::One(family_id),
        EndReason::ReuseDetected,
        by,
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("auth_refresh_reuse_detected_total").increment(1);
    tracing::warn!(%user_id, %family_id, "a used refresh token was presented again: the session is revoked");
    Err(AuthError::RefreshTokenReused)
}

/// What a clean-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted {
    /// Sessions whose newest token had expired, now recorded as ended (`expired`).
    pub sessions: u64,
    /// Refresh tokens that can never be used again: those of ended sessions, and the used ones of live
    /// sessions whose own lifetime had passed.
    pub used_tokens: u64,
    /// Records of sessions that ended longer ago than the retention.
    pub old_sessions: u64,
}

/// Records expired sessions as ended, deletes the refresh tokens nothing can use any more, and deletes the
/// records of sessions that ended `retention_days` ago.
pub async fn delete_expired(db: &PgPool, retention_days: u32) -> Result<Deleted, sqlx::Error> {
    // No notification: an expired session's access tokens expire by themselves.
    let sessions = sqlx::query(
        "UPDATE refresh_token_families SET revoked_at = expires_at, end_reason = 'expired'
         WHERE revoked_at IS NULL AND expires_at < now()",
    )
    .execute(db)
    .await?
    .rows_affected();
    let used_tokens = sqlx::query(
        "DELETE FROM refresh_tokens t
         WHERE (t.used_at IS NOT NULL AND t.expires_at < extract(epoch FROM now()))
            OR EXISTS (SELECT 1 FROM refresh_token_families f
                       WHERE f.id = t.family_id AND f.revoked_at IS NOT NULL)",
    )
    .execute(db)
    .await?
    .rows_affected();
    let old_sessions = sqlx::query(
        "DELETE FROM refresh_token_families WHERE revoked_at < now() - $1 * interval '1 day'",
    )
    .bind(f64::from(retention_days))
    .execute(db)
    .await?
    .rows_affected();
    Ok(Deleted {
        sessions,
        used_tokens,
        old_sessions,
    })
}

async fn insert_token(
    tx: &mut Transaction<'_, Postgres>,
    family_id: Uuid,
    claims: &Claims,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (jti, family_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(claims.jti)
        .bind(family_id)
        .bind(claims.iat)
        .bind(claims.exp)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
