//! The app under test: the real router on loopback over the test's own database, and a cookie jar.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use leptos::config::LeptosOptions;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vector_core::env::Env;
use vector_server::{Config, Platform, Server, serve};

use crate::TestProxy;

/// The `SECRET_KEY` every test app signs its tokens with.
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdef0123456789";

/// The output name (`LEPTOS_OUTPUT_NAME`) the bundle of an app generated from the template has.
pub const OUTPUT_NAME: &str = "vector_app";

/// A running app: its address, an HTTP client that does not follow redirects, its database and platform.
pub struct TestApp {
    /// Where it listens, on loopback.
    pub addr: SocketAddr,
    /// A client that does not follow redirects.
    pub http: reqwest::Client,
    /// The test's own database.
    pub db: PgPool,
    /// The services the app runs on (`platform.auth`, …).
    pub platform: Platform,
    /// The stand-in proxy the app signs in through, when `spawn_app` started it.
    proxy: Option<TestProxy>,
    /// What SIGTERM is to the server binary, and the task serving.
    shutdown: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    /// The task that learns of sessions ended on other instances (it holds a database connection).
    watching: JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.watching.abort();
    }
}

/// `server`'s app with sign-in through a stand-in proxy, over the test's database: a feature's test starts
/// here (through the app's own `spawn_app`, which names its server).
pub async fn spawn<S: Clone + Send + Sync + 'static>(server: &Server<S>, db: PgPool) -> TestApp {
    spawn_with(server, db, &[]).await
}

/// `spawn` with some settings changed.
pub async fn spawn_with<S: Clone + Send + Sync + 'static>(
    server: &Server<S>,
    db: PgPool,
    settings: &[(&str, &str)],
) -> TestApp {
    let proxy = TestProxy::start().await;
    let env = settings
        .iter()
        .fold(proxy_env(&proxy), |env, (name, value)| {
            env.with(name, value)
        });
    let mut app = TestApp::start(server, db, env).await;
    app.proxy = Some(proxy);
    app
}

/// The settings every test app starts from. The rate limits are off (every test client is one address, and
/// tests sign in and write far faster than people do); the tests of the limits turn them on.
pub fn base_env() -> Env {
    Env::from_pairs([
        ("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused"),
        ("LEPTOS_ENV", "DEV"),
        ("SECRET_KEY", SECRET_KEY),
        ("AUTH_RATE_LIMIT_PER_MINUTE", "0"),
        ("SIGN_INS_PER_USER_PER_MINUTE", "0"),
        ("WRITES_PER_USER_PER_MINUTE", "0"),
    ])
}

/// `base_env` signing in through `proxy`.
pub fn proxy_env(proxy: &TestProxy) -> Env {
    base_env().with("VECTOR_AUTH_PROXY_URL", &proxy.url())
}

/// `server`'s app serving the browser bundle from `site` (a site folder laid out as cargo-leptos writes it),
/// with hashed file names or not.
pub async fn spawn_serving<S: Clone + Send + Sync + 'static>(
    server: &Server<S>,
    db: PgPool,
    site: &Path,
    hash_files: bool,
) -> TestApp {
    TestApp::start_with_site(server, db, base_env(), &site.to_string_lossy(), hash_files).await
}

impl TestApp {
    /// `server`'s app with the settings `env`, over `db` (migrated already: `#[sqlx::test]` runs the
    /// migrations, see `migrate`).
    pub async fn start<S: Clone + Send + Sync + 'static>(
        server: &Server<S>,
        db: PgPool,
        env: Env,
    ) -> Self {
        Self::start_with_site(server, db, env, "target/site", false).await
    }

    async fn start_with_site<S: Clone + Send + Sync + 'static>(
        server: &Server<S>,
        db: PgPool,
        env: Env,
        site_root: &str,
        hash_files: bool,
    ) -> Self {
        let config = Config::from_env(&env).expect("test configuration");
        server.migrate(&db).await.expect("the migrations apply");
        let leptos_options = LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(site_root)
            .hash_files(hash_files)
            .build();
        let limits = config.server.clone();
        let platform = Platform::new(config, db.clone(), leptos_options);
        // As the server does: learn of sessions ended on other instances. Served once it knows them, as the
        // server is ready once it does.
        let watching = tokio::spawn(platform.auth.clone().watch_ended_sessions());
        let started = std::time::Instant::now();
        while !platform.auth.knows_ended_sessions() && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = server.router(&platform);
        let server = tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            addr,
            http,
            db,
            platform,
            proxy: None,
            shutdown: Some((stop, server)),
            watching,
        }
    }

    /// Starts a graceful shutdown, as SIGTERM does; the task returned ends when the server has stopped.
    pub fn shut_down(&mut self) -> JoinHandle<()> {
        let (stop, server) = self.shutdown.take().expect("the server is still running");
        let _ = stop.send(());
        server
    }

    /// The stand-in proxy of an app from `spawn_app`.
    pub fn proxy(&self) -> &TestProxy {
        self.proxy
            .as_ref()
            .expect("an app from spawn_app, which starts the stand-in proxy")
    }

    /// Signs in as `email` (a returning user after the first time) and returns the session cookies.
    pub async fn sign_in_as(&self, email: &str) -> Session {
        self.sign_in(&self.proxy().token(email, json!({}))).await
    }

    /// The URL of `path` (which starts with `/`) on this app.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The app's origin (`http://` and its address), as a browser sends it in `Origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A same-origin POST, as the app's own pages send it.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .header("sec-fetch-site", "same-origin")
            .header("origin", self.origin())
    }

    /// A GET of `path`, with no cookies.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    /// Exchanges a proxy token for a session (`POST /api/accounts/auth/token`) and returns the response,
    /// whatever it is.
    pub async fn exchange(&self, token: &str) -> reqwest::Response {
        self.post("/api/accounts/auth/token")
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in with a proxy token and returns the session cookies.
    pub async fn sign_in(&self, token: &str) -> Session {
        let response = self.exchange(token).await;
        assert_eq!(
            response.status(),
            200,
            "sign-in failed: {}",
            response.text().await.unwrap()
        );
        Session::from_response(&response)
    }

    /// `GET /api/accounts/me/` with `session`'s cookies.
    pub async fn me(&self, session: &Session) -> reqwest::Response {
        self.get("/api/accounts/me/")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/accounts/auth/refresh` from this app's own pages, with `session`'s cookies.
    pub async fn refresh(&self, session: &Session) -> reqwest::Response {
        self.post("/api/accounts/auth/refresh")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/accounts/logout/` from this app's own pages, with `session`'s cookies.
    pub async fn logout(&self, session: &Session) -> reqwest::Response {
        self.post("/api/accounts/logout/")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    /// `DELETE /api/accounts/sessions/{id}` from this app's own pages.
    pub async fn end_session(&self, session: &Session, id: &str) -> reqwest::Response {
        self.http
            .delete(self.url(&format!("/api/accounts/sessions/{id}")))
            .header("sec-fetch-site", "same-origin")
            .header("origin", self.origin())
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function the way the Leptos client does: a same-origin, form-encoded POST.
    pub async fn call(
        &self,
        path: &str,
        form: &[(&str, &str)],
        session: &Session,
    ) -> reqwest::Response {
        self.post(path)
            .header("cookie", session.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// How many rows the `users` table holds.
    pub async fn user_count(&self) -> i64 {
        self.rows("users").await
    }

    /// How many rows a table holds.
    pub async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// Cookies as a browser would keep them: name → value.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Each cookie's value, by name.
    pub cookies: HashMap<String, String>,
}

impl Session {
    /// The cookies a response sets.
    pub fn from_response(response: &reqwest::Response) -> Self {
        let mut session = Self::default();
        session.update(response);
        session
    }

    /// Applies a response's Set-Cookie headers (a Max-Age=0 deletes).
    pub fn update(&mut self, response: &reqwest::Response) {
        for (name, value, attributes) in set_cookies(response) {
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(&name);
            } else {
                self.cookies.insert(name, value);
            }
        }
    }

    /// The value of the cookie `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// These cookies with `name` set to `value` (added or replaced): for sending a cookie the app did not set.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.cookies.insert(name.into(), value.into());
        self
    }

    /// The id of the session these cookies belong to, from the access token.
    pub fn id(&self) -> String {
        super::unverified_claims(self.get("access_token").expect("an access token"))["sid"]
            .as_str()
            .expect("an access token names its session")
            .to_owned()
    }

    /// The cookies as the value of a `Cookie` header.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// (name, value, the rest of the header) of each Set-Cookie header.
pub fn set_cookies(response: &reqwest::Response) -> Vec<(String, String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let text = v.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            (
                name.trim().to_owned(),
                value.trim().to_owned(),
                attributes.to_owned(),
            )
        })
        .collect()
}

/// The `detail` string of a response's JSON body, as the app's errors carry it.
pub async fn detail(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON body");
    body["detail"].as_str().expect("a detail string").to_owned()
}
