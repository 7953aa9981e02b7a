//! Author lookups.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::ids::AuthorId;
use crate::models::{Author, AuthorInsertForm, AuthorUpdateForm};
use crate::pool::{DbConn, with_conn};
use crate::schema::authors;

pub async fn by_ids(conn: &mut DbConn, ids: &[AuthorId]) -> DbResult<Vec<Author>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        authors::table
            .filter(authors::id.eq_any(ids))
            .select(Author::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

pub async fn by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Author>> {
    let row = with_conn!(conn, |c| {
        authors::table
            .filter(authors::slug.eq(slug))
            .select(Author::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(row)
}

pub async fn insert(conn: &mut DbConn, form: &AuthorInsertForm) -> DbResult<Author> {
    let author = with_conn!(conn, |c| {
        diesel::insert_into(authors::table)
            .values(form)
            .returning(Author::as_returning())
            .get_result(c)
            .await
    })?;
    Ok(author)
}

/// `None` when no author has `id`.
pub async fn update(
    conn: &mut DbConn,
    id: AuthorId,
    form: &AuthorUpdateForm,
) -> DbResult<Option<Author>> {
    let author = with_conn!(conn, |c| {
        diesel::update(authors::table.find(id))
            .set(form)
            .returning(Author::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    Ok(author)
}

/// Deletes an author profile; refused by the database while it has posts.
pub async fn delete(conn: &mut DbConn, id: AuthorId) -> DbResult<bool> {
    let deleted = with_conn!(conn, |c| diesel::delete(authors::table.find(id))
        .execute(c)
        .await)?;
    Ok(deleted > 0)
}
