//! The REST routes, with govector-auth's paths, bodies, statuses and detail strings.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRef, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_cookies::Cookies;

use super::cookies::{clear_session, refresh_into_jar, set_sign_in};
use super::error::AuthError;
use super::extract::{Peer, client, credentials};
use super::service::{AuthService, CurrentUser};
use super::sessions::Which;
use crate::types::User;
use vector_core::paging::{Cursor, PAGE_SIZE};

/// govector-auth's routes, for any router state that holds an `AuthService`.
pub fn routes<S>() -> Router<S>
where
    AuthService: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        // Only the exchange reads a body. A layer on the one route, not the router: each router layer wraps
        // every route in another boxed service, which every request then clones.
        .route(
            "/api/accounts/auth/token",
            post(exchange).layer(DefaultBodyLimit::max(EXCHANGE_BODY_LIMIT)),
        )
        .route("/api/accounts/auth/refresh", post(refresh))
        .route("/api/accounts/me/", get(me))
        .route("/api/accounts/logout/", post(logout))
        .route("/api/accounts/sessions/", get(sessions))
        .route("/api/accounts/sessions/{id}", delete(end_session))
        .route(
            "/api/accounts/sessions/revoke-others/",
            post(end_other_sessions),
        )
}

/// The largest body the exchange reads: a proxy token is at most 8 KB.
const EXCHANGE_BODY_LIMIT: usize = 16 * 1024;

/// `POST /api/accounts/auth/token {"token": "<proxy JWT>"}` → 200 `{"user": User}` and the session cookies.
async fn exchange(
    State(auth): State<AuthService>,
    jar: Cookies,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AuthError> {
    let client = client(auth.config(), &peer, &headers);
    auth.count_sign_in(client.ip)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
        _ => AuthError::BadRequest(rejection.body_text()),
    })?;
    let token = token_from_body(&headers, &body)?;
    let sign_in = auth.exchange(&token, &client).await?;
    set_sign_in(&jar, auth.config(), &sign_in, &token);
    Ok(Json(json!({ "user": sign_in.user })))
}

/// The token from a JSON body. Like the DRF view it replaces, the exchange parses JSON only: a body of any other
/// media type is refused with 415 (an empty body is simply no token).
fn token_from_body(headers: &HeaderMap, body: &[u8]) -> Result<String, AuthError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AuthError::MissingToken);
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        // Echoed in the detail: at most 100 characters of it.
        .map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .chars()
                .take(100)
                .collect::<String>()
        });
    let is_json = media_type.as_deref().is_some_and(|value| {
        let essence = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    });
    if !is_json {
        return Err(AuthError::UnsupportedMediaType(
            media_type.unwrap_or_else(|| "none".to_owned()),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| AuthError::BadRequest("expected a JSON object".into()))?;
    if !value.is_object() {
        return Err(AuthError::BadRequest("expected a JSON object".into()));
    }
    match value.get("token") {
        Some(Value::String(token)) if !token.trim().is_empty() => Ok(token.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => Err(AuthError::MissingToken),
        Some(_) => Err(AuthError::BadRequest("\"token\" must be a string".into())),
    }
}

/// `POST /api/accounts/auth/refresh` (refresh cookie) → 204 with new cookies, or 401 with the cookies cleared.
async fn refresh(
    State(auth): State<AuthService>,
    jar: Cookies,
    peer: Peer,
    headers: HeaderMap,
) -> Response {
    let client = client(auth.config(), &peer, &headers);
    if let Err(e) = auth.count_sign_in(client.ip) {
        return e.into_response();
    }
    let credentials = credentials(auth.config(), &jar, &headers);
    match refresh_into_jar(&jar, &auth, credentials.refresh_cookie.as_deref(), &client).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/accounts/me/` → the flat `User`.
async fn me(CurrentUser { user, .. }: CurrentUser) -> Json<User> {
    Json(user)
}

/// `POST /api/accounts/logout/` → the refresh family revoked and the cookies deleted. When the revocation
/// fails (database down) the cookies stay, so the client knows it is still signed in and can try again.
async fn logout(
    State(auth): State<AuthService>,
    jar: Cookies,
    peer: Peer,
    headers: HeaderMap,
) -> Result<Json<Value>, AuthError> {
    let credentials = credentials(auth.config(), &jar, &headers);
    let client = client(auth.config(), &peer, &headers);
    auth.logout(credentials.refresh_cookie.as_deref(), &client)
        .await?;
    clear_session(&jar, auth.config());
    Ok(Json(json!({ "detail": "Logged out." })))
}

/// `?cursor=…&limit=…` of the sessions list.
#[derive(serde::Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/accounts/sessions/[?cursor=…][&limit=1…100]` → a page of the signed-in user's live sessions (100
/// unless `limit` says fewer), the most recently used first, the one asking marked `current`; a body as
/// before (an array), and a `Link: <…>; rel="next"` header to the next page when there is one.
async fn sessions(
    State(auth): State<AuthService>,
    current: CurrentUser,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, AuthError> {
    let Query(query) = query.map_err(|e| AuthError::BadRequest(e.body_text()))?;
    let limit = match query.limit.as_deref() {
        None => PAGE_SIZE,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=PAGE_SIZE).contains(n))
            .ok_or_else(|| AuthError::BadRequest(format!("limit must be from 1 to {PAGE_SIZE}")))?,
    };
    let cursor = query
        .cursor
        .as_deref()
        .map(Cursor::parse)
        .transpose()
        .map_err(|e| AuthError::BadRequest(e.detail))?;
    let page = auth.sessions(&current, cursor, limit).await?;
    let mut response = Json(page.items).into_response();
    if let Some(next) = page.next {
        let limit = query
            .limit
            .map(|_| format!("&limit={limit}"))
            .unwrap_or_default();
        let link = format!("</api/accounts/sessions/?cursor={next}{limit}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `DELETE /api/accounts/sessions/{id}` → 204; 404 unless it is one of the user's live sessions. Ending the
/// session the request belongs to also deletes its cookies.
async fn end_session(
    State(auth): State<AuthService>,
    jar: Cookies,
    peer: Peer,
    headers: HeaderMap,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AuthError> {
    let id = id.parse().map_err(|_| AuthError::SessionNotFound)?;
    let client = client(auth.config(), &peer, &headers);
    if auth
        .end_sessions(&current, Which::One(id), &client)
        .await?
        .this_session
    {
        clear_session(&jar, auth.config());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/accounts/sessions/revoke-others/` → `{"revoked": n}`: every other session of the user ended.
async fn end_other_sessions(
    State(auth): State<AuthService>,
    peer: Peer,
    headers: HeaderMap,
    current: CurrentUser,
) -> Result<Json<Value>, AuthError> {
    let client = client(auth.config(), &peer, &headers);
    let ended = auth.end_other_sessions(&current, &client).await?;
    Ok(Json(json!({ "revoked": ended.count })))
}
