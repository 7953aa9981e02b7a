//! One PostgreSQL connection kept `LISTEN`ing on a channel, re-opened after
//! the database restarts, passing what it hears to one hearer, and sending
//! on the same channel what its owner queues. The comment feed and the
//! answer cache's invalidations both travel this way.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::pool::DbPool;
use crate::postgres::PgTarget;

/// Pauses between attempts to re-open the listening connection.
const INITIAL_RECONNECT_DELAY: Duration = Duration::from_millis(100);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);
/// How long the listening connection may stay silent before it is asked
/// whether it is still there, and how long it has to answer.
const HEARTBEAT: Duration = Duration::from_secs(30);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whoever hears a channel.
pub trait Hearer: Send + Sync + 'static {
    /// A notification's payload.
    fn heard(&self, payload: &str);
    /// The connection dropped: whatever is sent until it is back is lost
    /// to this instance.
    fn lost(&self);
}

/// A channel's name, fixed in the code: never built from input, since it
/// goes into a `LISTEN` statement as it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Channel(pub &'static str);

/// Keeps one connection listening on `channel`, for as long as `hearer`
/// lives and someone holds a receiver of `up`, which tells whether it is
/// listening. Payloads queued on `outgoing` are sent with `pg_notify` on
/// the same connection once it listens (so they reach this instance too).
pub(crate) async fn listen<H: Hearer>(
    hearer: Weak<H>,
    channel: Channel,
    target: PgTarget,
    up: watch::Sender<bool>,
    mut outgoing: Option<mpsc::UnboundedReceiver<String>>,
) {
    let mut delay = INITIAL_RECONNECT_DELAY;
    // Every receiver of `up` lives with the hearer: closed means it was dropped.
    while !up.is_closed() {
        match listen_once(&hearer, channel, &target, &up, &mut delay, &mut outgoing).await {
            Ok(()) => return,
            Err(reason) => {
                if up.send_replace(false)
                    && let Some(hearer) = hearer.upgrade()
                {
                    hearer.lost();
                }
                tracing::warn!(channel = channel.0, %reason, retry_in_ms = delay.as_millis() as u64, "lost the database connection it listens on");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

/// `Ok` when the hearer is gone; `Err` when the connection failed, dropped
/// or stopped answering.
async fn listen_once<H: Hearer>(
    hearer: &Weak<H>,
    channel: Channel,
    target: &PgTarget,
    up: &watch::Sender<bool>,
    delay: &mut Duration,
    outgoing: &mut Option<mpsc::UnboundedReceiver<String>>,
) -> Result<(), String> {
    let mut conn = target.connect().await.map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {}", channel.0))
        .await
        .map_err(|e| e.to_string())?;
    up.send_replace(true);
    *delay = INITIAL_RECONNECT_DELAY;
    tracing::debug!(channel = channel.0, "listening");
    loop {
        // Notifications queue on the connection while no stream reads
        // them, so the stream can be put down to send or to check.
        let event = {
            let mut stream = std::pin::pin!(conn.notifications_stream());
            let send = async {
                match outgoing.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                heard = stream.next() => Event::Heard(heard),
                payload = send => Event::Send(payload),
                () = tokio::time::sleep(HEARTBEAT) => Event::Quiet,
                // Every receiver is gone: the hearer was dropped.
                () = up.closed() => return Ok(()),
            }
        };
        match event {
            Event::Heard(Some(notification)) => {
                let notification = notification.map_err(|e| e.to_string())?;
                let Some(hearer) = hearer.upgrade() else {
                    return Ok(());
                };
                hearer.heard(&notification.payload);
            }
            Event::Heard(None) => return Err("the listening connection closed".into()),
            Event::Send(Some(payload)) => notify(&mut conn, channel, &payload).await?,
            // The owner dropped its sender: nothing more to send.
            Event::Send(None) => *outgoing = None,
            Event::Quiet => {
                // A connection that died quietly would otherwise look idle.
                tokio::time::timeout(HEARTBEAT_TIMEOUT, conn.batch_execute("SELECT 1"))
                    .await
                    .map_err(|_| "the listening connection stopped answering".to_owned())?
                    .map_err(|e| e.to_string())?;
            }
        }
    }
}

enum Event {
    Heard(Option<Result<diesel::pg::PgNotification, diesel::result::Error>>),
    Send(Option<String>),
    Quiet,
}

async fn notify(
    conn: &mut AsyncPgConnection,
    channel: Channel,
    payload: &str,
) -> Result<(), String> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(channel.0)
        .bind::<Text, _>(payload)
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A channel every instance on one PostgreSQL database hears, this one
/// included, for news that must reach them all but may arrive a moment
/// late (not the comment feed, whose subscribers must not miss any).
pub struct Broadcast {
    outgoing: mpsc::UnboundedSender<String>,
    up: watch::Receiver<bool>,
}

impl Broadcast {
    /// Starts listening on `channel` (a name fixed in the code) for
    /// `hearer`, for as long as both live. `None` on SQLite, which one
    /// process serves: there is no one else to tell.
    pub fn open<H: Hearer>(pool: &DbPool, channel: &'static str, hearer: &Arc<H>) -> Option<Self> {
        let target = pool.pg_target()?.clone();
        let (outgoing, queued) = mpsc::unbounded_channel();
        let (up_tx, up) = watch::channel(false);
        tokio::spawn(listen(
            Arc::downgrade(hearer),
            Channel(channel),
            target,
            up_tx,
            Some(queued),
        ));
        Some(Broadcast { outgoing, up })
    }

    /// Sends `payload` on `channel` once, from a process that does not
    /// listen (a command run beside the instances); nothing on SQLite.
    pub async fn send_once(
        pool: &DbPool,
        channel: &'static str,
        payload: &str,
    ) -> Result<(), crate::DbError> {
        if pool.pg_target().is_none() {
            return Ok(());
        }
        match &mut pool.get().await? {
            crate::DbConn::Pg(conn) => notify(conn, Channel(channel), payload)
                .await
                .map_err(crate::DbError::Unavailable),
            crate::DbConn::Sqlite(_) => Ok(()),
        }
    }

    /// Sends `payload` to every instance once the connection listens.
    pub fn send(&self, payload: String) {
        // The listener ends only when this handle is dropped.
        let _ = self.outgoing.send(payload);
    }

    /// Whether news from other instances reaches this one now.
    pub fn listening(&self) -> bool {
        *self.up.borrow()
    }

    /// Waits at most `timeout` for the connection to listen.
    pub async fn wait_listening(&self, timeout: Duration) -> bool {
        let mut up = self.up.clone();
        matches!(
            tokio::time::timeout(timeout, up.wait_for(|up| *up)).await,
            Ok(Ok(_))
        )
    }
}
