//! The answer cache: a repeated anonymous query runs no SQL, every kind of
//! write is seen by the next read, a scheduled post goes live at its
//! instant, nobody gets another reader's answer, and CDNs learn what to
//! purge by.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use waypost_gateway::AnswerCaching;
use waypost_tests::{Backend, SetClock, TestApp, backend_tests, metric};

backend_tests!(
    a_repeated_anonymous_query_runs_no_sql,
    every_kind_of_write_is_seen_by_the_next_read,
    a_scheduled_post_goes_live_at_its_instant,
    signed_in_readers_never_share_answers,
    answers_name_what_they_read,
    the_cache_can_be_turned_off
);

const SEED: &str = "exploring-back-end-engineering-as-a-career";

const PAGE: &str = r#"query Page($slug: String!) { post(slug: $slug) {
    id title version commentCount
    author { id name } tags { id name }
    comments(first: 20) { nodes { html } }
    previousPost { slug } nextPost { slug }
    similarPosts(first: 5) { post { slug } }
} }"#;

const HOME: &str = "query Home { posts(first: 20) { totalCount nodes { slug title } } }";

async fn read(app: &TestApp, query: &str, variables: Value) -> Value {
    let (status, body) = app
        .post_json(&json!({ "query": query, "variables": variables }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// The seed article's author, for posts an editor writes.
async fn author_id(app: &TestApp) -> Value {
    let page = read(
        app,
        "query($s: String!) { post(slug: $s) { author { id } } }",
        json!({ "s": SEED }),
    )
    .await;
    page["post"]["author"]["id"].clone()
}

async fn write(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    let (status, body) = app.graphql_as(token, query, json!({ "i": input })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Reads twice and checks the second answer came from the cache.
async fn read_warm(app: &TestApp, query: &str, variables: Value) -> Value {
    let first = read(app, query, variables.clone()).await;
    let (statements, second) = app.statements_during(read(app, query, variables)).await;
    assert_eq!(statements, 0, "a repeated read ran SQL");
    assert_eq!(first, second);
    second
}

async fn a_repeated_anonymous_query_runs_no_sql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = app.metrics_text().await;
    let page = read_warm(&app, PAGE, json!({ "slug": SEED })).await;
    assert!(page["post"]["title"].is_string(), "{page}");
    read_warm(&app, HOME, json!({})).await;
    // The same over GET, as Apollo Client's persisted-query link reads.
    let get = |query: &'static str| {
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", query)])
            .send()
    };
    let first: Value = get(HOME).await.unwrap().json().await.unwrap();
    let (statements, second) = app
        .statements_during(async { get(HOME).await.unwrap().json::<Value>().await.unwrap() })
        .await;
    assert_eq!(statements, 0);
    assert_eq!(first, second);
    let after = app.metrics_text().await;
    let hits = metric(&after, "waypost_answer_cache_hits_total")
        - metric(&before, "waypost_answer_cache_hits_total");
    assert_eq!(hits, 3.0, "{after}");
    assert!(metric(&after, "waypost_answer_cache_bytes") > 0.0);
    assert_eq!(metric(&after, "waypost_answer_cache_entries"), 3.0);
    assert_eq!(metric(&after, "waypost_answer_cache_listening"), 1.0);
}

async fn every_kind_of_write_is_seen_by_the_next_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let vars = json!({ "slug": SEED });
    let page = read_warm(&app, PAGE, vars.clone()).await["post"].clone();
    let post_id = page["id"].clone();

    // An edit of the post itself.
    write(
        &app,
        &token,
        "mutation($i: UpdatePostInput!) { updatePost(input: $i) { userErrors { code } } }",
        json!({ "id": post_id, "expectedVersion": page["version"], "title": "Retitled" }),
    )
    .await;
    assert_eq!(
        read(&app, PAGE, vars.clone()).await["post"]["title"],
        "Retitled"
    );
    let home = read_warm(&app, HOME, json!({})).await;
    assert!(
        home["posts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["title"] == "Retitled"),
        "{home}"
    );

    // A new post published: the listings it joins show it.
    let created = write(
        &app,
        &token,
        "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }",
        json!({ "title": "Fresh off the press", "body": "News.", "authorId": page["author"]["id"] }),
    )
    .await;
    let new_id = created["createPost"]["post"]["id"].clone();
    read_warm(&app, HOME, json!({})).await;
    write(
        &app,
        &token,
        "mutation($i: PostStateInput!) { publishPost(input: $i) { userErrors { code } } }",
        json!({ "id": new_id }),
    )
    .await;
    let home = read(&app, HOME, json!({})).await;
    assert_eq!(
        home["posts"]["nodes"][0]["title"], "Fresh off the press",
        "{home}"
    );

    // A comment: pending first (nothing public changes), then approved.
    read_warm(&app, PAGE, vars.clone()).await;
    let added = app
        .data(
            "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id status } } }",
            json!({ "i": { "postId": post_id, "authorName": "Ada", "authorEmail": "ada@example.com", "body": "Cached no more." } }),
        )
        .await;
    assert_eq!(added["addComment"]["comment"]["status"], "PENDING");
    let comment_id = added["addComment"]["comment"]["id"].clone();
    let count = page["commentCount"].as_i64().unwrap();
    assert_eq!(
        read(&app, PAGE, vars.clone()).await["post"]["commentCount"],
        count
    );
    write(
        &app,
        &token,
        "mutation($i: ModerateCommentInput!) { moderateComment(input: $i) { comment { status } } }",
        json!({ "id": comment_id, "status": "APPROVED" }),
    )
    .await;
    let fresh = read(&app, PAGE, vars.clone()).await["post"].clone();
    assert_eq!(fresh["commentCount"], count + 1, "{fresh}");
    assert!(
        fresh["comments"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["html"].as_str().unwrap().contains("Cached no more.")),
        "{fresh}"
    );

    // A tag and an author renamed: every answer showing them changes.
    read_warm(&app, PAGE, vars.clone()).await;
    write(
        &app,
        &token,
        "mutation($i: UpdateTagInput!) { updateTag(input: $i) { userErrors { code } } }",
        json!({ "id": page["tags"][0]["id"], "name": "Renamed tag" }),
    )
    .await;
    let fresh = read(&app, PAGE, vars.clone()).await["post"].clone();
    assert!(
        fresh["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Renamed tag"),
        "{fresh}"
    );
    read_warm(&app, PAGE, vars.clone()).await;
    write(
        &app,
        &token,
        "mutation($i: UpdateAuthorInput!) { updateAuthor(input: $i) { userErrors { code } } }",
        json!({ "id": page["author"]["id"], "name": "Renamed author" }),
    )
    .await;
    assert_eq!(
        read(&app, PAGE, vars.clone()).await["post"]["author"]["name"],
        "Renamed author"
    );

    // A career entry.
    let roles = "query { roles(first: 50) { totalCount } }";
    let before = read_warm(&app, roles, json!({})).await["roles"]["totalCount"]
        .as_i64()
        .unwrap();
    write(
        &app,
        &token,
        "mutation($i: RoleInput!) { createRole(input: $i) { userErrors { code } } }",
        json!({ "title": "Cache Keeper", "seniority": "SENIOR", "summary": "Keeps answers." }),
    )
    .await;
    assert_eq!(
        read(&app, roles, json!({})).await["roles"]["totalCount"],
        before + 1
    );

    // The post deleted: its page finds nothing.
    read_warm(&app, PAGE, vars.clone()).await;
    write(
        &app,
        &token,
        "mutation($i: DeletePostInput!) { deletePost(input: $i) { deletedId } }",
        json!({ "id": post_id }),
    )
    .await;
    assert_eq!(read(&app, PAGE, vars).await["post"], Value::Null);
}

async fn a_scheduled_post_goes_live_at_its_instant(backend: Backend) {
    let start = NaiveDate::from_ymd_opt(2031, 3, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let clock = SetClock::at(start);
    let handed = clock.clock.clone();
    let app = TestApp::spawn_configured(backend, move |state| state.with_clock(handed)).await;
    let token = app.editor_token().await;
    let created = write(
        &app,
        &token,
        "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id slug } } }",
        json!({ "title": "Due at ten", "body": "On time.", "authorId": author_id(&app).await }),
    )
    .await;
    let id = created["createPost"]["post"]["id"].clone();
    let slug = created["createPost"]["post"]["slug"].clone();
    let at = start + Duration::hours(1);
    write(
        &app,
        &token,
        "mutation($i: SchedulePostInput!) { schedulePost(input: $i) { userErrors { code } } }",
        json!({ "id": id, "publishAt": format!("{}Z", at.format("%Y-%m-%dT%H:%M:%S")) }),
    )
    .await;
    let by_slug = "query($slug: String!) { post(slug: $slug) { title } }";
    let shows = |home: &Value| {
        home["posts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["title"] == "Due at ten")
    };
    assert!(!shows(&read_warm(&app, HOME, json!({})).await));
    assert_eq!(
        read_warm(&app, by_slug, json!({ "slug": slug })).await["post"],
        Value::Null
    );
    clock.set(at - Duration::microseconds(1));
    assert!(!shows(&read(&app, HOME, json!({})).await));
    clock.set(at);
    assert!(
        shows(&read(&app, HOME, json!({})).await),
        "live at its instant"
    );
    assert_eq!(
        read(&app, by_slug, json!({ "slug": slug })).await["post"]["title"],
        "Due at ten"
    );
}

async fn signed_in_readers_never_share_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let viewer = "query { viewer { email } }";
    assert_eq!(
        read_warm(&app, viewer, json!({})).await["viewer"],
        Value::Null
    );
    let (_, body) = app.graphql_as(&token, viewer, json!({})).await;
    assert_eq!(body["data"]["viewer"]["email"], "editor@example.com");
    // A signed-in read runs every time and is never kept for others.
    let (statements, _) = app
        .statements_during(app.graphql_as(&token, viewer, json!({})))
        .await;
    assert!(statements > 0);
    assert_eq!(read(&app, viewer, json!({})).await["viewer"], Value::Null);
    // A preview is for its reader: an anonymous one is refused, and the
    // refusal is not kept either.
    let draft = write(
        &app,
        &token,
        "mutation($i: CreatePostInput!) { createPost(input: $i) { post { slug } } }",
        json!({ "title": "Not yet", "body": "Draft.", "authorId": author_id(&app).await }),
    )
    .await["createPost"]["post"]["slug"]
        .clone();
    let preview = "query($s: String!) { post(slug: $s, preview: true) { title } }";
    let (_, body) = app.graphql_as(&token, preview, json!({ "s": draft })).await;
    assert_eq!(body["data"]["post"]["title"], "Not yet");
    for _ in 0..2 {
        let (_, body) = app
            .post_json(&json!({ "query": preview, "variables": { "s": draft } }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }
}

async fn answers_name_what_they_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.post_id(SEED).await;
    let raw = TestApp::raw_post_id(&id);
    let get = || {
        app.client
            .get(app.url("/graphql"))
            .query(&[
                ("query", PAGE),
                ("variables", &json!({ "slug": SEED }).to_string()),
            ])
            .send()
    };
    for _ in 0..2 {
        // The first answer is computed, the second comes from the cache:
        // both name the same keys.
        let response = get().await.unwrap();
        let keys = response.headers()["surrogate-key"]
            .to_str()
            .unwrap()
            .to_owned();
        let tags = response.headers()["cache-tag"].to_str().unwrap().to_owned();
        let keys: Vec<&str> = keys.split(' ').collect();
        assert!(keys.contains(&format!("post:{raw}").as_str()), "{keys:?}");
        assert!(
            keys.contains(&format!("comments:{raw}").as_str()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"posts"),
            "neighbours and similar posts are listings: {keys:?}"
        );
        assert!(keys.iter().any(|k| k.starts_with("author:")), "{keys:?}");
        assert!(keys.iter().any(|k| k.starts_with("tag:")), "{keys:?}");
        assert_eq!(tags.split(',').collect::<Vec<_>>(), keys);
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public")
        );
    }
}

async fn the_cache_can_be_turned_off(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |state| {
        state.with_answer_caching(AnswerCaching { max_bytes: 0 })
    })
    .await;
    read(&app, HOME, json!({})).await;
    let (statements, _) = app.statements_during(read(&app, HOME, json!({}))).await;
    assert!(statements > 0);
}
