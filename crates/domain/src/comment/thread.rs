//! Reading threads: pages of approved comments per post or per parent.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{
    CommentId, CommentPageQuery, CommentStatus, DbPool, PostId, Thread, WholeThreadQuery,
};

use crate::cursor;
use crate::freshness::{Key, read};
use crate::paging::{DEFAULT_PAGE_SIZE, page_size};
use crate::{Comment, DomainResult};

/// Cursors of comment threads.
const THREAD_LISTING: &str = "comments1";

/// Cursors of whole threads in thread order.
const WHOLE_THREAD_LISTING: &str = "thread1";

/// Everything that shapes a page of comments except its parent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommentPageSpec {
    pub newest_first: bool,
    pub after: Option<(NaiveDateTime, CommentId)>,
    pub limit: i64,
}

#[derive(Debug, Clone, Default)]
pub struct CommentPage {
    pub comments: Vec<Comment>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Approved comments in the whole thread, ignoring paging, when the
    /// page's own statement counted them (a first page); otherwise `counts`
    /// tells.
    pub total: Option<i64>,
}

pub fn encode_cursor(comment: &Comment) -> String {
    cursor::encode(
        THREAD_LISTING,
        &[
            &cursor::instant_part(comment.created_at()),
            &comment.id().0.to_string(),
        ],
    )
}

fn decode_cursor(after: &str) -> DomainResult<(NaiveDateTime, CommentId)> {
    let [at, id] = cursor::decode(after, THREAD_LISTING, "after")?;
    Ok((
        cursor::parse_instant(&at, "after")?,
        CommentId(cursor::parse_id(&id, "after")?),
    ))
}

pub fn parse_page(
    first: Option<i32>,
    after: Option<&str>,
    newest_first: bool,
) -> DomainResult<CommentPageSpec> {
    let limit = page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
    let after = after.map(decode_cursor).transpose()?;
    Ok(CommentPageSpec {
        newest_first,
        after,
        limit,
    })
}

pub async fn pages(
    pool: &DbPool,
    thread: Thread,
    parent_ids: &[i64],
    spec: &CommentPageSpec,
) -> DomainResult<HashMap<i64, CommentPage>> {
    record_threads(thread, parent_ids);
    let query = CommentPageQuery {
        thread,
        parent_ids,
        newest_first: spec.newest_first,
        after: spec.after,
        limit: spec.limit + 1,
    };
    let rows = comment_queries::page(&mut pool.get().await?, &query).await?;
    let mut grouped: HashMap<i64, Vec<Comment>> = HashMap::new();
    let mut totals: HashMap<i64, i64> = HashMap::new();
    for row in rows {
        if let Some(total) = row.total {
            totals.insert(row.grp, total);
        }
        grouped.entry(row.grp).or_default().push(row.comment.into());
    }
    // A first page that found no row found an empty thread.
    let counted = spec.after.is_none();
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    Ok(parent_ids
        .iter()
        .map(|&parent| {
            let mut comments = grouped.remove(&parent).unwrap_or_default();
            let has_next_page = comments.len() > limit;
            comments.truncate(limit);
            (
                parent,
                CommentPage {
                    comments,
                    has_next_page,
                    has_previous_page: spec.after.is_some(),
                    total: counted.then(|| totals.get(&parent).copied().unwrap_or(0)),
                },
            )
        })
        .collect())
}

pub async fn counts(
    pool: &DbPool,
    thread: Thread,
    parent_ids: &[i64],
) -> DomainResult<HashMap<i64, i64>> {
    record_threads(thread, parent_ids);
    let rows = comment_queries::count(&mut pool.get().await?, thread, parent_ids).await?;
    let mut totals: HashMap<i64, i64> = parent_ids.iter().map(|&id| (id, 0)).collect();
    for row in rows {
        totals.insert(row.grp, row.total);
    }
    Ok(totals)
}

/// Everything that shapes a page of a whole thread except its post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WholeThreadSpec {
    /// Strictly after this place in thread order.
    pub after: Option<String>,
    pub limit: i64,
}

/// A page of a post's whole thread: each comment with its cursor. The
/// thread's size is the post's `comment_count`, kept with every write.
#[derive(Debug, Clone, Default)]
pub struct WholeThreadPage {
    pub comments: Vec<(String, Comment)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

pub fn parse_whole_thread(
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<WholeThreadSpec> {
    let limit = page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
    let after = after
        .map(|after| {
            let [place] = cursor::decode(after, WHOLE_THREAD_LISTING, "after")?;
            // Steps of 19 digits, as the statement writes them.
            let well_formed = !place.is_empty()
                && place.len() % 19 == 0
                && place.len() <= 19 * 64
                && place.bytes().all(|b| b.is_ascii_digit());
            if well_formed {
                Ok(place)
            } else {
                Err(cursor::bad_cursor("after"))
            }
        })
        .transpose()?;
    Ok(WholeThreadSpec { after, limit })
}

/// A page of each post's whole thread, flattened in thread order (each
/// comment followed by its replies, siblings as they were posted), in one
/// statement for all of `post_ids`.
pub async fn whole_threads(
    pool: &DbPool,
    post_ids: &[i64],
    spec: &WholeThreadSpec,
) -> DomainResult<HashMap<i64, WholeThreadPage>> {
    record_threads(Thread::OnPost, post_ids);
    let query = WholeThreadQuery {
        post_ids,
        after: spec.after.as_deref(),
        limit: spec.limit + 1,
    };
    let rows = comment_queries::whole_thread(&mut pool.get().await?, &query).await?;
    let mut pages: HashMap<i64, WholeThreadPage> = post_ids
        .iter()
        .map(|&post| {
            let page = WholeThreadPage {
                has_previous_page: spec.after.is_some(),
                ..WholeThreadPage::default()
            };
            (post, page)
        })
        .collect();
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    for row in rows {
        let Some(page) = pages.get_mut(&row.grp) else {
            continue;
        };
        if page.comments.len() == limit {
            page.has_next_page = true;
            continue;
        }
        let cursor = cursor::encode(WHOLE_THREAD_LISTING, &[&row.sort]);
        page.comments.push((cursor, row.comment.into()));
    }
    Ok(pages)
}

/// A post's threads depend on its comments. Replies to a comment are
/// reached through that comment, which already named its post's comments
/// as it was read.
fn record_threads(thread: Thread, parent_ids: &[i64]) {
    if thread == Thread::OnPost {
        for &post in parent_ids {
            read(Key::Comments(PostId(post)));
        }
    }
}

/// The comments among `ids` that anyone may read, as a thread shows them:
/// approved, under approved comments all the way up, on a post published
/// as of `now`. Any other id finds nothing, as if it did not exist. One
/// statement for the comments asked about, one per level of ancestry not
/// yet read, and one for their posts.
pub async fn visible(
    pool: &DbPool,
    ids: &[CommentId],
    now: NaiveDateTime,
) -> DomainResult<Vec<Comment>> {
    let mut conn = pool.get().await?;
    let asked = comment_queries::by_ids(&mut conn, ids).await?;
    let mut known: HashMap<CommentId, (Option<CommentId>, bool)> = asked
        .iter()
        .map(|c| (c.id, (c.parent_id, c.status == CommentStatus::Approved)))
        .collect();
    // Climb one level of unread parents per statement; a parent that is
    // not approved ends its chain, so it is not climbed past.
    let unread_parents = |known: &HashMap<CommentId, (Option<CommentId>, bool)>| {
        let mut parents: Vec<CommentId> = known
            .values()
            .filter(|(_, approved)| *approved)
            .filter_map(|(parent, _)| *parent)
            .filter(|parent| !known.contains_key(parent))
            .collect();
        parents.sort_by_key(|id| id.0);
        parents.dedup();
        parents
    };
    let mut parents = unread_parents(&known);
    while !parents.is_empty() {
        let found = comment_queries::by_ids(&mut conn, &parents).await?;
        for parent in &parents {
            // A parent that is gone ends its chain unapproved.
            known.insert(*parent, (None, false));
        }
        for c in found {
            known.insert(c.id, (c.parent_id, c.status == CommentStatus::Approved));
        }
        parents = unread_parents(&known);
    }
    let reachable = |mut id: CommentId| loop {
        match known.get(&id) {
            Some((_, false)) | None => return false,
            Some((None, true)) => return true,
            Some((Some(parent), true)) => id = *parent,
        }
    };
    let reachable: Vec<_> = asked.into_iter().filter(|c| reachable(c.id)).collect();
    let mut post_ids: Vec<PostId> = reachable.iter().map(|c| c.post_id).collect();
    post_ids.sort_by_key(|id| id.0);
    post_ids.dedup();
    let live: Vec<PostId> = if post_ids.is_empty() {
        Vec::new()
    } else {
        post_queries::by_ids(&mut conn, &post_ids)
            .await?
            .into_iter()
            .filter(|p| p.is_live(now))
            .map(|p| p.id)
            .collect()
    };
    Ok(reachable
        .into_iter()
        .filter(|c| live.contains(&c.post_id))
        .map(Comment::from)
        .collect())
}
