//! Mutations for tags and author profiles.

use async_graphql::{Context, ID, InputObject, Object};
use waypost_domain::profile::{self, AuthorFields, TagFields};

use super::editorial::DeletePayload;
use super::user_error::{payload, user_errors};
use super::{AuthorObject, GlobalId, TagObject, request_context};
use crate::error::GqlResultExt;

#[derive(InputObject)]
pub struct CreateTagInput {
    /// 1 to 100 characters.
    pub name: String,
    /// Left out, made from the name.
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTagInput {
    pub id: ID,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct DeleteInput {
    pub id: ID,
}

payload!(TagPayload {
    tag: TagObject(waypost_domain::Tag)
});

#[derive(InputObject)]
pub struct CreateAuthorInput {
    pub name: String,
    pub slug: Option<String>,
    pub bio: Option<String>,
    /// An http or https address.
    pub avatar_url: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateAuthorInput {
    pub id: ID,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub bio: Option<String>,
    /// An empty text removes the avatar.
    pub avatar_url: Option<String>,
}

payload!(AuthorPayload {
    author: AuthorObject(waypost_domain::Author)
});

#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
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
            profile::create_tag(&rc.pool, rc.viewer.as_ref(), fields, rc.now)
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
            profile::update_tag(
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
        let deleted = profile::delete_tag(
            &rc.pool,
            rc.viewer.as_ref(),
            GlobalId::tag(&input.id, "id")?,
        )
        .await
        .gql()?;
        Ok(DeletePayload {
            deleted_id: deleted.then_some(input.id),
            user_errors: Vec::new(),
        })
    }

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
            profile::create_author(&rc.pool, rc.viewer.as_ref(), fields, rc.now)
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
            profile::update_author(&rc.pool, rc.viewer.as_ref(), id, fields, rc.now)
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
        Ok(
            match profile::delete_author(
                &rc.pool,
                rc.viewer.as_ref(),
                GlobalId::author(&input.id, "id")?,
            )
            .await
            .gql()?
            {
                Ok(deleted) => DeletePayload {
                    deleted_id: deleted.then_some(input.id),
                    user_errors: Vec::new(),
                },
                Err(errors) => DeletePayload {
                    deleted_id: None,
                    user_errors: user_errors(errors),
                },
            },
        )
    }
}
