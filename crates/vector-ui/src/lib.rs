//! The UI pieces of a Vector app that today's starters give: light, dark and system themes ([`theme`]), messages
//! after actions ([`toast`]), a header menu that holds many pages on a phone ([`nav`]), dates and times in the
//! visitor's own time zone ([`time`]), and [`on_hydrated`] for what waits until the whole page has hydrated.
//!
//! An app places them once in its shell: `<html data-theme=theme_attribute()>` in the document,
//! [`provide_toasts`] and [`ToastRegion`] in `App`, and its links inside [`NavMenu`]. `vector-auth`'s user menu
//! holds the [`ThemeToggle`]; the server (`vector-server`) serves [`routes`] (the theme's form without
//! JavaScript). The styles they use are the app's (`style/main.css`: `.theme-*`, `.toast*`, `.nav-*`).

#![deny(missing_docs)]

pub mod hydration;
pub mod nav;
pub mod theme;
pub mod time;
pub mod toast;

pub use hydration::on_hydrated;
pub use nav::NavMenu;
pub use theme::{Theme, ThemeMenu, ThemeToggle, theme_attribute};
pub use time::LocalDateTime;
pub use toast::{ToastRegion, Toasts, on_result, provide_toasts, use_toast};

#[cfg(feature = "ssr")]
pub use theme::routes;
