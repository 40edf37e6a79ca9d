//! One log line per request: method, path, matched route, status, latency and request id, and never a query
//! string, a cookie or a token. The request id is the request's `x-request-id` when it has a usable one, else a
//! new UUID; it is echoed in the response and attached to every line logged while the request is served. The
//! same measurement feeds the request metrics (`metrics::record_request`).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::metrics::record_request;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longer ids from clients are replaced: they would only bloat every line.
const MAX_REQUEST_ID_CHARS: usize = 128;
/// Paths are cut to this many characters in the log.
const MAX_LOGGED_PATH_CHARS: usize = 200;
/// The route of a request that matched none: a static file or an unknown path.
const FALLBACK_ROUTE: &str = "fallback";

pub async fn log_requests(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|id| usable(id))
        .cloned()
        .unwrap_or_else(new_id);
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %logged_path(request.uri().path()),
        request_id = %String::from_utf8_lossy(id.as_bytes()),
    );
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    let matched = response.extensions_mut().remove::<MatchedPath>();
    let route = matched.as_ref().map_or(FALLBACK_ROUTE, MatchedPath::as_str);
    let status = response.status();
    let latency_ms = (latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    span.in_scope(|| tracing::info!(%route, status = status.as_u16(), latency_ms, "served"));
    record_request(&method, route, status, latency);
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// A route layer: the router knows which route a request matched, the log and the metrics outside it learn it
/// from the response. A nested service (the bundle under `/pkg`) has no matched path of its own.
pub async fn tag_route(route: Option<MatchedPath>, mut response: Response) -> Response {
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Visible ASCII only (no spaces or control characters: nothing that could forge a log line), not too long.
fn usable(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_CHARS
        && bytes.iter().all(|b| b.is_ascii_graphic())
}

fn new_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a header value")
}

/// The path only (the query is never part of it here), shortened.
fn logged_path(path: &str) -> String {
    path.chars().take(MAX_LOGGED_PATH_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ids_are_kept() {
        assert!(usable(&HeaderValue::from_static("req-42_abc.DEF")));
        for bad in ["", "has space", "tab\there"] {
            assert!(!usable(&HeaderValue::from_str(bad).unwrap()), "{bad:?}");
        }
        assert!(!usable(&HeaderValue::from_str(&"a".repeat(129)).unwrap()));
        assert!(usable(&HeaderValue::from_str(&"a".repeat(128)).unwrap()));
        assert!(!usable(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()));
        assert_eq!(new_id().len(), 36);
    }
}
