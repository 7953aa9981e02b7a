//! TLS to PostgreSQL, against the local server (which has TLS on, with a
//! self-signed certificate for `localhost`): every libpq `sslmode`, seen
//! from the server's side in `pg_stat_ssl`, and refusals that say why.
// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use waypost_db::{CommentFeed, DbConfig, DbPool, SslMode};
use waypost_tests::{Backend, TestDb, backend_enabled};

/// The server's own certificate: with it as the only root, a verified
/// connection to `localhost` succeeds.
async fn server_certificate(url: &str) -> String {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        ssl_cert_file: String,
    }
    #[derive(QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = Text)]
        ssl: String,
    }
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let on: Ssl = diesel::sql_query("SHOW ssl")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        on.ssl, "on",
        "these tests need the PostgreSQL under test to have TLS on"
    );
    let found: Setting = diesel::sql_query("SHOW ssl_cert_file")
        .get_result(&mut conn)
        .await
        .unwrap();
    found.ssl_cert_file
}

/// A root the server's certificate does not chain to.
const STRANGER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/db/tests/fixtures/root.pem"
);

/// A fresh database on the PostgreSQL under test and the path of that
/// server's certificate; `None` when PostgreSQL is left out of the run.
async fn tls_database() -> Option<(TestDb, String)> {
    if !backend_enabled(Backend::Postgres) {
        return None;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let cert = server_certificate(&db.url).await;
    Some((db, cert))
}

fn with(url: &str, host: &str, params: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_host(Some(host)).unwrap();
    url.set_query(Some(params));
    url.to_string()
}

async fn connect(url: &str) -> Result<DbPool, String> {
    DbPool::connect(&DbConfig {
        create_database: false,
        ..DbConfig::new(url)
    })
    .await
    .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sslmode_does_what_libpq_says() {
    let Some((db, cert)) = tls_database().await else {
        return;
    };
    let cases = [
        (
            "127.0.0.1",
            "sslmode=disable".to_owned(),
            SslMode::Disable,
            false,
        ),
        ("127.0.0.1", String::new(), SslMode::Prefer, true),
        (
            "127.0.0.1",
            "sslmode=prefer".to_owned(),
            SslMode::Prefer,
            true,
        ),
        (
            "127.0.0.1",
            "sslmode=require".to_owned(),
            SslMode::Require,
            true,
        ),
        // verify-ca checks the chain only: the certificate names localhost.
        (
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={cert}"),
            SslMode::VerifyCa,
            true,
        ),
        (
            "127.0.0.1",
            format!("sslmode=require&sslrootcert={cert}"),
            SslMode::VerifyCa,
            true,
        ),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={cert}"),
            SslMode::VerifyFull,
            true,
        ),
    ];
    for (host, params, mode, encrypted) in cases {
        let url = with(&db.url, host, &params);
        let pool = connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(pool.ssl_mode(), Some(mode), "{url}");
        assert_eq!(pool.encrypted().await.unwrap(), encrypted, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_check_out_is_refused_and_named() {
    let Some((db, cert)) = tls_database().await else {
        return;
    };
    let cases = [
        // Signed by the right root, but not for the host connected to.
        (
            "127.0.0.1",
            format!("sslmode=verify-full&sslrootcert={cert}"),
            "not valid for name \"127.0.0.1\"",
        ),
        // Not signed by any root trusted.
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={STRANGER}"),
            "UnknownIssuer",
        ),
        (
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={STRANGER}"),
            "UnknownIssuer",
        ),
    ];
    for (host, params, reason) in cases {
        let url = with(&db.url, host, &params);
        let err = connect(&url)
            .await
            .err()
            .unwrap_or_else(|| panic!("{url} connected"));
        assert!(err.contains(reason), "{url}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_and_the_comment_feed_speak_tls_too() {
    let Some((db, cert)) = tls_database().await else {
        return;
    };
    let url = with(
        &db.url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={cert}"),
    );
    let pool = connect(&url).await.unwrap();
    pool.run_migrations().await.unwrap();
    assert!(pool.migration_status().await.unwrap().pending.is_empty());
    // The listening connection is made outside the pool.
    let feed = CommentFeed::new(&pool);
    let _news = feed.subscribe().await.unwrap();
    assert_eq!(feed.subscribers(), 1);
    // And a server that trusts nothing it can verify cannot listen either.
    let refused = connect(&with(
        &db.url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={STRANGER}"),
    ))
    .await;
    assert!(refused.is_err());
}
