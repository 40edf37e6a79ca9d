//! `require_entitlement`: the server's own check, for server functions. `RequireEntitlement` only decides what a
//! page shows; a server function that serves paid content must check again, since anyone signed in can call it.

use leptos::prelude::use_context;
use vector_core::AppError;

use super::EntitlementsService;
use crate::ssr::{AuthError, CurrentUser};

/// In a server function: the signed-in user, when their plan allows `kind` (the same answer and cache as
/// `RequireEntitlement`, the fallbacks included); 401 when signed out, 403 when not allowed.
///
/// ```ignore
/// #[server]
/// pub async fn members_report() -> Result<Report, AppError> {
///     let user = require_entitlement(PLATFORM).await?;
///     // … what subscribers get …
/// }
/// ```
pub async fn require_entitlement(kind: &str) -> Result<CurrentUser, AppError> {
    // The service first: the context is not available after an await.
    let service = use_context::<EntitlementsService>().ok_or_else(|| {
        tracing::error!("EntitlementsService is missing from the context");
        AppError::internal()
    })?;
    let user = crate::require_current_user().await?;
    let answer = service.for_user(user.vector_id.as_deref()).await;
    if answer.entitlements.allows(kind) {
        Ok(user)
    } else {
        Err(AuthError::NotEntitled.into())
    }
}
