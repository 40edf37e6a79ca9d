//! Health checks, pages, and what happens while the database is away.

use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::support::*;

/// A pool that reaches the test database through a relay that can cut it off; requests give up waiting for
/// a connection after two seconds.
async fn pool_that_can_go_down(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) -> (PgPool, Relay) {
    pool_through_relay(
        pool_options
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(2)),
        connect_options,
        Duration::ZERO,
    )
    .await
}

#[sqlx::test]
async fn health_and_pages_answer(db: PgPool) {
    let app = site::start(db, base_env()).await;
    let response = app.get("/api/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    assert_eq!(
        app.get("/api/health/live").send().await.unwrap().status(),
        200
    );

    let page = app.get("/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Welcome to the test site")
    );
    let missing = app.get("/no-such-page").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let path = <vector_testing::site::DatabaseStatus as leptos::server_fn::ServerFn>::PATH;
    let response = app.post(path).form(&[("", "")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "null",
        "the database answers, and that is all an anonymous caller learns"
    );
}

#[sqlx::test]
async fn the_app_answers_503_while_the_database_is_down_and_recovers_without_a_restart(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) {
    let (db, relay) = pool_that_can_go_down(pool_options, connect_options).await;
    // Without the user cache, so that every authenticated request needs the database.
    let app = spawn_app_with(db, &[("USER_CACHE_SECONDS", "0")]).await;
    let session = app.sign_in_as("ada@example.com").await;

    relay.go_down();
    let response = app.get("/api/health").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(detail(response).await, "Database unavailable.");
    for response in [
        app.me(&session).await,
        app.refresh(&session).await,
        app.exchange(&app.proxy().token("bob@example.com", json!({})))
            .await,
    ] {
        assert_eq!(response.status(), 503);
        assert_eq!(detail(response).await, "Database unavailable.");
    }

    relay.come_back();
    let response = app.get("/api/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.me(&session).await.status(), 200);
    assert_eq!(
        app.refresh(&session).await.status(),
        204,
        "the refresh that failed during the outage changed nothing"
    );
    app.sign_in_as("bob@example.com").await;
}

#[sqlx::test]
async fn recently_seen_users_are_served_from_memory_while_the_database_is_down(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) {
    let (db, relay) = pool_that_can_go_down(pool_options, connect_options).await;
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;

    relay.go_down();
    // The signed-in user was cached at sign-in: reading them needs no database.
    let response = app.me(&session).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["email"],
        "ada@example.com"
    );
    let bearer = app
        .get("/api/accounts/me/")
        .bearer_auth(session.get("access_token").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    // A signed-in page render reads the user from the same cache: no database round trip.
    let page = app
        .get("/")
        .header("accept", "text/html")
        .header("cookie", session.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("Ada Lovelace"),
        "the page renders signed in"
    );
    // What writes still needs it.
    assert_eq!(app.refresh(&session).await.status(), 503);
    relay.come_back();
    assert_eq!(app.refresh(&session).await.status(), 204);
}

#[sqlx::test]
async fn a_sign_out_that_fails_says_so_and_keeps_the_session(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) {
    let (db, relay) = pool_that_can_go_down(pool_options, connect_options).await;
    let app = spawn_app(db).await;
    let session = app.sign_in_as("ada@example.com").await;

    relay.go_down();
    let response = app.logout(&session).await;
    assert_eq!(response.status(), 503);
    assert!(
        set_cookies(&response).is_empty(),
        "the cookies stay: the session was not ended"
    );
    let response = app.call(vector_auth::Logout::PATH, &[], &session).await;
    assert_eq!(response.status(), 503);
    assert!(set_cookies(&response).is_empty());

    relay.come_back();
    let response = app.logout(&session).await;
    assert_eq!(response.status(), 200);
    let mut after = session.clone();
    after.update(&response);
    assert_eq!(after.get("refresh_token"), None, "deleted now");
    assert_eq!(
        app.refresh(&session).await.status(),
        401,
        "and the session ended on the server"
    );
}

#[sqlx::test]
async fn readiness_waits_for_the_auth_proxys_keys(db: PgPool) {
    let app = spawn_app(db).await;
    app.proxy().set_mode(JwksMode::Error);
    let ready = || async { app.get("/api/health/ready").send().await.unwrap() };

    let response = ready().await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        detail(response).await,
        "Not ready: the auth proxy's keys are not loaded yet."
    );
    assert_eq!(
        app.get("/api/health").send().await.unwrap().status(),
        200,
        "the database answers all the same"
    );

    // The warm-up the server starts with keeps trying while the proxy fails.
    let warming = tokio::spawn(app.platform.auth.clone().warm_up());
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(ready().await.status(), 503);
    assert!(
        app.proxy().fetches() >= 2,
        "{} fetches",
        app.proxy().fetches()
    );
    app.proxy().set_mode(JwksMode::Normal);
    tokio::time::timeout(Duration::from_secs(10), warming)
        .await
        .expect("the warm-up ends once the proxy answers")
        .unwrap();
    let response = ready().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ready"})
    );
}

#[sqlx::test]
async fn readiness_in_dev_mode_is_the_database(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
) {
    let (db, relay) = pool_that_can_go_down(pool_options, connect_options).await;
    let app = site::start(db, base_env()).await;
    assert_eq!(
        app.get("/api/health/ready").send().await.unwrap().status(),
        200
    );
    relay.go_down();
    let response = app.get("/api/health/ready").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(detail(response).await, "Database unavailable.");
}

#[sqlx::test(migrations = false)]
async fn two_instances_starting_at_once_migrate_a_fresh_database_once(db: PgPool) {
    let url = database_url(&db);
    let ports = [free_port(), free_port()];
    let servers: Vec<RunningServer> = ports
        .iter()
        .map(|port| RunningServer::start(&site_binary(), &url, *port, &[]))
        .collect();
    for port in ports {
        wait_for_port(port, "a server", Duration::from_secs(30));
        let response = reqwest::get(format!("http://127.0.0.1:{port}/api/health"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&db)
        .await
        .unwrap();
    // The platform's migrations and the test site's own.
    let files = vector_auth::migrator().iter().count()
        + sqlx::migrate!("../vector-testing/migrations")
            .iter()
            .count();
    assert_eq!(applied as usize, files, "each migration applied once");
    for server in servers {
        let output = server.stop();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[sqlx::test]
async fn a_failed_warm_up_does_not_hold_back_the_first_sign_in(db: PgPool) {
    let app = spawn_app(db).await;
    app.proxy().set_mode(JwksMode::Error);
    let warming = tokio::spawn(app.platform.auth.clone().warm_up());
    while app.proxy().fetches() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The proxy answers now; the warm-up waits a second before it tries again. A sign-in fetches meanwhile.
    app.proxy().set_mode(JwksMode::Normal);
    app.sign_in_as("ada@example.com").await;
    assert_eq!(
        app.get("/api/health/ready").send().await.unwrap().status(),
        200
    );
    warming.abort();
}

#[sqlx::test]
async fn the_healthcheck_command_asks_the_running_server(db: PgPool) {
    let app = spawn_app(db).await;
    let healthcheck = |addr: String| async move {
        tokio::process::Command::new(site_binary())
            .arg("healthcheck")
            .env_clear()
            .env("LEPTOS_SITE_ADDR", addr)
            .status()
            .await
            .unwrap()
            .code()
    };
    assert_eq!(healthcheck(app.addr.to_string()).await, Some(0));
    // 0.0.0.0 (as in the container image) means this machine.
    let any = format!("0.0.0.0:{}", app.addr.port());
    assert_eq!(healthcheck(any).await, Some(0));
    let closed = format!("127.0.0.1:{}", free_port());
    assert_eq!(healthcheck(closed).await, Some(1));
}

#[sqlx::test]
async fn not_ready_until_the_ended_sessions_are_known(db: PgPool) {
    // The platform and its router as the server sets them up, but without the task that learns which sessions
    // ended: until its first catch-up, an instance would accept the access tokens of sessions ended elsewhere.
    let config = vector_server::Config::from_env(&base_env()).unwrap();
    let limits = config.server.clone();
    let server = site::server();
    server.migrate(&db).await.unwrap();
    let options = leptos::config::LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .build();
    let platform = vector_server::Platform::new(config, db, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/health/ready", listener.local_addr().unwrap());
    tokio::spawn(vector_server::serve(
        listener,
        server.router(&platform),
        limits,
        std::future::pending(),
    ));

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        detail(response).await,
        "Not ready: the ended sessions are not known yet."
    );
    let watching = tokio::spawn(platform.auth.clone().watch_ended_sessions());
    let started = std::time::Instant::now();
    while reqwest::get(&url).await.unwrap().status() != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "ready after the first catch-up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watching.abort();
}
