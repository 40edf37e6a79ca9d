//! Every row of the HTTP contract (govector-auth compatible), success and failure.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test]
async fn exchange_returns_the_user_and_sets_the_session_cookies(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let token = proxy.token("ada@example.com", json!({}));

    let response = app.exchange(&token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let cookies = set_cookies(&response);
    let names: Vec<&str> = cookies.iter().map(|(n, _, _)| n.as_str()).collect();
    for name in ["access_token", "refresh_token", "uga_jwt"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for (name, _, attributes) in &cookies {
        assert!(attributes.contains("HttpOnly"), "{name}: {attributes}");
        assert!(attributes.contains("SameSite=Lax"), "{name}: {attributes}");
        assert!(attributes.contains("Path=/"), "{name}: {attributes}");
        assert!(
            !attributes.contains("Secure"),
            "not Secure outside production: {name}: {attributes}"
        );
    }
    let max_age = |name: &str| {
        cookies
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap()
            .2
            .clone()
    };
    assert!(max_age("access_token").contains("Max-Age=300"));
    assert!(max_age("refresh_token").contains("Max-Age=604800"));
    let uga = cookies.iter().find(|(n, _, _)| n == "uga_jwt").unwrap();
    assert_eq!(uga.1, token, "uga_jwt holds the proxy token");

    let body: Value = response.json().await.unwrap();
    let user = &body["user"];
    assert!(user["id"].is_string());
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "Lovelace");
    assert_eq!(user["full_name"], "Ada Lovelace");
    assert_eq!(user["picture"], "https://example.com/ada.png");
    assert_eq!(
        user.as_object().unwrap().len(),
        6,
        "exactly the User fields: {user}"
    );
}

#[sqlx::test]
async fn uga_jwt_holds_the_token_as_verified_and_is_always_httponly(db: PgPool) {
    let app = spawn_app_with(
        db,
        &[
            ("ACCESS_TOKEN_COOKIE_HTTPONLY", "false"),
            ("REFRESH_TOKEN_COOKIE_HTTPONLY", "false"),
        ],
    )
    .await;
    let token = app.proxy().token("ada@example.com", json!({}));

    let response = app.exchange(&format!("  {token}\n")).await;
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    let (_, value, attributes) = cookies.iter().find(|(n, _, _)| n == "uga_jwt").unwrap();
    assert_eq!(value, &token, "trimmed, as verified");
    assert!(attributes.contains("HttpOnly"), "{attributes}");
    let (_, _, access) = cookies
        .iter()
        .find(|(n, _, _)| n == "access_token")
        .unwrap();
    assert!(!access.contains("HttpOnly"), "as configured: {access}");
}

#[sqlx::test]
async fn exchange_without_a_token_is_400(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    for body in [
        json!({}),
        json!({"token": ""}),
        json!({"token": null}),
        json!({"other": "x"}),
    ] {
        let response = app
            .post("/api/accounts/auth/token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(detail(response).await, "No token provided.");
    }
    let response = app.post("/api/accounts/auth/token").send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(detail(response).await, "No token provided.");
    let bodies: [&[u8]; 5] = [
        b"not json",
        b"[1, 2]",
        b"{\"token\": 5}",
        b"{\"token\": ",
        b"{\"token\": \"\xff\xfe\"}",
    ];
    for body in bodies {
        let response = app
            .post("/api/accounts/auth/token")
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body:?}");
        assert!(detail(response).await.starts_with("Invalid request body"));
    }
    assert_eq!(proxy.fetches(), 0, "nothing to verify, nothing fetched");
}

#[sqlx::test]
async fn exchange_of_a_token_without_email_is_400(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let token = proxy.token("ignored@example.com", json!({"email": null}));
    let response = app.exchange(&token).await;
    assert_eq!(response.status(), 400);
    assert_eq!(detail(response).await, "Token missing email claim.");
    assert_eq!(app.user_count().await, 0);
}

#[sqlx::test]
async fn exchange_of_an_invalid_or_expired_token_is_401(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let expired = proxy.token(
        "ada@example.com",
        json!({"exp": now() - 3600, "iat": now() - 7200}),
    );
    for (token, expected) in [
        ("garbage", "Invalid token."),
        ("a.b.c", "Invalid token."),
        (expired.as_str(), "Token has expired."),
    ] {
        let response = app.exchange(token).await;
        assert_eq!(response.status(), 401, "{token}");
        assert!(set_cookies(&response).is_empty());
        assert_eq!(detail(response).await, expected);
    }
    assert_eq!(app.user_count().await, 0);
}

#[sqlx::test]
async fn exchange_reads_json_only(db: PgPool) {
    let app = spawn_app(db).await;
    let token = app.proxy().token("ada@example.com", json!({}));
    let body = json!({ "token": token }).to_string();
    for (content_type, expected) in [
        (Some("text/plain"), "\"text/plain\""),
        (
            Some("application/x-www-form-urlencoded"),
            "\"application/x-www-form-urlencoded\"",
        ),
        (
            Some("multipart/form-data; boundary=x"),
            "\"multipart/form-data; boundary=x\"",
        ),
        (None, "\"none\""),
    ] {
        let mut request = app.post("/api/accounts/auth/token").body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert!(set_cookies(&response).is_empty());
        let detail = detail(response).await;
        assert!(
            detail.starts_with(&format!("Unsupported media type {expected} in request")),
            "{detail}"
        );
    }
    assert_eq!(app.user_count().await, 0, "nothing signed in");
    // JSON with parameters, in any case, is JSON.
    let response = app
        .post("/api/accounts/auth/token")
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[sqlx::test]
async fn exchange_answers_503_when_the_proxy_keys_are_unavailable(db: PgPool) {
    let proxy = TestProxy::start().await;
    let token = proxy.token("ada@example.com", json!({}));
    proxy.stop();
    let app = site::start(db, proxy_env(&proxy)).await;
    let response = app.exchange(&token).await;
    assert_eq!(response.status(), 503);
    assert_eq!(detail(response).await, "Authentication is not configured.");
}

#[sqlx::test]
async fn me_returns_the_flat_user_from_the_cookie_or_a_bearer_header(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let session = app
        .sign_in(&proxy.token(
            "ada@example.com",
            json!({"first_name": "", "last_name": ""}),
        ))
        .await;

    let response = app.me(&session).await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(
        user["full_name"], "ada@example.com",
        "full_name falls back to the email"
    );
    assert!(
        user["id"].as_str().unwrap().len() >= 32,
        "a non-guessable id: {}",
        user["id"]
    );

    let bearer = session.get("access_token").unwrap();
    let response = app
        .get("/api/accounts/me/")
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), user);
}

#[sqlx::test]
async fn me_without_or_with_bad_credentials_is_401(db: PgPool) {
    let app = spawn_app(db).await;
    let response = app.get("/api/accounts/me/").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        detail(response).await,
        "Authentication credentials were not provided."
    );

    let response = app
        .me(&Session::default().with("access_token", "forged"))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        detail(response).await,
        "Given token not valid for any token type"
    );
    let response = app
        .get("/api/accounts/me/")
        .bearer_auth("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[sqlx::test]
async fn refresh_rotates_both_cookies(db: PgPool) {
    let app = spawn_app(db).await;
    let mut session = app.sign_in_as("ada@example.com").await;
    let before = session.clone();

    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    session.update(&response);
    assert_ne!(session.get("access_token"), before.get("access_token"));
    assert_ne!(session.get("refresh_token"), before.get("refresh_token"));
    assert_eq!(app.me(&session).await.status(), 200);
}

#[sqlx::test]
async fn refresh_without_a_valid_cookie_is_401_and_clears_the_cookies(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let access_only = Session::default().with("access_token", session.get("access_token").unwrap());
    let bad = [
        (Session::default(), "No refresh token."),
        (access_only, "No refresh token."),
        (
            Session::default().with("refresh_token", "forged"),
            "Refresh token expired.",
        ),
        // An access token is not a refresh token.
        (
            Session::default().with("refresh_token", session.get("access_token").unwrap()),
            "Refresh token expired.",
        ),
    ];
    for (session, expected) in bad {
        let response = app.refresh(&session).await;
        assert_eq!(response.status(), 401);
        let cleared: Vec<_> = set_cookies(&response)
            .into_iter()
            .filter(|(_, _, a)| a.contains("Max-Age=0"))
            .collect();
        assert_eq!(
            cleared.len(),
            3,
            "access, refresh and uga_jwt cleared: {cleared:?}"
        );
        assert_eq!(detail(response).await, expected);
    }
}

#[sqlx::test]
async fn refresh_for_a_deleted_user_is_401_user_not_found(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    sqlx::query("DELETE FROM users")
        .execute(&app.db)
        .await
        .unwrap();
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        set_cookies(&response)
            .iter()
            .filter(|(_, _, attributes)| attributes.contains("Max-Age=0"))
            .count(),
        3,
        "cookies cleared"
    );
    assert_eq!(detail(response).await, "User not found.");
}

#[sqlx::test]
async fn logout_deletes_the_cookies_and_kills_the_refresh_token(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;

    let response = app.logout(&session).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let deletions = set_cookies(&response);
    assert_eq!(deletions.len(), 3);
    for (name, value, attributes) in &deletions {
        assert!(
            value.is_empty() && attributes.contains("Max-Age=0"),
            "{name}: {attributes}"
        );
        assert!(
            attributes.contains("HttpOnly")
                && attributes.contains("SameSite=Lax")
                && attributes.contains("Path=/")
        );
    }
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"detail": "Logged out."})
    );

    let response = app.refresh(&session).await;
    assert_eq!(
        response.status(),
        401,
        "the refresh token died with the logout"
    );

    // Logging out without a session still answers 200.
    let response = app.post("/api/accounts/logout/").send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[sqlx::test]
async fn dev_mode_signs_in_the_dev_user_and_refuses_exchanges(db: PgPool) {
    let app = site::start(db, base_env().with("DEV_USER_EMAIL", "me@dev.local")).await;
    let response = app.get("/api/accounts/me/").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "me@dev.local");
    let again: Value = app
        .get("/api/accounts/me/")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["id"], user["id"],
        "one dev user, created on first use"
    );
    assert_eq!(app.user_count().await, 1);

    let response = app.exchange("anything").await;
    assert_eq!(response.status(), 503);
    assert_eq!(detail(response).await, "Authentication is not configured.");

    // An invalid access cookie is still refused in dev mode.
    let response = app
        .me(&Session::default().with("access_token", "forged"))
        .await;
    assert_eq!(response.status(), 401);
}

#[sqlx::test]
async fn production_cookies_are_secure_and_partitioned(db: PgPool) {
    let app = spawn_app_with(
        db,
        &[("LEPTOS_ENV", "PROD"), ("VECTOR_AUTH_AUDIENCE", "my-app")],
    )
    .await;
    let response = app
        .exchange(
            &app.proxy()
                .token("ada@example.com", json!({"aud": "my-app"})),
        )
        .await;
    assert_eq!(response.status(), 200);
    for (name, _, attributes) in set_cookies(&response) {
        assert!(
            attributes.contains("Secure") && attributes.contains("Partitioned"),
            "{name}: {attributes}"
        );
    }
}
