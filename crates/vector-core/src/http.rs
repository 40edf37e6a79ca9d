//! The HTTP response of a page being rendered, set from a component that runs on both sides; and which paths
//! the browser may be sent back to.

/// True for a path on this site, safe to redirect the browser to after an action: it starts with one `/` and
/// holds no backslash or control character (`//host`, `/\host` and `https://…` lead to other sites).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_local() {
        assert!(is_local_path("/notes?tab=2#x"));
        assert!(is_local_path("/"));
        for other in [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "/a\\b",
            "/\n",
            "",
            "notes",
            "javascript:x",
        ] {
            assert!(!is_local_path(other), "{other:?}");
        }
    }
}
