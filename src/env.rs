//! The environment, read into typed values, and the one-line error a bad value gives.
//!
//! A leaf: every module that reads settings uses it, and it uses nothing of the app.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::time::Duration;

use url::Url;

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
