//! Where a sign-in comes back to: the page it started from, and never another site.

use vector_core::http::is_local_path;

/// A path and query, to come back to after signing in.
pub fn path_with_query(path: String, query: String) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.trim_start_matches('?'))
    }
}

/// Where the sign-in callback sends the user back: a same-origin path only, never another site, and never
/// the callback itself (which would start a sign-in over again).
pub fn safe_return_path(path: &str) -> String {
    if is_local_path(path) && !is_callback(path) {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

fn is_callback(path: &str) -> bool {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].trim_end_matches('/') == CALLBACK_PATH
}

/// Where the auth proxy sends the browser back after signing in.
pub const CALLBACK_PATH: &str = "/auth/callback";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        assert_eq!(safe_return_path("/notes?tab=2#x"), "/notes?tab=2#x");
        assert_eq!(safe_return_path("/auth/callbacks"), "/auth/callbacks");
        for bad in [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "javascript:alert(1)",
            "",
            "notes",
            "/a\\b",
            "/\n",
            "/auth/callback",
            "/auth/callback/",
            "/auth/callback?token=x",
            "/auth/callback#token=x",
        ] {
            assert_eq!(safe_return_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn the_query_is_kept() {
        assert_eq!(path_with_query("/notes".into(), String::new()), "/notes");
        assert_eq!(path_with_query("/notes".into(), "a=1".into()), "/notes?a=1");
        assert_eq!(
            path_with_query("/notes".into(), "?a=1".into()),
            "/notes?a=1"
        );
    }
}
