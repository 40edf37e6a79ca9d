//! Integration tests of the server: the real router over HTTP on loopback, serving the platform's test site
//! (`vector_testing::site`, and the example `site` when the process itself is under test), real Postgres (a
//! fresh database per test, from `#[sqlx::test]` and DATABASE_URL).

mod assets;
mod connections;
mod fuzz;
mod headers;
mod health;
mod malformed;
mod metrics;
mod panics;
mod request_log;
mod startup;
mod theme;

mod support {
    pub use vector_testing::site::{self, spawn_app, spawn_app_serving, spawn_app_with};
    pub use vector_testing::*;
}
