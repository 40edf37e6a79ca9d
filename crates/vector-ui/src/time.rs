//! Dates and times as the visitor's clock shows them.

use leptos::prelude::*;
use vector_core::fields;

/// A stored date and time (UTC, RFC 3339) in the visitor's own time zone: `2026-12-01 10:30`. The server, which
/// does not know the zone, renders it in UTC (`2026-12-01 09:30 UTC`); once the page has hydrated the browser shows
/// its local time, a change made after hydration rather than a mismatch with the rendered page.
#[component]
pub fn LocalDateTime(
    /// The date and time, UTC, RFC 3339.
    #[prop(into)]
    utc: String,
) -> impl IntoView {
    let shown = RwSignal::new(fields::datetime_for_display(&utc));
    let local = utc.clone();
    // Effects run in the browser only.
    Effect::new(move |_| shown.set(fields::datetime_local(&local)));
    view! { <time datetime=utc>{shown}</time> }
}
