//! The auth service: what the REST handlers and the server functions both call. It speaks in plain values
//! (tokens, credentials, users); reading requests and writing cookies is the HTTP layer's job.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use vector_core::paging::{Cursor, Page};

use super::config::AuthConfig;
use super::ended_sessions::EndedSessions;
use super::error::AuthError;
use super::events;
use super::jwks::JwksClient;
use super::proxy_token::{ProxyClaims, ProxyTokenVerifier};
use super::rate_limit::{PerMinute, address_bucket};
use super::refresh_tokens;
use super::sessions::{self, Actor, Client, EndReason, Which};
use super::tokens::{Claims, TokenKeys, TokenType, now};
use super::user_cache::UserCache;
use super::users::{self, UserRow};
use crate::types::{ActivityEvent, SessionRecord, User};

/// The credentials a request carries (the HTTP layer reads them from cookies and headers).
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    /// The access-token cookie's value, if the request sent one.
    pub access_cookie: Option<String>,
    /// The token of an `Authorization: Bearer` header, if the request sent one.
    pub bearer: Option<String>,
    /// The refresh-token cookie's value, if the request sent one.
    pub refresh_cookie: Option<String>,
}

/// A new access and refresh token pair.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The access token, a JWT signed with `SECRET_KEY`.
    pub access: String,
    /// Unix seconds at which the access token expires.
    pub access_expires_at: i64,
    /// The refresh token, a JWT signed with `SECRET_KEY`.
    pub refresh: String,
}

/// The outcome of a successful proxy-token exchange.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The user signed in, as created or updated from the proxy token.
    pub user: User,
    /// The tokens of the session the sign-in started.
    pub session: NewSession,
    /// Unix seconds at which the proxy token expires.
    pub proxy_token_expires_at: i64,
}

/// The signed-in user a request's credentials name.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The user, as `GET /api/accounts/me/` returns them.
    pub user: User,
    /// The user's id at Vector, for calls to Vector's API on their behalf (`None` for the dev user, and for
    /// users whose proxy token carried no `user_id`).
    pub vector_id: Option<String>,
    /// Unix seconds at which the access token expires (`None` for the dev user).
    pub access_expires_at: Option<i64>,
    /// The session the access token belongs to (`None` for the dev user and for tokens issued before
    /// sessions were recorded).
    pub session_id: Option<Uuid>,
}

/// What ending sessions did.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    pub count: usize,
    /// The session asking was among them (or all were ended): its cookies must go too.
    pub this_session: bool,
}

/// Who a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// Authenticated by an access token (cookie or Bearer).
    Token {
        user_id: Uuid,
        expires_at: i64,
        session_id: Option<Uuid>,
    },
    /// Dev mode, no credentials.
    DevUser,
}

/// Sign-in, refresh, sign-out and sessions, over Postgres; cheap to clone (clones share their state).
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    db: PgPool,
    keys: TokenKeys,
    /// `None` in dev mode.
    verifier: Option<ProxyTokenVerifier>,
    users: UserCache,
    ended: EndedSessions,
    /// Sign-ins and refreshes per client address.
    sign_in_limit: PerMinute<IpAddr>,
    /// Sign-ins per account, by lower-case email.
    account_sign_in_limit: PerMinute<String>,
    /// Writes through server functions per user.
    write_limit: PerMinute<Uuid>,
}

impl AuthService {
    /// The service for these settings, over this database pool.
    pub fn new(config: AuthConfig, db: PgPool) -> Self {
        let verifier = config.proxy.as_ref().map(|proxy| {
            let jwks = JwksClient::new(
                proxy.jwks_url.clone(),
                config.jwks_cache_ttl,
                config.jwks_refetch_cooldown,
                config.jwks_max_stale,
            );
            ProxyTokenVerifier::new(proxy, jwks)
        });
        let keys = TokenKeys::new(&config);
        let users = UserCache::new(config.user_cache_ttl);
        let ended = EndedSessions::new(Duration::from_secs(config.access_cookie.max_age));
        Self {
            inner: Arc::new(Inner {
                sign_in_limit: PerMinute::new(config.rate_limit_per_minute),
                account_sign_in_limit: PerMinute::new(config.sign_ins_per_user_per_minute),
                write_limit: PerMinute::new(config.writes_per_user_per_minute),
                config,
                db,
                keys,
                verifier,
                users,
                ended,
            }),
        }
    }

    /// The settings it was built with.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The JWKS client (absent in dev mode).
    pub fn jwks(&self) -> Option<&JwksClient> {
        self.inner.verifier.as_ref().map(ProxyTokenVerifier::jwks)
    }

    /// Fetches the proxy's keys at start, retrying until it answers (nothing to do in dev mode).
    pub async fn warm_up(self) {
        if let Some(jwks) = self.jwks() {
            jwks.warm_up().await;
        }
    }

    /// Ready to verify sign-ins: dev mode, or the proxy's keys have been fetched.
    pub async fn is_ready(&self) -> bool {
        match self.jwks() {
            Some(jwks) => jwks.is_warm().await,
            None => true,
        }
    }

    /// Whether this instance has learnt which sessions ended recently (its first catch-up is done): until then
    /// it would accept the access tokens of sessions ended on other instances.
    pub fn knows_ended_sessions(&self) -> bool {
        self.inner.ended.caught_up()
    }

    /// Learns which sessions end on other instances, for as long as the server runs (see `ended_sessions`).
    pub async fn watch_ended_sessions(self) {
        let sync_interval = self.inner.config.session_sync_interval;
        let ended = self.inner.ended.clone();
        ended.watch(self.inner.db.clone(), sync_interval).await;
    }

    /// Exchanges a proxy token for a session, creating or updating the user.
    pub async fn exchange(&self, proxy_token: &str, client: &Client) -> Result<SignIn, AuthError> {
        let proxy_token = proxy_token.trim();
        if proxy_token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        let verifier = self.inner.verifier.as_ref().ok_or(AuthError::DevMode)?;
        let claims = verifier.verify(proxy_token).await?;
        self.inner
            .account_sign_in_limit
            .check(&claims.email.to_lowercase())
            .map_err(|retry_after| {
                tracing::info!("rate limit: a sign-in refused for an account past its budget");
                metrics::counter!("auth_rate_limit_refusals_total").increment(1);
                AuthError::TooManySignIns { retry_after }
            })?;
        let service = self.clone();
        let proxy_token_expires_at = claims.exp;
        let client = client.clone();
        let token_sha256 = Sha256::digest(proxy_token.as_bytes()).to_vec();
        let (user, refresh) =
            run_to_completion(
                async move { service.sign_in(&claims, &token_sha256, &client).await },
            )
            .await?;
        self.inner.users.insert(&user);
        let (session_id, refresh, ended) = refresh.ok_or(AuthError::UserInactive)?;
        // The sessions this one pushed past the limit, refused here at once (other instances are told).
        for session in ended {
            self.inner.ended.insert(session);
        }
        Ok(SignIn {
            session: self.session(user.id, session_id, &refresh),
            user: user.into(),
            proxy_token_expires_at,
        })
    }

    /// The user upsert and, for an active user, the new session (ending the least recently used past the
    /// user's limit): one transaction, one commit. The session's id, refresh claims and the sessions it ended
    /// are `None` for an inactive user (whose profile is still updated). A proxy token that started a session
    /// that has ended, or was issued before the user last signed out everywhere, is refused with nothing
    /// written.
    async fn sign_in(
        &self,
        claims: &ProxyClaims,
        token_sha256: &[u8],
        client: &Client,
    ) -> Result<(UserRow, Option<(Uuid, Claims, Vec<Uuid>)>), AuthError> {
        // A unique violation aborts the transaction: it is started again, and then sees the other sign-in.
        for _ in 0..3 {
            let mut tx = self.inner.db.begin().await?;
            let user = match users::upsert_from_claims(&mut tx, claims).await {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                other => other?.ok_or(AuthError::AccountConflict)?,
            };
            if user.sessions_ended_at.is_some_and(|ended_at| {
                claims.issued_at() < ended_at.unix_timestamp_nanos() as f64 / 1e9
            }) {
                return Err(AuthError::ProxyTokenEnded);
            }
            let refresh = if user.is_active {
                let started = refresh_tokens::start_family(
                    &mut tx,
                    &self.inner.keys,
                    refresh_tokens::NewFamily {
                        user_id: user.id,
                        max_age: self.inner.config.session_max_age,
                        max_sessions: self.inner.config.max_sessions_per_user,
                        proxy_token_sha256: token_sha256,
                        client,
                    },
                )
                .await?
                .ok_or(AuthError::ProxyTokenEnded)?;
                let new_user = events::signed_in(&mut tx, user.id, started.id, client).await?;
                Some((started, new_user))
            } else {
                None
            };
            tx.commit().await?;
            let refresh = refresh.map(|(started, new_user)| {
                let user = if new_user { "new" } else { "returning" };
                metrics::counter!("auth_sign_ins_total", "user" => user).increment(1);
                (started.id, started.claims, started.ended)
            });
            return Ok((user, refresh));
        }
        Err(AuthError::AccountConflict)
    }

    /// Rotates a refresh token into a new session.
    pub async fn refresh(
        &self,
        refresh_token: Option<&str>,
        client: &Client,
    ) -> Result<NewSession, AuthError> {
        let presented = self
            .inner
            .keys
            .decode(
                refresh_token.ok_or(AuthError::NoRefreshToken)?,
                TokenType::Refresh,
            )
            .ok_or(AuthError::InvalidRefreshToken)?;
        let user_id = presented.user_id;
        let service = self.clone();
        let client = client.clone();
        let (session_id, child) = run_to_completion(async move {
            refresh_tokens::rotate(
                &service.inner.db,
                &service.inner.keys,
                &presented,
                service.inner.config.refresh_reuse_grace,
                service.inner.config.session_max_age,
                &client,
            )
            .await
        })
        .await?;
        metrics::counter!("auth_refreshes_total").increment(1);
        Ok(self.session(user_id, session_id, &child))
    }

    /// Who the request is, without touching the database unless it is the dev user.
    pub fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError> {
        // The access cookie wins; an invalid one is an error, not a reason to try the next source.
        if let Some(token) = credentials
            .access_cookie
            .as_deref()
            .or(credentials.bearer.as_deref())
        {
            let claims = self
                .inner
                .keys
                .decode(token, TokenType::Access)
                .ok_or(AuthError::InvalidAccessToken)?;
            if claims.sid.is_some_and(|sid| self.inner.ended.contains(sid)) {
                return Err(AuthError::SessionEnded);
            }
            return Ok(Principal::Token {
                user_id: claims.user_id,
                expires_at: claims.exp,
                session_id: claims.sid,
            });
        }
        if self.inner.config.dev_mode() {
            return Ok(Principal::DevUser);
        }
        Err(AuthError::NotAuthenticated)
    }

    /// True for an unexpired access token signed by this app, of a session that has not ended.
    pub fn access_token_is_valid(&self, token: &str) -> bool {
        self.inner
            .keys
            .decode(token, TokenType::Access)
            .is_some_and(|claims| !claims.sid.is_some_and(|sid| self.inner.ended.contains(sid)))
    }

    /// The signed-in user and when their access token expires. The user comes from a short-lived cache
    /// (`USER_CACHE_SECONDS`), so most requests do not touch the database.
    pub async fn current_user(&self, credentials: &Credentials) -> Result<CurrentUser, AuthError> {
        let (row, expires_at, session_id) = match self.authenticate(credentials)? {
            Principal::Token {
                user_id,
                expires_at,
                session_id,
            } => (self.user(user_id).await?, Some(expires_at), session_id),
            Principal::DevUser => (
                users::dev_user(&self.inner.db, &self.inner.config.dev_user_email).await?,
                None,
                None,
            ),
        };
        if !row.is_active {
            return Err(AuthError::UserInactive);
        }
        Ok(CurrentUser {
            vector_id: row.vector_uga_user_id.clone(),
            user: User::from(row),
            access_expires_at: expires_at,
            session_id,
        })
    }

    /// A user by id: from the cache, or from Postgres (and then cached).
    async fn user(&self, id: Uuid) -> Result<UserRow, AuthError> {
        if let Some(user) = self.inner.users.get(id) {
            metrics::counter!("auth_user_cache_hits_total").increment(1);
            return Ok(user);
        }
        metrics::counter!("auth_user_cache_misses_total").increment(1);
        // A token for a deleted user is as good as a forged one.
        let user = users::find(&self.inner.db, id)
            .await?
            .ok_or(AuthError::InvalidAccessToken)?;
        self.inner.users.insert(&user);
        Ok(user)
    }

    /// Ends the session server-side: the refresh token's family is revoked, and its access tokens are refused
    /// from now on, here and (within seconds) on every instance. Cookies are the caller's job.
    pub async fn logout(
        &self,
        refresh_token: Option<&str>,
        client: &Client,
    ) -> Result<(), AuthError> {
        if let Some(claims) =
            refresh_token.and_then(|token| self.inner.keys.decode(token, TokenType::Refresh))
            && let Some(session) =
                sessions::end_by_token(&self.inner.db, claims.jti, client).await?
        {
            self.inner.ended.insert(session);
            metrics::counter!("auth_logouts_total").increment(1);
        }
        Ok(())
    }

    /// A page of the signed-in user's live sessions, theirs only, the most recently used first (`size` of
    /// them, after `cursor`); the one asking is marked current.
    pub async fn sessions(
        &self,
        current: &CurrentUser,
        cursor: Option<Cursor>,
        size: i64,
    ) -> Result<Page<SessionRecord>, AuthError> {
        let user_id = user_uuid(current)?;
        Ok(sessions::list(&self.inner.db, user_id, current.session_id, cursor, size).await?)
    }

    /// Ends the user's sessions that `which` names: the user's own only (another's is "not found"). Returns
    /// how many ended.
    pub async fn end_sessions(
        &self,
        current: &CurrentUser,
        which: Which,
        client: &Client,
    ) -> Result<Ended, AuthError> {
        let user_id = user_uuid(current)?;
        let by = Actor {
            session: current.session_id,
            client,
        };
        let ended =
            sessions::end(&self.inner.db, user_id, which, EndReason::EndedByUser, by).await?;
        if ended.is_empty() && matches!(which, Which::One(_)) {
            return Err(AuthError::SessionNotFound);
        }
        for session in &ended {
            self.inner.ended.insert(*session);
        }
        Ok(Ended {
            count: ended.len(),
            this_session: matches!(which, Which::All)
                || current.session_id.is_some_and(|id| ended.contains(&id)),
        })
    }

    /// Ends every session of the user but the one asking (404 for a token that names no session).
    pub async fn end_other_sessions(
        &self,
        current: &CurrentUser,
        client: &Client,
    ) -> Result<Ended, AuthError> {
        let this_one = current.session_id.ok_or(AuthError::SessionNotFound)?;
        self.end_sessions(current, Which::AllBut(this_one), client)
            .await
    }

    /// Counts a sign-in or refresh for a client address; `RateLimited` past its budget.
    pub fn count_sign_in(&self, client: IpAddr) -> Result<(), AuthError> {
        self.inner
            .sign_in_limit
            .check(&address_bucket(client))
            .map_err(|retry_after| {
                tracing::info!(%client, "rate limit: a sign-in or refresh refused");
                metrics::counter!("auth_rate_limit_refusals_total").increment(1);
                AuthError::RateLimited { retry_after }
            })
    }

    /// Counts a write through a server function for the signed-in user; `TooManyWrites` past their budget.
    pub fn count_write(&self, current: &CurrentUser) -> Result<(), AuthError> {
        let user_id = user_uuid(current)?;
        self.inner
            .write_limit
            .check(&user_id)
            .map_err(|retry_after| {
                tracing::info!(%user_id, "rate limit: a write refused");
                metrics::counter!("auth_rate_limit_refusals_total").increment(1);
                AuthError::TooManyWrites { retry_after }
            })
    }

    /// Forgets the addresses, accounts and users the rate limits have not seen for a while.
    pub fn forget_idle_clients(&self) {
        self.inner.sign_in_limit.forget_idle();
        self.inner.account_sign_in_limit.forget_idle();
        self.inner.write_limit.forget_idle();
    }

    /// Records expired sessions as ended, deletes the refresh tokens nothing can use any more and the records
    /// of sessions ended longer ago than `ACTIVITY_RETENTION_DAYS`.
    pub async fn delete_expired_sessions(&self) -> Result<refresh_tokens::Deleted, sqlx::Error> {
        refresh_tokens::delete_expired(&self.inner.db, self.inner.config.activity_retention_days)
            .await
    }

    /// The signed-in user's most recent activity, newest first.
    pub async fn activity(&self, current: &CurrentUser) -> Result<Vec<ActivityEvent>, AuthError> {
        let user_id = user_uuid(current)?;
        Ok(events::recent(&self.inner.db, user_id, events::RECENT).await?)
    }

    /// Deletes the activity older than `ACTIVITY_RETENTION_DAYS`; returns how many events.
    pub async fn delete_old_activity(&self) -> Result<u64, sqlx::Error> {
        events::delete_older_than(&self.inner.db, self.inner.config.activity_retention_days).await
    }

    fn session(&self, user_id: Uuid, session_id: Uuid, refresh: &Claims) -> NewSession {
        let mut access = self.inner.keys.claims(TokenType::Access, user_id);
        access.sid = Some(session_id);
        // Never past the session's end (its refresh token expires then at the latest): an access token must not
        // outlive its session, which "everywhere" endings no longer look at once it has expired.
        access.exp = access.exp.min(refresh.exp);
        NewSession {
            access: self.inner.keys.encode(&access),
            access_expires_at: access.exp,
            refresh: self.inner.keys.encode(refresh),
        }
    }
}

fn user_uuid(current: &CurrentUser) -> Result<Uuid, AuthError> {
    current.user.id.parse().map_err(|_| AuthError::Internal)
}

/// Runs a database transaction on its own task, so it finishes even when the request that started it is
/// dropped (the client went away). sqlx 0.8 returns a connection whose `BEGIN` was cancelled to the pool with
/// the transaction still open (sqlx issue #4393), and a rotation cut short would be lost to the client.
async fn run_to_completion<T: Send + 'static>(
    work: impl Future<Output = Result<T, AuthError>> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::spawn(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a database task failed");
        Err(AuthError::Internal)
    })
}

/// Seconds until a Unix time, for cookie lifetimes.
pub fn seconds_until(unix_seconds: i64) -> i64 {
    unix_seconds - now()
}
