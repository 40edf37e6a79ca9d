//! The auth feature's errors and the HTTP status and `detail` each one answers with. Where govector-auth 0.1.5
//! refuses the same thing, the detail is its own words, so clients written for it keep working.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,
    #[error("Given token not valid for any token type")]
    InvalidAccessToken,
    #[error("No refresh token.")]
    NoRefreshToken,
    #[error("Refresh token expired.")]
    InvalidRefreshToken,
    #[error("This refresh token was already used, so its session has been ended. Sign in again.")]
    RefreshTokenReused,
    #[error("User not found.")]
    UserNotFound,
    /// The access token's session was ended (signed out elsewhere, or ended from the account page).
    #[error("This session has ended. Sign in again.")]
    SessionEnded,
    #[error("Session not found.")]
    SessionNotFound,
    #[error("User is inactive")]
    UserInactive,
    #[error("No token provided.")]
    MissingToken,
    #[error("Invalid request body: {0}")]
    BadRequest(String),
    #[error("The request body is too large.")]
    PayloadTooLarge,
    #[error("The request body did not arrive in time.")]
    BodyTimeout,
    #[error("Unsupported media type \"{0}\" in request: send the token as application/json.")]
    UnsupportedMediaType(String),
    #[error("Invalid token.")]
    InvalidProxyToken,
    #[error("Token has expired.")]
    ExpiredProxyToken,
    #[error("Token missing email claim.")]
    MissingEmail,
    /// Dev mode: no auth proxy is configured, and every request is already the dev user.
    #[error("Authentication is not configured.")]
    DevMode,
    #[error("This email address belongs to a different Vector account.")]
    AccountConflict,
    /// The auth proxy's keys could not be fetched (the log says why).
    #[error("Authentication is not configured.")]
    KeysUnavailable,
    #[error("Database unavailable.")]
    DatabaseUnavailable,
    #[error("Internal server error.")]
    Internal,
    #[error("CSRF check failed: {0}")]
    Csrf(&'static str),
    #[error("Too many sign-in attempts from this address. Try again in {retry_after} s.")]
    RateLimited { retry_after: u64 },
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAuthenticated
            | Self::InvalidAccessToken
            | Self::NoRefreshToken
            | Self::InvalidRefreshToken
            | Self::RefreshTokenReused
            | Self::UserNotFound
            | Self::SessionEnded
            | Self::UserInactive
            | Self::InvalidProxyToken
            | Self::ExpiredProxyToken => StatusCode::UNAUTHORIZED,
            Self::MissingToken | Self::BadRequest(_) | Self::MissingEmail => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::SessionNotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::AccountConflict => StatusCode::CONFLICT,
            Self::DevMode | Self::KeysUnavailable | Self::DatabaseUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The app's one reading of a database error (and its one log line): unavailable or internal.
impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        if AppError::from(e).status == StatusCode::SERVICE_UNAVAILABLE.as_u16() {
            Self::DatabaseUnavailable
        } else {
            Self::Internal
        }
    }
}

impl AuthError {
    /// `Retry-After`, for a refusal that says when to come back.
    pub fn retry_after(&self) -> Option<(HeaderName, HeaderValue)> {
        match self {
            Self::RateLimited { retry_after } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*retry_after)))
            }
            _ => None,
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after();
        let mut response = AppError::from(self).into_response();
        if let Some((name, value)) = retry_after {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        AppError::new(e.status().as_u16(), e.to_string())
    }
}
