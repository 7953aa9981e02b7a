//! The SQL statements a request runs are fixed by the query's shape, not by
//! how many items it returns (counted with diesel's instrumentation).
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_domain::demo::{BenchmarkShape, benchmark_bundle};
use waypost_tests::{Backend, TestApp, backend_tests, uncached};

backend_tests!(
    post_list_runs_at_most_four_statements,
    nested_fan_outs_are_batched,
    a_post_page_runs_one_statement,
    comment_threads_are_batched,
    a_posts_tags_go_in_together,
);

async fn app(backend: Backend) -> TestApp {
    let shape = BenchmarkShape {
        posts: 120,
        authors: 9,
        tags: 30,
        tags_per_post: 5,
    };
    TestApp::with_content_configured(
        backend,
        benchmark_bundle(shape, chrono::Utc::now().naive_utc()),
        uncached,
    )
    .await
}

const LIST: &str = r#"query($first: Int!) {
  posts(first: $first) {
    totalCount
    edges { cursor node { title slug publishedAt author { name slug } tags { name slug } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

async fn post_list_runs_at_most_four_statements(backend: Backend) {
    let app = app(backend).await;
    let mut counts = Vec::new();
    for first in [1, 5, 20, 100] {
        let (statements, data) = app
            .statements_during(app.data(LIST, json!({"first": first})))
            .await;
        let edges = data["posts"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["tags"].as_array().unwrap().len() == 5)
        );
        assert!(
            statements <= 4,
            "{statements} statements for first: {first}"
        );
        counts.push(statements);
    }
    assert!(
        counts.windows(2).all(|w| w[0] == w[1]),
        "statement counts vary with page size: {counts:?}"
    );
    // The issue's figure: the page of 20 with author and tags.
    assert_eq!(counts[2], 4, "page, authors, tags, total");
}

const NESTED: &str = r#"query($first: Int!) {
  posts(first: $first) {
    edges { node {
      author { posts(first: 3) { totalCount edges { node { slug tags { slug } } } } }
      tags { posts(first: 2, orderBy: {field: TITLE}) { totalCount nodes { slug author { slug } } } }
      previousPost { slug author { name } }
      nextPost { slug }
    } }
  }
}"#;

async fn nested_fan_outs_are_batched(backend: Backend) {
    let app = app(backend).await;
    let mut counts = Vec::new();
    for first in [2, 10, 40] {
        let (statements, data) = app
            .statements_during(app.data(NESTED, json!({"first": first})))
            .await;
        let edges = data["posts"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        for edge in edges {
            let author_posts = &edge["node"]["author"]["posts"];
            assert_eq!(author_posts["edges"].as_array().unwrap().len(), 3);
            assert!(author_posts["totalCount"].as_i64().unwrap() >= 13);
            for tag in edge["node"]["tags"].as_array().unwrap() {
                assert_eq!(tag["posts"]["nodes"].as_array().unwrap().len(), 2);
            }
        }
        counts.push(statements);
    }
    // The bound follows from the shape, one statement per loader and level:
    // page (1); author, tags, neighbours (3); author posts and count, tag
    // posts and count, neighbour posts (5); their tags, their authors, the
    // neighbours' authors (3). The per-request cache may save some, and a
    // per-item query would blow through it at 40 posts.
    for (first, statements) in [2, 10, 40].iter().zip(&counts) {
        assert!(
            *statements <= 12,
            "{statements} statements for first: {first} ({counts:?})"
        );
    }
}

async fn a_post_page_runs_one_statement(backend: Backend) {
    let app = app(backend).await;
    let page = r#"query($slug: String!) { post(slug: $slug) { title html author { name slug } tags { name slug } } }"#;
    let (statements, data) = app
        .statements_during(app.data(page, json!({"slug": "benchmark-post-7"})))
        .await;
    let tags = data["post"]["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 5);
    assert!(data["post"]["author"]["name"].is_string());
    assert_eq!(statements, 1, "the post with its author and tags");
    // The same tags, in the same order, as a listing reads them.
    let listed = app
        .data(
            "{ posts(first: 100) { nodes { slug tags { name slug } } } }",
            json!({}),
        )
        .await;
    let same = listed["posts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["slug"] == "benchmark-post-7")
        .unwrap();
    assert_eq!(&same["tags"], &data["post"]["tags"]);
    // A post without tags is found all the same, with none.
    app.execute_sql(
        "INSERT INTO posts (slug, title, excerpt, body_markdown, body_html, \
         reading_time_minutes, status, author_id, published_at, created_at, updated_at) \
         SELECT 'untagged', 'Untagged', '', 'Body', '<p>Body</p>', 1, 'published', \
         MIN(id), '2020-01-01 00:00:00', '2020-01-01 00:00:00', '2020-01-01 00:00:00' \
         FROM authors",
    )
    .await;
    let (statements, bare) = app
        .statements_during(app.data(page, json!({"slug": "untagged"})))
        .await;
    assert_eq!(bare["post"]["title"], "Untagged");
    assert_eq!(bare["post"]["tags"], json!([]));
    assert_eq!(statements, 1);
}

async fn comment_threads_are_batched(backend: Backend) {
    let app = app(backend).await;
    // The 30 newest posts (the first inserted) get 4 comments each, each
    // comment 2 replies.
    for post in 1..=30 {
        for c in 0..4 {
            let email = format!("r{post}x{c}@example.com");
            let top = app
                .approved_comment(
                    post,
                    None,
                    &email,
                    "Reader",
                    &format!("Comment {c} on {post}."),
                )
                .await;
            for r in 0..2 {
                app.approved_comment(
                    post,
                    Some(top),
                    &email,
                    "Reader",
                    &format!("Reply {r} to {c} on {post}."),
                )
                .await;
            }
        }
    }
    let query = r#"query($first: Int!) { posts(first: $first) { nodes {
        title commentCount
        comments(first: 10) { totalCount nodes { authorName html replies(first: 3) { totalCount nodes { html } } } }
    } } }"#;
    let mut counts = Vec::new();
    for first in [2, 10, 20] {
        let (statements, data) = app
            .statements_during(app.data(query, json!({"first": first})))
            .await;
        let posts = data["posts"]["nodes"].as_array().unwrap();
        assert_eq!(posts.len(), first);
        for post in posts {
            assert_eq!(post["commentCount"], 12, "{post}");
            assert_eq!(post["comments"]["nodes"].as_array().unwrap().len(), 4);
            assert_eq!(post["comments"]["nodes"][0]["replies"]["totalCount"], 2);
        }
        counts.push(statements);
    }
    // Posts (each row carries its comment count); comments, each first
    // page counting its thread as it goes; replies, the same.
    assert!(counts.iter().all(|&n| n == 3), "{counts:?}");
}

/// Filing a post under its tags is one statement however many tags it has,
/// when the post is created and when its tags are replaced.
async fn a_posts_tags_go_in_together(backend: Backend) {
    let app = app(backend).await;
    let editor = app.editor_token().await;
    let known = app
        .data(
            "{ posts(first: 1) { nodes { author { id } tags { id } } } }",
            json!({}),
        )
        .await;
    let author = &known["posts"]["nodes"][0]["author"]["id"];
    let tags: Vec<Value> = known["posts"]["nodes"][0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(tags.len(), 5);
    // Statements run, the post written, and how many tags it has.
    let write = async |mutation: &str, input: Value| {
        let query = format!(
            "mutation($i: {}Input!) {{ {mutation}(input: $i) {{ post {{ id tags {{ id }} }} }} }}",
            if mutation == "createPost" {
                "CreatePost"
            } else {
                "UpdatePost"
            }
        );
        let (statements, (_, body)) = app
            .statements_during(app.graphql_as(&editor, &query, json!({ "i": input })))
            .await;
        let post = body["data"][mutation]["post"].clone();
        assert!(post.is_object(), "{body:#}");
        let tagged = post["tags"].as_array().unwrap().len();
        (statements, post, tagged)
    };
    let (one, post, tagged) = write(
        "createPost",
        json!({ "title": "One tag", "authorId": author, "tagIds": tags[..1] }),
    )
    .await;
    assert_eq!(tagged, 1);
    // Titles of words under four letters, which the search dictionary does
    // not learn, so that only the tags differ between the two writes.
    let (five, _, tagged) = write(
        "createPost",
        json!({ "title": "Six tag", "authorId": author, "tagIds": tags }),
    )
    .await;
    assert_eq!(tagged, 5);
    assert_eq!(one, five, "creating a post with one tag and with five");

    let retag = |version: i64, n: usize| json!({ "id": post["id"], "expectedVersion": version, "tagIds": tags[..n] });
    let (to_five, _, tagged) = write("updatePost", retag(1, 5)).await;
    assert_eq!(tagged, 5);
    let (to_two, _, tagged) = write("updatePost", retag(2, 2)).await;
    assert_eq!(tagged, 2);
    assert_eq!(
        to_five, to_two,
        "retagging a post with five tags and with two"
    );
}
