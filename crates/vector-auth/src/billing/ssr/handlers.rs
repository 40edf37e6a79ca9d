//! The REST route, with govector-auth's path and bodies.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::service::EntitlementsService;
use crate::{AuthService, CurrentUser};

/// `GET /api/accounts/billing/entitlements/`, for any router state that holds both services.
pub fn routes<S>() -> Router<S>
where
    AuthService: FromRef<S>,
    EntitlementsService: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/api/accounts/billing/entitlements/", get(entitlements))
}

/// 200 with Vector's answer for the signed-in user, or govector-auth's fallback body; 401 when signed out.
async fn entitlements(
    State(service): State<EntitlementsService>,
    user: CurrentUser,
) -> impl IntoResponse {
    let answer = service.for_user(user.vector_id.as_deref()).await;
    ([(header::CONTENT_TYPE, "application/json")], answer.body)
}
