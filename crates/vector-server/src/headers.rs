//! Headers every response carries: no MIME sniffing, a referrer policy, a Content-Security-Policy, HSTS
//! when the cookies are Secure (the app is served over https), and `Cache-Control: private, no-store` on
//! everything that may be personal (pages, every `/api/` answer but the health checks, server functions GET
//! or POST included, and any response that sets cookies), so no shared cache keeps a user's data. Static files
//! keep their own caching.
//!
//! A rendered page's CSP allows only scripts that carry the page's nonce (Leptos' hydration scripts get it
//! from the context) and what they load (`'strict-dynamic'`), so no inline script an attacker slips into
//! the HTML runs. Every other response gets a CSP that allows nothing to load at all.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::config::Config;

const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");
/// One year; browsers then refuse plain http for the app's host.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

pub struct SecurityHeaders {
    /// The page CSP, with `{nonce}` where each page's nonce goes.
    page_csp: String,
    /// The CSP of everything that is not a page.
    other_csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(config: &Config) -> Arc<Self> {
        // Development: cargo-leptos' live reload talks over a WebSocket on another port, and avatars may
        // come from plain-http test servers.
        let (connect_dev, img_dev) = if config.production {
            ("", "")
        } else {
            (" ws: wss:", " http:")
        };
        let frame_ancestors = &config.frame_ancestors;
        let page_csp = format!(
            "default-src 'self'; script-src 'nonce-{{nonce}}' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' https: data:{img_dev}; connect-src 'self'{connect_dev}; \
             form-action 'self'; frame-ancestors {frame_ancestors}; base-uri 'self'; object-src 'none'"
        );
        let other_csp =
            format!("default-src 'none'; frame-ancestors {frame_ancestors}; base-uri 'none'");
        Arc::new(Self {
            page_csp,
            // FRAME_ANCESTORS was checked at start to hold only header-safe characters.
            other_csp: HeaderValue::from_str(&other_csp).expect("a checked FRAME_ANCESTORS"),
            hsts: config.auth.access_cookie.secure && config.auth.refresh_cookie.secure,
        })
    }

    /// In a page render (and a server function; the router calls it for both): a fresh nonce for Leptos'
    /// scripts, and the page's CSP naming it.
    pub fn provide_nonce(&self) {
        provide_nonce();
        if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
            let csp = self.page_csp.replace("{nonce}", &nonce.to_string());
            // The nonce is base64 and FRAME_ANCESTORS was checked: the value is a valid header.
            if let Ok(csp) = HeaderValue::from_str(&csp) {
                response.insert_header(header::CONTENT_SECURITY_POLICY, csp);
            }
        }
    }
}

pub async fn security_headers(
    State(settings): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let api = path.starts_with("/api/") && !path.starts_with("/api/health");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let personal = page || api || headers.contains_key(header::SET_COOKIE);
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
    // A page rendered with a nonce has its own CSP; server functions get one too (they share the render's
    // context), which their JSON does not need.
    if !page || !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, settings.other_csp.clone());
    }
    if settings.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}
