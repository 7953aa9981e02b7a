//! Connections below the GraphQL layer: how many each client address and
//! all clients together may hold open, and how long a connection may take
//! to send a request's headers. Without these, one client on one address
//! could hold every file descriptor the process has without sending a
//! single query.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::ErrorExtensions;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;
use waypost_domain::ErrorCode;

use super::codec::error_body;
use super::state::AppState;
use crate::metrics::{Closed, Metrics};

/// Limits on connections and WebSockets; see the README's configuration
/// section for each one's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a connection may take to send a request's headers, counted
    /// from when it opened or answered its last request: a half-sent
    /// request and a silent keep-alive connection are both closed after it.
    pub header_timeout: Duration,
    /// Open connections one client address may hold.
    pub per_client: usize,
    /// Open connections in all.
    pub total: usize,
    /// Open WebSockets one client address may hold.
    pub websockets_per_client: usize,
    /// Open WebSockets in all.
    pub websockets: usize,
    /// How long a WebSocket may take to send `connection_init`.
    pub websocket_init_timeout: Duration,
    /// How often an open WebSocket is pinged; a peer that has not answered
    /// (or sent anything) by the next ping is taken for dead and closed.
    pub websocket_ping_interval: Duration,
    /// The largest message a WebSocket client may send, in bytes.
    pub websocket_max_message_bytes: usize,
}

/// The defaults, as the command line spells them.
pub(crate) mod defaults {
    pub(crate) const HEADER_TIMEOUT_SECONDS: u64 = 10;
    pub(crate) const CONNECTIONS_PER_CLIENT: u32 = 256;
    pub(crate) const CONNECTIONS: u32 = 10_000;
    pub(crate) const WEBSOCKETS_PER_CLIENT: u32 = 100;
    pub(crate) const WEBSOCKETS: u32 = 10_000;
    pub(crate) const WEBSOCKET_INIT_TIMEOUT_MS: u64 = 3_000;
    pub(crate) const WEBSOCKET_PING_SECONDS: u64 = 30;
    pub(crate) const WEBSOCKET_MAX_MESSAGE_BYTES: u32 = 64 * 1024;
}

impl ConnectionLimits {
    /// The limits as given in whole units, as the command line takes them.
    #[allow(clippy::too_many_arguments)]
    pub fn from_units(
        header_timeout_seconds: u64,
        per_client: u32,
        total: u32,
        websockets_per_client: u32,
        websockets: u32,
        websocket_init_timeout_ms: u64,
        websocket_ping_seconds: u64,
        websocket_max_message_bytes: u32,
    ) -> Self {
        let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        ConnectionLimits {
            header_timeout: Duration::from_secs(header_timeout_seconds),
            per_client: count(per_client),
            total: count(total),
            websockets_per_client: count(websockets_per_client),
            websockets: count(websockets),
            websocket_init_timeout: Duration::from_millis(websocket_init_timeout_ms),
            websocket_ping_interval: Duration::from_secs(websocket_ping_seconds),
            websocket_max_message_bytes: count(websocket_max_message_bytes),
        }
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        use defaults::*;
        ConnectionLimits::from_units(
            HEADER_TIMEOUT_SECONDS,
            CONNECTIONS_PER_CLIENT,
            CONNECTIONS,
            WEBSOCKETS_PER_CLIENT,
            WEBSOCKETS,
            WEBSOCKET_INIT_TIMEOUT_MS,
            WEBSOCKET_PING_SECONDS,
            WEBSOCKET_MAX_MESSAGE_BYTES,
        )
    }
}

/// Why a connection or a WebSocket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Crowded {
    /// Its client address holds as many as it may.
    Client,
    /// The server holds as many as it may.
    Server,
}

/// Seconds a refused client is asked to wait: about the time it takes one
/// of its own connections to finish.
const RETRY_CLIENT_SECONDS: u32 = 1;
/// Seconds a client refused because the server is full is asked to wait.
const RETRY_FULL_SECONDS: u32 = 2;

impl Crowded {
    /// The answer a refused client gets: 429 when it is the one holding
    /// too many, 503 when everyone together is; both with `Retry-After`
    /// and a GraphQL error body, so clients show something clear.
    pub(crate) fn response(self, what: &str) -> Response {
        let (status, code, message, retry) = match self {
            Crowded::Client => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("this address holds as many open {what} as it may; close one and retry"),
                RETRY_CLIENT_SECONDS,
            ),
            Crowded::Server => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                format!("the server holds as many open {what} as it may; retry shortly"),
                RETRY_FULL_SECONDS,
            ),
        };
        let error = async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            ext.set("retryAfter", retry);
        });
        let mut response = error_body(status, false, &error);
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

#[derive(Debug, Default)]
struct Held {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// Places for open connections (or WebSockets): at most `per_client` for
/// one client address and `total` in all. A place is held by a [`Slot`]
/// and given back when it drops.
#[derive(Debug)]
pub(crate) struct Slots {
    per_client: usize,
    total: usize,
    held: Mutex<Held>,
    open: prometheus_client::metrics::gauge::Gauge,
}

impl Slots {
    pub(crate) fn new(
        per_client: usize,
        total: usize,
        open: prometheus_client::metrics::gauge::Gauge,
    ) -> Arc<Self> {
        Arc::new(Slots {
            per_client,
            total,
            held: Mutex::default(),
            open,
        })
    }

    /// Places for connections and for WebSockets within `limits`, counted
    /// in `metrics`.
    pub(crate) fn for_limits(
        limits: &ConnectionLimits,
        metrics: &Metrics,
    ) -> (Arc<Self>, Arc<Self>) {
        (
            Slots::new(limits.per_client, limits.total, metrics.open_connections()),
            Slots::new(
                limits.websockets_per_client,
                limits.websockets,
                metrics.open_websockets(),
            ),
        )
    }

    /// A place for `client`, or why there is none. `None` for a client
    /// whose address is not known (a trusted proxy's own connection, which
    /// carries many clients): it counts toward the total only.
    pub(crate) fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Slot, Crowded> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.total >= self.total {
            return Err(Crowded::Server);
        }
        if let Some(client) = client {
            let count = held.by_client.entry(client).or_default();
            if *count >= self.per_client {
                return Err(Crowded::Client);
            }
            *count += 1;
        }
        held.total += 1;
        self.open.inc();
        Ok(Slot {
            slots: self.clone(),
            client,
        })
    }

    /// How many places are held, by everyone.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

/// One held place of [`Slots`].
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    client: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self
            .slots
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.total = held.total.saturating_sub(1);
        if let Some(client) = self.client
            && let Some(count) = held.by_client.get_mut(&client)
        {
            *count = count.saturating_sub(1);
            // Addresses come and go; the map holds only those with a place.
            if *count == 0 {
                held.by_client.remove(&client);
            }
        }
        self.slots.open.dec();
    }
}

/// How long a closed connection's stream is read from (and what is read
/// dropped) before it is let go; see [`Lingering`].
const LINGER: Duration = Duration::from_secs(2);

/// A connection's stream that, once the server is done with it, shuts its
/// writing side and reads (and drops) whatever the client still sends, for
/// at most [`LINGER`], before closing. Closing a socket with unread data
/// makes the kernel reset the connection, and a client still sending a
/// body the server refused (too large, say) would lose the answer saying
/// why. The connection keeps its place among the open ones until then.
struct Lingering {
    stream: Option<tokio::net::TcpStream>,
    place: Option<Slot>,
}

impl Lingering {
    fn new(stream: tokio::net::TcpStream, place: Option<Slot>) -> Self {
        Lingering {
            stream: Some(stream),
            place,
        }
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let (Some(mut stream), Ok(runtime)) =
            (self.stream.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let place = self.place.take();
        runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = stream.shutdown().await;
            let mut sink = [0u8; 8 * 1024];
            let _ = tokio::time::timeout(LINGER, async {
                while let Ok(1..) = stream.read(&mut sink).await {}
            })
            .await;
            drop(place);
        });
    }
}

impl tokio::io::AsyncRead for Lingering {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => std::pin::Pin::new(stream).poll_read(cx, buf),
            None => std::task::Poll::Ready(Ok(())),
        }
    }
}

impl tokio::io::AsyncWrite for Lingering {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => std::pin::Pin::new(stream).poll_write(cx, buf),
            None => std::task::Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => std::pin::Pin::new(stream).poll_flush(cx),
            None => std::task::Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => std::pin::Pin::new(stream).poll_shutdown(cx),
            None => std::task::Poll::Ready(Ok(())),
        }
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => std::pin::Pin::new(stream).poll_write_vectored(cx, bufs),
            None => std::task::Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(tokio::io::AsyncWrite::is_write_vectored)
    }
}

/// How long a refused connection may take to send the request it is
/// answered with: it is only there to read its refusal.
const REFUSED_HEADER_TIMEOUT: Duration = Duration::from_secs(1);
/// How long to wait after the process ran out of descriptors (or another
/// accept error) before accepting again, rather than spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stop` resolves, within the limits
/// of `state.connection_limits`; then stops accepting and waits for the
/// connections' requests in flight to finish.
pub(crate) async fn serve_connections(
    listener: tokio::net::TcpListener,
    state: &AppState,
    router: Router,
    stop: impl Future<Output = ()>,
) {
    let limits = state.connection_limits;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut refusing = builder.clone();
    refusing
        .keep_alive(false)
        .header_read_timeout(REFUSED_HEADER_TIMEOUT);
    // Each connection's task holds a receiver: once `stop` resolves, the
    // value sent asks them to finish, and the sender waits until all of
    // them have dropped theirs.
    let (finish, finishing) = tokio::sync::watch::channel(false);
    let metrics = state.services.metrics.clone();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let client = state.proxies.direct_client(peer.ip());
        match state.connections.take(client) {
            Ok(slot) => {
                let io = TokioIo::new(Lingering::new(stream, Some(slot)));
                let router = router.clone();
                let service =
                    hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                        request
                            .extensions_mut()
                            .insert(ConnectInfo::<SocketAddr>(peer));
                        router.clone().oneshot(request)
                    });
                let connection = builder.serve_connection(io, service).with_upgrades();
                let metrics = metrics.clone();
                let mut finishing = finishing.clone();
                tokio::spawn(async move {
                    tokio::pin!(connection);
                    let ended = tokio::select! {
                        ended = connection.as_mut() => ended,
                        () = async { let _ = finishing.wait_for(|finish| *finish).await; } => {
                            // Lets the request in flight finish, then closes.
                            connection.as_mut().graceful_shutdown();
                            connection.await
                        }
                    };
                    if let Err(err) = ended
                        && err.is_timeout()
                    {
                        metrics.connection_closed(Closed::HeaderTimeout);
                    }
                });
            }
            Err(crowded) => {
                metrics.connection_closed(match crowded {
                    Crowded::Client => Closed::ClientConnections,
                    Crowded::Server => Closed::Connections,
                });
                let service = hyper::service::service_fn(move |_: hyper::Request<Incoming>| {
                    std::future::ready(Ok::<_, std::convert::Infallible>(
                        crowded.response("connections"),
                    ))
                });
                let connection =
                    refusing.serve_connection(TokioIo::new(Lingering::new(stream, None)), service);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    drop(finishing);
    let _ = finish.send(true);
    finish.closed().await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn slots(per_client: usize, total: usize) -> Arc<Slots> {
        Slots::new(per_client, total, Default::default())
    }

    #[test]
    fn a_client_past_its_places_is_refused_while_another_is_not() {
        let slots = slots(2, 10);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = slots.take(Some(a)).unwrap();
        let _second = slots.take(Some(a)).unwrap();
        assert_eq!(slots.take(Some(a)).unwrap_err(), Crowded::Client);
        let _other = slots.take(Some(b)).unwrap();
        drop(first);
        assert!(
            slots.take(Some(a)).is_ok(),
            "a place given back is free again"
        );
    }

    #[test]
    fn the_total_refuses_everyone_and_unknown_clients_count_toward_it() {
        let slots = slots(5, 2);
        let _proxy = slots.take(None).unwrap();
        let _a = slots.take(Some("192.0.2.1".parse().unwrap())).unwrap();
        assert_eq!(
            slots.take(Some("192.0.2.9".parse().unwrap())).unwrap_err(),
            Crowded::Server
        );
        assert_eq!(slots.take(None).unwrap_err(), Crowded::Server);
        assert_eq!(slots.held(), 2);
    }

    #[test]
    fn places_given_back_leave_nothing_behind() {
        let slots = slots(3, 3);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<Slot> = (0..3).map(|_| slots.take(Some(client)).unwrap()).collect();
        drop(held);
        assert_eq!(slots.held(), 0);
        assert!(
            slots.held.lock().unwrap().by_client.is_empty(),
            "an address with no place is forgotten"
        );
    }
}
