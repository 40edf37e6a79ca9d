//! What the load benchmark needs: the database, free ports and the dev auth proxy as the token issuer.

pub use vector_testing::{DevAuthProxy, free_port, wait_for_port};

/// The Postgres the benchmarks use (`scripts/bench` starts a throwaway one and sets it).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres the benchmark may write to (scripts/bench sets it)",
    )
}

/// vector-auth's `dev-auth-proxy`, built beside the benchmark (`scripts/bench` builds it).
pub fn dev_auth_proxy_binary() -> std::path::PathBuf {
    let bench = std::env::current_exe().expect("the benchmark's path");
    // target/<profile>/deps/<benchmark> → target/<profile>/dev-auth-proxy
    let binary = bench
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the benchmark is in target/<profile>/deps")
        .join("dev-auth-proxy");
    assert!(
        binary.is_file(),
        "{} is missing: build it with `cargo build --release -p vector-auth --features ssr --bin dev-auth-proxy`",
        binary.display()
    );
    binary
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
