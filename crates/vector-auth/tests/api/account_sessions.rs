//! Sessions a person can see and end: the records a sign-in and a refresh keep, ending one, all others or all,
//! scoped to the signed-in user, and an ended session's access tokens refused at once, on every instance.

use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use vector_auth::{EndAllSessions, EndOtherSessions, EndSession, ListSessions};

use crate::support::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

/// Signs in as `email` from a browser with this user agent.
async fn sign_in_from(app: &TestApp, email: &str, user_agent: &str) -> Session {
    let response = app
        .post("/api/accounts/auth/token")
        .header("user-agent", user_agent)
        .json(&json!({ "token": app.proxy().token(email, json!({})) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    Session::from_response(&response)
}

async fn sessions_of(app: &TestApp, session: &Session) -> (u16, Value) {
    let response = app
        .get("/api/accounts/sessions/")
        .header("cookie", session.cookie_header())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// How a session ended, as recorded.
async fn end_reason(app: &TestApp, session: &Session) -> Option<String> {
    sqlx::query_scalar("SELECT end_reason FROM refresh_token_families WHERE id = $1::uuid")
        .bind(session.id())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Waits up to `limit` for `/me` with this session to answer 401; returns how long that took.
async fn refused_within(app: &TestApp, session: &Session, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = app.me(session).await.status();
        if status == 401 {
            return started.elapsed();
        }
        assert_eq!(status, 200);
        assert!(started.elapsed() < limit, "still accepted after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test]
async fn a_sign_in_and_each_refresh_record_the_device_and_the_time(db: PgPool) {
    let app = spawn_app_with(db, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let mut session = sign_in_from(&app, "ada@example.com", FIREFOX).await;

    let (status, list) = sessions_of(&app, &session).await;
    assert_eq!(status, 200);
    let records = list.as_array().unwrap();
    assert_eq!(records.len(), 1, "{list}");
    let record = &records[0];
    assert_eq!(record["id"], session.id());
    assert_eq!(record["device"], "Firefox on Linux");
    assert_eq!(record["user_agent"], FIREFOX);
    assert_eq!(record["ip_address"], "127.0.0.1");
    assert_eq!(record["current"], true);
    assert_eq!(record["started_at"], record["last_active_at"]);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let response = app
        .post("/api/accounts/auth/refresh")
        .header("cookie", session.cookie_header())
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    session.update(&response);
    let (_, list) = sessions_of(&app, &session).await;
    let refreshed = &list[0];
    assert_eq!(refreshed["id"], record["id"], "the same session");
    assert_eq!(refreshed["device"], "Chrome on macOS");
    assert_eq!(
        refreshed["ip_address"], "203.0.113.7",
        "the address the trusted proxy names"
    );
    assert_eq!(refreshed["started_at"], record["started_at"]);
    assert!(
        refreshed["last_active_at"].as_str() > record["last_active_at"].as_str(),
        "{refreshed}"
    );
}

#[sqlx::test]
async fn ending_a_session_refuses_its_access_token_at_once(db: PgPool) {
    let app = spawn_app(db).await;
    let laptop = sign_in_from(&app, "ada@example.com", FIREFOX).await;
    let phone = sign_in_from(&app, "ada@example.com", CHROME).await;
    let (_, list) = sessions_of(&app, &laptop).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let response = app.end_session(&laptop, &phone.id()).await;
    assert_eq!(response.status(), 204);
    assert!(
        set_cookies(&response).is_empty(),
        "another session: this browser's cookies stay"
    );
    // Its access token still has minutes to live, and is refused now; so is its refresh token.
    let me = app.me(&phone).await;
    assert_eq!(me.status(), 401);
    assert_eq!(detail(me).await, "This session has ended. Sign in again.");
    assert_eq!(app.refresh(&phone).await.status(), 401);
    assert_eq!(app.me(&laptop).await.status(), 200);
    let (_, list) = sessions_of(&app, &laptop).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], laptop.id());
    assert_eq!(
        app.end_session(&laptop, &phone.id()).await.status(),
        404,
        "an ended session cannot be ended again"
    );
    assert_eq!(
        end_reason(&app, &phone).await.as_deref(),
        Some("ended-by-user")
    );
}

#[sqlx::test]
async fn signing_out_refuses_the_access_token_at_once(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    assert_eq!(app.logout(&session).await.status(), 200);
    assert_eq!(app.me(&session).await.status(), 401);
    assert_eq!(
        end_reason(&app, &session).await.as_deref(),
        Some("signed-out")
    );
}

#[sqlx::test]
async fn ending_every_other_session_keeps_this_one(db: PgPool) {
    let app = spawn_app(db).await;
    let here = app.sign_in_as("ada@example.com").await;
    let others = [
        app.sign_in_as("ada@example.com").await,
        app.sign_in_as("ada@example.com").await,
    ];
    let bob = app.sign_in_as("bob@example.com").await;

    let response = app
        .post("/api/accounts/sessions/revoke-others/")
        .header("cookie", here.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"revoked": 2})
    );
    for other in &others {
        assert_eq!(app.me(other).await.status(), 401);
    }
    assert_eq!(app.me(&here).await.status(), 200);
    assert_eq!(
        app.me(&bob).await.status(),
        200,
        "another user's sessions are theirs"
    );
}

#[sqlx::test]
async fn ending_this_session_signs_this_browser_out(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;
    let response = app.end_session(&session, &session.id()).await;
    assert_eq!(response.status(), 204);
    let mut cleared = session.clone();
    cleared.update(&response);
    assert!(cleared.get("access_token").is_none() && cleared.get("refresh_token").is_none());
    assert_eq!(app.me(&session).await.status(), 401);
}

#[sqlx::test]
async fn a_user_can_neither_see_nor_end_anothers_sessions(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    let (_, list) = sessions_of(&app, &ada).await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ada.id()]);

    for id in [
        bob.id().as_str(),
        "not-a-session",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let response = app.end_session(&ada, id).await;
        assert_eq!(response.status(), 404, "{id}");
        assert_eq!(detail(response).await, "Session not found.");
    }
    assert_eq!(
        app.me(&bob).await.status(),
        200,
        "bob's session is untouched"
    );
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_token_families WHERE revoked_at IS NOT NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(ended, 0);

    // Signed out: 401 everywhere; from another site: the CSRF check refuses before anything happens.
    let nobody = Session::default();
    assert_eq!(sessions_of(&app, &nobody).await.0, 401);
    assert_eq!(app.end_session(&nobody, &bob.id()).await.status(), 401);
    let response = app
        .http
        .delete(app.url(&format!("/api/accounts/sessions/{}", ada.id())))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.me(&ada).await.status(), 200);
}

#[sqlx::test]
async fn an_ended_session_is_refused_by_another_instance_within_two_seconds(db: PgPool) {
    let a = spawn_app(db.clone()).await;
    let b = site::start(db, proxy_env(a.proxy())).await;
    let session = a.sign_in_as("ada@example.com").await;
    assert_eq!(b.me(&session).await.status(), 200);
    // Both instances listen from the start; give B's listener its connection.
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(a.logout(&session).await.status(), 200);
    let took = refused_within(&b, &session, Duration::from_secs(2)).await;
    println!("instance B refused the ended session's token after {took:?}");
}

#[sqlx::test]
async fn a_missed_notification_is_caught_up(db: PgPool) {
    let a = spawn_app(db.clone()).await;
    let b = site::start(db, proxy_env(a.proxy()).with("SESSION_SYNC_SECONDS", "1")).await;
    let session = a.sign_in_as("ada@example.com").await;
    assert_eq!(b.me(&session).await.status(), 200);

    // Ended without a notification, as if B had been disconnected when it was sent.
    sqlx::query("UPDATE refresh_token_families SET revoked_at = now(), end_reason = 'ended-by-user' WHERE id = $1::uuid")
        .bind(session.id())
        .execute(&a.db)
        .await
        .unwrap();
    let took = refused_within(&b, &session, Duration::from_secs(4)).await;
    println!("instance B caught up after {took:?}");

    // An instance that starts later learns of sessions ended before it started.
    let c = site::start(a.db.clone(), proxy_env(a.proxy())).await;
    refused_within(&c, &session, Duration::from_secs(2)).await;
}

#[sqlx::test]
async fn a_reused_refresh_token_ends_the_session_everywhere(db: PgPool) {
    let app = spawn_app_with(db, &[("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "0")]).await;
    let first = app.sign_in_as("ada@example.com").await;
    let mut rotated = first.clone();
    let response = app.refresh(&first).await;
    assert_eq!(response.status(), 204);
    rotated.update(&response);
    assert_eq!(app.me(&rotated).await.status(), 200);

    // The first refresh token again: someone else has it. The session ends, with the new access token too.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(app.refresh(&first).await.status(), 401);
    refused_within(&app, &rotated, Duration::from_secs(2)).await;
}

#[sqlx::test]
async fn the_server_functions_list_and_end_sessions(db: PgPool) {
    let app = spawn_app(db).await;
    let here = sign_in_from(&app, "ada@example.com", FIREFOX).await;
    let phone = sign_in_from(&app, "ada@example.com", CHROME).await;
    let tablet = app.sign_in_as("ada@example.com").await;

    let response = app.call(ListSessions::PATH, &[], &here).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["next"], Value::Null, "one page");
    let list = &page["items"];
    assert_eq!(list.as_array().unwrap().len(), 3);
    let current: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox on Linux");

    let response = app
        .call(EndSession::PATH, &[("id", &phone.id())], &here)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.me(&phone).await.status(), 401);
    let response = app
        .call(EndSession::PATH, &[("id", "nonsense")], &here)
        .await;
    assert_eq!(response.status(), 404);

    let response = app.call(EndOtherSessions::PATH, &[], &here).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!(1));
    assert_eq!(app.me(&tablet).await.status(), 401);

    let response = app.call(EndAllSessions::PATH, &[], &here).await;
    assert_eq!(response.status(), 200);
    let mut cleared = here.clone();
    cleared.update(&response);
    assert!(
        cleared.get("access_token").is_none(),
        "this browser is signed out too"
    );
    assert_eq!(app.me(&here).await.status(), 401);
    assert_eq!(
        app.call(ListSessions::PATH, &[], &Session::default())
            .await
            .status(),
        401
    );
}

#[sqlx::test]
async fn the_account_page_shows_the_profile_and_the_sessions(db: PgPool) {
    let app = spawn_app(db).await;
    let here = sign_in_from(&app, "ada@example.com", FIREFOX).await;
    sign_in_from(&app, "ada@example.com", CHROME).await;
    let response = app
        .get("/account")
        .header("cookie", here.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="profile-name">Ada Lovelace<"#),
        "{html}"
    );
    assert_eq!(
        html.matches(r#"data-testid="session""#).count(),
        2,
        "{html}"
    );
    assert!(
        html.contains("Firefox on Linux") && html.contains("Chrome on macOS"),
        "{html}"
    );
    assert_eq!(html.matches("This device").count(), 1, "{html}");
    assert!(html.contains(r#"data-testid="activity""#), "{html}");
    assert!(html.contains("Signed in for the first time"), "{html}");
}
