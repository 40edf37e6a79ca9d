//! Malformed and oversized requests get a 4xx with a `detail`, never a 5xx.

use leptos::server_fn::ServerFn;
use serde_json::Value;
use sqlx::PgPool;
use vector_testing::site::CreateNote;

use crate::support::*;

/// Sends raw bytes and reads the whole answer (the server may answer before it has read everything).
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn assert_refused(response: reqwest::Response, status: u16, detail_starts: &str) {
    let what = response.url().path().to_owned();
    assert_eq!(response.status(), status, "{what}");
    let body: Value = response.json().await.expect("a JSON body");
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.starts_with(detail_starts), "{what}: {detail}");
}

#[sqlx::test]
async fn oversized_bodies_are_413_on_the_auth_routes_and_in_server_functions(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;

    // The auth routes read a few KB at most.
    let big_token = format!("{{\"token\": \"{}\"}}", "a".repeat(20 * 1024));
    let response = app
        .post("/api/accounts/auth/token")
        .header("content-type", "application/json")
        .body(big_token)
        .send()
        .await
        .unwrap();
    assert_refused(response, 413, "The request body is too large.").await;

    // Server functions read 64 KB at most, whether the size is announced or streamed.
    let big_note = "x".repeat(100 * 1024);
    let response = app
        .call(CreateNote::PATH, &[("body", &big_note)], &ada)
        .await;
    assert_refused(response, 413, "The request body is too large.").await;
    // Streamed in chunks, with no Content-Length, over a raw socket.
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        CreateNote::PATH,
        app.addr,
        ada.cookie_header()
    );
    let chunk = format!("body={}", "y".repeat(1024));
    for _ in 0..100 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let answer = raw_exchange(app.addr, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"detail\":\"The request body is too large.\""),
        "{answer}"
    );

    assert_eq!(app.rows("site_notes").await, 0);
}

#[sqlx::test]
async fn a_server_function_body_that_is_not_utf8_is_400(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;

    let not_utf8 = vec![b'b', b'o', b'd', b'y', b'=', 0xff, 0xfe];
    let response = app
        .post(CreateNote::PATH)
        .header("cookie", ada.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(not_utf8)
        .send()
        .await
        .unwrap();
    assert_refused(response, 400, "Invalid").await;
    // The REST routes' own malformed bodies: see contract::exchange_without_a_token_is_400.
}
