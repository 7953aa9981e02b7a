//! The domain error: every variant has a stable code that the gateway maps,
//! in one place, to a GraphQL error.

use waypost_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input the client can fix; `field` names the argument when there is one.
    #[error("{message}")]
    BadInput {
        field: Option<&'static str>,
        message: String,
    },
    /// The database cannot serve now; the cause is kept for the log only.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] DbError),
    /// Anything else: logged with its cause, shown to clients as a generic message.
    #[error("internal error")]
    Internal(#[source] DbError),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::BadInput {
            field: Some(field),
            message: message.into(),
        }
    }

    /// The stable code clients see in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::BadInput { .. } => "BAD_USER_INPUT",
            DomainError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            DomainError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<DbError> for DomainError {
    /// Logs the cause here, once, where it enters the domain: by the time it
    /// reaches the gateway a failed batch may be shared by a hundred fields.
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(_) | DbError::Connect { .. } => {
                tracing::warn!(error = %err, "database unavailable");
                DomainError::Unavailable(err)
            }
            other => {
                tracing::error!(error = %other, "storage error");
                DomainError::Internal(other)
            }
        }
    }
}
