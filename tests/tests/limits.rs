//! Request limits: each one at its value and one past it, refused before
//! anything runs with a code that names the limit; the cost of accepted
//! queries in `extensions`; the timeout; introspection switched off.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use waypost_gateway::Limits;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    query_shape_limits_hold_at_their_value,
    nested_catalogue_lists_are_priced,
    size_limits_hold_at_their_value,
    slow_requests_end_with_a_code,
    introspection_can_be_switched_off,
    the_applications_own_pages_pass_the_default_limits,
);

const PAGE: &str = "{ posts(first: 5) { nodes { slug title author { name } tags { slug } } } }";

async fn with_limits(backend: Backend, limits: Limits) -> TestApp {
    TestApp::empty_configured(backend, move |state| state.with_limits(limits)).await
}

/// Asserts `body` is a refusal of `limit` at `max`.
fn assert_refused(body: &Value, limit: &str, max: usize) {
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    assert_eq!(error["extensions"]["limit"], limit, "{body:#}");
    assert_eq!(error["extensions"]["max"], max, "{body:#}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&max.to_string()),
        "the message says the limit's value: {body:#}"
    );
    assert!(body["data"].is_null(), "nothing ran: {body:#}");
}

fn assert_accepted(body: &Value) {
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn query_shape_limits_hold_at_their_value(backend: Backend) {
    // The default limits report each accepted query's cost.
    let app = TestApp::empty(backend).await;
    let body = app.graphql(PAGE, json!({})).await;
    assert_accepted(&body);
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["maxComplexity"], 50_000, "{body:#}");
    assert_eq!(cost["maxDepth"], 20, "{body:#}");
    let complexity = usize::try_from(cost["complexity"].as_u64().unwrap()).unwrap();
    let depth = usize::try_from(cost["depth"].as_u64().unwrap()).unwrap();
    assert!(complexity > 5, "five posts cost more than one: {cost}");
    assert_eq!(depth, 4, "posts > nodes > author > name: {cost}");

    // Complexity and depth, at the measured cost and one below it.
    for (limit, value) in [("complexity", complexity), ("depth", depth)] {
        let set = |max: usize| {
            let mut limits = Limits::default();
            match limit {
                "complexity" => limits.max_complexity = max,
                _ => limits.max_depth = max,
            }
            limits
        };
        let at = with_limits(backend, set(value)).await;
        assert_accepted(&at.graphql(PAGE, json!({})).await);
        let past = with_limits(backend, set(value - 1)).await;
        let (statements, body) = past.statements_during(past.graphql(PAGE, json!({}))).await;
        assert_refused(&body, limit, value - 1);
        assert_eq!(body["errors"][0]["extensions"]["actual"], value);
        assert_eq!(statements, 0, "refused before any SQL");
    }

    // Fields: PAGE writes 7 (posts nodes slug title author name tags slug
    // is 8); aliases: 3 below.
    let aliased = "{ a: posts(first: 1) { nodes { slug } } b: posts(first: 1) { nodes { slug } } c: __typename }";
    let cases = [("fields", PAGE, 8), ("aliases", aliased, 3)];
    for (limit, query, value) in cases {
        let set = |max: usize| {
            let mut limits = Limits::default();
            match limit {
                "fields" => limits.max_fields = max,
                _ => limits.max_aliases = max,
            }
            limits
        };
        let at = with_limits(backend, set(value)).await;
        assert_accepted(&at.graphql(query, json!({})).await);
        let past = with_limits(backend, set(value - 1)).await;
        let body = past.graphql(query, json!({})).await;
        assert_refused(&body, limit, value - 1);
        assert_eq!(body["errors"][0]["extensions"]["actual"], value);
    }

    // Fields in fragments count too.
    let fragment =
        "query { posts(first: 1) { nodes { ...P } } } fragment P on Post { slug title id }";
    let app = with_limits(
        backend,
        Limits {
            max_fields: 4,
            ..Limits::default()
        },
    )
    .await;
    assert_refused(&app.graphql(fragment, json!({})).await, "fields", 4);

    // The default depth admits the standard introspection query.
    let app = TestApp::empty(backend).await;
    let introspection = app
        .graphql(
            "query { __schema { types { name fields { name args { name type { kind ofType { kind ofType { kind ofType { kind name } } } } } } } } }",
            json!({}),
        )
        .await;
    assert_accepted(&introspection);
}

async fn size_limits_hold_at_their_value(backend: Backend) {
    // Query text, in bytes.
    let query = "{ __typename }";
    let set_bytes = |max| Limits {
        max_query_bytes: max,
        ..Limits::default()
    };
    let at = with_limits(backend, set_bytes(query.len())).await;
    assert_accepted(&at.graphql(query, json!({})).await);
    let past = with_limits(backend, set_bytes(query.len() - 1)).await;
    assert_refused(
        &past.graphql(query, json!({})).await,
        "queryBytes",
        query.len() - 1,
    );

    // Variables nested 2 deep: { "f": { "types": ["POST"] } }.
    let with_variables =
        "query($f: SearchFilterInput) { search(query: \"queue\", filter: $f) { totalCount } }";
    let nested = json!({ "f": { "types": ["POST"] } });
    let set_nesting = |max| Limits {
        max_variables_depth: max,
        ..Limits::default()
    };
    let at = with_limits(backend, set_nesting(2)).await;
    assert_accepted(&at.graphql(with_variables, nested.clone()).await);
    let past = with_limits(backend, set_nesting(1)).await;
    assert_refused(
        &past.graphql(with_variables, nested).await,
        "variablesDepth",
        1,
    );

    // Batches: at most `max_batch` operations.
    let app = with_limits(
        backend,
        Limits {
            max_batch: 3,
            ..Limits::default()
        },
    )
    .await;
    for (size, status) in [(3, 200), (4, 400)] {
        let operations: Vec<Value> = (0..size)
            .map(|_| json!({ "query": "{ __typename }" }))
            .collect();
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&operations)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "batch of {size}");
        let body: Value = response.json().await.unwrap();
        if status == 400 {
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("batch")
            );
        } else {
            assert_eq!(body.as_array().unwrap().len(), 3);
        }
    }

    // Bodies: exactly the limit passes, one byte more is 413 with a code.
    let max = 4096;
    let app = with_limits(
        backend,
        Limits {
            max_body_bytes: max,
            ..Limits::default()
        },
    )
    .await;
    let body_of = |size: usize| {
        let head = r#"{"query":"{ __typename }"}"#;
        format!("{head}{}", " ".repeat(size - head.len()))
    };
    for (size, status) in [(max, 200), (max + 1, 413)] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body_of(size))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "body of {size} bytes");
        let body: Value = response.json().await.unwrap();
        if status == 413 {
            assert_refused(&body, "bodyBytes", max);
        } else {
            assert_accepted(&body);
        }
    }

    // The default body limit is 1 MiB.
    let app = TestApp::empty(backend).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body_of(1024 * 1024 + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

async fn slow_requests_end_with_a_code(backend: Backend) {
    let app = TestApp::empty_configured(backend, |state| {
        state.with_limits(Limits {
            timeout: Duration::from_millis(300),
            ..Limits::default()
        })
    })
    .await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    let post = app
        .post_id("exploring-back-end-engineering-as-a-career")
        .await;
    let add = |name: &str| {
        json!({ "query": "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { status } } }",
                "variables": { "i": { "postId": post, "authorName": name, "authorEmail": "slow@example.com", "body": format!("Comment from {name}") } } })
    };
    // A comment that waits on a locked table outlives the deadline; the
    // client still gets an answer, with a code and the limit.
    let holder = app.hold_comment_writes(Duration::from_secs(2)).await;
    let started = std::time::Instant::now();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&add("Ada"))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "ended at the deadline: {:?} {}",
        started.elapsed(),
        response.status()
    );
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body:#}"
    );
    assert_eq!(error["extensions"]["limit"], "timeoutMs", "{body:#}");
    assert_eq!(error["extensions"]["max"], 300, "{body:#}");
    holder.await.unwrap();
    // Once the table is free, the same request succeeds. On SQLite the
    // stopped request's statement still waits for the lock it queued for,
    // and takes it once before its rollback: on a loaded machine that can
    // outlast the 300 ms deadline of the next request, which then answers
    // 503 like the first and may be sent again.
    let mut body = Value::Null;
    for attempt in 0..20 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&add(&format!("Grace {attempt}")))
            .send()
            .await
            .unwrap();
        let unavailable = response.status() == 503;
        body = response.json().await.unwrap();
        if !unavailable {
            break;
        }
    }
    assert_eq!(
        body["data"]["addComment"]["comment"]["status"], "PENDING",
        "{body:#}"
    );
}

async fn introspection_can_be_switched_off(backend: Backend) {
    let schema_query = "{ __schema { queryType { name } } }";
    let type_query = r#"{ __type(name: "Post") { name } }"#;
    let on = TestApp::empty(backend).await;
    assert_eq!(
        on.data(schema_query, json!({})).await["__schema"]["queryType"]["name"],
        "Query"
    );
    assert_eq!(
        on.client.get(on.url("/")).send().await.unwrap().status(),
        200
    );

    let off = with_limits(
        backend,
        Limits {
            introspection: false,
            ..Limits::default()
        },
    )
    .await;
    for query in [schema_query, type_query] {
        let body = off.graphql(query, json!({})).await;
        assert!(
            body["data"].is_null() || body["data"]["__schema"].is_null(),
            "{body:#}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body:#}"
        );
    }
    // A misspelt field gets no guesses that would rebuild the hidden
    // schema one name at a time; with introspection on it does.
    let misspelt = "{ pots { totalCount } }";
    let hidden = off.graphql(misspelt, json!({})).await;
    let message = hidden["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let shown = on.graphql(misspelt, json!({})).await;
    let message = shown["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(r#"Did you mean "posts""#), "{message}");
    // Ordinary queries, `__typename` included, still work.
    assert_accepted(
        &off.graphql("{ __typename posts(first: 1) { totalCount } }", json!({}))
            .await,
    );
    // GraphiQL follows the switch.
    assert_eq!(
        off.client.get(off.url("/")).send().await.unwrap().status(),
        404
    );
}

async fn nested_catalogue_lists_are_priced(backend: Backend) {
    // A skill's guides, a guide's skills, a role's requirements: unpaged
    // lists that nest into one another. Each costs its contents 20 times,
    // as a page would, so a chain of them cannot multiply unchecked.
    let app = TestApp::empty(backend).await;
    let cost = |body: &Value| body["extensions"]["cost"]["complexity"].as_u64().unwrap();
    let flat = app
        .graphql("{ skills(first: 10) { nodes { name } } }", json!({}))
        .await;
    assert_accepted(&flat);
    let nested = app
        .graphql(
            "{ skills(first: 10) { nodes { name guides { title } } } }",
            json!({}),
        )
        .await;
    assert_accepted(&nested);
    assert!(
        cost(&nested) >= cost(&flat) + 10 * 20,
        "each skill's guides count 20 times: {} vs {}",
        cost(&nested),
        cost(&flat)
    );
    let chain = "{ skills(first: 100) { nodes { guides { skills { skill { guides { skills { skill { roles { title } } } } } } } } } }";
    let body = app.graphql(chain, json!({})).await;
    assert_refused(&body, "complexity", 50_000);
}

/// The operations a document shows one after another, each whole: a run
/// of lines whose braces balance.
fn operations(block: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current = String::new();
    let mut open = 0i32;
    for line in block.lines() {
        let code = line.split('#').next().unwrap_or("");
        open += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        current.push_str(line);
        current.push('\n');
        if open == 0 && !current.trim().is_empty() {
            found.push(std::mem::take(&mut current));
        }
    }
    found
}

async fn the_applications_own_pages_pass_the_default_limits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut pages: Vec<(String, String)> = Vec::new();
    for block in readme.split("```graphql").skip(1) {
        let block = block.split("```").next().unwrap();
        for operation in operations(block) {
            pages.push(("README".to_owned(), operation));
        }
    }
    assert!(pages.len() >= 10, "the README's examples were found");
    for entry in std::fs::read_dir(root.join("bench/queries")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("postgraphile") {
            continue;
        }
        pages.push((name, std::fs::read_to_string(&path).unwrap()));
    }
    // A thread five levels deep, as nested pages with cursors.
    let mut level = "id authorName html".to_owned();
    for _ in 0..4 {
        level = format!(
            "id authorName html replies(first: 5) {{ edges {{ cursor node {{ {level} }} }} }}"
        );
    }
    pages.push((
        "five nested levels".to_owned(),
        format!(r#"{{ post(slug: "exploring-back-end-engineering-as-a-career") {{ comments(first: 5) {{ edges {{ cursor node {{ {level} }} }} }} }} }}"#),
    ));
    for (source, operation) in pages {
        if operation.trim_start().starts_with("subscription") {
            // Transported over a WebSocket; its limits are the same check.
            continue;
        }
        let variables = json!({ "slug": "exploring-back-end-engineering-as-a-career", "query": "postgres",
            "input": { "postId": "UG9zdDox", "authorName": "A", "authorEmail": "a@example.com", "body": "Hi." } });
        let (_, body) = app
            .post_json(&json!({ "query": operation, "variables": variables }))
            .await;
        let refused = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| !e["extensions"]["limit"].is_null());
        assert!(refused.is_none(), "{source}: {operation}\n{body:#}");
    }
}
