//! The whole application in one router: API routes, server functions, pages and static files, and the
//! middleware every request passes through.

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::RETRY_AFTER;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceBuilder};
use tower_cookies::CookieManagerLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutBody};

use super::headers::{SecurityHeaders, security_headers};
use super::health;
use crate::app::{App, shell};
use crate::auth;
use crate::error::{AppError, server_fn_error_status};
use crate::state::AppState;

/// The largest request body a server function reads; more answers 413.
const SERVER_FN_BODY_LIMIT: usize = 64 * 1024;

/// The pages' routes, listed once per process: while Leptos lists them it holds back every resource
/// that starts loading anywhere in the process, for good (leptos#4773), so listing them again while
/// pages render (a second router, as the tests build) would leave those renders hanging.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::LazyLock<Vec<AxumRouteListing>> =
        std::sync::LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

pub fn router(state: AppState) -> Router {
    let security = SecurityHeaders::new(&state.config);
    // Server functions and page renders find the state (`AppState::from_context`) and the auth service
    // (auth's server functions) in their context, and pages a nonce for their scripts.
    let context = {
        let auth = state.auth.clone();
        let security = security.clone();
        move || {
            provide_context(auth.clone());
            security.provide_nonce();
        }
    };
    let leptos_options = state.leptos_options.clone();
    let limits = &state.config.server;
    Router::new()
        .merge(health::routes())
        .merge(auth::routes())
        .leptos_routes_with_context(&state, page_routes(), context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        // Server functions read at most this much (the auth routes set a smaller limit of their own).
        .layer(DefaultBodyLimit::max(SERVER_FN_BODY_LIMIT))
        // A request passes these from top to bottom, its response from bottom to top.
        .layer(
            ServiceBuilder::new()
                // Past the limit a request is turned away at once rather than queued.
                .layer(HandleErrorLayer::new(overloaded_or_timed_out))
                .load_shed()
                // Global: `Router::layer` gives every route its own copy of a layer.
                .layer(GlobalConcurrencyLimitLayer::new(
                    limits.max_concurrent_requests,
                ))
                .timeout(limits.request_timeout)
                .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout))
                .map_request(|request: Request<TimeoutBody<Body>>| request.map(Body::new))
                .layer(from_fn_with_state(security, security_headers))
                .layer(CookieManagerLayer::new())
                .layer(from_fn_with_state(
                    auth::CsrfGuard::new(state.auth.clone()),
                    auth::csrf_protect,
                ))
                .layer(from_fn_with_state(
                    state.auth.clone(),
                    auth::refresh_before_render,
                ))
                .layer(from_fn(server_fn_error_status)),
        )
        .with_state(state)
}

/// The answer to a request the concurrency limit turned away or the request timeout ended.
async fn overloaded_or_timed_out(error: BoxError) -> Response {
    if error.is::<tower::load_shed::error::Overloaded>() {
        let error = AppError::unavailable("The server is busy. Try again shortly.");
        return ([(RETRY_AFTER, "1")], error).into_response();
    }
    if error.is::<tower::timeout::error::Elapsed>() {
        return AppError::unavailable("The server took too long to answer.").into_response();
    }
    tracing::error!(%error, "unexpected middleware error");
    AppError::internal().into_response()
}
