//! Approved comments in pages, grouped by post (top-level comments) or by
//! parent (replies), so one statement serves a whole batch of parents.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::ids::CommentId;
use crate::models::Comment;
use crate::pool::Backend;
use crate::sql::{Bind, SqlBuilder};

/// Which comments a page lists, and under what parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Thread {
    /// Top-level comments of each post in the batch.
    OnPost,
    /// Direct replies to each comment in the batch.
    RepliesTo,
}

impl Thread {
    fn column(self) -> &'static str {
        match self {
            Thread::OnPost => "c.post_id",
            Thread::RepliesTo => "c.parent_id",
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct GroupedComment {
    #[diesel(sql_type = BigInt)]
    pub grp: i64,
    /// The whole thread's size under `grp`, ignoring paging, on a first
    /// page (no cursor); `None` past a cursor, where the page's rows are
    /// not the thread's.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub total: Option<i64>,
    #[diesel(embed)]
    pub comment: Comment,
}

/// One page-of-comments statement.
#[derive(Debug, Clone)]
pub struct CommentPageQuery<'a> {
    pub thread: Thread,
    pub parent_ids: &'a [i64],
    pub newest_first: bool,
    /// Strictly after this (created_at, id) in the page's order.
    pub after: Option<(NaiveDateTime, CommentId)>,
    pub limit: i64,
}

fn approved_in(b: &mut SqlBuilder, thread: Thread, parent_ids: &[i64]) {
    b.push(" FROM comments c WHERE c.status = 'approved' AND ")
        .push(thread.column());
    b.in_list(parent_ids);
    if thread == Thread::OnPost {
        b.push(" AND c.parent_id IS NULL");
    }
}

pub(crate) fn page_sql(backend: Backend, q: &CommentPageQuery<'_>) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    let dir = if q.newest_first { "DESC" } else { "ASC" };
    b.push("SELECT * FROM (SELECT c.*, ")
        .push(q.thread.column())
        .push(" AS grp, ");
    // A first page sees every row of its thread before the limit, so it
    // counts the thread too (the count statement is then not needed).
    if q.after.is_some() {
        b.push("CAST(NULL AS BIGINT)");
    } else {
        b.push("COUNT(*) OVER (PARTITION BY ")
            .push(q.thread.column())
            .push(")");
    }
    b.push(" AS total, ROW_NUMBER() OVER (PARTITION BY ");
    b.push(q.thread.column())
        .push(" ORDER BY c.created_at ")
        .push(dir)
        .push(", c.id ")
        .push(dir)
        .push(") AS rn");
    approved_in(&mut b, q.thread, q.parent_ids);
    if let Some((at, id)) = q.after {
        let op = if q.newest_first { "<" } else { ">" };
        b.past_keyset("c.created_at", "c.id", op, Bind::Time(at), id.0);
    }
    b.push(") ranked WHERE rn <= ");
    b.bind(Bind::Int(q.limit));
    b.push(" ORDER BY grp, rn");
    b
}

/// One page of each post's whole thread, flattened: every comment a
/// reader can reach, each followed by its replies, siblings in the order
/// they were posted.
#[derive(Debug, Clone)]
pub struct WholeThreadQuery<'a> {
    pub post_ids: &'a [i64],
    /// Strictly after this place in thread order (a `sort` read before).
    pub after: Option<&'a str>,
    pub limit: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ThreadComment {
    /// The post.
    #[diesel(sql_type = BigInt)]
    pub grp: i64,
    /// The comment's place in thread order: its ancestors' ids and its
    /// own, each zero-padded to one width, so text order is thread order.
    #[diesel(sql_type = Text)]
    pub sort: String,
    #[diesel(embed)]
    pub comment: Comment,
}

pub(crate) fn whole_thread_sql(backend: Backend, q: &WholeThreadQuery<'_>) -> SqlBuilder {
    // The id as a fixed-width step of the sort key: 19 digits, the width
    // of the largest id.
    let step = match backend {
        Backend::Postgres => "lpad(CAST(c.id AS TEXT), 19, '0')",
        Backend::Sqlite => "printf('%019d', c.id)",
    };
    let mut b = SqlBuilder::new(backend);
    b.push(
        "WITH RECURSIVE shown(id, post_id, sort) AS (\
         SELECT c.id, c.post_id, ",
    )
    .push(step)
    .push(
        " FROM comments c \
         WHERE c.status = 'approved' AND c.parent_id IS NULL AND c.post_id",
    );
    b.in_list(q.post_ids);
    b.push(" UNION ALL SELECT c.id, c.post_id, s.sort || ")
        .push(step)
        .push(
            " FROM comments c JOIN shown s ON c.parent_id = s.id \
             WHERE c.status = 'approved') \
             SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.grp ORDER BY t.sort) AS rn \
             FROM (SELECT c.*, s.post_id AS grp, s.sort AS sort \
             FROM shown s JOIN comments c ON c.id = s.id) t",
        );
    if let Some(after) = q.after {
        b.push(" WHERE t.sort > ");
        b.bind(Bind::Text(after.to_owned()));
    }
    b.push(") ranked WHERE rn <= ");
    b.bind(Bind::Int(q.limit));
    b.push(" ORDER BY grp, rn");
    b
}

/// The comments a reader can reach on each of `post_ids`, as the
/// recursive table `shown(id, post_id)`: approved, under approved comments
/// all the way up. An approved reply in a thread whose root was trashed is
/// in no thread, so in no count. The caller goes on with the statement
/// that reads it.
pub(crate) fn reachable(backend: Backend, post_ids: &[i64]) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    b.push(
        "WITH RECURSIVE shown(id, post_id) AS (\
         SELECT c.id, c.post_id FROM comments c \
         WHERE c.status = 'approved' AND c.parent_id IS NULL AND c.post_id",
    );
    b.in_list(post_ids);
    b.push(
        " UNION ALL SELECT c.id, c.post_id FROM comments c \
         JOIN shown s ON c.parent_id = s.id WHERE c.status = 'approved')",
    );
    b
}

/// A thread's size under each parent: top-level comments of a post, or
/// replies to a comment.
pub(crate) fn count_sql(backend: Backend, thread: Thread, parent_ids: &[i64]) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    let column = thread.column();
    b.push("SELECT ")
        .push(column)
        .push(" AS grp, COUNT(*) AS total");
    approved_in(&mut b, thread, parent_ids);
    b.push(" GROUP BY ").push(column);
    b
}
