//! Builds the state and the router, and serves them until asked to stop,
//! letting requests in flight finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use waypost_domain::account::AuthSettings;
use waypost_domain::comment::CommentSettings;
use waypost_domain::{CommentFeed, DbPool};

use crate::client_address::TrustedProxies;
use crate::http::answers::{AnswerCaching, Answers};
use crate::http::connections::{ConnectionLimits, Slots, serve_connections};
use crate::http::feeds::{author_feed, site_feed, sitemap, tag_feed};
use crate::http::graphiql_assets::graphiql_asset;
use crate::http::graphql::{graphql_get, graphql_post};
use crate::http::guard::{Cors, fit_request_id, rate_limiter};
use crate::http::pages::{graphiql, healthz, metrics, readyz};
use crate::http::{AppState, GraphiqlPage, Phase, REQUEST_ID, WRITER_WINDOW_MS};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::schema::{Services, Site, build_schema, system_clock};

impl AppState {
    pub fn new(pool: DbPool) -> Self {
        let metrics = Arc::new(Metrics::new());
        let (connections, sockets) = Slots::for_limits(&ConnectionLimits::default(), &metrics);
        AppState {
            answers: Answers::open(
                AnswerCaching::default(),
                &pool,
                metrics.clone(),
                Duration::from_millis(WRITER_WINDOW_MS),
            ),
            schema: build_schema(),
            limits: Arc::new(Limits::default()),
            rate: rate_limiter(&Limits::default()),
            cors: Arc::new(Cors::Any),
            cors_headers: Arc::new(
                crate::http::CLIENT_HEADERS
                    .iter()
                    .map(|h| axum::http::HeaderName::from_static(h))
                    .collect(),
            ),
            proxies: Arc::new(TrustedProxies::default()),
            services: Services {
                feed: CommentFeed::new(&pool),
                pool,
                auth: AuthSettings::default(),
                comments: CommentSettings::default(),
                clock: system_clock(),
                metrics,
                site: Site::default(),
            },
            graphiql: Arc::new(GraphiqlPage::build()),
            phase: Arc::new(tokio::sync::watch::Sender::new(Phase::Serving)),
            metrics_beside_api: true,
            caching: Default::default(),
            persisted: Arc::default(),
            documents: Arc::default(),
            refusal_log: Arc::default(),
            writers: Arc::default(),
            connection_limits: ConnectionLimits::default(),
            connections,
            sockets,
        }
    }
}

/// The router as a service that records each client's address (used by
/// comment flood control).
pub fn app(state: AppState) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(state).into_make_service_with_connect_info::<SocketAddr>()
}

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    let body_limit = state.limits.max_body_bytes;
    let cors = state.cors.layer(&state.cors_headers);
    let metrics_beside_api = state.metrics_beside_api;
    let mut router = Router::new()
        .route("/", get(graphiql))
        .route("/graphiql/{package}/{file}", get(graphiql_asset))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .layer(DefaultBodyLimit::max(body_limit))
        .route("/feed.atom", get(site_feed))
        .route("/tags/{slug}/feed.atom", get(tag_feed))
        .route("/authors/{slug}/feed.atom", get(author_feed))
        .route("/sitemap.xml", get(sitemap))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if metrics_beside_api {
        router = router.route("/metrics", get(metrics));
    }
    let router = router
        .with_state(state)
        // Mobile clients on slow links: a page of posts shrinks to about a
        // third.
        // Responses too small to gain stay as they are.
        .layer(
            CompressionLayer::new().compress_when(
                SizeAbove::new(COMPRESS_ABOVE_BYTES)
                    .and(NotForContentType::GRPC)
                    .and(NotForContentType::IMAGES)
                    .and(NotForContentType::SSE),
            ),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
            let id = header(REQUEST_ID).unwrap_or("");
            let trace = header("traceparent").and_then(crate::telemetry::trace_id).unwrap_or("");
            let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, trace_id = %trace);
            crate::telemetry::continue_trace(&span, req.headers());
            span
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(fit_request_id));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Responses shorter than this go out as they are: compressing them saves
/// less than it costs.
const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// `/metrics` alone, for a listener of its own (see
/// [`AppState::without_metrics`]).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// How a server stops once asked to.
#[derive(Debug, Clone, Copy)]
pub struct StopTimes {
    /// How long it keeps serving, with `/readyz` answering 503, so that
    /// load balancers take it out before its listener closes.
    pub drain: Duration,
    /// How long requests in flight then have to finish.
    pub grace: Duration,
}

/// Serves `state` on `listener` until `signal` resolves; then drains (keeps
/// serving while `/readyz` answers 503) for `times.drain`, stops accepting
/// connections, closes WebSockets with a "going away" frame, and lets
/// requests in flight finish for at most `times.grace`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    signal: impl Future<Output = ()> + Send + 'static,
    times: StopTimes,
) -> std::io::Result<()> {
    let StopTimes { drain, grace } = times;
    let phase = state.phase.clone();
    let (fired, has_fired) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        signal.await;
        if !drain.is_zero() {
            tracing::info!(
                drain_ms = drain.as_millis() as u64,
                "draining: /readyz answers 503 while requests are still served"
            );
            phase.send_replace(Phase::Draining);
            tokio::time::sleep(drain).await;
        }
        tracing::info!("stopping: finishing requests in flight");
        phase.send_replace(Phase::Stopping);
        let _ = fired.send(());
    };
    let server = serve_until(listener, state, stop);
    let deadline = async move {
        if has_fired.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = server => {},
        () = deadline => {
            tracing::warn!(grace_ms = grace.as_millis(), "grace period over: stopping with requests unfinished");
        }
    }
    Ok(())
}

/// Serves `state` on `listener`, within its connection limits, until `stop`
/// resolves; then stops accepting and lets requests in flight finish.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl Future<Output = ()>,
) {
    let router = router(state.clone());
    serve_connections(listener, &state, router, stop).await;
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM). The
/// handlers are installed when this is called, not when it is first
/// awaited: a SIGTERM that arrives while the server is still starting must
/// begin a clean stop, not kill the process.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &'static str| {
            let stream = signal(kind)
                .inspect_err(|err| tracing::error!(error = %err, "cannot listen for {name}"))
                .ok();
            async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
        };
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        let interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
        async move {
            tokio::select! {
                () = terminate => {},
                () = interrupt => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(err) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}
