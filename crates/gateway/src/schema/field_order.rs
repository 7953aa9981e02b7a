//! Puts response fields in the order the query asked for them.
//!
//! async-graphql 7 resolves an object's fields concurrently and records
//! them as they finish, so `{ title author { name } }` may come back with
//! `author` first. The GraphQL spec asks for query order (section 7.2.2), and
//! people reading responses in GraphiQL expect it, so the gateway keeps
//! the parsed document and reorders the data after execution. It is not a
//! schema extension: see `WaypostSchema` for why none runs with requests.

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value};

/// Puts the fields of `data`, the answer to `operation_name` in
/// `document`, in the order the operation asks for them.
pub(super) fn reorder(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    if let Some(operation) = find_operation(document, operation_name) {
        reorder_value(data, &[&operation.selection_set.node], document);
    }
}

pub(super) fn find_operation<'d>(
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

/// The response keys a selection asks for, in order, with each key's own
/// selections.
type Keys<'d> = Vec<(&'d Name, Vec<&'d SelectionSet>)>;

fn reorder_value(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    // A scalar's selection is empty: nothing under it to order.
    if sets.iter().all(|set| set.items.is_empty()) {
        return;
    }
    let mut keys = Vec::new();
    collect(sets, document, &mut keys, 0);
    apply(value, &keys, document);
}

/// Orders `value` (an object, or a list of them: the keys are worked out
/// once for every item) by `keys`, and what is under it by theirs.
fn apply(value: &mut Value, keys: &Keys<'_>, document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                apply(item, keys, document);
            }
        }
        Value::Object(map) => {
            let mut present = keys.iter().filter(|(key, _)| map.contains_key(*key));
            let in_order = map.len() == present.clone().count()
                && map
                    .keys()
                    .all(|key| present.next().is_some_and(|(k, _)| *k == key));
            if !in_order {
                let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
                for (key, _) in keys {
                    if let Some(child) = map.shift_remove(*key) {
                        ordered.insert((*key).clone(), child);
                    }
                }
                // Anything the walk did not name keeps its place at the end.
                ordered.extend(map.drain(..));
                *map = ordered;
            }
            for (key, children) in keys {
                if let Some(child) = map.get_mut(*key) {
                    reorder_value(child, children, document);
                }
            }
        }
        _ => {}
    }
}
