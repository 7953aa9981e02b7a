//! What blog pages need besides the post: a contents list that links into
//! the page, word counts and SEO text, and plain-text variants for clients
//! that lay text out themselves.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    a_post_lists_its_headings_with_the_ids_its_html_carries,
    comments_and_snippets_come_as_text_too,
    tags_and_authors_page_by_name_and_by_post_count,
    editors_set_a_featured_image_and_what_search_engines_show,
    html_an_older_renderer_stored_is_rendered_again_once,
);

async fn a_post_lists_its_headings_with_the_ids_its_html_carries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = app
        .data(
            r#"{ post(slug: "postgresql-indexing-basics") {
                title excerpt html body wordCount readingTimeMinutes seoTitle seoDescription
                tableOfContents { level text anchor } } }"#,
            json!({}),
        )
        .await;
    let post = &post["post"];
    let toc = post["tableOfContents"].as_array().unwrap();
    assert!(!toc.is_empty(), "{post:#}");
    assert_eq!(
        toc[0],
        json!({ "level": 2, "text": "Start with the query", "anchor": "h-start-with-the-query" })
    );
    let html = post["html"].as_str().unwrap();
    for entry in toc {
        let id = format!(r#"id="{}""#, entry["anchor"].as_str().unwrap());
        assert!(html.contains(&id), "{id} in the html");
    }
    let words = post["body"].as_str().unwrap().split_whitespace().count() as u64;
    let counted = post["wordCount"].as_u64().unwrap();
    // Markup (`##`, backticks, list marks) is not words.
    assert!(
        counted > words / 2 && counted <= words,
        "{counted} of {words}"
    );
    assert_eq!(
        post["readingTimeMinutes"].as_u64().unwrap(),
        counted.div_ceil(200).max(1)
    );
    assert_eq!(post["seoTitle"], post["title"]);
    assert_eq!(post["seoDescription"], post["excerpt"]);
}

async fn comments_and_snippets_come_as_text_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = TestApp::raw_post_id(
        &app.post_id("exploring-back-end-engineering-as-a-career")
            .await,
    );
    let id = app
        .approved_comment(
            post,
            None,
            "t@example.com",
            "T",
            "Some *emphasis* and a [link](https://e.example).\n\nSecond paragraph.",
        )
        .await;
    let comment = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Comment { html text } } }",
            json!({ "id": TestApp::global_id("Comment", id) }),
        )
        .await;
    assert_eq!(
        comment["node"]["text"],
        "Some emphasis and a link.\n\nSecond paragraph."
    );
    assert!(comment["node"]["html"].as_str().unwrap().contains("<em>"));

    let found = app
        .data(
            r#"{ search(query: "index", first: 3) { edges { node { snippet snippetText { text highlights { start end } } } } } }"#,
            json!({}),
        )
        .await;
    let edges = found["search"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    for edge in edges {
        let text = edge["node"]["snippetText"]["text"].as_str().unwrap();
        let units: Vec<u16> = text.encode_utf16().collect();
        let highlights = edge["node"]["snippetText"]["highlights"]
            .as_array()
            .unwrap();
        assert!(!highlights.is_empty(), "{edge:#}");
        let marks = edge["node"]["snippet"]
            .as_str()
            .unwrap()
            .matches("<mark>")
            .count();
        assert_eq!(highlights.len(), marks, "{edge:#}");
        for range in highlights {
            let (start, end) = (
                range["start"].as_u64().unwrap() as usize,
                range["end"].as_u64().unwrap() as usize,
            );
            let word = String::from_utf16(&units[start..end])
                .unwrap()
                .to_lowercase();
            assert!(word.starts_with("index"), "{word:?} in {text:?}");
        }
        assert!(!text.contains('<'), "{text:?}");
    }
}

async fn tags_and_authors_page_by_name_and_by_post_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for directory in ["tags", "authors"] {
        let query = format!(
            r#"query($first: Int, $after: String, $order: DirectoryOrderInput) {{
                {directory}(first: $first, after: $after, orderBy: $order) {{
                    totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }}
                    edges {{ cursor postCount node {{ name slug posts {{ totalCount }} }} }} }} }}"#
        );
        for order in [
            json!(null),
            json!({ "field": "NAME", "direction": "DESC" }),
            json!({ "field": "POST_COUNT" }),
            json!({ "field": "POST_COUNT", "direction": "ASC" }),
        ] {
            let all = app
                .data(&query, json!({ "first": 100, "order": order }))
                .await;
            let all = &all[directory];
            let edges = all["edges"].as_array().unwrap();
            assert!(edges.len() >= 3, "{directory}: {all:#}");
            assert_eq!(edges.len() as u64, all["totalCount"].as_u64().unwrap());
            for edge in edges {
                // The count is the entry's own published posts.
                assert_eq!(
                    edge["postCount"], edge["node"]["posts"]["totalCount"],
                    "{edge}"
                );
            }
            let keys: Vec<(i64, String)> = edges
                .iter()
                .map(|e| {
                    (
                        e["postCount"].as_i64().unwrap(),
                        e["node"]["name"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let mut sorted = keys.clone();
            match order["field"].as_str() {
                None => sorted.sort_by(|a, b| a.1.cmp(&b.1)),
                Some("NAME") => sorted.sort_by(|a, b| b.1.cmp(&a.1)),
                _ if order["direction"] == "ASC" => sorted.sort_by_key(|k| k.0),
                _ => sorted.sort_by_key(|k| std::cmp::Reverse(k.0)),
            }
            let ordered_by = |k: &(i64, String)| {
                if order["field"] == "POST_COUNT" {
                    json!(k.0)
                } else {
                    json!(k.1)
                }
            };
            assert_eq!(
                keys.iter().map(ordered_by).collect::<Vec<_>>(),
                sorted.iter().map(ordered_by).collect::<Vec<_>>(),
                "{directory} {order}"
            );
            // Two at a time visits the same entries in the same order.
            let mut paged = Vec::new();
            let mut after = serde_json::Value::Null;
            loop {
                let page = app
                    .data(
                        &query,
                        json!({ "first": 2, "after": after, "order": order }),
                    )
                    .await;
                let page = &page[directory];
                assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
                for edge in page["edges"].as_array().unwrap() {
                    paged.push(edge["node"]["slug"].clone());
                }
                if page["pageInfo"]["hasNextPage"] == false {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            let slugs: Vec<_> = edges.iter().map(|e| e["node"]["slug"].clone()).collect();
            assert_eq!(paged, slugs, "{directory} {order}");
        }
    }
    // A cursor belongs to its directory and its order.
    let tags = app
        .data("{ tags(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await;
    let cursor = &tags["tags"]["pageInfo"]["endCursor"];
    for query in [
        "query($c: String) { authors(after: $c) { totalCount } }",
        "query($c: String) { tags(after: $c, orderBy: { field: POST_COUNT }) { totalCount } }",
    ] {
        let body = app.graphql(query, json!({ "c": cursor })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {body:#}"
        );
    }
}

async fn editors_set_a_featured_image_and_what_search_engines_show(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |state| {
        state.with_site(waypost_gateway::Site {
            post_url: Some("https://blog.example/posts/{slug}".into()),
            ..Default::default()
        })
    })
    .await;
    let editor = app.editor_token().await;
    let slug = "postgresql-indexing-basics";
    let read = r#"query($s: String!) { post(slug: $s) { id version title excerpt seoTitle seoDescription canonicalUrl
        featuredImage { url alt width height } } }"#;
    let before = app.data(read, json!({ "s": slug })).await["post"].clone();
    assert_eq!(before["featuredImage"], serde_json::Value::Null);
    assert_eq!(
        before["canonicalUrl"],
        "https://blog.example/posts/postgresql-indexing-basics"
    );
    let update = "mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { version seoTitle seoDescription featuredImage { url alt width height } } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": before["id"], "expectedVersion": before["version"],
                "featuredImage": { "url": "https://cdn.example/index.png", "alt": "A B-tree", "width": 1200, "height": 630 },
                "seoTitle": "Indexing in PostgreSQL, step by step" } }),
        )
        .await;
    let payload = &body["data"]["updatePost"];
    assert_eq!(payload["userErrors"], json!([]), "{body:#}");
    let after = app.data(read, json!({ "s": slug })).await["post"].clone();
    assert_eq!(
        after["featuredImage"],
        json!({ "url": "https://cdn.example/index.png", "alt": "A B-tree", "width": 1200, "height": 630 })
    );
    assert_eq!(after["seoTitle"], "Indexing in PostgreSQL, step by step");
    assert_eq!(
        after["seoDescription"], before["excerpt"],
        "unset: the excerpt"
    );
    assert_eq!(
        after["title"], before["title"],
        "the title itself is untouched"
    );

    // Left out, a part stays; null clears it.
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": before["id"], "expectedVersion": after["version"], "seoTitle": null } }),
        )
        .await;
    let cleared = &body["data"]["updatePost"]["post"];
    assert_eq!(cleared["seoTitle"], before["title"], "{body:#}");
    assert_eq!(cleared["featuredImage"]["alt"], "A B-tree");

    // What is wrong is said field by field, and nothing is written.
    let version = cleared["version"].clone();
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": before["id"], "expectedVersion": version,
                "featuredImage": { "url": "javascript:alert(1)", "alt": "", "width": 10 },
                "seoDescription": "d".repeat(501) } }),
        )
        .await;
    let errors = &body["data"]["updatePost"]["userErrors"];
    assert_eq!(
        *errors,
        json!([
            { "field": "seoDescription", "code": "TOO_LONG" },
            { "field": "featuredImage.url", "code": "INVALID_FORMAT" },
            { "field": "featuredImage.alt", "code": "REQUIRED" },
            { "field": "featuredImage.height", "code": "REQUIRED" }
        ]),
        "{body:#}"
    );
    let unchanged = app.data(read, json!({ "s": slug })).await["post"].clone();
    assert_eq!(unchanged["version"], version);
    assert_eq!(
        unchanged["featuredImage"]["url"],
        "https://cdn.example/index.png"
    );

    // Without a site address, no canonical URL is made up.
    let plain = TestApp::spawn(backend).await;
    let post = plain.data(read, json!({ "s": slug })).await;
    assert_eq!(post["post"]["canonicalUrl"], serde_json::Value::Null);
}

async fn html_an_older_renderer_stored_is_rendered_again_once(backend: Backend) {
    use waypost_domain::authoring::render_again;
    let app = TestApp::spawn(backend).await;
    let slug = "postgresql-indexing-basics";
    let html = r#"query($s: String!) { post(slug: $s) { html } }"#;
    let current = app.data(html, json!({ "s": slug })).await["post"]["html"].clone();
    // As an archive written before headings had ids holds it.
    app.execute_sql(
        "UPDATE posts SET body_html = '<h2>Start with the query</h2><p>Old.</p>' \
         WHERE slug = 'postgresql-indexing-basics'",
    )
    .await;
    app.execute_sql("UPDATE renderings SET version = 0").await;
    let rendered = render_again(&app.pool).await.unwrap();
    let id = TestApp::raw_post_id(&app.post_id(slug).await);
    assert_eq!(
        rendered.iter().map(|p| p.0).collect::<Vec<_>>(),
        [id],
        "only the post whose HTML differs is written"
    );
    let fresh = app.data(html, json!({ "s": slug })).await["post"]["html"].clone();
    assert_eq!(fresh, current);
    assert!(
        fresh
            .as_str()
            .unwrap()
            .contains(r#"id="h-start-with-the-query""#)
    );
    // Once per renderer version: the next start finds nothing to do.
    app.execute_sql(
        "UPDATE posts SET body_html = '<p>Edited by hand.</p>' \
         WHERE slug = 'postgresql-indexing-basics'",
    )
    .await;
    assert!(render_again(&app.pool).await.unwrap().is_empty());
}
