//! The one place where error codes meet the outside: a domain error becomes
//! a GraphQL error, a code becomes `extensions.code`, an HTTP status and a
//! metrics outcome. Internal causes are logged where they arise and never
//! reach the client.

use async_graphql::{Error, ErrorExtensions};
use axum::http::StatusCode;
use waypost_domain::{DomainError, ErrorCode};

use crate::metrics::Outcome;

/// A GraphQL error with `message` and `extensions.code`.
pub(crate) fn coded(message: impl Into<String>, code: ErrorCode) -> Error {
    Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// The code an error's extensions carry, if it is one of ours.
pub(crate) fn code_of(
    extensions: Option<&async_graphql::ErrorExtensionValues>,
) -> Option<ErrorCode> {
    match extensions?.get("code")? {
        async_graphql::Value::String(code) => ErrorCode::parse(code),
        _ => None,
    }
}

/// The HTTP status of a request refused as a whole with `code`.
pub(crate) fn http_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // Apollo Client stops persisting queries for good after a 400 or a
        // 500; this answer only asks it for the text.
        ErrorCode::PersistedQueryNotFound => StatusCode::OK,
        // Well formed and understood, refused by the server's policy. Not
        // 400: Apollo Client's persisted-query link gives up sending
        // hashes after a 400, so one refused operation would turn every
        // later registered one into full text.
        ErrorCode::OperationNotTrusted => StatusCode::FORBIDDEN,
    }
}

/// The metrics outcome of an error with `code`; an error without one of
/// our codes escaped the mapping and counts as ours.
pub(crate) fn outcome(code: Option<ErrorCode>) -> Outcome {
    match code {
        Some(ErrorCode::Internal) | None => Outcome::ServerError,
        Some(ErrorCode::ServiceUnavailable) => Outcome::Unavailable,
        Some(ErrorCode::RateLimited) => Outcome::Limited,
        Some(_) => Outcome::ClientError,
    }
}

/// All a client learns of a failure on our side.
pub(crate) const INTERNAL_MESSAGE: &str = "Internal server error";

/// Maps a domain error to a GraphQL error carrying `extensions.code`.
pub(crate) fn to_graphql(err: &DomainError) -> Error {
    let code = err.code();
    let with_code = |message: String| coded(message, code);
    match err {
        DomainError::BadInput { field, message } | DomainError::Conflict { field, message } => {
            coded(message.clone(), code).extend_with(|_, ext| {
                if let Some(field) = field {
                    ext.set("field", *field);
                }
            })
        }
        DomainError::Unauthenticated(message) => with_code((*message).to_owned()),
        DomainError::Forbidden(message) | DomainError::NotFound(message) => {
            with_code(message.clone())
        }
        DomainError::RateLimited {
            retry_after_seconds,
        } => coded(err.to_string(), code).extend_with(|_, ext| {
            ext.set("retryAfter", *retry_after_seconds);
        }),
        // The domain logged the cause when the error arose.
        DomainError::Unavailable(_) => {
            with_code("The service is temporarily unavailable; please retry shortly.".to_owned())
        }
        DomainError::Internal(_) | DomainError::Fault(_) => with_code(INTERNAL_MESSAGE.to_owned()),
    }
}

/// A domain error as a plain-text HTTP answer, for the routes beside the
/// GraphQL endpoint (feeds, the sitemap): its code's status and the same
/// message GraphQL would carry, internal causes withheld.
pub(crate) fn to_plain(err: &DomainError) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let message = to_graphql(err).message;
    (http_status(err.code()), format!("{message}\n")).into_response()
}

/// A client mistake the gateway itself detects (argument shape, ids).
pub(crate) fn bad_input(field: &'static str, message: impl Into<String>) -> Error {
    to_graphql(&DomainError::bad_input(field, message))
}

/// A broken invariant inside the gateway: logged, shown as INTERNAL.
pub(crate) fn internal(what: &str) -> Error {
    tracing::error!(what, "internal error");
    coded(INTERNAL_MESSAGE, ErrorCode::Internal)
}

/// Whether async-graphql raised `error` for the client's input: parsing,
/// validation and query limits (no path), or an argument or variable that
/// does not coerce to its type (async-graphql's `InputValueError` texts).
fn is_client_error(error: &async_graphql::ServerError) -> bool {
    error.path.is_empty()
        || error.message.starts_with("Failed to parse \"")
        || error.message.starts_with("Expected input type \"")
        || error.message.starts_with("Invalid value for argument")
        // A non-null variable the request left out: async-graphql finds it
        // missing only when the field runs.
        || (error.message.starts_with("Variable ") && error.message.ends_with(" is not defined."))
}

/// Gives every error of a response a code. Client errors that async-graphql
/// raises become BAD_USER_INPUT. Any other error without a code escaped
/// `to_graphql` (a bug): it is logged and shown as INTERNAL, its text withheld.
pub(crate) fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        // An error raised outside the document (a panic, a refusal) has
        // no place in it; line 0 would point clients at nothing.
        error.locations.retain(|pos| pos.line > 0);
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let client = is_client_error(error);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if client {
            extensions.set("code", ErrorCode::BadUserInput.as_str());
        } else {
            tracing::error!(message = %error.message, path = ?error.path, "resolver error without a code");
            error.message = INTERNAL_MESSAGE.to_owned();
            extensions.set("code", ErrorCode::Internal.as_str());
        }
    }
}

/// `.gql()?` converts through `to_graphql`. A bare `?` on a domain error would
/// use async-graphql's blanket `Display` conversion and skip the mapping.
pub(crate) trait GqlResultExt<T> {
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
