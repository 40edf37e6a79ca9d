//! The headers every response carries: nosniff, a referrer policy, a CSP (a nonce for the scripts of a page,
//! nothing at all for anything else) naming who may frame the app, HSTS behind Secure cookies, and
//! `Cache-Control: private, no-store` on everything personal.

use leptos::server_fn::ServerFn;
use sqlx::PgPool;

use crate::support::*;

fn assert_security_headers(response: &reqwest::Response, frame_ancestors: &str) {
    let headers = response.headers();
    let what = response.url().path();
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(
        headers["referrer-policy"], "strict-origin-when-cross-origin",
        "{what}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    let is_page = headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html");
    if is_page {
        let nonce = page_nonce(csp);
        assert!(nonce.len() >= 16, "{what}: {csp}");
        assert!(
            csp.starts_with("default-src 'self'; script-src 'nonce-")
                && csp.contains("' 'strict-dynamic' 'wasm-unsafe-eval'; ")
                && !csp.contains("unsafe-inline")
                && csp.ends_with(&format!(
                    "frame-ancestors {frame_ancestors}; base-uri 'self'; object-src 'none'"
                )),
            "{what}: {csp}"
        );
    } else {
        assert_eq!(
            csp,
            format!("default-src 'none'; frame-ancestors {frame_ancestors}; base-uri 'none'"),
            "{what}"
        );
    }
}

/// The nonce a page's CSP allows scripts with.
fn page_nonce(csp: &str) -> &str {
    let start = csp.find("'nonce-").expect("a nonce in the page CSP") + "'nonce-".len();
    let end = start + csp[start..].find('\'').unwrap();
    &csp[start..end]
}

#[sqlx::test]
async fn a_pages_scripts_carry_the_nonce_its_csp_names_and_each_page_gets_its_own(db: PgPool) {
    let app = spawn_app(db).await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = app.get("/").send().await.unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let nonce = page_nonce(&csp).to_owned();
        let html = response.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts >= 1, "{html}");
        assert_eq!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count(),
            scripts,
            "every script carries the nonce: {html}"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1]);
}

#[sqlx::test]
async fn every_response_carries_the_security_headers(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let responses = [
        app.get("/").send().await.unwrap(),
        app.get("/notes")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap(),
        app.get("/no-such-page").send().await.unwrap(),
        app.get("/api/health/live").send().await.unwrap(),
        app.get("/api/health").send().await.unwrap(),
        app.me(&session).await,
        app.get("/api/accounts/me/").send().await.unwrap(),
        app.call(vector_auth::CurrentSession::PATH, &[], &session)
            .await,
        // Refused by the CSRF check.
        app.http
            .post(app.url("/api/accounts/logout/"))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap(),
    ];
    for response in &responses {
        assert_security_headers(response, "'self'");
        assert!(
            !response.headers().contains_key("strict-transport-security"),
            "no HSTS over plain http in development: {}",
            response.url()
        );
    }
}

#[sqlx::test]
async fn personal_answers_are_private_and_never_stored(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let personal = [
        app.get("/").send().await.unwrap(),
        app.get("/")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap(),
        app.me(&session).await,
        app.get("/api/accounts/me/").send().await.unwrap(),
        app.refresh(&session).await,
    ];
    for response in &personal {
        assert_eq!(
            response.headers()["cache-control"],
            "private, no-store",
            "{} {}",
            response.url(),
            response.status()
        );
    }
    let live = app.get("/api/health/live").send().await.unwrap();
    assert!(!live.headers().contains_key("cache-control"));
}

#[sqlx::test]
async fn server_function_answers_are_private_and_never_stored(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let answers = [
        // POST, the default encoding, with and without a user's data.
        app.call(vector_auth::CurrentSession::PATH, &[], &ada).await,
        app.call(site::ListNotes::PATH, &[], &ada).await,
        app.call(site::DatabaseStatus::PATH, &[], &Session::default())
            .await,
        // GET: the answer a shared cache would be most tempted to keep.
        app.get(site::WhoAmI::PATH)
            .header("cookie", ada.cookie_header())
            .send()
            .await
            .unwrap(),
        // A refusal too.
        app.call(site::ListNotes::PATH, &[], &Session::default())
            .await,
    ];
    for response in &answers {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("private, no-store"),
            "{} {}",
            response.url(),
            response.status()
        );
    }
    let whoami = app
        .get(site::WhoAmI::PATH)
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), 200);
    assert_eq!(whoami.text().await.unwrap(), "\"ada@example.com\"");
}

#[sqlx::test]
async fn the_frame_ancestors_come_from_the_settings_and_hsts_from_secure_cookies(db: PgPool) {
    let app = spawn_app_with(
        db,
        &[
            ("LEPTOS_ENV", "PROD"),
            ("VECTOR_AUTH_ANY_AUDIENCE", "true"),
            ("FRAME_ANCESTORS", "'self' https://app.govector.ai"),
        ],
    )
    .await;
    for response in [
        app.get("/").send().await.unwrap(),
        app.get("/api/health/live").send().await.unwrap(),
    ] {
        assert_security_headers(&response, "'self' https://app.govector.ai");
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000"
        );
    }
}
