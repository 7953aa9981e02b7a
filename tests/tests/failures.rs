//! What clients see when the database fails under Waypost: a coded error
//! with a plain message, never a 500 or the database's own words.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use waypost_tests::{Backend, TestApp, backend_enabled, test_server_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severed_connections_give_coded_errors_then_recover() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let query =
        "{ posts(first: 3) { totalCount edges { node { title author { name } tags { slug } } } } }";
    // Comments acknowledged before the outage, each with its receipt.
    let post = app
        .post_id("exploring-back-end-engineering-as-a-career")
        .await;
    let add =
        "mutation($i: AddCommentInput!) { addComment(input: $i) { receipt comment { status } } }";
    let mut receipts = Vec::new();
    for n in 0..3 {
        let body = app
            .data(
                add,
                json!({ "i": { "postId": post, "authorName": "Ada", "authorEmail": format!("ada{n}@example.com"), "body": format!("Before the outage, number {n}") } }),
            )
            .await;
        receipts.push(body["addComment"]["receipt"].as_str().unwrap().to_owned());
    }
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // Open a few pooled connections, then have the server cut them all.
    let _ = app.data(query, json!({})).await;
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let admin = |sql: String| async move {
        waypost_tests::admin_execute(&test_server_url(), &sql)
            .await
            .unwrap()
    };
    admin(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await;
    admin(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    // Backends end asynchronously; wait until none is left.
    for _ in 0..100 {
        let check = format!(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '{name}') \
             THEN RAISE EXCEPTION 'busy'; END IF; END $$"
        );
        if waypost_tests::admin_execute(&test_server_url(), &check)
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // While the database refuses connections: coded errors, plain words,
    // fast (well within the pool's 5 s acquire timeout, let alone the
    // request timeout); readiness reports it.
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process itself is fine");
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "failed fast"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors: {body:#}"));
        for error in errors {
            assert_eq!(
                error["extensions"]["code"], "SERVICE_UNAVAILABLE",
                "{body:#}"
            );
            let message = error["message"].as_str().unwrap().to_lowercase();
            for leak in [
                "terminat",
                "sql",
                "postgres",
                "connection",
                "diesel",
                "pg_",
                "allow",
            ] {
                assert!(!message.contains(leak), "{message}");
            }
        }
    }

    // Once it accepts connections again, Waypost serves without a restart.
    admin(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
    let mut recovered = false;
    for _ in 0..20 {
        let body = app.graphql(query, json!({})).await;
        if body.get("errors").is_none() {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(recovered, "Waypost serves again once the database is back");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // Nothing acknowledged was lost.
    for receipt in receipts {
        let body = app
            .data(
                "query($r: String!) { comment(receipt: $r) { status } }",
                json!({ "r": receipt }),
            )
            .await;
        assert_eq!(body["comment"]["status"], "PENDING", "{body:#}");
    }
}
