//! The answer cache: anonymous query answers kept in memory, bounded by
//! bytes, and served before anything parses the request.
//!
//! Each answer knows what it read (`waypost_domain::freshness`), and a
//! write drops exactly the answers that read what it changed, before the
//! write's own answer leaves, so that nobody reads a stale answer after a
//! mutation has returned. Writes through other instances arrive by a
//! PostgreSQL channel within moments; while that channel is down nothing is
//! served or kept. Scheduled posts and guides go live with no write: an
//! answer that read a listing stays only until the next of them is due.
//!
//! An answer computed while any eviction happened may have read what the
//! eviction was about, so it is not kept (`Ticket`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::NaiveDateTime;
use waypost_domain::freshness::{self, Changes, Key};
use waypost_domain::{Broadcast, DbPool, Hearer};

use crate::metrics::Metrics;

/// The PostgreSQL channel invalidations travel on.
const CHANNEL: &str = "waypost_answers_stale";
/// What an entry costs beyond its key and body: the map slots, the key
/// index and the headers.
const ENTRY_OVERHEAD: usize = 512;
/// How long the first answer to be kept waits for the channel to listen,
/// so that a fresh instance caches from its first requests on.
const FIRST_LISTEN: Duration = Duration::from_secs(5);

/// How much memory answers may take; 0 turns the cache off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerCaching {
    pub max_bytes: usize,
}

impl Default for AnswerCaching {
    fn default() -> Self {
        AnswerCaching {
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One cached answer, with what the HTTP layer sends along with it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: Bytes,
    pub graphql_media: bool,
    /// The operation's name, for the metrics and the log.
    pub operation: String,
    /// The body's weak ETag.
    pub etag: HeaderValue,
    /// What the answer read, as a CDN purges by (`Surrogate-Key`, spaces).
    pub surrogate_keys: HeaderValue,
    /// The same, comma-separated (`Cache-Tag`).
    pub cache_tags: HeaderValue,
    reads: Vec<Key>,
}

impl Answer {
    pub(crate) fn new(
        body: Bytes,
        graphql_media: bool,
        operation: String,
        etag: HeaderValue,
        reads: Vec<Key>,
    ) -> Option<Answer> {
        let (surrogate_keys, cache_tags) = key_headers(&reads)?;
        Some(Answer {
            body,
            graphql_media,
            operation,
            etag,
            surrogate_keys,
            cache_tags,
            reads,
        })
    }
}

/// The two forms of a key list CDNs purge by; key names hold no spaces or
/// commas.
pub(crate) fn key_headers(reads: &[Key]) -> Option<(HeaderValue, HeaderValue)> {
    let names: Vec<String> = reads.iter().map(Key::to_string).collect();
    Some((
        HeaderValue::from_str(&names.join(" ")).ok()?,
        HeaderValue::from_str(&names.join(",")).ok()?,
    ))
}

/// Where a request's answer would be kept: its method, its media and its
/// bytes exactly as sent (the GET query string, or the POST body), so that
/// a hit costs a hash and nothing is parsed.
pub(crate) fn request_key(get: bool, graphql_media: bool, raw: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(raw.len() + 2);
    key.push(if get { b'G' } else { b'P' });
    key.push(if graphql_media { b'g' } else { b'j' });
    key.extend_from_slice(raw);
    key
}

/// Taken before an answer is computed: the cache keeps it only if nothing
/// was evicted meanwhile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    epoch: u64,
    /// The request's clock before it ran: no later than its own instant.
    now: NaiveDateTime,
}

type Entry = Arc<[u8]>;

struct Store {
    answers: lru::LruCache<Entry, Arc<Answer>>,
    /// The entries that read each key.
    readers: HashMap<Key, HashSet<Entry>>,
    bytes: usize,
}

/// The next instant a scheduled post or guide goes live, as read while the
/// listings' epoch was `lists`.
#[derive(Debug, Clone, Copy)]
struct GoLive {
    lists: u64,
    next: Option<NaiveDateTime>,
}

pub(crate) struct Answers {
    max_bytes: usize,
    store: Mutex<Store>,
    /// Moves with every eviction for staleness (under the store's lock).
    epoch: AtomicU64,
    /// Moves when listings may have changed: the schedule must be read again.
    lists: AtomicU64,
    go_live: Mutex<Option<GoLive>>,
    /// Set once, right after the cache is made; `None` inside on SQLite.
    broadcast: OnceLock<Option<Broadcast>>,
    /// Tells this instance's own news apart from other instances'.
    instance: u64,
    metrics: Arc<Metrics>,
    /// With a read replica, how long after a write the replica may still
    /// show what the write replaced (in milliseconds; 0 without one).
    settle_ms: AtomicU64,
    /// This cache, for the evictions it schedules for later.
    me: OnceLock<std::sync::Weak<Answers>>,
    /// Whether a request has waited for the channel to listen once.
    waited: std::sync::atomic::AtomicBool,
}

impl Answers {
    /// A cache, listening for other instances' writes on `pool`'s database.
    /// With a replica, what a write changed is dropped again once `settle`
    /// has passed: an answer read from the replica before it caught up
    /// does not outlive its lag.
    pub(crate) fn open(
        caching: AnswerCaching,
        pool: &DbPool,
        metrics: Arc<Metrics>,
        settle: Duration,
    ) -> Arc<Self> {
        let settle = if pool.has_replica() {
            settle
        } else {
            Duration::ZERO
        };
        let answers = Self::new(caching, metrics, settle);
        let broadcast = if answers.enabled() {
            Broadcast::open(pool, CHANNEL, &answers)
        } else {
            None
        };
        let _ = answers.broadcast.set(broadcast);
        answers
    }

    fn new(caching: AnswerCaching, metrics: Arc<Metrics>, settle: Duration) -> Arc<Self> {
        let answers = Arc::new(Answers {
            max_bytes: caching.max_bytes,
            store: Mutex::new(Store {
                answers: lru::LruCache::unbounded(),
                readers: HashMap::new(),
                bytes: 0,
            }),
            epoch: AtomicU64::new(0),
            lists: AtomicU64::new(0),
            go_live: Mutex::new(None),
            broadcast: OnceLock::new(),
            instance: instance_id(),
            metrics,
            settle_ms: AtomicU64::new(millis(settle)),
            me: OnceLock::new(),
            waited: std::sync::atomic::AtomicBool::new(false),
        });
        let _ = answers.me.set(Arc::downgrade(&answers));
        answers
    }

    /// With a replica, drops again `settle` after each write what it
    /// changed (see `open`).
    pub(crate) fn settle_after(&self, settle: Duration) {
        if self.settle_ms.load(Ordering::Relaxed) > 0 {
            self.settle_ms.store(millis(settle), Ordering::Relaxed);
        }
    }

    /// Drops what read `keys` now and, with a replica, once more when the
    /// replica has had time to catch up.
    fn stale(&self, keys: &[Key]) {
        self.evict(keys);
        let settle = self.settle_ms.load(Ordering::Relaxed);
        if settle == 0 {
            return;
        }
        let Some(me) = self.me.get().and_then(std::sync::Weak::upgrade) else {
            return;
        };
        let keys = keys.to_vec();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(settle)).await;
            me.evict(&keys);
        });
    }

    pub(crate) fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// Whether writes through other instances reach this cache now.
    pub(crate) fn listening(&self) -> bool {
        match self.broadcast.get() {
            Some(Some(broadcast)) => broadcast.listening(),
            _ => true,
        }
    }

    /// The answer kept for `key`, if it is still true at `now`.
    pub(crate) fn lookup(&self, key: &[u8], now: NaiveDateTime) -> Option<Arc<Answer>> {
        if !self.enabled() {
            return None;
        }
        self.pass_schedule(now);
        if !self.listening() {
            self.metrics.answers.misses.inc();
            return None;
        }
        let found = self.locked().answers.get(key).cloned();
        match found {
            Some(_) => self.metrics.answers.hits.inc(),
            None => self.metrics.answers.misses.inc(),
        };
        found
    }

    pub(crate) fn ticket(&self, now: NaiveDateTime) -> Ticket {
        Ticket {
            epoch: self.epoch.load(Ordering::Acquire),
            now,
        }
    }

    /// Keeps `answer` for `key` unless something was evicted since `ticket`
    /// was taken. An answer that read listings needs the schedule's next
    /// instant, read here (two index seeks) when a write moved it.
    pub(crate) async fn keep(&self, ticket: Ticket, key: Vec<u8>, answer: Answer, pool: &DbPool) {
        if !self.enabled() {
            return;
        }
        if !self.listening() && !self.first_listen().await {
            return;
        }
        let timed = answer
            .reads
            .iter()
            .any(|k| matches!(k, Key::Posts | Key::Career));
        if timed && !self.know_schedule(ticket.now, pool).await {
            return;
        }
        let size = cost(&key, &answer);
        if size > self.max_bytes / 4 {
            // One answer must not push out a quarter of the others.
            return;
        }
        let entry: Entry = key.into();
        let mut store = self.locked();
        if self.epoch.load(Ordering::Acquire) != ticket.epoch {
            return;
        }
        let answer = Arc::new(answer);
        for read in &answer.reads {
            store
                .readers
                .entry(*read)
                .or_default()
                .insert(entry.clone());
        }
        if let Some(old) = store.answers.put(entry.clone(), answer) {
            // The same request answered twice: the second replaces the first.
            self.forget(&mut store, &entry, &old);
        }
        store.bytes += size;
        let mut evicted = 0;
        while store.bytes > self.max_bytes {
            let Some((oldest, old)) = store.answers.pop_lru() else {
                break;
            };
            self.forget(&mut store, &oldest, &old);
            evicted += 1;
        }
        self.metrics.answers.evicted.inc_by(evicted);
        self.publish_sizes(&store);
    }

    /// Drops every answer that read any of `keys`.
    fn evict(&self, keys: &[Key]) {
        let mut store = self.locked();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if keys.iter().any(|k| matches!(k, Key::Posts | Key::Career)) {
            self.lists.fetch_add(1, Ordering::AcqRel);
        }
        let mut stale = 0;
        for key in keys {
            let Some(entries) = store.readers.remove(key) else {
                continue;
            };
            for entry in entries {
                if let Some(old) = store.answers.pop(&entry) {
                    self.forget(&mut store, &entry, &old);
                    stale += 1;
                }
            }
        }
        self.metrics.answers.stale.inc_by(stale);
        self.publish_sizes(&store);
    }

    /// Drops everything: news may have been missed.
    fn clear(&self) {
        let mut store = self.locked();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.lists.fetch_add(1, Ordering::AcqRel);
        let count = store.answers.len() as u64;
        store.answers.clear();
        store.readers.clear();
        store.bytes = 0;
        self.metrics.answers.stale.inc_by(count);
        self.publish_sizes(&store);
    }

    /// Accounts for `entry`, already out of the LRU, leaving the store: its
    /// bytes, and its place in the index of every key `answer` read.
    fn forget(&self, store: &mut Store, entry: &Entry, answer: &Answer) {
        store.bytes -= cost(entry, answer);
        for read in &answer.reads {
            if let Some(entries) = store.readers.get_mut(read) {
                entries.remove(entry);
                if entries.is_empty() {
                    store.readers.remove(read);
                }
            }
        }
    }

    fn publish_sizes(&self, store: &Store) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.metrics.answers.bytes.set(gauge(store.bytes));
        self.metrics.answers.entries.set(gauge(store.answers.len()));
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Once a scheduled post or guide is due, answers that read listings
    /// no longer hold.
    fn pass_schedule(&self, now: NaiveDateTime) {
        let due = {
            let mut go_live = self.go_live.lock().unwrap_or_else(PoisonError::into_inner);
            match *go_live {
                Some(GoLive { next: Some(at), .. }) if at <= now => {
                    *go_live = None;
                    true
                }
                _ => false,
            }
        };
        if due {
            self.evict(&[Key::Posts, Key::Career]);
        }
    }

    /// Makes sure the schedule's next instant is known for the listings as
    /// they are; `false` when it cannot be read.
    async fn know_schedule(&self, now: NaiveDateTime, pool: &DbPool) -> bool {
        let lists = self.lists.load(Ordering::Acquire);
        let known = *self.go_live.lock().unwrap_or_else(PoisonError::into_inner);
        if known.is_some_and(|g| g.lists == lists) {
            return true;
        }
        match freshness::next_going_live(pool, now).await {
            Ok(next) => {
                // A write that moved the listings while this was read may
                // have scheduled something sooner: read it again next time.
                *self.go_live.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(GoLive { lists, next });
                self.lists.load(Ordering::Acquire) == lists
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not read when scheduled content goes live; answer not cached");
                false
            }
        }
    }

    /// Waits for the channel while it has never listened yet (a fresh
    /// instance), so that caching starts with the first requests; during
    /// an outage later, answers are simply not kept.
    async fn first_listen(&self) -> bool {
        if self.waited.swap(true, Ordering::AcqRel) {
            return false;
        }
        match self.broadcast.get() {
            Some(Some(broadcast)) => broadcast.wait_listening(FIRST_LISTEN).await,
            _ => true,
        }
    }
}

impl Changes for Answers {
    fn changed(&self, keys: &[Key]) {
        if !self.enabled() || keys.is_empty() {
            return;
        }
        self.stale(keys);
        if let Some(Some(broadcast)) = self.broadcast.get() {
            broadcast.send(news(self.instance, keys));
        }
    }
}

impl Hearer for Answers {
    fn heard(&self, payload: &str) {
        match read_news(payload) {
            Some((from, _)) if from == self.instance => {}
            Some((_, keys)) => self.stale(&keys),
            None => {
                tracing::warn!(%payload, "unreadable answer cache news; dropping every answer");
                self.clear();
            }
        }
    }

    fn lost(&self) {
        self.clear();
    }
}

/// Tells the answer caches of running instances that a command run beside
/// them (loading content, reindexing) changed `keys`.
pub async fn tell_instances(pool: &DbPool, keys: &[Key]) -> Result<(), waypost_domain::DbError> {
    Broadcast::send_once(pool, CHANNEL, &news(COMMAND, keys)).await
}

/// The sender named by news from a command rather than an instance.
const COMMAND: u64 = 0;

/// News of a write: the instance it came from, then the keys it changed.
fn news(instance: u64, keys: &[Key]) -> String {
    let mut text = instance.to_string();
    for key in keys {
        text.push(' ');
        text.push_str(&key.to_string());
    }
    text
}

fn read_news(payload: &str) -> Option<(u64, Vec<Key>)> {
    let mut words = payload.split(' ');
    let from = words.next()?.parse().ok()?;
    let keys = words
        .map(|w| w.parse().ok())
        .collect::<Option<Vec<Key>>>()?;
    Some((from, keys))
}

/// The bytes an entry is counted for.
fn cost(key: &[u8], answer: &Answer) -> usize {
    key.len() + answer.body.len() + ENTRY_OVERHEAD
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn instance_id() -> u64 {
    let mut bytes = [0u8; 8];
    // 0 is the commands' name; an instance drawing it would ignore them.
    loop {
        let id = random_id(&mut bytes);
        if id != COMMAND {
            return id;
        }
    }
}

fn random_id(bytes: &mut [u8; 8]) -> u64 {
    // Without randomness, two instances may share an id and skip each
    // other's news; the clock and process id make that unlikely enough.
    if getrandom::fill(bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return (nanos as u64) ^ u64::from(std::process::id());
    }
    u64::from_le_bytes(*bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use waypost_domain::PostId;

    #[test]
    fn news_names_its_sender_and_keys() {
        let keys = [Key::Post(PostId(3)), Key::Posts];
        let text = news(42, &keys);
        assert_eq!(text, "42 post:3 posts");
        assert_eq!(read_news(&text), Some((42, keys.to_vec())));
        assert_eq!(read_news("42 post:x"), None);
        assert_eq!(read_news("x posts"), None);
    }

    fn answer(reads: Vec<Key>) -> Answer {
        let etag = HeaderValue::from_static("W/\"x\"");
        Answer::new(Bytes::from_static(b"{}"), false, String::new(), etag, reads).unwrap()
    }

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(seconds, 0)
            .unwrap()
            .naive_utc()
    }

    /// Keeps an answer that read `reads` under `key`, as `keep` does once
    /// the schedule is known.
    fn kept(answers: &Answers, key: &[u8], reads: Vec<Key>) {
        let mut store = answers.locked();
        let entry: Entry = key.into();
        let answer = Arc::new(answer(reads));
        for read in &answer.reads {
            store
                .readers
                .entry(*read)
                .or_default()
                .insert(entry.clone());
        }
        store.bytes += cost(&entry, &answer);
        store.answers.put(entry, answer);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_drops_exactly_what_read_it_and_again_once_a_replica_settles() {
        let caching = AnswerCaching { max_bytes: 1 << 20 };
        let answers = Answers::new(caching, Arc::new(Metrics::new()), Duration::from_secs(5));
        kept(&answers, b"page-3", vec![Key::Post(PostId(3)), Key::Posts]);
        kept(&answers, b"page-4", vec![Key::Post(PostId(4))]);
        answers.changed(&[Key::Post(PostId(3))]);
        assert!(answers.lookup(b"page-3", at(0)).is_none());
        assert!(
            answers.lookup(b"page-4", at(0)).is_some(),
            "another post's page stays"
        );
        // Filled again from a replica that had not caught up yet...
        kept(&answers, b"page-3", vec![Key::Post(PostId(3))]);
        tokio::time::sleep(Duration::from_millis(4_900)).await;
        assert!(answers.lookup(b"page-3", at(0)).is_some());
        // ...it goes once the replica has had time to.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(answers.lookup(b"page-3", at(0)).is_none());
        assert!(answers.lookup(b"page-4", at(0)).is_some());
    }

    #[test]
    fn key_headers_list_the_reads() {
        let (surrogate, tags) = key_headers(&[Key::Post(PostId(3)), Key::Posts]).unwrap();
        assert_eq!(surrogate, "post:3 posts");
        assert_eq!(tags, "post:3,posts");
    }
}
