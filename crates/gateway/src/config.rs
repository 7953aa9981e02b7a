//! Typed settings from flags and `WAYPOST_*` environment variables, read once in `main`.

use std::net::SocketAddr;
use std::time::Duration;

use crate::http::connections::defaults;

use clap::{Args, Parser, Subcommand, ValueEnum};
use waypost_db::DbConfig;

use crate::telemetry::LogFormat;

/// Where `--help` lists the options every subcommand takes, after the
/// subcommand's own.
const GLOBAL_OPTIONS: &str = "Global options";

#[derive(Debug, Parser)]
#[command(
    name = "waypost",
    version = crate::VERSION,
    about = "Waypost: a GraphQL content service for posts, comments and career guides.",
    long_about = "Waypost serves a publication over GraphQL. Without a subcommand it runs the \
                  server (`serve`). SQLite is the default store; point DATABASE_URL at \
                  PostgreSQL for production.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten, next_help_heading = GLOBAL_OPTIONS)]
    pub database: DatabaseArgs,

    #[arg(long, env = "WAYPOST_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true, help_heading = GLOBAL_OPTIONS)]
    /// Log lines as human-readable text or as JSON (to stderr).
    pub log_format: LogFormat,

    /// Which log lines to keep, in `tracing` directive syntax (e.g. `debug`,
    /// `info,waypost_db=debug`).
    #[arg(long, env = "RUST_LOG", default_value = crate::telemetry::DEFAULT_DIRECTIVES, global = true, help_heading = GLOBAL_OPTIONS)]
    pub log_filter: String,

    /// `development` (the default) makes trying Waypost easy: a SQLite file
    /// when no database is named, demo content, GraphiQL, any origin.
    /// `production` asks for an explicit DATABASE_URL and turns demo
    /// content, GraphiQL and introspection off unless asked for.
    #[arg(long, env = "WAYPOST_MODE", value_enum, default_value_t = Mode::Development, global = true, help_heading = GLOBAL_OPTIONS)]
    pub mode: Mode,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

// Parsed once at start, so the size of `Serve` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the GraphQL server (the default): migrate, seed demo content into an
    /// empty database, then serve GraphiQL at / and the API at /graphql.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit; `migrate status` lists
    /// what is applied, pending, and unknown to this build.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateCommand>,
    },
    /// Load the demo content; refuses when the database already has posts.
    Seed,
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Rebuild the similar-posts index of every published post.
    Reindex,
    /// Import another publication's archive.
    Import {
        #[command(subcommand)]
        source: ImportCommand,
    },
    /// Manage accounts: create, list, disable, enable, change roles.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Register the operations a server in trusted mode runs
    /// (`--trusted-only`), in the database every instance reads.
    Operations {
        #[command(subcommand)]
        action: OperationsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperationsCommand {
    /// Register `.graphql` files, each one document named by the SHA-256 of
    /// its exact text (as clients hash it). Every file is checked against
    /// the schema first; if one fails, none is registered. Prints each
    /// hash and file.
    Add {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
    },
    /// List the registered documents: hash, when registered, and the
    /// operations each holds.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a WordPress export (the WXR file Tools → Export writes):
    /// authors, categories and tags (as tags), posts and their comments.
    /// Pages, attachments and other post types are counted and skipped.
    /// The whole file is checked before anything is written; importing
    /// the same site's export again adds only what is new.
    Wordpress {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// List the migrations applied, pending, and unknown to this build.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password comes from WAYPOST_PASSWORD or, in a
    /// terminal, from a prompt; it is never a flag (flags show in `ps`).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
        /// Name shown for the account; defaults to the part of the email before `@`.
        #[arg(long)]
        name: Option<String>,
        /// Slug of the author profile this account writes as.
        #[arg(long)]
        author: Option<String>,
    },
    /// List every account.
    List,
    /// Stop an account from signing in; its sessions stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Let a disabled account sign in again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Change an account's role.
    Role {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Author,
    Editor,
    Admin,
}

impl From<RoleArg> for waypost_domain::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Author => waypost_domain::Role::Author,
            RoleArg::Editor => waypost_domain::Role::Editor,
            RoleArg::Admin => waypost_domain::Role::Admin,
        }
    }
}

/// The database a development run uses when none is named.
const DEVELOPMENT_DATABASE: &str = "sqlite://waypost.db";

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database to use: postgres://user@host:port/name (libpq's `sslmode`
    /// and `sslrootcert` parameters set TLS) or sqlite://path. Development
    /// mode defaults to sqlite://waypost.db; production requires it.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// A file holding the database URL, so that its password stays out of
    /// the environment and `ps` (a mounted secret, say).
    #[arg(
        long,
        env = "DATABASE_URL_FILE",
        global = true,
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<std::path::PathBuf>,

    /// A PostgreSQL replica of the database (a hot standby), same URL form
    /// as DATABASE_URL: anonymous queries read from it, and from the
    /// primary whenever it cannot serve them. Writes, signed-in requests
    /// and a client's reads just after it wrote go to the primary.
    #[arg(long, env = "DATABASE_REPLICA_URL", global = true)]
    pub database_replica_url: Option<String>,

    /// A file holding the replica's URL, as DATABASE_URL_FILE does the
    /// database's.
    #[arg(
        long,
        env = "DATABASE_REPLICA_URL_FILE",
        global = true,
        conflicts_with = "database_replica_url"
    )]
    pub database_replica_url_file: Option<std::path::PathBuf>,

    /// Most connections the pool opens (each instance also keeps one for
    /// live comments and one for readiness, on PostgreSQL).
    #[arg(
        long,
        env = "WAYPOST_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=10_000)
    )]
    pub db_max_connections: u32,

    /// Milliseconds a request waits for a database connection before failing
    /// with SERVICE_UNAVAILABLE.
    #[arg(
        long,
        env = "WAYPOST_DB_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true,
        value_parser = clap::value_parser!(u64).range(1..=600_000)
    )]
    pub db_timeout_ms: u64,
}

impl DatabaseArgs {
    /// The database to use: named by flag, variable or file; in
    /// development, a SQLite file when none is named.
    pub fn db_config(&self, mode: Mode) -> anyhow::Result<DbConfig> {
        let url = match (&self.database_url, &self.database_url_file) {
            (Some(url), _) => url.clone(),
            (None, Some(path)) => read_url_file("DATABASE_URL_FILE", path)?,
            (None, None) if mode == Mode::Development => DEVELOPMENT_DATABASE.to_owned(),
            (None, None) => anyhow::bail!(
                "production mode needs a database: set DATABASE_URL (or DATABASE_URL_FILE) to postgres://… or sqlite://…"
            ),
        };
        anyhow::ensure!(
            !url.is_empty(),
            "DATABASE_URL is empty; name a database (postgres://… or sqlite://…)"
        );
        let replica_url = match (&self.database_replica_url, &self.database_replica_url_file) {
            (Some(url), _) => Some(url.trim().to_owned()),
            (None, Some(path)) => Some(read_url_file("DATABASE_REPLICA_URL_FILE", path)?),
            (None, None) => None,
        }
        // An empty variable, as templates leave one, means no replica.
        .filter(|url| !url.is_empty());
        Ok(DbConfig {
            url,
            max_connections: usize::try_from(self.db_max_connections).unwrap_or(usize::MAX),
            acquire_timeout: Duration::from_millis(self.db_timeout_ms),
            create_database: true,
            statement_timeout: None,
            replica_url,
        })
    }
}

/// The URL a `*_FILE` setting's file holds, without surrounding space.
fn read_url_file(setting: &str, path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("{setting} {}: cannot read it", path.display()))?
        .trim()
        .to_owned())
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WAYPOST_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Serve `/metrics` on this address only, apart from the API (say, a
    /// port only the scraper can reach); by default it is served beside it.
    #[arg(long, env = "WAYPOST_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Days a session token stays valid after sign-in.
    #[arg(long, env = "WAYPOST_SESSION_TTL_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_ttl_days: u32,

    /// A comment with this many links or more waits for moderation.
    #[arg(long, env = "WAYPOST_COMMENT_MAX_LINKS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub comment_max_links: u32,

    /// How deep replies nest; deeper ones attach to the deepest level.
    #[arg(long, env = "WAYPOST_COMMENT_MAX_DEPTH", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub comment_max_depth: u32,

    /// Close comments this many days after a post is published (0: never).
    #[arg(long, env = "WAYPOST_COMMENT_CLOSE_AFTER_DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub comment_close_after_days: u32,

    /// Comments a minute from one email or one address before RATE_LIMITED.
    #[arg(long, env = "WAYPOST_COMMENT_FLOOD_LIMIT", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub comment_flood_limit: u32,

    /// Load the demo content when the database has no posts (default: in
    /// development only).
    #[arg(long, env = "WAYPOST_SEED_DEMO", action = clap::ArgAction::Set)]
    pub seed_demo: Option<bool>,

    /// Origins (comma-separated, e.g. `https://blog.example`) whose pages
    /// may call the API, sending credentials; in development any origin may
    /// call it without credentials when none is listed.
    #[arg(long, env = "WAYPOST_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// The address of a post's page on the public site, with `{slug}`
    /// where its slug goes (e.g. `https://blog.example/posts/{slug}`): the
    /// API gives it out as `Post.canonicalUrl`. Unset, that is `null`.
    #[arg(long, env = "WAYPOST_POST_URL", value_parser = post_url)]
    pub post_url: Option<String>,

    /// The public site's address (e.g. `https://blog.example`): the Atom
    /// feeds and the sitemap give absolute addresses under it, and a post's
    /// page is `{public}/posts/{slug}` unless WAYPOST_POST_URL says
    /// otherwise. Unset: in development, the feeds and the sitemap use this
    /// server's own address (and `Post.canonicalUrl` stays `null`); in
    /// production, they answer 404 (never guessed from a request's Host
    /// header, which a client chooses).
    #[arg(long, env = "WAYPOST_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// Request headers (comma-separated) those pages may send besides
    /// GraphQL's own (Content-Type, Authorization, Accept, X-Request-Id).
    /// Default: the tracing and Apollo Client headers browsers send,
    /// traceparent, tracestate, baggage, sentry-trace,
    /// apollographql-client-name, apollographql-client-version and
    /// apollo-require-preflight.
    #[arg(
        long,
        env = "WAYPOST_CORS_ALLOW_HEADERS",
        value_delimiter = ',',
        default_values_t = crate::http::CLIENT_HEADERS.map(|h| axum::http::HeaderName::from_static(h))
    )]
    pub cors_allow_headers: Vec<axum::http::HeaderName>,

    /// Reverse proxies (addresses or networks, comma-separated, e.g.
    /// `10.0.0.0/8`) whose `X-Forwarded-For` names the client; flood control
    /// and rate limits count per client address. None by default: the
    /// header is then ignored, so clients cannot choose their address.
    #[arg(long, env = "WAYPOST_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::client_address::ProxyRange>,

    /// Serve without migrating first, for deploys that migrate in a step of
    /// their own (`waypost migrate`); readiness stays 503 until the
    /// database is current.
    #[arg(long, env = "WAYPOST_NO_MIGRATE")]
    pub no_migrate: bool,

    /// Seconds requests in flight may take to finish once asked to stop.
    #[arg(long, env = "WAYPOST_SHUTDOWN_GRACE_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub shutdown_grace_seconds: u64,

    /// Seconds the server keeps serving after SIGTERM with `/readyz`
    /// answering 503, so that load balancers stop sending before it closes
    /// its listener (default: 5 in production, 0 in development).
    #[arg(long, env = "WAYPOST_DRAIN_SECONDS", value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub drain_seconds: Option<u64>,

    /// Milliseconds after a client's mutation during which its reads go to
    /// the primary rather than the replica, so that it sees what it wrote
    /// while the replica catches up: set it above the replica's usual lag.
    /// Clients are told apart by address, in each instance's memory.
    #[arg(long, env = "WAYPOST_REPLICA_WRITER_WINDOW_MS", default_value_t = crate::http::WRITER_WINDOW_MS, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub replica_writer_window_ms: u64,

    /// Seconds a shared cache (a CDN, a browser) may keep an anonymous GET
    /// answer before asking again; 0 makes it revalidate every time, which
    /// costs a 304 when nothing changed.
    #[arg(long, env = "WAYPOST_CACHE_MAX_AGE_SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=31_536_000))]
    pub cache_max_age_seconds: u32,

    /// Seconds past that a cache may serve the old answer while it fetches
    /// the new one.
    #[arg(long, env = "WAYPOST_CACHE_STALE_SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=31_536_000))]
    pub cache_stale_seconds: u32,

    /// Bytes of memory for anonymous query answers kept by this instance
    /// and dropped exactly when a write changes what they read (default 64
    /// MiB); 0 turns the answer cache off.
    #[arg(long, env = "WAYPOST_ANSWER_CACHE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub answer_cache_bytes: usize,

    /// Trusted mode with these documents: the `.graphql` files directly in
    /// this directory, each one document named by the SHA-256 of its exact
    /// text, checked against the schema at start (a bad file stops the
    /// start). Only these and the documents `waypost operations add`
    /// registered run; anything else is refused with OPERATION_NOT_TRUSTED.
    #[arg(long, env = "WAYPOST_TRUSTED_DOCUMENTS", value_name = "DIR")]
    pub trusted_documents: Option<std::path::PathBuf>,

    /// Trusted mode: run only the operations `waypost operations add`
    /// registered (and those of --trusted-documents, which implies it).
    #[arg(long, env = "WAYPOST_TRUSTED_ONLY")]
    pub trusted_only: bool,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// Limits below the GraphQL layer; see `ConnectionLimits` for each.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Seconds a connection may take to send a request's headers, from
    /// when it opened or answered its last request (so also how long an
    /// idle keep-alive connection stays open).
    #[arg(long, env = "WAYPOST_HEADER_TIMEOUT_SECONDS", default_value_t = defaults::HEADER_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub header_timeout_seconds: u64,
    /// Open connections one client address may hold.
    #[arg(long, env = "WAYPOST_MAX_CONNECTIONS_PER_CLIENT", default_value_t = defaults::CONNECTIONS_PER_CLIENT, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
    /// Open connections in all; keep it below the process's open-file limit.
    #[arg(long, env = "WAYPOST_MAX_CONNECTIONS", default_value_t = defaults::CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Open WebSockets one client address may hold.
    #[arg(long, env = "WAYPOST_MAX_WEBSOCKETS_PER_CLIENT", default_value_t = defaults::WEBSOCKETS_PER_CLIENT, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_websockets_per_client: u32,
    /// Open WebSockets in all.
    #[arg(long, env = "WAYPOST_MAX_WEBSOCKETS", default_value_t = defaults::WEBSOCKETS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_websockets: u32,
    /// Milliseconds a WebSocket may take to send `connection_init` (closed
    /// with 4408 after).
    #[arg(long, env = "WAYPOST_WEBSOCKET_INIT_TIMEOUT_MS", default_value_t = defaults::WEBSOCKET_INIT_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub websocket_init_timeout_ms: u64,
    /// Seconds between pings of an open WebSocket; a peer silent from one
    /// ping to the next is closed.
    #[arg(long, env = "WAYPOST_WEBSOCKET_PING_SECONDS", default_value_t = defaults::WEBSOCKET_PING_SECONDS, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub websocket_ping_seconds: u64,
    /// Largest message a WebSocket client may send, in bytes.
    #[arg(long, env = "WAYPOST_WEBSOCKET_MAX_MESSAGE_BYTES", default_value_t = defaults::WEBSOCKET_MAX_MESSAGE_BYTES, value_parser = clap::value_parser!(u32).range(1024..))]
    pub websocket_max_message_bytes: u32,
}

impl ConnectionArgs {
    pub fn limits(&self) -> crate::ConnectionLimits {
        crate::ConnectionLimits::from_units(
            self.header_timeout_seconds,
            self.max_connections_per_client,
            self.max_connections,
            self.max_websockets_per_client,
            self.max_websockets,
            self.websocket_init_timeout_ms,
            self.websocket_ping_seconds,
            self.websocket_max_message_bytes,
        )
    }
}

/// Request limits; see `limits::Limits` for what each bounds.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "WAYPOST_MAX_DEPTH", default_value_t = crate::limits::DEFAULT_MAX_DEPTH, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_depth: u32,
    /// Highest cost a query may have (lists count their page size).
    #[arg(long, env = "WAYPOST_MAX_COMPLEXITY", default_value_t = crate::limits::DEFAULT_MAX_COMPLEXITY, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_complexity: u32,
    /// Most field selections a query may write.
    #[arg(long, env = "WAYPOST_MAX_FIELDS", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_fields: u32,
    /// Most aliased fields a query may write.
    #[arg(long, env = "WAYPOST_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: u32,
    /// Longest query text, in bytes.
    #[arg(long, env = "WAYPOST_MAX_QUERY_BYTES", default_value_t = 32 * 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_query_bytes: u32,
    /// Deepest nesting of lists and objects in variables.
    #[arg(long, env = "WAYPOST_MAX_VARIABLES_DEPTH", default_value_t = 10)]
    pub max_variables_depth: u32,
    /// Most operations in one batched POST.
    #[arg(long, env = "WAYPOST_MAX_BATCH", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_batch: u32,
    /// Largest request body, in bytes.
    #[arg(long, env = "WAYPOST_MAX_BODY_BYTES", default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_body_bytes: u32,
    /// Milliseconds a request may run before it is stopped.
    #[arg(long, env = "WAYPOST_REQUEST_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,
    /// Answer introspection and serve GraphiQL (default: in development
    /// only; production hides the schema unless asked).
    #[arg(long, env = "WAYPOST_INTROSPECTION", action = clap::ArgAction::Set)]
    pub introspection: Option<bool>,
    /// Requests a minute per client (signed-in user, else address) on
    /// average; 0 turns rate limiting off.
    #[arg(long, env = "WAYPOST_RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    pub rate_per_minute: u32,
    /// Requests a client may send at once before the average applies.
    #[arg(long, env = "WAYPOST_RATE_LIMIT_BURST", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_burst: u32,
}

impl LimitArgs {
    /// The limits; in development, clients on this machine are not rate
    /// limited.
    pub fn limits(&self, mode: Mode) -> crate::limits::Limits {
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        crate::limits::Limits {
            max_depth: size(self.max_depth),
            max_complexity: size(self.max_complexity),
            max_fields: size(self.max_fields),
            max_aliases: size(self.max_aliases),
            max_query_bytes: size(self.max_query_bytes),
            max_variables_depth: size(self.max_variables_depth),
            max_batch: size(self.max_batch),
            max_body_bytes: size(self.max_body_bytes),
            timeout: std::time::Duration::from_millis(self.request_timeout_ms),
            introspection: self.introspection.unwrap_or(mode == Mode::Development),
            rate_per_minute: self.rate_per_minute,
            rate_burst: self.rate_burst,
            rate_exempts_loopback: mode == Mode::Development,
        }
    }
}

/// An http(s) address with `{slug}` in it.
fn post_url(raw: &str) -> Result<String, String> {
    if !raw.contains("{slug}") {
        Err("put {slug} where the post's slug goes".to_owned())
    } else if !waypost_domain::is_web_address(&raw.replace("{slug}", "a-post")) {
        Err("give an http or https address".to_owned())
    } else {
        Ok(raw.to_owned())
    }
}

/// An absolute http(s) address with no query, fragment or credentials,
/// without its trailing slash (paths are appended to it).
fn public_url(raw: &str) -> Result<String, String> {
    let wrong = || "give an absolute http or https address, e.g. https://blog.example".to_owned();
    if !waypost_domain::is_web_address(raw) {
        return Err(wrong());
    }
    let url = url::Url::parse(raw).map_err(|_| wrong())?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("give the address without a query (?…) or fragment (#…)".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("give the address without a user name or password".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl ServeArgs {
    /// Where the public site shows what the API serves. Without a public
    /// address, development points feeds and the sitemap at this server's
    /// own (`listening`), so that they work out of the box; production has
    /// none.
    pub fn site(&self, mode: Mode, listening: SocketAddr) -> crate::schema::Site {
        let own_url = (self.public_url.is_none() && mode == Mode::Development).then(|| {
            let mut own = listening;
            if own.ip().is_unspecified() {
                own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{own}")
        });
        crate::schema::Site {
            post_url: self.post_url.as_deref().map(std::sync::Arc::from),
            public_url: self.public_url.as_deref().map(std::sync::Arc::from),
            own_url: own_url.as_deref().map(std::sync::Arc::from),
        }
    }

    pub fn comment_settings(&self) -> waypost_domain::comment::CommentSettings {
        waypost_domain::comment::CommentSettings {
            max_links: usize::try_from(self.comment_max_links).unwrap_or(usize::MAX),
            max_depth: i32::try_from(self.comment_max_depth).unwrap_or(i32::MAX),
            close_after: (self.comment_close_after_days > 0)
                .then(|| chrono::Duration::days(i64::from(self.comment_close_after_days))),
            flood_limit: i64::from(self.comment_flood_limit),
            ..Default::default()
        }
    }

    pub fn auth_settings(&self) -> waypost_domain::account::AuthSettings {
        waypost_domain::account::AuthSettings {
            session_ttl: chrono::Duration::days(i64::from(self.session_ttl_days)),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

/// Which operations a server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operations {
    /// Any operation (automatic persisted queries register what clients send).
    Any,
    /// Trusted mode: only the documents registered in the database, and
    /// those of `directory` when one is named.
    Trusted {
        directory: Option<std::path::PathBuf>,
    },
}

impl ServeArgs {
    /// Which operations to run: naming a directory of trusted documents
    /// asks for trusted mode, as `--trusted-only` does.
    pub fn operations(&self) -> Operations {
        match (&self.trusted_documents, self.trusted_only) {
            (None, false) => Operations::Any,
            (directory, _) => Operations::Trusted {
                directory: directory.clone(),
            },
        }
    }

    /// Whether to load the demo content into an empty database.
    pub fn seed_demo(&self, mode: Mode) -> bool {
        self.seed_demo.unwrap_or(mode == Mode::Development)
    }

    pub fn stop_times(&self, mode: Mode) -> crate::server::StopTimes {
        let default_drain = match mode {
            Mode::Development => 0,
            Mode::Production => 5,
        };
        crate::server::StopTimes {
            drain: Duration::from_secs(self.drain_seconds.unwrap_or(default_drain)),
            grace: Duration::from_secs(self.shutdown_grace_seconds),
        }
    }

    /// Who may call the API from a web page on another origin.
    pub fn cors(&self, mode: Mode) -> crate::http::Cors {
        let listed: Vec<String> = self
            .cors_origins
            .iter()
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        match (listed.is_empty(), mode) {
            (false, _) => crate::http::Cors::Origins(listed),
            (true, Mode::Development) => crate::http::Cors::Any,
            (true, Mode::Production) => crate::http::Cors::SameOrigin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_settings_come_from_flags() {
        let cli = Cli::try_parse_from([
            "waypost",
            "--comment-close-after-days",
            "7",
            "--comment-max-links",
            "2",
        ])
        .unwrap();
        let settings = cli.serve.comment_settings();
        assert_eq!(settings.close_after, Some(chrono::Duration::days(7)));
        assert_eq!(settings.max_links, 2);
        let defaults = Cli::try_parse_from(["waypost"])
            .unwrap()
            .serve
            .comment_settings();
        assert_eq!(
            defaults.close_after, None,
            "comments never close by default"
        );
        assert_eq!(
            (defaults.max_links, defaults.max_depth, defaults.flood_limit),
            (3, 5, 5)
        );
        assert!(Cli::try_parse_from(["waypost", "--comment-max-depth", "0"]).is_err());
    }

    #[test]
    fn limit_defaults_match_the_library_defaults() {
        let limits = Cli::try_parse_from(["waypost"])
            .unwrap()
            .serve
            .limits
            .limits(Mode::Development);
        let expected = crate::limits::Limits::default();
        assert_eq!(format!("{limits:?}"), format!("{expected:?}"));
        let off = Cli::try_parse_from(["waypost", "--introspection", "false", "--max-depth", "9"])
            .unwrap()
            .serve
            .limits
            .limits(Mode::Development);
        assert!(!off.introspection);
        assert_eq!(off.max_depth, 9);
        let production = Cli::try_parse_from(["waypost"])
            .unwrap()
            .serve
            .limits
            .limits(Mode::Production);
        assert!(!production.introspection, "production hides the schema");
        assert!(!production.rate_exempts_loopback);
        let asked = Cli::try_parse_from(["waypost", "--introspection", "true"])
            .unwrap()
            .serve
            .limits
            .limits(Mode::Production);
        assert!(asked.introspection);
    }

    #[test]
    fn production_asks_for_what_development_assumes() {
        let cli = Cli::try_parse_from(["waypost", "--mode", "production"]).unwrap();
        assert_eq!(cli.mode, Mode::Production);
        let err = cli.database.db_config(cli.mode).unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
        assert!(!cli.serve.seed_demo(cli.mode));
        assert_eq!(cli.serve.stop_times(cli.mode).drain, Duration::from_secs(5));
        let dev = Cli::try_parse_from(["waypost"]).unwrap();
        assert_eq!(
            dev.database.db_config(dev.mode).unwrap().url,
            DEVELOPMENT_DATABASE
        );
        assert!(dev.serve.seed_demo(dev.mode));
        assert!(dev.serve.stop_times(dev.mode).drain.is_zero());
        let seeded =
            Cli::try_parse_from(["waypost", "--mode", "production", "--seed-demo", "true"])
                .unwrap();
        assert!(seeded.serve.seed_demo(seeded.mode));
    }

    #[test]
    fn the_public_url_is_checked_and_defaults_by_mode() {
        let listening: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let site = |args: &[&str], mode: Mode| {
            Cli::try_parse_from(std::iter::once("waypost").chain(args.iter().copied()))
                .map(|cli| {
                    cli.serve
                        .site(mode, listening)
                        .feed_base()
                        .map(str::to_owned)
                })
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            site(&["--public-url", "https://blog.example/"], Mode::Production)
                .unwrap()
                .as_deref(),
            Some("https://blog.example")
        );
        assert_eq!(
            site(
                &["--public-url", "https://example.com/blog/"],
                Mode::Production
            )
            .unwrap()
            .as_deref(),
            Some("https://example.com/blog")
        );
        assert_eq!(
            site(&[], Mode::Development).unwrap().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(site(&[], Mode::Production).unwrap(), None);
        for bad in [
            "blog.example",
            "/feed",
            "ftp://blog.example",
            "https://blog.example/?a=1",
            "https://blog.example/#top",
            "https://me:secret@blog.example",
        ] {
            assert!(
                site(&["--public-url", bad], Mode::Production).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_canonical_url_comes_only_from_what_was_configured() {
        let listening: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let canonical = |args: &[&str]| {
            let cli = Cli::try_parse_from(std::iter::once("waypost").chain(args.iter().copied()))
                .unwrap();
            cli.serve
                .site(Mode::Development, listening)
                .canonical_url("a-post")
        };
        // Development's own address is for trying the feeds, not a page.
        assert_eq!(canonical(&[]), None);
        assert_eq!(
            canonical(&["--public-url", "https://blog.example"]).as_deref(),
            Some("https://blog.example/posts/a-post")
        );
        assert_eq!(
            canonical(&["--post-url", "https://blog.example/p/{slug}"]).as_deref(),
            Some("https://blog.example/p/a-post")
        );
    }

    #[test]
    fn a_directory_of_trusted_documents_asks_for_trusted_mode() {
        let operations = |args: &[&str]| {
            let cli = Cli::try_parse_from(std::iter::once("waypost").chain(args.iter().copied()))
                .unwrap();
            match cli.command {
                Some(Command::Serve(serve)) => serve.operations(),
                _ => cli.serve.operations(),
            }
        };
        assert_eq!(operations(&[]), Operations::Any, "off by default");
        assert_eq!(
            operations(&["--trusted-only"]),
            Operations::Trusted { directory: None }
        );
        let named = Operations::Trusted {
            directory: Some("/etc/waypost/operations".into()),
        };
        assert_eq!(
            operations(&["--trusted-documents", "/etc/waypost/operations"]),
            named
        );
        assert_eq!(
            operations(&["serve", "--trusted-documents", "/etc/waypost/operations"]),
            named
        );
        let cli = Cli::try_parse_from(["waypost", "operations", "add", "a.graphql", "b.graphql"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Operations {
                action: OperationsCommand::Add { ref files }
            }) if files.len() == 2
        ));
        assert!(Cli::try_parse_from(["waypost", "operations", "add"]).is_err());
    }

    #[test]
    fn the_database_url_may_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        std::fs::write(&path, "postgres://u:secret@db/app\n").unwrap();
        let cli = Cli::try_parse_from([
            "waypost",
            "--mode",
            "production",
            "--database-url-file",
            path.to_str().unwrap(),
        ])
        .unwrap();
        assert_eq!(
            cli.database.db_config(cli.mode).unwrap().url,
            "postgres://u:secret@db/app"
        );
        assert!(Cli::try_parse_from(["waypost", "--db-max-connections", "0"]).is_err());
    }

    #[test]
    fn a_replica_is_optional_and_may_come_from_a_file() {
        let none = Cli::try_parse_from(["waypost"]).unwrap();
        assert_eq!(
            none.database.db_config(none.mode).unwrap().replica_url,
            None
        );
        let named = Cli::try_parse_from([
            "waypost",
            "--database-url",
            "postgres://db/app",
            "--database-replica-url",
            "postgres://standby/app",
        ])
        .unwrap();
        assert_eq!(
            named.database.db_config(named.mode).unwrap().replica_url,
            Some("postgres://standby/app".to_owned())
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica");
        std::fs::write(&path, "postgres://u:secret@standby/app\n").unwrap();
        let filed = Cli::try_parse_from([
            "waypost",
            "--database-replica-url-file",
            path.to_str().unwrap(),
        ])
        .unwrap();
        assert_eq!(
            filed.database.db_config(filed.mode).unwrap().replica_url,
            Some("postgres://u:secret@standby/app".to_owned())
        );
        let empty = Cli::try_parse_from(["waypost", "--database-replica-url", ""]).unwrap();
        assert_eq!(
            empty.database.db_config(empty.mode).unwrap().replica_url,
            None
        );
        assert!(
            Cli::try_parse_from([
                "waypost",
                "--database-replica-url",
                "postgres://standby/app",
                "--database-replica-url-file",
                path.to_str().unwrap(),
            ])
            .is_err()
        );
        assert_eq!(
            Cli::try_parse_from(["waypost"])
                .unwrap()
                .serve
                .replica_writer_window_ms,
            crate::http::WRITER_WINDOW_MS
        );
    }
}
