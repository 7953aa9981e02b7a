//! Tag lookups.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::ids::{PostId, TagId};
use crate::models::{Tag, TagInsertForm, TagUpdateForm};
use crate::pool::{DbConn, with_conn};
use crate::schema::{post_tags, tags};

pub async fn by_ids(conn: &mut DbConn, ids: &[TagId]) -> DbResult<Vec<Tag>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        tags::table
            .filter(tags::id.eq_any(ids))
            .select(Tag::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

pub async fn by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Tag>> {
    let row = with_conn!(conn, |c| {
        tags::table
            .filter(tags::slug.eq(slug))
            .select(Tag::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(row)
}

/// The tags of each post, ordered by name, in one statement.
pub async fn by_post_ids(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(PostId, Tag)>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        post_tags::table
            .inner_join(tags::table)
            .filter(post_tags::post_id.eq_any(ids))
            .order((post_tags::post_id, tags::name, tags::id))
            .select((post_tags::post_id, Tag::as_select()))
            .load(c)
            .await
    })?;
    Ok(rows)
}

pub async fn insert(conn: &mut DbConn, form: &TagInsertForm) -> DbResult<Tag> {
    let tag = with_conn!(conn, |c| {
        diesel::insert_into(tags::table)
            .values(form)
            .returning(Tag::as_returning())
            .get_result(c)
            .await
    })?;
    Ok(tag)
}

/// `None` when no tag has `id`.
pub async fn update(conn: &mut DbConn, id: TagId, form: &TagUpdateForm) -> DbResult<Option<Tag>> {
    let tag = with_conn!(conn, |c| {
        diesel::update(tags::table.find(id))
            .set(form)
            .returning(Tag::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    Ok(tag)
}

/// Deletes a tag; posts simply lose it.
pub async fn delete(conn: &mut DbConn, id: TagId) -> DbResult<bool> {
    let deleted = with_conn!(conn, |c| diesel::delete(tags::table.find(id))
        .execute(c)
        .await)?;
    Ok(deleted > 0)
}
