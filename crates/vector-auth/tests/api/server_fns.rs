//! The auth server functions over HTTP, as the Leptos client calls them: real statuses, not a blanket 500.

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::{CurrentSession, ExchangeToken, Logout, RefreshSession};

use crate::support::*;

async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[sqlx::test]
async fn exchange_refresh_current_and_logout(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let token = proxy.token("ada@example.com", json!({}));

    let response = app
        .call(
            ExchangeToken::PATH,
            &[("token", &token)],
            &Session::default(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut session = Session::from_response(&response);
    assert!(session.get("access_token").is_some() && session.get("refresh_token").is_some());
    let info = body(response).await;
    assert_eq!(info["user"]["email"], "ada@example.com");
    assert_eq!(info["dev_mode"], false);
    let expires_in = info["access_expires_in"].as_i64().unwrap();
    assert!(
        (298..=300).contains(&expires_in),
        "the access token expires in 300 s: {expires_in}"
    );

    let response = app.call(CurrentSession::PATH, &[], &session).await;
    assert_eq!(response.status(), 200);
    let later = body(response).await["access_expires_in"].as_i64().unwrap();
    assert!(
        (expires_in - 2..=expires_in).contains(&later),
        "the same token, a moment later: {later}"
    );

    let response = app.call(RefreshSession::PATH, &[], &session).await;
    assert_eq!(response.status(), 200);
    let before = session.clone();
    session.update(&response);
    assert_ne!(session.get("refresh_token"), before.get("refresh_token"));
    assert_eq!(body(response).await["user"]["email"], "ada@example.com");

    let response = app.call(Logout::PATH, &[], &session).await;
    assert_eq!(response.status(), 200);
    session.update(&response);
    assert!(session.get("access_token").is_none());
    let response = app.call(RefreshSession::PATH, &[], &before).await;
    assert_eq!(response.status(), 401);
}

#[sqlx::test]
async fn failures_carry_their_status(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let none = Session::default();

    let response = app.call(CurrentSession::PATH, &[], &none).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        body(response).await,
        json!({"status": 401, "detail": "Authentication credentials were not provided."})
    );

    let response = app
        .call(ExchangeToken::PATH, &[("token", "garbage")], &none)
        .await;
    assert_eq!(response.status(), 401);
    let response = app.call(ExchangeToken::PATH, &[("token", "")], &none).await;
    assert_eq!(response.status(), 400);
    let response = app.call(ExchangeToken::PATH, &[], &none).await;
    assert_eq!(
        response.status(),
        400,
        "a missing argument is the caller's fault"
    );

    let response = app
        .call(
            RefreshSession::PATH,
            &[],
            &none.clone().with("refresh_token", "forged"),
        )
        .await;
    assert_eq!(response.status(), 401);
    let cleared = set_cookies(&response)
        .iter()
        .filter(|(_, _, a)| a.contains("Max-Age=0"))
        .count();
    assert_eq!(cleared, 3);

    let token = proxy.token("ada@example.com", json!({}));
    proxy.stop();
    let cold = site::start(app.db.clone(), proxy_env(proxy)).await;
    let response = cold
        .call(ExchangeToken::PATH, &[("token", &token)], &none)
        .await;
    assert_eq!(response.status(), 503);
}

#[sqlx::test]
async fn dev_mode_current_session_is_the_dev_user(db: PgPool) {
    let app = site::start(db, base_env()).await;
    let response = app
        .call(CurrentSession::PATH, &[], &Session::default())
        .await;
    assert_eq!(response.status(), 200);
    let info = body(response).await;
    assert_eq!(info["user"]["email"], "dev@localhost");
    assert_eq!(info["dev_mode"], true);
    assert_eq!(info["access_expires_in"], Value::Null);
}
