//! Configuration, read once at start from the environment (and `.env`) into typed structs.
//!
//! Every variable is listed with its default in `.env.example`. A bad value stops the server with one
//! line naming the variable, the value it got and what it expects.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use vector_auth::AuthConfig;
use vector_auth::billing::BillingConfig;
use vector_core::client_ip::TrustedProxies;
use vector_core::env::{ConfigError, Env, database_url};

/// The platform's configuration: the database, the server's limits, sign-in and billing.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where Postgres is (`DATABASE_URL`).
    pub database: PgConnectOptions,
    /// The pool's size (`DATABASE_MAX_CONNECTIONS`).
    pub database_max_connections: u32,
    /// A production run: `LEPTOS_ENV=PROD`, or a release build unless `LEPTOS_ENV=DEV` says otherwise.
    pub production: bool,
    /// The CSP `frame-ancestors` sources: who may show the app in a frame.
    pub frame_ancestors: String,
    /// Timeouts and limits of the accept loop.
    pub server: ServerLimits,
    /// Where `GET /metrics` is served (`METRICS_ADDR`); `None`, the default, serves no metrics.
    pub metrics_addr: Option<SocketAddr>,
    /// Sign-in, sessions and cookies.
    pub auth: AuthConfig,
    /// Vector's billing API.
    pub billing: BillingConfig,
}

/// How long the server waits for clients and how many requests it takes on at once. The defaults suit an app
/// behind a load balancer: it closes idle connections after the balancer would (60 s is the usual idle
/// timeout there), so the balancer never sends a request on a connection the app is closing.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// From a request's first byte to the end of its headers; past it the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a connection may wait for its next request.
    pub keep_alive_timeout: Duration,
    /// The longest pause while a request body arrives (answer: 408).
    pub body_read_timeout: Duration,
    /// The longest a request may take to arrive (its body; answer 408), and then until its response starts
    /// (answer: 503).
    pub request_timeout: Duration,
    /// Requests served at once; more are turned away with 503 rather than queued.
    pub max_concurrent_requests: usize,
    /// The request line and headers together; more answers 431.
    pub max_header_bytes: usize,
    /// On SIGTERM or Ctrl-C: how long requests in progress may take to finish before their connections are cut.
    pub shutdown_timeout: Duration,
    /// Connections one client address may hold open at once (0: no limit); more are closed at once.
    pub max_connections_per_client: usize,
    /// Peers whose connections are not counted per address: the load balancers in front
    /// (`TRUSTED_PROXIES`), which carry many clients each.
    pub trusted_proxies: TrustedProxies,
}

impl ServerLimits {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            header_read_timeout: env.seconds("HEADER_READ_TIMEOUT_SECONDS", 10, 1..=300)?,
            keep_alive_timeout: env.seconds("KEEP_ALIVE_TIMEOUT_SECONDS", 75, 1..=3_600)?,
            body_read_timeout: env.seconds("BODY_READ_TIMEOUT_SECONDS", 10, 1..=300)?,
            request_timeout: env.seconds("REQUEST_TIMEOUT_SECONDS", 30, 1..=3_600)?,
            max_concurrent_requests: env.number("MAX_CONCURRENT_REQUESTS", 512, 1..=100_000)?
                as usize,
            // Below 8 KiB, the headers and cookies of ordinary browsers may not fit.
            max_header_bytes: env.number("MAX_HEADER_BYTES", 16_384, 8_192..=1_048_576)? as usize,
            shutdown_timeout: env.seconds("SHUTDOWN_TIMEOUT_SECONDS", 25, 1..=3_600)?,
            max_connections_per_client: env.number(
                "MAX_CONNECTIONS_PER_CLIENT",
                128,
                0..=100_000,
            )? as usize,
            trusted_proxies: TrustedProxies::from_env(env)?,
        })
    }
}

impl Config {
    /// Reads `.env` (if present) into the process environment, then the environment into a `Config`.
    pub fn load() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        Self::from_env(&Env::from_process())
    }

    /// Reads the settings from `env`, checking each.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let production = match env.get("LEPTOS_ENV") {
            Some(v) if v.eq_ignore_ascii_case("PROD") => true,
            Some(v) if v.eq_ignore_ascii_case("DEV") => false,
            Some(other) => return Err(ConfigError::invalid("LEPTOS_ENV", other, "DEV or PROD")),
            None => !cfg!(debug_assertions),
        };
        Ok(Self {
            database: database_url(env)?,
            database_max_connections: env.number("DATABASE_MAX_CONNECTIONS", 10, 1..=1000)? as u32,
            production,
            frame_ancestors: frame_ancestors(env)?,
            server: ServerLimits::from_env(env)?,
            metrics_addr: metrics_addr(env)?,
            auth: AuthConfig::from_env(env, production)?,
            billing: BillingConfig::from_env(env, production)?,
        })
    }
}

/// `METRICS_ADDR`: an address and port of its own, such as 127.0.0.1:9100, never the site's.
fn metrics_addr(env: &Env) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(raw) = env.get("METRICS_ADDR") else {
        return Ok(None);
    };
    raw.parse().map(Some).map_err(|_| {
        ConfigError::invalid(
            "METRICS_ADDR",
            raw,
            "an address and port such as 127.0.0.1:9100",
        )
    })
}

/// `'self'`, `'none'`, or space-separated sources such as `'self' https://app.govector.ai`.
fn frame_ancestors(env: &Env) -> Result<String, ConfigError> {
    let raw = env.string("FRAME_ANCESTORS", "'self'");
    let sources: Vec<&str> = raw.split_whitespace().collect();
    // `[scheme://]host[:port]`, with `*` wildcards as CSP allows; nothing that could end the directive.
    let host_source = |source: &str| {
        let rest = match source.split_once("://") {
            Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphabetic()) => rest,
            Some(_) => return false,
            None => source,
        };
        let (host, port) = match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-*".contains(&b))
            && port.is_none_or(|port| {
                port == "*" || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            })
    };
    let valid = match sources.as_slice() {
        ["'none'"] => true,
        sources => sources
            .iter()
            .all(|&source| source == "'self'" || host_source(source)),
    };
    if !valid || sources.is_empty() {
        return Err(ConfigError::invalid(
            "FRAME_ANCESTORS",
            &raw,
            "'none', or sources such as 'self' https://app.govector.ai separated by spaces",
        ));
    }
    Ok(sources.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Env {
        Env::from_pairs([
            ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/app"),
            ("LEPTOS_ENV", "DEV"),
        ])
    }

    #[test]
    fn defaults_load() {
        let config = Config::from_env(&base()).unwrap();
        assert!(!config.production);
        assert_eq!(config.database_max_connections, 10);
    }

    #[test]
    fn database_url_errors_name_the_variable() {
        let err = Config::from_env(&base().with("DATABASE_URL", "nonsense")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DATABASE_URL=\"nonsense\" is invalid: expected a Postgres URL such as postgres://user:password@localhost:5432/app"
        );
        let err = Config::from_env(&Env::from_pairs([("LEPTOS_ENV", "DEV")])).unwrap_err();
        assert!(
            err.to_string().starts_with("DATABASE_URL is not set"),
            "{err}"
        );
    }

    #[test]
    fn database_password_never_reaches_the_error() {
        let err = Config::from_env(&base().with("DATABASE_URL", "mysql://me:hunter2@db/app"))
            .unwrap_err();
        let message = err.to_string();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("mysql://me:***@db/app"), "{message}");
    }

    #[test]
    fn frame_ancestors_are_sources_and_nothing_else() {
        assert_eq!(Config::from_env(&base()).unwrap().frame_ancestors, "'self'");
        let framed = base().with("FRAME_ANCESTORS", " 'self'   https://app.govector.ai ");
        assert_eq!(
            Config::from_env(&framed).unwrap().frame_ancestors,
            "'self' https://app.govector.ai"
        );
        for bad in [
            "'self'; script-src *",
            "https://a.example\r\nX: y",
            "'unsafe-inline'",
            "'none' 'self'",
        ] {
            let err = Config::from_env(&base().with("FRAME_ANCESTORS", bad)).unwrap_err();
            assert!(
                err.to_string().starts_with("FRAME_ANCESTORS="),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn numbers_and_booleans_are_validated() {
        let err = Config::from_env(&base().with("DATABASE_MAX_CONNECTIONS", "0")).unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid(
                "DATABASE_MAX_CONNECTIONS",
                "0",
                "a whole number from 1 to 1000"
            )
        );
        let err = Config::from_env(&base().with("LEPTOS_ENV", "staging")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LEPTOS_ENV=\"staging\" is invalid"),
            "{err}"
        );
    }
    #[test]
    fn server_limits_default_for_a_load_balancer_and_are_bounded() {
        let limits = Config::from_env(&base()).unwrap().server;
        assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
        // Longer than the 60 s idle timeout load balancers commonly use.
        assert_eq!(limits.keep_alive_timeout, Duration::from_secs(75));
        assert_eq!(limits.body_read_timeout, Duration::from_secs(10));
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
        assert_eq!(limits.max_concurrent_requests, 512);
        assert_eq!(limits.max_header_bytes, 16_384);
        assert_eq!(limits.shutdown_timeout, Duration::from_secs(25));
        assert_eq!(limits.max_connections_per_client, 128);
        for (name, value) in [
            ("HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("KEEP_ALIVE_TIMEOUT_SECONDS", "3601"),
            ("REQUEST_TIMEOUT_SECONDS", "-1"),
            ("MAX_CONCURRENT_REQUESTS", "0"),
            ("MAX_HEADER_BYTES", "4096"),
            ("SHUTDOWN_TIMEOUT_SECONDS", "ten"),
        ] {
            let err = Config::from_env(&base().with(name, value)).unwrap_err();
            assert!(err.to_string().starts_with(&format!("{name}=")), "{err}");
        }
    }
}
