//! What every handler, server function and page render can reach: the application state.
//!
//! Axum handlers take the part they need (`State<PgPool>`, `State<AuthService>`, …) through `FromRef`;
//! server functions and pages call `AppState::from_context()`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::auth::AuthService;
use crate::billing::EntitlementsService;
use crate::config::Config;
use crate::error::AppError;

/// The longest a database check waits, pool included, so that checks cannot pile up on the pool.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub config: Arc<Config>,
    pub auth: AuthService,
    pub billing: EntitlementsService,
}

impl AppState {
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

    /// The state, inside a server function or a page render. Take it before the first `.await`: the
    /// reactive context is not carried across awaits when a server function runs during server rendering.
    pub fn from_context() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState is missing from the context");
            AppError::internal()
        })
    }

    /// Whether Postgres answers `SELECT 1` within two seconds: 503 otherwise. Says nothing else about it.
    pub async fn ping_database(&self) -> Result<(), AppError> {
        let ping = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&self.db));
        let reason = match ping.await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} s", PING_TIMEOUT.as_secs()),
        };
        tracing::warn!(%reason, "database check: unavailable");
        Err(AppError::unavailable("Database unavailable."))
    }
}
