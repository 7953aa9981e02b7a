//! HTTP: GraphiQL at `/`, GraphQL over HTTP at `/graphql` (POST for
//! everything, GET for queries only) with content negotiation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request, Response as GqlResponse};
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use std::net::SocketAddr;

use async_graphql_axum::GraphQLProtocol;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::Extensions;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Instrument;
use waypost_db::count_statements;
use waypost_domain::account::{AuthSettings, authenticate};
use waypost_domain::comment::CommentSettings;
use waypost_domain::policy::Viewer;
use waypost_domain::{DbPool, DomainError, ErrorCode};

use crate::client::TrustedProxies;
use crate::error::{INTERNAL_MESSAGE, code_of, http_status, outcome, to_graphql};
use crate::limits::{Limits, refusal};
use crate::metrics::{Metrics, Outcome, PoolGauges, naming_operation};
use crate::rate::RateLimiter;
use crate::schema::{
    Clock, Services, WaypostSchema, build_schema, build_schema_with, execute, system_clock,
};
use crate::socket::{self, bearer_token};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";
const REQUEST_ID: &str = "x-request-id";

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub schema: WaypostSchema,
    pub services: Services,
    pub limits: Arc<Limits>,
    /// `None` when rate limiting is off.
    rate: Option<Arc<RateLimiter>>,
    cors: Arc<Cors>,
    proxies: Arc<TrustedProxies>,
    graphiql: Arc<str>,
    /// The Content-Security-Policy of the GraphiQL page.
    graphiql_policy: HeaderValue,
    /// Turns true when the server stops: WebSockets close on it.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(pool: DbPool) -> Self {
        let graphiql = graphiql_page();
        AppState {
            schema: build_schema(),
            limits: Arc::new(Limits::default()),
            rate: rate_limiter(&Limits::default()),
            cors: Arc::new(Cors::Any),
            proxies: Arc::new(TrustedProxies::default()),
            services: Services {
                pool,
                auth: AuthSettings::default(),
                comments: CommentSettings::default(),
                clock: system_clock(),
                metrics: Arc::new(Metrics::new()),
            },
            graphiql_policy: content_policy(&graphiql),
            graphiql: graphiql.into(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Resolves once the server has begun to stop.
    pub(crate) fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut watch = self.stopping.subscribe();
        async move {
            // The sender lives as long as any state clone, so an error
            // cannot happen while anyone waits.
            let _ = watch.wait_for(|stopping| *stopping).await;
        }
    }

    /// Applies `limits`: the schema is rebuilt to enforce them.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.schema = build_schema_with(&limits);
        self.rate = rate_limiter(&limits);
        self.limits = Arc::new(limits);
        self
    }

    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.cors = Arc::new(cors);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    pub fn with_auth(mut self, auth: AuthSettings) -> Self {
        self.services.auth = auth;
        self
    }

    pub fn with_comments(mut self, comments: CommentSettings) -> Self {
        self.services.comments = comments;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.services.clock = clock;
        self
    }
}

/// Which web pages on other origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// Any origin, without credentials (development).
    Any,
    /// Only these origins, with credentials.
    Origins(Vec<String>),
    /// None: no CORS headers (production's default).
    SameOrigin,
}

impl Cors {
    fn layer(&self) -> Option<CorsLayer> {
        let base = || {
            CorsLayer::new()
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    header::ACCEPT,
                    HeaderName::from_static(REQUEST_ID),
                ])
                .expose_headers([HeaderName::from_static(REQUEST_ID), header::RETRY_AFTER])
                .max_age(std::time::Duration::from_secs(600))
        };
        match self {
            // A wildcard origin never carries credentials (browsers refuse
            // the pair); sign-in tokens travel in a header anyway.
            Cors::Any => Some(base().allow_origin(AllowOrigin::any())),
            Cors::Origins(origins) => {
                let allowed: Vec<HeaderValue> = origins
                    .iter()
                    .filter_map(|origin| match HeaderValue::from_str(origin) {
                        Ok(value) => Some(value),
                        Err(_) => {
                            tracing::warn!(origin = %origin, "ignoring an origin that is not a header value");
                            None
                        }
                    })
                    .collect();
                Some(
                    base()
                        .allow_origin(AllowOrigin::list(allowed))
                        .allow_credentials(true),
                )
            }
            Cors::SameOrigin => None,
        }
    }
}

fn rate_limiter(limits: &Limits) -> Option<Arc<RateLimiter>> {
    (limits.rate_per_minute > 0)
        .then(|| Arc::new(RateLimiter::new(limits.rate_per_minute, limits.rate_burst)))
}

/// The GraphiQL page may run its own inline script (by hash) and the
/// pinned GraphiQL bundle, talk to this origin only, and not be framed.
fn content_policy(page: &str) -> HeaderValue {
    use base64::Engine as _;
    use sha2::Digest as _;
    let script = page
        .rsplit_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map_or("", |(script, _)| script);
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    let policy = format!(
        "default-src 'none'; script-src https://unpkg.com 'sha256-{hash}'; \
         style-src https://unpkg.com 'unsafe-inline'; font-src https://unpkg.com data:; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The viewer named by the `Authorization` header. No header: anonymous.
/// Anything else that is not a live bearer session is an error, never a
/// silent fall-back to anonymous.
async fn viewer(services: &Services, headers: &HeaderMap) -> Result<Option<Viewer>, DomainError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = header_token(value)?;
    authenticate(&services.pool, token, (services.clock)())
        .await
        .map(Some)
}

fn header_token(value: &HeaderValue) -> Result<&str, DomainError> {
    let value = value.to_str().map_err(|_| {
        DomainError::Unauthenticated("send the session token as `Authorization: Bearer <token>`")
    })?;
    bearer_token(value)
}

/// The response to a request refused before it ran: its credentials failed,
/// or its client is past its rate.
fn refused(err: &DomainError, graphql_media: bool) -> Response {
    let error = to_graphql(err);
    let mut response = error_body(http_status(err.code()), graphql_media, &error);
    let headers = response.headers_mut();
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
    response
}

/// A response carrying one GraphQL error and no data.
fn error_body(status: StatusCode, graphql_media: bool, error: &async_graphql::Error) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": error.message, "extensions": error.extensions }] });
    encode(status, graphql_media, &body)
}

fn graphiql_page() -> String {
    let query = include_str!("example.graphql");
    // A JSON string is a valid JS literal; escaping `<` keeps `</script>` inert.
    let literal = serde_json::Value::from(query)
        .to_string()
        .replace('<', "\\u003c");
    include_str!("graphiql.html").replace("__DEFAULT_QUERY__", &literal)
}

/// The router as a service that records each client's address (used by
/// comment flood control).
pub fn app(state: AppState) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(state).into_make_service_with_connect_info::<SocketAddr>()
}

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    let body_limit = state.limits.max_body_bytes;
    let cors = state.cors.layer();
    let router = Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .layer(DefaultBodyLimit::max(body_limit))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The process is up and serving HTTP.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Whether this instance can serve: the database answers within the pool's
/// timeout and holds every migration this build knows. A load balancer
/// stops sending requests while this is 503, and resumes once the
/// database is back.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.pool.pending_migrations().await {
        Ok(0) => (StatusCode::OK, "ready\n").into_response(),
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {pending} migrations pending\n"),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: database unreachable\n",
            )
                .into_response()
        }
    }
}

/// Prometheus metrics, in the text exposition format.
async fn metrics(State(state): State<AppState>) -> Response {
    let pool = state.services.pool.status();
    let gauges = PoolGauges {
        size: pool.size,
        in_use: pool.size.saturating_sub(pool.available),
        idle: pool.available,
        waiting: pool.waiting,
        max: pool.max,
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        )],
        state.services.metrics.render(gauges),
    )
        .into_response()
}

/// GraphiQL, unless introspection is off: without it GraphiQL cannot work,
/// and a production deployment that hides its schema hides the explorer.
async fn graphiql(State(state): State<AppState>) -> Response {
    if state.limits.introspection {
        let mut page = Html(state.graphiql.to_string()).into_response();
        let headers = page.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            state.graphiql_policy.clone(),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        page
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// Which media type the client wants back. GraphQL-over-HTTP clients ask for
/// `application/graphql-response+json`; everyone else gets plain JSON. The
/// higher `q` wins; on a tie (or no preference) the GraphQL media type does.
fn wants_graphql_response(headers: &HeaderMap) -> bool {
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
fn is_request_error(response: &GqlResponse) -> bool {
    matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn json_response(status: StatusCode, graphql_media: bool, body: Vec<u8>) -> Response {
    let media = if graphql_media {
        GRAPHQL_RESPONSE_JSON
    } else {
        APPLICATION_JSON
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body,
    )
        .into_response()
}

fn encode(status: StatusCode, graphql_media: bool, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_response(status, graphql_media, bytes),
        Err(err) => {
            tracing::error!(error = %err, "response serialization failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A request-level error in the GraphQL response shape, with a code.
fn request_error(status: StatusCode, graphql_media: bool, message: &str) -> Response {
    coded_error(
        status,
        graphql_media,
        message,
        serde_json::json!({ "code": ErrorCode::BadUserInput.as_str() }),
    )
}

fn coded_error(
    status: StatusCode,
    graphql_media: bool,
    message: &str,
    extensions: serde_json::Value,
) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    encode(status, graphql_media, &body)
}

fn status_for(response: &GqlResponse, graphql_media: bool) -> StatusCode {
    // Plain JSON clients always get 200 with errors in the body; the
    // graphql-response media type signals request errors with 400.
    if graphql_media && is_request_error(response) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// The type of the operation a request will run, if the document parses.
fn operation_type(request: &Request) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
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

fn parse_get(raw: &str) -> Result<Request, String> {
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

/// The client's address: the listener's peer, or whom a trusted proxy
/// forwarded the request for.
fn client_ip(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| state.proxies.client(info.0.ip(), headers).to_string())
}

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
    let ip = client_ip(&state, &parts.headers, &parts.extensions);
    socket::upgrade(state, upgrade, protocol, token, ip)
}

async fn graphql_get(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let (parts, _body) = request.into_parts();
    if is_upgrade(&parts.headers) {
        return graphql_socket(state, parts).await;
    }
    let headers = parts.headers;
    let extensions = parts.extensions;
    let query = parts.uri.query();
    let graphql_media = wants_graphql_response(&headers);
    let request = match parse_get(query.unwrap_or("")) {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                graphql_media,
                &format!("invalid GraphQL request: {err}"),
            );
        }
    };
    // GET must be safe: only queries run over it.
    if matches!(
        operation_type(&request),
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
    run(
        &state,
        &headers,
        &extensions,
        graphql_media,
        BatchRequest::Single(request),
    )
    .await
}

/// Runs a request for whoever its credentials name, and encodes the answer;
/// records it in the metrics and logs one line for it.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    graphql_media: bool,
    batch: BatchRequest,
) -> Response {
    let started = std::time::Instant::now();
    let mut operation = match &batch {
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
        tokio::spawn(
            naming_operation(count_statements(counted, async move {
                run_in_time(&state, &headers, &extensions, graphql_media, batch).await
            }))
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
    let elapsed = started.elapsed();
    let statements = statements.load(Ordering::Relaxed);
    state
        .services
        .metrics
        .record_request(&operation, outcome, elapsed.as_secs_f64(), statements);
    tracing::info!(
        operation = %operation,
        status = response.status().as_u16(),
        outcome = outcome.as_str(),
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        statements,
        "graphql request"
    );
    response
}

/// The worst outcome among the errors of an answer.
fn outcome_of(codes: impl Iterator<Item = Option<ErrorCode>>) -> Outcome {
    let rank = |outcome: Outcome| match outcome {
        Outcome::Ok => 0,
        Outcome::ClientError => 1,
        Outcome::Limited => 2,
        Outcome::Unavailable => 3,
        Outcome::ServerError => 4,
    };
    codes
        .map(outcome)
        .max_by_key(|outcome| rank(*outcome))
        .unwrap_or(Outcome::Ok)
}

fn response_outcome(responses: &[&GqlResponse]) -> Outcome {
    outcome_of(
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
    batch: BatchRequest,
) -> (Response, Outcome) {
    let viewer = match viewer(&state.services, headers).await {
        Ok(viewer) => viewer,
        Err(err) => {
            let outcome = outcome_of(std::iter::once(Some(err.code())));
            return (refused(&err, graphql_media), outcome);
        }
    };
    let ip = client_ip(state, headers, extensions);
    if let Some(refused) = rate_limited(state, viewer.as_ref(), ip.as_deref(), graphql_media) {
        return (refused, Outcome::Limited);
    }
    match batch {
        BatchRequest::Single(request) => {
            let response = execute(&state.schema, &state.services, viewer, ip, request).await;
            let outcome = response_outcome(&[&response]);
            let encoded = encode(
                status_for(&response, graphql_media),
                graphql_media,
                &response,
            );
            (encoded, outcome)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(
                    execute(
                        &state.schema,
                        &state.services,
                        viewer.clone(),
                        ip.clone(),
                        request,
                    )
                    .await,
                );
            }
            let outcome = response_outcome(&responses.iter().collect::<Vec<_>>());
            let encoded = encode(
                StatusCode::OK,
                graphql_media,
                &BatchResponse::Batch(responses),
            );
            (encoded, outcome)
        }
    }
}

/// The refusal of a client past its rate, if it is: signed-in users are
/// counted per user, anyone else per address.
fn rate_limited(
    state: &AppState,
    viewer: Option<&Viewer>,
    ip: Option<&str>,
    graphql_media: bool,
) -> Option<Response> {
    let limiter = state.rate.as_ref()?;
    let local = ip
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if local && state.limits.rate_exempts_loopback {
        return None;
    }
    let client = match (viewer, ip) {
        (Some(viewer), _) => format!("user:{}", viewer.user_id.0),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "unknown".to_owned(),
    };
    let retry_after_seconds = limiter.take(&client, std::time::Instant::now()).err()?;
    Some(refused(
        &DomainError::RateLimited {
            retry_after_seconds,
        },
        graphql_media,
    ))
}

/// Reads a POST body: one operation (an object with a `query` string) or a
/// batch of 1 to `MAX_BATCH` of them. Errors are plain sentences: serde's own
/// messages name Rust types.
fn parse_body(body: &[u8], max_batch: usize) -> Result<BatchRequest, String> {
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

fn parse_operation(value: serde_json::Value) -> Result<Request, String> {
    let shape = "expected a JSON object with a `query` string, or an array of them";
    let serde_json::Value::Object(fields) = &value else {
        return Err(shape.to_owned());
    };
    if !matches!(fields.get("query"), Some(serde_json::Value::String(_))) {
        return Err(shape.to_owned());
    }
    serde_json::from_value(value).map_err(|_| {
        "`variables` and `extensions` must be JSON objects and `operationName` a string".to_owned()
    })
}

async fn graphql_post(
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
    let batch = match parse_body(&body, state.limits.max_batch) {
        Ok(batch) => batch,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, graphql_media, &message),
    };
    run(&state, &headers, &extensions, graphql_media, batch).await
}

/// Serves `state` on `listener` until `signal` resolves; then stops
/// accepting connections, closes WebSockets with a "going away" frame, and
/// lets requests in flight finish for at most `grace`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    signal: impl Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> std::io::Result<()> {
    let stopping = state.stopping.clone();
    let (fired, has_fired) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app(state)).with_graceful_shutdown(async move {
        signal.await;
        tracing::info!("stopping: finishing requests in flight");
        stopping.send_replace(true);
        let _ = fired.send(());
    });
    let deadline = async move {
        if has_fired.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server.into_future() => result,
        () = deadline => {
            tracing::warn!(grace_ms = grace.as_millis(), "grace period over: stopping with requests unfinished");
            Ok(())
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
