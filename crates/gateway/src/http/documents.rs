//! Parsed operations, kept by their text: the same page's query arrives
//! thousands of times, and parsing it again each time costs more than
//! copying the tree. Bounded; a text that does not parse is left for the
//! schema to report.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Request;
use async_graphql::parser::types::{ExecutableDocument, OperationType};

/// Distinct operation texts kept; each is at most the query size limit.
const KEPT: NonZeroUsize = match NonZeroUsize::new(500) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

pub(crate) struct Documents(Mutex<lru::LruCache<String, Arc<ExecutableDocument>>>);

impl Default for Documents {
    fn default() -> Self {
        Documents(Mutex::new(lru::LruCache::new(KEPT)))
    }
}

impl Documents {
    /// Gives `request` its parsed document, from the cache when its text
    /// was seen before. Returns the document when the text parses. A text
    /// longer than `max_bytes` is not parsed here: the limits refuse it
    /// before anyone spends time on it.
    pub(crate) fn prepare(
        &self,
        request: &mut Request,
        max_bytes: usize,
    ) -> Option<Arc<ExecutableDocument>> {
        if request.query.is_empty() || request.query.len() > max_bytes {
            return None;
        }
        let cached = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&request.query)
            .cloned();
        let document = match cached {
            Some(document) => document,
            None => {
                let document = Arc::new(async_graphql::parser::parse_query(&request.query).ok()?);
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .put(request.query.clone(), document.clone());
                document
            }
        };
        request.set_parsed_query(ExecutableDocument::clone(&document));
        Some(document)
    }
}

/// The type of the operation `request` runs in `document`.
pub(crate) fn operation_type(
    document: &ExecutableDocument,
    request: &Request,
) -> Option<OperationType> {
    let operation = match &request.operation_name {
        Some(name) => {
            document
                .operations
                .iter()
                .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))?
                .1
        }
        None => document.operations.iter().next()?.1,
    };
    Some(operation.node.ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_parsed_once_and_long_ones_not_at_all() {
        let documents = Documents::default();
        let query = "query Page { posts { totalCount } }";
        let first = documents.prepare(&mut Request::new(query), 1024).unwrap();
        let mut again = Request::new(query);
        let second = documents.prepare(&mut again, 1024).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "parsed again");
        assert_eq!(operation_type(&second, &again), Some(OperationType::Query));
        assert!(documents.prepare(&mut Request::new(query), 10).is_none());
        assert!(
            documents
                .prepare(&mut Request::new("{ nope"), 1024)
                .is_none()
        );
        let mutation = Request::new("mutation M { signOut { signedOut } }").operation_name("M");
        let mut mutation = mutation;
        let document = documents.prepare(&mut mutation, 1024).unwrap();
        assert_eq!(
            operation_type(&document, &mutation),
            Some(OperationType::Mutation)
        );
    }
}
