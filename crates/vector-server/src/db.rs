//! The Postgres pool, and the migrations applied at start: the platform's (`vector-auth`'s tables) first, then
//! the app's, which may reference them.

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};
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

/// Why the migrations could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// Both sets hold a version: sqlx keeps one table of applied versions for the database, so one of them
    /// would never run.
    #[error(
        "migration version {0} is both the platform's (vector-auth) and the app's: give the app's file in migrations/ a new timestamp"
    )]
    Overlap(i64),
    /// sqlx could not apply a migration.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

/// Applies the platform's migrations, then the app's. Each set ignores the other's applied versions in the
/// table they share; sqlx holds an advisory lock while each set runs, so instances starting together apply
/// each migration once.
pub async fn migrate(pool: &PgPool, app: &Migrator) -> Result<(), MigrationError> {
    let platform = vector_auth::migrator();
    let versions: BTreeSet<i64> = platform.iter().map(|m| m.version).collect();
    if let Some(shared) = app.iter().find(|m| versions.contains(&m.version)) {
        return Err(MigrationError::Overlap(shared.version));
    }
    platform.run(pool).await?;
    app.run(pool).await?;
    Ok(())
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
