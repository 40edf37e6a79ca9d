//! The example feature, and the model for your own: per-user notes.
//!
//! Server functions take the signed-in user from `require_user()` (`require_user_for_write()` for changes,
//! which counts them against the user's budget) and scope every query to them, so one user can neither see nor
//! delete another's notes. Unsafe calls (create, delete) pass the app-wide CSRF check. The list comes in pages
//! of `PAGE_SIZE`, newest first, with a cursor for the next. The page is wrapped in `RequireUser`, and its calls
//! go through `with_refresh` (one refresh after a 401; the list through `load_for_user`); its list and actions
//! are made in `NotesPage`, outside `RequireUser` (see there why): the list in `data`, which is in the first
//! download so that the list loads while the page's code arrives, the actions in `view`, in the page's chunk.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};
use serde::{Deserialize, Serialize};

use vector_auth::prelude::*;

pub const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub body: String,
}

/// Trims a note and checks it (`fields::text`); the message is shown in the form.
pub fn validate_note(body: &str) -> Result<String, AppError> {
    fields::text("A note", body, MAX_NOTE_CHARS)
}

/// A page of the signed-in user's notes, newest first: the first, or the one after `cursor`.
#[server]
pub async fn list_notes(cursor: Option<String>) -> Result<Page<Note>, AppError> {
    // The state first: the context is not available after an await.
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user().await?;
    let cursor = cursor.as_deref().map(Cursor::parse).transpose()?;
    let rows: Vec<(fields::Uuid, String, fields::OffsetDateTime)> = sqlx::query_as(
        "SELECT id, body, created_at FROM notes
         WHERE user_id = $1::uuid AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(&user.id)
    .bind(cursor.map(|c| c.at))
    .bind(cursor.map(|c| c.id))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&db)
    .await?;
    let page = Page::from_rows(rows, PAGE_SIZE, |(id, _, at)| Cursor::new(*at, *id));
    Ok(page.map(|(id, body, _)| Note {
        id: id.to_string(),
        body,
    }))
}

#[server]
pub async fn create_note(body: String) -> Result<Note, AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user_for_write().await?;
    let body = validate_note(&body)?;
    let (id,): (fields::Uuid,) =
        sqlx::query_as("INSERT INTO notes (user_id, body) VALUES ($1::uuid, $2) RETURNING id")
            .bind(&user.id)
            .bind(&body)
            .fetch_one(&db)
            .await?;
    Ok(Note {
        id: id.to_string(),
        body,
    })
}

#[server]
pub async fn delete_note(id: String) -> Result<(), AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user_for_write().await?;
    let id = fields::id("note", &id)?;
    let deleted = sqlx::query("DELETE FROM notes WHERE id = $1 AND user_id = $2::uuid")
        .bind(id)
        .bind(&user.id)
        .execute(&db)
        .await?;
    // Someone else's note is "not found" too: its existence is none of this user's business.
    if deleted.rows_affected() == 0 {
        return Err(AppError::new(404, "Note not found."));
    }
    Ok(())
}

/// The page, loaded on its own when the browser first goes to it (a lazy route): its list starts loading at
/// once (`data`, in the first download), while the code that shows it and changes it (`view`, with the calls it
/// makes) arrives in the page's own chunk.
pub struct NotesPage {
    notes: NotesResource,
    /// Counts the changes made on the page: the list loads again after each.
    changes: RwSignal<usize>,
}

#[lazy_route]
impl LazyRoute for NotesPage {
    fn data() -> Self {
        let auth = Auth::get();
        let changes = RwSignal::new(0);
        // Loaded again after each change and when the signed-in user changes.
        let notes = Resource::new(
            move || (auth.user_id(), changes.get()),
            move |_| load_for_user(auth, Page::default(), || list_notes(None)),
        );
        Self { notes, changes }
    }

    fn view(this: Self) -> AnyView {
        let NotesPage { notes, changes } = this;
        // The actions and the list are made out here, outside `RequireUser`: while the server renders a page,
        // what a `Transition` shows is built more than once, and a resource made in there would load once per
        // build.
        let create = Action::new(|body: &String| {
            let body = body.clone();
            async move { with_refresh(|| create_note(body.clone())).await }
        });
        let delete = Action::new(|id: &String| {
            let id = id.clone();
            async move { with_refresh(|| delete_note(id.clone())).await }
        });
        on_result(create, move |_| changes.update(|n| *n += 1));
        on_result(delete, move |_| changes.update(|n| *n += 1));
        view! {
            <RequireUser>
                <Notes create delete notes/>
            </RequireUser>
        }
        .into_any()
    }
}

type NotesResource = Resource<Result<Page<Note>, AppError>>;

#[component]
fn Notes(
    create: Action<String, Result<Note, AppError>>,
    delete: Action<String, Result<(), AppError>>,
    notes: NotesResource,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let toasts = use_toast();
    // Each outcome said (a refusal in the server's words); the form cleared once a note is saved.
    on_result(create, move |result| {
        toasts.report(result, "Note added.");
        if result.is_ok() {
            draft.set(String::new());
        }
    });
    on_result(delete, move |result| toasts.report(result, "Note deleted."));

    view! {
        <section class="card">
            <h1>"Your notes"</h1>
            <form class="note-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(draft.get_untracked());
            }>
                <label for="note-body">"New note"</label>
                <textarea
                    id="note-body"
                    name="body"
                    rows="3"
                    maxlength=MAX_NOTE_CHARS.to_string()
                    prop:value=draft
                    on:input=move |ev| draft.set(event_target_value(&ev))
                ></textarea>
                <button class="button" type="submit" disabled=create.pending()>"Add note"</button>
            </form>
            <Transition fallback=|| view! { <p class="status">"Loading notes…"</p> }>
                {move || notes.get().map(|result| match result {
                    Ok(first) if first.items.is_empty() => EitherOf3::A(view! { <p class="status" data-testid="no-notes">"No notes yet: add the first above."</p> }),
                    Ok(first) => EitherOf3::B(view! { <NoteList first delete/> }),
                    Err(e) => EitherOf3::C(view! { <p class="form-error" role="alert">{e.detail}</p> }),
                })}
            </Transition>
        </section>
    }
}

/// The notes: the first page, then each page "Show more" loads after it.
#[component]
fn NoteList(first: Page<Note>, delete: Action<String, Result<(), AppError>>) -> impl IntoView {
    let more = RwSignal::new(Vec::<Note>::new());
    let next = RwSignal::new(first.next.clone());
    let load_more = Action::new(|cursor: &String| {
        let cursor = cursor.clone();
        async move { with_refresh(|| list_notes(Some(cursor.clone()))).await }
    });
    let toasts = use_toast();
    on_result(load_more, move |result| match result {
        Ok(page) => {
            more.update(|notes| notes.extend(page.items.clone()));
            next.set(page.next.clone());
        }
        Err(e) => toasts.failure(e),
    });
    let item = move |note: Note| {
        let id = note.id.clone();
        view! {
            <li class="note">
                <span class="note-body">{note.body}</span>
                <button class="button secondary small" on:click=move |_| { delete.dispatch(id.clone()); }>
                    "Delete"
                </button>
            </li>
        }
    };
    view! {
        <ul class="notes" data-testid="notes">
            {first.items.into_iter().map(item).collect_view()}
            {move || more.get().into_iter().map(item).collect_view()}
        </ul>
        <Show when=move || next.with(Option::is_some)>
            <button class="button secondary" data-testid="more-notes" disabled=load_more.pending()
                on:click=move |_| { if let Some(cursor) = next.get_untracked() { load_more.dispatch(cursor); } }>
                "Show more"
            </button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(validate_note("  hello ").unwrap(), "hello");
        assert_eq!(validate_note("   ").unwrap_err().status, 400);
        assert!(
            validate_note(&"é".repeat(MAX_NOTE_CHARS)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            validate_note(&"a".repeat(MAX_NOTE_CHARS + 1))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(validate_note("a\0b").unwrap_err().status, 400);
    }
}
