//! Headers every response carries: no MIME sniffing, a referrer policy, a Content-Security-Policy that says
//! who may frame the app, HSTS when the cookies are Secure (the app is served over https), and
//! `Cache-Control: private, no-store` on everything personal (pages, `/api/accounts/*`, any response that
//! sets cookies). Static files keep their own caching.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;

const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");
/// One year; browsers then refuse plain http for the app's host.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(config: &Config) -> Arc<Self> {
        let csp = format!(
            "frame-ancestors {}; base-uri 'self'; object-src 'none'",
            config.frame_ancestors
        );
        Arc::new(Self {
            // FRAME_ANCESTORS was checked at start to hold only header-safe characters.
            csp: HeaderValue::from_str(&csp).expect("a checked FRAME_ANCESTORS"),
            hsts: config.auth.access_cookie.secure && config.auth.refresh_cookie.secure,
        })
    }
}

pub async fn security_headers(
    State(settings): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let account_api = request.uri().path().starts_with("/api/accounts/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let personal = account_api
        || headers.contains_key(header::SET_COOKIE)
        || headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if personal {
        headers.insert(header::CACHE_CONTROL, PRIVATE);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, settings.csp.clone());
    if settings.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}
