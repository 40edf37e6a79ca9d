//! Sign-in through Vector's auth proxy and the app's own cookie session, in one feature module.
//!
//! This file is the feature's front door: everything pages, start-up, tests and benches use is re-exported
//! here, and the folders behind it are private.
//! - Shared by server and browser: the types that cross the wire (`types`), the server functions
//!   (`server_fns`), the `Auth` context (`context`), the components (`components`) and the account page
//!   (`account`).
//! - `ssr/` (server only): settings, proxy keys and tokens, the app's tokens, refresh rotation, users,
//!   cookies, CSRF, the REST routes and the service they share with the server functions.
//! - `hydrate/` (browser only): silent refresh, cross-tab sync and the sign-in redirects.

mod account;
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
pub use components::{AuthCallback, RequireUser, UserMenu, load_for_user, provide_auth};
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
    SignIn, Which, csrf_protect, refresh_before_render, require_current_user, require_user, routes,
    session_cookies,
};
