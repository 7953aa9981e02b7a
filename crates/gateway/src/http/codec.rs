//! GraphQL over HTTP: reading GET and POST requests, negotiating the
//! response's media type, and writing its status and body.

use async_graphql::{BatchRequest, Request, Response as GqlResponse};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use waypost_domain::{DomainError, ErrorCode};

use crate::error::{code_of, http_status, to_graphql};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub(crate) const APPLICATION_JSON: &str = "application/json";

/// Which media type the client wants back. GraphQL-over-HTTP clients ask for
/// `application/graphql-response+json`; everyone else gets plain JSON. The
/// higher `q` wins; on a tie (or no preference) the GraphQL media type does.
pub(crate) fn wants_graphql_response(headers: &HeaderMap) -> bool {
    let mut graphql_q: Option<f32> = None;
    let mut json_q: Option<f32> = None;
    let ranges = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok());
    for range in ranges.flat_map(|v| v.split(',')) {
        let mut pieces = range.split(';').map(str::trim);
        let media = pieces.next().unwrap_or("");
        let q = pieces
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let slot = if media.eq_ignore_ascii_case(GRAPHQL_RESPONSE_JSON) {
            &mut graphql_q
        } else if media.eq_ignore_ascii_case(APPLICATION_JSON) {
            &mut json_q
        } else {
            continue;
        };
        *slot = Some(slot.map_or(q, |seen| seen.max(q)));
    }
    match (graphql_q, json_q) {
        (Some(g), Some(j)) => g > 0.0 && g >= j,
        (Some(g), None) => g > 0.0,
        (None, _) => false,
    }
}

/// A request error (parse, validation) leaves no data and no error path.
pub(crate) fn is_request_error(response: &GqlResponse) -> bool {
    matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// A response as it goes out: without a `data` entry when the request
/// failed before it ran (parsing, validation, limits), as the GraphQL
/// specification (section 7.1.2) and GraphQL over HTTP ask; `data: null`
/// would claim that execution began and nulled everything.
pub(crate) struct Wire<'a>(pub(crate) &'a GqlResponse);

impl serde::Serialize for Wire<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let response = self.0;
        let mut map = serializer.serialize_map(None)?;
        if !is_request_error(response) {
            map.serialize_entry("data", &response.data)?;
        }
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

/// Seconds a client is asked to wait before retrying after a failure on
/// our side that passes by itself (the database down or saturated, a
/// request that ran out of time).
const RETRY_UNAVAILABLE_SECONDS: u32 = 2;

pub(crate) fn json_response(
    status: StatusCode,
    graphql_media: bool,
    body: impl Into<axum::body::Bytes>,
) -> Response {
    let media = if graphql_media {
        GRAPHQL_RESPONSE_JSON
    } else {
        APPLICATION_JSON
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body.into(),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(RETRY_UNAVAILABLE_SECONDS),
        );
    }
    response
}

pub(crate) fn encode(
    status: StatusCode,
    graphql_media: bool,
    body: &impl serde::Serialize,
) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_response(status, graphql_media, bytes),
        Err(err) => {
            tracing::error!(error = %err, "response serialization failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A request-level error in the GraphQL response shape, with a code.
pub(crate) fn request_error(status: StatusCode, graphql_media: bool, message: &str) -> Response {
    coded_error(
        status,
        graphql_media,
        message,
        serde_json::json!({ "code": ErrorCode::BadUserInput.as_str() }),
    )
}

pub(crate) fn coded_error(
    status: StatusCode,
    graphql_media: bool,
    message: &str,
    extensions: serde_json::Value,
) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    encode(status, graphql_media, &body)
}

/// The HTTP status of an executed request. A request that served nothing
/// because the service could not (the database down, the pool exhausted)
/// is a 503 for every client, so that load balancers and dashboards see
/// the outage; otherwise plain JSON clients get 200 with errors in the
/// body, and the graphql-response media type signals request errors with
/// 400.
pub(crate) fn status_for(response: &GqlResponse, graphql_media: bool) -> StatusCode {
    if unavailable(response) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if retry_after(response).is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if graphql_media && is_request_error(response) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// Seconds until a RATE_LIMITED error among `response`'s (from a
/// resolver: sign-in attempts, say) lets the client try again, the longest
/// when there are several.
pub(crate) fn retry_after(response: &GqlResponse) -> Option<u64> {
    response
        .errors
        .iter()
        .filter(|e| code_of(e.extensions.as_ref()) == Some(ErrorCode::RateLimited))
        .map(
            |e| match e.extensions.as_ref().and_then(|x| x.get("retryAfter")) {
                Some(async_graphql::Value::Number(n)) => n.as_u64().unwrap_or(1),
                _ => 1,
            },
        )
        .max()
}

/// One executed operation's HTTP answer: its status, its body, and
/// `Retry-After` when a limit refused part of it.
pub(crate) fn reply(response: &GqlResponse, graphql_media: bool) -> Response {
    let mut encoded = encode(
        status_for(response, graphql_media),
        graphql_media,
        &Wire(response),
    );
    if let Some(seconds) = retry_after(response) {
        encoded
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    encoded
}

/// A SERVICE_UNAVAILABLE error, and not one field with a value to show.
fn unavailable(response: &GqlResponse) -> bool {
    let served_nothing = match &response.data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields
            .values()
            .all(|v| matches!(v, async_graphql::Value::Null)),
        _ => false,
    };
    served_nothing
        && response
            .errors
            .iter()
            .any(|e| code_of(e.extensions.as_ref()) == Some(ErrorCode::ServiceUnavailable))
}

/// The GET parameters of GraphQL over HTTP. async-graphql's own parser reads
/// `operation_name` rather than the spec's `operationName`, which would let a
/// GET name a mutation unseen, so Waypost parses them itself.
#[derive(serde::Deserialize)]
struct GetParams {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub(crate) fn parse_get(raw: &str) -> Result<Request, String> {
    let params: GetParams = serde_urlencoded::from_str(raw).map_err(|e| e.to_string())?;
    let mut request = Request::new(params.query);
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables.filter(|v| !v.is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(&variables).map_err(|e| format!("invalid variables: {e}"))?;
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    if let Some(extensions) = params.extensions.filter(|v| !v.is_empty()) {
        request.extensions =
            serde_json::from_str(&extensions).map_err(|e| format!("invalid extensions: {e}"))?;
    }
    Ok(request)
}

/// The response to a request refused before it ran: its credentials failed,
/// or its client is past its rate.
pub(crate) fn refused(err: &DomainError, graphql_media: bool) -> Response {
    let error = to_graphql(err);
    let mut response = error_body(http_status(err.code()), graphql_media, &error);
    refusal_headers(err, response.headers_mut());
    response
}

/// What a refusal tells the client besides its body: how to sign in, or
/// when to try again.
pub(crate) fn refusal_headers(err: &DomainError, headers: &mut HeaderMap) {
    match err {
        DomainError::Unauthenticated(_) => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        DomainError::RateLimited {
            retry_after_seconds,
        } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
        }
        _ => {}
    }
}

/// A response carrying one GraphQL error and no data.
pub(crate) fn error_body(
    status: StatusCode,
    graphql_media: bool,
    error: &async_graphql::Error,
) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": error.message, "extensions": error.extensions }] });
    encode(status, graphql_media, &body)
}

/// Reads a POST body: one operation (an object with a `query` string) or a
/// batch of 1 to `MAX_BATCH` of them. Errors are plain sentences: serde's own
/// messages name Rust types.
pub(crate) fn parse_body(body: &[u8], max_batch: usize) -> Result<BatchRequest, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the body is not valid JSON".to_owned())?;
    match value {
        serde_json::Value::Array(items) => {
            if !(1..=max_batch).contains(&items.len()) {
                return Err(format!(
                    "a batch holds 1 to {max_batch} operations, not {} (limit `batch`)",
                    items.len()
                ));
            }
            let requests = items
                .into_iter()
                .map(parse_operation)
                .collect::<Result<_, _>>()?;
            Ok(BatchRequest::Batch(requests))
        }
        other => parse_operation(other).map(BatchRequest::Single),
    }
}

pub(crate) fn parse_operation(value: serde_json::Value) -> Result<Request, String> {
    let shape = "expected a JSON object with a `query` string, or an array of them";
    let serde_json::Value::Object(fields) = &value else {
        return Err(shape.to_owned());
    };
    // A persisted query may name its text by hash alone.
    let by_hash = fields
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some();
    match fields.get("query") {
        Some(serde_json::Value::String(_)) => {}
        None if by_hash => {}
        _ => return Err(shape.to_owned()),
    }
    serde_json::from_value(value).map_err(|_| {
        "`variables` and `extensions` must be JSON objects and `operationName` a string".to_owned()
    })
}
