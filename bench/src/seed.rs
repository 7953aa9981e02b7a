//! The benchmark database: seeded once with posts, authors, tags and
//! threaded comments, then reused by later runs of the same shape (seeding
//! 10,000 posts and their similar-posts index takes a minute or two).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use diesel::sql_types::BigInt;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use waypost_db::{DbConfig, DbPool};
use waypost_domain::demo::{
    BenchmarkShape, CommentShape, SeedOutcome, benchmark_bundle, seed_benchmark_comments,
    seed_if_empty,
};

/// The database under test.
#[derive(Debug, Clone)]
pub enum Target {
    /// Dropped and created again when it must be seeded.
    Postgres(String),
    /// Deleted and created again when it must be seeded.
    Sqlite(PathBuf),
}

impl Target {
    pub fn url(&self) -> String {
        match self {
            Target::Postgres(url) => url.clone(),
            Target::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

/// How much the data set holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub posts: usize,
    pub comments: usize,
}

/// A connection of the harness's own, for counts and clean-ups in fixed
/// SQL; the server's pool is not involved.
enum Direct {
    // Boxed: the PostgreSQL connection is five times the SQLite one.
    Pg(Box<AsyncPgConnection>),
    Sqlite(SyncConnectionWrapper<diesel::SqliteConnection>),
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Direct {
    async fn open(target: &Target) -> anyhow::Result<Direct> {
        Ok(match target {
            Target::Postgres(url) => Direct::Pg(Box::new(AsyncPgConnection::establish(url).await?)),
            Target::Sqlite(path) => {
                let path = path.to_str().context("the SQLite path is not UTF-8")?;
                let mut conn = SyncConnectionWrapper::establish(path).await?;
                // The server may be writing; wait for it rather than fail.
                conn.batch_execute("PRAGMA busy_timeout = 5000").await?;
                Direct::Sqlite(conn)
            }
        })
    }

    /// The number a fixed query returns as `n`.
    async fn number(&mut self, sql: &'static str) -> anyhow::Result<i64> {
        let query = diesel::sql_query(sql);
        let row: Number = match self {
            Direct::Pg(c) => query.get_result(&mut **c).await?,
            Direct::Sqlite(c) => query.get_result(c).await?,
        };
        Ok(row.n)
    }

    async fn batch(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            Direct::Pg(c) => c.batch_execute(sql).await?,
            Direct::Sqlite(c) => c.batch_execute(sql).await?,
        }
        Ok(())
    }
}

/// Posts and comments in the database, or why they cannot be counted (no
/// database, no tables).
async fn counts(target: &Target) -> anyhow::Result<Shape> {
    if let Target::Sqlite(path) = target
        && !path.exists()
    {
        bail!("no file at {}", path.display());
    }
    let mut conn = Direct::open(target).await?;
    let posts = conn.number("SELECT count(*) AS n FROM posts").await?;
    let comments = conn.number("SELECT count(*) AS n FROM comments").await?;
    Ok(Shape {
        posts: usize::try_from(posts)?,
        comments: usize::try_from(comments)?,
    })
}

/// Makes sure the database holds `shape`: reuses it when its counts match,
/// unless `reseed`, and otherwise creates it afresh and seeds it.
pub async fn prepare(target: &Target, shape: Shape, reseed: bool) -> anyhow::Result<()> {
    if !reseed {
        match counts(target).await {
            Ok(found) if found == shape => {
                eprintln!(
                    "reusing {} ({} posts, {} comments; --reseed to start afresh)",
                    waypost_db::mask_url(&target.url()),
                    found.posts,
                    found.comments
                );
                return Ok(());
            }
            Ok(found) => eprintln!(
                "the database holds {} posts and {} comments, not {} and {}: seeding it afresh",
                found.posts, found.comments, shape.posts, shape.comments
            ),
            Err(err) => eprintln!("no benchmark data to reuse ({err:#}): seeding"),
        }
    }
    recreate(target).await?;
    seed(target, shape).await
}

async fn recreate(target: &Target) -> anyhow::Result<()> {
    match target {
        Target::Postgres(url) => recreate_pg(url).await,
        Target::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => {
                        return Err(err)
                            .with_context(|| format!("cannot remove {}", file.to_string_lossy()));
                    }
                }
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            Ok(())
        }
    }
}

async fn recreate_pg(url: &str) -> anyhow::Result<()> {
    let mut parsed = url::Url::parse(url).context("BENCH_DATABASE_URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    // The name goes into DROP DATABASE, which takes no parameters: only a
    // plain identifier is let through.
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("benchmark database name must be a plain identifier, got {name:?}");
    }
    parsed.set_path("/postgres");
    let mut admin = AsyncPgConnection::establish(parsed.as_str()).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    Ok(())
}

async fn seed(target: &Target, shape: Shape) -> anyhow::Result<()> {
    let pool = DbPool::connect(&DbConfig::new(target.url())).await?;
    pool.run_migrations().await?;
    let now = chrono::Utc::now().naive_utc();
    let started = Instant::now();
    let posts = BenchmarkShape {
        posts: shape.posts,
        ..BenchmarkShape::default()
    };
    // The newest post an hour old, so that its comments (30 s apart after
    // it) are all in the past.
    let bundle = benchmark_bundle(posts, now - chrono::Duration::hours(1));
    match seed_if_empty(&pool, bundle).await? {
        SeedOutcome::Seeded(counts) => eprintln!(
            "seeded {} posts, {} authors, {} tags and their similar-posts index in {:.1}s",
            counts.posts,
            counts.authors,
            counts.tags,
            started.elapsed().as_secs_f64()
        ),
        SeedOutcome::AlreadyHasContent => bail!("the benchmark database was not empty"),
    }
    let started = Instant::now();
    let comments = CommentShape {
        comments: shape.comments,
        ..CommentShape::default()
    };
    let written = seed_benchmark_comments(&pool, shape.posts, comments, now).await?;
    eprintln!(
        "seeded {written} comments in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    drop(pool);
    // Fresh statistics, as a database in service would have; without
    // them the planner guesses and the first minutes measure that.
    let started = Instant::now();
    let mut conn = Direct::open(target).await?;
    let analyze = match conn {
        Direct::Pg(_) => "VACUUM ANALYZE",
        Direct::Sqlite(_) => "ANALYZE",
    };
    conn.batch(analyze).await?;
    eprintln!("analyzed in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The newest comment's id, before a scenario that writes comments.
pub async fn last_comment_id(target: &Target) -> anyhow::Result<i64> {
    Direct::open(target)
        .await?
        .number("SELECT coalesce(max(id), 0) AS n FROM comments")
        .await
}

/// Deletes the comments a scenario wrote (those after `last`), so that the
/// data set keeps its shape for the scenarios and runs that follow. A load
/// generator that stops leaves requests in flight, whose comments are
/// committed after it returns: the newest comment must stay the same for
/// half a second (within 15) before the rest is deleted.
pub async fn delete_comments_after(target: &Target, last: i64) -> anyhow::Result<u64> {
    let mut conn = Direct::open(target).await?;
    let newest = "SELECT coalesce(max(id), 0) AS n FROM comments";
    let mut seen = conn.number(newest).await?;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = conn.number(newest).await?;
        if now == seen {
            break;
        }
        seen = now;
    }
    let deleted = match &mut conn {
        Direct::Pg(c) => {
            diesel::sql_query("DELETE FROM comments WHERE id > $1")
                .bind::<BigInt, _>(last)
                .execute(&mut **c)
                .await?
        }
        Direct::Sqlite(c) => {
            diesel::sql_query("DELETE FROM comments WHERE id > ?")
                .bind::<BigInt, _>(last)
                .execute(c)
                .await?
        }
    };
    Ok(u64::try_from(deleted)?)
}
