//! Tags: the `Tag` type, its posts, and `tag(slug:)`.

use async_graphql::{Context, ID, InputObject, Object};
use waypost_domain::post;
use waypost_domain::tag::{self, TagFields};
use waypost_domain::{Group, Tag};

use super::paging::page_cost;
use super::payload::{DeleteInput, DeletePayload, payload};
use super::post_connection::{
    PostConnection, PostConnectionArgs, PostFilterInput, PostOrderInput, load_posts,
};
use super::{GlobalId, by_slug, request_context};
use crate::error::GqlResultExt;

pub(crate) struct TagObject(pub Tag);

#[Object(name = "Tag")]
impl TagObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Tag(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn name(&self) -> &str {
        self.0.name()
    }
    async fn description(&self) -> &str {
        self.0.description()
    }
    /// Published posts with this tag, with the same arguments as `Query.posts`.
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
        load_posts(ctx, Group::Tag, self.0.id().0, args).await
    }
}

#[derive(Default)]
pub(crate) struct TagQuery;

#[Object]
impl TagQuery {
    /// A tag by slug; `null` when there is none.
    async fn tag(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<TagObject>> {
        by_slug(ctx, &slug, post::tag_by_slug, TagObject).await
    }
}

#[derive(InputObject)]
pub(crate) struct CreateTagInput {
    /// 1 to 100 characters.
    pub name: String,
    /// Left out, made from the name.
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub(crate) struct UpdateTagInput {
    pub id: ID,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

payload!(TagPayload {
    tag: TagObject(Tag)
});

#[derive(Default)]
pub(crate) struct TagMutation;

#[Object(guard = "crate::schema::signed_in")]
impl TagMutation {
    /// Editors and admins.
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        input: CreateTagInput,
    ) -> async_graphql::Result<TagPayload> {
        let rc = request_context(ctx)?;
        let fields = TagFields {
            name: Some(input.name),
            slug: input.slug,
            description: input.description,
        };
        Ok(TagPayload::from(
            tag::create_tag(&rc.pool, rc.viewer.as_ref(), fields, rc.now)
                .await
                .gql()?,
        ))
    }

    async fn update_tag(
        &self,
        ctx: &Context<'_>,
        input: UpdateTagInput,
    ) -> async_graphql::Result<TagPayload> {
        let rc = request_context(ctx)?;
        let fields = TagFields {
            name: input.name,
            slug: input.slug,
            description: input.description,
        };
        Ok(TagPayload::from(
            tag::update_tag(
                &rc.pool,
                rc.viewer.as_ref(),
                GlobalId::tag(&input.id, "id")?,
                fields,
            )
            .await
            .gql()?,
        ))
    }

    /// Posts keep existing without the tag.
    async fn delete_tag(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::tag(&input.id, "id")?;
        let deleted = tag::delete_tag(&rc.pool, rc.viewer.as_ref(), id).await;
        Ok(DeletePayload::of(input.id, Ok(deleted.gql()?)))
    }
}
