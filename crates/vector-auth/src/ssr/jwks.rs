//! The auth proxy's signing keys, fetched from its JWKS and cached.
//!
//! Keys are kept for `ttl`; a token with an unknown `kid` causes at most one refetch per `cooldown` (so a
//! rotated key is picked up at once, while a flood of made-up kids costs one fetch), and requests that miss
//! at the same time share that fetch. The fetch runs on a task of its own, so a client that hangs up cannot
//! cancel it before its cooldown is recorded. A failed fetch keeps the keys already held, for at most
//! `max_stale` past their `ttl`, and is not retried within the cooldown; while the proxy cannot be reached
//! a key id that is not held is unavailable (503), not unknown. A well-formed key set replaces the keys
//! held, even an empty one; one that names a `kid` twice is refused as ambiguous. Fetches time out, follow
//! no redirects and read at most `MAX_JWKS_BYTES`.

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
    /// No answer can be had: the proxy cannot be reached and no (recent enough) keys are held.
    Unavailable,
}

/// The JWKS cache; cheap to clone (clones share it).
#[derive(Clone)]
pub struct JwksClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: Url,
    ttl: Duration,
    cooldown: Duration,
    max_stale: Duration,
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
    /// A cache of the keys at `url`, empty until the first fetch (see the module docs for `ttl`, `cooldown`
    /// and `max_stale`).
    pub fn new(url: Url, ttl: Duration, cooldown: Duration, max_stale: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client with static settings builds");
        Self {
            inner: Arc::new(Inner {
                http,
                url,
                ttl,
                cooldown,
                max_stale,
                cache: RwLock::default(),
                fetching: Mutex::new(()),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// How many fetches were attempted so far (for tests and benchmarks).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// Whether keys have been fetched at least once (the server is ready to verify sign-ins).
    pub async fn is_warm(&self) -> bool {
        self.inner.cache.read().await.fetched_at.is_some()
    }

    /// Fetches the keys until a fetch succeeds, waiting longer after each failure (1 s, doubling, up to 30 s):
    /// at start, so that the first sign-ins do not wait for the proxy and readiness can say when keys are held.
    pub async fn warm_up(&self) {
        let mut wait = Duration::from_secs(1);
        while !self.is_warm().await {
            let fetching = self.inner.fetching.lock().await;
            if !self.is_warm().await {
                self.inner.fetch(Fetch::WarmUp).await;
            }
            drop(fetching);
            if self.is_warm().await {
                break;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    /// The key with this `kid`: from the cache while it is fresh, otherwise after a fetch (unless the
    /// cooldown or a fetch just made says there is no point).
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        let asked_at = Instant::now();
        if let Some(key) = self.inner.fresh_key(kid).await {
            return Ok(key);
        }
        let inner = self.inner.clone();
        let kid = kid.to_owned();
        tokio::spawn(async move { inner.key_after_fetch(&kid, asked_at).await })
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "the JWKS fetch task failed");
                Err(KeyError::Unavailable)
            })
    }
}

impl Inner {
    /// The key, if the cache is fresh and holds it.
    async fn fresh_key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let cache = self.cache.read().await;
        let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < self.ttl);
        cache.keys.get(kid).filter(|_| fresh).cloned()
    }

    /// The slow path, one request at a time: fetch unless a fetch since `asked_at`, or the cooldown, says
    /// there is no point, then look the key up.
    async fn key_after_fetch(
        &self,
        kid: &str,
        asked_at: Instant,
    ) -> Result<Arc<DecodingKey>, KeyError> {
        let _fetching = self.fetching.lock().await;
        let (fetched_meanwhile, fresh, recently_failed, recently_refetched) = {
            let cache = self.cache.read().await;
            let within = |at: Option<Instant>| at.is_some_and(|at| at.elapsed() < self.cooldown);
            (
                cache.attempted_at.is_some_and(|at| at >= asked_at),
                cache.fetched_at.is_some_and(|at| at.elapsed() < self.ttl),
                within(cache.failed_at),
                within(cache.unknown_kid_fetch_at),
            )
        };
        // Someone else fetched while this request waited for the lock; fresh keys without this kid were
        // just refetched for an unknown kid (a rotation, or a made-up kid); stale or no keys and the proxy
        // just failed. In each case, answer from what is held without asking again.
        let no_fetch =
            fetched_meanwhile || (fresh && recently_refetched) || (!fresh && recently_failed);
        if !no_fetch {
            self.fetch(if fresh {
                Fetch::UnknownKid
            } else {
                Fetch::Request
            })
            .await;
        }
        self.lookup(&*self.cache.read().await, kid)
    }

    fn lookup(&self, cache: &Cache, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        let usable = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.ttl + self.max_stale);
        if !usable {
            return Err(KeyError::Unavailable);
        }
        match cache.keys.get(kid) {
            Some(key) => Ok(key.clone()),
            // The proxy did not answer the last time: the kid may be a new key it has not published to us.
            None if cache.failed_at.is_some() => Err(KeyError::Unavailable),
            None => Err(KeyError::UnknownKid),
        }
    }

    async fn fetch(&self, why: Fetch) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.download().await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("auth_jwks_fetches_total", "result" => outcome).increment(1);
        let mut cache = self.cache.write().await;
        let now = Instant::now();
        // A failed warm-up is not recorded as an attempt: it must not keep the first sign-ins from fetching
        // (within the cooldown) once the proxy answers.
        if why == Fetch::WarmUp && result.is_err() {
            if let Err(reason) = result {
                tracing::warn!(url = %self.url, %reason, "JWKS warm-up: the auth proxy did not answer; trying again");
            }
            return;
        }
        cache.attempted_at = Some(now);
        if why == Fetch::UnknownKid {
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
            tracing::warn!(url = %self.url, "the auth proxy's JWKS has no usable RS256 key: every proxy token is refused");
        }
        Ok(keys)
    }
}

/// What a fetch is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetch {
    /// At start, before any request.
    WarmUp,
    /// A request needs keys that are missing or stale.
    Request,
    /// The keys are fresh but lack a request's `kid`.
    UnknownKid,
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
/// Other keys are skipped one by one, so one odd key does not hide the rest. A document that names a `kid`
/// twice is refused: which key it means would be a guess.
pub fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
    let set: JwkSet =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut kids = std::collections::HashSet::new();
    for kid in set.keys.iter().filter_map(|key| key.get("kid")?.as_str()) {
        if !kids.insert(kid) {
            return Err(format!("the kid {kid:?} names more than one key"));
        }
    }
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

    #[test]
    fn a_set_naming_a_kid_twice_is_refused_and_an_empty_one_is_not() {
        let body = json!({"keys": [jwk("same", 2048), jwk("same", 2048)]});
        let err = parse_jwks(&serde_json::to_vec(&body).unwrap())
            .err()
            .unwrap();
        assert!(err.contains("\"same\" names more than one key"), "{err}");
        assert!(parse_jwks(br#"{"keys": []}"#).unwrap().is_empty());
    }
}
