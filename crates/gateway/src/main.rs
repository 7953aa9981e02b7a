//! The `waypost` binary: config, pool, migrate, seed, serve.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::Parser;
use waypost_db::DbConfig;
use waypost_domain::User;
use waypost_domain::account::{self, EmailAddress, NewPassword, NewUser, UserChanges};
use waypost_domain::demo::{SeedOutcome, seed_demo};
use waypost_domain::freshness::Key;
use waypost_domain::search::dictionary;
use waypost_domain::{DbPool, mask_url};
use waypost_gateway::TrustedProxies;
use waypost_gateway::config::{
    Cli, Command, ImportCommand, MigrateCommand, Mode, Operations, OperationsCommand, ServeArgs,
    UserCommand,
};
use waypost_gateway::trusted::{TrustedDocuments, operation_names, register_files};
use waypost_gateway::{AppState, build_schema, telemetry, tell_instances};

// Responses are built from many short-lived strings; mimalloc serves them
// with far less contention between worker threads than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return refuse_arguments(&err),
    };
    let _telemetry = telemetry::init(cli.log_format, &cli.log_filter);
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

/// Prints clap's refusal and, when the refused value came from an
/// environment variable, names it: an operator who never typed the flag
/// looks for the variable they set.
fn refuse_arguments(err: &clap::Error) -> ExitCode {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    let _ = err.print();
    if let Some(ContextValue::String(refused)) = err.get(ContextKind::InvalidArg) {
        let flag = refused.split_whitespace().next().unwrap_or_default();
        let command = Cli::command();
        let from_env = std::iter::once(&command)
            .chain(command.get_subcommands())
            .flat_map(|c| c.get_arguments())
            .filter(|arg| {
                arg.get_long()
                    .is_some_and(|long| flag == format!("--{long}"))
            })
            .filter_map(|arg| arg.get_env())
            .find(|name| std::env::var_os(name).is_some());
        if let Some(name) = from_env {
            eprintln!(
                "note: the value comes from the environment variable {}",
                name.to_string_lossy()
            );
        }
    }
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Schema) => {
            print!("{}", build_schema().sdl());
            Ok(())
        }
        Some(Command::Migrate { action: None }) => {
            let pool = connect(&cli).await?;
            let applied = migrate(&pool).await?;
            tracing::info!(applied, "migrations applied");
            if let Some(posts) = waypost_domain::similar::reindex_if_outdated(&pool).await? {
                tracing::info!(posts, "similar-posts index rebuilt in its current form");
            }
            if let Some(documents) = dictionary::learn_all_if_outdated(&pool).await? {
                tracing::info!(documents, "search dictionary rebuilt in its current form");
            }
            Ok(())
        }
        Some(Command::Migrate {
            action: Some(MigrateCommand::Status),
        }) => {
            let status = connect(&cli).await?.migration_status().await?;
            for (state, versions) in [
                ("applied", &status.applied),
                ("pending", &status.pending),
                ("unknown", &status.unknown),
            ] {
                for version in versions {
                    println!("{state}\t{version}");
                }
            }
            anyhow::ensure!(
                status.unknown.is_empty(),
                "the database has {} migrations this build does not know; run a newer Waypost",
                status.unknown.len()
            );
            Ok(())
        }
        Some(Command::Seed) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            match seed_demo(&pool).await? {
                SeedOutcome::Seeded(counts) => {
                    tell_instances(&pool, &[Key::Posts, Key::Tags, Key::Authors, Key::Career])
                        .await?;
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
        Some(Command::Reindex) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            let posts = waypost_domain::similar::reindex_all(&pool).await?;
            // Similar posts are listings.
            tell_instances(&pool, &[Key::Posts]).await?;
            tracing::info!(posts, "similar posts reindexed");
            let documents = dictionary::learn_all(&pool).await?;
            tracing::info!(documents, "search dictionary rebuilt");
            Ok(())
        }
        Some(Command::Import {
            source: ImportCommand::Wordpress { ref file },
        }) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            import_wordpress(&pool, file, cli.serve.comment_settings().max_depth).await
        }
        Some(Command::User { ref action }) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            user_command(&pool, action).await
        }
        Some(Command::Operations { ref action }) => {
            let pool = connect(&cli).await?;
            pool.run_migrations().await?;
            operations_command(&pool, action).await
        }
        Some(Command::Serve(ref args)) => serve(&cli, args).await,
        None => serve(&cli, &cli.serve).await,
    }
}

/// Imports a WordPress export, with a progress bar on a terminal, and
/// prints what it did.
async fn import_wordpress(pool: &DbPool, file: &Path, max_depth: i32) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use waypost_domain::import::wordpress::{ImportSettings, Phase, import};
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    // Drawn only when stderr is a terminal.
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style);
    }
    let mut shown = None;
    let mut progress = |phase: Phase, bytes: u64| {
        if shown != Some(phase) {
            shown = Some(phase);
            bar.reset();
            bar.set_message(match phase {
                Phase::Checking => "checking",
                Phase::Importing => "importing",
            });
        }
        bar.set_position(bytes);
    };
    let open =
        || std::fs::File::open(file).map(|f| std::io::BufReader::with_capacity(256 * 1024, f));
    let settings = ImportSettings {
        max_depth,
        now: Utc::now().naive_utc(),
    };
    let outcome = import(pool, open, settings, &mut progress).await;
    bar.finish_and_clear();
    let summary = outcome.map_err(|err| anyhow::anyhow!("{}: {err:#}", file.display()))?;
    print!("{summary}");
    if !summary.nothing_new() {
        tell_instances(pool, &[Key::Posts, Key::Tags, Key::Authors]).await?;
    }
    Ok(())
}

async fn user_command(pool: &DbPool, action: &UserCommand) -> anyhow::Result<()> {
    let now = waypost_domain::clock::stored_instant(Utc::now().naive_utc());
    let show = |user: &User| {
        let state = if user.disabled() {
            "disabled"
        } else {
            "active"
        };
        println!(
            "{}\t{}\t{}\t{}",
            user.email(),
            user.role().as_str(),
            state,
            user.display_name()
        );
    };
    match action {
        UserCommand::Create {
            email,
            role,
            name,
            author,
        } => {
            let email = EmailAddress::parse(email)?;
            let author_id = match author {
                Some(slug) => Some(
                    waypost_domain::post::author_by_slug(pool, slug)
                        .await?
                        .with_context(|| format!("no author profile has the slug {slug:?}"))?
                        .id(),
                ),
                None => None,
            };
            let password = NewPassword::parse(&read_password()?)?;
            let new = NewUser {
                email,
                display_name: name.clone(),
                password,
                role: (*role).into(),
                author_id,
            };
            let user = account::create_user(pool, new, now).await?;
            show(&user);
        }
        UserCommand::List => {
            for user in account::list_users(pool).await? {
                show(&user);
            }
        }
        UserCommand::Disable { email } | UserCommand::Enable { email } => {
            let disabled = matches!(action, UserCommand::Disable { .. });
            let email = EmailAddress::parse(email)?;
            show(
                &account::update_user(
                    pool,
                    &email,
                    UserChanges {
                        disabled: Some(disabled),
                        ..Default::default()
                    },
                    now,
                )
                .await?,
            );
        }
        UserCommand::Role { email, role } => {
            let email = EmailAddress::parse(email)?;
            show(
                &account::update_user(
                    pool,
                    &email,
                    UserChanges {
                        role: Some((*role).into()),
                        ..Default::default()
                    },
                    now,
                )
                .await?,
            );
        }
    }
    Ok(())
}

async fn operations_command(pool: &DbPool, action: &OperationsCommand) -> anyhow::Result<()> {
    match action {
        OperationsCommand::Add { files } => {
            for added in register_files(pool, files, Utc::now().naive_utc()).await? {
                let state = if added.new {
                    "added"
                } else {
                    "already registered"
                };
                println!(
                    "{}\t{}\t{state}",
                    added.document.hash,
                    added.document.path.display()
                );
            }
        }
        OperationsCommand::List => {
            for document in waypost_domain::trusted::list(pool).await? {
                println!(
                    "{}\t{}\t{}",
                    document.hash,
                    document.registered_at.format("%Y-%m-%dT%H:%M:%SZ"),
                    operation_names(&document.text).join(",")
                );
            }
        }
    }
    Ok(())
}

/// The new account's password: `WAYPOST_PASSWORD` for scripts, else typed
/// twice at a prompt that does not echo.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("WAYPOST_PASSWORD") {
        return Ok(password);
    }
    use std::io::IsTerminal;
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no terminal to ask for a password; set WAYPOST_PASSWORD"
    );
    let first = rpassword::prompt_password("Password: ")
        .context("cannot read a password here; set WAYPOST_PASSWORD")?;
    let second = rpassword::prompt_password("Password again: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

/// Rebuilds the similar-posts index and the search dictionary if an older
/// version wrote them (or none did), beside
/// serving and on a connection of its own without the requests' statement
/// timeout: on a large archive it takes longer than any request may (about
/// 45 s for 10,000 posts on PostgreSQL), and the old index serves meanwhile.
async fn rebuild_outdated_index(config: DbConfig) {
    let rebuilt = async {
        let pool = DbPool::connect(&config).await?;
        let posts = waypost_domain::similar::reindex_if_outdated(&pool).await?;
        let documents = dictionary::learn_all_if_outdated(&pool).await?;
        anyhow::Ok((posts, documents))
    };
    match rebuilt.await {
        Ok((posts, documents)) => {
            if let Some(posts) = posts {
                tracing::info!(posts, "similar-posts index rebuilt in its current form");
            }
            if let Some(documents) = documents {
                tracing::info!(documents, "search dictionary rebuilt in its current form");
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "search indexes not rebuilt; run `waypost reindex`");
        }
    }
}

/// Applies pending migrations, then renders stored Markdown again if an
/// older renderer wrote it (telling other instances, whose answers hold
/// the old HTML). Returns the migrations applied.
async fn migrate(pool: &DbPool) -> anyhow::Result<usize> {
    let applied = pool.run_migrations().await?;
    let rendered = waypost_domain::authoring::render_again(pool).await?;
    if !rendered.is_empty() {
        let keys: Vec<Key> = rendered.iter().map(|&id| Key::Post(id)).collect();
        // A notification holds at most 8,000 bytes.
        for chunk in keys.chunks(500) {
            tell_instances(pool, chunk).await?;
        }
        tracing::info!(
            posts = rendered.len(),
            "posts rendered again by the current renderer"
        );
    }
    Ok(applied)
}

/// The database for a command other than `serve`: the primary alone, since
/// only serving reads from a replica.
async fn connect(cli: &Cli) -> anyhow::Result<DbPool> {
    let mut config = cli.database.db_config(cli.mode)?;
    config.replica_url = None;
    Ok(DbPool::connect(&config).await?)
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    // Listening for SIGTERM from the start: a stop asked for while the
    // server starts ends it cleanly once it is up, not midway.
    let stop_signal = waypost_gateway::shutdown_signal();
    let mode = cli.mode;
    let limits = args.limits.limits(mode);
    // Before the database: a bad document stops the start at once.
    let trusted = match args.operations() {
        Operations::Any => None,
        Operations::Trusted {
            directory: Some(ref directory),
        } => Some(TrustedDocuments::load(directory, &limits).await?),
        Operations::Trusted { directory: None } => Some(TrustedDocuments::registered_only()),
    };
    let operations = match (&trusted, args.trusted_documents.as_deref()) {
        (None, _) => "any".to_owned(),
        (Some(documents), Some(directory)) => format!(
            "trusted only: {} documents from {}, and those registered in the database",
            documents.files(),
            directory.display()
        ),
        (Some(_), None) => "trusted only: those registered in the database".to_owned(),
    };
    let mut config = cli.database.db_config(mode)?;
    let rebuild = DbConfig {
        max_connections: 1,
        replica_url: None,
        ..config.clone()
    };
    // The database stops working on a request once Waypost has given up on it.
    config.statement_timeout = Some(limits.timeout);
    let pool = DbPool::connect(&config).await?;
    let applied = if args.no_migrate {
        // Not migrating is no licence to serve a schema this build does
        // not know: that is a rollback, which the migrations cannot undo.
        let status = pool.migration_status().await?;
        anyhow::ensure!(
            status.unknown.is_empty(),
            "the database has migrations this build does not know ({}); run a newer Waypost",
            status.unknown.join(", ")
        );
        0
    } else {
        let applied = migrate(&pool).await?;
        tokio::spawn(rebuild_outdated_index(rebuild));
        applied
    };
    let demo = match (args.seed_demo(mode), args.no_migrate) {
        (false, _) => "off",
        (true, true) => "off (not migrating)",
        (true, false) => match seed_demo(&pool).await? {
            SeedOutcome::Seeded(_) => "loaded into the empty database",
            SeedOutcome::AlreadyHasContent => "on (the database has content)",
        },
    };
    let stop = args.stop_times(mode);
    let cors = args.cors(mode);
    // One line that says what this instance chose, for whoever reads the log.
    tracing::info!(
        mode = ?mode,
        database = %mask_url(&config.url),
        tls = pool.ssl_mode().map_or("none (SQLite)", |m| m.as_str()),
        replica = %config.replica_url.as_deref().map_or_else(|| "none".to_owned(), mask_url),
        migrations_applied = applied,
        migrate = !args.no_migrate,
        demo_content = demo,
        graphiql_and_introspection = limits.introspection,
        cors = %cors.describe(),
        operations = %operations,
        rate_limit_per_minute = limits.rate_per_minute,
        drain_s = stop.drain.as_secs(),
        grace_s = stop.grace.as_secs(),
        "Waypost configured"
    );
    if mode == Mode::Production && matches!(config.url.split_once(':'), Some(("sqlite", _))) {
        tracing::warn!(
            "production on SQLite: one instance only; point DATABASE_URL at PostgreSQL to run several"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    if limits.introspection {
        tracing::info!(
            "Waypost is serving GraphiQL at http://{address}/ and the API at http://{address}/graphql"
        );
    } else {
        tracing::info!("Waypost is serving the API at http://{address}/graphql");
    }
    let site = args.site(mode, address);
    match (site.public_url.as_deref(), site.own_url.as_deref()) {
        (Some(public), _) => tracing::info!(
            public_url = public,
            "Atom feeds (/feed.atom) and the sitemap (/sitemap.xml) give addresses under the public URL"
        ),
        (None, Some(own)) => tracing::info!(
            own_url = own,
            "no public URL (WAYPOST_PUBLIC_URL): the feeds' and the sitemap's links use this server's own address, and Post.canonicalUrl is null"
        ),
        (None, None) => tracing::warn!(
            "no public URL (WAYPOST_PUBLIC_URL): /feed.atom and /sitemap.xml answer 404 until one is set"
        ),
    }
    let mut state = AppState::new(pool)
        .with_auth(args.auth_settings())
        .with_comments(args.comment_settings())
        .with_limits(limits)
        .with_connection_limits(args.connections.limits())
        .with_cors(cors)
        .with_cors_headers(args.cors_allow_headers.clone())
        .with_site(site)
        .with_trusted_proxies(TrustedProxies(args.trusted_proxies.clone()))
        .with_replica_writer_window(std::time::Duration::from_millis(
            args.replica_writer_window_ms,
        ))
        .with_http_caching(waypost_gateway::HttpCaching {
            max_age_seconds: args.cache_max_age_seconds,
            stale_seconds: args.cache_stale_seconds,
        })
        .with_answer_caching(waypost_gateway::AnswerCaching {
            max_bytes: args.answer_cache_bytes,
        });
    if let Some(documents) = trusted {
        state = state.with_trusted_documents(documents);
    }
    // Metrics on an address of their own, for the scraper alone; they stop
    // with the process.
    let _metrics = match args.metrics_bind {
        Some(bind) => {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind} (WAYPOST_METRICS_BIND)"))?;
            tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
            state = state.without_metrics();
            let router = waypost_gateway::metrics_router(state.clone());
            Some(AbortOnDrop(tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, router).await {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            })))
        }
        None => None,
    };
    waypost_gateway::serve(listener, state, stop_signal, stop).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Stops a background task when the server it serves beside returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
