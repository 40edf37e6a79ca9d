//! The entitlements, as Vector's API and the REST route send them.

use serde::{Deserialize, Serialize};

/// The entitlement that stands for access to the app at all.
pub const PLATFORM: &str = "platform";

/// Vector's answer for one user and this app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements {
    /// The entitlements Vector sent: `platform` and the features of the app's plans (`platform` only in the
    /// fallback).
    pub entitlements: Vec<Entitlement>,
    /// Until when the answer may be reused, and whether it is the fallback.
    pub cache: EntitlementsCache,
}

/// Whether the user has one entitlement, and where to get it when they do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// `"platform"`, or a feature of the app's plans.
    #[serde(rename = "type")]
    pub kind: String,
    /// Vector's status for it, such as `"inactive"`; `None` when it sent none.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the user may use it.
    pub allowed: bool,
    /// Where the user can get access (subscribe, upgrade) when it is not allowed.
    #[serde(default)]
    pub redirect_link: Option<String>,
}

/// The `cache` part of the answer: until when it may be reused, and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementsCache {
    /// RFC 3339; until then the answer may be reused. `None`: do not reuse it.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// `fallback-<reason>` when Vector was not asked or did not answer.
    #[serde(default)]
    pub version: Option<String>,
}

impl Entitlements {
    /// The entitlement of this kind, if Vector sent one.
    pub fn get(&self, kind: &str) -> Option<&Entitlement> {
        self.entitlements.iter().find(|e| e.kind == kind)
    }

    /// Whether the entitlement of this kind is there and allowed.
    pub fn allows(&self, kind: &str) -> bool {
        self.get(kind)
            .is_some_and(|entitlement| entitlement.allowed)
    }

    /// Whether this answer is the server's fallback rather than Vector's: billing not configured, a user
    /// without a Vector id, or Vector could not be asked.
    pub fn is_fallback(&self) -> bool {
        self.cache
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("fallback-"))
    }
}
