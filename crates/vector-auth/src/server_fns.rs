//! Server functions for the Leptos UI, over the same service as the REST routes (see `ssr::RequestAuth`).

use leptos::prelude::*;

use super::types::{AccountOverview, AuthStatus, SessionInfo, SessionRecord};
use vector_core::error::AppError;
use vector_core::paging::Page;

/// Exchanges a proxy token (from the sign-in callback) for a session.
#[server]
pub async fn exchange_token(
    /// The auth proxy's token, from the `#token=` fragment of `/auth/callback`.
    token: String,
) -> Result<SessionInfo, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.exchange(token).await?)
}

/// Rotates the refresh cookie; on failure the session cookies are cleared and the status is 401.
#[server]
pub async fn refresh_session() -> Result<SessionInfo, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.refresh().await?)
}

/// The signed-in user and when their access token expires; 401 when signed out.
#[server]
pub async fn current_session() -> Result<SessionInfo, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.session().await?)
}

/// Revokes the refresh token's family and deletes the session cookies; on failure both stay.
#[server]
pub async fn logout() -> Result<(), AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.logout().await?)
}

/// The session for rendering: signed out is an answer here, not an error.
#[server]
pub async fn session_status() -> Result<AuthStatus, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.status().await?)
}

/// A page of the signed-in user's live sessions (theirs only), the most recently used first, the one asking
/// marked current.
#[server]
pub async fn list_sessions(
    /// Where the page starts: the `next` of the page before; none for the first.
    cursor: Option<String>,
) -> Result<Page<SessionRecord>, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    let cursor = cursor
        .as_deref()
        .map(vector_core::paging::Cursor::parse)
        .transpose()?;
    Ok(request.sessions(cursor).await?)
}

/// Ends one of the user's sessions: its access tokens are refused at once, on every instance within seconds.
/// 404 for an id that is not one of the user's live sessions. Ending this one signs this browser out.
#[server]
pub async fn end_session(
    /// The session's id, as `SessionRecord::id` gives it.
    id: String,
) -> Result<(), AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    let id = id
        .parse()
        .map_err(|_| super::ssr::AuthError::SessionNotFound)?;
    request
        .end_sessions(Some(super::ssr::Which::One(id)))
        .await?;
    Ok(())
}

/// Ends every session of the user but this one; returns how many ended.
#[server]
pub async fn end_other_sessions() -> Result<usize, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.end_sessions(None).await?)
}

/// Ends every session of the user, this one included (its cookies are deleted); returns how many ended.
#[server]
pub async fn end_all_sessions() -> Result<usize, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(request.end_sessions(Some(super::ssr::Which::All)).await?)
}

/// The account page's data in one call: the first page of the user's live sessions and their last 20 events.
#[server]
pub async fn load_account() -> Result<AccountOverview, AppError> {
    let request = super::ssr::RequestAuth::from_context().await?;
    Ok(AccountOverview {
        sessions: request.sessions(None).await?,
        activity: request.activity().await?,
    })
}
