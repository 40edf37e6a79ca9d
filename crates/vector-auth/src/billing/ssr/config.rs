//! The billing settings. Names follow govector-auth's, so a Vector deployment can set the same values.

use std::time::Duration;

use axum::http::HeaderValue;
use reqwest::Url;

use vector_core::env::{ConfigError, Env};

/// The billing settings, read from the environment by [`BillingConfig::from_env`].
#[derive(Debug, Clone)]
pub struct BillingConfig {
    /// `None`: billing is not configured, and every signed-in user gets the `not-configured` fallback.
    pub api: Option<VectorApi>,
    /// How long a call to Vector's API may take, from connecting to the last byte.
    pub timeout: Duration,
    /// The longest an answer is reused, whatever its `cache.expires_at` says; zero turns the cache off.
    pub cache_max_age: Duration,
    /// When Vector cannot be asked (or the user has no Vector id), refuse instead of allowing.
    pub fail_closed: bool,
}

/// Where and how to ask Vector's API.
#[derive(Debug, Clone)]
pub struct VectorApi {
    /// `{VECTOR_API_URL}/api/user-billing/apps/{app id}/entitlements/`
    pub entitlements_url: Url,
    /// `X-UGA-Api-Token`; marked sensitive, so its `Debug` does not show it.
    pub token: HeaderValue,
    /// `X-Vector-Origin`, when set.
    pub origin: Option<HeaderValue>,
}

impl BillingConfig {
    /// Reads the settings from `env`; in `production` `VECTOR_API_URL` must be https unless on this machine.
    /// Fails when `ENTITLEMENTS_FAIL_CLOSED` is set without `VECTOR_API_URL`, which would refuse everyone.
    pub fn from_env(env: &Env, production: bool) -> Result<Self, ConfigError> {
        let fail_closed = env.bool("ENTITLEMENTS_FAIL_CLOSED", false)?;
        let api = VectorApi::from_env(env, production)?;
        if fail_closed && api.is_none() {
            return Err(ConfigError::Missing {
                variable: "VECTOR_API_URL".into(),
                expected: "Vector's API URL while ENTITLEMENTS_FAIL_CLOSED=true, which would otherwise refuse \
                           everyone"
                    .into(),
            });
        }
        Ok(Self {
            api,
            timeout: env.seconds("VECTOR_API_TIMEOUT_SECONDS", 10, 1..=60)?,
            cache_max_age: env.seconds("ENTITLEMENTS_CACHE_MAX_SECONDS", 300, 0..=86_400)?,
            fail_closed,
        })
    }
}

impl VectorApi {
    /// Billing is configured when `VECTOR_API_URL` is set; then the app id and the token must be too.
    fn from_env(env: &Env, production: bool) -> Result<Option<Self>, ConfigError> {
        let Some(base) = env.base_url(
            "VECTOR_API_URL",
            "Vector's API",
            "https://api.govector.ai",
            production,
        )?
        else {
            return Ok(None);
        };
        let app_id = app_id(env)?;
        let mut entitlements_url = base;
        // Segments are percent-encoded, so no app id can change the path.
        entitlements_url
            .path_segments_mut()
            .map_err(|_| ConfigError::invalid("VECTOR_API_URL", base_text(env), "a base URL"))?
            .pop_if_empty()
            .extend(["api", "user-billing", "apps", &app_id, "entitlements", ""]);
        let Some(token) = env.get("VECTOR_API_TOKEN") else {
            return Err(ConfigError::Missing {
                variable: "VECTOR_API_TOKEN".into(),
                expected:
                    "the app's token for Vector's API (X-UGA-Api-Token) while VECTOR_API_URL is set"
                        .into(),
            });
        };
        let mut token = HeaderValue::from_str(token).map_err(|_| ConfigError::Invalid {
            variable: "VECTOR_API_TOKEN".into(),
            // The token itself never goes into the message.
            value: format!("<{} bytes>", token.len()),
            expected: "printable ASCII".into(),
        })?;
        token.set_sensitive(true);
        let origin = env
            .get("VECTOR_ORIGIN")
            .map(|origin| {
                HeaderValue::from_str(origin).map_err(|_| {
                    ConfigError::invalid(
                        "VECTOR_ORIGIN",
                        origin,
                        "an origin such as https://govector.ai",
                    )
                })
            })
            .transpose()?;
        Ok(Some(Self {
            entitlements_url,
            token,
            origin,
        }))
    }
}

fn base_text(env: &Env) -> &str {
    env.get("VECTOR_API_URL").unwrap_or_default()
}

/// `VITE_APP_ID` as govector-auth reads it, or its alias `VECTOR_APP_ID`; both set, they must agree.
fn app_id(env: &Env) -> Result<String, ConfigError> {
    let id = match (env.get("VITE_APP_ID"), env.get("VECTOR_APP_ID")) {
        (Some(vite), Some(vector)) if vite != vector => {
            return Err(ConfigError::invalid(
                "VECTOR_APP_ID",
                vector,
                format!("the same id as VITE_APP_ID ({vite:?}), or unset"),
            ));
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => {
            return Err(ConfigError::Missing {
                variable: "VITE_APP_ID".into(),
                expected: "the app's id at Vector (or VECTOR_APP_ID) while VECTOR_API_URL is set"
                    .into(),
            });
        }
    };
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> Env {
        Env::from_pairs([
            ("VECTOR_API_URL", "https://api.example.com/"),
            ("VITE_APP_ID", "app-42"),
            ("VECTOR_API_TOKEN", "uga-secret-token"),
        ])
    }

    #[test]
    fn unset_means_not_configured() {
        let config = BillingConfig::from_env(&Env::default(), true).unwrap();
        assert!(config.api.is_none());
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.cache_max_age, Duration::from_secs(300));
        assert!(!config.fail_closed);
    }

    #[test]
    fn the_url_is_the_seeds_with_the_app_id_as_one_segment() {
        let api = BillingConfig::from_env(&configured(), true)
            .unwrap()
            .api
            .unwrap();
        assert_eq!(
            api.entitlements_url.as_str(),
            "https://api.example.com/api/user-billing/apps/app-42/entitlements/"
        );
        assert!(api.origin.is_none());
        let odd = configured().with("VITE_APP_ID", "../../admin?x=1");
        let api = BillingConfig::from_env(&odd, true).unwrap().api.unwrap();
        assert_eq!(
            api.entitlements_url.as_str(),
            "https://api.example.com/api/user-billing/apps/..%2F..%2Fadmin%3Fx=1/entitlements/"
        );
        let prefixed = configured().with("VECTOR_API_URL", "https://example.com/vector");
        let api = BillingConfig::from_env(&prefixed, true)
            .unwrap()
            .api
            .unwrap();
        assert_eq!(
            api.entitlements_url.as_str(),
            "https://example.com/vector/api/user-billing/apps/app-42/entitlements/"
        );
    }

    #[test]
    fn vector_app_id_is_an_alias() {
        let aliased = Env::from_pairs([
            ("VECTOR_API_URL", "https://api.example.com"),
            ("VECTOR_APP_ID", "app-7"),
            ("VECTOR_API_TOKEN", "t"),
        ]);
        let api = BillingConfig::from_env(&aliased, false)
            .unwrap()
            .api
            .unwrap();
        assert!(api.entitlements_url.path().contains("/apps/app-7/"));
        let both = configured().with("VECTOR_APP_ID", "app-42");
        assert!(BillingConfig::from_env(&both, false).is_ok());
        let err = BillingConfig::from_env(&configured().with("VECTOR_APP_ID", "other"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("VECTOR_APP_ID=\"other\" is invalid"),
            "{err}"
        );
    }

    #[test]
    fn a_configured_api_needs_its_app_id_and_token() {
        let mut env = configured();
        env = env.with("VITE_APP_ID", "");
        let err = BillingConfig::from_env(&env, false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("VITE_APP_ID is not set"), "{err}");
        let err = BillingConfig::from_env(&configured().with("VECTOR_API_TOKEN", ""), false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("VECTOR_API_TOKEN is not set"), "{err}");
    }

    #[test]
    fn the_token_stays_out_of_errors_and_debug_output() {
        let err =
            BillingConfig::from_env(&configured().with("VECTOR_API_TOKEN", "se\ncret"), false)
                .unwrap_err()
                .to_string();
        assert!(!err.contains("cret"), "{err}");
        let config = BillingConfig::from_env(&configured(), false).unwrap();
        assert!(!format!("{config:?}").contains("uga-secret-token"));
    }

    #[test]
    fn the_url_is_https_in_production_and_fail_closed_needs_it() {
        let plain = configured().with("VECTOR_API_URL", "http://api.example.com");
        let err = BillingConfig::from_env(&plain, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("an https URL in a production run"), "{err}");
        assert!(BillingConfig::from_env(&plain, false).is_ok());
        let local = configured().with("VECTOR_API_URL", "http://127.0.0.1:3900");
        assert!(BillingConfig::from_env(&local, true).is_ok());
        let err =
            BillingConfig::from_env(&configured().with("VECTOR_API_URL", "https://a/?q"), true)
                .unwrap_err()
                .to_string();
        assert!(
            err.ends_with("without a query, a fragment or credentials"),
            "{err}"
        );

        let closed = Env::from_pairs([("ENTITLEMENTS_FAIL_CLOSED", "true")]);
        let err = BillingConfig::from_env(&closed, false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("VECTOR_API_URL is not set"), "{err}");
        let closed = configured().with("ENTITLEMENTS_FAIL_CLOSED", "true");
        assert!(BillingConfig::from_env(&closed, false).unwrap().fail_closed);
    }
}
