//! `/account`: the signed-in user's profile as the proxy sent it, their sessions, with buttons to end one, all
//! others, or all (which signs this browser out too), and their recent activity.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::{LazyRoute, lazy_route};

use super::components::{Avatar, RequireUser, load_for_user};
use super::context::Auth;
use super::hydrate::{self, with_refresh};
use super::server_fns::{
    end_all_sessions, end_other_sessions, end_session, list_sessions, load_account,
};
use super::types::{AccountOverview, ActivityEvent, SessionRecord};
use vector_core::error::AppError;
use vector_core::paging::Page;
use vector_ui::{LocalDateTime, on_result, use_toast};

/// `/account`: the user's profile, their sessions with buttons to end them, and their recent activity. A
/// signed-out visitor is sent to sign in first. A lazy route: its code arrives when the browser first goes to it,
/// while its data (`data`) loads.
pub struct AccountPage {
    end_one: Action<String, Result<(), AppError>>,
    end_others: Action<(), Result<usize, AppError>>,
    account: Resource<Result<Option<AccountOverview>, AppError>>,
}

#[lazy_route]
impl LazyRoute for AccountPage {
    fn data() -> Self {
        // Created here, outside `RequireUser` (see the notes page).
        let auth = Auth::get();
        let end_one = Action::new(|id: &String| {
            let id = id.clone();
            async move { with_refresh(|| end_session(id.clone())).await }
        });
        let end_others =
            Action::new(|_: &()| async move { with_refresh(end_other_sessions).await });
        // Sessions and activity in one call: each server function and resource adds to the browser's bundle.
        let account = Resource::new(
            move || {
                (
                    auth.user_id(),
                    end_one.version().get(),
                    end_others.version().get(),
                )
            },
            move |_| load_for_user(auth, None, || async { load_account().await.map(Some) }),
        );
        Self {
            end_one,
            end_others,
            account,
        }
    }

    fn view(this: Self) -> AnyView {
        let AccountPage {
            end_one,
            end_others,
            account,
        } = this;
        view! {
            <RequireUser>
                <Profile/>
                <Transition fallback=|| view! { <section class="card"><p class="status">"Loading…"</p></section> }>
                    {move || account.get().map(|result| match result {
                        Ok(Some(account)) => EitherOf3::A(view! {
                            <Sessions sessions=account.sessions end_one end_others/>
                            <Activity events=account.activity/>
                        }),
                        Ok(None) => EitherOf3::B(()),
                        Err(e) => EitherOf3::C(view! {
                            <section class="card"><p class="form-error" role="alert">{e.detail}</p></section>
                        }),
                    })}
                </Transition>
            </RequireUser>
        }
        .into_any()
    }
}

#[component]
fn Profile() -> impl IntoView {
    let auth = Auth::get();
    move || {
        auth.session().map(|session| {
            let user = session.user;
            view! {
                <section class="card profile">
                    <Avatar user=user.clone()/>
                    <div>
                        <h1 data-testid="profile-name">{user.full_name.clone()}</h1>
                        <p class="status">{user.email.clone()}</p>
                    </div>
                </section>
            }
        })
    }
}

#[component]
fn Sessions(
    sessions: Page<SessionRecord>,
    end_one: Action<String, Result<(), AppError>>,
    end_others: Action<(), Result<usize, AppError>>,
) -> impl IntoView {
    let auth = Auth::get();
    let toasts = use_toast();
    on_result(end_one, move |result| {
        toasts.report(result, "Session ended: that device is signed out.")
    });
    on_result(end_others, move |result| {
        let ended = result.as_ref().map_or(0, |count| *count);
        let plural = if ended == 1 { "" } else { "s" };
        toasts.report(result, format!("Signed out {ended} other session{plural}."));
    });
    // The pages after the first, as "Show more" loads them.
    let more = RwSignal::new(Vec::<SessionRecord>::new());
    let next = RwSignal::new(sessions.next.clone());
    let load_more = Action::new(|cursor: &String| {
        let cursor = cursor.clone();
        async move { with_refresh(|| list_sessions(Some(cursor.clone()))).await }
    });
    let navigate = use_navigate();
    // Everywhere, this browser included: sign out here and tell the other tabs, as "Sign out" does.
    let end_all = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result = with_refresh(end_all_sessions).await;
            toasts.report(&result, "Signed out everywhere.");
            if result.is_ok() {
                auth.set(None, None);
                hydrate::announce_signed_out();
                navigate("/", Default::default());
            }
        });
    };
    on_result(load_more, move |result| match result {
        Ok(page) => {
            more.update(|items| items.extend(page.items.clone()));
            next.set(page.next.clone());
        }
        Err(e) => toasts.failure(e),
    });

    view! {
        <section class="card">
            <h2>"Where you are signed in"</h2>
            {if sessions.items.is_empty() {
                Either::Left(view! { <p class="status">"No sessions: in dev mode you are signed in without one."</p> })
            } else {
                Either::Right(view! {
                    <ul class="sessions" data-testid="sessions">
                        {sessions.items.into_iter().map(|session| view! { <SessionItem session end_one/> }).collect_view()}
                        {move || more.get().into_iter().map(|session| view! { <SessionItem session end_one/> }).collect_view()}
                    </ul>
                })
            }}
            <Show when=move || next.with(Option::is_some)>
                <button class="button secondary small" disabled=load_more.pending()
                    on:click=move |_| { if let Some(cursor) = next.get_untracked() { load_more.dispatch(cursor); } }>
                    "Show more sessions"
                </button>
            </Show>
            <div class="session-actions">
                <button class="button secondary" on:click=move |_| { end_others.dispatch(()); } disabled=end_others.pending()>
                    "Sign out other sessions"
                </button>
                <button class="button" on:click=end_all>"Sign out everywhere"</button>
            </div>
        </section>
    }
}

#[component]
fn SessionItem(
    session: SessionRecord,
    end_one: Action<String, Result<(), AppError>>,
) -> impl IntoView {
    let id = session.id.clone();
    let address = if session.ip_address.is_empty() {
        "unknown address".to_owned()
    } else {
        session.ip_address.clone()
    };
    view! {
        <li class="session" data-testid="session">
            <div class="session-device">
                <strong title=session.user_agent.clone()>{session.device.clone()}</strong>
                {session.current.then(|| view! { <span class="badge">"This device"</span> })}
            </div>
            <p class="session-meta">
                {address} " · signed in " <LocalDateTime utc=session.started_at.clone()/>
                " · last active " <LocalDateTime utc=session.last_active_at.clone()/>
            </p>
            {(!session.current).then(|| view! {
                <button class="button secondary small" on:click=move |_| { end_one.dispatch(id.clone()); }>"End"</button>
            })}
        </li>
    }
}

#[component]
fn Activity(events: Vec<ActivityEvent>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Recent activity"</h2>
            {events.is_empty().then(|| view! {
                <p class="status" data-testid="no-activity">"No activity yet: sign-ins and sign-outs will show here."</p>
            })}
            <ul class="activity" data-testid="activity">
                {events.into_iter().map(|event| view! {
                    <li>
                        <strong>{event.description}</strong>
                        <span class="session-meta">
                            {event.device} " · " {event.ip_address} " · " <LocalDateTime utc=event.at.clone()/>
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
