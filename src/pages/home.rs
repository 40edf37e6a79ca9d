//! The example home page: rendered on the server, hydrated in the browser, and calling a server function
//! that reads from Postgres.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub server_version: String,
    pub users: i64,
}

#[server]
pub async fn database_status() -> Result<DatabaseReport, AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let (server_version, users) = sqlx::query_as(
        "SELECT split_part(current_setting('server_version'), ' ', 1), (SELECT count(*) FROM users)",
    )
    .fetch_one(&db)
    .await?;
    Ok(DatabaseReport {
        server_version,
        users,
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let check = Action::new(|_: &()| database_status());

    view! {
        <section class="card">
            <h1>"Welcome to your Vector app"</h1>
            <p>
                "This page was rendered on the server and hydrated in your browser. "
                "The button below calls a server function that asks Postgres how it is doing."
            </p>
            <button class="button" on:click=move |_| { check.dispatch(()); } disabled=check.pending()>
                "Check the database"
            </button>
            <p class="status" data-testid="database-status" aria-live="polite">
                {move || match check.value().get() {
                    None if check.pending().get() => "Checking…".to_owned(),
                    None => String::new(),
                    Some(Ok(status)) => format!(
                        "Connected to PostgreSQL {} · {} user{}",
                        status.server_version,
                        status.users,
                        if status.users == 1 { "" } else { "s" },
                    ),
                    Some(Err(e)) => format!("Database check failed: {e}"),
                }}
            </p>
        </section>
    }
}
