//! Nothing a signed-in user can grow is unbounded: live sessions per user (the oldest ends), sign-ins per user,
//! writes through server functions per user, and the sessions list in pages with a cursor.

use std::collections::HashSet;

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::ListSessions;

use crate::support::*;

#[sqlx::test]
async fn a_user_keeps_at_most_the_session_limit_and_the_oldest_end(db: PgPool) {
    let app = spawn_app_with(db, &[("MAX_SESSIONS_PER_USER", "3")]).await;
    let mut devices = Vec::new();
    for _ in 0..5 {
        devices.push(app.sign_in_as("ada@example.com").await);
    }
    let bob = app.sign_in_as("bob@example.com").await;

    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_token_families f JOIN users u ON u.id = f.user_id
         WHERE u.email = 'ada@example.com' AND f.revoked_at IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(live, 3);
    for (index, device) in devices.iter().enumerate() {
        let expected = if index < 2 { 401 } else { 200 };
        assert_eq!(app.me(device).await.status(), expected, "device {index}");
        let reason: Option<String> =
            sqlx::query_scalar("SELECT end_reason FROM refresh_token_families WHERE id = $1::uuid")
                .bind(device.id())
                .fetch_one(&app.db)
                .await
                .unwrap();
        let expected = (index < 2).then(|| "session-limit".to_owned());
        assert_eq!(reason, expected, "device {index}");
    }
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth_events e JOIN users u ON u.id = e.user_id
         WHERE u.email = 'ada@example.com' AND e.kind = 'session-limit'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(recorded, 2, "each ending is in the activity log");
    assert_eq!(
        app.me(&bob).await.status(),
        200,
        "another user's sessions are their own"
    );
}

#[sqlx::test]
async fn sign_ins_per_user_are_limited(db: PgPool) {
    let app = spawn_app_with(db, &[("SIGN_INS_PER_USER_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        app.sign_in_as("ada@example.com").await;
    }
    let response = app
        .exchange(&app.proxy().token("ada@example.com", json!({})))
        .await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        detail(response).await,
        "Too many sign-ins for this account: try again in a minute."
    );
    // Counted per user (by email), not per address: another user signs in from the same address.
    app.sign_in_as("bob@example.com").await;
}

/// The sessions API's page at `path`, and the next page's path from its `Link` header.
async fn sessions_page(
    app: &TestApp,
    session: &Session,
    path: &str,
) -> (Vec<Value>, Option<String>) {
    let response = app
        .get(path)
        .header("cookie", session.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let next = response.headers().get("link").map(|link| {
        let link = link.to_str().unwrap();
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
        link.trim_start_matches('<')
            .trim_end_matches(">; rel=\"next\"")
            .to_owned()
    });
    let records: Vec<Value> = response.json().await.unwrap();
    (records, next)
}

#[sqlx::test]
async fn the_sessions_list_comes_in_pages_of_at_most_100(db: PgPool) {
    let app = spawn_app_with(db, &[("MAX_SESSIONS_PER_USER", "1000")]).await;
    let mut ids = HashSet::new();
    let mut last = None;
    for _ in 0..103 {
        let session = app.sign_in_as("ada@example.com").await;
        ids.insert(session.id());
        last = Some(session);
    }
    let ada = last.unwrap();

    let (first, next) = sessions_page(&app, &ada, "/api/accounts/sessions/").await;
    assert_eq!(first.len(), 100, "a page holds 100 by default");
    let next = next.expect("a link to the next page");
    let (second, after) = sessions_page(&app, &ada, &next).await;
    assert_eq!(second.len(), 3);
    assert_eq!(after, None, "the last page links nowhere");
    let seen: HashSet<String> = first
        .iter()
        .chain(&second)
        .map(|record| record["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, ids, "every session once");

    // Smaller pages when asked, walked to the end.
    let mut path = Some("/api/accounts/sessions/?limit=40".to_owned());
    let mut pages = Vec::new();
    while let Some(current) = path {
        let (records, next) = sessions_page(&app, &ada, &current).await;
        pages.push(records.len());
        path = next;
    }
    assert_eq!(pages, [40, 40, 23]);

    for bad in ["?cursor=not-a-cursor", "?limit=0", "?limit=101", "?limit=x"] {
        let response = app
            .get(&format!("/api/accounts/sessions/{bad}"))
            .header("cookie", ada.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }

    // The server function pages the same way.
    let page: Value = app
        .call(ListSessions::PATH, &[], &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 100);
    let cursor = page["next"].as_str().expect("a cursor").to_owned();
    let rest: Value = app
        .call(ListSessions::PATH, &[("cursor", &cursor)], &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    assert_eq!(rest["next"], Value::Null);
}

#[sqlx::test]
async fn writes_through_server_functions_are_limited_per_user(db: PgPool) {
    let app = spawn_app_with(db, &[("WRITES_PER_USER_PER_MINUTE", "3")]).await;
    let ada = app.sign_in_as("ada@example.com").await;
    for n in 0..3 {
        let response = app
            .call(
                site::CreateNote::PATH,
                &[("body", &format!("note {n}"))],
                &ada,
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let response = app
        .call(site::CreateNote::PATH, &[("body", "one too many")], &ada)
        .await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        detail(response).await,
        "Too many changes in a short time: try again in a moment."
    );
    assert_eq!(
        app.rows("site_notes").await,
        3,
        "the refused write wrote nothing"
    );
    // Reads are not writes, and another user has a budget of their own.
    assert_eq!(
        app.call(site::ListNotes::PATH, &[], &ada).await.status(),
        200
    );
    let bob = app.sign_in_as("bob@example.com").await;
    let response = app
        .call(site::CreateNote::PATH, &[("body", "bob's")], &bob)
        .await;
    assert_eq!(response.status(), 200);
}
