//! Start-up as a value: `Server::new(shell, App, AppState::new)` describes the app (its document, its routes,
//! how its state is made from the platform's, its migrations and REST routes); `main` runs it.

use std::any::TypeId;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use axum::Router;
use leptos::config::{LeptosOptions, get_configuration};
use leptos::prelude::IntoView;
use leptos_axum::{AxumRouteListing, generate_route_list};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use vector_auth::AuthService;
use vector_core::env::ConfigError;

use crate::config::{Config, ServerLimits};
use crate::db::{self, MigrationError};
use crate::logs::init_tracing;
use crate::platform::Platform;
use crate::{health, metrics, router, serve};

/// How often (in minutes) expired sessions are deleted.
const SESSION_CLEANUP_MINUTES: u64 = 60;

/// Why the server could not start: one line, printed by `main`.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Leptos' own settings (`LEPTOS_*`, `[package.metadata.leptos]`).
    #[error("Leptos configuration: {0}")]
    Leptos(String),
    /// Postgres did not answer.
    #[error("cannot reach the database at {target}: {source}")]
    Database {
        /// `host:port/database`.
        target: String,
        /// What sqlx said.
        source: sqlx::Error,
    },
    /// A migration failed, or the platform's and the app's overlap.
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] MigrationError),
    /// The metrics recorder could not be installed.
    #[error("cannot set up the metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Builds the router over a platform, with the app's REST routes: the app's shell, page routes and state
/// function live inside it, so `Server` names only the state's type.
type BuildRouter<S> = Arc<dyn Fn(&Platform, Router<S>) -> Router + Send + Sync>;

/// A Vector app as the server runs it. `S` is the app's state: made once at start from the [`Platform`],
/// given to the app's REST routes as axum state, and to its server functions and pages through the context
/// (`vector_server::from_context::<S>()`).
pub struct Server<S> {
    build: BuildRouter<S>,
    migrator: Arc<Migrator>,
    api: Router<S>,
}

impl<S> Clone for Server<S> {
    fn clone(&self) -> Self {
        Self {
            build: self.build.clone(),
            migrator: self.migrator.clone(),
            api: self.api.clone(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Server<S> {
    /// The app: `shell` renders the whole document around `app` (the component holding the `<Router>`),
    /// and `state` makes the app's state from the platform's.
    pub fn new<Shell, ShellView, App, AppView>(
        shell: Shell,
        app: App,
        state: impl Fn(&Platform) -> S + Send + Sync + 'static,
    ) -> Self
    where
        Shell: Fn(LeptosOptions) -> ShellView + Clone + Send + Sync + 'static,
        ShellView: IntoView + 'static,
        App: Fn() -> AppView + Clone + Send + 'static,
        AppView: IntoView + 'static,
    {
        let page_routes = route_list(app);
        Self {
            build: Arc::new(move |platform, api| {
                router::router(
                    platform,
                    state(platform),
                    page_routes.clone(),
                    shell.clone(),
                    api,
                )
            }),
            migrator: Arc::new(Migrator::DEFAULT),
            api: Router::new(),
        }
    }

    /// The app's migrations (`sqlx::migrate!()`), applied after the platform's.
    pub fn migrations(mut self, mut migrator: Migrator) -> Self {
        // The platform's versions share sqlx's table.
        migrator.set_ignore_missing(true);
        self.migrator = Arc::new(migrator);
        self
    }

    /// The app's own REST routes, merged beside the platform's behind the same middleware.
    pub fn routes(mut self, routes: Router<S>) -> Self {
        self.api = self.api.merge(routes);
        self
    }

    /// The whole router over `platform`: what `run` serves, and what tests serve on loopback.
    pub fn router(&self, platform: &Platform) -> Router {
        (self.build)(platform, self.api.clone())
    }

    /// Applies the platform's migrations, then the app's.
    pub async fn migrate(&self, db: &sqlx::PgPool) -> Result<(), MigrationError> {
        db::migrate(db, &self.migrator).await
    }

    /// The server program: `server healthcheck` asks a running server whether it is live (the container
    /// image's HEALTHCHECK); otherwise logs go to standard output and the app is served until Ctrl-C or
    /// SIGTERM. A start-up failure is one line on standard error and exit status 1.
    pub async fn main(self) -> ExitCode {
        if std::env::args().nth(1).as_deref() == Some("healthcheck") {
            return if health::check_live().await {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        let _log = match init_tracing() {
            Ok(guard) => guard,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        match self.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// Loads the configuration, prepares the database and serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> Result<(), StartupError> {
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
                "VECTOR_AUTH_AUDIENCE is not set: tokens the auth proxy issued for any other Vector app are \
                 accepted here too; set it to this app's audience"
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
        self.migrate(&db).await?;

        let limits = config.server.clone();
        if let Some(addr) = config.metrics_addr {
            serve_metrics(addr, db.clone(), limits.clone()).await?;
        }
        let platform = Platform::new(config, db, leptos_options);
        tokio::spawn(clean_up(platform.auth.clone()));
        tokio::spawn(platform.auth.clone().watch_ended_sessions());
        tokio::spawn(platform.auth.clone().warm_up());
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        tracing::info!("listening on http://{addr}");
        serve(listener, self.router(&platform), limits, shutdown_signal()).await;
        Ok(())
    }
}

/// The pages' routes of `app`, listed once per process: while Leptos lists them it holds back every resource
/// that starts loading anywhere in the process, for good (leptos#4773), so listing them again while pages
/// render (a second router, as the tests build) would leave those renders hanging.
fn route_list<App, AppView>(app: App) -> Vec<AxumRouteListing>
where
    App: Fn() -> AppView + Clone + Send + 'static,
    AppView: IntoView + 'static,
{
    static LISTED: Mutex<Option<HashMap<TypeId, Vec<AxumRouteListing>>>> = Mutex::new(None);
    let mut listed = LISTED.lock().unwrap_or_else(|e| e.into_inner());
    listed
        .get_or_insert_with(HashMap::new)
        .entry(TypeId::of::<App>())
        .or_insert_with(|| generate_route_list(app))
        .clone()
}

/// Installs the metrics recorder and serves `GET /metrics` on `addr` for as long as the process runs.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    db: sqlx::PgPool,
    limits: ServerLimits,
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
