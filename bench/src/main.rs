//! Waypost's HTTP benchmark. It seeds a database (10,000 posts, 50 authors,
//! 200 tags, 200,000 threaded comments) on either backend, or reuses one
//! seeded before, starts the release `waypost serve` binary on it as a
//! process of its own, and drives each scenario twice: from a load
//! generator in this process and from wrk, a separate process. For each it
//! prints a Markdown row: requests a second, p50 and p99 latency, SQL
//! statements per request (from the server's `/metrics`), the server's
//! peak resident memory (from `/proc`) and the CPU each side took.
//!
//! `--external` measures another GraphQL server (PostGraphile) on the same
//! database instead, and `compare` prints the two side by side from a
//! results file (see `bench/postgraphile.sh`).

mod connections;
mod index_update;
mod load;
mod proc;
mod report;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::load::Outcome;
use crate::proc::ThreadCpu;
use crate::report::Row;
use crate::scenarios::{CommentTarget, Plan, QuerySet, Rotation, ScenarioName};
use crate::seed::{Shape, Target};
use crate::server::Server;

const LOAD_THREADS: &str = "wp-load";

/// Comments a post has on average, unless `--comments` says otherwise.
const COMMENTS_PER_POST: usize = 20;
/// Posts whose pages `addComment` writes to.
const COMMENTED_POSTS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LoadArg {
    /// wrk, a process of its own, through a generated Lua script.
    Wrk,
    /// reqwest on a runtime of this process.
    InProcess,
}

impl LoadArg {
    fn as_str(self) -> &'static str {
        match self {
            LoadArg::Wrk => "wrk",
            LoadArg::InProcess => "in-process",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    about = "Seed a benchmark database and measure Waypost (or another GraphQL server) over HTTP.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Subcommands>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Subcommands {
    /// Print Waypost's runs beside another server's, with ratios, from a
    /// results file that `--results` wrote.
    Compare { results: PathBuf },
    /// Latency under slow, idle and greedy connections, and the memory of
    /// thousands of subscribed WebSockets (see BENCHMARKS.md).
    Connections(connections::ConnectionArgs),
    /// What refreshing the similar-posts index costs when one post
    /// changes: p50, p90 and the slowest of posts spread over the archive.
    IndexUpdate(index_update::IndexUpdateArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Which backend to measure.
    #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
    backend: BackendArg,
    /// PostgreSQL database to use; it is DROPPED and recreated when it does
    /// not hold the data set asked for.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/waypost_bench"
    )]
    postgres_url: String,
    /// SQLite file to use (default: waypost-bench.sqlite beside this binary);
    /// replaced when it does not hold the data set asked for.
    #[arg(long)]
    sqlite_path: Option<PathBuf>,
    /// Posts to seed.
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Comments to seed, threaded, over all posts (default: 20 a post).
    #[arg(long)]
    comments: Option<usize>,
    /// Seed afresh even when the database already holds the data set.
    #[arg(long)]
    reseed: bool,
    /// Seed (or check) the database, then stop.
    #[arg(long)]
    seed_only: bool,
    /// The `waypost` binary to measure (default: the one beside this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Extra server environment, KEY=VALUE, repeatable (for example
    /// `--server-env TOKIO_WORKER_THREADS=4`); applied after the
    /// benchmark's own settings.
    #[arg(long)]
    server_env: Vec<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds each scenario is measured, per load generator.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of load before each measurement (default: a fifth of
    /// --seconds, plus one).
    #[arg(long)]
    warmup: Option<u64>,
    /// Load generators, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [LoadArg::InProcess, LoadArg::Wrk])]
    load: Vec<LoadArg>,
    /// Threads of wrk.
    #[arg(long, default_value_t = 2)]
    wrk_threads: usize,
    /// Worker threads of the in-process load generator.
    #[arg(long, default_value_t = 1)]
    load_threads: usize,
    /// Scenarios, in order (default: all of them that the query set has).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Vec<ScenarioName>,
    /// Posts the warm APQ scenarios rotate over: the newest, each requested
    /// once before the warm-up (the uncached ones rotate over all posts).
    #[arg(long, default_value_t = 1_000)]
    hot_pages: usize,
    /// Name of the target in the table (default: "Waypost, <backend>", or
    /// "external").
    #[arg(long)]
    label: Option<String>,
    /// Append each measurement to this file as a JSON line (for `compare`).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Run number to record with the results (alternating runs).
    #[arg(long)]
    round: Option<u32>,
    /// Measure another GraphQL server at this URL (its endpoint, e.g.
    /// http://127.0.0.1:5055/graphql) on the PostgreSQL database a
    /// `--backend postgres` run seeded, instead of Waypost.
    #[arg(long)]
    external: Option<String>,
    /// With --external: the server's PID; its CPU and memory, and its
    /// child processes' (cluster workers), are reported.
    #[arg(long)]
    external_pid: Option<u32>,
    /// The queries to send: Waypost's, or PostGraphile's equivalents (of
    /// the post and home pages).
    #[arg(long, value_enum)]
    queries: Option<QuerySet>,
}

// Responses are built from many short-lived strings; mimalloc serves them
// with far less contention between worker threads than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Subcommands::Compare { results }) => {
            print!("{}", report::compare(&results)?);
            return Ok(());
        }
        Some(Subcommands::Connections(args)) => {
            return tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(connections::run(&args));
        }
        Some(Subcommands::IndexUpdate(args)) => {
            return tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(index_update::run(&args));
        }
        None => {}
    }
    let args = cli.run;
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.load_threads.max(1))
        .thread_name(LOAD_THREADS)
        .enable_all()
        .build()?;
    load_rt.block_on(run(&args))
}

/// Where the server under test is, and what can be read about it.
#[derive(Clone)]
struct Under {
    label: String,
    external: bool,
    base: String,
    pid: Option<u32>,
    /// Whether `pid`'s child processes are part of the server.
    with_children: bool,
    queries: QuerySet,
}

async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let comments = args.comments.unwrap_or(args.posts * COMMENTS_PER_POST);
    let target = match args.backend {
        BackendArg::Postgres => Target::Postgres(args.postgres_url.clone()),
        BackendArg::Sqlite => Target::Sqlite(match &args.sqlite_path {
            Some(path) => path.clone(),
            None => std::env::current_exe()?.with_file_name("waypost-bench.sqlite"),
        }),
    };
    if let Some(url) = &args.external {
        let parsed = url::Url::parse(url).context("--external")?;
        if !matches!(parsed.path(), "" | "/" | "/graphql") {
            bail!("--external: the GraphQL endpoint must be at /graphql, got {url}");
        }
        let base = parsed
            .as_str()
            .trim_end_matches('/')
            .trim_end_matches("/graphql");
        let under = Under {
            label: args.label.clone().unwrap_or_else(|| "external".to_owned()),
            external: true,
            base: base.to_owned(),
            pid: args.external_pid,
            with_children: true,
            queries: args.queries.unwrap_or(QuerySet::Postgraphile),
        };
        return measure_all(args, &under, None, comments).await;
    }
    seed::prepare(
        &target,
        Shape {
            posts: args.posts,
            comments,
        },
        args.reseed,
    )
    .await?;
    if args.seed_only {
        return Ok(());
    }
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => server::default_binary()?,
    };
    let mut servers = Servers {
        binary,
        database_url: target.url(),
        running: None,
    };
    let under = Under {
        label: args.label.clone().unwrap_or_else(|| {
            match args.backend {
                BackendArg::Postgres => "Waypost, PostgreSQL",
                BackendArg::Sqlite => "Waypost, SQLite",
            }
            .to_owned()
        }),
        external: false,
        base: String::new(),
        pid: None,
        with_children: false,
        queries: args.queries.unwrap_or(QuerySet::Waypost),
    };
    let measured = measure_all(args, &under, Some((&target, &mut servers)), comments).await;
    let stopped = servers.stop();
    measured?;
    stopped
}

/// The Waypost servers of a run: one at a time, started with the answer
/// cache on or off as the scenario needs.
struct Servers {
    binary: PathBuf,
    database_url: String,
    /// The server up now, and whether its answer cache is on.
    running: Option<(bool, Server)>,
}

impl Servers {
    /// A server whose answer cache is on or off: the one running if it
    /// fits, else a new one. Uncached scenarios must reach the database
    /// on every request, and the cache keeps POST answers too: their server
    /// runs with `WAYPOST_ANSWER_CACHE_BYTES=0`, whatever `--server-env`
    /// says. Servers older than the cache ignore the setting.
    async fn with_cache(&mut self, cache: bool, extra: &[String]) -> anyhow::Result<&Server> {
        if self.running.as_ref().is_some_and(|(on, _)| *on != cache) {
            self.stop()?;
        }
        if self.running.is_none() {
            let mut env = extra.to_vec();
            if !cache {
                env.push("WAYPOST_ANSWER_CACHE_BYTES=0".to_owned());
            }
            let server = Server::start(&self.binary, &self.database_url, &env).await?;
            eprintln!(
                "{} serve (answer cache {}): pid {} at {} (log {})",
                self.binary.display(),
                if cache { "on" } else { "off" },
                server.pid,
                server.base,
                server.log.display()
            );
            self.running = Some((cache, server));
        }
        self.running
            .as_ref()
            .map(|(_, server)| server)
            .context("no server running")
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        match self.running.take() {
            Some((_, server)) => server.stop(),
            None => Ok(()),
        }
    }
}

/// Measures every scenario asked for, printing the table as it goes.
async fn measure_all(
    args: &RunArgs,
    under: &Under,
    mut waypost: Option<(&Target, &mut Servers)>,
    comments: usize,
) -> anyhow::Result<()> {
    let scenarios: Vec<ScenarioName> = if !args.scenarios.is_empty() {
        args.scenarios.clone()
    } else if under.queries == QuerySet::Postgraphile {
        vec![ScenarioName::Post, ScenarioName::Home]
    } else {
        ScenarioName::ALL.to_vec()
    };
    println!(
        "target={} posts={} comments={} concurrency={} seconds={} warmup={} load={} wrk_threads={} hot_pages={} cores={}",
        under.label,
        args.posts,
        comments,
        args.concurrency,
        args.seconds,
        warmup(args).as_secs(),
        args.load
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(","),
        args.wrk_threads,
        args.hot_pages,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("{}", report::HEADER);
    let client = reqwest::Client::new();
    let nonce = chrono::Utc::now().timestamp_millis().to_string();
    let rotation = Rotation {
        posts: args.posts,
        hot_pages: args.hot_pages,
    };
    let script_dir = tempfile::tempdir()?;
    let mut peak: Option<u64> = None;
    for name in scenarios {
        // Waypost's server for this scenario: uncached ones run with the
        // answer cache off, warm ones and `addComment` (whose invalidations
        // are part of the write path) with it on, as deployed.
        let (under, target) = match waypost.as_mut() {
            Some((target, servers)) => {
                let server = servers.with_cache(name.cached(), &args.server_env).await?;
                let under = Under {
                    base: server.base.clone(),
                    pid: Some(server.pid),
                    label: under.label.clone(),
                    ..*under
                };
                (std::borrow::Cow::Owned(under), Some(*target))
            }
            None => (std::borrow::Cow::Borrowed(under), None),
        };
        let under = under.as_ref();
        let plan = match name {
            ScenarioName::AddComment => {
                if under.queries != QuerySet::Waypost {
                    bail!("add-comment is Waypost's alone");
                }
                let targets = comment_targets(&client, &under.base, args.posts).await?;
                scenarios::add_comment_plan(
                    &targets,
                    waypost_domain::demo::CommentShape::default().commenters,
                )?
            }
            _ => scenarios::read_plan(name, under.queries, &rotation)?,
        };
        // The comments `addComment` writes (its smoke test's too) are
        // deleted afterwards, so that the data set keeps its shape.
        let written_after = match (name, target) {
            (ScenarioName::AddComment, Some(target)) => Some(seed::last_comment_id(target).await?),
            _ => None,
        };
        let mut measured = prepare(&client, &under.base, &plan, args.concurrency).await;
        let script = script_dir.path().join(format!("{}.lua", name.as_str()));
        std::fs::write(&script, load::wrk_script(&plan))?;
        for &load in &args.load {
            if measured.is_err() {
                break;
            }
            let row = match measure(args, under, &plan, load, &script, &nonce, &client).await {
                Ok(row) => row,
                Err(err) => {
                    measured = Err(err);
                    break;
                }
            };
            println!("{}", row.markdown());
            if let Some(path) = &args.results {
                report::append(path, &row)?;
            }
            peak = peak.max(row.peak_bytes);
        }
        // Whether or not the measurement went through.
        if let (Some(last), Some(target)) = (written_after, target) {
            seed::delete_comments_after(target, last).await?;
        }
        measured?;
        if name == ScenarioName::AddComment
            && let Some((_, servers)) = waypost.as_mut()
        {
            // Its answers may have read the comments just deleted behind
            // its back: the next scenario gets a fresh server.
            servers.stop()?;
        }
    }
    if let Some(peak) = peak {
        println!(
            "\nserver peak resident memory over the run: {:.0} MiB",
            peak as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}

fn warmup(args: &RunArgs) -> Duration {
    Duration::from_secs(args.warmup.unwrap_or(args.seconds.max(1) / 5 + 1))
}

/// Posts `addComment` writes to, each with an approved comment to answer,
/// asked of the server as a client would.
async fn comment_targets(
    client: &reqwest::Client,
    base: &str,
    posts: usize,
) -> anyhow::Result<Vec<CommentTarget>> {
    const QUERY: &str =
        "query($slug: String!) { post(slug: $slug) { id comments(first: 1) { nodes { id } } } }";
    let mut targets = Vec::new();
    for i in 0..posts.min(COMMENTED_POSTS) {
        let answer: Value = client
            .post(format!("{base}/graphql"))
            .json(
                &json!({ "query": QUERY, "variables": { "slug": format!("benchmark-post-{i}") } }),
            )
            .send()
            .await?
            .json()
            .await?;
        let post = &answer["data"]["post"];
        let Some(post_id) = post["id"].as_str() else {
            bail!("no benchmark-post-{i} to comment on: {answer}");
        };
        targets.push(CommentTarget {
            post_id: post_id.to_owned(),
            parent_id: post["comments"]["nodes"][0]["id"]
                .as_str()
                .map(str::to_owned),
        });
    }
    Ok(targets)
}

/// Before any load: registers an APQ's text, sends the first request once
/// to fail early and clearly, and sends every distinct request of a warm
/// APQ scenario once, so that whatever the server keeps warm is warm.
async fn prepare(
    client: &reqwest::Client,
    base: &str,
    plan: &Plan,
    concurrency: usize,
) -> anyhow::Result<()> {
    if let Some(register) = &plan.register {
        let response = client
            .post(format!("{base}/graphql"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(register.clone())
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        scenarios::describe_failure(plan, status, &body)
            .context("registering the persisted query")?;
    }
    let first = Plan {
        values: plan.values.iter().take(1).cloned().collect(),
        ..plan.clone()
    };
    smoke(client, base, &first).await?;
    if plan.register.is_some() {
        let n = plan.values.len().max(1);
        let per_client = n.div_ceil(concurrency.max(1));
        let clients = n.div_ceil(per_client.max(1));
        let mut tasks = Vec::new();
        for c in 0..clients {
            let chunk = Plan {
                values: plan
                    .values
                    .iter()
                    .skip(c * per_client)
                    .take(per_client)
                    .cloned()
                    .collect(),
                ..plan.clone()
            };
            let (client, base) = (client.clone(), base.to_owned());
            tasks.push(tokio::spawn(
                async move { smoke(&client, &base, &chunk).await },
            ));
        }
        for task in tasks {
            task.await??;
        }
    }
    Ok(())
}

/// Sends each distinct request of a plan once and checks the answers; a
/// unique request is filled in as the load fills it.
async fn smoke(client: &reqwest::Client, base: &str, plan: &Plan) -> anyhow::Result<()> {
    for (path, body) in plan.expand() {
        let url = format!("{base}{path}");
        let mut request = match (plan.method, body) {
            (scenarios::Method::Get, _) => client.get(&url),
            (scenarios::Method::Post, body) => client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.unwrap_or_default()),
        };
        if plan.unique {
            // One real comment, as the load will send them.
            let (reader, token) = (
                "0",
                format!("smoke-{}", chrono::Utc::now().timestamp_micros()),
            );
            let body = plan
                .body
                .as_deref()
                .unwrap_or_default()
                .replace(
                    scenarios::VALUE,
                    plan.values.first().map_or("", String::as_str),
                )
                .replace(scenarios::READER, reader)
                .replace(scenarios::UNIQUE, &token);
            request = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("x-forwarded-for", "172.15.0.1")
                .body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        scenarios::describe_failure(plan, status, &bytes)?;
    }
    Ok(())
}

/// One scenario under one load generator: a warm-up, then the measurement,
/// with the server's counters read on either side.
async fn measure(
    args: &RunArgs,
    under: &Under,
    plan: &Plan,
    load: LoadArg,
    script: &std::path::Path,
    nonce: &str,
    client: &reqwest::Client,
) -> anyhow::Result<Row> {
    let duration = Duration::from_secs(args.seconds.max(1));
    // `phase` keeps the warm-up's unique requests apart from the measured ones.
    let drive = async |duration: Duration, phase: &str| -> anyhow::Result<(Outcome, Option<f64>)> {
        let nonce = format!("{nonce}-{phase}");
        match load {
            LoadArg::InProcess => {
                let before = ThreadCpu::read()?.get(LOAD_THREADS);
                let outcome =
                    load::in_process(&under.base, plan, args.concurrency, duration, &nonce).await?;
                let after = ThreadCpu::read()?.get(LOAD_THREADS);
                Ok((outcome, Some(after - before)))
            }
            LoadArg::Wrk => {
                let (base, script) = (under.base.clone(), script.to_owned());
                let (threads, concurrency) = (args.wrk_threads, args.concurrency);
                // wrk is waited for on a thread of its own: the runtime's
                // workers stay free.
                let run = tokio::task::spawn_blocking(move || {
                    load::wrk(&base, &script, &nonce, threads, concurrency, duration)
                })
                .await??;
                Ok((run.outcome, Some(run.cpu_seconds)))
            }
        }
    };
    drive(warmup(args), "warm").await?;
    let statements_before = match under.external {
        false => Some(server::statements(client, &under.base).await?),
        true => None,
    };
    let server_before = under
        .pid
        .map(|pid| proc::process_cpu(pid, under.with_children))
        .transpose()?;
    let reset = under
        .pid
        .is_some_and(|pid| proc::reset_peak_memory(pid, under.with_children));
    let database_before = proc::named_cpu("postgres")?;
    let (outcome, load_cpu) = drive(duration, "run").await?;
    let database_after = proc::named_cpu("postgres")?;
    let server_after = under
        .pid
        .map(|pid| proc::process_cpu(pid, under.with_children))
        .transpose()?;
    let peak_bytes = match (under.pid, reset) {
        (Some(pid), true) => Some(proc::peak_memory(pid, under.with_children)?),
        _ => None,
    };
    let statements = match statements_before {
        Some((sum, count)) => {
            let (sum_after, count_after) = server::statements(client, &under.base).await?;
            let requests = count_after - count;
            (requests > 0.0).then(|| (sum_after - sum) / requests)
        }
        None => None,
    };
    let seconds = outcome.elapsed.as_secs_f64().max(f64::EPSILON);
    let per_request = |cpu_seconds: f64| {
        (outcome.requests > 0).then(|| 1000.0 * cpu_seconds / outcome.requests as f64)
    };
    let server_cpu_seconds = server_before
        .zip(server_after)
        .map(|(before, after)| after - before);
    let server_ms_per_request = server_cpu_seconds.and_then(per_request);
    let database_ms_per_request = (database_after > database_before)
        .then(|| per_request(database_after - database_before))
        .flatten();
    Ok(Row {
        target: under.label.clone(),
        external: under.external,
        round: args.round,
        scenario: plan.name.as_str(),
        describe: plan.name.describe(),
        load: load.as_str(),
        outcome,
        statements,
        peak_bytes,
        server_cpu: server_cpu_seconds.map(|cpu| cpu / seconds),
        load_cpu: load_cpu.map(|cpu| cpu / seconds),
        server_ms_per_request,
        database_ms_per_request,
    })
}
