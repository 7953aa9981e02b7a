//! How well "similar posts" ranks, measured as a reader would judge it: an
//! archive of posts on five topics that share tags and borrow each other's
//! words is written through the API (createPost, publishPost), and for each
//! post the share of its three most similar posts that are on its own topic
//! (precision@3) is read through `similarPosts`. Two corpora: `tuning.json`,
//! written for this and tuned on, and `held-out.json`, never tuned on.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(similar_posts_stay_on_topic);

/// The floors the corpora must meet: what the current ranking reaches
/// (0.483 and 0.387 on both backends), so that a change that ranks worse
/// fails. The similar-posts issue asks for 0.95 and 0.90; raise these as
/// the ranking gets there.
const TUNING_FLOOR: f64 = 0.53;
const HELD_OUT_FLOOR: f64 = 0.48;

#[derive(serde::Deserialize)]
struct CorpusPost {
    topic: String,
    title: String,
    tags: Vec<String>,
    body: String,
}

fn corpus(name: &str) -> Vec<CorpusPost> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/similar")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Writes `posts` through the API as an editor would and returns
/// precision@3, overall and per topic.
async fn precision_at_3(backend: Backend, posts: &[CorpusPost]) -> (f64, BTreeMap<String, f64>) {
    let app = TestApp::empty(backend).await;
    let editor = app.editor_token().await;
    let as_editor = |query: &'static str, variables: Value| {
        let app = &app;
        let editor = &editor;
        async move {
            let (status, body) = app.graphql_as(editor, query, variables).await;
            assert_eq!(status, 200, "{body:#}");
            assert!(body.get("errors").is_none(), "{body:#}");
            body["data"].clone()
        }
    };
    let author = as_editor(
        "mutation { createAuthor(input: { name: \"Corpus Writer\" }) { author { id } userErrors { code } } }",
        json!({}),
    )
    .await["createAuthor"]["author"]["id"]
        .clone();
    let mut tag_ids: HashMap<String, Value> = HashMap::new();
    let names: BTreeSet<&String> = posts.iter().flat_map(|p| &p.tags).collect();
    for name in names {
        let data = as_editor(
            "mutation($n: String!) { createTag(input: { name: $n, slug: $n }) { tag { id } userErrors { field code } } }",
            json!({ "n": name }),
        )
        .await;
        tag_ids.insert(name.clone(), data["createTag"]["tag"]["id"].clone());
    }
    let mut topic_of: HashMap<String, String> = HashMap::new();
    let mut words_of: HashMap<String, HashSet<String>> = HashMap::new();
    for post in posts {
        let tags: Vec<&Value> = post.tags.iter().map(|t| &tag_ids[t]).collect();
        let created = as_editor(
            "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id slug } userErrors { field code } } }",
            json!({ "i": { "title": post.title, "body": post.body, "tagIds": tags, "authorId": author } }),
        )
        .await;
        let created = &created["createPost"]["post"];
        as_editor(
            "mutation($id: ID!) { publishPost(input: { id: $id }) { post { status } userErrors { code } } }",
            json!({ "id": created["id"] }),
        )
        .await;
        let slug = created["slug"].as_str().unwrap().to_owned();
        words_of.insert(
            slug.clone(),
            words(&format!("{} {}", post.title, post.body)),
        );
        topic_of.insert(slug, post.topic.clone());
    }
    let mut hits: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (slug, topic) in &topic_of {
        let data = app
            .data(
                "query($s: String!) { post(slug: $s) { similarPosts(first: 3) { score sharedTerms post { slug } } } }",
                json!({ "s": slug }),
            )
            .await;
        let similar = data["post"]["similarPosts"].as_array().unwrap();
        // Written one post at a time, the archive still indexes every one.
        assert_eq!(similar.len(), 3, "{slug}: {data:#}");
        for s in similar {
            let other = s["post"]["slug"].as_str().unwrap();
            for word in s["sharedTerms"].as_array().unwrap() {
                let word = word.as_str().unwrap();
                assert!(
                    words_of[slug].contains(word) && words_of[other].contains(word),
                    "{word:?} of {slug} ~ {other} is not a word both posts wrote"
                );
            }
        }
        let on_topic = similar
            .iter()
            .filter(|s| topic_of.get(s["post"]["slug"].as_str().unwrap()) == Some(topic))
            .count();
        let entry = hits.entry(topic.clone()).or_default();
        entry.0 += on_topic;
        entry.1 += 3;
    }
    let (all_hits, all_slots) = hits
        .values()
        .fold((0, 0), |(h, s), (hh, ss)| (h + hh, s + ss));
    let per_topic = hits
        .into_iter()
        .map(|(topic, (h, s))| (topic, h as f64 / s as f64))
        .collect();
    (all_hits as f64 / all_slots as f64, per_topic)
}

/// The words of `text` as a reader sees them, lowercased.
fn words(text: &str) -> HashSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn similar_posts_stay_on_topic(backend: Backend) {
    for (name, floor) in [
        ("tuning.json", TUNING_FLOOR),
        ("held-out.json", HELD_OUT_FLOOR),
    ] {
        let posts = corpus(name);
        let (overall, per_topic) = precision_at_3(backend, &posts).await;
        let topics: Vec<String> = per_topic
            .iter()
            .map(|(t, p)| format!("{t} {p:.2}"))
            .collect();
        println!(
            "similar posts, {name} ({} posts, {backend:?}): precision@3 {overall:.3} ({})",
            posts.len(),
            topics.join(", ")
        );
        assert!(overall >= floor, "{name}: {overall:.3} < {floor}");
    }
}
