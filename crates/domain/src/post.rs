//! Reading published content: pages of posts per parent, totals, lookups,
//! neighbours. Each function is one statement, so a batch of parents costs
//! the same as one.

use crate::freshness::{Key, read};
use std::collections::HashMap;

use waypost_db::queries::{author, post, tag};
use waypost_db::{AuthorId, DbPool, Group, PostFilter, PostId, PostListQuery, TagId};

use chrono::NaiveDateTime;
use waypost_db::{PostStatus, Visibility};

use crate::model::all;
use crate::paging::{PageRequest, PostOrder};
use crate::policy::Viewer;
use crate::policy::{Action, ReadScope, allows, unpublished_scope};
use crate::{Author, DomainError, DomainResult, Post, Tag};

/// Everything that shapes a listing except its parent: batches group by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostListSpec {
    pub filter: PostFilter,
    pub order: PostOrder,
    pub page: PageRequest,
}

/// One parent's page, in display order.
#[derive(Debug, Clone, Default)]
pub struct PostPage {
    pub posts: Vec<Post>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Pages of published posts for every parent in `parent_ids` (use `[0]`
/// with `Group::All`), in one statement.
pub async fn pages(
    pool: &DbPool,
    group: Group,
    parent_ids: &[i64],
    spec: &PostListSpec,
) -> DomainResult<HashMap<i64, PostPage>> {
    read(Key::Posts);
    let page = &spec.page;
    let (direction, after, before) = if page.backward {
        (
            spec.order.direction.reversed(),
            page.before.as_ref(),
            page.after.as_ref(),
        )
    } else {
        (
            spec.order.direction,
            page.after.as_ref(),
            page.before.as_ref(),
        )
    };
    let query = PostListQuery {
        group,
        parent_ids,
        filter: &spec.filter,
        order: spec.order.field,
        direction,
        after,
        before,
        // One extra row tells whether another page follows.
        limit: page.limit + 1,
        offset: page.offset,
    };
    let mut conn = pool.get().await?;
    let rows = post::list(&mut conn, &query).await?;
    let mut grouped: HashMap<i64, Vec<Post>> = HashMap::new();
    for row in rows {
        grouped.entry(row.grp).or_default().push(row.post.into());
    }
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    Ok(parent_ids
        .iter()
        .map(|&parent| {
            let mut posts = grouped.remove(&parent).unwrap_or_default();
            let more = posts.len() > limit;
            posts.truncate(limit);
            let result = if page.backward {
                posts.reverse();
                PostPage {
                    posts,
                    has_previous_page: more,
                    has_next_page: page.before.is_some(),
                }
            } else {
                PostPage {
                    posts,
                    has_next_page: more,
                    has_previous_page: page.after.is_some() || page.offset > 0,
                }
            };
            (parent, result)
        })
        .collect())
}

/// Published posts per parent under `filter`, in one statement; parents
/// without posts get 0.
pub async fn counts(
    pool: &DbPool,
    group: Group,
    parent_ids: &[i64],
    filter: &PostFilter,
) -> DomainResult<HashMap<i64, i64>> {
    read(Key::Posts);
    let mut conn = pool.get().await?;
    let rows = post::count(&mut conn, group, parent_ids, filter).await?;
    let mut totals: HashMap<i64, i64> = parent_ids.iter().map(|&id| (id, 0)).collect();
    for row in rows {
        totals.insert(row.grp, row.total);
    }
    Ok(totals)
}

/// Posts among `ids` that everyone may read at `now`.
pub async fn live_by_ids(
    pool: &DbPool,
    ids: &[PostId],
    now: NaiveDateTime,
) -> DomainResult<Vec<Post>> {
    let mut conn = pool.get().await?;
    let found: Vec<Post> = all(post::live_by_ids(&mut conn, ids, now).await?);
    if found.len() < ids.len() {
        // Any of the missing ones may go live.
        read(Key::Posts);
    }
    Ok(found)
}

/// Where a post stands at `now`, as readers and editors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostState {
    Draft,
    Scheduled,
    Published,
    Trashed,
}

pub fn state(post: &Post, now: NaiveDateTime) -> PostState {
    match post.status() {
        PostStatus::Draft => PostState::Draft,
        PostStatus::Trashed => PostState::Trashed,
        PostStatus::Published if post.is_live(now) => PostState::Published,
        PostStatus::Published => PostState::Scheduled,
    }
}

/// Whether `viewer` gets `post`. Without `preview` only live posts are
/// shown; with it, an unpublished post goes to those allowed to see it and
/// is refused (FORBIDDEN) to everyone else, never silently hidden.
pub fn reveal(
    viewer: Option<&Viewer>,
    post: Post,
    preview: bool,
    now: NaiveDateTime,
) -> DomainResult<Option<Post>> {
    if post.is_live(now) {
        return Ok(Some(post));
    }
    if !preview {
        return Ok(None);
    }
    if allows(
        viewer,
        Action::ReadUnpublished {
            owner: post.author_id(),
        },
    ) {
        Ok(Some(post))
    } else {
        Err(DomainError::Forbidden(
            "you may not preview this post".into(),
        ))
    }
}

/// A post found by slug, with its author when the same statement brought it.
#[derive(Debug, Clone)]
pub struct FoundPost {
    pub post: Post,
    pub author: Option<Author>,
    /// Read with the post when it came by its current slug.
    pub tags: Option<Vec<Tag>>,
}

/// The post with `slug`, as `reveal` allows.
pub async fn find_by_slug(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    slug: &str,
    preview: bool,
    now: NaiveDateTime,
) -> DomainResult<Option<FoundPost>> {
    let mut conn = pool.get().await?;
    if let Some((found, author, tags)) = post::by_slug_with_author_and_tags(&mut conn, slug).await?
    {
        let shown = reveal(viewer, found.into(), preview, now)?;
        if shown.is_none() {
            // Not live yet: it shows once it is.
            read(Key::Posts);
        }
        return Ok(shown.map(|post| FoundPost {
            post,
            author: Some(author.into()),
            tags: Some(tags.into_iter().map(Tag::from).collect()),
        }));
    }
    // A slug a live post had before still leads to it.
    match waypost_db::queries::editorial::post_by_old_slug(&mut conn, slug).await? {
        Some(found) if found.is_live(now) => Ok(Some(FoundPost {
            post: found.into(),
            author: None,
            tags: None,
        })),
        _ => {
            read(Key::Posts);
            Ok(None)
        }
    }
}

/// The post with `id`, as `reveal` allows.
pub async fn find_by_id(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: PostId,
    preview: bool,
    now: NaiveDateTime,
) -> DomainResult<Option<Post>> {
    let mut conn = pool.get().await?;
    let shown = match post::by_ids(&mut conn, &[id]).await?.pop() {
        Some(found) => reveal(viewer, found.into(), preview, now)?,
        None => None,
    };
    if shown.is_none() {
        read(Key::Posts);
    }
    Ok(shown)
}

/// The listing `viewer` may see for a status filter: everyone sees live
/// posts; drafts, scheduled and trashed posts are for editors, and for an
/// author, their own. Anyone else asking for them is FORBIDDEN.
pub fn listing_scope(
    viewer: Option<&Viewer>,
    state: PostState,
    now: NaiveDateTime,
) -> DomainResult<(Visibility, Option<AuthorId>)> {
    let visibility = match state {
        PostState::Published => return Ok((Visibility::Live { now }, None)),
        PostState::Scheduled => Visibility::Scheduled { now },
        PostState::Draft => Visibility::Drafts,
        PostState::Trashed => Visibility::Trashed,
    };
    match unpublished_scope(viewer) {
        Some(ReadScope::Everyone) => Ok((visibility, None)),
        Some(ReadScope::Own(author)) => Ok((visibility, Some(author))),
        None => Err(DomainError::Forbidden(
            "only editors, and authors for their own posts, may list unpublished posts".into(),
        )),
    }
}

/// The author of each post, whatever its state, in one statement.
pub async fn owners(pool: &DbPool, ids: &[PostId]) -> DomainResult<HashMap<PostId, AuthorId>> {
    let mut conn = pool.get().await?;
    Ok(post::by_ids(&mut conn, ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p.author_id))
        .collect())
}

/// Previous and next live post of each post, in publishing order; with
/// `tag` (a slug), among the posts filed under it.
pub async fn neighbours(
    pool: &DbPool,
    ids: &[PostId],
    tag: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<HashMap<PostId, (Option<PostId>, Option<PostId>)>> {
    read(Key::Posts);
    let mut conn = pool.get().await?;
    let rows = post::adjacent(&mut conn, ids, tag, now).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, (r.previous_id, r.next_id)))
        .collect())
}

pub async fn authors_by_ids(pool: &DbPool, ids: &[AuthorId]) -> DomainResult<Vec<Author>> {
    let mut conn = pool.get().await?;
    let found: Vec<Author> = all(author::by_ids(&mut conn, ids).await?);
    if found.len() < ids.len() {
        read(Key::Authors);
    }
    Ok(found)
}

pub async fn author_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<Author>> {
    let mut conn = pool.get().await?;
    let found = author::by_slug(&mut conn, slug).await?.map(Author::from);
    if found.is_none() {
        read(Key::Authors);
    }
    Ok(found)
}

pub async fn tags_by_ids(pool: &DbPool, ids: &[TagId]) -> DomainResult<Vec<Tag>> {
    let mut conn = pool.get().await?;
    let found: Vec<Tag> = all(tag::by_ids(&mut conn, ids).await?);
    if found.len() < ids.len() {
        read(Key::Tags);
    }
    Ok(found)
}

pub async fn tag_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<Tag>> {
    let mut conn = pool.get().await?;
    let found = tag::by_slug(&mut conn, slug).await?.map(Tag::from);
    if found.is_none() {
        read(Key::Tags);
    }
    Ok(found)
}

/// Each post's tags, ordered by name; posts without tags get none.
pub async fn tags_by_posts(
    pool: &DbPool,
    ids: &[PostId],
) -> DomainResult<HashMap<PostId, Vec<Tag>>> {
    let mut conn = pool.get().await?;
    let mut by_post: HashMap<PostId, Vec<Tag>> = ids.iter().map(|&id| (id, Vec::new())).collect();
    for (post_id, tag) in tag::by_post_ids(&mut conn, ids).await? {
        by_post.entry(post_id).or_default().push(tag.into());
    }
    Ok(by_post)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use waypost_db::AuthorId;

    fn post(status: PostStatus, published_at: Option<NaiveDateTime>) -> Post {
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        Post::from(waypost_db::Post {
            id: PostId(1),
            slug: "s".into(),
            title: "t".into(),
            excerpt: String::new(),
            body_markdown: String::new(),
            body_html: String::new(),
            reading_time_minutes: 1,
            status,
            author_id: AuthorId(1),
            published_at,
            created_at: at,
            updated_at: at,
            version: 1,
            comments_open: true,
            comment_count: 0,
            page_meta: None,
        })
    }

    #[test]
    fn a_scheduled_post_goes_live_at_its_instant_exactly() {
        let at = chrono::DateTime::from_timestamp(1_790_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap();
        let scheduled = post(PostStatus::Published, Some(at));
        assert_eq!(
            state(&scheduled, at - Duration::microseconds(1)),
            PostState::Scheduled
        );
        assert!(!scheduled.is_live(at - Duration::microseconds(1)));
        assert_eq!(state(&scheduled, at), PostState::Published);
        assert!(scheduled.is_live(at));
        assert_eq!(state(&post(PostStatus::Draft, None), at), PostState::Draft);
        assert_eq!(
            state(&post(PostStatus::Trashed, Some(at)), at),
            PostState::Trashed
        );
    }
}
