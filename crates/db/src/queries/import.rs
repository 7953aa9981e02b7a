//! What an import brought in from another publication: the row each
//! source item became, so that importing the same export again adds
//! nothing twice.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::{DbError, DbResult};
use crate::ids::{CommentId, TagId};
use crate::models::{CommentInsertForm, Post, PostInsertForm};
use crate::pool::{DbConn, with_conn};
use crate::schema::imported_items;

/// One source item: its site, its kind ("author", "post", …) and its id there.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub source: &'a str,
    pub kind: &'a str,
    pub source_id: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = imported_items)]
struct Record<'a> {
    source: &'a str,
    kind: &'a str,
    source_id: &'a str,
    target_id: i64,
}

/// The id of the row `origin` became, if it was imported before.
pub async fn imported(conn: &mut DbConn, origin: Origin<'_>) -> DbResult<Option<i64>> {
    let found = with_conn!(conn, |c| {
        imported_items::table
            .filter(imported_items::source.eq(origin.source))
            .filter(imported_items::kind.eq(origin.kind))
            .filter(imported_items::source_id.eq(origin.source_id))
            .select(imported_items::target_id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found)
}

/// Notes that `origin` became row `target_id`.
pub async fn record(conn: &mut DbConn, origin: Origin<'_>, target_id: i64) -> DbResult<()> {
    let row = Record {
        source: origin.source,
        kind: origin.kind,
        source_id: origin.source_id,
        target_id,
    };
    with_conn!(conn, |c| diesel::insert_into(imported_items::table)
        .values(&row)
        .execute(c)
        .await)?;
    Ok(())
}

/// Inserts a post with its tags and notes where it came from, in one
/// transaction: a post is never stored without the note that keeps a
/// second import from storing it again.
pub async fn insert_post(
    conn: &mut DbConn,
    form: &PostInsertForm,
    tag_ids: &[TagId],
    origin: Origin<'_>,
) -> DbResult<Post> {
    conn.serialized(&[], async |conn| {
        let post = crate::queries::editorial::insert_post(conn, form, tag_ids).await?;
        record(conn, origin, post.id.0).await?;
        Ok(post)
    })
    .await
}

/// Stores a comment as it stood in the archive (approved ones count as
/// vouched for, as in [`crate::queries::comment::insert_many`]) and notes
/// where it came from, in one transaction.
pub async fn insert_comment(
    conn: &mut DbConn,
    form: &CommentInsertForm,
    origin: Origin<'_>,
) -> DbResult<CommentId> {
    conn.serialized(&[], async |conn| {
        let ids = crate::queries::comment::insert_many(conn, std::slice::from_ref(form)).await?;
        let id = <[CommentId]>::first(&ids)
            .copied()
            .ok_or(DbError::Query(diesel::result::Error::NotFound))?;
        record(conn, origin, id.0).await?;
        Ok(id)
    })
    .await
}
