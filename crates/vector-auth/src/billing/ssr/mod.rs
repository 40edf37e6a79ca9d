//! The server side of billing: `config` (the settings), `service` (the call to Vector's API, its cache and
//! the fallbacks), `handlers` (the REST route) and `guard` (`require_entitlement`, for server functions).

mod config;
mod guard;
mod handlers;
mod service;

pub use config::{BillingConfig, VectorApi};
pub use guard::require_entitlement;
pub use handlers::routes;
pub use service::{EntitlementsAnswer, EntitlementsService, Fallback};
