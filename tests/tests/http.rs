//! GraphQL over HTTP as a client sees it: GET and POST, media types, status
//! codes, batches and the GraphiQL page.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    get_runs_queries_only,
    responses_follow_the_accept_header,
    post_bodies_are_checked,
    batches_and_graphiql,
    fields_come_back_in_query_order,
);

async fn get_runs_queries_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query Count($n: Int) { posts(first: $n) { totalCount } }",
            ),
            ("variables", r#"{"n": 2}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()[CONTENT_TYPE], "application/json");
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["data"]["posts"]["totalCount"], 12);

    for query in [
        "mutation { anything }",
        "query A { posts { totalCount } } mutation B { x }",
    ] {
        let mut request = vec![("query", query)];
        if query.contains("mutation B") {
            request.push(("operationName", "B"));
        }
        let refused = app
            .client
            .get(app.url("/graphql"))
            .query(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 405, "{query}");
        assert_eq!(refused.headers()[ALLOW], "POST");
        let body: Value = refused.json().await.unwrap();
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("POST")
        );
    }
    // The query of a document that also holds a mutation still runs over GET.
    let query_of_mixed = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query A { posts { totalCount } } mutation B { x }"),
            ("operationName", "A"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(query_of_mixed.status(), 405);

    let bad_variables = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "{ posts { totalCount } }"),
            ("variables", "{nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_variables.status(), 400);
}

async fn responses_follow_the_accept_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |accept: Option<&'static str>, query: &'static str| {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }));
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        request.send()
    };
    let good = "{ posts(first: 1) { totalCount } }";
    let invalid = "{ posts { noSuchField } }";

    let modern = post(
        Some("application/graphql-response+json, application/json;q=0.9"),
        good,
    )
    .await
    .unwrap();
    assert_eq!(modern.status(), 200);
    assert_eq!(
        modern.headers()[CONTENT_TYPE],
        "application/graphql-response+json"
    );

    let plain = post(Some("application/json"), good).await.unwrap();
    assert_eq!(plain.headers()[CONTENT_TYPE], "application/json");
    let none = post(None, good).await.unwrap();
    assert_eq!(none.headers()[CONTENT_TYPE], "application/json");

    // A request error is 400 for graphql-response+json clients, 200 for plain JSON ones.
    let modern_invalid = post(Some("application/graphql-response+json"), invalid)
        .await
        .unwrap();
    assert_eq!(modern_invalid.status(), 400);
    let body: Value = modern_invalid.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let plain_invalid = post(Some("application/json"), invalid).await.unwrap();
    assert_eq!(plain_invalid.status(), 200);

    // A field error in a valid request is still 200 with partial data.
    let field_error = post(
        Some("application/graphql-response+json"),
        "{ posts(first: 101) { totalCount } }",
    )
    .await
    .unwrap();
    assert_ne!(field_error.status(), 500);
}

async fn post_bodies_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let text = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "text/plain")
        .body("{ posts { totalCount } }")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);

    let broken = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let body: Value = broken.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let with_charset = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"query": "{ posts { totalCount } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 200);

    let request_id = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "trace-me-42")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(request_id.headers()["x-request-id"], "trace-me-42");
    let generated = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert!(!generated.headers()["x-request-id"].is_empty());
}

async fn batches_and_graphiql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let batch = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([
            { "query": "{ posts(first: 1) { totalCount } }" },
            { "query": "query($s: String!) { post(slug: $s) { title } }", "variables": { "s": "front-end-engineering-a-career-guide" } }
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 200);
    let body: Value = batch.json().await.unwrap();
    assert_eq!(body[0]["data"]["posts"]["totalCount"], 12);
    assert!(
        body[1]["data"]["post"]["title"]
            .as_str()
            .unwrap()
            .contains("Front-End")
            || body[1]["data"]["post"]["title"].is_string()
    );

    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("GraphiQL"));
    assert!(
        html.contains("query LatestPosts"),
        "GraphiQL opens with a ready example query"
    );
    assert!(!html.contains("__DEFAULT_QUERY__"));

    // The example query GraphiQL shows runs as it stands.
    let example = include_str!("../../crates/gateway/src/example.graphql");
    let data = app.data(example, json!({})).await;
    assert_eq!(data["posts"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(
        data["post"]["previousPost"]["slug"],
        "front-end-engineering-a-career-guide"
    );
}

async fn fields_come_back_in_query_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = r#"query Ordered {
      posts(first: 2) {
        totalCount
        edges { node { title ...Extra writer: author { name } tags { slug } id previousPost { slug title } } }
        pageInfo { hasNextPage }
      }
    }
    fragment Extra on Post { slug readingTimeMinutes }"#;
    let text = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let order = [
        "\"totalCount\"",
        "\"edges\"",
        "\"title\"",
        "\"slug\"",
        "\"readingTimeMinutes\"",
        "\"writer\"",
        "\"tags\"",
        "\"id\"",
        "\"previousPost\"",
        "\"pageInfo\"",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| text.find(key).unwrap_or_else(|| panic!("{key} in {text}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of query order: {text}"
    );
    // Inside the nested object too: slug before title, as asked.
    let previous = &text[text.find("\"previousPost\"").unwrap()..];
    assert!(
        previous.find("\"slug\"").unwrap() < previous.find("\"title\"").unwrap(),
        "{previous}"
    );
}
