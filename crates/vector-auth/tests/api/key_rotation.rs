//! Rotating the app's signing key (SECRET_KEY, SECRET_KEY_FALLBACKS) on a running pair of instances: sessions
//! survive, and a token signed with a key that has left both lists is refused.

use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

const OLD: &str = "old-secret-key-0123456789abcdef0123456789";
const NEW: &str = "new-secret-key-0123456789abcdef0123456789";

/// Two instances on one database with these keys, signing in through `proxy`.
async fn pair(db: &PgPool, proxy: &TestProxy, secret: &str, fallbacks: &str) -> [TestApp; 2] {
    let env = proxy_env(proxy)
        .with("SECRET_KEY", secret)
        .with("SECRET_KEY_FALLBACKS", fallbacks);
    [
        site::start(db.clone(), env.clone()).await,
        site::start(db.clone(), env).await,
    ]
}

fn key_id(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .unwrap()
        .kid
        .expect("a key id")
}

#[sqlx::test]
async fn rotating_the_signing_key_keeps_sessions_and_retiring_it_refuses_its_tokens(db: PgPool) {
    let proxy = TestProxy::start().await;

    // Before: both instances sign with the old key.
    let [a, b] = pair(&db, &proxy, OLD, "").await;
    let before = a.sign_in(&proxy.token("ada@example.com", json!({}))).await;
    let old_kid = key_id(before.get("access_token").unwrap());
    assert_eq!(b.me(&before).await.status(), 200);
    drop((a, b));

    // Step 1, on both: the new key signs, the old one still verifies. Nobody is signed out.
    let [a, b] = pair(&db, &proxy, NEW, OLD).await;
    assert_eq!(a.me(&before).await.status(), 200);
    assert_eq!(b.me(&before).await.status(), 200);
    let mut after = before.clone();
    let response = b.refresh(&before).await;
    assert_eq!(
        response.status(),
        204,
        "an old refresh token still refreshes"
    );
    after.update(&response);
    let new_kid = key_id(after.get("access_token").unwrap());
    assert_ne!(new_kid, old_kid);
    assert_eq!(key_id(after.get("refresh_token").unwrap()), new_kid);
    assert_eq!(a.me(&after).await.status(), 200);
    drop((a, b));

    // Step 2, on both: the old key is gone from both lists. Its tokens are refused; the session lives on.
    let [a, b] = pair(&db, &proxy, NEW, "").await;
    for app in [&a, &b] {
        assert_eq!(app.me(&before).await.status(), 401);
        assert_eq!(app.me(&after).await.status(), 200);
    }
    let response = a.refresh(&after).await;
    assert_eq!(response.status(), 204);
    // A fresh sign-in on an instance still signing with the retired key: the others refuse its tokens.
    let stale = site::start(db.clone(), proxy_env(&proxy).with("SECRET_KEY", OLD)).await;
    let forged = stale
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    assert_eq!(key_id(forged.get("access_token").unwrap()), old_kid);
    for app in [&a, &b] {
        assert_eq!(app.me(&forged).await.status(), 401);
        assert_eq!(app.refresh(&forged).await.status(), 401);
    }
}
