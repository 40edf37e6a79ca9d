//! Sign-ins and refreshes per client address: 429 with Retry-After once the budget is spent; the address is
//! the socket's, or the one a trusted proxy forwards.

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::RefreshSession;

use crate::support::*;

#[sqlx::test]
async fn sign_ins_and_refreshes_past_the_budget_get_429_with_retry_after(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(
        db,
        proxy_env(&proxy).with("AUTH_RATE_LIMIT_PER_MINUTE", "3"),
    )
    .await;
    let session = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    assert_eq!(app.refresh(&session).await.status(), 204);
    // The third of the minute, through the server function.
    let response = app.call(RefreshSession::PATH, &[], &session).await;
    assert_eq!(response.status(), 200);

    for response in [
        app.refresh(&session).await,
        app.exchange(&proxy.token("bob@example.com", json!({})))
            .await,
        app.call(RefreshSession::PATH, &[], &session).await,
    ] {
        assert_eq!(response.status(), 429, "{}", response.url());
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=20).contains(&retry_after), "{retry_after}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("Too many sign-in attempts from this address."),
            "{body}"
        );
        assert_eq!(
            body["status"], 429,
            "server functions read the status from the body"
        );
    }
    // Everything else is not counted.
    assert_eq!(app.me(&session).await.status(), 200);
    assert_eq!(app.user_count().await, 1, "bob's sign-in never happened");
}

#[sqlx::test]
async fn the_address_is_the_forwarded_one_only_behind_a_trusted_proxy(db: PgPool) {
    let proxy = TestProxy::start().await;
    let limited = |trusted: &str| {
        proxy_env(&proxy)
            .with("AUTH_RATE_LIMIT_PER_MINUTE", "1")
            .with("TRUSTED_PROXIES", trusted)
    };
    let refresh_from = |app: &TestApp, client: &str| {
        app.post("/api/accounts/auth/refresh")
            .header("x-forwarded-for", client)
            .send()
    };

    // Behind a trusted proxy (this machine), each forwarded client has its own budget.
    let app = site::start(db.clone(), limited("127.0.0.1/32")).await;
    assert_eq!(
        refresh_from(&app, "203.0.113.1").await.unwrap().status(),
        401
    );
    assert_eq!(
        refresh_from(&app, "203.0.113.2").await.unwrap().status(),
        401
    );
    assert_eq!(
        refresh_from(&app, "203.0.113.1").await.unwrap().status(),
        429
    );
    // IPv6 clients count per /64.
    assert_eq!(
        refresh_from(&app, "2001:db8::1").await.unwrap().status(),
        401
    );
    assert_eq!(
        refresh_from(&app, "2001:db8::2").await.unwrap().status(),
        429
    );

    // From an untrusted peer the header is the client's own claim: ignored.
    let app = site::start(db, limited("10.0.0.0/8")).await;
    assert_eq!(
        refresh_from(&app, "203.0.113.1").await.unwrap().status(),
        401
    );
    assert_eq!(
        refresh_from(&app, "203.0.113.2").await.unwrap().status(),
        429
    );
}
