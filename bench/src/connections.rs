//! Slow, idle and greedy connections against a running Waypost (issue 17):
//! the latency another client sees while one address holds thousands of
//! idle, half-sent and never-initialised connections, and the memory of
//! thousands of subscribed WebSockets, before, while and after they are
//! open.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::proc::resident_memory;
use crate::server::Server;

/// The demo article: the post page every latency sample reads.
const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";
const POST_PAGE: &str = "query($slug: String!) { post(slug: $slug) { id title html publishedAt author { name } tags { slug name } } }";
/// Where the measuring client connects from.
const VICTIM: &str = "127.0.0.2";
/// Where the attacker connects from (not the benchmark's trusted proxy).
const ATTACKER: &str = "127.0.0.9";
/// How long the attacker waits before opening again what was closed.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// Connections the attacker keeps open (or keeps trying to).
    #[arg(long, default_value_t = 2_000)]
    attackers: usize,
    /// Subscribed WebSockets for the memory figure.
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// Client addresses the WebSockets come from (127.0.1.1 onwards), so
    /// that each stays within the per-address limit.
    #[arg(long, default_value_t = 100)]
    socket_addresses: usize,
    /// Requests per latency sample.
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// Only the memory figure (no latency under attack).
    #[arg(long)]
    memory_only: bool,
    /// Open the sockets and initialise them, without subscribing: what an
    /// idle socket costs apart from its subscription.
    #[arg(long)]
    without_subscriptions: bool,
    /// Another `waypost` build.
    #[arg(long)]
    server: Option<std::path::PathBuf>,
}

pub async fn run(args: &ConnectionArgs) -> anyhow::Result<()> {
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    let dir = tempfile::tempdir()?;
    let database = format!("sqlite://{}", dir.path().join("waypost.sqlite").display());
    // The totals leave room for the sockets of the memory figure (they are
    // connections too); the per-address limits stay at their defaults.
    let room = args.sockets + 1_000;
    let settings = [
        "WAYPOST_SEED_DEMO=true".to_owned(),
        format!("WAYPOST_MAX_CONNECTIONS={room}"),
        format!("WAYPOST_MAX_WEBSOCKETS={room}"),
    ];
    let server = Server::start(&binary, &database, &settings).await?;
    let measured = measure(args, &server).await;
    let stopped = server.stop();
    measured?;
    stopped
}

async fn measure(args: &ConnectionArgs, server: &Server) -> anyhow::Result<()> {
    let address: SocketAddr = server
        .base
        .trim_start_matches("http://")
        .parse()
        .context("server address")?;
    let victim = Victim::new(&server.base)?;
    if !args.memory_only {
        latency(args, &victim, address).await?;
    }
    memory(args, &victim, server.pid, address).await
}

async fn latency(
    args: &ConnectionArgs,
    victim: &Victim,
    address: SocketAddr,
) -> anyhow::Result<()> {
    println!("## Latency from {VICTIM} ({} requests each)", args.samples);
    println!();
    println!("| while | /healthz p50 | /healthz p99 | post page p50 | post page p99 |");
    println!("|---|---:|---:|---:|---:|");
    victim.sample(args.samples, "nothing else").await?;

    // A watch, not a flag polled: the attacker must not spend the cores
    // the server needs on waking up to look.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let counts = Arc::new(AttackCounts::default());
    let attack = tokio::spawn(attack(address, args.attackers, stopping, counts.clone()));
    // Let the attacker reach its full count first.
    tokio::time::sleep(Duration::from_secs(3)).await;
    victim
        .sample(
            args.samples,
            &format!(
                "{} idle, half-sent and uninitialised connections from {ATTACKER}",
                args.attackers
            ),
        )
        .await?;
    let _ = stop.send(true);
    attack.await?;
    println!();
    println!(
        "Attacker: {} connections opened, {} of them refused with 429, {} closed by the server (refusals and timeouts).",
        counts.opened.load(Ordering::Acquire),
        counts.refused.load(Ordering::Acquire),
        counts.closed.load(Ordering::Acquire),
    );
    println!();
    Ok(())
}

async fn memory(
    args: &ConnectionArgs,
    victim: &Victim,
    pid: u32,
    address: SocketAddr,
) -> anyhow::Result<()> {
    let subscribe = !args.without_subscriptions;
    let post_id = victim.post_id().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = resident_memory(pid)?;
    let open = || {
        open_sockets(
            address,
            &post_id,
            args.sockets,
            args.socket_addresses,
            subscribe,
        )
    };
    let sockets = open().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held = resident_memory(pid)?;
    let open_metric = victim.metric("waypost_open_websockets").await?;
    close(sockets);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = resident_memory(pid)?;
    let again = open().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held_again = resident_memory(pid)?;
    close(again);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "## Memory of {} WebSockets{}",
        args.sockets,
        if subscribe {
            " subscribed to commentAdded"
        } else {
            ", initialised"
        }
    );
    println!();
    println!("| when | resident |");
    println!("|---|---:|");
    println!("| before | {:.0} MiB |", mib(idle));
    println!(
        "| {} open (the server counts {open_metric}) | {:.0} MiB |",
        args.sockets,
        mib(held)
    );
    println!("| all closed, 5 s later | {:.0} MiB |", mib(after));
    println!(
        "| {} open again | {:.0} MiB |",
        args.sockets,
        mib(held_again)
    );
    println!();
    println!(
        "Per socket: {:.1} KiB.",
        held.saturating_sub(idle) as f64 / 1024.0 / args.sockets.max(1) as f64
    );
    Ok(())
}

/// The client that measures: its own address, one request at a time.
struct Victim {
    client: reqwest::Client,
    base: String,
}

impl Victim {
    fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .local_address(VICTIM.parse::<IpAddr>()?)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Victim {
            client,
            base: base.to_owned(),
        })
    }

    async fn sample(&self, n: usize, label: &str) -> anyhow::Result<()> {
        let mut health = Vec::with_capacity(n);
        let mut page = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            let answer = self
                .client
                .get(format!("{}/healthz", self.base))
                .send()
                .await?;
            if !answer.status().is_success() {
                bail!("/healthz answered {}", answer.status());
            }
            answer.bytes().await?;
            health.push(start.elapsed());
            let start = Instant::now();
            self.post_id().await?;
            page.push(start.elapsed());
        }
        let (h50, h99) = percentiles(&mut health);
        let (p50, p99) = percentiles(&mut page);
        println!(
            "| {label} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(h50),
            ms(h99),
            ms(p50),
            ms(p99)
        );
        Ok(())
    }

    /// Reads the post page; its id is what the subscriptions need.
    async fn post_id(&self) -> anyhow::Result<String> {
        let body = json!({ "query": POST_PAGE, "variables": { "slug": ARTICLE } });
        let answer: Value = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        answer["data"]["post"]["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the post page failed: {answer}"))
    }

    async fn metric(&self, name: &str) -> anyhow::Result<String> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await?
            .text()
            .await?;
        Ok(text
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .unwrap_or("?")
            .to_owned())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99))
}

#[derive(Default)]
struct AttackCounts {
    opened: AtomicU64,
    refused: AtomicU64,
    closed: AtomicU64,
}

async fn connect_from(source: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(
        source.parse().map_err(std::io::Error::other)?,
        0,
    ))?;
    socket.connect(to).await
}

/// Keeps `n` connections open from the attacker's address until `stop`:
/// a third send nothing, a third send half a request's headers, a third
/// ask for a WebSocket and never send `connection_init`. Whatever the
/// server closes or refuses is opened again after the second its
/// `Retry-After` asks for: the attacker holds connections rather than
/// flooding the server with new ones.
async fn attack(
    to: SocketAddr,
    n: usize,
    stopping: tokio::sync::watch::Receiver<bool>,
    counts: Arc<AttackCounts>,
) {
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let mut stopping = stopping.clone();
        let counts = counts.clone();
        held.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            tokio::pin!(stopped);
            loop {
                let Ok(mut stream) = connect_from(ATTACKER, to).await else {
                    tokio::time::sleep(RETRY).await;
                    continue;
                };
                counts.opened.fetch_add(1, Ordering::AcqRel);
                let opening: &[u8] = match i % 3 {
                    0 => b"",
                    1 => b"POST /graphql HTTP/1.1\r\nHost: waypost\r\nContent-Ty",
                    _ => b"GET /graphql HTTP/1.1\r\nHost: waypost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
                };
                if stream.write_all(opening).await.is_err() {
                    continue;
                }
                let mut buffer = [0u8; 1024];
                let mut first = true;
                loop {
                    let read = tokio::select! {
                        read = stream.read(&mut buffer) => read,
                        () = &mut stopped => return,
                    };
                    match read {
                        Ok(0) | Err(_) => {
                            counts.closed.fetch_add(1, Ordering::AcqRel);
                            break;
                        }
                        Ok(k) => {
                            if first && buffer[..k].starts_with(b"HTTP/1.1 429") {
                                counts.refused.fetch_add(1, Ordering::AcqRel);
                            }
                            first = false;
                        }
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(RETRY) => {},
                    () = &mut stopped => return,
                }
            }
        }));
    }
    for task in held {
        let _ = task.await;
    }
}

/// `n` WebSockets from `addresses` client addresses, each initialised and
/// subscribed to the comments of `post_id`; each answers pings as a
/// browser would until dropped.
async fn open_sockets(
    to: SocketAddr,
    post_id: &str,
    n: usize,
    addresses: usize,
    subscribe: bool,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let opened =
        futures::stream::iter(0..n)
            .map(|i| {
                let source = format!("127.0.1.{}", 1 + i % addresses.clamp(1, 250));
                let post_id = post_id.to_owned();
                async move {
                    subscribed_socket(to, &source, subscribe.then_some(post_id.as_str())).await
                }
            })
            .buffer_unordered(200)
            .collect::<Vec<_>>()
            .await;
    opened.into_iter().collect()
}

async fn subscribed_socket(
    to: SocketAddr,
    source: &str,
    post_id: Option<&str>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let stream = connect_from(source, to).await?;
    let mut request = format!("ws://{to}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // The client's own buffers sized like the server's, so that ten
    // thousand of them fit in the benchmark process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.contains("connection_ack") => {}
        other => bail!("no connection_ack: {other:?}"),
    }
    if let Some(post_id) = post_id {
        let subscribe = json!({
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($p: ID!) { commentAdded(postId: $p) { id } }",
                "variables": { "p": post_id },
            },
        });
        socket.send(Message::text(subscribe.to_string())).await?;
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(_)) = socket.next().await {}
    }))
}

/// Closes the sockets: their tasks are aborted, which drops them.
fn close(sockets: Vec<tokio::task::JoinHandle<()>>) {
    for socket in sockets {
        socket.abort();
    }
}
