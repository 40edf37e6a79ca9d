//! Health checks for load balancers and orchestrators.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(ready))
        .route("/api/health/live", get(live))
}

/// Readiness: 200 while the database answers, 503 otherwise.
async fn ready(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.ping_database().await?;
    Ok(Json(json!({"status": "ok"})))
}

/// Liveness: 200 while the process serves; no database work.
async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}
