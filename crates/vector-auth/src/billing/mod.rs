//! Vector's billing: what the signed-in user's subscription allows, from Vector's API, in one feature module.
//!
//! The counterpart of govector-auth's `EntitlementsView`, and its front door (as `auth`'s): pages, start-up and
//! tests use what is re-exported here.
//! - Shared by server and browser: the types that cross the wire (`types`), the server function
//!   (`server_fns`) and `RequireEntitlement` for gated pages (`components`).
//! - `ssr/` (server only): the settings, the call to Vector's API with its cache and fallbacks, and the REST
//!   route `GET /api/accounts/billing/entitlements/`.

mod components;
mod server_fns;
mod types;

#[cfg(feature = "ssr")]
mod ssr;

pub use components::RequireEntitlement;
pub use server_fns::{GetEntitlements, get_entitlements};
pub use types::{Entitlement, Entitlements, EntitlementsCache, PLATFORM};

#[cfg(feature = "ssr")]
pub use ssr::{
    BillingConfig, EntitlementsAnswer, EntitlementsService, Fallback, VectorApi,
    require_entitlement, routes,
};
