//! When the page the server sent has finished hydrating: its lazy routes' parts are hydrated only once their code
//! has arrived, after the rest of the page (and after the effects of the rest have run).

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// How often the check runs while the page is still hydrating.
#[cfg(feature = "hydrate")]
const POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// Calls `then` once the whole page has hydrated, a lazy route's part included: from then on its buttons and forms
/// are the app's, not the browser's plain ones. Call it in a component; on the server it does nothing.
pub fn on_hydrated(then: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let shared = Owner::current_shared_context();
        when_done(
            move || {
                shared
                    .as_ref()
                    .is_some_and(|shared| shared.during_hydration())
            },
            then,
        );
    }
    #[cfg(not(feature = "hydrate"))]
    drop(then);
}

#[cfg(feature = "hydrate")]
fn when_done(during_hydration: impl Fn() -> bool + 'static, then: impl FnOnce() + 'static) {
    if during_hydration() {
        set_timeout(move || when_done(during_hydration, then), POLL);
    } else {
        then();
    }
}
