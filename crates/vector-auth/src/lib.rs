//! Sign-in through Vector's auth proxy, the app's own cookie sessions, and Vector's billing (what the
//! signed-in user's subscription allows): the platform's account features for a Leptos + axum app.
//!
//! Pages use the [`prelude`]: `use vector_auth::prelude::*;` brings the components ([`RequireUser`],
//! [`RequireEntitlement`](billing::RequireEntitlement)), the client calls ([`with_refresh`],
//! [`load_for_user`]), the server-side checks ([`require_user`], [`require_user_for_write`],
//! [`require_entitlement`](billing::require_entitlement)), [`AppError`](vector_core::AppError), the field checks
//! and lists in pages. The server (`vector-server`) mounts the REST routes, the CSRF check
//! and the page refresh, and runs this crate's migrations ([`migrate`]) before the app's.
//!
//! - Shared by server and browser: the types that cross the wire (`types`), the server functions
//!   (`server_fns`), the `Auth` context (`context`), the components (`components`), the account page
//!   (`account`) and the routes of both ([`AuthRoutes`]).
//! - `ssr/` (server only): settings, proxy keys and tokens, the app's tokens, refresh rotation, users,
//!   cookies, CSRF, the REST routes and the service they share with the server functions.
//! - `hydrate/` (browser only): silent refresh, cross-tab sync and the sign-in redirects.
//! - [`billing`]: Vector's entitlements, the same way.
//!
//! Binaries: `dev-auth-proxy` (a local stand-in for Vector's auth proxy) and `admin` (the operators'
//! command), both with the `ssr` feature.

#![deny(missing_docs)]

mod account;
pub mod billing;
mod components;
mod context;
mod return_path;
mod server_fns;
mod types;

#[cfg(feature = "hydrate")]
mod hydrate;
// On the server, the browser-only calls are stand-ins that do nothing.
#[cfg(not(feature = "hydrate"))]
#[path = "hydrate_stub.rs"]
mod hydrate;
#[cfg(feature = "ssr")]
mod ssr;

pub use account::AccountPage;
pub use components::{
    AuthCallback, AuthRoutes, RequireUser, UserMenu, load_for_user, provide_auth,
};
pub use context::Auth;
pub use hydrate::with_refresh;
pub use server_fns::{
    CurrentSession, EndAllSessions, EndOtherSessions, EndSession, ExchangeToken, ListSessions,
    LoadAccount, Logout, RefreshSession, SessionStatus, current_session, end_all_sessions,
    end_other_sessions, end_session, exchange_token, list_sessions, load_account, logout,
    refresh_session, session_status,
};
pub use types::{AccountOverview, ActivityEvent, AuthStatus, SessionInfo, SessionRecord, User};

#[cfg(feature = "ssr")]
pub use ssr::admin;
#[cfg(feature = "ssr")]
pub use ssr::{
    AuthConfig, AuthError, AuthService, Client, CookieSettings, Credentials, CsrfGuard,
    CurrentUser, Deleted, JwksClient, NewSession, ProxyConfig, ProxyTokenVerifier, SecretKey,
    SignIn, Which, csrf_protect, migrate, migrator, refresh_before_render, require_current_user,
    require_user, require_user_for_write, routes, session_cookies,
};

/// What a page of the app needs, in one line: `use vector_auth::prelude::*;`.
///
/// Server-only items (`require_user`, `require_user_for_write`, `require_entitlement`, `CurrentUser`) are there
/// in the server build only; a page uses them inside its server functions, whose bodies are left out of the
/// browser build.
pub mod prelude {
    pub use crate::billing::{PLATFORM, RequireEntitlement};
    pub use crate::{Auth, RequireUser, User, load_for_user, with_refresh};
    #[cfg(feature = "ssr")]
    pub use crate::{
        CurrentUser, billing::require_entitlement, require_user, require_user_for_write,
    };
    pub use vector_core::AppError;
    pub use vector_core::fields;
    pub use vector_core::http::set_page_status;
    pub use vector_core::paging::{Cursor, PAGE_SIZE, Page};
    pub use vector_ui::{LocalDateTime, on_result, use_toast};
}
