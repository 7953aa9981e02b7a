//! Operation texts stored by the SHA-256 of their text (automatic
//! persisted queries), shared by every instance on the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::pool::{DbConn, with_conn};
use crate::schema::persisted_queries;

/// The text stored under `hash`, if any.
pub async fn text(conn: &mut DbConn, hash: &str) -> DbResult<Option<String>> {
    let found = with_conn!(conn, |c| persisted_queries::table
        .find(hash)
        .select(persisted_queries::query)
        .first::<String>(c)
        .await
        .optional())?;
    Ok(found)
}

/// Stores `text` under `hash` (a second store of the same text is a no-op),
/// then drops the oldest entries past the newest `keep`.
pub async fn store(
    conn: &mut DbConn,
    hash: &str,
    text: &str,
    now: NaiveDateTime,
    keep: i64,
) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(persisted_queries::table)
            .values((
                persisted_queries::hash.eq(hash),
                persisted_queries::query.eq(text),
                persisted_queries::created_at.eq(now),
            ))
            .on_conflict(persisted_queries::hash)
            .do_nothing()
            .execute(c)
            .await?;
        let cutoff: Option<NaiveDateTime> = persisted_queries::table
            .select(persisted_queries::created_at)
            .order(persisted_queries::created_at.desc())
            .offset(keep)
            .first(c)
            .await
            .optional()?;
        if let Some(cutoff) = cutoff {
            diesel::delete(
                persisted_queries::table.filter(persisted_queries::created_at.le(cutoff)),
            )
            .execute(c)
            .await?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}
