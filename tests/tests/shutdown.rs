//! Stopping: requests in flight finish, WebSockets get a proper close
//! frame, new connections are refused, and serving ends cleanly.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use waypost_tests::{Backend, Message, Protocol, Socket, Stoppable, TestApp, backend_tests};

backend_tests!(stopping_finishes_what_is_in_flight);

async fn stopping_finishes_what_is_in_flight(backend: Backend) {
    let Stoppable { app, stop, stopped } =
        TestApp::stoppable(backend, Duration::from_secs(5)).await;
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
