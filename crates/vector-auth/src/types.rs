//! The auth types that cross the wire between the server and the browser.

use serde::{Deserialize, Serialize};

/// The signed-in user, as `GET /api/accounts/me/` returns it (govector-auth's shape, with a string id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id in this app (a UUID), not their id at Vector.
    pub id: String,
    /// The email address the auth proxy signed them in with.
    pub email: String,
    /// Given name, as the auth proxy sent it; may be empty.
    pub first_name: String,
    /// Family name, as the auth proxy sent it; may be empty.
    pub last_name: String,
    /// First and last name together, or the email when both are empty.
    pub full_name: String,
    /// URL of the profile picture; empty when there is none.
    pub picture: String,
}

/// What the browser needs to know about its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Who is signed in.
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
    /// The first page of the user's live sessions (`list_sessions` gives the next).
    pub sessions: vector_core::paging::Page<SessionRecord>,
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
    /// The session it concerns (a `SessionRecord` id); `None` when it is tied to no session.
    pub session_id: Option<String>,
    /// The device it came from ("Firefox on Linux").
    pub device: String,
    /// The client's IP address; empty when unknown (for example, the admin command).
    pub ip_address: String,
    /// Event-specific details, as JSON.
    pub details: String,
    /// RFC 3339.
    pub at: String,
}

/// One of the signed-in user's sessions (a sign-in on some device), as the account page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session's id (a UUID), as `end_session` takes it.
    pub id: String,
    /// "Firefox on Windows", from the user agent.
    pub device: String,
    /// The browser's `User-Agent` at the last sign-in or refresh.
    pub user_agent: String,
    /// The client's IP address at the last sign-in or refresh; empty when unknown.
    pub ip_address: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339: the last sign-in or refresh (about once per access-token lifetime while in use).
    pub last_active_at: String,
    /// The session of the request that asked.
    pub current: bool,
}
