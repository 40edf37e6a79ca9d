//! The Postgres pool and the migrations in `migrations/`, applied at start.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;

/// How long a request waits for a connection before it answers 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(config.database.clone())
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), MigrateError> {
    sqlx::migrate!().run(pool).await
}

/// `host:port/database`, for messages (never the password).
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}
