//! Comments as they become public, for live subscribers.

use chrono::NaiveDateTime;
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{CommentFeed, CommentStatus, DbError, DbPool, Heard, PostId};

use crate::{Comment, DomainError, DomainResult};

/// Comments on a published post from now on, as each becomes public:
/// posted approved, or approved later. Pending, spam and trashed comments
/// never appear. If news may have been missed (the subscriber fell behind,
/// or the feed lost the database for a while), the stream ends with an
/// error, so that the client reads the thread again and resubscribes
/// rather than silently lacking comments.
pub async fn published_on(
    pool: &DbPool,
    feed: &CommentFeed,
    post_id: PostId,
    now: NaiveDateTime,
) -> DomainResult<impl Stream<Item = DomainResult<Comment>> + Send + use<>> {
    let post = post_queries::by_ids(&mut pool.get().await?, &[post_id])
        .await?
        .pop();
    if !post.is_some_and(|post| post.is_live(now)) {
        return Err(DomainError::NotFound("no such published post".into()));
    }
    let news = feed.subscribe().await?;
    let pool = pool.clone();
    Ok(futures::stream::unfold(Some(news), move |news| {
        let pool = pool.clone();
        async move {
            let mut news = news?;
            loop {
                let item = match news.recv().await {
                    Ok(Heard::Published(item)) if item.event.post_id == post_id => item,
                    Ok(Heard::Published(_)) => continue,
                    Ok(Heard::Gap) | Err(RecvError::Lagged(_)) => {
                        tracing::warn!(post = %post_id, "a live comment subscriber missed news");
                        return Some((Err(missed_news()), None));
                    }
                    Err(RecvError::Closed) => return None,
                };
                // Boxed: the read exists only while a comment on this post
                // is looked up; inline, it sized every waiting subscriber.
                match Box::pin(comment_queries::announced(&pool, &item)).await {
                    // Read now, not when announced: it may be trashed since.
                    Ok(Some(comment))
                        if comment.status == CommentStatus::Approved
                            && comment.post_id == post_id =>
                    {
                        return Some((Ok(Comment::from(comment.clone())), Some(news)));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read an announced comment");
                    }
                }
            }
        }
    }))
}

fn missed_news() -> DomainError {
    DomainError::Unavailable(DbError::Unavailable(
        "live comments were interrupted; read the thread again and resubscribe".into(),
    ))
}
