//! Waypost's HTTP benchmark: seeds 10,000 posts, 50 authors and 200 tags on
//! either backend, starts the real server in this process, and drives it
//! over loopback HTTP with a fixed number of concurrent clients.
//!
//! Server and load generator run on separately named thread pools, so the
//! report can say how the two cores were shared between them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};
use waypost_db::{DbConfig, DbPool};
use waypost_domain::demo::{
    BenchmarkShape, SeedOutcome, benchmark_bundle, seed_if_empty, topic_word,
};
use waypost_gateway::AppState;

const SERVER_THREADS: &str = "wp-server";
const LOAD_THREADS: &str = "wp-load";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "Seed a benchmark database and measure Waypost over HTTP.")]
struct Args {
    /// Which backend to measure.
    #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
    backend: BackendArg,
    /// PostgreSQL database to use; it is DROPPED and recreated.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/waypost_bench"
    )]
    postgres_url: String,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds each scenario runs (after a warm-up of a fifth of that).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    load_threads: usize,
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Measure another GraphQL server instead (e.g. PostGraphile) over the
    /// PostgreSQL database a previous `--backend postgres` run left seeded.
    #[arg(long)]
    external: Option<String>,
    /// With `--external`: the PID whose CPU to report as the server's.
    #[arg(long)]
    external_pid: Option<u32>,
    /// With `--external`: the query set to send.
    #[arg(long, value_enum, default_value_t = QuerySet::Postgraphile)]
    queries: QuerySet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QuerySet {
    Waypost,
    Postgraphile,
}

impl QuerySet {
    /// (name, query, whether `$slug` rotates over the posts).
    fn queries(self) -> Vec<(&'static str, String, bool)> {
        match self {
            QuerySet::Waypost => vec![
                (
                    "post page by slug (author, tags)",
                    POST_PAGE.to_owned(),
                    true,
                ),
                (
                    "first 20 posts by date (author, tags)",
                    LATEST.to_owned(),
                    false,
                ),
                (
                    "post page with 5 similar posts",
                    POST_PAGE_SIMILAR.to_owned(),
                    true,
                ),
                ("search, first 10 of ~55 matches", search_query(), false),
            ],
            QuerySet::Postgraphile => vec![
                (
                    "post page by slug (author, tags)",
                    include_str!("../queries/postgraphile-post-page.graphql").to_owned(),
                    true,
                ),
                (
                    "first 20 posts by date (author, tags)",
                    include_str!("../queries/postgraphile-latest.graphql").to_owned(),
                    false,
                ),
            ],
        }
    }
}

const POST_PAGE_SIMILAR: &str = r#"query PostPageSimilar($slug: String!) {
  post(slug: $slug) {
    id title html excerpt publishedAt readingTimeMinutes
    author { id name slug avatarUrl }
    tags { id name slug }
    similarPosts(first: 5) {
      score sharedTerms sharedTags { slug }
      post { id title slug excerpt author { name slug } }
    }
  }
}"#;

/// A word of one topic (a fortieth of the posts), a word a third of the
/// posts use, and an excluded one: about 55 of the 10,000 posts match.
fn search_query() -> String {
    let query = format!("{} replica -token", topic_word(3, 5));
    format!(
        r#"query Search {{
  search(query: "{query}", first: 10) {{
    totalCount
    edges {{ cursor node {{
      score snippet
      item {{ __typename ... on Post {{ id title slug author {{ name }} }} ... on Guide {{ id title slug }} }}
    }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"#
    )
}

const POST_PAGE: &str = r#"query PostPage($slug: String!) {
  post(slug: $slug) {
    id title html excerpt publishedAt readingTimeMinutes
    author { id name slug avatarUrl }
    tags { id name slug }
  }
}"#;

const LATEST: &str = r#"query Latest {
  posts(first: 20) {
    edges { cursor node {
      id title slug excerpt publishedAt readingTimeMinutes
      author { id name slug }
      tags { id name slug }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

// Responses are built from many short-lived strings; mimalloc serves them
// with far less contention between worker threads than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .thread_name(SERVER_THREADS)
        .enable_all()
        .build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.load_threads)
        .thread_name(LOAD_THREADS)
        .enable_all()
        .build()?;

    if let Some(url) = args.external.clone() {
        return measure_all(&args, &load_rt, &url, args.queries, None);
    }
    let (url, _dir) = match args.backend {
        BackendArg::Sqlite => {
            let dir = tempfile::tempdir()?;
            (
                format!("sqlite://{}", dir.path().join("bench.db").display()),
                Some(dir),
            )
        }
        BackendArg::Postgres => {
            server_rt.block_on(recreate_pg(&args.postgres_url))?;
            (args.postgres_url.clone(), None)
        }
    };

    let shape = BenchmarkShape {
        posts: args.posts,
        ..BenchmarkShape::default()
    };
    let (pool, addr) = server_rt.block_on(async {
        let pool = DbPool::connect(&DbConfig::new(url.clone())).await?;
        pool.run_migrations().await?;
        let started = Instant::now();
        let bundle = benchmark_bundle(shape, chrono::Utc::now().naive_utc());
        match seed_if_empty(&pool, bundle).await? {
            SeedOutcome::Seeded(counts) => eprintln!(
                "seeded {} posts, {} authors, {} tags in {:.1}s",
                counts.posts,
                counts.authors,
                counts.tags,
                started.elapsed().as_secs_f64()
            ),
            SeedOutcome::AlreadyHasContent => bail!("benchmark database was not empty"),
        }
        // Fresh statistics, as a database in service would have; without
        // them the planner guesses and the first minutes measure that.
        analyze(&url).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = waypost_gateway::app(AppState::new(pool.clone()));
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("server stopped: {err}");
            }
        });
        anyhow::Ok((pool, addr))
    })?;

    measure_all(
        &args,
        &load_rt,
        &format!("http://{addr}/graphql"),
        QuerySet::Waypost,
        Some(&pool),
    )
}

/// Runs both scenarios against `url` and prints a Markdown table row each.
fn measure_all(
    args: &Args,
    load_rt: &tokio::runtime::Runtime,
    url: &str,
    queries: QuerySet,
    pool: Option<&DbPool>,
) -> anyhow::Result<()> {
    println!(
        "target={} posts={} concurrency={} seconds={} server_threads={} load_threads={} cores={}",
        match &args.external {
            Some(url) => url.clone(),
            None => format!("waypost (in-process, {:?})", args.backend),
        },
        args.posts,
        args.concurrency,
        args.seconds,
        args.server_threads,
        args.load_threads,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("| scenario | req/s | p50 ms | p99 ms | SQL/req | server CPU | load-gen CPU |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, query, by_slug) in queries.queries() {
        let run = Scenario {
            url: url.to_owned(),
            query,
            slug_range: by_slug.then_some(args.posts),
            concurrency: args.concurrency,
        };
        load_rt.block_on(run.measure(Duration::from_secs(args.seconds.max(1) / 5 + 1)))?;
        let statements_before = pool.map(DbPool::statements_executed);
        let cpu_before = thread_cpu()?;
        let server_before = args.external_pid.map(process_cpu).transpose()?;
        let result = load_rt.block_on(run.measure(Duration::from_secs(args.seconds.max(1))))?;
        let cpu_after = thread_cpu()?;
        let server_after = args.external_pid.map(process_cpu).transpose()?;
        let wall = result.elapsed.as_secs_f64();
        let percent = |seconds: f64| format!("{:.0}%", 100.0 * seconds / wall);
        let server_cpu = match (server_before, server_after) {
            (Some(before), Some(after)) => percent(after - before),
            _ if pool.is_some() => {
                percent(cpu_after.get(SERVER_THREADS) - cpu_before.get(SERVER_THREADS))
            }
            _ => "n/a".to_owned(),
        };
        let per_request = match (pool, statements_before) {
            (Some(pool), Some(before)) => format!(
                "{:.1}",
                (pool.statements_executed() - before) as f64 / result.requests.max(1) as f64
            ),
            _ => "n/a".to_owned(),
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {per_request} | {server_cpu} | {} |",
            result.requests as f64 / wall,
            result.percentile(50.0),
            result.percentile(99.0),
            percent(cpu_after.get(LOAD_THREADS) - cpu_before.get(LOAD_THREADS)),
        );
    }
    Ok(())
}

async fn analyze(url: &str) -> anyhow::Result<()> {
    use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    if url.starts_with("postgres") {
        let mut conn = AsyncPgConnection::establish(url).await?;
        conn.batch_execute("VACUUM ANALYZE").await?;
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SyncConnectionWrapper::<diesel::SqliteConnection>::establish(path).await?;
        conn.batch_execute("ANALYZE").await?;
    }
    Ok(())
}

async fn recreate_pg(url: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut parsed = url::Url::parse(url).context("BENCH_DATABASE_URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
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

struct Scenario {
    url: String,
    query: String,
    /// Rotate `$slug` over this many benchmark posts.
    slug_range: Option<usize>,
    concurrency: usize,
}

struct Outcome {
    requests: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Outcome {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (self.latencies_us.len() - 1) as f64).round() as usize;
        self.latencies_us[rank.min(self.latencies_us.len() - 1)] as f64 / 1000.0
    }
}

impl Scenario {
    async fn measure(&self, duration: Duration) -> anyhow::Result<Outcome> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(self.concurrency)
            .build()?;
        let started = Instant::now();
        let deadline = started + duration;
        let mut workers = Vec::with_capacity(self.concurrency);
        for worker in 0..self.concurrency {
            let client = client.clone();
            let url = self.url.clone();
            let query = self.query.clone();
            let slug_range = self.slug_range;
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = worker * 7919;
                while Instant::now() < deadline {
                    let variables = match slug_range {
                        Some(range) => json!({ "slug": format!("benchmark-post-{}", n % range) }),
                        None => json!({}),
                    };
                    n += 1;
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .json(&json!({ "query": query, "variables": variables }))
                        .send()
                        .await?;
                    let body: Value = response.json().await?;
                    if body.get("errors").is_some() || body["data"].is_null() {
                        bail!("query failed: {body}");
                    }
                    latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies_us = Vec::new();
        for worker in workers {
            latencies_us.extend(worker.await??);
        }
        let elapsed = started.elapsed();
        latencies_us.sort_unstable();
        Ok(Outcome {
            requests: latencies_us.len(),
            elapsed,
            latencies_us,
        })
    }
}

/// CPU seconds used so far by another process, its threads and its child
/// processes (a clustered server's workers).
fn process_cpu(pid: u32) -> anyhow::Result<f64> {
    let own = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("no process {pid}"))?;
    let mut total = stat_cpu_seconds(&own).map(|(_, s)| s).unwrap_or(0.0);
    let pid = pid.to_string();
    for entry in std::fs::read_dir("/proc")? {
        let path = entry?.path();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        // The parent PID is the second field after the name.
        let parent = stat
            .get(close + 2..)
            .and_then(|rest| rest.split_whitespace().nth(1));
        if parent == Some(pid.as_str()) {
            total += stat_cpu_seconds(&stat).map(|(_, s)| s).unwrap_or(0.0);
        }
    }
    Ok(total)
}

/// Linux reports utime and stime in clock ticks, 100 per second on every
/// mainstream kernel configuration.
const TICKS_PER_SECOND: f64 = 100.0;

/// The name and CPU seconds of a `/proc/.../stat` line.
fn stat_cpu_seconds(stat: &str) -> Option<(String, f64)> {
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = stat[open + 1..close].to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some((name, (ticks(11) + ticks(12)) / TICKS_PER_SECOND))
}

/// CPU seconds used so far by this process's threads, by thread-name prefix.
struct ThreadCpu(Vec<(String, f64)>);

impl ThreadCpu {
    fn get(&self, prefix: &str) -> f64 {
        self.0
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, s)| s)
            .sum()
    }
}

fn thread_cpu() -> anyhow::Result<ThreadCpu> {
    let mut threads = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").context("per-thread CPU needs Linux /proc")? {
        let path = entry?.path();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        threads.extend(stat_cpu_seconds(&stat));
    }
    Ok(ThreadCpu(threads))
}
