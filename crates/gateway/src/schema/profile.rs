//! Mutations for tags and author profiles.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use waypost_domain::editorial::FieldError;
use waypost_domain::profile::{self, AuthorFields, TagFields};

use super::account::UserError;
use super::editorial::DeletePayload;
use super::{AuthorObject, GlobalId, TagObject, request_context};
use crate::error::GqlResultExt;

fn user_errors(errors: Vec<FieldError>) -> Vec<UserError> {
    errors.into_iter().map(UserError::from).collect()
}

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

#[derive(SimpleObject)]
pub struct TagPayload {
    pub tag: Option<TagObject>,
    pub user_errors: Vec<UserError>,
}

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

#[derive(SimpleObject)]
pub struct AuthorPayload {
    pub author: Option<AuthorObject>,
    pub user_errors: Vec<UserError>,
}

fn tag_payload(result: Result<waypost_domain::Tag, Vec<FieldError>>) -> TagPayload {
    match result {
        Ok(tag) => TagPayload {
            tag: Some(TagObject(tag)),
            user_errors: Vec::new(),
        },
        Err(errors) => TagPayload {
            tag: None,
            user_errors: user_errors(errors),
        },
    }
}

fn author_payload(result: Result<waypost_domain::Author, Vec<FieldError>>) -> AuthorPayload {
    match result {
        Ok(author) => AuthorPayload {
            author: Some(AuthorObject(author)),
            user_errors: Vec::new(),
        },
        Err(errors) => AuthorPayload {
            author: None,
            user_errors: user_errors(errors),
        },
    }
}

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
        Ok(tag_payload(
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
        Ok(tag_payload(
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
        Ok(author_payload(
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
        Ok(author_payload(
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
