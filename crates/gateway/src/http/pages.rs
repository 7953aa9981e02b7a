//! The pages beside the API: GraphiQL, health, readiness and metrics.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::graphiql_assets::ASSETS;
use super::state::{AppState, GraphiqlPage};
use crate::metrics::ScrapeSample;

impl GraphiqlPage {
    /// The page with the example query, and the policy that pins its script.
    pub(crate) fn build() -> Self {
        let html = graphiql_page();
        GraphiqlPage {
            policy: content_policy(&html),
            html: html.into(),
        }
    }
}

fn graphiql_page() -> String {
    let query = include_str!("example.graphql");
    // A JSON string is a valid JS literal; escaping `<` keeps `</script>` inert.
    let literal = serde_json::Value::from(query)
        .to_string()
        .replace('<', "\\u003c");
    ASSETS.iter().fold(
        include_str!("graphiql.html").replace("__DEFAULT_QUERY__", &literal),
        |page, asset| page.replace(&format!("__ASSET:{}__", asset.file), &asset.path()),
    )
}

/// The GraphiQL page may run its own inline script and style (by hash) and
/// the GraphiQL files this server serves, load nothing from another host,
/// talk to this origin only (its WebSocket included), and not be framed.
fn content_policy(page: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'none'; script-src 'self' '{script}'; style-src 'self' '{style}'; \
         font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        script = inline_hash(page, "script"),
        style = inline_hash(page, "style"),
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The CSP source naming the page's last inline `<tag>` by its hash.
fn inline_hash(page: &str, tag: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let body = page
        .rsplit_once(&format!("<{tag}>"))
        .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
        .map_or("", |(body, _)| body);
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body));
    format!("sha256-{hash}")
}

/// The process is up and serving HTTP.
pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// How long readiness waits for the database before it says no: a load
/// balancer's probe must get an answer, not a timeout of its own.
const READINESS_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether this instance can serve: it is not draining, the database
/// answers (on the check's own connection, so a saturated pool does not
/// count), and it holds every migration this build knows. Migrations a
/// newer release added do not count against it: during a rolling upgrade
/// the old instances keep serving while the new ones start (a new start
/// of an old binary refuses instead). A load balancer stops sending
/// requests while this is 503, and resumes once it is 200 again.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready = |why: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
    };
    if state.draining() {
        return not_ready("draining before shutdown".into()).into_response();
    }
    match state.services.pool.readiness(READINESS_BUDGET).await {
        Ok(status) if status.pending.is_empty() => (StatusCode::OK, "ready\n").into_response(),
        Ok(status) => {
            not_ready(format!("{} migrations pending", status.pending.len())).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            not_ready("database unreachable".into()).into_response()
        }
    }
}

/// Prometheus metrics, in the text exposition format.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let pool = state.services.pool.status();
    let replica = state.services.pool.replica_status().unwrap_or_default();
    let gauges = ScrapeSample {
        size: pool.size,
        in_use: pool.size.saturating_sub(pool.available),
        idle: pool.available,
        waiting: pool.waiting,
        max: pool.max,
        timeouts: pool.timeouts,
        wait_seconds: pool.wait_seconds,
        feed_listening: state.services.feed.listening(),
        answers_listening: state.answers.listening(),
        replica_checkouts: replica.checkouts,
        replica_statements: replica.statements,
        replica_fallbacks: replica.fallbacks,
        replica_resting: replica.resting,
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
pub(crate) async fn graphiql(State(state): State<AppState>) -> Response {
    if state.limits.introspection {
        let mut page = Html(state.graphiql.html.to_string()).into_response();
        let headers = page.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            state.graphiql.policy.clone(),
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
