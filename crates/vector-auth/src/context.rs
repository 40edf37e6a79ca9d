//! The browser's view of the session, shared by every component: the `Auth` context.
//!
//! The server renders the first page with the session it sees (`session_status`, a blocking resource, so a
//! signed-in user never sees a signed-out flash). In the browser, sign-ins, sign-outs, refreshes and the
//! other tabs' news (`hydrate`) update it.

use leptos::prelude::*;

use super::server_fns::session_status;
use super::types::{AuthStatus, SessionInfo};
use vector_core::error::AppError;

/// The session as this page knows it: who is signed in, when their access token expires, and why a sign-in
/// failed. Provided to every component by `provide_auth`; cheap to copy.
#[derive(Clone, Copy)]
pub struct Auth {
    status: Resource<Result<AuthStatus, AppError>>,
    /// Who the browser learnt is signed in since the page loaded (sign-in, sign-out); wins over `status`.
    local: RwSignal<Option<Option<SessionInfo>>>,
    /// When the access token expires by this browser's clock (Unix seconds), worked out in the browser from
    /// the time the server said it had left. Kept apart from `local` so that a refresh, which changes only
    /// this, re-renders nothing (a protected page would otherwise lose what the user was typing).
    expiry: RwSignal<Option<i64>>,
    /// Why the last sign-in started on this page did not complete (a framed app's popup sign-in).
    sign_in_error: RwSignal<Option<String>>,
}

impl Auth {
    /// Creates the context for the whole app (see `provide_auth`).
    pub(super) fn new() -> Self {
        let auth = Self {
            status: Resource::new_blocking(|| (), |_| session_status()),
            local: RwSignal::new(None),
            expiry: RwSignal::new(None),
            sign_in_error: RwSignal::new(None),
        };
        provide_context(auth);
        auth
    }

    /// The app's `Auth`, from the context; panics outside the tree where `provide_auth` was called.
    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// The current session, if signed in. Reactive; `None` while the status loads. A refresh does not
    /// change it: its `access_expires_in` is the one seen at sign-in or page load (see [`Auth::expires_at`]).
    pub fn session(&self) -> Option<SessionInfo> {
        match self.local.get() {
            Some(local) => local,
            None => self
                .status
                .get()
                .and_then(Result::ok)
                .and_then(|s| s.session),
        }
    }

    /// Who is signed in, as a resource's key: a resource keyed on it loads again when another user signs in
    /// (here or in another tab) and when a page rendered without the session gets it. Reactive.
    pub fn user_id(&self) -> Option<String> {
        self.session().map(|session| session.user.id)
    }

    pub(super) fn session_untracked(&self) -> Option<SessionInfo> {
        untrack(|| self.session())
    }

    /// True once the status has loaded and says nobody is signed in (and no refresh is about to say
    /// otherwise).
    pub fn signed_out(&self) -> bool {
        match self.local.get() {
            Some(local) => local.is_none(),
            None => self.loaded_signed_out() == Some(false),
        }
    }

    /// True while the page, rendered without the session, waits for the browser's first refresh.
    pub fn awaits_first_refresh(&self) -> bool {
        self.local.get().is_none() && self.loaded_signed_out() == Some(true)
    }

    /// When the page's status has loaded and says nobody is signed in: whether a refresh may change that.
    fn loaded_signed_out(&self) -> Option<bool> {
        match self.status.get() {
            Some(Ok(AuthStatus {
                session: None,
                may_refresh,
                ..
            })) => Some(may_refresh),
            _ => None,
        }
    }

    /// True when the user signed out (here or in another tab) after this page loaded.
    pub fn signed_out_since_load(&self) -> bool {
        matches!(self.local.get(), Some(None))
    }

    /// The auth proxy's sign-in page; `None` in dev mode and while the status loads. Reactive.
    pub fn login_url(&self) -> Option<String> {
        self.status
            .get()
            .and_then(Result::ok)
            .and_then(|s| s.login_url)
    }

    /// The error that kept the status from loading (for example, the database is down).
    pub fn status_error(&self) -> Option<AppError> {
        self.status.get().and_then(Result::err)
    }

    /// Why the last sign-in started on this page failed, if it did. Reactive.
    pub fn sign_in_error(&self) -> Option<String> {
        self.sign_in_error.get()
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn set_sign_in_error(&self, error: Option<String>) {
        self.sign_in_error.set(error);
    }

    /// When the current access token expires by this browser's clock (Unix seconds), refreshes included;
    /// `None` on the server and until the browser has worked it out. Reactive.
    pub fn expires_at(&self) -> Option<i64> {
        self.session()?;
        self.expiry.get()
    }

    /// Records who is signed in now (`None`: nobody) and when their access token expires by this browser's
    /// clock. The same user again only updates the expiry.
    pub(super) fn set(&self, session: Option<SessionInfo>, expiry: Option<i64>) {
        self.expiry.set(expiry);
        let same_user = self
            .session_untracked()
            .zip(session.as_ref())
            .is_some_and(|(old, new)| old.user == new.user && old.dev_mode == new.dev_mode);
        if !same_user {
            self.local.set(Some(session));
        }
    }
}
