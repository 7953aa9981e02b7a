//! Operations an operator registered ahead of time for trusted-documents
//! mode, kept by the hash of their exact text so that every instance sees
//! them. Unlike automatic persisted queries they are never evicted: a
//! client cannot add to them, so they cannot grow without an operator.
//! Whether a text is a valid operation is the caller's business (the
//! gateway checks it against the schema before registering it).

use chrono::NaiveDateTime;
use waypost_db::DbPool;
use waypost_db::queries::trusted;

use crate::DomainResult;
use crate::clock::stored_instant;
use crate::persisted::document_hash;

/// A registered operation document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDocument {
    /// [`document_hash`] of `text`.
    pub hash: String,
    pub text: String,
    pub registered_at: NaiveDateTime,
}

/// The document registered under `hash`, on any instance.
pub async fn document(pool: &DbPool, hash: &str) -> DomainResult<Option<String>> {
    Ok(trusted::document(&mut pool.get().await?, hash).await?)
}

/// Registers `text` under its hash for every instance; registering it again
/// changes nothing. Returns the hash and whether the text is new.
pub async fn register(
    pool: &DbPool,
    text: &str,
    now: NaiveDateTime,
) -> DomainResult<(String, bool)> {
    let row = waypost_db::TrustedDocument {
        hash: document_hash(text),
        document: text.to_owned(),
        created_at: stored_instant(now),
    };
    let new = trusted::store(&mut pool.get().await?, &row).await?;
    Ok((row.hash, new))
}

/// Every registered document, oldest first.
pub async fn list(pool: &DbPool) -> DomainResult<Vec<TrustedDocument>> {
    let rows = trusted::list(&mut pool.get().await?).await?;
    Ok(rows
        .into_iter()
        .map(|row| TrustedDocument {
            hash: row.hash,
            text: row.document,
            registered_at: row.created_at,
        })
        .collect())
}
