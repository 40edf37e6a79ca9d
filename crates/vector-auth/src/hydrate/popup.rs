//! Sign-in when the app is shown in another site's iframe, as Vector shows apps: the proxy cannot be shown in
//! the frame and a redirect of the whole page would leave the host, so the sign-in runs in a popup. The
//! popup's `/auth/callback` hands the token to the window that opened it (`postMessage`, to this origin only);
//! the frame takes it only from this origin and from the popup it opened, with the state it sent, exchanges
//! it for cookies in its own (partitioned) cookie jar and closes the popup.

use std::cell::{Cell, RefCell};

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::{adopt, announce_signed_in};
use crate::context::Auth;
use crate::server_fns::exchange_token;

/// Starts the `state` of a popup sign-in, so that the callback knows to hand the token over.
const STATE_PREFIX: &str = "popup-";
const MESSAGE_KIND: &str = "vector-auth:popup-token";
const WINDOW_NAME: &str = "vector-auth-sign-in";
const WINDOW_FEATURES: &str = "popup,width=480,height=720";

/// What the popup sends its opener.
#[derive(Serialize, Deserialize)]
struct Handover {
    kind: String,
    token: String,
    state: String,
}

/// The popup this frame opened, and the state its answer must carry.
struct Pending {
    popup: web_sys::Window,
    state: String,
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
    static LISTENING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this page is shown inside a frame (then a sign-in opens a popup).
pub fn is_framed() -> bool {
    let here = window();
    // A frame whose top it cannot even name is framed too.
    here.top()
        .ok()
        .flatten()
        .is_none_or(|top| !js_sys::Object::is(&top, &here))
}

pub fn is_popup_state(state: &str) -> bool {
    state.starts_with(STATE_PREFIX)
}

/// Opens the proxy's sign-in page (`url` without its state) in a popup, and waits for the token.
pub fn begin(auth: Auth, url_without_state: &str, random: String) {
    let state = format!("{STATE_PREFIX}{random}");
    let url = format!(
        "{url_without_state}&state={}",
        js_sys::encode_uri_component(&state)
    );
    match window().open_with_url_and_target_and_features(&url, WINDOW_NAME, WINDOW_FEATURES) {
        Ok(Some(popup)) => {
            auth.set_sign_in_error(None);
            PENDING.with_borrow_mut(|pending| *pending = Some(Pending { popup, state }));
            listen(auth);
        }
        _ => auth.set_sign_in_error(Some(
            "The sign-in window was blocked: allow pop-ups for this site and try again.".into(),
        )),
    }
}

fn listen(auth: Auth) {
    if LISTENING.replace(true) {
        return;
    }
    // For as long as the page lives: a later sign-in uses it again.
    let handle = window_event_listener(leptos::ev::message, move |event| receive(auth, event));
    std::mem::forget(handle);
}

/// A message to this frame: the token, if it comes from this origin, from the popup, with the state.
fn receive(auth: Auth, event: web_sys::MessageEvent) {
    let own_origin = window().location().origin().unwrap_or_default();
    if event.origin() != own_origin {
        return;
    }
    let Some(handover) = event
        .data()
        .as_string()
        .and_then(|text| serde_json::from_str::<Handover>(&text).ok())
        .filter(|handover| handover.kind == MESSAGE_KIND)
    else {
        return;
    };
    let Some(pending) = PENDING.with_borrow_mut(Option::take) else {
        return;
    };
    let from_popup = event
        .source()
        .is_some_and(|source| js_sys::Object::is(&source, &pending.popup));
    if !from_popup {
        // Another window of this origin: not the answer this frame waits for.
        PENDING.with_borrow_mut(|slot| *slot = Some(pending));
        return;
    }
    let _ = pending.popup.close();
    if handover.state != pending.state {
        auth.set_sign_in_error(Some(
            "This sign-in response does not belong to a sign-in started here (state mismatch)."
                .into(),
        ));
        return;
    }
    spawn_local(async move {
        match exchange_token(handover.token).await {
            Ok(session) => {
                adopt(auth, Some(session));
                announce_signed_in(auth);
            }
            Err(e) => auth.set_sign_in_error(Some(format!("Sign-in failed: {}", e.detail))),
        }
    });
}

/// In the popup, on `/auth/callback`: hands the token to the window that opened it, if that window shows this
/// origin (the browser delivers the message to no other). The opener closes the popup once it has it.
pub fn hand_over(token: String, state: String) -> Result<(), String> {
    let gone =
        || "The window that started this sign-in is gone: close this one and try again.".to_owned();
    let opener = window().opener().map_err(|_| gone())?;
    if opener.is_null() || opener.is_undefined() {
        return Err(gone());
    }
    let opener: web_sys::Window = opener.into();
    let own_origin = window().location().origin().unwrap_or_default();
    let message = serde_json::to_string(&Handover {
        kind: MESSAGE_KIND.into(),
        token,
        state,
    })
    .map_err(|e| e.to_string())?;
    opener
        .post_message(&JsValue::from_str(&message), &own_origin)
        .map_err(|_| gone())
}
