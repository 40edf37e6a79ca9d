//! What both benchmarks need: the database, free ports and the dev auth proxy as the token issuer.
// Each benchmark uses part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Postgres the benchmarks use (`scripts/bench` starts a throwaway one and sets it).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres the benchmark may write to (scripts/bench sets it)",
    )
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until something accepts connections on the port, or panics with `what` after `timeout`.
pub fn wait_for_port(port: u16, what: &str, timeout: Duration) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < timeout,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The dev auth proxy binary, run as a separate process, as in development.
pub struct DevProxy {
    pub url: String,
    process: Child,
    http: reqwest::Client,
}

impl DevProxy {
    pub fn start() -> Self {
        let port = free_port();
        let process = Command::new(env!("CARGO_BIN_EXE_dev-auth-proxy"))
            .env("DEV_AUTH_PROXY_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the dev auth proxy");
        wait_for_port(port, "the dev auth proxy", Duration::from_secs(30));
        Self {
            url: format!("http://127.0.0.1:{port}"),
            process,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
        }
    }

    /// A proxy token for `email`, from the proxy's sign-in form (the token travels in the redirect's fragment).
    pub async fn token(&self, email: &str) -> String {
        let response = self
            .http
            .post(format!("{}/login", self.url))
            .form(&[
                ("redirect_uri", "http://127.0.0.1/auth/callback"),
                ("state", "bench"),
                ("email", email),
                ("first_name", "Bench"),
                ("last_name", "User"),
            ])
            .send()
            .await
            .expect("the dev auth proxy answers");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| {
                panic!("no redirect from the dev auth proxy: {}", response.status())
            });
        let fragment = location.split_once('#').expect("a fragment").1;
        url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(k, _)| k == "token")
            .expect("a token in the fragment")
            .1
            .into_owned()
    }

    /// Tokens for many emails, a few signings at a time.
    pub async fn tokens(&self, emails: impl IntoIterator<Item = String>) -> Vec<String> {
        use futures::StreamExt;
        futures::stream::iter(emails)
            .map(|email| async move { self.token(&email).await })
            .buffered(8)
            .collect()
            .await
    }
}

impl Drop for DevProxy {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
