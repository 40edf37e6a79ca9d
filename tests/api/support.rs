//! The harness: the real router on loopback over a fresh Postgres database (from `#[sqlx::test]`), a JWKS
//! served over loopback by a stand-in proxy with keys generated here, and a relay that can cut the
//! database off.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use app::config::{Config, Env};
use app::server::{AppState, router};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use leptos::config::LeptosOptions;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdef0123456789";

/// RSA keys are slow to make: each test binary makes these once.
pub fn rsa_key(index: usize) -> &'static RsaPrivateKey {
    static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
    &KEYS.get_or_init(|| {
        (0..3)
            .map(|_| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation"))
            .collect()
    })[index]
}

pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

async fn serve(router: Router) -> (SocketAddr, AbortHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, task.abort_handle())
}

// --- The stand-in auth proxy --------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksMode {
    Normal,
    Error,
    Hang,
    Garbage,
    Oversized,
    Redirect,
}

pub struct SigningKey {
    pub kid: String,
    pub key: &'static RsaPrivateKey,
}

impl SigningKey {
    pub fn new(kid: &str, index: usize) -> Self {
        Self {
            kid: kid.into(),
            key: rsa_key(index),
        }
    }

    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.key.e().to_bytes_be()),
        })
    }

    pub fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.key.to_pkcs1_der().unwrap().as_bytes())
    }

    /// An RS256 token signed with this key, with `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).unwrap()
    }
}

#[derive(Clone)]
struct ProxyState {
    keys: Arc<Mutex<Vec<Value>>>,
    mode: Arc<Mutex<JwksMode>>,
    fetches: Arc<AtomicUsize>,
    elsewhere: Arc<AtomicUsize>,
}

pub struct TestProxy {
    pub addr: SocketAddr,
    pub key: SigningKey,
    state: ProxyState,
    server: AbortHandle,
}

impl TestProxy {
    pub async fn start() -> Self {
        let key = SigningKey::new("key-1", 0);
        let state = ProxyState {
            keys: Arc::new(Mutex::new(vec![key.jwk()])),
            mode: Arc::new(Mutex::new(JwksMode::Normal)),
            fetches: Arc::new(AtomicUsize::new(0)),
            elsewhere: Arc::new(AtomicUsize::new(0)),
        };
        let router = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .route("/elsewhere.json", get(elsewhere))
            .with_state(state.clone());
        let (addr, server) = serve(router).await;
        Self {
            addr,
            key,
            state,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: JwksMode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// Publishes exactly these keys.
    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.state.keys.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }

    /// Requests for the JWKS.
    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Requests for `/elsewhere.json`, where redirects and token headers point.
    pub fn elsewhere_hits(&self) -> usize {
        self.state.elsewhere.load(Ordering::SeqCst)
    }

    /// Stops serving: connections are refused from now on.
    pub fn stop(&self) {
        self.server.abort();
    }

    /// A valid token for `email` with the usual claims plus `extra`.
    pub fn token(&self, email: &str, extra: Value) -> String {
        self.key.sign(&claims(email, extra))
    }
}

/// The proxy's claims for `email`, expiring in an hour, merged with `extra` (a `null` removes a claim).
pub fn claims(email: &str, extra: Value) -> Value {
    let mut claims = json!({
        "email": email,
        "user_id": format!("uga-{email}"),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "picture": "https://example.com/ada.png",
        "iat": now(),
        "exp": now() + 3600,
    });
    for (name, value) in extra.as_object().cloned().unwrap_or_default() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(&name);
        } else {
            claims[name] = value;
        }
    }
    claims
}

async fn elsewhere(State(state): State<ProxyState>) -> Response {
    state.elsewhere.fetch_add(1, Ordering::SeqCst);
    axum::Json(json!({ "keys": *state.keys.lock().unwrap() })).into_response()
}

async fn jwks(State(state): State<ProxyState>) -> Response {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let mode = *state.mode.lock().unwrap();
    match mode {
        JwksMode::Normal => {
            axum::Json(json!({ "keys": *state.keys.lock().unwrap() })).into_response()
        }
        JwksMode::Error => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        JwksMode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        JwksMode::Garbage => "this is not JSON".into_response(),
        JwksMode::Oversized => {
            let filler = "x".repeat(200 * 1024);
            axum::Json(json!({ "keys": *state.keys.lock().unwrap(), "filler": filler }))
                .into_response()
        }
        JwksMode::Redirect => {
            (StatusCode::FOUND, [("location", "/elsewhere.json")]).into_response()
        }
    }
}

// --- The app under test ---------------------------------------------------------------------------------------

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub db: PgPool,
    pub state: AppState,
}

/// The settings every test app starts from.
pub fn base_env() -> Env {
    Env::from_pairs([
        ("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused"),
        ("LEPTOS_ENV", "DEV"),
        ("SECRET_KEY", SECRET_KEY),
    ])
}

pub fn proxy_env(proxy: &TestProxy) -> Env {
    base_env().with("VECTOR_AUTH_PROXY_URL", &proxy.url())
}

impl TestApp {
    pub async fn start(db: PgPool, env: Env) -> Self {
        let config = Config::from_env(&env).expect("test configuration");
        let leptos_options = LeptosOptions::builder()
            .output_name("vector_app")
            .site_root("target/site")
            .build();
        let state = AppState::new(config, db.clone(), leptos_options);
        let (addr, _) = serve(router(state.clone())).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            addr,
            http,
            db,
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

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

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

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

    pub async fn me(&self, session: &Session) -> reqwest::Response {
        self.get("/api/accounts/me/")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, session: &Session) -> reqwest::Response {
        self.post("/api/accounts/auth/refresh")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap()
    }

    pub async fn logout(&self, session: &Session) -> reqwest::Response {
        self.post("/api/accounts/logout/")
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

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// Cookies as a browser would keep them: name → value.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub cookies: HashMap<String, String>,
}

impl Session {
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

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.cookies.insert(name.into(), value.into());
        self
    }

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

pub async fn detail(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON body");
    body["detail"].as_str().expect("a detail string").to_owned()
}

// --- A relay that can cut the app off from Postgres ----------------------------------------------------------

/// A pool (configured by the caller) that reaches the test database through a relay: one that can cut it off,
/// and that holds every chunk of data for `latency` each way.
pub async fn pool_through_relay(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
    latency: Duration,
) -> (PgPool, Relay) {
    let target = tokio::net::lookup_host((connect_options.get_host(), connect_options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let relay = Relay::start(target, latency).await;
    let db = pool_options
        .connect_with(connect_options.host("127.0.0.1").port(relay.port))
        .await
        .unwrap();
    (db, relay)
}

pub struct Relay {
    pub port: u16,
    down: Arc<Mutex<bool>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    /// A relay that holds every chunk of data for `latency` in each direction (zero: none), so round trips
    /// to Postgres can take long enough for a test to cut into them.
    pub async fn start(target: SocketAddr, latency: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(Mutex::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (down2, connections2) = (down.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if *down2.lock().unwrap() {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    if latency.is_zero() {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    } else {
                        let (client_read, client_write) = inbound.split();
                        let (server_read, server_write) = outbound.split();
                        tokio::select! {
                            _ = delayed_copy(client_read, server_write, latency) => {}
                            _ = delayed_copy(server_read, client_write, latency) => {}
                        }
                    }
                });
                connections2.lock().unwrap().push(task.abort_handle());
            }
        });
        Self {
            port,
            down,
            connections,
        }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn go_down(&self) {
        *self.down.lock().unwrap() = true;
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    pub fn come_back(&self) {
        *self.down.lock().unwrap() = false;
    }
}

async fn delayed_copy(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    latency: Duration,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        tokio::time::sleep(latency).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
