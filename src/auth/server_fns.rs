//! Server functions for the Leptos UI, over the same service as the REST routes.

use leptos::prelude::*;

use super::{AuthStatus, SessionInfo};
use crate::error::AppError;

/// Exchanges a proxy token (from the sign-in callback) for a session.
#[server]
pub async fn exchange_token(token: String) -> Result<SessionInfo, AppError> {
    use super::cookies::set_sign_in;
    use super::extract::RequestAuth;

    let request = RequestAuth::from_context().await?;
    let sign_in = request.auth.exchange(&token).await?;
    let config = request.auth.config();
    set_sign_in(&request.jar, config, &sign_in, token);
    Ok(SessionInfo {
        user: sign_in.user,
        access_expires_at: Some(sign_in.session.access_expires_at),
        dev_mode: config.dev_mode(),
    })
}

/// Rotates the refresh cookie; on failure the session cookies are cleared and the status is 401.
#[server]
pub async fn refresh_session() -> Result<SessionInfo, AppError> {
    use super::cookies::refresh_into_jar;
    use super::extract::RequestAuth;
    use super::service::Credentials;

    let request = RequestAuth::from_context().await?;
    let config = request.auth.config();
    let session = refresh_into_jar(
        &request.jar,
        &request.auth,
        request.credentials.refresh_cookie.as_deref(),
    )
    .await?;
    let credentials = Credentials {
        access_cookie: Some(session.access.clone()),
        ..Credentials::default()
    };
    let (user, access_expires_at) = request.auth.current_user(&credentials).await?;
    Ok(SessionInfo {
        user,
        access_expires_at,
        dev_mode: config.dev_mode(),
    })
}

/// The signed-in user and when their access token expires; 401 when signed out.
#[server]
pub async fn current_session() -> Result<SessionInfo, AppError> {
    use super::extract::RequestAuth;

    let request = RequestAuth::from_context().await?;
    let (user, access_expires_at) = request.auth.current_user(&request.credentials).await?;
    Ok(SessionInfo {
        user,
        access_expires_at,
        dev_mode: request.auth.config().dev_mode(),
    })
}

/// Deletes the session cookies and revokes the refresh token's family.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use super::cookies::clear_session;
    use super::extract::RequestAuth;

    let request = RequestAuth::from_context().await?;
    clear_session(&request.jar, request.auth.config());
    request
        .auth
        .logout(request.credentials.refresh_cookie.as_deref())
        .await?;
    Ok(())
}

/// The session for rendering: signed out is an answer here, not an error.
#[server]
pub async fn session_status() -> Result<AuthStatus, AppError> {
    use super::error::AuthError;
    use super::extract::RequestAuth;

    let request = RequestAuth::from_context().await?;
    let config = request.auth.config();
    let login_url = config.proxy.as_ref().map(|p| p.login_url.clone());
    let session = match request.auth.current_user(&request.credentials).await {
        Ok((user, access_expires_at)) => Some(SessionInfo {
            user,
            access_expires_at,
            dev_mode: config.dev_mode(),
        }),
        Err(
            AuthError::NotAuthenticated | AuthError::InvalidAccessToken | AuthError::UserInactive,
        ) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(AuthStatus { session, login_url })
}
