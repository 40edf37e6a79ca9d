//! Light, dark and system themes. The visitor's choice is kept in a cookie (`theme`), so that the server renders
//! the page in it (`<html data-theme>`, from [`theme_attribute`]): no flash of the wrong theme, with or without
//! JavaScript, and no script in the page. "System" (no cookie, or `theme=system`) leaves the attribute off, and the
//! stylesheet follows the visitor's `prefers-color-scheme`.
//!
//! [`ThemeToggle`] is a form of three buttons: with JavaScript a click applies the theme at once; without, the
//! form posts to [`routes`]' `/api/theme`, which sets the cookie and sends the browser back.

use cookie::{Cookie, SameSite};
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

/// The cookie that keeps the visitor's theme.
pub const THEME_COOKIE: &str = "theme";
/// Where the theme's form posts to (without JavaScript).
pub const THEME_PATH: &str = "/api/theme";

/// A theme the visitor can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    /// Light, whatever the system says.
    Light,
    /// Dark, whatever the system says.
    Dark,
    /// As the visitor's system says (`prefers-color-scheme`): the default.
    #[default]
    System,
}

impl Theme {
    /// Every theme, in the order the toggle shows them.
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::System];

    /// `light`, `dark` or `system`, as the cookie and the form spell them.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            "system" => Some(Self::System),
            _ => None,
        }
    }

    /// The theme's name in the cookie and the form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
            Self::System => "system",
        }
    }

    /// What the toggle's button says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Dark => "Dark",
            Self::System => "System",
        }
    }

    /// The theme a `Cookie` header (or `document.cookie`) asks for (`System` when it asks for none).
    pub fn from_cookies(header: &str) -> Self {
        Cookie::split_parse(header)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == THEME_COOKIE)
            .and_then(|cookie| Self::parse(cookie.value()))
            .unwrap_or_default()
    }

    /// The cookie that keeps this theme for a year, as a `Set-Cookie` header (or `document.cookie`) takes it.
    fn cookie(self) -> String {
        Cookie::build((THEME_COOKIE, self.as_str()))
            .path("/")
            .max_age(cookie::time::Duration::days(365))
            .same_site(SameSite::Lax)
            .build()
            .to_string()
    }

    fn attribute(self) -> Option<&'static str> {
        match self {
            Self::Light => Some("light"),
            Self::Dark => Some("dark"),
            Self::System => None,
        }
    }
}

/// The theme the page is in: on the server, the one the request's cookie asks for; in the browser, the one in
/// `document.cookie` (the same, so the hydrated page matches the rendered one).
pub fn current_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(axum::http::header::COOKIE)
                    .and_then(|value| value.to_str().ok())
                    .map(Theme::from_cookies)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|document| document.cookie().ok())
            .map(|cookies| Theme::from_cookies(&cookies))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Theme::default()
    }
}

/// `<html data-theme=theme_attribute()>`: `light` or `dark` as the visitor chose, nothing for the system's.
pub fn theme_attribute() -> Option<&'static str> {
    current_theme().attribute()
}

/// In the browser: the theme applied to the page at once and kept in the cookie for a year.
fn apply(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        if let Some(root) = document.document_element() {
            let _ = match theme.attribute() {
                Some(value) => root.set_attribute("data-theme", value),
                None => root.remove_attribute("data-theme"),
            };
        }
        if let Ok(document) = document.dyn_into::<web_sys::HtmlDocument>() {
            let _ = document.set_cookie(&theme.cookie());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

/// Three buttons, Light, Dark and System, the current one pressed.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let current = RwSignal::new(current_theme());
    let location = use_location();
    view! {
        <form class="theme-toggle" method="post" action=THEME_PATH>
            <input type="hidden" name="return_to" value=move || location.pathname.get()/>
            <div class="theme-options" role="group" aria-label="Theme">
                {Theme::ALL.map(|theme| view! {
                    <button
                        class="theme-option"
                        type="submit"
                        name="theme"
                        value=theme.as_str()
                        aria-pressed=move || (current.get() == theme).to_string()
                        on:click=move |ev| {
                            ev.prevent_default();
                            apply(theme);
                            current.set(theme);
                        }
                    >
                        {theme.label()}
                    </button>
                })}
            </div>
        </form>
    }
}

/// The toggle behind a "Theme" disclosure, for a header with little room.
#[component]
pub fn ThemeMenu() -> impl IntoView {
    view! {
        <details class="theme-menu">
            <summary>"Theme"</summary>
            <div class="menu">
                <ThemeToggle/>
            </div>
        </details>
    }
}

#[cfg(feature = "ssr")]
pub use server::routes;

#[cfg(feature = "ssr")]
mod server {
    use axum::Router;
    use axum::extract::Form;
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use serde::Deserialize;
    use vector_core::AppError;
    use vector_core::http::is_local_path;

    use super::{THEME_PATH, Theme};

    #[derive(Deserialize)]
    struct Choice {
        theme: String,
        #[serde(default)]
        return_to: String,
    }

    /// `POST /api/theme` (`theme=light|dark|system`, `return_to=/path`), the toggle's form without JavaScript:
    /// the cookie set, and the browser sent back to the page (303), on this site only.
    pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
        Router::new().route(THEME_PATH, post(choose))
    }

    async fn choose(Form(choice): Form<Choice>) -> Response {
        let Some(theme) = Theme::parse(&choice.theme) else {
            return AppError::bad_request("The theme is light, dark or system.").into_response();
        };
        // Back to a page of this site only.
        let back = Some(choice.return_to)
            .filter(|path| is_local_path(path))
            .unwrap_or_else(|| "/".to_owned());
        match (
            HeaderValue::from_str(&back),
            HeaderValue::from_str(&theme.cookie()),
        ) {
            (Ok(location), Ok(cookie)) => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
            )
                .into_response(),
            _ => AppError::bad_request("Invalid return path.").into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_theme_and_anything_else_is_the_system_s() {
        assert_eq!(Theme::from_cookies("a=1; theme=dark; b=2"), Theme::Dark);
        assert_eq!(Theme::from_cookies("theme=light"), Theme::Light);
        for other in ["", "theme=", "theme=blue", "themes=dark", "x=theme=dark"] {
            assert_eq!(Theme::from_cookies(other), Theme::System, "{other:?}");
        }
        assert_eq!(Theme::from_cookies(&Theme::Dark.cookie()), Theme::Dark);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
        assert_eq!(Theme::System.attribute(), None);
    }
}
