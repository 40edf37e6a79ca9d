//! What the platform sets up at start and every request can reach: the pool, the settings, the auth and
//! billing services.
//!
//! The platform's routes take the part they need (`State<PgPool>`, `State<AuthService>`, …) through
//! `FromRef`; the app builds its own state from it (`Server::new`'s `state` function).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use vector_auth::AuthService;
use vector_auth::billing::EntitlementsService;
use vector_core::AppError;

use crate::config::Config;

/// The longest a database check waits, pool included, so that checks cannot pile up on the pool.
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// Failing checks under load say so once per this long, not once per request.
const WARN_EVERY: Duration = Duration::from_secs(10);

static DATABASE_CHECK_WARNINGS: WarnThrottle = WarnThrottle::new(WARN_EVERY);

/// The platform's part of the server's state.
#[derive(Clone, FromRef)]
pub struct Platform {
    /// Where the site's files are, its address, and whether their names are hashed.
    pub leptos_options: LeptosOptions,
    /// The Postgres pool, shared with the app.
    pub db: PgPool,
    /// The settings, loaded once at start.
    pub config: Arc<Config>,
    /// Sign-in and sessions.
    pub auth: AuthService,
    /// Vector's entitlements.
    pub billing: EntitlementsService,
}

impl Platform {
    /// The services, set up from the settings over an open pool.
    pub fn new(config: Config, db: PgPool, leptos_options: LeptosOptions) -> Self {
        let auth = AuthService::new(config.auth.clone(), db.clone());
        let billing = EntitlementsService::new(config.billing.clone());
        Self {
            leptos_options,
            db,
            config: Arc::new(config),
            auth,
            billing,
        }
    }
}

/// The app's state (or any type the server provides), inside a server function or a page render. Take it
/// before the first `.await`: the reactive context is not carried across awaits when a server function runs
/// during server rendering.
pub fn from_context<T: Clone + Send + Sync + 'static>() -> Result<T, AppError> {
    leptos::prelude::use_context::<T>().ok_or_else(|| {
        tracing::error!(
            state = std::any::type_name::<T>(),
            "the state is missing from the context"
        );
        AppError::internal()
    })
}

/// Whether Postgres answers `SELECT 1` within two seconds: 503 otherwise. Says nothing else about it.
pub async fn ping_database(db: &PgPool) -> Result<(), AppError> {
    let ping = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(db));
    let reason = match ping.await {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", PING_TIMEOUT.as_secs()),
    };
    if let Some(unsaid) = DATABASE_CHECK_WARNINGS.due() {
        tracing::warn!(%reason, failures_not_logged = unsaid, "database check: unavailable");
    }
    Err(AppError::unavailable("Database unavailable."))
}

/// Lets a warning through at most once per `every`, counting the ones held back.
struct WarnThrottle {
    every: Duration,
    /// When the last warning went through, in milliseconds since the process's first check (0: never).
    last_ms: AtomicU64,
    held_back: AtomicU64,
}

impl WarnThrottle {
    const fn new(every: Duration) -> Self {
        Self {
            every,
            last_ms: AtomicU64::new(0),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(held back since the last one)` when a warning may go through now.
    fn due(&self) -> Option<u64> {
        static START: LazyLock<Instant> = LazyLock::new(Instant::now);
        self.due_at(START.elapsed().as_millis() as u64 + 1)
    }

    fn due_at(&self, now_ms: u64) -> Option<u64> {
        let last = self.last_ms.load(Ordering::Relaxed);
        let recent = last != 0 && now_ms.saturating_sub(last) < self.every.as_millis() as u64;
        if recent
            || self
                .last_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.held_back.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_goes_through_once_per_period_with_the_count_held_back() {
        let throttle = WarnThrottle::new(Duration::from_secs(10));
        assert_eq!(throttle.due_at(1), Some(0));
        for ms in [2, 500, 9_999] {
            assert_eq!(throttle.due_at(ms), None);
        }
        assert_eq!(throttle.due_at(10_001), Some(3));
        assert_eq!(throttle.due_at(10_002), None);
        assert_eq!(throttle.due_at(25_000), Some(1));
    }
}
