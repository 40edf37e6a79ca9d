//! The harness, one file per concern:
//! - `app`: the real router on loopback over a fresh Postgres database (from `#[sqlx::test]`); a test
//!   starts with `let app = spawn_app(db).await;` and `let session = app.sign_in_as("ada@example.com").await;`
//! - `proxy`: a stand-in for the auth proxy's JWKS, served over loopback with keys generated here;
//! - `billing`: a stand-in for Vector's billing API (entitlements), with failure modes;
//! - `relay`: a relay between the app and Postgres that can cut the database off or slow it down;
//! - `dev_auth_proxy`: the dev auth proxy binary as a process (shared with the benchmarks);
//! - `server_process`: the server binary as a process.

mod app;
mod billing;
// Shared with the benchmarks, which use other parts of it.
#[allow(dead_code)]
#[path = "../../common/dev_auth_proxy.rs"]
mod dev_auth_proxy;
mod proxy;
mod relay;
mod server_process;

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
