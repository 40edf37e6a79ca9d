//! CSRF protection for every unsafe request, the way modern browsers allow.
//!
//! `Sec-Fetch-Site: same-origin` or `none` passes. Any other `Sec-Fetch-Site` passes only with a trusted
//! `Origin` (CSRF_TRUSTED_ORIGINS). Without `Sec-Fetch-Site` (older browsers), the `Origin` must be this
//! site (same scheme, host and port) or a trusted origin; a request with neither header is not from a
//! browser and passes. A request that authenticates only by `Authorization: Bearer` (no session cookie) is
//! exempt: browsers never attach that header on their own. Server functions that answer GET are checked
//! like unsafe requests: a cross-site link or navigation could otherwise call one with the user's cookies.
//!
//! The app's own scheme is https when its cookies are Secure (it is served over TLS, usually through a
//! proxy), http otherwise.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_cookies::Cookie;

use super::config::AuthConfig;
use super::error::AuthError;
use super::extract::bearer_token;
use super::service::AuthService;

/// The check's state: the settings, and the paths of the server functions that answer GET.
#[derive(Clone)]
pub struct CsrfGuard {
    auth: AuthService,
    get_server_fns: Arc<HashSet<&'static str>>,
}

impl CsrfGuard {
    /// Takes the registered server functions as they are now: build it after they are all linked in.
    pub fn new(auth: AuthService) -> Self {
        let get_server_fns = leptos::server_fn::axum::server_fn_paths()
            .filter(|(_, method)| *method == Method::GET)
            .map(|(path, _)| path)
            .collect();
        Self {
            auth,
            get_server_fns: Arc::new(get_server_fns),
        }
    }
}

/// Middleware: refuses an unsafe request that fails the check with 403 and a `detail` saying why.
pub async fn csrf_protect(
    State(guard): State<CsrfGuard>,
    request: Request,
    next: Next,
) -> Response {
    let get_server_fn = guard.get_server_fns.contains(request.uri().path());
    let unsafe_request = get_server_fn || !is_safe(request.method());
    let checked = if unsafe_request {
        check(request.headers(), guard.auth.config())
    } else {
        Ok(())
    };
    match checked {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::info!(method = %request.method(), path = request.uri().path(), reason, "CSRF check refused a request");
            metrics::counter!("auth_csrf_refusals_total").increment(1);
            AuthError::Csrf(reason).into_response()
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The check of a request that may change something.
fn check(headers: &HeaderMap, config: &AuthConfig) -> Result<(), &'static str> {
    if bearer_token(headers).is_some() && !has_session_cookie(headers, config) {
        return Ok(());
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("null"));
    let trusted = origin.is_some_and(|o| {
        config
            .csrf_trusted_origins
            .iter()
            .any(|t| t.eq_ignore_ascii_case(o))
    });
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") | Some(b"none") => Ok(()),
        Some(_) if trusted => Ok(()),
        Some(_) => Err("the request came from another site whose origin is not trusted."),
        None => match origin {
            None => Ok(()),
            Some(_) if trusted => Ok(()),
            Some("null") => Err("the request has an opaque origin (Origin: null)."),
            Some(origin) if is_same_origin(origin, headers, config) => Ok(()),
            Some(_) => Err("the request's Origin is neither this site nor a trusted origin."),
        },
    }
}

fn has_session_cookie(headers: &HeaderMap, config: &AuthConfig) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .flatten()
        .any(|c| c.name() == config.access_cookie.name || c.name() == config.refresh_cookie.name)
}

/// The `Origin` is the app's own scheme with the `Host` (host and port) the browser sent the request to.
fn is_same_origin(origin: &str, headers: &HeaderMap, config: &AuthConfig) -> bool {
    let scheme = if config.access_cookie.secure {
        "https://"
    } else {
        "http://"
    };
    let Some(authority) = origin.strip_prefix(scheme) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|host| !authority.contains('/') && authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use vector_core::env::Env;

    fn config() -> AuthConfig {
        AuthConfig::from_env(
            &Env::default().with("CSRF_TRUSTED_ORIGINS", "https://admin.example.com"),
            false,
        )
        .unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::HOST, HeaderValue::from_static("app.example.com"));
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn post(pairs: &[(&'static str, &str)]) -> Result<(), &'static str> {
        check(&headers(pairs), &config())
    }

    #[test]
    fn fetch_metadata_decides_first() {
        assert!(post(&[("sec-fetch-site", "same-origin")]).is_ok());
        assert!(post(&[("sec-fetch-site", "none")]).is_ok());
        assert!(
            post(&[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://other.example.com")
            ])
            .is_err()
        );
        assert!(
            post(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.com")
            ])
            .is_err()
        );
        assert!(
            post(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://admin.example.com")
            ])
            .is_ok()
        );
    }

    #[test]
    fn origin_decides_without_fetch_metadata() {
        assert!(post(&[("origin", "http://app.example.com")]).is_ok());
        assert!(post(&[("origin", "https://app.example.com.evil.com")]).is_err());
        assert!(post(&[("origin", "http://app.example.com.evil.com")]).is_err());
        assert!(post(&[("origin", "null")]).is_err());
        assert!(post(&[("origin", "https://evil.com")]).is_err());
        assert!(
            post(&[]).is_ok(),
            "no browser headers at all: not a browser"
        );
    }

    #[test]
    fn another_scheme_or_port_is_another_origin() {
        for foreign in [
            "https://app.example.com",
            "http://app.example.com:8080",
            "ftp://app.example.com",
        ] {
            assert!(post(&[("origin", foreign)]).is_err(), "{foreign}");
        }
        // Served over TLS (Secure cookies): the https origin is the app's own, plain http is not.
        let secure = AuthConfig::from_env(
            &Env::from_pairs([("ACCESS_TOKEN_COOKIE_SECURE", "true")]),
            false,
        )
        .unwrap();
        assert!(check(&headers(&[("origin", "https://app.example.com")]), &secure).is_ok());
        assert!(check(&headers(&[("origin", "http://app.example.com")]), &secure).is_err());
    }

    #[test]
    fn safe_methods_and_bearer_only_requests_are_exempt() {
        assert!(is_safe(&Method::GET) && is_safe(&Method::HEAD) && is_safe(&Method::OPTIONS));
        assert!(!is_safe(&Method::POST) && !is_safe(&Method::DELETE) && !is_safe(&Method::PATCH));
        let cross = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.com"),
        ]);
        let mut bearer = cross.clone();
        bearer.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert!(check(&bearer, &config()).is_ok());
        bearer.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; access_token=xyz"),
        );
        assert!(
            check(&bearer, &config()).is_err(),
            "a session cookie rides along: not exempt"
        );
    }
}
