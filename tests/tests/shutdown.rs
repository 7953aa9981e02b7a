//! Stopping: requests in flight finish, WebSockets get a proper close
//! frame, new connections are refused, and serving ends cleanly.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use waypost_gateway::StopTimes;
use waypost_tests::{Backend, Message, Protocol, Socket, Stoppable, TestApp, backend_tests};

backend_tests!(
    stopping_finishes_what_is_in_flight,
    draining_turns_readiness_off_while_still_serving
);

/// No drain: the stop begins at once.
const NO_DRAIN: StopTimes = StopTimes {
    drain: Duration::ZERO,
    grace: Duration::from_secs(5),
};

async fn stopping_finishes_what_is_in_flight(backend: Backend) {
    let Stoppable { app, stop, stopped } = TestApp::stoppable(backend, NO_DRAIN).await;
    let post = app
        .post_id("exploring-back-end-engineering-as-a-career")
        .await;

    // An open subscription.
    let mut socket = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    socket
        .subscribe(
            "1",
            "subscription($p: ID!) { commentAdded(postId: $p) { id } }",
            json!({ "p": post }),
        )
        .await;
    socket.assert_silent(Duration::from_millis(100)).await;

    // A comment in flight, waiting on the locked table when the stop comes.
    let holder = app.hold_comment_writes(Duration::from_millis(1500)).await;
    let in_flight = {
        let client = app.client.clone();
        let url = app.url("/graphql");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({
                    "query": "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { status } } }",
                    "variables": { "i": { "postId": post, "authorName": "Ada", "authorEmail": "ada@example.com", "body": "Sent just before the stop" } }
                }))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    stop.send(()).unwrap();

    // The socket is closed with "going away".
    match socket.next(Duration::from_secs(2)).await {
        Message::Closed(Some((code, reason))) => {
            assert_eq!(code, 1001, "{reason}");
            assert!(reason.contains("stopping"), "{reason}");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }

    // New connections are refused while the comment finishes.
    let mut refused = false;
    for _ in 0..20 {
        let fresh = reqwest::Client::new();
        if fresh
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(refused, "no new connections once stopping");

    // The comment in flight is answered, and stored.
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["addComment"]["comment"]["status"], "PENDING",
        "{body:#}"
    );
    holder.await.unwrap();

    // Serving ends cleanly, once nothing is left, well within the grace.
    let result = tokio::time::timeout(Duration::from_secs(4), stopped)
        .await
        .expect("stopped within the grace period")
        .unwrap();
    assert!(result.is_ok());
    assert!(asked.elapsed() < Duration::from_secs(4));
}

async fn draining_turns_readiness_off_while_still_serving(backend: Backend) {
    // Long enough that the checks below all fall inside the drain, however
    // slow the machine; the test waits for the stop, not for the clock.
    let drain = Duration::from_secs(4);
    let Stoppable { app, stop, stopped } = TestApp::stoppable(
        backend,
        StopTimes {
            drain,
            grace: Duration::from_secs(5),
        },
    )
    .await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let asked = Instant::now();
    stop.send(()).unwrap();

    // At once: readiness fails, so the load balancer takes us out.
    let mut draining = false;
    for _ in 0..40 {
        let fresh = reqwest::Client::new();
        let ready = fresh.get(app.url("/readyz")).send().await.unwrap();
        if ready.status() == 503 {
            let text = ready.text().await.unwrap();
            assert!(text.contains("draining"), "{text}");
            draining = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(draining, "readiness never turned 503");
    // Yet new connections are still served while the balancer catches up.
    let fresh = reqwest::Client::new();
    let body: Value = fresh
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ posts(first: 1) { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["posts"]["totalCount"], 12, "{body:#}");
    assert!(
        asked.elapsed() < drain,
        "the checks ran past the drain: {:?}",
        asked.elapsed()
    );

    // Then it stops, cleanly, no sooner than the drain.
    let result = tokio::time::timeout(drain + Duration::from_secs(5), stopped)
        .await
        .expect("stopped after the drain")
        .unwrap();
    assert!(result.is_ok());
    assert!(
        asked.elapsed() >= drain,
        "stopped before the drain was over"
    );
    assert!(
        reqwest::Client::new()
            .get(app.url("/healthz"))
            .send()
            .await
            .is_err(),
        "the listener is closed"
    );
}
