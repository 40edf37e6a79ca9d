//! The entitlements for the browser: the same answer as the REST route, as a server function.

use leptos::prelude::*;

use super::types::Entitlements;
use vector_core::error::AppError;

/// The signed-in user's entitlements (401 when signed out). Never fails because of Vector: when it cannot be
/// asked, the answer is the fallback (allowed, or refused with `ENTITLEMENTS_FAIL_CLOSED`). Links that are not
/// http(s) URLs are left out, since the page shows them.
#[server]
pub async fn get_entitlements() -> Result<Entitlements, AppError> {
    // The service first: the context is not available after an await.
    let service = use_context::<super::EntitlementsService>().ok_or_else(|| {
        tracing::error!("EntitlementsService is missing from the context");
        AppError::internal()
    })?;
    let user = crate::require_current_user().await?;
    let answer = service.for_user(user.vector_id.as_deref()).await;
    Ok(answer.for_page())
}
