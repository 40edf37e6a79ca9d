//! The dev auth proxy binary (`vector-auth`'s `dev-auth-proxy`), run as its own process as in development:
//! for the integration tests and the benchmarks.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// The dev auth proxy, running; stopped when dropped.
pub struct DevAuthProxy {
    /// Its base URL.
    pub url: String,
    /// A client that does not follow redirects, so the proxy's redirect back to the app can be read.
    pub http: reqwest::Client,
    process: Child,
}

impl DevAuthProxy {
    /// Starts the proxy `binary` on a free port with these settings (`DEV_AUTH_PROXY_*`) and waits until it
    /// listens.
    pub fn start(binary: impl AsRef<Path>, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let binary = binary.as_ref();
        let process = Command::new(binary)
            .env("DEV_AUTH_PROXY_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the dev auth proxy {}: {e}", binary.display())
            });
        let proxy = Self {
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            process,
        };
        wait_for_port(port, "the dev auth proxy", Duration::from_secs(30));
        proxy
    }

    /// Submits the proxy's sign-in form.
    pub async fn submit_sign_in(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}/login", self.url))
            .form(form)
            .send()
            .await
            .expect("the dev auth proxy answers")
    }

    /// A proxy token for `email`, from the sign-in form (the token travels in the redirect's fragment).
    pub async fn token(&self, email: &str) -> String {
        self.token_with(email, &[]).await
    }

    /// `token`, with more fields of the sign-in form (`("subscription", "none")`, say).
    pub async fn token_with(&self, email: &str, fields: &[(&str, &str)]) -> String {
        let mut form = vec![
            ("redirect_uri", "http://127.0.0.1/auth/callback"),
            ("state", "test"),
            ("email", email),
            ("first_name", "Test"),
            ("last_name", "User"),
        ];
        form.extend_from_slice(fields);
        let response = self.submit_sign_in(&form).await;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| {
                panic!("no redirect from the dev auth proxy: {}", response.status())
            });
        fragment_params(location)
            .remove("token")
            .expect("a token in the fragment")
    }
}

impl Drop for DevAuthProxy {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The parameters in a redirect's fragment (`…#token=…&state=…`).
pub fn fragment_params(location: &str) -> HashMap<String, String> {
    let fragment = location
        .split_once('#')
        .unwrap_or_else(|| panic!("no fragment in {location}"))
        .1;
    url::form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect()
}
