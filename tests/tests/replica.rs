//! Reads from a replica (`DATABASE_REPLICA_URL`): anonymous queries read
//! from it; signed-in requests, mutations and a writer's next reads use
//! the primary; a replica that is down or goes away fails no read; and no
//! write path reaches the replica, whatever scope it runs in.
//!
//! The replica is a second database on the test server holding the demo
//! content with one post retitled, read-only as a hot standby is: which
//! title an answer carries tells which database served it, and a write
//! sent to the replica would fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use waypost_db::{DbConfig, DbPool, lag_tolerant};
use waypost_gateway::{AppState, TrustedProxies};
use waypost_tests::{Backend, TestApp, TestReplica, backend_enabled, metric, uncached};

const ARTICLE: &str = "exploring-back-end-engineering-as-a-career";
/// The article's title on the primary (the demo content's).
const ON_PRIMARY: &str = "Exploring Back-End Engineering as a Career";
/// The article's title on the replica.
const ON_REPLICA: &str = "Read from the replica";
const TITLE: &str =
    r#"query Title { post(slug: "exploring-back-end-engineering-as-a-career") { id title } }"#;
const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { receipt userErrors { field code } } }";
const BY_RECEIPT: &str = "query($r: String!) { comment(receipt: $r) { id } }";

/// The replica, unless PostgreSQL was turned off on purpose.
async fn replica() -> Option<TestReplica> {
    if !backend_enabled(Backend::Postgres) {
        return None;
    }
    Some(
        TestReplica::new(&format!(
            "UPDATE posts SET title = '{ON_REPLICA}' WHERE slug = '{ARTICLE}'"
        ))
        .await,
    )
}

/// Behind a proxy on this machine, so that each test client has an address
/// of its own (`X-Forwarded-For`); a writer's reads stay on the primary for
/// `window`.
fn behind_proxy(window: Duration) -> impl FnOnce(AppState) -> AppState {
    move |state| {
        state
            .with_trusted_proxies(TrustedProxies(vec!["127.0.0.0/8".parse().unwrap()]))
            .with_replica_writer_window(window)
    }
}

/// POSTs an operation as the client at `client`, signed in with `token`
/// when given; returns the JSON answer, which must carry no error.
async fn post_as(
    app: &TestApp,
    client: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("x-forwarded-for", client)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// The article's title as the anonymous client at `client` reads it.
async fn title_for(app: &TestApp, client: &str) -> String {
    let data = post_as(app, client, None, TITLE, json!({})).await;
    data["post"]["title"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_queries_read_the_replica_and_signed_in_ones_the_primary() {
    let Some(replica) = replica().await else {
        return;
    };
    let app = TestApp::with_replica(&replica.db.url, behind_proxy(Duration::from_secs(60))).await;
    assert!(app.pool.has_replica());

    assert_eq!(title_for(&app, "203.0.113.1").await, ON_REPLICA);
    // Over GET too, where the answer may be cached.
    let got: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", TITLE)])
        .header("x-forwarded-for", "203.0.113.1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["data"]["post"]["title"], ON_REPLICA, "{got}");
    // Each operation of a batch is routed on its own.
    let (status, batch) = app
        .post_json(&json!([{ "query": TITLE }, { "query": "{ __typename }" }]))
        .await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch[0]["data"]["post"]["title"], ON_REPLICA, "{batch}");

    let served = app.pool.replica_status().unwrap();
    assert!(served.checkouts >= 3, "{served:?}");
    assert!(served.statements >= 3, "{served:?}");
    assert_eq!(served.fallbacks, 0, "{served:?}");
    assert!(!served.resting);

    // A signed-in reader reads from the primary, from any address.
    let token = app.editor_token().await;
    let signed_in = post_as(&app, "203.0.113.2", Some(&token), TITLE, json!({})).await;
    assert_eq!(signed_in["post"]["title"], ON_PRIMARY);

    let metrics = app.metrics_text().await;
    let served = app.pool.replica_status().unwrap();
    assert_eq!(
        metric(&metrics, "waypost_db_replica_statements_total"),
        served.statements as f64
    );
    assert!(metric(&metrics, "waypost_db_replica_checkouts_total") >= 3.0);
    assert_eq!(metric(&metrics, "waypost_db_replica_fallbacks_total"), 0.0);
    assert_eq!(metric(&metrics, "waypost_db_replica_resting"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_reads_from_the_primary_until_its_window_passes() {
    let Some(replica) = replica().await else {
        return;
    };
    let window = Duration::from_secs(2);
    let app = TestApp::with_replica(&replica.db.url, behind_proxy(window)).await;
    let (writer, other) = ("203.0.113.10", "203.0.113.11");
    let post = post_as(&app, writer, None, TITLE, json!({})).await["post"]["id"].clone();
    assert_eq!(title_for(&app, writer).await, ON_REPLICA);

    // The mutation runs on the primary: on the read-only replica it would
    // fail.
    let added = post_as(
        &app,
        writer,
        None,
        ADD,
        json!({ "i": { "postId": post, "authorName": "Rhea", "authorEmail": "rhea@example.com", "body": "Fresh off the primary." } }),
    )
    .await;
    assert_eq!(added["addComment"]["userErrors"], json!([]), "{added}");
    let receipt = added["addComment"]["receipt"].as_str().unwrap().to_owned();

    // The writer sees its comment and the primary's content; another client
    // still reads the replica, which has neither.
    let mine = post_as(&app, writer, None, BY_RECEIPT, json!({ "r": receipt })).await;
    assert!(mine["comment"]["id"].is_string(), "{mine}");
    assert_eq!(title_for(&app, writer).await, ON_PRIMARY);
    let theirs = post_as(&app, other, None, BY_RECEIPT, json!({ "r": receipt })).await;
    assert_eq!(theirs["comment"], Value::Null, "the replica lags behind");
    assert_eq!(title_for(&app, other).await, ON_REPLICA);

    tokio::time::sleep(window + Duration::from_millis(100)).await;
    assert_eq!(
        title_for(&app, writer).await,
        ON_REPLICA,
        "past its window the writer reads from the replica again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_is_down_leaves_reads_on_the_primary() {
    if !backend_enabled(Backend::Postgres) {
        return;
    }
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let nowhere = format!("postgres://postgres@127.0.0.1:{port}/waypost?sslmode=disable");
    // Routing is what is measured: each read must run.
    let routed = behind_proxy(Duration::from_secs(60));
    let app = TestApp::with_replica(&nowhere, |state| uncached(routed(state))).await;
    for _ in 0..3 {
        assert_eq!(title_for(&app, "203.0.113.20").await, ON_PRIMARY);
    }
    let status = app.pool.replica_status().unwrap();
    assert!(status.fallbacks >= 3, "{status:?}");
    assert_eq!(status.checkouts, 0, "{status:?}");
    assert!(status.resting, "{status:?}");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the replica does not decide readiness");
    let metrics = app.metrics_text().await;
    assert_eq!(metric(&metrics, "waypost_db_replica_resting"), 1.0);
    assert!(metric(&metrics, "waypost_db_replica_fallbacks_total") >= 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_goes_away_fails_no_read() {
    let Some(replica) = replica().await else {
        return;
    };
    let routed = behind_proxy(Duration::from_secs(60));
    let app = TestApp::with_replica(&replica.db.url, |state| uncached(routed(state))).await;
    assert_eq!(title_for(&app, "203.0.113.30").await, ON_REPLICA);
    replica.go_down().await;
    // The pooled connection was ended under the pool: the read either finds
    // it closed and no new one, or fails on it and runs again on the
    // primary. Either way the reader gets an answer.
    for _ in 0..3 {
        assert_eq!(title_for(&app, "203.0.113.30").await, ON_PRIMARY);
    }
    let status = app.pool.replica_status().unwrap();
    assert!(status.fallbacks >= 1, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_the_replica_fails_midway_runs_again_on_the_primary() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let Some(replica) = replica().await else {
        return;
    };
    let app = TestApp::with_replica(&replica.db.url, behind_proxy(Duration::from_secs(60))).await;
    assert_eq!(title_for(&app, "203.0.113.50").await, ON_REPLICA);
    // The next read on the replica waits behind a lock, and its session is
    // ended while it waits, as a restart of the replica would end it.
    let mut holder = AsyncPgConnection::establish(&replica.db.url).await.unwrap();
    holder
        .batch_execute("BEGIN READ WRITE; LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let reading = {
        let (client, url) = (app.client.clone(), app.url("/graphql"));
        tokio::spawn(async move {
            let answer: Value = client
                .post(url)
                .header("x-forwarded-for", "203.0.113.50")
                .json(&json!({ "query": TITLE }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        })
    };
    let name = replica.db.pg_name().unwrap();
    let mut ended = false;
    for _ in 0..200 {
        let sql = format!(
            "DO $$ BEGIN IF NOT coalesce((SELECT bool_or(pg_terminate_backend(pid)) \
             FROM pg_stat_activity WHERE datname = '{name}' AND wait_event_type = 'Lock'), false) \
             THEN RAISE EXCEPTION 'none waiting'; END IF; END $$"
        );
        if waypost_tests::admin_execute(&waypost_tests::test_server_url(), &sql)
            .await
            .is_ok()
        {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ended, "the read never waited on the replica");
    let answer = reading.await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer:#}");
    assert_eq!(answer["data"]["post"]["title"], ON_PRIMARY);
    assert_eq!(app.pool.replica_status().unwrap().fallbacks, 1);
    holder.batch_execute("COMMIT").await.unwrap();
}

/// Every write path takes the primary even inside a lag-tolerant scope,
/// which the gateway never puts a mutation in: each mutation below would
/// fail on the read-only replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_reach_the_primary_even_inside_a_lag_tolerant_scope() {
    let Some(replica) = replica().await else {
        return;
    };
    let app = TestApp::with_replica(&replica.db.url, |state| state).await;
    const PASSWORD: &str = "correct horse battery staple";
    app.create_user(
        "editor@example.com",
        PASSWORD,
        waypost_db::Role::Editor,
        None,
    )
    .await;
    let state = AppState::new(app.pool.clone());
    let run =
        async |viewer: Option<waypost_domain::policy::Viewer>, query: &str, variables: Value| {
            let request = async_graphql::Request::new(query)
                .variables(async_graphql::Variables::from_json(variables));
            let (response, _) = lag_tolerant(waypost_gateway::execute(
                &state.schema,
                &state.services,
                viewer,
                Some("203.0.113.40".to_owned()),
                request,
            ))
            .await;
            assert!(response.errors.is_empty(), "{:?}", response.errors);
            let data = response.data.into_json().unwrap();
            let payload = data.as_object().unwrap().values().next().unwrap().clone();
            if let Some(errors) = payload.get("userErrors") {
                assert_eq!(errors, &json!([]), "{query}: {payload}");
            }
            payload
        };
    // The scope is in force: a read inside it comes from the replica.
    let read = run(None, TITLE, json!({})).await;
    assert_eq!(read["title"], ON_REPLICA);

    let signed = run(
        None,
        "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code } } }",
        json!({ "i": { "email": "editor@example.com", "password": PASSWORD } }),
    )
    .await;
    let token = signed["token"].as_str().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let editor = waypost_domain::account::authenticate(&app.pool, token, now)
        .await
        .unwrap();
    let as_editor = || Some(editor.clone());

    let tag = run(
        as_editor(),
        "mutation { createTag(input: { name: \"Replication\" }) { tag { id } userErrors { code } } }",
        json!({}),
    )
    .await["tag"]["id"]
        .clone();
    let author = run(
        as_editor(),
        "mutation { createAuthor(input: { name: \"Rhea Plica\" }) { author { id } userErrors { code } } }",
        json!({}),
    )
    .await["author"]["id"]
        .clone();
    run(
        as_editor(),
        "mutation { createSkill(input: { name: \"Log shipping\", category: DATABASE }) { skill { id } userErrors { code } } }",
        json!({}),
    )
    .await;
    let created = run(
        as_editor(),
        "mutation($t: ID!, $a: ID!) { createPost(input: { title: \"Standby reads\", body: \"On lag and replicas.\", tagIds: [$t], authorId: $a }) { post { id version } userErrors { code } } }",
        json!({ "t": tag, "a": author }),
    )
    .await;
    let post = created["post"]["id"].clone();
    let version = created["post"]["version"].clone();
    run(
        as_editor(),
        "mutation($p: ID!, $v: Int!) { updatePost(input: { id: $p, expectedVersion: $v, title: \"Standby reads, revised\" }) { post { id } userErrors { code } } }",
        json!({ "p": post, "v": version }),
    )
    .await;
    run(
        as_editor(),
        "mutation($p: ID!) { publishPost(input: { id: $p }) { post { id } userErrors { code } } }",
        json!({ "p": post }),
    )
    .await;
    let article = run(None, TITLE, json!({})).await["id"].clone();
    let added = run(
        None,
        "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } userErrors { code } } }",
        json!({ "i": { "postId": article, "authorName": "Rhea", "authorEmail": "rhea@example.com", "body": "Written in scope." } }),
    )
    .await;
    let comment = added["comment"]["id"].clone();
    run(
        as_editor(),
        "mutation($c: ID!) { moderateComment(input: { id: $c, status: APPROVED }) { comment { id } userErrors { code } } }",
        json!({ "c": comment }),
    )
    .await;
    run(
        as_editor(),
        "mutation($p: ID!) { deletePost(input: { id: $p }) { userErrors { code } } }",
        json!({ "p": post }),
    )
    .await;

    // All of it is on the primary, which a signed-in reader reads.
    let (status, answer) = app
        .graphql_as(
            token,
            "{ tag(slug: \"replication\") { name } author(slug: \"rhea-plica\") { name } skill(slug: \"log-shipping\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let on_primary = &answer["data"];
    assert_eq!(on_primary["tag"]["name"], "Replication", "{on_primary}");
    assert_eq!(on_primary["author"]["name"], "Rhea Plica", "{on_primary}");
    assert_eq!(on_primary["skill"]["name"], "Log shipping", "{on_primary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_needs_a_postgresql_primary_and_is_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("waypost.db").display());
    let err = DbPool::connect(&DbConfig {
        replica_url: Some("postgres://u:hunter2@standby/app".into()),
        ..DbConfig::new(sqlite.clone())
    })
    .await
    .err()
    .expect("a SQLite primary with a replica is refused")
    .to_string();
    assert!(
        err.contains("DATABASE_REPLICA_URL") && err.contains("SQLite"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    if backend_enabled(Backend::Postgres) {
        let primary = waypost_tests::TestDb::new(Backend::Postgres).await;
        let err = DbPool::connect(&DbConfig {
            replica_url: Some(sqlite),
            ..DbConfig::new(primary.url.clone())
        })
        .await
        .err()
        .expect("a SQLite replica is refused")
        .to_string();
        assert!(
            err.contains("DATABASE_REPLICA_URL") && err.contains("postgres://"),
            "{err}"
        );
    }
}
