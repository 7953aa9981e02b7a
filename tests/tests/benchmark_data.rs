//! The benchmark's data set as readers see it: threaded comments written in
//! bulk show up on their posts, nested as planned, and the benchmark's
//! commenters are trusted, so the write scenario measures an approved
//! comment.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use waypost_domain::demo::{
    BenchmarkShape, CommentShape, benchmark_bundle, commenter_email, seed_benchmark_comments,
};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(seeded_threads_are_read_back_and_their_commenters_trusted);

const POSTS: usize = 40;
const COMMENTS: usize = 900;

const THREAD: &str = r#"query($slug: String!) {
  post(slug: $slug) {
    id commentCount
    comments(first: 50) { totalCount nodes { id depth
      replies(first: 10) { nodes { depth
        replies(first: 10) { nodes { depth } } } } } }
  }
}"#;

const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { status depth } userErrors { field } } }";

async fn seeded_threads_are_read_back_and_their_commenters_trusted(backend: Backend) {
    let shape = BenchmarkShape {
        posts: POSTS,
        authors: 5,
        tags: 20,
        tags_per_post: 3,
    };
    // An hour back, so that every comment is older than now.
    let now = chrono::Utc::now().naive_utc();
    let app = TestApp::with_content(
        backend,
        benchmark_bundle(shape, now - chrono::Duration::hours(1)),
    )
    .await;
    let comments = CommentShape {
        comments: COMMENTS,
        commenters: 50,
        ..CommentShape::default()
    };
    let written = seed_benchmark_comments(&app.pool, POSTS, comments, now)
        .await
        .unwrap();
    assert_eq!(written, COMMENTS);

    let mut counted = 0;
    let mut deepest = 0;
    let mut replied = 0;
    let mut first = None;
    for i in 0..POSTS {
        let post = app
            .data(THREAD, json!({"slug": format!("benchmark-post-{i}")}))
            .await["post"]
            .clone();
        counted += post["commentCount"].as_i64().unwrap();
        let top = post["comments"]["nodes"].as_array().unwrap();
        for comment in top {
            for reply in comment["replies"]["nodes"].as_array().unwrap() {
                replied += 1;
                deepest = deepest.max(reply["depth"].as_i64().unwrap());
                for deeper in reply["replies"]["nodes"].as_array().unwrap() {
                    replied += 1;
                    deepest = deepest.max(deeper["depth"].as_i64().unwrap());
                }
            }
        }
        if first.is_none()
            && let Some(comment) = top.first()
        {
            first = Some((post["id"].clone(), comment["id"].clone()));
        }
    }
    // One in twenty waits for moderation, and replies are only ever
    // written under approved comments: the rest are all visible.
    let approved = usize::try_from(counted).unwrap();
    assert!(
        approved > COMMENTS * 9 / 10 && approved < COMMENTS,
        "{approved} of {COMMENTS} visible"
    );
    // Three in five are replies; those below the second level are not read.
    assert!(replied > COMMENTS / 4, "{replied} replies read");
    assert_eq!(deepest, 2, "threads go at least three levels deep");

    // A benchmark commenter's new reply is approved at once.
    let (post_id, parent_id) = first.unwrap();
    let added = app
        .data(
            ADD,
            json!({"i": {
                "postId": post_id,
                "parentId": parent_id,
                "authorName": "Reader 7",
                "authorEmail": commenter_email(7),
                "body": "A new thought on this."
            }}),
        )
        .await["addComment"]
        .clone();
    assert_eq!(added["userErrors"], json!([]));
    assert_eq!(added["comment"], json!({"status": "APPROVED", "depth": 1}));
}
