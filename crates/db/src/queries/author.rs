//! Author lookups.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::DbResult;
use crate::ids::AuthorId;
use crate::models::Author;
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
