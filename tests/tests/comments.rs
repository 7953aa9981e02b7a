//! The "Leave a Reply" form through the API, on both backends: validation,
//! the moderation policy, receipts, replies, flood control, moderation.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use serde_json::{Value, json};
use waypost_db::Role;
use waypost_domain::comment::CommentSettings;
use waypost_gateway::TrustedProxies;
use waypost_tests::{Backend, SetClock, TestApp, backend_tests};

backend_tests!(
    first_comments_wait_then_trust_is_earned,
    the_form_is_checked_field_by_field,
    the_honeypot_catches_spam_quietly,
    duplicates_and_floods_are_refused,
    comments_go_only_where_they_are_open,
    replies_need_an_approved_parent_and_nest_so_deep,
    moderation_follows_the_role_table,
    threads_read_in_pages_without_emails,
    the_moderation_queue_is_for_moderators,
    a_post_can_close_its_comments,
    fifty_at_once_are_stored_once_each,
    a_burst_cannot_outrun_the_flood_limit,
    retry_after_is_exactly_the_wait_at_any_instant,
    the_flood_limit_counts_whom_a_trusted_proxy_forwarded,
);

const PASSWORD: &str = "correct horse battery staple";
const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";
const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { receipt comment { id status depth html authorName authorEmail } userErrors { field code message retryAfter } } }";
const BY_RECEIPT: &str =
    "query($r: String!) { comment(receipt: $r) { id status html authorEmail } }";
const MODERATE: &str =
    "mutation($i: ModerateCommentInput!) { moderateComment(input: $i) { comment { status } } }";

/// Demo content, generous flood limits, and `settings` on top.
async fn app(backend: Backend, settings: CommentSettings) -> TestApp {
    let app = TestApp::empty_configured(backend, |state| state.with_comments(settings)).await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    app
}

fn relaxed() -> CommentSettings {
    CommentSettings {
        flood_limit: 1_000,
        ..CommentSettings::default()
    }
}

fn form(post: &Value, email: &str, body: &str) -> Value {
    json!({ "i": { "postId": post, "authorName": "Reader", "authorEmail": email, "body": body } })
}

/// The article's `commentCount`, as a reader reads it.
async fn article_comments(app: &TestApp) -> i64 {
    let query = "query($s: String!) { post(slug: $s) { commentCount } }";
    app.data(query, json!({ "s": ARTICLE })).await["post"]["commentCount"]
        .as_i64()
        .unwrap()
}

async fn first_comments_wait_then_trust_is_earned(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;

    let first = app
        .data(ADD, form(&post, "Reader@Example.com", "Great *read*."))
        .await["addComment"]
        .clone();
    assert_eq!(first["userErrors"], json!([]));
    assert_eq!(
        first["comment"]["status"], "PENDING",
        "a first comment waits"
    );
    assert_eq!(
        first["comment"]["authorEmail"],
        Value::Null,
        "the email is never shown to the poster"
    );
    assert!(
        first["comment"]["html"]
            .as_str()
            .unwrap()
            .contains("<em>read</em>")
    );
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    assert_eq!(receipt.len(), 43);

    // The receipt shows the poster their own pending comment.
    let mine = app.data(BY_RECEIPT, json!({ "r": receipt })).await["comment"].clone();
    assert_eq!(
        (&mine["id"], &mine["status"]),
        (&first["comment"]["id"], &json!("PENDING"))
    );
    assert_eq!(
        app.data(BY_RECEIPT, json!({ "r": "A".repeat(43) })).await["comment"],
        Value::Null
    );

    let (_, body) = app
        .graphql_as(
            &editor,
            MODERATE,
            json!({ "i": { "id": first["comment"]["id"], "status": "APPROVED" } }),
        )
        .await;
    assert_eq!(
        body["data"]["moderateComment"]["comment"]["status"], "APPROVED",
        "{body:#}"
    );

    // Approved once, trusted after: the next comment appears at once...
    let second = app
        .data(
            ADD,
            form(&post, "reader@example.com", "And another thought."),
        )
        .await["addComment"]
        .clone();
    assert_eq!(second["comment"]["status"], "APPROVED");
    // ...unless it carries 3 links, whoever wrote it.
    let linky = "See [a](https://a.example), https://b.example and http://c.example";
    let third = app
        .data(ADD, form(&post, "reader@example.com", linky))
        .await["addComment"]
        .clone();
    assert_eq!(third["comment"]["status"], "PENDING");
    let html = third["comment"]["html"].as_str().unwrap();
    assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
}

async fn the_form_is_checked_field_by_field(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let post = app.post_id(ARTICLE).await;
    let cases = [
        (
            json!({ "authorName": "", "authorEmail": "a@example.com", "body": "x" }),
            "authorName",
            "REQUIRED",
        ),
        (
            json!({ "authorName": "n".repeat(101), "authorEmail": "a@example.com", "body": "x" }),
            "authorName",
            "TOO_LONG",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "nope", "body": "x" }),
            "authorEmail",
            "INVALID_FORMAT",
        ),
        (
            json!({ "authorName": "A", "authorEmail": format!("{}@example.com", "a".repeat(250)), "body": "x" }),
            "authorEmail",
            "INVALID_FORMAT",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "a@example.com", "body": "   " }),
            "body",
            "REQUIRED",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "a@example.com", "body": "b".repeat(10_001) }),
            "body",
            "TOO_LONG",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "a@example.com", "body": "x", "authorUrl": "javascript:alert(1)" }),
            "authorUrl",
            "INVALID_FORMAT",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "a@example.com", "body": "x", "authorUrl": "ftp://example.com" }),
            "authorUrl",
            "INVALID_FORMAT",
        ),
        (
            json!({ "authorName": "A", "authorEmail": "a@example.com", "body": "x", "authorUrl": "http://" }),
            "authorUrl",
            "INVALID_FORMAT",
        ),
        (
            json!({ "authorName": "A", "authorEmail": email_of_length(255), "body": "x" }),
            "authorEmail",
            "INVALID_FORMAT",
        ),
    ];
    let mut messages = std::collections::HashMap::new();
    for (mut input, field, code) in cases {
        input["postId"] = post.clone();
        let payload = app.data(ADD, json!({ "i": input })).await["addComment"].clone();
        assert_eq!(payload["userErrors"][0]["field"], field, "{payload:#}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{payload:#}");
        messages
            .entry((field, code))
            .or_insert_with(|| payload["userErrors"][0]["message"].clone());
        assert_eq!(payload["comment"], Value::Null);
        assert_eq!(payload["receipt"], Value::Null, "nothing stored");
    }
    // An empty body and one too long are told apart, in words too.
    assert_ne!(
        messages[&("body", "REQUIRED")],
        messages[&("body", "TOO_LONG")]
    );
    assert!(
        messages[&("body", "TOO_LONG")]
            .as_str()
            .unwrap()
            .contains("10001"),
        "says how long it is: {messages:?}"
    );
    // The limits themselves are accepted.
    let ok = json!({ "i": { "postId": post, "authorName": "n".repeat(100), "authorEmail": email_of_length(254), "body": "b".repeat(10_000), "authorUrl": "https://a.example" } });
    assert_eq!(
        app.data(ADD, ok).await["addComment"]["userErrors"],
        json!([])
    );

    // What a stranger writes is shown as their words, never as markup.
    let markup = "Hi <script>alert(1)</script> <b>bold</b> ![pic](https://e.example/i.png) <https://a.example> [site](https://b.example)";
    let payload = app
        .data(ADD, form(&post, "writer@example.com", markup))
        .await;
    let html = payload["addComment"]["comment"]["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;"),
        "raw HTML is shown as text: {html}"
    );
    assert!(
        !html.contains("<img") && html.contains("pic"),
        "an image is its alt text: {html}"
    );
    assert_eq!(
        html.matches(r#"rel="nofollow ugc noopener""#).count(),
        2,
        "each link is marked: {html}"
    );
}

/// An address `length` characters long whose parts are each within their
/// own limits (64 before the @, 63 per domain label).
fn email_of_length(length: usize) -> String {
    let local = "a".repeat(64);
    let label = |c: &str, n: usize| c.repeat(n);
    let fixed = 64 + 1 + 63 + 1 + 63 + 1 + ".example".len();
    let email = format!(
        "{local}@{}.{}.{}.example",
        label("b", 63),
        label("c", 63),
        label("d", length - fixed)
    );
    assert_eq!(email.len(), length);
    email
}

async fn the_honeypot_catches_spam_quietly(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;
    let mut input = form(&post, "bot@example.com", "Buy things");
    input["i"]["honeypot"] = json!("http://spam.example");
    let payload = app.data(ADD, input).await["addComment"].clone();
    assert_eq!(
        payload["comment"]["status"], "PENDING",
        "looks like any pending comment"
    );
    let receipt = payload["receipt"].as_str().unwrap();
    assert_eq!(
        app.data(BY_RECEIPT, json!({ "r": receipt })).await["comment"]["status"],
        "PENDING"
    );
    let (_, body) = app
        .graphql_as(&editor, BY_RECEIPT, json!({ "r": receipt }))
        .await;
    assert_eq!(
        body["data"]["comment"]["status"], "SPAM",
        "moderators see what it is: {body:#}"
    );
    assert_eq!(
        body["data"]["comment"]["authorEmail"], "bot@example.com",
        "and who sent it"
    );
}

async fn duplicates_and_floods_are_refused(backend: Backend) {
    let app = app(backend, CommentSettings::default()).await;
    let post = app.post_id(ARTICLE).await;
    assert_eq!(
        app.data(ADD, form(&post, "dup@example.com", "Same words."))
            .await["addComment"]["userErrors"],
        json!([])
    );
    let again = app
        .graphql(ADD, form(&post, "DUP@example.com", "same   WORDS."))
        .await;
    assert_eq!(outcome(&again), "DUPLICATE", "{again:#}");
    assert_eq!(
        again["data"]["addComment"]["userErrors"][0]["field"],
        "body"
    );

    // Five a minute from one email; the sixth is refused with a hint.
    for n in 2..=5 {
        let payload = app
            .data(
                ADD,
                form(&post, "dup@example.com", &format!("Thought number {n}.")),
            )
            .await;
        assert_eq!(
            payload["addComment"]["userErrors"],
            json!([]),
            "{payload:#}"
        );
    }
    let sixth = app
        .graphql(ADD, form(&post, "dup@example.com", "One too many."))
        .await;
    assert_eq!(outcome(&sixth), "RATE_LIMITED", "{sixth:#}");
    assert!(retry_after(&sixth) >= 1);
    // The same address is limited too, whatever email it claims.
    let other = app
        .graphql(ADD, form(&post, "fresh@example.com", "New voice."))
        .await;
    assert_eq!(outcome(&other), "RATE_LIMITED", "one IP: {other:#}");
}

async fn comments_go_only_where_they_are_open(backend: Backend) {
    // Comments close 200 days after publishing, to the microsecond, by a
    // clock the test sets.
    let settings = CommentSettings {
        close_after: Some(Duration::days(200)),
        ..relaxed()
    };
    let time = SetClock::at(chrono::Utc::now().naive_utc());
    let clock = time.clock.clone();
    let app = TestApp::empty_configured(backend, |state| {
        state.with_comments(settings).with_clock(clock)
    })
    .await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    let slug = "postgresql-indexing-basics";
    let old = app.post_id(slug).await;
    let published = app
        .data(
            "query($s: String!) { post(slug: $s) { publishedAt } }",
            json!({ "s": slug }),
        )
        .await["post"]["publishedAt"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let closes = published + Duration::days(200);
    time.set((closes - Duration::microseconds(1)).naive_utc());
    let body = app
        .graphql(ADD, form(&old, "a@example.com", "Just in time."))
        .await;
    assert_eq!(
        body["data"]["addComment"]["userErrors"],
        json!([]),
        "open until the window ends: {body:#}"
    );
    time.set(closes.naive_utc());
    let body = app.graphql(ADD, form(&old, "a@example.com", "Late.")).await;
    assert_eq!(outcome(&body), "CLOSED", "{body:#}");
    let draft = app.post_id("notes-on-graphql-schema-design").await;
    let body = app
        .graphql(ADD, form(&draft, "a@example.com", "Early."))
        .await;
    assert_eq!(outcome(&body), "NOT_FOUND", "{body:#}");
    let body = app
        .graphql(
            ADD,
            form(&json!("UG9zdDo5OTk5OQ=="), "a@example.com", "Nowhere."),
        )
        .await;
    assert_eq!(outcome(&body), "NOT_FOUND", "{body:#}");
    let body = app
        .graphql(
            ADD,
            form(&json!("QXV0aG9yOjE="), "a@example.com", "Wrong kind."),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn replies_need_an_approved_parent_and_nest_so_deep(backend: Backend) {
    let settings = CommentSettings {
        max_depth: 3,
        ..relaxed()
    };
    let app = app(backend, settings).await;
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;
    let other_post = app.post_id("front-end-engineering-a-career-guide").await;
    let approve = |id: Value| {
        let app = &app;
        let editor = editor.clone();
        async move {
            app.graphql_as(
                &editor,
                MODERATE,
                json!({ "i": { "id": id, "status": "APPROVED" } }),
            )
            .await;
        }
    };
    let root = app.data(ADD, form(&post, "a@example.com", "Root.")).await["addComment"]["comment"]
        ["id"]
        .clone();
    // A pending parent cannot be replied to.
    let mut reply = form(&post, "b@example.com", "Too soon.");
    reply["i"]["parentId"] = root.clone();
    assert_eq!(
        app.data(ADD, reply.clone()).await["addComment"]["userErrors"][0]["field"],
        "parentId"
    );
    approve(root.clone()).await;
    // Nor can a comment on another post be.
    let mut elsewhere = form(&other_post, "b@example.com", "Wrong post.");
    elsewhere["i"]["parentId"] = root.clone();
    assert_eq!(
        app.data(ADD, elsewhere).await["addComment"]["userErrors"][0]["field"],
        "parentId"
    );

    // Depths 0, 1, 2; a reply to depth 2 attaches at depth 2 too (max 3 levels).
    let mut parent = root;
    let mut depths = Vec::new();
    for n in 0..4 {
        let mut input = form(&post, "b@example.com", &format!("Level {n}."));
        input["i"]["parentId"] = parent.clone();
        let comment = app.data(ADD, input).await["addComment"]["comment"].clone();
        depths.push(comment["depth"].as_i64().unwrap());
        approve(comment["id"].clone()).await;
        parent = comment["id"].clone();
    }
    assert_eq!(depths, [1, 2, 2, 2]);

    // Trashing the root hides its whole thread: the count is what readers
    // can reach, and a reply inside the hidden thread is refused.
    let shown = article_comments(&app).await;
    let root = {
        let query = r#"query($s: String!) { post(slug: $s) { comments(first: 100) { nodes { id html } } } }"#;
        let data = app.data(query, json!({ "s": ARTICLE })).await;
        data["post"]["comments"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["html"].as_str().unwrap().contains("Root."))
            .unwrap()["id"]
            .clone()
    };
    let moderate = |status: &'static str| {
        let root = root.clone();
        let editor = editor.clone();
        let app = &app;
        async move {
            app.graphql_as(
                &editor,
                MODERATE,
                json!({ "i": { "id": root, "status": status } }),
            )
            .await
        }
    };
    moderate("TRASH").await;
    assert_eq!(
        article_comments(&app).await,
        shown - 5,
        "the root and its four replies"
    );
    let mut hidden = form(&post, "b@example.com", "Into the void.");
    hidden["i"]["parentId"] = parent.clone();
    assert_eq!(
        app.data(ADD, hidden.clone()).await["addComment"]["userErrors"][0]["field"],
        "parentId",
        "a reply to an approved comment in a trashed thread"
    );
    moderate("APPROVED").await;
    assert_eq!(article_comments(&app).await, shown);
    let body = app.data(ADD, hidden).await;
    assert_eq!(body["addComment"]["userErrors"], json!([]), "{body:#}");
}

async fn moderation_follows_the_role_table(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    app.create_user(
        "amara@example.com",
        PASSWORD,
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    app.create_user(
        "tomas@example.com",
        PASSWORD,
        Role::Author,
        Some("tomas-lindqvist"),
    )
    .await;
    let amara = app.sign_in("amara@example.com", PASSWORD).await;
    let tomas = app.sign_in("tomas@example.com", PASSWORD).await;
    // The career article is Amara's.
    let post = app.post_id(ARTICLE).await;
    let first = app.data(ADD, form(&post, "c@example.com", "Hello.")).await["addComment"].clone();
    let id = first["comment"]["id"].clone();
    let receipt = first["receipt"].as_str().unwrap().to_owned();
    let input = json!({ "i": { "id": id, "status": "APPROVED" } });

    let body = app.graphql(MODERATE, input.clone()).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = app.graphql_as(&tomas, MODERATE, input.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "another author's post"
    );
    let (_, body) = app
        .graphql_as(&tomas, BY_RECEIPT, json!({ "r": receipt }))
        .await;
    assert_eq!(
        body["data"]["comment"]["authorEmail"],
        Value::Null,
        "no email for non-moderators"
    );
    let (_, body) = app
        .graphql_as(&amara, BY_RECEIPT, json!({ "r": receipt }))
        .await;
    assert_eq!(
        body["data"]["comment"]["authorEmail"], "c@example.com",
        "the post's author moderates"
    );
    let (_, body) = app.graphql_as(&amara, MODERATE, input).await;
    assert_eq!(
        body["data"]["moderateComment"]["comment"]["status"], "APPROVED",
        "{body:#}"
    );

    // Trust is an editor's to give: the author's approval published the
    // comment, but the commenter's next one still waits.
    let status = |body: &Value| {
        body["addComment"]["comment"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let second = app
        .data(ADD, form(&post, "c@example.com", "Hello again."))
        .await;
    assert_eq!(status(&second), "PENDING", "{second:#}");
    let approve = |id: &Value| json!({ "i": { "id": id, "status": "APPROVED" } });
    let (_, body) = app
        .graphql_as(
            &editor,
            MODERATE,
            approve(&second["addComment"]["comment"]["id"]),
        )
        .await;
    assert_eq!(
        body["data"]["moderateComment"]["comment"]["status"],
        "APPROVED"
    );
    let third = app
        .data(ADD, form(&post, "c@example.com", "Third time."))
        .await;
    assert_eq!(status(&third), "APPROVED", "an editor vouched: {third:#}");
    // Trust lasts while the editor's approval stands.
    let trash = json!({ "i": { "id": second["addComment"]["comment"]["id"], "status": "TRASH" } });
    app.graphql_as(&editor, MODERATE, trash).await;
    let fourth = app.data(ADD, form(&post, "c@example.com", "Fourth.")).await;
    assert_eq!(status(&fourth), "PENDING", "{fourth:#}");
    // An editor approving a comment the author approved already vouches
    // for its writer too, though the comment itself does not move.
    let (_, body) = app.graphql_as(&editor, MODERATE, approve(&id)).await;
    assert_eq!(
        body["data"]["moderateComment"]["comment"]["status"],
        "APPROVED"
    );
    let fifth = app.data(ADD, form(&post, "c@example.com", "Fifth.")).await;
    assert_eq!(status(&fifth), "APPROVED", "{fifth:#}");

    // The bulk form: all or nothing.
    let ids: Vec<Value> = futures::future::join_all((0..3).map(|n| {
        let app = &app;
        let post = post.clone();
        async move {
            app.data(ADD, form(&post, &format!("bulk{n}@example.com"), "Bulk."))
                .await["addComment"]["comment"]["id"]
                .clone()
        }
    }))
    .await;
    let bulk = "mutation($i: ModerateCommentsInput!) { moderateComments(input: $i) { comments { status } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            bulk,
            json!({ "i": { "ids": ids, "status": "TRASH" } }),
        )
        .await;
    let statuses: Vec<&str> = body["data"]["moderateComments"]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["TRASH", "TRASH", "TRASH"], "{body:#}");
    // Naming a comment twice moderates it once.
    let (_, body) = app
        .graphql_as(
            &editor,
            bulk,
            json!({ "i": { "ids": [ids[0], ids[1], ids[0]], "status": "PENDING" } }),
        )
        .await;
    assert_eq!(
        body["data"]["moderateComments"]["comments"],
        json!([{ "status": "PENDING" }, { "status": "PENDING" }]),
        "{body:#}"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            bulk,
            json!({ "i": { "ids": [], "status": "TRASH" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// Posts `n` approved comments on `post` (or replies to `parent`) through
/// the domain, as an editor would approve them.
async fn approved(
    app: &TestApp,
    post: i64,
    parent: Option<i64>,
    n: usize,
    prefix: &str,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (email, name, body) = (
            format!("{prefix}{i}@secret.example"),
            format!("{prefix} {i}"),
            format!("{prefix} says {i}."),
        );
        ids.push(
            app.approved_comment(post, parent, &email, &name, &body)
                .await,
        );
    }
    ids
}

async fn threads_read_in_pages_without_emails(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let post_gid = app.post_id(ARTICLE).await;
    let post = TestApp::raw_post_id(&post_gid);
    let tops = approved(&app, post, None, 5, "top").await;
    approved(&app, post, Some(tops[0]), 4, "reply").await;
    // A pending comment is in no count and no thread.
    app.data(ADD, form(&post_gid, "pending@secret.example", "Not yet."))
        .await;

    let query = r#"query($s: String!, $after: String, $order: CommentOrder!) { post(slug: $s) {
        commentCount
        comments(first: 2, after: $after, orderBy: $order) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { authorName authorEmail depth replies(first: 3) { totalCount nodes { authorName depth } pageInfo { hasNextPage endCursor } } } }
        } } }"#;
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    let mut reply_cursor: Option<String> = None;
    loop {
        let data = app
            .data(
                query,
                json!({ "s": ARTICLE, "after": after, "order": "OLDEST" }),
            )
            .await;
        let post = &data["post"];
        assert_eq!(
            post["commentCount"], 9,
            "5 comments and 4 replies, approved"
        );
        assert_eq!(post["comments"]["totalCount"], 5);
        for edge in post["comments"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["authorEmail"], Value::Null);
            assert_eq!(edge["node"]["depth"], 0);
            names.push(edge["node"]["authorName"].as_str().unwrap().to_owned());
            if edge["node"]["authorName"] == "top 0" {
                let replies = &edge["node"]["replies"];
                assert_eq!(replies["totalCount"], 4);
                assert_eq!(replies["nodes"].as_array().unwrap().len(), 3);
                assert_eq!(
                    replies["nodes"][0]["authorName"], "reply 0",
                    "replies run oldest first"
                );
                assert_eq!(replies["nodes"][0]["depth"], 1);
                assert_eq!(replies["pageInfo"]["hasNextPage"], true);
                reply_cursor = replies["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
        }
        if post["comments"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(
            post["comments"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        assert!(names.len() <= 5);
    }
    assert_eq!(names, ["top 0", "top 1", "top 2", "top 3", "top 4"]);
    // The rest of a thread's replies, after the first page's cursor.
    let more = app
        .data(
            r#"query($s: String!, $r: String) { post(slug: $s) { comments(first: 1) { nodes { authorName replies(first: 3, after: $r) { nodes { authorName } pageInfo { hasNextPage } } } } } }"#,
            json!({ "s": ARTICLE, "r": reply_cursor.expect("the first page has a cursor") }),
        )
        .await;
    let first = &more["post"]["comments"]["nodes"][0];
    assert_eq!(first["authorName"], "top 0");
    assert_eq!(
        first["replies"]["nodes"],
        json!([{ "authorName": "reply 3" }]),
        "{more:#}"
    );
    assert_eq!(first["replies"]["pageInfo"]["hasNextPage"], false);
    let newest = app
        .data(query, json!({ "s": ARTICLE, "order": "NEWEST" }))
        .await;
    assert_eq!(
        newest["post"]["comments"]["edges"][0]["node"]["authorName"],
        "top 4"
    );

    let body = app
        .graphql(
            query,
            json!({ "s": ARTICLE, "after": "garbage", "order": "OLDEST" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let body = app
        .graphql(
            r#"{ posts { nodes { comments(first: 101) { totalCount } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // No anonymous query shape reveals an email.
    for query in [
        query.to_owned(),
        r#"query($s: String!, $after: String, $order: CommentOrder!) { posts(first: 100) { nodes { comments(orderBy: $order, after: $after) { nodes { authorName authorEmail html replies { nodes { authorEmail html } } } } } } post(slug: $s) { commentCount } }"#.to_owned(),
    ] {
        let body = app.graphql(&query, json!({ "s": ARTICLE, "after": null, "order": "NEWEST" })).await.to_string();
        assert!(!body.contains("secret.example"), "{body}");
    }
}

async fn the_moderation_queue_is_for_moderators(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    app.create_user(
        "amara@example.com",
        PASSWORD,
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    app.create_user(
        "tomas@example.com",
        PASSWORD,
        Role::Author,
        Some("tomas-lindqvist"),
    )
    .await;
    let amara = app.sign_in("amara@example.com", PASSWORD).await;
    let tomas = app.sign_in("tomas@example.com", PASSWORD).await;
    let article = app.post_id(ARTICLE).await; // Amara's
    let api_post = app.post_id("designing-apis-people-enjoy-using").await; // Tomas's
    for n in 0..3 {
        app.data(
            ADD,
            form(
                &article,
                &format!("a{n}@example.com"),
                &format!("On the article {n}."),
            ),
        )
        .await;
    }
    app.data(ADD, form(&api_post, "b@example.com", "On APIs."))
        .await;
    let queue = r#"query($f: CommentFilterInput, $first: Int, $after: String) { comments(filter: $f, first: $first, after: $after) {
        totalCount nodes { authorEmail } edges { cursor node { authorEmail status post { slug } } } pageInfo { hasNextPage endCursor } } }"#;

    let body = app.graphql(queue, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = app
        .graphql_as(&editor, queue, json!({ "f": { "status": "PENDING" } }))
        .await;
    let edges = body["data"]["comments"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 4, "{body:#}");
    assert_eq!(body["data"]["comments"]["totalCount"], 4, "{body:#}");
    assert_eq!(
        body["data"]["comments"]["nodes"][0]["authorEmail"],
        edges[0]["node"]["authorEmail"]
    );
    assert_eq!(
        edges[0]["node"]["authorEmail"], "b@example.com",
        "newest first, emails shown"
    );
    // An author's queue holds the comments on their own posts only.
    let (_, body) = app.graphql_as(&amara, queue, json!({})).await;
    let emails: Vec<&str> = body["data"]["comments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["authorEmail"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["a2@example.com", "a1@example.com", "a0@example.com"],
        "{body:#}"
    );
    assert_eq!(
        body["data"]["comments"]["totalCount"], 3,
        "Amara's posts only"
    );
    let (_, body) = app
        .graphql_as(&tomas, queue, json!({ "f": { "postId": article } }))
        .await;
    assert_eq!(
        body["data"]["comments"]["edges"],
        json!([]),
        "not Tomas's post"
    );
    assert_eq!(body["data"]["comments"]["totalCount"], 0);
    // Paging through the queue.
    let (_, page) = app.graphql_as(&editor, queue, json!({ "first": 3 })).await;
    assert_eq!(page["data"]["comments"]["pageInfo"]["hasNextPage"], true);
    let after = page["data"]["comments"]["pageInfo"]["endCursor"].clone();
    let (_, rest) = app
        .graphql_as(&editor, queue, json!({ "first": 3, "after": after }))
        .await;
    assert_eq!(
        rest["data"]["comments"]["edges"].as_array().unwrap().len(),
        1,
        "{rest:#}"
    );
    assert_eq!(
        rest["data"]["comments"]["totalCount"], 4,
        "the whole queue, whatever the page"
    );
}

async fn a_post_can_close_its_comments(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;
    let version = app
        .data(
            &format!("{{ post(slug: \"{ARTICLE}\") {{ version commentsOpen }} }}"),
            json!({}),
        )
        .await["post"]
        .clone();
    assert_eq!(version["commentsOpen"], true);
    let close = "mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { commentsOpen } userErrors { code } } }";
    let (_, body) = app.graphql_as(&editor, close, json!({ "i": { "id": post, "expectedVersion": version["version"], "commentsOpen": false } })).await;
    assert_eq!(
        body["data"]["updatePost"]["post"]["commentsOpen"], false,
        "{body:#}"
    );
    let refused = app
        .graphql(ADD, form(&post, "late@example.com", "Too late."))
        .await;
    assert_eq!(outcome(&refused), "CLOSED", "{refused:#}");
}

/// A comment counts on its post at once while another writer has stored
/// a comment on the same post and not committed yet. Storing a comment
/// holds a key-share lock on its post until commit (PostgreSQL's foreign
/// key check); a count that waited for that lock made two such writers
/// wait for each other, and under load they deadlocked. The other writer
/// here holds the lock and never finishes: the comment must not need it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_counts_beside_an_uncommitted_one() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    if !waypost_tests::backend_enabled(Backend::Postgres) {
        return;
    }
    // The count is read as stored: the comment is written through the
    // domain, beside the API whose mutations clear cached answers.
    let app = TestApp::empty_configured(Backend::Postgres, |state| {
        waypost_tests::uncached(state.with_comments(relaxed()))
    })
    .await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    let post = TestApp::raw_post_id(&app.post_id(ARTICLE).await);
    let before = article_comments(&app).await;
    let mut other = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    other
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM posts WHERE id = {post} FOR KEY SHARE"
        ))
        .await
        .unwrap();
    let stored = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.approved_comment(
            post,
            None,
            "beside@example.com",
            "Beside",
            "Counted at once.",
        ),
    )
    .await;
    other.batch_execute("ROLLBACK").await.unwrap();
    assert!(
        stored.is_ok(),
        "the comment waited for another writer's lock on its post"
    );
    assert_eq!(article_comments(&app).await, before + 1);
}

async fn fifty_at_once_are_stored_once_each(backend: Backend) {
    let app = app(backend, relaxed()).await;
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;
    let raw_post = TestApp::raw_post_id(&post);
    // Half the crowd has been approved before, so half of it goes public at once.
    for n in (0..50).step_by(2) {
        app.approved_comment(
            raw_post,
            None,
            &format!("crowd{n}@example.com"),
            "Regular",
            &format!("Earlier visit {n}."),
        )
        .await;
    }
    let before = article_comments(&app).await;
    let results = futures::future::join_all((0..50).map(|n| {
        let app = &app;
        let post = post.clone();
        async move {
            app.graphql(
                ADD,
                form(
                    &post,
                    &format!("crowd{n}@example.com"),
                    &format!("Voice {n}."),
                ),
            )
            .await
        }
    }))
    .await;
    let accepted = results
        .iter()
        .filter(|b| b["data"]["addComment"]["comment"]["id"].is_string())
        .count();
    assert_eq!(
        accepted,
        50,
        "{:#}",
        results
            .iter()
            .find(|b| b.get("errors").is_some())
            .unwrap_or(&Value::Null)
    );
    let after = article_comments(&app).await;
    assert_eq!(after - before, 25, "the trusted half is counted, once each");

    let queue = r#"query($p: ID!) { comments(first: 100, filter: {postId: $p}) { edges { node { authorEmail status html } } } }"#;
    let (_, body) = app.graphql_as(&editor, queue, json!({ "p": post })).await;
    let mut voices: Vec<(String, String)> = body["data"]["comments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|node| node["html"].as_str().unwrap().contains("Voice"))
        .map(|node| {
            (
                node["authorEmail"].as_str().unwrap().to_owned(),
                node["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(voices.len(), 50);
    voices.sort();
    voices.dedup();
    assert_eq!(voices.len(), 50, "each stored exactly once");
    let approved = voices.iter().filter(|(_, s)| s == "APPROVED").count();
    assert_eq!(approved, 25, "{voices:?}");

    // The same comment sent 20 times at once is stored once.
    let results = futures::future::join_all((0..20).map(|_| {
        app.graphql(
            ADD,
            form(&post, "echo@example.com", "Said once, sent twenty times."),
        )
    }))
    .await;
    let codes: Vec<&str> = results.iter().map(outcome).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "STORED").count(),
        1,
        "{codes:?}"
    );
    assert!(
        codes.iter().all(|c| ["STORED", "DUPLICATE"].contains(c)),
        "{codes:?}"
    );
}

/// What became of an `addComment`: STORED, or the code of the first user
/// error, or else of the first top-level error.
fn outcome(body: &Value) -> &str {
    let payload = &body["data"]["addComment"];
    if payload["comment"]["id"].is_string() {
        "STORED"
    } else {
        payload["userErrors"][0]["code"]
            .as_str()
            .or_else(|| body["errors"][0]["extensions"]["code"].as_str())
            .unwrap_or("?")
    }
}

/// The seconds a refused `addComment` asks its sender to wait.
fn retry_after(body: &Value) -> u64 {
    let error = &body["data"]["addComment"]["userErrors"][0];
    assert_eq!(error["code"], "RATE_LIMITED", "{body:#}");
    assert!(error["message"].as_str().unwrap().contains("try again in"));
    error["retryAfter"].as_u64().unwrap()
}

async fn a_burst_cannot_outrun_the_flood_limit(backend: Backend) {
    // Five a minute, and twenty sent at once from one email and address.
    let app = app(backend, CommentSettings::default()).await;
    let post = app.post_id(ARTICLE).await;
    let results = futures::future::join_all((0..20).map(|n| {
        let app = &app;
        let post = post.clone();
        async move {
            app.graphql(
                ADD,
                form(&post, "burst@example.com", &format!("Burst {n}.")),
            )
            .await
        }
    }))
    .await;
    let mut stored = 0;
    for body in &results {
        if outcome(body) == "STORED" {
            stored += 1;
            continue;
        }
        let wait = retry_after(body);
        assert!((1..=60).contains(&wait), "{wait}");
    }
    assert_eq!(stored, 5, "exactly the limit gets through");
    let editor = app.editor_token().await;
    let queue = r#"query($p: ID!) { comments(first: 100, filter: {postId: $p, status: PENDING}) { edges { node { html } } } }"#;
    let (_, body) = app.graphql_as(&editor, queue, json!({ "p": post })).await;
    let nodes = body["data"]["comments"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), 5, "{body:#}");
}

/// `retryAfter` promises that a sender who waits exactly that long is let
/// in, and that a second less would not do: checked with the oldest
/// comment at several sub-second offsets from the refusal.
async fn retry_after_is_exactly_the_wait_at_any_instant(backend: Backend) {
    let start = chrono::Utc::now() + Duration::days(1);
    let time = SetClock::at(start.naive_utc());
    let clock = time.clock.clone();
    let app = TestApp::empty_configured(backend, |state| {
        state
            .with_comments(CommentSettings::default())
            .with_clock(clock)
    })
    .await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    let post = app.post_id(ARTICLE).await;
    let set = |at: chrono::DateTime<chrono::Utc>| time.set(at.naive_utc());
    let limit = CommentSettings::default().flood_limit;
    for (round, offset) in [0, 1, 250_000, 999_999].into_iter().enumerate() {
        // Rounds are ten minutes apart, so each starts with an empty window.
        let base = start + Duration::minutes(10 * round as i64 + 10);
        set(base + Duration::microseconds(offset));
        for n in 0..limit {
            let body = app
                .graphql(
                    ADD,
                    form(&post, "clock@example.com", &format!("Round {round}, {n}.")),
                )
                .await;
            assert_eq!(outcome(&body), "STORED", "{body:#}");
        }
        // Refused 20 s after the round began: the oldest frees 40 s and
        // `offset` later.
        let refused_at = base + Duration::seconds(20);
        set(refused_at);
        let again = |n: &str| form(&post, "clock@example.com", &format!("Round {round}, {n}."));
        let body = app.graphql(ADD, again("refused")).await;
        assert_eq!(outcome(&body), "RATE_LIMITED", "{body:#}");
        let wait = retry_after(&body) as i64;
        assert_eq!(wait, if offset == 0 { 40 } else { 41 }, "offset {offset}");
        set(refused_at + Duration::seconds(wait - 1));
        let early = app.graphql(ADD, again("early")).await;
        assert_eq!(outcome(&early), "RATE_LIMITED", "a second early: {early:#}");
        set(refused_at + Duration::seconds(wait));
        let on_time = app.graphql(ADD, again("on time")).await;
        assert_eq!(outcome(&on_time), "STORED", "on time: {on_time:#}");
    }
}

async fn the_flood_limit_counts_whom_a_trusted_proxy_forwarded(backend: Backend) {
    let settings = CommentSettings {
        flood_limit: 2,
        ..CommentSettings::default()
    };
    // Sends a comment as if through a proxy that says it came from `chain`.
    async fn via(app: &TestApp, post: &Value, email: &str, chain: &str) -> String {
        let body: Value = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", chain)
            .json(
                &json!({ "query": ADD, "variables": form(post, email, &format!("From {email}.")) }),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        outcome(&body).to_owned()
    }

    // Trusting no proxy, the header is the client's own claim: ignored.
    let app = app(backend, settings).await;
    let post = app.post_id(ARTICLE).await;
    assert_eq!(
        via(&app, &post, "a1@example.com", "203.0.113.1").await,
        "STORED"
    );
    assert_eq!(
        via(&app, &post, "a2@example.com", "203.0.113.2").await,
        "STORED"
    );
    assert_eq!(
        via(&app, &post, "a3@example.com", "203.0.113.3").await,
        "RATE_LIMITED",
        "one peer, whatever the header says"
    );

    // Behind a trusted proxy, each visitor has their own allowance, and
    // what a visitor wrote into the header themselves does not count.
    let proxies = TrustedProxies(vec!["127.0.0.0/8".parse().unwrap()]);
    let behind = app
        .sibling(|state| state.with_comments(settings).with_trusted_proxies(proxies))
        .await;
    assert_eq!(
        via(&behind, &post, "b1@example.com", "198.51.100.7").await,
        "STORED"
    );
    assert_eq!(
        via(&behind, &post, "b2@example.com", "198.51.100.7").await,
        "STORED"
    );
    assert_eq!(
        via(&behind, &post, "b3@example.com", "192.0.2.1, 198.51.100.7").await,
        "RATE_LIMITED",
        "a forged hop left of the proxy's own is ignored"
    );
    assert_eq!(
        via(&behind, &post, "b4@example.com", "198.51.100.8").await,
        "STORED",
        "another visitor behind the same proxy"
    );
}
