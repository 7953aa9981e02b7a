//! Automatic persisted queries, as Apollo Client and urql speak them: a
//! request names its operation by `extensions.persistedQuery.sha256Hash`
//! and sends the text only when the server answers `PersistedQueryNotFound`.
//! Texts are resolved here, before anything looks at the operation, so that
//! a mutation sent by hash over GET is refused like one sent as text. The
//! texts live in a bounded memory cache in front of the database's store,
//! which every instance shares.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Request;
use serde::Deserialize;
use waypost_domain::persisted::document_hash;

use crate::schema::Services;

/// Texts an instance keeps in memory; the rest are a statement away.
const REMEMBERED: NonZeroUsize = match NonZeroUsize::new(2_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Why a persisted query cannot run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The hash is not known yet: the client sends the text next.
    NotFound,
    /// The extension is malformed, or the text does not hash to the hash.
    Invalid(&'static str),
}

#[derive(Deserialize)]
struct PersistedQuery {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

pub(crate) struct PersistedQueries(Mutex<lru::LruCache<String, Arc<str>>>);

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries(Mutex::new(lru::LruCache::new(REMEMBERED)))
    }
}

impl PersistedQueries {
    fn remembered(&self, hash: &str) -> Option<Arc<str>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned()
    }

    fn remember(&self, hash: String, text: Arc<str>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(hash, text);
    }

    /// Gives `request` its text when it names one by hash, or registers the
    /// text it carries under that hash. A request without the extension
    /// passes untouched.
    pub(crate) async fn resolve(
        &self,
        services: &Services,
        request: &mut Request,
    ) -> Result<(), Refusal> {
        let Some(extension) = request.extensions.remove("persistedQuery") else {
            return Ok(());
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
}
