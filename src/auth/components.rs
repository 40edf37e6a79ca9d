//! The auth UI: the header's user menu, the `/auth/callback` page and `RequireUser` for protected pages.

use leptos::either::{Either, EitherOf3, EitherOf4};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::User;
use super::client::{Auth, begin_sign_in, sign_out};

/// A path and query, to come back to after signing in.
fn path_with_query(path: String, query: String) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.trim_start_matches('?'))
    }
}

/// "Sign in", or the signed-in user's menu; in dev mode, a badge naming the dev user.
#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = Auth::get();
    let location = use_location();
    let sign_in = move |_| {
        if let Some(login_url) = auth.login_url() {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            begin_sign_in(&login_url, &here);
        }
    };
    let navigate = use_navigate();
    let sign_out_click = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            sign_out(auth).await;
            navigate("/", Default::default());
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
                                <summary aria-label="Account">
                                    <Avatar user=user.clone()/>
                                    <span class="user-name" data-testid="user-name">{user.full_name.clone()}</span>
                                </summary>
                                <div class="menu">
                                    <p class="menu-name">{user.full_name.clone()}</p>
                                    <p class="menu-email" data-testid="user-email">{user.email.clone()}</p>
                                    {(!session.dev_mode).then(|| view! {
                                        <button class="button secondary" on:click=sign_out_click.clone()>"Sign out"</button>
                                    })}
                                </div>
                            </details>
                        </div>
                    })
                }
                None if auth.signed_out() => EitherOf3::B(view! {
                    <button class="button" on:click=sign_in>"Sign in"</button>
                }),
                None => EitherOf3::C(()),
            }}
        </Transition>
    }
}

#[component]
fn Avatar(user: User) -> impl IntoView {
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

/// Renders `children` for a signed-in user. A signed-out visitor is sent to sign in and brought back here.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let auth = Auth::get();
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    let here = move || path_with_query(pathname.get(), search.get());
    // Straight to the sign-in page when the page loads signed out; after a sign-out, wait for a click.
    Effect::new(move |_| {
        if auth.signed_out()
            && !auth.signed_out_since_load()
            && let Some(login_url) = auth.login_url()
        {
            begin_sign_in(&login_url, &here());
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
                            <button class="button" on:click=move |_| {
                                if let Some(login_url) = auth.login_url() {
                                    begin_sign_in(&login_url, &here());
                                }
                            }>"Sign in"</button>
                        </section>
                    })
                } else {
                    EitherOf4::D(())
                }
            }}
        </Transition>
    }
}

/// `/auth/callback`: where the auth proxy sends the browser back with `#token=…&state=…`.
#[component]
pub fn AuthCallback() -> impl IntoView {
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let auth = Auth::get();
    let error = RwSignal::new(None::<String>);
    let return_to = RwSignal::new("/".to_owned());
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let navigate = use_navigate();

    // Runs in the browser only: the server never sees the fragment.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let params = super::client::take_callback_params();
        return_to.set(params.return_to.clone());
        let Some(token) = params.token else {
            error.set(Some(
                "The sign-in response is incomplete: it carries no token.".into(),
            ));
            return;
        };
        if !params.state_matches {
            error.set(Some(
                "This sign-in response does not belong to a sign-in started here (state mismatch)."
                    .into(),
            ));
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match super::server_fns::exchange_token(token).await {
                Ok(session) => {
                    super::client::signed_in(auth, session);
                    navigate(
                        &params.return_to,
                        leptos_router::NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) => error.set(Some(e.detail)),
            }
        });
    });

    let retry = move |_| {
        if let Some(login_url) = Auth::get().login_url() {
            begin_sign_in(&login_url, &return_to.get_untracked());
        }
    };
    view! {
        {move || match error.get() {
            None => Either::Left(view! { <section class="card"><p class="status">"Signing you in…"</p></section> }),
            Some(message) => Either::Right(view! {
                <section class="card error" data-testid="sign-in-error">
                    <h1>"Sign-in failed"</h1>
                    <p>{message}</p>
                    <button class="button" on:click=retry>"Try again"</button>
                    " "
                    <a href="/">"Back to the home page"</a>
                </section>
            }),
        }}
    }
}
