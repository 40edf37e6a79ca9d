//! Health checks for load balancers and orchestrators. The server listens only once its migrations are
//! applied, so any answer comes after them.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/health/ready", get(ready))
        .route("/api/health/live", get(live))
}

/// 200 while the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.ping_database().await?;
    Ok(Json(json!({"status": "ok"})))
}

/// Readiness, for a load balancer or orchestrator to send traffic: the database answers and, when an auth
/// proxy is configured, its keys have been fetched (the warm-up at start); 503 until then.
async fn ready(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    if !state.auth.is_ready().await {
        return Err(AppError::unavailable(
            "Not ready: the auth proxy's keys are not loaded yet.",
        ));
    }
    state.ping_database().await?;
    Ok(Json(json!({"status": "ready"})))
}

/// Liveness: 200 while the process serves; no database work.
async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}
