//! Reads whose cost must not grow with the archive: a post's neighbours and
//! a page deep in the listing are index seeks on both backends, and
//! searches (exact, a word being typed, a misspelt word) read the
//! full-text index and the dictionary's keys, never every post: checked in
//! the plans the databases choose for the statements Waypost runs.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use serde_json::Value;
use waypost_db::queries::post as post_queries;
use waypost_db::{
    CursorValue, Direction, Group, Keyset, PostFilter, PostId, PostListQuery, PostOrderField,
    explaining,
};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    neighbours_and_deep_pages_are_index_seeks,
    prefix_and_typo_searches_read_indexes
);

const POSTS: i64 = 3_000;

/// An author and `POSTS` published posts an hour apart, then fresh
/// planner statistics.
async fn archive(app: &TestApp) {
    app.execute_sql(
        "INSERT INTO authors (slug, name, created_at, updated_at) \
         VALUES ('ada', 'Ada', '2020-01-01 00:00:00', '2020-01-01 00:00:00')",
    )
    .await;
    let posts = match app.db.backend() {
        Backend::Postgres => {
            "INSERT INTO posts (slug, title, excerpt, body_markdown, body_html, \
             reading_time_minutes, status, author_id, published_at, created_at, updated_at) \
             SELECT 'post-' || g, 'Post ' || g, '', 'Body', '<p>Body</p>', 1, 'published', \
             (SELECT id FROM authors), timestamp '2020-01-01' + g * interval '1 hour', \
             timestamp '2020-01-01', timestamp '2020-01-01' FROM generate_series(1, 3000) g; \
             ANALYZE posts;"
        }
        Backend::Sqlite => {
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000) \
             INSERT INTO posts (slug, title, excerpt, body_markdown, body_html, \
             reading_time_minutes, status, author_id, published_at, created_at, updated_at) \
             SELECT 'post-' || n, 'Post ' || n, '', 'Body', '<p>Body</p>', 1, 'published', \
             (SELECT id FROM authors), datetime('2020-01-01', '+' || n || ' hours'), \
             '2020-01-01 00:00:00', '2020-01-01 00:00:00' FROM g; \
             ANALYZE;"
        }
    };
    app.execute_sql(posts).await;
}

/// Rows a PostgreSQL plan read and threw away, over all its nodes and loops.
fn rows_removed(node: &Value) -> f64 {
    let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
    let here = ["Rows Removed by Filter", "Rows Removed by Join Filter"]
        .iter()
        .filter_map(|key| node[key].as_f64())
        .sum::<f64>()
        * loops;
    here + node["Plans"]
        .as_array()
        .map_or(0.0, |plans| plans.iter().map(rows_removed).sum())
}

/// Every statement's plan reads posts by seeking its index: nothing on
/// PostgreSQL is filtered away beyond `allowed` rows, and nothing on
/// SQLite scans the posts table.
fn assert_seeks(backend: Backend, what: &str, plans: &[String], allowed: f64) {
    assert!(!plans.is_empty(), "{what}: no statement planned");
    for plan in plans {
        match backend {
            Backend::Postgres => {
                let json: Value = serde_json::from_str(plan).unwrap();
                let removed = rows_removed(&json[0]["Plan"]);
                assert!(
                    removed <= allowed,
                    "{what}: {removed} rows read and thrown away:\n{plan}"
                );
            }
            Backend::Sqlite => {
                for step in plan.lines() {
                    assert!(
                        !(step.starts_with("SCAN") && step.contains("posts")),
                        "{what}: {step}\n{plan}"
                    );
                    if step.contains("posts_status_published_at_idx") {
                        // SQLite seeks the row value by its leading column.
                        assert!(
                            step.contains("AND published_at"),
                            "{what}: the keyset is not in the index seek: {step}\n{plan}"
                        );
                    }
                }
            }
        }
    }
}

async fn neighbours_and_deep_pages_are_index_seeks(backend: Backend) {
    let app = TestApp::empty(backend).await;
    archive(&app).await;
    let now = NaiveDate::from_ymd_opt(2030, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut conn = app.pool.get().await.unwrap();
    let middle: i64 = POSTS / 2;

    let (adjacent, plans) = explaining(post_queries::adjacent(
        &mut conn,
        &[PostId(middle)],
        None,
        now,
    ))
    .await;
    let adjacent = adjacent.unwrap();
    assert_eq!(adjacent[0].previous_id, Some(PostId(middle - 1)));
    assert_eq!(adjacent[0].next_id, Some(PostId(middle + 1)));
    assert_seeks(backend, "previous and next", &plans, 0.0);

    // A page from the middle of the listing, newest first.
    let filter = PostFilter::live(now);
    let published = NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        + chrono::Duration::hours(middle);
    let keyset = Keyset {
        value: CursorValue::Time(published),
        id: PostId(middle),
    };
    let query = PostListQuery {
        group: Group::All,
        parent_ids: &[],
        filter: &filter,
        order: PostOrderField::PublishedAt,
        direction: Direction::Desc,
        after: Some(&keyset),
        before: None,
        limit: 21,
        offset: 0,
    };
    let (page, plans) = explaining(post_queries::list(&mut conn, &query)).await;
    let page = page.unwrap();
    assert_eq!(page.len(), 21);
    assert_eq!(page[0].post.id, PostId(middle - 1));
    assert_seeks(backend, "a page deep in the listing", &plans, 21.0);
}

/// Posts of the archive that write "kubernetes", one in `KUBERNETES_EVERY`.
const KUBERNETES_EVERY: i64 = 300;

async fn prefix_and_typo_searches_read_indexes(backend: Backend) {
    let app = TestApp::empty(backend).await;
    archive(&app).await;
    // Bodies of a kilobyte or so, as posts are (a table of one-line posts
    // is read faster whole than through any index), a few about Kubernetes.
    app.execute_sql(match backend {
        Backend::Postgres => {
            "UPDATE posts SET body_markdown = repeat('Notes on topic' || id || ' ', 60) || \
             (CASE WHEN id % 300 = 0 THEN 'kubernetes' ELSE 'containers' END)"
        }
        Backend::Sqlite => {
            "UPDATE posts SET body_markdown = 'Notes on topic' || id || ' and ' || \
             (CASE WHEN id % 300 = 0 THEN 'kubernetes' ELSE 'containers' END); ANALYZE;"
        }
    })
    .await;
    if backend == Backend::Postgres {
        // On its own: VACUUM runs outside any transaction.
        app.execute_sql("VACUUM ANALYZE posts").await;
    }
    waypost_domain::search::dictionary::learn_all(&app.pool)
        .await
        .unwrap();
    // Statistics as autovacuum would keep them.
    app.execute_sql(match backend {
        Backend::Postgres => "ANALYZE search_word_keys;",
        Backend::Sqlite => "ANALYZE;",
    })
    .await;
    let now = NaiveDate::from_ymd_opt(2030, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let filter = waypost_domain::search::SearchFilter::default();
    for typed in ["kubernetes", "kuber", "kuberentes"] {
        let ((plan, page), plans) = explaining(async {
            let plan = waypost_domain::search::Plan::new(&app.pool, typed)
                .await
                .unwrap();
            let page =
                waypost_domain::search::search(&app.pool, &plan, &filter, Some(5), None, now)
                    .await
                    .unwrap();
            (plan, page)
        })
        .await;
        drop(plan);
        assert_eq!(page.results.len(), 5, "{typed}");
        assert!(page.has_next_page, "{typed}");
        assert_seeks(backend, typed, &plans, 0.0);
        let all = plans.join("\n");
        match backend {
            Backend::Postgres => {
                assert!(all.contains("posts_search_idx"), "{typed}: {all}");
                assert!(!all.contains("\"Seq Scan\""), "{typed}: {all}");
            }
            Backend::Sqlite => {
                assert!(all.contains("VIRTUAL TABLE INDEX"), "{typed}: {all}");
                // The highlight finds each row of the page by its rowid
                // (`=`), after the page: not every match, each running
                // the page's query again.
                let page_then_rowid = all.lines().collect::<Vec<_>>().windows(2).any(|w| {
                    w[0] == "SCAN r"
                        && w[1].starts_with("SCAN search_index VIRTUAL TABLE INDEX 0:=")
                });
                assert!(page_then_rowid, "{typed}: {all}");
            }
        }
        if typed.len() >= 5 {
            // The dictionary is read by its keys.
            assert!(all.contains("search_word_keys"), "{typed}: {all}");
            assert!(
                !all.lines().any(|l| l.starts_with("SCAN search_word_keys")),
                "{typed}: {all}"
            );
        }
    }
    assert_eq!(POSTS / KUBERNETES_EVERY, 10);
}
