//! Integration tests: the real router over HTTP on loopback, real Postgres (a fresh database per test,
//! from `#[sqlx::test]` and DATABASE_URL) and a JWKS served over loopback with keys generated here.

mod account_sessions;
mod activity;
mod admin;
mod assets;
mod connections;
mod contract;
mod csrf;
mod dev_auth_proxy;
mod entitlements;
mod forgery;
mod fuzz;
mod headers;
mod health;
mod jwks;
mod key_rotation;
mod malformed;
mod metrics;
mod notes;
mod rate_limits;
mod request_log;
mod server_fns;
mod sessions;
mod startup;
mod support;
