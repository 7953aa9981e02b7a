//! What stands before any handler: CORS, the client's address, and the
//! rate limit per user or address.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use waypost_domain::DomainError;
use waypost_domain::policy::Viewer;

use super::REQUEST_ID;
use crate::client_address::TrustedProxies;
use crate::limits::Limits;
use crate::rate::RateLimiter;

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

/// Longest request id a client may choose: ids go into every log line of
/// the request.
const MAX_REQUEST_ID: usize = 128;

/// Drops a client's `x-request-id` that is too long or holds anything but
/// visible ASCII, so that one is generated instead.
pub(crate) async fn fit_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let unfit = request.headers().get(super::REQUEST_ID).is_some_and(|id| {
        id.len() > MAX_REQUEST_ID || !id.as_bytes().iter().all(u8::is_ascii_graphic)
    });
    if unfit {
        request.headers_mut().remove(super::REQUEST_ID);
    }
    request
}

/// The request headers a page on an allowed origin may send besides the
/// ones every GraphQL client sends: tracing (W3C trace context and baggage,
/// Sentry), Apollo Client's client awareness and its CSRF-prevention
/// header. More are configurable (`--cors-allow-headers`).
pub(crate) const CLIENT_HEADERS: [&str; 7] = [
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
];

impl Cors {
    /// For the start-up line.
    pub fn describe(&self) -> String {
        match self {
            Cors::Any => "any origin".into(),
            Cors::Origins(origins) => origins.join(","),
            Cors::SameOrigin => "same origin only".into(),
        }
    }

    /// The layer that answers preflights and marks responses, admitting
    /// `client_headers` beside the protocol's own.
    pub(crate) fn layer(&self, client_headers: &[HeaderName]) -> Option<CorsLayer> {
        let base = || {
            let protocol = [
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::ACCEPT,
                HeaderName::from_static(REQUEST_ID),
            ];
            CorsLayer::new()
                .allow_methods([Method::GET, Method::POST])
                .allow_headers(
                    protocol
                        .into_iter()
                        .chain(client_headers.iter().cloned())
                        .collect::<Vec<_>>(),
                )
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

pub(crate) fn rate_limiter(limits: &Limits) -> Option<Arc<RateLimiter>> {
    (limits.rate_per_minute > 0)
        .then(|| Arc::new(RateLimiter::new(limits.rate_per_minute, limits.rate_burst)))
}

/// The client's address: the listener's peer, or whom a trusted proxy
/// forwarded the request for.
pub(crate) fn client_ip(
    proxies: &TrustedProxies,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| proxies.client(info.0.ip(), headers).to_string())
}

/// The refusal of a client past its rate, if it is: signed-in users are
/// counted per user, anyone else per address.
pub(crate) fn rate_limited(
    limiter: Option<&RateLimiter>,
    limits: &Limits,
    viewer: Option<&Viewer>,
    ip: Option<&str>,
) -> Option<DomainError> {
    let limiter = limiter?;
    let local = ip
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if local && limits.rate_exempts_loopback {
        return None;
    }
    let client = match (viewer, ip) {
        (Some(viewer), _) => format!("user:{}", viewer.user_id.0),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "unknown".to_owned(),
    };
    let retry_after_seconds = limiter.take(&client, std::time::Instant::now()).err()?;
    Some(DomainError::RateLimited {
        retry_after_seconds,
    })
}
