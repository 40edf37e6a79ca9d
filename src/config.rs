//! Configuration, read once at start from the environment (and `.env`) into typed structs.
//!
//! Every variable is listed with its default in `.env.example`. A bad value stops the server with one
//! line naming the variable, the value it got and what it expects.

use std::collections::HashMap;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::auth::AuthConfig;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{variable} is not set: expected {expected}")]
    Missing { variable: String, expected: String },
    #[error("{variable}={value} is invalid: expected {expected}")]
    Invalid {
        variable: String,
        value: String,
        expected: String,
    },
    #[error("cannot read .env: {0}")]
    DotEnv(String),
}

impl ConfigError {
    pub fn invalid(variable: &str, value: &str, expected: impl Into<String>) -> Self {
        Self::Invalid {
            variable: variable.to_owned(),
            value: format!("{value:?}"),
            expected: expected.into(),
        }
    }
}

/// A snapshot of the environment. Tests build one from pairs instead of touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The variable's value; an empty value counts as unset, as `VAR=` in a `.env` file means.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::invalid(name, v, "true or false")),
            },
        }
    }

    /// A whole number of at least `min`.
    pub fn number(&self, name: &str, default: u64, min: u64) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n >= min => Ok(n),
                _ => Err(ConfigError::invalid(
                    name,
                    v,
                    format!("a whole number of at least {min}"),
                )),
            },
        }
    }
}

/// The whole application's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: PgConnectOptions,
    pub database_max_connections: u32,
    /// A production run: `LEPTOS_ENV=PROD`, or a release build unless `LEPTOS_ENV=DEV` says otherwise.
    pub production: bool,
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
            database_max_connections: env.number("DATABASE_MAX_CONNECTIONS", 10, 1)? as u32,
            production,
            auth: AuthConfig::from_env(env, production)?,
        })
    }
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
    fn numbers_and_booleans_are_validated() {
        let err = Config::from_env(&base().with("DATABASE_MAX_CONNECTIONS", "0")).unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid(
                "DATABASE_MAX_CONNECTIONS",
                "0",
                "a whole number of at least 1"
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
