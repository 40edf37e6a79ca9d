//! The accept loop: HTTP/1.1 on a TCP listener (as `axum::serve` without its `http2` feature), with the
//! limits `axum::serve` lacks. HTTP/2 and TLS belong to the load balancer in front.
//!
//! A request's body is read in full first (at most `MAX_BODY_BYTES`, else 413), holding no permit: it is cut
//! off (408) when it pauses longer than the body timeout or takes longer than the request timeout in all, and
//! a client that sends it slowly keeps busy only its own connection. Then the request is turned away with 503
//! at once when `MAX_CONCURRENT_REQUESTS` are already being served, and gets 503 when it takes longer than the
//! request timeout. One client address holds at most `MAX_CONNECTIONS_PER_CLIENT` connections (trusted
//! proxies, which carry many clients, are not counted); past it, a new connection is closed at once. These sit
//! here, around the router, rather than as router layers: every layer of the router is cloned for each
//! request, and the counts have to be one for the whole server, not one per route.
//!
//! Each connection has a clock, as Go's `net/http` does: while it waits for a request it may stay idle for
//! the keep-alive timeout; from the first byte of a request its headers must be complete within the
//! header-read timeout, however slowly they trickle; while a request is being served neither applies.
//! On shutdown the listener closes, idle connections close at once, requests in progress get the
//! shutdown timeout to finish, and whatever is left is cut.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::config::ServerLimits;
use vector_core::AppError;
use vector_core::error::is_body_timeout;

/// The largest request body read: what server functions may send (the sign-in's own limit is smaller). A
/// larger one answers 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until `shutdown` completes, then drains the connections within
/// `limits.shutdown_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The connection clock below times headers instead: hyper's timeout also cuts idle connections.
        .header_read_timeout(None)
        // Answered with 431.
        .max_header_size(limits.max_header_bytes);
    let builder = Arc::new(builder);
    let requests = Arc::new(Semaphore::new(limits.max_concurrent_requests));
    let limits = Arc::new(limits);
    let per_client = ConnectionsPerClient::new(limits.max_connections_per_client);
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let counted = if limits.trusted_proxies.trusts(peer.ip()) {
                        None
                    } else {
                        match per_client.open(peer.ip()) {
                            Some(counted) => Some(counted),
                            // Closed at once: it holds nothing.
                            None => {
                                metrics::counter!("http_connections_refused_total").increment(1);
                                tracing::debug!(%peer, "too many connections from one address: closing a new one");
                                continue;
                            }
                        }
                    };
                    let connection = serve_connection(
                        stream,
                        peer,
                        router.clone(),
                        builder.clone(),
                        limits.clone(),
                        requests.clone(),
                        stopped.clone(),
                    );
                    connections.spawn(async move {
                        connection.await;
                        drop(counted);
                    });
                }
                // Out of file descriptors, or a connection reset before it was accepted: keep serving.
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "shutdown timeout reached: cutting the connections still open"
        );
    }
    // Dropping the set aborts what is left.
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    builder: Arc<http1::Builder>,
    limits: Arc<ServerLimits>,
    requests: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
) {
    // Responses go out as soon as they are written: without this, small responses on a reused connection
    // wait for the client's delayed ACK (Nagle's algorithm).
    let _ = stream.set_nodelay(true);
    let clock = Arc::new(ConnectionClock::new());
    let service = {
        let (clock, limits) = (clock.clone(), limits.clone());
        tower::service_fn(move |mut request: Request<Incoming>| {
            // What axum's `ConnectInfo` extractor reads: the sign-in rate limit counts by it.
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_flight = clock.request_started();
            let response = serve_request(request, router.clone(), limits.clone(), requests.clone());
            async move {
                let response = response.await;
                drop(in_flight);
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let io = TokioIo::new(ClockedIo {
        inner: stream,
        clock: clock.clone(),
    });
    let connection = builder
        .serve_connection(io, TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(connection);

    let mut closing = false;
    loop {
        // Woken at the current phase's deadline, or sooner: phases change without waking this task (that
        // would cost a wake-up per request), so it looks again at least once per header-read timeout,
        // which is soon enough to cut headers that started arriving since it last looked.
        let recheck = Instant::now() + limits.header_read_timeout;
        let wake = clock
            .deadline(&limits)
            .map_or(recheck, |(at, _)| at.min(recheck));
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                return;
            }
            () = sleep_until(wake) => {
                let expired = clock
                    .deadline(&limits)
                    .filter(|(at, _)| *at <= Instant::now())
                    .map(|(_, expired)| expired);
                match expired {
                    Some(Expired::Headers) => {
                        tracing::debug!(%peer, "request headers not received in time: closing the connection");
                        return;
                    }
                    // Idle too long: closed at once, or, when a response is stuck because the client does
                    // not read it, cut if still there after another keep-alive timeout.
                    Some(Expired::KeepAlive) if closing => return,
                    Some(Expired::KeepAlive) => {
                        closing = true;
                        clock.restart_idle_timer();
                        connection.as_mut().graceful_shutdown();
                    }
                    None => {}
                }
            }
            _ = stopped.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// One request through the router, within the request limits: its body read first, then a permit taken.
async fn serve_request(
    request: Request<Incoming>,
    router: Router,
    limits: Arc<ServerLimits>,
    requests: Arc<Semaphore>,
) -> Response {
    let request = match read_body(request, &limits).await {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let Ok(_permit) = requests.try_acquire_owned() else {
        let error = AppError::unavailable("The server is busy. Try again shortly.");
        return ([(RETRY_AFTER, "1")], error).into_response();
    };
    match tokio::time::timeout(limits.request_timeout, router.oneshot(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(infallible)) => match infallible {},
        Err(_) => AppError::unavailable("The server took too long to answer.").into_response(),
    }
}

/// The request with its body read in full: 413 past `MAX_BODY_BYTES`, 408 when it pauses longer than the body
/// timeout or takes longer than the request timeout, 400 when the client broke it off.
async fn read_body(request: Request<Incoming>, limits: &ServerLimits) -> Result<Request, AppError> {
    let (parts, body) = request.into_parts();
    let body = Body::new(TimeoutBody::new(limits.body_read_timeout, body));
    let read = tokio::time::timeout(
        limits.request_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    );
    let bytes = match read.await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) if is_body_timeout(&error) => return Err(body_timeout()),
        Ok(Err(error)) if is_length_limit(&error) => {
            return Err(AppError::new(413, "The request body is too large."));
        }
        Ok(Err(_)) => return Err(AppError::bad_request("The request body could not be read.")),
        Err(_) => return Err(body_timeout()),
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn body_timeout() -> AppError {
    AppError::new(408, "The request body did not arrive in time.")
}

/// Whether a body could not be read because it is larger than the limit.
fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source())
        .any(|e| e.is::<http_body_util::LengthLimitError>())
}

/// How many connections each client address holds open, against `MAX_CONNECTIONS_PER_CLIENT`.
#[derive(Clone)]
struct ConnectionsPerClient {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ConnectionsPerClient {
    fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// Counts a new connection from `ip`, until the guard is dropped; `None` when the address holds its
    /// maximum already (never when the maximum is 0: no limit).
    fn open(&self, ip: IpAddr) -> Option<OpenConnection> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_default();
        if self.max != 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(OpenConnection {
            clients: self.clone(),
            ip,
        })
    }
}

/// One counted connection; dropping it uncounts it.
struct OpenConnection {
    clients: ConnectionsPerClient,
    ip: IpAddr,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What a connection is doing, as its reads, writes and requests tell.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request; `since` the last byte read or written.
    Idle { since: Instant },
    /// Part of a request's headers has arrived, the first byte at `since`.
    ReadingHeaders { since: Instant },
    /// A request is being served (HTTP/1.1 serves one at a time, even when requests are pipelined).
    Serving,
}

enum Expired {
    Headers,
    KeepAlive,
}

struct ConnectionClock {
    phase: Mutex<Phase>,
}

impl ConnectionClock {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Idle {
                since: Instant::now(),
            }),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        // A panic cannot leave a `Phase` half-written.
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bytes_read(&self) {
        let mut phase = self.phase();
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::ReadingHeaders {
                since: Instant::now(),
            };
        }
    }

    fn restart_idle_timer(&self) {
        if let Phase::Idle { since } = &mut *self.phase() {
            *since = Instant::now();
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        *self.phase() = Phase::Serving;
        InFlight(self.clone())
    }

    /// When the current phase runs out, and what has then expired; none while a request is served.
    fn deadline(&self, limits: &ServerLimits) -> Option<(Instant, Expired)> {
        match *self.phase() {
            Phase::Idle { since } => Some((since + limits.keep_alive_timeout, Expired::KeepAlive)),
            Phase::ReadingHeaders { since } => {
                Some((since + limits.header_read_timeout, Expired::Headers))
            }
            Phase::Serving => None,
        }
    }
}

/// A request being served; dropping it (the response has started) makes the connection idle again.
struct InFlight(Arc<ConnectionClock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.phase() = Phase::Idle {
            since: Instant::now(),
        };
    }
}

/// The socket, telling the clock when bytes come and go.
struct ClockedIo {
    inner: TcpStream,
    clock: Arc<ConnectionClock>,
}

impl ClockedIo {
    fn note_written(&self, result: &Poll<io::Result<usize>>) {
        if matches!(result, Poll::Ready(Ok(n)) if *n > 0) {
            self.clock.restart_idle_timer();
        }
    }
}

impl AsyncRead for ClockedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.bytes_read();
        }
        result
    }
}

impl AsyncWrite for ClockedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        self.note_written(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, data);
        self.note_written(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
