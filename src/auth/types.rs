//! The auth types that cross the wire between the server and the browser.

use serde::{Deserialize, Serialize};

/// The signed-in user, as `GET /api/accounts/me/` returns it (govector-auth's shape, with a string id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub picture: String,
}

/// What the browser needs to know about its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: User,
    /// Seconds the access token had left when the server answered: the browser schedules its refresh from
    /// this, with its own clock, so a wrong clock in the browser does not matter. `None` when the request
    /// carried no access token (dev mode).
    pub access_expires_in: Option<i64>,
    /// True when no auth proxy is configured and everyone is the dev user.
    pub dev_mode: bool,
}

/// What the UI needs to render the header and protected pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStatus {
    /// `None` when nobody is signed in.
    pub session: Option<SessionInfo>,
    /// The auth proxy's sign-in page; `None` in dev mode.
    pub login_url: Option<String>,
    /// Signed out as far as this request goes, but it carried a refresh cookie the server did not use (a
    /// page another site sent the browser to): the browser refreshes once hydrated.
    pub may_refresh: bool,
}

/// What the account page shows: the user's live sessions and their recent activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub sessions: Vec<SessionRecord>,
    /// The last 20 events, newest first.
    pub activity: Vec<ActivityEvent>,
}

/// An event of the activity log, as the account page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// `signed-in`, `signed-out`, `session-ended`, `other-sessions-ended`, `all-sessions-ended`,
    /// `refresh-token-reused`, `user-deactivated`, `user-reactivated`.
    pub kind: String,
    /// What happened, for a person.
    pub description: String,
    pub session_id: Option<String>,
    /// The device it came from ("Firefox on Linux").
    pub device: String,
    pub ip_address: String,
    /// Event-specific details, as JSON.
    pub details: String,
    /// RFC 3339.
    pub at: String,
}

/// One of the signed-in user's sessions (a sign-in on some device), as the account page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    /// "Firefox on Windows", from the user agent.
    pub device: String,
    pub user_agent: String,
    pub ip_address: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339: the last sign-in or refresh (about once per access-token lifetime while in use).
    pub last_active_at: String,
    /// The session of the request that asked.
    pub current: bool,
}
