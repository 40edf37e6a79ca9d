//! The dev auth proxy binary: loopback-only redirects, the token it issues, key rotation, and its stand-in
//! for Vector's billing API.

use serde_json::Value;
use sqlx::PgPool;

use crate::support::{DevAuthProxy, base_env, fragment_params, site, unverified_claims};

fn start_proxy() -> DevAuthProxy {
    DevAuthProxy::start(
        env!("CARGO_BIN_EXE_dev-auth-proxy"),
        &[("DEV_AUTH_PROXY_TOKEN_LIFETIME", "120")],
    )
}

#[tokio::test]
async fn only_loopback_redirects_are_accepted() {
    let proxy = start_proxy();
    let http = &proxy.http;
    let form = |uri: &str| {
        format!(
            "{}/login?redirect_uri={}&state=s1",
            proxy.url,
            urlencode(uri)
        )
    };
    for uri in [
        "http://127.0.0.1:3000/auth/callback",
        "http://localhost:3000/auth/callback",
        "http://[::1]:3000/auth/callback",
    ] {
        assert_eq!(
            http.get(form(uri)).send().await.unwrap().status(),
            200,
            "{uri}"
        );
    }
    for uri in [
        "https://evil.com/auth/callback",
        "http://127.0.0.1.evil.com/cb",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ] {
        assert_eq!(
            http.get(form(uri)).send().await.unwrap().status(),
            400,
            "{uri}"
        );
        let response = proxy
            .submit_sign_in(&[
                ("redirect_uri", uri),
                ("state", "s1"),
                ("email", "a@example.com"),
            ])
            .await;
        assert_eq!(response.status(), 400, "POST {uri}");
    }
    assert_eq!(
        http.get(format!("{}/login", proxy.url))
            .send()
            .await
            .unwrap()
            .status(),
        400,
        "no redirect_uri"
    );
}

#[tokio::test]
async fn signing_in_redirects_with_a_token_and_the_state_and_rotation_keeps_the_old_key() {
    let proxy = start_proxy();
    let http = &proxy.http;
    let sign_in = || async {
        let response = proxy
            .submit_sign_in(&[
                ("redirect_uri", "http://127.0.0.1:3000/auth/callback"),
                ("state", "the-state"),
                ("email", "ada@example.com"),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("picture", ""),
            ])
            .await;
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("http://127.0.0.1:3000/auth/callback#"),
            "{location}"
        );
        let params = fragment_params(&location);
        assert_eq!(params["state"], "the-state");
        params["token"].clone()
    };
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwks = || async {
        http.get(format!("{}/.well-known/jwks.json", proxy.url))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };

    let first = sign_in().await;
    let header = jsonwebtoken::decode_header(&first).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let keys = jwks().await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(keys["keys"][0]["kid"], kid(&first));
    let n = keys["keys"][0]["n"].as_str().unwrap();
    let e = keys["keys"][0]["e"].as_str().unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(n, e).unwrap();
    let claims = jsonwebtoken::decode::<Value>(
        &first,
        &key,
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["first_name"], "Ada");
    assert_eq!(claims["user_id"], "dev-ada@example.com");
    assert!(
        (claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()) == 120,
        "the configured lifetime"
    );

    let rotated: Value = http
        .post(format!("{}/rotate", proxy.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = sign_in().await;
    assert_eq!(kid(&second), rotated["kid"].as_str().unwrap());
    assert_ne!(kid(&second), kid(&first));
    let kids: Vec<String> = jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kids,
        [kid(&second), kid(&first)],
        "the new key first, the old one still published"
    );
}

#[sqlx::test]
async fn the_proxy_answers_for_vectors_billing_api(db: PgPool) {
    let proxy = DevAuthProxy::start(
        env!("CARGO_BIN_EXE_dev-auth-proxy"),
        &[("DEV_AUTH_PROXY_API_TOKEN", "dev-token")],
    );
    let env = base_env()
        .with("VECTOR_AUTH_PROXY_URL", &proxy.url)
        .with("VECTOR_API_URL", &proxy.url)
        .with("VITE_APP_ID", "app-1")
        .with("VECTOR_API_TOKEN", "dev-token");
    let app = site::start(db, env).await;
    let entitlements = |session: crate::support::Session| {
        let request = app
            .get("/api/accounts/billing/entitlements/")
            .header("cookie", session.cookie_header());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };

    // Subscribed unless the sign-in form says otherwise; the answer may be reused for a minute.
    let ada = app.sign_in(&proxy.token("ada@example.com").await).await;
    let answer = entitlements(ada).await;
    assert_eq!(answer["entitlements"][0]["allowed"], true, "{answer}");
    assert!(answer["cache"]["expires_at"].is_string(), "{answer}");

    let bob_token = proxy
        .token_with("bob@example.com", &[("subscription", "none")])
        .await;
    let bob = app.sign_in(&bob_token).await;
    let answer = entitlements(bob.clone()).await;
    assert_eq!(answer["entitlements"][0]["allowed"], false, "{answer}");
    let link = answer["entitlements"][0]["redirect_link"].as_str().unwrap();
    assert_eq!(
        link,
        format!(
            "{}/billing/subscribe?user_id=dev-bob%40example.com&app_id=app-1",
            proxy.url
        )
    );
    let page = proxy.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Subscribe"));
    let subscribed = proxy
        .http
        .post(format!("{}/billing/subscribe", proxy.url))
        .form(&[("user_id", "dev-bob@example.com"), ("app_id", "app-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 200);
    // A refusal is not reused, so the new subscription counts at once.
    let answer = entitlements(bob).await;
    assert_eq!(answer["entitlements"][0]["allowed"], true, "{answer}");

    let without_token = proxy
        .http
        .get(format!(
            "{}/api/user-billing/apps/app-1/entitlements/",
            proxy.url
        ))
        .header("x-vector-uga-user-id", "dev-ada@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), 403);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[sqlx::test]
async fn the_proxys_tokens_carry_the_audience_it_is_given(db: PgPool) {
    let proxy = DevAuthProxy::start(
        env!("CARGO_BIN_EXE_dev-auth-proxy"),
        &[("DEV_AUTH_PROXY_AUDIENCE", "my-app")],
    );
    let token = proxy.token("ada@example.com").await;
    assert_eq!(unverified_claims(&token)["aud"], "my-app");
    let env = |audience: &str| {
        base_env()
            .with("VECTOR_AUTH_PROXY_URL", &proxy.url)
            .with("VECTOR_AUTH_AUDIENCE", audience)
    };
    let app = site::start(db.clone(), env("my-app")).await;
    assert_eq!(app.exchange(&token).await.status(), 200);
    let other = site::start(db, env("another-app")).await;
    assert_eq!(
        other
            .exchange(&proxy.token("bob@example.com").await)
            .await
            .status(),
        401
    );
}
