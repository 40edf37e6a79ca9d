//! `GET /api/accounts/billing/entitlements/` and its server function, against a stand-in for Vector's
//! billing API: the seed's headers and fallbacks, upstream failures, timeouts, the cache, failing closed.

use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::billing::GetEntitlements;

use crate::support::*;

const ROUTE: &str = "/api/accounts/billing/entitlements/";

/// The fallback body govector-auth answers with, allowed or not.
fn fallback(reason: &str, allowed: bool) -> Value {
    json!({
        "entitlements": [{"type": "platform", "status": null, "allowed": allowed, "redirect_link": null}],
        "cache": {"expires_at": null, "version": format!("fallback-{reason}")},
    })
}

/// The app signing in through the stand-in proxy and asking `billing` for entitlements, with `extra` settings.
async fn spawn_billed_app(db: PgPool, billing: &TestBilling, extra: &[(&str, &str)]) -> TestApp {
    let settings: Vec<(&str, &str)> = billing
        .settings()
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    spawn_app_with(db, &settings).await
}

async fn entitlements_of(app: &TestApp, session: &Session) -> (u16, Value) {
    let response = app
        .get(ROUTE)
        .header("cookie", session.cookie_header())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    (status, response.json().await.unwrap())
}

#[sqlx::test]
async fn vectors_answer_is_passed_on_with_the_seeds_headers(db: PgPool) {
    let mut answer = entitlements(false, None);
    // Fields the template does not know about reach the client too.
    answer["cache"]["extra"] = json!({"plan": "pro"});
    let billing = TestBilling::start(BillingMode::Answer(answer.clone())).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let session = app.sign_in_as("ada@example.com").await;

    assert_eq!(entitlements_of(&app, &session).await, (200, answer));
    let requests = billing.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.app_id, "app-1");
    assert_eq!(request.headers["x-uga-api-token"], "test-api-token");
    assert_eq!(
        request.headers["x-vector-uga-user-id"],
        "uga-ada@example.com"
    );
    assert_eq!(
        request.headers["x-vector-origin"],
        "https://govector.example"
    );
    assert!(
        request.headers.get("cookie").is_none(),
        "the user's cookies stay here"
    );
}

#[sqlx::test]
async fn signed_out_is_401_and_vector_is_not_asked(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Answer(entitlements(true, None))).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let (status, body) = entitlements_of(&app, &Session::default()).await;
    assert_eq!(status, 401, "{body}");
    let forged = Session::default().with("access_token", "not-a-token");
    assert_eq!(entitlements_of(&app, &forged).await.0, 401);
    assert_eq!(billing.calls(), 0);
}

#[sqlx::test]
async fn billing_not_configured_allows_with_the_seeds_fallback(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, fallback("not-configured", true))
    );
}

#[sqlx::test]
async fn a_user_without_a_vector_id_gets_the_fallback_without_a_call(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Answer(entitlements(true, None))).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let token = app
        .proxy()
        .token("ada@example.com", json!({"user_id": null}));
    let session = app.sign_in(&token).await;
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, fallback("no-vector-user-id", true))
    );
    assert_eq!(billing.calls(), 0);
}

#[sqlx::test]
async fn the_dev_user_has_no_vector_id(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Answer(entitlements(true, None))).await;
    let env = billing
        .settings()
        .into_iter()
        .fold(base_env(), |env, (name, value)| env.with(name, value));
    let app = site::start(db, env).await;
    assert_eq!(
        entitlements_of(&app, &Session::default()).await,
        (200, fallback("no-vector-user-id", true))
    );
}

#[sqlx::test]
async fn upstream_errors_fall_back_to_api_error(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Status(500)).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let session = app.sign_in_as("ada@example.com").await;
    for mode in [
        BillingMode::Status(500),
        BillingMode::Status(503),
        BillingMode::Status(403),
        BillingMode::Status(404),
        BillingMode::Redirect,
        BillingMode::Garbage,
        BillingMode::Answer(json!({"entitlements": "none"})),
        BillingMode::Answer(json!([1, 2, 3])),
        BillingMode::Oversized,
    ] {
        billing.set_mode(mode.clone());
        assert_eq!(
            entitlements_of(&app, &session).await,
            (200, fallback("api-error", true)),
            "{mode:?}"
        );
    }
    assert_eq!(
        billing.elsewhere_hits(),
        0,
        "the API token never follows a redirect"
    );
    assert_eq!(billing.calls(), 9, "failures are not cached");
}

#[sqlx::test]
async fn an_unreachable_or_hanging_api_falls_back_to_network_error(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Hang).await;
    let app = spawn_billed_app(db, &billing, &[("VECTOR_API_TIMEOUT_SECONDS", "1")]).await;
    let session = app.sign_in_as("ada@example.com").await;

    let started = Instant::now();
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, fallback("network-error", true))
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "the timeout is 1 s: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "not the hang's 60 s: {waited:?}"
    );

    billing.stop();
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, fallback("network-error", true))
    );
}

#[sqlx::test]
async fn failing_closed_refuses_whenever_vector_cannot_say(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Status(500)).await;
    let app = spawn_billed_app(db, &billing, &[("ENTITLEMENTS_FAIL_CLOSED", "true")]).await;
    let session = app.sign_in_as("ada@example.com").await;
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, fallback("api-error", false))
    );
    let token = app
        .proxy()
        .token("bob@example.com", json!({"user_id": null}));
    let no_vector_id = app.sign_in(&token).await;
    assert_eq!(
        entitlements_of(&app, &no_vector_id).await,
        (200, fallback("no-vector-user-id", false))
    );
    // Vector's own answer is passed on as it is.
    billing.set_mode(BillingMode::Answer(entitlements(true, None)));
    assert_eq!(
        entitlements_of(&app, &session).await,
        (200, entitlements(true, None))
    );
}

#[sqlx::test]
async fn answers_are_cached_per_user_until_they_expire(db: PgPool) {
    let answer = entitlements(true, Some(time::Duration::seconds(2)));
    let billing = TestBilling::start(BillingMode::Answer(answer.clone())).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    for _ in 0..3 {
        assert_eq!(entitlements_of(&app, &ada).await, (200, answer.clone()));
    }
    assert_eq!(billing.calls(), 1, "one call while the answer is fresh");
    assert_eq!(entitlements_of(&app, &bob).await.0, 200);
    assert_eq!(billing.calls(), 2, "each user has their own answer");
    assert_eq!(
        billing.requests()[1].headers["x-vector-uga-user-id"],
        "uga-bob@example.com"
    );

    // Past `expires_at`, Vector is asked again (and now says no).
    billing.set_mode(BillingMode::Answer(entitlements(false, None)));
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        entitlements_of(&app, &ada).await,
        (200, entitlements(false, None))
    );
    assert_eq!(billing.calls(), 3);
    // An answer without `expires_at` is not reused.
    entitlements_of(&app, &ada).await;
    assert_eq!(billing.calls(), 4);
}

#[sqlx::test]
async fn the_cache_is_bounded_whatever_vector_says(db: PgPool) {
    let answer = entitlements(true, Some(time::Duration::days(30)));
    let billing = TestBilling::start(BillingMode::Answer(answer)).await;
    let app = spawn_billed_app(db, &billing, &[("ENTITLEMENTS_CACHE_MAX_SECONDS", "1")]).await;
    let session = app.sign_in_as("ada@example.com").await;
    entitlements_of(&app, &session).await;
    entitlements_of(&app, &session).await;
    assert_eq!(billing.calls(), 1);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    entitlements_of(&app, &session).await;
    assert_eq!(
        billing.calls(),
        2,
        "asked again after ENTITLEMENTS_CACHE_MAX_SECONDS"
    );
}

#[sqlx::test]
async fn concurrent_requests_for_one_user_share_one_call(db: PgPool) {
    let answer = entitlements(true, Some(time::Duration::minutes(1)));
    let billing = TestBilling::start(BillingMode::Slow(
        answer.clone(),
        Duration::from_millis(300),
    ))
    .await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let session = app.sign_in_as("ada@example.com").await;
    let results = futures::future::join_all((0..10).map(|_| entitlements_of(&app, &session))).await;
    for result in results {
        assert_eq!(result, (200, answer.clone()));
    }
    assert_eq!(billing.calls(), 1);
}

#[sqlx::test]
async fn the_server_function_answers_the_same_with_safe_links_only(db: PgPool) {
    let mut answer = entitlements(false, None);
    answer["entitlements"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "pro", "allowed": false, "redirect_link": "javascript:alert(1)"}));
    let billing = TestBilling::start(BillingMode::Answer(answer)).await;
    let app = spawn_billed_app(db, &billing, &[]).await;

    let response = app
        .call(GetEntitlements::PATH, &[], &Session::default())
        .await;
    assert_eq!(response.status(), 401);

    let session = app.sign_in_as("ada@example.com").await;
    let response = app.call(GetEntitlements::PATH, &[], &session).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["entitlements"][0]["allowed"], false);
    assert_eq!(
        body["entitlements"][0]["redirect_link"],
        "https://govector.example/plans"
    );
    assert_eq!(body["entitlements"][1]["type"], "pro");
    assert_eq!(
        body["entitlements"][1]["redirect_link"],
        Value::Null,
        "a javascript: link never reaches the page"
    );
}

#[sqlx::test]
async fn the_members_page_is_rendered_for_subscribers_only(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Answer(entitlements(true, None))).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let session = app.sign_in_as("ada@example.com").await;
    let members_page = || async {
        let response = app
            .get("/members")
            .header("cookie", session.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    };

    let html = members_page().await;
    assert!(html.contains(r#"data-testid="members-area""#), "{html}");
    assert!(!html.contains("entitlement-required"), "{html}");
    // The answer is not reusable (no expires_at), so this counts the checks a render makes.
    assert_eq!(billing.calls(), 1, "one check per render");

    billing.set_mode(BillingMode::Answer(entitlements(false, None)));
    let html = members_page().await;
    assert!(!html.contains(r#"data-testid="members-area""#), "{html}");
    assert!(
        html.contains(r#"data-testid="entitlement-required""#),
        "{html}"
    );
    assert!(
        html.contains(r#"href="https://govector.example/plans""#),
        "{html}"
    );
}

#[sqlx::test]
async fn a_paid_server_function_refuses_a_non_subscriber_who_calls_it_directly(db: PgPool) {
    let billing = TestBilling::start(BillingMode::Answer(entitlements(false, None))).await;
    let app = spawn_billed_app(db, &billing, &[]).await;
    let ada = app.sign_in_as("ada@example.com").await;
    // Not through the page, which would hide the content: the server function itself.
    let response = app.call(site::MembersContent::PATH, &[], &ada).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        detail(response).await,
        "Your plan does not include this: a subscription is needed."
    );
    assert_eq!(
        app.call(site::MembersContent::PATH, &[], &Session::default())
            .await
            .status(),
        401
    );

    billing.set_mode(BillingMode::Answer(entitlements(true, None)));
    let bob = app.sign_in_as("bob@example.com").await;
    let response = app.call(site::MembersContent::PATH, &[], &bob).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "\"What subscribers get.\"");
}
