//! The server side of billing: `config` (the settings), `service` (the call to Vector's API, its cache and
//! the fallbacks) and `handlers` (the REST route).

mod config;
mod handlers;
mod service;

pub use config::{BillingConfig, VectorApi};
pub use handlers::routes;
pub use service::{EntitlementsAnswer, EntitlementsService, Fallback};
