//! A commenter's email is an input only. This test posts comments with a
//! known email in every moderation state, then reads everything an
//! anonymous client can reach: each root field, the `addComment` payload
//! and `commentAdded` events, each with every field the schema offers
//! (found by introspection, so a field added later is crawled too), and
//! never finds the email, its domain or its usual hashes.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use waypost_domain::comment::CommentSettings;
use waypost_gateway::Limits;
use waypost_tests::{Backend, Protocol, Socket, TestApp, backend_tests};

backend_tests!(no_anonymous_answer_reveals_an_email);

const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";
const EMAIL: &str = "Quiet.Reader@hidden-mailbox.example";
const NAME: &str = "Reader Q";
/// How many object fields deep the crawl selects; a type appears once on
/// one path (comments twice, for replies), so the query stays finite.
const DEPTH: usize = 8;

const INTROSPECTION: &str = r#"{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { kind name possibleTypes { name }
    fields { name args { name defaultValue type { ...Ref } } type { ...Ref } } } } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

/// Every form the email could take in an answer.
fn secrets() -> Vec<String> {
    use md5::Md5;
    use sha2::{Digest, Sha256};
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut forms = Vec::new();
    for email in [EMAIL.to_owned(), EMAIL.to_lowercase()] {
        forms.push(hex(&Sha256::digest(email.as_bytes())));
        // The Gravatar hash.
        forms.push(hex(&Md5::digest(email.as_bytes())));
        forms.push(email);
    }
    forms.push("hidden-mailbox".into());
    forms.push("quiet.reader".into());
    forms
}

fn assert_private(what: &str, answer: &str) {
    let lower = answer.to_lowercase();
    for secret in secrets() {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{what} reveals {secret:?}: {answer}"
        );
    }
}

/// The schema as introspection tells it: each type's kind, fields and
/// possible types.
struct Schema {
    types: BTreeMap<String, Value>,
}

/// A field's type without its wrappers: (kind, name).
fn named(mut ty: &Value) -> (String, String) {
    while ty["name"].is_null() {
        ty = &ty["ofType"];
    }
    (
        ty["kind"].as_str().unwrap().to_owned(),
        ty["name"].as_str().unwrap().to_owned(),
    )
}

impl Schema {
    /// Every field of `type_name`, nested `depth` object levels, no type
    /// repeated on a path but comments (whose replies are comments). Fields whose arguments are required are
    /// left to the root calls, which supply them (none below the root
    /// needs any today; the crawl reports one that does).
    fn select(
        &self,
        type_name: &str,
        depth: usize,
        path: &mut Vec<String>,
        skipped: &mut BTreeSet<String>,
    ) -> String {
        let ty = &self.types[type_name];
        let mut out = String::from("__typename");
        match ty["kind"].as_str().unwrap() {
            "INTERFACE" | "UNION" => {
                for possible in ty["possibleTypes"].as_array().unwrap() {
                    let name = possible["name"].as_str().unwrap();
                    let inner = self.select(name, depth, path, skipped);
                    out.push_str(&format!(" ... on {name} {{ {inner} }}"));
                }
            }
            _ => {
                for field in ty["fields"].as_array().unwrap() {
                    let field_name = field["name"].as_str().unwrap();
                    let required =
                        field["args"].as_array().unwrap().iter().any(|a| {
                            a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null()
                        });
                    if required {
                        skipped.insert(format!("{type_name}.{field_name}"));
                        continue;
                    }
                    let (kind, inner) = named(&field["type"]);
                    match kind.as_str() {
                        "SCALAR" | "ENUM" => out.push_str(&format!(" {field_name}")),
                        _ => {
                            // Comments nest in comments, so a reply's fields
                            // are read too; any other type once per path.
                            let most = if inner.starts_with("Comment") { 2 } else { 1 };
                            let seen = path.iter().filter(|t| **t == inner).count();
                            if depth == 0 || seen >= most {
                                continue;
                            }
                            path.push(inner.clone());
                            let sub = self.select(&inner, depth - 1, path, skipped);
                            path.pop();
                            out.push_str(&format!(" {field_name} {{ {sub} }}"));
                        }
                    }
                }
            }
        }
        out
    }

    /// The root field `field` of `root` with `args`, selecting everything.
    fn call(&self, root: &str, field: &str, args: &str, skipped: &mut BTreeSet<String>) -> String {
        let ty = &self.types[root];
        let found = ty["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == field)
            .unwrap_or_else(|| panic!("{root}.{field} is not in the schema"));
        let (kind, inner) = named(&found["type"]);
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({args})")
        };
        match kind.as_str() {
            "SCALAR" | "ENUM" => format!("{field}{args}"),
            _ => {
                let mut path = vec![inner.clone()];
                let sub = self.select(&inner, DEPTH, &mut path, skipped);
                format!("{field}{args} {{ {sub} }}")
            }
        }
    }

    fn root_fields(&self, root: &str) -> BTreeSet<String> {
        self.types[root]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn no_anonymous_answer_reveals_an_email(backend: Backend) {
    // The crawl asks for everything at once: past the default limits, which
    // are not what is under test here. Nor is the deadline: a crawl of the
    // whole schema in a debug build on a busy machine may take longer.
    let limits = Limits {
        timeout: std::time::Duration::from_secs(600),
        max_depth: 1_000,
        max_complexity: usize::MAX,
        max_fields: usize::MAX,
        max_aliases: usize::MAX,
        max_query_bytes: usize::MAX,
        max_body_bytes: usize::MAX,
        ..Limits::default()
    };
    let settings = CommentSettings {
        flood_limit: 1_000,
        ..CommentSettings::default()
    };
    let app = TestApp::empty_configured(backend, |state| {
        state.with_comments(settings).with_limits(limits)
    })
    .await;
    waypost_domain::demo::seed_demo(&app.pool).await.unwrap();
    let editor = app.editor_token().await;
    let post = app.post_id(ARTICLE).await;
    let raw_post = TestApp::raw_post_id(&post);

    // The commenter in every state: approved with a reply, pending, spam,
    // trashed; their receipts, as the poster would hold them.
    let schema_json = app.data(INTROSPECTION, json!({})).await;
    let mut types = BTreeMap::new();
    for ty in schema_json["__schema"]["types"].as_array().unwrap() {
        types.insert(ty["name"].as_str().unwrap().to_owned(), ty.clone());
    }
    let schema = Schema { types };
    let root = |kind: &str| {
        schema_json["__schema"][kind]["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (query_root, mutation_root, subscription_root) = (
        root("queryType"),
        root("mutationType"),
        root("subscriptionType"),
    );
    let mut skipped = BTreeSet::new();
    let add = format!(
        "mutation($i: AddCommentInput!) {{ {} }}",
        schema.call(&mutation_root, "addComment", "input: $i", &mut skipped)
    );
    let mut receipts = Vec::new();
    let mut ids = Vec::new();
    for (n, honeypot) in ["", "", "", "filled"].iter().enumerate() {
        let answer = app
            .graphql(
                &add,
                json!({ "i": { "postId": post, "authorName": NAME, "authorEmail": EMAIL,
                    "authorUrl": "https://reader.example", "body": format!("Thought {n}."), "honeypot": honeypot } }),
            )
            .await;
        assert_private("the addComment payload", &answer.to_string());
        let payload = &answer["data"]["addComment"];
        assert_eq!(payload["userErrors"], json!([]), "{answer:#}");
        receipts.push(payload["receipt"].as_str().unwrap().to_owned());
        ids.push(payload["comment"]["id"].clone());
    }
    let moderate =
        "mutation($i: ModerateCommentInput!) { moderateComment(input: $i) { comment { status } } }";
    for (id, status) in [(&ids[0], "APPROVED"), (&ids[2], "TRASH")] {
        let (_, body) = app
            .graphql_as(
                &editor,
                moderate,
                json!({ "i": { "id": id, "status": status } }),
            )
            .await;
        assert_eq!(body["data"]["moderateComment"]["comment"]["status"], status);
    }
    let reply = app
        .approved_comment(
            raw_post,
            Some(TestApp::raw_id(&ids[0], "Comment")),
            EMAIL,
            NAME,
            "A reply of mine.",
        )
        .await;

    // Live: a subscriber selecting every field hears the next approval.
    let mut socket = Socket::connect(&app, Protocol::TransportWs, json!({})).await;
    let live = format!(
        "subscription($p: ID!) {{ {} }}",
        schema.call(
            &subscription_root,
            "commentAdded",
            "postId: $p",
            &mut skipped
        )
    );
    socket.subscribe("live", &live, json!({ "p": post })).await;
    app.await_feed_subscribers(1).await;
    let (_, body) = app
        .graphql_as(
            &editor,
            moderate,
            json!({ "i": { "id": ids[1], "status": "APPROVED" } }),
        )
        .await;
    assert_eq!(
        body["data"]["moderateComment"]["comment"]["status"],
        "APPROVED"
    );
    let event = socket.result("live").await;
    assert_eq!(event["data"]["commentAdded"]["id"], ids[1], "{event:#}");
    assert_eq!(event["data"]["commentAdded"]["authorName"], NAME);
    assert_private("a commentAdded event", &event.to_string());
    socket.close().await;

    // Arguments for the root fields that need them, from the demo content.
    let known = app
        .data(
            r#"query($s: String!) { post(slug: $s) { author { slug } tags { slug } }
                guides(first: 1) { nodes { slug } } skills(first: 1) { nodes { slug } }
                roles(first: 2) { nodes { slug } } }"#,
            json!({ "s": ARTICLE }),
        )
        .await;
    let slug = |v: &Value| format!("{:?}", v.as_str().unwrap());
    let roles = &known["roles"]["nodes"];
    let mut calls: Vec<(&str, String)> = vec![
        ("post", format!("slug: {ARTICLE:?}")),
        ("posts", "first: 100".into()),
        (
            "author",
            format!("slug: {}", slug(&known["post"]["author"]["slug"])),
        ),
        (
            "tag",
            format!("slug: {}", slug(&known["post"]["tags"][0]["slug"])),
        ),
        ("users", String::new()),
        ("viewer", String::new()),
        ("comments", String::new()),
        (
            "guide",
            format!("slug: {}", slug(&known["guides"]["nodes"][0]["slug"])),
        ),
        ("guides", String::new()),
        (
            "skill",
            format!("slug: {}", slug(&known["skills"]["nodes"][0]["slug"])),
        ),
        ("skills", String::new()),
        ("role", format!("slug: {}", slug(&roles[0]["slug"]))),
        ("roles", String::new()),
        (
            "careerPath",
            format!(
                "from: {}, to: {}",
                slug(&roles[0]["slug"]),
                slug(&roles[1]["slug"])
            ),
        ),
        ("recommendRoles", "knownSkills: []".into()),
        ("search", "query: \"engineering\"".into()),
        ("tags", "first: 100".into()),
        ("authors", "first: 100".into()),
    ];
    for receipt in &receipts {
        calls.push(("comment", format!("receipt: {receipt:?}")));
    }
    let reply_id = TestApp::global_id("Comment", reply);
    for id in ids.iter().chain([&reply_id, &post]) {
        calls.push(("node", format!("id: {}", id)));
    }
    let every_id: Vec<String> = ids
        .iter()
        .chain([&reply_id, &post])
        .map(|id| id.to_string())
        .collect();
    calls.push(("nodes", format!("ids: [{}]", every_id.join(", "))));
    let called: BTreeSet<String> = calls.iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(
        called,
        schema.root_fields(&query_root),
        "every root field is crawled; a new one needs its arguments here"
    );
    let mut answered_comments = 0;
    for (field, args) in &calls {
        let query = format!(
            "{{ {} }}",
            schema.call(&query_root, field, args, &mut skipped)
        );
        let answer = app.graphql(&query, json!({})).await;
        let text = answer.to_string();
        assert_private(&format!("Query.{field}({args})"), &text);
        answered_comments += text.matches(NAME).count();
        if let Some(errors) = answer.get("errors") {
            // Only the staff-only fields refuse an anonymous caller.
            for error in errors.as_array().unwrap() {
                assert!(
                    ["UNAUTHENTICATED", "FORBIDDEN"]
                        .contains(&error["extensions"]["code"].as_str().unwrap()),
                    "Query.{field}: {error:#}"
                );
            }
        }
    }
    assert!(
        answered_comments >= 6,
        "the crawl reads the commenter's public comments (read {answered_comments} times)"
    );
    assert_eq!(
        skipped,
        BTreeSet::new(),
        "fields the crawl could not ask for"
    );
}
