//! The app's own tokens: HS256 JWTs signed with SECRET_KEY, with SimpleJWT's claims. Their header names the
//! key (`kid`), so a token signed with a key in SECRET_KEY_FALLBACKS is checked with that key, and one signed
//! with a key in neither is refused, without trying each key.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::config::AuthConfig;

/// Tokens longer than this are refused before any cryptography.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: TokenType,
    pub user_id: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// The session (refresh-token family) an access token belongs to, so that ending the session refuses it at
    /// once. Tokens issued before sessions were recorded have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

pub struct TokenKeys {
    /// The id of the signing key.
    kid: String,
    encoding: EncodingKey,
    /// The signing key and the fallbacks, by id.
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    access_lifetime: i64,
    refresh_lifetime: i64,
}

pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

impl TokenKeys {
    pub fn new(config: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        let decoding = std::iter::once(&config.secret_key)
            .chain(&config.secret_key_fallbacks)
            .map(|key| (key.id(), DecodingKey::from_secret(key.as_bytes())))
            .collect();
        Self {
            kid: config.secret_key.id(),
            encoding: EncodingKey::from_secret(config.secret_key.as_bytes()),
            decoding,
            validation,
            access_lifetime: config.access_cookie.max_age as i64,
            refresh_lifetime: config.refresh_cookie.max_age as i64,
        }
    }

    /// Claims for a new token issued now.
    pub fn claims(&self, token_type: TokenType, user_id: Uuid) -> Claims {
        let iat = now();
        let lifetime = match token_type {
            TokenType::Access => self.access_lifetime,
            TokenType::Refresh => self.refresh_lifetime,
        };
        Claims {
            token_type,
            user_id,
            jti: Uuid::new_v4(),
            iat,
            exp: iat + lifetime,
            sid: None,
        }
    }

    /// Signing the same claims again gives the same token (HS256 is deterministic), which lets a refresh
    /// within the grace window hand out the token the first refresh issued.
    pub fn encode(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The claims of a valid, unexpired token of the given type; `None` for anything else.
    pub fn decode(&self, token: &str, expected: TokenType) -> Option<Claims> {
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        // A token without a key id comes from before keys had ids: the signing key checks it.
        let kid = jsonwebtoken::decode_header(token).ok()?.kid;
        let key = self.decoding.get(kid.as_ref().unwrap_or(&self.kid))?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .ok()?
            .claims;
        (claims.token_type == expected).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vector_core::env::Env;

    fn keys() -> TokenKeys {
        TokenKeys::new(&AuthConfig::from_env(&Env::default(), false).unwrap())
    }

    fn keys_with(secret: &str, fallbacks: &str) -> TokenKeys {
        let env = Env::from_pairs([("SECRET_KEY", secret), ("SECRET_KEY_FALLBACKS", fallbacks)]);
        TokenKeys::new(&AuthConfig::from_env(&env, false).unwrap())
    }

    #[test]
    fn fallback_keys_verify_and_only_the_signing_key_signs() {
        const OLD: &str = "0123456789abcdef0123456789abcdef-old";
        const NEW: &str = "0123456789abcdef0123456789abcdef-new";
        let before = keys_with(OLD, "");
        let old_token = before.encode(&before.claims(TokenType::Access, Uuid::new_v4()));

        let rotated = keys_with(NEW, OLD);
        assert!(
            rotated.decode(&old_token, TokenType::Access).is_some(),
            "a fallback verifies"
        );
        let new_token = rotated.encode(&rotated.claims(TokenType::Access, Uuid::new_v4()));
        let header = jsonwebtoken::decode_header(&new_token).unwrap();
        assert_eq!(header.kid, Some(rotated.kid.clone()));
        assert_ne!(rotated.kid, before.kid);
        assert!(before.decode(&new_token, TokenType::Access).is_none());

        let after = keys_with(NEW, "");
        assert!(
            after.decode(&old_token, TokenType::Access).is_none(),
            "a key removed from both lists"
        );
        assert!(after.decode(&new_token, TokenType::Access).is_some());
    }

    #[test]
    fn tokens_without_a_key_id_are_checked_with_the_signing_key() {
        let keys = keys_with("0123456789abcdef0123456789abcdef-key", "");
        let claims = keys.claims(TokenType::Access, Uuid::new_v4());
        let secret = EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef-key");
        let legacy =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret).unwrap();
        assert_eq!(keys.decode(&legacy, TokenType::Access), Some(claims));
    }

    #[test]
    fn round_trip_and_types_are_not_interchangeable() {
        let keys = keys();
        let claims = keys.claims(TokenType::Access, Uuid::new_v4());
        let token = keys.encode(&claims);
        assert_eq!(keys.decode(&token, TokenType::Access), Some(claims.clone()));
        assert_eq!(keys.decode(&token, TokenType::Refresh), None);
        assert_eq!(keys.encode(&claims), token, "signing is deterministic");
    }

    #[test]
    fn expired_foreign_and_oversized_tokens_are_refused() {
        let keys = keys();
        let mut claims = keys.claims(TokenType::Access, Uuid::new_v4());
        claims.exp = now() - 1;
        assert_eq!(keys.decode(&keys.encode(&claims), TokenType::Access), None);

        let other = self::keys();
        let token = other.encode(&other.claims(TokenType::Access, Uuid::new_v4()));
        assert_eq!(
            keys.decode(&token, TokenType::Access),
            None,
            "signed with another secret"
        );

        assert_eq!(
            keys.decode(&"a".repeat(MAX_TOKEN_BYTES + 1), TokenType::Access),
            None
        );
        assert_eq!(keys.decode("not a token", TokenType::Access), None);
    }
}
