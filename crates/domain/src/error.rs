//! The error vocabulary: the codes clients see, the domain error that
//! carries one, and the field errors a user can fix. The gateway maps them,
//! in one place, to GraphQL errors, HTTP statuses and metric labels.

use waypost_db::DbError;

/// Every code a client can meet in `extensions.code` (a `userErrors`
/// entry has its own: [`UserErrorCode`]).
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
    /// An operation named by a hash the server does not know yet; the
    /// client sends its text next (automatic persisted queries).
    PersistedQueryNotFound,
    /// In trusted-documents mode, an operation that was not registered
    /// ahead of time: by text, by hash, or an attempt to register one.
    OperationNotTrusted,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::BadUserInput,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
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

/// What kind of mistake a `userErrors` entry reports, so that a form can
/// word it in its own language. Apart from the codes of top-level errors:
/// these are for the person filling in the form, those for the developer.
/// Each is described where clients read it, the schema's `UserErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserErrorCode {
    Required,
    TooShort,
    TooLong,
    InvalidFormat,
    Invalid,
    NotFound,
    Duplicate,
    Conflict,
    Closed,
    RateLimited,
    Forbidden,
    InvalidCredentials,
}

/// A mistake in the input that the user can fix, named by field when one
/// is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
    pub code: UserErrorCode,
    /// With `RateLimited`: seconds until a retry is let through.
    pub retry_after_seconds: Option<u64>,
}

impl FieldError {
    /// A value the field may not take here.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(UserErrorCode::Invalid, Some(field), message)
    }

    /// A value not in the field's form.
    pub fn invalid_format(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(UserErrorCode::InvalidFormat, Some(field), message)
    }

    /// A reference to something that does not exist.
    pub fn not_found(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(UserErrorCode::NotFound, Some(field), message)
    }

    /// A value that collides with stored data (a taken slug, a stale version).
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(UserErrorCode::Conflict, Some(field), message)
    }

    /// A value the viewer's role may not set.
    pub fn forbidden(field: &'static str, message: impl Into<String>) -> Self {
        FieldError::new(UserErrorCode::Forbidden, Some(field), message)
    }

    /// Text of 1 to `max` characters once trimmed: REQUIRED when empty,
    /// TOO_LONG past `max`; each says what to do.
    pub fn check_length(field: &'static str, text: &str, max: usize) -> Option<Self> {
        let length = text.trim().chars().count();
        if length == 0 {
            Some(FieldError::new(
                UserErrorCode::Required,
                Some(field),
                "this cannot be empty",
            ))
        } else {
            FieldError::check_max_length(field, text, max)
        }
    }

    /// Text of at most `max` characters (TOO_LONG, with its length).
    pub fn check_max_length(field: &'static str, text: &str, max: usize) -> Option<Self> {
        let length = text.chars().count();
        (length > max).then(|| {
            FieldError::new(
                UserErrorCode::TooLong,
                Some(field),
                format!("use at most {max} characters (this has {length})"),
            )
        })
    }

    pub fn new(
        code: UserErrorCode,
        field: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field,
            message: message.into(),
            code,
            retry_after_seconds: None,
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
                Ok(FieldError::new(UserErrorCode::Invalid, field, message))
            }
            DomainError::Conflict { field, message } => {
                Ok(FieldError::new(UserErrorCode::Conflict, field, message))
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
