//! A local stand-in for Vector's auth proxy, so the real sign-in flow runs offline. Not for production.
//!
//! It serves a JWKS at `/.well-known/jwks.json`, a sign-in form at `/login?redirect_uri=…&state=…` that
//! redirects back to `{redirect_uri}#token=…&state=…` with an RS256 token carrying the proxy's claims, and
//! `POST /rotate`, which switches to a new key while the old one stays published for a while.
//! Only loopback redirect URIs are accepted.
//!
//! It also stands in for Vector's billing API: `GET /api/user-billing/apps/{app id}/entitlements/` answers for
//! the user in `X-Vector-UGA-User-Id` (with `X-UGA-Api-Token` checked), allowed or not as the sign-in form
//! chose for that user; a refused answer links to `/billing/subscribe`, where the user can subscribe.
//!
//! Settings (environment): DEV_AUTH_PROXY_ADDR (127.0.0.1:3900), DEV_AUTH_PROXY_AUDIENCE (the `aud` its tokens
//! carry, as VECTOR_AUTH_AUDIENCE expects; none when unset), DEV_AUTH_PROXY_TOKEN_LIFETIME (seconds, 3600),
//! DEV_AUTH_PROXY_OLD_KEY_SECONDS (how long a rotated-out key stays published, 600), DEV_AUTH_PROXY_API_TOKEN
//! (the billing API's token, dev-api-token), DEV_AUTH_PROXY_ENTITLEMENTS (allow or deny: the form's default).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Url;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{Value, json};

struct Key {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
    /// When it stopped signing; rotated-out keys stay published for a while.
    retired_at: Option<Instant>,
}

impl Key {
    fn generate() -> Self {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key generation");
        let kid = format!("dev-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding");
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk,
            retired_at: None,
        }
    }
}

struct Proxy {
    /// The signing key first, then retired ones.
    keys: Mutex<Vec<Key>>,
    token_lifetime: u64,
    /// The `aud` claim of its tokens.
    audience: Option<String>,
    old_key_lifetime: Duration,
    /// Where browsers reach this proxy, for the links it gives out.
    public_url: String,
    billing: Billing,
}

/// The stand-in billing API's state.
struct Billing {
    api_token: String,
    /// Whether a user signed in without saying has a subscription.
    subscribed_by_default: bool,
    /// Vector user id → has a subscription, as chosen on the sign-in form or the subscribe page.
    subscribed: Mutex<HashMap<String, bool>>,
}

impl Billing {
    fn is_subscribed(&self, user_id: &str) -> bool {
        let subscribed = self.subscribed.lock().unwrap();
        subscribed
            .get(user_id)
            .copied()
            .unwrap_or(self.subscribed_by_default)
    }

    fn set_subscribed(&self, user_id: &str, subscribed: bool) {
        self.subscribed
            .lock()
            .unwrap()
            .insert(user_id.to_owned(), subscribed);
    }
}

type Shared = Arc<Proxy>;

fn setting(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is invalid: expected a whole number of seconds")),
        _ => Ok(default),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let addr_text =
        std::env::var("DEV_AUTH_PROXY_ADDR").unwrap_or_else(|_| "127.0.0.1:3900".into());
    let addr: SocketAddr = addr_text
        .parse()
        .map_err(|_| format!("DEV_AUTH_PROXY_ADDR={addr_text:?} is invalid: expected host:port such as 127.0.0.1:3900"))?;
    let subscribed_by_default = match std::env::var("DEV_AUTH_PROXY_ENTITLEMENTS").as_deref() {
        Err(_) | Ok("") | Ok("allow") => true,
        Ok("deny") => false,
        Ok(other) => {
            return Err(format!(
                "DEV_AUTH_PROXY_ENTITLEMENTS={other:?} is invalid: expected allow or deny"
            ));
        }
    };
    let proxy = Arc::new(Proxy {
        keys: Mutex::new(vec![Key::generate()]),
        token_lifetime: setting("DEV_AUTH_PROXY_TOKEN_LIFETIME", 3600)?,
        audience: std::env::var("DEV_AUTH_PROXY_AUDIENCE")
            .ok()
            .filter(|a| !a.trim().is_empty()),
        old_key_lifetime: Duration::from_secs(setting("DEV_AUTH_PROXY_OLD_KEY_SECONDS", 600)?),
        public_url: format!("http://{addr}"),
        billing: Billing {
            api_token: std::env::var("DEV_AUTH_PROXY_API_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "dev-api-token".into()),
            subscribed_by_default,
            subscribed: Mutex::default(),
        },
    });
    let app = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/login", get(login_form).post(login))
        .route("/rotate", post(rotate))
        .route(
            "/api/user-billing/apps/{app_id}/entitlements/",
            get(entitlements),
        )
        .route("/billing/subscribe", get(subscribe_form).post(subscribe))
        .with_state(proxy);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(
        "dev auth proxy on http://{addr} (set VECTOR_AUTH_PROXY_URL=http://{addr} in the app; for billing also \
         VECTOR_API_URL=http://{addr}, VITE_APP_ID and VECTOR_API_TOKEN=<DEV_AUTH_PROXY_API_TOKEN>)"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

async fn jwks(State(proxy): State<Shared>) -> impl IntoResponse {
    let mut keys = proxy.keys.lock().unwrap();
    keys.retain(|k| {
        k.retired_at
            .is_none_or(|at| at.elapsed() < proxy.old_key_lifetime)
    });
    Json(json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() }))
}

async fn rotate(State(proxy): State<Shared>) -> impl IntoResponse {
    let new_key = tokio::task::spawn_blocking(Key::generate)
        .await
        .expect("key generation task");
    let kid = new_key.kid.clone();
    let mut keys = proxy.keys.lock().unwrap();
    for key in keys.iter_mut() {
        key.retired_at.get_or_insert_with(Instant::now);
    }
    keys.insert(0, new_key);
    tracing::info!(%kid, "rotated the signing key");
    Json(json!({ "kid": kid }))
}

#[derive(Deserialize)]
struct LoginQuery {
    redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    redirect_uri: String,
    state: String,
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    picture: String,
    /// `active` or `none`; absent: DEV_AUTH_PROXY_ENTITLEMENTS decides.
    subscription: Option<String>,
}

/// Only `http(s)://` URLs on the loopback interface: this proxy signs anyone in, so its tokens must never
/// travel anywhere else.
fn loopback_redirect(uri: &str) -> Result<Url, &'static str> {
    let url = Url::parse(uri).map_err(|_| "redirect_uri is not a valid URL.")?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !matches!(url.scheme(), "http" | "https") || !loopback {
        return Err("redirect_uri must be an http(s) URL on 127.0.0.1, localhost or [::1].");
    }
    Ok(url)
}

async fn login_form(State(proxy): State<Shared>, Query(query): Query<LoginQuery>) -> Response {
    let (Some(redirect_uri), Some(state)) = (query.redirect_uri, query.state) else {
        return (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Sign-in refused",
                "redirect_uri and state are required.",
            )),
        )
            .into_response();
    };
    if let Err(why) = loopback_redirect(&redirect_uri) {
        return refused(why);
    }
    let form = format!(
        r#"<form method="post" action="/login">
  <input type="hidden" name="redirect_uri" value="{redirect_uri}">
  <input type="hidden" name="state" value="{state}">
  <label>Email <input name="email" type="email" required autofocus value="ada@example.com"></label>
  <label>First name <input name="first_name" value="Ada"></label>
  <label>Last name <input name="last_name" value="Lovelace"></label>
  <label>Picture URL <input name="picture" type="url" placeholder="https://…"></label>
  <label>Subscription <select name="subscription">
    <option value="active"{active}>Active: the app's entitlements allow access</option>
    <option value="none"{none}>None: access is refused, with a link to subscribe</option>
  </select></label>
  <button type="submit">Sign in</button>
</form>"#,
        redirect_uri = escape(&redirect_uri),
        state = escape(&state),
        active = if proxy.billing.subscribed_by_default {
            " selected"
        } else {
            ""
        },
        none = if proxy.billing.subscribed_by_default {
            ""
        } else {
            " selected"
        },
    );
    Html(page("Dev auth proxy: sign in", &form)).into_response()
}

async fn login(State(proxy): State<Shared>, Form(form): Form<LoginForm>) -> Response {
    let mut redirect = match loopback_redirect(&form.redirect_uri) {
        Ok(url) => url,
        Err(why) => return refused(why),
    };
    if form.email.trim().is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Html(page("Sign-in refused", "An email is required.")),
        )
            .into_response();
    }
    let now = jsonwebtoken::get_current_timestamp();
    let email = form.email.trim().to_owned();
    let user_id = format!("dev-{}", email.to_ascii_lowercase());
    match form.subscription.as_deref() {
        Some("active") => proxy.billing.set_subscribed(&user_id, true),
        Some("none") => proxy.billing.set_subscribed(&user_id, false),
        _ => {}
    }
    let mut claims = json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "email": email,
        "user_id": user_id,
        "first_name": form.first_name.trim(),
        "last_name": form.last_name.trim(),
        "picture": form.picture.trim(),
        "iat": now,
        "exp": now + proxy.token_lifetime,
    });
    if let Some(audience) = &proxy.audience {
        claims["aud"] = json!(audience);
    }
    let token = {
        let keys = proxy.keys.lock().unwrap();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(keys[0].kid.clone());
        jsonwebtoken::encode(&header, &claims, &keys[0].encoding).expect("RS256 signing")
    };
    let fragment = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &token)
        .append_pair("state", &form.state)
        .finish();
    redirect.set_fragment(Some(&fragment));
    Redirect::to(redirect.as_str()).into_response()
}

/// Vector's entitlements for the user in `X-Vector-UGA-User-Id`: the platform allowed while they have a
/// subscription (reusable for a minute), refused with a link to subscribe otherwise (not reusable, so the app
/// sees a new subscription at once).
async fn entitlements(
    State(proxy): State<Shared>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    if header("x-uga-api-token") != proxy.billing.api_token {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "detail": "Invalid API token." })),
        )
            .into_response();
    }
    let user_id = header("x-vector-uga-user-id");
    if user_id.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "detail": "X-Vector-UGA-User-Id is required." })),
        )
            .into_response();
    }
    let allowed = proxy.billing.is_subscribed(user_id);
    let (status, redirect_link, expires_at) = if allowed {
        let in_a_minute = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
        let expires_at = in_a_minute
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a current time formats as RFC 3339");
        ("active", Value::Null, json!(expires_at))
    } else {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_id", user_id)
            .append_pair("app_id", &app_id)
            .finish();
        let link = format!("{}/billing/subscribe?{query}", proxy.public_url);
        ("none", json!(link), Value::Null)
    };
    Json(json!({
        "entitlements": [{
            "type": "platform",
            "status": status,
            "allowed": allowed,
            "redirect_link": redirect_link,
        }],
        "cache": { "expires_at": expires_at, "version": "dev" },
    }))
    .into_response()
}

#[derive(Deserialize)]
struct SubscribeParams {
    user_id: String,
    #[serde(default)]
    app_id: String,
}

async fn subscribe_form(Query(params): Query<SubscribeParams>) -> Response {
    let form = format!(
        r#"<p>Subscribe <strong>{user}</strong> to the app <strong>{app}</strong>?</p>
<form method="post" action="/billing/subscribe">
  <input type="hidden" name="user_id" value="{user}">
  <input type="hidden" name="app_id" value="{app}">
  <button type="submit">Subscribe</button>
</form>"#,
        user = escape(&params.user_id),
        app = escape(&params.app_id),
    );
    Html(page("Dev billing: subscribe", &form)).into_response()
}

async fn subscribe(State(proxy): State<Shared>, Form(params): Form<SubscribeParams>) -> Response {
    proxy.billing.set_subscribed(&params.user_id, true);
    Html(page(
        "Subscribed",
        "<p>The subscription is active. Go back to the app and reload the page.</p>",
    ))
    .into_response()
}

fn refused(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page("Sign-in refused", &escape(why))),
    )
        .into_response()
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
:root{{color-scheme:light dark;--bg:#f6f7f9;--fg:#1c2330;--card:#fff;--border:#8a93a3;--accent:#3b5bdb;--accent-fg:#fff;--muted:#5b6475}}
@media (prefers-color-scheme:dark){{:root{{--bg:#10141b;--fg:#e6e9ef;--card:#1a1f29;--border:#5c667a;--accent:#8ea7ff;--accent-fg:#10141b;--muted:#a3acbd}}}}
body{{font-family:system-ui,sans-serif;background:var(--bg);color:var(--fg);display:grid;place-items:center;min-height:100vh;margin:0}}
main{{background:var(--card);border:1px solid var(--border);border-radius:.75rem;padding:1.5rem;width:min(24rem,90vw)}}
form{{display:grid;gap:.75rem}} label{{display:grid;gap:.25rem;font-size:.9rem}}
input,select{{font:inherit;padding:.4rem .5rem;border:1px solid var(--border);border-radius:.4rem;background:var(--card);color:var(--fg)}}
button{{font:inherit;padding:.5rem;border:0;border-radius:.5rem;background:var(--accent);color:var(--accent-fg);cursor:pointer}}
.note{{color:var(--muted);font-size:.85rem}}</style></head>
<body><main><h1>{title}</h1>{body}<p class="note">Local stand-in for Vector's auth proxy. Anyone can sign in as anyone.</p></main></body></html>"#
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
