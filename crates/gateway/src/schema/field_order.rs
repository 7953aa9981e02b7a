//! Puts response fields in the order the query asked for them.
//!
//! async-graphql 7 resolves an object's fields concurrently and records
//! them as they finish, so `{ title author { name } }` may come back with
//! `author` first. The GraphQL spec asks for query order (section 7.2.2), and
//! people reading responses in GraphiQL expect it, so this extension keeps
//! the parsed document and reorders the data after execution.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Response, ServerResult, Value, Variables};

pub(crate) struct FieldOrder;

impl ExtensionFactory for FieldOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldOrderExtension {
            document: Mutex::new(None),
        })
    }
}

struct FieldOrderExtension {
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for FieldOrderExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut slot) = self.document.lock() {
            *slot = Some(document.clone());
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self.document.lock().ok().and_then(|mut slot| slot.take());
        if let Some(document) = document
            && let Some(operation) = find_operation(&document, operation_name)
        {
            reorder(
                &mut response.data,
                &[&operation.selection_set.node],
                &document,
            );
        }
        response
    }
}

fn find_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    document
        .operations
        .iter()
        .find(|(n, _)| name.is_none() || n.map(|n| n.as_str()) == name)
        .map(|(_, op)| &op.node)
}

/// Response keys in the order `CollectFields` meets them, each with the
/// selection sets of the fields that share that key.
fn collect<'d>(
    sets: &[&'d SelectionSet],
    document: &'d ExecutableDocument,
    out: &mut Vec<(&'d Name, Vec<&'d SelectionSet>)>,
    depth: usize,
) {
    // Fragment cycles are rejected by validation; the depth guard only keeps
    // a malformed document from recursing without end.
    if depth > 64 {
        return;
    }
    for set in sets {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().map_or(&field.name.node, |a| &a.node);
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, children)) => children.push(&field.selection_set.node),
                        None => out.push((key, vec![&field.selection_set.node])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        collect(
                            &[&fragment.node.selection_set.node],
                            document,
                            out,
                            depth + 1,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    collect(&[&inline.node.selection_set.node], document, out, depth + 1);
                }
            }
        }
    }
}

fn reorder(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder(item, sets, document);
            }
        }
        Value::Object(map) => {
            let mut keys = Vec::new();
            collect(sets, document, &mut keys, 0);
            let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
            for (key, children) in keys {
                if let Some(mut child) = map.shift_remove(key) {
                    reorder(&mut child, &children, document);
                    ordered.insert(key.clone(), child);
                }
            }
            // Anything the walk did not name keeps its place at the end.
            ordered.extend(map.drain(..));
            *map = ordered;
        }
        _ => {}
    }
}
