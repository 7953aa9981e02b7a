//! The career planner over GraphQL: the shortest path from one role to
//! another and the roles a person's skills suit, with the gaps to close.

use async_graphql::{Context, Object, SimpleObject};
use waypost_domain::career::{self, SkillGap};

use super::catalogue::{RoleObject, SkillObject, TransitionObject};
use super::{SkillLevelInput, levels, years};
use crate::error::GqlResultExt;
use crate::schema::request_context;

/// What a planner question costs against the query budget: it reads the
/// whole role graph, so a query cannot alias hundreds of them.
const PLANNER_COST: usize = 1_000;

/// A skill to acquire or improve.
#[derive(SimpleObject)]
#[graphql(name = "SkillGap")]
pub(crate) struct SkillGapObject {
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
pub(crate) struct CareerStep {
    pub role: RoleObject,
    pub transition: TransitionObject,
    pub skills_to_acquire: Vec<SkillGapObject>,
}

#[derive(SimpleObject)]
pub(crate) struct CareerPath {
    pub steps: Vec<CareerStep>,
    pub total_years: f64,
    /// Why there are no steps, when there are none.
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub(crate) struct RoleRecommendation {
    pub role: RoleObject,
    /// How much of the role's requirements the known skills cover, 0 to 1.
    pub coverage: f64,
    pub missing_skills: Vec<SkillGapObject>,
}

#[derive(Default)]
pub(super) struct PlannerQuery;

#[Object]
impl PlannerQuery {
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
