//! Comments as a tree a client can hold: every comment is a `Node` that
//! normalised caches can refetch (alone or with `nodes`), knows its parent,
//! and a reply moved up by the depth limit says so.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    comments_are_nodes_as_readers_reach_them,
    nodes_fetches_many_in_the_order_asked,
    a_reply_knows_its_parent_and_says_when_it_moved_up,
    a_whole_thread_comes_in_one_list_in_thread_order,
);

const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";

const AS_NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Comment { depth parentId html parent { id } } } }";

fn comment_id(raw: i64) -> Value {
    TestApp::global_id("Comment", raw)
}

async fn comments_are_nodes_as_readers_reach_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = TestApp::raw_post_id(&app.post_id(ARTICLE).await);
    let root = app
        .approved_comment(post, None, "a@example.com", "A", "Root.")
        .await;
    let reply = app
        .approved_comment(post, Some(root), "b@example.com", "B", "Reply.")
        .await;

    let node = app.data(AS_NODE, json!({ "id": comment_id(reply) })).await;
    let node = &node["node"];
    assert_eq!(node["__typename"], "Comment");
    assert_eq!(node["id"], comment_id(reply));
    assert_eq!(node["depth"], 1);
    assert_eq!(node["parentId"], comment_id(root));
    assert_eq!(node["parent"]["id"], comment_id(root));
    let top = app.data(AS_NODE, json!({ "id": comment_id(root) })).await;
    let top = &top["node"];
    assert_eq!(top["parentId"], Value::Null);
    assert_eq!(top["parent"], Value::Null);

    // Once its parent is trashed, a reply is in no thread a reader sees:
    // not by id either.
    let editor = app.editor_token().await;
    let trash = "mutation($id: ID!) { moderateComment(input: { id: $id, status: TRASH }) { comment { id } userErrors { code } } }";
    let (_, body) = app
        .graphql_as(&editor, trash, json!({ "id": comment_id(root) }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    for id in [root, reply] {
        let node = app.data(AS_NODE, json!({ "id": comment_id(id) })).await;
        assert_eq!(node["node"], Value::Null, "comment {id}");
    }
    // An id that names no comment at all is null too, not an error.
    let gone = app
        .data(AS_NODE, json!({ "id": comment_id(999_999) }))
        .await;
    assert_eq!(gone["node"], Value::Null);
}

async fn nodes_fetches_many_in_the_order_asked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post_gid = app.post_id(ARTICLE).await;
    let post = TestApp::raw_post_id(&post_gid);
    let mut comments = Vec::new();
    for n in 0..3 {
        let (email, body) = (format!("n{n}@example.com"), format!("Number {n}."));
        comments.push(app.approved_comment(post, None, &email, "N", &body).await);
    }
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";
    let mut ids = vec![
        comment_id(comments[2]),
        post_gid.clone(),
        TestApp::global_id("User", 1),
        comment_id(comments[0]),
        comment_id(comments[1]),
    ];
    let (statements, body) = app
        .statements_during(app.graphql(query, json!({ "ids": ids })))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let nodes = body["data"]["nodes"].as_array().unwrap();
    let kinds: Vec<&Value> = nodes.iter().map(|n| &n["__typename"]).collect();
    assert_eq!(
        kinds,
        [
            &json!("Comment"),
            &json!("Post"),
            &Value::Null,
            &json!("Comment"),
            &json!("Comment")
        ]
    );
    assert_eq!(nodes[2], Value::Null, "accounts are private");
    let returned: Vec<&Value> = nodes.iter().map(|n| &n["id"]).collect();
    ids[2] = Value::Null;
    assert_eq!(returned, ids.iter().collect::<Vec<_>>());
    // Three comments in one read, their post in one: not one per id.
    assert_eq!(statements, 3, "comments, their posts (live?), the post");

    let malformed = app.graphql(query, json!({ "ids": ["garbage"] })).await;
    assert_eq!(
        malformed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{malformed:#}"
    );
    assert_eq!(malformed["errors"][0]["extensions"]["field"], "ids");
    // Guides and transitions come a kind to a statement too.
    let career = app
        .data(
            "{ guides(first: 2) { nodes { id } } roles(first: 20) { nodes { nextRoles { id } } } }",
            json!({}),
        )
        .await;
    let mut career_ids: Vec<Value> = career["guides"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    career_ids.extend(
        career["roles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["nextRoles"].as_array().unwrap().clone())
            .map(|t| t["id"].clone())
            .take(2),
    );
    assert_eq!(career_ids.len(), 4, "{career:#}");
    let (statements, body) = app
        .statements_during(app.graphql(query, json!({ "ids": career_ids })))
        .await;
    let kinds: Vec<&Value> = body["data"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["__typename"])
        .collect();
    assert_eq!(
        kinds,
        [
            &json!("Guide"),
            &json!("Guide"),
            &json!("Transition"),
            &json!("Transition")
        ],
        "{body:#}"
    );
    assert_eq!(statements, 2, "the guides, the transitions");

    let too_many: Vec<Value> = (1..=101).map(comment_id).collect();
    let body = app.graphql(query, json!({ "ids": too_many })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
}

async fn a_reply_knows_its_parent_and_says_when_it_moved_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post_gid = app.post_id(ARTICLE).await;
    let post = TestApp::raw_post_id(&post_gid);
    // A chain as deep as threads go (depths 0 to 4).
    let mut chain = vec![
        app.approved_comment(post, None, "c0@example.com", "C", "Level 0.")
            .await,
    ];
    for depth in 1..5 {
        let parent = *chain.last().unwrap();
        chain.push(
            app.approved_comment(
                post,
                Some(parent),
                &format!("c{depth}@example.com"),
                "C",
                &format!("Level {depth}."),
            )
            .await,
        );
    }
    let add = "mutation($i: AddCommentInput!) { addComment(input: $i) { reparented comment { depth parentId } userErrors { code } } }";
    let reply_to = |parent: i64, body: &str| json!({ "i": { "postId": post_gid, "parentId": comment_id(parent), "authorName": "R", "authorEmail": "r@example.com", "body": body } });
    // Under the deepest level a reply cannot go: it is filed one level
    // up, beside the comment it answers, and the payload says so.
    let moved = app.data(add, reply_to(chain[4], "Too deep.")).await;
    let moved = &moved["addComment"];
    assert_eq!(moved["reparented"], true, "{moved:#}");
    assert_eq!(moved["comment"]["depth"], 4);
    assert_eq!(moved["comment"]["parentId"], comment_id(chain[3]));
    // Where it fits, it stays where it was asked.
    let kept = app.data(add, reply_to(chain[1], "Fits.")).await;
    let kept = &kept["addComment"];
    assert_eq!(kept["reparented"], false, "{kept:#}");
    assert_eq!(kept["comment"]["depth"], 2);
    assert_eq!(kept["comment"]["parentId"], comment_id(chain[1]));
}

async fn a_whole_thread_comes_in_one_list_in_thread_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = TestApp::raw_post_id(&app.post_id(ARTICLE).await);
    let add = |parent: Option<i64>, name: &'static str| {
        let app = &app;
        async move {
            app.approved_comment(post, parent, &format!("{name}@example.com"), name, name)
                .await
        }
    };
    // Posted in this order; read back as a thread.
    let a = add(None, "a").await;
    let b = add(None, "b").await;
    let a1 = add(Some(a), "a1").await;
    let b1 = add(Some(b), "b1").await;
    let a1a = add(Some(a1), "a1a").await;
    let a2 = add(Some(a), "a2").await;
    // A hidden thread is in no list: its root is trashed.
    let c = add(None, "c").await;
    add(Some(c), "c1").await;
    let editor = app.editor_token().await;
    let trash = "mutation($id: ID!) { moderateComment(input: { id: $id, status: TRASH }) { comment { id } } }";
    app.graphql_as(&editor, trash, json!({ "id": comment_id(c) }))
        .await;

    let query = r#"query($slug: String!, $first: Int, $after: String) {
        post(slug: $slug) { commentCount thread(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { id depth parentId } } } } }"#;
    let (statements, whole) = app
        .statements_during(app.data(query, json!({ "slug": ARTICLE, "first": 100 })))
        .await;
    assert_eq!(statements, 2, "the post, and its whole thread");
    let thread = &whole["post"]["thread"];
    assert_eq!(thread["totalCount"], whole["post"]["commentCount"]);
    let edges = thread["edges"].as_array().unwrap();
    assert_eq!(edges.len() as u64, thread["totalCount"].as_u64().unwrap());
    let ids: Vec<Value> = edges.iter().map(|e| e["node"]["id"].clone()).collect();
    let ours: Vec<Value> = [a, a1, a1a, a2, b, b1].map(comment_id).to_vec();
    assert_eq!(ids[ids.len() - 6..], ours[..], "thread order at the end");
    let depths: Vec<&Value> = edges[edges.len() - 6..]
        .iter()
        .map(|e| &e["node"]["depth"])
        .collect();
    assert_eq!(
        depths,
        [
            &json!(0),
            &json!(1),
            &json!(2),
            &json!(1),
            &json!(0),
            &json!(1)
        ]
    );
    assert_eq!(edges[edges.len() - 3]["node"]["parentId"], comment_id(a));
    // Every comment comes after its parent.
    for (n, edge) in edges.iter().enumerate() {
        let parent = &edge["node"]["parentId"];
        if !parent.is_null() {
            assert!(ids[..n].contains(parent), "{edge}");
        }
    }

    // Two at a time, the pages join up to the same list.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data(
                query,
                json!({ "slug": ARTICLE, "first": 2, "after": after }),
            )
            .await;
        let thread = &page["post"]["thread"];
        assert_eq!(thread["pageInfo"]["hasPreviousPage"], !after.is_null());
        for edge in thread["edges"].as_array().unwrap() {
            paged.push(edge["node"]["id"].clone());
        }
        if thread["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = thread["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, ids);

    let bad = app
        .graphql(query, json!({ "slug": ARTICLE, "after": "garbage" }))
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad:#}"
    );
}
