//! Skills, roles and the transitions between them: their GraphQL types,
//! the lookups and pages that find them, and the editors' mutations.

use async_graphql::{Context, ID, InputObject, Object};
use waypost_domain::career::{self, EntryId, RoleFields, SkillFields, TransitionFields};
use waypost_domain::{JobRole, RoleSkill, Seniority, Skill, SkillCategory, Transition};

use super::guide::GuideObject;
use super::{LIST_COST, SkillLevelInput, delete, levels, listed, required, save, years};
use crate::error::GqlResultExt;
use crate::loaders::{
    GuidesTeaching, RelatedSkillsOf, RequiredSkill, RequirementsOf, RolesRequiring,
    TransitionsFrom, TransitionsInto,
};
use crate::schema::paging::page_cost;
use crate::schema::payload::DeleteInput;
use crate::schema::payload::DeletePayload;
use crate::schema::payload::payload;
use crate::schema::{GlobalId, by_slug, request_context};

mirror_enum!(
    /// What kind of skill a skill is.
    SkillCategoryEnum("SkillCategory") <=> SkillCategory {
        Language, Framework, Database, Practice, Concept, Tool
    }
);
mirror_enum!(
    /// How senior a role is, from first job up.
    SeniorityEnum("Seniority") <=> Seniority { Entry, Mid, Senior, Lead, Principal }
);

pub(crate) struct SkillObject(pub Skill);

#[Object(name = "Skill")]
impl SkillObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Skill(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn name(&self) -> &str {
        self.0.name()
    }
    async fn category(&self) -> SkillCategoryEnum {
        self.0.category().into()
    }
    async fn description(&self) -> &str {
        self.0.description()
    }
    /// Skills that go with this one (Django with Python, say).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn related_skills(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SkillObject>> {
        listed(ctx, RelatedSkillsOf(self.0.id()), SkillObject).await
    }
    /// Published guides that teach it.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn guides(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GuideObject>> {
        listed(ctx, GuidesTeaching(self.0.id()), GuideObject).await
    }
    /// Roles that require it.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoleObject>> {
        listed(ctx, RolesRequiring(self.0.id()), RoleObject).await
    }
}

pub(crate) struct RoleObject(pub JobRole);

/// A skill a role requires, and how well.
pub(crate) struct SkillRequirement(RoleSkill);

#[Object]
impl SkillRequirement {
    /// From 1 (aware of it) to 5 (expert).
    async fn proficiency(&self) -> i32 {
        self.0.proficiency()
    }
    async fn skill(&self, ctx: &Context<'_>) -> async_graphql::Result<SkillObject> {
        required(ctx, RequiredSkill(self.0.skill_id()), SkillObject).await
    }
}

#[Object(name = "Role")]
impl RoleObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Role(self.0.id()).encode()
    }
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    async fn title(&self) -> &str {
        self.0.title()
    }
    async fn seniority(&self) -> SeniorityEnum {
        self.0.seniority().into()
    }
    async fn summary(&self) -> &str {
        self.0.summary()
    }
    async fn responsibilities(&self) -> Vec<String> {
        career::responsibilities(&self.0)
    }
    /// The skills the role asks for, strongest requirement first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn required_skills(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SkillRequirement>> {
        listed(ctx, RequirementsOf(self.0.id()), SkillRequirement).await
    }
    /// Where people in this role typically move next, quickest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn next_roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TransitionObject>> {
        listed(ctx, TransitionsFrom(self.0.id()), TransitionObject).await
    }
    /// Where people typically come to this role from, quickest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn previous_roles(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<TransitionObject>> {
        listed(ctx, TransitionsInto(self.0.id()), TransitionObject).await
    }
}

pub(crate) struct TransitionObject(pub Transition);

/// A typical move from one role to another.
#[Object(name = "Transition")]
impl TransitionObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Transition(self.0.id()).encode()
    }
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<RoleObject> {
        required(ctx, self.0.from_role_id(), RoleObject).await
    }
    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<RoleObject> {
        required(ctx, self.0.to_role_id(), RoleObject).await
    }
    /// How long the move typically takes.
    async fn typical_years(&self) -> f64 {
        years(i64::from(self.0.months()))
    }
    async fn note(&self) -> &str {
        self.0.note()
    }
}

connection!(
    SkillConnection,
    SkillEdge,
    SkillObject,
    Skill,
    |s: &Skill| { career::slug_cursor(s.slug()) }
);
connection!(
    RoleConnection,
    RoleEdge,
    RoleObject,
    JobRole,
    |r: &JobRole| { career::slug_cursor(r.slug()) }
);

#[derive(InputObject, Default)]
pub(crate) struct SkillFilterInput {
    pub category: Option<SkillCategoryEnum>,
}

#[derive(Default)]
pub(super) struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    async fn skill(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<SkillObject>> {
        by_slug(ctx, &slug, career::skill_by_slug, SkillObject).await
    }

    /// Skills by slug.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn skills(
        &self,
        ctx: &Context<'_>,
        filter: Option<SkillFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SkillConnection> {
        let rc = request_context(ctx)?;
        let category = filter.unwrap_or_default().category.map(SkillCategory::from);
        let page = career::skills_page(&rc.pool, category, first, after.as_deref())
            .await
            .gql()?;
        let total = career::count_skills(&rc.pool, category).await.gql()?;
        Ok(SkillConnection { page, total })
    }

    async fn role(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<RoleObject>> {
        by_slug(ctx, &slug, career::role_by_slug, RoleObject).await
    }

    /// Roles by slug.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn roles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<RoleConnection> {
        let rc = request_context(ctx)?;
        let page = career::roles_page(&rc.pool, first, after.as_deref())
            .await
            .gql()?;
        let total = career::count_roles(&rc.pool).await.gql()?;
        Ok(RoleConnection { page, total })
    }
}

// ---- editing the catalogue ----

payload!(SkillPayload {
    skill: SkillObject(Skill)
});
payload!(RolePayload {
    role: RoleObject(JobRole)
});
payload!(TransitionPayload {
    transition: TransitionObject(Transition)
});

#[derive(InputObject)]
pub struct SkillInput {
    /// Required when creating.
    pub name: Option<String>,
    /// Made from the name when left out.
    pub slug: Option<String>,
    /// Required when creating.
    pub category: Option<SkillCategoryEnum>,
    pub description: Option<String>,
    /// Slugs; replaces the skill's relations.
    pub related_skills: Option<Vec<String>>,
}

impl From<SkillInput> for SkillFields {
    fn from(input: SkillInput) -> Self {
        SkillFields {
            slug: input.slug,
            name: input.name,
            category: input.category.map(SkillCategory::from),
            description: input.description,
            related: input.related_skills,
        }
    }
}

#[derive(InputObject)]
pub(crate) struct UpdateSkillInput {
    pub id: ID,
    pub changes: SkillInput,
}

#[derive(InputObject)]
pub struct RoleInput {
    /// Required when creating.
    pub title: Option<String>,
    pub slug: Option<String>,
    /// Required when creating.
    pub seniority: Option<SeniorityEnum>,
    pub summary: Option<String>,
    pub responsibilities: Option<Vec<String>>,
    /// Replaces the role's requirements.
    pub required_skills: Option<Vec<SkillLevelInput>>,
}

impl From<RoleInput> for RoleFields {
    fn from(input: RoleInput) -> Self {
        RoleFields {
            slug: input.slug,
            title: input.title,
            seniority: input.seniority.map(Seniority::from),
            summary: input.summary,
            responsibilities: input.responsibilities,
            required: input.required_skills.map(levels),
        }
    }
}

#[derive(InputObject)]
pub(crate) struct UpdateRoleInput {
    pub id: ID,
    pub changes: RoleInput,
}

#[derive(InputObject)]
pub struct TransitionInput {
    /// The role slug moved from; required when creating.
    pub from: Option<String>,
    /// The role slug moved to; required when creating.
    pub to: Option<String>,
    /// Required when creating; kept to the month, at most 50 years.
    pub typical_years: Option<f64>,
    pub note: Option<String>,
}

impl From<TransitionInput> for TransitionFields {
    fn from(input: TransitionInput) -> Self {
        TransitionFields {
            from: input.from,
            to: input.to,
            typical_years: input.typical_years,
            note: input.note,
        }
    }
}

#[derive(InputObject)]
pub(crate) struct UpdateTransitionInput {
    pub id: ID,
    pub changes: TransitionInput,
}

#[derive(Default)]
pub(super) struct CatalogueMutation;

#[Object(guard = "crate::schema::signed_in")]
impl CatalogueMutation {
    /// Editors and admins.
    async fn create_skill(
        &self,
        ctx: &Context<'_>,
        input: SkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        save(ctx, None, SkillFields::from(input)).await
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_skill(
        &self,
        ctx: &Context<'_>,
        input: UpdateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let id = GlobalId::skill(&input.id, "id")?;
        save(ctx, Some(id), SkillFields::from(input.changes)).await
    }

    /// Editors and admins.
    async fn delete_skill(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let entry = EntryId::Skill(GlobalId::skill(&input.id, "id")?);
        delete(ctx, entry, input.id).await
    }

    /// Editors and admins.
    async fn create_role(
        &self,
        ctx: &Context<'_>,
        input: RoleInput,
    ) -> async_graphql::Result<RolePayload> {
        save(ctx, None, RoleFields::from(input)).await
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateRoleInput,
    ) -> async_graphql::Result<RolePayload> {
        let id = GlobalId::role(&input.id, "id")?;
        save(ctx, Some(id), RoleFields::from(input.changes)).await
    }

    /// Editors and admins; the role's transitions go with it.
    async fn delete_role(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let entry = EntryId::Role(GlobalId::role(&input.id, "id")?);
        delete(ctx, entry, input.id).await
    }

    /// Editors and admins.
    async fn create_transition(
        &self,
        ctx: &Context<'_>,
        input: TransitionInput,
    ) -> async_graphql::Result<TransitionPayload> {
        save(ctx, None, TransitionFields::from(input)).await
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_transition(
        &self,
        ctx: &Context<'_>,
        input: UpdateTransitionInput,
    ) -> async_graphql::Result<TransitionPayload> {
        let id = GlobalId::transition(&input.id, "id")?;
        save(ctx, Some(id), TransitionFields::from(input.changes)).await
    }

    /// Editors and admins.
    async fn delete_transition(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let entry = EntryId::Transition(GlobalId::transition(&input.id, "id")?);
        delete(ctx, entry, input.id).await
    }
}
