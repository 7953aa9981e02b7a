//! Accounts and sessions through the API, on both backends.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use waypost_db::Role;
use waypost_domain::account::AuthSettings;
use waypost_tests::{Backend, TestApp, backend_tests};

backend_tests!(
    sign_in_out_and_viewer,
    wrong_email_and_wrong_password_look_alike,
    failed_sign_ins_are_throttled_per_email,
    bad_tokens_are_unauthenticated_never_anonymous,
    sessions_expire,
    disabled_users_lose_their_sessions,
    responses_never_carry_secrets,
    only_admins_manage_users,
);

const PASSWORD: &str = "correct horse battery staple";
const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) { token expiresAt viewer { email role } userErrors { field message code } } }";
const VIEWER: &str = "{ viewer { id email displayName role author { slug } } }";

async fn app(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.create_user(
        "Ada@Example.com",
        PASSWORD,
        Role::Author,
        Some("amara-okafor"),
    )
    .await;
    app
}

async fn sign_in_out_and_viewer(backend: Backend) {
    let app = app(backend).await;
    assert_eq!(
        app.data(VIEWER, json!({})).await["viewer"],
        Value::Null,
        "anonymous"
    );

    // Emails match case-insensitively and around spaces.
    let signed = app
        .data(
            SIGN_IN,
            json!({"i": {"email": "  ADA@example.COM ", "password": PASSWORD}}),
        )
        .await;
    let payload = &signed["signIn"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["viewer"]["email"], "ada@example.com");
    let token = payload["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    let expires = payload["expiresAt"].as_str().unwrap();
    assert!(expires > "2026-01-01", "{expires}");

    let (status, body) = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["email"], "ada@example.com");
    assert_eq!(body["data"]["viewer"]["role"], "AUTHOR");
    assert_eq!(body["data"]["viewer"]["author"]["slug"], "amara-okafor");

    // Two sessions are independent; signing out ends only the one used.
    let other = app.sign_in("ada@example.com", PASSWORD).await;
    assert_ne!(other, token);
    let (status, body) = app
        .graphql_as(&token, "mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(
        (status, &body["data"]["signOut"]["signedOut"]),
        (200, &json!(true)),
        "{body}"
    );
    let (status, body) = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (status, _) = app.graphql_as(&other, VIEWER, json!({})).await;
    assert_eq!(status, 200);

    // Signing out needs a session.
    let body = app
        .graphql("mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

async fn wrong_email_and_wrong_password_look_alike(backend: Backend) {
    let app = app(backend).await;
    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            let data = app
                .data(
                    SIGN_IN,
                    json!({"i": {"email": email, "password": password}}),
                )
                .await;
            (data["signIn"].clone(), started.elapsed())
        }
    };
    let (wrong_password, t1) = attempt("ada@example.com", "not the password").await;
    let (unknown_email, t2) = attempt("nobody@example.com", PASSWORD).await;
    let (not_an_email, _) = attempt("nobody", PASSWORD).await;
    assert_eq!(wrong_password["token"], Value::Null);
    assert_eq!(wrong_password, unknown_email, "the same answer");
    assert_eq!(wrong_password, not_an_email);
    assert_eq!(
        wrong_password["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    // Both paths verify an Argon2 hash; neither returns early. (A loose
    // bound: this shows the unknown email is not answered instantly.)
    assert!(t2 * 4 > t1, "unknown email {t2:?} vs wrong password {t1:?}");
}

async fn failed_sign_ins_are_throttled_per_email(backend: Backend) {
    let app = app(backend).await;
    app.create_user("grace@example.com", PASSWORD, Role::Editor, None)
        .await;
    for _ in 0..5 {
        let data = app
            .data(
                SIGN_IN,
                json!({"i": {"email": "ada@example.com", "password": "wrong password"}}),
            )
            .await;
        assert_eq!(
            data["signIn"]["userErrors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    // The sixth try is refused even with the right password, as HTTP
    // clients and proxies understand too: 429 and when to come back.
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": SIGN_IN, "variables": {"i": {"email": "ADA@example.com", "password": PASSWORD}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let header: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{body:#}");
    let retry = error["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert_eq!(header, retry);
    // Another email is unaffected.
    app.sign_in("grace@example.com", PASSWORD).await;

    // Attempts sent all at once get no more guesses than attempts in turn.
    app.create_user("linus@example.com", PASSWORD, Role::Author, None)
        .await;
    let burst = futures::future::join_all((0..12).map(|_| async {
        app.post_json(&json!({"query": SIGN_IN, "variables": {"i": {"email": "linus@example.com", "password": "wrong password"}}}))
            .await
            .1
    }))
    .await;
    let checked = burst
        .iter()
        .filter(|b| b["data"]["signIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS")
        .count();
    let refused = burst
        .iter()
        .filter(|b| b["errors"][0]["extensions"]["code"] == "RATE_LIMITED")
        .count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert_eq!(checked + refused, 12);
    let (_, body) = app
        .post_json(&json!({"query": SIGN_IN, "variables": {"i": {"email": "linus@example.com", "password": PASSWORD}}}))
        .await;
    if checked == 5 {
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
            "{body:#}"
        );
    }
}

async fn bad_tokens_are_unauthenticated_never_anonymous(backend: Backend) {
    let app = app(backend).await;
    let well_formed_unknown = "A".repeat(43);
    for token in [
        "",
        "garbage",
        "Zm9v",
        &well_formed_unknown,
        &format!("{}=", "A".repeat(43)),
    ] {
        let (status, body) = app
            .graphql_as(token, "{ posts { totalCount } }", json!({}))
            .await;
        assert_eq!(status, 401, "token {token:?}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(body.get("data").is_none() || body["data"].is_null());
    }
    for header in ["Basic YWRhOnB3", "Bearer", "token abc"] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", header)
            .json(&json!({"query": "{ posts { totalCount } }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    // GET requests are checked the same way.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ viewer { id } }")])
        .bearer_auth(&well_formed_unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn sessions_expire(backend: Backend) {
    let auth = AuthSettings {
        session_ttl: chrono::Duration::seconds(1),
        ..AuthSettings::default()
    };
    let app = TestApp::empty_with_auth(backend, auth).await;
    app.create_user("ada@example.com", PASSWORD, Role::Editor, None)
        .await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let (status, _) = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (status, body) = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

async fn disabled_users_lose_their_sessions(backend: Backend) {
    use waypost_domain::account::{EmailAddress, UserChanges, update_user};
    let app = app(backend).await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let email = EmailAddress::parse("ada@example.com").unwrap();
    let now = chrono::Utc::now().naive_utc();
    update_user(
        &app.pool,
        &email,
        UserChanges {
            disabled: Some(true),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    let (status, _) = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(
        status, 401,
        "a disabled user's session stops working at once"
    );
    let data = app
        .data(
            SIGN_IN,
            json!({"i": {"email": "ada@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(
        data["signIn"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    update_user(
        &app.pool,
        &email,
        UserChanges {
            disabled: Some(false),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    app.sign_in("ada@example.com", PASSWORD).await;
}

async fn responses_never_carry_secrets(backend: Backend) {
    let app = app(backend).await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let hash = app.password_hash("ada@example.com").await;
    let mut bodies = Vec::new();
    for (query, variables) in [
        (VIEWER, json!({})),
        (
            SIGN_IN,
            json!({"i": {"email": "ada@example.com", "password": "wrong password"}}),
        ),
        (
            SIGN_IN,
            json!({"i": {"email": "nobody@example.com", "password": PASSWORD}}),
        ),
        ("{ node(id: \"VXNlcjox\") { id } }", json!({})),
        ("{ __type(name: \"User\") { fields { name } } }", json!({})),
    ] {
        bodies.push(app.graphql(query, variables.clone()).await.to_string());
        bodies.push(app.graphql_as(&token, query, variables).await.1.to_string());
    }
    for body in &bodies {
        assert!(!body.contains(&hash), "{body}");
        assert!(!body.contains("$argon2"), "{body}");
        assert!(!body.contains(PASSWORD), "{body}");
        assert!(!body.contains(&token), "{body}");
        assert!(
            !body.contains("passwordHash") && !body.contains("tokenHash"),
            "{body}"
        );
    }
}

async fn only_admins_manage_users(backend: Backend) {
    let app = app(backend).await;
    app.create_user("editor@example.com", PASSWORD, Role::Editor, None)
        .await;
    app.create_user("admin@example.com", PASSWORD, Role::Admin, None)
        .await;
    let author = app.sign_in("ada@example.com", PASSWORD).await;
    let editor = app.sign_in("editor@example.com", PASSWORD).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let list = "{ users { email role } }";
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id email role } userErrors { field code } } }";
    let new =
        json!({ "i": { "email": "New@Example.com", "password": PASSWORD, "role": "EDITOR" } });

    // manage users: anonymous, AUTHOR and EDITOR no; ADMIN yes.
    let body = app.graphql(list, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    for token in [&author, &editor] {
        let (_, body) = app.graphql_as(token, list, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body:#}"
        );
        let (_, body) = app.graphql_as(token, create, new.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body:#}"
        );
        // Not even the validation of a bad input reaches them.
        let (_, body) = app
            .graphql_as(
                token,
                create,
                json!({ "i": { "email": "x", "password": "y", "role": "ADMIN" } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body:#}"
        );
    }
    let (_, body) = app.graphql_as(&admin, list, json!({})).await;
    assert_eq!(
        body["data"]["users"].as_array().unwrap().len(),
        3,
        "{body:#}"
    );

    let (_, body) = app.graphql_as(&admin, create, new.clone()).await;
    let user = body["data"]["createUser"]["user"].clone();
    assert_eq!(
        (&user["email"], &user["role"]),
        (&json!("new@example.com"), &json!("EDITOR")),
        "{body:#}"
    );
    let (_, body) = app.graphql_as(&admin, create, new).await;
    assert_eq!(
        body["data"]["createUser"]["userErrors"][0]["code"], "CONFLICT",
        "{body:#}"
    );
    let (_, body) = app
        .graphql_as(
            &admin,
            create,
            json!({ "i": { "email": "weak@example.com", "password": "short", "role": "AUTHOR" } }),
        )
        .await;
    assert_eq!(
        body["data"]["createUser"]["userErrors"][0]["field"], "password",
        "{body:#}"
    );
    app.sign_in("new@example.com", PASSWORD).await;

    // Role changes and disabling, by id.
    let update = "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { role } userErrors { code } } }";
    let (_, body) = app
        .graphql_as(
            &editor,
            update,
            json!({ "i": { "id": user["id"], "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .graphql_as(
            &admin,
            update,
            json!({ "i": { "id": user["id"], "role": "AUTHOR", "disabled": true } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateUser"]["user"]["role"], "AUTHOR",
        "{body:#}"
    );
    let data = app
        .data(
            SIGN_IN,
            json!({"i": {"email": "new@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(
        data["signIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS",
        "disabled"
    );

    // Linking an account to an author profile.
    let priya = app
        .data(r#"{ author(slug: "priya-raman") { id } }"#, json!({}))
        .await["author"]["id"]
        .clone();
    let link = "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { author { slug } } userErrors { code } } }";
    let (_, body) = app
        .graphql_as(
            &admin,
            link,
            json!({ "i": { "id": user["id"], "authorId": priya } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateUser"]["user"]["author"]["slug"], "priya-raman",
        "{body:#}"
    );

    // The last enabled admin cannot demote or disable themselves.
    let me = app
        .graphql_as(&admin, "{ viewer { id } }", json!({}))
        .await
        .1["data"]["viewer"]["id"]
        .clone();
    for change in [json!({ "role": "EDITOR" }), json!({ "disabled": true })] {
        let mut input = change.clone();
        input["id"] = me.clone();
        let (_, body) = app.graphql_as(&admin, update, json!({ "i": input })).await;
        assert_eq!(
            body["data"]["updateUser"]["userErrors"][0]["code"], "CONFLICT",
            "{change}: {body:#}"
        );
    }
    let (_, body) = app.graphql_as(&admin, list, json!({})).await;
    assert!(
        body["data"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["role"] == "ADMIN"),
        "{body:#}"
    );
}
