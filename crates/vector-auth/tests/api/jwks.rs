//! The JWKS cache under failure: outages, hangs, garbage, oversized answers, redirects, rotation, floods
//! of unknown key ids (with and without clients hanging up), empty and ambiguous key sets, and keys too stale
//! to trust.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

fn env(proxy: &TestProxy, ttl: u64, cooldown: u64) -> vector_core::env::Env {
    proxy_env(proxy)
        .with("JWKS_CACHE_TTL_SECONDS", &ttl.to_string())
        .with("JWKS_REFETCH_COOLDOWN_SECONDS", &cooldown.to_string())
}

#[sqlx::test]
async fn a_warm_cache_outlives_a_proxy_outage(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 1, 0)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    proxy.set_mode(JwksMode::Error);
    app.sign_in(&proxy.token("b@example.com", json!({}))).await;
    proxy.stop();
    app.sign_in(&proxy.token("c@example.com", json!({}))).await;
    assert!(
        proxy.fetches() >= 2,
        "one fetch to warm up, then refetches that failed"
    );
}

#[sqlx::test]
async fn a_cold_cache_with_the_proxy_down_answers_503_without_waiting(db: PgPool) {
    let proxy = TestProxy::start().await;
    proxy.stop();
    let app = site::start(db, env(&proxy, 600, 30)).await;
    let started = Instant::now();
    let response = app.exchange(&proxy.token("a@example.com", json!({}))).await;
    assert_eq!(response.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // Within the cooldown the next request does not even try.
    let response = app.exchange(&proxy.token("a@example.com", json!({}))).await;
    assert_eq!(response.status(), 503);
}

#[sqlx::test]
async fn a_hanging_proxy_is_bounded_by_the_fetch_timeout(db: PgPool) {
    let proxy = TestProxy::start().await;
    proxy.set_mode(JwksMode::Hang);
    let app = site::start(db, env(&proxy, 600, 30)).await;
    let started = Instant::now();
    let response = app.exchange(&proxy.token("a@example.com", json!({}))).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 503);
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(10),
        "took {took:?}"
    );
}

#[sqlx::test]
async fn garbage_oversized_and_redirected_answers_keep_the_old_keys(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 1, 0)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    for mode in [JwksMode::Garbage, JwksMode::Oversized, JwksMode::Redirect] {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        proxy.set_mode(mode);
        let fetches = proxy.fetches();
        app.sign_in(&proxy.token("a@example.com", json!({}))).await;
        assert_eq!(
            proxy.fetches(),
            fetches + 1,
            "{mode:?}: the stale cache was refetched once"
        );
    }
    assert_eq!(proxy.elsewhere_hits(), 0, "the redirect was not followed");
    assert_eq!(
        app.platform.auth.jwks().unwrap().fetch_count() as usize,
        proxy.fetches()
    );
}

#[sqlx::test]
async fn a_rotated_key_is_accepted_after_one_refetch(db: PgPool) {
    let proxy = TestProxy::start().await;
    // The default cooldown: a rotation right after the first fetch is still picked up.
    let app = site::start(db, env(&proxy, 600, 30)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    assert_eq!(proxy.fetches(), 1);

    let new_key = SigningKey::new("key-2", 1);
    proxy.publish(&[&proxy.key, &new_key]);
    app.sign_in(&new_key.sign(&claims("a@example.com", json!({}))))
        .await;
    assert_eq!(proxy.fetches(), 2);
    // Both keys now work without further fetches.
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    app.sign_in(&new_key.sign(&claims("a@example.com", json!({}))))
        .await;
    assert_eq!(proxy.fetches(), 2);
}

#[sqlx::test]
async fn a_flood_of_unknown_kids_causes_at_most_one_fetch_per_cooldown(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 600, 2)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    assert_eq!(proxy.fetches(), 1);

    let claims = claims("mallory@example.com", json!({}));
    let flood = || {
        let tokens: Vec<String> = (0..100)
            .map(|i| {
                SigningKey::new(&format!("random-{i}-{}", uuid::Uuid::new_v4()), 1).sign(&claims)
            })
            .collect();
        let app = &app;
        async move {
            let responses = join_all(tokens.iter().map(|t| app.exchange(t))).await;
            assert!(responses.iter().all(|r| r.status() == 401));
        }
    };
    flood().await;
    assert_eq!(proxy.fetches(), 2, "one refetch for the whole flood");
    flood().await;
    assert_eq!(proxy.fetches(), 2, "none within the cooldown");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    flood().await;
    assert_eq!(proxy.fetches(), 3, "one more after the cooldown");
}

#[sqlx::test]
async fn simultaneous_misses_share_one_fetch(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 600, 30)).await;
    let tokens: Vec<String> = (0..20)
        .map(|i| proxy.token(&format!("user{i}@example.com"), json!({})))
        .collect();
    let responses = join_all(tokens.iter().map(|t| app.exchange(t))).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(proxy.fetches(), 1);
}

#[sqlx::test]
async fn clients_hanging_up_mid_fetch_do_not_multiply_fetches(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 600, 30)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
    assert_eq!(proxy.fetches(), 1);

    // Each request names a made-up kid and gives up long before the (slow) refetch it causes could finish.
    proxy.set_mode(JwksMode::Slow);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let claims = claims("mallory@example.com", json!({}));
    let mut hung_up = 0;
    for i in 0..20 {
        let token = SigningKey::new(&format!("made-up-{i}"), 1).sign(&claims);
        let sent = impatient
            .post(app.url("/api/accounts/auth/token"))
            .header("sec-fetch-site", "same-origin")
            .json(&json!({ "token": token }))
            .send()
            .await;
        hung_up += usize::from(sent.is_err_and(|e| e.is_timeout()));
    }
    assert!(hung_up >= 5, "only {hung_up} clients hung up mid-fetch");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        proxy.fetches(),
        2,
        "one refetch for all twenty, whose clients went away"
    );
    // And the cooldown it started holds for the next made-up kid.
    let token = SigningKey::new("made-up-again", 1).sign(&claims);
    assert_eq!(app.exchange(&token).await.status(), 401);
    assert_eq!(proxy.fetches(), 2);
}

#[sqlx::test]
async fn an_empty_key_set_removes_the_keys(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 1, 0)).await;
    let token = proxy.token("a@example.com", json!({}));
    app.sign_in(&token).await;

    proxy.publish(&[]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = app.exchange(&token).await;
    assert_eq!(
        response.status(),
        401,
        "the proxy no longer vouches for the key"
    );
    assert_eq!(detail(response).await, "Invalid token.");
    assert_eq!(proxy.fetches(), 2);
}

#[sqlx::test]
async fn a_key_set_naming_a_kid_twice_is_refused(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 1, 0)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;

    // An impostor key under the same kid, listed first.
    let impostor = SigningKey::new("key-1", 1);
    proxy.publish_jwks(vec![impostor.jwk(), proxy.key.jwk()]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let forged = impostor.sign(&claims("mallory@example.com", json!({})));
    assert_eq!(app.exchange(&forged).await.status(), 401);
    assert_eq!(proxy.fetches(), 2, "the ambiguous set was fetched");
    // It was refused as a whole: the keys held before still work.
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
}

#[sqlx::test]
async fn keys_past_their_maximum_staleness_are_not_trusted(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 1, 0).with("JWKS_MAX_STALE_SECONDS", "1")).await;
    let token = proxy.token("a@example.com", json!({}));
    app.sign_in(&token).await;
    proxy.stop();

    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.sign_in(&token).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let response = app.exchange(&token).await;
    assert_eq!(response.status(), 503, "stale for longer than allowed");
}

#[sqlx::test]
async fn an_unknown_kid_while_the_proxy_is_down_is_503_not_401(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, env(&proxy, 600, 0)).await;
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;

    proxy.set_mode(JwksMode::Error);
    let rotated = SigningKey::new("key-2", 1).sign(&claims("a@example.com", json!({})));
    let response = app.exchange(&rotated).await;
    assert_eq!(
        response.status(),
        503,
        "perhaps a new key the proxy could not hand over"
    );
    assert_eq!(proxy.fetches(), 2);
    // The keys held still work meanwhile.
    app.sign_in(&proxy.token("a@example.com", json!({}))).await;
}
