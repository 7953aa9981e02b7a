//! Career-path guides: skills, roles and the transitions between them,
//! guides that tie them together, and the planner's questions ("how do I
//! get from here to there", "which roles suit what I know") answered over
//! the stored graph with the pure `planner`.

mod planner;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use waypost_db::queries::{author as author_queries, career, post as post_queries};
use waypost_db::{
    DbError, DbPool, Guide, GuideForm, GuideId, GuideSkill, GuideStatus, Importance, JobRole,
    JobRoleForm, PostId, RoleId, Seniority, Skill, SkillCategory, SkillForm, SkillId, Transition,
    TransitionForm, TransitionId,
};

use crate::account::Viewer;
use crate::clock::stored_instant;
use crate::editorial::{FieldError, slugify};
use crate::paging::{DEFAULT_PAGE_SIZE, page_size};
use crate::policy::{Action, allows, authorize, post_author};
use crate::profile::{
    MAX_NAME_CHARS, MAX_TEXT_CHARS, Written, invalid, long_text, quoted, short_text, slug_taken,
};
use crate::render::markdown_to_html;
use crate::{DomainError, DomainResult};
use planner::{Edge, PathOutcome, Requirement, RoleNode};

const MAX_BODY_CHARS: usize = 50_000;
const MAX_LIST: usize = 100;

// ---- stored lists ----

/// A titled part of a guide's body.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub heading: String,
    pub markdown: String,
    /// Rendered and sanitized when the guide is written.
    pub html: String,
}

/// One of a guide's reasons to choose its field.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    pub title: String,
    pub text: String,
}

fn read_list<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_else(|err| {
        tracing::error!(error = %err, what, "unreadable stored list");
        Vec::new()
    })
}

pub fn sections(guide: &Guide) -> Vec<Section> {
    read_list(&guide.sections, "guide sections")
}

/// A guide's sections as plain text, which search reads as its body.
pub fn search_text(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| format!("{}\n{}", s.heading, crate::render::plain_text(&s.markdown)))
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn reasons(guide: &Guide) -> Vec<Reason> {
    read_list(&guide.reasons, "guide reasons")
}

pub fn responsibilities(role: &JobRole) -> Vec<String> {
    read_list(&role.responsibilities, "role responsibilities")
}

fn write_list<T: serde::Serialize>(items: &[T]) -> DomainResult<String> {
    serde_json::to_string(items).map_err(|err| {
        tracing::error!(error = %err, "cannot store a list");
        DomainError::Fault("a list could not be stored")
    })
}

// ---- reading ----

/// Whether the public sees `guide` at `now`.
pub fn guide_is_live(guide: &Guide, now: NaiveDateTime) -> bool {
    guide.status == GuideStatus::Published && guide.published_at.is_some_and(|at| at <= now)
}

fn visible(guide: &Guide, viewer: Option<&Viewer>, now: NaiveDateTime) -> bool {
    guide_is_live(guide, now)
        || allows(
            viewer,
            Action::ReadUnpublished {
                owner: guide.author_id,
            },
        )
}

/// A guide by slug: a live one for anyone, a draft or scheduled one for
/// those who may read its author's unpublished work.
pub async fn guide_by_slug(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    slug: &str,
    now: NaiveDateTime,
) -> DomainResult<Option<Guide>> {
    let guide = career::guide_by_slug(&mut pool.get().await?, slug).await?;
    Ok(guide.filter(|g| visible(g, viewer, now)))
}

pub async fn guide_by_id(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: GuideId,
    now: NaiveDateTime,
) -> DomainResult<Option<Guide>> {
    let guide = career::guides_by_ids(&mut pool.get().await?, &[id])
        .await?
        .pop();
    Ok(guide.filter(|g| visible(g, viewer, now)))
}

pub async fn skill_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<Skill>> {
    let found = career::skills_by_slugs(&mut pool.get().await?, &[slug.to_owned()]).await?;
    Ok(found.into_iter().next())
}

pub async fn role_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<JobRole>> {
    let found = career::roles_by_slugs(&mut pool.get().await?, &[slug.to_owned()]).await?;
    Ok(found.into_iter().next())
}

/// One page of a list, and whether more follows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

fn page_of<T>(mut items: Vec<T>, limit: i64, after: bool) -> Page<T> {
    let has_next_page = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    Page {
        items,
        has_next_page,
        has_previous_page: after,
    }
}

const SLUG_CURSOR: &str = "s1:";
const GUIDE_CURSOR: &str = "g1:";

/// The cursor of a skill or role: its slug, opaque.
pub fn slug_cursor(slug: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{SLUG_CURSOR}{slug}"))
}

fn decode(cursor: &str) -> DomainResult<String> {
    let bad = || DomainError::bad_input("after", "this cursor is not one Waypost issued");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

fn slug_after(after: Option<&str>) -> DomainResult<Option<String>> {
    after
        .map(|cursor| {
            decode(cursor)?
                .strip_prefix(SLUG_CURSOR)
                .map(str::to_owned)
                .ok_or_else(|| {
                    DomainError::bad_input("after", "this cursor is not one Waypost issued")
                })
        })
        .transpose()
}

/// The cursor of a guide in the newest-first listing.
pub fn guide_cursor(guide: &Guide) -> String {
    let at = guide
        .published_at
        .map_or(0, |at| at.and_utc().timestamp_micros());
    URL_SAFE_NO_PAD.encode(format!("{GUIDE_CURSOR}{at}:{}", guide.id.0))
}

fn guide_after(after: Option<&str>) -> DomainResult<Option<(NaiveDateTime, GuideId)>> {
    let bad = || DomainError::bad_input("after", "this cursor is not one Waypost issued");
    after
        .map(|cursor| {
            let text = decode(cursor)?;
            let (at, id) = text
                .strip_prefix(GUIDE_CURSOR)
                .and_then(|rest| rest.split_once(':'))
                .ok_or_else(bad)?;
            let at = at
                .parse::<i64>()
                .ok()
                .and_then(chrono::DateTime::from_timestamp_micros)
                .ok_or_else(bad)?;
            let id = id.parse::<i64>().map_err(|_| bad())?;
            Ok((at.naive_utc(), GuideId(id)))
        })
        .transpose()
}

fn limit(first: Option<i32>) -> DomainResult<i64> {
    page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))
}

pub async fn guides_page(
    pool: &DbPool,
    field: Option<&str>,
    first: Option<i32>,
    after: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<Page<Guide>> {
    let limit = limit(first)?;
    let key = guide_after(after)?;
    let rows = career::guides_page(&mut pool.get().await?, field, key, limit + 1, now).await?;
    Ok(page_of(rows, limit, after.is_some()))
}

pub async fn count_guides(
    pool: &DbPool,
    field: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<i64> {
    Ok(career::count_guides(&mut pool.get().await?, field, now).await?)
}

pub async fn skills_page(
    pool: &DbPool,
    category: Option<SkillCategory>,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<Page<Skill>> {
    let limit = limit(first)?;
    let key = slug_after(after)?;
    let rows =
        career::skills_page(&mut pool.get().await?, category, key.as_deref(), limit + 1).await?;
    Ok(page_of(rows, limit, after.is_some()))
}

pub async fn count_skills(pool: &DbPool, category: Option<SkillCategory>) -> DomainResult<i64> {
    Ok(career::count_skills(&mut pool.get().await?, category).await?)
}

pub async fn roles_page(
    pool: &DbPool,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<Page<JobRole>> {
    let limit = limit(first)?;
    let key = slug_after(after)?;
    let rows = career::roles_page(&mut pool.get().await?, key.as_deref(), limit + 1).await?;
    Ok(page_of(rows, limit, after.is_some()))
}

pub async fn count_roles(pool: &DbPool) -> DomainResult<i64> {
    Ok(career::count_roles(&mut pool.get().await?).await?)
}

// ---- the planner ----

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
    roles: Vec<JobRole>,
    nodes: Vec<RoleNode>,
    transitions: Vec<Transition>,
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
                    let skill = skills.iter().find(|s| s.id.0 == g.skill)?.clone();
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

fn role_by<'a>(roles: &'a [JobRole], slug: &str, field: &'static str) -> DomainResult<&'a JobRole> {
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
                role: graph.roles.iter().find(|r| r.id.0 == step.role)?.clone(),
                transition: graph
                    .transitions
                    .iter()
                    .find(|t| t.id.0 == step.transition)?
                    .clone(),
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
                role: graph.roles.iter().find(|role| role.id.0 == r.role)?.clone(),
                coverage: r.coverage,
                missing,
            })
        })
        .collect())
}

// ---- writing ----

fn slug_of(explicit: Option<&str>, title: &str, errors: &mut Vec<FieldError>) -> String {
    match explicit {
        Some(raw) => {
            let raw = raw.trim();
            if raw.is_empty() || slugify(raw) != raw || raw.len() > MAX_NAME_CHARS {
                errors.push(invalid(
                    "slug",
                    "use lowercase letters, digits and single dashes",
                ));
            }
            raw.to_owned()
        }
        None => {
            let made = slugify(title);
            if made.is_empty() && !title.trim().is_empty() {
                errors.push(invalid(
                    "slug",
                    "give a slug: the title has no letters or digits",
                ));
            }
            made
        }
    }
}

fn list_cap<T>(field: &'static str, items: &[T], errors: &mut Vec<FieldError>) {
    if items.len() > MAX_LIST {
        errors.push(invalid(field, format!("list at most {MAX_LIST} items")));
    }
}

/// The outcome of a save: what was stored, NOT_FOUND when the id named
/// nothing, or `clash` when a unique key (a slug, a pair) is taken.
fn saved<T>(
    result: Result<Option<T>, DbError>,
    what: &str,
    clash: impl FnOnce() -> Vec<FieldError>,
) -> Written<T> {
    match result {
        Ok(Some(value)) => Ok(Ok(value)),
        Ok(None) => Err(DomainError::NotFound(format!("no such {what}"))),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(clash())),
        // Something it names was deleted between the check and the write.
        Err(DbError::ForeignKeyViolation { .. }) => Err(DomainError::Conflict {
            field: None,
            message: format!("something this {what} names was deleted meanwhile; try again"),
        }),
        Err(err) => Err(err.into()),
    }
}

/// The one row a lookup by id found, or NOT_FOUND.
fn one<T>(rows: Vec<T>, what: &str) -> DomainResult<T> {
    rows.into_iter()
        .next()
        .ok_or_else(|| DomainError::NotFound(format!("no such {what}")))
}

/// The given text, else the stored one, else empty.
fn or_stored<'a>(given: &'a Option<String>, stored: Option<&'a str>) -> &'a str {
    given.as_deref().or(stored).unwrap_or("")
}

/// Maps slugs to ids, in order; an unknown or repeated slug is a field error.
fn resolve<T>(
    field: &'static str,
    slugs: &[String],
    found: &[T],
    slug: impl Fn(&T) -> &str,
    id: impl Fn(&T) -> i64,
    errors: &mut Vec<FieldError>,
) -> Vec<i64> {
    let mut ids = Vec::with_capacity(slugs.len());
    for wanted in slugs {
        match found.iter().find(|f| slug(f) == wanted.as_str()) {
            Some(f) if ids.contains(&id(f)) => {
                errors.push(invalid(
                    field,
                    format!("{} is listed twice", quoted(wanted)),
                ));
            }
            Some(f) => ids.push(id(f)),
            None => errors.push(invalid(field, format!("no such item {}", quoted(wanted)))),
        }
    }
    ids
}

async fn skill_ids(
    pool: &DbPool,
    field: &'static str,
    slugs: &[String],
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<SkillId>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let found = career::skills_by_slugs(&mut pool.get().await?, slugs).await?;
    Ok(
        resolve(field, slugs, &found, |s| &s.slug, |s| s.id.0, errors)
            .into_iter()
            .map(SkillId)
            .collect(),
    )
}

async fn role_ids(
    pool: &DbPool,
    field: &'static str,
    slugs: &[String],
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<RoleId>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let found = career::roles_by_slugs(&mut pool.get().await?, slugs).await?;
    Ok(
        resolve(field, slugs, &found, |r| &r.slug, |r| r.id.0, errors)
            .into_iter()
            .map(RoleId)
            .collect(),
    )
}

/// What a skill write sets; `None` keeps the stored value (a new skill
/// needs a name and a category).
#[derive(Debug, Clone, Default)]
pub struct SkillFields {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub category: Option<SkillCategory>,
    pub description: Option<String>,
    pub related: Option<Vec<String>>,
}

pub async fn save_skill(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: Option<SkillId>,
    fields: SkillFields,
    now: NaiveDateTime,
) -> Written<Skill> {
    authorize(viewer, Action::ManageCareers)?;
    let now = stored_instant(now);
    let current = match id {
        Some(id) => Some(one(
            career::skills_by_ids(&mut pool.get().await?, &[id]).await?,
            "skill",
        )?),
        None => None,
    };
    let mut errors = Vec::new();
    let name = short_text(
        "name",
        or_stored(&fields.name, current.as_ref().map(|c| c.name.as_str())),
        &mut errors,
    );
    let slug = match (&fields.slug, &current) {
        (None, Some(c)) => c.slug.clone(),
        (explicit, _) => slug_of(explicit.as_deref(), &name, &mut errors),
    };
    let category = fields.category.or(current.as_ref().map(|c| c.category));
    if category.is_none() {
        errors.push(invalid("category", "choose a category"));
    }
    let description = long_text(
        "description",
        or_stored(
            &fields.description,
            current.as_ref().map(|c| c.description.as_str()),
        ),
        MAX_TEXT_CHARS,
        &mut errors,
    );
    let related_slugs = match (&fields.related, &current) {
        (Some(slugs), _) => slugs.clone(),
        (None, Some(c)) => career::related_skills(&mut pool.get().await?, &[c.id])
            .await?
            .into_iter()
            .map(|(_, s)| s.slug)
            .collect(),
        (None, None) => Vec::new(),
    };
    list_cap("relatedSkills", &related_slugs, &mut errors);
    let related = skill_ids(pool, "relatedSkills", &related_slugs, &mut errors).await?;
    if id.is_some_and(|id| related.contains(&id)) || related_slugs.contains(&slug) {
        errors.push(invalid("relatedSkills", "a skill cannot relate to itself"));
    }
    let (Some(category), true) = (category, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let form = SkillForm {
        slug,
        name,
        category,
        description,
        updated_at: now,
    };
    saved(
        career::save_skill(&mut pool.get().await?, id, &form, &related, now).await,
        "skill",
        slug_taken,
    )
}

/// What a role write sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct RoleFields {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub seniority: Option<Seniority>,
    pub summary: Option<String>,
    pub responsibilities: Option<Vec<String>>,
    pub required: Option<Vec<SkillLevel>>,
}

pub async fn save_role(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: Option<RoleId>,
    fields: RoleFields,
    now: NaiveDateTime,
) -> Written<JobRole> {
    authorize(viewer, Action::ManageCareers)?;
    let now = stored_instant(now);
    let current = match id {
        Some(id) => Some(one(
            career::roles_by_ids(&mut pool.get().await?, &[id]).await?,
            "role",
        )?),
        None => None,
    };
    let mut errors = Vec::new();
    let title = short_text(
        "title",
        or_stored(&fields.title, current.as_ref().map(|c| c.title.as_str())),
        &mut errors,
    );
    let slug = match (&fields.slug, &current) {
        (None, Some(c)) => c.slug.clone(),
        (explicit, _) => slug_of(explicit.as_deref(), &title, &mut errors),
    };
    let seniority = fields.seniority.or(current.as_ref().map(|c| c.seniority));
    if seniority.is_none() {
        errors.push(invalid("seniority", "choose a seniority"));
    }
    let summary = long_text(
        "summary",
        or_stored(
            &fields.summary,
            current.as_ref().map(|c| c.summary.as_str()),
        ),
        MAX_TEXT_CHARS,
        &mut errors,
    );
    let responsibilities = match (fields.responsibilities, &current) {
        (Some(list), _) => list.iter().map(|r| r.trim().to_owned()).collect(),
        (None, Some(c)) => responsibilities(c),
        (None, None) => Vec::new(),
    };
    list_cap("responsibilities", &responsibilities, &mut errors);
    if responsibilities
        .iter()
        .any(|r| r.is_empty() || r.chars().count() > MAX_TEXT_CHARS)
    {
        errors.push(invalid(
            "responsibilities",
            format!("each responsibility takes 1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    let required = match (fields.required, &current) {
        (Some(levels), _) => {
            list_cap("requiredSkills", &levels, &mut errors);
            if levels.iter().any(|l| !(1..=5).contains(&l.proficiency)) {
                errors.push(invalid("requiredSkills", "proficiency runs from 1 to 5"));
            }
            let slugs: Vec<String> = levels.iter().map(|l| l.skill.clone()).collect();
            let ids = skill_ids(pool, "requiredSkills", &slugs, &mut errors).await?;
            Some(
                ids.into_iter()
                    .zip(levels.iter().map(|l| l.proficiency))
                    .collect::<Vec<_>>(),
            )
        }
        (None, Some(c)) => Some(
            career::requirements(&mut pool.get().await?, Some(&[c.id]))
                .await?
                .into_iter()
                .map(|r| (r.skill_id, r.proficiency))
                .collect(),
        ),
        (None, None) => Some(Vec::new()),
    };
    let (Some(seniority), Some(required), true) = (seniority, required, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let form = JobRoleForm {
        slug,
        title,
        seniority,
        summary,
        responsibilities: write_list(&responsibilities)?,
        updated_at: now,
    };
    saved(
        career::save_role(&mut pool.get().await?, id, &form, &required, now).await,
        "role",
        slug_taken,
    )
}

/// What a transition write sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct TransitionFields {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Typical time the move takes, in years; kept to the month.
    pub typical_years: Option<f64>,
    pub note: Option<String>,
}

pub async fn save_transition(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: Option<TransitionId>,
    fields: TransitionFields,
    now: NaiveDateTime,
) -> Written<Transition> {
    authorize(viewer, Action::ManageCareers)?;
    let now = stored_instant(now);
    let current = match id {
        Some(id) => Some(one(
            career::transitions_by_ids(&mut pool.get().await?, &[id]).await?,
            "transition",
        )?),
        None => None,
    };
    let mut errors = Vec::new();
    let mut endpoint = async |field: &'static str,
                              slug: &Option<String>,
                              stored: Option<RoleId>| match (slug, stored) {
        (Some(slug), _) => Ok(
            role_ids(pool, field, std::slice::from_ref(slug), &mut errors)
                .await?
                .pop(),
        ),
        (None, Some(id)) => Ok(Some(id)),
        (None, None) => {
            errors.push(invalid(field, "name the role"));
            Ok::<_, DomainError>(None)
        }
    };
    let from = endpoint(
        "from",
        &fields.from,
        current.as_ref().map(|c| c.from_role_id),
    )
    .await?;
    let to = endpoint("to", &fields.to, current.as_ref().map(|c| c.to_role_id)).await?;
    if from.is_some() && from == to {
        errors.push(invalid("to", "a transition leads to another role"));
    }
    let months = match fields.typical_years {
        Some(years) => {
            let months = (years * 12.0).round();
            if months.is_finite() && (1.0..=600.0).contains(&months) {
                months as i32
            } else {
                0
            }
        }
        None => current.as_ref().map_or(0, |c| c.months),
    };
    if !(1..=600).contains(&months) {
        errors.push(invalid(
            "typicalYears",
            "give at least a month and at most 50 years",
        ));
    }
    let note = long_text(
        "note",
        or_stored(&fields.note, current.as_ref().map(|c| c.note.as_str())),
        MAX_TEXT_CHARS,
        &mut errors,
    );
    let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let form = TransitionForm {
        from_role_id: from,
        to_role_id: to,
        months,
        note,
        updated_at: now,
    };
    saved(
        career::save_transition(&mut pool.get().await?, id, &form, now).await,
        "transition",
        || {
            vec![FieldError {
                field: "to",
                message: "this transition exists already".into(),
                code: "CONFLICT",
            }]
        },
    )
}

/// Which catalogue entry a delete names.
#[derive(Debug, Clone, Copy)]
pub enum CatalogueEntry {
    Skill(SkillId),
    Role(RoleId),
    Transition(TransitionId),
}

/// Deletes a skill, role or transition; guides and roles simply lose it,
/// and a role's transitions go with it. `false`: nothing had that id (as
/// with posts, deleting twice is no error).
pub async fn delete_entry(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    entry: CatalogueEntry,
) -> DomainResult<bool> {
    authorize(viewer, Action::ManageCareers)?;
    let mut conn = pool.get().await?;
    Ok(match entry {
        CatalogueEntry::Skill(id) => career::delete_skill(&mut conn, id).await?,
        CatalogueEntry::Role(id) => career::delete_role(&mut conn, id).await?,
        CatalogueEntry::Transition(id) => career::delete_transition(&mut conn, id).await?,
    })
}

/// A skill as a guide lists it.
#[derive(Debug, Clone)]
pub struct GuideSkillInput {
    pub skill: String,
    pub importance: Importance,
    pub note: String,
}

/// What a guide write sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct GuideFields {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub field: Option<String>,
    pub summary: Option<String>,
    /// (heading, Markdown)
    pub sections: Option<Vec<(String, String)>>,
    /// (title, text)
    pub reasons: Option<Vec<(String, String)>>,
    pub skills: Option<Vec<GuideSkillInput>>,
    pub roles: Option<Vec<String>>,
    pub related_posts: Option<Vec<String>>,
    /// The profile to write a new guide as: editors may name another
    /// author's; an author writes as themself.
    pub author_slug: Option<String>,
}

fn guide_sections(given: &[(String, String)], errors: &mut Vec<FieldError>) -> Vec<Section> {
    list_cap("sections", given, errors);
    given
        .iter()
        .map(|(heading, markdown)| {
            let heading = short_text("sections", heading, errors);
            let markdown = long_text("sections", markdown, MAX_BODY_CHARS, errors);
            Section {
                html: markdown_to_html(&markdown),
                heading,
                markdown,
            }
        })
        .collect()
}

fn guide_reasons(given: &[(String, String)], errors: &mut Vec<FieldError>) -> Vec<Reason> {
    list_cap("reasons", given, errors);
    given
        .iter()
        .map(|(title, text)| Reason {
            title: short_text("reasons", title, errors),
            text: long_text("reasons", text, MAX_TEXT_CHARS, errors),
        })
        .collect()
}

/// Published posts by slug, in the order given. Drafts and unknown slugs
/// read alike ("no such item"), so nothing unpublished is revealed.
async fn post_ids(
    pool: &DbPool,
    slugs: &[String],
    now: NaiveDateTime,
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<PostId>> {
    list_cap("relatedPosts", slugs, errors);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let found = post_queries::live_by_slugs(&mut pool.get().await?, slugs, now).await?;
    Ok(resolve(
        "relatedPosts",
        slugs,
        &found,
        |p| &p.slug,
        |p| p.id.0,
        errors,
    )
    .into_iter()
    .map(PostId)
    .collect())
}

/// Creates (`id` None) or edits a guide. Authors write their own guides,
/// editors anyone's, as with posts. A new guide is a draft.
pub async fn save_guide(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: Option<GuideId>,
    fields: GuideFields,
    now: NaiveDateTime,
) -> Written<Guide> {
    let now = stored_instant(now);
    let current = match id {
        Some(id) => {
            let guide = career::guides_by_ids(&mut pool.get().await?, &[id])
                .await?
                .pop()
                .ok_or_else(|| DomainError::NotFound("no such guide".into()))?;
            authorize(
                viewer,
                Action::EditPost {
                    owner: guide.author_id,
                },
            )?;
            Some(guide)
        }
        None => {
            authorize(viewer, Action::CreatePost)?;
            None
        }
    };
    let author_id = match (&current, viewer) {
        (Some(c), _) => c.author_id,
        (None, Some(viewer)) => {
            // Looked up only once the caller may write at all, so that a
            // bad slug is theirs to fix and tells a stranger nothing.
            let requested = match fields.author_slug.as_deref() {
                Some(slug) => match author_queries::by_slug(&mut pool.get().await?, slug).await? {
                    Some(author) => Some(author.id),
                    None => return Ok(Err(vec![invalid("authorSlug", "no such author")])),
                },
                None => None,
            };
            match post_author(viewer, requested) {
                Some(author) => author,
                None => {
                    return Ok(Err(vec![invalid(
                        "authorSlug",
                        "name the author profile to write as",
                    )]));
                }
            }
        }
        (None, None) => return Err(DomainError::Unauthenticated("sign in to do this")),
    };
    let mut errors = Vec::new();
    let title = short_text(
        "title",
        or_stored(&fields.title, current.as_ref().map(|c| c.title.as_str())),
        &mut errors,
    );
    if fields.slug.is_some() && !allows(viewer, Action::ChooseSlug) {
        errors.push(FieldError {
            field: "slug",
            message: "only editors choose slugs; yours comes from the title".into(),
            code: "FORBIDDEN",
        });
    }
    let slug = match (&fields.slug, &current) {
        (None, Some(c)) => c.slug.clone(),
        (explicit, _) => slug_of(explicit.as_deref(), &title, &mut errors),
    };
    let field = short_text(
        "field",
        or_stored(&fields.field, current.as_ref().map(|c| c.field.as_str())),
        &mut errors,
    );
    let summary = long_text(
        "summary",
        or_stored(
            &fields.summary,
            current.as_ref().map(|c| c.summary.as_str()),
        ),
        MAX_TEXT_CHARS,
        &mut errors,
    );
    let sections_json = match &fields.sections {
        Some(given) => write_list(&guide_sections(given, &mut errors))?,
        None => current
            .as_ref()
            .map_or_else(|| "[]".to_owned(), |c| c.sections.clone()),
    };
    let reasons_json = match &fields.reasons {
        Some(given) => write_list(&guide_reasons(given, &mut errors))?,
        None => current
            .as_ref()
            .map_or_else(|| "[]".to_owned(), |c| c.reasons.clone()),
    };
    let skills = match &fields.skills {
        Some(given) => {
            list_cap("skills", given, &mut errors);
            let slugs: Vec<String> = given.iter().map(|g| g.skill.clone()).collect();
            let ids = skill_ids(pool, "skills", &slugs, &mut errors).await?;
            let mut rows = Vec::with_capacity(ids.len());
            for ((skill_id, input), position) in ids.into_iter().zip(given).zip(0..) {
                rows.push(GuideSkill {
                    guide_id: GuideId(0),
                    skill_id,
                    importance: input.importance,
                    note: long_text("skills", &input.note, MAX_TEXT_CHARS, &mut errors),
                    position,
                });
            }
            Some(rows)
        }
        None => None,
    };
    let roles = match &fields.roles {
        Some(slugs) => {
            list_cap("roles", slugs, &mut errors);
            Some(role_ids(pool, "roles", slugs, &mut errors).await?)
        }
        None => None,
    };
    let posts = match &fields.related_posts {
        Some(slugs) => Some(post_ids(pool, slugs, now, &mut errors).await?),
        None => None,
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let form = GuideForm {
        slug,
        title,
        field,
        summary,
        search_text: search_text(&read_list::<Section>(&sections_json, "guide sections")),
        sections: sections_json,
        reasons: reasons_json,
        status: current.as_ref().map_or(GuideStatus::Draft, |c| c.status),
        author_id,
        published_at: current.as_ref().and_then(|c| c.published_at),
        updated_at: now,
    };
    let lists = career::GuideLists {
        skills,
        roles,
        posts,
    };
    saved(
        career::save_guide(&mut pool.get().await?, id, &form, &lists, now).await,
        "guide",
        slug_taken,
    )
}

/// Publishes a guide now or at `at` (a future instant schedules it), or
/// takes it back to draft (`at` ignored). As with posts, a guide that is
/// live already keeps its date, and a schedule must lie ahead. Only the
/// publication columns are written, so an edit made meanwhile stands.
pub async fn set_guide_published(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: GuideId,
    publish: bool,
    at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Written<Guide> {
    let now = stored_instant(now);
    let mut conn = pool.get().await?;
    let guide = one(career::guides_by_ids(&mut conn, &[id]).await?, "guide")?;
    authorize(
        viewer,
        Action::EditPost {
            owner: guide.author_id,
        },
    )?;
    let (status, published_at) = match (publish, at.map(stored_instant)) {
        (false, _) => (GuideStatus::Draft, None),
        (true, Some(at)) if at <= now => {
            return Ok(Err(vec![invalid(
                "publishAt",
                "a schedule lies ahead; leave it out to publish now",
            )]));
        }
        (true, Some(at)) => (GuideStatus::Published, Some(at)),
        (true, None) if guide_is_live(&guide, now) => (GuideStatus::Published, guide.published_at),
        (true, None) => (GuideStatus::Published, Some(now)),
    };
    let updated = career::set_guide_publication(&mut conn, id, status, published_at, now).await?;
    Ok(Ok(one(updated.into_iter().collect(), "guide")?))
}

/// Deletes a guide (editors and admins, as with posts). `false`: there
/// was no such guide.
pub async fn delete_guide(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: GuideId,
) -> DomainResult<bool> {
    authorize(viewer, Action::DeletePost)?;
    Ok(career::delete_guide(&mut pool.get().await?, id).await?)
}

// ---- batches for the gateway's loaders ----

/// The guides among `ids` that are live at `now`.
pub async fn live_guides_by_ids(
    pool: &DbPool,
    ids: &[GuideId],
    now: NaiveDateTime,
) -> DomainResult<Vec<Guide>> {
    let rows = career::guides_by_ids(&mut pool.get().await?, ids).await?;
    Ok(rows.into_iter().filter(|g| guide_is_live(g, now)).collect())
}

pub async fn skills_by_ids(pool: &DbPool, ids: &[SkillId]) -> DomainResult<Vec<Skill>> {
    Ok(career::skills_by_ids(&mut pool.get().await?, ids).await?)
}

pub async fn transitions_by_ids(
    pool: &DbPool,
    ids: &[TransitionId],
) -> DomainResult<Vec<Transition>> {
    Ok(career::transitions_by_ids(&mut pool.get().await?, ids).await?)
}

pub async fn roles_by_ids(pool: &DbPool, ids: &[RoleId]) -> DomainResult<Vec<JobRole>> {
    Ok(career::roles_by_ids(&mut pool.get().await?, ids).await?)
}

pub async fn related_skills(pool: &DbPool, ids: &[SkillId]) -> DomainResult<Vec<(SkillId, Skill)>> {
    Ok(career::related_skills(&mut pool.get().await?, ids).await?)
}

pub async fn requirements(
    pool: &DbPool,
    ids: &[RoleId],
) -> DomainResult<Vec<waypost_db::RoleSkill>> {
    Ok(career::requirements(&mut pool.get().await?, Some(ids)).await?)
}

pub async fn transitions_of(
    pool: &DbPool,
    ids: &[RoleId],
    outgoing: bool,
) -> DomainResult<Vec<Transition>> {
    Ok(career::transitions_of(&mut pool.get().await?, ids, outgoing).await?)
}

pub async fn guide_skills(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<GuideSkill>> {
    Ok(career::guide_skills(&mut pool.get().await?, ids).await?)
}

pub async fn guide_roles(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<(GuideId, JobRole)>> {
    Ok(career::guide_roles(&mut pool.get().await?, ids).await?)
}

pub async fn guide_posts(
    pool: &DbPool,
    ids: &[GuideId],
) -> DomainResult<Vec<waypost_db::GuidePost>> {
    Ok(career::guide_posts(&mut pool.get().await?, ids).await?)
}

pub async fn guides_teaching(
    pool: &DbPool,
    ids: &[SkillId],
    now: NaiveDateTime,
) -> DomainResult<Vec<(SkillId, Guide)>> {
    Ok(career::guides_teaching(&mut pool.get().await?, ids, now).await?)
}

pub async fn roles_requiring(
    pool: &DbPool,
    ids: &[SkillId],
) -> DomainResult<Vec<(SkillId, JobRole)>> {
    Ok(career::roles_requiring(&mut pool.get().await?, ids).await?)
}
