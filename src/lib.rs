//! This app: its shell and routes (`app`), its pages with their server functions (`pages`) and, on the server,
//! its state (`state`). Sign-in, sessions and billing come from `vector-auth`, the server from `vector-server`
//! (under `crates/`).

pub mod app;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod state;

/// The app as the server runs it: its document, routes, state and migrations (`main.rs` runs it, the tests
/// serve it on loopback).
#[cfg(feature = "ssr")]
pub fn server() -> vector_server::Server<state::AppState> {
    vector_server::Server::new(app::shell, app::App, state::AppState::new)
        .migrations(sqlx::migrate!())
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: a page's own code arrives when the browser first goes to it.
    leptos::mount::hydrate_lazy(app::App);
}
