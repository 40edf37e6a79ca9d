//! The error every server function returns, on both sides of the wire, and on the server its HTTP status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An HTTP status and a `detail` meant for people. The JSON form, `{"status": 401, "detail": "…"}`, also
/// reads the `{"detail": "…"}` bodies of the REST routes and the CSRF check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{detail}")]
pub struct AppError {
    /// The HTTP status (0 in the browser when the server could not be reached).
    #[serde(default = "internal_status")]
    pub status: u16,
    /// What went wrong, for people; never a secret or an internal detail.
    pub detail: String,
}

fn internal_status() -> u16 {
    500
}

impl AppError {
    /// An error answering `status`.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// 400: the input was refused; `detail` says why, for the form to show.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, detail)
    }

    /// 503: something the answer depends on (the database, Vector's API) cannot be reached; try again.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, detail)
    }

    /// 500, saying nothing more: the details go to the log.
    pub fn internal() -> Self {
        Self::new(500, "Internal server error.")
    }

    /// Whether it is a 401: not signed in, or the session ended.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                Self::bad_request(format!("Invalid arguments: {detail}"))
            }
            // On the server: the request body could not be read (in the browser: the response). Its size and
            // its pace were checked when it was read (vector-server's accept loop: 413, 408).
            ServerFnErrorErr::Deserialization(detail) if cfg!(feature = "ssr") => {
                Self::bad_request(format!("Invalid request body: {detail}"))
            }
            // Status 0: the request never got an answer.
            ServerFnErrorErr::Request(_) => {
                Self::new(0, "Cannot reach the server. Check your connection.")
            }
            other => Self::new(500, other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{is_body_timeout, server_fn_error_status};

#[cfg(feature = "ssr")]
mod ssr {
    use axum::Json;
    use axum::body::{Body, to_bytes};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

    use super::AppError;

    /// Larger error bodies are passed on untouched.
    const MAX_ERROR_BODY: usize = 64 * 1024;

    /// Whether a body could not be read because it stopped arriving (the router's body timeout).
    pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
        std::iter::successors(Some(error), |e| e.source())
            .any(|e| e.is::<tower_http::timeout::TimeoutError>())
    }

    /// A database error in app code: 503 while Postgres cannot be reached (the client may retry), 500 for
    /// anything else. Logged here, once; the client gets no details.
    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed => {
                    tracing::warn!(error = %e, "database unavailable");
                    AppError::unavailable("Database unavailable.")
                }
                e => {
                    tracing::error!(error = %e, "database error");
                    AppError::internal()
                }
            }
        }
    }

    /// In a plain axum handler (a REST route) or middleware: the status, and `{"status": …, "detail": "…"}`
    /// (govector-auth's `detail`, plus the status for the browser's server-function client, which reads the
    /// body of a failed call and not its HTTP status).
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(self)).into_response()
        }
    }

    /// Middleware: a failing server function answers 500 whatever went wrong; this gives the response the
    /// status its `AppError` carries (401, 403, 400, 503, …). Rendered pages are not touched.
    pub async fn server_fn_error_status(response: Response) -> Response {
        if response.status() != StatusCode::INTERNAL_SERVER_ERROR
            || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
        {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
            return Response::from_parts(
                parts,
                Body::from("{\"status\":500,\"detail\":\"Internal server error.\"}"),
            );
        };
        if let Ok(error) = serde_json::from_slice::<AppError>(&bytes)
            && let Ok(status) = StatusCode::from_u16(error.status)
            && (status.is_client_error() || status.is_server_error())
        {
            parts.status = status;
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}
