//! GraphQL over HTTP as a client sees it: GET and POST, media types, status
//! codes, batches and the GraphiQL page.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    get_runs_queries_only,
    get_answers_say_who_may_keep_them,
    responses_are_compressed_when_the_client_accepts_it,
    responses_follow_the_accept_header,
    post_bodies_are_checked,
    batches_and_graphiql,
    graphiql_loads_nothing_from_another_host,
    fields_come_back_in_query_order,
    oversized_queries_are_refused_before_running,
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
    // (Mutation `x` does not exist, so validation then rejects the
    // document: 200 with a coded error, not a 405.)
    assert_eq!(query_of_mixed.status(), 200);
    let body: Value = query_of_mixed.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

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

    // A field error in a valid request is a 200 with the error in the body.
    let field_error = post(
        Some("application/graphql-response+json"),
        "{ posts(first: 101) { totalCount } }",
    )
    .await
    .unwrap();
    assert_eq!(field_error.status(), 200);
    let body: Value = field_error.json().await.unwrap();
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["path"], json!(["posts"]));
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // Preference follows q-values; q=0 refuses a type.
    for (accept, expected) in [
        (
            "application/json;q=1, application/graphql-response+json;q=0.1",
            "application/json",
        ),
        (
            "application/graphql-response+json;q=0, application/json",
            "application/json",
        ),
        (
            "application/graphql-response+json;q=0.0",
            "application/json",
        ),
        (
            "application/json;q=0.5, application/graphql-response+json;q=0.5",
            "application/graphql-response+json",
        ),
        ("text/html, */*;q=0.8", "application/json"),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header(ACCEPT, accept)
            .json(&json!({ "query": good }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            expected,
            "Accept: {accept}"
        );
    }
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

    // Valid JSON of the wrong shape: a plain message, no Rust type names.
    for wrong in [r#"{"query": 1}"#, r#""x""#, "42", r#"{"variables": {}}"#] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{wrong}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            !message.contains("enum")
                && !message.contains("BatchRequest")
                && !message.contains("variant"),
            "{message}"
        );
    }

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
    assert_eq!(
        body[1]["data"]["post"]["title"],
        "Front-End Engineering: A Career Guide"
    );

    // Batches hold 1 to 10 operations.
    for size in [0, 11] {
        let operations: Vec<Value> = (0..size)
            .map(|_| json!({ "query": "{ __typename }" }))
            .collect();
        let refused = app
            .client
            .post(app.url("/graphql"))
            .json(&operations)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "batch of {size}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }

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
    let example = include_str!("../../crates/gateway/src/http/example.graphql");
    let data = app.data(example, json!({})).await;
    assert_eq!(data["posts"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(
        data["post"]["previousPost"]["slug"],
        "front-end-engineering-a-career-guide"
    );
}

async fn graphiql_loads_nothing_from_another_host(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();

    // Every source the policy admits is a keyword, 'self', a hash or data:.
    for directive in policy.split(';') {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap();
        for source in words {
            assert!(
                (source.starts_with('\'') && source != "'unsafe-inline'") || source == "data:",
                "{name} admits {source}: {policy}"
            );
        }
    }
    for directive in [
        "script-src 'self' 'sha256-",
        "style-src 'self' 'sha256-",
        "connect-src 'self';",
        "font-src 'self' data:;",
        "img-src 'self' data:;",
    ] {
        assert!(policy.contains(directive), "{directive}: {policy}");
    }

    // The page names same-origin paths only, and each of them is served.
    let attribute = |name: &'static str| {
        html.split(name)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let scripts = attribute(" src=\"");
    let styles = attribute(" href=\"");
    assert_eq!((scripts.len(), styles.len()), (4, 1), "{html}");
    for path in scripts.iter().chain(&styles) {
        assert!(
            path.starts_with('/') && !path.starts_with("//"),
            "{path} is not on this origin"
        );
        let asset = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{path}");
        let expected = if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(asset.headers()[CONTENT_TYPE], expected, "{path}");
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{path}"
        );
        let body = asset.bytes().await.unwrap();
        assert!(body.len() > 1000, "{path}: {} bytes", body.len());
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );

    // The largest file goes out compressed to a client that asks.
    let bundle = scripts
        .iter()
        .find(|p| p.ends_with("/graphiql.min.js"))
        .unwrap();
    let compressed = app
        .client
        .get(app.url(bundle))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");

    // Nothing else is served under the assets' path.
    for unknown in [
        "/graphiql/graphiql@3.8.3/graphiql.js",
        "/graphiql/graphiql@0.0.1/graphiql.min.js",
        "/graphiql/react@18.3.1",
    ] {
        let missing = app.client.get(app.url(unknown)).send().await.unwrap();
        assert_eq!(missing.status(), 404, "{unknown}");
    }
    // Nor anything a path climbs to. Sent by hand: a URL library resolves
    // `..` and `%2e%2e` before sending, so the server would never see them.
    let (status, _) = raw_get(app.addr, bundle).await;
    assert_eq!(status, 200, "{bundle}, sent by hand");
    let manifest = include_str!("../../crates/gateway/assets/graphiql/MANIFEST");
    for climbing in [
        "/graphiql/graphiql@3.8.3/../MANIFEST",
        "/graphiql/graphiql@3.8.3/%2e%2e/MANIFEST",
        "/graphiql/graphiql@3.8.3/%2E%2E/MANIFEST",
        "/graphiql/graphiql@3.8.3/..%2fMANIFEST",
        "/graphiql/graphiql@3.8.3/%2e%2e%2fMANIFEST",
        "/graphiql/..%2f..%2fassets%2fgraphiql/MANIFEST",
        "/graphiql/graphiql@3.8.3/..%2f..%2f..%2f..%2fCargo.toml",
        "/graphiql/graphiql@3.8.3/..%5cMANIFEST",
    ] {
        let (status, body) = raw_get(app.addr, climbing).await;
        assert!(
            status == 404 || status == 400,
            "{climbing}: {status} {body}"
        );
        assert!(
            !body.contains(manifest.lines().next().unwrap()) && !body.contains("[package]"),
            "{climbing} served a file: {body}"
        );
    }

    // Without introspection there is no GraphiQL, and none of its files.
    let off = app
        .sibling(|state| {
            state.with_limits(waypost_gateway::Limits {
                introspection: false,
                ..Default::default()
            })
        })
        .await;
    for path in std::iter::once(&"/".to_owned())
        .chain(&scripts)
        .chain(&styles)
    {
        let hidden = off.client.get(off.url(path)).send().await.unwrap();
        assert_eq!(hidden.status(), 404, "{path}");
    }
}

/// A GET of `path` exactly as written, over a plain socket: the status and
/// the body (with its framing, which is enough to look for a file in).
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let exchange = async {
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.unwrap();
        answer
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
        .await
        .unwrap_or_else(|_| panic!("{path}: no whole answer in 30 s"));
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{path}: not an HTTP answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
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

const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

async fn oversized_queries_are_refused_before_running(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // GraphiQL's own introspection query fits the limits.
    let schema = app.data(INTROSPECTION, json!({})).await;
    assert!(schema["__schema"]["types"].as_array().unwrap().len() > 10);

    // `post` then k nested `previousPost` then `slug`: k + 2 levels.
    let nested = |k: usize| {
        format!(
            "{{ post(slug: \"x\") {{ {} slug {} }} }}",
            "previousPost { ".repeat(k),
            "}".repeat(k)
        )
    };
    let at_limit = app.graphql(&nested(18), json!({})).await;
    assert!(
        at_limit.get("errors").is_none(),
        "20 levels are allowed: {at_limit:#}"
    );
    let past = app.graphql(&nested(19), json!({})).await;
    assert_eq!(
        past["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{past:#}"
    );
    assert!(
        past["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("deep"),
        "{past:#}"
    );

    // Lists of lists multiply: 100 posts, each author's 100 posts, each with
    // its 100-post tag pages is far past the complexity budget.
    let wide = "{ posts(first: 100) { nodes { author { posts(first: 100) { nodes { tags { posts(first: 100) { nodes { slug } } } } } } } } }";
    let (statements, body) = app.statements_during(app.graphql(wide, json!({}))).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{body:#}"
    );
    assert_eq!(statements, 0, "refused before any SQL ran");

    // A page of 100 posts with their authors and tags is within it.
    let page = app.data("{ posts(first: 100) { totalCount edges { cursor node { id slug title excerpt publishedAt author { id name slug } tags { id name slug } } } } }", json!({})).await;
    assert_eq!(page["posts"]["totalCount"], 12);
}

async fn responses_are_compressed_when_the_client_accepts_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = json!({ "query": "{ posts(first: 12) { nodes { title excerpt html author { name bio } tags { name } } } }" });
    let send = |encoding: Option<&'static str>, body: Value| {
        let mut request = app.client.post(app.url("/graphql")).json(&body);
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };
    let plain = send(None, page.clone()).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    assert!(
        plain_len > 4096,
        "a page worth compressing: {plain_len} bytes"
    );
    for encoding in ["gzip", "br", "zstd"] {
        let compressed = send(Some(encoding), page.clone()).await.unwrap();
        assert_eq!(compressed.status(), 200);
        assert_eq!(compressed.headers()["content-encoding"], encoding);
        let len = compressed.bytes().await.unwrap().len();
        assert!(
            len * 2 < plain_len,
            "{encoding}: {len} of {plain_len} bytes"
        );
    }
    // A small answer is not worth it.
    let small = send(Some("gzip"), json!({ "query": "{ __typename }" }))
        .await
        .unwrap();
    assert!(small.headers().get("content-encoding").is_none());
}

async fn get_answers_say_who_may_keep_them(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |state| {
        state.with_http_caching(waypost_gateway::HttpCaching {
            max_age_seconds: 30,
            stale_seconds: 120,
        })
    })
    .await;
    let get = |query: &'static str, extra: Option<(&'static str, String)>| {
        let mut request = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", query)]);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        request.send()
    };
    let list = "{ posts(first: 3) { nodes { slug } } }";
    let first = get(list, None).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["cache-control"],
        "public, max-age=30, stale-while-revalidate=120"
    );
    let vary = first.headers()["vary"].to_str().unwrap().to_lowercase();
    assert!(
        vary.contains("authorization") && vary.contains("accept"),
        "{vary}"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    // The client holds it: 304, no body.
    let again = get(list, Some(("if-none-match", etag.clone())))
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    // Another answer, another tag.
    let other = get(
        "{ posts(first: 2) { nodes { slug } } }",
        Some(("if-none-match", etag.clone())),
    )
    .await
    .unwrap();
    assert_eq!(other.status(), 200);
    assert_ne!(other.headers()["etag"], etag.as_str());
    // For one reader only: a comment by its receipt, an error, a signed-in request.
    let personal = [
        get("{ comment(receipt: \"nope\") { id } }", None)
            .await
            .unwrap(),
        get(
            "{ posts(first: 1, after: \"garbage\") { totalCount } }",
            None,
        )
        .await
        .unwrap(),
        get(
            list,
            Some((
                "authorization",
                format!("Bearer {}", app.editor_token().await),
            )),
        )
        .await
        .unwrap(),
    ];
    for response in personal {
        assert_eq!(response.headers()["cache-control"], "private, no-store");
        assert!(response.headers().get("etag").is_none());
    }
}
