//! Users and sessions: the first-login race, claim updates, account matching, refresh rotation with reuse
//! detection and its grace window, logout, inactive users and clean-up.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test]
async fn fifty_simultaneous_first_logins_give_one_user(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let tokens: Vec<String> = (0..50)
        .map(|i| {
            // Same person, email in varying case.
            let email = if i % 2 == 0 {
                "Grace@Example.com"
            } else {
                "grace@example.com"
            };
            proxy.token(email, json!({"user_id": "uga-grace"}))
        })
        .collect();
    let responses = join_all(tokens.iter().map(|t| app.exchange(t))).await;
    let mut ids = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        ids.push(body["user"]["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every login got the same user");
    assert_eq!(app.user_count().await, 1);

    // Without user_id in the tokens as well.
    let tokens: Vec<String> = (0..50)
        .map(|_| proxy.token("linus@example.com", json!({"user_id": null})))
        .collect();
    let responses = join_all(tokens.iter().map(|t| app.exchange(t))).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(app.user_count().await, 2);
}

#[sqlx::test]
async fn a_sign_in_is_one_transaction_with_its_session(db: PgPool) {
    let app = spawn_app(db).await;
    // Postgres itself refuses to start sessions for a while, after the user upsert has run.
    sqlx::query(
        "CREATE FUNCTION refuse_sessions() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'no new sessions'; END $$",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_sessions BEFORE INSERT ON refresh_token_families
         FOR EACH ROW EXECUTE FUNCTION refuse_sessions()",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let token = app
        .proxy()
        .token("grace@example.com", json!({"given_name": "Grace"}));
    let refused = app.exchange(&token).await;
    assert_eq!(refused.status(), 500);
    assert!(refused.headers().get("set-cookie").is_none());
    // The upsert went back with the session: no half sign-in is left behind.
    assert_eq!(app.user_count().await, 0);

    sqlx::query("DROP TRIGGER refuse_sessions ON refresh_token_families")
        .execute(&app.db)
        .await
        .unwrap();
    let response = app.exchange(&token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.user_count().await, 1);
}

#[sqlx::test]
async fn claims_update_non_empty_fields(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    app.sign_in_as("ada@example.com").await;
    let before = row_version(&app).await;

    let token = proxy.token(
        "ada@example.com",
        json!({"first_name": "Augusta", "last_name": "", "picture": null}),
    );
    let response = app.exchange(&token).await;
    let user: Value = response.json::<Value>().await.unwrap()["user"].clone();
    assert_eq!(user["first_name"], "Augusta");
    assert_eq!(
        user["last_name"], "Lovelace",
        "an empty claim keeps the stored value"
    );
    assert_eq!(
        user["picture"], "https://example.com/ada.png",
        "a missing claim keeps the stored value"
    );
    assert_ne!(
        row_version(&app).await,
        before,
        "a changed claim is written"
    );
}

#[sqlx::test]
async fn a_returning_user_with_unchanged_claims_is_not_rewritten(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let signed_in_user = async |token: String| {
        let response = app.exchange(&token).await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["user"].clone()
    };
    let first = signed_in_user(proxy.token("ada@example.com", json!({}))).await;
    let before = row_version(&app).await;

    // Again with the Vector id the proxy's tokens carry, then by email alone with claims left empty.
    let again = signed_in_user(proxy.token("ada@example.com", json!({}))).await;
    let by_email = signed_in_user(proxy.token(
        "ADA@example.com",
        json!({"user_id": null, "first_name": "", "picture": null}),
    ))
    .await;

    assert_eq!(row_version(&app).await, before, "the row was not written");
    assert_eq!(app.user_count().await, 1);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(by_email["id"], first["id"]);
    assert_eq!(by_email["first_name"], "Ada");
    assert_eq!(by_email["email"], "ada@example.com");
    assert_eq!(
        app.rows("refresh_token_families").await,
        3,
        "each sign-in still starts a session"
    );
}

/// The row's `xmin` (the transaction that wrote this version of it) and `updated_at`: both stay put unless the
/// row is written.
async fn row_version(app: &TestApp) -> (String, i64) {
    sqlx::query_as(
        "SELECT xmin::text, (extract(epoch FROM updated_at) * 1000000)::bigint FROM users",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[sqlx::test]
async fn users_are_matched_by_vector_id_then_email(db: PgPool) {
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let id_of = |v: Value| v["user"]["id"].as_str().unwrap().to_owned();

    let ada = id_of(
        app.exchange(&proxy.token("ada@example.com", json!({"user_id": "u1"})))
            .await
            .json()
            .await
            .unwrap(),
    );
    // The proxy says the same person has a new email: same user, email follows.
    let moved = app
        .exchange(&proxy.token("ada@new.example.com", json!({"user_id": "u1"})))
        .await;
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(id_of(moved.clone()), ada);
    assert_eq!(moved["user"]["email"], "ada@new.example.com");

    // An existing user without a Vector id gets linked on first proxy login.
    let dev: Value = app
        .exchange(&proxy.token("bob@example.com", json!({"user_id": null})))
        .await
        .json()
        .await
        .unwrap();
    let linked: Value = app
        .exchange(&proxy.token("BOB@example.com", json!({"user_id": "u2"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(id_of(linked), id_of(dev));

    // An email owned by a user linked to another Vector id is not taken over.
    let response = app
        .exchange(&proxy.token("bob@example.com", json!({"user_id": "u3"})))
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        detail(response).await,
        "This email address belongs to a different Vector account."
    );
    assert_eq!(app.user_count().await, 2);
}

#[sqlx::test]
async fn two_simultaneous_refreshes_with_one_token_log_nobody_out(db: PgPool) {
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;

    let (a, b) = tokio::join!(app.refresh(&session), app.refresh(&session));
    assert_eq!(a.status(), 204);
    assert_eq!(b.status(), 204);
    let (mut tab_a, mut tab_b) = (session.clone(), session.clone());
    tab_a.update(&a);
    tab_b.update(&b);
    assert_eq!(
        tab_a.get("refresh_token"),
        tab_b.get("refresh_token"),
        "both tabs hold the same child: no fork"
    );
    let families: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_token_families")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        (families, tokens),
        (1, 2),
        "one family: the original token and its one child"
    );

    // Both tabs go on refreshing normally.
    let next = app.refresh(&tab_a).await;
    assert_eq!(next.status(), 204);
    tab_a.update(&next);
    assert_eq!(app.me(&tab_a).await.status(), 200);
}

#[sqlx::test]
async fn a_replay_after_the_grace_window_revokes_the_family(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(
        db,
        proxy_env(&proxy).with("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "0"),
    )
    .await;
    let stolen = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    let mut victim = stolen.clone();
    let response = app.refresh(&victim).await;
    assert_eq!(response.status(), 204);
    victim.update(&response);

    let replay = app.refresh(&stolen).await;
    assert_eq!(replay.status(), 401, "the used token is refused");
    assert_eq!(
        detail(replay).await,
        "This refresh token was already used, so its session has been ended. Sign in again."
    );
    let response = app.refresh(&victim).await;
    assert_eq!(
        response.status(),
        401,
        "and the whole family with it, the legitimate child included"
    );
    assert_eq!(detail(response).await, "Refresh token expired.");
}

#[sqlx::test]
async fn a_grandparent_is_refused_even_within_the_grace_window(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(
        db,
        proxy_env(&proxy).with("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "60"),
    )
    .await;
    let first = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    let mut second = first.clone();
    let response = app.refresh(&second).await;
    second.update(&response);
    let mut third = second.clone();
    let response = app.refresh(&third).await;
    third.update(&response);

    assert_eq!(
        app.refresh(&first).await.status(),
        401,
        "a grandparent is reuse, not a concurrent tab"
    );
    assert_eq!(
        app.refresh(&third).await.status(),
        401,
        "the family is revoked"
    );
}

#[sqlx::test]
async fn an_inactive_user_can_neither_refresh_nor_use_the_app(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, proxy_env(&proxy).with("USER_CACHE_SECONDS", "1")).await;
    let session = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    assert_eq!(app.me(&session).await.status(), 200);
    sqlx::query("UPDATE users SET is_active = false")
        .execute(&app.db)
        .await
        .unwrap();

    // Refreshing and signing in read Postgres: refused at once.
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 401);
    assert_eq!(detail(response).await, "User is inactive");
    let response = app
        .exchange(&proxy.token("ada@example.com", json!({})))
        .await;
    assert_eq!(response.status(), 401);
    // The access token still in hand stops working once the cached user expires (USER_CACHE_SECONDS).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app.me(&session).await;
    assert_eq!(response.status(), 401);
    assert_eq!(detail(response).await, "User is inactive");
}

#[sqlx::test]
async fn a_session_made_on_one_instance_works_on_another(db: PgPool) {
    let proxy = TestProxy::start().await;
    // Two instances of the app on one database with the same SECRET_KEY, as behind a load balancer.
    let a = site::start(db.clone(), proxy_env(&proxy)).await;
    let b = site::start(db, proxy_env(&proxy)).await;
    let mut session = a.sign_in(&proxy.token("ada@example.com", json!({}))).await;

    let response = b.me(&session).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["email"],
        "ada@example.com"
    );
    let response = b.refresh(&session).await;
    assert_eq!(response.status(), 204);
    session.update(&response);
    assert_eq!(
        a.me(&session).await.status(),
        200,
        "B's new access token works on A"
    );
    let response = a.refresh(&session).await;
    assert_eq!(response.status(), 204, "B's new refresh token works on A");
    session.update(&response);

    // Logging out on B ends the session on A too.
    assert_eq!(b.logout(&session).await.status(), 200);
    assert_eq!(a.refresh(&session).await.status(), 401);
}

#[sqlx::test]
async fn expired_sessions_are_recorded_as_ended_and_deleted_after_the_retention(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    app.sign_in_as("bob@example.com").await;
    sqlx::query("UPDATE refresh_token_families SET expires_at = now() - interval '1 minute' WHERE user_id = (SELECT id FROM users WHERE email = 'ada@example.com')")
        .execute(&app.db)
        .await
        .unwrap();
    let deleted = app.platform.auth.delete_expired_sessions().await.unwrap();
    assert_eq!(
        (deleted.sessions, deleted.used_tokens, deleted.old_sessions),
        (1, 1, 0)
    );
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens, 1, "the expired session's token went; bob's stays");
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT end_reason FROM refresh_token_families WHERE user_id = (SELECT id FROM users WHERE email = 'ada@example.com')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("expired"));
    assert_eq!(app.refresh(&ada).await.status(), 401);

    // Past the retention (90 days), the record goes too.
    sqlx::query("UPDATE refresh_token_families SET revoked_at = now() - interval '91 days' WHERE revoked_at IS NOT NULL")
        .execute(&app.db)
        .await
        .unwrap();
    let deleted = app.platform.auth.delete_expired_sessions().await.unwrap();
    assert_eq!(
        (deleted.sessions, deleted.used_tokens, deleted.old_sessions),
        (0, 0, 1)
    );
    assert_eq!(app.rows("refresh_token_families").await, 1);
}

#[sqlx::test]
async fn requests_abandoned_mid_flight_leave_no_transaction_open(
    pool_options: sqlx::postgres::PgPoolOptions,
    connect_options: sqlx::postgres::PgConnectOptions,
) {
    use sqlx::Connection;

    // Postgres 5 ms away in each direction, so requests spend most of their time waiting on it.
    let (db, _relay) = pool_through_relay(
        pool_options.max_connections(2),
        connect_options.clone(),
        Duration::from_millis(5),
    )
    .await;
    let app = spawn_app(db).await;
    let proxy = app.proxy();
    let token = proxy.token("ada@example.com", json!({}));
    let session = app.sign_in(&token).await;

    // Clients that give up after 1 to 60 ms: many leave while the server waits on Postgres. After each, no
    // connection may sit idle inside a transaction.
    let mut observer = sqlx::PgConnection::connect_with(&connect_options)
        .await
        .unwrap();
    let mut left_open = Vec::new();
    for i in 0..60u64 {
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(1 + i))
            .build()
            .unwrap();
        let request = if i % 2 == 0 {
            impatient
                .post(app.url("/api/accounts/auth/refresh"))
                .header("cookie", session.cookie_header())
        } else {
            impatient
                .post(app.url("/api/accounts/auth/token"))
                .json(&json!({ "token": token }))
        };
        let _ = request.send().await;
        // Work that outlives its request finishes within about 100 ms here; a leaked transaction stays.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND state LIKE 'idle in transaction%' AND state_change < now() - interval '50 ms'",
        )
        .fetch_one(&mut observer)
        .await
        .unwrap();
        if open > 0 {
            left_open.push(1 + i);
        }
    }
    assert!(
        left_open.is_empty(),
        "a connection went back to the pool inside a transaction after clients gave up at {left_open:?} ms"
    );
    // And the app goes on working: a new user's sign-in is committed, and its session refreshes.
    let fresh = app.sign_in_as("bob@example.com").await;
    assert_eq!(app.me(&fresh).await.status(), 200);
    assert_eq!(app.refresh(&fresh).await.status(), 204);
    let families: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_token_families f JOIN users u ON u.id = f.user_id
         WHERE u.email = 'bob@example.com'",
    )
    .fetch_one(&mut observer)
    .await
    .unwrap();
    assert_eq!(families, 1, "bob's sign-in was committed");
}

#[sqlx::test]
async fn a_session_ends_at_its_maximum_age_however_often_it_is_refreshed(db: PgPool) {
    let proxy = TestProxy::start().await;
    let app = site::start(db, proxy_env(&proxy).with("SESSION_MAX_AGE", "3")).await;
    let signed_in_at = now();
    let mut session = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;

    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let response = app.refresh(&session).await;
        assert_eq!(response.status(), 204);
        session.update(&response);
        let refresh = session.get("refresh_token").unwrap();
        let exp = unverified_claims(refresh)["exp"].as_i64().unwrap();
        assert!(
            exp <= signed_in_at + 4,
            "rotation never extends the session: exp {exp}, signed in at {signed_in_at}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 401, "past SESSION_MAX_AGE");
}

#[sqlx::test]
async fn an_access_token_never_outlives_its_session(db: PgPool) {
    // Access tokens live 300 s by default; this session, 3.
    let proxy = TestProxy::start().await;
    let app = site::start(db, proxy_env(&proxy).with("SESSION_MAX_AGE", "3")).await;
    let signed_in_at = now();
    let mut session = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    let access_exp = |session: &Session| {
        unverified_claims(session.get("access_token").unwrap())["exp"]
            .as_i64()
            .unwrap()
    };
    assert!(access_exp(&session) <= signed_in_at + 4, "at sign-in");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 204);
    session.update(&response);
    assert!(access_exp(&session) <= signed_in_at + 4, "after a refresh");

    // Past the session's end its access token is refused, though "everywhere" endings skip ended sessions.
    // (Tokens count whole seconds: one is good through the second of its `exp`.)
    let past_the_end = (access_exp(&session) + 1 - now()).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(past_the_end * 1000 + 200)).await;
    assert_eq!(app.me(&session).await.status(), 401);
}

#[sqlx::test]
async fn used_tokens_of_live_sessions_are_pruned_once_expired(db: PgPool) {
    let proxy = TestProxy::start().await;
    let env = proxy_env(&proxy).with("REFRESH_TOKEN_COOKIE_MAX_AGE", "2");
    let app = site::start(db, env).await;
    let mut session = app
        .sign_in(&proxy.token("ada@example.com", json!({})))
        .await;
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 204);
    session.update(&response);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let response = app.refresh(&session).await;
    assert_eq!(response.status(), 204);
    session.update(&response);
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // The first two tokens are used and past their lifetime; the newest lives on, and so does the session.
    let deleted = app.platform.auth.delete_expired_sessions().await.unwrap();
    assert_eq!(
        (deleted.sessions, deleted.used_tokens, deleted.old_sessions),
        (0, 2, 0)
    );
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens, 1);
    assert_eq!(app.refresh(&session).await.status(), 204);
}
