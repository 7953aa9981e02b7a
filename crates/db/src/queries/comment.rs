//! Comments: storing, finding, and the counts moderation and flood control need.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::comment_listing::{
    CommentPageQuery, GroupedComment, Thread, ThreadComment, WholeThreadQuery, count_sql, page_sql,
    reachable, whole_thread_sql,
};
use crate::error::DbResult;
use crate::feed::News;
use crate::ids::{CommentId, PostId};
use crate::listing::GroupedCount;
use crate::models::{Comment, CommentInsertForm, CommentStatus};
use crate::pool::{Backend, DbConn, DbPool, with_conn};
use crate::schema::comments;
use crate::sql::{Bind, SqlBuilder};

/// Stores one comment; an approved one counts on its post at once.
pub async fn insert(conn: &mut DbConn, form: &CommentInsertForm) -> DbResult<Comment> {
    conn.serialized(&[], async |conn| {
        let comment = with_conn!(conn, |c| {
            diesel::insert_into(comments::table)
                .values(form)
                .returning(Comment::as_returning())
                .get_result(c)
                .await
        })?;
        if comment.status == CommentStatus::Approved {
            recount(conn, &[comment.post_id]).await?;
        }
        Ok(comment)
    })
    .await
}

/// Counts again the comments a reader can reach on each of `posts` and
/// keeps the figure with the post (`posts.comment_count`), inside the
/// caller's transaction. Every write that can change what a reader reaches
/// calls it. On PostgreSQL the posts are locked first: the count then
/// starts once an earlier writer on the same post has committed, and sees
/// its comment (a count started before the lock would not). The lock is
/// `FOR NO KEY UPDATE`, the one the count's own `UPDATE` takes: storing a
/// comment holds `FOR KEY SHARE` on its post until commit (the foreign-key
/// check), which that lock lets be, while `FOR UPDATE` would wait for it,
/// and two writers that had each stored a comment on one post would wait
/// for each other.
async fn recount(conn: &mut DbConn, posts: &[PostId]) -> DbResult<()> {
    let mut ids: Vec<i64> = posts.iter().map(|p| p.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    if conn.backend() == Backend::Postgres {
        let mut lock = SqlBuilder::new(Backend::Postgres);
        lock.push("SELECT p.id AS id FROM posts p WHERE p.id");
        lock.in_list(&ids);
        lock.push(" ORDER BY p.id FOR NO KEY UPDATE");
        lock.execute(conn).await?;
    }
    let mut b = reachable(conn.backend(), &ids);
    b.push(
        " UPDATE posts SET comment_count = x.total FROM \
         (SELECT q.id AS id, COUNT(s.id) AS total FROM posts q \
         LEFT JOIN shown s ON s.post_id = q.id WHERE q.id",
    );
    b.in_list(&ids);
    b.push(" GROUP BY q.id) x WHERE posts.id = x.id");
    b.execute(conn).await
}

/// Rows one statement of [`insert_many`] carries on PostgreSQL: at 15
/// values a row this stays under its 65,535 parameters.
const BULK_ROWS: usize = 2_000;

/// Stores many comments at once, for loading an archive (the benchmark's
/// threads), in one transaction: on PostgreSQL a statement per
/// [`BULK_ROWS`] rows; on SQLite, which cannot insert several rows with
/// defaults and return them, a statement a row, which costs no round trip
/// in process. Approved ones count as approved by an editor (vouched for),
/// as they would in a publication's history. Returns their ids in the
/// order of `forms`, so that the caller can point replies at them.
pub async fn insert_many(
    conn: &mut DbConn,
    forms: &[CommentInsertForm],
) -> DbResult<Vec<CommentId>> {
    let counted: Vec<PostId> = forms
        .iter()
        .filter(|form| form.status == CommentStatus::Approved)
        .map(|form| form.post_id)
        .collect();
    let stored = conn
        .serialized(&[], async |conn| {
            let stored = store_many(conn, forms).await?;
            recount(conn, &counted).await?;
            Ok::<_, crate::DbError>(stored)
        })
        .await?;
    // Matched by receipt hash (unique), since PostgreSQL does not promise
    // to return the rows in the order it was given them.
    let mut ids: std::collections::HashMap<String, CommentId> = stored.into_iter().collect();
    forms
        .iter()
        .map(|form| {
            ids.remove(&form.receipt_hash)
                .ok_or(crate::DbError::Query(diesel::result::Error::NotFound))
        })
        .collect()
}

/// The inserts of [`insert_many`], with their receipt hashes.
async fn store_many(
    conn: &mut DbConn,
    forms: &[CommentInsertForm],
) -> DbResult<Vec<(String, CommentId)>> {
    use diesel_async::AsyncConnection;

    use crate::pool::ClaimWrites;
    let vouched =
        |form: &CommentInsertForm| comments::vouched.eq(form.status == CommentStatus::Approved);
    let stored: Vec<(String, CommentId)> = match conn {
        DbConn::Pg(c) => {
            let c: &mut diesel_async::AsyncPgConnection = c;
            c.transaction::<_, diesel::result::Error, _>(async |c| {
                let mut stored = Vec::with_capacity(forms.len());
                for chunk in forms.chunks(BULK_ROWS) {
                    let rows: Vec<_> = chunk.iter().map(|form| (form, vouched(form))).collect();
                    let ids: Vec<(String, CommentId)> = diesel::insert_into(comments::table)
                        .values(rows)
                        .returning((comments::receipt_hash, comments::id))
                        .get_results(c)
                        .await?;
                    stored.extend(ids);
                }
                Ok(stored)
            })
            .await?
        }
        DbConn::Sqlite(c) => {
            let c: &mut crate::pool::SqliteConn = c;
            c.transaction::<_, diesel::result::Error, _>(async |c| {
                c.claim_writes().await?;
                let mut stored = Vec::with_capacity(forms.len());
                for form in forms {
                    let id: (String, CommentId) = diesel::insert_into(comments::table)
                        .values((form, vouched(form)))
                        .returning((comments::receipt_hash, comments::id))
                        .get_result(c)
                        .await?;
                    stored.push(id);
                }
                Ok(stored)
            })
            .await?
        }
    };
    Ok(stored)
}

pub async fn by_ids(conn: &mut DbConn, ids: &[CommentId]) -> DbResult<Vec<Comment>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        comments::table
            .filter(comments::id.eq_any(ids))
            .select(Comment::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

/// The comment `news` announced, as stored now (`None` if it was deleted
/// since). It is read once per instance, by the first subscriber that asks,
/// however many subscribers watch its post; a connection is taken only then,
/// on the primary, where the announced comment was written (a replica may
/// not have it yet).
pub async fn announced<'n>(pool: &DbPool, news: &'n News) -> DbResult<Option<&'n Comment>> {
    news.comment_or_read(|| async {
        let mut conn = pool.get_primary().await?;
        Ok(by_ids(&mut conn, &[news.event.comment_id]).await?.pop())
    })
    .await
}

pub async fn by_receipt_hash(conn: &mut DbConn, hash: &str) -> DbResult<Option<Comment>> {
    let row = with_conn!(conn, |c| {
        comments::table
            .filter(comments::receipt_hash.eq(hash))
            .select(Comment::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(row)
}

/// A comment and its ancestors up to its thread's root, nearest first, in
/// one statement.
pub async fn with_ancestors(conn: &mut DbConn, id: CommentId) -> DbResult<Vec<Comment>> {
    let mut b = SqlBuilder::new(conn.backend());
    b.push("WITH RECURSIVE chain AS (SELECT c.* FROM comments c WHERE c.id = ");
    b.bind(Bind::Int(id.0));
    b.push(
        " UNION ALL SELECT c.* FROM comments c JOIN chain ON c.id = chain.parent_id) \
         SELECT * FROM chain ORDER BY depth DESC",
    );
    b.load(conn).await
}

/// Whether an editor has approved a comment from `email` that is still
/// approved.
pub async fn email_has_approved(conn: &mut DbConn, email: &str) -> DbResult<bool> {
    let found: Option<CommentId> = with_conn!(conn, |c| {
        comments::table
            .filter(comments::author_email.eq(email))
            .filter(comments::status.eq(CommentStatus::Approved))
            .filter(comments::vouched.eq(true))
            .select(comments::id)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found.is_some())
}

/// How many comments one poster left since some instant, and the oldest
/// of them: when it ages out of the window a slot frees up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    pub count: i64,
    pub oldest: Option<NaiveDateTime>,
}

/// Comments from `email`, and from `ip` when known, stored strictly after
/// `after`: a comment stored exactly at `after` no longer counts.
pub async fn recent(
    conn: &mut DbConn,
    email: &str,
    ip: Option<&str>,
    after: NaiveDateTime,
) -> DbResult<(Recent, Recent)> {
    use diesel::dsl::{count_star, min};
    let (count, oldest) = with_conn!(conn, |c| {
        comments::table
            .filter(comments::author_email.eq(email))
            .filter(comments::created_at.gt(after))
            .select((count_star(), min(comments::created_at)))
            .get_result::<(i64, Option<NaiveDateTime>)>(c)
            .await
    })?;
    let by_email = Recent { count, oldest };
    let by_ip = match ip {
        Some(ip) => {
            let (count, oldest) = with_conn!(conn, |c| {
                comments::table
                    .filter(comments::ip.eq(ip))
                    .filter(comments::created_at.gt(after))
                    .select((count_star(), min(comments::created_at)))
                    .get_result::<(i64, Option<NaiveDateTime>)>(c)
                    .await
            })?;
            Recent { count, oldest }
        }
        None => Recent::default(),
    };
    Ok((by_email, by_ip))
}

/// Moves comments to `status`; returns the ones that changed. A comment
/// already there is left alone, so of two moderators racing to approve the
/// same comment only one sees it change. `vouched`: the move is an
/// editor's approval, which trusts the commenter from now on; it marks the
/// approved comments among `ids` whether or not they moved (one an author
/// approved is vouched for when an editor approves it too). The mark stays
/// when the comment moves again: trust returns if it is approved again.
pub async fn set_status(
    conn: &mut DbConn,
    ids: &[CommentId],
    status: CommentStatus,
    vouched: bool,
    now: NaiveDateTime,
) -> DbResult<Vec<Comment>> {
    conn.serialized(&[], async |conn| {
        let changed = move_to(conn, ids, status, vouched, now).await?;
        let posts: Vec<PostId> = changed.iter().map(|c| c.post_id).collect();
        recount(conn, &posts).await?;
        Ok(changed)
    })
    .await
}

/// The moves of [`set_status`].
async fn move_to(
    conn: &mut DbConn,
    ids: &[CommentId],
    status: CommentStatus,
    vouched: bool,
    now: NaiveDateTime,
) -> DbResult<Vec<Comment>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let vouches = vouched && status == CommentStatus::Approved;
    let moved = ids.clone();
    let rows = with_conn!(conn, |c| {
        diesel::update(
            comments::table
                .filter(comments::id.eq_any(moved))
                .filter(comments::status.ne(status)),
        )
        .set((
            comments::status.eq(status),
            comments::vouched.eq(comments::vouched.or::<_, diesel::sql_types::Bool>(vouches)),
            comments::updated_at.eq(now),
        ))
        .returning(Comment::as_returning())
        .get_results(c)
        .await
    })?;
    if vouches && rows.len() < ids.len() {
        // Approved before this call: not news, but now vouched for.
        with_conn!(conn, |c| {
            diesel::update(
                comments::table
                    .filter(comments::id.eq_any(ids))
                    .filter(comments::status.eq(CommentStatus::Approved))
                    .filter(comments::vouched.eq(false)),
            )
            .set(comments::vouched.eq(true))
            .execute(c)
            .await
        })?;
    }
    Ok(rows)
}

/// Pages of approved comments for every parent of the query, in one statement.
pub async fn page(
    conn: &mut DbConn,
    query: &CommentPageQuery<'_>,
) -> DbResult<Vec<GroupedComment>> {
    page_sql(conn.backend(), query).load(conn).await
}

/// A page of each post's whole thread in thread order, in one statement.
pub async fn whole_thread(
    conn: &mut DbConn,
    query: &WholeThreadQuery<'_>,
) -> DbResult<Vec<ThreadComment>> {
    whole_thread_sql(conn.backend(), query).load(conn).await
}

/// Approved comments per parent, in one statement; parents without any are absent.
pub async fn count(
    conn: &mut DbConn,
    thread: Thread,
    parent_ids: &[i64],
) -> DbResult<Vec<GroupedCount>> {
    count_sql(conn.backend(), thread, parent_ids)
        .load(conn)
        .await
}

/// The moderation queue's filters over comments joined to their posts, as
/// a boxed query of the connection at hand (a macro: the query's type
/// differs per backend).
macro_rules! in_queue {
    ($filter:expr) => {{
        use crate::schema::posts;
        let filter: &QueueFilter = $filter;
        let mut query = comments::table.inner_join(posts::table).into_boxed();
        if let Some(status) = filter.status {
            query = query.filter(comments::status.eq(status));
        }
        if let Some(post_id) = filter.post_id {
            query = query.filter(comments::post_id.eq(post_id));
        }
        if let Some(author_id) = filter.author_id {
            query = query.filter(posts::author_id.eq(author_id));
        }
        query
    }};
}

/// Which comments the moderation queue lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub status: Option<CommentStatus>,
    pub post_id: Option<crate::ids::PostId>,
    /// Only comments on this author's posts.
    pub author_id: Option<crate::ids::AuthorId>,
}

/// A page of the moderation queue, newest first.
pub async fn queue(
    conn: &mut DbConn,
    filter: &QueueFilter,
    after: Option<(NaiveDateTime, CommentId)>,
    limit: i64,
) -> DbResult<Vec<Comment>> {
    let rows = with_conn!(conn, |c| {
        let mut query = in_queue!(filter).select(Comment::as_select());
        if let Some((at, id)) = after {
            query = query.filter(crate::sql::row_before!(
                "comments.created_at",
                "comments.id",
                at,
                id.0,
            ));
        }
        query
            .order((comments::created_at.desc(), comments::id.desc()))
            .limit(limit)
            .load(c)
            .await
    })?;
    Ok(rows)
}

/// How many comments the moderation queue holds, ignoring paging.
pub async fn queue_count(conn: &mut DbConn, filter: &QueueFilter) -> DbResult<i64> {
    let total = with_conn!(conn, |c| {
        in_queue!(filter).count().get_result::<i64>(c).await
    })?;
    Ok(total)
}
