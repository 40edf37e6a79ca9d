//! The signed-in user, for axum handlers (`CurrentUser`) and server functions (`require_user`).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use tower_cookies::Cookies;

use super::User;
use super::error::AuthError;
use super::service::{AuthService, Credentials};
use crate::error::AppError;
use crate::server::AppState;

/// Extractor: the signed-in user, or a 401 `{"detail": …}`.
pub struct CurrentUser {
    pub user: User,
    /// Unix seconds at which the access token expires (`None` for the dev user).
    pub access_expires_at: Option<i64>,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = Cookies::from_request_parts(parts, state)
            .await
            .map_err(|_| AuthError::Internal)?;
        let credentials = Credentials::from_request(state.auth.config(), &jar, &parts.headers);
        let (user, access_expires_at) = state.auth.current_user(&credentials).await?;
        Ok(Self {
            user,
            access_expires_at,
        })
    }
}

/// What a server function needs to act for the request: the service, the cookie jar and the credentials.
pub(super) struct RequestAuth {
    pub auth: AuthService,
    pub jar: Cookies,
    pub credentials: Credentials,
}

impl RequestAuth {
    pub async fn from_context() -> Result<Self, AppError> {
        let state = AppState::from_context()?;
        let (jar, headers) = leptos_axum::extract::<(Cookies, HeaderMap)>()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the request in a server function");
                AppError::internal()
            })?;
        let credentials = Credentials::from_request(state.auth.config(), &jar, &headers);
        Ok(Self {
            auth: state.auth,
            jar,
            credentials,
        })
    }
}

/// In a server function: the signed-in user, or an `AppError` with status 401.
///
/// ```ignore
/// #[server]
/// pub async fn my_notes() -> Result<Vec<Note>, AppError> {
///     let user = crate::auth::require_user().await?;
///     // … queries scoped to user.id …
/// }
/// ```
pub async fn require_user() -> Result<User, AppError> {
    let request = RequestAuth::from_context().await?;
    let (user, _) = request.auth.current_user(&request.credentials).await?;
    Ok(user)
}
