//! The error vocabulary: the codes clients see, the domain error that
//! carries one, and the field errors a user can fix. The gateway maps them,
//! in one place, to GraphQL errors, HTTP statuses and metric labels.

use waypost_db::DbError;

/// Every code a client can meet, in `extensions.code` or `userErrors.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    ServiceUnavailable,
    Internal,
    /// Only in `signIn`'s `userErrors`: the email or the password is wrong.
    InvalidCredentials,
    /// An operation named by a hash the server does not know yet; the
    /// client sends its text next (automatic persisted queries).
    PersistedQueryNotFound,
    /// In trusted-documents mode, an operation that was not registered
    /// ahead of time: by text, by hash, or an attempt to register one.
    OperationNotTrusted,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadUserInput,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
        ErrorCode::InvalidCredentials,
        ErrorCode::PersistedQueryNotFound,
        ErrorCode::OperationNotTrusted,
    ];

    /// The code as clients see it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::OperationNotTrusted => "OPERATION_NOT_TRUSTED",
        }
    }

    /// The code a client saw, read back.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mistake in the input that the user can fix, named by field when one
/// is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
    pub code: ErrorCode,
}

impl FieldError {
    /// A value the field may not hold.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(ErrorCode::BadUserInput, Some(field), message)
    }

    /// A value that collides with stored data (a taken slug, a stale version).
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(ErrorCode::Conflict, Some(field), message)
    }

    /// A value the viewer's role may not set.
    pub fn forbidden(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(ErrorCode::Forbidden, Some(field), message)
    }

    pub fn new(code: ErrorCode, field: Option<&'static str>, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
            code,
        }
    }
}

/// The outcome of a write: the thing written, or what to fix.
pub type Written<T> = DomainResult<Result<T, Vec<FieldError>>>;

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
    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::BadInput { .. } => ErrorCode::BadUserInput,
            DomainError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::NotFound(_) => ErrorCode::NotFound,
            DomainError::Conflict { .. } => ErrorCode::Conflict,
            DomainError::RateLimited { .. } => ErrorCode::RateLimited,
            DomainError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            DomainError::Internal(_) | DomainError::Fault(_) => ErrorCode::Internal,
        }
    }

    /// Input the user can fix as a field error; any other error as it is.
    pub fn into_field_error(self) -> Result<FieldError, DomainError> {
        match self {
            DomainError::BadInput { field, message } => {
                Ok(FieldError::new(ErrorCode::BadUserInput, field, message))
            }
            DomainError::Conflict { field, message } => {
                Ok(FieldError::new(ErrorCode::Conflict, field, message))
            }
            other => Err(other),
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
