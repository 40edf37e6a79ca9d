//! CSRF protection for every unsafe request, the way modern browsers allow.
//!
//! `Sec-Fetch-Site: same-origin` or `none` passes. Any other `Sec-Fetch-Site` passes only with a trusted
//! `Origin` (CSRF_TRUSTED_ORIGINS). Without `Sec-Fetch-Site` (older browsers), the `Origin` must be this
//! site or a trusted origin; a request with neither header is not from a browser and passes. A request that
//! authenticates only by `Authorization: Bearer` (no session cookie) is exempt: browsers never attach that
//! header on their own.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_cookies::Cookie;

use super::config::AuthConfig;
use super::error::AuthError;
use super::extract::bearer_token;
use super::service::AuthService;

/// Middleware: refuses an unsafe request that fails the check with 403 and a `detail` saying why.
pub async fn csrf_protect(
    State(auth): State<AuthService>,
    request: Request,
    next: Next,
) -> Response {
    match check(request.method(), request.headers(), auth.config()) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::info!(method = %request.method(), path = request.uri().path(), reason, "CSRF check refused a request");
            AuthError::Csrf(reason).into_response()
        }
    }
}

fn check(method: &Method, headers: &HeaderMap, config: &AuthConfig) -> Result<(), &'static str> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
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
            Some(origin) if is_same_origin(origin, headers) => Ok(()),
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

/// The `Origin`'s host and port equal the `Host` the browser sent the request to.
fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(authority) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|host| !authority.contains('/') && authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::env::Env;

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
        check(&Method::POST, &headers(pairs), &config())
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
        assert!(post(&[("origin", "https://app.example.com")]).is_ok());
        assert!(post(&[("origin", "https://app.example.com.evil.com")]).is_err());
        assert!(post(&[("origin", "null")]).is_err());
        assert!(post(&[("origin", "https://evil.com")]).is_err());
        assert!(
            post(&[]).is_ok(),
            "no browser headers at all: not a browser"
        );
    }

    #[test]
    fn safe_methods_and_bearer_only_requests_are_exempt() {
        let cross = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.com"),
        ]);
        assert!(check(&Method::GET, &cross, &config()).is_ok());
        let mut bearer = cross.clone();
        bearer.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert!(check(&Method::POST, &bearer, &config()).is_ok());
        bearer.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; access_token=xyz"),
        );
        assert!(
            check(&Method::POST, &bearer, &config()).is_err(),
            "a session cookie rides along: not exempt"
        );
    }
}
