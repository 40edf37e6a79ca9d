//! A relay between the app and Postgres that can cut the database off, or hold every chunk of data for a
//! while to make round trips slow.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A pool (configured by the caller) that reaches the test database through a relay: one that can cut it off,
/// and that holds every chunk of data for `latency` each way.
pub async fn pool_through_relay(
    pool_options: PgPoolOptions,
    connect_options: PgConnectOptions,
    latency: Duration,
) -> (PgPool, Relay) {
    let target = tokio::net::lookup_host((connect_options.get_host(), connect_options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let relay = Relay::start(target, latency).await;
    let db = pool_options
        .connect_with(connect_options.host("127.0.0.1").port(relay.port))
        .await
        .unwrap();
    (db, relay)
}

/// A TCP relay on loopback in front of Postgres (see `start`), which a test can take down and bring back.
pub struct Relay {
    /// The loopback port it listens on, in place of Postgres's.
    pub port: u16,
    down: Arc<Mutex<bool>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    /// A relay that holds every chunk of data for `latency` in each direction (zero: none), so round trips
    /// to Postgres can take long enough for a test to cut into them.
    pub async fn start(target: SocketAddr, latency: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(Mutex::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (down2, connections2) = (down.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if *down2.lock().unwrap() {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    if latency.is_zero() {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    } else {
                        let (client_read, client_write) = inbound.split();
                        let (server_read, server_write) = outbound.split();
                        tokio::select! {
                            _ = delayed_copy(client_read, server_write, latency) => {}
                            _ = delayed_copy(server_read, client_write, latency) => {}
                        }
                    }
                });
                connections2.lock().unwrap().push(task.abort_handle());
            }
        });
        Self {
            port,
            down,
            connections,
        }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn go_down(&self) {
        *self.down.lock().unwrap() = true;
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Accepts new connections again (the ones cut stay cut).
    pub fn come_back(&self) {
        *self.down.lock().unwrap() = false;
    }
}

async fn delayed_copy(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    latency: Duration,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        tokio::time::sleep(latency).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
