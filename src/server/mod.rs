//! The server program: start-up, the router, the accept loop, the database pool and migrations, health
//! checks and the headers every response carries.
//!
//! `run` loads the configuration, connects to Postgres and applies the migrations, builds the state and
//! serves `router(state)` until Ctrl-C or SIGTERM.

mod assets;
mod db;
mod headers;
mod health;
mod metrics;
mod request_log;
mod router;
mod serve;

pub use db::migrate;
pub use health::check_live;
pub use router::router;
pub use serve::serve;

use leptos::config::get_configuration;
use tokio::net::TcpListener;

use crate::auth::AuthService;
use crate::config::Config;
use crate::env::ConfigError;
use crate::state::AppState;

/// How often (in minutes) expired sessions are deleted.
const SESSION_CLEANUP_MINUTES: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("Leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot reach the database at {target}: {source}")]
    Database { target: String, source: sqlx::Error },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot set up the metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Logs to standard output, filtered by `RUST_LOG` (default `info,sqlx=warn`): human-readable lines, or one JSON
/// object per line with `LOG_FORMAT=json` (the request's fields, its id included, in `span`).
pub fn init_tracing() -> Result<(), ConfigError> {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = match std::env::var("LOG_FORMAT").as_deref().map(str::trim) {
        Err(_) | Ok("" | "text") => false,
        Ok("json") => true,
        Ok(other) => return Err(ConfigError::invalid("LOG_FORMAT", other, "text or json")),
    };
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        subscriber
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        subscriber.init();
    }
    Ok(())
}

/// Loads the configuration, prepares the database and serves until Ctrl-C or SIGTERM.
pub async fn run() -> Result<(), StartupError> {
    let config = Config::load()?;
    if config.auth.secret_key.is_generated() {
        tracing::warn!(
            "SECRET_KEY is not set: using a random key, so sessions end when the server restarts"
        );
    }
    if config.production
        && let Some(proxy) = &config.auth.proxy
        && proxy.audience.is_none()
    {
        tracing::warn!(
            "VECTOR_AUTH_AUDIENCE is not set: tokens the auth proxy issued for any other Vector app are accepted \
             here too; set it to this app's audience"
        );
    }
    if config.auth.dev_mode() {
        tracing::warn!(
            dev_user = %config.auth.dev_user_email,
            "dev mode: VECTOR_AUTH_PROXY_URL is not set, so requests without credentials are the dev user"
        );
    }
    let mut leptos_options = get_configuration(None)
        .map_err(|e| StartupError::Leptos(e.to_string()))?
        .leptos_options;
    // cargo-leptos sets LEPTOS_HASH_FILES when it runs the server; a server started on its own finds the
    // hashes of its bundle's file names beside its binary, where cargo-leptos writes them.
    leptos_options.hash_files |= hash_file_beside_binary(&leptos_options.hash_file);
    let addr = leptos_options.site_addr;

    let db = db::connect(&config)
        .await
        .map_err(|source| StartupError::Database {
            target: db::describe(&config.database),
            source,
        })?;
    db::migrate(&db).await?;

    let limits = config.server.clone();
    if let Some(addr) = config.metrics_addr {
        serve_metrics(addr, db.clone(), limits.clone()).await?;
    }
    let state = AppState::new(config, db, leptos_options);
    tokio::spawn(clean_up(state.auth.clone()));
    tokio::spawn(state.auth.clone().watch_ended_sessions());
    tokio::spawn(state.auth.clone().warm_up());
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    tracing::info!("listening on http://{addr}");
    serve(listener, router(state), limits, shutdown_signal()).await;
    Ok(())
}

/// Installs the metrics recorder and serves `GET /metrics` on `addr` for as long as the process runs.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    db: sqlx::PgPool,
    limits: crate::config::ServerLimits,
) -> Result<(), StartupError> {
    let handle = metrics::install()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    tracing::info!("metrics on http://{addr}/metrics");
    // Histogram samples wait in the recorder until upkeep folds them in, scraped or not.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = metrics::router(handle, db);
    tokio::spawn(serve(listener, router, limits, std::future::pending()));
    Ok(())
}

fn hash_file_beside_binary(name: &str) -> bool {
    std::env::current_exe().is_ok_and(|exe| exe.with_file_name(name).is_file())
}

/// Every minute: forgets the clients the sign-in rate limit has not seen lately; every hour (and at start):
/// ends expired sessions and deletes what is past its use or its retention (refresh tokens, session records,
/// activity).
async fn clean_up(auth: AuthService) {
    let mut minutes = tokio::time::interval(std::time::Duration::from_secs(60));
    for minute in 0u64.. {
        minutes.tick().await;
        auth.forget_idle_clients();
        if minute % SESSION_CLEANUP_MINUTES != 0 {
            continue;
        }
        match auth.delete_old_activity().await {
            Ok(0) => {}
            Ok(events) => tracing::info!(events, "deleted activity past its retention"),
            Err(e) => tracing::warn!(error = %e, "could not delete old activity"),
        }
        match auth.delete_expired_sessions().await {
            Ok(deleted) if deleted.sessions + deleted.used_tokens + deleted.old_sessions == 0 => {}
            Ok(deleted) => tracing::info!(
                expired_sessions = deleted.sessions,
                used_tokens = deleted.used_tokens,
                old_sessions = deleted.old_sessions,
                "ended expired sessions, deleted spent refresh tokens and old session records"
            ),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
