//! Typed settings from flags and `WAYPOST_*` environment variables, read once in `main`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use waypost_db::DbConfig;

#[derive(Debug, Parser)]
#[command(
    name = "waypost",
    version,
    about = "Waypost: a GraphQL content service for posts, comments and career guides.",
    long_about = "Waypost serves a publication over GraphQL. Without a subcommand it runs the \
                  server (`serve`). SQLite is the default store; point DATABASE_URL at \
                  PostgreSQL for production.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[arg(long, env = "WAYPOST_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    /// Log lines as human-readable text or as JSON (to stderr).
    pub log_format: LogFormat,

    /// Which log lines to keep, in `tracing` directive syntax (e.g. `debug`,
    /// `info,waypost_db=debug`).
    #[arg(long, env = "RUST_LOG", default_value = crate::telemetry::DEFAULT_DIRECTIVES, global = true)]
    pub log_filter: String,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the GraphQL server (the default): migrate, seed demo content into an
    /// empty database, then serve GraphiQL at / and the API at /graphql.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo content; refuses when the database already has posts.
    Seed,
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database to use: postgres://user@host:port/name or sqlite://path.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://waypost.db",
        global = true
    )]
    pub database_url: String,

    /// Most connections the pool opens.
    #[arg(
        long,
        env = "WAYPOST_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: usize,

    /// Milliseconds a request waits for a database connection before failing
    /// with SERVICE_UNAVAILABLE.
    #[arg(
        long,
        env = "WAYPOST_DB_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub db_timeout_ms: u64,
}

impl DatabaseArgs {
    pub fn db_config(&self) -> DbConfig {
        DbConfig {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections.max(1),
            acquire_timeout: Duration::from_millis(self.db_timeout_ms.max(1)),
            create_database: true,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WAYPOST_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Load the demo content when the database has no posts.
    #[arg(long, env = "WAYPOST_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
