//! Test support for Waypost's end-to-end suite: a fresh database per test on
//! each backend, the real server on port 0, and a small GraphQL client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use waypost_db::{CommentFeed, ContentBundle, DbConfig, DbPool};
use waypost_domain::account::AuthSettings;
use waypost_domain::demo::{SeedOutcome, seed_demo, seed_if_empty};
use waypost_gateway::{AppState, StopTimes};

pub use waypost_db::Backend;

pub mod browser;

const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Declares one `#[tokio::test]` per backend for each named async fn taking a `Backend`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::backend_enabled($crate::Backend::Postgres) {
                        super::$name($crate::Backend::Postgres).await;
                    }
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
    };
}

/// PostgreSQL tests run unless `WAYPOST_TEST_BACKENDS=sqlite` opts out on purpose.
pub fn backend_enabled(backend: Backend) -> bool {
    match std::env::var("WAYPOST_TEST_BACKENDS") {
        Ok(list) => list.split(',').any(|b| {
            let b = b.trim();
            match backend {
                Backend::Postgres => b.eq_ignore_ascii_case("postgres"),
                Backend::Sqlite => b.eq_ignore_ascii_case("sqlite"),
            }
        }),
        Err(_) => true,
    }
}

pub fn test_server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned())
}

fn with_database(server_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A fingerprint of the PostgreSQL migrations, so a changed migration gets a new template.
fn migrations_fingerprint() -> u64 {
    fn walk(dir: &Path, hasher: &mut DefaultHasher) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, hasher);
            } else {
                path.file_name().hash(hasher);
                std::fs::read(&path).unwrap().hash(hasher);
            }
        }
    }
    let mut hasher = DefaultHasher::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres"),
        &mut hasher,
    );
    hasher.finish()
}

/// Runs `sql` on the PostgreSQL server as the test administrator.
pub async fn admin_execute(server_url: &str, sql: &str) -> Result<(), String> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(server_url)
        .await
        .map_err(|e| e.to_string())?;
    conn.batch_execute(sql).await.map_err(|e| e.to_string())
}

/// Builds the migrated template database once per fingerprint. Concurrent
/// test processes race to create it; the loser sees it exists and waits.
async fn ensure_template(server_url: &str) -> String {
    let name = format!("waypost_test_tpl_{:016x}", migrations_fingerprint());
    let building = format!("{name}_building");
    // Creating under a temporary name and renaming makes the template appear
    // only once it is fully migrated.
    for _ in 0..200 {
        match admin_execute(server_url, &format!("CREATE DATABASE \"{building}\"")).await {
            Ok(()) => {
                let config = DbConfig {
                    create_database: false,
                    ..DbConfig::new(with_database(server_url, &building))
                };
                let pool = DbPool::connect(&config).await.expect("connect to template");
                pool.run_migrations().await.expect("migrate template");
                drop(pool);
                rename_when_free(server_url, &building, &name).await;
                return name;
            }
            // Two concurrent CREATE DATABASE can also collide on the catalog index.
            Err(e) if e.contains("already exists") || e.contains("pg_database_datname_index") => {
                if template_exists(server_url, &name).await {
                    return name;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot create the test template database: {e}"),
        }
    }
    panic!("timed out waiting for the test template database {name}");
}

async fn template_exists(server_url: &str, name: &str) -> bool {
    // A DO block raises when the database is missing, without a result set.
    let sql = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') \
         THEN RAISE EXCEPTION 'missing'; END IF; END $$"
    );
    admin_execute(server_url, &sql).await.is_ok()
}

async fn rename_when_free(server_url: &str, from: &str, to: &str) {
    for _ in 0..100 {
        match admin_execute(
            server_url,
            &format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\""),
        )
        .await
        {
            Ok(()) => return,
            Err(e) if e.contains("already exists") => {
                let _ = admin_execute(
                    server_url,
                    &format!("DROP DATABASE IF EXISTS \"{from}\" WITH (FORCE)"),
                )
                .await;
                return;
            }
            // Pooled connections to the template may still be closing.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("cannot publish the test template database {to}");
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("waypost.db").display());
                TestDb {
                    url,
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let server = test_server_url();
                if let Err(e) = admin_execute(&server, "SELECT 1").await {
                    panic!(
                        "PostgreSQL at {} is unreachable ({e}); start it or set WAYPOST_TEST_BACKENDS=sqlite",
                        waypost_db::mask_url(&server)
                    );
                }
                let template = ensure_template(&server).await;
                let name = format!("waypost_test_{}", uuid::Uuid::new_v4().simple());
                let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
                let mut attempt = 0;
                // Another process may be cloning the same template this instant.
                while let Err(e) = admin_execute(&server, &sql).await {
                    attempt += 1;
                    assert!(attempt < 100, "cannot create test database: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                TestDb {
                    url: with_database(&server, &name),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL database's name; `None` on SQLite.
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    pub async fn pool(&self) -> DbPool {
        let pool = DbPool::connect(&DbConfig::new(self.url.clone()))
            .await
            .expect("connect to test database");
        pool.run_migrations().await.expect("migrate test database");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let server = test_server_url();
        // Drop runs inside the test's runtime; a helper thread owns its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _ = admin_execute(
                    &server,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await;
            });
        })
        .join();
    }
}

/// The real server on 127.0.0.1:0 over a fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: DbPool,
    /// The server's end of the comment feed.
    pub feed: CommentFeed,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    /// Shared with sibling servers; removed when the last one is dropped.
    pub db: Arc<TestDb>,
}

impl TestApp {
    /// A server over the demo content.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_configured(backend, |state| state).await
    }

    /// A server over the demo content whose state `configure` adjusts.
    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let app = TestApp::empty_configured(backend, configure).await;
        assert!(matches!(
            seed_demo(&app.pool).await.unwrap(),
            SeedOutcome::Seeded(_)
        ));
        app
    }

    /// A server over `bundle` instead of the demo content.
    pub async fn with_content(backend: Backend, bundle: ContentBundle) -> TestApp {
        let app = TestApp::empty(backend).await;
        assert!(matches!(
            seed_if_empty(&app.pool, bundle).await.unwrap(),
            SeedOutcome::Seeded(_)
        ));
        app
    }

    /// A server over `bundle` whose state `configure` adjusts.
    pub async fn with_content_configured(
        backend: Backend,
        bundle: ContentBundle,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let app = TestApp::empty_configured(backend, configure).await;
        assert!(matches!(
            seed_if_empty(&app.pool, bundle).await.unwrap(),
            SeedOutcome::Seeded(_)
        ));
        app
    }

    pub async fn empty(backend: Backend) -> TestApp {
        TestApp::empty_configured(backend, |state| state).await
    }

    /// An empty server whose sign-in rules are `auth`.
    pub async fn empty_with_auth(backend: Backend, auth: AuthSettings) -> TestApp {
        TestApp::empty_configured(backend, |state| state.with_auth(auth)).await
    }

    /// An empty server whose state `configure` adjusts (its clock, say).
    pub async fn empty_configured(
        backend: Backend,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        TestApp::serve(Arc::new(TestDb::new(backend).await), configure).await
    }

    /// A second server over this one's database, as another instance of a
    /// deployment would be: its own pool, its own comment feed.
    pub async fn sibling(&self, configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        TestApp::serve(self.db.clone(), configure).await
    }

    async fn serve(db: Arc<TestDb>, configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let pool = db.pool().await;
        TestApp::serve_pool(db, pool, configure).await
    }

    /// A server over the demo content on PostgreSQL whose pool sends
    /// lag-tolerant reads to the replica `replica_url` names.
    pub async fn with_replica(
        replica_url: &str,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let db = Arc::new(TestDb::new(Backend::Postgres).await);
        seed_demo(&db.pool().await).await.unwrap();
        let config = DbConfig {
            replica_url: Some(replica_url.to_owned()),
            ..DbConfig::new(db.url.clone())
        };
        let pool = DbPool::connect(&config)
            .await
            .expect("connect with a replica");
        TestApp::serve_pool(db, pool, configure).await
    }

    async fn serve_pool(
        db: Arc<TestDb>,
        pool: DbPool,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = configure(AppState::new(pool.clone()));
        let feed = state.services.feed.clone();
        let server = tokio::spawn(waypost_gateway::serve_until(
            listener,
            state,
            std::future::pending(),
        ));
        TestApp {
            addr,
            pool,
            feed,
            client: reqwest::Client::new(),
            server,
            db,
        }
    }

    /// A server over the demo content that stops, as on SIGTERM, when
    /// `Stoppable::stop` fires: it drains, then gives requests in flight
    /// their grace.
    pub async fn stoppable(backend: Backend, times: StopTimes) -> Stoppable {
        let db = Arc::new(TestDb::new(backend).await);
        let pool = db.pool().await;
        seed_demo(&pool).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(pool.clone());
        let feed = state.services.feed.clone();
        let stopped = tokio::spawn(waypost_gateway::serve(
            listener,
            state,
            async move {
                let _ = stopping.await;
            },
            times,
        ));
        let app = TestApp {
            addr,
            pool,
            feed,
            client: reqwest::Client::new(),
            server: tokio::spawn(async {}),
            db,
        };
        Stoppable { app, stop, stopped }
    }

    /// Runs `sql` on the server's database, as an operator at a console would.
    pub async fn execute_sql(&self, sql: &str) {
        use diesel_async::SimpleAsyncConnection;
        match &mut self.pool.get().await.unwrap() {
            waypost_db::DbConn::Pg(c) => (**c).batch_execute(sql).await.unwrap(),
            waypost_db::DbConn::Sqlite(c) => (**c).batch_execute(sql).await.unwrap(),
        }
    }

    /// Holds the write lock on comments for `hold`, from the moment this
    /// returns: a transaction locking the table on PostgreSQL, the
    /// database's write lock on SQLite. Requests that write comments wait.
    pub async fn hold_comment_writes(&self, hold: Duration) -> tokio::task::JoinHandle<()> {
        let (taken, is_taken) = tokio::sync::oneshot::channel();
        let handle = match self.db.backend() {
            Backend::Postgres => {
                use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
                let mut conn = AsyncPgConnection::establish(&self.db.url).await.unwrap();
                tokio::spawn(async move {
                    conn.batch_execute("BEGIN; LOCK TABLE comments IN ACCESS EXCLUSIVE MODE")
                        .await
                        .unwrap();
                    taken.send(()).unwrap();
                    tokio::time::sleep(hold).await;
                    conn.batch_execute("COMMIT").await.unwrap();
                })
            }
            Backend::Sqlite => {
                let mut conn = self.pool.get().await.unwrap();
                tokio::spawn(async move {
                    conn.serialized(&[0], async |_| {
                        taken.send(()).unwrap();
                        tokio::time::sleep(hold).await;
                        Ok::<_, waypost_db::DbError>(())
                    })
                    .await
                    .unwrap();
                })
            }
        };
        is_taken.await.unwrap();
        handle
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a query and returns the whole JSON response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// POSTs `body` as it stands (any shape a client may send); returns the
    /// status and the JSON answer.
    pub async fn post_json(&self, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// POSTs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The `extensions.code` of the first error, with the full body on failure.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.graphql(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {body:#}"))
            .to_owned()
    }

    /// The global id of the post with `slug` (any status).
    pub async fn post_id(&self, slug: &str) -> Value {
        let mut conn = self.pool.get().await.unwrap();
        let post = waypost_db::queries::post::by_slug(&mut conn, slug)
            .await
            .unwrap()
            .unwrap();
        TestApp::global_id("Post", post.id.0)
    }

    /// The global id of the `kind` row `raw` (`Post`, `Comment`, …).
    pub fn global_id(kind: &str, raw: i64) -> Value {
        use base64::Engine;
        json!(base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{raw}")))
    }

    /// The row id inside a `kind` global id.
    pub fn raw_id(global: &Value, kind: &str) -> i64 {
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(global.as_str().unwrap())
            .unwrap();
        String::from_utf8(raw)
            .unwrap()
            .strip_prefix(&format!("{kind}:"))
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The row id inside a post's global id.
    pub fn raw_post_id(global: &Value) -> i64 {
        TestApp::raw_id(global, "Post")
    }

    /// Creates an editor account and returns a session token for it.
    pub async fn editor_token(&self) -> String {
        const PASSWORD: &str = "correct horse battery staple";
        self.create_user(
            "editor@example.com",
            PASSWORD,
            waypost_db::Role::Editor,
            None,
        )
        .await;
        self.sign_in("editor@example.com", PASSWORD).await
    }

    /// Stores an approved comment directly through the domain (as an editor
    /// would approve it), with flood control out of the way; returns its id.
    pub async fn approved_comment(
        &self,
        post: i64,
        parent: Option<i64>,
        email: &str,
        name: &str,
        body: &str,
    ) -> i64 {
        use waypost_db::{CommentId, CommentStatus, PostId, Role, SessionId, UserId};
        use waypost_domain::comment::{CommentForm, CommentSettings, add_comment, moderate};
        use waypost_domain::policy::Viewer;
        let editor = Viewer {
            user_id: UserId(1),
            session_id: SessionId(1),
            role: Role::Editor,
            author_id: None,
        };
        let settings = CommentSettings {
            flood_limit: i64::MAX,
            ..CommentSettings::default()
        };
        let form = CommentForm {
            post_id: Some(PostId(post)),
            parent_id: parent.map(CommentId),
            author_name: name.to_owned(),
            author_email: email.to_owned(),
            body: body.to_owned(),
            ..Default::default()
        };
        let now = chrono::Utc::now().naive_utc();
        let clock = waypost_domain::clock::system_clock();
        let id = add_comment(&self.pool, &self.feed, &settings, form, now, &clock)
            .await
            .unwrap()
            .unwrap()
            .comment
            .id();
        moderate(
            &self.pool,
            &self.feed,
            Some(&editor),
            &[id],
            CommentStatus::Approved,
            now,
        )
        .await
        .unwrap();
        id.0
    }

    /// POSTs a query with `Authorization: Bearer <token>`; returns status and body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Creates an account directly through the domain.
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: waypost_db::Role,
        author: Option<&str>,
    ) {
        use waypost_domain::account::{EmailAddress, NewPassword, NewUser, create_user};
        let author_id = match author {
            Some(slug) => Some(
                waypost_domain::post::author_by_slug(&self.pool, slug)
                    .await
                    .unwrap()
                    .unwrap()
                    .id(),
            ),
            None => None,
        };
        let new = NewUser {
            email: EmailAddress::parse(email).unwrap(),
            display_name: None,
            password: NewPassword::parse(password).unwrap(),
            role,
            author_id,
        };
        create_user(&self.pool, new, chrono::Utc::now().naive_utc())
            .await
            .unwrap();
    }

    /// The stored password hash of the account `email` names, read from
    /// the table: the domain's accounts do not show it.
    pub async fn password_hash(&self, email: &str) -> String {
        let mut conn = self.pool.get().await.unwrap();
        waypost_db::queries::account::user_by_email(&mut conn, email)
            .await
            .unwrap()
            .unwrap()
            .password_hash
    }

    /// Signs in and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let data = self
            .data(
                "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code } } }",
                json!({ "i": { "email": email, "password": password } }),
            )
            .await;
        data["signIn"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in failed: {data}"))
            .to_owned()
    }

    /// The `/metrics` page, as text.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// SQL statements the server ran while `f` ran.
    pub async fn statements_during<F: std::future::Future<Output = T>, T>(&self, f: F) -> (u64, T) {
        let before = self.pool.statements_executed();
        let out = f.await;
        (self.pool.statements_executed() - before, out)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// 25 posts whose dates, titles and update times repeat, so that paging must
/// break ties by id to visit every post exactly once.
pub fn tied_bundle() -> ContentBundle {
    use chrono::{Duration, NaiveDate};
    use waypost_db::{AuthorId, AuthorInsertForm, BundlePost, TagInsertForm};
    use waypost_domain::authoring::{PostDraft, post_form};

    let base = NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let authors = ["ada", "grace", "linus"]
        .iter()
        .map(|slug| AuthorInsertForm {
            slug: (*slug).to_owned(),
            name: slug.to_uppercase(),
            bio: String::new(),
            avatar_url: None,
            created_at: base,
            updated_at: base,
        })
        .collect();
    let tags = ["red", "green", "blue", "empty"]
        .iter()
        .map(|slug| TagInsertForm {
            slug: (*slug).to_owned(),
            name: slug.to_uppercase(),
            description: String::new(),
            created_at: base,
        })
        .collect();
    let titles = [
        "Alpha", "Beta", "Gamma", "Delta", "alpha", "Zeta", "Beta", "Omega",
    ];
    let posts = (0..25)
        .map(|i| {
            let draft = PostDraft {
                slug: format!("tied-{i}"),
                title: titles[i % titles.len()].to_owned(),
                excerpt: None,
                body_markdown: format!("Post number {i}."),
                published_at: Some(base + Duration::days((i % 5) as i64)),
                author_id: AuthorId(0),
            };
            let tag_slugs = match i % 3 {
                0 => vec!["red".to_owned()],
                1 => vec!["red".to_owned(), "green".to_owned()],
                _ => vec!["blue".to_owned()],
            };
            let mut form = post_form(draft, base);
            // Edits in another order than publishing, with ties of their own,
            // so that ordering by UPDATED_AT differs from PUBLISHED_AT.
            form.updated_at = base + Duration::days(30) + Duration::hours(((i * 7) % 4) as i64);
            BundlePost {
                form,
                author_slug: ["ada", "grace", "linus"][i % 3].to_owned(),
                tag_slugs,
            }
        })
        .collect();
    ContentBundle {
        authors,
        tags,
        posts,
    }
}

/// A PostgreSQL database standing in for a replica, as a test can make one
/// anywhere: the demo content, seeded apart from the primary's (so ids
/// match) and then changed by `diverge`, so that an answer shows which
/// database it came from; read-only from then on, as a hot standby is, so
/// that a write sent to it fails as it would on a real one.
pub struct TestReplica {
    pub db: TestDb,
}

impl TestReplica {
    pub async fn new(diverge: &str) -> TestReplica {
        let db = TestDb::new(Backend::Postgres).await;
        let pool = db.pool().await;
        seed_demo(&pool).await.unwrap();
        {
            use diesel_async::SimpleAsyncConnection;
            let mut conn = pool.get().await.unwrap();
            let waypost_db::DbConn::Pg(c) = &mut conn else {
                unreachable!("a replica is PostgreSQL")
            };
            (**c).batch_execute(diverge).await.unwrap();
        }
        drop(pool);
        let name = db.pg_name().unwrap();
        admin_execute(
            &test_server_url(),
            &format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"),
        )
        .await
        .unwrap();
        TestReplica { db }
    }

    /// Ends every session on the replica and refuses new ones: the replica
    /// has gone away.
    pub async fn go_down(&self) {
        let name = self.db.pg_name().unwrap();
        admin_execute(
            &test_server_url(),
            &format!(
                "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ),
        )
        .await
        .unwrap();
    }
}

/// A server that can be told to stop.
pub struct Stoppable {
    pub app: TestApp,
    pub stop: tokio::sync::oneshot::Sender<()>,
    /// What the server's `serve` returned once it stopped.
    pub stopped: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Which GraphQL-over-WebSocket protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`, the current one.
    TransportWs,
    /// `graphql-ws`, the older subscriptions-transport-ws one.
    LegacyWs,
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A real WebSocket client of `/graphql`.
pub struct Socket {
    stream: WsStream,
    protocol: Protocol,
}

/// How long a test waits for a message it expects.
const ARRIVAL: Duration = Duration::from_secs(10);

impl Socket {
    /// Opens a socket and sends `connection_init` with `payload`; returns the
    /// socket and the server's first answer (the ack, or a refusal).
    pub async fn open(app: &TestApp, protocol: Protocol, payload: Value) -> (Socket, Message) {
        let mut socket = Socket::upgrade(app, protocol)
            .await
            .unwrap_or_else(|err| panic!("upgrade refused: {err}"));
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let first = socket.next(ARRIVAL).await;
        (socket, first)
    }

    /// Opens a socket and sends nothing on it; the error is the server's
    /// refusal of the upgrade.
    pub async fn upgrade(
        app: &TestApp,
        protocol: Protocol,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/graphql", app.addr)
            .into_client_request()
            .unwrap();
        let name = match protocol {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        };
        request
            .headers_mut()
            .insert("sec-websocket-protocol", name.parse().unwrap());
        let (stream, response) = tokio_tungstenite::connect_async(request).await?;
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            name,
            "the server agrees on the protocol"
        );
        Ok(Socket { stream, protocol })
    }

    /// Opens a socket whose `connection_init` must be acknowledged.
    pub async fn connect(app: &TestApp, protocol: Protocol, payload: Value) -> Socket {
        let (socket, first) = Socket::open(app, protocol, payload).await;
        match &first {
            Message::Json(m) if m["type"] == "connection_ack" => socket,
            other => panic!("no connection_ack: {other:?}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        use futures::SinkExt;
        use tokio_tungstenite::tungstenite::Message as Ws;
        self.stream
            .send(Ws::text(message.to_string()))
            .await
            .unwrap();
    }

    /// Starts operation `id` (a subscription, or any other operation).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message within `wait`, skipping keep-alives.
    pub async fn next(&mut self, wait: Duration) -> Message {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message as Ws;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Message::Silence,
                Ok(None) => return Message::Closed(None),
                Ok(Some(Err(err))) => panic!("socket error: {err}"),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Ws::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ka" || value["type"] == "ping" {
                        continue;
                    }
                    return Message::Json(value);
                }
                Ws::Close(frame) => {
                    return Message::Closed(
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    );
                }
                _ => continue,
            }
        }
    }

    /// The payload of the next result of operation `id`: `next` in
    /// graphql-transport-ws, `data` in the legacy protocol.
    pub async fn result(&mut self, id: &str) -> Value {
        let kind = match self.protocol {
            Protocol::TransportWs => "next",
            Protocol::LegacyWs => "data",
        };
        match self.next(ARRIVAL).await {
            Message::Json(m) if m["type"] == kind && m["id"] == id => m["payload"].clone(),
            other => panic!("expected a {kind} for {id}, got {other:?}"),
        }
    }

    /// Asserts that operation `id` ends next.
    pub async fn assert_complete(&mut self, id: &str) {
        match self.next(ARRIVAL).await {
            Message::Json(m) if m["type"] == "complete" && m["id"] == id => {}
            other => panic!("expected {id} to complete, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn assert_silent(&mut self, wait: Duration) {
        match self.next(wait).await {
            Message::Silence => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// What a socket received.
#[derive(Debug)]
pub enum Message {
    Json(Value),
    /// The server closed the socket, with its close code and reason.
    Closed(Option<(u16, String)>),
    /// Nothing arrived in time.
    Silence,
}

impl TestApp {
    /// Waits until this server holds `n` comment feed subscribers, so that a
    /// test posts only once a subscription is in place.
    pub async fn await_feed_subscribers(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + ARRIVAL;
        while self.feed.subscribers() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} feed subscribers, expected {n}",
                self.feed.subscribers()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A text's SHA-256 in hex, as clients and `sha256sum` compute it: written
/// out here rather than borrowed from the code under test.
pub fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `extensions` of a request naming its operation by `hash`, as Apollo
/// Client's and urql's persisted-query links send it.
pub fn persisted_extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// The value of the series `name` (no labels) in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .parse()
        .unwrap()
}

/// A server state with the answer cache off: for tests of what executing
/// a query costs (its statements, its batches), which a cached answer would
/// skip.
pub fn uncached(state: AppState) -> AppState {
    state.with_answer_caching(waypost_gateway::AnswerCaching { max_bytes: 0 })
}

/// A post for a content bundle: titled and written after its slug, by the
/// author with slug `author`, without tags.
pub fn bundle_post(
    slug: &str,
    author: &str,
    published_at: Option<chrono::NaiveDateTime>,
    status: waypost_db::PostStatus,
) -> waypost_db::BundlePost {
    use waypost_domain::authoring::{PostDraft, post_form};
    let draft = PostDraft {
        slug: slug.to_owned(),
        title: format!("Title of {slug}"),
        excerpt: None,
        body_markdown: format!("Body of {slug}."),
        published_at,
        author_id: waypost_db::AuthorId(0),
    };
    let mut form = post_form(draft, chrono::Utc::now().naive_utc());
    form.status = status;
    waypost_db::BundlePost {
        form,
        author_slug: author.to_owned(),
        tag_slugs: Vec::new(),
    }
}

/// A clock a test sets to the microsecond: hand `clock` to the server, move
/// it with `set`.
#[derive(Clone)]
pub struct SetClock {
    pub clock: waypost_gateway::Clock,
    micros: Arc<std::sync::atomic::AtomicI64>,
}

impl SetClock {
    pub fn at(start: chrono::NaiveDateTime) -> SetClock {
        use std::sync::atomic::{AtomicI64, Ordering};
        let micros = Arc::new(AtomicI64::new(start.and_utc().timestamp_micros()));
        let read = micros.clone();
        let clock: waypost_gateway::Clock = Arc::new(move || {
            chrono::DateTime::from_timestamp_micros(read.load(Ordering::SeqCst))
                .unwrap()
                .naive_utc()
        });
        SetClock { clock, micros }
    }

    pub fn set(&self, at: chrono::NaiveDateTime) {
        self.micros.store(
            at.and_utc().timestamp_micros(),
            std::sync::atomic::Ordering::SeqCst,
        );
    }
}
