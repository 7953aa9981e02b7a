//! What an import brought in from another publication: the row each
//! source item became, so that importing the same export again adds
//! nothing twice.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::{DbError, DbResult};
use crate::ids::{AuthorId, CommentId, PostId, TagId};
use crate::models::{
    Author, AuthorInsertForm, CommentInsertForm, Post, PostInsertForm, TagInsertForm,
};
use crate::pool::{DbConn, with_conn};
use crate::schema::{authors, comments, imported_items, posts, tags};

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

/// What became of a source item imported before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped {
    /// Never imported.
    New,
    /// Imported as this row, which is still here.
    Here(i64),
    /// Imported, and its row deleted here since.
    Gone,
}

/// Whether `origin` was imported, and whether the row it became is still
/// here: a row deleted since must not be pointed at (its id is dangling).
/// `origin.kind` names the table: "author", "post", "comment", or a tag
/// for any other kind.
pub async fn mapped(conn: &mut DbConn, origin: Origin<'_>) -> DbResult<Mapped> {
    let Some(id) = imported(conn, origin).await? else {
        return Ok(Mapped::New);
    };
    let here = with_conn!(conn, |c| {
        match origin.kind {
            "author" => {
                diesel::select(diesel::dsl::exists(authors::table.find(AuthorId(id))))
                    .get_result::<bool>(c)
                    .await
            }
            "post" => {
                diesel::select(diesel::dsl::exists(posts::table.find(PostId(id))))
                    .get_result::<bool>(c)
                    .await
            }
            "comment" => {
                diesel::select(diesel::dsl::exists(comments::table.find(CommentId(id))))
                    .get_result::<bool>(c)
                    .await
            }
            _ => {
                diesel::select(diesel::dsl::exists(tags::table.find(TagId(id))))
                    .get_result::<bool>(c)
                    .await
            }
        }
    })?;
    Ok(if here { Mapped::Here(id) } else { Mapped::Gone })
}

/// Notes that `origin` became row `target_id`, in place of any earlier
/// note (whose row was deleted here since).
async fn record(conn: &mut DbConn, origin: Origin<'_>, target_id: i64) -> DbResult<()> {
    let row = Record {
        source: origin.source,
        kind: origin.kind,
        source_id: origin.source_id,
        target_id,
    };
    with_conn!(conn, |c| {
        diesel::delete(
            imported_items::table
                .filter(imported_items::source.eq(origin.source))
                .filter(imported_items::kind.eq(origin.kind))
                .filter(imported_items::source_id.eq(origin.source_id)),
        )
        .execute(c)
        .await?;
        diesel::insert_into(imported_items::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Stores a row with `insert` and notes that `origin` became it (`id`
/// says which row), in one transaction: nothing is stored without the note
/// that keeps a second import from storing it again, so a stop in between
/// cannot make the next import store it twice.
async fn noted<T>(
    conn: &mut DbConn,
    origin: Origin<'_>,
    insert: impl AsyncFnOnce(&mut DbConn) -> DbResult<T>,
    id: impl Fn(&T) -> i64,
) -> DbResult<T> {
    conn.serialized(&[], async |conn| {
        let row = insert(conn).await?;
        record(conn, origin, id(&row)).await?;
        Ok(row)
    })
    .await
}

/// Inserts an author profile and notes where it came from.
pub async fn insert_author(
    conn: &mut DbConn,
    form: &AuthorInsertForm,
    origin: Origin<'_>,
) -> DbResult<Author> {
    let insert = async |c: &mut DbConn| crate::queries::author::insert(c, form).await;
    noted(conn, origin, insert, |a: &Author| a.id.0).await
}

/// The tag with `form`'s slug, inserted unless one is here already, and
/// the note of where it came from.
pub async fn insert_tag(
    conn: &mut DbConn,
    form: &TagInsertForm,
    origin: Origin<'_>,
) -> DbResult<TagId> {
    let insert = async |c: &mut DbConn| match crate::queries::tag::by_slug(c, &form.slug).await? {
        Some(tag) => Ok(tag.id),
        None => Ok(crate::queries::tag::insert(c, form).await?.id),
    };
    noted(conn, origin, insert, |id: &TagId| id.0).await
}

/// Inserts a post with its tags and notes where it came from.
pub async fn insert_post(
    conn: &mut DbConn,
    form: &PostInsertForm,
    tag_ids: &[TagId],
    origin: Origin<'_>,
) -> DbResult<Post> {
    let insert =
        async |c: &mut DbConn| crate::queries::editorial::insert_post(c, form, tag_ids).await;
    noted(conn, origin, insert, |p: &Post| p.id.0).await
}

/// Stores a comment as it stood in the archive (approved ones count as
/// vouched for, as in [`crate::queries::comment::insert_many`]) and notes
/// where it came from.
pub async fn insert_comment(
    conn: &mut DbConn,
    form: &CommentInsertForm,
    origin: Origin<'_>,
) -> DbResult<CommentId> {
    let insert = async |c: &mut DbConn| {
        let ids = crate::queries::comment::insert_many(c, std::slice::from_ref(form)).await?;
        <[CommentId]>::first(&ids)
            .copied()
            .ok_or(DbError::Query(diesel::result::Error::NotFound))
    };
    noted(conn, origin, insert, |id: &CommentId| id.0).await
}
