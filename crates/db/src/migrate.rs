//! The schema's migrations: applying them (one instance at a time), what a
//! database has applied compared with what this build knows, and the
//! readiness check built on that, which runs on a connection of its own so
//! that a saturated pool cannot make every instance look down at once.

use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::DbError;
use crate::pool::{Backend, DbPool, Dedicated};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Arbitrary constant naming the advisory lock that serialises migrations
/// when several instances start against one PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x0057_6179_706f_7374;

/// Where a database stands against the migrations this build carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Applied, and known to this build.
    pub applied: Vec<String>,
    /// Known to this build, not applied yet.
    pub pending: Vec<String>,
    /// Applied by a newer build: this one does not know the schema it
    /// serves.
    pub unknown: Vec<String>,
}

#[derive(diesel::QueryableByName)]
struct Applied {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

const APPLIED: &str = "SELECT version FROM __diesel_schema_migrations ORDER BY version";

fn known(backend: Backend) -> Result<Vec<String>, DbError> {
    let versions = match backend {
        Backend::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&PG_MIGRATIONS)
            .map(|all| all.iter().map(|m| m.name().version().to_string()).collect()),
        Backend::Sqlite => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        }
    };
    versions.map_err(|e| DbError::Migration(e.to_string()))
}

fn compare(known: Vec<String>, applied: Vec<Applied>) -> MigrationStatus {
    let applied: Vec<String> = applied.into_iter().map(|a| a.version).collect();
    let (done, pending): (Vec<String>, Vec<String>) =
        known.iter().cloned().partition(|v| applied.contains(v));
    MigrationStatus {
        applied: done,
        pending,
        unknown: applied.into_iter().filter(|v| !known.contains(v)).collect(),
    }
}

/// What the table of applied migrations says; a database that has never
/// been migrated has no such table, which reads as nothing applied.
async fn applied_on(conn: &mut Dedicated) -> Result<Vec<Applied>, DbError> {
    use diesel_async::RunQueryDsl;
    let result = match conn {
        Dedicated::Pg(c) => diesel::sql_query(APPLIED).load(c).await,
        Dedicated::Sqlite(c) => diesel::sql_query(APPLIED).load(c).await,
    };
    match result {
        Ok(applied) => Ok(applied),
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("__diesel_schema_migrations") =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}

impl DbPool {
    /// Which migrations the database has applied, which this build would
    /// apply, and which it does not know. Read on a connection of its own.
    pub async fn migration_status(&self) -> Result<MigrationStatus, DbError> {
        let mut conn = self.dedicated().await?;
        Ok(compare(
            known(self.backend())?,
            applied_on(&mut conn).await?,
        ))
    }

    /// The readiness check: the migration status, read on the probe's own
    /// connection (kept between checks, re-opened after a failure), never
    /// waiting in the pool, and given up after `within`.
    pub async fn readiness(&self, within: Duration) -> Result<MigrationStatus, DbError> {
        let check = async {
            let mut slot = self.probe.lock().await;
            // Taken out while in use: should the check be abandoned midway,
            // a connection in an unknown state is dropped, not kept.
            let mut conn = match slot.take() {
                Some(conn) => conn,
                None => self.dedicated().await?,
            };
            let applied = applied_on(&mut conn).await?;
            *slot = Some(conn);
            Ok(compare(known(self.backend())?, applied))
        };
        tokio::time::timeout(within, check)
            .await
            .unwrap_or_else(|_| {
                Err(DbError::Unavailable(format!(
                    "the database did not answer within {} ms",
                    within.as_millis()
                )))
            })
    }

    /// Brings the schema up to date. Runs on a dedicated connection because
    /// diesel's migration harness is synchronous underneath. Refuses a
    /// database that a newer build has migrated: this one would serve a
    /// schema it does not know.
    pub async fn run_migrations(&self) -> Result<usize, DbError> {
        let status = self.migration_status().await?;
        if !status.unknown.is_empty() {
            return Err(DbError::Migration(format!(
                "the database has migrations this build does not know ({}); run a newer Waypost",
                status.unknown.join(", ")
            )));
        }
        let migration_err =
            |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        match self.dedicated().await? {
            Dedicated::Pg(mut conn) => {
                lock_migrations(&mut conn, true).await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                let applied = harness
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map(|v| v.len());
                let mut conn = harness.into_inner();
                lock_migrations(&mut conn, false).await?;
                applied.map_err(migration_err)
            }
            Dedicated::Sqlite(conn) => {
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(migration_err)
            }
        }
    }
}

async fn lock_migrations(conn: &mut AsyncPgConnection, lock: bool) -> Result<(), DbError> {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    let sql = if lock {
        "SELECT pg_advisory_lock($1)"
    } else {
        "SELECT pg_advisory_unlock($1)"
    };
    diesel::sql_query(sql)
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sorts_versions_into_applied_pending_and_unknown() {
        let applied = ["1", "2", "9"]
            .map(|v| Applied {
                version: v.to_owned(),
            })
            .into();
        let status = compare(vec!["1".into(), "2".into(), "3".into()], applied);
        assert_eq!(status.applied, ["1", "2"]);
        assert_eq!(status.pending, ["3"]);
        assert_eq!(status.unknown, ["9"]);
    }
}
