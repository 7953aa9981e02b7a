//! Waypost's Prometheus metrics: the families it exposes (request outcomes
//! and latency, errors by code, SQL statements per request, data-loader
//! batch sizes, live subscriptions and their feed, database pool occupancy
//! and waits, the answer cache, what the replica served, the build, the
//! process), their buckets, and the bounds on
//! client-chosen label values. Counting and the text exposition format are
//! the `prometheus-client` crate's.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use waypost_domain::ErrorCode;

mod process;

/// The `Content-Type` of [`Metrics::render`]'s output: the Prometheus text
/// format 0.0.4 rather than OpenMetrics, which not every scraper reads.
pub(crate) const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Client-chosen operation names that get a label value of their own. Names
/// are up to the client, so past this many every new one is counted under
/// [`OTHER`]: a client must not be able to grow the scrape, and the memory
/// of whatever stores it, without bound.
const MAX_OPERATIONS: usize = 100;
/// Longest operation label value, in characters.
const MAX_OPERATION_LEN: usize = 64;
/// The operation label of requests that name no operation.
const ANONYMOUS: &str = "anonymous";
/// The operation label of names past [`MAX_OPERATIONS`].
const OTHER: &str = "other";

const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Fibonacci-spaced, since a request past a handful of statements is
/// usually a missing batch, and the spacing shows how far past.
const STATEMENT_BUCKETS: [f64; 10] = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0];
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// How a request ended, as far as a dashboard cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Answered without errors.
    Ok,
    /// Turned down for something the client sent or lacks: a malformed or
    /// invalid query, a bad token, a missing permission.
    ClientError,
    /// Failed on our side.
    ServerError,
    /// Turned away by rate limiting.
    Limited,
    /// Refused because the database or another dependency was unavailable.
    Unavailable,
}

impl Outcome {
    const ALL: [Self; 5] = [
        Self::Ok,
        Self::ClientError,
        Self::ServerError,
        Self::Limited,
        Self::Unavailable,
    ];

    /// The value of the `outcome` label.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
            Self::Limited => "rate_limited",
            Self::Unavailable => "unavailable",
        }
    }
}

/// Database pool occupancy at scrape time. The pool already keeps these
/// numbers, so the caller samples them when rendering rather than the
/// metrics mirroring every checkout.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScrapeSample {
    /// Connections the pool holds open, busy or not.
    pub size: usize,
    /// Connections checked out right now.
    pub in_use: usize,
    /// Open connections waiting to be checked out.
    pub idle: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
    /// Most connections the pool may open.
    pub max: usize,
    /// Callers that gave up waiting for a connection, since start.
    pub timeouts: u64,
    /// Time callers spent waiting for a connection, since start.
    pub wait_seconds: f64,
    /// Whether live comments can reach this instance.
    pub feed_listening: bool,
    /// Whether writes through other instances reach the answer cache.
    pub answers_listening: bool,
    /// Connections the replica handed out, since start.
    pub replica_checkouts: u64,
    /// SQL statements the replica ran, since start.
    pub replica_statements: u64,
    /// Times a read meant for the replica went to the primary, since start.
    pub replica_fallbacks: u64,
    /// Whether reads keep off the replica for now, after it failed.
    pub replica_resting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct LoaderLabels {
    loader: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

/// The limit that closed or refused a connection or a WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// A connection sent no complete request headers in time.
    HeaderTimeout,
    /// A connection refused: its address held as many as it may.
    ClientConnections,
    /// A connection refused: the server held as many as it may.
    Connections,
    /// A WebSocket refused: its address held as many as it may.
    ClientWebsockets,
    /// A WebSocket refused: the server held as many as it may.
    Websockets,
    /// A WebSocket that sent no `connection_init` in time.
    InitTimeout,
    /// A WebSocket whose peer stopped answering pings.
    DeadPeer,
}

impl Closed {
    const ALL: [Closed; 7] = [
        Closed::HeaderTimeout,
        Closed::ClientConnections,
        Closed::Connections,
        Closed::ClientWebsockets,
        Closed::Websockets,
        Closed::InitTimeout,
        Closed::DeadPeer,
    ];

    const fn label(self) -> &'static str {
        match self {
            Closed::HeaderTimeout => "header_timeout",
            Closed::ClientConnections => "connections_per_client",
            Closed::Connections => "connections",
            Closed::ClientWebsockets => "websockets_per_client",
            Closed::Websockets => "websockets",
            Closed::InitTimeout => "websocket_init_timeout",
            Closed::DeadPeer => "websocket_dead_peer",
        }
    }
}

/// The `waypost_open_*` gauges and `waypost_connections_closed` counters.
#[derive(Debug, Default)]
struct ConnectionMetrics {
    connections: Gauge,
    websockets: Gauge,
    closed: Labelled<LimitLabels, Counter>,
}

impl ConnectionMetrics {
    fn register(&self, registry: &mut Registry) {
        for closed in Closed::ALL {
            self.closed.get_or_create(
                LimitLabels {
                    limit: closed.label(),
                },
                Counter::default,
            );
        }
        registry.register(
            "waypost_open_connections",
            "Connections open now, WebSockets included",
            self.connections.clone(),
        );
        registry.register(
            "waypost_open_websockets",
            "GraphQL WebSockets open now",
            self.websockets.clone(),
        );
        registry.register(
            "waypost_connections_closed",
            "Connections and WebSockets closed or refused by a limit, by limit",
            self.closed.clone(),
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    commit: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// A number sampled from the pool.
type PoolGauge = Gauge<u64, AtomicU64>;

/// The service's metrics. Every method takes `&self`, so one instance behind
/// an `Arc` serves all requests.
#[derive(Debug)]
pub struct Metrics {
    /// Holds a handle to every family below, in the order they render.
    registry: Registry,
    requests: Labelled<RequestLabels, Counter>,
    duration: Histogram,
    /// Keyed like `requests`, whose cap on operation names it follows.
    operation_duration: Labelled<RequestLabels, Histogram>,
    errors: Labelled<CodeLabels, Counter>,
    feed_listening: Gauge,
    statements: Histogram,
    /// Keyed by loader; loader names are fixed in code, so the family stays
    /// small without a cap.
    batches: Labelled<LoaderLabels, Histogram>,
    /// Shared with every [`SubscriptionGuard`].
    subscriptions: Gauge,
    pool: PoolMetrics,
    /// The answer cache's counts, kept by the cache as it works.
    pub(crate) answers: AnswerMetrics,
    replica: ReplicaMetrics,
    connections: ConnectionMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set; families without observations still render, so
    /// dashboards see zeros rather than gaps after a restart.
    #[must_use]
    pub fn new() -> Self {
        let requests = Labelled::default();
        let duration = Histogram::new(DURATION_BUCKETS);
        let operation_duration = Labelled::default();
        let errors: Labelled<CodeLabels, Counter> = Labelled::default();
        for code in ErrorCode::ALL {
            errors.get_or_create(
                CodeLabels {
                    code: code.as_str(),
                },
                Counter::default,
            );
        }
        let feed_listening = Gauge::default();
        let statements = Histogram::new(STATEMENT_BUCKETS);
        let batches = Labelled::default();
        let subscriptions = Gauge::default();
        let pool = PoolMetrics::default();
        let answers = AnswerMetrics::default();
        let replica = ReplicaMetrics::default();
        let connections = ConnectionMetrics::default();

        let mut registry = Registry::default();
        // The registry ends each help text with a full stop, and the
        // encoder adds `_total` to the counter's name.
        registry.register(
            "waypost_requests",
            "GraphQL requests by operation name and outcome",
            requests.clone(),
        );
        registry.register(
            "waypost_request_duration_seconds",
            "Time taken to answer a GraphQL request, in seconds",
            duration.clone(),
        );
        registry.register(
            "waypost_sql_statements_per_request",
            "SQL statements run to answer one GraphQL request",
            statements.clone(),
        );
        registry.register(
            "waypost_dataloader_batch_size",
            "Keys per data-loader batch, by loader",
            batches.clone(),
        );
        registry.register(
            "waypost_active_subscriptions",
            "GraphQL subscriptions currently streaming",
            subscriptions.clone(),
        );
        pool.register(&mut registry);
        answers.register(&mut registry);
        replica.register(&mut registry);
        connections.register(&mut registry);
        registry.register(
            "waypost_operation_duration_seconds",
            "Time taken to answer a GraphQL request, in seconds, by operation name and outcome",
            operation_duration.clone(),
        );
        registry.register(
            "waypost_errors",
            "GraphQL errors answered, by code",
            errors.clone(),
        );
        registry.register(
            "waypost_comment_feed_listening",
            "1 while live comments can reach this instance (on PostgreSQL, its LISTEN connection is up)",
            feed_listening.clone(),
        );
        let build: Labelled<BuildLabels, Gauge> = Labelled::default();
        build
            .get_or_create(
                BuildLabels {
                    version: env!("CARGO_PKG_VERSION"),
                    commit: env!("WAYPOST_COMMIT"),
                },
                Gauge::default,
            )
            .set(1);
        registry.register(
            "waypost_build_info",
            "Always 1; its labels name the release and commit serving",
            build,
        );
        crate::metrics::process::register(&mut registry);
        Self {
            registry,
            requests,
            duration,
            operation_duration,
            errors,
            feed_listening,
            statements,
            batches,
            subscriptions,
            pool,
            answers,
            replica,
            connections,
        }
    }

    /// The gauge of open connections, kept by their places.
    pub(crate) fn open_connections(&self) -> Gauge {
        self.connections.connections.clone()
    }

    /// The gauge of open WebSockets, kept by their places.
    pub(crate) fn open_websockets(&self) -> Gauge {
        self.connections.websockets.clone()
    }

    /// Counts a connection or WebSocket closed or refused by a limit.
    pub(crate) fn connection_closed(&self, by: Closed) {
        self.connections
            .closed
            .get_or_create(LimitLabels { limit: by.label() }, Counter::default)
            .inc();
    }

    /// Counts one finished request. `operation` is the name the client gave
    /// (empty for an anonymous operation); it is reduced to
    /// `[A-Za-z0-9_]{1,64}` and, past 100 distinct names, counted as
    /// `other`.
    pub fn record_request(&self, operation: &str, outcome: Outcome, seconds: f64, statements: u64) {
        let operation = self.count_request(operation_label(operation), outcome);
        // A NaN or a clock that stepped back would otherwise poison the sum
        // for the life of the process.
        let seconds = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        self.duration.observe(seconds);
        self.operation_duration
            .get_or_create(
                RequestLabels {
                    operation,
                    outcome: outcome.as_str(),
                },
                || Histogram::new(DURATION_BUCKETS),
            )
            .observe(seconds);
        self.statements.observe(statements as f64);
    }

    /// Counts one error answered with `code`.
    pub(crate) fn record_error(&self, code: ErrorCode) {
        if let Some(counter) = self.errors.get(&CodeLabels {
            code: code.as_str(),
        }) {
            counter.inc();
        }
    }

    /// Counts one request in `waypost_requests_total`. An operation new to
    /// the family gets a series for every outcome at once, at zero, so that
    /// a rate over any of them starts from a known value. Returns the
    /// operation's label as counted (`other` past the cap).
    fn count_request(&self, operation: Cow<'_, str>, outcome: Outcome) -> String {
        let series = |operation: &str, outcome: Outcome| RequestLabels {
            operation: operation.to_owned(),
            outcome: outcome.as_str(),
        };
        if let Some(counter) = self.requests.get(&series(&operation, outcome)) {
            counter.inc();
            return operation.into_owned();
        }
        let mut requests = self.requests.write();
        // Another request may have added the name since the shared lock
        // was let go; the reserved names neither use up the cap nor wait
        // for it.
        let admitted = requests.contains_key(&series(&operation, outcome))
            || is_reserved(&operation)
            || named_operations(&requests) < MAX_OPERATIONS;
        let operation = if admitted { &operation } else { OTHER };
        for each in Outcome::ALL {
            requests.entry(series(operation, each)).or_default();
        }
        if let Some(counter) = requests.get(&series(operation, outcome)) {
            counter.inc();
        }
        operation.to_owned()
    }

    /// Counts one data-loader batch of `size` keys.
    pub fn record_batch(&self, loader: &'static str, size: usize) {
        self.batches
            .get_or_create(LoaderLabels { loader }, || Histogram::new(BATCH_BUCKETS))
            .observe(size as f64);
    }

    /// Counts a subscription as active until the returned guard is dropped,
    /// so a stream that ends by error, completion or disconnect is
    /// subtracted all the same.
    #[must_use = "the subscription counts as active only while the guard lives"]
    pub fn subscription_started(&self) -> SubscriptionGuard {
        self.subscriptions.inc();
        SubscriptionGuard(self.subscriptions.clone())
    }

    /// Everything recorded so far plus `pool`, in the text exposition
    /// format; serve it with [`CONTENT_TYPE`].
    #[must_use]
    pub fn render(&self, pool: ScrapeSample) -> String {
        // Two scrapes at once may each show the other's sample of the pool;
        // both are current.
        self.pool.set(pool);
        self.replica.set(pool);
        self.feed_listening.set(i64::from(pool.feed_listening));
        self.answers
            .listening
            .set(i64::from(pool.answers_listening));
        let mut out = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail, nor can encoding these families.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// Keeps one subscription counted in `waypost_active_subscriptions`; see
/// [`Metrics::subscription_started`].
#[derive(Debug)]
pub struct SubscriptionGuard(Gauge);

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The `waypost_answer_cache_*` families.
#[derive(Debug, Default)]
pub(crate) struct AnswerMetrics {
    pub hits: Counter,
    pub misses: Counter,
    /// Answers dropped because a write or a scheduled instant made them stale.
    pub stale: Counter,
    /// Answers dropped to stay within the cache's bytes.
    pub evicted: Counter,
    pub bytes: Gauge,
    pub entries: Gauge,
    /// 1 while writes on other instances reach this one's cache.
    pub listening: Gauge,
}

impl AnswerMetrics {
    fn register(&self, registry: &mut Registry) {
        let counters = [
            (
                "waypost_answer_cache_hits",
                "GraphQL requests answered from the answer cache",
                &self.hits,
            ),
            (
                "waypost_answer_cache_misses",
                "Cacheable GraphQL requests the answer cache did not hold",
                &self.misses,
            ),
            (
                "waypost_answer_cache_stale",
                "Cached answers dropped because a write or a scheduled post or guide going live changed what they read",
                &self.stale,
            ),
            (
                "waypost_answer_cache_evictions",
                "Cached answers dropped to stay within the cache's size",
                &self.evicted,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        let gauges = [
            (
                "waypost_answer_cache_bytes",
                "Bytes of answers the answer cache holds",
                &self.bytes,
            ),
            (
                "waypost_answer_cache_entries",
                "Answers the answer cache holds",
                &self.entries,
            ),
            (
                "waypost_answer_cache_listening",
                "1 while writes made through other instances reach this one's answer cache (always 1 on SQLite)",
                &self.listening,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
    }
}

/// The `waypost_db_pool_*` gauges, set from a [`ScrapeSample`] at each scrape.
#[derive(Debug, Default)]
struct PoolMetrics {
    connections: Labelled<StateLabels, PoolGauge>,
    size: PoolGauge,
    max: PoolGauge,
    waiting: PoolGauge,
    /// Counters kept by the pool, brought up to its totals at each scrape.
    timeouts: Counter,
    wait_seconds: Counter<f64, AtomicU64>,
}

impl PoolMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "waypost_db_pool_connections",
            "Open database connections in the pool, by state",
            self.connections.clone(),
        );
        let gauges = [
            (
                "waypost_db_pool_size",
                "Database connections the pool holds open",
                &self.size,
            ),
            (
                "waypost_db_pool_max",
                "Most database connections the pool may open",
                &self.max,
            ),
            (
                "waypost_db_pool_waiting",
                "Callers waiting for a database connection",
                &self.waiting,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "waypost_db_pool_timeouts",
            "Callers that gave up waiting for a database connection",
            self.timeouts.clone(),
        );
        registry.register(
            "waypost_db_pool_wait_seconds",
            "Time callers spent waiting for a database connection, in seconds",
            self.wait_seconds.clone(),
        );
    }

    fn set(&self, pool: ScrapeSample) {
        let state = |state| {
            self.connections
                .get_or_create(StateLabels { state }, PoolGauge::default)
        };
        let (idle, in_use) = (state("idle"), state("in_use"));
        let gauges = [
            (&idle, pool.idle),
            (&in_use, pool.in_use),
            (&self.size, pool.size),
            (&self.max, pool.max),
            (&self.waiting, pool.waiting),
        ];
        for (gauge, value) in gauges {
            gauge.set(u64::try_from(value).unwrap_or(u64::MAX));
        }
        self.timeouts
            .inc_by(pool.timeouts.saturating_sub(self.timeouts.get()));
        let waited = pool.wait_seconds - self.wait_seconds.get();
        if waited > 0.0 {
            self.wait_seconds.inc_by(waited);
        }
    }
}

/// The `waypost_db_replica_*` families: counters kept by the pool, brought
/// up to its totals at each scrape, and whether the replica rests. Without
/// a replica they stay at zero.
#[derive(Debug, Default)]
struct ReplicaMetrics {
    checkouts: Counter,
    statements: Counter,
    fallbacks: Counter,
    resting: Gauge,
}

impl ReplicaMetrics {
    fn register(&self, registry: &mut Registry) {
        let counters = [
            (
                "waypost_db_replica_checkouts",
                "Database connections the replica handed out for reads that tolerate lag",
                &self.checkouts,
            ),
            (
                "waypost_db_replica_statements",
                "SQL statements the replica ran",
                &self.statements,
            ),
            (
                "waypost_db_replica_fallbacks",
                "Times a read meant for the replica went to the primary: for a connection the replica did not give (it failed to, or was resting after failing), or for an operation it failed, run again there",
                &self.fallbacks,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "waypost_db_replica_resting",
            "1 while reads keep to the primary because the replica failed to give a connection",
            self.resting.clone(),
        );
    }

    fn set(&self, sample: ScrapeSample) {
        for (counter, total) in [
            (&self.checkouts, sample.replica_checkouts),
            (&self.statements, sample.replica_statements),
            (&self.fallbacks, sample.replica_fallbacks),
        ] {
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        self.resting.set(i64::from(sample.replica_resting));
    }
}

/// The label value for a client-chosen operation name: GraphQL names pass
/// unchanged; anything else has each character outside `[A-Za-z0-9_]`
/// replaced by `_` and is cut to [`MAX_OPERATION_LEN`] characters.
fn operation_label(operation: &str) -> Cow<'_, str> {
    let operation = operation.trim();
    if operation.is_empty() {
        return Cow::Borrowed(ANONYMOUS);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if operation.len() <= MAX_OPERATION_LEN && operation.chars().all(allowed) {
        return Cow::Borrowed(operation);
    }
    Cow::Owned(
        operation
            .chars()
            .take(MAX_OPERATION_LEN)
            .map(|c| if allowed(c) { c } else { '_' })
            .collect(),
    )
}

/// The operation labels that are ours rather than a client's.
fn is_reserved(operation: &str) -> bool {
    operation == ANONYMOUS || operation == OTHER
}

/// Client-chosen names with series of their own; each has one per outcome.
fn named_operations(requests: &BTreeMap<RequestLabels, Counter>) -> usize {
    requests
        .keys()
        .filter(|labels| labels.outcome == Outcome::Ok.as_str() && !is_reserved(&labels.operation))
        .count()
}

/// A labelled family written in label order, with its HELP and TYPE lines
/// even while it has no series. The crate's `Family` writes series in hash
/// order and leaves an empty family out, so scrapes would reorder from one
/// to the next and a fresh process would not name every family.
#[derive(Debug)]
struct Labelled<L, M>(Arc<RwLock<BTreeMap<L, M>>>);

impl<L, M> Default for Labelled<L, M> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<L, M> Clone for Labelled<L, M> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<L: Ord, M: Clone> Labelled<L, M> {
    /// The series for `labels`, if any. Metrics are handles: what counts
    /// into the clone counts into the family.
    fn get(&self, labels: &L) -> Option<M> {
        self.read().get(labels).cloned()
    }

    fn get_or_create(&self, labels: L, create: impl FnOnce() -> M) -> M {
        // Known series, the common case, take only the shared lock.
        if let Some(metric) = self.get(&labels) {
            return metric;
        }
        self.write().entry(labels).or_insert_with(create).clone()
    }

    /// The series hold no invariant a panicking thread could have broken,
    /// so a poisoned lock is used as it stands (here and in `read`) rather
    /// than taking metrics down.
    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<L, M>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<L, M>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<L, M> EncodeMetric for Labelled<L, M>
where
    L: Ord + EncodeLabelSet + Debug,
    M: Clone + EncodeMetric + TypedMetric + Debug,
{
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        for (labels, metric) in self.read().iter() {
            metric.encode(encoder.encode_family(labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
}

tokio::task_local! {
    static OPERATION: std::sync::Mutex<Option<String>>;
}

/// Runs `work` (one request) with a slot for the name of the operation it
/// runs, which only the parsed document may tell; returns the name too.
pub(crate) async fn naming_operation<F: Future>(work: F) -> (F::Output, Option<String>) {
    OPERATION
        .scope(std::sync::Mutex::new(None), async move {
            let output = work.await;
            let name = OPERATION
                .try_with(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner).take())
                .ok()
                .flatten();
            (output, name)
        })
        .await
}

/// Records the name of the operation the current request runs.
pub(crate) fn note_operation(name: &str) {
    let _ = OPERATION.try_with(|slot| {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(name.to_owned());
    });
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "counts and bucket bounds survive the text round trip exactly"
)]
mod tests;
