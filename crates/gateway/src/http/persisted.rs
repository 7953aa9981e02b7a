//! Operations named by hash, as Apollo Client and urql send them: a
//! request names its operation by `extensions.persistedQuery.sha256Hash`
//! and sends the text only when the server answers `PersistedQueryNotFound`
//! (automatic persisted queries). Texts are resolved here, before anything
//! looks at the operation, so that a mutation sent by hash over GET is
//! refused like one sent as text. The texts live in a bounded memory cache
//! in front of the database's store, which every instance shares.
//!
//! In trusted mode this is also where every operation, by hash or by text,
//! over HTTP or a WebSocket, is held to the trusted documents: the one
//! gate, so that no transport can go around it.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{ErrorExtensions, Request};
use serde::Deserialize;
use waypost_domain::persisted::document_hash;
use waypost_domain::{DomainError, ErrorCode};

use crate::error::{coded, to_graphql};
use crate::schema::Services;
use crate::trusted::TrustedDocuments;

/// Texts an instance keeps in memory; the rest are a statement away.
const REMEMBERED: NonZeroUsize = match NonZeroUsize::new(2_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Why an operation cannot run.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The hash is not known yet: the client sends the text next.
    NotFound,
    /// The extension is malformed, or the text does not hash to the hash.
    Invalid(&'static str),
    /// Trusted mode: the operation is not a trusted document. The hash is
    /// the one it was sent by or its text's, for the operator to look up.
    NotTrusted(Option<String>),
    /// Trusted mode: the registry could not be asked.
    Unavailable(DomainError),
}

impl Refusal {
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Refusal::NotFound => ErrorCode::PersistedQueryNotFound,
            Refusal::Invalid(_) => ErrorCode::BadUserInput,
            Refusal::NotTrusted(_) => ErrorCode::OperationNotTrusted,
            Refusal::Unavailable(err) => err.code(),
        }
    }

    /// The refusal as the GraphQL error a client reads.
    pub(crate) fn error(&self) -> async_graphql::Error {
        match self {
            // In the words Apollo Client and urql look for.
            Refusal::NotFound => coded("PersistedQueryNotFound", self.code()),
            Refusal::Invalid(why) => coded(*why, self.code()),
            Refusal::NotTrusted(hash) => coded(
                "this server runs only operations registered ahead of time (trusted documents), \
                 and this one is not registered",
                self.code(),
            )
            .extend_with(|_, ext| {
                if let Some(hash) = hash {
                    ext.set("sha256Hash", hash.as_str());
                }
            }),
            Refusal::Unavailable(err) => to_graphql(err),
        }
    }
}

#[derive(Deserialize)]
struct PersistedQuery {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The hash a request names in `extensions.persistedQuery`, taken out of
/// it; `None` when it names none.
fn named_hash(request: &mut Request) -> Result<Option<String>, Refusal> {
    let Some(extension) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let persisted: PersistedQuery = extension
        .into_json()
        .ok()
        .and_then(|json| serde_json::from_value(json).ok())
        .ok_or(Refusal::Invalid(
            "persistedQuery needs a version and a sha256Hash",
        ))?;
    if persisted.version != 1 {
        return Err(Refusal::Invalid(
            "persistedQuery version 1 is the one supported",
        ));
    }
    let hash = persisted.sha256_hash.to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::Invalid("sha256Hash is 64 hexadecimal digits"));
    }
    Ok(Some(hash))
}

/// Texts by hash: the automatic store, or in trusted mode the trusted
/// documents alone.
pub(crate) struct PersistedQueries {
    remembered: Mutex<lru::LruCache<String, Arc<str>>>,
    trusted: Option<TrustedDocuments>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries {
            remembered: Mutex::new(lru::LruCache::new(REMEMBERED)),
            trusted: None,
        }
    }
}

impl PersistedQueries {
    /// Trusted mode: only `documents` run, and nothing is registered.
    pub(crate) fn trusted(documents: TrustedDocuments) -> Self {
        PersistedQueries {
            trusted: Some(documents),
            ..PersistedQueries::default()
        }
    }

    fn remembered(&self, hash: &str) -> Option<Arc<str>> {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned()
    }

    fn remember(&self, hash: String, text: Arc<str>) {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(hash, text);
    }

    /// Gives `request` its text when it names one by hash, or registers the
    /// text it carries under that hash. A request without the extension
    /// passes untouched. In trusted mode, refuses whatever is not a trusted
    /// document instead, and registers nothing.
    pub(crate) async fn resolve(
        &self,
        services: &Services,
        request: &mut Request,
    ) -> Result<(), Refusal> {
        let named = named_hash(request)?;
        if let Some(trusted) = &self.trusted {
            let admitted = admit(trusted, services, request, named).await;
            if let Err(Refusal::NotTrusted(hash)) = &admitted {
                services
                    .metrics
                    .record_error(ErrorCode::OperationNotTrusted);
                tracing::debug!(
                    hash = hash.as_deref().unwrap_or(""),
                    "operation refused: not a trusted document"
                );
            }
            return admitted;
        }
        let Some(hash) = named else {
            return Ok(());
        };
        if request.query.is_empty() {
            let text = match self.remembered(&hash) {
                Some(text) => text,
                None => {
                    let stored = waypost_domain::persisted::text(&services.pool, &hash)
                        .await
                        // The database being away reads as not found: the
                        // client then sends the text, which runs anyway.
                        .unwrap_or_else(|err| {
                            tracing::warn!(error = %err, "cannot read a persisted query");
                            None
                        })
                        .ok_or(Refusal::NotFound)?;
                    let text: Arc<str> = stored.into();
                    self.remember(hash, text.clone());
                    text
                }
            };
            request.query = text.to_string();
            return Ok(());
        }
        if document_hash(&request.query) != hash {
            return Err(Refusal::Invalid("provided sha does not match query"));
        }
        if self.remembered(&hash).is_none()
            // Only operations that parse are worth keeping.
            && async_graphql::parser::parse_query(&request.query).is_ok()
        {
            let now = (services.clock)();
            if let Err(err) =
                waypost_domain::persisted::register(&services.pool, &hash, &request.query, now)
                    .await
            {
                tracing::warn!(error = %err, "cannot store a persisted query");
            }
            self.remember(hash, request.query.as_str().into());
        }
        Ok(())
    }

    /// An operation sent over a WebSocket: held to the trusted documents as
    /// over HTTP in trusted mode, untouched otherwise (WebSocket clients
    /// send their text; automatic persisted queries are an HTTP affair).
    pub(crate) async fn resolve_socket(
        &self,
        services: &Services,
        request: &mut Request,
    ) -> Result<(), Refusal> {
        if self.trusted.is_none() {
            return Ok(());
        }
        self.resolve(services, request).await
    }
}

/// Trusted mode: `request` runs when it names a trusted document by hash
/// (it gets the document's text) or carries the exact text of one (a hash
/// sent with it must be that text's). Anything else, an attempt to register
/// a text included, is refused.
async fn admit(
    trusted: &TrustedDocuments,
    services: &Services,
    request: &mut Request,
    named: Option<String>,
) -> Result<(), Refusal> {
    let hash = if request.query.is_empty() {
        named.ok_or(Refusal::NotTrusted(None))?
    } else {
        let hash = document_hash(&request.query);
        if named.is_some_and(|named| named != hash) {
            return Err(Refusal::Invalid("provided sha does not match query"));
        }
        hash
    };
    match trusted.text(&services.pool, &hash).await {
        Ok(Some(text)) => {
            if request.query.is_empty() {
                request.query = text.to_string();
            }
            Ok(())
        }
        Ok(None) => Err(Refusal::NotTrusted(Some(hash))),
        Err(err) => Err(Refusal::Unavailable(err)),
    }
}
