//! Moderation: editors (and authors, on their own posts) move comments
//! between statuses and read the queue; what becomes public is announced.

use chrono::NaiveDateTime;
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{
    Comment as CommentRow, CommentFeed, CommentId, CommentPublished, CommentStatus, DbConn, DbPool,
    PostId,
};

use super::QueueFilter;
use super::thread;
use crate::clock::stored_instant;
use crate::freshness::{self, Key};
use crate::model::all;
use crate::policy::{Action, Viewer, allows};
use crate::{Comment, DomainError, DomainResult};

/// Moves comments to `status`. Editors moderate any comment; an author the
/// comments on their own posts. Comments the viewer may not moderate are
/// FORBIDDEN and nothing changes.
pub async fn moderate(
    pool: &DbPool,
    feed: &CommentFeed,
    viewer: Option<&Viewer>,
    ids: &[CommentId],
    status: CommentStatus,
    now: NaiveDateTime,
) -> DomainResult<Vec<Comment>> {
    if viewer.is_none() {
        return Err(DomainError::Unauthenticated("sign in to moderate"));
    }
    let now = stored_instant(now);
    // A comment named twice is moderated, and answered, once.
    let mut unique: Vec<CommentId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let ids = unique.as_slice();
    let mut conn = pool.get_primary().await?;
    let found = comment_queries::by_ids(&mut conn, ids).await?;
    if found.len() != ids.len() {
        return Err(DomainError::NotFound("no such comment".into()));
    }
    let mut post_ids: Vec<PostId> = found.iter().map(|c| c.post_id).collect();
    post_ids.sort();
    post_ids.dedup();
    let posts = post_queries::by_ids(&mut conn, &post_ids).await?;
    for post in &posts {
        if !allows(
            viewer,
            Action::EditPost {
                owner: post.author_id,
            },
        ) {
            return Err(DomainError::Forbidden(
                "you may not moderate comments on this post".into(),
            ));
        }
    }
    let vouched = allows(viewer, Action::VouchForCommenter);
    let changed = comment_queries::set_status(&mut conn, ids, status, vouched, now).await?;
    let mut threads: Vec<Key> = changed.iter().map(|c| Key::Comments(c.post_id)).collect();
    threads.dedup();
    freshness::changed(&threads);
    // Only a comment this call moved is news, and only on a live post.
    let published: Vec<&CommentRow> = changed
        .iter()
        .filter(|c| c.status == CommentStatus::Approved)
        .filter(|c| posts.iter().any(|p| p.id == c.post_id && p.is_live(now)))
        .collect();
    announce(feed, &mut conn, &published).await;
    // The answer lists every comment asked for, in the order asked, changed
    // or already where it was asked to be.
    Ok(ids
        .iter()
        .filter_map(|id| {
            changed.iter().find(|c| c.id == *id).cloned().or_else(|| {
                // Left alone by the update: it is at `status` already,
                // perhaps moved there by a moderator racing this one.
                let mut unchanged = found.iter().find(|c| c.id == *id)?.clone();
                unchanged.status = status;
                Some(unchanged)
            })
        })
        .map(Comment::from)
        .collect())
}

/// Tells live subscribers that `comments` became public. The comments are
/// stored already; failing to tell is logged, never reported as a failed
/// write.
pub(super) async fn announce(feed: &CommentFeed, conn: &mut DbConn, comments: &[&CommentRow]) {
    let events: Vec<CommentPublished> = comments
        .iter()
        .map(|c| CommentPublished {
            post_id: c.post_id,
            comment_id: c.id,
        })
        .collect();
    if let Err(err) = feed.announce(conn, &events).await {
        tracing::warn!(error = %err, comments = events.len(), "comments stored but not announced to live subscribers");
    }
}

/// The moderation queue for `viewer`: editors see every comment, an author
/// those on their own posts, anyone else nothing (FORBIDDEN). The filter
/// it answers with, scoped to the viewer, counts the whole queue.
pub async fn moderation_queue(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    status: Option<CommentStatus>,
    post_id: Option<PostId>,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<(thread::CommentPage, QueueFilter)> {
    use crate::policy::{ReadScope, unpublished_scope};
    let author_id = match unpublished_scope(viewer) {
        Some(ReadScope::Everyone) => None,
        Some(ReadScope::Own(author)) => Some(author),
        None if viewer.is_none() => {
            return Err(DomainError::Unauthenticated("sign in to moderate"));
        }
        None => {
            return Err(DomainError::Forbidden(
                "only editors and authors moderate comments".into(),
            ));
        }
    };
    let filter = QueueFilter {
        status,
        post_id,
        author_id,
    };
    let spec = thread::parse_page(first, after, true)?;
    let mut comments =
        comment_queries::queue(&mut pool.get().await?, &filter, spec.after, spec.limit + 1).await?;
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    let has_next_page = comments.len() > limit;
    comments.truncate(limit);
    let page = thread::CommentPage {
        comments: all(comments),
        has_next_page,
        has_previous_page: spec.after.is_some(),
        // The queue's total has its own statement, which only a page that
        // asks for it pays for.
        total: None,
    };
    Ok((page, filter))
}

/// How many comments a queue `moderation_queue` answered holds.
pub async fn moderation_queue_count(pool: &DbPool, filter: &QueueFilter) -> DomainResult<i64> {
    Ok(comment_queries::queue_count(&mut pool.get().await?, filter).await?)
}
