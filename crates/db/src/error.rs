//! The storage error: names the violations callers can act on, hides the rest.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique constraint refused a row; `constraint` names it (or the column on SQLite).
    #[error("unique constraint violated: {constraint}")]
    UniqueViolation { constraint: String },
    /// A row referenced a parent that does not exist.
    #[error("foreign key violated: {constraint}")]
    ForeignKeyViolation { constraint: String },
    /// The database could not be reached or no connection was free in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Connecting at start-up failed; `url` has its password masked.
    #[error("cannot connect to the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The configured URL is not one Waypost understands.
    #[error("invalid DATABASE_URL: {0}")]
    InvalidUrl(String),
    /// The configured replica is not one Waypost can use.
    #[error("invalid DATABASE_REPLICA_URL: {0}")]
    InvalidReplicaUrl(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("query failed: {0}")]
    Query(DieselError),
}

/// Result of every query in this crate.
pub type DbResult<T> = Result<T, DbError>;

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(kind, info) => {
                let constraint = info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.message().to_owned());
                // SQLite reports a refused DELETE of a referenced row with the
                // generic constraint code; its message is fixed by SQLite.
                let sqlite_foreign_key =
                    info.message().starts_with("FOREIGN KEY constraint failed");
                match kind {
                    _ if sqlite_foreign_key => DbError::ForeignKeyViolation { constraint },
                    DatabaseErrorKind::UniqueViolation => DbError::UniqueViolation { constraint },
                    DatabaseErrorKind::ForeignKeyViolation => {
                        DbError::ForeignKeyViolation { constraint }
                    }
                    DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand => {
                        DbError::Unavailable(info.message().to_owned())
                    }
                    _ if lost_connection(info.message()) => {
                        DbError::Unavailable(info.message().to_owned())
                    }
                    _ => DbError::Query(err),
                }
            }
            DieselError::BrokenTransactionManager => DbError::Unavailable(err.to_string()),
            _ => DbError::Query(err),
        }
    }
}

/// Whether a database error says the connection or the server went away
/// (an administrator or a restart ended the session, the server is
/// stopping or starting), a replica cancelled a read that stood in the way
/// of replaying the primary's changes, or the database stayed busy past
/// the wait: the request may succeed if retried, so it is reported as
/// unavailable.
fn lost_connection(message: &str) -> bool {
    const SIGNS: [&str; 9] = [
        "terminating connection",
        "connection closed",
        "server closed the connection",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "does not allow connections",
        "conflict with recovery",
        "database is locked",
    ];
    let message = message.to_ascii_lowercase();
    SIGNS.iter().any(|sign| message.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_unavailable_and_mistakes_are_not() {
        assert!(lost_connection(
            "terminating connection due to administrator command"
        ));
        assert!(lost_connection("database is locked"));
        assert!(lost_connection(
            "canceling statement due to conflict with recovery"
        ));
        assert!(!lost_connection("syntax error at or near \"SELEC\""));
    }
}
