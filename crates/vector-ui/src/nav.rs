//! The header's links, behind a "Menu" button on a narrow screen: the header keeps one row on a phone however many
//! pages the app has. The button says whether the links are shown (`aria-expanded`); the links close on
//! navigation and on Escape (which puts the keyboard's focus back on the button). Each link is a router `<A>`, which marks the current page (`aria-current="page"`).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The site's main navigation: `children` are its links.
#[component]
pub fn NavMenu(children: Children) -> impl IntoView {
    let open = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let location = use_location();
    // A link followed: the menu closes.
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        }
    });
    on_cleanup(move || escape.remove());
    view! {
        <nav class="nav" aria-label="Main">
            <button
                node_ref=button
                class="nav-toggle"
                type="button"
                aria-expanded=move || open.get().to_string()
                aria-controls="site-nav-links"
                on:click=move |_| open.update(|open| *open = !*open)
            >
                "Menu"
            </button>
            <div id="site-nav-links" class="nav-links" class:open=move || open.get()>
                {children()}
            </div>
        </nav>
    }
}
