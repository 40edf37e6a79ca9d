//! The server of a Vector app: start-up, the router and its middleware, the accept loop with its limits, the
//! database pool and migrations, security headers, the browser bundle, logs, metrics and health checks.
//!
//! An app's `main` hands over to it:
//!
//! ```ignore
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     vector_server::Server::new(app::shell, app::App, app::state::AppState::new)
//!         .migrations(sqlx::migrate!())
//!         .main()
//!         .await
//! }
//! ```
//!
//! [`Server::main`] loads the configuration ([`Config`]), connects to Postgres, applies the platform's
//! migrations and then the app's, builds the [`Platform`] and the app's state, and serves the router until
//! Ctrl-C or SIGTERM. A request meets, in order: the request log, the body limit, the security headers, the
//! cookies, the CSRF check, the refresh before a page renders, then the routes (health, the auth and billing
//! REST routes, the bundle under `/pkg`, the app's REST routes, server functions and pages).

#![deny(missing_docs)]

mod assets;
mod config;
mod db;
mod headers;
mod health;
mod logs;
mod metrics;
mod platform;
mod request_log;
mod router;
mod serve;
mod server;

pub use assets::compression;
pub use config::{Config, ServerLimits};
pub use db::MigrationError;
pub use health::check_live;
pub use logs::{LogGuard, init_tracing};
pub use platform::{Platform, from_context, ping_database};
pub use serve::serve;
pub use server::{Server, StartupError};
