//! Published guides, skills and roles as readers see them, and the batch
//! lookups behind the gateway's loaders.

use crate::freshness::{Key, read};
use chrono::NaiveDateTime;
use waypost_db::queries::career;
use waypost_db::{DbPool, GuideId, RoleId, SkillId, TransitionId};

use super::model::{Guide, GuidePost, GuideSkill, JobRole, RoleSkill, Skill, Transition};
use crate::DomainResult;
use crate::model::{all, keyed};
use crate::policy::Viewer;
use crate::policy::{Action, allows};

/// Whether the public sees `guide` at `now`.
pub fn guide_is_live(guide: &Guide, now: NaiveDateTime) -> bool {
    guide.is_live(now)
}

/// Whether `viewer` sees `guide` at `now`: a live one anyone, a draft or
/// scheduled one those who may read its author's unpublished work.
pub fn guide_visible(guide: &Guide, viewer: Option<&Viewer>, now: NaiveDateTime) -> bool {
    guide_is_live(guide, now)
        || allows(
            viewer,
            Action::ReadUnpublished {
                owner: guide.author_id(),
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
    read(Key::Career);
    let guide = career::guide_by_slug(&mut pool.get().await?, slug).await?;
    Ok(guide
        .map(Guide::from)
        .filter(|g| guide_visible(g, viewer, now)))
}

/// The guides among `ids`, whatever their status: the caller decides who
/// sees which (`guide_visible`).
pub async fn guides_by_ids(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<Guide>> {
    read(Key::Career);
    Ok(all(
        career::guides_by_ids(&mut pool.get().await?, ids).await?
    ))
}

pub async fn skill_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<Skill>> {
    read(Key::Career);
    let found = career::skills_by_slugs(&mut pool.get().await?, &[slug.to_owned()]).await?;
    Ok(found.into_iter().next().map(Skill::from))
}

pub async fn role_by_slug(pool: &DbPool, slug: &str) -> DomainResult<Option<JobRole>> {
    read(Key::Career);
    let found = career::roles_by_slugs(&mut pool.get().await?, &[slug.to_owned()]).await?;
    Ok(found.into_iter().next().map(JobRole::from))
}

/// The guides among `ids` that are live at `now`.
pub async fn live_guides_by_ids(
    pool: &DbPool,
    ids: &[GuideId],
    now: NaiveDateTime,
) -> DomainResult<Vec<Guide>> {
    read(Key::Career);
    let rows = career::guides_by_ids(&mut pool.get().await?, ids).await?;
    Ok(rows
        .into_iter()
        .filter(|g| g.is_live(now))
        .map(Guide::from)
        .collect())
}

pub async fn skills_by_ids(pool: &DbPool, ids: &[SkillId]) -> DomainResult<Vec<Skill>> {
    read(Key::Career);
    Ok(all(
        career::skills_by_ids(&mut pool.get().await?, ids).await?
    ))
}

pub async fn transitions_by_ids(
    pool: &DbPool,
    ids: &[TransitionId],
) -> DomainResult<Vec<Transition>> {
    read(Key::Career);
    Ok(all(
        career::transitions_by_ids(&mut pool.get().await?, ids).await?
    ))
}

pub async fn roles_by_ids(pool: &DbPool, ids: &[RoleId]) -> DomainResult<Vec<JobRole>> {
    read(Key::Career);
    Ok(all(career::roles_by_ids(&mut pool.get().await?, ids).await?))
}

pub async fn related_skills(pool: &DbPool, ids: &[SkillId]) -> DomainResult<Vec<(SkillId, Skill)>> {
    read(Key::Career);
    Ok(keyed(
        career::related_skills(&mut pool.get().await?, ids).await?,
    ))
}

pub async fn requirements(pool: &DbPool, ids: &[RoleId]) -> DomainResult<Vec<RoleSkill>> {
    read(Key::Career);
    Ok(all(
        career::requirements(&mut pool.get().await?, Some(ids)).await?
    ))
}

pub async fn transitions_of(
    pool: &DbPool,
    ids: &[RoleId],
    outgoing: bool,
) -> DomainResult<Vec<Transition>> {
    read(Key::Career);
    Ok(all(career::transitions_of(
        &mut pool.get().await?,
        ids,
        outgoing,
    )
    .await?))
}

pub async fn guide_skills(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<GuideSkill>> {
    read(Key::Career);
    Ok(all(career::guide_skills(&mut pool.get().await?, ids).await?))
}

pub async fn guide_roles(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<(GuideId, JobRole)>> {
    read(Key::Career);
    Ok(keyed(
        career::guide_roles(&mut pool.get().await?, ids).await?,
    ))
}

pub async fn guide_posts(pool: &DbPool, ids: &[GuideId]) -> DomainResult<Vec<GuidePost>> {
    read(Key::Career);
    Ok(all(career::guide_posts(&mut pool.get().await?, ids).await?))
}

pub async fn guides_teaching(
    pool: &DbPool,
    ids: &[SkillId],
    now: NaiveDateTime,
) -> DomainResult<Vec<(SkillId, Guide)>> {
    read(Key::Career);
    Ok(keyed(
        career::guides_teaching(&mut pool.get().await?, ids, now).await?,
    ))
}

pub async fn roles_requiring(
    pool: &DbPool,
    ids: &[SkillId],
) -> DomainResult<Vec<(SkillId, JobRole)>> {
    read(Key::Career);
    Ok(keyed(
        career::roles_requiring(&mut pool.get().await?, ids).await?,
    ))
}
