//! The reference for the page scenarios: a bare Leptos page with the app's shell (the same head, header and
//! home-page card) and nothing else (no auth, no database, no middleware), served as leptos-rs/start-axum
//! serves its page. It runs in the benchmark's process on a runtime of its own, built from the same
//! Cargo.lock as the app.

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum::serve::ListenerExt as _;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes as _, generate_route_list};
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{A, Route, Router as PageRouter, Routes};
use leptos_router::path;
use tokio::net::TcpListener;

/// Serves the bare page on two free loopback ports from a thread of its own, and returns their origins: as it is
/// (uncompressed), and through the server's own compression (`vector_server::compression`, gzip when accepted),
/// so that pages are compared with it under the same compression. The bundle names in the head come from
/// `hash_file`, the release build's `hash.txt`.
pub fn serve(site_root: &Path, hash_file: &Path) -> BareOrigins {
    let options = LeptosOptions::builder()
        .output_name("vector_app")
        .site_root(site_root.to_string_lossy().as_ref())
        .hash_files(true)
        .hash_file(hash_file.to_string_lossy().as_ref().into())
        .build();
    let (addr_sender, addr) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime for the bare page");
        runtime.block_on(async move {
            let routes = generate_route_list(BareApp);
            let app = Router::new()
                .leptos_routes(&options, routes, {
                    let options = options.clone();
                    move || shell(options.clone())
                })
                .with_state(options);
            let compressed = app.clone().layer(vector_server::compression());
            let mut servers = Vec::new();
            for app in [app, compressed] {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a port for the bare page");
                addr_sender
                    .send(listener.local_addr().expect("the bare page's address"))
                    .expect("the benchmark waits for the address");
                // As the app's server does: no response waits for Nagle's algorithm.
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                servers.push(tokio::spawn(async move {
                    axum::serve(listener, app)
                        .await
                        .expect("the bare page serves")
                }));
            }
            for server in servers {
                let _ = server.await;
            }
        });
    });
    let origin = || format!("http://{}", addr.recv().expect("the bare page started"));
    BareOrigins {
        uncompressed: origin(),
        compressed: origin(),
    }
}

/// Where the bare page is served: as it is, and through the server's compression.
pub struct BareOrigins {
    pub uncompressed: String,
    pub compressed: String,
}

/// The app's own document head (`app::app::document`) around the bare page.
fn shell(options: LeptosOptions) -> impl IntoView {
    app::app::document(options, view! { <BareApp/> })
}

#[component]
fn BareApp() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Vector app"/>
        <PageRouter>
            <header class="site-header">
                <nav class="nav">
                    <A href="/" attr:class="brand">"Vector app"</A>
                    <A href="/notes">"Notes"</A>
                </nav>
            </header>
            <main class="page">
                <Routes fallback=|| "Page not found">
                    <Route path=path!("") view=Card/>
                </Routes>
            </main>
        </PageRouter>
    }
}

#[component]
fn Card() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Welcome to your Vector app"</h1>
            <p>
                "This page was rendered on the server and hydrated in your browser. "
                "The button below calls a server function that asks Postgres whether it answers."
            </p>
            <button class="button">"Check the database"</button>
            <p class="status" data-testid="database-status" aria-live="polite"></p>
        </section>
    }
}
