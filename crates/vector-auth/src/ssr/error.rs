//! The auth feature's errors and the HTTP status and `detail` each one answers with. Where govector-auth 0.1.5
//! refuses the same thing, the detail is its own words, so clients written for it keep working.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use vector_core::error::AppError;

/// Why an auth request failed. Each case answers with its HTTP status ([`AuthError::status`]) and its message
/// as the `detail`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request carries no access token (cookie or bearer) and dev mode is off; 401.
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,
    /// The access token is not one of this app's unexpired access tokens, or its user no longer exists; 401.
    #[error("Given token not valid for any token type")]
    InvalidAccessToken,
    /// A refresh without a refresh cookie; 401.
    #[error("No refresh token.")]
    NoRefreshToken,
    /// The refresh token is not valid, has expired, or its session was ended or outlived `SESSION_MAX_AGE`; 401.
    #[error("Refresh token expired.")]
    InvalidRefreshToken,
    /// A refresh token already rotated was presented again, outside the grace for concurrent tabs: the session
    /// is ended, since the token may have been stolen; 401.
    #[error("This refresh token was already used, so its session has been ended. Sign in again.")]
    RefreshTokenReused,
    /// The refresh token's user has been deleted; 401.
    #[error("User not found.")]
    UserNotFound,
    /// The access token's session was ended (signed out elsewhere, or ended from the account page).
    #[error("This session has ended. Sign in again.")]
    SessionEnded,
    /// The session to end is not one of the user's live sessions, or the request's token names no session; 404.
    #[error("Session not found.")]
    SessionNotFound,
    /// The user has been deactivated (by the admin command); 401.
    #[error("User is inactive")]
    UserInactive,
    /// A sign-in whose body carries no proxy token, or an empty one; 400.
    #[error("No token provided.")]
    MissingToken,
    /// The sign-in body could not be read, or is not a JSON object with a string `token`; holds what is wrong;
    /// 400.
    #[error("Invalid request body: {0}")]
    BadRequest(String),
    /// The sign-in body is over the size limit; 413.
    #[error("The request body is too large.")]
    PayloadTooLarge,
    /// The sign-in body is not JSON; holds the `Content-Type` sent (`none` when absent); 415.
    #[error("Unsupported media type \"{0}\" in request: send the token as application/json.")]
    UnsupportedMediaType(String),
    /// The proxy token fails verification (malformed, too long, not RS256, unknown key, bad signature or
    /// claims); 401.
    #[error("Invalid token.")]
    InvalidProxyToken,
    /// The proxy token's `exp` has passed; 401.
    #[error("Token has expired.")]
    ExpiredProxyToken,
    /// The proxy token started a session that has ended, or was issued before the user signed out everywhere:
    /// an ended session cannot come back through the token a device kept; 401.
    #[error("This sign-in has ended: sign in again.")]
    ProxyTokenEnded,
    /// The verified proxy token carries no usable `email` claim; 400.
    #[error("Token missing email claim.")]
    MissingEmail,
    /// Dev mode: no auth proxy is configured, and every request is already the dev user.
    #[error("Authentication is not configured.")]
    DevMode,
    /// The email belongs to a user linked to another Vector id (or concurrent sign-ins kept colliding); 409.
    #[error("This email address belongs to a different Vector account.")]
    AccountConflict,
    /// The auth proxy's keys could not be fetched (the log says why).
    #[error("Authentication is not configured.")]
    KeysUnavailable,
    /// Postgres could not be reached; 503.
    #[error("Database unavailable.")]
    DatabaseUnavailable,
    /// An unexpected failure (the log says which); 500.
    #[error("Internal server error.")]
    Internal,
    /// The CSRF check refused an unsafe request from another site; holds the reason; 403.
    #[error("CSRF check failed: {0}")]
    Csrf(&'static str),
    #[error("Too many sign-in attempts from this address. Try again in {retry_after} s.")]
    /// Too many sign-ins and refreshes from the client's address this minute; 429, with `Retry-After`.
    RateLimited {
        /// Seconds until the next one is allowed (at least 1).
        retry_after: u64,
    },
    /// Too many sign-ins for one account this minute (`SIGN_INS_PER_USER_PER_MINUTE`); 429, with `Retry-After`.
    #[error("Too many sign-ins for this account: try again in a minute.")]
    TooManySignIns {
        /// Seconds until the next one is allowed (at least 1).
        retry_after: u64,
    },
    /// Too many writes through server functions by one user (`WRITES_PER_USER_PER_MINUTE`); 429, with
    /// `Retry-After`.
    #[error("Too many changes in a short time: try again in a moment.")]
    TooManyWrites {
        /// Seconds until the next one is allowed (at least 1).
        retry_after: u64,
    },
    /// The user's plan does not include what a server function guards (`require_entitlement`); 403.
    #[error("Your plan does not include this: a subscription is needed.")]
    NotEntitled,
}

impl AuthError {
    /// The HTTP status this error answers with.
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
            | Self::ExpiredProxyToken
            | Self::ProxyTokenEnded => StatusCode::UNAUTHORIZED,
            Self::MissingToken | Self::BadRequest(_) | Self::MissingEmail => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Csrf(_) | Self::NotEntitled => StatusCode::FORBIDDEN,
            Self::SessionNotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } | Self::TooManySignIns { .. } | Self::TooManyWrites { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
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
            Self::RateLimited { retry_after }
            | Self::TooManySignIns { retry_after }
            | Self::TooManyWrites { retry_after } => {
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
