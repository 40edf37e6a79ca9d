//! The server side of sign-in. A request meets it in this order:
//! - `csrf` refuses cross-site unsafe requests; `page_refresh` renews an expired session before a page
//!   renders;
//! - `handlers` (the REST routes) and `extract` (the current user, and `RequestAuth` for the server
//!   functions) read the credentials, call `AuthService` in `service`, and write cookies with `cookies`;
//! - `service` verifies proxy tokens (`proxy_token`, with keys from `jwks`), issues the app's tokens
//!   (`tokens`), rotates refresh tokens (`refresh_tokens`), upserts users (`users`), keeps recently seen
//!   users in memory (`user_cache`) and counts sign-ins and refreshes per client address (`rate_limit`).
//!
//! `config` holds the settings and `error` the errors with the HTTP status each answers with.

pub mod admin;
mod config;
mod cookies;
mod csrf;
mod ended_sessions;
mod error;
mod events;
mod extract;
mod handlers;
mod jwks;
mod page_refresh;
mod proxy_token;
mod rate_limit;
mod refresh_tokens;
mod service;
mod sessions;
mod tokens;
mod user_cache;
mod users;

pub use config::{AuthConfig, CookieSettings, ProxyConfig, SecretKey};
pub use cookies::session_cookies;
pub use csrf::{CsrfGuard, csrf_protect};
pub use error::AuthError;
pub(super) use extract::RequestAuth;
pub use extract::{require_current_user, require_user, require_user_for_write};
pub use handlers::routes;
pub use jwks::JwksClient;
pub use page_refresh::refresh_before_render;
pub use proxy_token::ProxyTokenVerifier;
pub use refresh_tokens::Deleted;
pub use service::{AuthService, Credentials, CurrentUser, NewSession, SignIn};
pub use sessions::{Client, Which};

/// Applies this crate's migrations (`migrations/`: users, sessions, refresh tokens, activity). The server
/// runs them at start, before the app's own, which may reference `users`. Both sets share sqlx's one
/// migrations table, so each ignores the versions it does not hold; their versions must not overlap.
pub async fn migrate(db: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    migrator().run(db).await
}

/// This crate's migrations, as `migrate` runs them.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!();
    migrator.set_ignore_missing(true);
    migrator
}
