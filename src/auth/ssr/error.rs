//! The auth feature's errors and the HTTP status and `detail` each one answers with.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,
    #[error("Given token not valid for any token type")]
    InvalidAccessToken,
    #[error("Token is invalid or expired")]
    InvalidRefreshToken,
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
    #[error("Invalid token.")]
    InvalidProxyToken,
    #[error("Token has no email claim.")]
    MissingEmail,
    #[error(
        "No auth proxy is configured (dev mode): every request is already signed in as the dev user."
    )]
    DevMode,
    #[error("This email address belongs to a different Vector account.")]
    AccountConflict,
    #[error("The auth proxy's keys are unavailable. Try again shortly.")]
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
            | Self::InvalidRefreshToken
            | Self::UserInactive
            | Self::InvalidProxyToken => StatusCode::UNAUTHORIZED,
            Self::MissingToken | Self::BadRequest(_) | Self::MissingEmail | Self::DevMode => {
                StatusCode::BAD_REQUEST
            }
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::AccountConflict => StatusCode::CONFLICT,
            Self::KeysUnavailable | Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
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
