//! The one place where domain errors become GraphQL errors. Internal causes
//! are logged here and never reach the client.

use async_graphql::{Error, ErrorExtensions};
use waypost_domain::DomainError;

/// Maps a domain error to a GraphQL error carrying `extensions.code`.
pub fn to_graphql(err: &DomainError) -> Error {
    let code = err.code();
    match err {
        DomainError::BadInput { field, message } => {
            Error::new(message.clone()).extend_with(|_, ext| {
                ext.set("code", code);
                if let Some(field) = field {
                    ext.set("field", *field);
                }
            })
        }
        DomainError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            Error::new("The service is temporarily unavailable; please retry shortly.")
                .extend_with(|_, ext| ext.set("code", code))
        }
        DomainError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error");
            Error::new("Internal server error").extend_with(|_, ext| ext.set("code", code))
        }
    }
}

/// A client mistake the gateway itself detects (argument shape, ids).
pub fn bad_input(field: &'static str, message: impl Into<String>) -> Error {
    to_graphql(&DomainError::bad_input(field, message))
}

/// A broken invariant inside the gateway: logged, shown as INTERNAL.
pub fn internal(what: &str) -> Error {
    tracing::error!(what, "internal error");
    Error::new("Internal server error").extend_with(|_, ext| ext.set("code", "INTERNAL"))
}

/// `.gql()?` converts through `to_graphql`. A bare `?` on a domain error would
/// use async-graphql's blanket `Display` conversion and skip the mapping.
pub trait GqlResultExt<T> {
    fn gql(self) -> Result<T, Error>;
}

impl<T> GqlResultExt<T> for Result<T, DomainError> {
    fn gql(self) -> Result<T, Error> {
        self.map_err(|e| to_graphql(&e))
    }
}

impl<T> GqlResultExt<T> for Result<T, std::sync::Arc<DomainError>> {
    fn gql(self) -> Result<T, Error> {
        self.map_err(|e| to_graphql(&e))
    }
}
