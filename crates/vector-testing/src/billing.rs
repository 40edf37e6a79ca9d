//! A stand-in for Vector's billing API (the entitlements endpoint), with failure modes to switch to and a
//! record of what it was asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::task::AbortHandle;

use crate::serve;

/// How the stand-in answers the entitlements endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum BillingMode {
    /// Answers this JSON.
    Answer(Value),
    /// Answers this JSON after a while.
    Slow(Value, Duration),
    /// Answers this HTTP status, with a `{"detail": "upstream error"}` body.
    Status(u16),
    /// Answers nothing for a minute (then a 504): for the app's timeout.
    Hang,
    /// A redirect to `/elsewhere`, which answers an "allowed" body: a client that follows it is caught.
    Redirect,
    /// Answers a body that is not JSON.
    Garbage,
    /// Answers an "allowed" body padded with 100 KiB of filler: for the app's limit on its size.
    Oversized,
}

/// A request the stand-in received.
#[derive(Debug, Clone)]
pub struct BillingRequest {
    /// The app id in the request's path.
    pub app_id: String,
    /// The request's headers (the API token among them).
    pub headers: HeaderMap,
}

#[derive(Clone)]
struct BillingState {
    mode: Arc<Mutex<BillingMode>>,
    requests: Arc<Mutex<Vec<BillingRequest>>>,
    elsewhere: Arc<AtomicUsize>,
}

/// A stand-in for Vector's billing API, served over loopback: it answers the entitlements endpoint in its
/// mode and records the requests.
pub struct TestBilling {
    /// Its base URL (`VECTOR_API_URL` in `settings`).
    pub url: String,
    state: BillingState,
    server: AbortHandle,
}

/// Vector's answer: the platform allowed or not, reusable for `expires_in` (none: not reusable).
pub fn entitlements(allowed: bool, expires_in: Option<time::Duration>) -> Value {
    let expires_at = expires_in.map(|d| {
        (time::OffsetDateTime::now_utc() + d)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    });
    json!({
        "entitlements": [{
            "type": "platform",
            "status": if allowed { "active" } else { "inactive" },
            "allowed": allowed,
            "redirect_link": if allowed { Value::Null } else { json!("https://govector.example/plans") },
        }],
        "cache": { "expires_at": expires_at, "version": "v1" },
    })
}

impl TestBilling {
    /// Starts serving on loopback, answering in `mode`.
    pub async fn start(mode: BillingMode) -> Self {
        let state = BillingState {
            mode: Arc::new(Mutex::new(mode)),
            requests: Arc::default(),
            elsewhere: Arc::default(),
        };
        let router = Router::new()
            .route("/api/user-billing/apps/{app_id}/entitlements/", get(answer))
            .route("/elsewhere", get(elsewhere))
            .with_state(state.clone());
        let (addr, server) = serve(router).await;
        Self {
            url: format!("http://{addr}"),
            state,
            server,
        }
    }

    /// The settings that point an app at this stand-in.
    pub fn settings(&self) -> [(&str, &str); 4] {
        [
            ("VECTOR_API_URL", self.url.as_str()),
            ("VITE_APP_ID", "app-1"),
            ("VECTOR_API_TOKEN", "test-api-token"),
            ("VECTOR_ORIGIN", "https://govector.example"),
        ]
    }

    /// Switches how it answers, from the next request on.
    pub fn set_mode(&self, mode: BillingMode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// The entitlements requests it has received, oldest first.
    pub fn requests(&self) -> Vec<BillingRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many entitlements requests it has received.
    pub fn calls(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }

    /// Requests that followed the redirect.
    pub fn elsewhere_hits(&self) -> usize {
        self.state.elsewhere.load(Ordering::SeqCst)
    }

    /// Stops serving: connections are refused from now on.
    pub fn stop(&self) {
        self.server.abort();
    }
}

async fn answer(
    State(state): State<BillingState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    state
        .requests
        .lock()
        .unwrap()
        .push(BillingRequest { app_id, headers });
    let mode = state.mode.lock().unwrap().clone();
    match mode {
        BillingMode::Answer(body) => axum::Json(body).into_response(),
        BillingMode::Slow(body, delay) => {
            tokio::time::sleep(delay).await;
            axum::Json(body).into_response()
        }
        BillingMode::Status(status) => (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({ "detail": "upstream error" })),
        )
            .into_response(),
        BillingMode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        BillingMode::Redirect => (StatusCode::FOUND, [("location", "/elsewhere")]).into_response(),
        BillingMode::Garbage => "this is not JSON".into_response(),
        BillingMode::Oversized => {
            let mut body = entitlements(true, None);
            body["filler"] = json!("x".repeat(100 * 1024));
            axum::Json(body).into_response()
        }
    }
}

async fn elsewhere(State(state): State<BillingState>) -> Response {
    state.elsewhere.fetch_add(1, Ordering::SeqCst);
    axum::Json(entitlements(true, None)).into_response()
}
