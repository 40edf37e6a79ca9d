//! The test harness of Vector apps and of the platform's own crates: the real router on loopback over a
//! fresh Postgres database, stand-ins for the services the app calls, and a cookie jar.
//!
//! - [`TestApp`]: an app (any [`Server`](vector_server::Server)) on loopback over the test's own database
//!   (from `#[sqlx::test]`); a test starts with `let app = spawn_app(db).await;` (the app's own wrapper of
//!   [`spawn`]) and `let session = app.sign_in_as("ada@example.com").await;`
//! - [`TestProxy`]: a stand-in for the auth proxy's JWKS, served over loopback with keys generated here;
//! - [`TestBilling`]: a stand-in for Vector's billing API (entitlements), with failure modes;
//! - [`Relay`]: a relay between the app and Postgres that can cut the database off or slow it down;
//! - [`DevAuthProxy`]: the dev auth proxy binary as a process (shared with the benchmarks);
//! - [`RunningServer`]: a server binary as a process;
//! - [`site`]: a small app on the platform, for the platform crates' own tests.

#![deny(missing_docs)]

mod app;
mod billing;
mod dev_auth_proxy;
mod proxy;
mod relay;
mod server_process;
pub mod site;

pub use app::*;
pub use billing::*;
pub use dev_auth_proxy::*;
pub use proxy::*;
pub use relay::*;
pub use server_process::*;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

/// The URL of the test's own database (DATABASE_URL names the server; `#[sqlx::test]` made the database), for
/// the binaries a test runs.
pub fn database_url(db: &sqlx::PgPool) -> String {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let name = db.connect_options().get_database().unwrap().to_owned();
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// Now, in seconds since the Unix epoch (as tokens count time).
pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// A JWT's claims, read without checking anything: for asserting what the app put in its tokens.
pub fn unverified_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&json).expect("JSON claims")
}

async fn serve(router: Router) -> (SocketAddr, AbortHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    (addr, task.abort_handle())
}
