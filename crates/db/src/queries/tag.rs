//! Tags: lookups, edits, and filing a post under its tags.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::DbResult;
use crate::ids::{PostId, TagId};
use crate::models::{PostTag, Tag, TagInsertForm, TagUpdateForm};
use crate::pool::{DbConn, SqliteConn, with_conn};
use crate::schema::{post_tags, tags};

/// Tags per INSERT: far below either backend's limit on bound parameters,
/// far above what a post carries, so a post's tags take one statement.
const TAGS_PER_INSERT: usize = 1000;

/// Files a post under `tags` in one multi-row INSERT, inside whatever
/// transaction the caller holds. diesel-async sends a multi-row INSERT to
/// PostgreSQL itself; for SQLite its wrapper has none, so the insert runs
/// on the synchronous connection underneath, where diesel writes one
/// statement for rows that give every value (as `PostTag` does).
pub(crate) trait TagPost {
    fn tag_post(
        &mut self,
        post: PostId,
        tags: &[TagId],
    ) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

fn rows(post_id: PostId, tags: &[TagId]) -> Vec<PostTag> {
    tags.iter()
        .map(|&tag_id| PostTag { post_id, tag_id })
        .collect()
}

impl TagPost for AsyncPgConnection {
    async fn tag_post(&mut self, post: PostId, tags: &[TagId]) -> diesel::QueryResult<()> {
        for chunk in rows(post, tags).chunks(TAGS_PER_INSERT) {
            diesel::insert_into(post_tags::table)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl TagPost for SqliteConn {
    async fn tag_post(&mut self, post: PostId, tags: &[TagId]) -> diesel::QueryResult<()> {
        let rows = rows(post, tags);
        self.spawn_blocking(move |c| {
            for chunk in rows.chunks(TAGS_PER_INSERT) {
                diesel::RunQueryDsl::execute(
                    diesel::insert_into(post_tags::table).values(chunk),
                    c,
                )?;
            }
            Ok(())
        })
        .await
    }
}

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
