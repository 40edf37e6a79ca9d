//! The server's stand-ins for the browser-only calls in `hydrate/`, with the same signatures.
//!
//! The server renders the components but never runs their effects or event handlers, so these do nothing,
//! except `with_refresh`, which calls the server function once: there is no browser session to refresh.

use leptos::prelude::RwSignal;
use leptos_router::NavigateOptions;

use super::context::Auth;
use vector_core::error::AppError;

pub fn start(_auth: Auth) {}

/// Calls the server function once: on the server there is no browser session to refresh.
pub async fn with_refresh<T, F, Fut>(call: F) -> Result<T, AppError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    call().await
}

pub fn begin_sign_in(_auth: Auth, _login_url: &str, _return_to: &str) {}

pub fn is_framed() -> bool {
    false
}

pub fn announce_signed_out() {}

pub fn complete_sign_in(
    _auth: Auth,
    _toasts: vector_ui::Toasts,
    _error: RwSignal<Option<String>>,
    _return_to: RwSignal<String>,
    _navigate: impl Fn(&str, NavigateOptions) + 'static,
) {
}
