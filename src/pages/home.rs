//! The example home page: rendered on the server, hydrated in the browser, and calling a server function
//! that asks Postgres whether it answers.

use leptos::prelude::*;
use vector_auth::prelude::*;

/// Whether the database answers; anyone may ask, so it says nothing more (no version, no counts), and a
/// check gives up after two seconds rather than hold on to the pool.
#[server]
pub async fn database_status() -> Result<(), AppError> {
    let db = crate::state::AppState::from_context()?.db;
    vector_server::ping_database(&db).await
}

#[component]
pub fn HomePage() -> impl IntoView {
    let check = Action::new(|_: &()| database_status());

    view! {
        <section class="card">
            <h1>"Welcome to your Vector app"</h1>
            <p>
                "This page was rendered on the server and hydrated in your browser. "
                "The button below calls a server function that asks Postgres whether it answers."
            </p>
            <button class="button" on:click=move |_| { check.dispatch(()); } disabled=check.pending()>
                "Check the database"
            </button>
            <p class="status" data-testid="database-status" aria-live="polite">
                {move || match check.value().get() {
                    None if check.pending().get() => "Checking…".to_owned(),
                    None => String::new(),
                    Some(Ok(())) => "The database is answering.".to_owned(),
                    Some(Err(e)) => format!("Database check failed: {e}"),
                }}
            </p>
        </section>
    }
}
