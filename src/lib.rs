//! A Vector app: Leptos pages and server functions, served by axum, with sign-in through Vector's auth proxy.
//!
//! - `app`: the shell (routes, layout, error pages); your pages are added there.
//! - `auth`: sign-in, sessions, CSRF and the current user, all in one feature module.
//! - `home` and `notes`: the example pages; `notes` is the model for a feature of your own.
//! - server-only: `config`, `db`, `health` and `server` (start-up and router).

pub mod app;
pub mod auth;
pub mod error;
pub mod home;
pub mod notes;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod health;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
