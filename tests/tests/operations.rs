//! What operators see: health and readiness, Prometheus metrics scraped and
//! parsed, request ids echoed.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use serde_json::json;
use waypost_tests::{Backend, Protocol, Socket, TestApp, backend_tests};

backend_tests!(
    health_and_readiness_answer,
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
    let app = TestApp::spawn(backend).await;
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
}
