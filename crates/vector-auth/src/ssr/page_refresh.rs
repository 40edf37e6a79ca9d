//! Middleware: a returning user whose access token has expired but whose refresh cookie is valid gets a new
//! session before the page renders, so the first HTML is already signed in (no signed-out flash).
//!
//! Not when another site sent the browser here (`Sec-Fetch-Site: cross-site` or `same-site`): a page
//! elsewhere could start such loads and abort them after the server rotated the refresh token but before
//! the browser stored the new one, and so burn the session. Those pages render without the session, say
//! that a refresh may bring it back (`AuthStatus::may_refresh`), and the browser refreshes after hydrating.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_cookies::Cookies;

use super::cookies::refresh_into_jar;
use super::extract::{Peer, client, credentials};
use super::service::AuthService;

/// The middleware (with the `AuthService` as state): a page load started on this site with no valid access
/// token but a refresh cookie rotates the refresh token into the cookie jar before the page renders.
pub async fn refresh_before_render(
    State(auth): State<AuthService>,
    jar: Cookies,
    peer: Peer,
    request: Request,
    next: Next,
) -> Response {
    if is_page_request(&request) && started_here(&request) {
        let credentials = credentials(auth.config(), &jar, request.headers());
        let access_valid = credentials
            .access_cookie
            .as_deref()
            .is_some_and(|token| auth.access_token_is_valid(token));
        let client = client(auth.config(), &peer, request.headers());
        // A page load's refresh counts against the client's budget too; past it, the page renders as is.
        if !access_valid
            && credentials.refresh_cookie.is_some()
            && auth.count_sign_in(client.ip).is_ok()
        {
            // The page renders from the cookie jar, which now holds the new (or deleted) cookies.
            // A database outage leaves the cookies alone; the page then renders from what it has.
            let _ =
                refresh_into_jar(&jar, &auth, credentials.refresh_cookie.as_deref(), &client).await;
        }
    }
    next.run(request).await
}

/// The browser says this navigation started on this site, or was typed or bookmarked (or it says nothing).
fn started_here(request: &Request) -> bool {
    request
        .headers()
        .get("sec-fetch-site")
        .is_none_or(|site| matches!(site.as_bytes(), b"same-origin" | b"none"))
}

/// A browser asking for a page: GET, wants HTML, and not an API route or a static file.
fn is_page_request(request: &Request) -> bool {
    let path = request.uri().path();
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    request.method() == Method::GET
        && wants_html
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && !path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}
