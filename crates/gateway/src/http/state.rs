//! What every handler shares: the schema, the services, the limits, the
//! GraphiQL page, and the signal that the server is stopping.

use std::sync::Arc;

use waypost_domain::account::AuthSettings;
use waypost_domain::comment::CommentSettings;

use super::guard::{Cors, rate_limiter};
use crate::client_address::TrustedProxies;
use crate::limits::Limits;
use crate::rate::RateLimiter;
use crate::schema::{Clock, Services, WaypostSchema, build_schema_with};
use crate::trusted::TrustedDocuments;

/// The GraphiQL page and the Content-Security-Policy that lets it run,
/// built once with the state.
pub(crate) struct GraphiqlPage {
    pub html: Arc<str>,
    pub policy: axum::http::HeaderValue,
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub schema: WaypostSchema,
    pub services: Services,
    pub limits: Arc<Limits>,
    /// `None` when rate limiting is off.
    pub(crate) rate: Option<Arc<RateLimiter>>,
    pub(crate) cors: Arc<Cors>,
    /// Headers pages on allowed origins may send beyond the protocol's.
    pub(crate) cors_headers: Arc<Vec<axum::http::HeaderName>>,
    pub(crate) proxies: Arc<TrustedProxies>,
    pub(crate) graphiql: Arc<GraphiqlPage>,
    /// Where the server is in its life: WebSockets close once it stops,
    /// readiness fails from the moment it drains.
    pub(crate) phase: Arc<tokio::sync::watch::Sender<Phase>>,
    /// How long shared caches may keep public GET answers.
    pub(crate) caching: super::caching::HttpCaching,
    /// Whether the API's listener serves `/metrics` too.
    pub(crate) metrics_beside_api: bool,
    /// Parsed operations by their text.
    pub(crate) documents: Arc<super::documents::Documents>,
    /// Operation texts by hash (automatic persisted queries), or in
    /// trusted mode the only operations that run.
    pub(crate) persisted: Arc<super::persisted::PersistedQueries>,
    /// How many refusals of clients past their rate get a log line.
    pub(crate) refusal_log: Arc<crate::telemetry::LogBudget>,
    /// Anonymous query answers, dropped when a write makes them stale.
    pub(crate) answers: Arc<super::answers::Answers>,
    /// Clients whose reads stay on the primary for now, having written.
    pub(crate) writers: Arc<super::replica::RecentWriters>,
    /// Limits on connections and WebSockets below the GraphQL layer.
    pub(crate) connection_limits: super::connections::ConnectionLimits,
    /// Places for open connections.
    pub(crate) connections: Arc<super::connections::Slots>,
    /// Places for open WebSockets.
    pub(crate) sockets: Arc<super::connections::Slots>,
}

/// The phases of a server's life, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Serving,
    /// Asked to stop: still serving, but telling load balancers to send
    /// no more, so that they stop before the listener closes.
    Draining,
    /// No new connections; requests in flight finish.
    Stopping,
}

impl AppState {
    pub(crate) fn draining(&self) -> bool {
        *self.phase.borrow() >= Phase::Draining
    }

    /// Resolves once the server has begun to stop.
    pub(crate) fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut watch = self.phase.subscribe();
        async move {
            // The sender lives as long as any state clone, so an error
            // cannot happen while anyone waits.
            let _ = watch.wait_for(|phase| *phase == Phase::Stopping).await;
        }
    }

    /// Applies `limits`: the schema is rebuilt to enforce them.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.schema = build_schema_with(&limits);
        self.rate = rate_limiter(&limits);
        self.limits = Arc::new(limits);
        self
    }

    /// Applies `limits` to connections and WebSockets opened from now on.
    pub fn with_connection_limits(mut self, limits: super::connections::ConnectionLimits) -> Self {
        let (connections, sockets) =
            super::connections::Slots::for_limits(&limits, &self.services.metrics);
        self.connection_limits = limits;
        self.connections = connections;
        self.sockets = sockets;
        self
    }

    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.cors = Arc::new(cors);
        self
    }

    /// Admits `headers` in CORS requests, in place of `CLIENT_HEADERS`.
    pub fn with_cors_headers(mut self, headers: Vec<axum::http::HeaderName>) -> Self {
        self.cors_headers = Arc::new(headers);
        self
    }

    /// How long shared caches may keep public GET answers.
    pub fn with_http_caching(mut self, caching: super::caching::HttpCaching) -> Self {
        self.caching = caching;
        self
    }

    /// Leaves `/metrics` off the API's router, for [`crate::metrics_router`]
    /// to serve on an address of its own.
    pub fn without_metrics(mut self) -> Self {
        self.metrics_beside_api = false;
        self
    }

    /// Keeps anonymous query answers in up to `caching.max_bytes` (0: none).
    pub fn with_answer_caching(mut self, caching: super::answers::AnswerCaching) -> Self {
        self.answers = super::answers::Answers::open(
            caching,
            &self.services.pool,
            self.services.metrics.clone(),
            self.writers.window(),
        );
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    /// Keeps a client's reads on the primary for `window` after each of
    /// its mutations, when the pool has a replica.
    pub fn with_replica_writer_window(mut self, window: std::time::Duration) -> Self {
        self.writers = Arc::new(super::replica::RecentWriters::new(window));
        self.answers.settle_after(window);
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

    /// Where the public site shows what the API serves.
    pub fn with_site(mut self, site: crate::schema::Site) -> Self {
        self.services.site = site;
        self
    }

    /// Trusted mode: only `documents` run, over every transport; anything
    /// else is refused with OPERATION_NOT_TRUSTED, and automatic persisted
    /// queries register nothing.
    pub fn with_trusted_documents(mut self, documents: TrustedDocuments) -> Self {
        self.persisted = Arc::new(super::persisted::PersistedQueries::trusted(documents));
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.services.clock = clock;
        self
    }
}
