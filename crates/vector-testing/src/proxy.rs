//! A stand-in for the auth proxy's JWKS endpoint, with keys generated here and failure modes to switch to.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use tokio::task::AbortHandle;

use crate::{now, serve};

/// RSA keys are slow to make: each test binary makes these once.
pub fn rsa_key(index: usize) -> &'static RsaPrivateKey {
    static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
    &KEYS.get_or_init(|| {
        (0..3)
            .map(|_| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation"))
            .collect()
    })[index]
}

/// How the stand-in answers requests for the JWKS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksMode {
    /// The published keys.
    Normal,
    /// The keys, after half a second.
    Slow,
    /// A 500, with no body.
    Error,
    /// Nothing for a minute (then a 504): for the app's timeout.
    Hang,
    /// A body that is not JSON.
    Garbage,
    /// The keys padded with 200 KiB of filler: for the app's limit on the size.
    Oversized,
    /// A redirect to `/elsewhere.json`, which serves the keys: a client that follows it is caught.
    Redirect,
}

/// A key to sign proxy tokens with, and to publish as a JWK.
pub struct SigningKey {
    /// The key's id, in the JWK and in the header of the tokens it signs.
    pub kid: String,
    /// The RSA private key (one of `rsa_key`'s).
    pub key: &'static RsaPrivateKey,
}

impl SigningKey {
    /// `rsa_key(index)` with the id `kid`.
    pub fn new(kid: &str, index: usize) -> Self {
        Self {
            kid: kid.into(),
            key: rsa_key(index),
        }
    }

    /// The public key as a JWK (RS256, for signatures), as the proxy publishes it.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.key.e().to_bytes_be()),
        })
    }

    /// The private key as `jsonwebtoken` signs with it.
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

/// A stand-in for the auth proxy, served over loopback: it publishes a JWKS (in its mode) and signs tokens.
pub struct TestProxy {
    /// Where it listens, on loopback.
    pub addr: SocketAddr,
    /// The key it signs tokens with (`key-1`), published from the start.
    pub key: SigningKey,
    state: ProxyState,
    server: AbortHandle,
}

impl TestProxy {
    /// Starts serving on loopback, publishing `key` in `JwksMode::Normal`.
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

    /// Its base URL (what `VECTOR_AUTH_PROXY_URL` names).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches how it answers the JWKS, from the next request on.
    pub fn set_mode(&self, mode: JwksMode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// Publishes exactly these keys.
    pub fn publish(&self, keys: &[&SigningKey]) {
        self.publish_jwks(keys.iter().map(|k| k.jwk()).collect());
    }

    /// Publishes exactly these JWKs, well-formed or not.
    pub fn publish_jwks(&self, jwks: Vec<Value>) {
        *self.state.keys.lock().unwrap() = jwks;
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

/// The proxy's claims for `email`, expiring in an hour, merged with `extra` (a `null` removes a claim). Each
/// token has a `jti` of its own, so two minted in the same second differ, as a proxy's do.
pub fn claims(email: &str, extra: Value) -> Value {
    let mut claims = json!({
        "jti": uuid::Uuid::new_v4().to_string(),
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
        JwksMode::Slow => {
            tokio::time::sleep(Duration::from_millis(500)).await;
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
