//! Prometheus metrics for the gateway: request outcomes and latency, SQL
//! statements per request, data-loader batch sizes, live subscriptions and
//! database pool occupancy, rendered in the text exposition format 0.0.4.
//!
//! Written against std alone: nine families do not need a metrics crate, and
//! owning the output keeps the scrape format and the label cardinality in
//! our hands. Recording is a few relaxed atomic increments; the maps behind
//! labelled families are locked for writing only when a new label value
//! first appears.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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

const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Fibonacci-spaced, since a request past a handful of statements is
/// usually a missing batch, and the spacing shows how far past.
const STATEMENT_BUCKETS: &[u64] = &[1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
const BATCH_BUCKETS: &[u64] = &[1, 2, 5, 10, 20, 50, 100, 200, 500];

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

    const fn index(self) -> usize {
        match self {
            Self::Ok => 0,
            Self::ClientError => 1,
            Self::ServerError => 2,
            Self::Limited => 3,
            Self::Unavailable => 4,
        }
    }
}

/// Database pool occupancy at scrape time. The pool already keeps these
/// numbers, so the caller samples them when rendering rather than the
/// metrics mirroring every checkout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolGauges {
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
}

/// The service's metrics. Every method takes `&self`, so one instance behind
/// an `Arc` serves all requests.
#[derive(Debug)]
pub struct Metrics {
    requests: RequestCounts,
    duration: Histogram<f64>,
    statements: Histogram<u64>,
    /// Keyed by loader; loader names are fixed in code, so the map stays
    /// small without a cap.
    batches: RwLock<BTreeMap<&'static str, Histogram<u64>>>,
    /// Shared with every [`SubscriptionGuard`], which may outlive any borrow
    /// of `self`.
    subscriptions: Arc<AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry; families without observations still render, so
    /// dashboards see zeros rather than gaps after a restart.
    #[must_use]
    pub fn new() -> Self {
        Self {
            requests: RequestCounts::default(),
            duration: Histogram::new(DURATION_BUCKETS),
            statements: Histogram::new(STATEMENT_BUCKETS),
            batches: RwLock::new(BTreeMap::new()),
            subscriptions: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts one finished request. `operation` is the name the client gave
    /// (empty for an anonymous operation); it is reduced to
    /// `[A-Za-z0-9_]{1,64}` and, past 100 distinct names, counted as
    /// `other`.
    pub fn record_request(&self, operation: &str, outcome: Outcome, seconds: f64, statements: u64) {
        self.requests.count(operation, outcome);
        // A NaN or a clock that stepped back would otherwise poison the sum
        // for the life of the process.
        let seconds = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        self.duration.observe(seconds);
        self.statements.observe(statements);
    }

    /// Counts one data-loader batch of `size` keys.
    pub fn record_batch(&self, loader: &'static str, size: usize) {
        let size = u64::try_from(size).unwrap_or(u64::MAX);
        // Known loaders, the common case, take only the shared lock.
        if let Some(histogram) = read(&self.batches).get(loader) {
            histogram.observe(size);
            return;
        }
        write(&self.batches)
            .entry(loader)
            .or_insert_with(|| Histogram::new(BATCH_BUCKETS))
            .observe(size);
    }

    /// Counts a subscription as active until the returned guard is dropped,
    /// so a stream that ends by error, completion or disconnect is
    /// subtracted all the same.
    #[must_use = "the subscription counts as active only while the guard lives"]
    pub fn subscription_started(&self) -> SubscriptionGuard {
        self.subscriptions.fetch_add(1, Ordering::Relaxed);
        SubscriptionGuard(Arc::clone(&self.subscriptions))
    }

    /// Everything recorded so far plus `pool`, in the text exposition
    /// format; serve it with [`CONTENT_TYPE`].
    #[must_use]
    pub fn render(&self, pool: PoolGauges) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = self.write_exposition(&mut out, pool);
        out
    }

    fn write_exposition(&self, out: &mut String, pool: PoolGauges) -> fmt::Result {
        let requests = "waypost_requests_total";
        header(
            out,
            requests,
            "counter",
            "GraphQL requests by operation name and outcome.",
        )?;
        let mut outcomes = Outcome::ALL;
        outcomes.sort_unstable_by_key(|outcome| outcome.as_str());
        for (operation, counts) in self.requests.snapshot() {
            for outcome in outcomes {
                let labels = [
                    ("operation", operation.as_str()),
                    ("outcome", outcome.as_str()),
                ];
                sample(out, requests, labels, counts[outcome.index()])?;
            }
        }

        let duration = "waypost_request_duration_seconds";
        header(
            out,
            duration,
            "histogram",
            "Time taken to answer a GraphQL request, in seconds.",
        )?;
        self.duration.write(out, duration, &[])?;

        let statements = "waypost_sql_statements_per_request";
        header(
            out,
            statements,
            "histogram",
            "SQL statements run to answer one GraphQL request.",
        )?;
        self.statements.write(out, statements, &[])?;

        let batches = "waypost_dataloader_batch_size";
        header(
            out,
            batches,
            "histogram",
            "Keys per data-loader batch, by loader.",
        )?;
        for (loader, histogram) in read(&self.batches).iter() {
            histogram.write(out, batches, &[("loader", loader)])?;
        }

        let subscriptions = "waypost_active_subscriptions";
        header(
            out,
            subscriptions,
            "gauge",
            "GraphQL subscriptions currently streaming.",
        )?;
        sample(
            out,
            subscriptions,
            [],
            self.subscriptions.load(Ordering::Relaxed),
        )?;

        let connections = "waypost_db_pool_connections";
        header(
            out,
            connections,
            "gauge",
            "Open database connections in the pool, by state.",
        )?;
        sample(out, connections, [("state", "idle")], pool.idle)?;
        sample(out, connections, [("state", "in_use")], pool.in_use)?;

        let gauges = [
            (
                "waypost_db_pool_size",
                "Database connections the pool holds open.",
                pool.size,
            ),
            (
                "waypost_db_pool_max",
                "Most database connections the pool may open.",
                pool.max,
            ),
            (
                "waypost_db_pool_waiting",
                "Callers waiting for a database connection.",
                pool.waiting,
            ),
        ];
        for (name, help, value) in gauges {
            header(out, name, "gauge", help)?;
            sample(out, name, [], value)?;
        }
        Ok(())
    }
}

/// Keeps one subscription counted in `waypost_active_subscriptions`; see
/// [`Metrics::subscription_started`].
#[derive(Debug)]
pub struct SubscriptionGuard(Arc<AtomicU64>);

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Requests per outcome, indexed by [`Outcome::index`].
type OutcomeCounts = [AtomicU64; 5];

/// `waypost_requests_total`. The two fixed operation labels live outside the
/// map, so they neither take a lock nor use up the cap.
#[derive(Debug, Default)]
struct RequestCounts {
    anonymous: OutcomeCounts,
    other: OutcomeCounts,
    named: RwLock<BTreeMap<String, OutcomeCounts>>,
}

impl RequestCounts {
    fn count(&self, operation: &str, outcome: Outcome) {
        let bump = |counts: &OutcomeCounts| {
            counts[outcome.index()].fetch_add(1, Ordering::Relaxed);
        };
        let name = operation_label(operation);
        match name.as_ref() {
            ANONYMOUS => bump(&self.anonymous),
            OTHER => bump(&self.other),
            name => {
                // Known names, the common case, take only the shared lock.
                if let Some(counts) = read(&self.named).get(name) {
                    bump(counts);
                    return;
                }
                let mut named = write(&self.named);
                // Another request may have added the name in between.
                if let Some(counts) = named.get(name) {
                    bump(counts);
                } else if named.len() < MAX_OPERATIONS {
                    bump(named.entry(name.to_owned()).or_default());
                } else {
                    bump(&self.other);
                }
            }
        }
    }

    /// Operations that have been counted, sorted by name.
    fn snapshot(&self) -> Vec<(String, [u64; 5])> {
        let load = |counts: &OutcomeCounts| counts.each_ref().map(|n| n.load(Ordering::Relaxed));
        let mut rows: Vec<_> = read(&self.named)
            .iter()
            .map(|(name, counts)| (name.clone(), load(counts)))
            .collect();
        for (name, counts) in [(ANONYMOUS, &self.anonymous), (OTHER, &self.other)] {
            let counts = load(counts);
            if counts.iter().any(|&n| n > 0) {
                rows.push((name.to_owned(), counts));
            }
        }
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        rows
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

/// What a histogram can observe: seconds as `f64`, counts as `u64`. The sum
/// sits in an `AtomicU64` either way, as bits for `f64`.
trait Observation: Copy + PartialOrd + Display + 'static {
    fn add_to(sum: &AtomicU64, value: Self);
    fn sum_text(sum: &AtomicU64) -> String;
}

impl Observation for f64 {
    fn add_to(sum: &AtomicU64, value: Self) {
        // Never fails: the closure always returns `Some`.
        let _ = sum.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + value).to_bits())
        });
    }

    fn sum_text(sum: &AtomicU64) -> String {
        float_text(f64::from_bits(sum.load(Ordering::Relaxed)))
    }
}

impl Observation for u64 {
    fn add_to(sum: &AtomicU64, value: Self) {
        sum.fetch_add(value, Ordering::Relaxed);
    }

    fn sum_text(sum: &AtomicU64) -> String {
        sum.load(Ordering::Relaxed).to_string()
    }
}

/// A histogram with fixed buckets.
#[derive(Debug)]
struct Histogram<T: 'static> {
    bounds: &'static [T],
    /// Observations per bucket, not cumulative: one slot per bound and a
    /// last one for `+Inf`. Recording is then one increment, and `_count`
    /// is the total of the slots, so it always equals the `+Inf` bucket.
    slots: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl<T: Observation> Histogram<T> {
    fn new(bounds: &'static [T]) -> Self {
        Self {
            bounds,
            slots: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: T) {
        let slot = self.bounds.partition_point(|bound| *bound < value);
        if let Some(slot) = self.slots.get(slot) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        T::add_to(&self.sum, value);
    }

    fn write(&self, out: &mut String, name: &str, labels: &[(&str, &str)]) -> fmt::Result {
        let mut count = 0_u64;
        for (i, slot) in self.slots.iter().enumerate() {
            count = count.wrapping_add(slot.load(Ordering::Relaxed));
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), ToString::to_string);
            let bucket = labels.iter().copied().chain([("le", le.as_str())]);
            sample(out, &format!("{name}_bucket"), bucket, count)?;
        }
        let labels = labels.iter().copied();
        sample(
            out,
            &format!("{name}_sum"),
            labels.clone(),
            T::sum_text(&self.sum),
        )?;
        sample(out, &format!("{name}_count"), labels, count)
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {}", Escaped::help(help))?;
    writeln!(out, "# TYPE {name} {kind}")
}

fn sample<'a>(
    out: &mut String,
    name: &str,
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: impl Display,
) -> fmt::Result {
    out.push_str(name);
    let mut open = false;
    for (key, value) in labels {
        out.push(if open { ',' } else { '{' });
        open = true;
        write!(out, "{key}=\"{}\"", Escaped::label(value))?;
    }
    if open {
        out.push('}');
    }
    writeln!(out, " {value}")
}

/// Floats as the format spells them; Rust's own `inf` and `NaN` are not.
fn float_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// Text escaped for the exposition format: backslash and newline always,
/// the double quote inside label values.
struct Escaped<'a> {
    text: &'a str,
    quote: bool,
}

impl<'a> Escaped<'a> {
    fn label(text: &'a str) -> Self {
        Self { text, quote: true }
    }

    fn help(text: &'a str) -> Self {
        Self { text, quote: false }
    }
}

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.text.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '"' if self.quote => f.write_str("\\\"")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// The counters hold no invariant a panicking thread could have broken, so
/// a poisoned lock is used as it stands rather than taking metrics down.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

tokio::task_local! {
    static OPERATION: std::sync::Mutex<Option<String>>;
}

/// Runs `work` (one request) with a slot for the name of the operation it
/// runs, which only the parsed document may tell; returns the name too.
pub async fn naming_operation<F: Future>(work: F) -> (F::Output, Option<String>) {
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
pub fn note_operation(name: &str) {
    let _ = OPERATION.try_with(|slot| {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(name.to_owned());
    });
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "counts and bucket bounds survive the text round trip exactly"
)]
mod tests {
    use std::collections::BTreeSet;
    use std::thread;

    use super::*;

    type Labels = Vec<(String, String)>;

    #[derive(Debug)]
    struct Sample {
        name: String,
        labels: Labels,
        value: f64,
    }

    #[derive(Debug)]
    struct Family {
        name: String,
        kind: String,
        help: String,
        samples: Vec<Sample>,
    }

    impl Family {
        fn value(&self, labels: &[(&str, &str)]) -> Option<f64> {
            self.samples
                .iter()
                .find(|s| s.name == self.name && same_labels(&s.labels, labels))
                .map(|s| s.value)
        }
    }

    /// One labelled series of a histogram, checked for shape while parsed.
    #[derive(Debug)]
    struct Series {
        labels: Labels,
        buckets: Vec<(f64, f64)>,
        sum: f64,
        count: f64,
    }

    fn same_labels(parsed: &Labels, expected: &[(&str, &str)]) -> bool {
        parsed.len() == expected.len()
            && parsed
                .iter()
                .zip(expected)
                .all(|((k, v), (ek, ev))| k == ek && v == ev)
    }

    fn is_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    fn parse_value(text: &str) -> f64 {
        match text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => text
                .parse()
                .unwrap_or_else(|_| panic!("bad value {text:?}")),
        }
    }

    /// Parses the text format strictly enough for our own output: HELP then
    /// TYPE once per family, each family's samples right after them, each
    /// sample `name{labels} value`, no series twice.
    fn parse(text: &str) -> Vec<Family> {
        assert!(text.ends_with('\n'), "no trailing newline");
        let mut families: Vec<Family> = Vec::new();
        let mut seen = BTreeSet::new();
        for line in text.lines() {
            assert!(!line.is_empty(), "blank line");
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap();
                assert!(is_name(name), "bad family name {name:?}");
                assert!(
                    families.iter().all(|f| f.name != name),
                    "HELP twice for {name}"
                );
                families.push(Family {
                    name: name.to_owned(),
                    kind: String::new(),
                    help: help.to_owned(),
                    samples: Vec::new(),
                });
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                let family = families.last_mut().unwrap();
                assert_eq!(family.name, name, "TYPE without its HELP");
                assert!(family.kind.is_empty(), "TYPE twice for {name}");
                assert!(matches!(kind, "counter" | "gauge" | "histogram"), "{kind}");
                family.kind = kind.to_owned();
            } else {
                assert!(!line.starts_with('#'), "stray comment {line:?}");
                let sample = parse_sample(line);
                let family = families.last_mut().unwrap();
                assert!(!family.kind.is_empty(), "sample before TYPE: {line}");
                let suffixes: &[&str] = if family.kind == "histogram" {
                    &["_bucket", "_sum", "_count"]
                } else {
                    &[""]
                };
                assert!(
                    suffixes
                        .iter()
                        .any(|s| sample.name == format!("{}{s}", family.name)),
                    "{} outside its family {}",
                    sample.name,
                    family.name
                );
                assert!(
                    seen.insert((sample.name.clone(), sample.labels.clone())),
                    "series twice: {line}"
                );
                family.samples.push(sample);
            }
        }
        families
    }

    fn parse_sample(line: &str) -> Sample {
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        assert!(is_name(name), "bad metric name {name:?}");
        let mut chars = line[name_end..].chars().peekable();
        let mut labels = Vec::new();
        if chars.next_if_eq(&'{').is_some() {
            loop {
                let mut key = String::new();
                while let Some(c) = chars.next_if(|&c| c != '=') {
                    key.push(c);
                }
                assert!(is_name(&key) && !key.contains(':'), "bad label {key:?}");
                assert_eq!(chars.next(), Some('='));
                assert_eq!(chars.next(), Some('"'));
                let mut value = String::new();
                loop {
                    match chars.next().unwrap() {
                        '\\' => match chars.next().unwrap() {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            c => panic!("bad escape \\{c} in {line}"),
                        },
                        '"' => break,
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                match chars.next() {
                    Some(',') => {}
                    Some('}') => break,
                    c => panic!("expected , or }} after a label, got {c:?} in {line}"),
                }
            }
        }
        assert_eq!(chars.next(), Some(' '), "no space before the value: {line}");
        let value: String = chars.collect();
        Sample {
            name: name.to_owned(),
            labels,
            value: parse_value(&value),
        }
    }

    /// Checks every series of a histogram family: buckets in rising `le`
    /// order, cumulative, ending at `+Inf` equal to `_count`, followed by
    /// `_sum` and `_count`; series sorted by their labels.
    fn histogram(family: &Family) -> Vec<Series> {
        assert_eq!(family.kind, "histogram");
        let mut series: Vec<Series> = Vec::new();
        let mut samples = family.samples.iter().peekable();
        while samples.peek().is_some() {
            let mut buckets = Vec::new();
            let mut labels = None;
            while let Some(s) = samples.next_if(|s| s.name.ends_with("_bucket")) {
                let (le, rest): (Labels, Labels) =
                    s.labels.iter().cloned().partition(|(k, _)| k == "le");
                assert_eq!(le.len(), 1, "bucket without le");
                assert_eq!(labels.get_or_insert_with(|| rest.clone()), &rest);
                buckets.push((parse_value(&le[0].1), s.value));
            }
            let labels = labels.expect("series without buckets");
            let sum = samples.next().unwrap();
            assert_eq!(sum.name, format!("{}_sum", family.name));
            assert_eq!(sum.labels, labels);
            let count = samples.next().unwrap();
            assert_eq!(count.name, format!("{}_count", family.name));
            assert_eq!(count.labels, labels);

            assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0), "le not rising");
            assert!(
                buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                "not cumulative"
            );
            let last = buckets.last().unwrap();
            assert_eq!(last.0, f64::INFINITY, "no +Inf bucket");
            assert_eq!(last.1, count.value, "+Inf bucket differs from _count");
            if let Some(previous) = series.last() {
                assert!(previous.labels < labels, "series out of order");
            }
            series.push(Series {
                labels,
                buckets,
                sum: sum.value,
                count: count.value,
            });
        }
        series
    }

    fn family<'a>(families: &'a [Family], name: &str) -> &'a Family {
        families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const POOL: PoolGauges = PoolGauges {
        size: 7,
        in_use: 4,
        idle: 3,
        waiting: 2,
        max: 10,
    };

    #[test]
    fn render_is_well_formed_and_round_trips() {
        let metrics = Metrics::new();
        metrics.record_request("PostPage", Outcome::Ok, 0.003, 1);
        metrics.record_request("PostPage", Outcome::Ok, 0.02, 4);
        metrics.record_request("PostPage", Outcome::ServerError, 0.3, 40);
        metrics.record_request("", Outcome::ClientError, 20.0, 0);
        metrics.record_request("Feed", Outcome::Limited, 0.0, 0);
        metrics.record_batch("AuthorByIdLoader", 3);
        metrics.record_batch("AuthorByIdLoader", 700);
        metrics.record_batch("CommentsByPostLoader", 1);
        let _live = metrics.subscription_started();

        let text = metrics.render(POOL);
        let families = parse(&text);

        let names: Vec<_> = families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "waypost_requests_total",
                "waypost_request_duration_seconds",
                "waypost_sql_statements_per_request",
                "waypost_dataloader_batch_size",
                "waypost_active_subscriptions",
                "waypost_db_pool_connections",
                "waypost_db_pool_size",
                "waypost_db_pool_max",
                "waypost_db_pool_waiting",
            ]
        );
        assert!(families.iter().all(|f| !f.help.is_empty()));

        let requests = family(&families, "waypost_requests_total");
        assert_eq!(requests.kind, "counter");
        // Every outcome of every operation seen, zeros included, sorted.
        assert_eq!(requests.samples.len(), 3 * 5);
        let labels: Vec<_> = requests.samples.iter().map(|s| &s.labels).collect();
        assert!(
            labels.windows(2).all(|w| w[0] < w[1]),
            "series out of order"
        );
        let count = |op, outcome: Outcome| {
            requests
                .value(&[("operation", op), ("outcome", outcome.as_str())])
                .unwrap()
        };
        assert_eq!(count("PostPage", Outcome::Ok), 2.0);
        assert_eq!(count("PostPage", Outcome::ServerError), 1.0);
        assert_eq!(count("PostPage", Outcome::Unavailable), 0.0);
        assert_eq!(count("anonymous", Outcome::ClientError), 1.0);
        assert_eq!(count("Feed", Outcome::Limited), 1.0);

        let duration = histogram(family(&families, "waypost_request_duration_seconds"));
        assert_eq!(duration.len(), 1);
        let duration = &duration[0];
        assert!(duration.labels.is_empty());
        assert_eq!(duration.count, 5.0);
        assert!(close(duration.sum, 0.003 + 0.02 + 0.3 + 20.0));
        let bounds: Vec<_> = duration.buckets.iter().map(|b| b.0).collect();
        let mut expected = DURATION_BUCKETS.to_vec();
        expected.push(f64::INFINITY);
        assert_eq!(bounds, expected);
        let at = |le: f64| duration.buckets.iter().find(|b| b.0 == le).unwrap().1;
        assert_eq!(at(0.005), 2.0);
        assert_eq!(at(0.01), 2.0);
        assert_eq!(at(0.025), 3.0);
        assert_eq!(at(0.5), 4.0);
        assert_eq!(at(10.0), 4.0);

        let statements = histogram(family(&families, "waypost_sql_statements_per_request"));
        let statements = &statements[0];
        assert_eq!(statements.count, 5.0);
        assert_eq!(statements.sum, 45.0);
        assert_eq!(statements.buckets[0], (1.0, 3.0));
        assert_eq!(statements.buckets.last().unwrap().1, 5.0);

        let batches = histogram(family(&families, "waypost_dataloader_batch_size"));
        let loaders: Vec<_> = batches.iter().map(|s| s.labels[0].1.as_str()).collect();
        assert_eq!(loaders, ["AuthorByIdLoader", "CommentsByPostLoader"]);
        assert_eq!(batches[0].count, 2.0);
        assert_eq!(batches[0].sum, 703.0);
        // 700 is past the last bound: only in +Inf.
        assert_eq!(
            batches[0].buckets[batches[0].buckets.len() - 2],
            (500.0, 1.0)
        );

        let gauge = |name| family(&families, name).value(&[]).unwrap();
        assert_eq!(gauge("waypost_active_subscriptions"), 1.0);
        assert_eq!(gauge("waypost_db_pool_size"), 7.0);
        assert_eq!(gauge("waypost_db_pool_max"), 10.0);
        assert_eq!(gauge("waypost_db_pool_waiting"), 2.0);
        let connections = family(&families, "waypost_db_pool_connections");
        assert_eq!(connections.value(&[("state", "in_use")]), Some(4.0));
        assert_eq!(connections.value(&[("state", "idle")]), Some(3.0));
    }

    #[test]
    fn fresh_metrics_render_every_family() {
        let families = parse(&Metrics::new().render(PoolGauges::default()));
        assert_eq!(families.len(), 9);
        assert!(
            family(&families, "waypost_requests_total")
                .samples
                .is_empty()
        );
        assert!(
            family(&families, "waypost_dataloader_batch_size")
                .samples
                .is_empty()
        );
        let duration = histogram(family(&families, "waypost_request_duration_seconds"));
        assert_eq!(duration[0].count, 0.0);
        assert_eq!(duration[0].sum, 0.0);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(Escaped::label("a\\b\"c\nd").to_string(), "a\\\\b\\\"c\\nd");
        assert_eq!(Escaped::help("a\\b\"c\nd").to_string(), "a\\\\b\"c\\nd");

        let metrics = Metrics::new();
        let loader = "say \"hi\"\\\nbye";
        metrics.record_batch(loader, 2);
        let text = metrics.render(PoolGauges::default());
        assert!(text.contains(r#"loader="say \"hi\"\\\nbye""#), "{text}");
        let families = parse(&text);
        let batches = histogram(family(&families, "waypost_dataloader_batch_size"));
        assert_eq!(
            batches[0].labels,
            [("loader".to_owned(), loader.to_owned())]
        );
    }

    #[test]
    fn operation_names_are_sanitised() {
        assert_eq!(operation_label("PostPage"), "PostPage");
        assert_eq!(operation_label(""), "anonymous");
        assert_eq!(operation_label("  \n"), "anonymous");
        assert_eq!(operation_label(" get-post! "), "get_post_");
        assert_eq!(operation_label("pöst"), "p_st");
        assert_eq!(operation_label("x{y=\"z\"}"), "x_y__z__");
        let long = "a".repeat(200);
        assert_eq!(operation_label(&long), "a".repeat(64));
        let wide = "é".repeat(70);
        assert_eq!(operation_label(&wide), "_".repeat(64));
    }

    #[test]
    fn operation_names_beyond_the_cap_count_as_other() {
        let metrics = Metrics::new();
        for i in 0..150 {
            metrics.record_request(&format!("Op{i:03}"), Outcome::Ok, 0.01, 1);
        }
        // Names seen before the cap keep their own series.
        metrics.record_request("Op000", Outcome::Ok, 0.01, 1);
        // Reserved names neither use up the cap nor get a series of their own.
        metrics.record_request("", Outcome::Ok, 0.01, 1);
        metrics.record_request("other", Outcome::Ok, 0.01, 1);

        let families = parse(&metrics.render(PoolGauges::default()));
        let requests = family(&families, "waypost_requests_total");
        let operations: BTreeSet<_> = requests
            .samples
            .iter()
            .map(|s| s.labels[0].1.as_str())
            .collect();
        assert_eq!(operations.len(), MAX_OPERATIONS + 2);
        assert!(operations.contains("Op099"));
        assert!(!operations.contains("Op100"));
        let ok = |op| {
            requests
                .value(&[("operation", op), ("outcome", "ok")])
                .unwrap()
        };
        assert_eq!(ok("Op000"), 2.0);
        assert_eq!(ok("other"), 51.0);
        assert_eq!(ok("anonymous"), 1.0);
        let total: f64 = requests.samples.iter().map(|s| s.value).sum();
        assert_eq!(total, 153.0);
    }

    #[test]
    fn subscription_guard_decrements_on_drop() {
        let metrics = Metrics::new();
        let active = |metrics: &Metrics| {
            let families = parse(&metrics.render(PoolGauges::default()));
            family(&families, "waypost_active_subscriptions")
                .value(&[])
                .unwrap()
        };
        let first = metrics.subscription_started();
        let second = metrics.subscription_started();
        assert_eq!(active(&metrics), 2.0);
        drop(first);
        assert_eq!(active(&metrics), 1.0);
        drop(second);
        assert_eq!(active(&metrics), 0.0);
    }

    #[test]
    fn unusable_durations_count_as_zero() {
        let metrics = Metrics::new();
        for seconds in [f64::NAN, f64::INFINITY, -1.0] {
            metrics.record_request("Feed", Outcome::Ok, seconds, 1);
        }
        let families = parse(&metrics.render(PoolGauges::default()));
        let duration = histogram(family(&families, "waypost_request_duration_seconds"));
        assert_eq!(duration[0].count, 3.0);
        assert_eq!(duration[0].sum, 0.0);
        assert_eq!(duration[0].buckets[0].1, 3.0);
    }

    #[test]
    fn float_text_spells_specials_as_the_format_does() {
        assert_eq!(float_text(f64::INFINITY), "+Inf");
        assert_eq!(float_text(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float_text(f64::NAN), "NaN");
        assert_eq!(float_text(2.5), "2.5");
        assert_eq!(float_text(10.0), "10");
    }

    #[test]
    fn concurrent_recording_loses_nothing() {
        let metrics = Arc::new(Metrics::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let metrics = Arc::clone(&metrics);
                thread::spawn(move || {
                    for i in 0..500 {
                        metrics.record_request(
                            &format!("Op{}", (t * 500 + i) % 150),
                            Outcome::Ok,
                            0.25,
                            2,
                        );
                        metrics.record_batch("AuthorByIdLoader", 5);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let families = parse(&metrics.render(PoolGauges::default()));
        let requests = family(&families, "waypost_requests_total");
        let total: f64 = requests.samples.iter().map(|s| s.value).sum();
        assert_eq!(total, 4000.0);
        let duration = histogram(family(&families, "waypost_request_duration_seconds"));
        assert_eq!(duration[0].count, 4000.0);
        assert!(close(duration[0].sum, 1000.0));
        let statements = histogram(family(&families, "waypost_sql_statements_per_request"));
        assert_eq!(statements[0].sum, 8000.0);
        let batches = histogram(family(&families, "waypost_dataloader_batch_size"));
        assert_eq!(batches[0].count, 4000.0);
        assert_eq!(batches[0].sum, 20000.0);
    }
}
