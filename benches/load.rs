//! Load benchmark: the release server under `wrk` on loopback, against real Postgres, with the dev auth
//! proxy issuing the proxy tokens. Run by `scripts/bench`, which builds in release, starts a throwaway
//! Postgres and tells this program how to stop and start it (BENCH_PG_STOP, BENCH_PG_START). Pages and the
//! stylesheet come from the release site `scripts/bench` builds first (`target/site`).
//!
//! Settings (environment): BENCH_SECONDS per scenario (10), BENCH_CONNECTIONS (64), BENCH_THREADS for wrk
//! (2), BENCH_SUSTAINED_SECONDS for the sustained and the Postgres-restart runs (60).
//!
//! With BENCH_BASELINE_SERVER (a server binary built from an earlier commit), BENCH_BASELINE_DIR (that
//! commit's checkout) and BENCH_BASELINE_DATABASE_URL (a database of its own, as its migrations differ), it
//! only compares `/me` on this build and on that one instead: `scripts/bench layers <commit>`.

#[path = "load/bare_page.rs"]
mod bare_page;
mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;

use app::pages::notes::CreateNote;
use common::DevAuthProxy;
use leptos::server_fn::ServerFn;

const ACCESS_COOKIE: &str = "access_token";
const REFRESH_COOKIE: &str = "refresh_token";
/// Users that sign in again and again in the returning-user scenarios.
const RETURNING_USERS: usize = 100;
/// The audience the proxy's tokens carry and the production server requires.
const AUDIENCE: &str = "bench-app";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?}: expected a whole number"))
        })
        .unwrap_or(default)
}

struct Settings {
    seconds: u64,
    connections: u64,
    threads: u64,
    sustained_seconds: u64,
}

fn main() {
    // `cargo bench` passes `--bench`; this program takes no arguments of its own.
    let settings = Settings {
        seconds: setting("BENCH_SECONDS", 10),
        connections: setting("BENCH_CONNECTIONS", 64),
        threads: setting("BENCH_THREADS", 2),
        sustained_seconds: setting("BENCH_SUSTAINED_SECONDS", 60),
    };
    let runtime = tokio::runtime::Runtime::new().expect("Tokio runtime");
    let work = std::env::temp_dir().join(format!("app-load-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a work folder");

    let proxy = DevAuthProxy::start(
        common::dev_auth_proxy_binary(),
        &[("DEV_AUTH_PROXY_AUDIENCE", AUDIENCE)],
    );
    if let Some(baseline) = Baseline::from_env() {
        compare_with_baseline(&settings, &runtime, &proxy, &baseline, &work);
        drop(proxy);
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    let server = Server::start(&proxy.url, &work);
    let client = Client::new(&server);
    println!("release server pid {} on {}", server.pid(), server.origin);

    // Returning users: signed in once so the scenarios find them.
    let returning_tokens = runtime.block_on(common::tokens(
        &proxy,
        (0..RETURNING_USERS).map(|i| format!("returning-{i}@bench.test")),
    ));
    let sessions = runtime.block_on(client.sign_in_many(&returning_tokens, 1));
    let session = sessions[0].clone();

    let mut rows = Vec::new();
    let mut run = |name: &str, request: WrkRequest| -> WrkResult {
        server.reset_peak_rss();
        let connections = request.connections.unwrap_or(settings.connections);
        let result = wrk(
            &settings,
            &server,
            settings.seconds,
            connections,
            &request,
            &work,
        );
        let rss = request.origin.is_none().then(|| server.peak_rss_kb());
        rows.push((name.to_owned(), result.clone(), rss));
        result
    };

    let live = run(
        "GET /api/health/live (no database)",
        WrkRequest::get("/api/health/live"),
    );
    // The request log on (one line per request, as operators run it) against off, in the same run: the same
    // build started again with RUST_LOG=info, its lines written to a file.
    let logging_server = Server::start_logging(&proxy.url, &work);
    let live_logged = run(
        "GET /api/health/live (request log on: RUST_LOG=info)",
        WrkRequest::get("/api/health/live").at(&logging_server.origin),
    );
    let logged_lines = logging_server.request_log_lines();
    drop(logging_server);
    let me_cookie = run(
        "GET /api/accounts/me/ (cookie)",
        WrkRequest::get("/api/accounts/me/")
            .header(&format!("Cookie: {ACCESS_COOKIE}={}", session.access)),
    );
    let me_bearer = run(
        "GET /api/accounts/me/ (Bearer)",
        WrkRequest::get("/api/accounts/me/")
            .header(&format!("Authorization: Bearer {}", session.access)),
    );
    run("GET /api/health (SELECT 1)", WrkRequest::get("/api/health"));

    // What a browser loads: pages (compressed, as a browser accepts) and a bundle file (precompressed).
    let page = |path: &str| {
        WrkRequest::get(path)
            .header("Accept: text/html")
            .header(BROWSER_ACCEPT_ENCODING)
    };
    // Each page also asked for uncompressed: what the on-the-fly gzip costs.
    let uncompressed = |path: &str| {
        WrkRequest::get(path)
            .header("Accept: text/html")
            .header("Accept-Encoding: identity")
    };
    let signed_in = format!("Cookie: {ACCESS_COOKIE}={}", session.access);
    // The pages' reference: the same shell and home card as a bare Leptos page (benches/load/bare_page.rs),
    // served uncompressed and through the server's gzip layer.
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site");
    let hash_file = Path::new(env!("CARGO_BIN_EXE_server")).with_file_name("hash.txt");
    let bare = bare_page::serve(&site, &hash_file);
    let bare_page = run(
        "GET / (bare Leptos page, same shell, gzip, in this process)",
        page("/").at(&bare.compressed),
    );
    let bare_identity = run(
        "GET / (bare Leptos page, uncompressed)",
        uncompressed("/").at(&bare.uncompressed),
    );
    let page_signed_out = run("GET / (page, signed out)", page("/"));
    let page_identity = run("GET / (page, signed out, uncompressed)", uncompressed("/"));
    let page_signed_in = run("GET / (page, signed in)", page("/").header(&signed_in));
    let page_signed_in_identity = run(
        "GET / (page, signed in, uncompressed)",
        uncompressed("/").header(&signed_in),
    );
    // A list of ten notes, as a user who has started using the example.
    runtime.block_on(client.create_notes(&session, 10));
    let notes_signed_in = run(
        "GET /notes (page, signed in)",
        page("/notes").header(&signed_in),
    );
    let notes_signed_in_identity = run(
        "GET /notes (page, signed in, uncompressed)",
        uncompressed("/notes").header(&signed_in),
    );
    let stylesheet = bundle_file("css");
    let static_file = run(
        &format!("GET {stylesheet} (static file, brotli)"),
        WrkRequest::get(&stylesheet).header(BROWSER_ACCEPT_ENCODING),
    );
    // One kept-alive connection, as a browser reuses one: a response that waits for the network stack (Nagle's
    // algorithm against delayed ACKs) shows here as tens of milliseconds per request.
    let live_one = run(
        "GET /api/health/live, 1 connection",
        WrkRequest::get("/api/health/live").connections(1),
    );
    let page_one = run(
        "GET / (page, signed out), 1 connection",
        page("/").connections(1),
    );

    // The first sign-in fetched the keys: proof that the log is read (a count stuck at 0 would prove nothing).
    let fetches_before = server.jwks_fetches();
    assert!(
        fetches_before >= 1,
        "the server's log shows no JWKS fetch at all: the count below would mean nothing"
    );
    // The reference for the sign-in routes: a route that writes one row in one commit on the same pool (the
    // example app's note creation, a server function).
    let one_insert = run(
        "POST create_note (server function, one INSERT … COMMIT)",
        WrkRequest::post(CreateNote::PATH)
            .header(&format!("Cookie: {ACCESS_COOKIE}={}", session.access))
            .header("Sec-Fetch-Site: same-origin")
            .header("Content-Type: application/x-www-form-urlencoded")
            .body("body=a+note+from+the+load+benchmark")
            .counting_statuses(),
    );
    let returning_file = write_pool(&work, "returning-tokens", &returning_tokens);
    let returning = run(
        "POST /api/accounts/auth/token (returning users)",
        WrkRequest::exchange(&returning_file).counting_statuses(),
    );

    // Enough fresh tokens (and later refresh tokens) that none is sent twice: the returning-user exchange
    // rate with a margin.
    let pool_size =
        (returning.requests_per_second() * settings.seconds as f64 * 1.5) as usize + 1000;
    let minted = Instant::now();
    let new_tokens = runtime.block_on(common::tokens(
        &proxy,
        (0..pool_size).map(|i| format!("new-{i}@bench.test")),
    ));
    println!(
        "minted {pool_size} proxy tokens in {:.1} s",
        minted.elapsed().as_secs_f64()
    );
    let new_file = write_pool(&work, "new-tokens", &new_tokens);
    let new_users = run(
        "POST /api/accounts/auth/token (new users)",
        WrkRequest::exchange(&new_file).counting_statuses(),
    );
    let jwks_fetches = server.jwks_fetches() - fetches_before;
    let exchanges = returning.requests + new_users.requests;

    // One unused refresh token per request: reusing one would be reuse detection, not a refresh.
    let prepared = Instant::now();
    let refresh_sessions = runtime.block_on(client.sign_in_many(&returning_tokens, pool_size));
    println!(
        "prepared {pool_size} sessions in {:.1} s",
        prepared.elapsed().as_secs_f64()
    );
    let refresh_tokens: Vec<String> = refresh_sessions.into_iter().map(|s| s.refresh).collect();
    let refresh_file = write_pool(&work, "refresh-tokens", &refresh_tokens);
    let refresh = run(
        "POST /api/accounts/auth/refresh",
        WrkRequest::post("/api/accounts/auth/refresh")
            .header(&format!("Cookie: {REFRESH_COOKIE}={{value}}"))
            .pool(&refresh_file)
            .counting_statuses(),
    );

    println!();
    println!(
        "## Throughput and latency ({} s per scenario, {} connections, {} wrk threads)",
        settings.seconds, settings.connections, settings.threads
    );
    print_table(&rows);
    println!();
    println!(
        "- /me (cookie) vs /api/health/live: {:.0}% of the throughput; /me (Bearer): {:.0}%",
        me_cookie.throughput_percent_of(&live),
        me_bearer.throughput_percent_of(&live),
    );
    println!(
        "- pages vs /api/health/live: signed out {:.0}%, signed in {:.0}% of the throughput; the stylesheet {:.0}%",
        page_signed_out.throughput_percent_of(&live),
        page_signed_in.throughput_percent_of(&live),
        static_file.throughput_percent_of(&live),
    );
    println!(
        "- pages vs the bare Leptos page, both gzipped: home signed out {:.0}%, home signed in {:.0}%, notes signed in {:.0}% of the throughput (targets 50%, 50%, 35%)",
        page_signed_out.throughput_percent_of(&bare_page),
        page_signed_in.throughput_percent_of(&bare_page),
        notes_signed_in.throughput_percent_of(&bare_page),
    );
    println!(
        "- pages vs the bare Leptos page, both uncompressed: home signed out {:.0}%, home signed in {:.0}%, notes signed in {:.0}%",
        page_identity.throughput_percent_of(&bare_identity),
        page_signed_in_identity.throughput_percent_of(&bare_identity),
        notes_signed_in_identity.throughput_percent_of(&bare_identity),
    );
    println!(
        "- the request log: /api/health/live with it on {:.0}% of the throughput with it off (target 90%); {logged_lines} request lines written",
        live_logged.throughput_percent_of(&live),
    );
    println!(
        "- one connection: GET / p50 {:.2} ms against {:.2} ms for /api/health/live ({:.1}×)",
        page_one.p50_us as f64 / 1000.0,
        live_one.p50_us as f64 / 1000.0,
        page_one.p50_us as f64 / live_one.p50_us.max(1) as f64,
    );
    println!(
        "- against one INSERT … COMMIT: exchange (returning users) {:.0}%, exchange (new users) {:.0}%, refresh {:.0}% of the throughput",
        returning.throughput_percent_of(&one_insert),
        new_users.throughput_percent_of(&one_insert),
        refresh.throughput_percent_of(&one_insert),
    );
    println!(
        "- JWKS fetches during {exchanges} exchanges with a warm key cache: {jwks_fetches} ({fetches_before} before, at the first sign-in)"
    );
    for (name, result, _) in rows.iter().filter(|(_, r, _)| r.errors() > 0) {
        println!(
            "- {name}: statuses {:?}, socket errors and timeouts {}",
            result.statuses,
            result.socket_errors()
        );
    }
    for (name, result) in [("new users", &new_users), ("refresh", &refresh)] {
        if result.pool_restarts > 0 {
            println!(
                "- WARNING: {name} ran out of unused tokens and sent some twice ({} restarts)",
                result.pool_restarts
            );
        }
    }

    // Long runs: a fresh session, so the access token outlives them.
    let session = runtime
        .block_on(client.sign_in_many(&returning_tokens[..1], 1))
        .remove(0);
    sustained(&settings, &server, &session, &work, None);
    sustained(
        &settings,
        &server,
        &session,
        &work,
        Some((&client, &runtime)),
    );

    let problems = server.log_problems();
    println!();
    println!(
        "server log: {} kinds of warnings and errors",
        problems.len()
    );
    for (line, count) in problems.iter().take(20) {
        println!("  {count} × {line}");
    }
    drop(server);
    drop(proxy);
    let _ = std::fs::remove_dir_all(&work);
}

// --- This build against an earlier one (`scripts/bench layers <commit>`) ----------------------------------------

struct Baseline {
    server: PathBuf,
    checkout: PathBuf,
    database_url: String,
}

impl Baseline {
    fn from_env() -> Option<Self> {
        let server = std::env::var_os("BENCH_BASELINE_SERVER")?;
        let variable = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("{name} must be set with BENCH_BASELINE_SERVER"))
        };
        Some(Self {
            server: server.into(),
            checkout: variable("BENCH_BASELINE_DIR").into(),
            database_url: variable("BENCH_BASELINE_DATABASE_URL"),
        })
    }
}

/// Rounds of `/me` (cookie), the home page signed out and `/api/health/live` on both servers, in ABBA order so
/// that a machine growing slower or faster during the run favours neither; reports each run, and this build's
/// median over the baseline's.
fn compare_with_baseline(
    settings: &Settings,
    runtime: &tokio::runtime::Runtime,
    proxy: &DevAuthProxy,
    baseline: &Baseline,
    work: &Path,
) {
    const ROUNDS: usize = 4;
    // `/me` with the session cookie; the home page (each server's own, from its site) and the health route, the
    // reference, without.
    const ROUTES: [(&str, bool); 3] = [
        ("/api/accounts/me/", true),
        ("/", false),
        ("/api/health/live", false),
    ];
    let servers = [
        (
            "baseline",
            Server::start_binary(
                &baseline.server,
                &baseline.checkout,
                &baseline.database_url,
                &proxy.url,
                &work.join("baseline.log"),
            ),
        ),
        ("this build", Server::start(&proxy.url, work)),
    ];
    let token = runtime.block_on(common::tokens(proxy, ["compare@bench.test".to_owned()]));
    let sessions: Vec<Session> = servers
        .iter()
        .map(|(_, server)| runtime.block_on(Client::new(server).sign_in(&token[0])))
        .collect();

    let mut results: BTreeMap<(&str, usize), Vec<WrkResult>> = BTreeMap::new();
    println!(
        "## This build against the baseline ({} s per run, {} connections, {ROUNDS} rounds)",
        settings.seconds, settings.connections
    );
    println!("| round | server | route | req/s | p50 ms | p99 ms | errors |");
    println!("|---:|---|---|---:|---:|---:|---:|");
    for round in 0..ROUNDS {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let (name, server) = &servers[which];
            for (route_index, (route, with_cookie)) in ROUTES.into_iter().enumerate() {
                // As a browser asks: any compression on offer is the server's choice to use.
                let mut request =
                    WrkRequest::get(route).header("Accept-Encoding: gzip, deflate, br, zstd");
                if with_cookie {
                    let cookie = format!("Cookie: {ACCESS_COOKIE}={}", sessions[which].access);
                    request = request.header(&cookie);
                }
                let result = wrk(
                    settings,
                    server,
                    settings.seconds,
                    settings.connections,
                    &request,
                    work,
                );
                println!(
                    "| {} | {name} | `{route}` | {:.0} | {} | {} | {} |",
                    round + 1,
                    result.requests_per_second(),
                    ms(result.p50_us),
                    ms(result.p99_us),
                    result.errors()
                );
                results.entry((name, route_index)).or_default().push(result);
            }
        }
    }
    println!();
    for (route_index, (route, _)) in ROUTES.into_iter().enumerate() {
        let median = |name, measure: fn(&WrkResult) -> f64| {
            let mut values: Vec<f64> = results[&(name, route_index)].iter().map(measure).collect();
            values.sort_by(f64::total_cmp);
            (values[values.len() / 2] + values[(values.len() - 1) / 2]) / 2.0
        };
        let throughput = |name| median(name, WrkResult::requests_per_second);
        let p99 = |name| median(name, |r| r.p99_us as f64);
        println!(
            "- `{route}`: median {:.0} req/s (baseline {:.0}): {:.1}% of the baseline; median p99 {} ms (baseline {} ms): {:.1}%",
            throughput("this build"),
            throughput("baseline"),
            100.0 * throughput("this build") / throughput("baseline"),
            ms(p99("this build") as u64),
            ms(p99("baseline") as u64),
            100.0 * p99("this build") / p99("baseline"),
        );
    }
}

// --- The server under test -----------------------------------------------------------------------------------

struct Server {
    process: Child,
    origin: String,
    log: PathBuf,
}

impl Server {
    /// This build's release server.
    fn start(proxy_url: &str, work: &Path) -> Self {
        Self::start_binary(
            Path::new(env!("CARGO_BIN_EXE_server")),
            Path::new(env!("CARGO_MANIFEST_DIR")),
            &common::database_url(),
            proxy_url,
            &work.join("server.log"),
        )
    }

    /// This build's release server with its request log on (`RUST_LOG=info`, a line per request), as operators
    /// run it.
    fn start_logging(proxy_url: &str, work: &Path) -> Self {
        Self::start_with_log(
            Path::new(env!("CARGO_BIN_EXE_server")),
            Path::new(env!("CARGO_MANIFEST_DIR")),
            &common::database_url(),
            proxy_url,
            &work.join("server-logging.log"),
            "info",
        )
    }

    /// A server binary run from its checkout (where its Cargo.toml is) over `database_url`.
    fn start_binary(
        binary: &Path,
        checkout: &Path,
        database_url: &str,
        proxy_url: &str,
        log: &Path,
    ) -> Self {
        Self::start_with_log(
            binary,
            checkout,
            database_url,
            proxy_url,
            log,
            "warn,vector_auth::ssr::jwks=info",
        )
    }

    fn start_with_log(
        binary: &Path,
        checkout: &Path,
        database_url: &str,
        proxy_url: &str,
        log: &Path,
        rust_log: &str,
    ) -> Self {
        let port = common::free_port();
        let secret = format!("{}{}", uuid_hex(), uuid_hex());
        // The server logs to stdout.
        let log_file = std::fs::File::create(log).expect("server log");
        let process = Command::new(binary)
            .current_dir(checkout)
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_ENV", "PROD")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("SECRET_KEY", secret)
            .env("VECTOR_AUTH_PROXY_URL", proxy_url)
            .env("VECTOR_AUTH_AUDIENCE", AUDIENCE)
            // Every request comes from this machine, and a hundred users sign in and write thousands of times a
            // minute: the per-address and per-user limits would measure themselves, and the session limit would
            // end a session at every sign-in.
            .env("AUTH_RATE_LIMIT_PER_MINUTE", "0")
            .env("SIGN_INS_PER_USER_PER_MINUTE", "0")
            .env("WRITES_PER_USER_PER_MINUTE", "0")
            .env("MAX_SESSIONS_PER_USER", "10000")
            .env("RUST_LOG", rust_log)
            .env("NO_COLOR", "1")
            .stdout(log_file.try_clone().expect("server log"))
            .stderr(log_file)
            .spawn()
            .expect("start the release server");
        common::wait_for_port(port, "the release server", Duration::from_secs(60));
        Self {
            process,
            origin: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
        }
    }

    /// How many request lines the server's log holds.
    fn request_log_lines(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("/api/health/live"))
            .count()
    }

    fn pid(&self) -> u32 {
        self.process.id()
    }

    fn status_field_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/<pid>/status"))
    }

    fn rss_kb(&self) -> u64 {
        self.status_field_kb("VmRSS:")
    }

    /// The most memory the server has held since the last reset.
    fn peak_rss_kb(&self) -> u64 {
        self.status_field_kb("VmHWM:")
    }

    fn reset_peak_rss(&self) {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// The server's warnings and errors without their timestamps, each with how often it was logged.
    fn log_problems(&self) -> BTreeMap<String, usize> {
        let mut problems = BTreeMap::new();
        for line in std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
        {
            if let Some(at) = line.find("WARN").or_else(|| line.find("ERROR")) {
                *problems.entry(line[at..].to_owned()).or_insert(0) += 1;
            }
        }
        problems
    }

    /// JWKS fetches so far, from the server's log.
    fn jwks_fetches(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches("fetched the auth proxy's JWKS")
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn uuid_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

// --- HTTP set-up calls ------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Session {
    access: String,
    refresh: String,
}

struct Client {
    http: reqwest::Client,
    origin: String,
}

impl Client {
    fn new(server: &Server) -> Self {
        Self {
            http: reqwest::Client::new(),
            origin: server.origin.clone(),
        }
    }

    async fn sign_in(&self, token: &str) -> Session {
        let response = self
            .http
            .post(format!("{}/api/accounts/auth/token", self.origin))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "sign-in failed");
        let cookie = |name: &str| {
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| tower_cookies::Cookie::parse(v.to_str().ok()?).ok())
                .find(|c| c.name() == name)
                .map(|c| c.value().to_owned())
                .unwrap_or_else(|| panic!("no {name} cookie"))
        };
        Session {
            access: cookie(ACCESS_COOKIE),
            refresh: cookie(REFRESH_COOKIE),
        }
    }

    /// Writes `count` notes for the session's user through the example's server function.
    async fn create_notes(&self, session: &Session, count: usize) {
        for i in 0..count {
            let response = self
                .http
                .post(format!("{}{}", self.origin, CreateNote::PATH))
                .header("Cookie", format!("{ACCESS_COOKIE}={}", session.access))
                .header("Sec-Fetch-Site", "same-origin")
                .form(&[("body", format!("note {i} of the page benchmark"))])
                .send()
                .await
                .expect("the server answers");
            assert!(
                response.status().is_success(),
                "create_note: {}",
                response.status()
            );
        }
    }

    /// `count` sessions, signing in with the tokens in turn, 32 at a time.
    async fn sign_in_many(&self, tokens: &[String], count: usize) -> Vec<Session> {
        futures::stream::iter((0..count).map(|i| &tokens[i % tokens.len()]))
            .map(|token| self.sign_in(token))
            .buffered(32)
            .collect()
            .await
    }

    async fn status(&self, method: reqwest::Method, path: &str, cookie: Option<String>) -> u16 {
        let mut request = self.http.request(method, format!("{}{path}", self.origin));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

/// What current browsers send.
const BROWSER_ACCEPT_ENCODING: &str = "Accept-Encoding: gzip, deflate, br, zstd";

/// The path of the release bundle's file of one kind (`css`, `js`, `wasm`), hashed name and all.
fn bundle_file(kind: &str) -> String {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site/pkg");
    let name = std::fs::read_dir(&pkg)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (scripts/bench builds the site first)",
                pkg.display()
            )
        })
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .find(|name| name.ends_with(&format!(".{kind}")))
        .unwrap_or_else(|| {
            panic!(
                "no .{kind} file in {} (scripts/bench builds the site first)",
                pkg.display()
            )
        });
    format!("/pkg/{name}")
}

// --- wrk ------------------------------------------------------------------------------------------------------

#[derive(Clone)]
struct WrkRequest {
    path: String,
    method: &'static str,
    headers: Vec<String>,
    body: Option<String>,
    pool: Option<PathBuf>,
    count_statuses: bool,
    /// Instead of BENCH_CONNECTIONS.
    connections: Option<u64>,
    /// Instead of the release server's.
    origin: Option<String>,
}

impl WrkRequest {
    fn get(path: &str) -> Self {
        Self {
            path: path.into(),
            method: "GET",
            headers: Vec::new(),
            body: None,
            pool: None,
            count_statuses: false,
            connections: None,
            origin: None,
        }
    }

    fn post(path: &str) -> Self {
        Self {
            method: "POST",
            ..Self::get(path)
        }
    }

    /// A proxy-token exchange for each token in the pool file.
    fn exchange(pool: &Path) -> Self {
        Self {
            body: Some(r#"{"token":"{value}"}"#.into()),
            ..Self::post("/api/accounts/auth/token")
        }
        .header("Content-Type: application/json")
        .pool(pool)
    }

    fn body(mut self, body: &str) -> Self {
        self.body = Some(body.into());
        self
    }

    fn header(mut self, line: &str) -> Self {
        self.headers.push(line.into());
        self
    }

    fn pool(mut self, file: &Path) -> Self {
        self.pool = Some(file.into());
        self
    }

    fn connections(mut self, connections: u64) -> Self {
        self.connections = Some(connections);
        self
    }

    /// Sent to another server than the release server.
    fn at(mut self, origin: &str) -> Self {
        self.origin = Some(origin.into());
        self
    }

    fn counting_statuses(mut self) -> Self {
        self.count_statuses = true;
        self
    }
}

#[derive(Debug, Clone, Deserialize)]
struct WrkResult {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
    connect_errors: u64,
    read_errors: u64,
    write_errors: u64,
    timeouts: u64,
    non_2xx_3xx: u64,
    pool_restarts: u64,
    statuses: BTreeMap<String, u64>,
}

impl WrkResult {
    fn requests_per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    /// This run's throughput as a percentage of a reference run's.
    fn throughput_percent_of(&self, reference: &WrkResult) -> f64 {
        100.0 * self.requests_per_second() / reference.requests_per_second()
    }

    fn socket_errors(&self) -> u64 {
        self.connect_errors + self.read_errors + self.write_errors + self.timeouts
    }

    fn errors(&self) -> u64 {
        self.socket_errors() + self.non_2xx_3xx
    }
}

fn wrk(
    settings: &Settings,
    server: &Server,
    seconds: u64,
    connections: u64,
    request: &WrkRequest,
    work: &Path,
) -> WrkResult {
    spawn_wrk(settings, server, seconds, connections, request, work)
        .wait_with_output()
        .map(parse_wrk)
        .expect("wrk runs")
}

fn spawn_wrk(
    settings: &Settings,
    server: &Server,
    seconds: u64,
    connections: u64,
    request: &WrkRequest,
    work: &Path,
) -> Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/load.lua");
    // wrk needs a connection per thread.
    let threads = settings.threads.min(connections);
    let mut command = Command::new("wrk");
    command
        .args(["-t", &threads.to_string()])
        .args(["-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s")])
        // Longer than the database's 3 s acquire timeout, so a slow 503 counts as a 503, not a timeout.
        .args(["--timeout", "10s"])
        .arg("-s")
        .arg(&script)
        .arg(format!(
            "{}{}",
            request.origin.as_deref().unwrap_or(&server.origin),
            request.path
        ))
        .current_dir(work)
        .env("BENCH_METHOD", request.method)
        .env("BENCH_HEADERS", request.headers.join("\n"))
        .env("BENCH_THREADS", threads.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(body) = &request.body {
        command.env("BENCH_BODY", body);
    }
    if let Some(pool) = &request.pool {
        command.env("BENCH_POOL", pool);
    }
    if request.count_statuses {
        command.env("BENCH_STATUSES", "1");
    }
    command
        .spawn()
        .expect("run wrk (scripts/bench installs it; Debian: apt-get install wrk)")
}

fn parse_wrk(output: std::process::Output) -> WrkResult {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("wrk printed no result ({}):\n{stdout}", output.status));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("wrk result {line:?}: {e}"))
}

fn write_pool(work: &Path, name: &str, values: &[String]) -> PathBuf {
    let path = work.join(name);
    let mut file = std::fs::File::create(&path).expect("pool file");
    for value in values {
        writeln!(file, "{value}").expect("pool file");
    }
    path
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn print_table(rows: &[(String, WrkResult, Option<u64>)]) {
    println!("| scenario | req/s | p50 ms | p99 ms | max ms | errors | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, r, rss) in rows {
        // No figure for a server other than the release server (its peak is not that server's).
        let rss = rss.map_or(String::new(), |kb| format!("{:.1}", kb as f64 / 1024.0));
        println!(
            "| {name} | {:.0} | {} | {} | {} | {} | {rss} |",
            r.requests_per_second(),
            ms(r.p50_us),
            ms(r.p99_us),
            ms(r.max_us),
            r.errors(),
        );
    }
}

// --- Sustained load, and a Postgres restart under load -------------------------------------------------------

/// `/me` and `/api/health` together for BENCH_SUSTAINED_SECONDS, with the server's memory sampled every
/// second. With `restart`, Postgres is stopped a third of the way in and started again a quarter later.
fn sustained(
    settings: &Settings,
    server: &Server,
    session: &Session,
    work: &Path,
    restart: Option<(&Client, &tokio::runtime::Runtime)>,
) {
    let seconds = settings.sustained_seconds;
    let half = (settings.connections / 2).max(1);
    let me = WrkRequest::get("/api/accounts/me/")
        .header(&format!("Cookie: {ACCESS_COOKIE}={}", session.access))
        .counting_statuses();
    let health = WrkRequest::get("/api/health").counting_statuses();
    server.reset_peak_rss();
    let me_run = spawn_wrk(settings, server, seconds, half, &me, work);
    let health_run = spawn_wrk(settings, server, seconds, half, &health, work);

    let started = Instant::now();
    let mut rss = Vec::new();
    let mut outage = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        rss.push(server.rss_kb());
        if let Some((client, rt)) = restart {
            let at = started.elapsed();
            if outage.is_none() && at >= Duration::from_secs(seconds / 3) {
                pg_control("BENCH_PG_STOP");
                outage = Some(Outage::began(at));
            }
            if let Some(o) = &mut outage
                && o.restarted.is_none()
                && at >= o.stopped_at + Duration::from_secs((seconds / 4).max(1))
            {
                pg_control("BENCH_PG_START");
                o.restarted = Some(started.elapsed());
                o.recovered = wait_until_healthy(client, rt);
            }
        }
    }
    let me_result = parse_wrk(me_run.wait_with_output().expect("wrk"));
    let health_result = parse_wrk(health_run.wait_with_output().expect("wrk"));

    println!();
    match (&outage, restart) {
        (Some(o), Some((client, rt))) => {
            println!(
                "## Postgres stopped under load ({seconds} s, {} connections)",
                half * 2
            );
            println!(
                "- Postgres stopped at {:.0} s, started again at {:.0} s; /api/health answered 200 again {:.2} s after the start",
                o.stopped_at.as_secs_f64(),
                o.restarted.map_or(0.0, |d| d.as_secs_f64()),
                o.recovered.map_or(f64::NAN, |d| d.as_secs_f64()),
            );
            let after = rt.block_on(async {
                let refreshed = client
                    .status(
                        reqwest::Method::POST,
                        "/api/accounts/auth/refresh",
                        Some(format!("{REFRESH_COOKIE}={}", session.refresh)),
                    )
                    .await;
                let me = client
                    .status(
                        reqwest::Method::GET,
                        "/api/accounts/me/",
                        Some(format!("{ACCESS_COOKIE}={}", session.access)),
                    )
                    .await;
                (refreshed, me)
            });
            println!(
                "- after recovery, same server process (pid {}): refresh → {}, /me → {}",
                server.pid(),
                after.0,
                after.1
            );
        }
        _ => println!("## Sustained load ({seconds} s, {} connections)", half * 2),
    }
    for (name, r) in [
        ("GET /api/accounts/me/ (cookie)", &me_result),
        ("GET /api/health", &health_result),
    ] {
        println!(
            "- {name}: {} requests, {:.0} req/s, p99 {} ms, max {} ms, statuses {:?}, socket errors and timeouts {}",
            r.requests,
            r.requests_per_second(),
            ms(r.p99_us),
            ms(r.max_us),
            r.statuses,
            r.socket_errors(),
        );
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    let tenth = (rss.len() / 6).max(1);
    let average = |s: &[u64]| mb(s.iter().sum::<u64>() / s.len().max(1) as u64);
    println!(
        "- server RSS: {:.1} MB average over the first {tenth} s, {:.1} MB over the last {tenth} s, peak {:.1} MB",
        average(&rss[..tenth]),
        average(&rss[rss.len() - tenth..]),
        mb(server.peak_rss_kb()),
    );
}

struct Outage {
    stopped_at: Duration,
    restarted: Option<Duration>,
    recovered: Option<Duration>,
}

impl Outage {
    fn began(at: Duration) -> Self {
        Self {
            stopped_at: at,
            restarted: None,
            recovered: None,
        }
    }
}

/// Runs the shell command in the named variable (set by scripts/bench).
fn pg_control(variable: &str) {
    let command = std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run this benchmark through scripts/bench")
    });
    let status = Command::new("bash")
        .args(["-c", &command])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run the Postgres control command");
    assert!(status.success(), "{variable} failed: {command}");
}

/// How long after now `/api/health` takes to answer 200 (polled every 100 ms, for at most 30 s).
fn wait_until_healthy(client: &Client, rt: &tokio::runtime::Runtime) -> Option<Duration> {
    let started = Instant::now();
    rt.block_on(async {
        while started.elapsed() < Duration::from_secs(30) {
            if client
                .status(reqwest::Method::GET, "/api/health", None)
                .await
                == 200
            {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    })
}
