//! CSRF over real HTTP: unsafe requests from other sites are refused with 403, the app's own pass.

use leptos::server_fn::ServerFn;
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

/// A server function an app author declared with GET. It changes nothing here, but it could: a cross-site
/// link or navigation must not be able to call it with the user's cookies.
#[leptos::server(input = leptos::server_fn::codec::GetUrl)]
pub async fn count_a_visit() -> Result<u32, vector_core::AppError> {
    vector_auth::require_user().await?;
    Ok(1)
}

#[sqlx::test]
async fn get_server_functions_are_checked_like_posts(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let call = || {
        app.http
            .get(app.url(CountAVisit::PATH))
            .header("cookie", session.cookie_header())
    };

    let response = call()
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(detail(response).await.starts_with("CSRF check failed: "));
    let response = call()
        .header("origin", "https://evil.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    let response = call()
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "1");
    // Other GETs from other sites (links to pages) are not affected.
    let page = app
        .get("/notes")
        .header("cookie", session.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[sqlx::test]
async fn unsafe_requests_from_other_sites_are_refused(db: PgPool) {
    let app = spawn_app_with(db, &[("CSRF_TRUSTED_ORIGINS", "https://admin.example.com")]).await;
    let session = app.sign_in_as("ada@example.com").await;
    let logout = || {
        app.http
            .post(app.url("/api/accounts/logout/"))
            .header("cookie", session.cookie_header())
    };

    let refused = [
        logout()
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.com"),
        logout()
            .header("sec-fetch-site", "same-site")
            .header("origin", "https://sub.example.com"),
        logout().header("origin", "https://evil.com"),
        logout().header("origin", "null"),
        logout().header("origin", format!("{}.evil.com", app.origin())),
        // The app's host and port, another scheme: another origin.
        logout().header("origin", app.origin().replace("http://", "https://")),
    ];
    for request in refused {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403);
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("CSRF check failed: ")
        );
        // What the browser's server-function client reads: the status travels in the body too.
        let error: vector_core::AppError = serde_json::from_value(body).unwrap();
        assert_eq!(error.status, 403);
    }
    // Nothing happened: the session still refreshes.
    assert_eq!(app.refresh(&session).await.status(), 204);
}

#[sqlx::test]
async fn same_origin_trusted_and_bearer_only_requests_pass(db: PgPool) {
    let app = spawn_app_with(db, &[("CSRF_TRUSTED_ORIGINS", "https://admin.example.com")]).await;
    let token = app.proxy().token("ada@example.com", json!({}));
    let exchange = || {
        app.http
            .post(app.url("/api/accounts/auth/token"))
            .json(&json!({"token": token}))
    };

    let accepted = [
        exchange().header("sec-fetch-site", "same-origin"),
        exchange().header("origin", app.origin()),
        exchange()
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://admin.example.com"),
    ];
    for request in accepted {
        assert_eq!(request.send().await.unwrap().status(), 200);
    }
    let response = exchange()
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        403,
        "signing in is protected too (login CSRF)"
    );

    // An API client authenticating only with a Bearer token is exempt: browsers never send that on their own.
    let session = app.sign_in(&token).await;
    let response = app
        .http
        .post(app.url("/api/accounts/logout/"))
        .bearer_auth(session.get("access_token").unwrap())
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[sqlx::test]
async fn server_functions_are_protected_too(db: PgPool) {
    let app = site::start(db, base_env()).await;
    let path = <vector_auth::Logout as leptos::server_fn::ServerFn>::PATH;
    let response = app
        .http
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
