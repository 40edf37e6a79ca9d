//! Reading a request's credentials, and the signed-in user for axum handlers (`CurrentUser`) and server
//! functions (`RequestAuth`, `require_user`, `require_current_user`).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_cookies::Cookies;

use super::config::AuthConfig;
use super::cookies::{clear_session, refresh_into_jar, set_sign_in};
use super::error::AuthError;
use super::service::{AuthService, Credentials, CurrentUser, seconds_until};
use super::sessions::{Client, Which};
use crate::types::{ActivityEvent, AuthStatus, SessionInfo, SessionRecord, User};
use vector_core::error::AppError;
use vector_core::paging::{Cursor, PAGE_SIZE, Page};

/// The credentials in a request's cookies and `Authorization` header.
pub fn credentials(config: &AuthConfig, jar: &Cookies, headers: &HeaderMap) -> Credentials {
    let cookie = |name: &str| {
        jar.get(name)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    };
    Credentials {
        access_cookie: cookie(&config.access_cookie.name),
        bearer: bearer_token(headers),
        refresh_cookie: cookie(&config.refresh_cookie.name),
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Extractor: the socket's address, when the server runs with connect info (it does; a bare router in a
/// benchmark may not, and then every request counts as one client).
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        ))
    }
}

/// The client a request comes from: the peer, or the address a trusted proxy names.
pub fn client_ip(config: &AuthConfig, peer: &Peer, headers: &HeaderMap) -> IpAddr {
    let peer = peer.0.map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
    config.trusted_proxies.client_ip(peer, headers)
}

/// The client's address and user agent, as a session records them.
pub fn client(config: &AuthConfig, peer: &Peer, headers: &HeaderMap) -> Client {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok());
    Client::new(client_ip(config, peer, headers), user_agent)
}

/// Extractor: the signed-in user, or a 401 `{"detail": …}`.
impl<S> FromRequestParts<S> for CurrentUser
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = AuthService::from_ref(state);
        let jar = Cookies::from_request_parts(parts, state)
            .await
            .map_err(|_| AuthError::Internal)?;
        let credentials = credentials(auth.config(), &jar, &parts.headers);
        auth.current_user(&credentials).await
    }
}

/// What a server function needs to act for the request: the service, the cookie jar and the credentials.
/// Its methods are the server functions' bodies.
pub struct RequestAuth {
    auth: AuthService,
    jar: Cookies,
    credentials: Credentials,
    client: Client,
    response: Option<ResponseOptions>,
}

impl RequestAuth {
    /// The request being served. The router provides the `AuthService` as context to server functions and
    /// page renders (see `server::router`).
    pub async fn from_context() -> Result<Self, AuthError> {
        let auth = use_context::<AuthService>().ok_or_else(|| {
            tracing::error!("AuthService is missing from the context");
            AuthError::Internal
        })?;
        let response = use_context::<ResponseOptions>();
        let (jar, headers, peer) = leptos_axum::extract::<(Cookies, HeaderMap, Peer)>()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the request in a server function");
                AuthError::Internal
            })?;
        let credentials = credentials(auth.config(), &jar, &headers);
        let client = client(auth.config(), &peer, &headers);
        Ok(Self {
            auth,
            jar,
            credentials,
            client,
            response,
        })
    }

    /// Counts a sign-in or refresh against the client's budget; past it, 429 with `Retry-After`.
    fn count_sign_in(&self) -> Result<(), AuthError> {
        self.with_retry_after(self.auth.count_sign_in(self.client.ip))
    }

    /// A refusal that says when to come back sets `Retry-After` on the server function's answer.
    fn with_retry_after<T>(&self, result: Result<T, AuthError>) -> Result<T, AuthError> {
        result.inspect_err(|e| {
            if let (Some((name, value)), Some(response)) = (e.retry_after(), &self.response) {
                response.insert_header(name, value);
            }
        })
    }

    fn session_info(&self, user: User, access_expires_at: Option<i64>) -> SessionInfo {
        SessionInfo {
            user,
            access_expires_in: access_expires_at.map(|at| seconds_until(at).max(0)),
            dev_mode: self.auth.config().dev_mode(),
        }
    }

    /// The signed-in user; 401 when signed out.
    pub async fn current_user(&self) -> Result<CurrentUser, AuthError> {
        self.auth.current_user(&self.credentials).await
    }

    /// The signed-in user's session; 401 when signed out.
    pub async fn session(&self) -> Result<SessionInfo, AuthError> {
        let current = self.current_user().await?;
        Ok(self.session_info(current.user, current.access_expires_at))
    }

    /// Exchanges a proxy token for a session and sets its cookies.
    pub async fn exchange(&self, token: String) -> Result<SessionInfo, AuthError> {
        self.count_sign_in()?;
        let sign_in = self.with_retry_after(self.auth.exchange(&token, &self.client).await)?;
        set_sign_in(&self.jar, self.auth.config(), &sign_in, &token);
        Ok(self.session_info(sign_in.user, Some(sign_in.session.access_expires_at)))
    }

    /// Rotates the refresh cookie; a refused one clears the session cookies.
    pub async fn refresh(&self) -> Result<SessionInfo, AuthError> {
        self.count_sign_in()?;
        let session = refresh_into_jar(
            &self.jar,
            &self.auth,
            self.credentials.refresh_cookie.as_deref(),
            &self.client,
        )
        .await?;
        let credentials = Credentials {
            access_cookie: Some(session.access),
            ..Credentials::default()
        };
        let current = self.auth.current_user(&credentials).await?;
        Ok(self.session_info(current.user, current.access_expires_at))
    }

    /// Revokes the refresh token's family, then deletes the session cookies (kept if the revocation fails).
    pub async fn logout(&self) -> Result<(), AuthError> {
        self.auth
            .logout(self.credentials.refresh_cookie.as_deref(), &self.client)
            .await?;
        clear_session(&self.jar, self.auth.config());
        Ok(())
    }

    /// A page of the signed-in user's sessions (`PAGE_SIZE` of them after `cursor`), this one marked current.
    pub async fn sessions(&self, cursor: Option<Cursor>) -> Result<Page<SessionRecord>, AuthError> {
        let current = self.current_user().await?;
        self.auth.sessions(&current, cursor, PAGE_SIZE).await
    }

    /// The signed-in user, for a server function that writes: counted against their budget of writes; past
    /// it, 429 with `Retry-After`.
    pub async fn current_user_for_write(&self) -> Result<CurrentUser, AuthError> {
        let current = self.current_user().await?;
        self.with_retry_after(self.auth.count_write(&current))?;
        Ok(current)
    }

    /// The signed-in user's most recent activity.
    pub async fn activity(&self) -> Result<Vec<ActivityEvent>, AuthError> {
        let current = self.current_user().await?;
        self.auth.activity(&current).await
    }

    /// Ends the user's sessions that `which` names (`None`: all but this one); ending this request's own
    /// session also deletes its cookies. Returns how many ended.
    pub async fn end_sessions(&self, which: Option<Which>) -> Result<usize, AuthError> {
        let current = self.current_user().await?;
        let ended = match which {
            Some(which) => {
                self.auth
                    .end_sessions(&current, which, &self.client)
                    .await?
            }
            None => self.auth.end_other_sessions(&current, &self.client).await?,
        };
        if ended.this_session {
            clear_session(&self.jar, self.auth.config());
        }
        Ok(ended.count)
    }

    /// The session for rendering: signed out is an answer here, not an error.
    pub async fn status(&self) -> Result<AuthStatus, AuthError> {
        let login_url = self
            .auth
            .config()
            .proxy
            .as_ref()
            .map(|p| p.login_url.clone());
        let session = match self.session().await {
            Ok(session) => Some(session),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => None,
            Err(e) => return Err(e),
        };
        let may_refresh = session.is_none() && self.credentials.refresh_cookie.is_some();
        Ok(AuthStatus {
            session,
            login_url,
            may_refresh,
        })
    }
}

/// In a server function: the signed-in user, or an `AppError` with status 401.
///
/// ```ignore
/// #[server]
/// pub async fn my_notes() -> Result<Vec<Note>, AppError> {
///     let user = crate::require_user().await?;
///     // … queries scoped to user.id …
/// }
/// ```
pub async fn require_user() -> Result<User, AppError> {
    Ok(require_current_user().await?.user)
}

/// `require_user`, with what else the server knows about the user (their Vector id).
pub async fn require_current_user() -> Result<CurrentUser, AppError> {
    let request = RequestAuth::from_context().await?;
    Ok(request.current_user().await?)
}

/// In a server function that changes something: the signed-in user (401 when signed out), counted against
/// their budget of writes (`WRITES_PER_USER_PER_MINUTE`; past it, 429 with `Retry-After`). Reads use
/// `require_user`.
pub async fn require_user_for_write() -> Result<User, AppError> {
    let request = RequestAuth::from_context().await?;
    Ok(request.current_user_for_write().await?.user)
}
