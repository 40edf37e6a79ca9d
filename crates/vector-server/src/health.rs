//! Health checks for load balancers and orchestrators. The server listens only once its migrations are
//! applied, so any answer comes after them.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use vector_core::AppError;

use crate::platform::{Platform, ping_database};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/health/ready", get(ready))
        .route("/api/health/live", get(live))
}

/// 200 while the database answers, 503 otherwise.
async fn health(State(db): State<sqlx::PgPool>) -> Result<Json<Value>, AppError> {
    ping_database(&db).await?;
    Ok(Json(json!({"status": "ok"})))
}

/// Readiness, for a load balancer or orchestrator to send traffic: the database answers, this instance knows
/// which sessions ended lately (its first catch-up), and, when an auth proxy is configured, its keys have been
/// fetched (the warm-up at start); 503 until then.
async fn ready(State(platform): State<Platform>) -> Result<Json<Value>, AppError> {
    if !platform.auth.is_ready().await {
        return Err(AppError::unavailable(
            "Not ready: the auth proxy's keys are not loaded yet.",
        ));
    }
    if !platform.auth.knows_ended_sessions() {
        return Err(AppError::unavailable(
            "Not ready: the ended sessions are not known yet.",
        ));
    }
    ping_database(&platform.db).await?;
    Ok(Json(json!({"status": "ready"})))
}

/// Liveness: 200 while the process serves; no database work.
async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `server healthcheck`: asks the server running beside it (`LEPTOS_SITE_ADDR`, an unspecified address meaning
/// loopback) for `/api/health/live`. For a container's HEALTHCHECK, where the image has no curl.
pub async fn check_live() -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    let mut addr: SocketAddr = std::env::var("LEPTOS_SITE_ADDR")
        .ok()
        .and_then(|raw| raw.trim().parse().ok())
        .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 3000)));
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build();
    let Ok(client) = client else { return false };
    client
        .get(format!("http://{addr}/api/health/live"))
        .send()
        .await
        .is_ok_and(|response| response.status() == reqwest::StatusCode::OK)
}
