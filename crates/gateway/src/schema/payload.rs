//! What mutations answer with: `userErrors` (what the user can fix, built
//! one way, from the domain's field errors), the payloads that carry them,
//! and the one shape of a delete.

use async_graphql::{ID, InputObject, SimpleObject};
use waypost_domain::FieldError;

/// A mistake in a mutation's input that the user can fix.
#[derive(Debug, Clone, SimpleObject)]
pub(crate) struct UserError {
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
    pub code: String,
}

impl From<FieldError> for UserError {
    fn from(error: FieldError) -> Self {
        UserError {
            field: error.field.map(str::to_owned),
            message: error.message,
            code: error.code.as_str().to_owned(),
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
