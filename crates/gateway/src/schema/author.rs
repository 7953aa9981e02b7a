//! Authors: the `Author` type, its posts, and `author(slug:)`.

use async_graphql::{Context, ID, InputObject, Object};
use waypost_domain::author::{self, AuthorFields};
use waypost_domain::post;
use waypost_domain::{Author, Group};

use super::paging::page_cost;
use super::payload::{DeleteInput, DeletePayload, payload};
use super::post_connection::{
    PostConnection, PostConnectionArgs, PostFilterInput, PostOrderInput, load_posts,
};
use super::{GlobalId, by_slug, request_context};
use crate::error::GqlResultExt;

pub(crate) struct AuthorObject(pub Author);

#[Object(name = "Author")]
impl AuthorObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Author(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn name(&self) -> &str {
        self.0.name()
    }
    async fn bio(&self) -> &str {
        self.0.bio()
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url()
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
        load_posts(ctx, Group::Author, self.0.id().0, args).await
    }
}

#[derive(Default)]
pub(crate) struct AuthorQuery;

#[Object]
impl AuthorQuery {
    /// An author by slug; `null` when there is none.
    async fn author(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<AuthorObject>> {
        by_slug(ctx, &slug, post::author_by_slug, AuthorObject).await
    }
}

#[derive(InputObject)]
pub(crate) struct CreateAuthorInput {
    pub name: String,
    pub slug: Option<String>,
    pub bio: Option<String>,
    /// An http or https address.
    pub avatar_url: Option<String>,
}

#[derive(InputObject)]
pub(crate) struct UpdateAuthorInput {
    pub id: ID,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub bio: Option<String>,
    /// An empty text removes the avatar.
    pub avatar_url: Option<String>,
}

payload!(AuthorPayload {
    author: AuthorObject(Author)
});

#[derive(Default)]
pub(crate) struct AuthorMutation;

#[Object(guard = "crate::schema::signed_in")]
impl AuthorMutation {
    /// Editors and admins.
    async fn create_author(
        &self,
        ctx: &Context<'_>,
        input: CreateAuthorInput,
    ) -> async_graphql::Result<AuthorPayload> {
        let rc = request_context(ctx)?;
        let fields = AuthorFields {
            name: Some(input.name),
            slug: input.slug,
            bio: input.bio,
            avatar_url: input.avatar_url,
        };
        Ok(AuthorPayload::from(
            author::create_author(&rc.pool, rc.viewer.as_ref(), fields, rc.now)
                .await
                .gql()?,
        ))
    }

    /// Editors and admins for any profile; an author for their own.
    async fn update_author(
        &self,
        ctx: &Context<'_>,
        input: UpdateAuthorInput,
    ) -> async_graphql::Result<AuthorPayload> {
        let rc = request_context(ctx)?;
        let fields = AuthorFields {
            name: input.name,
            slug: input.slug,
            bio: input.bio,
            avatar_url: input.avatar_url,
        };
        let id = GlobalId::author(&input.id, "id")?;
        Ok(AuthorPayload::from(
            author::update_author(&rc.pool, rc.viewer.as_ref(), id, fields, rc.now)
                .await
                .gql()?,
        ))
    }

    /// A profile with posts cannot be deleted (CONFLICT).
    async fn delete_author(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::author(&input.id, "id")?;
        let deleted = author::delete_author(&rc.pool, rc.viewer.as_ref(), id).await;
        Ok(DeletePayload::of(input.id, deleted.gql()?))
    }
}
