//! The log: to standard output, filtered by `RUST_LOG` (default `info,sqlx=warn`), human-readable lines or one
//! JSON object per line (`LOG_FORMAT=json`, the request's fields in `span`).
//!
//! Lines are handed to a writer thread through a bounded queue (`LOG_BUFFER_LINES` of them), so that a slow or
//! stalled output (a full pipe, a slow disk) never holds up a request: when the queue is full a line is dropped
//! and counted (`log_lines_dropped_total` in the metrics) rather than waited for.

use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use vector_core::env::{ConfigError, Env};

/// Lines waiting for the writer before new ones are dropped.
const DEFAULT_BUFFER_LINES: u64 = 128_000;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Keeps the writer running; dropping it writes out what is queued (at the end of `main`).
#[must_use = "the log's writer stops when this is dropped"]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// Installs the process's log; once per process.
pub fn init_tracing() -> Result<LogGuard, ConfigError> {
    let env = Env::from_process();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = match env.get("LOG_FORMAT") {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => return Err(ConfigError::invalid("LOG_FORMAT", other, "text or json")),
    };
    let buffer = env.number("LOG_BUFFER_LINES", DEFAULT_BUFFER_LINES, 1_000..=10_000_000)?;
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(buffer as usize)
        .lossy(true)
        .thread_name("log-writer")
        .finish(std::io::stdout());
    let _ = DROPPED.set(writer.error_counter());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if json {
        subscriber
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        subscriber.init();
    }
    Ok(LogGuard(guard))
}

/// Lines dropped so far because the output could not keep up.
pub fn dropped_lines() -> u64 {
    DROPPED
        .get()
        .map_or(0, |counter| counter.dropped_lines() as u64)
}
