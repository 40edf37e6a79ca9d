//! The app shell: document, layout and routes. Your pages live in `pages/`; add each to the `<Routes>` below.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use vector_auth::prelude::*;
use vector_auth::{AuthRoutes, UserMenu, provide_auth};
use vector_ui::{NavMenu, ToastRegion, on_hydrated, provide_toasts, theme_attribute};

use crate::pages::home::HomePage;
use crate::pages::members::MembersPage;
use crate::pages::notes::NotesPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    document(options, view! { <App/> })
}

/// The HTML document around `body`: the head every page shares (also the load benchmark's bare page).
pub fn document(options: LeptosOptions, body: impl IntoView) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        // The theme the visitor chose (a cookie), so the page arrives in it; none: the system's.
        <html lang="en" data-theme=theme_attribute()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The bundle's file names carry their hash in a release build (vector-server serves them).
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>{body}</body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toasts();
    provide_auth();
    // Set once the browser has hydrated the whole page, a lazy page's part included; end-to-end tests wait for it.
    let hydrated = RwSignal::new(false);
    on_hydrated(move || hydrated.set(true));

    view! {
        <Title text="Vector app"/>
        <Router>
            <header class="site-header">
                <A href="/" attr:class="brand">"Vector app"</A>
                // Behind a "Menu" button on a phone, so the header keeps one row however many pages there are.
                <NavMenu>
                    <A href="/notes">"Notes"</A>
                    <A href="/members">"Members"</A>
                </NavMenu>
                <UserMenu/>
            </header>
            <main class="page" data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=NotFound>
                    // Every page but the home page is a lazy route (`Lazy::<…>`): its code is a chunk of its own
                    // in the release build, fetched the first time the browser goes to it, while its data loads.
                    // Rendered whole, then sent: their data is quick (the session comes from memory, the notes
                    // from one query), and one render uses half the memory of out-of-order streaming under load
                    // and makes a smaller page. Stream a page whose data is slow, in order, as /members does.
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/notes") view={Lazy::<NotesPage>::new()} ssr=SsrMode::Async/>
                    // Streamed, as its check may wait on Vector's API: in order, so the header goes first and
                    // the page follows when ready, each in place. Out of order (the default) would send the
                    // header's and the page's fallbacks and fill them in with a script, whenever their data is not
                    // ready at once: a visitor without JavaScript would get no sign-in button or theme menu.
                    <Route path=path!("/members") view={Lazy::<MembersPage>::new()} ssr=SsrMode::InOrder/>
                    // The account page (/account) and the sign-in callback (/auth/callback).
                    <AuthRoutes/>
                </Routes>
            </main>
            // Messages after actions (`use_toast()`), read out by screen readers.
            <ToastRegion/>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_page_status(404);
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <A href="/">"Back to the home page"</A>
        </section>
    }
}
