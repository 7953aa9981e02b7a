//! Who sees which posts: scheduled posts go live by themselves, drafts and
//! previews follow the role table. Both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use waypost_db::{AuthorInsertForm, ContentBundle, PostStatus, Role};
use waypost_tests::{Backend, SetClock, TestApp, backend_tests, bundle_post as post};

backend_tests!(
    scheduled_posts_go_live_at_their_instant,
    unpublished_listings_follow_the_role_table,
    previews_are_shown_or_forbidden_never_hidden,
    anonymous_responses_never_leak,
);

const PASSWORD: &str = "correct horse battery staple";

fn bundle(scheduled_in: Duration) -> ContentBundle {
    let now = Utc::now().naive_utc();
    let author = |slug: &str| AuthorInsertForm {
        slug: slug.to_owned(),
        name: slug.to_owned(),
        bio: String::new(),
        avatar_url: None,
        created_at: now,
        updated_at: now,
    };
    ContentBundle {
        authors: vec![author("ada"), author("grace")],
        tags: Vec::new(),
        posts: vec![
            post(
                "old",
                "ada",
                Some(now - Duration::days(2)),
                PostStatus::Published,
            ),
            post(
                "recent",
                "grace",
                Some(now - Duration::days(1)),
                PostStatus::Published,
            ),
            post(
                "soon",
                "ada",
                Some(now + scheduled_in),
                PostStatus::Published,
            ),
            post("ada-draft", "ada", None, PostStatus::Draft),
            post("grace-draft", "grace", None, PostStatus::Draft),
            post(
                "ada-trashed",
                "ada",
                Some(now - Duration::days(3)),
                PostStatus::Trashed,
            ),
        ],
    }
}

fn slugs(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn scheduled_posts_go_live_at_their_instant(backend: Backend) {
    // A clock the test moves by hand, to stand exactly on the instant.
    let bundle = bundle(Duration::days(1));
    let at = bundle
        .posts
        .iter()
        .find(|p| p.form.slug == "soon")
        .unwrap()
        .form
        .published_at
        .unwrap();
    let time = SetClock::at(at - Duration::microseconds(1));
    let clock = time.clock.clone();
    let app =
        TestApp::with_content_configured(backend, bundle, |state| state.with_clock(clock)).await;
    let query = r#"{ posts(orderBy: {field: PUBLISHED_AT, direction: ASC}) { totalCount nodes { slug status } }
        author(slug: "ada") { posts { totalCount } }
        post(slug: "recent") { nextPost { slug } } soon: post(slug: "soon") { slug previousPost { slug } } }"#;

    let before = app.data(query, json!({})).await;
    assert_eq!(
        slugs(&before["posts"]),
        ["old", "recent"],
        "one microsecond early"
    );
    assert_eq!(before["posts"]["totalCount"], 2);
    assert_eq!(before["author"]["posts"]["totalCount"], 1);
    assert_eq!(
        before["post"]["nextPost"],
        Value::Null,
        "not yet a neighbour"
    );
    assert_eq!(before["soon"], Value::Null);

    time.set(at);
    let after = app.data(query, json!({})).await;
    assert_eq!(
        slugs(&after["posts"]),
        ["old", "recent", "soon"],
        "live at its instant, with no job run"
    );
    assert_eq!(after["posts"]["totalCount"], 3);
    assert_eq!(after["posts"]["nodes"][2]["status"], "PUBLISHED");
    assert_eq!(after["author"]["posts"]["totalCount"], 2);
    assert_eq!(after["post"]["nextPost"]["slug"], "soon");
    assert_eq!(after["soon"]["previousPost"]["slug"], "recent");
}

async fn unpublished_listings_follow_the_role_table(backend: Backend) {
    let app = TestApp::with_content(backend, bundle(Duration::days(1))).await;
    app.create_user("editor@example.com", PASSWORD, Role::Editor, None)
        .await;
    app.create_user("ada@example.com", PASSWORD, Role::Author, Some("ada"))
        .await;
    app.create_user("nobody@example.com", PASSWORD, Role::Author, None)
        .await;
    let editor = app.sign_in("editor@example.com", PASSWORD).await;
    let ada = app.sign_in("ada@example.com", PASSWORD).await;
    let nobody = app.sign_in("nobody@example.com", PASSWORD).await;
    let query = "query($s: PostStatus) { posts(filter: {status: $s}, orderBy: {field: TITLE}) { totalCount nodes { slug status } } }";

    let listing = |token: &str, status: &str| {
        let app = &app;
        let token = token.to_owned();
        let status = status.to_owned();
        async move {
            app.graphql_as(&token, query, json!({ "s": status }))
                .await
                .1
        }
    };
    let expect = |body: &Value, wanted: &[&str]| {
        assert!(body.get("errors").is_none(), "{body:#}");
        let got = slugs(&body["data"]["posts"]);
        assert_eq!(got, wanted, "{body:#}");
        assert_eq!(body["data"]["posts"]["totalCount"], wanted.len());
    };
    expect(
        &listing(&editor, "DRAFT").await,
        &["ada-draft", "grace-draft"],
    );
    expect(&listing(&editor, "SCHEDULED").await, &["soon"]);
    expect(&listing(&editor, "TRASHED").await, &["ada-trashed"]);
    expect(&listing(&ada, "DRAFT").await, &["ada-draft"]);
    expect(&listing(&ada, "SCHEDULED").await, &["soon"]);
    expect(&listing(&ada, "PUBLISHED").await, &["old", "recent"]);
    let scheduled = listing(&editor, "SCHEDULED").await;
    assert_eq!(
        scheduled["data"]["posts"]["nodes"][0]["status"],
        "SCHEDULED"
    );

    // An author without a profile owns no posts to list.
    let body = listing(&nobody, "DRAFT").await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    for status in ["DRAFT", "SCHEDULED", "TRASHED"] {
        let body = app.graphql(query, json!({ "s": status })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "anonymous {status}: {body:#}"
        );
    }
    expect(
        &app.graphql(query, json!({ "s": "PUBLISHED" })).await,
        &["old", "recent"],
    );
}

async fn previews_are_shown_or_forbidden_never_hidden(backend: Backend) {
    let app = TestApp::with_content(backend, bundle(Duration::days(1))).await;
    app.create_user("editor@example.com", PASSWORD, Role::Editor, None)
        .await;
    app.create_user("ada@example.com", PASSWORD, Role::Author, Some("ada"))
        .await;
    app.create_user("grace@example.com", PASSWORD, Role::Author, Some("grace"))
        .await;
    app.create_user("admin@example.com", PASSWORD, Role::Admin, None)
        .await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let editor = app.sign_in("editor@example.com", PASSWORD).await;
    let ada = app.sign_in("ada@example.com", PASSWORD).await;
    let grace = app.sign_in("grace@example.com", PASSWORD).await;
    let preview = "query($s: String!) { post(slug: $s, preview: true) { slug status } }";
    let plain = "query($s: String!) { post(slug: $s) { slug } }";

    for slug in ["ada-draft", "soon", "ada-trashed"] {
        for token in [&editor, &admin, &ada] {
            let (_, body) = app.graphql_as(token, preview, json!({ "s": slug })).await;
            assert_eq!(body["data"]["post"]["slug"], slug, "{body:#}");
        }
        let (_, body) = app.graphql_as(&grace, preview, json!({ "s": slug })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "another author: {body:#}"
        );
        let body = app.graphql(preview, json!({ "s": slug })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "anonymous: {body:#}"
        );
        // Without `preview`, unpublished posts are simply not there, for anyone.
        let (_, body) = app.graphql_as(&editor, plain, json!({ "s": slug })).await;
        assert_eq!(body["data"]["post"], Value::Null);
        assert!(body.get("errors").is_none());
    }
    let (_, body) = app
        .graphql_as(&editor, preview, json!({ "s": "ada-draft" }))
        .await;
    assert_eq!(body["data"]["post"]["status"], "DRAFT");
    let body = app.graphql(preview, json!({ "s": "old" })).await;
    assert_eq!(
        body["data"]["post"]["slug"], "old",
        "a live post previews for anyone"
    );
    let body = app.graphql(preview, json!({ "s": "missing" })).await;
    assert_eq!(body["data"]["post"], Value::Null);
}

/// Every response an anonymous client can provoke, searched for what must
/// never reach it: password hashes, session tokens, unpublished titles.
async fn anonymous_responses_never_leak(backend: Backend) {
    let app = TestApp::with_content(backend, bundle(Duration::days(1))).await;
    app.create_user("ada@example.com", PASSWORD, Role::Author, Some("ada"))
        .await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let hash = app.password_hash("ada@example.com").await;
    // A live post whose history holds a title it no longer shows.
    let old = app
        .data(r#"{ post(slug: "old") { id version } }"#, json!({}))
        .await["post"]
        .clone();
    let update = "mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { version } userErrors { code } } }";
    for (version, title) in [(1, "Secret interim title"), (2, "Final title")] {
        let input = json!({ "i": { "id": old["id"], "expectedVersion": version, "title": title } });
        let (_, body) = app.graphql_as(&token, update, input).await;
        assert_eq!(
            body["data"]["updatePost"]["userErrors"],
            json!([]),
            "{body:#}"
        );
    }
    let secrets = [
        "Secret interim title",
        hash.as_str(),
        token.as_str(),
        "$argon2",
        "ada@example.com",
        "Title of soon",
        "Title of ada-draft",
        "Title of grace-draft",
        "Title of ada-trashed",
    ];
    let mut queries: Vec<(String, Value)> = vec![
        ("{ posts(first: 100) { nodes { slug title excerpt body html status } } }".into(), json!({})),
        ("{ posts(last: 100, orderBy: {field: TITLE}) { edges { cursor node { title } } } }".into(), json!({})),
        (r#"{ author(slug: "ada") { posts(first: 100) { totalCount nodes { title } } } }"#.into(), json!({})),
        ("{ viewer { email } }".into(), json!({})),
        (r#"{ post(slug: "old") { title previousPost { title } nextPost { title } author { name } } }"#.into(), json!({})),
        (r#"{ post(slug: "old") { title revisions { title body } } }"#.into(), json!({})),
        (r#"{ posts { nodes { revisions { title } } } }"#.into(), json!({})),
        (r#"{ author(slug: "ada") { posts(filter: {status: DRAFT}) { nodes { title } } } }"#.into(), json!({})),
        ("mutation { updatePost(input: {id: \"UG9zdDox\", expectedVersion: 3, title: \"x\"}) { post { title } } }".into(), json!({})),
        ("mutation { restoreRevision(input: {revisionId: \"UG9zdFJldmlzaW9uOjE=\", expectedVersion: 3}) { post { title } } }".into(), json!({})),
        ("{ __schema { types { name fields { name } } } }".into(), json!({})),
    ];
    for slug in ["soon", "ada-draft", "grace-draft", "ada-trashed"] {
        for preview in [false, true] {
            queries.push((
                "query($s: String!, $p: Boolean!) { post(slug: $s, preview: $p) { title body revisions { title } } }".into(),
                json!({ "s": slug, "p": preview }),
            ));
        }
    }
    for status in ["DRAFT", "SCHEDULED", "TRASHED"] {
        queries.push((
            "query($s: PostStatus) { posts(filter: {status: $s}) { nodes { title } } }".into(),
            json!({ "s": status }),
        ));
    }
    for n in 1..=8 {
        let id = TestApp::global_id("Post", n);
        queries.push((
            "query($id: ID!) { node(id: $id) { ... on Post { title body } } }".into(),
            json!({ "id": id }),
        ));
        queries.push((
            "query($id: ID!) { post(id: $id, preview: true) { title } }".into(),
            json!({ "id": id }),
        ));
    }
    queries.push((
        "mutation($i: SignInInput!) { signIn(input: $i) { token viewer { email } userErrors { message } } }".into(),
        json!({ "i": { "email": "ada@example.com", "password": "wrong password" } }),
    ));
    for (query, variables) in &queries {
        let body = app.graphql(query, variables.clone()).await.to_string();
        for secret in secrets {
            assert!(
                !body.contains(secret),
                "{secret:?} leaked by {query} {variables}: {body}"
            );
        }
    }
}
