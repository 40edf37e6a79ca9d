//! The activity log: an event for each kind of change, written with the change, never holding a token, the
//! user's own only, and deleted after the retention.

use std::collections::HashSet;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::LoadAccount;

use crate::support::*;

async fn kinds(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM auth_events e JOIN users u ON u.id = e.user_id
         WHERE u.email = $1 ORDER BY e.id",
    )
    .bind(email)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[sqlx::test]
async fn each_change_writes_its_event_and_no_event_holds_a_token(db: PgPool) {
    let app = spawn_app_with(db, &[("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "0")]).await;
    let proxy_token = app.proxy().token("ada@example.com", json!({}));
    let mut tokens = HashSet::from([proxy_token.clone()]);
    let mut remember = |session: &Session| {
        tokens.extend(session.cookies.values().cloned());
    };

    let first = app.sign_in(&proxy_token).await;
    remember(&first);
    let second = app.sign_in_as("ada@example.com").await;
    remember(&second);
    let third = app.sign_in_as("ada@example.com").await;
    remember(&third);
    // A refresh is not an event.
    let mut refreshed = first.clone();
    let response = app.refresh(&first).await;
    assert_eq!(response.status(), 204);
    refreshed.update(&response);
    remember(&refreshed);
    assert_eq!(kinds(&app, "ada@example.com").await, ["signed-in"; 3]);

    // The first refresh token again: reuse.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(app.refresh(&first).await.status(), 401);
    assert_eq!(app.logout(&second).await.status(), 200);
    let fourth = app.sign_in_as("ada@example.com").await;
    remember(&fourth);
    let fifth = app.sign_in_as("ada@example.com").await;
    remember(&fifth);
    let sid = fifth.id();
    let response = app.end_session(&third, &sid).await;
    assert_eq!(response.status(), 204);
    let response = app
        .post("/api/accounts/sessions/revoke-others/")
        .header("cookie", third.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"revoked": 1})
    );
    let response = app
        .call(vector_auth::EndAllSessions::PATH, &[], &third)
        .await;
    assert_eq!(response.status(), 200);
    // Nothing to end: nothing to record.
    let response = app.end_session(&fourth, &sid).await;
    assert_eq!(response.status(), 401, "that session ended too");

    assert_eq!(
        kinds(&app, "ada@example.com").await,
        [
            "signed-in",
            "signed-in",
            "signed-in",
            "refresh-token-reused",
            "signed-out",
            "signed-in",
            "signed-in",
            "session-ended",
            "other-sessions-ended",
            "all-sessions-ended",
        ]
    );
    let details: Vec<Value> = sqlx::query_scalar("SELECT details FROM auth_events ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(details[0], json!({"new_user": true}));
    assert_eq!(details[1], json!({"new_user": false}));
    assert_eq!(
        details[8],
        json!({"sessions_ended": 1}),
        "the fourth session"
    );
    assert_eq!(details[9], json!({"sessions_ended": 1}), "this one");

    // Every event names its session, and no column of any event holds any token this test saw.
    let rows: Vec<(Option<uuid::Uuid>, String)> =
        sqlx::query_as("SELECT session_id, row_to_json(e)::text FROM auth_events e")
            .fetch_all(&app.db)
            .await
            .unwrap();
    for (session, row) in &rows {
        assert!(session.is_some(), "{row}");
        for token in &tokens {
            assert!(!row.contains(token.as_str()), "a token in {row}");
        }
    }
}

#[sqlx::test]
async fn the_account_sees_its_own_last_twenty_events(db: PgPool) {
    let app = spawn_app(db).await;
    let bob = app.sign_in_as("bob@example.com").await;
    let mut ada = app.sign_in_as("ada@example.com").await;
    for _ in 0..22 {
        ada = app.sign_in_as("ada@example.com").await;
    }
    let response = app.call(LoadAccount::PATH, &[], &ada).await;
    assert_eq!(response.status(), 200);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["sessions"]["items"].as_array().unwrap().len(), 23);
    let events = account["activity"].as_array().unwrap();
    assert_eq!(events.len(), 20);
    assert!(
        events
            .iter()
            .all(|e| e["kind"] == "signed-in" && e["description"] == "Signed in")
    );
    assert_eq!(events[0]["ip_address"], "127.0.0.1");

    let response = app.call(LoadAccount::PATH, &[], &bob).await;
    let account: Value = response.json().await.unwrap();
    let events = account["activity"].as_array().unwrap();
    assert_eq!(events.len(), 1, "bob's own only");
    assert_eq!(events[0]["description"], "Signed in for the first time");
    assert_eq!(
        app.call(LoadAccount::PATH, &[], &Session::default())
            .await
            .status(),
        401
    );
}

#[sqlx::test]
async fn events_past_the_retention_are_deleted(db: PgPool) {
    let app = spawn_app_with(db, &[("ACTIVITY_RETENTION_DAYS", "30")]).await;
    app.sign_in_as("ada@example.com").await;
    sqlx::query(
        "INSERT INTO auth_events (user_id, kind, created_at)
         SELECT id, 'signed-in', now() - interval '31 days' FROM users
         UNION ALL SELECT id, 'signed-in', now() - interval '29 days' FROM users",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(app.rows("auth_events").await, 3);
    assert_eq!(app.platform.auth.delete_old_activity().await.unwrap(), 1);
    assert_eq!(app.rows("auth_events").await, 2);
    assert_eq!(app.platform.auth.delete_old_activity().await.unwrap(), 0);
}
