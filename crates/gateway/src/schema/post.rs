//! Posts: the `Post` type and the root fields that find posts.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use waypost_domain::post::{PostState, find_by_id, find_by_slug, state};
use waypost_domain::{Group, Post};

use super::paging::page_cost;
use super::post_connection::{
    PostConnection, PostConnectionArgs, PostFilterInput, PostOrderInput, load_posts,
};
use super::scalars::Instant;
use super::{AuthorObject, GlobalId, TagObject, request_context};
use crate::error::{GqlResultExt, bad_input, internal};
use crate::loaders::{NeighboursOf, SimilarOf, TagsOfPost};

/// A post like another, and why.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct SimilarPost {
    pub post: PostObject,
    /// From 0 to 1: `1 - (1 - text) * (1 - 0.5 * tags)`, where `text` is
    /// the TF-IDF cosine of the posts' stemmed terms and `tags` what their
    /// shared tags say (each counts as much as the posts carrying it read
    /// alike, so a catch-all tag counts for nothing; at most 1 in all).
    pub score: f64,
    pub shared_tags: Vec<TagObject>,
    /// Words both posts wrote, those that weigh most in their similarity
    /// first (at most five).
    pub shared_terms: Vec<String>,
}

pub(crate) struct PostObject(pub Post);

/// Where a post stands. SCHEDULED is a published post whose date is still
/// ahead: it goes live at that instant, with no job to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PostStatus")]
pub enum PostStatusEnum {
    Draft,
    Scheduled,
    Published,
    Trashed,
}

impl From<PostState> for PostStatusEnum {
    fn from(state: PostState) -> Self {
        match state {
            PostState::Draft => PostStatusEnum::Draft,
            PostState::Scheduled => PostStatusEnum::Scheduled,
            PostState::Published => PostStatusEnum::Published,
            PostState::Trashed => PostStatusEnum::Trashed,
        }
    }
}

impl From<PostStatusEnum> for PostState {
    fn from(status: PostStatusEnum) -> Self {
        match status {
            PostStatusEnum::Draft => PostState::Draft,
            PostStatusEnum::Scheduled => PostState::Scheduled,
            PostStatusEnum::Published => PostState::Published,
            PostStatusEnum::Trashed => PostState::Trashed,
        }
    }
}

/// An image at the top of a post's page.
#[derive(SimpleObject)]
#[graphql(name = "FeaturedImage")]
pub(crate) struct FeaturedImageObject {
    url: String,
    /// What the image shows, for those who cannot see it.
    alt: String,
    /// Pixels; `null` when the editor gave no size.
    width: Option<i32>,
    height: Option<i32>,
}

/// A heading of a post's body.
#[derive(SimpleObject)]
#[graphql(name = "TocEntry")]
pub(crate) struct TocEntryObject {
    /// 1 for a top-level heading (`#`) to 6.
    level: i32,
    /// The heading as plain text.
    text: String,
    /// The heading's id in `html`: link to `#anchor`.
    anchor: String,
}

#[Object(name = "Post")]
impl PostObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Post(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn title(&self) -> &str {
        self.0.title()
    }
    /// A short summary: set by the author, or the opening of the body.
    async fn excerpt(&self) -> &str {
        self.0.excerpt()
    }
    /// The body as the author wrote it, in Markdown.
    async fn body(&self) -> &str {
        self.0.body_markdown()
    }
    /// The body rendered to HTML and sanitized: safe to insert into a page.
    /// Headings carry ids (`h-` and their text as a slug) that
    /// `tableOfContents` links to.
    async fn html(&self) -> &str {
        self.0.body_html()
    }
    async fn reading_time_minutes(&self) -> i32 {
        self.0.reading_time_minutes()
    }
    /// Words a reader sees in the body (no markup).
    async fn word_count(&self) -> i32 {
        i32::try_from(waypost_domain::render::word_count(self.0.body_markdown()))
            .unwrap_or(i32::MAX)
    }
    /// The body's headings in order, each with the id its heading has in
    /// `html`, for a contents list that links into the page.
    async fn table_of_contents(&self) -> Vec<TocEntryObject> {
        waypost_domain::render::table_of_contents(self.0.body_markdown())
            .into_iter()
            .map(|entry| TocEntryObject {
                level: i32::from(entry.level),
                text: entry.text,
                anchor: entry.anchor,
            })
            .collect()
    }
    /// The title for search engines and link previews: the one an editor
    /// set for them, else the post's title.
    async fn seo_title(&self) -> String {
        self.0
            .page_meta()
            .seo_title
            .unwrap_or_else(|| self.0.title().to_owned())
    }
    /// The description for search engines and link previews: the one an
    /// editor set for them, else the excerpt.
    async fn seo_description(&self) -> String {
        self.0
            .page_meta()
            .seo_description
            .unwrap_or_else(|| self.0.excerpt().to_owned())
    }
    /// The address of the post's page on the site, for `<link
    /// rel="canonical">` and sharing: `WAYPOST_POST_URL` with the slug in
    /// place; `null` when the service was not told where posts are shown.
    async fn canonical_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(request_context(ctx)?.site.canonical_url(self.0.slug()))
    }
    /// The image the page shows at its top and link previews show; `null`
    /// when the post has none.
    async fn featured_image(&self) -> Option<FeaturedImageObject> {
        self.0
            .page_meta()
            .featured_image
            .map(|i| FeaturedImageObject {
                url: i.url,
                alt: i.alt,
                width: i.width,
                height: i.height,
            })
    }
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<PostStatusEnum> {
        Ok(state(&self.0, request_context(ctx)?.now).into())
    }
    /// Approved comments on the post, replies included: those a reader can
    /// reach through `comments` and `replies` (a reply under a hidden
    /// comment is not counted).
    async fn comment_count(&self) -> i32 {
        i32::try_from(self.0.comment_count()).unwrap_or(i32::MAX)
    }
    /// Whether the post takes new comments.
    async fn comments_open(&self) -> bool {
        self.0.comments_open()
    }
    /// Approved top-level comments; each has its `replies`.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default)] order_by: super::comment::CommentOrder,
    ) -> async_graphql::Result<super::comment::CommentConnection> {
        super::comment::load_thread(
            ctx,
            waypost_domain::Thread::OnPost,
            self.0.id().0,
            first,
            after,
            order_by,
        )
        .await
    }
    /// The whole thread in one list: every comment a reader reaches, each
    /// followed by its replies (with `depth` and `parentId` to indent or
    /// rebuild the tree), siblings as they were posted.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn thread(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::comment::WholeThreadConnection> {
        super::comment::load_whole_thread(ctx, self.0.id().0, self.0.comment_count(), first, after)
            .await
    }
    /// Bumped by every edit; pass it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        i32::try_from(self.0.version()).unwrap_or(i32::MAX)
    }
    /// Earlier content of the post, newest first (editors and the post's author).
    async fn revisions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::editorial::RevisionObject>> {
        super::editorial::revisions_of(ctx, &self.0).await
    }
    async fn published_at(&self) -> Option<Instant> {
        self.0.published_at().map(Instant)
    }
    async fn updated_at(&self) -> Instant {
        Instant(self.0.updated_at())
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<AuthorObject> {
        let loader = &request_context(ctx)?.loader;
        let author = loader.load_one(self.0.author_id()).await.gql()?;
        author
            .map(AuthorObject)
            .ok_or_else(|| internal("post without its author"))
    }
    /// Published posts most like this one, best first (at most 20): by
    /// shared tags and by the text's most telling terms.
    #[graphql(complexity = "super::paging::page_cost(Some(first), None, child_complexity)")]
    async fn similar_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
    ) -> async_graphql::Result<Vec<SimilarPost>> {
        let max = i32::try_from(waypost_domain::similar::KEEP).unwrap_or(20);
        if !(0..=max).contains(&first) {
            return Err(bad_input(
                "first",
                format!("ask for 0 to {max} similar posts"),
            ));
        }
        let loader = &request_context(ctx)?.loader;
        let found = loader
            .load_one(SimilarOf(self.0.id()))
            .await
            .gql()?
            .unwrap_or_default();
        let found: Vec<_> = found
            .into_iter()
            .take(usize::try_from(first).unwrap_or(0))
            .collect();
        let posts = loader
            .load_many(found.iter().map(|s| s.similar))
            .await
            .gql()?;
        let tag_keys = found
            .iter()
            .map(|s| TagsOfPost(s.similar))
            .chain([TagsOfPost(self.0.id())]);
        let tags = loader.load_many(tag_keys).await.gql()?;
        let own: Vec<_> = tags
            .get(&TagsOfPost(self.0.id()))
            .map(|t| t.iter().map(|t| t.id()).collect())
            .unwrap_or_default();
        Ok(found
            .into_iter()
            .filter_map(|s| {
                let post = posts.get(&s.similar)?.clone();
                let shared_tags = tags
                    .get(&TagsOfPost(s.similar))
                    .into_iter()
                    .flatten()
                    .filter(|t| own.contains(&t.id()))
                    .cloned()
                    .map(TagObject)
                    .collect();
                Some(SimilarPost {
                    post: PostObject(post),
                    score: s.score,
                    shared_tags,
                    shared_terms: s.shared_terms,
                })
            })
            .collect())
    }
    /// The post's tags, ordered by name.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TagObject>> {
        let loader = &request_context(ctx)?.loader;
        let tags = loader.load_one(TagsOfPost(self.0.id())).await.gql()?;
        Ok(tags
            .unwrap_or_default()
            .into_iter()
            .map(TagObject)
            .collect())
    }
    /// The published post just before this one in publishing order.
    ///
    /// With `inTag` (a tag slug), the one before it among the posts filed
    /// under that tag.
    async fn previous_post(
        &self,
        ctx: &Context<'_>,
        in_tag: Option<String>,
    ) -> async_graphql::Result<Option<PostObject>> {
        self.neighbour(ctx, in_tag, |pair| pair.0).await
    }
    /// The published post just after this one in publishing order.
    ///
    /// With `inTag` (a tag slug), the one after it among the posts filed
    /// under that tag.
    async fn next_post(
        &self,
        ctx: &Context<'_>,
        in_tag: Option<String>,
    ) -> async_graphql::Result<Option<PostObject>> {
        self.neighbour(ctx, in_tag, |pair| pair.1).await
    }
}

type Pair = (
    Option<waypost_domain::PostId>,
    Option<waypost_domain::PostId>,
);

impl PostObject {
    async fn neighbour(
        &self,
        ctx: &Context<'_>,
        in_tag: Option<String>,
        pick: fn(Pair) -> Option<waypost_domain::PostId>,
    ) -> async_graphql::Result<Option<PostObject>> {
        let loader = &request_context(ctx)?.loader;
        let key = NeighboursOf {
            post: self.0.id(),
            tag: in_tag.map(Arc::from),
        };
        let pair = loader.load_one(key).await.gql()?;
        let Some(id) = pair.and_then(pick) else {
            return Ok(None);
        };
        Ok(loader.load_one(id).await.gql()?.map(PostObject))
    }
}

#[derive(Default)]
pub(crate) struct PostQuery;

#[Object]
impl PostQuery {
    /// One post, by `slug` or by global `id` (give exactly one). `null` when
    /// there is no such published post. With `preview: true`, a draft,
    /// scheduled or trashed post is returned to those allowed to see it
    /// (editors; authors for their own) and is FORBIDDEN to anyone else.
    async fn post(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        id: Option<ID>,
        #[graphql(default = false)] preview: bool,
    ) -> async_graphql::Result<Option<PostObject>> {
        let rc = request_context(ctx)?;
        if preview {
            crate::http::Personal::mark_in(ctx);
        }
        let viewer = rc.viewer.as_ref();
        let found = match (slug, id) {
            (Some(slug), None) => {
                let Some(found) = find_by_slug(&rc.pool, viewer, &slug, preview, rc.now)
                    .await
                    .gql()?
                else {
                    return Ok(None);
                };
                // The author and tags came with the post: later `author`
                // and `tags` fields need no statement.
                if let Some(author) = found.author {
                    rc.loader.feed_one(author.id(), author).await;
                }
                if let Some(tags) = found.tags {
                    rc.loader.feed_one(TagsOfPost(found.post.id()), tags).await;
                }
                return Ok(Some(PostObject(found.post)));
            }
            (None, Some(id)) => match GlobalId::decode(&id, "id")? {
                GlobalId::Post(id) if !preview => {
                    return Ok(rc.loader.load_one(id).await.gql()?.map(PostObject));
                }
                GlobalId::Post(id) => find_by_id(&rc.pool, viewer, id, preview, rc.now).await,
                _ => return Err(bad_input("id", "`id` does not name a post")),
            },
            _ => return Err(bad_input("slug", "pass exactly one of `slug` or `id`")),
        };
        Ok(found.gql()?.map(PostObject))
    }

    /// Published posts as a Relay connection. `first`/`last` default to 20
    /// and may not exceed 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PostFilterInput>,
        order_by: Option<PostOrderInput>,
        #[graphql(
            desc = "A page number, from 1, of `first` posts (20 by default), for `/page/3` URLs; not with cursors or `last`. Numbered pages reach 10,000 posts deep; cursors go on from there."
        )]
        page: Option<i32>,
    ) -> async_graphql::Result<PostConnection> {
        let args = PostConnectionArgs {
            page,
            first,
            after,
            last,
            before,
            filter,
            order_by,
        };
        load_posts(ctx, Group::All, 0, args).await
    }
}
