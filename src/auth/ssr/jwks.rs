//! The auth proxy's signing keys, fetched from its JWKS and cached.
//!
//! Keys are kept for `ttl`; a token with an unknown `kid` causes at most one refetch per `cooldown` (so a
//! rotated key is picked up at once, while a flood of made-up kids costs one fetch), and requests that miss
//! at the same time share that fetch. A failed fetch keeps the keys already held and is not retried within
//! the cooldown. Fetches time out, follow no redirects and read at most `MAX_JWKS_BYTES`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use reqwest::Url;
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
pub const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The JWKS answered, but has no usable key with this id.
    UnknownKid,
    /// No keys can be had: the proxy cannot be reached and none are cached.
    Unavailable,
}

pub struct JwksClient {
    http: reqwest::Client,
    url: Url,
    ttl: Duration,
    cooldown: Duration,
    cache: RwLock<Cache>,
    /// Held while fetching, so that simultaneous misses share one fetch.
    fetching: Mutex<()>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// When a fetch was last attempted, successful or not.
    attempted_at: Option<Instant>,
    /// When the last attempt failed, if it did.
    failed_at: Option<Instant>,
    /// When an unknown `kid` last caused a refetch.
    unknown_kid_fetch_at: Option<Instant>,
}

impl JwksClient {
    pub fn new(url: Url, ttl: Duration, cooldown: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client with static settings builds");
        Self {
            http,
            url,
            ttl,
            cooldown,
            cache: RwLock::default(),
            fetching: Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many fetches were attempted so far (for tests and benchmarks).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        let asked_at = Instant::now();
        if let Some(found) = self.fresh(kid).await {
            return found;
        }
        let _fetching = self.fetching.lock().await;
        // Someone else may have fetched while this request waited for the lock.
        {
            let cache = self.cache.read().await;
            if cache.attempted_at.is_some_and(|at| at >= asked_at) {
                return lookup(&cache, kid);
            }
        }
        let (fresh, recently_failed, recently_refetched) = {
            let cache = self.cache.read().await;
            let within = |at: Option<Instant>| at.is_some_and(|at| at.elapsed() < self.cooldown);
            (
                cache.fetched_at.is_some_and(|at| at.elapsed() < self.ttl),
                within(cache.failed_at),
                within(cache.unknown_kid_fetch_at),
            )
        };
        // Fresh keys without this kid: a rotation, or a made-up kid.
        if fresh && recently_refetched {
            return Err(KeyError::UnknownKid);
        }
        // Stale or no keys, and the proxy just failed: answer from what is held without asking again.
        if !fresh && recently_failed {
            return lookup(&*self.cache.read().await, kid);
        }
        self.fetch(fresh).await;
        let cache = self.cache.read().await;
        lookup(&cache, kid)
    }

    /// The key, if the cache is fresh and holds it.
    async fn fresh(&self, kid: &str) -> Option<Result<Arc<DecodingKey>, KeyError>> {
        let cache = self.cache.read().await;
        let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < self.ttl);
        cache
            .keys
            .get(kid)
            .filter(|_| fresh)
            .map(|key| Ok(key.clone()))
    }

    /// `for_unknown_kid`: the cache was fresh, so this fetch is one an unknown `kid` caused.
    async fn fetch(&self, for_unknown_kid: bool) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.download().await;
        let mut cache = self.cache.write().await;
        let now = Instant::now();
        cache.attempted_at = Some(now);
        if for_unknown_kid {
            cache.unknown_kid_fetch_at = Some(now);
        }
        match result {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "fetched the auth proxy's JWKS");
                cache.keys = keys;
                cache.fetched_at = Some(now);
                cache.failed_at = None;
            }
            Err(reason) => {
                cache.failed_at = Some(now);
                tracing::warn!(url = %self.url, %reason, kept = cache.keys.len(), "JWKS fetch failed; keeping the keys held");
            }
        }
    }

    async fn download(&self) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
        let mut response = self
            .http
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!("status {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let keys = parse_jwks(&body)?;
        if keys.is_empty() {
            return Err("no usable RS256 keys".into());
        }
        Ok(keys)
    }
}

fn lookup(cache: &Cache, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
    match cache.keys.get(kid) {
        Some(key) => Ok(key.clone()),
        None if cache.fetched_at.is_some() => Err(KeyError::UnknownKid),
        None => Err(KeyError::Unavailable),
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    kid: String,
    n: String,
    e: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(rename = "use", default)]
    key_use: Option<String>,
}

/// The usable keys of a JWKS document: RSA signing keys for RS256 of at least 2048 bits, by `kid`.
/// Other keys are skipped one by one, so one odd key does not hide the rest.
pub fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
    let set: JwkSet =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<RsaJwk>(value) else {
            continue;
        };
        let usable = jwk.kty == "RSA"
            && jwk.alg.as_deref().is_none_or(|alg| alg == "RS256")
            && jwk.key_use.as_deref().is_none_or(|u| u == "sig");
        if !usable {
            continue;
        }
        let Ok(modulus) = URL_SAFE_NO_PAD.decode(jwk.n.trim_end_matches('=')) else {
            continue;
        };
        let bits = modulus.iter().position(|&b| b != 0).map_or(0, |i| {
            (modulus.len() - i) * 8 - modulus[i].leading_zeros() as usize
        });
        if bits < MIN_RSA_BITS {
            tracing::warn!(kid = %jwk.kid, bits, "skipping a JWKS key shorter than 2048 bits");
            continue;
        }
        if let Ok(key) = DecodingKey::from_rsa_components(&jwk.n, &jwk.e) {
            keys.insert(jwk.kid, Arc::new(key));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use rsa::RsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use serde_json::json;

    use super::*;

    fn jwk(kid: &str, bits: usize) -> serde_json::Value {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), bits).unwrap();
        json!({
            "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        })
    }

    #[test]
    fn only_rs256_signing_keys_of_2048_bits_or_more_are_kept() {
        let strong = jwk("strong", 2048);
        let mut wrong_alg = strong.clone();
        wrong_alg["kid"] = json!("rs512");
        wrong_alg["alg"] = json!("RS512");
        let mut encryption = strong.clone();
        encryption["kid"] = json!("enc");
        encryption["use"] = json!("enc");
        let body = json!({"keys": [
            strong,
            jwk("weak", 1024),
            wrong_alg,
            encryption,
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "broken", "n": "!!!", "e": "AQAB"},
        ]});
        let keys = parse_jwks(&serde_json::to_vec(&body).unwrap()).unwrap();
        let mut kids: Vec<_> = keys.keys().cloned().collect();
        kids.sort();
        assert_eq!(kids, ["strong"]);
        assert!(parse_jwks(b"not json").is_err());
    }
}
