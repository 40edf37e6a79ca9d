//! Sign-in through Vector's auth proxy and the app's own cookie session, in one feature module.
//!
//! Request flow: `handlers` (REST routes) and `server_fns` (Leptos) are thin; both call [`AuthService`] in
//! `service`, which verifies proxy tokens (`proxy_token` with keys from `jwks`), issues the app's tokens
//! (`tokens`), rotates refresh tokens (`refresh_tokens`), upserts users (`users`) and keeps recently seen
//! users in memory for a few seconds (`user_cache`). `cookies` builds the cookies, `csrf` guards every
//! unsafe request and `extract` gives handlers the signed-in user.
//! `page_session` refreshes an expired session before a page renders.
//!
//! In the browser: `client` (the `Auth` context, sign-in redirect, silent refresh, cross-tab sync) and
//! `components` (user menu, the `/auth/callback` page, `RequireUser` for protected pages).

use serde::{Deserialize, Serialize};

pub mod client;
mod components;
pub mod server_fns;

pub use client::{Auth, with_refresh};
pub use components::{AuthCallback, RequireUser, UserMenu};
pub use server_fns::{current_session, exchange_token, logout, refresh_session, session_status};

#[cfg(feature = "ssr")]
mod config;
#[cfg(feature = "ssr")]
pub mod cookies;
#[cfg(feature = "ssr")]
pub mod csrf;
#[cfg(feature = "ssr")]
mod error;
#[cfg(feature = "ssr")]
mod extract;
#[cfg(feature = "ssr")]
mod handlers;
#[cfg(feature = "ssr")]
pub mod jwks;
#[cfg(feature = "ssr")]
mod page_session;
#[cfg(feature = "ssr")]
pub mod proxy_token;
#[cfg(feature = "ssr")]
pub mod refresh_tokens;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
mod tokens;
#[cfg(feature = "ssr")]
mod user_cache;
#[cfg(feature = "ssr")]
mod users;

#[cfg(feature = "ssr")]
pub use config::{AuthConfig, CookieSettings, ProxyConfig, SecretKey};
#[cfg(feature = "ssr")]
pub use cookies::no_store_when_setting_cookies;
#[cfg(feature = "ssr")]
pub use error::AuthError;
#[cfg(feature = "ssr")]
pub use extract::{CurrentUser, require_user};
#[cfg(feature = "ssr")]
pub use handlers::routes;
#[cfg(feature = "ssr")]
pub use page_session::refresh_before_render;
#[cfg(feature = "ssr")]
pub use service::{AuthService, Credentials};

/// The signed-in user, as `GET /api/accounts/me/` returns it (govector-auth's shape, with a string id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub picture: String,
}

/// What the browser needs to know about its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: User,
    /// Unix seconds at which the access token expires; the client refreshes ahead of it. `None` when the
    /// request carried no access token (dev mode).
    pub access_expires_at: Option<i64>,
    /// True when no auth proxy is configured and everyone is the dev user.
    pub dev_mode: bool,
}

/// What the UI needs to render the header and protected pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStatus {
    /// `None` when nobody is signed in.
    pub session: Option<SessionInfo>,
    /// The auth proxy's sign-in page; `None` in dev mode.
    pub login_url: Option<String>,
}
