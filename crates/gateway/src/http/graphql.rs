//! The `/graphql` handlers: GET, POST and the WebSocket upgrade, each run
//! for whoever its credentials name, within the request deadline, and
//! counted in the metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Response as GqlResponse};
use async_graphql_axum::GraphQLProtocol;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State, WebSocketUpgrade};
use axum::http::response::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use tracing::Instrument;
use waypost_db::count_statements;
use waypost_domain::ErrorCode;
use waypost_domain::freshness::{self, Changes, Reads};

use super::answers::{Answer, key_headers, request_key};
use super::auth::{header_token, viewer};
use super::caching::{Audience, Personal, Public, private, read_public, respond_public};
use super::codec::{
    APPLICATION_JSON, Wire, coded_error, encode, error_body, json_response, parse_body, parse_get,
    refused, reply, request_error, status_for, wants_graphql_response,
};
use super::connections::Crowded;
use super::documents::operation_type;
use super::guard::{client_ip, rate_limited};
use super::persisted::Refusal;
use super::replica::execute_routed;
use super::socket;
use super::state::AppState;
use crate::error::{INTERNAL_MESSAGE, code_of, http_status, outcome};
use crate::limits::refusal;
use crate::metrics::Closed;
use crate::metrics::{Metrics, Outcome, naming_operation};

/// Whether a GET asks to become a WebSocket.
fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// A GraphQL WebSocket, once the upgrade request's credentials check out.
async fn graphql_socket(state: AppState, mut parts: axum::http::request::Parts) -> Response {
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &state).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(err) = viewer(&state.services, &parts.headers).await {
        return refused(&err, false);
    }
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| header_token(value).ok())
        .map(str::to_owned);
    let ip = client_ip(&state.proxies, &parts.headers, &parts.extensions);
    let client = ip.as_deref().and_then(|ip| ip.parse().ok());
    let place = match state.sockets.take(client) {
        Ok(place) => place,
        Err(crowded) => {
            state.services.metrics.connection_closed(match crowded {
                Crowded::Client => Closed::ClientWebsockets,
                Crowded::Server => Closed::Websockets,
            });
            return crowded.response("WebSockets");
        }
    };
    let legacy = socket::is_legacy(&parts.headers);
    socket::upgrade(state, upgrade, (protocol, legacy), token, ip, place)
}

pub(crate) async fn graphql_get(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    if is_upgrade(&parts.headers) {
        return graphql_socket(state, parts).await;
    }
    let headers = parts.headers;
    let extensions = parts.extensions;
    let query = parts.uri.query();
    let graphql_media = wants_graphql_response(&headers);
    let now = (state.services.clock)();
    let cache_key = cacheable_request(&state, &headers, &extensions)
        .then(|| request_key(true, graphql_media, query.unwrap_or("").as_bytes()));
    if let Some(answer) = cache_key
        .as_deref()
        .and_then(|key| state.answers.lookup(key, now))
    {
        return answer_cached(&state, &headers, &extensions, &answer, true);
    }
    let mut request = match parse_get(query.unwrap_or("")) {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                graphql_media,
                &format!("invalid GraphQL request: {err}"),
            );
        }
    };
    if let Err(refusal) = state.persisted.resolve(&state.services, &mut request).await {
        return persisted_refusal(&refusal, graphql_media);
    }
    // GET must be safe: only queries run over it.
    let document = state
        .documents
        .prepare(&mut request, state.limits.max_query_bytes);
    let kind = document.and_then(|d| operation_type(&d, &request));
    if matches!(
        kind,
        Some(OperationType::Mutation | OperationType::Subscription)
    ) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            graphql_media,
            "only queries may be sent with GET; use POST for mutations",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let operations = Operations {
        batch: BatchRequest::Single(request),
        kinds: vec![kind],
        personal: Some(Personal::default()),
    };
    match run_keeping(
        &state,
        &headers,
        &extensions,
        graphql_media,
        operations,
        cache_key,
        now,
    )
    .await
    {
        Finished::Private(response) => private(response),
        Finished::Public(parts, public) => respond_public(parts, public, &headers, state.caching),
    }
}

/// How a request finished: an answer for its asker alone, or a public one.
enum Finished {
    Private(Response),
    Public(Parts, Public),
}

/// Runs `operations`. A GET's answer, or one with a `cache_key`, is checked
/// for being public (`Audience`); a public answer with a key is kept in the
/// answer cache under what it read, unless a write evicted anything while
/// it ran.
async fn run_keeping(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    graphql_media: bool,
    operations: Operations,
    cache_key: Option<Vec<u8>>,
    now: NaiveDateTime,
) -> Finished {
    let Some(personal) = operations.personal.clone() else {
        // No one will look at who the answer is for.
        let reads = Arc::new(Reads::default());
        let ran = run(state, headers, extensions, graphql_media, operations, reads).await;
        return Finished::Private(ran.response);
    };
    let ticket = state.answers.ticket(now);
    let reads = Arc::new(Reads::default());
    let ran = run(
        state,
        headers,
        extensions,
        graphql_media,
        operations,
        reads.clone(),
    )
    .await;
    let audience = Audience {
        anonymous: !headers.contains_key(header::AUTHORIZATION),
        personal,
        outcome: ran.outcome,
    };
    if !audience.is_public(&ran.response) {
        return Finished::Private(ran.response);
    }
    let Some((parts, body, etag)) = read_public(ran.response).await else {
        return Finished::Private(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let reads = reads.keys();
    if let Some(key) = cache_key
        && let Some(answer) = Answer::new(
            body.clone(),
            graphql_media,
            ran.operation,
            etag.clone(),
            reads.clone(),
        )
    {
        state
            .answers
            .keep(ticket, key, answer, &state.services.pool)
            .await;
    }
    let public = Public {
        body,
        etag,
        keys: key_headers(&reads),
        last_modified: None,
    };
    Finished::Public(parts, public)
}

/// Whether a request's answer may come from, or go into, the answer cache:
/// anonymous requests only, so nobody is ever served another's data; and,
/// with a replica, not a writer's within its window, whose reads must show
/// its own write while answers read on the replica may not yet.
fn cacheable_request(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> bool {
    if !state.answers.enabled() || headers.contains_key(header::AUTHORIZATION) {
        return false;
    }
    if !state.services.pool.has_replica() {
        return true;
    }
    client_ip(&state.proxies, headers, extensions).is_none_or(|client| {
        !state
            .writers
            .wrote_lately(&client, std::time::Instant::now())
    })
}

/// A cached answer, sent as the request's answer: counted and logged like
/// any other, and limited by the client's rate like any other.
fn answer_cached(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    answer: &Answer,
    get: bool,
) -> Response {
    let started = std::time::Instant::now();
    let ip = client_ip(&state.proxies, headers, extensions);
    if let Some(limited) = rate_limited(state.rate.as_deref(), &state.limits, None, ip.as_deref()) {
        state.services.metrics.record_error(limited.code());
        let response = refused(&limited, answer.graphql_media);
        account(
            state,
            headers,
            extensions,
            &answer.operation,
            Outcome::Limited,
            &response,
            started,
            0,
        );
        return response;
    }
    let fresh = json_response(StatusCode::OK, answer.graphql_media, answer.body.clone());
    let response = if get {
        let (parts, _) = fresh.into_parts();
        let public = Public {
            body: answer.body.clone(),
            etag: answer.etag.clone(),
            keys: Some((answer.surrogate_keys.clone(), answer.cache_tags.clone())),
            last_modified: None,
        };
        respond_public(parts, public, headers, state.caching)
    } else {
        fresh
    };
    account(
        state,
        headers,
        extensions,
        &answer.operation,
        Outcome::Ok,
        &response,
        started,
        0,
    );
    response
}

/// What a request asks to run, as its handler prepared it.
struct Operations {
    batch: BatchRequest,
    /// Each operation's type, in the batch's order; `None` where the text
    /// did not parse (the schema says why).
    kinds: Vec<Option<OperationType>>,
    /// Set when something for one reader goes into the answer; present
    /// when the answer may be public (a GET's, or a cacheable POST's).
    personal: Option<Personal>,
}

/// What `run` answered, and for which operation.
struct Ran {
    response: Response,
    outcome: Outcome,
    /// The operation's name, as given or as the document names it.
    operation: String,
}

/// Runs a request for whoever its credentials name, recording in `reads`
/// what it read, and encodes the answer; records it in the metrics and logs
/// one line for it.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    graphql_media: bool,
    operations: Operations,
    reads: Arc<Reads>,
) -> Ran {
    let started = std::time::Instant::now();
    let mut operation = match &operations.batch {
        BatchRequest::Single(request) => request.operation_name.clone(),
        BatchRequest::Batch(_) => Some("batch".to_owned()),
    }
    .filter(|name| !name.is_empty());
    let statements = Arc::new(AtomicU64::new(0));
    let timeout = state.limits.timeout;
    // The work runs as its own task so that the answer leaves at the
    // deadline: cancelling SQLite work waits for the statement in progress
    // to finish, which must not hold up the response. Aborting the task
    // rolls back any transaction still open (the pool discards a connection
    // left inside one); a write that committed before the deadline stays.
    let work = {
        let (state, headers, extensions) = (state.clone(), headers.clone(), extensions.clone());
        let counted = statements.clone();
        let changes: Arc<dyn Changes> = state.answers.clone();
        // Boxed: the execution's future is large, and each wrapper below
        // would otherwise copy it on the stack on its way to the task.
        let work = Box::pin(async move {
            run_in_time(&state, &headers, &extensions, graphql_media, operations).await
        });
        tokio::spawn(
            naming_operation(count_statements(
                counted,
                freshness::writing(changes, freshness::reading(reads, work)),
            ))
            .instrument(tracing::Span::current()),
        )
    };
    let abort = work.abort_handle();
    let (response, outcome) = match tokio::time::timeout(timeout, work).await {
        Ok(Ok((answer, named))) => {
            operation = operation.or(named);
            answer
        }
        Ok(Err(err)) => {
            tracing::error!(error = %err, "request task failed");
            state.services.metrics.record_error(ErrorCode::Internal);
            let response = coded_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                graphql_media,
                INTERNAL_MESSAGE,
                serde_json::json!({ "code": ErrorCode::Internal.as_str() }),
            );
            (response, Outcome::ServerError)
        }
        Err(_) => {
            abort.abort();
            tracing::warn!(timeout_ms = timeout.as_millis(), "request timed out");
            state
                .services
                .metrics
                .record_error(ErrorCode::ServiceUnavailable);
            let response = coded_error(
                StatusCode::SERVICE_UNAVAILABLE,
                graphql_media,
                &format!(
                    "the request took longer than {} ms and was stopped",
                    timeout.as_millis()
                ),
                serde_json::json!({ "code": ErrorCode::ServiceUnavailable.as_str(), "limit": "timeoutMs", "max": timeout.as_millis() }),
            );
            (response, Outcome::Unavailable)
        }
    };
    let operation = operation.unwrap_or_default();
    let statements = statements.load(Ordering::Relaxed);
    account(
        state, headers, extensions, &operation, outcome, &response, started, statements,
    );
    Ran {
        response,
        outcome,
        operation,
    }
}

/// Records a finished request in the metrics and logs one line for it.
#[allow(clippy::too_many_arguments)]
fn account(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    operation: &str,
    outcome: Outcome,
    response: &Response,
    started: std::time::Instant,
    statements: u64,
) {
    let elapsed = started.elapsed();
    state
        .services
        .metrics
        .record_request(operation, outcome, elapsed.as_secs_f64(), statements);
    let client = client_ip(&state.proxies, headers, extensions).unwrap_or_default();
    let status = response.status().as_u16();
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    if outcome == Outcome::Limited {
        // A client past its rate may send thousands a second: its refusals
        // are logged within a budget, with a count of those left out.
        let now_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some(suppressed) = state.refusal_log.take(now_s) {
            tracing::info!(
                operation = %operation, status, outcome = outcome.as_str(), duration_ms,
                client = %client, suppressed, "graphql request refused"
            );
        }
    } else {
        tracing::info!(
            operation = %operation, status, outcome = outcome.as_str(), duration_ms,
            statements, client = %client, "graphql request"
        );
    }
}

/// The worst outcome among the errors of an answer, each error counted by
/// its code (one without a code escaped the mapping: INTERNAL).
fn outcome_of(metrics: &Metrics, codes: impl Iterator<Item = Option<ErrorCode>>) -> Outcome {
    let rank = |outcome: Outcome| match outcome {
        Outcome::Ok => 0,
        Outcome::ClientError => 1,
        Outcome::Limited => 2,
        Outcome::Unavailable => 3,
        Outcome::ServerError => 4,
    };
    codes
        .inspect(|code| metrics.record_error(code.unwrap_or(ErrorCode::Internal)))
        .map(outcome)
        .max_by_key(|outcome| rank(*outcome))
        .unwrap_or(Outcome::Ok)
}

fn response_outcome(metrics: &Metrics, responses: &[&GqlResponse]) -> Outcome {
    outcome_of(
        metrics,
        responses
            .iter()
            .flat_map(|r| &r.errors)
            .map(|e| code_of(e.extensions.as_ref())),
    )
}

async fn run_in_time(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    graphql_media: bool,
    operations: Operations,
) -> (Response, Outcome) {
    let Operations {
        batch,
        kinds,
        personal,
    } = operations;
    let viewer = match viewer(&state.services, headers).await {
        Ok(viewer) => viewer,
        Err(err) => {
            let outcome = outcome_of(&state.services.metrics, std::iter::once(Some(err.code())));
            return (refused(&err, graphql_media), outcome);
        }
    };
    let ip = client_ip(&state.proxies, headers, extensions);
    if let Some(limited) = rate_limited(
        state.rate.as_deref(),
        &state.limits,
        viewer.as_ref(),
        ip.as_deref(),
    ) {
        state.services.metrics.record_error(limited.code());
        return (refused(&limited, graphql_media), Outcome::Limited);
    }
    match batch {
        BatchRequest::Single(request) => {
            let kind = kinds.first().copied().flatten();
            let response =
                execute_routed(state, viewer, ip, request, kind, personal.as_ref()).await;
            let outcome = response_outcome(&state.services.metrics, &[&response]);
            let encoded = reply(&response, graphql_media);
            (encoded, outcome)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for (n, request) in requests.into_iter().enumerate() {
                let kind = kinds.get(n).copied().flatten();
                responses.push(
                    execute_routed(
                        state,
                        viewer.clone(),
                        ip.clone(),
                        request,
                        kind,
                        personal.as_ref(),
                    )
                    .await,
                );
            }
            let outcome = response_outcome(
                &state.services.metrics,
                &responses.iter().collect::<Vec<_>>(),
            );
            // A batch is a 503 only when every operation in it was.
            let status = if responses
                .iter()
                .all(|r| status_for(r, false) == StatusCode::SERVICE_UNAVAILABLE)
            {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            let wire: Vec<Wire<'_>> = responses.iter().map(Wire).collect();
            let encoded = encode(status, graphql_media, &wire);
            (encoded, outcome)
        }
    }
}

pub(crate) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let graphql_media = wants_graphql_response(&headers);
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let error = refusal(
                "bodyBytes",
                state.limits.max_body_bytes,
                None,
                "the request body is too large",
            );
            return error_body(StatusCode::PAYLOAD_TOO_LARGE, graphql_media, &error);
        }
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                graphql_media,
                "the request body could not be read",
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(APPLICATION_JSON) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            graphql_media,
            "send GraphQL requests as application/json",
        );
    }
    let now = (state.services.clock)();
    let cache_key = cacheable_request(&state, &headers, &extensions)
        .then(|| request_key(false, graphql_media, &body));
    if let Some(answer) = cache_key
        .as_deref()
        .and_then(|key| state.answers.lookup(key, now))
    {
        return answer_cached(&state, &headers, &extensions, &answer, false);
    }
    let mut batch = match parse_body(&body, state.limits.max_batch) {
        Ok(batch) => batch,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, graphql_media, &message),
    };
    let single = matches!(batch, BatchRequest::Single(_));
    let requests = match &mut batch {
        BatchRequest::Single(request) => std::slice::from_mut(request),
        BatchRequest::Batch(requests) => requests.as_mut_slice(),
    };
    let mut kinds = Vec::with_capacity(requests.len());
    for request in requests {
        if let Err(refusal) = state.persisted.resolve(&state.services, request).await {
            return persisted_refusal(&refusal, graphql_media);
        }
        let document = state
            .documents
            .prepare(request, state.limits.max_query_bytes);
        kinds.push(document.and_then(|d| operation_type(&d, request)));
    }
    // Only a single query's answer is kept; a batch or a write runs each time.
    let query = single && kinds == [Some(OperationType::Query)];
    let cache_key = cache_key.filter(|_| query);
    let operations = Operations {
        batch,
        kinds,
        personal: cache_key.is_some().then(Personal::default),
    };
    match run_keeping(
        &state,
        &headers,
        &extensions,
        graphql_media,
        operations,
        cache_key,
        now,
    )
    .await
    {
        Finished::Private(response) => response,
        Finished::Public(parts, public) => Response::from_parts(parts, Body::from(public.body)),
    }
}

/// The answer to an operation refused before it ran: `PersistedQueryNotFound`
/// (HTTP 200, in the words and code Apollo Client and urql look for), a 400
/// naming what is wrong with the extension, or in trusted mode a 403
/// `OPERATION_NOT_TRUSTED`; each status is the one its code maps to.
fn persisted_refusal(refusal: &Refusal, graphql_media: bool) -> Response {
    error_body(http_status(refusal.code()), graphql_media, &refusal.error())
}
