//! The whole application in one router: API routes (the platform's and the app's), server functions, pages
//! and static files, and the middleware every request passes through.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use leptos::config::LeptosOptions;
use leptos::prelude::{IntoView, provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context};
use tower::ServiceBuilder;
use tower_cookies::CookieManagerLayer;
use tower_http::catch_panic::CatchPanicLayer;
use vector_auth::billing;
use vector_core::error::server_fn_error_status;

use crate::assets;
use crate::headers::{SecurityHeaders, security_headers};
use crate::health;
use crate::platform::Platform;
use crate::request_log::{log_requests, tag_route};

/// The router of an app whose pages are `page_routes`, rendered by `shell`, with its state `app_state`
/// and its REST routes `api`.
pub fn router<S, Shell, ShellView>(
    platform: &Platform,
    app_state: S,
    page_routes: Vec<AxumRouteListing>,
    shell: Shell,
    api: Router<S>,
) -> Router
where
    S: Clone + Send + Sync + 'static,
    Shell: Fn(LeptosOptions) -> ShellView + Clone + Send + Sync + 'static,
    ShellView: IntoView + 'static,
{
    let security = SecurityHeaders::new(&platform.config);
    // Server functions and page renders find the app's state (`from_context`), the auth and billing services
    // (their features' server functions) in their context, and pages a nonce for their scripts.
    let context = {
        let app_state = app_state.clone();
        let auth = platform.auth.clone();
        let billing = platform.billing.clone();
        let security = security.clone();
        move || {
            provide_context(app_state.clone());
            provide_context(auth.clone());
            provide_context(billing.clone());
            security.provide_nonce();
        }
    };
    let leptos_options = platform.leptos_options.clone();
    // A request passes these from top to bottom, its response from bottom to top.
    let middleware = ServiceBuilder::new()
        // First, so that its line covers everything below, and what they log carries the request id.
        .layer(from_fn(log_requests))
        .layer(from_fn_with_state(security, security_headers))
        .layer(CookieManagerLayer::new())
        .layer(from_fn_with_state(
            vector_auth::CsrfGuard::new(platform.auth.clone()),
            vector_auth::csrf_protect,
        ))
        .layer(from_fn_with_state(
            platform.auth.clone(),
            vector_auth::refresh_before_render,
        ))
        .layer(map_response(server_fn_error_status))
        // Innermost: a handler that panics answers a logged 500 that passes through everything above, rather
        // than a dropped connection.
        .map_response(|response: axum::http::Response<_>| response.map(axum::body::Body::new))
        .layer(CatchPanicLayer::custom(panic_response));
    // Pages, server functions and the other static files, compressed when large. Not the REST routes: their
    // answers are a few hundred bytes, and the layer alone cost `/me` several percent of its throughput.
    let render = shell.clone();
    let pages = Router::new()
        .leptos_routes_with_context(platform, page_routes, context.clone(), move || {
            render(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<Platform, _>(
            context, shell,
        ))
        .layer(assets::compression());
    let routes = Router::new()
        .merge(health::routes())
        .merge(vector_auth::routes())
        .merge(billing::routes())
        .merge(vector_ui::routes())
        .merge(assets::bundle_routes(&platform.leptos_options))
        .merge(pages)
        .with_state(platform.clone())
        .merge(api.with_state(app_state))
        // Every route, not the fallback (static files, unknown paths).
        .route_layer(map_response(tag_route));
    // Around the router once, not on each of its routes (`Router::layer`): the middleware clones what it
    // wraps on every request, and a route wrapped in every layer is a chain of boxed services to clone.
    Router::new().fallback_service(middleware.service(routes))
}

/// A handler's panic, as the client sees it: 500 and the JSON every error has, the panic's message in the log
/// only.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a handler panicked");
    axum::response::IntoResponse::into_response(vector_core::AppError::internal())
}
