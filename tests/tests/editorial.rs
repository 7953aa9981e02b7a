//! Writing posts through the API, on both backends: the life cycle, slugs,
//! optimistic concurrency, revisions, validation and the role table.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_db::Role;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    a_post_lives_its_whole_life,
    slugs_are_unique_even_when_racing,
    stale_updates_conflict_and_revisions_keep_history,
    old_slugs_keep_working,
    bad_input_is_named_by_field,
    the_role_table_for_posts,
);

const PASSWORD: &str = "correct horse battery staple";
const POST_FIELDS: &str =
    "id slug title excerpt status version publishedAt author { slug } tags { slug }";

struct Staff {
    app: TestApp,
    editor: String,
    admin: String,
    /// Writes as amara-okafor.
    amara: String,
    /// Writes as tomas-lindqvist.
    tomas: String,
    /// The global id of priya-raman's profile, whom the editor writes as.
    priya: Value,
}

async fn staff(backend: Backend) -> Staff {
    let app = TestApp::spawn(backend).await;
    app.create_user(
        "editor@example.com",
        PASSWORD,
        Role::Editor,
        Some("priya-raman"),
    )
    .await;
    app.create_user("admin@example.com", PASSWORD, Role::Admin, None)
        .await;
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
    let priya = app
        .data(r#"{ author(slug: "priya-raman") { id } }"#, json!({}))
        .await["author"]["id"]
        .clone();
    Staff {
        priya,
        editor: app.sign_in("editor@example.com", PASSWORD).await,
        admin: app.sign_in("admin@example.com", PASSWORD).await,
        amara: app.sign_in("amara@example.com", PASSWORD).await,
        tomas: app.sign_in("tomas@example.com", PASSWORD).await,
        app,
    }
}

impl Staff {
    async fn call(&self, token: Option<&str>, mutation: &str, input: Value) -> Value {
        let query = format!(
            "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ post {{ {POST_FIELDS} }} userErrors {{ field message code }} }} }}",
            capitalise(mutation)
        );
        match token {
            Some(token) => {
                self.app
                    .graphql_as(token, &query, json!({ "input": input }))
                    .await
                    .1
            }
            None => self.app.graphql(&query, json!({ "input": input })).await,
        }
    }

    /// A mutation that must succeed; returns its post.
    async fn ok(&self, token: &str, mutation: &str, input: Value) -> Value {
        let body = self.call(Some(token), mutation, input).await;
        let payload = &body["data"][mutation];
        assert!(body.get("errors").is_none(), "{mutation}: {body:#}");
        assert_eq!(payload["userErrors"], json!([]), "{mutation}: {body:#}");
        payload["post"].clone()
    }

    /// A draft by `token`'s user; editors and admins write it for Priya,
    /// an author always as their own profile.
    async fn create(&self, token: &str, title: &str) -> Value {
        let input = json!({ "title": title, "body": format!("All about {title}."), "authorId": self.priya });
        self.ok(token, "createPost", input).await
    }
}

fn capitalise(name: &str) -> String {
    let input = match name {
        "publishPost" | "unpublishPost" | "trashPost" | "restorePost" => "PostState",
        other => other,
    };
    let mut chars = input.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body:#}"))
        .to_owned()
}

async fn public_slug(app: &TestApp, slug: &str) -> Value {
    app.data(
        "query($s: String!) { post(slug: $s) { slug title } }",
        json!({ "s": slug }),
    )
    .await["post"]
        .clone()
}

async fn a_post_lives_its_whole_life(backend: Backend) {
    let s = staff(backend).await;
    let post = s.create(&s.amara, "Café Ünïcode: a Guide").await;
    assert_eq!(post["slug"], "cafe-unicode-a-guide");
    assert_eq!(post["status"], "DRAFT");
    assert_eq!(post["version"], 1);
    assert_eq!(
        post["author"]["slug"], "amara-okafor",
        "an author writes as their own profile"
    );
    assert_eq!(post["excerpt"], "All about Café Ünïcode: a Guide.");
    let id = post["id"].clone();
    assert_eq!(
        public_slug(&s.app, "cafe-unicode-a-guide").await,
        Value::Null,
        "drafts stay hidden"
    );

    let published = s.ok(&s.amara, "publishPost", json!({ "id": id })).await;
    assert_eq!(published["status"], "PUBLISHED");
    assert!(published["publishedAt"].is_string());
    assert_eq!(
        public_slug(&s.app, "cafe-unicode-a-guide").await["slug"],
        "cafe-unicode-a-guide"
    );
    let newest = s
        .app
        .data("{ posts(first: 1) { nodes { slug } } }", json!({}))
        .await;
    assert_eq!(newest["posts"]["nodes"][0]["slug"], "cafe-unicode-a-guide");

    let unpublished = s.ok(&s.amara, "unpublishPost", json!({ "id": id })).await;
    assert_eq!(unpublished["status"], "DRAFT");
    assert_eq!(unpublished["publishedAt"], Value::Null);
    assert_eq!(
        public_slug(&s.app, "cafe-unicode-a-guide").await,
        Value::Null
    );

    let trashed = s.ok(&s.amara, "trashPost", json!({ "id": id })).await;
    assert_eq!(trashed["status"], "TRASHED");
    let refused = s
        .call(Some(&s.amara), "publishPost", json!({ "id": id }))
        .await;
    assert_eq!(
        refused["data"]["publishPost"]["userErrors"][0]["field"], "id",
        "{refused:#}"
    );
    let restored = s.ok(&s.amara, "restorePost", json!({ "id": id })).await;
    assert_eq!(restored["status"], "DRAFT");

    // Scheduling wants the future; the post is then SCHEDULED, not live.
    let past = s
        .call(
            Some(&s.amara),
            "schedulePost",
            json!({ "id": id, "publishAt": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        past["data"]["schedulePost"]["userErrors"][0]["field"],
        "publishAt"
    );
    let scheduled = s
        .ok(
            &s.amara,
            "schedulePost",
            json!({ "id": id, "publishAt": "2099-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(scheduled["status"], "SCHEDULED");
    assert_eq!(
        public_slug(&s.app, "cafe-unicode-a-guide").await,
        Value::Null
    );

    // Deleting is for editors.
    let delete = "mutation($i: DeletePostInput!) { deletePost(input: $i) { deletedId userErrors { code } } }";
    let (_, body) = s
        .app
        .graphql_as(&s.amara, delete, json!({ "i": { "id": id } }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let (_, body) = s
        .app
        .graphql_as(&s.editor, delete, json!({ "i": { "id": id } }))
        .await;
    assert_eq!(body["data"]["deletePost"]["deletedId"], id, "{body:#}");
    let (_, body) = s
        .app
        .graphql_as(
            &s.editor,
            "query($id: ID!) { post(id: $id, preview: true) { slug } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["post"], Value::Null, "gone for good");
}

async fn slugs_are_unique_even_when_racing(backend: Backend) {
    let s = staff(backend).await;
    let mut slugs = Vec::new();
    for _ in 0..3 {
        slugs.push(
            s.create(&s.editor, "Same Title").await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(slugs, ["same-title", "same-title-2", "same-title-3"]);

    // Five writers at once with one title: five different slugs.
    let racing =
        futures::future::join_all((0..5).map(|_| s.create(&s.editor, "Racing Title"))).await;
    let mut raced: Vec<String> = racing
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect();
    raced.sort();
    raced.dedup();
    assert_eq!(raced.len(), 5, "{raced:?}");
    assert!(
        raced
            .iter()
            .all(|s| s == "racing-title" || s.starts_with("racing-title-")),
        "{raced:?}"
    );

    // An explicit slug is checked and must be free.
    let taken = s
        .call(
            Some(&s.editor),
            "createPost",
            json!({ "title": "Other", "slug": "same-title" }),
        )
        .await;
    let error = &taken["data"]["createPost"]["userErrors"][0];
    assert_eq!(
        (&error["field"], &error["code"]),
        (&json!("slug"), &json!("CONFLICT")),
        "{taken:#}"
    );
    let malformed = s
        .call(
            Some(&s.editor),
            "createPost",
            json!({ "title": "Other", "slug": "Not A Slug" }),
        )
        .await;
    assert_eq!(
        malformed["data"]["createPost"]["userErrors"][0]["field"],
        "slug"
    );
    let chosen = s
        .ok(
            &s.editor,
            "createPost",
            json!({ "title": "Other", "slug": "my-own-slug" }),
        )
        .await;
    assert_eq!(chosen["slug"], "my-own-slug");
}

async fn stale_updates_conflict_and_revisions_keep_history(backend: Backend) {
    let s = staff(backend).await;
    let post = s.create(&s.amara, "First Title").await;
    let id = post["id"].clone();
    let edited = s
        .ok(
            &s.amara,
            "updatePost",
            json!({ "id": id, "expectedVersion": 1, "title": "Second Title", "body": "New body." }),
        )
        .await;
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["title"], "Second Title");
    assert_eq!(
        edited["excerpt"], "New body.",
        "a derived excerpt follows the body"
    );

    // Someone who loaded version 1 cannot overwrite version 2.
    let stale = s
        .call(
            Some(&s.editor),
            "updatePost",
            json!({ "id": id, "expectedVersion": 1, "title": "Clobbered" }),
        )
        .await;
    let error = &stale["data"]["updatePost"]["userErrors"][0];
    assert_eq!(
        (&error["field"], &error["code"]),
        (&json!("expectedVersion"), &json!("CONFLICT")),
        "{stale:#}"
    );
    assert_eq!(stale["data"]["updatePost"]["post"], Value::Null);

    let query = "query($id: ID!) { post(id: $id, preview: true) { title version revisions { id version title body editedByName } } }";
    let (_, body) = s
        .app
        .graphql_as(&s.editor, query, json!({ "id": id }))
        .await;
    let current = &body["data"]["post"];
    assert_eq!(current["title"], "Second Title", "nothing was overwritten");
    assert_eq!(current["version"], 2);
    let revisions = current["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0]["title"], "First Title");
    assert_eq!(revisions[0]["body"], "All about First Title.");
    assert_eq!(revisions[0]["version"], 1);
    assert_eq!(revisions[0]["editedByName"], "amara");

    // Revisions are for editors and the post's author.
    let (_, body) = s.app.graphql_as(&s.tomas, query, json!({ "id": id })).await;
    assert_eq!(code(&body), "FORBIDDEN");

    // Restoring brings the old content back as a new revision.
    let revision_id = revisions[0]["id"].clone();
    let restore = "mutation($i: RestoreRevisionInput!) { restoreRevision(input: $i) { post { title version } userErrors { code } } }";
    let (_, body) = s
        .app
        .graphql_as(
            &s.editor,
            restore,
            json!({ "i": { "revisionId": revision_id, "expectedVersion": 2 } }),
        )
        .await;
    assert_eq!(
        body["data"]["restoreRevision"]["post"]["title"], "First Title",
        "{body:#}"
    );
    assert_eq!(body["data"]["restoreRevision"]["post"]["version"], 3);
    let (_, body) = s
        .app
        .graphql_as(&s.editor, query, json!({ "id": id }))
        .await;
    let titles: Vec<&str> = body["data"]["post"]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Second Title", "First Title"], "newest first");
}

async fn old_slugs_keep_working(backend: Backend) {
    let s = staff(backend).await;
    let post = s.create(&s.editor, "Original Name").await;
    let id = post["id"].clone();
    // A draft's slug can change freely: nobody linked to it.
    let renamed = s
        .ok(
            &s.editor,
            "updatePost",
            json!({ "id": id, "expectedVersion": 1, "slug": "draft-name" }),
        )
        .await;
    assert_eq!(renamed["slug"], "draft-name");
    s.ok(&s.editor, "publishPost", json!({ "id": id })).await;
    let moved = s
        .ok(
            &s.editor,
            "updatePost",
            json!({ "id": id, "expectedVersion": 3, "slug": "final-name" }),
        )
        .await;
    assert_eq!(moved["slug"], "final-name");
    assert_eq!(
        public_slug(&s.app, "draft-name").await["slug"],
        "final-name",
        "the old link leads to the post"
    );
    assert_eq!(
        public_slug(&s.app, "final-name").await["slug"],
        "final-name"
    );
    assert_eq!(
        public_slug(&s.app, "original-name").await,
        Value::Null,
        "never public under that name"
    );
    // A new post cannot take a slug that old links still use.
    let newcomer = s.create(&s.editor, "Draft Name").await;
    assert_eq!(newcomer["slug"], "draft-name-2");
    // Nor can anyone set it by hand, on a new post or an old one.
    let taken = s
        .call(
            Some(&s.editor),
            "createPost",
            json!({ "title": "Thief", "slug": "draft-name", "authorId": s.priya }),
        )
        .await;
    assert_eq!(
        taken["data"]["createPost"]["userErrors"][0]["code"], "CONFLICT",
        "{taken:#}"
    );
    let moved = s
        .call(
            Some(&s.editor),
            "updatePost",
            json!({ "id": newcomer["id"], "expectedVersion": 1, "slug": "draft-name" }),
        )
        .await;
    assert_eq!(
        moved["data"]["updatePost"]["userErrors"][0]["code"], "CONFLICT",
        "{moved:#}"
    );
    assert_eq!(
        public_slug(&s.app, "draft-name").await["slug"],
        "final-name",
        "the old link still leads home"
    );
    // The post itself may take its own old slug back.
    let back = s
        .ok(
            &s.editor,
            "updatePost",
            json!({ "id": id, "expectedVersion": 4, "slug": "draft-name" }),
        )
        .await;
    assert_eq!(back["slug"], "draft-name");
    assert_eq!(
        public_slug(&s.app, "final-name").await["slug"],
        "draft-name"
    );
    // Authors do not choose slugs: theirs come from the title.
    let by_author = s
        .call(
            Some(&s.amara),
            "createPost",
            json!({ "title": "Mine", "slug": "my-slug" }),
        )
        .await;
    let error = &by_author["data"]["createPost"]["userErrors"][0];
    assert_eq!(
        (&error["field"], &error["code"]),
        (&json!("slug"), &json!("FORBIDDEN")),
        "{by_author:#}"
    );
}

async fn bad_input_is_named_by_field(backend: Backend) {
    let s = staff(backend).await;
    let cases = [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "x".repeat(301) }), "title"),
        (
            json!({ "title": "ok", "body": "x".repeat(200_001) }),
            "body",
        ),
        (
            json!({ "title": "ok", "tagIds": ["VGFnOjk5OTk5"] }),
            "tagIds",
        ),
        (json!({ "title": "ok", "tagIds": ["UG9zdDox"] }), "tagIds"),
    ];
    for (input, field) in cases {
        let body = s.call(Some(&s.editor), "createPost", input.clone()).await;
        let payload = &body["data"]["createPost"];
        assert_eq!(payload["post"], Value::Null, "{input}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{body:#}");
    }
    // A tag named twice is the tag once.
    let tag = s
        .app
        .data(r#"{ tag(slug: "backend") { id } }"#, json!({}))
        .await["tag"]["id"]
        .clone();
    let twice = s
        .ok(
            &s.editor,
            "createPost",
            json!({ "title": "Tagged", "tagIds": [tag, tag] }),
        )
        .await;
    assert_eq!(twice["tags"], json!([{ "slug": "backend" }]));
    // Titles of exactly 300 characters and bodies of 200,000 are fine.
    s.ok(
        &s.editor,
        "createPost",
        json!({ "title": "y".repeat(300), "body": "z".repeat(200_000) }),
    )
    .await;
    // An admin with no profile must say whom the post is by.
    let body = s
        .call(Some(&s.admin), "createPost", json!({ "title": "ok" }))
        .await;
    assert_eq!(
        body["data"]["createPost"]["userErrors"][0]["field"], "authorId",
        "{body:#}"
    );
    let body = s
        .call(
            Some(&s.admin),
            "createPost",
            json!({ "title": "ok", "authorId": "QXV0aG9yOjk5OTk=" }),
        )
        .await;
    assert_eq!(
        body["data"]["createPost"]["userErrors"][0]["field"], "authorId",
        "no such author: {body:#}"
    );
}

async fn the_role_table_for_posts(backend: Backend) {
    let s = staff(backend).await;
    let amaras = s.create(&s.amara, "Amara Writes").await["id"].clone();
    // create post: anonymous no; every role yes.
    assert_eq!(
        code(&s.call(None, "createPost", json!({ "title": "x" })).await),
        "UNAUTHENTICATED"
    );
    for token in [&s.amara, &s.editor, &s.admin] {
        s.create(token, "Allowed").await;
    }
    // edit, publish, schedule, unpublish, trash, restore: own for authors, all for editors.
    let edit =
        |version: i64| json!({ "id": amaras, "expectedVersion": version, "title": "Edited" });
    assert_eq!(
        code(&s.call(None, "updatePost", edit(1)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&s.call(Some(&s.tomas), "updatePost", edit(1)).await),
        "FORBIDDEN"
    );
    for (mutation, input) in [
        ("publishPost", json!({ "id": amaras })),
        ("unpublishPost", json!({ "id": amaras })),
        ("trashPost", json!({ "id": amaras })),
        ("restorePost", json!({ "id": amaras })),
        (
            "schedulePost",
            json!({ "id": amaras, "publishAt": "2099-01-01T00:00:00Z" }),
        ),
    ] {
        assert_eq!(
            code(&s.call(Some(&s.tomas), mutation, input.clone()).await),
            "FORBIDDEN",
            "{mutation}"
        );
        assert_eq!(
            code(&s.call(None, mutation, input).await),
            "UNAUTHENTICATED",
            "{mutation}"
        );
    }
    let mut version = 1;
    for token in [&s.amara, &s.editor, &s.admin] {
        s.ok(token, "updatePost", edit(version)).await;
        s.ok(token, "publishPost", json!({ "id": amaras })).await;
        s.ok(
            token,
            "schedulePost",
            json!({ "id": amaras, "publishAt": "2099-01-01T00:00:00Z" }),
        )
        .await;
        s.ok(token, "unpublishPost", json!({ "id": amaras })).await;
        s.ok(token, "trashPost", json!({ "id": amaras })).await;
        let post = s.ok(token, "restorePost", json!({ "id": amaras })).await;
        assert_eq!(post["status"], "DRAFT");
        version = post["version"].as_i64().unwrap();
    }
    // An author cannot write as someone else.
    let other = s
        .ok(
            &s.amara,
            "createPost",
            json!({ "title": "Mine", "authorId": s.priya }),
        )
        .await;
    assert_eq!(other["author"]["slug"], "amara-okafor");
    // delete post permanently: editors (tested in the life cycle) and admins.
    let delete = "mutation($i: DeletePostInput!) { deletePost(input: $i) { deletedId } }";
    let doomed = s.create(&s.editor, "Doomed").await["id"].clone();
    let body = s
        .app
        .graphql(delete, json!({ "i": { "id": doomed } }))
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let (_, body) = s
        .app
        .graphql_as(&s.tomas, delete, json!({ "i": { "id": doomed } }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let (_, body) = s
        .app
        .graphql_as(&s.admin, delete, json!({ "i": { "id": doomed } }))
        .await;
    assert_eq!(body["data"]["deletePost"]["deletedId"], doomed, "{body:#}");

    // Unknown posts are NOT_FOUND for those who may edit.
    assert_eq!(
        code(
            &s.call(
                Some(&s.editor),
                "publishPost",
                json!({ "id": "UG9zdDo5OTk5OQ==" })
            )
            .await
        ),
        "NOT_FOUND"
    );
}
