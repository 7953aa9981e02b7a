//! Three `waypost serve` instances on one PostgreSQL behave as one service:
//! a session opened through one works on the others, a query persisted
//! through one runs by hash on the others, a write through one is read
//! fresh through the others (their answer caches hear of it), and a
//! comment posted through one reaches subscribers on all.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use waypost_domain::comment::CommentSettings;
use waypost_tests::{
    Backend, Protocol, Socket, TestApp, backend_enabled, persisted_extension, sha256,
};

const SEED: &str = "exploring-back-end-engineering-as-a-career";
const PAGE: &str = "query Page($s: String!) { post(slug: $s) { id title version commentCount } }";
const LIVE: &str = "subscription($p: ID!) { commentAdded(postId: $p) { id } }";
/// How soon a write through one instance must be read through the others.
const PROPAGATION: Duration = Duration::from_secs(1);

async fn page(app: &TestApp) -> Value {
    let (status, body) = app
        .post_json(&json!({ "query": PAGE, "variables": { "s": SEED } }))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["post"].clone()
}

/// Polls `app` until its page shows `title`; how long that took.
async fn until_title(app: &TestApp, title: &str) -> Duration {
    let started = Instant::now();
    loop {
        if page(app).await["title"] == title {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PROPAGATION,
            "still the old title after {PROPAGATION:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behave_as_one() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    let settings = CommentSettings {
        flood_limit: 1_000,
        ..CommentSettings::default()
    };
    let a = TestApp::empty_configured(Backend::Postgres, |s| s.with_comments(settings)).await;
    waypost_domain::demo::seed_demo(&a.pool).await.unwrap();
    let b = a.sibling(|s| s.with_comments(settings)).await;
    let c = a.sibling(|s| s.with_comments(settings)).await;

    // A session opened through A works on B and C.
    let token = a.editor_token().await;
    for other in [&b, &c] {
        let (_, body) = other
            .graphql_as(&token, "query { viewer { email } }", json!({}))
            .await;
        assert_eq!(
            body["data"]["viewer"]["email"], "editor@example.com",
            "{body}"
        );
    }

    // A query persisted through A runs by hash on B and C.
    let extensions = persisted_extension(&sha256(PAGE));
    let (_, body) = a
        .post_json(&json!({ "query": PAGE, "variables": { "s": SEED }, "extensions": extensions }))
        .await;
    assert!(body["data"]["post"]["title"].is_string(), "{body}");
    for other in [&b, &c] {
        let body: Value = other
            .client
            .get(other.url("/graphql"))
            .query(&[
                ("extensions", extensions.to_string()),
                ("variables", json!({ "s": SEED }).to_string()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body["data"]["post"]["title"].is_string(), "{body}");
    }

    // Every instance caches the page; a write through A reaches them all.
    let before = page(&a).await;
    for app in [&a, &b, &c] {
        page(app).await;
        let (statements, _) = app.statements_during(page(app)).await;
        assert_eq!(statements, 0, "the page is cached");
    }
    let (_, body) = a
        .graphql_as(
            &token,
            "mutation($i: UpdatePostInput!) { updatePost(input: $i) { userErrors { code } } }",
            json!({ "i": { "id": before["id"], "expectedVersion": before["version"], "title": "Told everyone" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updatePost"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        page(&a).await["title"],
        "Told everyone",
        "the writer's instance at once"
    );
    for other in [&b, &c] {
        let took = until_title(other, "Told everyone").await;
        println!("fresh on another instance after {took:?}");
    }

    // A comment posted through A reaches subscribers on B and C.
    let post = before["id"].clone();
    let mut sockets = Vec::new();
    for other in [&b, &c] {
        let mut socket = Socket::connect(other, Protocol::TransportWs, json!({})).await;
        socket.subscribe("live", LIVE, json!({ "p": post })).await;
        other.await_feed_subscribers(1).await;
        sockets.push(socket);
    }
    let raw = TestApp::raw_post_id(&post);
    let id = a
        .approved_comment(
            raw,
            None,
            "reader@example.com",
            "Reader",
            "Heard everywhere.",
        )
        .await;
    for socket in &mut sockets {
        let event = socket.result("live").await;
        assert_eq!(
            TestApp::raw_id(&event["data"]["commentAdded"]["id"], "Comment"),
            id,
            "{event}"
        );
    }
}
