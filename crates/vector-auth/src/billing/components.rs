//! `RequireEntitlement`: a page, or a part of one, for users whose subscription allows it.

use leptos::either::EitherOf4;
use leptos::prelude::*;

use super::server_fns::get_entitlements;
use super::types::{Entitlements, PLATFORM};
use crate::{Auth, RequireUser, with_refresh};

/// Renders `children` for a signed-in user whose entitlement `kind` (default `platform`: access to the app) is
/// allowed; otherwise says so, with Vector's link to get access when it sent one. It signs the visitor in
/// first, as `RequireUser` does: use it in place of `RequireUser`, not inside it.
///
/// It only decides what the page shows: a server function that serves what subscribers get must check on
/// the server too, with `require_entitlement`.
#[component]
pub fn RequireEntitlement(
    #[prop(into, default = PLATFORM.into())] kind: String,
    children: ChildrenFn,
) -> impl IntoView {
    // Created here, outside `RequireUser`: the server builds what a `Transition` shows more than once per
    // render, and a resource created in there would ask once per build.
    let auth = Auth::get();
    let entitlements = Resource::new(
        move || auth.session().map(|session| session.user.id),
        |user| async move {
            match user {
                Some(_) => with_refresh(get_entitlements).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let kind = StoredValue::new(kind);
    let children = StoredValue::new(children);

    view! {
        <RequireUser>
            <Transition fallback=|| view! { <p class="status">"Checking your access…"</p> }>
                {move || entitlements.get().map(|result| match result {
                    Ok(Some(answer)) if answer.allows(&kind.read_value()) => {
                        EitherOf4::A(children.read_value()())
                    }
                    Ok(Some(answer)) => EitherOf4::B(view! { <NotEntitled answer kind=kind.get_value()/> }),
                    Ok(None) => EitherOf4::C(()),
                    Err(e) => EitherOf4::D(view! {
                        <section class="card error"><h1>"Something went wrong"</h1><p>{e.detail}</p></section>
                    }),
                })}
            </Transition>
        </RequireUser>
    }
}

#[component]
fn NotEntitled(answer: Entitlements, kind: String) -> impl IntoView {
    let link = answer.get(&kind).and_then(|e| e.redirect_link.clone());
    let reason = if answer.is_fallback() {
        "Your access could not be confirmed just now. Try again in a moment."
    } else {
        "Your plan does not include this page."
    };
    view! {
        <section class="card" data-testid="entitlement-required">
            <h1>"A subscription is needed"</h1>
            <p>{reason}</p>
            {link.map(|href| view! { <a class="button" href=href data-testid="entitlement-link">"See plans"</a> })}
        </section>
    }
}
