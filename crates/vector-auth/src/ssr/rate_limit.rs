//! Rate limits, each a budget per minute per key: sign-ins (proxy-token exchanges) and refreshes per client
//! address (IPv6 clients counted per /64, the block one subscriber usually holds), sign-ins per account, and
//! writes through server functions per user. Past its budget a key gets 429 with `Retry-After`. The counters
//! live in this instance's memory: with N instances behind a load balancer a key gets up to N times the
//! budget.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A budget per minute for each key; `None` inside when the setting is 0 (no limit).
pub struct PerMinute<K: Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: Hash + Eq + Clone> PerMinute<K> {
    pub fn new(per_minute: u32) -> Self {
        Self(NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))))
    }

    /// Counts one for `key`; past the budget, the seconds until the next one is allowed (at least 1).
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets keys that have not been seen for a while, so that the table stays small.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}

/// The key an address is counted under by the sign-in limit: itself, or its /64 for IPv6.
pub fn address_bucket(ip: IpAddr) -> IpAddr {
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
