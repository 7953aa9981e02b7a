//! Errors as the GraphQL specification and its clients expect them: a
//! failed field is `null` and the `null` moves up past non-null types; a
//! request that never ran has no `data`; an anonymous call to a mutation
//! for signed-in users is UNAUTHENTICATED before its input is read.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    a_failed_field_is_null_up_to_its_nearest_nullable_parent,
    a_request_that_never_ran_has_no_data,
    anonymous_calls_are_unauthenticated_before_their_input_is_read,
);

const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";

async fn a_failed_field_is_null_up_to_its_nearest_nullable_parent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // `posts` is `PostConnection!`: its error nulls the whole `data`,
    // and the answer says so with the key, not by leaving it out.
    let body = app
        .graphql(
            r#"{ tag(slug: "backend") { name } posts(first: 1, after: "garbage") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert!(body.as_object().unwrap().contains_key("data"), "{body:#}");
    assert_eq!(body["data"], Value::Null, "{body:#}");
    assert_eq!(body["errors"][0]["path"], json!(["posts"]), "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // `revisions` is `[PostRevision!]!` and anonymous callers may not read
    // it: its post, which may be null, is null; its sibling stands.
    let body = app
        .graphql(
            &format!(
                r#"{{ tag(slug: "backend") {{ name }} post(slug: "{ARTICLE}") {{ title revisions {{ id }} }} }}"#
            ),
            json!({}),
        )
        .await;
    let data = body["data"].as_object().expect("data stays");
    assert!(data.contains_key("post"), "{body:#}");
    assert_eq!(data["post"], Value::Null, "{body:#}");
    assert_eq!(data["tag"]["name"], "Back end", "{body:#}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["post", "revisions"]),
        "{body:#}"
    );
    // The keys come in the query's order, the nulled one included.
    let text = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!(r#"{{ post(slug: "{ARTICLE}") {{ revisions {{ id }} }} tag(slug: "backend") {{ name }} }}"#) }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with(r#"{"data":{"post":null,"tag":{"#),
        "{text}"
    );

    // A nullable field that fails is null itself, under an alias too.
    let body = app
        .graphql(
            r#"{ first: posts(first: 1) { totalCount } gone: node(id: "garbage") { id } }"#,
            json!({}),
        )
        .await;
    let data = body["data"].as_object().expect("data stays");
    assert!(data.contains_key("gone"), "{body:#}");
    assert_eq!(data["gone"], Value::Null, "{body:#}");
    assert!(
        data["first"]["totalCount"].as_u64().unwrap() > 0,
        "{body:#}"
    );
}

async fn a_request_that_never_ran_has_no_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (accept, status) in [
        ("application/graphql-response+json", 400),
        ("application/json", 200),
    ] {
        for query in [
            "{ posts(first: 1) { totalCount }",
            "{ nosuchfield }",
            "{ posts(first: 1) { totalCount } }", // run, for contrast
        ] {
            let response = app
                .client
                .post(app.url("/graphql"))
                .header("accept", accept)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            let ran = !query.contains("nosuch") && query.ends_with("} }");
            assert_eq!(
                response.status(),
                if ran { 200 } else { status },
                "{accept} {query}"
            );
            let body: Value = response.json().await.unwrap();
            let has_data = body.as_object().unwrap().contains_key("data");
            assert_eq!(has_data, ran, "{accept} {query}: {body:#}");
            if !ran {
                let error = &body["errors"][0];
                assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
                assert!(error["locations"][0]["line"].as_u64().unwrap() >= 1);
            }
        }
    }
}

async fn anonymous_calls_are_unauthenticated_before_their_input_is_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Every id is of the wrong kind or not an id at all: a signed-in
    // caller would hear about that, an anonymous one must sign in first.
    let post = app.post_id(ARTICLE).await;
    for (name, mutation) in [
        (
            "deleteTag",
            "mutation($p: ID!) { deleteTag(input: { id: $p }) { deletedId } }",
        ),
        (
            "updateTag",
            r#"mutation($p: ID!) { updateTag(input: { id: $p, name: "x" }) { tag { id } } }"#,
        ),
        (
            "moderateComment",
            "mutation($p: ID!) { moderateComment(input: { id: $p, status: APPROVED }) { comment { id } } }",
        ),
        (
            "moderateComments",
            "mutation($p: ID!) { moderateComments(input: { ids: [$p, \"garbage\"], status: SPAM }) { comments { id } } }",
        ),
        (
            "updateUser",
            "mutation($p: ID!) { updateUser(input: { id: $p, disabled: true }) { user { id } } }",
        ),
        (
            "restoreRevision",
            "mutation($p: ID!) { restoreRevision(input: { revisionId: $p, expectedVersion: 1 }) { post { id } } }",
        ),
        (
            "createTag",
            r#"mutation { createTag(input: { name: "" }) { tag { id } } }"#,
        ),
    ] {
        let body = app.graphql(mutation, json!({ "p": post })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{name}: {body:#}"
        );
        assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body:#}");
    }
    // Commenting is for everyone: its input is read.
    let body = app
        .graphql(
            r#"mutation { addComment(input: { postId: "garbage", authorName: "A", authorEmail: "a@example.com", body: "hi" }) { comment { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
}
