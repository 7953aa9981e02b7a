//! Authors: the `Author` type, its posts, and `author(slug:)`.

use async_graphql::{Context, ID, Object};
use waypost_domain::{Author, Group};

use super::paging::page_cost;
use super::post_connection::{
    PostConnection, PostConnectionArgs, PostFilterInput, PostOrderInput, load_posts,
};
use super::{GlobalId, request_context};
use crate::error::GqlResultExt;

pub struct AuthorObject(pub Author);

#[Object(name = "Author")]
impl AuthorObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Author(self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn bio(&self) -> &str {
        &self.0.bio
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }
    /// This author's published posts, with the same arguments as `Query.posts`.
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
    ) -> async_graphql::Result<PostConnection> {
        let args = PostConnectionArgs {
            first,
            after,
            last,
            before,
            filter,
            order_by,
        };
        load_posts(ctx, Group::Author, self.0.id.0, args).await
    }
}

#[derive(Default)]
pub struct AuthorQuery;

#[Object]
impl AuthorQuery {
    /// An author by slug; `null` when there is none.
    async fn author(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<AuthorObject>> {
        let pool = &request_context(ctx)?.pool;
        Ok(waypost_domain::post::author_by_slug(pool, &slug)
            .await
            .gql()?
            .map(AuthorObject))
    }
}
