//! The editorial API: mutations that write posts, and what editors read
//! about them (versions, revisions).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use waypost_domain::FieldError;
use waypost_domain::editorial::{self, NewPost, PostChanges, Transition};
use waypost_domain::page_meta::{FeaturedImage, PageMetaChanges};
use waypost_domain::{Post, PostRevision, TagId};

use super::payload::{DeletePayload, payload};
use super::scalars::{Instant, InstantInput};
use super::{GlobalId, PostObject, request_context};
use crate::error::GqlResultExt;
use crate::loaders::RevisionsOf;

payload!(
    /// The result of a write to a post.
    PostPayload {
        /// The post as it is now; `null` when the write was refused.
        post: PostObject(Post)
    }
);

fn refused(field: &'static str, message: &str) -> PostPayload {
    Err(vec![FieldError::invalid(field, message)]).into()
}

/// Tag ids, or `None` when one of them is not a tag id at all.
fn tag_ids(ids: &[ID]) -> Option<Vec<TagId>> {
    ids.iter()
        .map(|id| GlobalId::tag(id, "tagIds").ok())
        .collect()
}

fn version(value: Option<i32>) -> Option<i64> {
    value.map(i64::from)
}

#[derive(InputObject)]
pub(crate) struct CreatePostInput {
    /// 1 to 300 characters.
    pub title: String,
    /// Markdown, up to 200,000 characters.
    #[graphql(default)]
    pub body: String,
    /// Left out, the opening of the body serves.
    pub excerpt: Option<String>,
    /// Left out, made from the title and made unique with a suffix.
    pub slug: Option<String>,
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    /// Editors may write for any author; an author always writes as their own.
    pub author_id: Option<ID>,
}

#[derive(InputObject)]
pub(crate) struct UpdatePostInput {
    pub id: ID,
    /// The `version` you last saw; if the post changed since, the update is
    /// refused with CONFLICT and nothing is overwritten.
    pub expected_version: i32,
    pub title: Option<String>,
    pub body: Option<String>,
    /// An empty text derives the excerpt from the body again.
    pub excerpt: Option<String>,
    pub slug: Option<String>,
    /// Replaces the post's tags.
    pub tag_ids: Option<Vec<ID>>,
    /// Opens or closes the post to new comments.
    pub comments_open: Option<bool>,
    /// The image a page shows at the top and link previews show; `null`
    /// removes it.
    pub featured_image: MaybeUndefined<FeaturedImageInput>,
    /// In place of the title for search engines and link previews; `null`
    /// or empty goes back to the title.
    pub seo_title: MaybeUndefined<String>,
    /// In place of the excerpt for search engines and link previews;
    /// `null` or empty goes back to the excerpt.
    pub seo_description: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub(crate) struct FeaturedImageInput {
    /// An http or https address.
    pub url: String,
    /// What the image shows, for those who cannot see it (1 to 300
    /// characters).
    pub alt: String,
    /// Pixels, both or neither, so that a page reserves the image's space.
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// A field left out keeps its value (`None`), `null` clears it.
fn change<T, U>(value: MaybeUndefined<T>, into: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(into(v))),
    }
}

#[derive(InputObject)]
pub(crate) struct PostStateInput {
    pub id: ID,
    /// When given, the change is refused with CONFLICT if the post moved on.
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub(crate) struct SchedulePostInput {
    pub id: ID,
    /// When the post goes live; must be in the future.
    pub publish_at: InstantInput,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub(crate) struct DeletePostInput {
    pub id: ID,
}

#[derive(InputObject)]
pub(crate) struct RestoreRevisionInput {
    pub revision_id: ID,
    /// The post's `version` you last saw, as for `updatePost`.
    pub expected_version: i32,
}

/// What a post said before one of its edits.
pub(crate) struct RevisionObject(pub PostRevision);

#[Object(name = "PostRevision")]
impl RevisionObject {
    async fn id(&self) -> ID {
        GlobalId::Revision(self.0.id()).encode()
    }
    /// The post's version whose content this is.
    async fn version(&self) -> i32 {
        i32::try_from(self.0.version()).unwrap_or(i32::MAX)
    }
    async fn title(&self) -> &str {
        self.0.title()
    }
    async fn excerpt(&self) -> &str {
        self.0.excerpt()
    }
    async fn body(&self) -> &str {
        self.0.body_markdown()
    }
    /// Who made the edit that replaced this content.
    async fn edited_by_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(user) = self.0.edited_by() else {
            return Ok(None);
        };
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(user)
            .await
            .gql()?
            .map(|u| u.display_name().to_owned()))
    }
    /// When the edit was made.
    async fn created_at(&self) -> Instant {
        Instant(self.0.created_at())
    }
}

/// Revisions of `post`, newest first (editors and the post's author).
pub(crate) async fn revisions_of(
    ctx: &Context<'_>,
    post: &Post,
) -> async_graphql::Result<Vec<RevisionObject>> {
    let rc = request_context(ctx)?;
    editorial::authorize_revisions(rc.viewer.as_ref(), post).gql()?;
    let rows = rc.loader.load_one(RevisionsOf(post.id())).await.gql()?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(RevisionObject)
        .collect())
}

#[derive(Default)]
pub(crate) struct EditorialMutation;

impl EditorialMutation {
    async fn move_post(
        &self,
        ctx: &Context<'_>,
        id: &ID,
        expected_version: Option<i32>,
        to: Transition,
    ) -> async_graphql::Result<PostPayload> {
        let rc = request_context(ctx)?;
        let result: waypost_domain::Written<Post> = editorial::transition(
            &rc.pool,
            rc.viewer.as_ref(),
            GlobalId::post(id, "id")?,
            version(expected_version),
            to,
            rc.now,
        )
        .await;
        Ok(PostPayload::from(result.gql()?))
    }
}

#[Object(guard = "crate::schema::signed_in")]
impl EditorialMutation {
    /// Writes a new draft.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        input: CreatePostInput,
    ) -> async_graphql::Result<PostPayload> {
        let rc = request_context(ctx)?;
        let Some(tags) = tag_ids(&input.tag_ids) else {
            return Ok(refused("tagIds", "one or more ids are not tag ids"));
        };
        let author_id = match &input.author_id {
            None => None,
            Some(id) => match GlobalId::author(id, "authorId") {
                Ok(author) => Some(author),
                Err(_) => return Ok(refused("authorId", "`authorId` is not an author id")),
            },
        };
        let new = NewPost {
            title: input.title,
            body: input.body,
            excerpt: input.excerpt,
            slug: input.slug,
            tag_ids: tags,
            author_id,
        };
        Ok(PostPayload::from(
            editorial::create_post(&rc.pool, rc.viewer.as_ref(), new, rc.now)
                .await
                .gql()?,
        ))
    }

    /// Edits a post's content, slug or tags; the previous content is kept as a revision.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        input: UpdatePostInput,
    ) -> async_graphql::Result<PostPayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::post(&input.id, "id")?;
        let tag_ids = match input.tag_ids.as_deref().map(tag_ids) {
            Some(None) => return Ok(refused("tagIds", "one or more ids are not tag ids")),
            Some(Some(tags)) => Some(tags),
            None => None,
        };
        let changes = PostChanges {
            title: input.title,
            body: input.body,
            excerpt: input.excerpt.map(Some),
            slug: input.slug,
            tag_ids,
            comments_open: input.comments_open,
            page_meta: PageMetaChanges {
                featured_image: change(input.featured_image, |i| FeaturedImage {
                    url: i.url,
                    alt: i.alt,
                    width: i.width,
                    height: i.height,
                }),
                seo_title: change(input.seo_title, |t| t),
                seo_description: change(input.seo_description, |t| t),
            },
        };
        let result = editorial::update_post(
            &rc.pool,
            rc.viewer.as_ref(),
            id,
            i64::from(input.expected_version),
            changes,
            rc.now,
        )
        .await;
        Ok(PostPayload::from(result.gql()?))
    }

    /// Makes a post live now.
    async fn publish_post(
        &self,
        ctx: &Context<'_>,
        input: PostStateInput,
    ) -> async_graphql::Result<PostPayload> {
        self.move_post(ctx, &input.id, input.expected_version, Transition::Publish)
            .await
    }

    /// Makes a post go live at `publishAt`, with no job to run.
    async fn schedule_post(
        &self,
        ctx: &Context<'_>,
        input: SchedulePostInput,
    ) -> async_graphql::Result<PostPayload> {
        let at = input.publish_at.read("publishAt")?;
        self.move_post(
            ctx,
            &input.id,
            input.expected_version,
            Transition::Schedule { at },
        )
        .await
    }

    /// Takes a published or scheduled post back to draft.
    async fn unpublish_post(
        &self,
        ctx: &Context<'_>,
        input: PostStateInput,
    ) -> async_graphql::Result<PostPayload> {
        self.move_post(
            ctx,
            &input.id,
            input.expected_version,
            Transition::Unpublish,
        )
        .await
    }

    /// Moves a post to the trash; `restorePost` brings it back as a draft.
    async fn trash_post(
        &self,
        ctx: &Context<'_>,
        input: PostStateInput,
    ) -> async_graphql::Result<PostPayload> {
        self.move_post(ctx, &input.id, input.expected_version, Transition::Trash)
            .await
    }

    async fn restore_post(
        &self,
        ctx: &Context<'_>,
        input: PostStateInput,
    ) -> async_graphql::Result<PostPayload> {
        self.move_post(ctx, &input.id, input.expected_version, Transition::Restore)
            .await
    }

    /// Deletes a post for good (editors and admins).
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        input: DeletePostInput,
    ) -> async_graphql::Result<DeletePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::post(&input.id, "id")?;
        let deleted = editorial::delete_post(&rc.pool, rc.viewer.as_ref(), id).await;
        Ok(DeletePayload::of(input.id, Ok(deleted.gql()?)))
    }

    /// Brings a revision's content back, as a new edit.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        input: RestoreRevisionInput,
    ) -> async_graphql::Result<PostPayload> {
        let rc = request_context(ctx)?;
        let revision = GlobalId::revision(&input.revision_id, "revisionId")?;
        let result = editorial::restore_revision(
            &rc.pool,
            rc.viewer.as_ref(),
            revision,
            i64::from(input.expected_version),
            rc.now,
        )
        .await;
        Ok(PostPayload::from(result.gql()?))
    }
}
