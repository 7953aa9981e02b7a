//! Guides: their GraphQL type and the lists a guide page shows, finding
//! them, and writing and publishing them (authors their own, editors any).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use waypost_domain::career::{self, EntryId, GuideFields, GuideSkillInput};
use waypost_domain::{Guide, GuideSkill, GuideStatus, Importance};

use super::catalogue::{RoleObject, SkillObject};
use super::{LIST_COST, delete, listed, required, save};
use crate::error::GqlResultExt;
use crate::loaders::{PostsOfGuide, RolesOfGuide, SkillsOfGuide};
use crate::schema::paging::page_cost;
use crate::schema::payload::DeleteInput;
use crate::schema::payload::DeletePayload;
use crate::schema::payload::payload;
use crate::schema::scalars::{Instant, InstantInput};
use crate::schema::{AuthorObject, GlobalId, PostObject, request_context};

mirror_enum!(
    /// How much a guide's reader needs a skill.
    ImportanceEnum("Importance") <=> Importance { Essential, Advantageous, Optional }
);

/// Where a guide stands. SCHEDULED is a published guide whose date is still
/// ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "GuideStatus")]
pub enum GuideStatusEnum {
    Draft,
    Scheduled,
    Published,
}

pub(crate) struct GuideObject(pub Guide);

#[derive(SimpleObject)]
pub(crate) struct GuideSection {
    pub heading: String,
    /// As written, for editing.
    pub markdown: String,
    /// Rendered from Markdown and sanitized.
    pub html: String,
}

#[derive(SimpleObject)]
pub(crate) struct GuideReason {
    pub title: String,
    pub text: String,
}

#[Object(name = "Guide")]
impl GuideObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Guide(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn title(&self) -> &str {
        self.0.title()
    }
    /// The field of work, e.g. "Back-end engineering".
    async fn field(&self) -> &str {
        self.0.field()
    }
    async fn summary(&self) -> &str {
        self.0.summary()
    }
    /// The body, in reading order.
    async fn sections(&self) -> Vec<GuideSection> {
        career::sections(&self.0)
            .into_iter()
            .map(|s| GuideSection {
                heading: s.heading,
                markdown: s.markdown,
                html: s.html,
            })
            .collect()
    }
    /// Why choose this field, in order.
    async fn reasons(&self) -> Vec<GuideReason> {
        career::reasons(&self.0)
            .into_iter()
            .map(|r| GuideReason {
                title: r.title,
                text: r.text,
            })
            .collect()
    }
    /// The skills the guide teaches, each with how much it matters.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn skills(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GuideSkillObject>> {
        listed(ctx, SkillsOfGuide(self.0.id()), GuideSkillObject).await
    }
    /// The roles the guide leads to.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoleObject>> {
        listed(ctx, RolesOfGuide(self.0.id()), RoleObject).await
    }
    /// Published posts on the same subject.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn related_posts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PostObject>> {
        let loader = &request_context(ctx)?.loader;
        let ids = loader
            .load_one(PostsOfGuide(self.0.id()))
            .await
            .gql()?
            .unwrap_or_default();
        let live = loader.load_many(ids.iter().copied()).await.gql()?;
        Ok(ids
            .iter()
            .filter_map(|id| live.get(id).cloned().map(PostObject))
            .collect())
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<AuthorObject> {
        required(ctx, self.0.author_id(), AuthorObject).await
    }
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<GuideStatusEnum> {
        let now = request_context(ctx)?.now;
        Ok(match self.0.status() {
            GuideStatus::Draft => GuideStatusEnum::Draft,
            GuideStatus::Published if career::guide_is_live(&self.0, now) => {
                GuideStatusEnum::Published
            }
            GuideStatus::Published => GuideStatusEnum::Scheduled,
        })
    }
    async fn published_at(&self) -> Option<Instant> {
        self.0.published_at().map(Instant)
    }
    async fn updated_at(&self) -> Instant {
        Instant(self.0.updated_at())
    }
}

pub(crate) struct GuideSkillObject(GuideSkill);

#[Object(name = "GuideSkill")]
impl GuideSkillObject {
    async fn importance(&self) -> ImportanceEnum {
        self.0.importance().into()
    }
    /// Why and how far the skill matters here.
    async fn note(&self) -> &str {
        self.0.note()
    }
    async fn skill(&self, ctx: &Context<'_>) -> async_graphql::Result<SkillObject> {
        required(ctx, self.0.skill_id(), SkillObject).await
    }
}

connection!(
    GuideConnection,
    GuideEdge,
    GuideObject,
    Guide,
    |g: &Guide| { career::guide_cursor(g) }
);

#[derive(InputObject, Default)]
pub(crate) struct GuideFilterInput {
    pub field: Option<String>,
}

#[derive(Default)]
pub(super) struct GuideQuery;

#[Object]
impl GuideQuery {
    /// A published guide by slug (drafts for those who may read them).
    async fn guide(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<GuideObject>> {
        let rc = request_context(ctx)?;
        Ok(
            career::guide_by_slug(&rc.pool, rc.viewer.as_ref(), &slug, rc.now)
                .await
                .gql()?
                .map(GuideObject),
        )
    }

    /// Published guides, newest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn guides(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<GuideFilterInput>,
    ) -> async_graphql::Result<GuideConnection> {
        let rc = request_context(ctx)?;
        let field = filter.unwrap_or_default().field;
        let page = career::guides_page(&rc.pool, field.as_deref(), first, after.as_deref(), rc.now)
            .await
            .gql()?;
        let total = career::count_guides(&rc.pool, field.as_deref(), rc.now)
            .await
            .gql()?;
        Ok(GuideConnection { page, total })
    }
}

// ---- writing and publishing ----

payload!(GuidePayload {
    guide: GuideObject(Guide)
});

#[derive(InputObject)]
pub struct GuideSectionInput {
    pub heading: String,
    /// Markdown.
    pub body: String,
}

#[derive(InputObject)]
pub struct GuideReasonInput {
    pub title: String,
    pub text: String,
}

#[derive(InputObject)]
pub struct GuideSkillInputObject {
    /// A skill slug.
    pub skill: String,
    pub importance: ImportanceEnum,
    #[graphql(default)]
    pub note: String,
}

#[derive(InputObject)]
pub struct GuideInput {
    /// Required when creating.
    pub title: Option<String>,
    pub slug: Option<String>,
    /// Required when creating.
    pub field: Option<String>,
    pub summary: Option<String>,
    pub sections: Option<Vec<GuideSectionInput>>,
    pub reasons: Option<Vec<GuideReasonInput>>,
    pub skills: Option<Vec<GuideSkillInputObject>>,
    /// Role slugs.
    pub roles: Option<Vec<String>>,
    /// Post slugs.
    pub related_posts: Option<Vec<String>>,
    /// The author profile a new guide is by: editors may name anyone's,
    /// an author's guide is always their own. An unknown slug is a user
    /// error on `authorSlug`. Ignored when updating.
    pub author_slug: Option<String>,
}

impl From<GuideInput> for GuideFields {
    fn from(input: GuideInput) -> Self {
        GuideFields {
            slug: input.slug,
            title: input.title,
            field: input.field,
            summary: input.summary,
            sections: input
                .sections
                .map(|list| list.into_iter().map(|s| (s.heading, s.body)).collect()),
            reasons: input
                .reasons
                .map(|list| list.into_iter().map(|r| (r.title, r.text)).collect()),
            skills: input.skills.map(|list| {
                list.into_iter()
                    .map(|s| GuideSkillInput {
                        skill: s.skill,
                        importance: s.importance.into(),
                        note: s.note,
                    })
                    .collect()
            }),
            roles: input.roles,
            related_posts: input.related_posts,
            author_slug: input.author_slug,
        }
    }
}

#[derive(InputObject)]
pub(crate) struct UpdateGuideInput {
    pub id: ID,
    pub changes: GuideInput,
}

#[derive(InputObject)]
pub(crate) struct PublishGuideInput {
    pub id: ID,
    /// A future instant schedules the guide; left out: now.
    pub publish_at: Option<InstantInput>,
}

#[derive(Default)]
pub(super) struct GuideMutation;

#[Object(guard = "crate::schema::signed_in")]
impl GuideMutation {
    /// Writes a new draft guide (authors as themselves, editors as anyone).
    async fn create_guide(
        &self,
        ctx: &Context<'_>,
        input: GuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        save(ctx, None, GuideFields::from(input)).await
    }

    /// Edits a guide (its author, or editors); lists given replace the
    /// stored ones, fields left out keep their value.
    async fn update_guide(
        &self,
        ctx: &Context<'_>,
        input: UpdateGuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        let id = GlobalId::guide(&input.id, "id")?;
        save(ctx, Some(id), GuideFields::from(input.changes)).await
    }

    /// Publishes a guide now, or schedules it.
    async fn publish_guide(
        &self,
        ctx: &Context<'_>,
        input: PublishGuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        let at = input
            .publish_at
            .map(|at| at.read("publishAt"))
            .transpose()?;
        set_published(ctx, &input.id, true, at).await
    }

    /// Takes a guide back to draft.
    async fn unpublish_guide(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<GuidePayload> {
        set_published(ctx, &input.id, false, None).await
    }

    /// Editors and admins.
    async fn delete_guide(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let entry = EntryId::Guide(GlobalId::guide(&input.id, "id")?);
        delete(ctx, entry, input.id).await
    }
}

async fn set_published(
    ctx: &Context<'_>,
    id: &ID,
    publish: bool,
    at: Option<chrono::NaiveDateTime>,
) -> async_graphql::Result<GuidePayload> {
    let rc = request_context(ctx)?;
    let id = GlobalId::guide(id, "id")?;
    let viewer = rc.viewer.as_ref();
    let guide = career::set_guide_published(&rc.pool, viewer, id, publish, at, rc.now)
        .await
        .gql()?;
    Ok(guide.into())
}
