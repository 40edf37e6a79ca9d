//! Integration tests of this app's pages and server functions: the app's real router over HTTP on loopback,
//! real Postgres (a fresh database per test, from `#[sqlx::test]` and DATABASE_URL) and a stand-in auth
//! proxy. The platform's own tests are in `crates/*/tests`.

mod home;
mod notes;
mod support;
