//! `/metrics` of the real server binary: on its own listener only, and counting what happened.

use std::collections::HashMap;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::json;
use sqlx::PgPool;
use vector_testing::site::ListNotes;

use crate::support::*;

/// The samples of a Prometheus text page: `name{labels}` → value.
fn samples(page: &str) -> HashMap<String, f64> {
    page.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

#[sqlx::test]
async fn metrics_are_served_on_their_own_address_and_count_what_happened(db: PgPool) {
    let proxy = TestProxy::start().await;
    // The warm-up's first fetch fails, its retry a second later succeeds.
    proxy.set_mode(JwksMode::Error);
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let _server = RunningServer::start(
        &site_binary(),
        &database_url(&db),
        port,
        &[
            ("VECTOR_AUTH_PROXY_URL", &proxy.url()),
            ("METRICS_ADDR", &metrics_addr),
            ("DATABASE_MAX_CONNECTIONS", "7"),
            ("AUTH_RATE_LIMIT_PER_MINUTE", "5"),
            // A spent refresh token presented again at once is reuse, not two tabs racing.
            ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "0"),
            // Long enough for the requests below to find the users cached, short enough to wait out.
            ("USER_CACHE_SECONDS", "2"),
        ],
    );
    wait_for_port(port, "the server", Duration::from_secs(30));
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let origin = format!("http://127.0.0.1:{port}");
    let post = |path: &str| {
        http.post(url(path))
            .header("sec-fetch-site", "same-origin")
            .header("origin", &origin)
    };

    assert_eq!(
        http.get(url("/metrics")).send().await.unwrap().status(),
        404,
        "never on the site's address"
    );
    proxy.set_mode(JwksMode::Normal);
    let ready = async {
        while http
            .get(url("/api/health/ready"))
            .send()
            .await
            .unwrap()
            .status()
            != 200
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), ready)
        .await
        .expect("ready once the proxy answers");

    // Sign-ins: Ada is new, then returning; Grace is new. Four of the five allowed by the rate limit.
    let sign_in = |email: &str| {
        post("/api/accounts/auth/token")
            .json(&json!({ "token": proxy.token(email, json!({})) }))
            .send()
    };
    let ada = Session::from_response(&sign_in("ada@example.com").await.unwrap());
    let ada_again = Session::from_response(&sign_in("ada@example.com").await.unwrap());
    let grace = Session::from_response(&sign_in("grace@example.com").await.unwrap());
    for _ in 0..3 {
        let me = http
            .get(url("/api/accounts/me/"))
            .header("cookie", ada.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
    }
    // A refresh (the fourth), then its spent token again (the fifth): reuse.
    let refreshed = post("/api/accounts/auth/refresh")
        .header("cookie", ada_again.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 204);
    let reused = post("/api/accounts/auth/refresh")
        .header("cookie", ada_again.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 401);
    // Past the limit: two refusals.
    for _ in 0..2 {
        assert_eq!(sign_in("ada@example.com").await.unwrap().status(), 429);
    }
    let logout = post("/api/accounts/logout/")
        .header("cookie", grace.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let forged = http
        .post(url("/api/accounts/logout/"))
        .header("origin", "https://evil.example")
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        http.get(url("/no-such-file.txt"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let notes = post(ListNotes::PATH)
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(notes.status(), 200);

    // Past the cache's lifetime: Ada is read from Postgres again.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let uncached = http
        .get(url("/api/accounts/me/"))
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(uncached.status(), 200);

    let scrape = http
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
    );
    let page = scrape.text().await.unwrap();
    assert!(
        !page.contains(&ada.cookie_header()) && !page.contains("ada@example.com"),
        "no secret or personal data:\n{page}"
    );
    let values = samples(&page);
    let value = |series: &str| {
        *values
            .get(series)
            .unwrap_or_else(|| panic!("{series} is missing from:\n{page}"))
    };
    assert_eq!(value(r#"auth_sign_ins_total{user="new"}"#), 2.0);
    assert_eq!(value(r#"auth_sign_ins_total{user="returning"}"#), 1.0);
    assert_eq!(value("auth_refreshes_total"), 1.0);
    assert_eq!(value("auth_refresh_reuse_detected_total"), 1.0);
    assert_eq!(value("auth_rate_limit_refusals_total"), 2.0);
    assert_eq!(value("auth_logouts_total"), 1.0);
    assert_eq!(value("auth_csrf_refusals_total"), 1.0);
    assert!(value(r#"auth_jwks_fetches_total{result="error"}"#) >= 1.0);
    assert!(value(r#"auth_jwks_fetches_total{result="ok"}"#) >= 1.0);
    // Each sign-in puts its user in the cache: Ada's three `/me` and her notes find her there; the last `/me`,
    // past the cache's lifetime, does not.
    assert_eq!(value("auth_user_cache_hits_total"), 4.0);
    assert_eq!(value("auth_user_cache_misses_total"), 1.0);
    assert_eq!(value("db_pool_max_connections"), 7.0);
    assert!(value(r#"db_pool_connections{state="idle"}"#) >= 1.0);
    assert!(values.contains_key(r#"db_pool_connections{state="in_use"}"#));

    let me = r#"method="GET",route="/api/accounts/me/",status="2xx""#;
    // Three `/me` before and one after the cache's lifetime.
    assert_eq!(value(&format!("http_requests_total{{{me}}}")), 4.0);
    assert_eq!(
        value(&format!(
            r#"http_request_duration_seconds_bucket{{{me},le="+Inf"}}"#
        )),
        4.0
    );
    assert_eq!(
        value(&format!("http_request_duration_seconds_count{{{me}}}")),
        4.0
    );
    assert_eq!(
        value(
            r#"http_requests_total{method="POST",route="/api/accounts/auth/token",status="4xx"}"#
        ),
        2.0
    );
    assert_eq!(
        value(r#"http_requests_total{method="GET",route="fallback",status="4xx"}"#),
        2.0,
        "unknown paths (/metrics on the site, /no-such-file.txt) are counted under `fallback`, not their own names"
    );
    assert_eq!(
        value(&format!(
            r#"http_requests_total{{method="POST",route="{}",status="2xx"}}"#,
            ListNotes::PATH
        )),
        1.0,
        "a server function is a route of its own"
    );
    assert!(!page.contains("no-such-file"));
    for described in [
        "# HELP http_requests_total",
        "# TYPE http_request_duration_seconds histogram",
        "# HELP auth_sign_ins_total",
        "# HELP db_pool_connections",
    ] {
        assert!(page.contains(described), "{described}:\n{page}");
    }
}
