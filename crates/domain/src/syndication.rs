//! What feeds and the sitemap list: the newest live posts of the site, of a
//! tag or of an author, and every live public page with when it last
//! changed. "Live" is the one rule of `waypost_db`'s listings, read at the
//! caller's instant, so a scheduled post appears exactly at its time.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use waypost_db::queries::sitemap;
use waypost_db::{DbPool, Group, PostFilter};

pub use waypost_db::queries::sitemap::ListedPage;

use crate::paging::{PageRequest, PostOrder};
use crate::post::{
    PostListSpec, author_by_slug, authors_by_ids, pages, tag_by_slug, tags_by_posts,
};
use crate::{Author, DomainResult, Post, Tag};

/// How many posts a feed carries, newest first.
pub const FEED_LENGTH: i64 = 20;

/// Whose posts a feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope<'a> {
    Site,
    /// The tag with this slug.
    Tag(&'a str),
    /// The author with this slug.
    Author(&'a str),
}

/// One post of a feed with what its entry names.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub post: Post,
    pub author: Option<Author>,
    pub tags: Vec<Tag>,
}

/// A feed's posts, newest first, and the tag or author it is for.
#[derive(Debug, Clone)]
pub struct Feed {
    pub tag: Option<Tag>,
    pub author: Option<Author>,
    pub entries: Vec<FeedEntry>,
}

/// The newest live posts in `scope` at `now`, or `None` when the scope's
/// tag or author does not exist. A fixed number of statements whatever the
/// posts: the tag or author, the page, the authors, the tags.
pub async fn feed(
    pool: &DbPool,
    scope: FeedScope<'_>,
    now: NaiveDateTime,
) -> DomainResult<Option<Feed>> {
    let (group, parent, tag, author) = match scope {
        FeedScope::Site => (Group::All, 0, None, None),
        FeedScope::Tag(slug) => match tag_by_slug(pool, slug).await? {
            Some(tag) => (Group::Tag, tag.id().0, Some(tag), None),
            None => return Ok(None),
        },
        FeedScope::Author(slug) => match author_by_slug(pool, slug).await? {
            Some(author) => (Group::Author, author.id().0, None, Some(author)),
            None => return Ok(None),
        },
    };
    let spec = PostListSpec {
        filter: PostFilter::live(now),
        order: PostOrder::default(),
        page: PageRequest {
            limit: FEED_LENGTH,
            backward: false,
            after: None,
            before: None,
            offset: 0,
        },
    };
    let posts = pages(pool, group, &[parent], &spec)
        .await?
        .remove(&parent)
        .map(|page| page.posts)
        .unwrap_or_default();
    let ids: Vec<_> = posts.iter().map(Post::id).collect();
    let authors: HashMap<_, Author> = match &author {
        // An author's feed already holds its one author.
        Some(author) => HashMap::from([(author.id(), author.clone())]),
        None => {
            let mut wanted: Vec<_> = posts.iter().map(Post::author_id).collect();
            wanted.sort_unstable_by_key(|id| id.0);
            wanted.dedup();
            authors_by_ids(pool, &wanted)
                .await?
                .into_iter()
                .map(|a| (a.id(), a))
                .collect()
        }
    };
    let mut tags = tags_by_posts(pool, &ids).await?;
    let entries = posts
        .into_iter()
        .map(|post| FeedEntry {
            author: authors.get(&post.author_id()).cloned(),
            tags: tags.remove(&post.id()).unwrap_or_default(),
            post,
        })
        .collect();
    Ok(Some(Feed {
        tag,
        author,
        entries,
    }))
}

/// When `post`'s page last changed: its last edit, or its going live when
/// that came later.
pub fn modified(post: &Post) -> NaiveDateTime {
    sitemap::modified(Some(post.updated_at()), post.published_at()).unwrap_or(post.updated_at())
}

/// Every public page a sitemap lists, each kind newest or A-Z first.
#[derive(Debug, Clone, Default)]
pub struct Sitemap {
    pub posts: Vec<ListedPage>,
    pub guides: Vec<ListedPage>,
    pub tags: Vec<ListedPage>,
    pub authors: Vec<ListedPage>,
}

/// The live posts and guides at `now`, and the tags and authors with a
/// live post: four statements, on one connection. Reads every listing and
/// every tag and author slug, so any write to them dates it.
pub async fn sitemap(pool: &DbPool, now: NaiveDateTime) -> DomainResult<Sitemap> {
    use crate::freshness::{Key, read};
    for key in [Key::Posts, Key::Career, Key::Tags, Key::Authors] {
        read(key);
    }
    let mut conn = pool.get().await?;
    Ok(Sitemap {
        posts: sitemap::posts(&mut conn, now).await?,
        guides: sitemap::guides(&mut conn, now).await?,
        tags: sitemap::tags(&mut conn, now).await?,
        authors: sitemap::authors(&mut conn, now).await?,
    })
}
