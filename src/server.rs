//! Server start-up: configuration, database, router and graceful shutdown.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use leptos::config::{LeptosOptions, get_configuration};
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use tokio::net::TcpListener;

use tower_cookies::CookieManagerLayer;

use crate::app::{App, shell};
use crate::auth::{self, AuthService};
use crate::config::{Config, ConfigError};
use crate::error::AppError;
use crate::{db, error, health};

/// How often expired refresh-token families are deleted.
const CLEANUP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// What every handler, server function and page render can reach (server functions and pages through
/// `AppState::from_context()`).
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub config: Arc<Config>,
    pub auth: AuthService,
}

impl AppState {
    /// The state, inside a server function or a page render. Take it before the first `.await`: the
    /// reactive context is not carried across awaits when a server function runs during server rendering.
    pub fn from_context() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState is missing from the context");
            AppError::internal()
        })
    }

    pub fn new(config: Config, db: PgPool, leptos_options: LeptosOptions) -> Self {
        let auth = AuthService::new(config.auth.clone(), db.clone());
        Self {
            leptos_options,
            db,
            config: Arc::new(config),
            auth,
        }
    }
}

impl FromRef<AppState> for AuthService {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

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
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Loads the configuration, prepares the database and serves until Ctrl-C or SIGTERM.
pub async fn run() -> Result<(), StartupError> {
    let config = Config::load()?;
    if config.auth.secret_key.is_generated() {
        tracing::warn!(
            "SECRET_KEY is not set: using a random key, so sessions end when the server restarts"
        );
    }
    if config.auth.dev_mode() {
        tracing::warn!(
            dev_user = %config.auth.dev_user_email,
            "dev mode: VECTOR_AUTH_PROXY_URL is not set, so requests without credentials are the dev user"
        );
    }
    let leptos_options = get_configuration(None)
        .map_err(|e| StartupError::Leptos(e.to_string()))?
        .leptos_options;
    let addr = leptos_options.site_addr;

    let db = db::connect(&config)
        .await
        .map_err(|source| StartupError::Database {
            target: db::describe(&config.database),
            source,
        })?;
    db::migrate(&db).await?;

    tokio::spawn(delete_expired_sessions(db.clone()));
    let state = AppState::new(config, db, leptos_options);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartupError::Serve)
}

/// The whole application: API routes, server functions, pages and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .merge(health::routes())
        .merge(auth::routes())
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Outermost last: a request passes no-store, cookies, CSRF, the page-load refresh, then the
        // server-function status fix.
        .layer(axum::middleware::from_fn(error::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::refresh_before_render,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::protect,
        ))
        .layer(CookieManagerLayer::new())
        .layer(axum::middleware::map_response(
            auth::no_store_when_setting_cookies,
        ))
        .with_state(state)
}

/// Deletes expired refresh-token families now and then every `CLEANUP_INTERVAL`.
async fn delete_expired_sessions(db: PgPool) {
    let mut interval = tokio::time::interval(CLEANUP_INTERVAL);
    loop {
        interval.tick().await;
        match auth::refresh_tokens::delete_expired(&db).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted expired sessions"),
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
