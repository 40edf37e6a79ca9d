//! Sessions as a person sees them: each refresh-token family, with the device it was last used from, and the
//! ways to end one. Ending sessions is one statement that also writes the activity log's event and tells every
//! instance (`NOTIFY`, delivered when it commits); `ended_sessions` listens.

use std::net::IpAddr;

use sqlx::{FromRow, PgExecutor, PgPool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use vector_core::paging::{Cursor, Page};

use crate::types::SessionRecord;

/// The channel instances hear about ended sessions on; the payload is the session's id.
pub const ENDED_CHANNEL: &str = "auth_session_ended";

/// The user agent the admin command's changes record.
const ADMIN_AGENT: &str = "admin command";

/// The longest user agent kept.
const MAX_USER_AGENT_CHARS: usize = 512;

/// Where a sign-in or refresh comes from.
#[derive(Debug, Clone)]
pub struct Client {
    /// By the trusted-proxy rule (`TRUSTED_PROXIES`), as the rate limits count it.
    pub ip: IpAddr,
    /// The `User-Agent` header, without control characters and cut to 512 characters; empty when absent.
    pub user_agent: String,
}

impl Client {
    /// The admin command, acting on no client's behalf.
    pub fn admin() -> Self {
        Self::new(IpAddr::from([0, 0, 0, 0]), Some(ADMIN_AGENT))
    }

    /// A client at `ip` with this `User-Agent`, made safe to store.
    pub fn new(ip: IpAddr, user_agent: Option<&str>) -> Self {
        Self {
            ip,
            user_agent: user_agent
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT_CHARS)
                .collect(),
        }
    }

    /// The address as the records keep it: empty when unknown (no peer address, or the admin command).
    pub fn address(&self) -> String {
        if self.ip.is_unspecified() {
            String::new()
        } else {
            self.ip.to_string()
        }
    }
}

/// How a session ended (`signed-out` is written by `end_by_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    EndedByUser,
    ReuseDetected,
    Deactivated,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndedByUser => "ended-by-user",
            Self::ReuseDetected => "reuse-detected",
            Self::Deactivated => "deactivated",
        }
    }
}

/// Which of a user's live sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// The session with this id.
    One(Uuid),
    /// Every one but the session with this id (the one asking).
    AllBut(Uuid),
    /// Every one.
    All,
}

/// Who ends sessions, for the activity log: the session and the client of the request.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub session: Option<Uuid>,
    pub client: &'a Client,
}

/// The activity log's name for ending sessions this way.
fn event_kind(which: Which, reason: EndReason) -> &'static str {
    match (reason, which) {
        (EndReason::ReuseDetected, _) => "refresh-token-reused",
        (EndReason::Deactivated, _) => "user-deactivated",
        (EndReason::EndedByUser, Which::One(_)) => "session-ended",
        (EndReason::EndedByUser, Which::AllBut(_)) => "other-sessions-ended",
        (EndReason::EndedByUser, Which::All) => "all-sessions-ended",
    }
}

/// Ends the user's live sessions that `which` names, records it (when any ended, and always for a
/// deactivation) and tells every instance; returns their ids. Another user's session is never touched,
/// whatever id is asked for.
pub async fn end<'e>(
    db: impl PgExecutor<'e>,
    user_id: Uuid,
    which: Which,
    reason: EndReason,
    by: Actor<'_>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (id, keep) = match which {
        Which::One(id) => (Some(id), None),
        Which::AllBut(keep) => (None, Some(keep)),
        Which::All => (None, None),
    };
    let event_session = id.or(by.session);
    // Everywhere: the proxy tokens issued until now cannot start a session any more either.
    let everywhere = matches!(which, Which::All);
    sqlx::query_scalar(&format!(
        "WITH ended AS (
             UPDATE refresh_token_families SET revoked_at = now(), end_reason = $4
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
               AND ($2::uuid IS NULL OR id = $2)
               AND ($3::uuid IS NULL OR id <> $3)
             RETURNING id
         ), cutoff AS (
             UPDATE users SET sessions_ended_at = now() WHERE id = $1 AND $10
         ), logged AS (
             INSERT INTO auth_events (user_id, session_id, kind, ip_address, user_agent, details)
             SELECT $1, $5, $6, $7, $8, jsonb_build_object('sessions_ended', count(*))
             FROM ended HAVING count(*) > 0 OR $9
         )
         SELECT id FROM ended, pg_notify('{ENDED_CHANNEL}', id::text)"
    ))
    .bind(user_id)
    .bind(id)
    .bind(keep)
    .bind(reason.as_str())
    .bind(event_session)
    .bind(event_kind(which, reason))
    .bind(by.client.address())
    .bind(&by.client.user_agent)
    .bind(reason == EndReason::Deactivated)
    .bind(everywhere)
    .fetch_all(db)
    .await
}

/// Ends the session a refresh token belongs to (signing out), if it is live, and records it; returns its id.
pub async fn end_by_token<'e>(
    db: impl PgExecutor<'e>,
    jti: Uuid,
    client: &Client,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "WITH ended AS (
             UPDATE refresh_token_families SET revoked_at = now(), end_reason = 'signed-out'
             WHERE id = (SELECT family_id FROM refresh_tokens WHERE jti = $1) AND revoked_at IS NULL
             RETURNING id, user_id
         ), logged AS (
             INSERT INTO auth_events (user_id, session_id, kind, ip_address, user_agent)
             SELECT user_id, id, 'signed-out', $2, $3 FROM ended
         )
         SELECT id FROM ended, pg_notify('{ENDED_CHANNEL}', id::text)"
    ))
    .bind(jti)
    .bind(client.address())
    .bind(&client.user_agent)
    .fetch_optional(db)
    .await
}

#[derive(FromRow)]
struct Row {
    id: Uuid,
    user_agent: String,
    ip_address: String,
    created_at: OffsetDateTime,
    last_used_at: OffsetDateTime,
}

/// A page of the user's live sessions, the most recently used first, `size` of them after `cursor`; `current`
/// is the one asking. (A session used between two pages moves to the first one.)
pub async fn list(
    db: &PgPool,
    user_id: Uuid,
    current: Option<Uuid>,
    cursor: Option<Cursor>,
    size: i64,
) -> Result<Page<SessionRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, user_agent, ip_address, created_at, last_used_at FROM refresh_token_families
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
           AND ($2::timestamptz IS NULL OR (last_used_at, id) < ($2, $3))
         ORDER BY last_used_at DESC, id DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(cursor.map(|c| c.at))
    .bind(cursor.map(|c| c.id))
    .bind(size + 1)
    .fetch_all(db)
    .await?;
    Ok(
        Page::from_rows(rows, size, |row| Cursor::new(row.last_used_at, row.id)).map(|row| {
            SessionRecord {
                id: row.id.to_string(),
                device: describe_device(&row.user_agent),
                user_agent: row.user_agent,
                ip_address: row.ip_address,
                started_at: rfc3339(row.created_at),
                last_active_at: rfc3339(row.last_used_at),
                current: current == Some(row.id),
            }
        }),
    )
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// "Firefox on Windows", from a user agent: the browser and the system, for a person to recognise a device.
pub fn describe_device(user_agent: &str) -> String {
    if user_agent == ADMIN_AGENT {
        return "The admin command".to_owned();
    }
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari, and Android says Linux.
    const BROWSERS: [(&str, &str); 7] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(needle, _)| user_agent.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "An unknown device".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_for_people() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
                "Safari on macOS",
            ),
            ("curl/8.5.0", "curl"),
            ("", "An unknown device"),
        ] {
            assert_eq!(describe_device(agent), expected, "{agent}");
        }
    }

    #[test]
    fn user_agents_are_bounded_and_printable() {
        let client = Client::new(IpAddr::from([127, 0, 0, 1]), Some(&"a\u{0}b".repeat(400)));
        assert_eq!(client.user_agent.chars().count(), MAX_USER_AGENT_CHARS);
        assert!(!client.user_agent.contains('\0'));
        assert_eq!(
            Client::new(IpAddr::from([127, 0, 0, 1]), None).user_agent,
            ""
        );
    }
}
