//! Writing posts: create, edit with a version check, revisions, old slugs,
//! delete. Multi-step writes run in one transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::DbResult;
use crate::ids::{PostId, TagId};
use crate::models::{
    OldSlugForm, Post, PostInsertForm, PostRevision, PostRevisionForm, PostUpdateForm,
};
use crate::pool::{ClaimWrites, DbConn, with_conn};
use crate::queries::tag::TagPost;
use crate::schema::{post_revisions, post_slugs, post_tags, posts, tags};

/// Slugs in use, current or kept for old links, equal to `base` or `base-…`.
pub async fn slugs_like(conn: &mut DbConn, base: &str) -> DbResult<Vec<String>> {
    // LIKE treats `_` as a wildcard; the exact prefix is checked below.
    let pattern = format!("{}-%", base.replace(['\\', '%'], "").replace('_', "\\_"));
    let (mut current, old): (Vec<String>, Vec<String>) = with_conn!(conn, |c| {
        let current = posts::table
            .filter(
                posts::slug
                    .eq(base)
                    .or(posts::slug.like(&pattern).escape('\\')),
            )
            .select(posts::slug)
            .load(c)
            .await?;
        let old = post_slugs::table
            .filter(
                post_slugs::slug
                    .eq(base)
                    .or(post_slugs::slug.like(&pattern).escape('\\')),
            )
            .select(post_slugs::slug)
            .load(c)
            .await?;
        Ok::<_, diesel::result::Error>((current, old))
    })?;
    current.extend(old);
    current.retain(|s| {
        s == base
            || s.strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('-'))
    });
    Ok(current)
}

/// The tags among `ids` that exist.
pub async fn existing_tags(conn: &mut DbConn, ids: &[TagId]) -> DbResult<Vec<TagId>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let found = with_conn!(conn, |c| {
        tags::table
            .filter(tags::id.eq_any(ids))
            .select(tags::id)
            .load(c)
            .await
    })?;
    Ok(found)
}

/// Inserts a post with its tags in one transaction.
pub async fn insert_post(
    conn: &mut DbConn,
    form: &PostInsertForm,
    tag_ids: &[TagId],
) -> DbResult<Post> {
    let post = with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            let post: Post = diesel::insert_into(posts::table)
                .values(form)
                .returning(Post::as_returning())
                .get_result(c)
                .await?;
            c.tag_post(post.id, tag_ids).await?;
            Ok(post)
        })
        .await
    })?;
    Ok(post)
}

/// One edit, applied only if the post is still at `expected_version`.
#[derive(Debug, Clone)]
pub struct PostEdit {
    pub id: PostId,
    pub expected_version: i64,
    pub changes: PostUpdateForm,
    /// The content before this edit, kept as a revision.
    pub revision: Option<PostRevisionForm>,
    /// The slug the post leaves behind, kept so that old links still work.
    pub old_slug: Option<OldSlugForm>,
    /// The post's new tags, replacing the old ones.
    pub tags: Option<Vec<TagId>>,
}

/// Applies `edit` in one transaction and bumps the version. `None`: the post
/// is gone or changed since `expected_version`; nothing was written.
pub async fn apply_edit(conn: &mut DbConn, edit: &PostEdit) -> DbResult<Option<Post>> {
    let post = with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            let updated: Option<Post> = diesel::update(
                posts::table
                    .filter(posts::id.eq(edit.id))
                    .filter(posts::version.eq(edit.expected_version)),
            )
            .set((&edit.changes, posts::version.eq(posts::version + 1)))
            .returning(Post::as_returning())
            .get_result(c)
            .await
            .optional()?;
            let Some(post) = updated else { return Ok(None) };
            if let Some(revision) = &edit.revision {
                diesel::insert_into(post_revisions::table)
                    .values(revision)
                    .execute(c)
                    .await?;
            }
            if let Some(old) = &edit.old_slug {
                // Taking back one of this post's own old slugs retires that
                // redirect; other posts' old slugs are refused before here.
                diesel::delete(
                    post_slugs::table
                        .filter(post_slugs::slug.eq(&post.slug))
                        .filter(post_slugs::post_id.eq(edit.id)),
                )
                .execute(c)
                .await?;
                diesel::insert_into(post_slugs::table)
                    .values(old)
                    .execute(c)
                    .await?;
            }
            if let Some(tag_ids) = &edit.tags {
                diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post.id)))
                    .execute(c)
                    .await?;
                c.tag_post(post.id, tag_ids).await?;
            }
            Ok(Some(post))
        })
        .await
    })?;
    Ok(post)
}

/// Deletes a post for good, with its tags, revisions and old slugs.
pub async fn delete_post(conn: &mut DbConn, id: PostId) -> DbResult<bool> {
    let deleted = with_conn!(conn, |c| diesel::delete(posts::table.find(id))
        .execute(c)
        .await)?;
    Ok(deleted > 0)
}

/// The post an old slug points to, in any state.
pub async fn post_by_old_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Post>> {
    let post = with_conn!(conn, |c| {
        post_slugs::table
            .inner_join(posts::table)
            .filter(post_slugs::slug.eq(slug))
            .select(Post::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(post)
}

/// The post that once had `slug`, if any.
pub async fn old_slug_owner(conn: &mut DbConn, slug: &str) -> DbResult<Option<PostId>> {
    let owner = with_conn!(conn, |c| {
        post_slugs::table
            .filter(post_slugs::slug.eq(slug))
            .select(post_slugs::post_id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(owner)
}

/// Revisions of each post, newest first.
pub async fn revisions(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<PostRevision>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        post_revisions::table
            .filter(post_revisions::post_id.eq_any(ids))
            .order((post_revisions::post_id, post_revisions::id.desc()))
            .select(PostRevision::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

pub async fn revision(
    conn: &mut DbConn,
    id: crate::ids::RevisionId,
) -> DbResult<Option<PostRevision>> {
    let row = with_conn!(conn, |c| {
        post_revisions::table
            .find(id)
            .select(PostRevision::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(row)
}

/// The version of the Markdown renderer that wrote the stored HTML of
/// `what` (`posts`); 0 when none is recorded.
pub async fn rendering_version(conn: &mut DbConn, what: &str) -> DbResult<i64> {
    let mut b = crate::sql::SqlBuilder::new(conn.backend());
    b.push("SELECT CAST(version AS BIGINT) AS version FROM renderings WHERE what = ");
    b.bind(crate::sql::Bind::Text(what.to_owned()));
    let rows: Vec<RenderingVersion> = b.load(conn).await?;
    Ok(rows.into_iter().next().map_or(0, |r| r.version))
}

/// Records that the stored HTML of `what` is the renderer's `version`.
pub async fn set_rendering_version(conn: &mut DbConn, what: &str, version: i64) -> DbResult<()> {
    let mut b = crate::sql::SqlBuilder::new(conn.backend());
    b.push("UPDATE renderings SET version = ");
    b.bind(crate::sql::Bind::Int(version));
    b.push(" WHERE what = ");
    b.bind(crate::sql::Bind::Text(what.to_owned()));
    b.execute(conn).await
}

#[derive(diesel::QueryableByName)]
struct RenderingVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// Up to `limit` posts after `after`, by id, with their Markdown and HTML.
pub async fn markdown_after(
    conn: &mut DbConn,
    after: PostId,
    limit: i64,
) -> DbResult<Vec<(PostId, String, String)>> {
    let rows = with_conn!(conn, |c| {
        posts::table
            .filter(posts::id.gt(after))
            .order(posts::id.asc())
            .limit(limit)
            .select((posts::id, posts::body_markdown, posts::body_html))
            .load::<(PostId, String, String)>(c)
            .await
    })?;
    Ok(rows)
}

/// Stores `html` as post `id`'s rendering, unless its Markdown is no longer
/// `markdown` (an edit since it was read rendered it itself). The post's
/// version and dates stay: its content is the same.
pub async fn set_rendered(
    conn: &mut DbConn,
    id: PostId,
    markdown: &str,
    html: &str,
) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::update(
            posts::table
                .filter(posts::id.eq(id))
                .filter(posts::body_markdown.eq(markdown)),
        )
        .set(posts::body_html.eq(html))
        .execute(c)
        .await
    })?;
    Ok(())
}
