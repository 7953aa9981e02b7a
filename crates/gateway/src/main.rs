//! The `waypost` binary: config, pool, migrate, seed, serve.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use waypost_domain::demo::{SeedOutcome, seed_demo};
use waypost_domain::{DbPool, mask_url};
use waypost_gateway::config::{Cli, Command, ServeArgs};
use waypost_gateway::{AppState, build_schema, router, telemetry};

// Responses are built from many short-lived strings; mimalloc serves them
// with far less contention between worker threads than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format, &cli.log_filter);
    // The migration harness needs the multi-threaded runtime.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("waypost: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, no backtrace: what failed and why.
            eprintln!("waypost: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Schema) => {
            print!("{}", build_schema().sdl());
            Ok(())
        }
        Some(Command::Migrate) => {
            let pool = connect(&cli).await?;
            let applied = pool.run_migrations().await?;
            tracing::info!(applied, "migrations applied");
            Ok(())
        }
        Some(Command::Seed) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            match seed_demo(&pool).await? {
                SeedOutcome::Seeded(counts) => {
                    tracing::info!(
                        posts = counts.posts,
                        authors = counts.authors,
                        tags = counts.tags,
                        "demo content loaded"
                    );
                    Ok(())
                }
                SeedOutcome::AlreadyHasContent => {
                    anyhow::bail!(
                        "the database already has posts; refusing to load the demo content twice"
                    )
                }
            }
        }
        Some(Command::Serve(ref args)) => serve(&cli, args).await,
        None => serve(&cli, &cli.serve).await,
    }
}

async fn connect(cli: &Cli) -> anyhow::Result<DbPool> {
    let config = cli.database.db_config();
    Ok(DbPool::connect(&config).await?)
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let pool = connect(cli).await?;
    let applied = pool.run_migrations().await?;
    tracing::info!(database = %mask_url(&cli.database.database_url), applied, "database ready");
    if args.seed_demo
        && let SeedOutcome::Seeded(counts) = seed_demo(&pool).await?
    {
        tracing::info!(posts = counts.posts, "empty database: demo content loaded");
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(
        "Waypost is serving GraphiQL at http://{address}/ and the API at http://{address}/graphql"
    );
    axum::serve(listener, router(AppState::new(pool)))
        .with_graceful_shutdown(waypost_gateway::http::shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}
