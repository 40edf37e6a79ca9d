//! The request log of the real server binary: one line per request with its id, and nothing secret.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;

use crate::support::*;

#[sqlx::test]
async fn each_request_logs_one_json_line_with_its_id_and_nothing_secret(db: PgPool) {
    let port = free_port();
    let server = RunningServer::start(
        &site_binary(),
        &database_url(&db),
        port,
        &[("LOG_FORMAT", "json")],
    );
    wait_for_port(port, "the server", Duration::from_secs(30));
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    let traced = http
        .get(url("/api/health/live?token=secret-in-query"))
        .header("x-request-id", "trace-42")
        .header("cookie", "access_token=secret-in-cookie")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "trace-42", "echoed");
    let generated = http
        .get(url("/api/accounts/me/"))
        .header("authorization", "Bearer secret-in-header")
        .send()
        .await
        .unwrap();
    assert_eq!(generated.status(), 401);
    let generated_id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&generated_id).is_ok(),
        "{generated_id}"
    );
    let replaced = http
        .get(url("/api/health/live"))
        .header("x-request-id", "forged id")
        .send()
        .await
        .unwrap();
    let replaced_id = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&replaced_id).is_ok(), "{replaced_id}");

    // The lines are written before each response goes out; give the last one a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let output = server.stop();
    let log = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!log.contains("secret-in"), "a secret in the log:\n{log}");

    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let served: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "served")
        .collect();
    assert_eq!(served.len(), 3, "one line per request:\n{log}");
    let expected = [
        ("trace-42", "/api/health/live", 200),
        (generated_id.as_str(), "/api/accounts/me/", 401),
        (replaced_id.as_str(), "/api/health/live", 200),
    ];
    for (line, (id, path, status)) in served.iter().zip(expected) {
        assert_eq!(line["span"]["request_id"], id, "{line}");
        assert_eq!(line["span"]["method"], "GET", "{line}");
        assert_eq!(line["span"]["path"], path, "{line}");
        assert_eq!(line["fields"]["route"], path, "the matched route: {line}");
        assert_eq!(line["fields"]["status"], status, "{line}");
        assert!(line["fields"]["latency_ms"].as_f64().is_some(), "{line}");
    }
}

#[sqlx::test]
async fn a_log_output_nobody_reads_does_not_stall_requests(db: PgPool) {
    // The server's standard output is a pipe nobody reads until it stops: once the pipe's buffer (64 KB on
    // Linux) is full, a log written in line with the requests would stop them all.
    let port = free_port();
    let server = RunningServer::start(
        &site_binary(),
        &database_url(&db),
        port,
        &[("LOG_FORMAT", "json")],
    );
    wait_for_port(port, "the server", Duration::from_secs(30));
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/health/live");
    // About 250 bytes a line: well past the pipe's buffer.
    let started = std::time::Instant::now();
    for n in 0..2_000 {
        let response = tokio::time::timeout(Duration::from_secs(2), http.get(&url).send())
            .await
            .unwrap_or_else(|_| panic!("request {n} stalled behind the log"))
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    println!(
        "2000 requests in {:?} with the log output stalled",
        started.elapsed()
    );
    let output = server.stop();
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.lines().count() > 10, "what fitted was written");
}
