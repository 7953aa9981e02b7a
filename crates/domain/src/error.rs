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
    /// No valid credentials: a malformed, unknown, expired or revoked token,
    /// or an action that needs a signed-in user.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Signed in, but the policy does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The thing acted on does not exist (or the caller may not know it does).
    #[error("{0}")]
    NotFound(String),
    /// The change collides with existing data; `field` names the input.
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// Too many attempts; try again after `retry_after_seconds`.
    #[error("too many attempts; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: u64 },
    /// The database cannot serve now; the cause is kept for the log only.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] DbError),
    /// Anything else: logged with its cause, shown to clients as a generic message.
    #[error("internal error")]
    Internal(#[source] DbError),
    /// A failure outside storage (hashing, randomness, a lost task), already
    /// logged with its cause where it happened.
    #[error("internal error: {0}")]
    Fault(&'static str),
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
            DomainError::Unauthenticated(_) => "UNAUTHENTICATED",
            DomainError::Forbidden(_) => "FORBIDDEN",
            DomainError::NotFound(_) => "NOT_FOUND",
            DomainError::Conflict { .. } => "CONFLICT",
            DomainError::RateLimited { .. } => "RATE_LIMITED",
            DomainError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            DomainError::Internal(_) | DomainError::Fault(_) => "INTERNAL",
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
