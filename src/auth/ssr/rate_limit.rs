//! Rate limits on sign-ins (proxy-token exchanges) and refreshes, per client address: 429 with
//! `Retry-After` once an address has used its budget. IPv6 clients are counted per /64, the block one
//! subscriber usually holds. The counters live in this instance's memory: with N instances behind a load
//! balancer an address gets up to N times the budget.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use leptos::server_fn::ServerFn;

use super::config::AuthConfig;
use super::service::AuthService;
use crate::auth::server_fns::{ExchangeToken, RefreshSession};
use crate::client_ip::TrustedProxies;
use crate::error::AppError;

/// The limiter (`None` when AUTH_RATE_LIMIT_PER_MINUTE is 0), and the paths it guards.
pub struct SignInRateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: TrustedProxies,
    /// The REST routes and the server functions that sign in or refresh.
    paths: HashSet<&'static str>,
}

impl SignInRateLimit {
    pub fn new(config: &AuthConfig) -> Self {
        let limiter = NonZeroU32::new(config.rate_limit_per_minute)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        let paths = [
            "/api/accounts/auth/token",
            "/api/accounts/auth/refresh",
            ExchangeToken::PATH,
            RefreshSession::PATH,
        ]
        .into_iter()
        .collect();
        Self {
            limiter,
            trusted_proxies: config.trusted_proxies.clone(),
            paths,
        }
    }

    /// Forgets addresses that have not been seen for a while, so that the table stays small.
    pub fn forget_idle_clients(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }
}

/// Middleware: counts sign-ins and refreshes per client address, and refuses those over the budget.
pub async fn rate_limit_sign_ins(
    State(auth): State<AuthService>,
    request: Request,
    next: Next,
) -> Response {
    let limit = auth.sign_in_limit();
    let Some(limiter) = &limit.limiter else {
        return next.run(request).await;
    };
    if request.method() != Method::POST || !limit.paths.contains(request.uri().path()) {
        return next.run(request).await;
    }
    // Without the socket's address (a server run without connect info) every request is one client.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let client = limit.trusted_proxies.client_ip(peer, request.headers());
    match limiter.check_key(&bucket(client)) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::info!(%client, path = request.uri().path(), "rate limit: sign-in or refresh refused");
            let mut response = AppError::new(
                429,
                format!("Too many sign-in attempts from this address. Try again in {seconds} s."),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            response
        }
    }
}

/// The key an address is counted under: itself, or its /64 for IPv6.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::from([
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ])
        }
        v4 => v4,
    }
}
