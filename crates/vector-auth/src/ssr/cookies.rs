//! The session cookies: the access token, the refresh token and `uga_jwt` (the proxy token).
//!
//! Every cookie carries the attributes configured for it, and a deletion repeats them, so browsers match
//! and drop the right cookie (Partitioned cookies in particular are only removed by a Partitioned deletion).

use tower_cookies::cookie::time::Duration;
use tower_cookies::{Cookie, Cookies};

use super::config::{AuthConfig, CookieSettings};
use super::error::AuthError;
use super::service::{AuthService, NewSession, SignIn, seconds_until};
use super::sessions::Client;

/// govector-auth's name for the cookie holding the proxy token.
pub const PROXY_TOKEN_COOKIE: &str = "uga_jwt";

fn access(config: &AuthConfig, token: String) -> Cookie<'static> {
    token_cookie(config, &config.access_cookie, token)
}

fn refresh(config: &AuthConfig, token: String) -> Cookie<'static> {
    token_cookie(config, &config.refresh_cookie, token)
}

/// The access and refresh cookies of a new session.
pub fn session_cookies(config: &AuthConfig, session: &NewSession) -> [Cookie<'static>; 2] {
    [
        access(config, session.access.clone()),
        refresh(config, session.refresh.clone()),
    ]
}

/// A session cookie whose lifetime is the one configured for it.
fn token_cookie(config: &AuthConfig, settings: &CookieSettings, token: String) -> Cookie<'static> {
    build(
        config,
        settings,
        settings.name.clone(),
        token,
        settings.max_age as i64,
    )
}

/// The proxy token, kept for as long as it is valid, with the access cookie's attributes except that it is
/// always HttpOnly: no script of the page ever needs it.
fn proxy_token(config: &AuthConfig, token: String, seconds_left: i64) -> Cookie<'static> {
    let mut cookie = build(
        config,
        &config.access_cookie,
        PROXY_TOKEN_COOKIE.into(),
        token,
        seconds_left.max(1),
    );
    cookie.set_http_only(true);
    cookie
}

/// Sets the access and refresh cookies of a new session.
fn set_session(jar: &Cookies, config: &AuthConfig, session: &NewSession) {
    for cookie in session_cookies(config, session) {
        jar.add(cookie);
    }
}

/// Sets the session cookies and `uga_jwt` (the proxy token, as verified: trimmed) after a successful
/// proxy-token exchange.
pub fn set_sign_in(jar: &Cookies, config: &AuthConfig, sign_in: &SignIn, proxy_token: &str) {
    set_session(jar, config, &sign_in.session);
    jar.add(self::proxy_token(
        config,
        proxy_token.trim().to_owned(),
        seconds_until(sign_in.proxy_token_expires_at),
    ));
}

/// Rotates the refresh token into new session cookies. A refused token (401) clears them; other failures
/// (database down) leave them for a later try.
pub async fn refresh_into_jar(
    jar: &Cookies,
    auth: &AuthService,
    refresh_token: Option<&str>,
    client: &Client,
) -> Result<NewSession, AuthError> {
    match auth.refresh(refresh_token, client).await {
        Ok(session) => {
            set_session(jar, auth.config(), &session);
            Ok(session)
        }
        Err(e) => {
            if e.status() == axum::http::StatusCode::UNAUTHORIZED {
                clear_session(jar, auth.config());
            }
            Err(e)
        }
    }
}

/// Deletes all three cookies.
pub fn clear_session(jar: &Cookies, config: &AuthConfig) {
    for cookie in removals(config) {
        jar.add(cookie);
    }
}

/// Deletions of all three cookies.
fn removals(config: &AuthConfig) -> [Cookie<'static>; 3] {
    [
        removal(
            config,
            &config.access_cookie,
            config.access_cookie.name.clone(),
        ),
        removal(
            config,
            &config.refresh_cookie,
            config.refresh_cookie.name.clone(),
        ),
        removal(config, &config.access_cookie, PROXY_TOKEN_COOKIE.into()),
    ]
}

fn build(
    config: &AuthConfig,
    settings: &CookieSettings,
    name: String,
    value: String,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(settings.http_only)
        .secure(settings.secure)
        .same_site(settings.same_site)
        .path(settings.path.clone())
        .partitioned(config.partitioned)
        .max_age(Duration::seconds(max_age))
        .build()
}

fn removal(config: &AuthConfig, settings: &CookieSettings, name: String) -> Cookie<'static> {
    let mut cookie = build(config, settings, name, String::new(), 0);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use vector_core::env::Env;

    #[test]
    fn cookies_carry_the_configured_attributes_and_deletions_repeat_them() {
        let env = Env::from_pairs([
            ("VECTOR_AUTH_PROXY_URL", "https://auth.example.com"),
            ("VECTOR_AUTH_AUDIENCE", "my-app"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("REFRESH_TOKEN_COOKIE_PATH", "/api/accounts/"),
            ("ACCESS_TOKEN_COOKIE_SAMESITE", "Strict"),
        ]);
        let config = AuthConfig::from_env(&env, true).unwrap();
        let access = access(&config, "a.b.c".into()).to_string();
        assert_eq!(
            access,
            "access_token=a.b.c; HttpOnly; SameSite=Strict; Partitioned; Secure; Path=/; Max-Age=300"
        );
        let [access_removal, refresh_removal, proxy_removal] =
            removals(&config).map(|c| c.to_string());
        assert!(
            access_removal.starts_with(
                "access_token=; HttpOnly; SameSite=Strict; Partitioned; Secure; Path=/; Max-Age=0"
            ),
            "{access_removal}"
        );
        assert!(
            refresh_removal.contains("Path=/api/accounts/")
                && refresh_removal.contains("Max-Age=0"),
            "{refresh_removal}"
        );
        assert!(proxy_removal.starts_with("uga_jwt=;"), "{proxy_removal}");
    }
}
