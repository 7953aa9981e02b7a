//! Reading posts, authors and tags through the GraphQL API, on both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests, tied_bundle};

backend_tests!(
    paging_visits_every_post_once_in_every_order,
    filters_narrow_listings_and_totals,
    author_and_tag_connections_hold_their_posts,
    node_ids_round_trip,
    previous_and_next_walk_the_timeline,
    html_is_sanitized,
    drafts_are_invisible,
    bad_input_is_a_coded_error,
    unknown_slugs_are_null_without_errors,
    nested_connections_page_both_ways_with_filters,
    instants_outside_the_calendar_are_bad_input,
    numbered_pages_match_the_cursor_pages,
);

const PAGE: &str = r#"
query Page($first: Int, $after: String, $last: Int, $before: String, $orderBy: PostOrderInput) {
  posts(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    edges { cursor node { slug title publishedAt updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn paging_visits_every_post_once_in_every_order(backend: Backend) {
    let app = TestApp::with_content(backend, tied_bundle()).await;
    let orders = [
        json!({"field": "PUBLISHED_AT", "direction": "DESC"}),
        json!({"field": "PUBLISHED_AT", "direction": "ASC"}),
        json!({"field": "TITLE"}),
        json!({"field": "TITLE", "direction": "DESC"}),
        json!({"field": "UPDATED_AT", "direction": "ASC"}),
    ];
    for order in orders {
        let all = app
            .data(PAGE, json!({"first": 100, "orderBy": order}))
            .await["posts"]
            .clone();
        let expected = slugs(&all);
        assert_eq!(expected.len(), 25, "{order}");
        assert_eq!(all["totalCount"], 25);
        assert_eq!(all["pageInfo"]["hasNextPage"], false);

        // The full listing is sorted by the field, in the asked direction.
        let key = match order["field"].as_str().unwrap() {
            "TITLE" => "title",
            "UPDATED_AT" => "updatedAt",
            _ => "publishedAt",
        };
        let keys: Vec<String> = all["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"][key].as_str().unwrap().to_owned())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if order["direction"] == "DESC" {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{order}");

        // Forwards, four at a time.
        let mut forward = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = app
                .data(PAGE, json!({"first": 4, "after": after, "orderBy": order}))
                .await["posts"]
                .clone();
            assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0, "{order}");
            forward.extend(slugs(&page));
            pages += 1;
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
            assert!(pages < 20);
        }
        assert_eq!(forward, expected, "forward pages of {order}");
        assert_eq!(pages, 7);

        // Backwards from the end, four at a time.
        let mut backward: Vec<String> = Vec::new();
        let mut before: Option<String> = None;
        pages = 0;
        loop {
            let page = app
                .data(PAGE, json!({"last": 4, "before": before, "orderBy": order}))
                .await["posts"]
                .clone();
            assert_eq!(page["pageInfo"]["hasNextPage"], pages > 0, "{order}");
            let mut chunk = slugs(&page);
            chunk.extend(backward);
            backward = chunk;
            pages += 1;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = Some(page["pageInfo"]["startCursor"].as_str().unwrap().to_owned());
            assert!(pages < 20);
        }
        assert_eq!(backward, expected, "backward pages of {order}");

        // A window between two cursors.
        let c3 = all["edges"][3]["cursor"].as_str().unwrap();
        let c9 = all["edges"][9]["cursor"].as_str().unwrap();
        let window = app
            .data(
                PAGE,
                json!({"first": 100, "after": c3, "before": c9, "orderBy": order}),
            )
            .await;
        assert_eq!(slugs(&window["posts"]), expected[4..9].to_vec(), "{order}");
    }
    // The two date orderings really are different columns.
    let by = |field: &'static str| {
        let app = &app;
        async move {
            slugs(
                &app.data(
                    PAGE,
                    json!({"first": 100, "orderBy": {"field": field, "direction": "ASC"}}),
                )
                .await["posts"],
            )
        }
    };
    assert_ne!(by("UPDATED_AT").await, by("PUBLISHED_AT").await);

    // `before` alone is the page just before the cursor; `last` with `after`
    // is the end of what follows the cursor.
    let all = slugs(&app.data(PAGE, json!({"first": 100})).await["posts"]);
    let cursors: Vec<String> = app.data(PAGE, json!({"first": 100})).await["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].as_str().unwrap().to_owned())
        .collect();
    let before_only = app.data(PAGE, json!({"before": cursors[22]})).await["posts"].clone();
    assert_eq!(slugs(&before_only), all[2..22].to_vec());
    assert_eq!(before_only["pageInfo"]["hasPreviousPage"], true);
    let last_after = app
        .data(PAGE, json!({"last": 3, "after": cursors[10]}))
        .await["posts"]
        .clone();
    assert_eq!(slugs(&last_after), all[22..25].to_vec());

    // first: 0 is an empty page that still knows more follow.
    let empty = app.data(PAGE, json!({"first": 0})).await["posts"].clone();
    assert_eq!(slugs(&empty), Vec::<String>::new());
    assert_eq!(empty["pageInfo"]["hasNextPage"], true);
    assert_eq!(empty["totalCount"], 25);
}

async fn filters_narrow_listings_and_totals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = r#"query($filter: PostFilterInput) {
        posts(first: 100, filter: $filter, orderBy: {field: PUBLISHED_AT, direction: ASC}) {
          totalCount edges { node { slug publishedAt author { slug } tags { slug } } }
        } }"#;
    let run = |filter: Value| {
        let app = &app;
        async move { app.data(query, json!({ "filter": filter })).await["posts"].clone() }
    };

    let careers = run(json!({"tagSlug": "careers"})).await;
    assert_eq!(
        slugs(&careers),
        [
            "front-end-engineering-a-career-guide",
            "exploring-back-end-engineering-as-a-career"
        ]
    );
    assert_eq!(careers["totalCount"], 2);

    let by_author = run(json!({"authorSlug": "priya-raman"})).await;
    let edges = by_author["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["author"]["slug"] == "priya-raman")
    );
    assert_eq!(by_author["totalCount"], edges.len());

    let window = run(json!({"publishedAfter": "2026-06-02T09:00:00Z", "publishedBefore": "2026-07-07T09:00:00Z"})).await;
    assert_eq!(
        slugs(&window),
        [
            "front-end-engineering-a-career-guide",
            "exploring-back-end-engineering-as-a-career"
        ],
        "after is inclusive, before is exclusive"
    );
    assert_eq!(window["totalCount"], 2);

    let combined = run(json!({"tagSlug": "databases", "authorSlug": "priya-raman", "publishedAfter": "2026-02-01T00:00:00Z"})).await;
    for edge in combined["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["author"]["slug"], "priya-raman");
        assert!(
            edge["node"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["slug"] == "databases")
        );
        assert!(edge["node"]["publishedAt"].as_str().unwrap() >= "2026-02-01");
    }
    assert_eq!(
        combined["totalCount"],
        combined["edges"].as_array().unwrap().len()
    );
    assert!(combined["totalCount"].as_i64().unwrap() >= 1);

    let nothing = run(json!({"tagSlug": "no-such-tag"})).await;
    assert_eq!(nothing["totalCount"], 0);
    assert_eq!(slugs(&nothing), Vec::<String>::new());
}

async fn author_and_tag_connections_hold_their_posts(backend: Backend) {
    let app = TestApp::with_content(backend, tied_bundle()).await;
    let data = app
        .data(
            r#"{
              author(slug: "grace") { slug posts(first: 100) { totalCount edges { node { author { slug } } } } }
              tag(slug: "red") { name posts(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { tags { slug } } } } }
              empty: tag(slug: "empty") { posts { totalCount edges { cursor } pageInfo { hasNextPage startCursor } } }
            }"#,
            json!({}),
        )
        .await;
    let grace = &data["author"]["posts"];
    assert_eq!(grace["totalCount"], 8);
    assert_eq!(grace["edges"].as_array().unwrap().len(), 8);
    assert!(
        grace["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["author"]["slug"] == "grace")
    );

    let red = &data["tag"]["posts"];
    assert_eq!(red["totalCount"], 17);
    assert_eq!(red["edges"].as_array().unwrap().len(), 3);
    assert_eq!(red["pageInfo"]["hasNextPage"], true);
    for edge in red["edges"].as_array().unwrap() {
        assert!(
            edge["node"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["slug"] == "red")
        );
    }

    // Paging a nested connection visits all of the tag's posts once.
    let mut seen = std::collections::HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .data(
                r#"query($after: String) { tag(slug: "red") { posts(first: 5, after: $after) {
                    edges { node { slug } } pageInfo { hasNextPage endCursor } } } }"#,
                json!({ "after": after }),
            )
            .await["tag"]["posts"]
            .clone();
        for slug in slugs(&page) {
            assert!(seen.insert(slug.clone()), "{slug} seen twice");
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 17);

    let empty = &data["empty"]["posts"];
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(empty["pageInfo"]["hasNextPage"], false);
    assert_eq!(empty["pageInfo"]["startCursor"], Value::Null);
}

async fn node_ids_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = app
        .data(r#"{ post(slug: "exploring-back-end-engineering-as-a-career") { id author { id slug } tags { id slug } } }"#, json!({}))
        .await["post"]
        .clone();
    let lookup = r#"query($id: ID!) { node(id: $id) { __typename id
        ... on Post { slug } ... on Author { slug } ... on Tag { slug } } }"#;
    let node = app.data(lookup, json!({"id": post["id"]})).await["node"].clone();
    assert_eq!(node["__typename"], "Post");
    assert_eq!(node["slug"], "exploring-back-end-engineering-as-a-career");
    assert_eq!(node["id"], post["id"]);

    let author = app.data(lookup, json!({"id": post["author"]["id"]})).await["node"].clone();
    assert_eq!(author["__typename"], "Author");
    assert_eq!(author["slug"], post["author"]["slug"]);

    let tag_ref = &post["tags"][0];
    let tag = app.data(lookup, json!({"id": tag_ref["id"]})).await["node"].clone();
    assert_eq!(tag["__typename"], "Tag");
    assert_eq!(tag["slug"], tag_ref["slug"]);

    let by_id = app
        .data(
            "query($id: ID!) { post(id: $id) { slug } }",
            json!({"id": post["id"]}),
        )
        .await;
    assert_eq!(
        by_id["post"]["slug"],
        "exploring-back-end-engineering-as-a-career"
    );

    // Ids are opaque: not the bare row number.
    let id = post["id"].as_str().unwrap();
    assert!(id.parse::<i64>().is_err(), "{id}");
}

async fn previous_and_next_walk_the_timeline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let timeline = app
        .data("{ posts(first: 100, orderBy: {field: PUBLISHED_AT, direction: ASC}) { edges { node { slug } } } }", json!({}))
        .await["posts"]
        .clone();
    let expected = slugs(&timeline);
    assert_eq!(expected.len(), 12);

    let step = r#"query($slug: String!) { post(slug: $slug) { previousPost { slug } nextPost { slug } } }"#;
    let first = app.data(step, json!({"slug": expected[0]})).await;
    assert_eq!(
        first["post"]["previousPost"],
        Value::Null,
        "the oldest post has no previous"
    );
    let last = app.data(step, json!({"slug": expected[11]})).await;
    assert_eq!(
        last["post"]["nextPost"],
        Value::Null,
        "the newest post has no next"
    );

    let mut walked = vec![expected[0].clone()];
    loop {
        let current = walked.last().unwrap().clone();
        let next = app.data(step, json!({"slug": current})).await["post"]["nextPost"].clone();
        if next.is_null() {
            break;
        }
        let slug = next["slug"].as_str().unwrap().to_owned();
        let back = app.data(step, json!({"slug": slug})).await;
        assert_eq!(back["post"]["previousPost"]["slug"], current.as_str());
        walked.push(slug);
        assert!(walked.len() <= 12);
    }
    assert_eq!(walked, expected);

    // "Our last post" of the career article is the front-end guide.
    let article = app
        .data(
            step,
            json!({"slug": "exploring-back-end-engineering-as-a-career"}),
        )
        .await;
    assert_eq!(
        article["post"]["previousPost"]["slug"],
        "front-end-engineering-a-career-guide"
    );
}

async fn html_is_sanitized(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = app
        .data(r#"{ post(slug: "securing-web-apps-from-input-to-output") { body html readingTimeMinutes excerpt } }"#, json!({}))
        .await["post"]
        .clone();
    let body = post["body"].as_str().unwrap();
    let html = post["html"].as_str().unwrap();
    assert!(
        body.contains("<script>"),
        "the stored Markdown keeps what the author wrote"
    );
    assert!(!html.contains("<script"), "{html}");
    // The prose names `onclick` and `javascript:` in code spans; no attribute may carry them.
    assert!(!html.contains("onclick="), "{html}");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(!html.contains("alert(1)"), "{html}");
    assert!(
        html.contains(">click</a>"),
        "the link keeps its text: {html}"
    );
    assert!(html.contains("<p>"), "{html}");
    assert!(post["readingTimeMinutes"].as_i64().unwrap() >= 1);
    assert!(!post["excerpt"].as_str().unwrap().is_empty());
}

async fn drafts_are_invisible(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let draft = "notes-on-graphql-schema-design";
    let data = app
        .data(
            r#"query($slug: String!) {
                post(slug: $slug) { slug }
                posts(first: 100) { totalCount edges { node { slug } } }
                author(slug: "tomas-lindqvist") { posts(first: 100) { totalCount edges { node { slug } } } }
                tag(slug: "apis") { posts(first: 100) { totalCount edges { node { slug } } } }
            }"#,
            json!({"slug": draft}),
        )
        .await;
    assert_eq!(data["post"], Value::Null);
    assert_eq!(data["posts"]["totalCount"], 12);
    for listing in [
        &data["posts"],
        &data["author"]["posts"],
        &data["tag"]["posts"],
    ] {
        assert!(!slugs(listing).contains(&draft.to_owned()));
        assert_eq!(
            listing["totalCount"],
            listing["edges"].as_array().unwrap().len()
        );
    }
    // Ids 1..=13 cover all demo posts; exactly one (the draft) resolves to null.
    let mut missing = 0;
    for n in 1..=13 {
        let id = base64_id(&format!("Post:{n}"));
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({"id": id}),
            )
            .await;
        if node["node"].is_null() {
            missing += 1;
        }
    }
    assert_eq!(missing, 1);
}

fn base64_id(raw: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(raw)
}

async fn bad_input_is_a_coded_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let title_cursor = app
        .data(
            "{ posts(first: 1, orderBy: {field: TITLE}) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await["posts"]["pageInfo"]["endCursor"]
        .clone();
    let cases = [
        ("{ posts(first: 101) { totalCount } }", json!({})),
        ("{ posts(last: 101) { totalCount } }", json!({})),
        ("{ posts(first: -1) { totalCount } }", json!({})),
        ("{ posts(last: -5) { totalCount } }", json!({})),
        ("{ posts(first: 1, last: 1) { totalCount } }", json!({})),
        (
            r#"{ posts(after: "not-a-cursor") { totalCount } }"#,
            json!({}),
        ),
        (
            r#"{ posts(before: "Zm9vfGJhcg") { totalCount } }"#,
            json!({}),
        ),
        (
            "query($c: String) { posts(after: $c) { totalCount } }",
            json!({"c": title_cursor}),
        ),
        (
            r#"{ author(slug: "priya-raman") { posts(first: 500) { totalCount } } }"#,
            json!({}),
        ),
        (
            r#"{ tag(slug: "apis") { posts(after: "%%%") { totalCount } } }"#,
            json!({}),
        ),
        (r#"{ node(id: "garbage") { id } }"#, json!({})),
        (r#"{ node(id: "UG9zdDphYmM=") { id } }"#, json!({})),
        (
            "query($id: ID!) { post(id: $id) { slug } }",
            json!({"id": base64_id("Author:1")}),
        ),
        ("{ post { slug } }", json!({})),
        (r#"{ post(slug: "a", id: "UG9zdDox") { slug } }"#, json!({})),
        ("{ posts(first: \"ten\") { totalCount } }", json!({})),
        ("{ posts { nope } }", json!({})),
        ("{ posts(first: 2", json!({})),
    ];
    for (query, variables) in cases {
        let body = app.graphql(query, variables.clone()).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        assert_eq!(
            code,
            Some("BAD_USER_INPUT"),
            "{query} {variables}: {body:#}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.to_lowercase().contains("sql"), "{message}");
    }
    // The field is named where the mistake is one argument.
    let body = app
        .graphql("{ posts(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("100")
    );
}

async fn unknown_slugs_are_null_without_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app
        .graphql(
            r#"{ post(slug: "nope") { id } author(slug: "nope") { id } tag(slug: "nope") { id }
                node(id: "UG9zdDo5OTk5OQ==") { id } }"#,
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        body["data"],
        json!({"post": null, "author": null, "tag": null, "node": null})
    );
}

async fn nested_connections_page_both_ways_with_filters(backend: Backend) {
    let app = TestApp::with_content(backend, tied_bundle()).await;
    let nested = r#"query($first: Int, $last: Int, $after: String, $before: String, $filter: PostFilterInput, $orderBy: PostOrderInput) {
        tag(slug: "red") { posts(first: $first, last: $last, after: $after, before: $before, filter: $filter, orderBy: $orderBy) {
          totalCount edges { cursor node { slug publishedAt author { slug } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
        author(slug: "ada") { posts(last: 2, orderBy: {field: TITLE}) { edges { node { slug title } } pageInfo { hasPreviousPage } } }
    }"#;
    let all = app.data(nested, json!({"first": 100})).await;
    let tagged = &all["tag"]["posts"];
    let expected = slugs(tagged);
    assert_eq!(expected.len(), 17);

    // Backwards through the tag's posts, five at a time.
    let mut backward: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page =
            app.data(nested, json!({"last": 5, "before": before})).await["tag"]["posts"].clone();
        let mut chunk = slugs(&page);
        chunk.extend(backward);
        backward = chunk;
        if page["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = Some(page["pageInfo"]["startCursor"].as_str().unwrap().to_owned());
        assert!(backward.len() <= 17);
    }
    assert_eq!(backward, expected);

    // A window between two cursors of the nested connection.
    let c2 = tagged["edges"][2]["cursor"].as_str().unwrap();
    let c8 = tagged["edges"][8]["cursor"].as_str().unwrap();
    let window = app
        .data(nested, json!({"first": 100, "after": c2, "before": c8}))
        .await;
    assert_eq!(slugs(&window["tag"]["posts"]), expected[3..8].to_vec());

    // Filters apply inside the nested connection and to its total.
    let filtered = app
        .data(nested, json!({"first": 100, "filter": {"authorSlug": "grace", "publishedAfter": "2026-03-03T00:00:00Z"}}))
        .await["tag"]["posts"]
        .clone();
    let edges = filtered["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    assert!(edges.iter().all(|e| e["node"]["author"]["slug"] == "grace"
        && e["node"]["publishedAt"].as_str().unwrap() >= "2026-03-03"));
    assert_eq!(filtered["totalCount"], edges.len());

    // `last` on another parent's connection in the same request.
    let ada = &all["author"]["posts"];
    let titles: Vec<&str> = ada["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles[0] <= titles[1], "{titles:?}");
    assert_eq!(ada["pageInfo"]["hasPreviousPage"], true);
}

async fn instants_outside_the_calendar_are_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = "query($f: PostFilterInput) { posts(filter: $f) { totalCount } }";
    for filter in [
        json!({"publishedAfter": "+10000-01-01T00:00:00Z"}),
        json!({"publishedBefore": "-5000-01-01T00:00:00Z"}),
        json!({"publishedAfter": "not a date"}),
    ] {
        let body = app.graphql(query, json!({ "f": filter })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{filter}: {body:#}"
        );
        // Named as any bad argument is, whether out of range or malformed.
        let field = filter.as_object().unwrap().keys().next().unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["field"], *field,
            "{filter}: {body:#}"
        );
    }
    // Written into the query itself, too.
    let body = app
        .graphql(
            r#"{ posts(filter: { publishedBefore: "yesterday" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "publishedBefore",
        "{body:#}"
    );
    let fine = app
        .data(
            query,
            json!({"f": {"publishedAfter": "9999-12-31T00:00:00Z"}}),
        )
        .await;
    assert_eq!(fine["posts"]["totalCount"], 0);
    let everything = app
        .data(
            query,
            json!({"f": {"publishedAfter": "0001-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(everything["posts"]["totalCount"], 12);
}

async fn numbered_pages_match_the_cursor_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let numbered = r#"query($page: Int, $first: Int, $tag: String!) {
        posts(first: $first, page: $page) { totalCount edges { node { slug } } pageInfo { hasNextPage hasPreviousPage } }
        tag(slug: $tag) { posts(first: $first, page: $page) { edges { node { slug } } pageInfo { hasNextPage hasPreviousPage } } } }"#;
    // Every post through cursors, five at a time, and the same tag's.
    let mut by_cursor = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(PAGE, json!({ "first": 5, "after": after })).await;
        by_cursor.push(slugs(&page["posts"]));
        if page["posts"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["posts"]["pageInfo"]["endCursor"].clone();
    }
    assert!(by_cursor.len() >= 3, "{by_cursor:?}");
    let tagged = app
        .data(numbered, json!({ "first": 100, "tag": "backend" }))
        .await;
    let tagged = slugs(&tagged["tag"]["posts"]);
    for (n, expected) in by_cursor.iter().enumerate() {
        let page = n + 1;
        let body = app
            .data(
                numbered,
                json!({ "first": 5, "page": page, "tag": "backend" }),
            )
            .await;
        assert_eq!(&slugs(&body["posts"]), expected, "page {page}");
        let info = &body["posts"]["pageInfo"];
        assert_eq!(info["hasPreviousPage"], page > 1, "page {page}");
        assert_eq!(info["hasNextPage"], page < by_cursor.len(), "page {page}");
        // A tag's posts, grouped in one statement with others, page alike.
        let start = (n * 5).min(tagged.len());
        let end = (start + 5).min(tagged.len());
        assert_eq!(
            slugs(&body["tag"]["posts"]),
            tagged[start..end],
            "tag page {page}"
        );
        assert_eq!(
            body["tag"]["posts"]["pageInfo"]["hasPreviousPage"],
            page > 1
        );
    }
    // Past the end: an empty page, not an error.
    let past = app
        .data(
            numbered,
            json!({ "first": 5, "page": by_cursor.len() + 1, "tag": "backend" }),
        )
        .await;
    assert_eq!(slugs(&past["posts"]), Vec::<String>::new());

    for (variables, why) in [
        (json!({ "first": 5, "page": 0 }), "numbered from 1"),
        (
            json!({ "first": 20, "page": 502 }),
            "deeper than numbered pages go",
        ),
    ] {
        let body = app
            .graphql(
                "query($first: Int, $page: Int) { posts(first: $first, page: $page) { totalCount } }",
                variables,
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{why}: {body:#}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "page", "{why}");
    }
    let mixed = app
        .graphql(
            "query($c: String) { posts(page: 2, after: $c) { totalCount } }",
            json!({ "c": after }),
        )
        .await;
    assert_eq!(
        mixed["errors"][0]["extensions"]["field"], "page",
        "{mixed:#}"
    );
    // The deepest numbered page there is still answers.
    let deepest = app
        .graphql("{ posts(first: 20, page: 501) { totalCount } }", json!({}))
        .await;
    assert!(deepest.get("errors").is_none(), "{deepest:#}");
}
