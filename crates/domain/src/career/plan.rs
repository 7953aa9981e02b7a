//! Career paths and role recommendations: the stored role graph and a
//! person's skills handed to the pure `planner`, its answers filled in
//! with the roles, transitions and skills they name.

use crate::freshness::{Key, read};
use std::collections::HashMap;

use waypost_db as db;
use waypost_db::queries::career;
use waypost_db::{DbPool, SkillId};

use super::MAX_LIST;
use super::model::{JobRole, Skill, Transition};
use super::planner::{self, Edge, PathOutcome, Requirement, RoleNode};
use crate::fields::quoted;
use crate::paging::page_size;
use crate::{DomainError, DomainResult};

/// A skill someone has, at a proficiency from 1 to 5.
#[derive(Debug, Clone)]
pub struct SkillLevel {
    pub skill: String,
    pub proficiency: i32,
}

/// A skill to acquire or improve.
#[derive(Debug, Clone)]
pub struct SkillGap {
    pub skill: Skill,
    pub required: i32,
    pub current: i32,
}

#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub role: JobRole,
    pub transition: Transition,
    pub gaps: Vec<SkillGap>,
}

#[derive(Debug, Clone)]
pub struct CareerPlan {
    pub steps: Vec<PlannedStep>,
    pub total_months: i64,
    /// Why there are no steps, when there are none.
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RoleMatch {
    pub role: JobRole,
    pub coverage: f64,
    pub missing: Vec<SkillGap>,
}

/// The whole role graph, as the planner sees it.
struct Graph {
    roles: Vec<db::JobRole>,
    nodes: Vec<RoleNode>,
    transitions: Vec<db::Transition>,
    edges: Vec<Edge>,
}

async fn graph(pool: &DbPool) -> DomainResult<Graph> {
    let mut conn = pool.get().await?;
    let roles = career::all_roles(&mut conn).await?;
    let requirements = career::requirements(&mut conn, None).await?;
    let transitions = career::all_transitions(&mut conn).await?;
    let nodes = roles
        .iter()
        .map(|role| RoleNode {
            id: role.id.0,
            slug: role.slug.clone(),
            required: requirements
                .iter()
                .filter(|r| r.role_id == role.id)
                .map(|r| Requirement {
                    skill: r.skill_id.0,
                    proficiency: u8::try_from(r.proficiency).unwrap_or(5),
                })
                .collect(),
        })
        .collect();
    let edges = transitions
        .iter()
        .map(|t| Edge {
            id: t.id.0,
            from: t.from_role_id.0,
            to: t.to_role_id.0,
            months: u32::try_from(t.months).unwrap_or(1),
        })
        .collect();
    Ok(Graph {
        roles,
        nodes,
        transitions,
        edges,
    })
}

/// Checks the known skills and maps them by skill id.
async fn known_skills(pool: &DbPool, known: &[SkillLevel]) -> DomainResult<HashMap<i64, u8>> {
    if known.len() > MAX_LIST {
        return Err(DomainError::bad_input(
            "knownSkills",
            format!("list at most {MAX_LIST} skills"),
        ));
    }
    let slugs: Vec<String> = known.iter().map(|k| k.skill.clone()).collect();
    let found = career::skills_by_slugs(&mut pool.get().await?, &slugs).await?;
    let mut map = HashMap::new();
    for level in known {
        let skill = found
            .iter()
            .find(|s| s.slug == level.skill)
            .ok_or_else(|| {
                DomainError::bad_input("knownSkills", format!("no skill {}", quoted(&level.skill)))
            })?;
        let proficiency = u8::try_from(level.proficiency)
            .ok()
            .filter(|p| (1..=5).contains(p))
            .ok_or_else(|| DomainError::bad_input("knownSkills", "proficiency runs from 1 to 5"))?;
        if map.insert(skill.id.0, proficiency).is_some() {
            return Err(DomainError::bad_input(
                "knownSkills",
                format!("{} is listed twice", quoted(&level.skill)),
            ));
        }
    }
    Ok(map)
}

/// Skills of the gaps, read in one statement.
async fn gaps(pool: &DbPool, gaps: &[Vec<planner::Gap>]) -> DomainResult<Vec<Vec<SkillGap>>> {
    let mut ids: Vec<SkillId> = gaps.iter().flatten().map(|g| SkillId(g.skill)).collect();
    ids.sort();
    ids.dedup();
    let skills = if ids.is_empty() {
        Vec::new()
    } else {
        career::skills_by_ids(&mut pool.get().await?, &ids).await?
    };
    Ok(gaps
        .iter()
        .map(|list| {
            list.iter()
                .filter_map(|g| {
                    let skill = Skill::from(skills.iter().find(|s| s.id.0 == g.skill)?.clone());
                    Some(SkillGap {
                        skill,
                        required: i32::from(g.required),
                        current: i32::from(g.current),
                    })
                })
                .collect()
        })
        .collect())
}

fn role_by<'a>(
    roles: &'a [db::JobRole],
    slug: &str,
    field: &'static str,
) -> DomainResult<&'a db::JobRole> {
    roles
        .iter()
        .find(|r| r.slug == slug)
        .ok_or_else(|| DomainError::bad_input(field, format!("no role {}", quoted(slug))))
}

/// The shortest progression from role `from` to role `to` (fewest
/// transitions, then fewest months, then by slug), with the skills each
/// step asks for beyond what is known or learned on the way.
pub async fn career_path(
    pool: &DbPool,
    from: &str,
    to: &str,
    known: &[SkillLevel],
) -> DomainResult<CareerPlan> {
    read(Key::Career);
    let graph = graph(pool).await?;
    let start = role_by(&graph.roles, from, "from")?.clone();
    let goal = role_by(&graph.roles, to, "to")?.clone();
    let mut known = known_skills(pool, known).await?;
    // Someone in a role has what it requires.
    if let Some(node) = graph.nodes.iter().find(|n| n.id == start.id.0) {
        for req in &node.required {
            let level = known.entry(req.skill).or_insert(0);
            *level = (*level).max(req.proficiency);
        }
    }
    let plan = planner::plan(&graph.nodes, &graph.edges, start.id.0, goal.id.0, &known);
    let steps = match plan.outcome {
        PathOutcome::AlreadyThere => {
            return Ok(CareerPlan {
                steps: Vec::new(),
                total_months: 0,
                reason: Some(format!("you are already a {}", goal.title)),
            });
        }
        PathOutcome::Unreachable => {
            return Ok(CareerPlan {
                steps: Vec::new(),
                total_months: 0,
                reason: Some(format!(
                    "no known progression leads from {} to {}",
                    start.title, goal.title
                )),
            });
        }
        PathOutcome::Found(steps) => steps,
    };
    let all_gaps: Vec<Vec<planner::Gap>> = steps.iter().map(|s| s.gaps.clone()).collect();
    let filled = gaps(pool, &all_gaps).await?;
    let steps = steps
        .iter()
        .zip(filled)
        .filter_map(|(step, gaps)| {
            Some(PlannedStep {
                role: JobRole::from(graph.roles.iter().find(|r| r.id.0 == step.role)?.clone()),
                transition: Transition::from(
                    graph
                        .transitions
                        .iter()
                        .find(|t| t.id.0 == step.transition)?
                        .clone(),
                ),
                gaps,
            })
        })
        .collect();
    Ok(CareerPlan {
        steps,
        total_months: i64::from(plan.total_months),
        reason: None,
    })
}

/// Roles ranked by how much of their requirements `known` covers.
pub async fn recommend_roles(
    pool: &DbPool,
    known: &[SkillLevel],
    first: Option<i32>,
) -> DomainResult<Vec<RoleMatch>> {
    read(Key::Career);
    let first = usize::try_from(page_size("first", first.unwrap_or(5))?).unwrap_or(5);
    let graph = graph(pool).await?;
    let known = known_skills(pool, known).await?;
    let ranked = planner::recommend(&graph.nodes, &known, first);
    let all_gaps: Vec<Vec<planner::Gap>> = ranked.iter().map(|r| r.missing.clone()).collect();
    let filled = gaps(pool, &all_gaps).await?;
    Ok(ranked
        .iter()
        .zip(filled)
        .filter_map(|(r, missing)| {
            Some(RoleMatch {
                role: JobRole::from(graph.roles.iter().find(|role| role.id.0 == r.role)?.clone()),
                coverage: r.coverage,
                missing,
            })
        })
        .collect())
}
