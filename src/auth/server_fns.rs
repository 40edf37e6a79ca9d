//! Server functions for the Leptos UI, over the same service as the REST routes (see `ssr::RequestAuth`).

use leptos::prelude::*;

use super::types::{AuthStatus, SessionInfo};
use crate::error::AppError;

/// Exchanges a proxy token (from the sign-in callback) for a session.
#[server]
pub async fn exchange_token(token: String) -> Result<SessionInfo, AppError> {
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
