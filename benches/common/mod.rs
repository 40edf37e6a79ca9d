//! What both benchmarks need: the database, free ports and the dev auth proxy as the token issuer.
// Each benchmark uses part of it.
#![allow(dead_code, unused_imports)]

#[path = "../../tests/common/dev_auth_proxy.rs"]
mod dev_auth_proxy;

pub use dev_auth_proxy::{DevAuthProxy, free_port, wait_for_port};

/// The Postgres the benchmarks use (`scripts/bench` starts a throwaway one and sets it).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres the benchmark may write to (scripts/bench sets it)",
    )
}

/// Proxy tokens for many emails, a few signings at a time.
pub async fn tokens(proxy: &DevAuthProxy, emails: impl IntoIterator<Item = String>) -> Vec<String> {
    use futures::StreamExt;
    futures::stream::iter(emails)
        .map(|email| async move { proxy.token(&email).await })
        .buffered(8)
        .collect()
        .await
}
