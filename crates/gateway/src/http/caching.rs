//! HTTP caching of GET answers: what may be kept, by whom and for how
//! long, and answering a revalidation with 304. Anonymous answers with
//! data and no error are public (a CDN may keep them); anything for one
//! reader (a signed-in request, a preview, a comment by its receipt) is
//! `private, no-store`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::metrics::Outcome;

/// How long shared caches may keep a public answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpCaching {
    /// Seconds an answer is fresh (`max-age`). 0 (the default) makes every
    /// client revalidate, which costs a 304 when nothing changed: a reader
    /// who has just commented must not be shown the thread without it.
    pub max_age_seconds: u32,
    /// Seconds a stale answer may be served while it is refreshed
    /// (`stale-while-revalidate`).
    pub stale_seconds: u32,
}

/// Set by a resolver that puts something for one reader only into the
/// answer; read once the answer is ready.
#[derive(Clone, Default)]
pub(crate) struct Personal(Arc<AtomicBool>);

impl Personal {
    pub(crate) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Marks the answer being resolved in `ctx` as for one reader only.
    pub(crate) fn mark_in(ctx: &async_graphql::Context<'_>) {
        if let Some(personal) = ctx.data_opt::<Personal>() {
            personal.mark();
        }
    }

    fn is_marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Whether the answer may be kept by shared caches.
pub(crate) struct Audience {
    pub anonymous: bool,
    pub personal: Personal,
    pub outcome: Outcome,
}

/// The cache headers for a GET answer, and a 304 in its place when the
/// client already holds it (`If-None-Match`).
pub(crate) async fn finish_get(
    response: Response,
    request: &HeaderMap,
    audience: Audience,
    policy: HttpCaching,
) -> Response {
    let public = response.status() == StatusCode::OK
        && audience.anonymous
        && audience.outcome == Outcome::Ok
        && !audience.personal.is_marked();
    let (mut parts, body) = response.into_parts();
    // Who is asking and what they accept decide the answer.
    parts.headers.insert(
        header::VARY,
        HeaderValue::from_static("accept, authorization"),
    );
    if !public {
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return Response::from_parts(parts, body);
    }
    let control = format!(
        "public, max-age={}, stale-while-revalidate={}",
        policy.max_age_seconds, policy.stale_seconds
    );
    if let Ok(control) = HeaderValue::from_str(&control) {
        parts.headers.insert(header::CACHE_CONTROL, control);
    }
    // Answers are small (the body limit bounds the query, the complexity
    // limit the answer); reading one whole to hash it is cheap.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Weak: the same answer goes out compressed or not.
    let digest = Sha256::digest(&bytes);
    let tag = format!(
        "W/\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let Ok(etag) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let held = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || weak_eq(candidate, &tag));
    parts.headers.insert(header::ETAG, etag);
    if held {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// If-None-Match compares weakly: `W/"x"` and `"x"` name the same answer.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
