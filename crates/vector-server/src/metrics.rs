//! Metrics in the Prometheus text format, on `GET /metrics` of a listener of their own (`METRICS_ADDR`, off by
//! default), so that they are never served to the public by accident.
//!
//! The code records with the `metrics` crate's macros where things happen (requests here, sign-ins and the
//! rest in the auth feature); with `METRICS_ADDR` unset no recorder is installed and they cost nothing. The
//! database pool's gauges are read when Prometheus scrapes. docs/operations.md ("Metrics") lists every metric.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

/// Seconds: from 1 ms (a cached `/me`) to 10 s (past that, the request timeout is near).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

// sqlx does not say how many calls wait for a connection: `in_use` reaching `db_pool_max_connections` says
// that some may.

/// Set once the recorder is installed: until then, requests are not timed into labels for nothing.
static ENABLED: OnceLock<()> = OnceLock::new();

/// Installs the process's recorder (once per process) and describes every metric.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("http_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        )?
        .install_recorder()?;
    describe();
    let _ = ENABLED.set(());
    Ok(handle)
}

fn describe() {
    describe_counter!(
        "http_requests_total",
        "Requests answered, by method, matched route and status class."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its response's start, by method, matched route and status class."
    );
    describe_counter!(
        "auth_sign_ins_total",
        "Sign-ins (proxy tokens exchanged for a session), by user: new or returning."
    );
    describe_counter!("auth_refreshes_total", "Refresh tokens rotated.");
    describe_counter!(
        "auth_refresh_reuse_detected_total",
        "Used refresh tokens presented again (their sessions were revoked)."
    );
    describe_counter!("auth_logouts_total", "Sign-outs that ended a session.");
    describe_counter!(
        "auth_csrf_refusals_total",
        "Unsafe requests refused by the CSRF check (403)."
    );
    describe_counter!(
        "auth_rate_limit_refusals_total",
        "Sign-ins and refreshes refused by the per-address rate limit (429)."
    );
    describe_counter!(
        "auth_jwks_fetches_total",
        "Fetches of the auth proxy's JWKS, by result: ok or error."
    );
    describe_counter!(
        "auth_user_cache_hits_total",
        "Signed-in requests whose user came from the user cache."
    );
    describe_counter!(
        "auth_user_cache_misses_total",
        "Signed-in requests whose user was read from Postgres."
    );
    describe_gauge!(
        "db_pool_connections",
        "Open database connections, by state: idle or in_use."
    );
    describe_gauge!(
        "db_pool_max_connections",
        "The pool's limit (DATABASE_MAX_CONNECTIONS): at in_use = max, database calls wait for a connection."
    );
    describe_counter!(
        "log_lines_dropped_total",
        "Log lines dropped because the log's output could not keep up (LOG_BUFFER_LINES were waiting)."
    );
    describe_counter!(
        "http_connections_refused_total",
        "Connections closed at once: their client address held MAX_CONNECTIONS_PER_CLIENT already."
    );
    describe_counter!(
        "auth_ended_sessions_evicted_total",
        "Ended sessions forgotten before their access tokens expired, because the memory for them was full."
    );
}

/// Counts and times one request. `route` is the route it matched (`/api/accounts/me/`, `/notes`), or
/// `fallback` for static files and unknown paths, so that the label has a bounded set of values.
pub fn record_request(method: &Method, route: &str, status: StatusCode, latency: Duration) {
    if ENABLED.get().is_none() {
        return;
    }
    let labels = [
        ("method", method_label(method)),
        ("route", route.to_owned()),
        ("status", status_class(status).to_owned()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(latency.as_secs_f64());
}

/// Methods a client invents would each be a new series: they are counted as `other`.
fn method_label(method: &Method) -> String {
    match *method {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::OPTIONS => method.as_str().to_owned(),
        _ => "other".to_owned(),
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[derive(Clone)]
struct Exporter {
    handle: PrometheusHandle,
    db: PgPool,
}

/// The metrics listener's one route.
pub fn router(handle: PrometheusHandle, db: PgPool) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Exporter { handle, db })
}

async fn scrape(State(exporter): State<Exporter>) -> impl IntoResponse {
    let pool = &exporter.db;
    let idle = pool.num_idle() as f64;
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(pool.size()) - idle);
    metrics::gauge!("db_pool_max_connections").set(f64::from(pool.options().get_max_connections()));
    metrics::counter!("log_lines_dropped_total").absolute(crate::logs::dropped_lines());
    // Histograms' buckets are kept in the recorder until rendered; upkeep drains them.
    exporter.handle.run_upkeep();
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        exporter.handle.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_have_a_bounded_set_of_values() {
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::SEE_OTHER), "3xx");
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
