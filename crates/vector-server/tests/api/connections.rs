//! Clients that trickle, idle, crowd or outstay a shutdown, over raw sockets: timeouts and limits
//! cut them off with a clear answer where one can still be given.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};
use vector_testing::site::CreateNote;

use crate::support::*;

/// Reads until the server closes the connection (or `limit` passes: `None`); what arrived, and when.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(String, Duration)> {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    timeout(limit, read_all).await.ok()?;
    Some((
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    ))
}

/// Writes `piece(0)`, `piece(1)`, … 200 ms apart until the server closes the connection (10 s at most);
/// what it answered, and when it closed.
async fn trickle_until_closed(
    stream: &mut TcpStream,
    piece: impl Fn(usize) -> String,
) -> (String, Duration) {
    let (mut reader, mut writer) = stream.split();
    let trickle = async {
        for i in 0.. {
            if writer.write_all(piece(i).as_bytes()).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(200)).await;
        }
        // The server stopped reading: what it answered is read below.
        std::future::pending::<()>().await
    };
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::select! {
        () = trickle => unreachable!(),
        _ = timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)) => {}
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// Reads one response to a request on a kept-alive connection: its head and `Content-Length` bytes of body.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .expect("a Content-Length");
            if body.len() >= length {
                return text;
            }
        }
        let n = timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("a response within 5 s")
            .expect("the connection stays open");
        assert!(
            n > 0,
            "the connection closed before the response was complete"
        );
        answer.extend_from_slice(&chunk[..n]);
    }
}

fn health_request(addr: SocketAddr) -> String {
    format!("GET /api/health/live HTTP/1.1\r\nHost: {addr}\r\n\r\n")
}

/// A POST whose headers promise `length` bytes of body, as the app's own pages send it.
fn post_head(addr: SocketAddr, path: &str, content_type: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    )
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {answer:?}"))
}

fn body_of(answer: &str) -> serde_json::Value {
    let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {body:?}"))
}

#[sqlx::test]
async fn headers_that_trickle_in_are_cut_off_at_the_header_read_timeout(db: PgPool) {
    let app = spawn_app_with(
        db,
        &[
            ("HEADER_READ_TIMEOUT_SECONDS", "1"),
            ("KEEP_ALIVE_TIMEOUT_SECONDS", "30"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /api/health/live HTTP/1.1\r\n")
        .await
        .unwrap();
    // A header line every 200 ms: the connection never goes quiet, but its headers never end.
    let (answer, elapsed) =
        trickle_until_closed(&mut stream, |i| format!("X-Line-{i}: a\r\n")).await;
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4),
        "closed after {elapsed:?}"
    );
    assert!(answer.is_empty(), "{answer:?}");
}

#[sqlx::test]
async fn an_idle_connection_outlives_the_header_timeout_and_closes_at_the_keep_alive_timeout(
    db: PgPool,
) {
    let app = spawn_app_with(
        db,
        &[
            ("HEADER_READ_TIMEOUT_SECONDS", "1"),
            ("KEEP_ALIVE_TIMEOUT_SECONDS", "3"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(health_request(app.addr).as_bytes())
        .await
        .unwrap();
    assert_eq!(status_of(&read_response(&mut stream).await), 200);

    // Idle for twice the header timeout: still open, because no request has started.
    sleep(Duration::from_secs(2)).await;
    stream
        .write_all(health_request(app.addr).as_bytes())
        .await
        .unwrap();
    assert_eq!(status_of(&read_response(&mut stream).await), 200);

    let (answer, idle) = read_until_closed(&mut stream, Duration::from_secs(10))
        .await
        .expect("the idle connection is closed");
    assert!(answer.is_empty(), "{answer:?}");
    assert!(
        idle >= Duration::from_millis(2_900) && idle < Duration::from_secs(6),
        "closed after {idle:?} idle"
    );
}

#[sqlx::test]
async fn a_body_that_stops_arriving_gets_408_on_the_auth_routes_and_in_server_functions(
    db: PgPool,
) {
    let app = spawn_app_with(db, &[("BODY_READ_TIMEOUT_SECONDS", "1")]).await;
    let cases = [
        (
            "/api/accounts/auth/token",
            "application/json",
            "{\"token\": \"",
        ),
        (
            CreateNote::PATH,
            "application/x-www-form-urlencoded",
            "body=abc",
        ),
    ];
    for (path, content_type, start) in cases {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = post_head(app.addr, path, content_type, 1_000);
        stream
            .write_all(format!("{head}{start}").as_bytes())
            .await
            .unwrap();
        let (answer, waited) = read_until_closed(&mut stream, Duration::from_secs(10))
            .await
            .expect("an answer, then the connection closes");
        assert_eq!(status_of(&answer), 408, "{path}: {answer}");
        assert_eq!(
            body_of(&answer)["detail"],
            "The request body did not arrive in time.",
            "{path}"
        );
        assert!(
            waited < Duration::from_secs(4),
            "{path}: answered after {waited:?}"
        );
    }
}

#[sqlx::test]
async fn a_request_past_the_request_timeout_gets_408_while_arriving_and_503_while_served(
    db: PgPool,
) {
    let app = spawn_app_with(
        db,
        &[
            ("REQUEST_TIMEOUT_SECONDS", "1"),
            ("BODY_READ_TIMEOUT_SECONDS", "30"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = post_head(
        app.addr,
        "/api/accounts/auth/token",
        "application/json",
        1_000,
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // A byte every 200 ms: within the body timeout each time, but the whole request takes too long to arrive.
    let (answer, waited) = trickle_until_closed(&mut stream, |_| " ".to_owned()).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert_eq!(
        body_of(&answer)["detail"],
        "The request body did not arrive in time."
    );
    assert!(waited < Duration::from_secs(4), "answered after {waited:?}");

    // Arrived in time, but served too slowly.
    let started = Instant::now();
    let ada = app.sign_in_as("ada@example.com").await;
    let response = app
        .call(site::TakeYourTime::PATH, &[("millis", "3000")], &ada)
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        detail(response).await,
        "The server took too long to answer."
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
}

#[sqlx::test]
async fn requests_past_the_concurrency_limit_get_503_at_once_and_are_served_again_after(
    db: PgPool,
) {
    let app = spawn_app_with(db, &[("MAX_CONCURRENT_REQUESTS", "2")]).await;
    // Two requests being served, slowly: a server function that takes its time.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let body = "millis=5000";
        let head = post_head(
            app.addr,
            site::TakeYourTime::PATH,
            "application/x-www-form-urlencoded",
            body.len(),
        );
        stream
            .write_all(format!("{head}{body}").as_bytes())
            .await
            .unwrap();
        slow.push(stream);
    }
    sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let response = app.get("/api/health/live").send().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        detail(response).await,
        "The server is busy. Try again shortly."
    );

    // The slow requests end and the server takes new ones.
    let mut status = 0;
    for _ in 0..50 {
        status = app
            .get("/api/health/live")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

#[sqlx::test]
async fn headers_past_the_size_limit_get_431(db: PgPool) {
    let app = spawn_app_with(db, &[("MAX_HEADER_BYTES", "16384")]).await;
    let request = |header_bytes: usize| {
        format!(
            "GET /api/health/live HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Filler: {}\r\n\r\n",
            app.addr,
            "a".repeat(header_bytes)
        )
    };
    for (size, expected) in [(12 * 1024, 200), (20 * 1024, 431), (200 * 1024, 431)] {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let _ = stream.write_all(request(size).as_bytes()).await;
        let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5))
            .await
            .expect("an answer");
        assert_eq!(status_of(&answer), expected, "a {size}-byte header");
    }
}

#[sqlx::test]
async fn shutdown_closes_idle_connections_at_once_and_cuts_stragglers_at_its_deadline(db: PgPool) {
    let mut app = spawn_app_with(
        db,
        &[
            ("SHUTDOWN_TIMEOUT_SECONDS", "1"),
            ("HEADER_READ_TIMEOUT_SECONDS", "60"),
            ("BODY_READ_TIMEOUT_SECONDS", "60"),
            ("REQUEST_TIMEOUT_SECONDS", "60"),
        ],
    )
    .await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(health_request(app.addr).as_bytes())
        .await
        .unwrap();
    assert_eq!(status_of(&read_response(&mut idle).await), 200);
    // A request whose body never comes, and headers that never end.
    let mut body_pending = TcpStream::connect(app.addr).await.unwrap();
    let head = post_head(
        app.addr,
        "/api/accounts/auth/token",
        "application/json",
        100,
    );
    body_pending.write_all(head.as_bytes()).await.unwrap();
    let mut headers_pending = TcpStream::connect(app.addr).await.unwrap();
    headers_pending
        .write_all(b"GET / HTTP/1.1\r\n")
        .await
        .unwrap();
    sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let server = app.shut_down();
    let (answer, closed_after) = read_until_closed(&mut idle, Duration::from_secs(5))
        .await
        .expect("the idle connection is closed");
    assert!(answer.is_empty(), "{answer:?}");
    assert!(
        closed_after < Duration::from_millis(500),
        "{closed_after:?}"
    );

    timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops by its shutdown deadline")
        .unwrap();
    let stopped_after = started.elapsed();
    assert!(
        stopped_after >= Duration::from_millis(900) && stopped_after < Duration::from_secs(3),
        "stopped after {stopped_after:?}"
    );
    for stream in [&mut body_pending, &mut headers_pending] {
        assert!(
            read_until_closed(stream, Duration::from_secs(2))
                .await
                .is_some()
        );
    }
    assert!(
        TcpStream::connect(app.addr).await.is_err(),
        "no longer listening"
    );
}

#[sqlx::test]
async fn shutdown_lets_a_request_in_progress_finish(db: PgPool) {
    let mut app = spawn_app_with(db, &[("SHUTDOWN_TIMEOUT_SECONDS", "10")]).await;
    let body = "{\"token\": \"not-a-jwt\"}";
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = post_head(
        app.addr,
        "/api/accounts/auth/token",
        "application/json",
        body.len(),
    );
    stream
        .write_all(format!("{head}{}", &body[..5]).as_bytes())
        .await
        .unwrap();
    sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let server = app.shut_down();
    sleep(Duration::from_millis(300)).await;
    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the answer, then the connection closes");
    assert_eq!(status_of(&answer), 401, "{answer}");
    assert_eq!(body_of(&answer)["detail"], "Invalid token.");
    timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// Opens `count` connections from `from` (a loopback address of the test's choosing) that each start a server
/// function's body and then send one byte every few seconds, never finishing; the connections the server closed
/// at once are counted apart.
async fn dribblers(app: &TestApp, from: std::net::IpAddr, count: usize) -> (Vec<TcpStream>, usize) {
    let mut open = Vec::new();
    let mut refused = 0;
    for _ in 0..count {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from, 0)).unwrap();
        let mut stream = socket.connect(app.addr).await.unwrap();
        let head = post_head(
            app.addr,
            CreateNote::PATH,
            "application/x-www-form-urlencoded",
            1_000,
        );
        if stream
            .write_all(format!("{head}body=").as_bytes())
            .await
            .is_err()
        {
            refused += 1;
            continue;
        }
        open.push(stream);
    }
    // The ones the server hung up on read their end at once.
    let mut still_open = Vec::new();
    for mut stream in open {
        let mut byte = [0u8; 1];
        match timeout(Duration::from_millis(5), stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => refused += 1,
            _ => still_open.push(stream),
        }
    }
    (still_open, refused)
}

/// While the dribblers hold their connections: the health check and a signed-in page, from another address,
/// each answer 200 within a second.
async fn others_are_served(app: &TestApp, ada: &Session) {
    for _ in 0..3 {
        for (what, request) in [
            ("the health check", app.get("/api/health/live")),
            (
                "a signed-in page",
                app.get("/notes").header("cookie", ada.cookie_header()),
            ),
        ] {
            let started = Instant::now();
            let response = timeout(Duration::from_secs(1), request.send())
                .await
                .unwrap_or_else(|_| panic!("{what} took more than a second"))
                .unwrap();
            assert_eq!(response.status(), 200, "{what}");
            assert!(started.elapsed() < Duration::from_secs(1), "{what}");
        }
    }
}

#[sqlx::test]
async fn bodies_that_dribble_in_hold_no_permit_that_others_need(db: PgPool) {
    // Far fewer permits than dribbling connections, and no cap on one address's connections: reading a body
    // must not take one.
    let app = spawn_app_with(
        db,
        &[
            ("MAX_CONCURRENT_REQUESTS", "50"),
            ("MAX_CONNECTIONS_PER_CLIENT", "0"),
        ],
    )
    .await;
    let ada = app.sign_in_as("ada@example.com").await;
    let (held, refused) = dribblers(&app, [127, 0, 0, 2].into(), 300).await;
    assert_eq!((held.len(), refused), (300, 0));
    others_are_served(&app, &ada).await;
    // Each dribbler still gets its answer when it gives up on the body: the body timeout.
    drop(held);
}

#[sqlx::test]
async fn six_hundred_dribbling_connections_from_one_address_do_not_starve_the_rest(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let (held, refused) = dribblers(&app, [127, 0, 0, 2].into(), 600).await;
    assert_eq!(
        held.len(),
        128,
        "an address holds at most MAX_CONNECTIONS_PER_CLIENT (128) connections; {refused} refused"
    );
    assert_eq!(refused, 472);
    others_are_served(&app, &ada).await;
    // Once they go, the address may connect again.
    drop(held);
    let started = Instant::now();
    loop {
        let (again, _) = dribblers(&app, [127, 0, 0, 2].into(), 1).await;
        if again.len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the address was let in again"
        );
        sleep(Duration::from_millis(50)).await;
    }
}
