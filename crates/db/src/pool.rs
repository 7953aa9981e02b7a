//! Connection pools for both backends, the connection enum, and the one
//! dispatch macro that runs the same query expression on either; on
//! PostgreSQL, the replica that lag-tolerant reads use, and when they may.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::deadpool::{BuildError, Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod, SetupCallback,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection, TransactionManager};

use crate::error::DbError;
use crate::masked::mask_url;
use crate::postgres::PgTarget;

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// How to reach the database; built once from configuration in `main`.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    pub max_connections: usize,
    /// How long a request waits for a free connection before failing fast.
    pub acquire_timeout: Duration,
    /// Create a missing PostgreSQL database named by the URL.
    pub create_database: bool,
    /// PostgreSQL cancels a pooled connection's statement once it has run
    /// this long (migrations are not limited).
    pub statement_timeout: Option<Duration>,
    /// A PostgreSQL replica of `url` (a hot standby) for reads that
    /// tolerate lag: see [`lag_tolerant`]. Never migrated, never written.
    pub replica_url: Option<String>,
}

impl DbConfig {
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            create_database: true,
            statement_timeout: None,
            replica_url: None,
        }
    }
}

enum Target {
    Postgres(PgTarget),
    Sqlite(String),
}

fn parse_url(url: &str) -> Result<Target, DbError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return PgTarget::parse(url).map(Target::Postgres);
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            DbError::InvalidUrl(format!(
                "{} (expected postgres://… or sqlite://path)",
                mask_url(url)
            ))
        })?;
    if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
        // Each pooled connection would open its own empty in-memory database.
        return Err(DbError::InvalidUrl(
            "an in-memory SQLite database cannot be shared by a pool; name a file".into(),
        ));
    }
    Ok(Target::Sqlite(path.to_owned()))
}

/// Counts statements across every connection of a pool (diesel instrumentation),
/// so tests and metrics can assert how many SQL statements a request ran;
/// `replica` counts those a replica's connection ran besides.
fn counting_instrumentation(
    counter: Arc<AtomicU64>,
    request: Option<Arc<AtomicU64>>,
    replica: Option<Arc<AtomicU64>>,
) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::FinishQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
            for also in [&request, &replica].into_iter().flatten() {
                also.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

tokio::task_local! {
    static REQUEST_STATEMENTS: Arc<AtomicU64>;
}

/// Runs `work`, counting in `counter` the statements run on the connections
/// it takes from any pool: the statements of one request, for metrics,
/// however many requests run at once.
pub async fn count_statements<F: std::future::Future>(
    counter: Arc<AtomicU64>,
    work: F,
) -> F::Output {
    REQUEST_STATEMENTS.scope(counter, work).await
}

tokio::task_local! {
    /// Set while a lag-tolerant read runs; turns true once the replica
    /// has given it a connection.
    static LAG_TOLERANT: Arc<AtomicBool>;
}

/// Runs `work` with its connections taken from the replica, where the pool
/// has one that answers: for reads that may see the database as it was a
/// moment ago (the primary's latest commits may not have reached the
/// replica yet). Connections taken with [`DbPool::get_primary`] stay on the
/// primary, so writes and the reads that decide them never reach the
/// replica whatever the caller wraps. Work spawned onto other tasks leaves
/// the scope and reads from the primary. Returns `work`'s output and
/// whether the replica served any of it.
pub async fn lag_tolerant<F: std::future::Future>(work: F) -> (F::Output, bool) {
    let served = Arc::new(AtomicBool::new(false));
    let output = LAG_TOLERANT.scope(served.clone(), work).await;
    (output, served.load(Ordering::Relaxed))
}

/// How long reads keep to the primary after the replica failed to give a
/// connection, before one of them tries it again: during an outage, one
/// read in this long pays for finding out, not every read.
const REPLICA_REST: Duration = Duration::from_secs(5);

/// A PostgreSQL replica serving lag-tolerant reads, and what it served.
struct Replica {
    pool: Pool<AsyncPgConnection>,
    /// For log lines, password hidden.
    masked_url: String,
    statements: Arc<AtomicU64>,
    checkouts: AtomicU64,
    fallbacks: AtomicU64,
    /// Milliseconds after `opened` until which reads keep to the primary;
    /// 0 while the replica is trusted.
    resting_until: AtomicU64,
    opened: std::time::Instant,
}

impl Replica {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Whether this borrower may ask the replica: yes while it is trusted;
    /// while it rests, no; once the rest is over, yes for the one borrower
    /// that claims the next try, the others keeping to the primary until
    /// that try tells.
    fn may_try(&self) -> bool {
        let until = self.resting_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        let now = self.now_ms();
        let next = now.saturating_add(rest_ms());
        now >= until
            && self
                .resting_until
                .compare_exchange(until, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Takes a replica connection, or says why not (and rests the replica).
    async fn take(&self) -> Option<Object<AsyncPgConnection>> {
        if !self.may_try() {
            return None;
        }
        match self.pool.get().await {
            Ok(conn) => {
                if self.resting_until.swap(0, Ordering::AcqRel) != 0 {
                    tracing::info!(replica = %self.masked_url, "the replica answers again; lag-tolerant reads go to it");
                }
                Some(conn)
            }
            Err(err) => {
                let until = self.now_ms().saturating_add(rest_ms());
                self.resting_until.store(until, Ordering::Release);
                tracing::warn!(
                    replica = %self.masked_url,
                    error = %err,
                    rest_s = REPLICA_REST.as_secs(),
                    "the replica gave no connection; reads go to the primary"
                );
                None
            }
        }
    }
}

fn rest_ms() -> u64 {
    u64::try_from(REPLICA_REST.as_millis()).unwrap_or(u64::MAX)
}

/// What the replica has served since the pool opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplicaStatus {
    /// Connections handed out for lag-tolerant reads.
    pub checkouts: u64,
    /// SQL statements the replica ran.
    pub statements: u64,
    /// Times a lag-tolerant read went to the primary instead: for a
    /// connection the replica did not give (it failed to, or was resting
    /// after failing), or for an operation it failed, run again there.
    pub fallbacks: u64,
    /// Whether reads keep off the replica for now, after it failed.
    pub resting: bool,
}

/// Connections in a pool and what they are doing, and how long borrowers
/// have waited for them since the pool opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStatus {
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
    pub max: usize,
    /// Borrowers that gave up waiting (the acquire timeout passed).
    pub timeouts: u64,
    /// Time all borrowers spent waiting for a connection, in seconds.
    pub wait_seconds: f64,
}

/// What borrowers have waited, across every clone of a pool.
#[derive(Debug, Default)]
struct Waits {
    timeouts: AtomicU64,
    micros: AtomicU64,
}

#[derive(Clone)]
enum PoolInner {
    /// With the server or the file, for connections outside the pool.
    Pg(Pool<AsyncPgConnection>, PgTarget),
    Sqlite(Pool<SqliteConn>, String),
}

/// A pool of connections to one database of either backend, and, on
/// PostgreSQL, optionally to a replica of it for lag-tolerant reads.
#[derive(Clone)]
pub struct DbPool {
    inner: PoolInner,
    replica: Option<Arc<Replica>>,
    statements: Arc<AtomicU64>,
    acquire_timeout: Duration,
    waits: Arc<Waits>,
    /// The readiness check's own connection, outside the pool.
    pub(crate) probe: Arc<tokio::sync::Mutex<Option<Dedicated>>>,
}

/// A connection of either backend held outside the pool.
// Opened rarely and kept in one place, like `DbConn`: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Dedicated {
    Pg(AsyncPgConnection),
    Sqlite(SqliteConn),
}

/// A pooled connection of either backend. Query code matches on it with
/// `with_conn!` so the same expression is compiled for both.
// A connection is taken once per query and never copied around, so the size
// gap between variants costs nothing worth a heap allocation per checkout.
#[allow(clippy::large_enum_variant)]
pub enum DbConn {
    Pg(Object<AsyncPgConnection>),
    Sqlite(Object<SqliteConn>),
}

impl DbConn {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

impl DbConn {
    /// Runs `work` in one transaction holding the write locks named `keys`:
    /// transaction-scoped advisory locks on PostgreSQL (taken in ascending
    /// order, so two holders of overlapping sets cannot deadlock), so that
    /// writers on every instance take turns, and the database's write lock
    /// on SQLite.
    /// Whatever `work` reads was committed by the previous holder, so a
    /// read-compute-write cycle inside it cannot lose a concurrent one.
    /// Transactions `work` opens become savepoints. Should the future be
    /// dropped midway, the pool discards the connection (an open
    /// transaction marks it broken), which rolls the work back.
    pub async fn serialized<T, E>(
        &mut self,
        keys: &[i64],
        work: impl AsyncFnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        with_conn!(&mut *self, |c| begin(c).await).map_err(|e| E::from(e.into()))?;
        let locked = match &mut *self {
            DbConn::Pg(c) => {
                let mut keys = keys.to_vec();
                keys.sort_unstable();
                keys.dedup();
                let mut locked = Ok(());
                for key in keys {
                    locked = diesel_async::RunQueryDsl::execute(
                        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                            .bind::<diesel::sql_types::BigInt, _>(key),
                        &mut **c,
                    )
                    .await
                    .map(drop);
                    if locked.is_err() {
                        break;
                    }
                }
                locked
            }
            DbConn::Sqlite(c) => c.claim_writes().await,
        };
        let outcome = match locked {
            Ok(()) => work(self).await,
            Err(e) => Err(E::from(e.into())),
        };
        match outcome {
            Ok(value) => {
                with_conn!(&mut *self, |c| commit(c).await).map_err(|e| E::from(e.into()))?;
                Ok(value)
            }
            Err(err) => {
                // The error that ended the work is the one worth reporting;
                // a failed rollback leaves the connection broken, and the
                // pool drops it.
                let _ = with_conn!(&mut *self, |c| rollback(c).await);
                Err(err)
            }
        }
    }
}

async fn begin<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::begin_transaction(c).await
}

async fn commit<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::commit_transaction(c).await
}

async fn rollback<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::rollback_transaction(c).await
}

/// The first step of every write transaction. SQLite starts a transaction
/// without locks and takes the write lock at its first write; if anything
/// is read before that (preparing a statement whose triggers feed the
/// full-text index reads that index's settings), another writer committing
/// meanwhile makes the upgrade fail at once with "database is locked"
/// instead of waiting. Writing first, to no row, takes the write lock
/// through the busy timeout, as BEGIN IMMEDIATE would. PostgreSQL needs
/// nothing.
pub(crate) trait ClaimWrites {
    fn claim_writes(&mut self)
    -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

impl ClaimWrites for AsyncPgConnection {
    async fn claim_writes(&mut self) -> diesel::QueryResult<()> {
        Ok(())
    }
}

impl ClaimWrites for SqliteConn {
    async fn claim_writes(&mut self) -> diesel::QueryResult<()> {
        self.batch_execute("DELETE FROM sqlite_sequence WHERE 0")
            .await
    }
}

/// Runs `$body` with `$c` bound to the backend's concrete connection.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::pool::DbConn::Pg(pooled) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut *pooled;
                $body
            }
            $crate::pool::DbConn::Sqlite(pooled) => {
                let $c: &mut $crate::pool::SqliteConn = &mut *pooled;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

async fn establish_sqlite(path: &str) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(path).await?;
    // WAL lets readers run beside the one writer; the busy timeout makes
    // writers queue instead of failing; SQLite leaves foreign keys off unless asked.
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )
    .await
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// A pool that recycles without a test query (a ping per checkout would
/// double the statements of a small request) and fails fast when exhausted.
fn build_pool<C>(
    url: String,
    config: &DbConfig,
    setup: SetupCallback<C>,
) -> Result<Pool<C>, BuildError>
where
    C: AsyncConnection + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    let mut manager_config = ManagerConfig::<C>::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = setup;
    Pool::builder(AsyncDieselConnectionManager::new_with_config(
        url,
        manager_config,
    ))
    .max_size(config.max_connections)
    .wait_timeout(Some(config.acquire_timeout))
    .create_timeout(Some(config.acquire_timeout))
    .runtime(deadpool::Runtime::Tokio1)
    .build()
}

/// A pool of PostgreSQL connections made from `target` (TLS settings and
/// all), each statement limited as `config` says and counted in `counter`.
fn pg_pool(
    target: &PgTarget,
    url: &str,
    config: &DbConfig,
    counter: &Arc<AtomicU64>,
) -> Result<Pool<AsyncPgConnection>, BuildError> {
    let counter = counter.clone();
    let pooled = match config.statement_timeout {
        Some(limit) => target.with_statement_timeout(limit),
        None => target.clone(),
    };
    // The manager's URL goes unused: every connection is made from the
    // parsed target.
    let setup: SetupCallback<AsyncPgConnection> = Box::new(move |_url| {
        let counter = counter.clone();
        let pooled = pooled.clone();
        Box::pin(async move {
            let mut conn = pooled.connect().await?;
            conn.set_instrumentation(counting_instrumentation(counter, None, None));
            Ok(conn)
        })
    });
    build_pool(url.to_owned(), config, setup)
}

/// The replica `url` names, beside a PostgreSQL primary. Its sessions are
/// read-only and limited like the primary's. It need not answer now: one
/// that is down at start-up leaves reads on the primary until it answers.
async fn open_replica(
    url: &str,
    config: &DbConfig,
    statements: &Arc<AtomicU64>,
) -> Result<Replica, DbError> {
    let masked_url = mask_url(url);
    let target = match parse_url(url) {
        Ok(Target::Postgres(target)) => target,
        Ok(Target::Sqlite(_)) => {
            return Err(DbError::InvalidReplicaUrl(format!(
                "{masked_url} (a replica is a PostgreSQL server: postgres://…)"
            )));
        }
        Err(DbError::InvalidUrl(reason)) => return Err(DbError::InvalidReplicaUrl(reason)),
        Err(other) => return Err(other),
    };
    let pool =
        pg_pool(&target.read_only(), url, config, statements).map_err(|e| DbError::Connect {
            url: masked_url.clone(),
            reason: e.to_string(),
        })?;
    let replica = Replica {
        pool,
        masked_url,
        statements: Arc::default(),
        checkouts: AtomicU64::new(0),
        fallbacks: AtomicU64::new(0),
        resting_until: AtomicU64::new(0),
        opened: std::time::Instant::now(),
    };
    // Says in the log now whether the replica answers; either way the
    // connection is taken, or the replica rests, as for any read.
    drop(replica.take().await);
    Ok(replica)
}

impl DbPool {
    /// Connects to the database named by `config.url`, creating a missing
    /// PostgreSQL database when allowed, and checks that it answers; opens
    /// the replica `config.replica_url` names, if any.
    pub async fn connect(config: &DbConfig) -> Result<DbPool, DbError> {
        let statements = Arc::new(AtomicU64::new(0));
        let masked = mask_url(&config.url);
        let connect_err = |reason: String| DbError::Connect {
            url: masked.clone(),
            reason,
        };
        let target = parse_url(&config.url)?;
        if config.replica_url.is_some() && matches!(target, Target::Sqlite(_)) {
            return Err(DbError::InvalidReplicaUrl(
                "a replica needs a PostgreSQL primary, and DATABASE_URL names SQLite; \
                 unset DATABASE_REPLICA_URL or move to PostgreSQL"
                    .into(),
            ));
        }
        let inner = match target {
            Target::Postgres(target) => {
                if let Err(err) = target.connect().await {
                    let created = config.create_database
                        && create_missing_pg_database(&target)
                            .await
                            .map_err(&connect_err)?;
                    if !created {
                        return Err(connect_err(err.to_string()));
                    }
                }
                let pool = pg_pool(&target, &config.url, config, &statements)
                    .map_err(|e| connect_err(e.to_string()))?;
                PoolInner::Pg(pool, target)
            }
            Target::Sqlite(path) => {
                // SQLite creates the file but not its folder.
                if let Some(dir) = std::path::Path::new(&path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        connect_err(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let counter = statements.clone();
                let setup: SetupCallback<SqliteConn> = Box::new(move |path| {
                    let counter = counter.clone();
                    let path = path.to_owned();
                    Box::pin(async move {
                        let mut conn = establish_sqlite(&path).await?;
                        conn.set_instrumentation(counting_instrumentation(counter, None, None));
                        Ok(conn)
                    })
                });
                let pool = build_pool(path.clone(), config, setup)
                    .map_err(|e| connect_err(e.to_string()))?;
                PoolInner::Sqlite(pool, path)
            }
        };
        let replica = match &config.replica_url {
            Some(url) => Some(Arc::new(open_replica(url, config, &statements).await?)),
            None => None,
        };
        let pool = DbPool {
            inner,
            replica,
            statements,
            acquire_timeout: config.acquire_timeout,
            waits: Arc::default(),
            probe: Arc::default(),
        };
        // Prove the database answers now rather than on the first request.
        pool.get_primary().await.map_err(|e| {
            connect_err(match e {
                DbError::Unavailable(reason) => reason,
                other => other.to_string(),
            })
        })?;
        Ok(pool)
    }

    pub(crate) fn backend(&self) -> Backend {
        match self.inner {
            PoolInner::Pg(..) => Backend::Postgres,
            PoolInner::Sqlite(..) => Backend::Sqlite,
        }
    }

    /// Takes a connection, waiting at most the configured acquire timeout:
    /// inside [`lag_tolerant`], from the replica when there is one that
    /// gives a connection; otherwise, and whenever the replica cannot, from
    /// the primary.
    pub async fn get(&self) -> Result<DbConn, DbError> {
        if let Some(replica) = &self.replica
            && let Ok(served) = LAG_TOLERANT.try_with(Arc::clone)
        {
            match replica.take().await {
                Some(mut conn) => {
                    served.store(true, Ordering::Relaxed);
                    replica.checkouts.fetch_add(1, Ordering::Relaxed);
                    let request = REQUEST_STATEMENTS.try_with(Arc::clone).ok();
                    conn.set_instrumentation(counting_instrumentation(
                        self.statements.clone(),
                        request,
                        Some(replica.statements.clone()),
                    ));
                    return Ok(DbConn::Pg(conn));
                }
                None => {
                    replica.fallbacks.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.get_primary().await
    }

    /// Takes a connection to the primary whatever the scope: for writes,
    /// and for the reads that decide them or must see them.
    pub async fn get_primary(&self) -> Result<DbConn, DbError> {
        let started = std::time::Instant::now();
        let taken = match &self.inner {
            PoolInner::Pg(pool, _) => pool.get().await.map(DbConn::Pg),
            PoolInner::Sqlite(pool, _) => pool.get().await.map(DbConn::Sqlite),
        };
        let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.waits.micros.fetch_add(waited, Ordering::Relaxed);
        if let Err(PoolError::Timeout(_)) = &taken {
            self.waits.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        let mut conn = taken.map_err(pool_error)?;
        // Count this checkout's statements for the request that took it (a
        // connection serves one borrower at a time).
        let request = REQUEST_STATEMENTS.try_with(Arc::clone).ok();
        let counter = self.statements.clone();
        with_conn!(&mut conn, |c| c.set_instrumentation(
            counting_instrumentation(counter, request, None)
        ));
        Ok(conn)
    }

    /// Whether lag-tolerant reads have a replica to go to (one configured,
    /// whether or not it answers right now).
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// What the replica has served; `None` without one.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        self.replica.as_ref().map(|replica| {
            let until = replica.resting_until.load(Ordering::Relaxed);
            ReplicaStatus {
                checkouts: replica.checkouts.load(Ordering::Relaxed),
                statements: replica.statements.load(Ordering::Relaxed),
                fallbacks: replica.fallbacks.load(Ordering::Relaxed),
                resting: until != 0 && replica.now_ms() < until,
            }
        })
    }

    /// Counts a lag-tolerant read that the replica failed (its connection
    /// was lost midway, say) and that runs again on the primary.
    pub fn replica_read_failed(&self) {
        if let Some(replica) = &self.replica {
            replica.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many connections the pool holds, how many are free, and how many
    /// borrowers wait for one.
    pub fn status(&self) -> PoolStatus {
        let status = match &self.inner {
            PoolInner::Pg(pool, _) => pool.status(),
            PoolInner::Sqlite(pool, _) => pool.status(),
        };
        PoolStatus {
            size: status.size,
            available: status.available,
            waiting: status.waiting,
            max: status.max_size,
            timeouts: self.waits.timeouts.load(Ordering::Relaxed),
            wait_seconds: self.waits.micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }

    /// The PostgreSQL server, for connections outside the pool (the
    /// comment feed's listener); `None` on SQLite.
    pub(crate) fn pg_target(&self) -> Option<&PgTarget> {
        match &self.inner {
            PoolInner::Pg(_, target) => Some(target),
            PoolInner::Sqlite(..) => None,
        }
    }

    /// The TLS mode of PostgreSQL connections; `None` on SQLite.
    pub fn ssl_mode(&self) -> Option<crate::postgres::SslMode> {
        self.pg_target().map(PgTarget::mode)
    }

    /// Whether a pooled connection is encrypted, as the server sees it
    /// (`pg_stat_ssl`); always `false` on SQLite, which has no wire.
    pub async fn encrypted(&self) -> Result<bool, DbError> {
        #[derive(diesel::QueryableByName)]
        struct Ssl {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ssl: bool,
        }
        let DbConn::Pg(mut conn) = self.get_primary().await? else {
            return Ok(false);
        };
        let found: Ssl = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            &mut *conn,
        )
        .await?;
        Ok(found.ssl)
    }

    /// A new connection to the same database, outside the pool.
    pub(crate) async fn dedicated(&self) -> Result<Dedicated, DbError> {
        let connected = match &self.inner {
            PoolInner::Pg(_, target) => target.connect().await.map(Dedicated::Pg),
            PoolInner::Sqlite(_, path) => establish_sqlite(path).await.map(Dedicated::Sqlite),
        };
        connected.map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// How long a borrower waits for a connection.
    pub(crate) fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// SQL statements run through this pool since it was opened.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

fn pool_error(err: PoolError) -> DbError {
    DbError::Unavailable(err.to_string())
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn pg_database_exists(admin: &mut AsyncPgConnection, name: &str) -> Result<bool, String> {
    use diesel_async::RunQueryDsl;
    let found: Found =
        diesel::sql_query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(admin)
            .await
            .map_err(|e| e.to_string())?;
    Ok(found.n > 0)
}

/// Creates the database `target` names if the server lacks it, through
/// the server's `postgres` maintenance database. `Ok(true)`: it can be
/// connected to now. `Ok(false)`: it exists yet still refuses (so the
/// original connection error has another cause), or the maintenance
/// database cannot be reached either.
async fn create_missing_pg_database(target: &PgTarget) -> Result<bool, String> {
    let name = target.database().unwrap_or_default().to_owned();
    let Ok(mut admin) = target.with_database("postgres").connect().await else {
        return Ok(false);
    };
    if pg_database_exists(&mut admin, &name).await? {
        // Another instance may have created it since the first attempt
        // (several starting at once); a second attempt tells.
        return Ok(target.connect().await.is_ok());
    }
    // The name comes from configuration, not from a client, but it cannot be
    // bound as a parameter, so only plain identifiers are accepted.
    if name.is_empty()
        || name.len() > 63
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!("refusing to create database with name {name:?}"));
    }
    match admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
    {
        Ok(()) => Ok(true),
        // Another instance may have created it meanwhile.
        Err(e) if pg_database_exists(&mut admin, &name).await? => {
            tracing::debug!(error = %e, "database created concurrently");
            Ok(true)
        }
        Err(e) => Err(e.to_string()),
    }
}
