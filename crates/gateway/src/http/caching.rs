//! HTTP caching of GET answers: what may be kept, by whom and for how
//! long, what a CDN may purge it by, and answering a revalidation with 304.
//! Anonymous answers with data and no error are public (a CDN may keep
//! them); anything for one reader (a signed-in request, a preview, a
//! comment by its receipt) is `private, no-store`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::metrics::Outcome;

/// What a public answer read, as Fastly and Varnish purge by.
const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");
/// The same, as Cloudflare purges by.
const CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");

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

impl Audience {
    /// Anonymous answers with data and no error, for no one in particular.
    pub(crate) fn is_public(&self, response: &Response) -> bool {
        response.status() == StatusCode::OK
            && self.anonymous
            && self.outcome == Outcome::Ok
            && !self.personal.is_marked()
    }
}

/// Who is asking and what they accept decide a GET answer.
fn vary(parts: &mut HeaderMap) {
    parts.insert(
        header::VARY,
        HeaderValue::from_static("accept, authorization"),
    );
}

/// A GET answer no shared cache may keep.
pub(crate) fn private(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    vary(&mut parts.headers);
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Response::from_parts(parts, body)
}

/// A public answer's body and weak ETag (the same answer goes out
/// compressed or not). Answers are small (the body limit bounds the query,
/// the complexity limit the answer): reading one whole to hash it is cheap.
pub(crate) async fn read_public(response: Response) -> Option<(Parts, Bytes, HeaderValue)> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.ok()?;
    let etag = etag_of(&bytes)?;
    Some((parts, bytes, etag))
}

/// The ETag of a public body: a hash of its bytes. Weak, because the
/// compression layer sends the same answer as other bytes to clients that
/// accept gzip, brotli or zstd, which a strong tag would have to tell apart.
pub(crate) fn etag_of(body: &[u8]) -> Option<HeaderValue> {
    let digest = Sha256::digest(body);
    let tag = format!(
        "W/\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    HeaderValue::from_str(&tag).ok()
}

/// A public GET answer, as `read_public` read it.
pub(crate) struct Public {
    pub body: Bytes,
    pub etag: HeaderValue,
    /// What the answer read, for a CDN to purge by: `Surrogate-Key` and
    /// `Cache-Tag` forms.
    pub keys: Option<(HeaderValue, HeaderValue)>,
    /// When what the answer shows last changed, sent as `Last-Modified`
    /// for the reader's information; `None` when the answer cannot say.
    pub last_modified: Option<DateTime<Utc>>,
}

/// Sends a public answer with its cache headers, or a 304 in its place when
/// the client already holds it: its `If-None-Match` names the ETag.
pub(crate) fn respond_public(
    mut parts: Parts,
    public: Public,
    request: &HeaderMap,
    policy: HttpCaching,
) -> Response {
    vary(&mut parts.headers);
    let control = format!(
        "public, max-age={}, stale-while-revalidate={}",
        policy.max_age_seconds, policy.stale_seconds
    );
    if let Ok(control) = HeaderValue::from_str(&control) {
        parts.headers.insert(header::CACHE_CONTROL, control);
    }
    if let Some((surrogate, tags)) = public.keys {
        parts.headers.insert(SURROGATE_KEY, surrogate);
        parts.headers.insert(CACHE_TAG, tags);
    }
    if let Some(modified) = public.last_modified {
        parts
            .headers
            .insert(header::LAST_MODIFIED, http_date(modified));
    }
    // Only the ETag proves the client holds this very answer: it is a hash
    // of the body. `If-Modified-Since` is not answered, as RFC 9110 allows
    // (13.1.3): a listing changes without its newest date moving (an older
    // item unpublished, a renamed tag or author, an item pulled in from
    // past the end), and a date would keep the old one with the client.
    let held = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| {
            candidate == "*"
                || public
                    .etag
                    .to_str()
                    .is_ok_and(|tag| weak_eq(candidate, tag))
        });
    parts.headers.insert(header::ETAG, public.etag);
    if held {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(public.body))
}

/// An HTTP date (RFC 9110's IMF-fixdate), to the second.
fn http_date(at: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// If-None-Match compares weakly: `W/"x"` and `"x"` name the same answer.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
