//! Bounds on what one request may ask of the service, checked before
//! anything runs. Public GraphQL endpoints are attacked with deep, wide,
//! aliased and batched queries; each bound here turns such a query away with
//! a BAD_USER_INPUT error whose extensions name the limit (`limit`), its
//! value (`max`) and what the request asked for (`actual`).
//!
//! The limits apply to every transport (HTTP and WebSocket) because they
//! live in the schema as an extension. Each accepted operation reports its
//! cost in the response's `extensions.cost`, so that a developer in
//! GraphiQL sees how much of the budget a query spends.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensions, Positioned, Response, ServerError, ServerResult, ValidationResult, Value,
    Variables,
};
use waypost_domain::ErrorCode;

use crate::error::coded;

/// The bounds, all on by default.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deep enough for the standard introspection query and a post page
    /// with threaded replies.
    pub max_depth: usize,
    /// Connection fields cost their page size times their contents, so
    /// nested lists multiply (`schema::connection::page_cost`).
    pub max_complexity: usize,
    /// Field selections written in the document, fragments included.
    pub max_fields: usize,
    /// Aliased fields: the cheap way to ask for one expensive field many
    /// times in a single operation.
    pub max_aliases: usize,
    /// Bytes of query text.
    pub max_query_bytes: usize,
    /// Nesting of lists and objects in the variables.
    pub max_variables_depth: usize,
    /// Operations in one batched POST.
    pub max_batch: usize,
    /// Bytes of a request body.
    pub max_body_bytes: usize,
    /// How long one HTTP request may run.
    pub timeout: Duration,
    /// Whether the schema answers introspection (and GraphiQL is served).
    pub introspection: bool,
    /// Requests a minute per client on average (0: no rate limit), and how
    /// many may come at once.
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    /// Whether clients on this machine go unlimited (development).
    pub rate_exempts_loopback: bool,
}

/// Deep enough for a five-level comment thread read as nested pages with
/// cursors (depth 17), with room for the post page around it.
pub(crate) const DEFAULT_MAX_DEPTH: u32 = 20;
/// Enough for that thread at five replies a level (781 comments, about
/// 23,000) with the fields a page shows of each; a query past it reads
/// thousands of rows.
pub(crate) const DEFAULT_MAX_COMPLEXITY: u32 = 50_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH as usize,
            max_complexity: DEFAULT_MAX_COMPLEXITY as usize,
            max_fields: 500,
            max_aliases: 30,
            max_query_bytes: 32 * 1024,
            max_variables_depth: 10,
            max_batch: 10,
            max_body_bytes: 1024 * 1024,
            timeout: Duration::from_secs(10),
            introspection: true,
            rate_per_minute: 600,
            rate_burst: 100,
            rate_exempts_loopback: true,
        }
    }
}

/// A refusal naming the limit, its value and, when known, what the request
/// asked for.
pub(crate) fn refusal(
    limit: &str,
    max: usize,
    actual: Option<usize>,
    what: &str,
) -> async_graphql::Error {
    let message = match actual {
        Some(actual) => {
            format!("{what}: {actual} where at most {max} is allowed (limit `{limit}`)")
        }
        None => format!("{what}: at most {max} is allowed (limit `{limit}`)"),
    };
    coded(message, ErrorCode::BadUserInput).extend_with(|_, ext| {
        ext.set("limit", limit);
        ext.set("max", max);
        ext.set("actual", actual);
    })
}

/// `refusal` of what the document asked for, as the schema reports it.
fn exceeded(limit: &str, max: usize, actual: usize, what: &str) -> ServerError {
    refusal(limit, max, Some(actual), what).into_server_error(async_graphql::Pos::default())
}

const NUL_REFUSED: &str = "text may not contain NUL characters";

/// A BAD_USER_INPUT refusal with no value to state; `limit` names the
/// switch that refused, if one did.
fn bad_input(message: &str, limit: Option<&str>) -> ServerError {
    coded(message, ErrorCode::BadUserInput)
        .extend_with(|_, ext| {
            if let Some(limit) = limit {
                ext.set("limit", limit);
            }
        })
        .into_server_error(async_graphql::Pos::default())
}

/// The schema extension enforcing the document-level limits.
pub(crate) struct QueryLimits(pub Arc<Limits>);

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsPerRequest {
            limits: self.0.clone(),
            cost: Mutex::new(None),
        })
    }
}

struct LimitsPerRequest {
    limits: Arc<Limits>,
    /// What validation measured, reported with the response.
    cost: Mutex<Option<ValidationResult>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsPerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let cost = *self.cost.lock().unwrap_or_else(PoisonError::into_inner);
        match cost {
            Some(cost) => response.extension(
                "cost",
                Value::from_json(serde_json::json!({
                    "complexity": cost.complexity,
                    "maxComplexity": self.limits.max_complexity,
                    "depth": cost.depth,
                    "maxDepth": self.limits.max_depth,
                }))
                .unwrap_or(Value::Null),
            ),
            None => response,
        }
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let limits = &self.limits;
        if query.len() > limits.max_query_bytes {
            return Err(exceeded(
                "queryBytes",
                limits.max_query_bytes,
                query.len(),
                "the query text is too long",
            ));
        }
        // Text with a NUL character cannot be stored (PostgreSQL refuses it)
        // nor meant: it is refused here, the same on both backends, whether
        // it comes raw, as a GraphQL escape, or in the variables.
        if query.contains('\0') || variables.values().any(holds_nul) {
            return Err(bad_input(NUL_REFUSED, None));
        }
        let nesting = variables.values().map(nesting).max().unwrap_or(0);
        if nesting > limits.max_variables_depth {
            return Err(exceeded(
                "variablesDepth",
                limits.max_variables_depth,
                nesting,
                "the variables are nested too deep",
            ));
        }
        let document = next.run(ctx, query, variables).await?;
        // The name of a document's only operation, for metrics and the
        // request's log line (a request naming its operation says so itself).
        let mut operations = document.operations.iter();
        if let (Some((Some(name), _)), None) = (operations.next(), operations.next()) {
            crate::metrics::note_operation(name.as_str());
        }
        let mut count = Count::default();
        for (_, operation) in document.operations.iter() {
            count.selections(&operation.node.selection_set);
        }
        for fragment in document.fragments.values() {
            count.selections(&fragment.node.selection_set);
        }
        if count.nul {
            return Err(bad_input(NUL_REFUSED, None));
        }
        if count.introspects && !limits.introspection {
            // async-graphql would answer null without a word; say why.
            return Err(bad_input(
                "introspection is turned off on this server",
                Some("introspection"),
            ));
        }
        if count.fields > limits.max_fields {
            return Err(exceeded(
                "fields",
                limits.max_fields,
                count.fields,
                "the query selects too many fields",
            ));
        }
        if count.aliases > limits.max_aliases {
            return Err(exceeded(
                "aliases",
                limits.max_aliases,
                count.aliases,
                "the query uses too many aliases",
            ));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let limits = &self.limits;
        if result.depth > limits.max_depth {
            return Err(vec![exceeded(
                "depth",
                limits.max_depth,
                result.depth,
                "the query is nested too deep",
            )]);
        }
        if result.complexity > limits.max_complexity {
            return Err(vec![exceeded(
                "complexity",
                limits.max_complexity,
                result.complexity,
                "the query would cost too much",
            )]);
        }
        *self.cost.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        Ok(result)
    }
}

/// Whether any string in `value` holds a NUL character.
fn holds_nul(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(text) if text.contains('\0') => return true,
            Value::List(items) => stack.extend(items),
            Value::Object(fields) => {
                stack.extend(fields.values());
                if fields.keys().any(|k| k.contains('\0')) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// How deep lists and objects nest in a value; a scalar is 0.
fn nesting(value: &Value) -> usize {
    // Iterative, so that a hostile value cannot exhaust the stack here.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match value {
            Value::List(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(fields) => stack.extend(fields.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    deepest
}

#[derive(Default)]
struct Count {
    fields: usize,
    aliases: usize,
    introspects: bool,
    /// A string argument holds a NUL character (written as an escape).
    nul: bool,
}

impl Count {
    fn selections(&mut self, set: &Positioned<SelectionSet>) {
        // Iterative: the document has not been checked for nesting yet.
        let mut stack = vec![set];
        while let Some(set) = stack.pop() {
            for item in &set.node.items {
                match &item.node {
                    Selection::Field(field) => {
                        self.fields += 1;
                        if field.node.alias.is_some() {
                            self.aliases += 1;
                        }
                        self.nul |= field.node.arguments.iter().any(|(_, value)| {
                            value
                                .node
                                .clone()
                                .into_const()
                                .is_some_and(|v| holds_nul(&v))
                        });
                        let name = field.node.name.node.as_str();
                        self.introspects |= name == "__schema" || name == "__type";
                        stack.push(&field.node.selection_set);
                    }
                    Selection::InlineFragment(fragment) => {
                        stack.push(&fragment.node.selection_set);
                    }
                    Selection::FragmentSpread(_) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_lists_and_objects() {
        let value = Value::from_json(serde_json::json!({ "a": [[1], { "b": 2 }] })).unwrap();
        assert_eq!(nesting(&value), 3);
        assert_eq!(nesting(&Value::from(1)), 0);
    }

    #[test]
    fn refusal_names_the_limit() {
        let err = exceeded("depth", 15, 16, "the query is nested too deep");
        let ext = err.extensions.unwrap();
        assert_eq!(ext.get("limit"), Some(&Value::from("depth")));
        assert_eq!(ext.get("max"), Some(&Value::from(15)));
        assert_eq!(ext.get("actual"), Some(&Value::from(16)));
        assert!(err.message.contains("16") && err.message.contains("15"));
    }
}
