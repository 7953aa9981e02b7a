//! What clients see when the database fails under Waypost: a coded error
//! with a plain message, never a 500 or the database's own words.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use waypost_domain::comment::CommentSettings;
use waypost_domain::demo::seed_demo;
use waypost_tests::{Backend, TestApp, backend_enabled, test_server_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severed_connections_give_coded_errors_then_recover() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    // Flood control out of the way: the light load below posts comments
    // from one address all through the outage.
    let settings = CommentSettings {
        flood_limit: 1_000_000,
        ..CommentSettings::default()
    };
    let app = TestApp::empty_configured(Backend::Postgres, move |state| {
        state.with_comments(settings)
    })
    .await;
    seed_demo(&app.pool).await.unwrap();
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
    // A light load of comments before, during and after the outage; every
    // comment acknowledged with a receipt must be there afterwards.
    let running = Arc::new(AtomicBool::new(true));
    let load = {
        let (client, url, running) = (app.client.clone(), app.url("/graphql"), running.clone());
        let post = post.clone();
        tokio::spawn(async move {
            let (mut acknowledged, mut refused) = (Vec::new(), 0);
            let mut n = 0;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let body: serde_json::Value = client
                    .post(&url)
                    .json(&json!({ "query": add, "variables": { "i": { "postId": post, "authorName": "Load", "authorEmail": format!("load{n}@example.com"), "body": format!("Under load, number {n}") } } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                match body["data"]["addComment"]["receipt"].as_str() {
                    Some(receipt) => acknowledged.push(receipt.to_owned()),
                    None => {
                        assert_eq!(
                            body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
                            "{body:#}"
                        );
                        refused += 1;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            (acknowledged, refused)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
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
        // An outage is a 503 for load balancers and dashboards, with a hint
        // of when to come back.
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "2");
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
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    running.store(false, Ordering::Relaxed);
    let (acknowledged, refused) = load.await.unwrap();
    assert!(refused > 0, "the load met the outage");
    assert!(
        acknowledged.len() > 2,
        "the load was served before and after"
    );
    // Nothing acknowledged was lost.
    for receipt in receipts.into_iter().chain(acknowledged) {
        let body = app
            .data(
                "query($r: String!) { comment(receipt: $r) { status } }",
                json!({ "r": receipt }),
            )
            .await;
        assert_eq!(body["comment"]["status"], "PENDING", "{body:#}");
    }
}
