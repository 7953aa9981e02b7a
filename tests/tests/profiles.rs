//! Tags and author profiles through the API, with their rows of the role
//! table, on both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use waypost_db::Role;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    tags_are_managed_by_editors,
    author_profiles_follow_the_role_table
);

const PASSWORD: &str = "correct horse battery staple";

async fn signed_in(app: &TestApp, email: &str, role: Role, author: Option<&str>) -> String {
    app.create_user(email, PASSWORD, role, author).await;
    app.sign_in(email, PASSWORD).await
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body:#}"))
}

async fn tags_are_managed_by_editors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin, None).await;
    let author = signed_in(
        &app,
        "amara@example.com",
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    let create = "mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id slug name description } userErrors { field code } } }";
    let input = json!({ "i": { "name": "Rust Lang", "description": "Fearless." } });

    assert_eq!(
        code(&app.graphql(create, input.clone()).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&app.graphql_as(&author, create, input.clone()).await.1),
        "FORBIDDEN"
    );
    let (_, body) = app.graphql_as(&editor, create, input.clone()).await;
    let tag = body["data"]["createTag"]["tag"].clone();
    assert_eq!(
        (&tag["slug"], &tag["name"]),
        (&json!("rust-lang"), &json!("Rust Lang")),
        "{body:#}"
    );
    let (_, again) = app.graphql_as(&editor, create, input).await;
    assert_eq!(
        again["data"]["createTag"]["userErrors"][0]["code"], "CONFLICT",
        "{again:#}"
    );
    let (_, by_admin) = app
        .graphql_as(&admin, create, json!({ "i": { "name": "Go" } }))
        .await;
    assert_eq!(
        by_admin["data"]["createTag"]["tag"]["slug"], "go",
        "{by_admin:#}"
    );
    let (_, blank) = app
        .graphql_as(&editor, create, json!({ "i": { "name": "  " } }))
        .await;
    assert_eq!(blank["data"]["createTag"]["userErrors"][0]["field"], "name");

    let update = "mutation($i: UpdateTagInput!) { updateTag(input: $i) { tag { slug name } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": tag["id"], "name": "Rust" } }),
        )
        .await;
    assert_eq!(body["data"]["updateTag"]["tag"]["name"], "Rust", "{body:#}");
    assert_eq!(
        body["data"]["updateTag"]["tag"]["slug"], "rust-lang",
        "the slug stays unless asked"
    );
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": tag["id"], "slug": "backend" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateTag"]["userErrors"][0]["code"], "CONFLICT",
        "{body:#}"
    );
    assert_eq!(
        code(
            &app.graphql_as(
                &author,
                update,
                json!({ "i": { "id": tag["id"], "name": "x" } })
            )
            .await
            .1
        ),
        "FORBIDDEN"
    );

    // Deleting a tag in use leaves its posts in place.
    let backend_tag = app
        .data(
            r#"{ tag(slug: "backend") { id posts { totalCount } } }"#,
            json!({}),
        )
        .await["tag"]
        .clone();
    let before =
        app.data("{ posts { totalCount } }", json!({})).await["posts"]["totalCount"].clone();
    let delete = "mutation($i: DeleteInput!) { deleteTag(input: $i) { deletedId } }";
    assert_eq!(
        code(
            &app.graphql_as(&author, delete, json!({ "i": { "id": backend_tag["id"] } }))
                .await
                .1
        ),
        "FORBIDDEN"
    );
    let (_, body) = app
        .graphql_as(&editor, delete, json!({ "i": { "id": backend_tag["id"] } }))
        .await;
    assert_eq!(
        body["data"]["deleteTag"]["deletedId"], backend_tag["id"],
        "{body:#}"
    );
    assert_eq!(
        app.data(r#"{ tag(slug: "backend") { id } }"#, json!({}))
            .await["tag"],
        Value::Null
    );
    assert_eq!(
        app.data("{ posts { totalCount } }", json!({})).await["posts"]["totalCount"],
        before
    );
}

async fn author_profiles_follow_the_role_table(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin, None).await;
    let amara = signed_in(
        &app,
        "amara@example.com",
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    let ids = app.data(r#"{ a: author(slug: "amara-okafor") { id } t: author(slug: "tomas-lindqvist") { id } }"#, json!({})).await;
    let (own, other) = (ids["a"]["id"].clone(), ids["t"]["id"].clone());
    let update = "mutation($i: UpdateAuthorInput!) { updateAuthor(input: $i) { author { name bio avatarUrl } userErrors { field code } } }";

    // manage author profiles: an author their own; editors and admins all.
    let (_, body) = app
        .graphql_as(
            &amara,
            update,
            json!({ "i": { "id": own, "bio": "Writes about careers." } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateAuthor"]["author"]["bio"], "Writes about careers.",
        "{body:#}"
    );
    assert_eq!(
        code(
            &app.graphql_as(&amara, update, json!({ "i": { "id": other, "bio": "x" } }))
                .await
                .1
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app.graphql(update, json!({ "i": { "id": own, "bio": "x" } }))
                .await
        ),
        "UNAUTHENTICATED"
    );
    for token in [&editor, &admin] {
        let (_, body) = app
            .graphql_as(
                token,
                update,
                json!({ "i": { "id": other, "name": "Tomas L." } }),
            )
            .await;
        assert_eq!(
            body["data"]["updateAuthor"]["author"]["name"], "Tomas L.",
            "{body:#}"
        );
    }
    let (_, body) = app
        .graphql_as(
            &amara,
            update,
            json!({ "i": { "id": own, "avatarUrl": "javascript:alert(1)" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateAuthor"]["userErrors"][0]["field"],
        "avatarUrl"
    );
    let (_, body) = app
        .graphql_as(
            &amara,
            update,
            json!({ "i": { "id": own, "avatarUrl": "" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateAuthor"]["author"]["avatarUrl"],
        Value::Null,
        "an empty address removes it"
    );

    // Creating and deleting profiles is for editors and admins.
    let create = "mutation($i: CreateAuthorInput!) { createAuthor(input: $i) { author { id slug } userErrors { field code } } }";
    let input = json!({ "i": { "name": "Zoë Adams", "avatarUrl": "https://example.com/z.png" } });
    assert_eq!(
        code(&app.graphql_as(&amara, create, input.clone()).await.1),
        "FORBIDDEN"
    );
    let (_, body) = app.graphql_as(&editor, create, input).await;
    let created = body["data"]["createAuthor"]["author"].clone();
    assert_eq!(created["slug"], "zoe-adams", "{body:#}");

    let delete = "mutation($i: DeleteInput!) { deleteAuthor(input: $i) { deletedId userErrors { field code } } }";
    assert_eq!(
        code(
            &app.graphql_as(&amara, delete, json!({ "i": { "id": created["id"] } }))
                .await
                .1
        ),
        "FORBIDDEN"
    );
    let (_, body) = app
        .graphql_as(&admin, delete, json!({ "i": { "id": own } }))
        .await;
    assert_eq!(
        body["data"]["deleteAuthor"]["userErrors"][0]["code"], "CONFLICT",
        "an author with posts stays: {body:#}"
    );
    let (_, body) = app
        .graphql_as(&admin, delete, json!({ "i": { "id": created["id"] } }))
        .await;
    assert_eq!(
        body["data"]["deleteAuthor"]["deletedId"], created["id"],
        "{body:#}"
    );
}
