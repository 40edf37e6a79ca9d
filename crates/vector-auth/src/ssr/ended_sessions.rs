//! Which sessions have ended, known to every instance within seconds, so that an access token of an ended
//! session is refused at once rather than at its expiry, by a memory lookup.
//!
//! An instance learns of a session ended elsewhere from Postgres: `LISTEN` on `sessions::ENDED_CHANNEL` (the
//! statement that ends a session notifies when it commits), and, every `sync_interval`, a catch-up that asks
//! which sessions ended since it last asked, for the notifications a lost connection missed and for an instance
//! that started later. An ended session only matters while its access tokens live, so it is remembered for an
//! access-token lifetime. Until its first catch-up an instance does not know, and is not ready
//! (`/api/health/ready`).
//!
//! The memory is bounded (a million sessions), and one user cannot fill it: a user keeps at most
//! `MAX_SESSIONS_PER_USER` live sessions and starts at most `SIGN_INS_PER_USER_PER_MINUTE` a minute, so they
//! can end at most `MAX_SESSIONS_PER_USER + SIGN_INS_PER_USER_PER_MINUTE × (access lifetime + 1 min)` sessions
//! within the time one is remembered (170 with the defaults). Should the bound ever be reached, the oldest go,
//! and the log and the `auth_ended_sessions_evicted_total` metric say so.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use time::OffsetDateTime;
use uuid::Uuid;

use super::sessions::ENDED_CHANNEL;

/// Sessions ended at the same time as the last catch-up but committed after it are found by the next one.
const OVERLAP: time::Duration = time::Duration::seconds(60);
/// How long to wait before listening again after the connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// The most ended sessions remembered at once.
const CAPACITY: u64 = 1_000_000;

#[derive(Clone)]
pub struct EndedSessions {
    ended: Cache<Uuid, ()>,
    /// An access token's lifetime: how far back the first catch-up looks.
    remember_for: Duration,
    /// Set by the first catch-up that succeeds.
    caught_up: Arc<AtomicBool>,
}

impl EndedSessions {
    pub fn new(access_lifetime: Duration) -> Self {
        // A minute longer than a token lives, for clocks and the catch-up's own delay.
        let remember_for = access_lifetime + Duration::from_secs(60);
        Self {
            ended: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(remember_for)
                .eviction_listener(|_, _, cause| {
                    if cause == moka::notification::RemovalCause::Size {
                        metrics::counter!("auth_ended_sessions_evicted_total").increment(1);
                        tracing::error!(
                            capacity = CAPACITY,
                            "ended sessions forgotten before their access tokens expired: the memory is full"
                        );
                    }
                })
                .build(),
            remember_for,
            caught_up: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the first catch-up is done.
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Acquire)
    }

    pub fn contains(&self, session: Uuid) -> bool {
        self.ended.contains_key(&session)
    }

    pub fn insert(&self, session: Uuid) {
        self.ended.insert(session, ());
    }

    /// Listens for ended sessions and catches up every `sync_interval`, for as long as the server runs. Both
    /// run on the caller's task, so that stopping it stops both (and returns the listener's connection).
    pub async fn watch(self, db: PgPool, sync_interval: Duration) {
        tokio::join!(self.listen(&db), self.catch_up_forever(&db, sync_interval));
    }

    async fn listen(&self, db: &PgPool) {
        loop {
            match PgListener::connect_with(db).await {
                Ok(mut listener) => match listener.listen(ENDED_CHANNEL).await {
                    // `recv` reconnects by itself; an error means it could not.
                    Ok(()) => loop {
                        match listener.recv().await {
                            Ok(notification) => {
                                if let Ok(session) = notification.payload().parse() {
                                    self.insert(session);
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "lost the ended-sessions channel: listening again");
                                break;
                            }
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, "cannot listen for ended sessions"),
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for ended sessions"),
            }
            tokio::time::sleep(RELISTEN_AFTER).await;
        }
    }

    async fn catch_up_forever(&self, db: &PgPool, every: Duration) {
        let mut since = None;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.catch_up(db, since).await {
                Ok(checked_at) => {
                    since = Some(checked_at);
                    self.caught_up.store(true, Ordering::Release);
                }
                Err(e) => tracing::warn!(error = %e, "cannot ask which sessions ended"),
            }
        }
    }

    /// Remembers the sessions ended since `since` (the first time: within an access-token lifetime); returns
    /// the database's time of asking, for the next call.
    pub async fn catch_up(
        &self,
        db: &PgPool,
        since: Option<OffsetDateTime>,
    ) -> Result<OffsetDateTime, sqlx::Error> {
        let from = since.map(|at| at - OVERLAP);
        let (checked_at, ended): (OffsetDateTime, Vec<Uuid>) = sqlx::query_as(
            "SELECT now(), COALESCE(array_agg(id), '{}') FROM refresh_token_families
             WHERE revoked_at >= COALESCE($1, now() - $2 * interval '1 second')",
        )
        .bind(from)
        .bind(self.remember_for.as_secs_f64())
        .fetch_one(db)
        .await?;
        for session in ended {
            self.insert(session);
        }
        Ok(checked_at)
    }
}
