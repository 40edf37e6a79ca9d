//! Health checks for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(ready))
        .route("/api/health/live", get(live))
}

/// Readiness: 200 while the database answers, 503 otherwise.
async fn ready(State(db): State<PgPool>) -> Result<Json<Value>, AppError> {
    let ping =
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&db)).await;
    let reason = match ping {
        Ok(Ok(_)) => return Ok(Json(json!({"status": "ok"}))),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 2 s".to_owned(),
    };
    tracing::warn!(%reason, "health check: database unavailable");
    Err(AppError::unavailable("Database unavailable."))
}

/// Liveness: 200 while the process serves; no database work.
async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}
