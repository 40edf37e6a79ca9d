//! A small app on the platform, for the platform crates' own tests: a home page, a signed-in page with a
//! list of notes and its server functions, the members' page (`RequireEntitlement`), the account and
//! callback pages ([`AuthRoutes`]) and a 404 page, rendered in the same document as an app's.
//!
//! `vector-server`'s example `site` runs it as a server binary.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};
use sqlx::PgPool;
use vector_auth::prelude::*;
use vector_auth::{AuthRoutes, UserMenu, provide_auth};
use vector_server::{Platform, Server};

use crate::TestApp;

/// The site's state: the pool, for its notes.
#[derive(Clone)]
pub struct SiteState {
    /// The test's database.
    pub db: PgPool,
}

/// The site as the server runs it, with its migration (a `site_notes` table).
pub fn server() -> Server<SiteState> {
    Server::new(shell, App, |platform: &Platform| SiteState {
        db: platform.db.clone(),
    })
    .migrations(sqlx::migrate!())
}

/// The site with sign-in through a stand-in proxy, over the test's database.
pub async fn spawn_app(db: PgPool) -> TestApp {
    crate::spawn(&server(), db).await
}

/// `spawn_app` with some settings changed.
pub async fn spawn_app_with(db: PgPool, settings: &[(&str, &str)]) -> TestApp {
    crate::spawn_with(&server(), db, settings).await
}

/// The site with the settings `env`.
pub async fn start(db: PgPool, env: vector_core::env::Env) -> TestApp {
    TestApp::start(&server(), db, env).await
}

/// The site serving the browser bundle from `site`, with hashed file names or not.
pub async fn spawn_app_serving(db: PgPool, site: &std::path::Path, hash_files: bool) -> TestApp {
    crate::spawn_serving(&server(), db, site, hash_files).await
}

fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body><App/></body>
        </html>
    }
}

#[component]
fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();
    view! {
        <Router>
            <header><UserMenu/></header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/notes") view=NotesPage ssr=SsrMode::Async/>
                    <Route path=path!("/members") view=Members/>
                    <AuthRoutes/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_page_status(404);
    view! { <h1>"Page not found"</h1> }
}

#[component]
fn Home() -> impl IntoView {
    view! { <h1>"Welcome to the test site"</h1> }
}

#[component]
fn Members() -> impl IntoView {
    view! {
        <RequireEntitlement>
            <p data-testid="members-area">"Members' area"</p>
        </RequireEntitlement>
    }
}

#[component]
fn NotesPage() -> impl IntoView {
    let auth = Auth::get();
    let notes = Resource::new(
        move || auth.user_id(),
        move |_| load_for_user(auth, Vec::new(), list_notes),
    );
    view! {
        <RequireUser>
            <Transition fallback=|| ()>
                <ul data-testid="notes">
                    {move || notes.get().map(|notes| {
                        notes.unwrap_or_default().into_iter().map(|note| view! { <li>{note}</li> }).collect_view()
                    })}
                </ul>
            </Transition>
        </RequireUser>
    }
}

/// Whether the database answers (anyone may ask).
#[server]
pub async fn database_status() -> Result<(), AppError> {
    let db = vector_server::from_context::<SiteState>()?.db;
    vector_server::ping_database(&db).await
}

/// The signed-in user's notes, newest first.
#[server]
pub async fn list_notes() -> Result<Vec<String>, AppError> {
    let db = vector_server::from_context::<SiteState>()?.db;
    let user = require_user().await?;
    let notes = sqlx::query_scalar(
        "SELECT body FROM site_notes WHERE user_id = $1::uuid ORDER BY created_at DESC",
    )
    .bind(&user.id)
    .fetch_all(&db)
    .await?;
    Ok(notes)
}

/// Adds a note (at most 1000 characters) for the signed-in user: a write, counted against their budget.
#[server]
pub async fn create_note(
    /// The note's text.
    body: String,
) -> Result<(), AppError> {
    let db = vector_server::from_context::<SiteState>()?.db;
    let user = require_user_for_write().await?;
    let body = fields::text("A note", &body, 1000)?;
    sqlx::query("INSERT INTO site_notes (user_id, body) VALUES ($1::uuid, $2)")
        .bind(&user.id)
        .bind(&body)
        .execute(&db)
        .await?;
    Ok(())
}

/// The signed-in user's email, by GET: the kind of answer a shared cache would keep if let.
#[server(input = leptos::server_fn::codec::GetUrl)]
pub async fn who_am_i() -> Result<String, AppError> {
    Ok(require_user().await?.email)
}

/// Panics, as a bug would: the server must answer 500 and keep serving.
#[server]
pub async fn panic_on_purpose() -> Result<(), AppError> {
    panic!("a bug in a server function");
}

/// What only subscribers get: the server checks the entitlement itself, whatever the page shows.
#[server]
pub async fn members_content() -> Result<String, AppError> {
    require_entitlement(PLATFORM).await?;
    Ok("What subscribers get.".to_owned())
}

/// Answers after `millis` milliseconds (at most ten seconds): a request that takes its time being served.
#[server]
pub async fn take_your_time(
    /// How long to take.
    millis: u64,
) -> Result<(), AppError> {
    tokio::time::sleep(std::time::Duration::from_millis(millis.min(10_000))).await;
    Ok(())
}
