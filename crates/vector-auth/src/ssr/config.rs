//! The auth feature's settings. Names follow govector-auth's Django settings so a Vector deployment
//! can set the same values.

use std::fmt;
use std::time::Duration;

use rand::RngCore;
use reqwest::Url;
use tower_cookies::cookie::SameSite;

use vector_core::client_ip::TrustedProxies;
use vector_core::env::{ConfigError, Env, http_url};

/// The auth settings, read from the environment by [`AuthConfig::from_env`].
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `None` is dev mode: requests without credentials are the dev user.
    pub proxy: Option<ProxyConfig>,
    /// The email of the dev user, whom every request without credentials is in dev mode (`DEV_USER_EMAIL`).
    pub dev_user_email: String,
    /// Signs the app's own tokens (`SECRET_KEY`); made at random for the run when unset outside production.
    pub secret_key: SecretKey,
    /// Earlier signing keys, still accepted while tokens they signed may be alive (see the key rotation
    /// procedure in docs/auth.md).
    pub secret_key_fallbacks: Vec<SecretKey>,
    /// The cookie that carries the access token (`ACCESS_TOKEN_COOKIE*`).
    pub access_cookie: CookieSettings,
    /// The cookie that carries the refresh token (`REFRESH_TOKEN_COOKIE*`).
    pub refresh_cookie: CookieSettings,
    /// CHIPS: lets the cookies work when the app is embedded in a third-party iframe.
    pub partitioned: bool,
    /// Origins, besides the app's own, allowed to send unsafe requests (`scheme://host[:port]`).
    pub csrf_trusted_origins: Vec<String>,
    /// How long the parent of the newest refresh token may be presented again (concurrent tabs).
    pub refresh_reuse_grace: Duration,
    /// The longest a session lasts from its sign-in, however often it is refreshed.
    pub session_max_age: Duration,
    /// Sign-ins and refreshes allowed per client address and minute, on each instance; 0 turns it off.
    pub rate_limit_per_minute: u32,
    /// Sign-ins allowed per account (email) and minute, on each instance; 0 turns it off. With
    /// `max_sessions_per_user`, it bounds how many sessions one user can end within an access-token lifetime,
    /// and so how much of the ended-sessions memory one user can take.
    pub sign_ins_per_user_per_minute: u32,
    /// The most live sessions a user keeps: a sign-in past it ends the least recently used.
    pub max_sessions_per_user: u32,
    /// Writes through server functions (`require_user_for_write`) allowed per user and minute, on each
    /// instance; 0 turns it off.
    pub writes_per_user_per_minute: u32,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How long the proxy's keys are used before they are fetched again.
    pub jwks_cache_ttl: Duration,
    /// The shortest time between two fetches of the proxy's keys caused by an unknown `kid`, and before a
    /// failed fetch is tried again.
    pub jwks_refetch_cooldown: Duration,
    /// How long past `jwks_cache_ttl` the keys held may still be used while the proxy cannot be reached.
    pub jwks_max_stale: Duration,
    /// How long a user looked up for a request is reused before Postgres is asked again; zero turns the
    /// cache off. At most the access-token lifetime, so a deactivated user loses access within it.
    pub user_cache_ttl: Duration,
    /// How often each instance asks which sessions ended, for the notifications it may have missed.
    pub session_sync_interval: Duration,
    /// How long the activity log keeps an event.
    pub activity_retention_days: u32,
}

/// Where the auth proxy is and what its tokens must say; configured when `VECTOR_AUTH_PROXY_URL` is set.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The proxy's signing keys: `{VECTOR_AUTH_PROXY_URL}/.well-known/jwks.json`.
    pub jwks_url: Url,
    /// The proxy's sign-in page: `VECTOR_AUTH_LOGIN_URL`, or `{VECTOR_AUTH_PROXY_URL}/login`.
    pub login_url: String,
    /// The `iss` a proxy token must carry (`VECTOR_AUTH_ISSUER`); `None`: not checked.
    pub issuer: Option<String>,
    /// The `aud` a proxy token must carry (`VECTOR_AUTH_AUDIENCE`); `None`: not checked.
    pub audience: Option<String>,
}

/// How one of the session cookies is set, from `ACCESS_TOKEN_COOKIE*` or `REFRESH_TOKEN_COOKIE*`.
#[derive(Debug, Clone)]
pub struct CookieSettings {
    /// The cookie's name.
    pub name: String,
    /// Seconds; also the lifetime of the token inside.
    pub max_age: u64,
    /// Whether scripts are kept from reading it (`HttpOnly`; on by default).
    pub http_only: bool,
    /// Whether it is sent over https only (`Secure`; on by default in production).
    pub secure: bool,
    /// Its `SameSite` attribute (`Lax` by default).
    pub same_site: SameSite,
    /// Its `Path` attribute (`/` by default).
    pub path: String,
}

/// The key that signs the app's own tokens. Its `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Vec<u8>,
    generated: bool,
}

impl SecretKey {
    /// A key of these bytes, as given: their length is checked by [`AuthConfig::from_env`], not here.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            generated: false,
        }
    }

    fn random() -> Self {
        let mut bytes = vec![0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self {
            bytes,
            generated: true,
        }
    }

    /// The key itself, to sign and verify tokens with.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key's id, carried in the header of the tokens it signs: the first 8 bytes of its SHA-256, in hex.
    /// It names the key without revealing anything usable about it.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(&self.bytes)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// True when no SECRET_KEY was set and a random one was made for this run (dev only).
    pub fn is_generated(&self) -> bool {
        self.generated
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

const MIN_SECRET_KEY_BYTES: usize = 32;
/// An access token lives at most a day, a refresh token (the idle limit of a session) at most a year.
const MAX_ACCESS_SECONDS: u64 = 86_400;
const MAX_REFRESH_SECONDS: u64 = 31_536_000;

impl AuthConfig {
    /// Reads the settings from `env`. In `production` the proxy URL is required (unless dev mode is allowed
    /// there explicitly) and must be https unless on this machine, `SECRET_KEY` is required and cookies
    /// default to `Secure`.
    pub fn from_env(env: &Env, production: bool) -> Result<Self, ConfigError> {
        let proxy = ProxyConfig::from_env(env, production)?;
        if proxy.is_none()
            && production
            && !env.bool("VECTOR_AUTH_ALLOW_DEV_MODE_IN_PRODUCTION", false)?
        {
            return Err(ConfigError::Missing {
                variable: "VECTOR_AUTH_PROXY_URL".into(),
                expected: "the auth proxy's URL in a production run, because without it every visitor is signed in \
                           as DEV_USER_EMAIL (to run dev mode in production anyway, set \
                           VECTOR_AUTH_ALLOW_DEV_MODE_IN_PRODUCTION=true)"
                    .into(),
            });
        }

        let secret_key = match env.get("SECRET_KEY") {
            Some(key) if key.len() >= MIN_SECRET_KEY_BYTES => SecretKey::new(key.as_bytes()),
            Some(key) => {
                // The key itself never goes into the message.
                return Err(ConfigError::Invalid {
                    variable: "SECRET_KEY".into(),
                    value: format!("<{} bytes>", key.len()),
                    expected: format!(
                        "at least {MIN_SECRET_KEY_BYTES} bytes (try: openssl rand -hex 32)"
                    ),
                });
            }
            None if production => {
                return Err(ConfigError::Missing {
                    variable: "SECRET_KEY".into(),
                    expected: format!(
                        "a random secret of at least {MIN_SECRET_KEY_BYTES} bytes in a production run (try: openssl rand -hex 32)"
                    ),
                });
            }
            None => SecretKey::random(),
        };
        let secret_key_fallbacks = secret_key_fallbacks(env, &secret_key)?;

        let access_cookie = CookieSettings::from_env(
            env,
            "ACCESS",
            "access_token",
            (300, MAX_ACCESS_SECONDS),
            production,
        )?;
        let refresh_cookie = CookieSettings::from_env(
            env,
            "REFRESH",
            "refresh_token",
            (604_800, MAX_REFRESH_SECONDS),
            production,
        )?;
        if access_cookie.name == refresh_cookie.name {
            return Err(ConfigError::invalid(
                "REFRESH_TOKEN_COOKIE",
                &refresh_cookie.name,
                "a name different from ACCESS_TOKEN_COOKIE",
            ));
        }
        let all_secure = access_cookie.secure && refresh_cookie.secure;
        let partitioned = env.bool("AUTH_COOKIE_PARTITIONED", all_secure)?;
        if partitioned && !all_secure {
            return Err(ConfigError::invalid(
                "AUTH_COOKIE_PARTITIONED",
                "true",
                "false while ACCESS_TOKEN_COOKIE_SECURE or REFRESH_TOKEN_COOKIE_SECURE is false (partitioned cookies must be Secure)",
            ));
        }

        let user_cache_seconds = env.number(
            "USER_CACHE_SECONDS",
            30.min(access_cookie.max_age),
            0..=MAX_ACCESS_SECONDS,
        )?;
        if user_cache_seconds > access_cookie.max_age {
            return Err(ConfigError::invalid(
                "USER_CACHE_SECONDS",
                &user_cache_seconds.to_string(),
                format!(
                    "at most the access-token lifetime (ACCESS_TOKEN_COOKIE_MAX_AGE = {}), so a deactivated user loses access within it",
                    access_cookie.max_age
                ),
            ));
        }

        Ok(Self {
            proxy,
            dev_user_email: env.string("DEV_USER_EMAIL", "dev@localhost"),
            secret_key,
            secret_key_fallbacks,
            access_cookie,
            refresh_cookie,
            partitioned,
            csrf_trusted_origins: trusted_origins(env)?,
            refresh_reuse_grace: env.seconds("REFRESH_TOKEN_REUSE_GRACE_SECONDS", 10, 0..=60)?,
            session_max_age: env.seconds("SESSION_MAX_AGE", 2_592_000, 1..=MAX_REFRESH_SECONDS)?,
            rate_limit_per_minute: env.number("AUTH_RATE_LIMIT_PER_MINUTE", 60, 0..=100_000)?
                as u32,
            sign_ins_per_user_per_minute: env.number(
                "SIGN_INS_PER_USER_PER_MINUTE",
                20,
                0..=100_000,
            )? as u32,
            max_sessions_per_user: env.number("MAX_SESSIONS_PER_USER", 50, 1..=10_000)? as u32,
            writes_per_user_per_minute: env.number(
                "WRITES_PER_USER_PER_MINUTE",
                120,
                0..=100_000,
            )? as u32,
            trusted_proxies: TrustedProxies::from_env(env)?,
            jwks_cache_ttl: env.seconds("JWKS_CACHE_TTL_SECONDS", 600, 1..=86_400)?,
            jwks_refetch_cooldown: env.seconds("JWKS_REFETCH_COOLDOWN_SECONDS", 30, 0..=3_600)?,
            jwks_max_stale: env.seconds("JWKS_MAX_STALE_SECONDS", 86_400, 0..=604_800)?,
            user_cache_ttl: Duration::from_secs(user_cache_seconds),
            session_sync_interval: env.seconds("SESSION_SYNC_SECONDS", 5, 1..=60)?,
            activity_retention_days: env.number("ACTIVITY_RETENTION_DAYS", 90, 1..=3_650)? as u32,
        })
    }

    /// True when no auth proxy is configured: requests without credentials are the dev user.
    pub fn dev_mode(&self) -> bool {
        self.proxy.is_none()
    }
}

impl ProxyConfig {
    fn from_env(env: &Env, production: bool) -> Result<Option<Self>, ConfigError> {
        let Some(base) = env.base_url(
            "VECTOR_AUTH_PROXY_URL",
            "the proxy",
            "https://auth.govector.ai",
            production,
        )?
        else {
            return Ok(None);
        };
        let base = base.as_str().trim_end_matches('/').to_owned();
        let jwks_url = Url::parse(&format!("{base}/.well-known/jwks.json"))
            .map_err(|_| ConfigError::invalid("VECTOR_AUTH_PROXY_URL", &base, "an http(s) URL"))?;
        let login_url = match env.get("VECTOR_AUTH_LOGIN_URL") {
            Some(login) => http_url(login)
                .ok_or_else(|| {
                    ConfigError::invalid("VECTOR_AUTH_LOGIN_URL", login, "an http(s) URL")
                })?
                .to_string(),
            None => format!("{base}/login"),
        };
        let audience = env.get("VECTOR_AUTH_AUDIENCE").map(str::to_owned);
        // Without an audience, a token the proxy issued for any other Vector app signs in here: in production
        // only when that is said to be intended.
        if production && audience.is_none() && !env.bool("VECTOR_AUTH_ANY_AUDIENCE", false)? {
            return Err(ConfigError::Missing {
                variable: "VECTOR_AUTH_AUDIENCE".into(),
                expected: "this app's audience at Vector's auth proxy, so that tokens issued for other Vector \
                           apps are refused (or VECTOR_AUTH_ANY_AUDIENCE=true to accept them)"
                    .into(),
            });
        }
        Ok(Some(Self {
            jwks_url,
            login_url,
            issuer: env.get("VECTOR_AUTH_ISSUER").map(str::to_owned),
            audience,
        }))
    }
}

impl CookieSettings {
    /// `(default, longest)`: the lifetime when unset, and the longest allowed.
    fn from_env(
        env: &Env,
        kind: &str,
        default_name: &str,
        (default_max_age, longest_max_age): (u64, u64),
        production: bool,
    ) -> Result<Self, ConfigError> {
        let var = |suffix: &str| format!("{kind}_TOKEN_COOKIE{suffix}");
        let name_var = var("");
        let name = env.string(&name_var, default_name);
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        {
            return Err(ConfigError::invalid(
                &name_var,
                &name,
                "a cookie name (letters, digits, - and _)",
            ));
        }
        let secure_var = var("_SECURE");
        let secure = env.bool(&secure_var, production)?;
        let same_site_var = var("_SAMESITE");
        let same_site = match env.get(&same_site_var) {
            None => SameSite::Lax,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "lax" => SameSite::Lax,
                "strict" => SameSite::Strict,
                "none" => SameSite::None,
                _ => {
                    return Err(ConfigError::invalid(
                        &same_site_var,
                        v,
                        "Lax, Strict or None",
                    ));
                }
            },
        };
        if same_site == SameSite::None && !secure {
            return Err(ConfigError::invalid(
                &same_site_var,
                "None",
                format!(
                    "Lax or Strict while {secure_var} is false (browsers drop SameSite=None cookies that are not Secure)"
                ),
            ));
        }
        let path_var = var("_PATH");
        let path = env.string(&path_var, "/");
        if !path.starts_with('/') || path.contains(';') {
            return Err(ConfigError::invalid(
                &path_var,
                &path,
                "a path starting with /",
            ));
        }
        Ok(Self {
            name,
            max_age: env.number(&var("_MAX_AGE"), default_max_age, 1..=longest_max_age)?,
            http_only: env.bool(&var("_HTTPONLY"), true)?,
            secure,
            same_site,
            path,
        })
    }
}

/// `SECRET_KEY_FALLBACKS`: earlier keys, comma-separated, each as long as a SECRET_KEY must be.
fn secret_key_fallbacks(env: &Env, secret_key: &SecretKey) -> Result<Vec<SecretKey>, ConfigError> {
    const NAME: &str = "SECRET_KEY_FALLBACKS";
    let Some(raw) = env.get(NAME) else {
        return Ok(Vec::new());
    };
    if secret_key.is_generated() {
        return Err(ConfigError::Missing {
            variable: "SECRET_KEY".into(),
            expected: format!("the new signing key while {NAME} lists earlier ones"),
        });
    }
    raw.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .enumerate()
        .map(|(index, key)| {
            if key.len() < MIN_SECRET_KEY_BYTES {
                // The keys themselves never go into the message.
                return Err(ConfigError::Invalid {
                    variable: NAME.into(),
                    value: format!("<key {}: {} bytes>", index + 1, key.len()),
                    expected: format!(
                        "keys of at least {MIN_SECRET_KEY_BYTES} bytes, separated by commas"
                    ),
                });
            }
            Ok(SecretKey::new(key.as_bytes()))
        })
        .collect()
}

fn trusted_origins(env: &Env) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = env.get("CSRF_TRUSTED_ORIGINS") else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|origin| {
            http_url(origin)
                .filter(|u| u.path() == "/" && u.query().is_none() && u.username().is_empty())
                .map(|u| u.origin().ascii_serialization())
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "CSRF_TRUSTED_ORIGINS",
                        origin,
                        "comma-separated origins such as https://app.example.com (scheme, host and optional port only)",
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Env {
        Env::default()
    }

    #[test]
    fn dev_defaults() {
        let config = AuthConfig::from_env(&dev(), false).unwrap();
        assert!(config.dev_mode());
        assert_eq!(config.dev_user_email, "dev@localhost");
        assert!(config.secret_key.is_generated());
        assert_eq!(config.access_cookie.name, "access_token");
        assert_eq!(config.access_cookie.max_age, 300);
        assert_eq!(config.refresh_cookie.name, "refresh_token");
        assert_eq!(config.refresh_cookie.max_age, 604_800);
        assert!(config.access_cookie.http_only);
        assert!(
            !config.access_cookie.secure,
            "cookies are not Secure outside production by default"
        );
        assert_eq!(config.access_cookie.same_site, SameSite::Lax);
        assert!(!config.partitioned);
        assert_eq!(config.user_cache_ttl, Duration::from_secs(30));
    }

    #[test]
    fn the_user_cache_never_outlives_an_access_token() {
        let short = Env::from_pairs([("ACCESS_TOKEN_COOKIE_MAX_AGE", "5")]);
        assert_eq!(
            AuthConfig::from_env(&short, false).unwrap().user_cache_ttl,
            Duration::from_secs(5),
            "the default follows a shorter access lifetime"
        );
        let off = Env::from_pairs([("USER_CACHE_SECONDS", "0")]);
        assert!(
            AuthConfig::from_env(&off, false)
                .unwrap()
                .user_cache_ttl
                .is_zero()
        );
        let long = Env::from_pairs([("USER_CACHE_SECONDS", "301")]);
        let err = AuthConfig::from_env(&long, false).unwrap_err().to_string();
        assert!(
            err.starts_with("USER_CACHE_SECONDS=\"301\" is invalid") && err.contains("= 300"),
            "{err}"
        );
    }

    #[test]
    fn production_defaults_are_secure_and_partitioned() {
        let env = Env::from_pairs([
            ("VECTOR_AUTH_PROXY_URL", "https://auth.example.com/"),
            ("VECTOR_AUTH_AUDIENCE", "my-app"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ]);
        let config = AuthConfig::from_env(&env, true).unwrap();
        assert!(config.access_cookie.secure && config.refresh_cookie.secure);
        assert!(config.partitioned);
        let proxy = config.proxy.unwrap();
        assert_eq!(
            proxy.jwks_url.as_str(),
            "https://auth.example.com/.well-known/jwks.json"
        );
        assert_eq!(proxy.login_url, "https://auth.example.com/login");
    }

    #[test]
    fn dev_mode_is_refused_in_production_unless_opted_in() {
        let env = Env::from_pairs([("SECRET_KEY", "0123456789abcdef0123456789abcdef")]);
        let err = AuthConfig::from_env(&env, true).unwrap_err().to_string();
        assert!(err.contains("VECTOR_AUTH_PROXY_URL"), "{err}");
        assert!(
            err.contains("VECTOR_AUTH_ALLOW_DEV_MODE_IN_PRODUCTION=true"),
            "{err}"
        );
        let env = env.with("VECTOR_AUTH_ALLOW_DEV_MODE_IN_PRODUCTION", "true");
        assert!(AuthConfig::from_env(&env, true).unwrap().dev_mode());
    }

    #[test]
    fn secret_key_is_required_in_production_and_never_echoed() {
        let env = Env::from_pairs([
            ("VECTOR_AUTH_PROXY_URL", "https://auth.example.com"),
            ("VECTOR_AUTH_AUDIENCE", "my-app"),
        ]);
        let err = AuthConfig::from_env(&env, true).unwrap_err().to_string();
        assert!(err.starts_with("SECRET_KEY is not set"), "{err}");
        let err = AuthConfig::from_env(&env.with("SECRET_KEY", "short-secret"), true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "SECRET_KEY=<12 bytes> is invalid: expected at least 32 bytes (try: openssl rand -hex 32)"
        );
    }

    #[test]
    fn fallback_keys_are_checked_and_never_echoed() {
        let env = Env::from_pairs([
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef-new"),
            (
                "SECRET_KEY_FALLBACKS",
                "0123456789abcdef0123456789abcdef-old, 0123456789abcdef0123456789abcdef-older",
            ),
        ]);
        let config = AuthConfig::from_env(&env, false).unwrap();
        assert_eq!(config.secret_key_fallbacks.len(), 2);
        let ids: std::collections::HashSet<String> = std::iter::once(&config.secret_key)
            .chain(&config.secret_key_fallbacks)
            .map(SecretKey::id)
            .collect();
        assert_eq!(ids.len(), 3, "each key has its own id");
        assert_eq!(config.secret_key.id().len(), 16);

        let err = AuthConfig::from_env(
            &env.clone().with(
                "SECRET_KEY_FALLBACKS",
                "0123456789abcdef0123456789abcdef-old,hunter2",
            ),
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "SECRET_KEY_FALLBACKS=<key 2: 7 bytes> is invalid: expected keys of at least 32 bytes, separated by commas"
        );
        let err = AuthConfig::from_env(&env.with("SECRET_KEY", ""), false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SECRET_KEY is not set"), "{err}");
    }

    #[test]
    fn every_number_has_an_upper_bound() {
        for (variable, too_big, expected) in [
            ("ACCESS_TOKEN_COOKIE_MAX_AGE", "86401", "from 1 to 86400"),
            (
                "REFRESH_TOKEN_COOKIE_MAX_AGE",
                "18446744073709551615",
                "from 1 to 31536000",
            ),
            ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "61", "from 0 to 60"),
            ("JWKS_CACHE_TTL_SECONDS", "86401", "from 1 to 86400"),
            ("JWKS_REFETCH_COOLDOWN_SECONDS", "3601", "from 0 to 3600"),
            ("JWKS_MAX_STALE_SECONDS", "604801", "from 0 to 604800"),
            ("USER_CACHE_SECONDS", "99999999999", "from 0 to 86400"),
        ] {
            let err = AuthConfig::from_env(&dev().with(variable, too_big), false)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("{variable}=\"{too_big}\" is invalid: expected a whole number {expected}")
            );
        }
        let longest = dev()
            .with("ACCESS_TOKEN_COOKIE_MAX_AGE", "86400")
            .with("REFRESH_TOKEN_COOKIE_MAX_AGE", "31536000");
        let config = AuthConfig::from_env(&longest, false).unwrap();
        assert_eq!(
            (config.access_cookie.max_age, config.refresh_cookie.max_age),
            (86_400, 31_536_000)
        );
    }

    #[test]
    fn bad_cookie_values_name_the_variable() {
        let cases = [
            (
                "ACCESS_TOKEN_COOKIE_SAMESITE",
                "Sideways",
                "ACCESS_TOKEN_COOKIE_SAMESITE=\"Sideways\" is invalid: expected Lax, Strict or None",
            ),
            (
                "ACCESS_TOKEN_COOKIE_MAX_AGE",
                "-5",
                "ACCESS_TOKEN_COOKIE_MAX_AGE=\"-5\" is invalid: expected a whole number from 1 to 86400",
            ),
            (
                "REFRESH_TOKEN_COOKIE_HTTPONLY",
                "maybe",
                "REFRESH_TOKEN_COOKIE_HTTPONLY=\"maybe\" is invalid: expected true or false",
            ),
            (
                "REFRESH_TOKEN_COOKIE_PATH",
                "api",
                "REFRESH_TOKEN_COOKIE_PATH=\"api\" is invalid: expected a path starting with /",
            ),
        ];
        for (name, value, message) in cases {
            let err = AuthConfig::from_env(&dev().with(name, value), false).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let err = AuthConfig::from_env(&dev().with("ACCESS_TOKEN_COOKIE_SAMESITE", "None"), false)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("ACCESS_TOKEN_COOKIE_SECURE is false"),
            "{err}"
        );
        let err = AuthConfig::from_env(&dev().with("AUTH_COOKIE_PARTITIONED", "true"), false)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("AUTH_COOKIE_PARTITIONED"),
            "{err}"
        );
    }

    #[test]
    fn the_proxy_url_is_a_plain_base_and_https_in_production() {
        let secret = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");
        for bad in [
            "https://auth.example.com/?next=x",
            "https://auth.example.com/#top",
            "https://user:pass@auth.example.com",
        ] {
            let err = AuthConfig::from_env(&dev().with("VECTOR_AUTH_PROXY_URL", bad), false)
                .unwrap_err()
                .to_string();
            assert!(
                err.ends_with(
                    "expected the proxy's base URL, without a query, a fragment or credentials"
                ),
                "{bad}: {err}"
            );
        }
        let audience = ("VECTOR_AUTH_AUDIENCE", "my-app");
        let plain = Env::from_pairs([
            secret,
            audience,
            ("VECTOR_AUTH_PROXY_URL", "http://auth.example.com"),
        ]);
        let err = AuthConfig::from_env(&plain, true).unwrap_err().to_string();
        assert!(err.contains("an https URL in a production run"), "{err}");
        assert!(
            AuthConfig::from_env(&plain, false).is_ok(),
            "plain http is fine in development"
        );
        for local in [
            "http://127.0.0.1:3900",
            "http://localhost:3900",
            "http://[::1]:3900",
        ] {
            let env = Env::from_pairs([secret, audience, ("VECTOR_AUTH_PROXY_URL", local)]);
            assert!(AuthConfig::from_env(&env, true).is_ok(), "{local}");
        }
    }

    #[test]
    fn production_needs_an_audience_unless_any_is_intended() {
        let env = Env::from_pairs([
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("VECTOR_AUTH_PROXY_URL", "https://auth.example.com"),
        ]);
        let err = AuthConfig::from_env(&env, true).unwrap_err().to_string();
        assert!(
            err.starts_with("VECTOR_AUTH_AUDIENCE is not set")
                && err.contains("VECTOR_AUTH_ANY_AUDIENCE=true"),
            "{err}"
        );
        assert!(AuthConfig::from_env(&env, false).is_ok(), "development");
        let any = env.clone().with("VECTOR_AUTH_ANY_AUDIENCE", "true");
        assert_eq!(
            AuthConfig::from_env(&any, true)
                .unwrap()
                .proxy
                .unwrap()
                .audience,
            None
        );
        let set = env.with("VECTOR_AUTH_AUDIENCE", "my-app");
        let audience = AuthConfig::from_env(&set, true)
            .unwrap()
            .proxy
            .unwrap()
            .audience;
        assert_eq!(audience.as_deref(), Some("my-app"));
    }

    #[test]
    fn proxy_and_origins_are_validated() {
        let err = AuthConfig::from_env(
            &dev().with("VECTOR_AUTH_PROXY_URL", "auth.example.com"),
            false,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("VECTOR_AUTH_PROXY_URL=\"auth.example.com\" is invalid"),
            "{err}"
        );
        let env = dev().with(
            "CSRF_TRUSTED_ORIGINS",
            "https://A.example.com, http://localhost:5173",
        );
        let config = AuthConfig::from_env(&env, false).unwrap();
        assert_eq!(
            config.csrf_trusted_origins,
            ["https://a.example.com", "http://localhost:5173"]
        );
        let err = AuthConfig::from_env(
            &dev().with("CSRF_TRUSTED_ORIGINS", "https://a.example.com/path"),
            false,
        );
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("CSRF_TRUSTED_ORIGINS")
        );
    }
}
