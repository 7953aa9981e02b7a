//! What operators see: health and readiness, Prometheus metrics scraped and
//! parsed, request ids echoed.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use serde_json::json;
use waypost_tests::{Backend, Protocol, Socket, TestApp, backend_tests, uncached};

backend_tests!(
    health_and_readiness_answer,
    pool_waits_and_timeouts_are_counted,
    readiness_does_not_queue_behind_a_saturated_pool,
    a_database_a_newer_build_migrated_is_not_migrated_again,
    metrics_count_what_happened,
    request_ids_are_echoed
);

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::empty(backend).await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

async fn pool_waits_and_timeouts_are_counted(backend: Backend) {
    let db = waypost_tests::TestDb::new(backend).await;
    let pool = waypost_db::DbPool::connect(&waypost_db::DbConfig {
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_millis(50),
        create_database: false,
        ..waypost_db::DbConfig::new(db.url.clone())
    })
    .await
    .unwrap();
    let held = pool.get().await.unwrap();
    assert!(pool.get().await.is_err(), "the only connection is taken");
    let status = pool.status();
    assert_eq!(status.timeouts, 1);
    assert!(status.wait_seconds >= 0.05, "{status:?}");
    drop(held);
    pool.get().await.unwrap();
    assert_eq!(pool.status().timeouts, 1);
}

async fn readiness_does_not_queue_behind_a_saturated_pool(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // Every pooled connection taken (the test shares the server's pool):
    // a request would now wait out the pool's 5 s acquire timeout.
    let mut held = Vec::new();
    while app.pool.status().size < app.pool.status().max || app.pool.status().available > 0 {
        held.push(app.pool.get().await.unwrap());
    }
    assert_eq!(app.pool.status().available, 0);
    let started = std::time::Instant::now();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "readiness waited {:?}",
        started.elapsed()
    );
    drop(held);
}

async fn a_database_a_newer_build_migrated_is_not_migrated_again(backend: Backend) {
    let app = TestApp::empty(backend).await;
    app.execute_sql("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')")
        .await;
    // A running instance stays ready through a rolling upgrade's migration…
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // …but this build will not migrate (or, in `serve`, start on) it.
    let err = app.pool.run_migrations().await.unwrap_err().to_string();
    assert!(err.contains("29991231000000"), "{err}");
    let status = app.pool.migration_status().await.unwrap();
    assert_eq!(status.unknown, ["29991231000000"]);
    assert!(status.pending.is_empty());
}

/// Samples of a Prometheus text exposition: `name{labels}` to value. Checks
/// the format as it goes: every family is typed before its samples.
fn parse_metrics(text: &str) -> HashMap<String, f64> {
    let mut typed = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.push(rest.split(' ').next().unwrap().to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let name = series.split('{').next().unwrap();
        assert!(
            typed.iter().any(|family| name.starts_with(family.as_str())),
            "{name} has no TYPE line"
        );
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap(),
        };
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    parse_metrics(&response.text().await.unwrap())
}

async fn metrics_count_what_happened(backend: Backend) {
    let app = TestApp::spawn_configured(backend, uncached).await;
    let page =
        "query PostPage { posts(first: 3) { nodes { slug author { name } tags { slug } } } }";
    for _ in 0..2 {
        app.data(page, json!({})).await;
    }
    let bad = app.graphql("query Broken { nope }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let samples = scrape(&app).await;
    let get = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
    };
    assert_eq!(
        get(r#"waypost_requests_total{operation="PostPage",outcome="ok"}"#),
        2.0
    );
    assert_eq!(
        get(r#"waypost_requests_total{operation="Broken",outcome="client_error"}"#),
        1.0
    );
    assert_eq!(get("waypost_request_duration_seconds_count"), 3.0);
    assert_eq!(
        get(r#"waypost_request_duration_seconds_bucket{le="+Inf"}"#),
        3.0
    );
    // A page of posts with authors and tags: three statements each time,
    // none for the refused query.
    assert_eq!(get("waypost_sql_statements_per_request_sum"), 6.0);
    assert_eq!(get("waypost_sql_statements_per_request_count"), 3.0);
    // Authors load in one batch of up to 3 per request.
    assert!(get(r#"waypost_dataloader_batch_size_count{loader="AuthorId"}"#) >= 2.0);
    assert!(get("waypost_db_pool_size") >= 1.0);
    assert!(get("waypost_db_pool_max") >= get("waypost_db_pool_size"));
    assert_eq!(get("waypost_active_subscriptions"), 0.0);
    assert_eq!(get(r#"waypost_errors_total{code="BAD_USER_INPUT"}"#), 1.0);
    assert_eq!(get(r#"waypost_errors_total{code="INTERNAL"}"#), 0.0);
    assert_eq!(
        get(r#"waypost_operation_duration_seconds_count{operation="PostPage",outcome="ok"}"#),
        2.0
    );
    assert_eq!(get("waypost_db_pool_timeouts_total"), 0.0);
    assert_eq!(
        get("waypost_comment_feed_listening"),
        match backend {
            // Nobody has subscribed: PostgreSQL's listener is not open yet.
            Backend::Postgres => 0.0,
            Backend::Sqlite => 1.0,
        }
    );
    assert!(get("process_resident_memory_bytes") > 1e6);
    assert!(get("process_open_fds") >= 1.0);
    assert!(get("process_start_time_seconds") > 1.7e9);
    // Which build is serving, with the commit it came from.
    let build = samples
        .iter()
        .find(|(series, _)| series.starts_with("waypost_build_info{"))
        .unwrap_or_else(|| panic!("no waypost_build_info in {samples:#?}"));
    assert_eq!(*build.1, 1.0);
    assert!(
        build
            .0
            .contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION")))
            && build.0.contains("commit=\""),
        "{}",
        build.0
    );

    // An open subscription shows, and goes once closed.
    let post = app
        .post_id("exploring-back-end-engineering-as-a-career")
        .await;
    let mut socket = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    socket
        .subscribe(
            "1",
            "subscription($p: ID!) { commentAdded(postId: $p) { id } }",
            json!({ "p": post }),
        )
        .await;
    assert_eq!(active_subscriptions_reach(&app, 1.0).await, 1.0);
    socket.close().await;
    assert_eq!(active_subscriptions_reach(&app, 0.0).await, 0.0);
}

/// The active-subscriptions gauge, scraped until it reads `expected` (a
/// socket opens and closes on its own task) or a second has passed.
async fn active_subscriptions_reach(app: &TestApp, expected: f64) -> f64 {
    let mut seen = f64::NAN;
    for _ in 0..50 {
        seen = scrape(app).await["waypost_active_subscriptions"];
        if seen == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    seen
}

async fn request_ids_are_echoed(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let given = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "trace-me-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
    let generated = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    // An id too long to log, or with characters no id needs, is replaced.
    for unfit in ["x".repeat(6_000), "two words".to_owned()] {
        let replaced = app
            .client
            .post(app.url("/graphql"))
            .header("x-request-id", &unfit)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "a UUID instead of {:.20}…: {id}", unfit);
    }
    let longest = "a".repeat(128);
    let kept = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", &longest)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], longest.as_str());
}

/// Eight instances started at once against a database that does not exist
/// yet: one creates it, and every one connects and migrates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_create_a_missing_database_once() {
    if !waypost_tests::backend_enabled(Backend::Postgres) {
        return;
    }
    let server = waypost_tests::test_server_url();
    let name = format!("waypost_race_{}", std::process::id());
    let remove = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    waypost_tests::admin_execute(&server, &remove)
        .await
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let url = url.to_string();
            tokio::spawn(async move {
                let pool = waypost_db::DbPool::connect(&waypost_db::DbConfig::new(url)).await?;
                pool.run_migrations().await.map(drop)
            })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    waypost_tests::admin_execute(&server, &remove)
        .await
        .unwrap();
}

/// A statement that outlives the request's deadline is cancelled by
/// PostgreSQL itself, so the database stops working once Waypost has
/// given up, and the connection serves the next borrower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cancels_a_statement_past_the_limit() {
    if !waypost_tests::backend_enabled(Backend::Postgres) {
        return;
    }
    use diesel_async::SimpleAsyncConnection;
    let db = waypost_tests::TestDb::new(Backend::Postgres).await;
    let pool = waypost_db::DbPool::connect(&waypost_db::DbConfig {
        statement_timeout: Some(std::time::Duration::from_millis(200)),
        max_connections: 1,
        create_database: false,
        ..waypost_db::DbConfig::new(db.url.clone())
    })
    .await
    .unwrap();
    let mut conn = pool.get().await.unwrap();
    let waypost_db::DbConn::Pg(c) = &mut conn else {
        panic!("a PostgreSQL pool")
    };
    let started = std::time::Instant::now();
    let err = (**c).batch_execute("SELECT pg_sleep(5)").await.unwrap_err();
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    (**c).batch_execute("SELECT 1").await.unwrap();
}
