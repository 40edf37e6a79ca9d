//! The environment, read into typed values, and the one-line error a bad value gives.
//!
//! A leaf: every crate that reads settings uses it.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::time::Duration;

use url::Url;

/// A setting that stops the server at start, said in one line.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{variable} is not set: expected {expected}")]
    Missing {
        /// The variable's name.
        variable: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// A variable's value is not one it accepts.
    #[error("{variable}={value} is invalid: expected {expected}")]
    Invalid {
        /// The variable's name.
        variable: String,
        /// The value, quoted (passwords are redacted before they get here).
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// `.env` exists but cannot be read.
    #[error("cannot read .env: {0}")]
    DotEnv(String),
}

impl ConfigError {
    /// `variable`'s `value` is invalid; `expected` says what would do.
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
    /// The process's environment (after `.env` was read into it).
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment of these variables only.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The same with `name` set to `value`.
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

    /// The variable's value, or `default` when unset.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off` (any case), or `default` when unset.
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

    /// A whole number within `range`. Every number has an upper bound, so no setting can overflow a
    /// duration or a cookie's Max-Age, or ask for something absurd.
    pub fn number(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(ConfigError::invalid(
                    name,
                    v,
                    format!("a whole number from {} to {}", range.start(), range.end()),
                )),
            },
        }
    }

    /// A duration given in whole seconds within `range`.
    pub fn seconds(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.number(name, default, range)?))
    }

    /// The base URL of a service the app calls: http(s), without a query, a fragment or credentials, and https
    /// in a production run unless the service runs on this machine. `None` when unset. `service` names it in
    /// the error ("the proxy"), `example` shows a valid value.
    pub fn base_url(
        &self,
        name: &str,
        service: &str,
        example: &str,
        production: bool,
    ) -> Result<Option<Url>, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let invalid = |expected: String| ConfigError::invalid(name, raw, expected);
        let url =
            http_url(raw).ok_or_else(|| invalid(format!("an http(s) URL such as {example}")))?;
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid(format!(
                "{service}'s base URL, without a query, a fragment or credentials"
            )));
        }
        if production && url.scheme() == "http" && !is_loopback(&url) {
            return Err(invalid(format!(
                "an https URL in a production run (plain http only to {service} on this machine)"
            )));
        }
        Ok(Some(url))
    }
}

/// `DATABASE_URL`, checked: the server's and the admin command's database.
pub fn database_url(env: &Env) -> Result<sqlx::postgres::PgConnectOptions, ConfigError> {
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
    match <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url) {
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

/// An absolute http(s) URL with a host.
pub fn http_url(raw: &str) -> Option<Url> {
    Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
