//! The whole application in one router: API routes, server functions, pages and static files, and the
//! middleware every request passes through.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use leptos::prelude::provide_context;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use tower::ServiceBuilder;
use tower_cookies::CookieManagerLayer;

use super::assets;
use super::headers::{SecurityHeaders, security_headers};
use super::health;
use super::request_log::{log_requests, tag_route};
use crate::app::{App, shell};
use crate::auth;
use crate::billing;
use crate::error::server_fn_error_status;
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
    // Server functions and page renders find the state (`AppState::from_context`) and the auth and billing
    // services (their features' server functions) in their context, and pages a nonce for their scripts.
    let context = {
        let auth = state.auth.clone();
        let billing = state.billing.clone();
        let security = security.clone();
        move || {
            provide_context(auth.clone());
            provide_context(billing.clone());
            security.provide_nonce();
        }
    };
    let leptos_options = state.leptos_options.clone();
    // A request passes these from top to bottom, its response from bottom to top.
    let middleware = ServiceBuilder::new()
        // First, so that its line covers everything below, and what they log carries the request id.
        .layer(from_fn(log_requests))
        // Server functions read at most this much (the exchange sets a smaller limit of its own).
        .layer(DefaultBodyLimit::max(SERVER_FN_BODY_LIMIT))
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
        .layer(map_response(server_fn_error_status));
    // Pages, server functions and the other static files, compressed when large. Not the REST routes: their
    // answers are a few hundred bytes, and the layer alone cost `/me` several percent of its throughput.
    let pages = Router::new()
        .leptos_routes_with_context(&state, page_routes(), context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(assets::compression());
    let routes = Router::new()
        .merge(health::routes())
        .merge(auth::routes())
        .merge(billing::routes())
        .merge(assets::bundle_routes(&state.leptos_options))
        .merge(pages)
        // Every route, not the fallback (static files, unknown paths).
        .route_layer(map_response(tag_route))
        .with_state(state);
    // Around the router once, not on each of its routes (`Router::layer`): the middleware clones what it
    // wraps on every request, and a route wrapped in every layer is a chain of boxed services to clone.
    Router::new().fallback_service(middleware.service(routes))
}
