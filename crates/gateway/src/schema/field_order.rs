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

/// A response key as `CollectFields` meets it: the field that answers it,
/// the type condition it was first met under (`None`: the parent's own
/// type), and the selection sets of every field sharing the key.
pub(super) struct Collected<'d> {
    pub key: &'d Name,
    pub field: &'d Name,
    pub on: Option<&'d str>,
    pub children: Vec<&'d SelectionSet>,
}

/// The response keys `sets` ask for, in the order `CollectFields` meets
/// them, fragments followed.
pub(super) fn collect<'d>(
    sets: &[&'d SelectionSet],
    document: &'d ExecutableDocument,
) -> Vec<Collected<'d>> {
    let mut out = Vec::new();
    collect_into(sets, None, document, &mut out, 0);
    out
}

fn collect_into<'d>(
    sets: &[&'d SelectionSet],
    on: Option<&'d str>,
    document: &'d ExecutableDocument,
    out: &mut Vec<Collected<'d>>,
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
                    match out.iter_mut().find(|c| c.key == key) {
                        Some(collected) => collected.children.push(&field.selection_set.node),
                        None => out.push(Collected {
                            key,
                            field: &field.name.node,
                            on,
                            children: vec![&field.selection_set.node],
                        }),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let on = Some(fragment.node.type_condition.node.on.node.as_str());
                        collect_into(
                            &[&fragment.node.selection_set.node],
                            on,
                            document,
                            out,
                            depth + 1,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(on);
                    collect_into(
                        &[&inline.node.selection_set.node],
                        on,
                        document,
                        out,
                        depth + 1,
                    );
                }
            }
        }
    }
}

fn reorder_value(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    // A scalar's selection is empty: nothing under it to order.
    if sets.iter().all(|set| set.items.is_empty()) {
        return;
    }
    apply(value, &collect(sets, document), document);
}

/// Orders `value` (an object, or a list of them: the keys are worked out
/// once for every item) by `keys`, and what is under it by theirs.
fn apply(value: &mut Value, keys: &[Collected<'_>], document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                apply(item, keys, document);
            }
        }
        Value::Object(map) => {
            let mut present = keys.iter().filter(|c| map.contains_key(c.key));
            let in_order = map.len() == present.clone().count()
                && map
                    .keys()
                    .all(|key| present.next().is_some_and(|c| c.key == key));
            if !in_order {
                let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
                for collected in keys {
                    if let Some(child) = map.shift_remove(collected.key) {
                        ordered.insert(collected.key.clone(), child);
                    }
                }
                // Anything the walk did not name keeps its place at the end.
                ordered.extend(map.drain(..));
                *map = ordered;
            }
            for collected in keys {
                if let Some(child) = map.get_mut(collected.key) {
                    reorder_value(child, &collected.children, document);
                }
            }
        }
        _ => {}
    }
}
