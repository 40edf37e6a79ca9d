//! A few thousand random requests (methods, paths, headers and bodies, with and without a session) to every
//! route and server function: none may answer 5xx, and none may hang.

use std::time::Duration;

use futures::StreamExt;
use sqlx::PgPool;

use crate::support::*;

/// xorshift64*: a small deterministic generator, so a failure can be replayed from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Printable ASCII, as header values must be.
    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b' ' + self.below(95) as u8) as char)
            .collect()
    }
}

const REQUESTS: usize = 3_000;

enum Outcome {
    Answered,
    /// The connection was reset before the answer was read (see below).
    Reset,
    Failed(String),
}

// It found renders that hung for good whenever another test built its router meanwhile (leptos#4773; see
// `page_routes` in src/server/router.rs). A short request timeout shows a stuck handler as a 503 at once.
#[sqlx::test]
async fn random_requests_never_get_a_5xx_or_hang(db: PgPool) {
    let app = spawn_app_with(db, &[("REQUEST_TIMEOUT_SECONDS", "5")]).await;
    let session = app.sign_in_as("ada@example.com").await;
    let token = app.proxy().token("bob@example.com", serde_json::json!({}));

    // Every server function but the test site's deliberate failures (a panic, a slow answer).
    let deliberate = [
        <site::PanicOnPurpose as leptos::server_fn::ServerFn>::PATH,
        <site::TakeYourTime as leptos::server_fn::ServerFn>::PATH,
    ];
    let server_fns: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| !deliberate.contains(path))
        .collect();
    let mut paths: Vec<&str> = vec![
        "/",
        "/notes",
        "/auth/callback",
        "/no-such-page",
        "/api/health",
        "/api/health/live",
        "/api/accounts/auth/token",
        "/api/accounts/auth/refresh",
        "/api/accounts/me/",
        "/api/accounts/logout/",
        "/pkg/vector_app.wasm",
        "/favicon.svg",
    ];
    paths.extend(&server_fns);
    let methods = [
        "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ];
    let content_types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/cbor",
        "",
    ];
    let bodies = [
        "",
        "{}",
        "[]",
        "null",
        "{\"token\": 42}",
        "{\"token\": null}",
        "token=",
        "body=%00",
        "id=00000000-0000-0000-0000-000000000000",
        "body=hello&body=again",
        "%%%",
    ];

    let mut random = Random(0x005e_ed0f_f00d);
    let mut requests = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let method = random.pick(&methods);
        let mut path = random.pick(&paths).to_owned();
        match random.below(6) {
            0 => path.push_str(&format!("/{}", urlencode(&random.bytes(8)))),
            1 => path.push_str(&format!("?{}", urlencode(&random.bytes(12)))),
            _ => {}
        }
        let body = match random.below(4) {
            0 => {
                let len = random.below(4096);
                random.bytes(len)
            }
            1 => {
                let len = random.below(512);
                random.text(len).into_bytes()
            }
            2 => format!("{{\"token\": \"{token}\"}}").into_bytes(),
            _ => random.pick(&bodies).as_bytes().to_vec(),
        };
        let mut headers: Vec<(&str, String)> = vec![];
        let content_type = random.pick(&content_types);
        if !content_type.is_empty() {
            headers.push(("content-type", content_type.to_owned()));
        }
        match random.below(4) {
            0 => headers.push(("cookie", session.cookie_header())),
            1 => headers.push(("cookie", random.text(40))),
            2 => headers.push(("cookie", format!("access_token={}", random.text(30)))),
            _ => {}
        }
        if random.below(3) == 0 {
            headers.push(("authorization", format!("Bearer {}", random.text(20))));
        }
        headers.push((
            "sec-fetch-site",
            random
                .pick(&["same-origin", "cross-site", "none", "same-site"])
                .to_owned(),
        ));
        if random.below(2) == 0 {
            headers.push((
                "origin",
                random
                    .pick(&["null", "https://evil.example", ""])
                    .to_owned(),
            ));
        }
        if random.below(4) == 0 {
            headers.push((
                "accept",
                random
                    .pick(&["text/html", "*/*", "application/json"])
                    .to_owned(),
            ));
        }
        requests.push((method, path, headers, body));
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let outcomes = futures::stream::iter(requests)
        .map(|(method, path, headers, body)| {
            let client = client.clone();
            let url = app.url(&path);
            async move {
                let mut request = client
                    .request(method.parse().unwrap(), &url)
                    .body(body.clone());
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                let what = || format!("{method} {path} {headers:?} body {} bytes", body.len());
                match request.send().await {
                    Ok(response) if response.status().is_server_error() => {
                        Outcome::Failed(format!(
                            "{} -> {}: {}",
                            what(),
                            response.status(),
                            response.text().await.unwrap_or_default()
                        ))
                    }
                    Ok(_) => Outcome::Answered,
                    Err(e) if e.is_timeout() => {
                        Outcome::Failed(format!("{} -> no answer: {e}", what()))
                    }
                    // The server answered without reading the body (a page, a 404 or 405) and closed the
                    // connection with the body unread; the kernel may then reset it before the client reads
                    // the answer. Not a 5xx and not a hang: counted and shown, not failed.
                    Err(_) => Outcome::Reset,
                }
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<Outcome>>()
        .await;
    let resets = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Reset))
        .count();
    let failures: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        })
        .collect();
    println!(
        "{REQUESTS} random requests: {} failed, {resets} reset",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {REQUESTS} requests failed, for example:\n{}",
        failures.len(),
        failures[..failures.len().min(5)]
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The app still works afterwards.
    assert_eq!(app.get("/api/health").send().await.unwrap().status(), 200);
}

fn urlencode(bytes: &[u8]) -> String {
    url::form_urlencoded::byte_serialize(bytes).collect()
}
