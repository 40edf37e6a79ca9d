//! A Vector app: Leptos pages and server functions, served by axum, with sign-in through Vector's auth proxy.
//!
//! From the top down (each module uses only those below it):
//! - `server` (server only): start-up, the router, the database pool and migrations, health checks;
//! - `app`: the shell (document, layout, routes);
//! - `pages`: the pages and their server functions (`notes` is the model for a feature of your own);
//! - `state` (server only): what handlers, server functions and pages reach (`AppState`);
//! - `config` (server only): the settings, loaded once at start;
//! - `billing`: what the signed-in user's subscription allows (Vector's entitlements), behind its front door;
//! - `auth`: sign-in, sessions, CSRF and the current user, one feature behind one front door;
//! - `error` (`AppError`), `fields` (the checks of the features `scripts/new-feature` writes), `env` (reading
//!   the environment) and `client_ip` (which address a request comes from; both server only) at the bottom.

pub mod app;
pub mod auth;
pub mod billing;
pub mod error;
pub mod fields;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod env;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
