//! `waypost import wordpress`: a WXR export written the way WordPress
//! writes it (CDATA, namespaces, nested comment threads), imported and then
//! read through GraphQL as a reader sees it, on both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use waypost_db::DbConn;
use waypost_domain::DbPool;
use waypost_domain::import::wordpress::{ImportError, ImportSettings, Summary, import};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    an_export_reads_as_it_did_on_wordpress,
    importing_again_adds_nothing,
    a_malformed_file_changes_nothing,
    a_large_export_builds_the_indexes_once_at_the_end,
    what_was_deleted_here_stays_deleted,
    names_longer_than_waypost_keeps_are_cut,
);

const FIXTURE: &str = include_str!("../fixtures/wordpress/site.xml");

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

async fn import_text(pool: &DbPool, text: &str) -> Result<Summary, ImportError> {
    let settings = ImportSettings {
        max_depth: 5,
        now: now(),
    };
    import(
        pool,
        || Ok(Cursor::new(text.as_bytes())),
        settings,
        &mut |_, _| {},
    )
    .await
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Body {
    #[diesel(sql_type = Text)]
    body_markdown: String,
}

async fn scalar(conn: &mut DbConn, sql: &'static str) -> i64 {
    let row: Count = match conn {
        DbConn::Pg(c) => diesel::sql_query(sql).get_result(&mut **c).await,
        DbConn::Sqlite(c) => diesel::sql_query(sql).get_result(&mut **c).await,
    }
    .unwrap();
    row.n
}

/// Rows in every table an import writes to.
async fn row_counts(pool: &DbPool) -> Vec<i64> {
    let mut conn = pool.get().await.unwrap();
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM authors",
        "SELECT COUNT(*) AS n FROM tags",
        "SELECT COUNT(*) AS n FROM posts",
        "SELECT COUNT(*) AS n FROM post_tags",
        "SELECT COUNT(*) AS n FROM comments",
        "SELECT COUNT(*) AS n FROM imported_items",
        "SELECT COUNT(*) AS n FROM post_terms",
    ] {
        counts.push(scalar(&mut conn, sql).await);
    }
    counts
}

async fn comments_with_status(pool: &DbPool) -> Vec<i64> {
    let mut conn = pool.get().await.unwrap();
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM comments WHERE status = 'approved'",
        "SELECT COUNT(*) AS n FROM comments WHERE status = 'pending'",
        "SELECT COUNT(*) AS n FROM comments WHERE status = 'spam'",
        "SELECT COUNT(*) AS n FROM comments WHERE status = 'trash'",
    ] {
        counts.push(scalar(&mut conn, sql).await);
    }
    counts
}

async fn all_bodies(pool: &DbPool) -> Vec<String> {
    let mut conn = pool.get().await.unwrap();
    let sql = "SELECT body_markdown FROM posts UNION ALL SELECT body_markdown FROM comments";
    let rows: Vec<Body> = match &mut conn {
        DbConn::Pg(c) => diesel::sql_query(sql).load(&mut **c).await,
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(&mut **c).await,
    }
    .unwrap();
    rows.into_iter().map(|r| r.body_markdown).collect()
}

/// The slugs of a search answer's hits, in order.
fn hit_slugs(found: &Value) -> Vec<&str> {
    found["search"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["item"]["slug"].as_str())
        .collect()
}

fn slugs(nodes: &Value) -> Vec<String> {
    let mut slugs: Vec<String> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect();
    slugs.sort();
    slugs
}

async fn an_export_reads_as_it_did_on_wordpress(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let summary = import_text(&app.pool, FIXTURE).await.unwrap();
    assert_eq!(summary.authors.imported, 3, "{summary}");
    assert_eq!(
        summary.tags.imported, 5,
        "uncategorized is left out: {summary}"
    );
    assert_eq!(
        (
            summary.published,
            summary.scheduled,
            summary.drafts,
            summary.private_as_drafts,
            summary.protected_as_drafts,
            summary.trashed
        ),
        (3, 1, 1, 1, 1, 1),
        "{summary}"
    );
    let by = |s: &str| summary.comments.get(s).copied().unwrap_or(0);
    assert_eq!(
        (by("approved"), by("pending"), by("spam"), by("trash")),
        (8, 1, 1, 2),
        "{summary}"
    );
    assert_eq!(summary.comments_reattached, 1, "{summary}");
    assert_eq!(
        summary.comments_skipped.get("pingback"),
        Some(&1),
        "{summary}"
    );
    for kind in [
        "attachment",
        "page",
        "nav_menu_item",
        "wp_block",
        "custom_css",
    ] {
        assert_eq!(
            summary.items_skipped.get(kind),
            Some(&1),
            "{kind}: {summary}"
        );
    }
    let printed = summary.to_string();
    assert!(printed.contains("skipped items: attachment 1"), "{printed}");
    assert!(printed.contains("pingback 1"), "{printed}");
    assert_eq!(comments_with_status(&app.pool).await, vec![8, 1, 1, 2]);

    // Readers see the published posts with their slugs, dates, tags and authors.
    let data = app
        .data(
            "{ posts(first: 20) { totalCount nodes { slug title publishedAt author { name } tags { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["posts"]["totalCount"], 3, "{data:#}");
    assert_eq!(
        slugs(&data["posts"]["nodes"]),
        [
            "cafe-notes-on-rust-careers",
            "reading-postgresql-query-plans",
            "tuning-postgresql-indexes"
        ]
    );
    let post = app
        .data(
            "{ post(slug: \"tuning-postgresql-indexes\") { title publishedAt updatedAt excerpt body html author { name } tags { slug } commentCount } }",
            json!({}),
        )
        .await["post"]
        .clone();
    assert_eq!(
        post["title"],
        "Tuning PostgreSQL indexes for a busy archive"
    );
    assert!(
        post["publishedAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-01T09:30:00"),
        "{post}"
    );
    assert!(
        post["updatedAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-10T11:00:00"),
        "{post}"
    );
    assert_eq!(post["author"]["name"], "Ada Lovelace");
    assert_eq!(
        post["tags"],
        json!([{ "slug": "databases" }, { "slug": "postgres" }])
    );
    let body = post["body"].as_str().unwrap();
    assert!(body.contains("**PostgreSQL**"), "{body}");
    assert!(
        body.contains("A btree index scan on the posts table"),
        "{body}"
    );
    assert!(
        body.contains("a[b[0]]>1"),
        "CDATA split by WordPress is joined: {body}"
    );
    assert!(body.contains("CREATE INDEX posts_live"), "{body}");
    assert!(
        body.contains("[citation needed]") || body.contains("\\[citation needed\\]"),
        "{body}"
    );
    let html = post["html"].as_str().unwrap();
    assert!(html.contains("<img"), "{html}");
    assert!(html.contains("<pre><code>CREATE INDEX"), "{html}");
    assert!(html.contains("<strong>PostgreSQL</strong>"), "{html}");
    let cafe = app
        .data(
            "{ post(slug: \"cafe-notes-on-rust-careers\") { excerpt body tags { slug } } }",
            json!({}),
        )
        .await["post"]
        .clone();
    assert_eq!(cafe["excerpt"], "Where Rust careers lead.");
    assert_eq!(
        cafe["tags"],
        json!([{ "slug": "careers" }, { "slug": "rust" }])
    );
    assert!(
        cafe["body"].as_str().unwrap().contains("talk.mp4"),
        "{cafe}"
    );

    // Drafts, private, password-protected, scheduled and trashed posts
    // are not public.
    for slug in [
        "draft-queues-under-load",
        "private-salary-notes",
        "members-only-field-trip",
        "message-queues-in-practice",
        "old-announcement",
    ] {
        let found = app
            .data(
                "query($s: String!) { post(slug: $s) { id } }",
                json!({ "s": slug }),
            )
            .await;
        assert_eq!(found["post"], Value::Null, "{slug}");
    }

    // No block-editor comment or shortcode reaches any stored text.
    for body in all_bodies(&app.pool).await {
        for leak in [
            "wp:",
            "<!--",
            "[caption",
            "[/caption]",
            "[gallery",
            "[video",
            "[/video]",
            "[embed",
            "ids=",
        ] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }

    // Comments thread as on WordPress, the sixth level under the fifth's
    // parent, the reply to a pingback on the post itself.
    let thread = app
        .data(
            "{ post(slug: \"tuning-postgresql-indexes\") { commentCount thread(first: 50) { nodes { id authorName authorUrl depth parentId text createdAt } } } }",
            json!({}),
        )
        .await;
    let text = thread.to_string();
    for email in [
        "grace.reader@example.org",
        "ben@example.net",
        "chidi@example.com",
        "fay@example.com",
    ] {
        assert!(!text.contains(email), "an email reached readers: {text}");
    }
    assert_eq!(thread["post"]["commentCount"], 7, "{thread:#}");
    let nodes = thread["post"]["thread"]["nodes"].as_array().unwrap();
    let shape: Vec<(String, i64)> = nodes
        .iter()
        .map(|n| {
            (
                n["text"].as_str().unwrap().to_owned(),
                n["depth"].as_i64().unwrap(),
            )
        })
        .collect();
    let depth_of = |start: &str| {
        shape
            .iter()
            .find(|(t, _)| t.starts_with(start))
            .map(|(_, d)| *d)
            .unwrap_or_else(|| panic!("{start} missing from {shape:?}"))
    };
    assert_eq!(depth_of("Great piece"), 0);
    assert_eq!(depth_of("Thanks!"), 1);
    assert_eq!(depth_of("Third level"), 2);
    assert_eq!(depth_of("Fourth level"), 3);
    assert_eq!(depth_of("Fifth level"), 4);
    assert_eq!(
        depth_of("Sixth level"),
        4,
        "attached to the deepest allowed ancestor"
    );
    assert_eq!(depth_of("Replying to the pingback"), 0);
    let sixth = nodes
        .iter()
        .find(|n| n["text"].as_str().unwrap().starts_with("Sixth"))
        .unwrap();
    let fourth = nodes
        .iter()
        .find(|n| n["text"].as_str().unwrap().starts_with("Fourth"))
        .unwrap();
    assert_eq!(sixth["parentId"], fourth["id"]);
    let first = nodes
        .iter()
        .find(|n| n["text"].as_str().unwrap().starts_with("Great"))
        .unwrap();
    assert!(
        first["createdAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-02T08:00:00"),
        "{first}"
    );
    assert_eq!(first["authorUrl"], "https://grace.example.org");
    assert!(!text.contains("pingback from another blog"), "{text}");
    assert!(!text.contains("Waiting for moderation"), "{text}");
    assert!(!text.contains("cheap pills"), "{text}");

    // Search finds a word from an imported post, and similar posts pair
    // the two on PostgreSQL indexes.
    let found = app
        .data(
            "{ search(query: \"autovacuum\") { nodes { item { ... on Post { slug } } } } }",
            json!({}),
        )
        .await;
    let hits = hit_slugs(&found);
    assert!(hits.contains(&"tuning-postgresql-indexes"), "{found:#}");
    let similar = app
        .data(
            "{ post(slug: \"tuning-postgresql-indexes\") { similarPosts { post { slug } } } }",
            json!({}),
        )
        .await;
    let similar: Vec<&str> = similar["post"]["similarPosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["post"]["slug"].as_str())
        .collect();
    assert_eq!(
        <[&str]>::first(&similar),
        Some(&"reading-postgresql-query-plans"),
        "{similar:?}"
    );
}

async fn importing_again_adds_nothing(backend: Backend) {
    let app = TestApp::empty(backend).await;
    import_text(&app.pool, FIXTURE).await.unwrap();
    let before = row_counts(&app.pool).await;
    let again = import_text(&app.pool, FIXTURE).await.unwrap();
    assert!(again.nothing_new(), "{again}");
    assert_eq!(again.authors.already, 3, "{again}");
    assert_eq!(again.tags.already, 5, "{again}");
    assert_eq!(again.posts_already, 8, "{again}");
    assert_eq!(again.comments_already, 12, "{again}");
    assert!(again.to_string().contains("already imported"), "{again}");
    assert_eq!(row_counts(&app.pool).await, before);

    // A post already here under the same slug keeps it; the import takes
    // the next free one.
    let other_site = FIXTURE.replace("https://fieldnotes.example<", "https://mirror.example<");
    let mirrored = import_text(&app.pool, &other_site).await.unwrap();
    assert_eq!(mirrored.published, 3, "{mirrored}");
    let data = app
        .data(
            "{ post(slug: \"tuning-postgresql-indexes-2\") { title } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["post"]["title"],
        "Tuning PostgreSQL indexes for a busy archive"
    );
}

async fn a_malformed_file_changes_nothing(backend: Backend) {
    let app = TestApp::empty(backend).await;
    import_text(&app.pool, FIXTURE).await.unwrap();
    let before = row_counts(&app.pool).await;

    // Cut off in the middle of the last post, as a failed download would.
    let cut = FIXTURE.find("Newsletter call to action").unwrap();
    let truncated = FIXTURE[..cut].replace("fieldnotes.example", "other.example");
    let err = import_text(&app.pool, &truncated).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ImportError::Malformed { .. }), "{message}");
    let lines = FIXTURE[..cut].lines().count();
    assert!(
        message.starts_with(&format!("line {lines}, column 10")),
        "{message}"
    );
    assert!(message.contains("CDATA not closed"), "{message}");
    assert!(message.contains("wp:post_id ?, from line"), "{message}");
    assert_eq!(row_counts(&app.pool).await, before, "nothing written");
    let cut =
        FIXTURE.find("<wp:post_id>26</wp:post_id>").unwrap() + "<wp:post_id>26</wp:post_id>".len();
    let truncated = FIXTURE[..cut].replace("fieldnotes.example", "other.example");
    let message = import_text(&app.pool, &truncated)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("the file ends inside <item>"), "{message}");
    assert!(
        message.contains("\"Café notes on Rust careers\", wp:post_id 26"),
        "{message}"
    );
    assert_eq!(row_counts(&app.pool).await, before, "nothing written");

    // A date no calendar has, in the last post: the whole file is checked
    // before the first post is written.
    let bad = FIXTURE
        .replace("fieldnotes.example", "other.example")
        .replace("2024-04-01 09:00:00", "2024-13-45 09:00:00");
    let err = import_text(&app.pool, &bad).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("Café notes on Rust careers"), "{message}");
    assert!(message.contains("wp:post_id 26"), "{message}");
    assert!(message.contains("2024-13-45"), "{message}");
    let at = bad.find("<wp:post_date_gmt><![CDATA[2024-13-45").unwrap();
    let line = bad[..at].lines().count();
    assert!(
        message.starts_with(&format!("line {line}, column 3 ")),
        "{message}"
    );
    assert_eq!(row_counts(&app.pool).await, before, "nothing written");

    // A reply to a comment the post does not have.
    let orphan = FIXTURE
        .replace("fieldnotes.example", "other.example")
        .replace(
            "<wp:comment_parent>110</wp:comment_parent>",
            "<wp:comment_parent>999</wp:comment_parent>",
        );
    let message = import_text(&app.pool, &orphan)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("999"), "{message}");
    assert!(message.contains("wp:post_id 12"), "{message}");
    assert_eq!(row_counts(&app.pool).await, before, "nothing written");

    // A body longer than any post here may be, in the last post but one:
    // refused with its place before anything is written.
    let long = FIXTURE
        .replace("fieldnotes.example", "other.example")
        .replace("Only for me.", &"x".repeat(200_001));
    let message = import_text(&app.pool, &long).await.unwrap_err().to_string();
    let at = long.find("<content:encoded><![CDATA[xxx").unwrap();
    let place = format!("line {}, column 3 ", long[..at].lines().count());
    assert!(message.starts_with(&place), "{message}");
    assert!(message.contains("wp:post_id 22"), "{message}");
    assert!(message.contains("at most 200000"), "{message}");
    assert_eq!(row_counts(&app.pool).await, before, "nothing written");

    // Not XML at all.
    let message = import_text(&app.pool, "<rss><channel><item></channel>")
        .await
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("line 1, column"), "{message}");
}

/// The fixture with `extra` more published posts, alternately about
/// container clusters and about bread, before the channel closes.
fn with_generated_posts(extra: usize) -> String {
    let items: String = (0..extra)
        .map(|i| {
            let id = 1000 + i;
            let (title, body) = if i % 2 == 0 {
                (
                    format!("Kubernetes cluster notes {i}"),
                    "<p>Kubernetes schedules containers across the cluster nodes; \
                     pods, deployments and the kubelet keep each container running. \
                     Zephyrcluster is our cluster.</p>",
                )
            } else {
                (
                    format!("Sourdough baking notes {i}"),
                    "<p>Sourdough bread needs a lively starter, flour, water and salt; \
                     the dough rises slowly and the loaf bakes in a hot oven.</p>",
                )
            };
            format!(
                "\t<item>\n\t\t<title><![CDATA[{title}]]></title>\n\
                 \t\t<dc:creator><![CDATA[ada]]></dc:creator>\n\
                 \t\t<content:encoded><![CDATA[{body}]]></content:encoded>\n\
                 \t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n\
                 \t\t<wp:post_id>{id}</wp:post_id>\n\
                 \t\t<wp:post_date><![CDATA[2024-05-01 10:00:00]]></wp:post_date>\n\
                 \t\t<wp:post_date_gmt><![CDATA[2024-05-01 09:00:00]]></wp:post_date_gmt>\n\
                 \t\t<wp:post_modified><![CDATA[2024-05-01 10:00:00]]></wp:post_modified>\n\
                 \t\t<wp:post_modified_gmt><![CDATA[2024-05-01 09:00:00]]></wp:post_modified_gmt>\n\
                 \t\t<wp:post_name><![CDATA[generated-{id}]]></wp:post_name>\n\
                 \t\t<wp:status><![CDATA[publish]]></wp:status>\n\
                 \t\t<wp:post_type><![CDATA[post]]></wp:post_type>\n\
                 \t</item>\n"
            )
        })
        .collect();
    FIXTURE.replacen("</channel>", &format!("{items}</channel>"), 1)
}

/// The similar-posts index's and the dictionary's recorded versions.
async fn index_versions(pool: &DbPool) -> i64 {
    let mut conn = pool.get().await.unwrap();
    scalar(
        &mut conn,
        "SELECT MIN(CAST(version AS BIGINT)) AS n FROM renderings \
         WHERE what IN ('similar', 'search_words')",
    )
    .await
}

async fn slugs_of_similar(app: &TestApp, slug: &str) -> Vec<String> {
    let found = app
        .data(
            "query($slug: String!) { post(slug: $slug) { similarPosts { post { slug } } } }",
            json!({ "slug": slug }),
        )
        .await;
    found["post"]["similarPosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["post"]["slug"].as_str().map(str::to_owned))
        .collect()
}

/// Past fifty posts the indexes are rebuilt once at the end instead of
/// after each post; the imported posts are then found and related as
/// after a small import, and an import that stopped half-way (its indexes
/// left marked outdated) is completed by running it again.
async fn a_large_export_builds_the_indexes_once_at_the_end(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let text = with_generated_posts(60);
    let summary = import_text(&app.pool, &text).await.unwrap();
    assert_eq!(summary.published, 3 + 60, "{summary}");
    assert!(index_versions(&app.pool).await >= 1, "rebuilt and recorded");

    let found = app
        .data(
            "{ search(query: \"zephyrclster\") { suggestion nodes { item { ... on Post { slug } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        found["search"]["suggestion"], "zephyrcluster",
        "the dictionary learnt the imported words: {found:#}"
    );
    let hits = hit_slugs(&found);
    assert!(!hits.is_empty(), "{found:#}");
    assert!(
        hits.iter().all(|slug| slug.starts_with("generated-")),
        "{hits:?}"
    );
    let similar = slugs_of_similar(&app, "generated-1000").await;
    assert!(!similar.is_empty(), "{similar:?}");
    for slug in &similar {
        let n: usize = slug.trim_start_matches("generated-").parse().unwrap_or(1);
        assert_eq!(
            n % 2,
            0,
            "a cluster post is like cluster posts: {similar:?}"
        );
    }
    let postgresql = slugs_of_similar(&app, "tuning-postgresql-indexes").await;
    assert_eq!(
        <[String]>::first(&postgresql).map(String::as_str),
        Some("reading-postgresql-query-plans")
    );

    // A run that stopped after writing posts leaves both marked outdated.
    waypost_domain::similar::mark_outdated(&app.pool)
        .await
        .unwrap();
    waypost_domain::search::dictionary::mark_outdated(&app.pool)
        .await
        .unwrap();
    let again = import_text(&app.pool, &text).await.unwrap();
    assert!(again.nothing_new(), "{again}");
    assert!(index_versions(&app.pool).await >= 1, "rebuilt by the rerun");
}

/// A post deleted here after an import stays deleted when a newer export
/// is imported (with its comments), and a deleted tag is made again: no
/// foreign key fails on the stale notes.
async fn what_was_deleted_here_stays_deleted(backend: Backend) {
    use waypost_db::{PostId, Role, SessionId, TagId, UserId};
    use waypost_domain::policy::Viewer;
    let app = TestApp::empty(backend).await;
    import_text(&app.pool, FIXTURE).await.unwrap();
    let mut conn = app.pool.get().await.unwrap();
    let post = scalar(
        &mut conn,
        "SELECT target_id AS n FROM imported_items WHERE kind = 'post' AND source_id = '12'",
    )
    .await;
    let tag = scalar(&mut conn, "SELECT id AS n FROM tags WHERE slug = 'rust'").await;
    drop(conn);
    let editor = Viewer {
        user_id: UserId(1),
        session_id: SessionId(1),
        role: Role::Editor,
        author_id: None,
    };
    let deleted = waypost_domain::editorial::delete_post(&app.pool, Some(&editor), PostId(post))
        .await
        .unwrap();
    assert!(deleted);
    let deleted = waypost_domain::tag::delete_tag(&app.pool, Some(&editor), TagId(tag))
        .await
        .unwrap();
    assert!(deleted);
    let before = row_counts(&app.pool).await;

    // A newer export: one more comment on the deleted post, which would
    // point at a post no longer here.
    let newer = FIXTURE.replacen(
        "\t\t<wp:comment>\n\t\t\t<wp:comment_id>101</wp:comment_id>",
        "\t\t<wp:comment>\n\t\t\t<wp:comment_id>150</wp:comment_id>\n\
         \t\t\t<wp:comment_author><![CDATA[Late Reader]]></wp:comment_author>\n\
         \t\t\t<wp:comment_date_gmt><![CDATA[2024-06-02 08:00:00]]></wp:comment_date_gmt>\n\
         \t\t\t<wp:comment_content><![CDATA[Still relevant.]]></wp:comment_content>\n\
         \t\t\t<wp:comment_approved><![CDATA[1]]></wp:comment_approved>\n\
         \t\t</wp:comment>\n\
         \t\t<wp:comment>\n\t\t\t<wp:comment_id>101</wp:comment_id>",
        1,
    );
    assert_ne!(newer, FIXTURE);
    let again = import_text(&app.pool, &newer).await.unwrap();
    assert_eq!(again.posts_deleted_here, 1, "{again}");
    assert_eq!(again.comments_deleted_here, 11, "{again}");
    assert_eq!(again.posts_imported(), 0, "{again}");
    assert_eq!(again.tags.imported, 1, "the deleted tag again: {again}");
    assert!(
        again
            .to_string()
            .contains("deleted here since: 1 posts, 11 comments"),
        "{again}"
    );
    let data = app
        .data(
            "{ post(slug: \"tuning-postgresql-indexes\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(data["post"], Value::Null, "not brought back");
    let after = row_counts(&app.pool).await;
    assert_eq!(after[2], before[2], "posts");
    assert_eq!(after[4], before[4], "comments");
    assert_eq!(after[1], before[1] + 1, "tags");

    // Once more: the remade tag's note was updated, not doubled.
    let third = import_text(&app.pool, &newer).await.unwrap();
    assert_eq!(third.tags.imported, 0, "{third}");
    assert_eq!(row_counts(&app.pool).await, after);
}

/// An author's display name past the 100 characters any name here may
/// have is cut at a character, not refused.
async fn names_longer_than_waypost_keeps_are_cut(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let long = FIXTURE.replace("Sam Okoye]]", &format!("{}]]", "Ś".repeat(150)));
    import_text(&app.pool, &long).await.unwrap();
    let mut conn = app.pool.get().await.unwrap();
    let chars = scalar(
        &mut conn,
        "SELECT CAST(LENGTH(name) AS BIGINT) AS n FROM authors WHERE slug = 'sam'",
    )
    .await;
    assert_eq!(chars, 100);
}
