//! Trusted-documents mode: only operations registered ahead of time run,
//! named by hash or sent as their exact text, over GET, POST (each
//! operation of a batch) and both WebSocket protocols; anything else is
//! refused with OPERATION_NOT_TRUSTED and HTTP 403. A directory with a bad
//! document stops the start; documents `waypost operations add` registers
//! run on every instance.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use waypost_gateway::trusted::{TrustedDocuments, register_files};
use waypost_gateway::{AppState, Limits};
use waypost_tests::{
    Backend, Protocol, Socket, TestApp, backend_tests, persisted_extension, sha256,
};

backend_tests!(
    registered_documents_run_by_hash_and_by_exact_text,
    anything_else_is_refused_with_a_code,
    every_operation_of_a_batch_must_be_trusted,
    websocket_operations_are_held_to_the_documents,
    documents_registered_with_operations_add_run_on_every_instance,
);

const LATEST: &str = "query Latest { posts(first: 2) { nodes { slug } } }";
const SIGN_OUT: &str = "mutation Out { signOut { signedOut } }";
const LIVE: &str = "subscription Live($p: ID!) { commentAdded(postId: $p) { id authorName } }";
/// Valid for the schema, but registered nowhere.
const STRANGER: &str = "query Stranger { posts(first: 1) { nodes { title } } }";
const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";

/// A directory of trusted documents: `(file name, text)`.
fn directory(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

async fn load(dir: &Path) -> TrustedDocuments {
    TrustedDocuments::load(dir, &Limits::default())
        .await
        .unwrap()
}

/// A server over the demo content that runs only the documents in a
/// directory holding LATEST, SIGN_OUT and LIVE (each file exactly its text).
async fn trusted_app(backend: Backend) -> TestApp {
    let dir = directory(&[
        ("latest.graphql", LATEST.as_bytes()),
        ("sign-out.graphql", SIGN_OUT.as_bytes()),
        ("live.graphql", LIVE.as_bytes()),
        ("README.md", b"Not a document: ignored."),
    ]);
    let documents = load(dir.path()).await;
    assert_eq!(documents.files(), 3);
    TestApp::spawn_configured(backend, |state| state.with_trusted_documents(documents)).await
}

/// GET /graphql with `params`; status and JSON answer.
async fn get(app: &TestApp, params: &[(&str, String)], accept: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", accept)
        .query(params)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The two newest posts' slugs, as the demo content has them.
fn assert_latest(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let nodes = body["data"]["posts"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{body}");
    assert!(nodes.iter().all(|n| n["slug"].is_string()), "{body}");
}

/// A refusal as trusted mode answers it: 403, the code, no data.
fn assert_not_trusted(status: u16, body: &Value, hash: Option<&str>) {
    assert_eq!(status, 403, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "OPERATION_NOT_TRUSTED",
        "{body}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("registered"),
        "{body}"
    );
    if let Some(hash) = hash {
        assert_eq!(error["extensions"]["sha256Hash"], hash, "{body}");
    }
}

async fn registered_documents_run_by_hash_and_by_exact_text(backend: Backend) {
    let app = trusted_app(backend).await;
    let hash = sha256(LATEST);
    // By hash alone, over GET (Apollo Client's default for hashed queries)
    // and POST (urql's).
    let by_hash = [("extensions", persisted_extension(&hash).to_string())];
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, body) = get(&app, &by_hash, accept).await;
        assert_latest(status, &body);
    }
    let (status, body) = app
        .post_json(&json!({ "extensions": persisted_extension(&hash) }))
        .await;
    assert_latest(status, &body);
    // Hashes are read in either case, as the automatic mode reads them.
    let (status, body) = app
        .post_json(&json!({ "extensions": persisted_extension(&hash.to_uppercase()) }))
        .await;
    assert_latest(status, &body);
    // By its exact text, over GET and POST, with or without its hash.
    let (status, body) = get(&app, &[("query", LATEST.to_owned())], "application/json").await;
    assert_latest(status, &body);
    let (status, body) = app.post_json(&json!({ "query": LATEST })).await;
    assert_latest(status, &body);
    let (status, body) = app
        .post_json(&json!({ "query": LATEST, "extensions": persisted_extension(&hash) }))
        .await;
    assert_latest(status, &body);
    // A registered mutation runs over POST (its resolver asks who is
    // signing out), and by hash over GET it is still refused as a
    // mutation (405), not run.
    let (status, body) = app
        .post_json(&json!({ "extensions": persisted_extension(&sha256(SIGN_OUT)) }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"][0]["path"][0], "signOut", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    let (status, _) = get(
        &app,
        &[(
            "extensions",
            persisted_extension(&sha256(SIGN_OUT)).to_string(),
        )],
        "application/json",
    )
    .await;
    assert_eq!(status, 405);
}

async fn anything_else_is_refused_with_a_code(backend: Backend) {
    let app = trusted_app(backend).await;
    let stranger = sha256(STRANGER);
    // Unregistered text, over POST and GET, whatever the media type.
    let (status, body) = app.post_json(&json!({ "query": STRANGER })).await;
    assert_not_trusted(status, &body, Some(&stranger));
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, body) = get(&app, &[("query", STRANGER.to_owned())], accept).await;
        assert_not_trusted(status, &body, Some(&stranger));
    }
    // The exact text is what is registered: a trailing newline makes
    // another document.
    let changed = format!("{LATEST}\n");
    let (status, body) = app.post_json(&json!({ "query": changed })).await;
    assert_not_trusted(status, &body, Some(&sha256(&changed)));
    // Introspection is an operation like any other.
    let (status, body) = app
        .post_json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .await;
    assert_not_trusted(status, &body, None);
    // A hash that names nothing is refused, not asked for its text: the
    // text would be refused anyway.
    let unknown = persisted_extension(&stranger);
    let (status, body) = get(
        &app,
        &[("extensions", unknown.to_string())],
        "application/json",
    )
    .await;
    assert_not_trusted(status, &body, Some(&stranger));
    let (status, body) = app.post_json(&json!({ "extensions": unknown })).await;
    assert_not_trusted(status, &body, Some(&stranger));
    // Registering a text the automatic way is refused, and registers
    // nothing: the hash alone stays refused, and the store stays empty.
    let (status, body) = app
        .post_json(&json!({ "query": STRANGER, "extensions": persisted_extension(&stranger) }))
        .await;
    assert_not_trusted(status, &body, Some(&stranger));
    let (status, body) = app
        .post_json(&json!({ "extensions": persisted_extension(&stranger) }))
        .await;
    assert_not_trusted(status, &body, Some(&stranger));
    let mut conn = app.pool.get().await.unwrap();
    assert_eq!(
        waypost_db::queries::persisted::text(&mut conn, &stranger)
            .await
            .unwrap(),
        None
    );
    drop(conn);
    // A request naming no operation at all is not one either.
    let (status, body) = app.post_json(&json!({ "query": "" })).await;
    assert_not_trusted(status, &body, None);
    // A malformed extension or a hash that is not its text's stays a 400.
    let (status, body) = app
        .post_json(&json!({ "query": LATEST, "extensions": persisted_extension(&stranger) }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // Each refusal is counted by its code.
    let metrics = app.metrics_text().await;
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(r#"waypost_errors_total{code="OPERATION_NOT_TRUSTED"} "#))
        .unwrap_or_else(|| panic!("no OPERATION_NOT_TRUSTED series:\n{metrics}"))
        .parse()
        .unwrap();
    assert_eq!(refused, 10.0, "{metrics}");
}

async fn every_operation_of_a_batch_must_be_trusted(backend: Backend) {
    let app = trusted_app(backend).await;
    let (status, body) = app
        .post_json(&json!([
            { "query": LATEST },
            { "extensions": persisted_extension(&sha256(LATEST)) },
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    let answers = body.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    for answer in answers {
        assert_latest(200, answer);
    }
    // One stranger, wherever it stands, refuses the batch: nothing runs.
    for batch in [
        json!([{ "query": LATEST }, { "query": STRANGER }]),
        json!([{ "query": STRANGER }, { "extensions": persisted_extension(&sha256(LATEST)) }]),
        json!([{ "query": LATEST }, { "extensions": persisted_extension(&sha256(STRANGER)) }]),
    ] {
        let (status, body) = app.post_json(&batch).await;
        assert_not_trusted(status, &body, Some(&sha256(STRANGER)));
    }
}

async fn websocket_operations_are_held_to_the_documents(backend: Backend) {
    let app = trusted_app(backend).await;
    let post = app.post_id(ARTICLE).await;
    let raw_post = TestApp::raw_post_id(&post);
    let unregistered = "subscription($p: ID!) { commentAdded(postId: $p) { id authorName } }";
    for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
        let mut socket = Socket::connect(&app, protocol, json!({})).await;
        let start = match protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        // Unregistered text, an unknown hash, and a query that is not a
        // document either: each ends with its refusal, and nobody listens.
        socket
            .subscribe("text", unregistered, json!({ "p": post }))
            .await;
        let answer = socket.result("text").await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "OPERATION_NOT_TRUSTED",
            "{answer}"
        );
        assert_eq!(
            answer["errors"][0]["extensions"]["sha256Hash"],
            sha256(unregistered)
        );
        assert!(answer["data"].is_null(), "{answer}");
        socket.assert_complete("text").await;
        socket
            .send(json!({ "id": "hash", "type": start, "payload": { "extensions": persisted_extension(&sha256(unregistered)), "variables": { "p": post } } }))
            .await;
        let answer = socket.result("hash").await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "OPERATION_NOT_TRUSTED",
            "{answer}"
        );
        socket.assert_complete("hash").await;
        socket.subscribe("query", STRANGER, json!({})).await;
        let answer = socket.result("query").await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "OPERATION_NOT_TRUSTED",
            "{answer}"
        );
        socket.assert_complete("query").await;
        app.await_feed_subscribers(0).await;

        // The registered subscription, by text and by hash alone, runs
        // and hears the next approved comment.
        socket.subscribe("live", LIVE, json!({ "p": post })).await;
        socket
            .send(json!({ "id": "hashed", "type": start, "payload": { "extensions": persisted_extension(&sha256(LIVE)), "variables": { "p": post } } }))
            .await;
        app.await_feed_subscribers(2).await;
        let name = format!("Reader over {protocol:?}");
        app.approved_comment(raw_post, None, "reader@example.com", &name, &name)
            .await;
        let mut heard = Vec::new();
        for _ in 0..2 {
            let message = match socket.next(std::time::Duration::from_secs(10)).await {
                waypost_tests::Message::Json(m) => m,
                other => panic!("expected an event, got {other:?}"),
            };
            assert_eq!(
                message["payload"]["data"]["commentAdded"]["authorName"], name,
                "{message}"
            );
            heard.push(message["id"].as_str().unwrap().to_owned());
        }
        heard.sort();
        assert_eq!(heard, ["hashed", "live"]);
        socket.close().await;
        app.await_feed_subscribers(0).await;
    }
}

async fn documents_registered_with_operations_add_run_on_every_instance(backend: Backend) {
    let registered_only =
        |state: AppState| state.with_trusted_documents(TrustedDocuments::registered_only());
    let app = TestApp::spawn_configured(backend, registered_only).await;
    let other = app.sibling(registered_only).await;
    let hash = sha256(LATEST);
    // Nothing registered yet: refused on both.
    for instance in [&app, &other] {
        let (status, body) = instance
            .post_json(&json!({ "extensions": persisted_extension(&hash) }))
            .await;
        assert_not_trusted(status, &body, Some(&hash));
    }
    // `waypost operations add` checks every file before registering any:
    // one bad file among good ones registers nothing.
    let files = directory(&[
        ("latest.graphql", LATEST.as_bytes()),
        (
            "broken.graphql",
            b"query Broken { posts { nodes { nope } } }",
        ),
    ]);
    let latest = files.path().join("latest.graphql");
    let broken = files.path().join("broken.graphql");
    let now = chrono::Utc::now().naive_utc();
    let err = register_files(&app.pool, &[latest.clone(), broken.clone()], now)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken.graphql") && err.contains("nope"),
        "{err}"
    );
    assert!(
        waypost_domain::trusted::list(&app.pool)
            .await
            .unwrap()
            .is_empty()
    );
    let added = register_files(&app.pool, std::slice::from_ref(&latest), now)
        .await
        .unwrap();
    assert_eq!(added.len(), 1);
    assert!(added[0].new);
    assert_eq!(added[0].document.hash, hash);
    // Once registered it runs on both instances, by hash and by text,
    // though neither was restarted and each had just refused it.
    for instance in [&app, &other] {
        let (status, body) = instance
            .post_json(&json!({ "extensions": persisted_extension(&hash) }))
            .await;
        assert_latest(status, &body);
        let (status, body) = get(
            instance,
            &[("extensions", persisted_extension(&hash).to_string())],
            "application/json",
        )
        .await;
        assert_latest(status, &body);
        let (status, body) = instance.post_json(&json!({ "query": LATEST })).await;
        assert_latest(status, &body);
        let (status, body) = instance.post_json(&json!({ "query": STRANGER })).await;
        assert_not_trusted(status, &body, Some(&sha256(STRANGER)));
    }
    // Adding it again changes nothing; the registry lists it once.
    let again = register_files(&app.pool, &[latest], now).await.unwrap();
    assert!(!again[0].new);
    let listed = waypost_domain::trusted::list(&app.pool).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].hash.as_str(), listed[0].text.as_str()),
        (hash.as_str(), LATEST)
    );
    // A server in automatic mode is untouched by the registry: it still
    // asks for unknown texts the APQ way.
    let open = app.sibling(|state| state).await;
    let (status, body) = open
        .post_json(&json!({ "extensions": persisted_extension(&sha256(STRANGER)) }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{body}"
    );
}

/// Loads `files` as a directory; the error's text.
async fn refusal(files: &[(&str, &[u8])]) -> String {
    let dir = directory(files);
    match TrustedDocuments::load(dir.path(), &Limits::default()).await {
        Ok(_) => panic!("{files:?} loaded"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn a_bad_directory_or_document_stops_the_start_naming_it() {
    let missing = PathBuf::from("/nonexistent/waypost-operations");
    let err = TrustedDocuments::load(&missing, &Limits::default())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("/nonexistent/waypost-operations"), "{err}");
    let good: (&str, &[u8]) = ("latest.graphql", LATEST.as_bytes());
    for (file, text, why) in [
        ("syntax.graphql", &b"query Broken { posts {"[..], ""),
        (
            "unknown.graphql",
            b"query Unknown { posts { nodes { nope } } }",
            "nope",
        ),
        (
            "variables.graphql",
            b"query Unused($n: Int!) { posts(first: 1) { nodes { title } } }",
            "not used",
        ),
        ("empty.graphql", b"", ""),
        ("fragment-only.graphql", b"fragment F on Post { slug }", ""),
        (
            "latin1.graphql",
            b"query { post(slug: \"caf\xe9\") { title } }",
            "UTF-8",
        ),
    ] {
        let err = refusal(&[good, (file, text)]).await;
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(why), "{file}: {err}");
        assert!(!err.contains("latest.graphql"), "{file}: {err}");
    }
    // The server's limits are the schema's: a document past them would be
    // refused at every request, so it is refused at the start.
    let dir = directory(&[good, ("schema.graphql", b"{ __schema { types { name } } }")]);
    let hidden = Limits {
        introspection: false,
        ..Limits::default()
    };
    let err = TrustedDocuments::load(dir.path(), &hidden)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("schema.graphql") && err.contains("introspection"),
        "{err}"
    );
    // Several operations and fragments in one file make one document.
    let dir = directory(&[(
        "page.graphql",
        b"query A { posts(first: 1) { nodes { ...F } } }\nquery B { post(slug: \"x\") { ...F } }\nfragment F on Post { slug }\n",
    )]);
    assert_eq!(load(dir.path()).await.files(), 1);
}
