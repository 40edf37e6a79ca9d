//! Rate limits on sign-ins (proxy-token exchanges) and refreshes, per client address: 429 with
//! `Retry-After` once an address has used its budget. IPv6 clients are counted per /64, the block one
//! subscriber usually holds. The counters live in this instance's memory: with N instances behind a load
//! balancer an address gets up to N times the budget.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::AuthError;

/// `None` when AUTH_RATE_LIMIT_PER_MINUTE is 0.
pub struct SignInRateLimit(Option<DefaultKeyedRateLimiter<IpAddr>>);

impl SignInRateLimit {
    pub fn new(per_minute: u32) -> Self {
        Self(NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))))
    }

    /// Counts one sign-in or refresh for `client`.
    pub fn check(&self, client: IpAddr) -> Result<(), AuthError> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter.check_key(&bucket(client)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let retry_after = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            tracing::info!(%client, "rate limit: a sign-in or refresh refused");
            metrics::counter!("auth_rate_limit_refusals_total").increment(1);
            AuthError::RateLimited { retry_after }
        })
    }

    /// Forgets addresses that have not been seen for a while, so that the table stays small.
    pub fn forget_idle_clients(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
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
