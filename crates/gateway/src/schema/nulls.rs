//! Null propagation, as the GraphQL specification asks (section 6.4.4,
//! "Handling Field Errors"): a field that fails is `null` in the answer,
//! and if its type is non-null the `null` moves up to the nearest parent
//! that may be null, the whole `data` at the root.
//!
//! async-graphql 7 leaves a failed field's key out of its object instead,
//! so a client whose generated types promise a value finds `undefined`.
//! The gateway keeps the parsed document and the schema's field types and
//! puts the nulls where the specification wants them after execution, in
//! the same pass that restores field order.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{PathSegment, Response, Value};

use super::field_order::{collect, find_operation};

/// Every output field's type, by the type that declares it, read once from
/// the schema's SDL.
pub(super) struct Shapes {
    fields: HashMap<String, HashMap<String, Type>>,
    query: String,
    mutation: String,
    subscription: String,
}

impl Shapes {
    /// The shapes of the schema `sdl` describes. A schema that does not
    /// parse (it always does: async-graphql wrote it) has no shapes, and
    /// answers keep async-graphql's own form.
    pub(super) fn read(sdl: &str) -> Shapes {
        let mut shapes = Shapes {
            fields: HashMap::new(),
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the schema's own SDL does not parse; nulls are not propagated");
            return shapes;
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(name) = schema.query {
                        shapes.query = name.node.to_string();
                    }
                    if let Some(name) = schema.mutation {
                        shapes.mutation = name.node.to_string();
                    }
                    if let Some(name) = schema.subscription {
                        shapes.subscription = name.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let fields = match ty.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    shapes.fields.insert(
                        ty.name.node.to_string(),
                        fields
                            .into_iter()
                            .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                            .collect(),
                    );
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        shapes
    }

    fn field(&self, on: &str, name: &str) -> Option<&Type> {
        self.fields.get(on)?.get(name)
    }

    /// Puts a `null` where each of `response`'s field errors happened, and
    /// moves it up past every non-null position, as far as `data` itself.
    pub(super) fn propagate(
        &self,
        response: &mut Response,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
    ) {
        let Some(operation) = find_operation(document, operation_name) else {
            return;
        };
        let root = match operation.ty {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        };
        for error in &response.errors {
            if error.path.is_empty() || matches!(response.data, Value::Null) {
                continue;
            }
            let nullable =
                self.nullability(root, &operation.selection_set.node, document, &error.path);
            if let Some(nullable) = nullable {
                null_out(&mut response.data, &error.path, &nullable);
            }
        }
    }

    /// Whether the value at each prefix of `path` may be null (one entry per
    /// segment), or `None` when the path does not follow the document.
    fn nullability(
        &self,
        root: &str,
        selection: &SelectionSet,
        document: &ExecutableDocument,
        path: &[PathSegment],
    ) -> Option<Vec<bool>> {
        let mut nullable = Vec::with_capacity(path.len());
        let mut parent = root.to_owned();
        let mut sets: Vec<&SelectionSet> = vec![selection];
        // The list levels still to step through under the last field.
        let mut wrapping: Option<&Type> = None;
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let (ty, children) = self.field_by_key(&parent, &sets, document, key)?;
                    nullable.push(ty.nullable);
                    parent = named(ty).to_owned();
                    sets = children;
                    wrapping = Some(ty);
                }
                PathSegment::Index(_) => {
                    let BaseType::List(item) = &wrapping?.base else {
                        return None;
                    };
                    nullable.push(item.nullable);
                    wrapping = Some(item);
                }
            }
        }
        Some(nullable)
    }

    /// The type of the field answered under response key `key` in `sets`
    /// (selections on `parent`), and that field's own selections.
    fn field_by_key<'d>(
        &'d self,
        parent: &str,
        sets: &[&'d SelectionSet],
        document: &'d ExecutableDocument,
        key: &str,
    ) -> Option<(&'d Type, Vec<&'d SelectionSet>)> {
        let collected = collect(sets, document)
            .into_iter()
            .find(|c| c.key.as_str() == key)?;
        // A field asked for on a fragment of an abstract type is declared
        // by the fragment's type; the interface declares it too when shared.
        let ty = self
            .field(collected.on.unwrap_or(parent), collected.field)
            .or_else(|| self.field(parent, collected.field))?;
        Some((ty, collected.children))
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// Sets the value at `path` to `null` and moves the `null` up while the
/// position it stands at may not be null. `nullable[i]` says whether the
/// value at `path[..=i]` may be null.
fn null_out(data: &mut Value, path: &[PathSegment], nullable: &[bool]) {
    // The deepest position the error reaches: where it happened, or the
    // first parent that is already null (an object whose every field
    // failed, or one an earlier error nulled).
    let mut depth = 0;
    {
        let mut value = &*data;
        for segment in &path[..path.len() - 1] {
            match step(value, segment) {
                Some(child) if !matches!(child, Value::Null) => {
                    value = child;
                    depth += 1;
                }
                _ => break,
            }
        }
        if depth == path.len() - 1 && !matches!(value, Value::Object(_) | Value::List(_)) {
            return;
        }
    }
    let mut at = if depth == path.len() - 1 {
        path.len() - 1
    } else {
        depth
    };
    loop {
        if nullable[at] {
            set_null(data, &path[..=at]);
            return;
        }
        if at == 0 {
            *data = Value::Null;
            return;
        }
        at -= 1;
    }
}

fn step<'v>(value: &'v Value, segment: &PathSegment) -> Option<&'v Value> {
    match (value, segment) {
        (Value::Object(map), PathSegment::Field(key)) => map.get(key.as_str()),
        (Value::List(items), PathSegment::Index(n)) => items.get(*n),
        _ => None,
    }
}

/// Writes `null` at `path`, adding the key when the object lacks it.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut value = data;
    for segment in parents {
        let next = match (value, segment) {
            (Value::Object(map), PathSegment::Field(key)) => map.get_mut(key.as_str()),
            (Value::List(items), PathSegment::Index(n)) => items.get_mut(*n),
            _ => None,
        };
        match next {
            Some(child) => value = child,
            None => return,
        }
    }
    match (value, last) {
        (Value::Object(map), PathSegment::Field(key)) => {
            map.insert(async_graphql::Name::new(key), Value::Null);
        }
        (Value::List(items), PathSegment::Index(n)) => {
            if let Some(item) = items.get_mut(*n) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { tag: Tag posts: Conn! list: [Item!]! items: [Item] }
        type Tag { name: String! }
        type Conn { total: Int! edges: [Edge!]! }
        type Edge { node: Item! }
        type Item { id: ID! title: String note: String! }
    "#;

    fn answer(query: &str, data: serde_json::Value, paths: &[serde_json::Value]) -> Value {
        let shapes = Shapes::read(SDL);
        let document = async_graphql::parser::parse_query(query).expect("query parses");
        let mut response = Response::new(Value::from_json(data).expect("json"));
        for path in paths {
            let mut error = async_graphql::ServerError::new("failed", None);
            error.path = serde_json::from_value(path.clone()).expect("path");
            response.errors.push(error);
        }
        shapes.propagate(&mut response, &document, None);
        response.data
    }

    fn json(value: Value) -> serde_json::Value {
        value.into_json().expect("json")
    }

    #[test]
    fn a_nullable_field_that_fails_is_null() {
        let data = answer(
            "{ tag { name } items { id title } }",
            serde_json::json!({ "items": [{ "id": "1" }] }),
            &[
                serde_json::json!(["tag"]),
                serde_json::json!(["items", 0, "title"]),
            ],
        );
        assert_eq!(
            json(data),
            serde_json::json!({ "items": [{ "id": "1", "title": null }], "tag": null })
        );
    }

    #[test]
    fn a_non_null_root_field_that_fails_nulls_data() {
        let data = answer(
            "{ tag { name } posts { total } }",
            serde_json::json!({ "tag": { "name": "apis" } }),
            &[serde_json::json!(["posts"])],
        );
        assert_eq!(json(data), serde_json::json!(null));
    }

    #[test]
    fn a_null_moves_up_to_the_nearest_nullable_parent() {
        // note is non-null, so is the item in `list` and `list` itself:
        // all the way to the root. In `items` the item may be null.
        let data = answer(
            "{ tag { name } items { id note } }",
            serde_json::json!({ "tag": { "name": "a" }, "items": [{ "id": "1" }, { "id": "2", "note": "n" }] }),
            &[serde_json::json!(["items", 0, "note"])],
        );
        assert_eq!(
            json(data),
            serde_json::json!({ "tag": { "name": "a" }, "items": [null, { "id": "2", "note": "n" }] })
        );
        let data = answer(
            "{ tag { name } list { id note } }",
            serde_json::json!({ "tag": { "name": "a" }, "list": [{ "id": "1" }] }),
            &[serde_json::json!(["list", 0, "note"])],
        );
        assert_eq!(json(data), serde_json::json!(null));
    }

    #[test]
    fn aliases_and_fragments_are_followed_and_an_emptied_object_still_counts() {
        // Every field of `t` failed, so async-graphql answered `t` with
        // null; its `name` is non-null but `tag` may be null: it stays null.
        let data = answer(
            "query { t: tag { ...F } ok: items { id } } fragment F on Tag { n: name }",
            serde_json::json!({ "t": null, "ok": [] }),
            &[serde_json::json!(["t", "n"])],
        );
        assert_eq!(json(data), serde_json::json!({ "t": null, "ok": [] }));
        // Under a non-null parent the emptied object moves the null on up.
        let data = answer(
            "{ posts { edges { node { note } } } }",
            serde_json::json!({ "posts": { "total": 1, "edges": [ null ] } }),
            &[serde_json::json!(["posts", "edges", 0, "node", "note"])],
        );
        assert_eq!(json(data), serde_json::json!(null));
    }
}
