//! Career-path guides over GraphQL: guides, skills, roles and transitions,
//! the career planner, and the editors' mutations. Every fan-out goes
//! through the request's loader, so a guide page runs a fixed number of
//! statements whatever its lists hold.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use waypost_domain::career::{
    self, EntryId, GuideFields, GuideSkillInput, Page, RoleFields, SkillFields, SkillGap,
    SkillLevel, TransitionFields,
};
use waypost_domain::editorial::FieldError;
use waypost_domain::{
    Guide, GuideSkill, GuideStatus, Importance, JobRole, Seniority, Skill, SkillCategory,
    Transition,
};

use super::account::UserError;
use super::connection::{PageInfo, page_cost};
use super::editorial::DeletePayload;
use super::profile::DeleteInput;
use super::{AuthorObject, GlobalId, PostObject, request_context};
use crate::error::GqlResultExt;
use crate::loaders::{
    GuidesTeaching, PostsOfGuide, RelatedSkillsOf, RequiredSkill, RequirementsOf, RolesOfGuide,
    RolesRequiring, SkillsOfGuide, TransitionsFrom, TransitionsInto,
};

/// Mirrors a storage enum as a GraphQL enum, both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident($graphql:literal) <=> $stored:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        #[graphql(name = $graphql)]
        pub enum $name {
            $($variant),+
        }

        impl From<$stored> for $name {
            fn from(value: $stored) -> Self {
                match value {
                    $($stored::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $stored {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $stored::$variant),+
                }
            }
        }
    };
}

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

/// What a planner question costs against the query budget: it reads the
/// whole role graph, so a query cannot alias hundreds of them.
const PLANNER_COST: usize = 1_000;

/// What an unpaged list of catalogue entries costs: its contents this many
/// times. The lists are short (a guide's skills, a role's next roles), but
/// they nest into one another (a skill's guides' skills' roles…), and
/// without a price a query could multiply them past any page limit.
const LIST_COST: usize = 20;

fn years(months: i64) -> f64 {
    months as f64 / 12.0
}

// ---- objects ----

pub struct GuideObject(pub Guide);

#[derive(SimpleObject)]
pub struct GuideSection {
    pub heading: String,
    /// As written, for editing.
    pub markdown: String,
    /// Rendered from Markdown and sanitized.
    pub html: String,
}

#[derive(SimpleObject)]
pub struct GuideReason {
    pub title: String,
    pub text: String,
}

#[Object(name = "Guide")]
impl GuideObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Guide(self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The field of work, e.g. "Back-end engineering".
    async fn field(&self) -> &str {
        &self.0.field
    }
    async fn summary(&self) -> &str {
        &self.0.summary
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
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(SkillsOfGuide(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(GuideSkillObject)
            .collect())
    }
    /// The roles the guide leads to.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoleObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(RolesOfGuide(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(RoleObject)
            .collect())
    }
    /// Published posts on the same subject.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn related_posts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PostObject>> {
        let loader = &request_context(ctx)?.loader;
        let ids = loader
            .load_one(PostsOfGuide(self.0.id))
            .await
            .gql()?
            .unwrap_or_default();
        let live = loader.load_many(ids.iter().copied()).await.gql()?;
        Ok(ids
            .iter()
            .filter_map(|id| live.get(id).cloned().map(PostObject))
            .collect())
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AuthorObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(self.0.author_id)
            .await
            .gql()?
            .map(AuthorObject))
    }
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<GuideStatusEnum> {
        let now = request_context(ctx)?.now;
        Ok(match self.0.status {
            GuideStatus::Draft => GuideStatusEnum::Draft,
            GuideStatus::Published if career::guide_is_live(&self.0, now) => {
                GuideStatusEnum::Published
            }
            GuideStatus::Published => GuideStatusEnum::Scheduled,
        })
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.map(|at| at.and_utc())
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.and_utc()
    }
}

pub struct GuideSkillObject(GuideSkill);

#[Object(name = "GuideSkill")]
impl GuideSkillObject {
    async fn importance(&self) -> ImportanceEnum {
        self.0.importance.into()
    }
    /// Why and how far the skill matters here.
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn skill(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SkillObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(self.0.skill_id)
            .await
            .gql()?
            .map(SkillObject))
    }
}

pub struct SkillObject(pub Skill);

#[Object(name = "Skill")]
impl SkillObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Skill(self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn category(&self) -> SkillCategoryEnum {
        self.0.category.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Skills that go with this one (Django with Python, say).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn related_skills(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SkillObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(RelatedSkillsOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(SkillObject)
            .collect())
    }
    /// Published guides that teach it.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn guides(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GuideObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(GuidesTeaching(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(GuideObject)
            .collect())
    }
    /// Roles that require it.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoleObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(RolesRequiring(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(RoleObject)
            .collect())
    }
}

pub struct RoleObject(pub JobRole);

/// A skill a role requires, and how well.
pub struct SkillRequirement(waypost_domain::RoleSkill);

#[Object]
impl SkillRequirement {
    /// From 1 (aware of it) to 5 (expert).
    async fn proficiency(&self) -> i32 {
        self.0.proficiency
    }
    async fn skill(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SkillObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(RequiredSkill(self.0.skill_id))
            .await
            .gql()?
            .map(SkillObject))
    }
}

#[Object(name = "Role")]
impl RoleObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Role(self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn seniority(&self) -> SeniorityEnum {
        self.0.seniority.into()
    }
    async fn summary(&self) -> &str {
        &self.0.summary
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
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(RequirementsOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(SkillRequirement)
            .collect())
    }
    /// Where people in this role typically move next, quickest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn next_roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TransitionObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(TransitionsFrom(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(TransitionObject)
            .collect())
    }
    /// Where people typically come to this role from, quickest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn previous_roles(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<TransitionObject>> {
        let loader = &request_context(ctx)?.loader;
        let rows = loader.load_one(TransitionsInto(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(TransitionObject)
            .collect())
    }
}

pub struct TransitionObject(pub Transition);

/// A typical move from one role to another.
#[Object(name = "Transition")]
impl TransitionObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Transition(self.0.id).encode()
    }
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RoleObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(self.0.from_role_id)
            .await
            .gql()?
            .map(RoleObject))
    }
    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RoleObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(self.0.to_role_id)
            .await
            .gql()?
            .map(RoleObject))
    }
    /// How long the move typically takes.
    async fn typical_years(&self) -> f64 {
        years(i64::from(self.0.months))
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
}

/// A skill to acquire or improve.
#[derive(SimpleObject)]
#[graphql(name = "SkillGap")]
pub struct SkillGapObject {
    pub skill: SkillObject,
    pub required_proficiency: i32,
    /// 0 when the skill is not known at all.
    pub current_proficiency: i32,
}

fn gap_objects(gaps: Vec<SkillGap>) -> Vec<SkillGapObject> {
    gaps.into_iter()
        .map(|g| SkillGapObject {
            skill: SkillObject(g.skill),
            required_proficiency: g.required,
            current_proficiency: g.current,
        })
        .collect()
}

/// One move of a career path: the transition taken, the role it reaches,
/// and what that role asks beyond what is known by then.
#[derive(SimpleObject)]
pub struct CareerStep {
    pub role: RoleObject,
    pub transition: TransitionObject,
    pub skills_to_acquire: Vec<SkillGapObject>,
}

#[derive(SimpleObject)]
pub struct CareerPath {
    pub steps: Vec<CareerStep>,
    pub total_years: f64,
    /// Why there are no steps, when there are none.
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct RoleRecommendation {
    pub role: RoleObject,
    /// How much of the role's requirements the known skills cover, 0 to 1.
    pub coverage: f64,
    pub missing_skills: Vec<SkillGapObject>,
}

// ---- connections ----

macro_rules! connection {
    ($conn:ident, $edge:ident, $object:ident, $row:ty, $cursor:expr) => {
        pub struct $conn {
            page: Page<$row>,
            total: i64,
        }

        #[derive(SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $object,
        }

        #[Object]
        impl $conn {
            async fn edges(&self) -> Vec<$edge> {
                let cursor = $cursor;
                self.page
                    .items
                    .iter()
                    .map(|row| $edge {
                        cursor: cursor(row),
                        node: $object(row.clone()),
                    })
                    .collect()
            }
            async fn nodes(&self) -> Vec<$object> {
                self.page.items.iter().cloned().map($object).collect()
            }
            async fn page_info(&self) -> PageInfo {
                let cursor = $cursor;
                PageInfo {
                    has_next_page: self.page.has_next_page,
                    has_previous_page: self.page.has_previous_page,
                    start_cursor: self.page.items.first().map(cursor),
                    end_cursor: self.page.items.last().map(cursor),
                }
            }
            async fn total_count(&self) -> i32 {
                i32::try_from(self.total).unwrap_or(i32::MAX)
            }
        }
    };
}

connection!(
    GuideConnection,
    GuideEdge,
    GuideObject,
    Guide,
    |g: &Guide| { career::guide_cursor(g) }
);
connection!(
    SkillConnection,
    SkillEdge,
    SkillObject,
    Skill,
    |s: &Skill| { career::slug_cursor(&s.slug) }
);
connection!(
    RoleConnection,
    RoleEdge,
    RoleObject,
    JobRole,
    |r: &JobRole| { career::slug_cursor(&r.slug) }
);

#[derive(InputObject, Default)]
pub struct GuideFilterInput {
    pub field: Option<String>,
}

#[derive(InputObject, Default)]
pub struct SkillFilterInput {
    pub category: Option<SkillCategoryEnum>,
}

#[derive(InputObject, Clone)]
pub struct SkillLevelInput {
    /// A skill slug.
    pub skill: String,
    /// From 1 to 5.
    pub proficiency: i32,
}

fn levels(input: Vec<SkillLevelInput>) -> Vec<SkillLevel> {
    input
        .into_iter()
        .map(|l| SkillLevel {
            skill: l.skill,
            proficiency: l.proficiency,
        })
        .collect()
}

#[derive(Default)]
pub struct CareerQuery;

#[Object]
impl CareerQuery {
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

    async fn skill(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<SkillObject>> {
        let rc = request_context(ctx)?;
        Ok(career::skill_by_slug(&rc.pool, &slug)
            .await
            .gql()?
            .map(SkillObject))
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
        let rc = request_context(ctx)?;
        Ok(career::role_by_slug(&rc.pool, &slug)
            .await
            .gql()?
            .map(RoleObject))
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

    /// The shortest progression from one role to another (fewest moves,
    /// then fewest years, then by slug), with the skills each step asks
    /// for beyond what you know or will have learned by then. The skills
    /// the starting role requires count as known already, at the level it
    /// requires (or yours in `knownSkills`, when that is higher). No path:
    /// empty `steps` and a `reason`.
    #[graphql(complexity = "PLANNER_COST + child_complexity")]
    async fn career_path(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        known_skills: Option<Vec<SkillLevelInput>>,
    ) -> async_graphql::Result<CareerPath> {
        let rc = request_context(ctx)?;
        let plan = career::career_path(
            &rc.pool,
            &from,
            &to,
            &levels(known_skills.unwrap_or_default()),
        )
        .await
        .gql()?;
        Ok(CareerPath {
            total_years: years(plan.total_months),
            reason: plan.reason,
            steps: plan
                .steps
                .into_iter()
                .map(|s| CareerStep {
                    role: RoleObject(s.role),
                    transition: TransitionObject(s.transition),
                    skills_to_acquire: gap_objects(s.gaps),
                })
                .collect(),
        })
    }

    /// Roles ranked by how much of their requirements your skills cover.
    #[graphql(complexity = "PLANNER_COST + child_complexity")]
    async fn recommend_roles(
        &self,
        ctx: &Context<'_>,
        known_skills: Vec<SkillLevelInput>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<RoleRecommendation>> {
        let rc = request_context(ctx)?;
        let ranked = career::recommend_roles(&rc.pool, &levels(known_skills), first)
            .await
            .gql()?;
        Ok(ranked
            .into_iter()
            .map(|m| RoleRecommendation {
                role: RoleObject(m.role),
                coverage: m.coverage,
                missing_skills: gap_objects(m.missing),
            })
            .collect())
    }
}

// ---- mutations ----

fn user_errors(errors: Vec<FieldError>) -> Vec<UserError> {
    errors.into_iter().map(UserError::from).collect()
}

macro_rules! payload {
    ($payload:ident, $field:ident, $object:ident) => {
        #[derive(SimpleObject)]
        pub struct $payload {
            pub $field: Option<$object>,
            pub user_errors: Vec<UserError>,
        }

        impl<T> From<Result<T, Vec<FieldError>>> for $payload
        where
            $object: From<T>,
        {
            fn from(result: Result<T, Vec<FieldError>>) -> Self {
                match result {
                    Ok(value) => $payload {
                        $field: Some(value.into()),
                        user_errors: Vec::new(),
                    },
                    Err(errors) => $payload {
                        $field: None,
                        user_errors: user_errors(errors),
                    },
                }
            }
        }
    };
}

impl From<Skill> for SkillObject {
    fn from(skill: Skill) -> Self {
        SkillObject(skill)
    }
}
impl From<JobRole> for RoleObject {
    fn from(role: JobRole) -> Self {
        RoleObject(role)
    }
}
impl From<Transition> for TransitionObject {
    fn from(transition: Transition) -> Self {
        TransitionObject(transition)
    }
}
impl From<Guide> for GuideObject {
    fn from(guide: Guide) -> Self {
        GuideObject(guide)
    }
}

payload!(SkillPayload, skill, SkillObject);
payload!(RolePayload, role, RoleObject);
payload!(TransitionPayload, transition, TransitionObject);
payload!(GuidePayload, guide, GuideObject);

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
pub struct UpdateSkillInput {
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
pub struct UpdateRoleInput {
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
pub struct UpdateTransitionInput {
    pub id: ID,
    pub changes: TransitionInput,
}

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
pub struct UpdateGuideInput {
    pub id: ID,
    pub changes: GuideInput,
}

#[derive(InputObject)]
pub struct PublishGuideInput {
    pub id: ID,
    /// A future instant schedules the guide; left out: now.
    pub publish_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct CareerMutation;

#[Object]
impl CareerMutation {
    /// Editors and admins.
    async fn create_skill(
        &self,
        ctx: &Context<'_>,
        input: SkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let rc = request_context(ctx)?;
        Ok(career::save(
            &rc.pool,
            rc.viewer.as_ref(),
            None,
            SkillFields::from(input),
            rc.now,
        )
        .await
        .gql()?
        .into())
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_skill(
        &self,
        ctx: &Context<'_>,
        input: UpdateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::skill(&input.id, "id")?;
        Ok(career::save(
            &rc.pool,
            rc.viewer.as_ref(),
            Some(id),
            SkillFields::from(input.changes),
            rc.now,
        )
        .await
        .gql()?
        .into())
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
        let rc = request_context(ctx)?;
        Ok(career::save(
            &rc.pool,
            rc.viewer.as_ref(),
            None,
            RoleFields::from(input),
            rc.now,
        )
        .await
        .gql()?
        .into())
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateRoleInput,
    ) -> async_graphql::Result<RolePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::role(&input.id, "id")?;
        Ok(career::save(
            &rc.pool,
            rc.viewer.as_ref(),
            Some(id),
            RoleFields::from(input.changes),
            rc.now,
        )
        .await
        .gql()?
        .into())
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
        let rc = request_context(ctx)?;
        let fields = TransitionFields::from(input);
        Ok(
            career::save(&rc.pool, rc.viewer.as_ref(), None, fields, rc.now)
                .await
                .gql()?
                .into(),
        )
    }

    /// Editors and admins; fields left out keep their value.
    async fn update_transition(
        &self,
        ctx: &Context<'_>,
        input: UpdateTransitionInput,
    ) -> async_graphql::Result<TransitionPayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::transition(&input.id, "id")?;
        let fields = TransitionFields::from(input.changes);
        Ok(
            career::save(&rc.pool, rc.viewer.as_ref(), Some(id), fields, rc.now)
                .await
                .gql()?
                .into(),
        )
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

    /// Writes a new draft guide (authors as themselves, editors as anyone).
    async fn create_guide(
        &self,
        ctx: &Context<'_>,
        input: GuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        let rc = request_context(ctx)?;
        let fields = GuideFields::from(input);
        Ok(
            career::save(&rc.pool, rc.viewer.as_ref(), None, fields, rc.now)
                .await
                .gql()?
                .into(),
        )
    }

    /// Edits a guide (its author, or editors); lists given replace the
    /// stored ones, fields left out keep their value.
    async fn update_guide(
        &self,
        ctx: &Context<'_>,
        input: UpdateGuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::guide(&input.id, "id")?;
        let fields = GuideFields::from(input.changes);
        Ok(
            career::save(&rc.pool, rc.viewer.as_ref(), Some(id), fields, rc.now)
                .await
                .gql()?
                .into(),
        )
    }

    /// Publishes a guide now, or schedules it.
    async fn publish_guide(
        &self,
        ctx: &Context<'_>,
        input: PublishGuideInput,
    ) -> async_graphql::Result<GuidePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::guide(&input.id, "id")?;
        let at = input.publish_at.map(|at| at.naive_utc());
        let guide = career::set_guide_published(&rc.pool, rc.viewer.as_ref(), id, true, at, rc.now)
            .await
            .gql()?;
        Ok(guide.into())
    }

    /// Takes a guide back to draft.
    async fn unpublish_guide(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<GuidePayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::guide(&input.id, "id")?;
        let guide =
            career::set_guide_published(&rc.pool, rc.viewer.as_ref(), id, false, None, rc.now)
                .await
                .gql()?;
        Ok(guide.into())
    }

    /// Editors and admins.
    async fn delete_guide(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> async_graphql::Result<DeletePayload> {
        let id = GlobalId::guide(&input.id, "id")?;
        delete(ctx, EntryId::Guide(id), input.id).await
    }
}

async fn delete(ctx: &Context<'_>, entry: EntryId, id: ID) -> async_graphql::Result<DeletePayload> {
    let rc = request_context(ctx)?;
    let deleted = career::delete(&rc.pool, rc.viewer.as_ref(), entry)
        .await
        .gql()?;
    Ok(deleted_payload(deleted, id))
}

/// As for posts: the id when something was deleted, `null` when nothing
/// had it (deleting twice is no error).
fn deleted_payload(deleted: bool, id: ID) -> DeletePayload {
    DeletePayload {
        deleted_id: deleted.then_some(id),
        user_errors: Vec::new(),
    }
}
