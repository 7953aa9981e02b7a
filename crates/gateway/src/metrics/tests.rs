//! Tests of the metrics: what a scrape shows after what was recorded.

use std::collections::BTreeSet;
use std::thread;

use super::*;

type Labels = Vec<(String, String)>;

#[derive(Debug)]
struct Sample {
    /// What follows the family's name: `_bucket`, `_sum`, `_count` or nothing.
    suffix: String,
    labels: Labels,
    value: f64,
}

#[derive(Debug, Default)]
struct Family {
    name: String,
    kind: String,
    help: String,
    samples: Vec<Sample>,
}

impl Family {
    fn value(&self, labels: &[(&str, &str)]) -> Option<f64> {
        let labels: Labels = labels
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.suffix.is_empty() && s.labels == labels)
            .map(|s| s.value)
    }
}

/// One labelled series of a histogram.
#[derive(Debug, Default)]
struct Series {
    labels: Labels,
    buckets: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
}

/// Parses the text format as a scraper would, checking as it goes:
/// HELP then TYPE once per family, each family's samples right after
/// them, no series twice, no other lines.
fn parse(text: &str) -> Vec<Family> {
    assert!(text.ends_with('\n'), "no trailing newline");
    let mut families: Vec<Family> = Vec::new();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(
                families.iter().all(|f| f.name != name),
                "HELP twice: {name}"
            );
            let (name, help) = (name.to_owned(), help.to_owned());
            families.push(Family {
                name,
                help,
                ..Family::default()
            });
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let family = families.last_mut().unwrap();
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(name == family.name && family.kind.is_empty(), "{line}");
            assert!(matches!(kind, "counter" | "gauge" | "histogram"), "{kind}");
            family.kind = kind.to_owned();
        } else {
            let family = families.last_mut().unwrap();
            assert!(!family.kind.is_empty(), "sample before TYPE: {line}");
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(seen.insert(series.to_owned()), "series twice: {line}");
            let sample = parse_sample(&family.name, series, value);
            let suffixes: &[&str] = match family.kind.as_str() {
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            assert!(suffixes.contains(&sample.suffix.as_str()), "{line}");
            family.samples.push(sample);
        }
    }
    families
}

fn parse_sample(family: &str, series: &str, value: &str) -> Sample {
    let series = series.strip_prefix(family).unwrap();
    let (suffix, mut rest) = series.split_once('{').unwrap_or((series, "}"));
    let mut labels = Vec::new();
    while let Some((key, quoted)) = rest.split_once("=\"") {
        let mut label = String::new();
        let mut chars = quoted.char_indices();
        let end = loop {
            match chars.next().unwrap() {
                (_, '\\') => label.push(match chars.next().unwrap().1 {
                    'n' => '\n',
                    c @ ('\\' | '"') => c,
                    c => panic!("bad escape \\{c} in {series}"),
                }),
                (i, '"') => break i,
                (_, c) => label.push(c),
            }
        };
        labels.push((key.to_owned(), label));
        rest = quoted[end + 1..].trim_start_matches(',');
    }
    assert_eq!(rest, "}", "unclosed labels in {series}");
    Sample {
        suffix: suffix.to_owned(),
        labels,
        value: value.parse().unwrap(),
    }
}

/// The series of a histogram family, each checked for shape: buckets in
/// rising `le` order, cumulative, ending at `+Inf` equal to `_count`;
/// series sorted by their labels.
fn histogram(family: &Family) -> Vec<Series> {
    assert_eq!(family.kind, "histogram");
    let mut series: Vec<Series> = Vec::new();
    for sample in &family.samples {
        let (le, labels): (Labels, Labels) =
            sample.labels.iter().cloned().partition(|(k, _)| k == "le");
        if series.last().is_none_or(|last| last.labels != labels) {
            if let Some(last) = series.last() {
                assert!(last.labels < labels, "series out of order");
            }
            series.push(Series {
                labels,
                ..Series::default()
            });
        }
        let current = series.last_mut().unwrap();
        match sample.suffix.as_str() {
            "_bucket" => current
                .buckets
                .push((le[0].1.parse().unwrap(), sample.value)),
            "_sum" => current.sum = sample.value,
            _ => current.count = sample.value,
        }
    }
    for s in &series {
        assert!(
            s.buckets.windows(2).all(|w| w[0].0 < w[1].0),
            "le not rising"
        );
        assert!(
            s.buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "not cumulative"
        );
        assert_eq!(s.buckets.last(), Some(&(f64::INFINITY, s.count)));
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

const POOL: ScrapeSample = ScrapeSample {
    size: 7,
    in_use: 4,
    idle: 3,
    waiting: 2,
    max: 10,
    timeouts: 0,
    wait_seconds: 0.0,
    feed_listening: false,
    answers_listening: false,
    replica_checkouts: 0,
    replica_statements: 0,
    replica_fallbacks: 0,
    replica_resting: false,
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
            "waypost_db_pool_timeouts_total",
            "waypost_db_pool_wait_seconds_total",
            "waypost_answer_cache_hits_total",
            "waypost_answer_cache_misses_total",
            "waypost_answer_cache_stale_total",
            "waypost_answer_cache_evictions_total",
            "waypost_answer_cache_bytes",
            "waypost_answer_cache_entries",
            "waypost_answer_cache_listening",
            "waypost_db_replica_checkouts_total",
            "waypost_db_replica_statements_total",
            "waypost_db_replica_fallbacks_total",
            "waypost_db_replica_resting",
            "waypost_open_connections",
            "waypost_open_websockets",
            "waypost_connections_closed_total",
            "waypost_operation_duration_seconds",
            "waypost_errors_total",
            "waypost_comment_feed_listening",
            "waypost_build_info",
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
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
    let families = parse(&Metrics::new().render(ScrapeSample::default()));
    assert_eq!(families.len(), 35);
    // Every limit counts from zero.
    let closed = family(&families, "waypost_connections_closed_total");
    assert_eq!(closed.samples.len(), 7);
    assert!(closed.samples.iter().all(|s| s.value == 0.0));
    // Every code counts from zero, so a rate over any starts from a value.
    let errors = family(&families, "waypost_errors_total");
    assert_eq!(errors.samples.len(), ErrorCode::ALL.len());
    assert!(family(&families, "process_resident_memory_bytes").samples[0].value > 0.0);
    assert!(family(&families, "process_open_fds").samples[0].value > 0.0);
    let build = family(&families, "waypost_build_info");
    assert_eq!(build.kind, "gauge");
    assert_eq!(
        build.value(&[
            ("version", env!("CARGO_PKG_VERSION")),
            ("commit", env!("WAYPOST_COMMIT"))
        ]),
        Some(1.0)
    );
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
    let metrics = Metrics::new();
    let loader = "say \"hi\"\\\nbye";
    metrics.record_batch(loader, 2);
    let text = metrics.render(ScrapeSample::default());
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

    let families = parse(&metrics.render(ScrapeSample::default()));
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
        let families = parse(&metrics.render(ScrapeSample::default()));
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
    let families = parse(&metrics.render(ScrapeSample::default()));
    let duration = histogram(family(&families, "waypost_request_duration_seconds"));
    assert_eq!(duration[0].count, 3.0);
    assert_eq!(duration[0].sum, 0.0);
    assert_eq!(duration[0].buckets[0].1, 3.0);
}

/// Prometheus keeps `le` as a string, so a bound spelled `1.0` rather than
/// `1` would start new series under every dashboard; and scrapers are told
/// to expect the 0.0.4 format, not OpenMetrics.
#[test]
fn scrapes_keep_the_text_format_and_bucket_spelling() {
    let metrics = Metrics::new();
    metrics.record_batch("AuthorByIdLoader", 3);
    let text = metrics.render(POOL);
    for line in [
        "# TYPE waypost_requests_total counter",
        r#"waypost_request_duration_seconds_bucket{le="0.005"} 0"#,
        r#"waypost_request_duration_seconds_bucket{le="1"} 0"#,
        r#"waypost_request_duration_seconds_bucket{le="10"} 0"#,
        r#"waypost_request_duration_seconds_bucket{le="+Inf"} 0"#,
        r#"waypost_sql_statements_per_request_bucket{le="89"} 0"#,
        r#"waypost_dataloader_batch_size_bucket{loader="AuthorByIdLoader",le="500"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(
        !text.contains("# EOF") && !text.contains("# UNIT"),
        "{text}"
    );
    assert_eq!(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
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
    let families = parse(&metrics.render(ScrapeSample::default()));
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

#[test]
fn errors_count_by_code_and_durations_by_operation() {
    let metrics = Metrics::new();
    metrics.record_request("PostPage", Outcome::Ok, 0.02, 3);
    metrics.record_request("PostPage", Outcome::ClientError, 0.001, 0);
    metrics.record_error(ErrorCode::BadUserInput);
    metrics.record_error(ErrorCode::BadUserInput);
    metrics.record_error(ErrorCode::ServiceUnavailable);
    let families = parse(&metrics.render(ScrapeSample {
        timeouts: 3,
        wait_seconds: 1.5,
        feed_listening: true,
        answers_listening: true,
        replica_checkouts: 8,
        replica_statements: 13,
        replica_fallbacks: 2,
        replica_resting: true,
        ..ScrapeSample::default()
    }));
    let errors = family(&families, "waypost_errors_total");
    assert_eq!(errors.value(&[("code", "BAD_USER_INPUT")]), Some(2.0));
    assert_eq!(errors.value(&[("code", "SERVICE_UNAVAILABLE")]), Some(1.0));
    assert_eq!(errors.value(&[("code", "FORBIDDEN")]), Some(0.0));
    let by_operation = family(&families, "waypost_operation_duration_seconds");
    let count = |outcome: &str| {
        by_operation
            .samples
            .iter()
            .find(|s| {
                s.suffix == "_count"
                    && s.labels.contains(&("operation".into(), "PostPage".into()))
                    && s.labels.contains(&("outcome".into(), outcome.into()))
            })
            .map(|s| s.value)
    };
    assert_eq!(count("ok"), Some(1.0));
    assert_eq!(count("client_error"), Some(1.0));
    assert_eq!(
        family(&families, "waypost_db_pool_timeouts_total").samples[0].value,
        3.0
    );
    assert_eq!(
        family(&families, "waypost_db_pool_wait_seconds_total").samples[0].value,
        1.5
    );
    assert_eq!(
        family(&families, "waypost_comment_feed_listening").samples[0].value,
        1.0
    );
    assert_eq!(
        family(&families, "waypost_answer_cache_listening").samples[0].value,
        1.0
    );
    for (name, value) in [
        ("waypost_db_replica_checkouts_total", 8.0),
        ("waypost_db_replica_statements_total", 13.0),
        ("waypost_db_replica_fallbacks_total", 2.0),
        ("waypost_db_replica_resting", 1.0),
    ] {
        assert_eq!(family(&families, name).samples[0].value, value, "{name}");
    }
    // The pool's totals are totals: a second scrape with the same sample
    // adds nothing.
    let again = parse(&metrics.render(ScrapeSample {
        timeouts: 3,
        wait_seconds: 1.5,
        replica_statements: 13,
        ..ScrapeSample::default()
    }));
    assert_eq!(
        family(&again, "waypost_db_pool_timeouts_total").samples[0].value,
        3.0
    );
    assert_eq!(
        family(&again, "waypost_db_replica_statements_total").samples[0].value,
        13.0
    );
    assert_eq!(
        family(&again, "waypost_db_replica_resting").samples[0].value,
        0.0
    );
}
