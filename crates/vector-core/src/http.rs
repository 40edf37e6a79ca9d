//! The HTTP response of a page being rendered, set from a component that runs on both sides.

/// Sets the status of the page being rendered on the server (a "not found" page answers 404); in the browser,
/// where there is no response to set, it does nothing.
pub fn set_page_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
