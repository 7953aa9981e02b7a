//! The Relay post connection shared by `posts`, `Author.posts` and `Tag.posts`.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use waypost_domain::paging::{PageArgs, PageRequest, PostOrder, checked_instant, encode_cursor};
use waypost_domain::post::{PostListSpec, PostPage, PostState, listing_scope};
use waypost_domain::{Direction, Group, PostFilter, PostOrderField};

use super::paging::PageInfo;
use super::post::PostStatusEnum;
use super::scalars::InstantInput;
use super::{PostObject, request_context};
use crate::error::{GqlResultExt, internal};
use crate::loaders::{PostCountKey, PostPageKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PostOrderField")]
pub enum PostOrderFieldInput {
    PublishedAt,
    Title,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// How to order posts. Without a direction, dates run newest first and
/// titles A to Z (bytewise).
#[derive(Debug, Clone, Copy, InputObject)]
pub(crate) struct PostOrderInput {
    pub field: PostOrderFieldInput,
    pub direction: Option<OrderDirection>,
}

/// Narrows a post listing; all given conditions must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub(crate) struct PostFilterInput {
    /// PUBLISHED (the default) for everyone; DRAFT, SCHEDULED and TRASHED
    /// for editors, and for authors (their own posts only).
    pub status: Option<PostStatusEnum>,
    pub tag_slug: Option<String>,
    pub author_slug: Option<String>,
    /// Published at or after this instant.
    pub published_after: Option<InstantInput>,
    /// Published strictly before this instant.
    pub published_before: Option<InstantInput>,
}

fn order(input: Option<PostOrderInput>) -> PostOrder {
    let Some(input) = input else {
        return PostOrder::default();
    };
    let field = match input.field {
        PostOrderFieldInput::PublishedAt => PostOrderField::PublishedAt,
        PostOrderFieldInput::Title => PostOrderField::Title,
        PostOrderFieldInput::UpdatedAt => PostOrderField::UpdatedAt,
    };
    let direction = match (input.direction, field) {
        (Some(OrderDirection::Asc), _) | (None, PostOrderField::Title) => Direction::Asc,
        (Some(OrderDirection::Desc), _) | (None, _) => Direction::Desc,
    };
    PostOrder { field, direction }
}

fn filter(ctx: &Context<'_>, input: Option<PostFilterInput>) -> async_graphql::Result<PostFilter> {
    let input = input.unwrap_or_default();
    let rc = request_context(ctx)?;
    let state = input.status.map_or(PostState::Published, PostState::from);
    let (visibility, author_id) = listing_scope(rc.viewer.as_ref(), state, rc.now).gql()?;
    let instant = |field, time: Option<InstantInput>| {
        time.map(|t| checked_instant(field, t.read(field)?).gql())
            .transpose()
    };
    Ok(PostFilter {
        visibility,
        author_id,
        tag_slug: input.tag_slug,
        author_slug: input.author_slug,
        published_after: instant("publishedAfter", input.published_after)?,
        published_before: instant("publishedBefore", input.published_before)?,
    })
}

/// The arguments every post connection field takes.
pub(crate) struct PostConnectionArgs {
    pub page: Option<i32>,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub filter: Option<PostFilterInput>,
    pub order_by: Option<PostOrderInput>,
}

/// Validates the arguments and loads the page through the batching loader.
pub(crate) async fn load_posts(
    ctx: &Context<'_>,
    group: Group,
    parent: i64,
    args: PostConnectionArgs,
) -> async_graphql::Result<PostConnection> {
    let order = order(args.order_by);
    let page_args = PageArgs {
        first: args.first,
        after: args.after,
        last: args.last,
        before: args.before,
        page: args.page,
    };
    let page = PageRequest::parse(&page_args, order.field).gql()?;
    let spec = Arc::new(PostListSpec {
        filter: filter(ctx, args.filter)?,
        order,
        page,
    });
    let key = PostPageKey {
        group,
        parent,
        spec: spec.clone(),
    };
    let loaded = request_context(ctx)?.loader.load_one(key).await.gql()?;
    let page = loaded.ok_or_else(|| internal("post page missing from batch"))?;
    Ok(PostConnection {
        group,
        parent,
        spec,
        page,
    })
}

pub(crate) struct PostConnection {
    group: Group,
    parent: i64,
    spec: Arc<PostListSpec>,
    page: PostPage,
}

#[derive(SimpleObject)]
#[graphql(name = "PostEdge")]
pub(crate) struct PostEdge {
    pub cursor: String,
    pub node: PostObject,
}

#[Object]
impl PostConnection {
    async fn edges(&self) -> Vec<PostEdge> {
        let field = self.spec.order.field;
        self.page
            .posts
            .iter()
            .map(|p| PostEdge {
                cursor: encode_cursor(p, field),
                node: PostObject(p.clone()),
            })
            .collect()
    }

    /// The posts of `edges`, for clients that need no cursors.
    async fn nodes(&self) -> Vec<PostObject> {
        self.page.posts.iter().cloned().map(PostObject).collect()
    }

    async fn page_info(&self) -> PageInfo {
        let field = self.spec.order.field;
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: self.page.posts.first().map(|p| encode_cursor(p, field)),
            end_cursor: self.page.posts.last().map(|p| encode_cursor(p, field)),
        }
    }

    /// Posts matching the filter, ignoring paging.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let key = PostCountKey {
            group: self.group,
            parent: self.parent,
            filter: Arc::new(self.spec.filter.clone()),
        };
        let total = request_context(ctx)?.loader.load_one(key).await.gql()?;
        i32::try_from(total.unwrap_or(0)).map_err(|_| internal("post count exceeds Int"))
    }
}
