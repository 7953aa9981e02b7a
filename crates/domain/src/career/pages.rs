//! Cursor pages of guides (newest first) and of skills and roles (by slug).

use crate::freshness::{Key, read};
use chrono::NaiveDateTime;
use waypost_db::queries::career;
use waypost_db::{DbPool, GuideId, SkillCategory};

use super::model::{Guide, JobRole, Skill};
use crate::DomainResult;
use crate::cursor;
use crate::paging::{DEFAULT_PAGE_SIZE, page_size};

/// One page of a list, and whether more follows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// The page `rows` make when one more than `limit` was asked for.
fn page_of<R: Into<T>, T>(mut rows: Vec<R>, limit: i64, after: bool) -> Page<T> {
    let has_next_page = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Page {
        items: crate::model::all(rows),
        has_next_page,
        has_previous_page: after,
    }
}

/// Cursors of skill and role pages, which run by slug.
const SLUG_LISTING: &str = "slugs1";
/// Cursors of the newest-first guide listing.
const GUIDE_LISTING: &str = "guides1";

/// The cursor of a skill or role: its slug, opaque.
pub fn slug_cursor(slug: &str) -> String {
    cursor::encode(SLUG_LISTING, &[slug])
}

fn slug_after(after: Option<&str>) -> DomainResult<Option<String>> {
    after
        .map(|after| cursor::decode(after, SLUG_LISTING, "after").map(|[slug]| slug))
        .transpose()
}

/// The cursor of a guide in the newest-first listing.
pub fn guide_cursor(guide: &Guide) -> String {
    let at = cursor::instant_part(guide.published_at().unwrap_or_default());
    cursor::encode(GUIDE_LISTING, &[&at, &guide.id().0.to_string()])
}

fn guide_after(after: Option<&str>) -> DomainResult<Option<(NaiveDateTime, GuideId)>> {
    after
        .map(|after| {
            let [at, id] = cursor::decode(after, GUIDE_LISTING, "after")?;
            Ok((
                cursor::parse_instant(&at, "after")?,
                GuideId(cursor::parse_id(&id, "after")?),
            ))
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
    read(Key::Career);
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
    read(Key::Career);
    Ok(career::count_guides(&mut pool.get().await?, field, now).await?)
}

pub async fn skills_page(
    pool: &DbPool,
    category: Option<SkillCategory>,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<Page<Skill>> {
    read(Key::Career);
    let limit = limit(first)?;
    let key = slug_after(after)?;
    let rows =
        career::skills_page(&mut pool.get().await?, category, key.as_deref(), limit + 1).await?;
    Ok(page_of(rows, limit, after.is_some()))
}

pub async fn count_skills(pool: &DbPool, category: Option<SkillCategory>) -> DomainResult<i64> {
    read(Key::Career);
    Ok(career::count_skills(&mut pool.get().await?, category).await?)
}

pub async fn roles_page(
    pool: &DbPool,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<Page<JobRole>> {
    read(Key::Career);
    let limit = limit(first)?;
    let key = slug_after(after)?;
    let rows = career::roles_page(&mut pool.get().await?, key.as_deref(), limit + 1).await?;
    Ok(page_of(rows, limit, after.is_some()))
}

pub async fn count_roles(pool: &DbPool) -> DomainResult<i64> {
    read(Key::Career);
    Ok(career::count_roles(&mut pool.get().await?).await?)
}
