//! What every layer of a Vector app shares: the error a server function or route answers with
//! ([`AppError`]), the checks of form fields ([`fields`]), lists in pages ([`paging`]), and on the server
//! reading settings from the environment ([`env`](mod@env)) and telling which address a request comes from
//! ([`client_ip`]).
//!
//! The `ssr` feature is the server side (axum, sqlx), `hydrate` the browser side; an app switches them on
//! through `vector-auth` and `vector-server`.

#![deny(missing_docs)]

pub mod error;
pub mod fields;
pub mod http;
pub mod paging;

#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod env;

pub use error::AppError;
