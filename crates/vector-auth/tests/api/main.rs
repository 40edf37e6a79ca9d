//! Integration tests of sign-in, sessions, CSRF and billing: the real router (vector-server) over HTTP on
//! loopback, serving the platform's test site (`vector_testing::site`), real Postgres (a fresh database per
//! test, from `#[sqlx::test]` and DATABASE_URL) and a JWKS served over loopback with keys generated here.

mod account_sessions;
mod activity;
mod admin;
mod contract;
mod csrf;
mod dev_auth_proxy;
mod entitlements;
mod forgery;
mod jwks;
mod key_rotation;
mod limits;
mod rate_limits;
mod replay;
mod server_fns;
mod sessions;

mod support {
    pub use vector_testing::site::{self, spawn_app, spawn_app_with};
    pub use vector_testing::*;
}
