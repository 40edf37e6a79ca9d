//! What this app's server functions, pages and REST routes reach: its state, made once at start from the
//! platform's (the pool, the settings, the auth and billing services). Add what your pages share here.

use axum::extract::FromRef;
use sqlx::PgPool;
use vector_auth::prelude::AppError;
use vector_server::Platform;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: PgPool,
}

impl AppState {
    pub fn new(platform: &Platform) -> Self {
        Self {
            db: platform.db.clone(),
        }
    }

    /// The state, inside a server function or a page render. Take it before the first `.await`: the
    /// reactive context is not carried across awaits when a server function runs during server rendering.
    pub fn from_context() -> Result<Self, AppError> {
        vector_server::from_context()
    }
}
