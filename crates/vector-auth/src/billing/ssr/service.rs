//! Asking Vector's API for a user's entitlements, with a cache per user and govector-auth's fallbacks.
//!
//! An answer is reused until its `cache.expires_at`, at most `cache_max_age`; requests for the same user that
//! miss at the same time share one call. A call follows no redirects (its token must not travel elsewhere),
//! reads at most `MAX_ANSWER_BYTES` and gives up after `timeout`. Fallbacks are never cached: the next request
//! asks again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use moka::Expiry;
use moka::future::Cache;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::config::{BillingConfig, VectorApi};
use crate::billing::types::Entitlements;

/// An entitlements answer is a few hundred bytes; anything this large is not one.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Enough for every active user of a typical app; beyond it the least used entries go first.
const CAPACITY: u64 = 10_000;

/// Why the answer is the fallback rather than Vector's; `cache.version` says `fallback-<reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The user signed in without a Vector id (or is the dev user).
    NoVectorUserId,
    /// `VECTOR_API_URL` is not set.
    NotConfigured,
    /// Vector answered with an error status, a redirect, or a body that is not entitlements.
    ApiError,
    /// Vector could not be reached or did not answer within the timeout.
    NetworkError,
}

impl Fallback {
    /// The reason as `cache.version` spells it after `fallback-`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoVectorUserId => "no-vector-user-id",
            Self::NotConfigured => "not-configured",
            Self::ApiError => "api-error",
            Self::NetworkError => "network-error",
        }
    }
}

/// What the route and the server function answer: Vector's JSON as it came, and what the page reads of it.
#[derive(Debug, Clone)]
pub struct EntitlementsAnswer {
    /// The JSON body of the REST route.
    pub body: Bytes,
    /// The same answer, parsed.
    pub entitlements: Arc<Entitlements>,
    /// For a cached answer: how long it may be reused.
    reuse_for: Duration,
}

impl EntitlementsAnswer {
    fn new(value: &Value, entitlements: Entitlements, reuse_for: Duration) -> Self {
        Self {
            body: Bytes::from(value.to_string()),
            entitlements: Arc::new(entitlements),
            reuse_for,
        }
    }

    /// The answer for a page: links that are not http(s) URLs are dropped, since the page makes links of them.
    pub fn for_page(&self) -> Entitlements {
        let mut entitlements = Entitlements::clone(&self.entitlements);
        for entitlement in &mut entitlements.entitlements {
            entitlement.redirect_link = entitlement
                .redirect_link
                .take()
                .filter(|link| vector_core::env::http_url(link).is_some());
        }
        entitlements
    }
}

/// The entitlements client; cheap to clone (clones share the cache).
#[derive(Clone)]
pub struct EntitlementsService {
    inner: Arc<Inner>,
}

struct Inner {
    config: BillingConfig,
    http: reqwest::Client,
    /// By Vector user id.
    cache: Cache<String, EntitlementsAnswer>,
    calls: AtomicU64,
}

/// Each answer lives as long as it says it may be reused.
struct ReuseFor;

impl Expiry<String, EntitlementsAnswer> for ReuseFor {
    fn expire_after_create(
        &self,
        _: &String,
        answer: &EntitlementsAnswer,
        _: Instant,
    ) -> Option<Duration> {
        Some(answer.reuse_for)
    }
}

impl EntitlementsService {
    /// The client for these settings, with an empty cache.
    pub fn new(config: BillingConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client with static settings builds");
        let cache = Cache::builder()
            .max_capacity(CAPACITY)
            .expire_after(ReuseFor)
            .build();
        Self {
            inner: Arc::new(Inner {
                config,
                http,
                cache,
                calls: AtomicU64::new(0),
            }),
        }
    }

    /// The settings it was built with.
    pub fn config(&self) -> &BillingConfig {
        &self.inner.config
    }

    /// Calls made to Vector's API so far (for tests).
    pub fn upstream_calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// The entitlements of the user with this Vector id: Vector's answer, or the fallback.
    pub async fn for_user(&self, vector_id: Option<&str>) -> EntitlementsAnswer {
        // Checked in govector-auth's order: a user without a Vector id first.
        let Some(vector_id) = vector_id.filter(|id| !id.is_empty()) else {
            // Every dev-mode request would say it, so not above debug.
            tracing::debug!("the user has no Vector id: entitlements fallback");
            return self.fallback(Fallback::NoVectorUserId);
        };
        let Some(api) = &self.inner.config.api else {
            return self.fallback(Fallback::NotConfigured);
        };
        let inner = self.inner.clone();
        let fetch = {
            let vector_id = vector_id.to_owned();
            let api = api.clone();
            async move { inner.fetch(&api, &vector_id).await }
        };
        match self
            .inner
            .cache
            .try_get_with(vector_id.to_owned(), fetch)
            .await
        {
            Ok(answer) => answer,
            Err(fallback) => self.fallback(*fallback),
        }
    }

    /// govector-auth's fallback body: the platform allowed (refused when failing closed) and the reason.
    pub fn fallback(&self, why: Fallback) -> EntitlementsAnswer {
        let value = json!({
            "entitlements": [{
                "type": "platform",
                "status": null,
                "allowed": !self.inner.config.fail_closed,
                "redirect_link": null,
            }],
            "cache": { "expires_at": null, "version": format!("fallback-{}", why.reason()) },
        });
        let entitlements =
            serde_json::from_value(value.clone()).expect("the fallback body is entitlements");
        EntitlementsAnswer::new(&value, entitlements, Duration::ZERO)
    }
}

impl Inner {
    async fn fetch(
        &self,
        api: &VectorApi,
        vector_id: &str,
    ) -> Result<EntitlementsAnswer, Fallback> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        // A Vector id is whatever the proxy token said: one that cannot be a header value cannot be sent.
        let user = HeaderValue::from_str(vector_id).map_err(|_| {
            tracing::error!("the user's Vector id cannot be sent in a header");
            Fallback::NetworkError
        })?;
        let mut request = self
            .http
            .get(api.entitlements_url.clone())
            .header("X-UGA-Api-Token", api.token.clone())
            .header("X-Vector-UGA-User-Id", user);
        if let Some(origin) = &api.origin {
            request = request.header("X-Vector-Origin", origin.clone());
        }
        let mut response = request.send().await.map_err(|e| {
            tracing::error!(error = %e.without_url(), "Vector entitlements API request failed");
            Fallback::NetworkError
        })?;
        let status = response.status();
        if !status.is_success() {
            tracing::error!(%status, "Vector entitlements API error");
            return Err(Fallback::ApiError);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            tracing::error!(error = %e.without_url(), "Vector entitlements API answer cut short");
            Fallback::NetworkError
        })? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                tracing::error!(
                    "Vector entitlements API answer larger than {MAX_ANSWER_BYTES} bytes"
                );
                return Err(Fallback::ApiError);
            }
            body.extend_from_slice(&chunk);
        }
        let parsed = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| {
                let entitlements = serde_json::from_value::<Entitlements>(value.clone()).ok()?;
                Some((value, entitlements))
            });
        let Some((value, entitlements)) = parsed else {
            tracing::error!("Vector entitlements API answer is not entitlements JSON");
            return Err(Fallback::ApiError);
        };
        let reuse_for = reuse_for(
            entitlements.cache.expires_at.as_deref(),
            self.config.cache_max_age,
        );
        Ok(EntitlementsAnswer::new(&value, entitlements, reuse_for))
    }
}

/// Until `expires_at` (RFC 3339), at most `longest`; not at all without a readable time in the future.
fn reuse_for(expires_at: Option<&str>, longest: Duration) -> Duration {
    let Some(expires_at) = expires_at.and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
    else {
        return Duration::ZERO;
    };
    let left = expires_at - OffsetDateTime::now_utc();
    Duration::try_from(left)
        .unwrap_or(Duration::ZERO)
        .min(longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3339(at: OffsetDateTime) -> String {
        at.format(&Rfc3339).unwrap()
    }

    #[test]
    fn answers_are_reused_until_they_expire_and_no_longer_than_the_bound() {
        let longest = Duration::from_secs(300);
        let now = OffsetDateTime::now_utc();
        let soon = reuse_for(Some(&rfc3339(now + time::Duration::seconds(60))), longest);
        assert!(
            soon > Duration::from_secs(55) && soon <= Duration::from_secs(60),
            "{soon:?}"
        );
        let far = reuse_for(Some(&rfc3339(now + time::Duration::days(30))), longest);
        assert_eq!(far, longest);
        for never in [
            None,
            Some("tomorrow"),
            Some(rfc3339(now - time::Duration::seconds(5)).as_str()),
        ] {
            assert_eq!(reuse_for(never, longest), Duration::ZERO, "{never:?}");
        }
        assert_eq!(
            reuse_for(Some("2999-01-01T00:00:00.123456+02:00"), longest),
            longest,
            "Django's format, with microseconds and an offset"
        );
        assert_eq!(
            reuse_for(
                Some(&rfc3339(now + time::Duration::days(1))),
                Duration::ZERO
            ),
            Duration::ZERO,
            "a zero bound turns the cache off"
        );
    }

    #[test]
    fn the_fallback_is_the_seeds_body_and_fails_closed_when_told() {
        let open = EntitlementsService::new(BillingConfig {
            api: None,
            timeout: Duration::from_secs(10),
            cache_max_age: Duration::from_secs(300),
            fail_closed: false,
        });
        let body: Value = serde_json::from_slice(&open.fallback(Fallback::ApiError).body).unwrap();
        assert_eq!(
            body,
            json!({
                "entitlements": [{"type": "platform", "status": null, "allowed": true, "redirect_link": null}],
                "cache": {"expires_at": null, "version": "fallback-api-error"},
            })
        );
        let closed = EntitlementsService::new(BillingConfig {
            fail_closed: true,
            ..open.config().clone()
        });
        let answer = closed.fallback(Fallback::NetworkError);
        assert!(!answer.entitlements.entitlements[0].allowed);
        assert!(answer.entitlements.is_fallback());
    }

    #[test]
    fn pages_get_http_links_only() {
        let value = json!({
            "entitlements": [
                {"type": "platform", "status": "inactive", "allowed": false, "redirect_link": "javascript:alert(1)"},
                {"type": "pro", "status": null, "allowed": false, "redirect_link": "https://govector.ai/plans"},
            ],
            "cache": {"expires_at": null, "version": "7"},
        });
        let answer = EntitlementsAnswer::new(
            &value,
            serde_json::from_value(value.clone()).unwrap(),
            Duration::ZERO,
        );
        let page = answer.for_page();
        assert_eq!(page.get("platform").unwrap().redirect_link, None);
        assert_eq!(
            page.get("pro").unwrap().redirect_link.as_deref(),
            Some("https://govector.ai/plans")
        );
        assert!(!page.is_fallback());
    }
}
