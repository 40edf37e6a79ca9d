//! The auth UI: the header's user menu, the `/auth/callback` page, `RequireUser` for protected pages, and
//! `AuthRoutes`, the platform's pages for the app's `<Routes>`.

use leptos::either::{Either, EitherOf3, EitherOf4};
use leptos::prelude::*;
use leptos_router::components::{A, Route};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{Lazy, MatchNestedRoutes, SsrMode, path};

use super::account::AccountPage;
use super::context::Auth;
use super::hydrate;
use super::return_path::{path_with_query, safe_return_path};
use super::server_fns::logout;
use super::types::User;
use vector_core::error::AppError;
use vector_ui::{ThemeMenu, ThemeToggle, use_toast};

/// Creates the auth context for the whole app and, in the browser, starts the silent refresh and the
/// cross-tab sync. Call once, in `App`.
pub fn provide_auth() -> Auth {
    let auth = Auth::new();
    hydrate::start(auth);
    auth
}

/// Sends the browser to the auth proxy's sign-in page, to come back to `return_to` (in a frame: opens it in a
/// popup). Does nothing in dev mode, where there is no proxy.
fn sign_in(auth: Auth, return_to: &str) {
    if let Some(login_url) = auth.login_url() {
        hydrate::begin_sign_in(auth, &login_url, &safe_return_path(return_to));
    }
}

/// The page the browser is on (path and query). Reactive.
fn current_page() -> impl Fn() -> String + Copy {
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    move || path_with_query(pathname.get(), search.get())
}

/// Signs out here and in every other tab. When the server could not end the session, nothing changes and
/// the error says why: the user is still signed in, and can try again.
async fn sign_out(auth: Auth) -> Result<(), AppError> {
    logout().await?;
    auth.set(None, None);
    hydrate::announce_signed_out();
    Ok(())
}

/// "Sign in", coming back to this page.
#[component]
fn SignInButton() -> impl IntoView {
    let auth = Auth::get();
    let here = current_page();
    view! { <button class="button" on:click=move |_| untrack(|| sign_in(auth, &here()))>"Sign in"</button> }
}

/// "Sign in" and the theme, or the signed-in user's menu (with the theme); in dev mode, a badge naming the dev
/// user. Signing out says so, and so does a sign-out that failed (the user stays signed in).
#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let toasts = use_toast();
    let sign_out_click = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match sign_out(auth).await {
                Ok(()) => {
                    toasts.success("Signed out.");
                    navigate("/", Default::default());
                }
                Err(e) => toasts.error(format!("Sign-out failed: {}", e.detail)),
            }
        });
    };

    view! {
        <Transition fallback=|| ()>
            {move || match auth.session() {
                Some(session) => {
                    let user = session.user.clone();
                    EitherOf3::A(view! {
                        <div class="user-area">
                            {session.dev_mode.then(|| view! {
                                <span class="badge" data-testid="dev-badge" title="No auth proxy is configured">
                                    "Dev mode · " {user.email.clone()}
                                </span>
                            })}
                            <details class="user-menu">
                                // Named by what it shows, then what it is (an aria-label would hide the name shown).
                                <summary>
                                    <Avatar user=user.clone()/>
                                    <span class="user-name" data-testid="user-name">{user.full_name.clone()}</span>
                                    <span class="visually-hidden">" account menu"</span>
                                </summary>
                                <div class="menu">
                                    <p class="menu-name">{user.full_name.clone()}</p>
                                    <p class="menu-email" data-testid="user-email">{user.email.clone()}</p>
                                    <A href="/account">"Your account"</A>
                                    <ThemeToggle/>
                                    {(!session.dev_mode).then(|| view! {
                                        <button class="button secondary" on:click=sign_out_click.clone()>"Sign out"</button>
                                    })}
                                </div>
                            </details>
                        </div>
                    })
                }
                None if auth.signed_out() => EitherOf3::B(view! {
                    <div class="user-area">
                        {move || auth.sign_in_error().map(|message| view! {
                            <p class="form-error" role="alert" data-testid="popup-sign-in-error">{message}</p>
                        })}
                        <ThemeMenu/>
                        <SignInButton/>
                    </div>
                }),
                None => EitherOf3::C(()),
            }}
        </Transition>
    }
}

#[component]
pub(super) fn Avatar(user: User) -> impl IntoView {
    if user.picture.is_empty() {
        let initials: String = [&user.first_name, &user.last_name]
            .iter()
            .filter_map(|name| name.chars().next())
            .chain(
                user.first_name
                    .is_empty()
                    .then(|| user.email.chars().next())
                    .flatten(),
            )
            .flat_map(char::to_uppercase)
            .take(2)
            .collect();
        Either::Left(view! { <span class="avatar initials" aria-hidden="true">{initials}</span> })
    } else {
        Either::Right(
            view! { <img class="avatar" src=user.picture alt="" referrerpolicy="no-referrer"/> },
        )
    }
}

/// Loads the signed-in user's data for a page's resource: `call` through `with_refresh`, or `signed_out`
/// without a call when nobody is signed in. Decided here, when loading, not from the resource's key (key it on
/// `Auth::user_id` and its own changes): while the server renders, the session may still be loading when the
/// resource starts, and a value decided from that would be empty and sent to the browser as such.
pub async fn load_for_user<T, F, Fut>(auth: Auth, signed_out: T, call: F) -> Result<T, AppError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    if untrack(|| auth.signed_out()) {
        Ok(signed_out)
    } else {
        hydrate::with_refresh(call).await
    }
}

/// Renders `children` for a signed-in user. A signed-out visitor is sent to sign in and brought back here.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let auth = Auth::get();
    let here = current_page();
    // Straight to the sign-in page when the page loads signed out; after a sign-out, wait for a click. In a
    // frame, always wait: the sign-in opens a popup, which browsers allow only on a click.
    Effect::new(move |_| {
        if auth.signed_out() && !auth.signed_out_since_load() && !hydrate::is_framed() {
            sign_in(auth, &here());
        }
    });
    let children = StoredValue::new(children);

    view! {
        <Transition fallback=|| view! { <p class="status">"Loading…"</p> }>
            {move || {
                if auth.session().is_some() {
                    EitherOf4::A(children.read_value()())
                } else if let Some(error) = auth.status_error() {
                    EitherOf4::B(view! { <section class="card error"><h1>"Something went wrong"</h1><p>{error.detail}</p></section> })
                } else if auth.signed_out() {
                    EitherOf4::C(view! {
                        <section class="card">
                            <h1>"Sign in to continue"</h1>
                            <p>"This page is only for signed-in users."</p>
                            <SignInButton/>
                        </section>
                    })
                } else {
                    EitherOf4::D(())
                }
            }}
        </Transition>
    }
}

/// The platform's pages, placed inside the app's `<Routes>`: the account page (`/account`: profile, sessions,
/// activity) and the page the auth proxy sends the browser back to (`/auth/callback`).
#[component(transparent)]
pub fn AuthRoutes() -> impl MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/account") view={Lazy::<AccountPage>::new()} ssr=SsrMode::Async/>
        <Route path=path!("/auth/callback") view=AuthCallback/>
    }
    .into_inner()
}

/// `/auth/callback`, where the auth proxy sends the browser back with `#token=…&state=…`: exchanges the token
/// and returns to the page the sign-in started
/// from; on failure, says why and offers to try again.
#[component]
pub fn AuthCallback() -> impl IntoView {
    let auth = Auth::get();
    let error = RwSignal::new(None::<String>);
    let return_to = RwSignal::new("/".to_owned());
    let navigate = use_navigate();
    let toasts = use_toast();
    // Effects run in the browser only: the server never sees the fragment.
    Effect::new(move |_| {
        hydrate::complete_sign_in(auth, toasts, error, return_to, navigate.clone())
    });

    view! {
        {move || match error.get() {
            None => Either::Left(view! { <section class="card"><p class="status">"Signing you in…"</p></section> }),
            Some(message) => Either::Right(view! {
                <section class="card error" data-testid="sign-in-error">
                    <h1>"Sign-in failed"</h1>
                    <p>{message}</p>
                    <button class="button" on:click=move |_| sign_in(auth, &return_to.get_untracked())>"Try again"</button>
                    " "
                    <a href="/">"Back to the home page"</a>
                </section>
            }),
        }}
    }
}
