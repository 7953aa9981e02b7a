//! The catalogue guides and the planner draw on: what writing a skill, a
//! role or a transition between roles sets, and how each is checked and
//! stored (through `write::save`, the shape every career write takes).

use waypost_db as db;
use waypost_db::queries::career;
use waypost_db::{
    DbConn, JobRoleForm, RoleId, Seniority, SkillCategory, SkillForm, SkillId, TransitionForm,
    TransitionId,
};

use super::lists::{responsibilities, write_list};
use super::model::{JobRole, Skill, Transition};
use super::plan::SkillLevel;
use super::write::{Check, Fields, Rows, Stored, Write, chosen, list_cap, text, titled};
use crate::DomainResult;
use crate::fields::MAX_TEXT_CHARS;
use crate::{FieldError, UserErrorCode};

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

impl Fields for SkillFields {
    type Entry = Skill;
    type Row = db::Skill;
    type Id = SkillId;
    /// The skill and the skills it relates to.
    type Draft = (SkillForm, Vec<SkillId>);
    const KIND: &'static str = "skill";

    async fn stored(conn: &mut DbConn, id: SkillId) -> Rows<Self> {
        career::skills_by_ids(conn, &[id]).await
    }

    async fn check(self, write: &Write<'_, Self>, errors: &mut Vec<FieldError>) -> Check<Self> {
        let stored = write.stored;
        let named = stored.map(|c| (c.name(), c.slug()));
        let (name, slug) = titled("name", (&self.name, &self.slug), named, errors);
        let category = stored.map(|c| c.category());
        let category = chosen("category", self.category, category, errors);
        let description = stored.map(|c| c.description());
        let description = text("description", &self.description, description, errors);
        let related_slugs = match (self.related, stored) {
            (Some(slugs), _) => slugs,
            (None, Some(c)) => {
                career::related_skills(&mut write.pool.get_primary().await?, &[c.id()])
                    .await?
                    .into_iter()
                    .map(|(_, s)| s.slug)
                    .collect()
            }
            (None, None) => Vec::new(),
        };
        list_cap("relatedSkills", &related_slugs, errors);
        let skills = career::skills_by_slugs;
        let related = write.ids("relatedSkills", &related_slugs, skills, errors);
        let related = related.await?;
        if write.id.is_some_and(|id| related.contains(&id)) || related_slugs.contains(&slug) {
            errors.push(FieldError::invalid(
                "relatedSkills",
                "a skill cannot relate to itself",
            ));
        }
        Ok(category.map(|category| {
            let form = SkillForm {
                slug,
                name,
                category,
                description,
                updated_at: write.now,
            };
            (form, related)
        }))
    }

    async fn store(write: &Write<'_, Self>, draft: &Self::Draft) -> Stored<Self> {
        let (form, related) = draft;
        let conn = &mut write.pool.get_primary().await?;
        career::save_skill(conn, write.id, form, related, write.now).await
    }
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

impl Fields for RoleFields {
    type Entry = JobRole;
    type Row = db::JobRole;
    type Id = RoleId;
    /// The role and the skills it requires, each at a proficiency.
    type Draft = (JobRoleForm, Vec<(SkillId, i32)>);
    const KIND: &'static str = "role";

    async fn stored(conn: &mut DbConn, id: RoleId) -> Rows<Self> {
        career::roles_by_ids(conn, &[id]).await
    }

    async fn check(self, write: &Write<'_, Self>, errors: &mut Vec<FieldError>) -> Check<Self> {
        let stored = write.stored;
        let named = stored.map(|c| (c.title(), c.slug()));
        let (title, slug) = titled("title", (&self.title, &self.slug), named, errors);
        let seniority = stored.map(|c| c.seniority());
        let seniority = chosen("seniority", self.seniority, seniority, errors);
        let summary = stored.map(|c| c.summary());
        let summary = text("summary", &self.summary, summary, errors);
        let responsibilities = match (self.responsibilities, stored) {
            (Some(list), _) => list.iter().map(|r| r.trim().to_owned()).collect(),
            (None, Some(c)) => responsibilities(c),
            (None, None) => Vec::new(),
        };
        list_cap("responsibilities", &responsibilities, errors);
        if responsibilities
            .iter()
            .any(|r| r.is_empty() || r.chars().count() > MAX_TEXT_CHARS)
        {
            errors.push(FieldError::invalid(
                "responsibilities",
                format!("each responsibility takes 1 to {MAX_TEXT_CHARS} characters"),
            ));
        }
        let required = match (self.required, stored) {
            (Some(levels), _) => {
                list_cap("requiredSkills", &levels, errors);
                if levels.iter().any(|l| !(1..=5).contains(&l.proficiency)) {
                    errors.push(FieldError::invalid(
                        "requiredSkills",
                        "proficiency runs from 1 to 5",
                    ));
                }
                let slugs: Vec<String> = levels.iter().map(|l| l.skill.clone()).collect();
                let skills = career::skills_by_slugs;
                let ids = write.ids("requiredSkills", &slugs, skills, errors).await?;
                ids.into_iter()
                    .zip(levels.iter().map(|l| l.proficiency))
                    .collect()
            }
            (None, Some(c)) => {
                career::requirements(&mut write.pool.get_primary().await?, Some(&[c.id()]))
                    .await?
                    .into_iter()
                    .map(|r| (r.skill_id, r.proficiency))
                    .collect()
            }
            (None, None) => Vec::new(),
        };
        let Some(seniority) = seniority else {
            return Ok(None);
        };
        let form = JobRoleForm {
            slug,
            title,
            seniority,
            summary,
            responsibilities: write_list(&responsibilities)?,
            updated_at: write.now,
        };
        Ok(Some((form, required)))
    }

    async fn store(write: &Write<'_, Self>, draft: &Self::Draft) -> Stored<Self> {
        let (form, required) = draft;
        let conn = &mut write.pool.get_primary().await?;
        career::save_role(conn, write.id, form, required, write.now).await
    }
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

impl Fields for TransitionFields {
    type Entry = Transition;
    type Row = db::Transition;
    type Id = TransitionId;
    type Draft = TransitionForm;
    const KIND: &'static str = "transition";

    async fn stored(conn: &mut DbConn, id: TransitionId) -> Rows<Self> {
        career::transitions_by_ids(conn, &[id]).await
    }

    async fn check(self, write: &Write<'_, Self>, errors: &mut Vec<FieldError>) -> Check<Self> {
        let stored = write.stored;
        let from = stored.map(|c| c.from_role_id());
        let from = endpoint(write, "from", self.from, from, errors).await?;
        let to = stored.map(|c| c.to_role_id());
        let to = endpoint(write, "to", self.to, to, errors).await?;
        if from.is_some() && from == to {
            errors.push(FieldError::invalid(
                "to",
                "a transition leads to another role",
            ));
        }
        let months = match self.typical_years {
            Some(years) => {
                let months = (years * 12.0).round();
                if months.is_finite() && (1.0..=600.0).contains(&months) {
                    months as i32
                } else {
                    0
                }
            }
            None => stored.map_or(0, |c| c.months()),
        };
        if !(1..=600).contains(&months) {
            errors.push(FieldError::invalid(
                "typicalYears",
                "give at least a month and at most 50 years",
            ));
        }
        let note = text("note", &self.note, stored.map(|c| c.note()), errors);
        let (Some(from), Some(to)) = (from, to) else {
            return Ok(None);
        };
        Ok(Some(TransitionForm {
            from_role_id: from,
            to_role_id: to,
            months,
            note,
            updated_at: write.now,
        }))
    }

    async fn store(write: &Write<'_, Self>, draft: &Self::Draft) -> Stored<Self> {
        let conn = &mut write.pool.get_primary().await?;
        career::save_transition(conn, write.id, draft, write.now).await
    }

    /// Two roles have one transition between them, one way.
    fn clash() -> Vec<FieldError> {
        vec![FieldError::conflict("to", "this transition exists already")]
    }
}

/// A transition's end: the role `slug` names, else the stored one.
async fn endpoint(
    write: &Write<'_, TransitionFields>,
    field: &'static str,
    slug: Option<String>,
    stored: Option<RoleId>,
    errors: &mut Vec<FieldError>,
) -> DomainResult<Option<RoleId>> {
    Ok(match (slug, stored) {
        (Some(slug), _) => {
            let roles = career::roles_by_slugs;
            write.ids(field, &[slug], roles, errors).await?.pop()
        }
        (None, Some(id)) => Some(id),
        (None, None) => {
            errors.push(FieldError::new(
                UserErrorCode::Required,
                Some(field),
                "name the role",
            ));
            None
        }
    })
}
