//! Post lookups and listings: live posts for readers, and posts in any
//! state for the callers that decide who may see them.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use chrono::NaiveDateTime;

use crate::error::DbResult;
use crate::ids::PostId;
use crate::listing::{
    Group, GroupedCount, GroupedPost, PostFilter, PostListQuery, count_sql, list_sql,
};
use crate::live;
use crate::models::{Author, Post, Tag};
use crate::pool::{DbConn, with_conn};
use crate::schema::{authors, post_tags, posts, tags};
use crate::sql::{Bind, SqlBuilder};

/// Which posts a lookup names.
enum PostKeys<'a> {
    Ids(&'a [PostId]),
    Slugs(&'a [String]),
}

/// The posts live at `now` among those `keys` names.
async fn live_by(conn: &mut DbConn, keys: PostKeys<'_>, now: NaiveDateTime) -> DbResult<Vec<Post>> {
    let rows = with_conn!(conn, |c| {
        let query = posts::table
            .filter(live::post(now))
            .select(Post::as_select())
            .into_boxed();
        let query = match &keys {
            PostKeys::Ids(ids) => {
                query.filter(posts::id.eq_any(ids.iter().map(|id| id.0).collect::<Vec<_>>()))
            }
            PostKeys::Slugs(slugs) => query.filter(posts::slug.eq_any(*slugs)),
        };
        query.load(c).await
    })?;
    Ok(rows)
}

/// The posts live at `now` among `ids`.
pub async fn live_by_ids(
    conn: &mut DbConn,
    ids: &[PostId],
    now: NaiveDateTime,
) -> DbResult<Vec<Post>> {
    live_by(conn, PostKeys::Ids(ids), now).await
}

/// The posts live at `now` among `slugs`.
pub async fn live_by_slugs(
    conn: &mut DbConn,
    slugs: &[String],
    now: NaiveDateTime,
) -> DbResult<Vec<Post>> {
    live_by(conn, PostKeys::Slugs(slugs), now).await
}

/// The post with `slug`, in any state; callers decide who may see it.
pub async fn by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Post>> {
    let row = with_conn!(conn, |c| {
        posts::table
            .filter(posts::slug.eq(slug))
            .select(Post::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(row)
}

/// The post with `slug`, in any state, with its author and its tags.
pub async fn by_slug_with_author_and_tags(
    conn: &mut DbConn,
    slug: &str,
) -> DbResult<Option<(Post, Author, Vec<Tag>)>> {
    // One row per tag (one row when it has none), tags in the order the
    // tag listing uses: a post page's post, author and tags in one
    // statement.
    let rows: Vec<(Post, Author, Option<Tag>)> = with_conn!(conn, |c| {
        posts::table
            .inner_join(authors::table)
            .left_join(post_tags::table.on(post_tags::post_id.eq(posts::id)))
            .left_join(tags::table.on(tags::id.eq(post_tags::tag_id)))
            .filter(posts::slug.eq(slug))
            .order((tags::name, tags::id))
            .select((
                Post::as_select(),
                Author::as_select(),
                Option::<Tag>::as_select(),
            ))
            .load(c)
            .await
    })?;
    let mut rows = rows.into_iter();
    let Some((post, author, first)) = rows.next() else {
        return Ok(None);
    };
    let tags = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, tag)| tag))
        .collect();
    Ok(Some((post, author, tags)))
}

/// Posts among `ids`, in any state.
pub async fn by_ids(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<Post>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        posts::table
            .filter(posts::id.eq_any(ids))
            .select(Post::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

/// One page of posts for every parent of the query, in one statement.
pub async fn list(conn: &mut DbConn, query: &PostListQuery<'_>) -> DbResult<Vec<GroupedPost>> {
    list_sql(conn.backend(), query).load(conn).await
}

/// How many posts each parent has under `filter`, in one statement.
/// Parents without posts are absent from the result.
pub async fn count(
    conn: &mut DbConn,
    group: Group,
    parent_ids: &[i64],
    filter: &PostFilter,
) -> DbResult<Vec<GroupedCount>> {
    count_sql(conn.backend(), group, parent_ids, filter)
        .load(conn)
        .await
}

/// The published neighbours of a post in publishing order.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Adjacent {
    #[diesel(sql_type = BigInt)]
    pub id: PostId,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub previous_id: Option<PostId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub next_id: Option<PostId>,
}

/// Previous and next published post of each given post, in one statement;
/// each neighbour is an index seek on (status, published_at, id). With
/// `tag` (a slug), only posts filed under that tag count as neighbours.
pub async fn adjacent(
    conn: &mut DbConn,
    ids: &[PostId],
    tag: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<Vec<Adjacent>> {
    // Earlier posts of a live post are live too; later ones must not be
    // scheduled past `now`.
    let mut b = SqlBuilder::new(conn.backend());
    let tag_placeholder = tag.map(|slug| b.value(Bind::Text(slug.to_owned())));
    let in_tag = |b: &mut SqlBuilder| {
        if let Some(placeholder) = tag_placeholder {
            b.push(
                " AND EXISTS (SELECT 1 FROM post_tags pt JOIN tags t ON t.id = pt.tag_id \
                 WHERE pt.post_id = q.id AND t.slug = ",
            );
            b.placeholder(placeholder);
            b.push(")");
        }
    };
    let now = b.value(Bind::Time(now));
    b.push(
        "SELECT p.id AS id, \
         (SELECT q.id FROM posts q WHERE q.status = 'published' AND \
           (q.published_at, q.id) < (p.published_at, p.id)",
    );
    in_tag(&mut b);
    b.push(
        " ORDER BY q.published_at DESC, q.id DESC LIMIT 1) AS previous_id, \
         (SELECT q.id FROM posts q WHERE ",
    );
    live::sql(&mut b, "q", now);
    b.push(" AND (q.published_at, q.id) > (p.published_at, p.id)");
    in_tag(&mut b);
    b.push(
        " ORDER BY q.published_at ASC, q.id ASC LIMIT 1) AS next_id \
         FROM posts p WHERE ",
    );
    live::sql(&mut b, "p", now);
    b.push(" AND p.id");
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    b.in_list(&ids);
    b.load(conn).await
}

/// Every post, in any status; used to refuse seeding a non-empty database.
pub async fn count_all(conn: &mut DbConn) -> DbResult<i64> {
    let n = with_conn!(conn, |c| posts::table.count().get_result(c).await)?;
    Ok(n)
}

/// The first instant after `now` at which a scheduled post or guide goes
/// live, if any is scheduled: until then, what readers see cannot change
/// without a write. Two index seeks (`status, published_at`).
pub async fn next_going_live(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> DbResult<Option<NaiveDateTime>> {
    use crate::schema::guides;
    let (post, guide) = with_conn!(conn, |c| {
        let post: Option<NaiveDateTime> = posts::table
            .filter(live::scheduled_post(now))
            .select(diesel::dsl::min(posts::published_at))
            .first(c)
            .await?;
        let guide: Option<NaiveDateTime> = guides::table
            .filter(live::scheduled_guide(now))
            .select(diesel::dsl::min(guides::published_at))
            .first(c)
            .await?;
        Ok::<_, diesel::result::Error>((post, guide))
    })?;
    Ok(match (post, guide) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}
