//! Finding things, on both backends: similar posts (their quality on a
//! fixture of five topics, their upkeep as posts change, their batching),
//! previous/next within a tag, and full-text search.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use waypost_db::queries::similar;
use waypost_db::{AuthorInsertForm, BundlePost, ContentBundle, PostId, TagInsertForm};
use waypost_domain::authoring::{PostDraft, post_form};
use waypost_tests::{Backend, TestApp, backend_tests, uncached};

backend_tests!(
    similar_posts_come_from_the_same_topic,
    similar_posts_follow_every_change,
    similar_posts_are_batched,
    previous_and_next_walk_within_a_tag,
    search_ranks_titles_first_and_pages_each_match_once,
    search_reads_phrases_exclusions_and_anything_else_safely,
    search_shows_only_what_is_published,
);

#[derive(serde::Deserialize)]
struct FixturePost {
    slug: String,
    topic: String,
    title: String,
    excerpt: String,
    body: String,
    tags: Vec<String>,
}

fn fixture() -> Vec<FixturePost> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/similar-posts.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fixture as a publication: one author, its tags, every post
/// published an hour apart.
fn fixture_bundle() -> (ContentBundle, HashMap<String, String>) {
    let now = waypost_domain::clock::stored_instant(Utc::now().naive_utc());
    let posts = fixture();
    let mut tags: Vec<String> = posts.iter().flat_map(|p| p.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let topics = posts
        .iter()
        .map(|p| (p.slug.clone(), p.topic.clone()))
        .collect();
    let bundle = ContentBundle {
        authors: vec![AuthorInsertForm {
            slug: "fixture-author".into(),
            name: "Fixture Author".into(),
            bio: String::new(),
            avatar_url: None,
            created_at: now,
            updated_at: now,
        }],
        tags: tags
            .iter()
            .map(|t| TagInsertForm {
                slug: t.clone(),
                name: t.clone(),
                description: String::new(),
                created_at: now,
            })
            .collect(),
        posts: posts
            .iter()
            .zip(1..)
            .map(|(p, hours)| BundlePost {
                form: post_form(
                    PostDraft {
                        slug: p.slug.clone(),
                        title: p.title.clone(),
                        excerpt: Some(p.excerpt.clone()),
                        body_markdown: p.body.clone(),
                        published_at: Some(now - Duration::hours(hours)),
                        author_id: waypost_db::AuthorId(0),
                    },
                    now,
                ),
                author_slug: "fixture-author".into(),
                tag_slugs: p.tags.clone(),
            })
            .collect(),
    };
    (bundle, topics)
}

const SIMILAR: &str = r#"query($first: Int!, $similar: Int!) { posts(first: $first) { nodes {
  slug similarPosts(first: $similar) { score sharedTerms sharedTags { slug } post { slug author { name } tags { slug } } }
} } }"#;

async fn similar_posts_come_from_the_same_topic(backend: Backend) {
    let (bundle, topics) = fixture_bundle();
    assert!(topics.len() >= 30);
    let app = TestApp::with_content(backend, bundle).await;
    let data = app
        .data(SIMILAR, json!({ "first": 100, "similar": 3 }))
        .await;
    let (mut same, mut all) = (0, 0);
    for node in data["posts"]["nodes"].as_array().unwrap() {
        let topic = &topics[node["slug"].as_str().unwrap()];
        let similar = node["similarPosts"].as_array().unwrap();
        assert_eq!(similar.len(), 3, "{node}");
        for s in similar {
            assert_ne!(s["post"]["slug"], node["slug"], "never itself");
            let score = s["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score));
            all += 1;
            if &topics[s["post"]["slug"].as_str().unwrap()] == topic {
                same += 1;
            }
        }
        let scores: Vec<f64> = similar
            .iter()
            .map(|s| s["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first");
    }
    assert!(
        same * 10 >= all * 9,
        "{same} of {all} similar posts share their post's topic"
    );
}

const PUBLISH: &str =
    "mutation($i: PostStateInput!) { publishPost(input: $i) { post { id } userErrors { code } } }";
const UNPUBLISH: &str = "mutation($i: PostStateInput!) { unpublishPost(input: $i) { post { id } userErrors { code } } }";

fn similar_slugs(data: &Value) -> Vec<String> {
    data["post"]["similarPosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["post"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// The terms the index holds for the posts of `ids`.
async fn stored_terms(app: &TestApp, ids: &[&Value]) -> BTreeSet<String> {
    let ids: Vec<PostId> = ids
        .iter()
        .map(|id| PostId(TestApp::raw_post_id(id)))
        .collect();
    similar::vectors(&mut app.pool.get().await.unwrap(), &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.term)
        .collect()
}

async fn similar_posts_follow_every_change(backend: Backend) {
    let (bundle, _) = fixture_bundle();
    let app = TestApp::with_content(backend, bundle).await;
    let editor = app.editor_token().await;
    let author = app
        .data(r#"{ author(slug: "fixture-author") { id } }"#, json!({}))
        .await["author"]["id"]
        .clone();
    let posts = fixture();
    let databases: Vec<&FixturePost> = posts.iter().filter(|p| p.topic == "databases").collect();
    let security: Vec<&FixturePost> = posts.iter().filter(|p| p.topic == "security").collect();
    let watched = &databases[0].slug;
    let read =
        "query($s: String!) { post(slug: $s) { similarPosts(first: 20) { post { slug } } } }";

    // Five new posts at once, each a near copy of a database post.
    let mut ids = Vec::new();
    for (i, source) in databases.iter().take(5).enumerate() {
        let (_, body) = app
            .graphql_as(
                &editor,
                "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id slug } } }",
                json!({ "i": { "title": format!("{} again", source.title), "body": source.body, "authorId": author, "slug": format!("copy-{i}") } }),
            )
            .await;
        ids.push(body["data"]["createPost"]["post"]["id"].clone());
        assert!(body.get("errors").is_none(), "{body}");
    }
    let before = similar_slugs(&app.data(read, json!({ "s": watched })).await);
    assert!(
        !before.iter().any(|s| s.starts_with("copy-")),
        "drafts are not similar to anything"
    );
    let published = futures::future::join_all(
        ids.iter()
            .map(|id| app.graphql_as(&editor, PUBLISH, json!({ "i": { "id": id } }))),
    )
    .await;
    for (status, body) in published {
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "{body}");
    }
    let after = similar_slugs(&app.data(read, json!({ "s": watched })).await);
    assert_eq!(
        after[0], "copy-0",
        "the near copy of {watched} is now its most similar post: {after:?}"
    );

    // Rewritten as a security post, it leaves the database posts' lists.
    let version = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Post { version } } }",
            json!({ "id": ids[0] }),
        )
        .await["node"]["version"]
        .clone();
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { slug } userErrors { code } } }",
            json!({ "i": { "id": ids[0], "expectedVersion": version, "title": security[0].title, "body": security[0].body } }),
        )
        .await;
    assert_eq!(
        body["data"]["updatePost"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert!(body.get("errors").is_none(), "{body}");
    let after_edit = similar_slugs(&app.data(read, json!({ "s": watched })).await);
    assert!(
        !after_edit[..5].iter().any(|s| s == "copy-0"),
        "{after_edit:?}"
    );
    let security_list = similar_slugs(&app.data(read, json!({ "s": security[0].slug })).await);
    assert_eq!(security_list[0], "copy-0", "{security_list:?}");

    // Unpublished, it is nobody's similar post; deleted, likewise.
    let mut left_behind = stored_terms(&app, &[&ids[0], &ids[1]]).await;
    app.graphql_as(&editor, UNPUBLISH, json!({ "i": { "id": ids[0] } }))
        .await;
    let unpublished = similar_slugs(&app.data(read, json!({ "s": security[0].slug })).await);
    assert!(
        !unpublished.iter().any(|s| s == "copy-0"),
        "{unpublished:?}"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            "mutation($i: DeleteInput!) { deletePost(input: $i) { deletedId } }",
            json!({ "i": { "id": ids[1] } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let gone = similar_slugs(&app.data(read, json!({ "s": watched })).await);
    assert!(!gone.iter().any(|s| s == "copy-1"), "{gone:?}");
    assert_eq!(gone.len(), 20, "the place it left is filled");

    // The stored count of each term's holders followed every change: the
    // terms every post holds now, and those the two posts held before they
    // left the index.
    let mut conn = app.pool.get().await.unwrap();
    let all: Vec<PostId> = (1..=500).map(PostId).collect();
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    for row in similar::vectors(&mut conn, &all).await.unwrap() {
        *held.entry(row.term).or_default() += 1;
    }
    left_behind.extend(held.keys().cloned());
    let terms: Vec<String> = left_behind.into_iter().collect();
    let stored: BTreeMap<String, i64> = similar::document_frequencies(&mut conn, &terms, PostId(0))
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(
        terms.len() > held.len(),
        "the posts that left held terms of their own"
    );
    for term in &terms {
        assert_eq!(
            stored.get(term).copied().unwrap_or(0),
            held.get(term).copied().unwrap_or(0),
            "posts holding {term:?}"
        );
    }

    for first in [21, -1] {
        let body = app
            .graphql(
                "query($s: String!, $f: Int!) { post(slug: $s) { similarPosts(first: $f) { score } } }",
                json!({ "s": watched, "f": first }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
}

async fn similar_posts_are_batched(backend: Backend) {
    let (bundle, _) = fixture_bundle();
    let app = TestApp::with_content_configured(backend, bundle, uncached).await;
    let mut counts = Vec::new();
    for first in [5, 20] {
        let (statements, data) = app
            .statements_during(app.data(SIMILAR, json!({ "first": first, "similar": 5 })))
            .await;
        let nodes = data["posts"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        assert!(
            nodes
                .iter()
                .all(|n| n["similarPosts"].as_array().unwrap().len() == 5)
        );
        counts.push(statements);
    }
    // The page; the neighbours; their posts; everyone's tags; the
    // neighbours' authors.
    assert_eq!(counts, [5, 5], "statements for 5 and for 20 posts");
}

async fn previous_and_next_walk_within_a_tag(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .data(
            r#"{ posts(first: 100, filter: { tagSlug: "databases" }, orderBy: { field: PUBLISHED_AT, direction: ASC }) { nodes { slug } } }"#,
            json!({}),
        )
        .await;
    let in_tag: Vec<String> = data["posts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect();
    assert!(in_tag.len() >= 3, "{in_tag:?}");
    let walk = r#"query($s: String!) { post(slug: $s) {
        previousPost(inTag: "databases") { slug } nextPost(inTag: "databases") { slug }
        anyPrevious: previousPost { slug } } }"#;
    for (i, slug) in in_tag.iter().enumerate() {
        let post = &app.data(walk, json!({ "s": slug })).await["post"];
        let previous = i.checked_sub(1).map(|j| json!({ "slug": in_tag[j] }));
        assert_eq!(
            post["previousPost"],
            previous.unwrap_or(Value::Null),
            "{slug}"
        );
        let next = in_tag.get(i + 1).map(|s| json!({ "slug": s }));
        assert_eq!(post["nextPost"], next.unwrap_or(Value::Null), "{slug}");
    }
    let post = &app
        .data(
            r#"{ post(slug: "postgresql-indexing-basics") { previousPost(inTag: "no-such-tag") { slug } } }"#,
            json!({}),
        )
        .await["post"];
    assert_eq!(post["previousPost"], Value::Null);
}

const SEARCH: &str = r#"query($q: String!, $first: Int, $after: String, $filter: SearchFilterInput) {
  search(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { score snippet item { __typename ... on Post { slug } ... on Guide { slug } } } }
  } }"#;

fn hits(data: &Value) -> Vec<String> {
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["item"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_ranks_titles_first_and_pages_each_match_once(backend: Backend) {
    let (bundle, topics) = fixture_bundle();
    let app = TestApp::with_content(backend, bundle).await;
    let posts = fixture();
    // A word from one post's title: that post comes first.
    let target = posts
        .iter()
        .find(|p| p.title.to_lowercase().contains("index"))
        .unwrap();
    let data = app.data(SEARCH, json!({ "q": "index", "first": 3 })).await;
    assert_eq!(hits(&data)[0], target.slug, "{data}");
    let snippet = data["search"]["edges"][0]["node"]["snippet"]
        .as_str()
        .unwrap();
    assert!(snippet.contains("<mark>"), "{snippet}");

    // Paging two at a time through a common word yields each match once.
    let total = app.data(SEARCH, json!({ "q": "the data" })).await["search"]["totalCount"]
        .as_i64()
        .unwrap();
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(
                SEARCH,
                json!({ "q": "the data", "first": 2, "after": after }),
            )
            .await;
        seen.extend(hits(&data));
        let info = &data["search"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].clone();
        assert!(seen.len() < 100);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no match twice: {seen:?}");
    assert_eq!(seen.len() as i64, total);
    assert!(total >= 2);

    // A topic's words find that topic's posts.
    let data = app
        .data(SEARCH, json!({ "q": "kubernetes deployment", "first": 5 }))
        .await;
    for slug in hits(&data) {
        assert_eq!(topics[&slug], "devops", "{slug}");
    }
}

async fn search_reads_phrases_exclusions_and_anything_else_safely(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let both = app.data(SEARCH, json!({ "q": "back-end career" })).await;
    let all = hits(&both);
    assert!(all.len() >= 2, "{all:?}");
    let without = app
        .data(
            SEARCH,
            json!({ "q": "back-end career -frontend -\"front-end\"" }),
        )
        .await;
    let fewer = hits(&without);
    assert!(fewer.len() < all.len(), "{fewer:?} vs {all:?}");
    assert!(fewer.iter().all(|s| !s.contains("front-end")), "{fewer:?}");

    let guides = app
        .data(
            SEARCH,
            json!({ "q": "engineering", "filter": { "types": ["GUIDE"] } }),
        )
        .await;
    let kinds: Vec<&Value> = guides["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["item"]["__typename"])
        .collect();
    assert!(!kinds.is_empty());
    assert!(kinds.iter().all(|k| *k == "Guide"), "{kinds:?}");
    let tagged = app
        .data(
            SEARCH,
            json!({ "q": "index", "filter": { "tagSlug": "databases" } }),
        )
        .await;
    assert!(
        hits(&tagged).contains(&"postgresql-indexing-basics".to_owned()),
        "{tagged}"
    );

    for query in [
        "\"; DROP TABLE posts; --",
        "title:foo",
        "foo*",
        "NEAR(a b)",
        "a OR b",
        "\"unbalanced",
        "-",
        "--x",
        "((((",
        "<script>alert(1)</script>",
        "",
        "the and of",
    ] {
        let body = app.graphql(SEARCH, json!({ "q": query })).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        let text = body.to_string();
        assert!(!text.contains("<script"), "{query}: {text}");
    }
    let body = app
        .graphql(SEARCH, json!({ "q": "x", "after": "garbage" }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn search_shows_only_what_is_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The demo draft is about GraphQL schema design.
    let data = app
        .data(SEARCH, json!({ "q": "graphql schema design" }))
        .await;
    assert!(
        !hits(&data).contains(&"notes-on-graphql-schema-design".to_owned()),
        "{data}"
    );
    let total = data["search"]["totalCount"].as_i64().unwrap();
    assert_eq!(total as usize, hits(&data).len());
}
