//! Configuration, read once at start from the environment (and `.env`) into typed structs.
//!
//! Every variable is listed with its default in `.env.example`. A bad value stops the server with one
//! line naming the variable, the value it got and what it expects.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::auth::AuthConfig;
use crate::env::{ConfigError, Env};

/// The whole application's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: PgConnectOptions,
    pub database_max_connections: u32,
    /// A production run: `LEPTOS_ENV=PROD`, or a release build unless `LEPTOS_ENV=DEV` says otherwise.
    pub production: bool,
    /// The CSP `frame-ancestors` sources: who may show the app in a frame.
    pub frame_ancestors: String,
    pub auth: AuthConfig,
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
            auth: AuthConfig::from_env(env, production)?,
        })
    }
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

fn database_url(env: &Env) -> Result<PgConnectOptions, ConfigError> {
    const EXPECTED: &str = "a Postgres URL such as postgres://user:password@localhost:5432/app";
    let Some(url) = env.get("DATABASE_URL") else {
        return Err(ConfigError::Missing {
            variable: "DATABASE_URL".into(),
            expected: format!(
                "{EXPECTED} (scripts/dev starts a local database and sets it for you)"
            ),
        });
    };
    let valid_scheme = url.starts_with("postgres://") || url.starts_with("postgresql://");
    match PgConnectOptions::from_str(url) {
        Ok(options) if valid_scheme => Ok(options),
        _ => Err(ConfigError::invalid(
            "DATABASE_URL",
            &redact_password(url),
            EXPECTED,
        )),
    }
}

/// Hides the password of a `scheme://user:password@host` URL so it can go into an error message.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
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
}
