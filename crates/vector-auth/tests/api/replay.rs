//! An ended session stays ended: the proxy token that started it (the `uga_jwt` cookie a device keeps) cannot
//! start a new one, whichever way the session ended, and neither can a proxy token issued before the user
//! signed out everywhere. A proxy token issued afterwards still signs the user in.

use std::process::Command;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::json;
use sqlx::PgPool;
use vector_auth::{EndAllSessions, EndOtherSessions, EndSession};

use crate::support::*;

/// A device: the proxy token it signed in with, and its session's cookies.
struct Device {
    proxy_token: String,
    session: Session,
}

async fn sign_in_device(app: &TestApp, email: &str) -> Device {
    let proxy_token = app.proxy().token(email, json!({}));
    let session = app.sign_in(&proxy_token).await;
    assert_eq!(session.get("uga_jwt"), Some(proxy_token.as_str()));
    Device {
        proxy_token,
        session,
    }
}

/// Posts the device's stored proxy token again, as an attacker holding the device's cookies would: the status,
/// and the detail of a refusal.
async fn replay(app: &TestApp, device: &Device) -> (u16, String) {
    let response = app.exchange(&device.proxy_token).await;
    let status = response.status().as_u16();
    if status == 200 {
        return (status, String::new());
    }
    (status, detail(response).await)
}

const REFUSED: (u16, &str) = (401, "This sign-in has ended: sign in again.");

fn assert_refused(outcome: (u16, String), how: &str) {
    assert_eq!(
        (outcome.0, outcome.1.as_str()),
        REFUSED,
        "after {how}, the ended session's proxy token was taken again"
    );
}

/// Proxy tokens carry their issue time in whole seconds: one minted in the second of an "everywhere" ending
/// counts as issued before it.
async fn next_second() {
    tokio::time::sleep(Duration::from_millis(1_100)).await;
}

#[sqlx::test]
async fn a_session_ended_from_the_account_page_cannot_come_back(db: PgPool) {
    let app = spawn_app(db).await;
    let laptop = sign_in_device(&app, "ada@example.com").await;
    let phone = sign_in_device(&app, "ada@example.com").await;

    let id = phone.session.id();
    let response = app
        .call(EndSession::PATH, &[("id", &id)], &laptop.session)
        .await;
    assert_eq!(response.status(), 200);
    assert_refused(replay(&app, &phone).await, "ending one session");
    // The session that ended it goes on, and its own proxy token still works (its session lives).
    assert_eq!(app.me(&laptop.session).await.status(), 200);
    assert_eq!(replay(&app, &laptop).await.0, 200);
}

#[sqlx::test]
async fn sessions_ended_as_others_cannot_come_back(db: PgPool) {
    let app = spawn_app(db).await;
    let laptop = sign_in_device(&app, "ada@example.com").await;
    let phone = sign_in_device(&app, "ada@example.com").await;
    let tablet = sign_in_device(&app, "ada@example.com").await;

    let response = app.call(EndOtherSessions::PATH, &[], &laptop.session).await;
    assert_eq!(response.status(), 200);
    assert_refused(replay(&app, &phone).await, "signing out other sessions");
    assert_refused(replay(&app, &tablet).await, "signing out other sessions");
    // Through the REST route too.
    let fresh = sign_in_device(&app, "ada@example.com").await;
    let response = app
        .post("/api/accounts/sessions/revoke-others/")
        .header("cookie", laptop.session.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_refused(replay(&app, &fresh).await, "POST revoke-others");
    assert_eq!(app.me(&laptop.session).await.status(), 200);
}

#[sqlx::test]
async fn signing_out_everywhere_refuses_every_proxy_token_issued_before(db: PgPool) {
    let app = spawn_app(db).await;
    let laptop = sign_in_device(&app, "ada@example.com").await;
    // Issued before, never used: a token the proxy handed out that someone kept.
    let unused = app.proxy().token("ada@example.com", json!({}));

    let response = app.call(EndAllSessions::PATH, &[], &laptop.session).await;
    assert_eq!(response.status(), 200);
    assert_refused(replay(&app, &laptop).await, "signing out everywhere");
    let response = app.exchange(&unused).await;
    assert_eq!(response.status(), 401, "a token issued before the ending");

    next_second().await;
    let after = app.proxy().token("ada@example.com", json!({}));
    let response = app.exchange(&after).await;
    assert_eq!(
        response.status(),
        200,
        "a token issued afterwards signs the user in"
    );
    // Bob's tokens have nothing to do with Ada's ending.
    assert_eq!(
        app.exchange(&app.proxy().token("bob@example.com", json!({})))
            .await
            .status(),
        200
    );
}

#[sqlx::test]
async fn a_proxy_token_without_an_issue_time_counts_from_its_expiry(db: PgPool) {
    let app = spawn_app(db).await;
    let laptop = sign_in_device(&app, "ada@example.com").await;
    // No `iat`, expiring in an hour: issued about now, as far as the app can tell.
    let unused = app.proxy().token("ada@example.com", json!({"iat": null}));
    assert_eq!(
        app.call(EndAllSessions::PATH, &[], &laptop.session)
            .await
            .status(),
        200
    );
    assert_eq!(app.exchange(&unused).await.status(), 401);
    next_second().await;
    let later = app.proxy().token(
        "ada@example.com",
        json!({"iat": null, "exp": now() + 3_600}),
    );
    assert_eq!(app.exchange(&later).await.status(), 200);
}

#[sqlx::test]
async fn a_session_ended_by_refresh_token_reuse_cannot_come_back(db: PgPool) {
    let app = spawn_app_with(db, &[("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "0")]).await;
    let phone = sign_in_device(&app, "ada@example.com").await;
    let rotated = app.refresh(&phone.session).await;
    assert_eq!(rotated.status(), 204);
    // The old refresh token, presented again: reuse, the session ends.
    assert_eq!(app.refresh(&phone.session).await.status(), 401);
    assert_refused(replay(&app, &phone).await, "refresh-token reuse");
}

#[sqlx::test]
async fn signing_out_and_in_again_with_a_new_proxy_token_works(db: PgPool) {
    let app = spawn_app(db).await;
    let first = sign_in_device(&app, "ada@example.com").await;
    assert_eq!(app.logout(&first.session).await.status(), 200);
    // The token of the session signed out of is done with, as the session is.
    assert_refused(replay(&app, &first).await, "signing out");
    let again = sign_in_device(&app, "ada@example.com").await;
    assert_eq!(app.me(&again.session).await.status(), 200);
}

/// Runs vector-auth's admin command against the test's database.
async fn admin(url: String, args: &'static [&'static str]) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_admin"))
            .args(args)
            .current_dir(std::env::temp_dir())
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[sqlx::test]
async fn sessions_ended_by_the_admin_command_cannot_come_back(db: PgPool) {
    let url = database_url(&db);
    let app = spawn_app(db).await;
    let phone = sign_in_device(&app, "ada@example.com").await;
    admin(url.clone(), &["end-sessions", "ada@example.com"]).await;
    assert_refused(
        replay(&app, &phone).await,
        "the admin command's end-sessions",
    );

    next_second().await;
    let tablet = sign_in_device(&app, "ada@example.com").await;
    admin(url.clone(), &["deactivate", "ada@example.com"]).await;
    admin(url, &["reactivate", "ada@example.com"]).await;
    assert_refused(replay(&app, &tablet).await, "a deactivation");
    next_second().await;
    let fresh = sign_in_device(&app, "ada@example.com").await;
    assert_eq!(app.me(&fresh.session).await.status(), 200);
}
