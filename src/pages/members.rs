//! The example page for paying users: `RequireEntitlement` shows it when the user's plan includes the app
//! (Vector's `platform` entitlement), and otherwise says so with Vector's link to subscribe.

use leptos::prelude::*;

use vector_auth::prelude::*;

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <RequireEntitlement>
            <section class="card" data-testid="members-area">
                <h1>"Members' area"</h1>
                <p>"Your plan includes this app. What your subscribers get goes here."</p>
            </section>
        </RequireEntitlement>
    }
}
