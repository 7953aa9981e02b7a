//! The comment feed: news that a comment became public, carried to every
//! Waypost instance on the database.
//!
//! On PostgreSQL the news travels by `NOTIFY`; each instance keeps one
//! `LISTEN`ing connection (`crate::listen`, opened with its first
//! subscriber) and fans what it hears out to its local subscribers.
//! On SQLite, which one process serves, an in-process channel carries it.
//!
//! Announcing never waits for subscribers: the local fan-out is a bounded
//! broadcast channel, so a subscriber that reads slowly misses old news
//! instead of holding up whoever posts.

use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::{Array, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::{OnceCell, broadcast, watch};

use crate::error::DbError;
use crate::ids::{CommentId, PostId};
use crate::listen::{Channel, Hearer, listen};
use crate::models::Comment;
use crate::pool::{DbConn, DbPool};
use crate::postgres::PgTarget;

/// The PostgreSQL channel the news travels on.
const CHANNEL: &str = "waypost_comment_public";
/// News a subscriber may fall behind by before it misses some.
const BACKLOG: usize = 1024;

/// A comment that became visible to the public: posted approved, or
/// approved later. Carries ids only; subscribers read the comment itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentPublished {
    pub post_id: PostId,
    pub comment_id: CommentId,
}

impl CommentPublished {
    fn encode(self) -> String {
        format!("{}:{}", self.post_id.0, self.comment_id.0)
    }

    fn decode(payload: &str) -> Option<Self> {
        let (post, comment) = payload.split_once(':')?;
        Some(CommentPublished {
            post_id: PostId(post.parse().ok()?),
            comment_id: CommentId(comment.parse().ok()?),
        })
    }
}

/// News as this instance's subscribers receive it. The comment itself is
/// read once per instance, by the first subscriber that wants it, however
/// many subscribers watch its post.
#[derive(Debug)]
pub struct News {
    pub event: CommentPublished,
    comment: OnceCell<Option<Comment>>,
}

impl News {
    fn new(event: CommentPublished) -> Arc<News> {
        Arc::new(News {
            event,
            comment: OnceCell::new(),
        })
    }

    /// The comment, read by `read` the first time it is asked for and kept
    /// for every later subscriber (`queries::comment::announced` reads it).
    pub(crate) async fn comment_or_read<F, Fut>(&self, read: F) -> Result<Option<&Comment>, DbError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Comment>, DbError>>,
    {
        let found = self.comment.get_or_try_init(read).await?;
        Ok(found.as_ref())
    }
}

/// What a subscriber hears.
#[derive(Debug, Clone)]
pub enum Heard {
    /// A comment became public.
    Published(Arc<News>),
    /// The feed lost its connection to the database: news may have been
    /// missed since.
    Gap,
}

/// This instance's end of the comment feed, for the database `pool` reaches.
/// Clones share one end: every holder hears the same news, and on
/// PostgreSQL one listening connection serves them all.
#[derive(Clone)]
pub struct CommentFeed {
    feed: Arc<Feed>,
    /// PostgreSQL only: where the listening connection goes.
    pg: Option<PgTarget>,
    /// How long a new subscriber waits for the listening connection.
    timeout: Duration,
}

impl CommentFeed {
    pub fn new(pool: &DbPool) -> CommentFeed {
        CommentFeed {
            feed: Feed::new(),
            pg: pool.pg_target().cloned(),
            timeout: pool.acquire_timeout(),
        }
    }

    /// Tells subscribers on every instance that comments became public.
    /// Call it after the change is stored, on the connection that stored it.
    pub async fn announce(
        &self,
        conn: &mut DbConn,
        events: &[CommentPublished],
    ) -> Result<(), DbError> {
        let pg = match conn {
            DbConn::Pg(c) => Some(&mut **c),
            DbConn::Sqlite(_) => None,
        };
        self.feed.announce(pg, events).await
    }

    /// News of comments becoming public, from the moment this returns.
    /// Fails with `Unavailable` when PostgreSQL cannot be listened to within
    /// the pool's acquire timeout.
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<Heard>, DbError> {
        self.feed.subscribe(self.pg.as_ref(), self.timeout).await
    }

    /// Subscribers attached to this instance.
    pub fn subscribers(&self) -> usize {
        self.feed.subscribers()
    }

    /// Whether news can reach this instance: on PostgreSQL, its listening
    /// connection is up (it opens with the first subscriber); SQLite's
    /// in-process channel always is.
    pub fn listening(&self) -> bool {
        match (&self.pg, self.feed.listening.get()) {
            (None, _) => true,
            (Some(_), Some(up)) => *up.borrow(),
            (Some(_), None) => false,
        }
    }
}

/// One instance's end of the feed.
struct Feed {
    local: broadcast::Sender<Heard>,
    /// PostgreSQL only: whether the listening connection is up, once started.
    listening: OnceCell<watch::Receiver<bool>>,
}

impl Feed {
    fn new() -> Arc<Feed> {
        Arc::new(Feed {
            local: broadcast::channel(BACKLOG).0,
            listening: OnceCell::new(),
        })
    }

    /// Subscribers currently attached to this instance.
    fn subscribers(&self) -> usize {
        self.local.receiver_count()
    }

    /// Tells every subscriber, on every instance, that `events` happened.
    /// Called after the change is stored: on PostgreSQL with the connection
    /// that stored it (`pg`), so that the news goes out as it commits; on
    /// SQLite, which one process serves, with `None`.
    async fn announce(
        &self,
        pg: Option<&mut AsyncPgConnection>,
        events: &[CommentPublished],
    ) -> Result<(), DbError> {
        if events.is_empty() {
            return Ok(());
        }
        match pg {
            Some(c) => {
                let payloads: Vec<String> = events.iter().map(|e| e.encode()).collect();
                // One statement however many comments a bulk approval made public.
                diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
                    .bind::<Text, _>(CHANNEL)
                    .bind::<Array<Text>, _>(payloads)
                    .execute(c)
                    .await?;
            }
            None => {
                for event in events {
                    // No subscriber is not a failure.
                    let _ = self.local.send(Heard::Published(News::new(*event)));
                }
            }
        }
        Ok(())
    }

    /// A receiver of news from now on. On PostgreSQL this first makes sure
    /// the listening connection is up, waiting at most `timeout`, so that
    /// nothing announced after this returns is missed.
    async fn subscribe(
        self: &Arc<Self>,
        pg: Option<&PgTarget>,
        timeout: Duration,
    ) -> Result<broadcast::Receiver<Heard>, DbError> {
        let Some(target) = pg else {
            return Ok(self.local.subscribe());
        };
        let mut listening = self
            .listening
            .get_or_init(|| async {
                let (up, listening) = watch::channel(false);
                tokio::spawn(listen(
                    Arc::downgrade(self),
                    Channel(CHANNEL),
                    target.clone(),
                    up,
                    None,
                ));
                listening
            })
            .await
            .clone();
        // A subscriber counts once the feed listens: from then on nothing
        // announced is missed.
        match tokio::time::timeout(timeout, listening.wait_for(|up| *up)).await {
            Ok(Ok(_)) => Ok(self.local.subscribe()),
            _ => Err(DbError::Unavailable(
                "the comment feed is not listening to the database".into(),
            )),
        }
    }
}

impl Hearer for Feed {
    fn heard(&self, payload: &str) {
        match CommentPublished::decode(payload) {
            Some(event) => {
                let _ = self.local.send(Heard::Published(News::new(event)));
            }
            None => tracing::warn!(%payload, "unreadable comment feed news"),
        }
    }

    fn lost(&self) {
        // Subscribers must know they may have missed news.
        let _ = self.local.send(Heard::Gap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_survives_the_trip_through_a_payload() {
        let event = CommentPublished {
            post_id: PostId(12),
            comment_id: CommentId(3456),
        };
        assert_eq!(CommentPublished::decode(&event.encode()), Some(event));
        assert_eq!(CommentPublished::decode("12"), None);
        assert_eq!(CommentPublished::decode("a:1"), None);
    }
}
