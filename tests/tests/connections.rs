//! Limits below the GraphQL layer, tried as an attacker would: sockets that
//! never say `connection_init`, peers that stop answering, requests sent
//! half-way, and one address opening more connections than it may.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use waypost_gateway::ConnectionLimits;
use waypost_tests::{Backend, Message, Protocol, Socket, TestApp, backend_tests};

backend_tests!(
    a_socket_that_never_initialises_is_closed_with_4408,
    the_legacy_protocol_is_told_before_its_socket_closes,
    a_peer_that_stops_answering_pings_is_closed_and_a_live_one_is_not,
    a_half_sent_request_and_a_silent_connection_are_closed,
    a_client_past_its_connections_is_refused_while_another_is_served,
    the_server_full_refuses_with_503,
    a_client_past_its_websockets_is_refused,
);

/// Long enough for any test step, short enough that a hang fails fast.
const PATIENCE: Duration = Duration::from_secs(10);

async fn app(backend: Backend, limits: ConnectionLimits) -> TestApp {
    TestApp::spawn_configured(backend, move |state| state.with_connection_limits(limits)).await
}

/// A TCP connection to `app` from `source` (any loopback address).
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse().unwrap(), 0))
        .unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// Sends a GET of `path` on `stream` and reads the whole answer (the
/// server closes or says `Connection: close`).
async fn get(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: waypost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer, not a hang")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Waits until the server closes `stream` (EOF or reset), and returns how
/// long that took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut buffer = [0u8; 512];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("the server closes the connection")
        {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => continue,
        }
    }
}

/// `waypost_connections_closed_total` for `limit` in a `/metrics` text.
fn closed_by(metrics: &str, limit: &str) -> u64 {
    let prefix = format!("waypost_connections_closed_total{{limit=\"{limit}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
        .parse()
        .unwrap()
}

async fn a_socket_that_never_initialises_is_closed_with_4408(backend: Backend) {
    let limits = ConnectionLimits {
        websocket_init_timeout: Duration::from_millis(300),
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let mut silent = Socket::upgrade(&app, Protocol::TransportWs).await.unwrap();
    match silent.next(PATIENCE).await {
        Message::Closed(Some((code, reason))) => {
            assert_eq!(code, 4408, "{reason}");
            assert!(reason.contains("initialisation timeout"), "{reason}");
        }
        other => panic!("expected a 4408 close, got {other:?}"),
    }
    // A socket that initialises in time stays, past the timeout.
    let mut prompt = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    prompt.assert_silent(Duration::from_millis(600)).await;
    prompt
        .subscribe("1", "{ posts(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(prompt.result("1").await["data"]["posts"]["totalCount"].is_number());
    let metrics = app.metrics_text().await;
    assert_eq!(
        closed_by(&metrics, "websocket_init_timeout"),
        1,
        "{metrics}"
    );
}

async fn the_legacy_protocol_is_told_before_its_socket_closes(backend: Backend) {
    let limits = ConnectionLimits {
        websocket_init_timeout: Duration::from_millis(300),
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let mut silent = Socket::upgrade(&app, Protocol::LegacyWs).await.unwrap();
    match silent.next(PATIENCE).await {
        Message::Json(m) => {
            assert_eq!(m["type"], "connection_error", "{m}");
            assert!(
                m["payload"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("timeout")
            );
        }
        other => panic!("expected connection_error, got {other:?}"),
    }
    assert!(matches!(
        silent.next(PATIENCE).await,
        Message::Closed(Some((4408, _)))
    ));
}

async fn a_peer_that_stops_answering_pings_is_closed_and_a_live_one_is_not(backend: Backend) {
    let limits = ConnectionLimits {
        websocket_ping_interval: Duration::from_millis(200),
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let mut live = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    let mut hung = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    // The live socket keeps reading, so its client library answers each
    // ping; the hung one reads nothing for as long, so none of its pings
    // is answered.
    live.assert_silent(Duration::from_millis(1_200)).await;
    match hung.next(PATIENCE).await {
        Message::Closed(Some((code, reason))) => {
            assert_eq!(code, 1001);
            assert_eq!(reason, "no answer to ping");
        }
        other => panic!("expected the hung socket closed, got {other:?}"),
    }
    live.subscribe("1", "{ posts(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(live.result("1").await["data"]["posts"]["totalCount"].is_number());
    let metrics = app.metrics_text().await;
    assert_eq!(closed_by(&metrics, "websocket_dead_peer"), 1, "{metrics}");
}

async fn a_half_sent_request_and_a_silent_connection_are_closed(backend: Backend) {
    let timeout = Duration::from_millis(500);
    let limits = ConnectionLimits {
        header_timeout: timeout,
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let mut half = connect_from(&app, "127.0.0.1").await;
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: waypost\r\nContent-Ty")
        .await
        .unwrap();
    let mut silent = connect_from(&app, "127.0.0.1").await;
    let waited = closed_after(&mut half).await;
    assert!(waited >= timeout - Duration::from_millis(100), "{waited:?}");
    closed_after(&mut silent).await;
    // A connection that answered a request and then stays idle is closed
    // by the same limit.
    let mut idle = connect_from(&app, "127.0.0.1").await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: waypost\r\n\r\n")
        .await
        .unwrap();
    closed_after(&mut idle).await;
    let metrics = app.metrics_text().await;
    assert!(closed_by(&metrics, "header_timeout") >= 2, "{metrics}");
}

async fn a_client_past_its_connections_is_refused_while_another_is_served(backend: Backend) {
    let limits = ConnectionLimits {
        per_client: 3,
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(&app, "127.0.0.1").await);
    }
    let mut fourth = connect_from(&app, "127.0.0.1").await;
    let answer = get(&mut fourth, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
    assert!(answer.contains("\"RATE_LIMITED\""), "{answer}");
    // Another address is served meanwhile.
    let mut other = connect_from(&app, "127.0.0.2").await;
    let answer = get(&mut other, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Once one of its connections closes, the client is served again.
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = connect_from(&app, "127.0.0.1").await;
        let answer = get(&mut again, "/healthz").await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {answer}");
        tokio::task::yield_now().await;
    }
    // Read from another address: this one's places are all but taken.
    let metrics = get(&mut connect_from(&app, "127.0.0.2").await, "/metrics").await;
    assert!(
        closed_by(&metrics, "connections_per_client") >= 1,
        "{metrics}"
    );
    assert!(metrics.contains("waypost_open_connections "), "{metrics}");
}

async fn the_server_full_refuses_with_503(backend: Backend) {
    let limits = ConnectionLimits {
        total: 2,
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let _a = connect_from(&app, "127.0.0.3").await;
    let _b = connect_from(&app, "127.0.0.4").await;
    let mut c = connect_from(&app, "127.0.0.5").await;
    let answer = get(&mut c, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 2"),
        "{answer}"
    );
    assert!(answer.contains("\"SERVICE_UNAVAILABLE\""), "{answer}");
}

async fn a_client_past_its_websockets_is_refused(backend: Backend) {
    let limits = ConnectionLimits {
        websockets_per_client: 2,
        ..ConnectionLimits::default()
    };
    let app = app(backend, limits).await;
    let first = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    let _second = Socket::connect(&app, Protocol::LegacyWs, json!({})).await;
    match Socket::upgrade(&app, Protocol::TransportWs).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            assert_eq!(response.headers()["retry-after"], "1");
        }
        Err(other) => panic!("expected a 429, got {other}"),
        Ok(_) => panic!("a third socket was let in"),
    }
    // Plain requests from the same address are still served.
    let data = app
        .data("{ posts(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(data["posts"]["totalCount"].is_number());
    first.close().await;
    let deadline = Instant::now() + PATIENCE;
    while Socket::upgrade(&app, Protocol::TransportWs).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the closed socket's place stays taken"
        );
        tokio::task::yield_now().await;
    }
}
