//! Verifying the auth proxy's RS256 tokens against its JWKS.
//!
//! Only RS256; the key is chosen by `kid` with no fallback to another key; `exp` is required and `nbf` is
//! checked; `iss`/`aud` must match when configured. Header `jwk`, `jku`, `x5u` and `x5c` are never used:
//! keys come from the configured JWKS only.

use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::config::ProxyConfig;
use super::error::AuthError;
use super::jwks::{JwksClient, KeyError};
use super::tokens::MAX_TOKEN_BYTES;

/// Seconds of clock difference tolerated between the proxy and this server.
const LEEWAY_SECONDS: u64 = 30;

/// What a verified proxy token says about the user. Missing text claims are empty strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyClaims {
    pub email: String,
    pub user_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub picture: String,
    pub exp: i64,
    /// `iat`, when the proxy sent it.
    pub iat: Option<i64>,
}

/// How long the proxy's tokens live: a token without `iat` is taken as issued this long before its `exp`.
const PROXY_TOKEN_LIFETIME_SECONDS: i64 = 3_600;

impl ProxyClaims {
    /// When the token was issued, in seconds since 1970: its `iat`, or an hour before its `exp`.
    pub fn issued_at(&self) -> f64 {
        self.iat.unwrap_or(self.exp - PROXY_TOKEN_LIFETIME_SECONDS) as f64
    }
}

/// Verifies the auth proxy's tokens against its keys and reads what they say about the user.
pub struct ProxyTokenVerifier {
    jwks: JwksClient,
    validation: Validation,
}

impl ProxyTokenVerifier {
    /// A verifier for the proxy's settings (`iss` and `aud` required when configured), with keys from `jwks`.
    pub fn new(config: &ProxyConfig, jwks: JwksClient) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &config.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self { jwks, validation }
    }

    /// The key cache it verifies with.
    pub fn jwks(&self) -> &JwksClient {
        &self.jwks
    }

    /// The claims of a valid proxy token; `KeysUnavailable` when the proxy's keys cannot be had.
    pub async fn verify(&self, token: &str) -> Result<ProxyClaims, AuthError> {
        let rejected = |reason: &str| {
            tracing::info!(reason, "proxy token refused");
            AuthError::InvalidProxyToken
        };
        if token.len() > MAX_TOKEN_BYTES {
            return Err(rejected("longer than 8 KB"));
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| rejected("malformed header"))?;
        if header.alg != Algorithm::RS256 {
            return Err(rejected("algorithm is not RS256"));
        }
        let kid = header.kid.ok_or_else(|| rejected("no kid"))?;
        let key = self.jwks.key(&kid).await.map_err(|e| match e {
            KeyError::UnknownKid => rejected("unknown kid"),
            KeyError::Unavailable => AuthError::KeysUnavailable,
        })?;
        let data = jsonwebtoken::decode::<Value>(token, &key, &self.validation).map_err(|e| {
            tracing::info!(reason = %e, "proxy token refused");
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::ExpiredProxyToken,
                _ => AuthError::InvalidProxyToken,
            }
        })?;
        claims_from(&data.claims)
    }
}

fn claims_from(claims: &Value) -> Result<ProxyClaims, AuthError> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    };
    let email = text("email");
    if email.is_empty() || !email.contains('@') || email.len() > 254 {
        return Err(AuthError::MissingEmail);
    }
    // The proxy may send its user id as a string or a number.
    let user_id = match claims.get("user_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(ProxyClaims {
        email,
        user_id,
        first_name: text("first_name"),
        last_name: text("last_name"),
        picture: text("picture"),
        exp: claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        iat: claims.get("iat").and_then(Value::as_i64),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn claims_need_a_string_email() {
        assert!(matches!(
            claims_from(&json!({"exp": 1})),
            Err(AuthError::MissingEmail)
        ));
        assert!(matches!(
            claims_from(&json!({"email": 42})),
            Err(AuthError::MissingEmail)
        ));
        assert!(matches!(
            claims_from(&json!({"email": "  "})),
            Err(AuthError::MissingEmail)
        ));
        let claims =
            claims_from(&json!({"email": "a@b.c", "user_id": 7, "first_name": ["x"], "exp": 9}))
                .unwrap();
        assert_eq!(claims.user_id.as_deref(), Some("7"));
        assert_eq!(claims.first_name, "", "non-string claims count as empty");
        assert_eq!(claims.exp, 9);
    }
}
