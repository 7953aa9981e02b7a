//! Live comments: the `commentAdded` subscription over a real WebSocket, in
//! both protocols, on both backends, and across two instances on PostgreSQL.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_domain::comment::CommentSettings;
use waypost_tests::{Backend, Message, Protocol, Socket, TestApp, backend_enabled, backend_tests};

backend_tests!(
    public_comments_arrive_and_nothing_else_does,
    racing_approvals_are_news_once,
    missed_news_ends_the_subscription_with_a_code,
    the_legacy_protocol_is_served_too,
    moderators_see_emails_and_bad_tokens_are_refused,
    subscribing_to_what_is_not_there_is_a_coded_error,
    a_slow_subscriber_holds_up_no_one,
    subscribers_share_one_read_of_each_comment,
);

const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";
const TRUSTED: &str = "trusted@secret.example";
const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id status } userErrors { code } } }";
const MODERATE: &str =
    "mutation($i: ModerateCommentInput!) { moderateComment(input: $i) { comment { status } } }";
/// Every field of a comment, the email included, as an anonymous client
/// would try to read it.
const LIVE: &str = "subscription($p: ID!) { commentAdded(postId: $p) { id authorName authorEmail authorUrl html status depth parentId createdAt post { slug commentCount } replies { totalCount } } }";

async fn app(backend: Backend) -> TestApp {
    let settings = CommentSettings {
        flood_limit: 1_000,
        ..CommentSettings::default()
    };
    let app = TestApp::empty_configured(backend, |state| state.with_comments(settings)).await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    app
}

/// A server whose TRUSTED commenter posts approved at once (an approved
/// comment earned the trust), and the article's id.
async fn with_trusted(backend: Backend) -> (TestApp, Value) {
    let app = app(backend).await;
    let post = app.post_id(ARTICLE).await;
    let raw = TestApp::raw_post_id(&post);
    app.approved_comment(raw, None, TRUSTED, "Trusted", "First!")
        .await;
    (app, post)
}

/// A server whose TRUSTED commenter posts approved at once, and a socket
/// subscribed with `protocol` to the article's live comments as `id`.
async fn listening(backend: Backend, protocol: Protocol, id: &str) -> (TestApp, Value, Socket) {
    let (app, post) = with_trusted(backend).await;
    let mut socket = Socket::connect(&app, protocol, json!({})).await;
    socket.subscribe(id, LIVE, json!({ "p": post })).await;
    app.await_feed_subscribers(1).await;
    (app, post, socket)
}

/// Adds a comment through the API; returns its id and status.
async fn add(
    app: &TestApp,
    post: &Value,
    email: &str,
    body: &str,
    honeypot: &str,
) -> (Value, Value) {
    let data = app
        .data(
            ADD,
            json!({ "i": { "postId": post, "authorName": "Reader", "authorEmail": email, "body": body, "honeypot": honeypot } }),
        )
        .await;
    let comment = &data["addComment"]["comment"];
    (comment["id"].clone(), comment["status"].clone())
}

/// The text must not reveal `email`, in clear or as a SHA-256 hash.
fn assert_no_email(text: &str, email: &str) {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(email.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!text.contains(email), "email leaked: {text}");
    assert!(!text.contains(&hash), "email hash leaked: {text}");
}

async fn public_comments_arrive_and_nothing_else_does(backend: Backend) {
    let (app, post, mut socket) = listening(backend, Protocol::TransportWs, "live").await;
    let editor = app.editor_token().await;

    let (first, status) = add(&app, &post, TRUSTED, "Posted approved.", "").await;
    assert_eq!(status, "APPROVED");
    let event = socket.result("live").await;
    assert_no_email(&event.to_string(), TRUSTED);
    let comment = &event["data"]["commentAdded"];
    assert_eq!(comment["id"], first);
    assert_eq!(comment["authorName"], "Reader");
    assert_eq!(comment["authorEmail"], Value::Null);
    assert_eq!(comment["status"], "APPROVED");
    assert_eq!(comment["parentId"], Value::Null, "on the post itself");
    assert_eq!(comment["post"]["slug"], ARTICLE);
    assert_eq!(comment["post"]["commentCount"], 2);

    // Neither a pending comment nor spam is sent. Had either been, it would
    // arrive before the approval below, which is announced after both.
    let (pending, status) = add(&app, &post, "new@secret.example", "Waiting.", "").await;
    assert_eq!(status, "PENDING");
    let (_spam, status) = add(&app, &post, "bot@secret.example", "Buy now.", "filled").await;
    assert_eq!(status, "PENDING", "spam looks pending to its poster");
    let (status, moderated) = app
        .graphql_as(
            &editor,
            MODERATE,
            json!({ "i": { "id": pending, "status": "APPROVED" } }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        moderated["data"]["moderateComment"]["comment"]["status"],
        "APPROVED"
    );
    let event = socket.result("live").await;
    assert_no_email(&event.to_string(), "new@secret.example");
    assert_eq!(event["data"]["commentAdded"]["id"], pending);
    assert_eq!(
        event["data"]["commentAdded"]["post"]["commentCount"], 3,
        "each event is read afresh, not from the first one's cache"
    );

    // Approving it again is no news; nor is trashing it.
    let (_, again) = app
        .graphql_as(
            &editor,
            MODERATE,
            json!({ "i": { "id": pending, "status": "APPROVED" } }),
        )
        .await;
    assert_eq!(
        again["data"]["moderateComment"]["comment"]["status"],
        "APPROVED"
    );
    socket
        .assert_silent(std::time::Duration::from_millis(300))
        .await;
    app.graphql_as(
        &editor,
        MODERATE,
        json!({ "i": { "id": pending, "status": "TRASH" } }),
    )
    .await;
    let (last, _) = add(&app, &post, TRUSTED, "Posted approved, again.", "").await;
    let event = socket.result("live").await;
    assert_eq!(event["data"]["commentAdded"]["id"], last);

    // Comments on another post are not this subscription's news.
    let other = app.post_id("postgresql-indexing-basics").await;
    add(&app, &other, TRUSTED, "Elsewhere.", "").await;
    let (after_other, _) = add(&app, &post, TRUSTED, "Back here.", "").await;
    assert_eq!(
        socket.result("live").await["data"]["commentAdded"]["id"],
        after_other
    );

    // A reply says where it goes, so a client files it under its parent.
    let reply = app
        .data(
            ADD,
            json!({ "i": { "postId": post, "parentId": after_other, "authorName": "Reader", "authorEmail": TRUSTED, "body": "A reply." } }),
        )
        .await;
    let event = socket.result("live").await;
    let added = &event["data"]["commentAdded"];
    assert_eq!(added["id"], reply["addComment"]["comment"]["id"]);
    assert_eq!(added["parentId"], after_other, "{event:#}");
    assert_eq!(added["depth"], 1);

    // A subscriber that leaves costs nothing afterwards.
    socket.close().await;
    app.await_feed_subscribers(0).await;
    add(&app, &post, TRUSTED, "Nobody is listening.", "").await;
}

async fn the_legacy_protocol_is_served_too(backend: Backend) {
    let (app, post, mut socket) = listening(backend, Protocol::LegacyWs, "old").await;
    let (id, _) = add(&app, &post, TRUSTED, "Old clients hear it too.", "").await;
    let event = socket.result("old").await;
    assert_eq!(event["data"]["commentAdded"]["id"], id);
    assert_no_email(&event.to_string(), TRUSTED);

    // Stopping the operation ends it and frees its place.
    socket.send(json!({ "id": "old", "type": "stop" })).await;
    socket.assert_complete("old").await;
    app.await_feed_subscribers(0).await;
}

async fn moderators_see_emails_and_bad_tokens_are_refused(backend: Backend) {
    let (app, post) = with_trusted(backend).await;
    let editor = app.editor_token().await;

    let mut socket = Socket::connect(
        &app,
        Protocol::TransportWs,
        json!({ "Authorization": format!("Bearer {editor}") }),
    )
    .await;
    socket
        .subscribe(
            "mod",
            "subscription($p: ID!) { commentAdded(postId: $p) { authorEmail } }",
            json!({ "p": post }),
        )
        .await;
    app.await_feed_subscribers(1).await;
    add(&app, &post, TRUSTED, "For the editor's eyes.", "").await;
    assert_eq!(
        socket.result("mod").await["data"]["commentAdded"]["authorEmail"],
        TRUSTED
    );

    // Once the session ends, the connection's next operation is refused
    // rather than run with the old rights.
    let (_, out) = app
        .graphql_as(&editor, "mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(out["data"]["signOut"]["signedOut"], true, "{out}");
    // The subscription already running sends no email: its next answer is
    // a refusal, and it ends.
    add(&app, &post, TRUSTED, "After the editor left.", "").await;
    let refused = socket.result("mod").await;
    assert_no_email(&refused.to_string(), TRUSTED);
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    socket.assert_complete("mod").await;
    socket
        .subscribe(
            "later",
            "subscription($p: ID!) { commentAdded(postId: $p) { authorEmail } }",
            json!({ "p": post }),
        )
        .await;
    let refused = socket.result("later").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );

    // A bad token in connection_init closes the connection.
    let (_, first) = Socket::open(
        &app,
        Protocol::TransportWs,
        json!({ "Authorization": "Bearer not-a-session" }),
    )
    .await;
    match first {
        Message::Closed(Some((code, reason))) => {
            assert_eq!(code, 1002);
            assert!(reason.contains("token"), "{reason}");
        }
        other => panic!("expected a close, got {other:?}"),
    }

    // A bad token on the upgrade request is refused before the upgrade.
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .bearer_auth("not-a-session")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn subscribing_to_what_is_not_there_is_a_coded_error(backend: Backend) {
    let app = app(backend).await;
    let mut socket = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    let draft = app.post_id("notes-on-graphql-schema-design").await;
    for (id, post, code) in [
        ("missing", json!(base64_of("Post:999999")), "NOT_FOUND"),
        ("draft", draft, "NOT_FOUND"),
        ("garbage", json!("not-an-id"), "BAD_USER_INPUT"),
        ("author", json!(base64_of("Author:1")), "BAD_USER_INPUT"),
    ] {
        socket
            .subscribe(
                id,
                "subscription($p: ID!) { commentAdded(postId: $p) { id } }",
                json!({ "p": post }),
            )
            .await;
        let answer = socket.result(id).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
        socket.assert_complete(id).await;
    }
    app.await_feed_subscribers(0).await;

    // A subscription sent over plain HTTP is refused with a code.
    let body = app
        .graphql(
            "subscription($p: ID!) { commentAdded(postId: $p) { id } }",
            json!({ "p": app.post_id(ARTICLE).await }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A subscriber that never reads falls behind and misses old news; those
/// who post never wait for it, and it still hears what comes later.
async fn a_slow_subscriber_holds_up_no_one(backend: Backend) {
    use tokio::sync::broadcast::Receiver;
    use tokio::sync::broadcast::error::RecvError;
    use waypost_db::{CommentId, CommentPublished, Heard, PostId};
    /// Reads until news of `last` arrives; true if some was skipped.
    async fn read_until(receiver: &mut Receiver<Heard>, last: i64) -> bool {
        let mut lagged = false;
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(10), receiver.recv())
                .await
                .expect("news arrives")
            {
                Ok(Heard::Published(item)) if item.event.comment_id == CommentId(last) => {
                    return lagged;
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => lagged = true,
                Err(RecvError::Closed) => panic!("the feed closed"),
            }
        }
    }
    let app = app(backend).await;
    let mut slow = app.feed.subscribe().await.unwrap();
    let mut keen = app.feed.subscribe().await.unwrap();
    let news = |ids: std::ops::RangeInclusive<i64>| -> Vec<CommentPublished> {
        ids.map(|i| CommentPublished {
            post_id: PostId(1),
            comment_id: CommentId(i),
        })
        .collect()
    };
    let mut conn = app.pool.get().await.unwrap();
    // Far more news than a subscriber may fall behind by, announced at once.
    app.feed
        .announce(&mut conn, &news(1..=5_000))
        .await
        .unwrap();
    read_until(&mut keen, 5_000).await;
    // All of it has reached this instance; the slow one read none of it.
    assert!(
        read_until(&mut slow, 5_000).await,
        "the slow subscriber skipped old news"
    );
    app.feed
        .announce(&mut conn, &news(5_001..=5_001))
        .await
        .unwrap();
    assert!(
        !read_until(&mut slow, 5_001).await,
        "and hears what comes later"
    );
}

async fn racing_approvals_are_news_once(backend: Backend) {
    let (app, post, mut socket) = listening(backend, Protocol::TransportWs, "live").await;
    let editor = app.editor_token().await;
    let (pending, _) = add(&app, &post, "new@secret.example", "Approve me twice.", "").await;
    let approve = || {
        app.graphql_as(
            &editor,
            MODERATE,
            json!({ "i": { "id": pending, "status": "APPROVED" } }),
        )
    };
    let (first, second) = tokio::join!(approve(), approve());
    for (status, body) in [first, second] {
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["moderateComment"]["comment"]["status"], "APPROVED",
            "{body}"
        );
    }
    assert_eq!(
        socket.result("live").await["data"]["commentAdded"]["id"],
        pending
    );
    // Had the second approval been news too, it would come before this.
    let (next, _) = add(&app, &post, TRUSTED, "After the race.", "").await;
    assert_eq!(
        socket.result("live").await["data"]["commentAdded"]["id"],
        next
    );
}

/// A subscriber that falls too far behind is told, with a code, rather
/// than left silently lacking comments; the feed goes on for the others.
async fn missed_news_ends_the_subscription_with_a_code(backend: Backend) {
    use waypost_db::{CommentId, CommentPublished, PostId};
    let (app, post, mut socket) = listening(backend, Protocol::TransportWs, "live").await;
    let burst: Vec<CommentPublished> = (1..=5_000)
        .map(|i| CommentPublished {
            post_id: PostId(TestApp::raw_post_id(&post)),
            comment_id: CommentId(1_000_000 + i),
        })
        .collect();
    let mut conn = app.pool.get().await.unwrap();
    app.feed.announce(&mut conn, &burst).await.unwrap();
    let answer = socket.result("live").await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{answer}"
    );
    socket.assert_complete("live").await;
    app.await_feed_subscribers(0).await;
}

/// When the database drops the listening connection, subscribers are told
/// and the feed listens again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_feed_recovers_from_a_lost_connection() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    let (app, post, mut socket) = listening(Backend::Postgres, Protocol::TransportWs, "live").await;
    let database = app.db.url.rsplit('/').next().unwrap().to_owned();
    waypost_tests::admin_execute(
        &waypost_tests::test_server_url(),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND query LIKE 'LISTEN%'"
        ),
    )
    .await
    .unwrap();
    let answer = socket.result("live").await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{answer}"
    );
    socket.assert_complete("live").await;

    // Subscribing again waits for the feed to listen again, and hears.
    socket.subscribe("again", LIVE, json!({ "p": post })).await;
    app.await_feed_subscribers(1).await;
    let (id, _) = add(&app, &post, TRUSTED, "After the outage.", "").await;
    assert_eq!(
        socket.result("again").await["data"]["commentAdded"]["id"],
        id
    );
}

/// A subscriber on one instance hears comments posted through another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_share_live_comments() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    let (first, post, mut socket) =
        listening(Backend::Postgres, Protocol::TransportWs, "live").await;
    let second = first.sibling(|state| state).await;
    let (id, status) = add(&second, &post, TRUSTED, "Through the other door.", "").await;
    assert_eq!(status, "APPROVED");
    let event = socket.result("live").await;
    assert_eq!(event["data"]["commentAdded"]["id"], id);
    assert_no_email(&event.to_string(), TRUSTED);
    assert_eq!(second.feed.subscribers(), 0);
}

/// A subscription waits without holding a read of its own: however many
/// sockets listen, an announced comment costs the statements it cost with
/// one, and each socket gets it once.
async fn subscribers_share_one_read_of_each_comment(backend: Backend) {
    const IDS_ONLY: &str = "subscription($p: ID!) { commentAdded(postId: $p) { id } }";
    let (app, post) = with_trusted(backend).await;
    let mut sockets = Vec::new();
    let mut statements = Vec::new();
    for listeners in [1, 5] {
        while sockets.len() < listeners {
            let mut socket = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
            socket
                .subscribe("ids", IDS_ONLY, json!({ "p": post }))
                .await;
            sockets.push(socket);
        }
        app.await_feed_subscribers(listeners).await;
        let (count, ()) = app
            .statements_during(async {
                let body = format!("Heard by {listeners}.");
                let (id, status) = add(&app, &post, TRUSTED, &body, "").await;
                assert_eq!(status, "APPROVED", "{id}");
                for socket in &mut sockets {
                    assert_eq!(socket.result("ids").await["data"]["commentAdded"]["id"], id);
                }
            })
            .await;
        statements.push(count);
    }
    assert!(
        statements[1] <= statements[0],
        "statements with 1 and 5 listeners: {statements:?}"
    );
    for mut socket in sockets {
        socket
            .assert_silent(std::time::Duration::from_millis(200))
            .await;
        socket.close().await;
    }
}
