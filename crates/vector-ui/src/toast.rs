//! Messages after actions: a note added, a session ended, a change refused. [`ToastRegion`] is a live region
//! (`role="status"`, polite), so screen readers read each message as it appears (an error, `role="alert"`, at
//! once); a success fades after a few seconds, an error stays until dismissed. [`Toasts::report`] turns an action's outcome into one message, and
//! says plainly when the server could not be reached or failed, instead of failing silently.

use leptos::prelude::*;
use vector_core::AppError;

/// How long a success stays on the screen.
const SUCCESS_FOR_MS: u64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: Kind,
    message: String,
}

/// The app's messages; cheap to copy. Provided once in `App` ([`provide_toasts`]), taken with [`use_toast`].
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

/// Creates the messages' state for the whole app; place a [`ToastRegion`] in the layout to show them.
pub fn provide_toasts() -> Toasts {
    let toasts = Toasts {
        shown: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toasts);
    toasts
}

/// The app's messages (those `provide_toasts` made). Outside an app that provides them, messages go nowhere.
pub fn use_toast() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(|| Toasts {
        shown: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    })
}

impl Toasts {
    /// A success: shown for a few seconds.
    pub fn success(&self, message: impl Into<String>) {
        let id = self.push(Kind::Success, message.into());
        let toasts = *self;
        set_timeout(
            move || toasts.dismiss(id),
            std::time::Duration::from_millis(SUCCESS_FOR_MS),
        );
    }

    /// An error: shown until the visitor dismisses it (or the same message comes again).
    pub fn error(&self, message: impl Into<String>) {
        self.push(Kind::Error, message.into());
    }

    /// Removes a message.
    fn dismiss(&self, id: u64) {
        self.shown
            .update(|shown| shown.retain(|toast| toast.id != id));
    }

    /// An action's outcome as one message: `success` when it worked; when it did not, the server's own words for
    /// a refusal (4xx), and a plain sentence for a lost connection or a failure of the server (5xx).
    pub fn report<T>(&self, result: &Result<T, AppError>, success: impl Into<String>) {
        match result {
            Ok(_) => self.success(success),
            Err(error) => self.failure(error),
        }
    }

    /// A failed action, as `report` says it.
    pub fn failure(&self, error: &AppError) {
        self.error(describe(error));
    }

    fn push(&self, kind: Kind, message: String) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|shown| {
            // The same message twice is one message.
            shown.retain(|toast| toast.message != message);
            shown.push(Toast { id, kind, message });
        });
        id
    }
}

/// What a failed action tells the visitor.
fn describe(error: &AppError) -> String {
    match error.status {
        0 => "Cannot reach the server: check your connection, then try again.".to_owned(),
        500.. => "Something went wrong on the server. Try again in a moment.".to_owned(),
        _ => error.detail.clone(),
    }
}

/// Calls `then` with each result `action` comes back with: once per completed dispatch. Unlike an `Effect` on
/// `action.value()`, it does not say an old result again when the component calling it is rendered again (as
/// `RequireUser`'s children are when the session is refreshed).
pub fn on_result<I, O>(action: Action<I, O>, mut then: impl FnMut(&O) + 'static)
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    let version = action.version();
    Effect::watch(
        move || version.get(),
        move |_, _, _| {
            action.value().with_untracked(|value| {
                if let Some(result) = value {
                    then(result);
                }
            })
        },
        false,
    );
}

/// Where the messages show: fixed at the bottom of the screen, announced to screen readers.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toast();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.shown.get() key=|toast| toast.id let:toast>
                {
                    let id = toast.id;
                    match toast.kind {
                        Kind::Success => leptos::either::Either::Left(view! {
                            <div class="toast success"><p>{toast.message}</p></div>
                        }),
                        Kind::Error => leptos::either::Either::Right(view! {
                            <div class="toast error" role="alert">
                                <p>{toast.message}</p>
                                <button class="toast-dismiss" type="button" on:click=move |_| toasts.dismiss(id)>
                                    "Dismiss"
                                </button>
                            </div>
                        }),
                    }
                }
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_and_a_server_failure_are_said_plainly() {
        assert!(describe(&AppError::new(0, "x")).starts_with("Cannot reach the server"));
        assert!(
            describe(&AppError::new(503, "Database unavailable."))
                .starts_with("Something went wrong")
        );
        assert_eq!(
            describe(&AppError::bad_request("A note cannot be empty.")),
            "A note cannot be empty."
        );
    }
}
