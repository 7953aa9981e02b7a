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
