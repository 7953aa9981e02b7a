//! Career data: skills, roles, transitions and guides. Each write of a thing
//! and its lists (a skill's relations, a role's requirements, a guide's
//! skills, roles and posts) runs in one transaction and replaces the lists
//! whole.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::DbResult;
use crate::ids::{GuideId, PostId, RoleId, SkillId, TransitionId};
use crate::live;
use crate::models::{
    Guide, GuideForm, GuidePost, GuideRole, GuideSkill, GuideStatus, JobRole, JobRoleForm,
    RoleSkill, Skill, SkillCategory, SkillForm, SkillRelation, Transition, TransitionForm,
};
use crate::pool::ClaimWrites;
use crate::pool::{DbConn, with_conn};
use crate::schema::{
    guide_posts, guide_roles, guide_skills, guides, role_skills, roles, skill_relations, skills,
    transitions,
};

/// Names the lock held while the demo career data is written
/// (`DbConn::serialized`): instances starting at once on one database
/// check for it and write it in turn, so it is written once.
pub const DEMO_SEED_LOCK: i64 = 0x0057_6179_6361_7265;

// ---- the save shape every catalogue write shares ----

/// Inserts `$form` as a new row of `$table` (`$id` None, stamped created
/// at `$now`) or updates row `$id` with it; the row as stored, or `None`
/// when `$id` names no row.
macro_rules! insert_or_update {
    ($c:ident, $table:ident => $row:ty, $id:expr, $form:expr, $now:expr) => {
        match $id {
            None => diesel::insert_into($table::table)
                .values(($form, $table::created_at.eq($now)))
                .returning(<$row>::as_returning())
                .get_result($c)
                .await
                .map(Some),
            Some(id) => diesel::update($table::table.find(id))
                .set($form)
                .returning(<$row>::as_returning())
                .get_result($c)
                .await
                .optional(),
        }
    };
}

/// Saves a row and its lists in one transaction that first claims the
/// write lock (see `ClaimWrites`): `$lists` runs with the saved row bound
/// to `$saved`, unless `$id` named no row (then `None`).
macro_rules! save_with_lists {
    ($conn:expr, $table:ident => $row:ty, $id:expr, $form:expr, $now:expr,
     |$c:ident, $saved:ident| $lists:block) => {
        Ok(with_conn!($conn, |c| {
            c.transaction::<_, diesel::result::Error, _>(async |$c| {
                $c.claim_writes().await?;
                let Some($saved) = insert_or_update!($c, $table => $row, $id, $form, $now)? else {
                    return Ok(None);
                };
                $lists
                Ok(Some($saved))
            })
            .await
        })?)
    };
}

/// Replaces the rows of `$table` whose `$parent` is `$id` with `$rows`,
/// inserted one statement each: a multi-row insert through the SQLite
/// wrapper would need its blocking connection.
macro_rules! replace_rows {
    ($c:ident, $table:ident::$parent:ident == $id:expr, $rows:expr) => {
        diesel::delete($table::table.filter($table::$parent.eq($id)))
            .execute($c)
            .await?;
        for row in $rows {
            diesel::insert_into($table::table)
                .values(row)
                .execute($c)
                .await?;
        }
    };
}

/// Deletes row `$id` of `$table`; whether there was one.
macro_rules! delete_row {
    ($conn:expr, $table:ident, $id:expr) => {{
        let deleted = with_conn!($conn, |c| {
            diesel::delete($table::table.find($id)).execute(c).await
        })?;
        Ok(deleted > 0)
    }};
}

// ---- skills ----

pub async fn skills_by_ids(conn: &mut DbConn, ids: &[SkillId]) -> DbResult<Vec<Skill>> {
    Ok(with_conn!(conn, |c| {
        skills::table
            .filter(skills::id.eq_any(ids))
            .select(Skill::as_select())
            .load(c)
            .await
    })?)
}

pub async fn skills_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<Skill>> {
    Ok(with_conn!(conn, |c| {
        skills::table
            .filter(skills::slug.eq_any(slugs))
            .select(Skill::as_select())
            .load(c)
            .await
    })?)
}

/// Skills in slug order after `after`, at most `limit`.
pub async fn skills_page(
    conn: &mut DbConn,
    category: Option<SkillCategory>,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<Skill>> {
    Ok(with_conn!(conn, |c| {
        let mut query = skills::table.select(Skill::as_select()).into_boxed();
        if let Some(category) = category {
            query = query.filter(skills::category.eq(category));
        }
        if let Some(after) = after {
            query = query.filter(skills::slug.gt(after));
        }
        query.order(skills::slug).limit(limit).load(c).await
    })?)
}

pub async fn count_skills(conn: &mut DbConn, category: Option<SkillCategory>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        let mut query = skills::table.count().into_boxed();
        if let Some(category) = category {
            query = query.filter(skills::category.eq(category));
        }
        query.get_result(c).await
    })?)
}

/// The skills related to each of `ids`, by name, in one statement.
pub async fn related_skills(conn: &mut DbConn, ids: &[SkillId]) -> DbResult<Vec<(SkillId, Skill)>> {
    Ok(with_conn!(conn, |c| {
        skill_relations::table
            .inner_join(skills::table.on(skills::id.eq(skill_relations::related_id)))
            .filter(skill_relations::skill_id.eq_any(ids))
            .order((skill_relations::skill_id, skills::name, skills::id))
            .select((skill_relations::skill_id, Skill::as_select()))
            .load(c)
            .await
    })?)
}

/// Inserts (`id` None) or updates a skill and replaces its relations, which
/// are kept in both directions.
pub async fn save_skill(
    conn: &mut DbConn,
    id: Option<SkillId>,
    form: &SkillForm,
    related: &[SkillId],
    now: NaiveDateTime,
) -> DbResult<Option<Skill>> {
    save_with_lists!(conn, skills => Skill, id, form, now, |c, skill| {
        let touching = skill_relations::skill_id
            .eq(skill.id)
            .or(skill_relations::related_id.eq(skill.id));
        diesel::delete(skill_relations::table.filter(touching))
            .execute(c)
            .await?;
        for other in related {
            for (a, b) in [(skill.id, *other), (*other, skill.id)] {
                diesel::insert_into(skill_relations::table)
                    .values(SkillRelation {
                        skill_id: a,
                        related_id: b,
                    })
                    .execute(c)
                    .await?;
            }
        }
    })
}

pub async fn delete_skill(conn: &mut DbConn, id: SkillId) -> DbResult<bool> {
    delete_row!(conn, skills, id)
}

// ---- roles ----

pub async fn roles_by_ids(conn: &mut DbConn, ids: &[RoleId]) -> DbResult<Vec<JobRole>> {
    Ok(with_conn!(conn, |c| {
        roles::table
            .filter(roles::id.eq_any(ids))
            .select(JobRole::as_select())
            .load(c)
            .await
    })?)
}

pub async fn roles_by_slugs(conn: &mut DbConn, slugs: &[String]) -> DbResult<Vec<JobRole>> {
    Ok(with_conn!(conn, |c| {
        roles::table
            .filter(roles::slug.eq_any(slugs))
            .select(JobRole::as_select())
            .load(c)
            .await
    })?)
}

/// Every role, by slug (the career planner reads the whole graph).
pub async fn all_roles(conn: &mut DbConn) -> DbResult<Vec<JobRole>> {
    Ok(with_conn!(conn, |c| {
        roles::table
            .order(roles::slug)
            .select(JobRole::as_select())
            .load(c)
            .await
    })?)
}

/// Roles in slug order after `after`, at most `limit`.
pub async fn roles_page(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<JobRole>> {
    Ok(with_conn!(conn, |c| {
        let mut query = roles::table.select(JobRole::as_select()).into_boxed();
        if let Some(after) = after {
            query = query.filter(roles::slug.gt(after));
        }
        query.order(roles::slug).limit(limit).load(c).await
    })?)
}

pub async fn count_roles(conn: &mut DbConn) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| roles::table
        .count()
        .get_result(c)
        .await)?)
}

/// The requirements of each of `ids` (every role's when `None`).
pub async fn requirements(conn: &mut DbConn, ids: Option<&[RoleId]>) -> DbResult<Vec<RoleSkill>> {
    Ok(with_conn!(conn, |c| {
        let mut query = role_skills::table
            .inner_join(skills::table)
            .order((
                role_skills::role_id,
                role_skills::proficiency.desc(),
                skills::slug,
            ))
            .select(RoleSkill::as_select())
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(role_skills::role_id.eq_any(ids));
        }
        query.load(c).await
    })?)
}

/// The roles that require each of `ids`, by slug.
pub async fn roles_requiring(
    conn: &mut DbConn,
    ids: &[SkillId],
) -> DbResult<Vec<(SkillId, JobRole)>> {
    Ok(with_conn!(conn, |c| {
        role_skills::table
            .inner_join(roles::table)
            .filter(role_skills::skill_id.eq_any(ids))
            .order((role_skills::skill_id, roles::slug))
            .select((role_skills::skill_id, JobRole::as_select()))
            .load(c)
            .await
    })?)
}

/// Inserts (`id` None) or updates a role and replaces its requirements.
pub async fn save_role(
    conn: &mut DbConn,
    id: Option<RoleId>,
    form: &JobRoleForm,
    required: &[(SkillId, i32)],
    now: NaiveDateTime,
) -> DbResult<Option<JobRole>> {
    save_with_lists!(conn, roles => JobRole, id, form, now, |c, role| {
        let rows = required.iter().map(|&(skill_id, proficiency)| RoleSkill {
            role_id: role.id,
            skill_id,
            proficiency,
        });
        replace_rows!(c, role_skills::role_id == role.id, rows);
    })
}

pub async fn delete_role(conn: &mut DbConn, id: RoleId) -> DbResult<bool> {
    delete_row!(conn, roles, id)
}

// ---- transitions ----

pub async fn all_transitions(conn: &mut DbConn) -> DbResult<Vec<Transition>> {
    Ok(with_conn!(conn, |c| {
        transitions::table
            .order(transitions::id)
            .select(Transition::as_select())
            .load(c)
            .await
    })?)
}

pub async fn transitions_by_ids(
    conn: &mut DbConn,
    ids: &[TransitionId],
) -> DbResult<Vec<Transition>> {
    Ok(with_conn!(conn, |c| {
        transitions::table
            .filter(transitions::id.eq_any(ids))
            .select(Transition::as_select())
            .load(c)
            .await
    })?)
}

/// The transitions leaving (`outgoing`) or entering each of `ids`.
pub async fn transitions_of(
    conn: &mut DbConn,
    ids: &[RoleId],
    outgoing: bool,
) -> DbResult<Vec<Transition>> {
    Ok(with_conn!(conn, |c| {
        let query = transitions::table
            .select(Transition::as_select())
            .order((transitions::months, transitions::id))
            .into_boxed();
        let query = if outgoing {
            query.filter(transitions::from_role_id.eq_any(ids))
        } else {
            query.filter(transitions::to_role_id.eq_any(ids))
        };
        query.load(c).await
    })?)
}

/// Inserts (`id` None) or updates a transition.
pub async fn save_transition(
    conn: &mut DbConn,
    id: Option<TransitionId>,
    form: &TransitionForm,
    now: NaiveDateTime,
) -> DbResult<Option<Transition>> {
    Ok(with_conn!(conn, |c| {
        insert_or_update!(c, transitions => Transition, id, form, now)
    })?)
}

pub async fn delete_transition(conn: &mut DbConn, id: TransitionId) -> DbResult<bool> {
    delete_row!(conn, transitions, id)
}

// ---- guides ----

pub async fn guides_by_ids(conn: &mut DbConn, ids: &[GuideId]) -> DbResult<Vec<Guide>> {
    Ok(with_conn!(conn, |c| {
        guides::table
            .filter(guides::id.eq_any(ids))
            .select(Guide::as_select())
            .load(c)
            .await
    })?)
}

pub async fn guide_by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Guide>> {
    Ok(with_conn!(conn, |c| {
        guides::table
            .filter(guides::slug.eq(slug))
            .select(Guide::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Guides live at `now`, newest first, after the `(published_at, id)` key.
pub async fn guides_page(
    conn: &mut DbConn,
    field: Option<&str>,
    after: Option<(NaiveDateTime, GuideId)>,
    limit: i64,
    now: NaiveDateTime,
) -> DbResult<Vec<Guide>> {
    Ok(with_conn!(conn, |c| {
        let mut query = guides::table
            .filter(live::guide(now))
            .select(Guide::as_select())
            .into_boxed();
        if let Some(field) = field {
            query = query.filter(guides::field.eq(field));
        }
        if let Some((at, id)) = after {
            query = query.filter(crate::sql::row_before!(
                "guides.published_at",
                "guides.id",
                at,
                id.0,
            ));
        }
        query
            .order((guides::published_at.desc(), guides::id.desc()))
            .limit(limit)
            .load(c)
            .await
    })?)
}

pub async fn count_guides(
    conn: &mut DbConn,
    field: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        let mut query = guides::table.filter(live::guide(now)).count().into_boxed();
        if let Some(field) = field {
            query = query.filter(guides::field.eq(field));
        }
        query.get_result(c).await
    })?)
}

/// The skills of each of `ids`, in the guide's order.
pub async fn guide_skills(conn: &mut DbConn, ids: &[GuideId]) -> DbResult<Vec<GuideSkill>> {
    Ok(with_conn!(conn, |c| {
        guide_skills::table
            .filter(guide_skills::guide_id.eq_any(ids))
            .order((guide_skills::guide_id, guide_skills::position))
            .select(GuideSkill::as_select())
            .load(c)
            .await
    })?)
}

/// The roles each of `ids` leads to, in the guide's order.
pub async fn guide_roles(conn: &mut DbConn, ids: &[GuideId]) -> DbResult<Vec<(GuideId, JobRole)>> {
    Ok(with_conn!(conn, |c| {
        guide_roles::table
            .inner_join(roles::table)
            .filter(guide_roles::guide_id.eq_any(ids))
            .order((guide_roles::guide_id, guide_roles::position))
            .select((guide_roles::guide_id, JobRole::as_select()))
            .load(c)
            .await
    })?)
}

/// The related posts of each of `ids`, in the guide's order (any status;
/// the caller keeps the live ones).
pub async fn guide_posts(conn: &mut DbConn, ids: &[GuideId]) -> DbResult<Vec<GuidePost>> {
    Ok(with_conn!(conn, |c| {
        guide_posts::table
            .filter(guide_posts::guide_id.eq_any(ids))
            .order((guide_posts::guide_id, guide_posts::position))
            .select(GuidePost::as_select())
            .load(c)
            .await
    })?)
}

/// The guides live at `now` that teach each of `ids`, newest first.
pub async fn guides_teaching(
    conn: &mut DbConn,
    ids: &[SkillId],
    now: NaiveDateTime,
) -> DbResult<Vec<(SkillId, Guide)>> {
    Ok(with_conn!(conn, |c| {
        guide_skills::table
            .inner_join(guides::table)
            .filter(guide_skills::skill_id.eq_any(ids))
            .filter(live::guide(now))
            .order((
                guide_skills::skill_id,
                guides::published_at.desc(),
                guides::id.desc(),
            ))
            .select((guide_skills::skill_id, Guide::as_select()))
            .load(c)
            .await
    })?)
}

/// A guide's lists, each replacing the stored one when given.
#[derive(Debug, Clone, Default)]
pub struct GuideLists {
    pub skills: Option<Vec<GuideSkill>>,
    pub roles: Option<Vec<RoleId>>,
    pub posts: Option<Vec<PostId>>,
}

/// Inserts (`id` None) or updates a guide and replaces the lists given.
pub async fn save_guide(
    conn: &mut DbConn,
    id: Option<GuideId>,
    form: &GuideForm,
    lists: &GuideLists,
    now: NaiveDateTime,
) -> DbResult<Option<Guide>> {
    save_with_lists!(conn, guides => Guide, id, form, now, |c, guide| {
        if let Some(skills) = &lists.skills {
            let rows = skills.iter().map(|skill| GuideSkill {
                guide_id: guide.id,
                ..skill.clone()
            });
            replace_rows!(c, guide_skills::guide_id == guide.id, rows);
        }
        if let Some(roles) = &lists.roles {
            let rows = (0..).zip(roles).map(|(position, &role_id)| GuideRole {
                guide_id: guide.id,
                role_id,
                position,
            });
            replace_rows!(c, guide_roles::guide_id == guide.id, rows);
        }
        if let Some(posts) = &lists.posts {
            let rows = (0..).zip(posts).map(|(position, &post_id)| GuidePost {
                guide_id: guide.id,
                post_id,
                position,
            });
            replace_rows!(c, guide_posts::guide_id == guide.id, rows);
        }
    })
}

/// Sets only a guide's publication; `None` when no guide has `id`.
pub async fn set_guide_publication(
    conn: &mut DbConn,
    id: GuideId,
    status: GuideStatus,
    published_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> DbResult<Option<Guide>> {
    Ok(with_conn!(conn, |c| {
        diesel::update(guides::table.find(id))
            .set((
                guides::status.eq(status),
                guides::published_at.eq(published_at),
                guides::updated_at.eq(now),
            ))
            .returning(Guide::as_returning())
            .get_result(c)
            .await
            .optional()
    })?)
}

pub async fn delete_guide(conn: &mut DbConn, id: GuideId) -> DbResult<bool> {
    delete_row!(conn, guides, id)
}
