//! The browser side of the session: silent refresh, cross-tab sync and the sign-in redirects (a popup when the
//! app is framed: `popup`).
//!
//! The access token is refreshed ahead of its expiry, on return to a hidden tab, and once after a 401
//! (`with_refresh`). Only one tab refreshes at a time (a Web Lock, in `session_sync.js`); the others learn
//! the outcome, and sign-ins and sign-outs, over a BroadcastChannel.
//!
//! Times come from this browser's clock only: the server says how long a token has left, never when it
//! expires, so a clock minutes off changes nothing. And no tab refreshes twice within
//! `MIN_REFRESH_INTERVAL`, measured on the monotonic clock, whatever the wall clock does.

mod popup;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::context::Auth;
use super::return_path::{CALLBACK_PATH, safe_return_path};
use super::server_fns::{exchange_token, refresh_session};
use super::types::SessionInfo;
use vector_core::error::AppError;

const CHANNEL: &str = "vector-auth";
const LOCK: &str = "vector-auth-refresh";
/// Waiting longer than this for another tab's refresh means that tab is stuck: refresh anyway.
const LOCK_TIMEOUT_MS: u32 = 10_000;
/// The newest access-token expiry any tab got, so a tab that waited for the lock can skip its refresh.
const SHARED_EXPIRY: &str = "vector-auth:access-expires-at";
const STATE: &str = "vector-auth:state";
const RETURN_TO: &str = "vector-auth:return-to";
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(5);
const MIN_REFRESH_INTERVAL_MS: f64 = 1_000.0;
/// How often a change of session waiting for the page to finish hydrating checks whether it has.
const HYDRATION_POLL_MS: i32 = 10;
const HYDRATION_WAIT_MAX_MS: i32 = 10_000;

thread_local! {
    /// When this tab last asked the server for a refresh (`performance.now()`, milliseconds).
    static LAST_REFRESH: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
}

#[wasm_bindgen(module = "/src/hydrate/session_sync.js")]
extern "C" {
    #[wasm_bindgen(js_name = withLock)]
    fn with_lock(name: &str, timeout_ms: u32, task: &js_sys::Function) -> js_sys::Promise;
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Message {
    SignedIn { session: SessionInfo },
    Refreshed { session: SessionInfo },
    SignedOut,
}

fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Milliseconds on a clock that only moves forward, whatever the wall clock does.
fn monotonic_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Records a session the server just sent, with its expiry by this browser's clock.
fn adopt(auth: Auth, session: Option<SessionInfo>) {
    let expiry = session
        .as_ref()
        .and_then(|s| s.access_expires_in)
        .map(|seconds| now() as i64 + seconds);
    auth.set(session, expiry);
}

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn post(message: &Message) {
    if let (Ok(channel), Ok(text)) = (
        web_sys::BroadcastChannel::new(CHANNEL),
        serde_json::to_string(message),
    ) {
        let _ = channel.post_message(&JsValue::from_str(&text));
        channel.close();
    }
}

fn announce_signed_in(auth: Auth) {
    remember_expiry(auth);
    let Some(session) = auth.session_untracked() else {
        return;
    };
    post(&Message::SignedIn { session });
}

/// Tells the other tabs that this browser signed out.
pub fn announce_signed_out() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(SHARED_EXPIRY);
    }
    post(&Message::SignedOut);
}

/// Shares this tab's access-token expiry (by this browser's clock) with the other tabs.
fn remember_expiry(auth: Auth) {
    if let (Some(storage), Some(expiry)) = (local_storage(), untrack(|| auth.expires_at())) {
        let _ = storage.set_item(SHARED_EXPIRY, &expiry.to_string());
    }
}

/// Wires up the refresh timer, the hidden-tab check and the cross-tab channel. Runs once per page.
pub fn start(auth: Auth) {
    let toasts = vector_ui::use_toast();
    let shared = Owner::current_shared_context();
    let during_hydration = move || {
        shared
            .as_ref()
            .is_some_and(|shared| shared.during_hydration())
    };
    // Listen to the other tabs for as long as the page lives. Messages that come while a lazy route's code is
    // still on its way wait, in order, for the page to hydrate: the page must still match what the server sent.
    if let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) {
        let during_hydration = during_hydration.clone();
        let waiting = Rc::new(RefCell::new(None::<Vec<Message>>));
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let Some(message) = event
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<Message>(&text).ok())
                else {
                    return;
                };
                if let Some(queue) = waiting.borrow_mut().as_mut() {
                    queue.push(message);
                    return;
                }
                if !during_hydration() {
                    return from_another_tab(auth, toasts, message);
                }
                *waiting.borrow_mut() = Some(vec![message]);
                let (waiting, during_hydration) = (waiting.clone(), during_hydration.clone());
                spawn_local(async move {
                    hydrated(during_hydration).await;
                    let queue = waiting.borrow_mut().take().unwrap_or_default();
                    for message in queue {
                        from_another_tab(auth, toasts, message);
                    }
                });
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        std::mem::forget(channel);
    }

    // The session the page was rendered with: its expiry by this browser's clock, from the time the
    // server said was left (a moment ago).
    Effect::new(move |adopted: Option<bool>| {
        if adopted == Some(true) {
            return true;
        }
        let Some(session) = auth.session() else {
            return false;
        };
        if untrack(|| auth.expires_at()).is_none() {
            adopt(auth, Some(session));
        }
        true
    });

    // A page rendered without the session it could have (another site sent the browser here): refresh
    // once, when the whole page is hydrated. A lazy route's part is hydrated once its code has arrived, and
    // must still match the page as rendered, without the session.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let due = auth.awaits_first_refresh();
        if due {
            let during_hydration = during_hydration.clone();
            spawn_local(async move {
                hydrated(during_hydration).await;
                refresh_now(auth).await;
            });
        }
        due
    });

    // Refresh at three quarters of the access token's remaining life.
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let expiry = auth.expires_at();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        if let Some(expiry) = expiry {
            let delay = ((expiry as f64 - now()) * 0.75).max(1.0);
            let handle = set_timeout_with_handle(
                move || {
                    spawn_local(async move {
                        refresh_now(auth).await;
                    })
                },
                Duration::from_secs_f64(delay),
            );
            timer.set_value(handle.ok());
        }
    });

    // A hidden tab's timers are throttled: on return, refresh if the token is (nearly) due.
    let listener = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if document().visibility_state() != web_sys::VisibilityState::Visible {
            return;
        }
        let due = untrack(|| auth.expires_at()).is_some_and(|expiry| expiry as f64 - now() < 60.0);
        if due {
            spawn_local(async move {
                refresh_now(auth).await;
            });
        }
    });
    on_cleanup(move || listener.remove());
}

/// Calls a server function; if it answers 401, refreshes the session once and calls it again.
pub async fn with_refresh<T, F, Fut>(call: F) -> Result<T, AppError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let auth = use_context::<Auth>();
    let result = call().await;
    if let (Err(e), Some(auth)) = (&result, auth)
        && e.is_unauthorized()
        && refresh_now(auth).await
    {
        return call().await;
    }
    result
}

/// Refreshes the session unless another tab just did. Returns whether the user is signed in afterwards.
/// (The browser's futures are not `Send`; resources want `Send`, and a page has one thread anyway.)
fn refresh_now(auth: Auth) -> send_wrapper::SendWrapper<impl Future<Output = bool>> {
    send_wrapper::SendWrapper::new(refresh_locked(auth))
}

async fn refresh_locked(auth: Auth) -> bool {
    let known = untrack(|| auth.expires_at());
    let task = Closure::once_into_js(move || -> js_sys::Promise {
        future_to_promise(async move { Ok(JsValue::from_bool(refresh_in_lock(auth, known).await)) })
    });
    match JsFuture::from(with_lock(LOCK, LOCK_TIMEOUT_MS, task.unchecked_ref())).await {
        Ok(signed_in) => signed_in.as_bool().unwrap_or(false),
        Err(_) => false,
    }
}

async fn refresh_in_lock(auth: Auth, known: Option<i64>) -> bool {
    // Another tab refreshed while this one waited: adopt its result instead of refreshing again.
    let shared = local_storage()
        .and_then(|s| s.get_item(SHARED_EXPIRY).ok().flatten())
        .and_then(|v| v.parse::<i64>().ok());
    if let (Some(shared), Some(known)) = (shared, known)
        && shared > known
        && shared as f64 > now() + 1.0
    {
        if let Some(session) = auth.session_untracked() {
            auth.set(Some(session), Some(shared));
        }
        return true;
    }
    // However the timers fire and whatever the wall clock says: not twice in a moment.
    let started = monotonic_ms();
    if LAST_REFRESH
        .get()
        .is_some_and(|last| started - last < MIN_REFRESH_INTERVAL_MS)
    {
        return auth.session_untracked().is_some();
    }
    LAST_REFRESH.set(Some(started));
    match refresh_session().await {
        Ok(session) => {
            adopt(auth, Some(session.clone()));
            remember_expiry(auth);
            post(&Message::Refreshed { session });
            true
        }
        Err(e) if e.is_unauthorized() => {
            announce_signed_out();
            adopt(auth, None);
            false
        }
        Err(e) => {
            leptos::logging::warn!("session refresh failed, retrying shortly: {e}");
            set_timeout(
                move || {
                    spawn_local(async move {
                        refresh_now(auth).await;
                    })
                },
                RETRY_AFTER_ERROR,
            );
            auth.session_untracked().is_some()
        }
    }
}

/// 128 random bits in hex, for the sign-in `state`. `getRandomValues` is in every browser (`randomUUID` is
/// not, nor outside secure contexts).
fn random_state() -> Option<String> {
    let mut bytes = [0u8; 16];
    window()
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub use popup::is_framed;

/// Sends the browser to the auth proxy's sign-in page, to come back to `return_to` (a same-origin path); in a
/// frame, opens the sign-in page in a popup instead and stays where it is.
pub fn begin_sign_in(auth: Auth, login_url: &str, return_to: &str) {
    // Without randomness the state would be guessable: better no sign-in than a forgeable one.
    let Some(state) = random_state() else {
        leptos::logging::error!("sign-in: this browser offers no secure random numbers");
        return;
    };
    let origin = window().location().origin().unwrap_or_default();
    let redirect_uri = format!("{origin}{CALLBACK_PATH}");
    let separator = if login_url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{login_url}{separator}redirect_uri={}",
        js_sys::encode_uri_component(&redirect_uri)
    );
    if is_framed() {
        popup::begin(auth, &url, state);
        return;
    }
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(STATE, &state);
        let _ = storage.set_item(RETURN_TO, return_to);
    }
    let url = format!("{url}&state={}", js_sys::encode_uri_component(&state));
    let _ = window().location().assign(&url);
}

/// On `/auth/callback`: takes the token the proxy sent back, exchanges it and returns to the page the
/// sign-in started from. A failure goes to `error`; `return_to` is where "Try again" starts over from.
pub fn complete_sign_in(
    auth: Auth,
    toasts: vector_ui::Toasts,
    error: RwSignal<Option<String>>,
    return_to: RwSignal<String>,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
) {
    let params = take_callback_params();
    // The token leaves the address bar and the history, through the router so that its idea of the
    // location (which components read) holds no token either.
    navigate(
        CALLBACK_PATH,
        NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        },
    );
    return_to.set(params.return_to.clone());
    let Some(token) = params.token else {
        error.set(Some(
            "The sign-in response is incomplete: it carries no token.".into(),
        ));
        return;
    };
    // A popup a framed page opened: the token is the frame's to exchange.
    if let Some(state) = params.state.filter(|state| popup::is_popup_state(state)) {
        if let Err(message) = popup::hand_over(token, state) {
            error.set(Some(message));
        }
        return;
    }
    if !params.state_matches {
        error.set(Some(
            "This sign-in response does not belong to a sign-in started here (state mismatch)."
                .into(),
        ));
        return;
    }
    spawn_local(async move {
        match exchange_token(token).await {
            Ok(session) => {
                toasts.success(format!("Signed in as {}.", session.user.full_name));
                adopt(auth, Some(session));
                announce_signed_in(auth);
                navigate(
                    &params.return_to,
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
            Err(e) => error.set(Some(e.detail)),
        }
    });
}

/// What the proxy sent back to `/auth/callback`.
struct CallbackParams {
    token: Option<String>,
    state: Option<String>,
    state_matches: bool,
    return_to: String,
}

/// Reads the token and state from the address (fragment, else query) and checks the state against the one
/// this tab stored before the redirect.
fn take_callback_params() -> CallbackParams {
    let location = window().location();
    let hash = location.hash().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    let raw = if hash.len() > 1 { hash } else { search };
    let params = web_sys::UrlSearchParams::new_with_str(raw.trim_start_matches(['#', '?'])).ok();
    let get = |name: &str| {
        params
            .as_ref()
            .and_then(|p| p.get(name))
            .filter(|v| !v.is_empty())
    };
    let (token, state) = (get("token"), get("state"));
    let storage = session_storage();
    let stored = storage
        .as_ref()
        .and_then(|s| s.get_item(STATE).ok().flatten());
    let return_to = storage
        .as_ref()
        .and_then(|s| s.get_item(RETURN_TO).ok().flatten())
        .unwrap_or_else(|| "/".into());
    if let Some(storage) = &storage {
        let _ = storage.remove_item(STATE);
    }
    CallbackParams {
        token,
        state_matches: matches!((&state, &stored), (Some(s), Some(expected)) if s == expected),
        state,
        return_to: safe_return_path(&return_to),
    }
}

/// What another tab said about the session, applied to this one.
fn from_another_tab(auth: Auth, toasts: vector_ui::Toasts, message: Message) {
    match message {
        Message::SignedIn { session } | Message::Refreshed { session } => {
            adopt(auth, Some(session))
        }
        Message::SignedOut => {
            if auth.session_untracked().is_some() {
                toasts.success("Signed out in another tab.");
            }
            adopt(auth, None)
        }
    }
}

/// Resolves once the page has finished hydrating (at once when it has), or after `HYDRATION_WAIT_MAX_MS`: not
/// for ever, as a chunk that cannot load leaves the page unhydrated, and the session still counts.
async fn hydrated(during_hydration: impl Fn() -> bool) {
    let mut waited = 0;
    while waited < HYDRATION_WAIT_MAX_MS && during_hydration() {
        sleep(HYDRATION_POLL_MS).await;
        waited += HYDRATION_POLL_MS;
    }
}

/// Resolves after `ms` milliseconds (a timer: the browser gets on with loading meanwhile).
async fn sleep(ms: i32) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(timer).await;
}
