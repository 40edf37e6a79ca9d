//! Health checks for load balancers and orchestrators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Router, response::IntoResponse};
use serde_json::json;
use sqlx::PgPool;

use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(ready))
        .route("/api/health/live", get(live))
}

/// Readiness: 200 while the database answers, 503 otherwise.
async fn ready(State(db): State<PgPool>) -> impl IntoResponse {
    let ping =
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&db)).await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"detail": "Database unavailable."})),
            )
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 2 s");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"detail": "Database unavailable."})),
            )
        }
    }
}

/// Liveness: 200 while the process serves; no database work.
async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}
