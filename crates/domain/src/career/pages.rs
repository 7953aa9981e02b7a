//! Cursor pages of guides (newest first) and of skills and roles (by slug).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use waypost_db::queries::career;
use waypost_db::{DbPool, Guide, GuideId, JobRole, Skill, SkillCategory};

use crate::paging::{DEFAULT_PAGE_SIZE, page_size};
use crate::{DomainError, DomainResult};

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

/// Career's cursor codec, encoding end: `text` made opaque. This and
/// `decode_cursor` are the only places that know how, so that the crate's
/// shared codec can take their place.
fn encode_cursor(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Career's cursor codec, decoding end: the text after `prefix` in a
/// cursor Waypost issued, or BAD_USER_INPUT on `after`.
fn decode_cursor(cursor: &str, prefix: &str) -> DomainResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(prefix).map(str::to_owned))
        .ok_or_else(bad_cursor)
}

fn bad_cursor() -> DomainError {
    DomainError::bad_input("after", "this cursor is not one Waypost issued")
}

/// The cursor of a skill or role: its slug, opaque.
pub fn slug_cursor(slug: &str) -> String {
    encode_cursor(&format!("{SLUG_CURSOR}{slug}"))
}

fn slug_after(after: Option<&str>) -> DomainResult<Option<String>> {
    after
        .map(|cursor| decode_cursor(cursor, SLUG_CURSOR))
        .transpose()
}

/// The cursor of a guide in the newest-first listing.
pub fn guide_cursor(guide: &Guide) -> String {
    let at = guide
        .published_at
        .map_or(0, |at| at.and_utc().timestamp_micros());
    encode_cursor(&format!("{GUIDE_CURSOR}{at}:{}", guide.id.0))
}

fn guide_after(after: Option<&str>) -> DomainResult<Option<(NaiveDateTime, GuideId)>> {
    after
        .map(|cursor| {
            let text = decode_cursor(cursor, GUIDE_CURSOR)?;
            let (at, id) = text.split_once(':').ok_or_else(bad_cursor)?;
            let at = at
                .parse::<i64>()
                .ok()
                .and_then(chrono::DateTime::from_timestamp_micros)
                .ok_or_else(bad_cursor)?;
            let id = id.parse::<i64>().map_err(|_| bad_cursor())?;
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
