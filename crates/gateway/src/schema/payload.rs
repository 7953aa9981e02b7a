//! What mutations answer with: `userErrors` (what the user can fix, built
//! one way, from the domain's field errors), the payloads that carry them,
//! and the one shape of a delete.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use waypost_domain::{FieldError, UserErrorCode};

/// Something the person filling in a form can act on: fix a field, pick
/// another slug, reload a stale edit, wait. A form shows it beside the
/// field it names. What a developer must fix (a malformed id, a missing
/// sign-in) and the service's own limits are top-level errors instead.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct UserError {
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    /// A sentence for the user, in English; `code` lets a UI use its own.
    pub message: String,
    pub code: UserErrorCodeEnum,
    /// With RATE_LIMITED: seconds until trying again is let through.
    pub retry_after: Option<u64>,
}

/// What kind of mistake a `UserError` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "UserErrorCode")]
pub(crate) enum UserErrorCodeEnum {
    /// Left empty, and it may not be.
    Required,
    /// Shorter than the field allows.
    TooShort,
    /// Longer than the field allows; the message says by how much.
    TooLong,
    /// Not in the field's form: an email or web address, a slug.
    InvalidFormat,
    /// Well formed, but not a value the field may take here.
    Invalid,
    /// Names something that does not exist, or no longer does.
    NotFound,
    /// The same thing was given, or was stored already.
    Duplicate,
    /// Collides with stored data: a taken slug, an edit of a stale version.
    Conflict,
    /// What the form acts on no longer takes it: comments are closed.
    Closed,
    /// Sent too often: try again after `retryAfter` seconds.
    RateLimited,
    /// The viewer's role may not set this field.
    Forbidden,
    /// Signing in: the email or the password is not right.
    InvalidCredentials,
}

impl From<UserErrorCode> for UserErrorCodeEnum {
    fn from(code: UserErrorCode) -> Self {
        match code {
            UserErrorCode::Required => UserErrorCodeEnum::Required,
            UserErrorCode::TooShort => UserErrorCodeEnum::TooShort,
            UserErrorCode::TooLong => UserErrorCodeEnum::TooLong,
            UserErrorCode::InvalidFormat => UserErrorCodeEnum::InvalidFormat,
            UserErrorCode::Invalid => UserErrorCodeEnum::Invalid,
            UserErrorCode::NotFound => UserErrorCodeEnum::NotFound,
            UserErrorCode::Duplicate => UserErrorCodeEnum::Duplicate,
            UserErrorCode::Conflict => UserErrorCodeEnum::Conflict,
            UserErrorCode::Closed => UserErrorCodeEnum::Closed,
            UserErrorCode::RateLimited => UserErrorCodeEnum::RateLimited,
            UserErrorCode::Forbidden => UserErrorCodeEnum::Forbidden,
            UserErrorCode::InvalidCredentials => UserErrorCodeEnum::InvalidCredentials,
        }
    }
}

impl From<FieldError> for UserError {
    fn from(error: FieldError) -> Self {
        UserError {
            field: error.field.map(str::to_owned),
            message: error.message,
            code: error.code.into(),
            retry_after: error.retry_after_seconds,
        }
    }
}

pub(crate) fn user_errors(errors: Vec<FieldError>) -> Vec<UserError> {
    errors.into_iter().map(UserError::from).collect()
}

/// A mutation payload: the object written, or `null` and what to fix.
/// Built from a domain write's `Result<Stored, Vec<FieldError>>`;
/// `field: Object(Stored)` names the field and how the object wraps it.
macro_rules! payload {
    ($(#[$doc:meta])* $payload:ident { $(#[$field_doc:meta])* $field:ident: $object:ident($stored:ty) }) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub(crate) struct $payload {
            $(#[$field_doc])*
            pub(crate) $field: Option<$object>,
            pub(crate) user_errors: Vec<$crate::schema::payload::UserError>,
        }

        impl From<Result<$stored, Vec<waypost_domain::FieldError>>> for $payload {
            fn from(result: Result<$stored, Vec<waypost_domain::FieldError>>) -> Self {
                match result {
                    Ok(value) => $payload {
                        $field: Some($object(value)),
                        user_errors: Vec::new(),
                    },
                    Err(errors) => $payload {
                        $field: None,
                        user_errors: $crate::schema::payload::user_errors(errors),
                    },
                }
            }
        }
    };
}
pub(crate) use payload;

#[derive(InputObject)]
pub(crate) struct DeleteInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub(crate) struct DeletePayload {
    /// The id of what was deleted; `null` when there was nothing to delete.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

impl DeletePayload {
    /// What deleting `id` answers: the id when something was deleted,
    /// `null` when nothing had it (deleting twice is no error), or what the
    /// user must fix first.
    pub(crate) fn of(id: ID, deleted: Result<bool, Vec<FieldError>>) -> Self {
        match deleted {
            Ok(deleted) => DeletePayload {
                deleted_id: deleted.then_some(id),
                user_errors: Vec::new(),
            },
            Err(errors) => DeletePayload {
                deleted_id: None,
                user_errors: user_errors(errors),
            },
        }
    }
}
