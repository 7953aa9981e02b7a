//! Operations registered ahead of time for trusted-documents mode, by the
//! SHA-256 of their text, shared by every instance on the database.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::models::TrustedDocument;
use crate::pool::{DbConn, with_conn};
use crate::schema::trusted_documents;

/// The document registered under `hash`, if any.
pub async fn document(conn: &mut DbConn, hash: &str) -> DbResult<Option<String>> {
    let found = with_conn!(conn, |c| trusted_documents::table
        .find(hash)
        .select(trusted_documents::document)
        .first::<String>(c)
        .await
        .optional())?;
    Ok(found)
}

/// Registers `document`; a document registered before keeps its first
/// registration. Returns whether it is new.
pub async fn store(conn: &mut DbConn, document: &TrustedDocument) -> DbResult<bool> {
    let inserted = with_conn!(conn, |c| diesel::insert_into(trusted_documents::table)
        .values(document)
        .on_conflict(trusted_documents::hash)
        .do_nothing()
        .execute(c)
        .await)?;
    Ok(inserted > 0)
}

/// Every registered document, oldest first.
pub async fn list(conn: &mut DbConn) -> DbResult<Vec<TrustedDocument>> {
    let documents = with_conn!(conn, |c| trusted_documents::table
        .select(TrustedDocument::as_select())
        .order((trusted_documents::created_at, trusted_documents::hash))
        .load(c)
        .await)?;
    Ok(documents)
}
