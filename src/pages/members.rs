//! The example page for paying users: `RequireEntitlement` shows it when the user's plan includes the app
//! (Vector's `platform` entitlement), and otherwise says so with Vector's link to subscribe. What it shows
//! comes from a server function that checks the entitlement itself (`require_entitlement`): the component
//! only decides what the page shows, and anyone signed in can call a server function.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};
use vector_auth::prelude::*;

/// What subscribers get; 403 for anyone whose plan does not include the app.
#[server]
pub async fn members_content() -> Result<String, AppError> {
    require_entitlement(PLATFORM).await?;
    Ok("Your plan includes this app. What your subscribers get goes here.".to_owned())
}

/// The page, loaded on its own when the browser first goes to it (a lazy route, as `NotesPage`).
pub struct MembersPage {
    content: Resource<Result<String, AppError>>,
}

#[lazy_route]
impl LazyRoute for MembersPage {
    fn data() -> Self {
        // Created here, outside `RequireEntitlement` (see `NotesPage`).
        let auth = Auth::get();
        let content = Resource::new(
            move || auth.user_id(),
            move |_| load_for_user(auth, String::new(), members_content),
        );
        Self { content }
    }

    fn view(this: Self) -> AnyView {
        let content = this.content;
        view! {
            <RequireEntitlement>
                <section class="card" data-testid="members-area">
                    <h1>"Members' area"</h1>
                    <Transition fallback=|| view! { <p class="status">"Loading…"</p> }>
                        <p>{move || content.get().map(|answer| answer.unwrap_or_else(|e| e.detail))}</p>
                    </Transition>
                </section>
            </RequireEntitlement>
        }
        .into_any()
    }
}
