//! Checking an operation document against the schema without running it,
//! for documents registered ahead of time (trusted documents): a document
//! that would be refused at every request is refused once, when it is
//! registered or loaded, naming what is wrong.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{Request, ServerError, ValidationResult};

use super::Roots;

/// Stops every request once it has been validated, whatever the outcome:
/// nothing resolves, so no request context is needed.
pub(crate) struct CheckOnly;

impl ExtensionFactory for CheckOnly {
    fn create(&self) -> std::sync::Arc<dyn Extension> {
        std::sync::Arc::new(CheckOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CheckOnly {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // No errors at all is how a valid document comes back: the request
        // ends here either way.
        Err(next.run(ctx).await.err().unwrap_or_default())
    }
}

/// Parses and validates `text` (every operation in it, with the limits the
/// schema enforces) against `schema`, which must come from
/// [`super::build_checking_schema`]. Each problem comes back as a sentence
/// with its place in the text.
pub(crate) async fn check_document(schema: &Roots, text: &str) -> Result<(), Vec<String>> {
    let response = schema.execute(Request::new(text)).await;
    if response.errors.is_empty() {
        return Ok(());
    }
    Err(response
        .errors
        .iter()
        .map(|error| match error.locations.first() {
            Some(at) => format!("{} (line {}, column {})", error.message, at.line, at.column),
            None => error.message.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::schema::build_checking_schema;

    #[tokio::test]
    async fn documents_are_checked_and_not_run() {
        let schema = build_checking_schema(&Limits::default());
        // Valid: several operations and a fragment, a subscription too;
        // nothing runs, so no database is needed.
        let valid = "query A { posts(first: 1) { nodes { ...P } } } \
                     fragment P on Post { slug } \
                     mutation B { signOut { signedOut } } \
                     subscription C($p: ID!) { commentAdded(postId: $p) { id } }";
        assert_eq!(check_document(&schema, valid).await, Ok(()));
        let unknown = check_document(&schema, "query {\n  nope\n}")
            .await
            .unwrap_err();
        assert!(
            unknown[0].contains("nope") && unknown[0].contains("line 2"),
            "{unknown:?}"
        );
        assert!(check_document(&schema, "{ posts {").await.is_err());
        assert!(check_document(&schema, "").await.is_err());
        // The schema's own limits apply.
        let strict = build_checking_schema(&Limits {
            max_depth: 2,
            introspection: false,
            ..Limits::default()
        });
        let deep = check_document(&strict, "{ posts { nodes { author { name } } } }")
            .await
            .unwrap_err();
        assert!(deep[0].contains("depth"), "{deep:?}");
        let hidden = check_document(&strict, "{ __schema { queryType { name } } }")
            .await
            .unwrap_err();
        assert!(hidden[0].contains("introspection"), "{hidden:?}");
    }
}
