//! Automatic persisted queries as Apollo Client and urql send them: a hash
//! alone over GET, the text with its hash when the server does not know it,
//! the hash alone again, on any instance; and what must never run.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests, persisted_extension, sha256};

backend_tests!(
    a_hash_is_asked_for_its_text_then_runs_on_every_instance,
    a_hash_that_does_not_match_its_text_is_refused,
    a_mutation_by_hash_is_refused_over_get,
    the_store_keeps_the_newest_texts
);

const QUERY: &str = "query Latest { posts(first: 2) { nodes { slug } } }";

/// A hash-only GET, as Apollo Client sends it by default.
async fn get_by_hash(app: &TestApp, hash: &str, accept: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", accept)
        .query(&[
            ("operationName", "Latest"),
            ("extensions", &persisted_extension(hash).to_string()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn a_hash_is_asked_for_its_text_then_runs_on_every_instance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hash = sha256(QUERY);
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, body) = get_by_hash(&app, &hash, accept).await;
        // 200 whatever the media type: Apollo Client gives up persisting
        // queries after a 400.
        assert_eq!(status, 200, "{accept}: {body}");
        assert_eq!(
            body["errors"][0]["message"], "PersistedQueryNotFound",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{body}"
        );
        assert!(body.get("data").is_none(), "{body}");
    }
    // The client sends the text with its hash; it runs and is kept.
    let (status, sent) = app
        .post_json(
            &json!({ "query": QUERY, "operationName": "Latest", "extensions": persisted_extension(&hash) }),
        )
        .await;
    assert_eq!(status, 200);
    let nodes = &sent["data"]["posts"]["nodes"];
    assert_eq!(nodes.as_array().unwrap().len(), 2, "{sent}");
    // The hash alone now runs, here and on another instance of the service.
    let (status, body) = get_by_hash(&app, &hash, "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(&body["data"]["posts"]["nodes"], nodes, "{body}");
    let other = app.sibling(|state| state).await;
    let (status, body) = get_by_hash(&other, &hash, "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(&body["data"]["posts"]["nodes"], nodes, "{body}");
    // Over POST too, as urql sends it.
    let (_, posted) = other
        .post_json(&json!({ "extensions": persisted_extension(&hash) }))
        .await;
    assert_eq!(&posted["data"]["posts"]["nodes"], nodes, "{posted}");
}

async fn a_hash_that_does_not_match_its_text_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong = sha256("{ __typename }");
    for extensions in [
        persisted_extension(&wrong),
        json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256(QUERY) } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "not-a-hash" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let (status, body) = app
            .post_json(&json!({ "query": QUERY, "extensions": extensions }))
            .await;
        assert_eq!(status, 400, "{extensions}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
    // Nothing was kept under the wrong hash.
    let (_, body) = get_by_hash(&app, &wrong, "application/json").await;
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
}

async fn a_mutation_by_hash_is_refused_over_get(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mutation = "mutation Out { signOut { signedOut } }";
    let hash = sha256(mutation);
    // Registered through POST, where mutations belong.
    let (status, _) = app
        .post_json(&json!({ "query": mutation, "extensions": persisted_extension(&hash) }))
        .await;
    assert_eq!(status, 200);
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted_extension(&hash).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

async fn the_store_keeps_the_newest_texts(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let mut conn = app.pool.get().await.unwrap();
    let at = |hour| {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    };
    use waypost_db::queries::persisted;
    for (hour, text) in ["{ a }", "{ b }", "{ c }"].into_iter().enumerate() {
        persisted::store(&mut conn, &sha256(text), text, at(hour as u32), 2)
            .await
            .unwrap();
    }
    assert_eq!(
        persisted::text(&mut conn, &sha256("{ a }")).await.unwrap(),
        None
    );
    for kept in ["{ b }", "{ c }"] {
        assert_eq!(
            persisted::text(&mut conn, &sha256(kept))
                .await
                .unwrap()
                .as_deref(),
            Some(kept)
        );
    }
}
