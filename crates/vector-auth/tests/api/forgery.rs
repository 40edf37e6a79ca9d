//! Forged or wrong proxy tokens: each is refused with 401 (never a 500), and nothing is fetched from where a
//! token points.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPublicKey;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

async fn refused(app: &TestApp, token: &str, why: &str) {
    refused_as(app, token, why, "Invalid token.").await;
}

async fn refused_as(app: &TestApp, token: &str, why: &str, detail: &str) {
    let response = app.exchange(token).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["detail"],
        detail,
        "{why}"
    );
}

#[sqlx::test]
async fn unsigned_tokens_are_refused_in_every_spelling(db: PgPool) {
    let app = spawn_app(db).await;
    let claims = claims("mallory@example.com", json!({}));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "typ": "JWT", "kid": "key-1"})),
            b64(&claims)
        );
        refused(&app, &token, alg).await;
        let with_garbage_signature = format!("{token}c2lnbmF0dXJl");
        refused(&app, &with_garbage_signature, alg).await;
    }
    assert_eq!(app.user_count().await, 0);
}

#[sqlx::test]
async fn hs256_signed_with_the_proxy_public_key_is_refused(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let claims = claims("mallory@example.com", json!({}));
    let public = proxy.key.key.to_public_key();
    let secrets = [
        public
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .into_bytes(),
        public.to_pkcs1_der().unwrap().as_bytes().to_vec(),
        serde_json::to_vec(&proxy.key.jwk()).unwrap(),
    ];
    for secret in secrets {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("key-1".into());
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        refused(&app, &token, "HS256 with the public key").await;
    }
}

#[sqlx::test]
async fn keys_named_by_the_token_itself_are_never_used_or_fetched(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let attacker = SigningKey::new("key-1", 1);
    let claims = claims("mallory@example.com", json!({}));

    // An embedded jwk, with the proxy's kid and with the attacker's own.
    for kid in ["key-1", "attacker"] {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        header.jwk = Some(serde_json::from_value::<Jwk>(attacker.jwk()).unwrap());
        let token = jsonwebtoken::encode(&header, &claims, &attacker.encoding_key()).unwrap();
        refused(&app, &token, "embedded jwk").await;
    }
    // jku and x5u pointing at a server that counts its visitors.
    let fetches_before = proxy.fetches();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("elsewhere".into());
    header.jku = Some(format!("{}/elsewhere.json", proxy.url()));
    header.x5u = Some(format!("{}/elsewhere.json", proxy.url()));
    let token = jsonwebtoken::encode(&header, &claims, &attacker.encoding_key()).unwrap();
    refused(&app, &token, "jku/x5u").await;
    // The only fetch allowed is the app's own JWKS URL (one refetch for the unknown kid).
    assert!(proxy.fetches() - fetches_before <= 1);
    assert_eq!(proxy.elsewhere_hits(), 0, "x5u was not followed");
}

#[sqlx::test]
async fn unknown_kids_and_unpublished_keys_are_refused(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let claims = claims("mallory@example.com", json!({}));
    let unknown = SigningKey::new("not-published", 1);
    refused(&app, &unknown.sign(&claims), "unknown kid").await;
    // The right kid, the wrong key: no fallback to trying other keys either.
    let impostor = SigningKey::new("key-1", 2);
    refused(
        &app,
        &impostor.sign(&claims),
        "unpublished key under a published kid",
    )
    .await;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(&header, &claims, &proxy.key.encoding_key()).unwrap();
    refused(&app, &no_kid, "no kid").await;
}

#[sqlx::test]
async fn time_claims_are_enforced(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let expired = proxy.token("a@example.com", json!({"exp": now() - 120}));
    refused_as(&app, &expired, "expired", "Token has expired.").await;
    let not_yet = proxy.token("a@example.com", json!({"nbf": now() + 600}));
    refused(&app, &not_yet, "nbf in the future").await;
    let no_exp = proxy.token("a@example.com", json!({"exp": null}));
    refused(&app, &no_exp, "no exp").await;
    let text_exp = proxy.token("a@example.com", json!({"exp": "tomorrow"}));
    refused(&app, &text_exp, "exp not a number").await;
}

#[sqlx::test]
async fn issuer_and_audience_are_enforced_when_configured(db: PgPool) {
    let app = spawn_app_with(
        db,
        &[
            ("VECTOR_AUTH_ISSUER", "https://auth.example.com"),
            ("VECTOR_AUTH_AUDIENCE", "my-app"),
        ],
    )
    .await;
    let good = json!({"iss": "https://auth.example.com", "aud": "my-app"});
    app.sign_in(&app.proxy().token("a@example.com", good)).await;
    for (claims, why) in [
        (
            json!({"iss": "https://evil.example.com", "aud": "my-app"}),
            "wrong iss",
        ),
        (json!({"aud": "my-app"}), "missing iss"),
        (
            json!({"iss": "https://auth.example.com", "aud": "other-app"}),
            "wrong aud",
        ),
        (json!({"iss": "https://auth.example.com"}), "missing aud"),
    ] {
        refused(&app, &app.proxy().token("a@example.com", claims), why).await;
    }
}

#[sqlx::test]
async fn email_must_be_a_string(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    for email in [
        json!(null),
        json!(42),
        json!(["a@example.com"]),
        json!(""),
        json!("no-at-sign"),
    ] {
        let response = app
            .exchange(&proxy.token("x@example.com", json!({"email": email})))
            .await;
        assert_eq!(response.status(), 400, "{email}");
        assert_eq!(detail(response).await, "Token missing email claim.");
    }
}

#[sqlx::test]
async fn app_tokens_and_proxy_tokens_are_not_interchangeable(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let proxy_token = proxy.token("ada@example.com", json!({}));
    let session = app.sign_in(&proxy_token).await;
    for name in ["access_token", "refresh_token"] {
        refused(&app, session.get(name).unwrap(), name).await;
    }
    let response = app
        .me(&Session::default().with("access_token", &proxy_token))
        .await;
    assert_eq!(
        response.status(),
        401,
        "a proxy token is not an access token"
    );
    let response = app
        .get("/api/accounts/me/")
        .bearer_auth(&proxy_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[sqlx::test]
async fn oversized_malformed_and_non_utf8_tokens_never_cause_a_500(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let padded = proxy.token("ada@example.com", json!({"padding": "x".repeat(9 * 1024)}));
    assert!(padded.len() > 8 * 1024);
    refused(&app, &padded, "over 8 KB").await;
    for token in [
        "...",
        "a.b",
        "🦀.🦀.🦀",
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJ.eyJ.sig",
        "\u{0}\u{1}",
    ] {
        refused(&app, token, "malformed").await;
    }
    assert_eq!(
        proxy.fetches(),
        0,
        "nothing malformed reached the key lookup"
    );

    // Non-UTF-8 bytes in the body and in the cookie.
    let response = app
        .post("/api/accounts/auth/token")
        .header("content-type", "application/json")
        .body(b"{\"token\": \"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = app
        .get("/api/accounts/me/")
        .header(
            "cookie",
            reqwest::header::HeaderValue::from_bytes(b"access_token=\xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(response.status() == 401, "{}", response.status());
}
