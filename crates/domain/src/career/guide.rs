//! Writing and publishing guides: what a guide write sets and how it is
//! checked and stored (through `write::save`, like the catalogue), and the
//! publication life cycle, which follows the posts'.

use chrono::NaiveDateTime;
use waypost_db as db;
use waypost_db::queries::{author as author_queries, career, post as post_queries};
use waypost_db::{AuthorId, DbConn, DbPool, GuideForm, GuideId, GuideStatus, Importance};

use super::lists::{Reason, Section, read_list, search_text, write_list};
use super::model::Guide;
use super::write::{Check, Fields, Rows, Stored, Write, list_cap, one, or_stored, slug_of, text};
use crate::clock::stored_instant;
use crate::fields::{MAX_TEXT_CHARS, long_text, short_text};
use crate::freshness::{Key, changed};
use crate::policy::Viewer;
use crate::policy::{Action, allows, authorize, post_author};
use crate::render::markdown_to_html;
use crate::{DomainError, DomainResult};
use crate::{FieldError, Written};

const MAX_BODY_CHARS: usize = 50_000;

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

/// Guides follow the posts' rules: authors write their own, editors
/// anyone's. A new guide is a draft.
impl Fields for GuideFields {
    type Entry = Guide;
    type Row = db::Guide;
    type Id = GuideId;
    type Draft = (GuideForm, career::GuideLists);
    const KIND: &'static str = "guide";

    fn may_write(viewer: Option<&Viewer>, creating: bool) -> DomainResult<()> {
        if creating {
            authorize(viewer, Action::CreatePost)
        } else {
            Ok(())
        }
    }

    fn may_edit(viewer: Option<&Viewer>, stored: &Guide) -> DomainResult<()> {
        let owner = stored.author_id();
        authorize(viewer, Action::EditPost { owner })
    }

    async fn stored(conn: &mut DbConn, id: GuideId) -> Rows<Self> {
        career::guides_by_ids(conn, &[id]).await
    }

    async fn check(self, write: &Write<'_, Self>, errors: &mut Vec<FieldError>) -> Check<Self> {
        let stored = write.stored;
        let author_id = match stored {
            Some(c) => c.author_id(),
            None => match author(write, self.author_slug.as_deref()).await? {
                Ok(author) => author,
                Err(error) => {
                    errors.push(error);
                    return Ok(None);
                }
            },
        };
        let title = or_stored(&self.title, stored.map(|c| c.title()));
        let title = short_text("title", title, errors);
        if self.slug.is_some() && !allows(write.viewer, Action::ChooseSlug) {
            errors.push(FieldError::forbidden(
                "slug",
                "only editors choose slugs; yours comes from the title",
            ));
        }
        let slug = stored.map(|c| c.slug());
        let slug = slug_of(self.slug.as_deref(), slug, &title, errors);
        let field = or_stored(&self.field, stored.map(|c| c.field()));
        let field = short_text("field", field, errors);
        let summary = stored.map(|c| c.summary());
        let summary = text("summary", &self.summary, summary, errors);
        let sections_json = match &self.sections {
            Some(given) => write_list(&guide_sections(given, errors))?,
            None => stored.map_or_else(|| "[]".to_owned(), |c| c.0.sections.clone()),
        };
        let reasons_json = match &self.reasons {
            Some(given) => write_list(&guide_reasons(given, errors))?,
            None => stored.map_or_else(|| "[]".to_owned(), |c| c.0.reasons.clone()),
        };
        let skills = match &self.skills {
            Some(given) => Some(guide_skills(write, given, errors).await?),
            None => None,
        };
        let roles = match &self.roles {
            Some(slugs) => {
                list_cap("roles", slugs, errors);
                let roles = career::roles_by_slugs;
                Some(write.ids("roles", slugs, roles, errors).await?)
            }
            None => None,
        };
        let posts = match &self.related_posts {
            Some(slugs) => {
                // Drafts and unknown slugs read alike ("no such item"), so
                // nothing unpublished is revealed.
                list_cap("relatedPosts", slugs, errors);
                let live = async |conn: &mut DbConn, slugs: &[String]| {
                    post_queries::live_by_slugs(conn, slugs, write.now).await
                };
                Some(write.ids("relatedPosts", slugs, live, errors).await?)
            }
            None => None,
        };
        let form = GuideForm {
            slug,
            title,
            field,
            summary,
            search_text: search_text(&read_list::<Section>(&sections_json, "guide sections")),
            sections: sections_json,
            reasons: reasons_json,
            status: stored.map_or(GuideStatus::Draft, |c| c.status()),
            author_id,
            published_at: stored.and_then(|c| c.published_at()),
            updated_at: write.now,
        };
        let lists = career::GuideLists {
            skills,
            roles,
            posts,
        };
        Ok(Some((form, lists)))
    }

    async fn store(write: &Write<'_, Self>, draft: &Self::Draft) -> Stored<Self> {
        let (form, lists) = draft;
        let conn = &mut write.pool.get_primary().await?;
        let stored = career::save_guide(conn, write.id, form, lists, write.now).await;
        if let Ok(Some(guide)) = &stored {
            let kind = waypost_db::queries::search::Document::Guide;
            crate::search::dictionary::learn_after_write(write.pool, kind, guide.id.0).await;
        }
        stored
    }
}

/// The author a new guide is by, or what to fix. Looked up only once the
/// caller may write at all, so that a bad slug is theirs to fix and tells
/// a stranger nothing.
async fn author(
    write: &Write<'_, GuideFields>,
    slug: Option<&str>,
) -> DomainResult<Result<AuthorId, FieldError>> {
    let Some(viewer) = write.viewer else {
        return Err(DomainError::Unauthenticated("sign in to do this"));
    };
    let requested = match slug {
        Some(slug) => {
            match author_queries::by_slug(&mut write.pool.get_primary().await?, slug).await? {
                Some(author) => Some(author.id),
                None => return Ok(Err(FieldError::not_found("authorSlug", "no such author"))),
            }
        }
        None => None,
    };
    Ok(post_author(viewer, requested)
        .ok_or_else(|| FieldError::invalid("authorSlug", "name the author profile to write as")))
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

/// The guide's skills, in the order given.
async fn guide_skills(
    write: &Write<'_, GuideFields>,
    given: &[GuideSkillInput],
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<db::GuideSkill>> {
    list_cap("skills", given, errors);
    let slugs: Vec<String> = given.iter().map(|g| g.skill.clone()).collect();
    let skills = career::skills_by_slugs;
    let ids = write.ids("skills", &slugs, skills, errors).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for ((skill_id, input), position) in ids.into_iter().zip(given).zip(0..) {
        rows.push(db::GuideSkill {
            guide_id: GuideId(0),
            skill_id,
            importance: input.importance,
            note: long_text("skills", &input.note, MAX_TEXT_CHARS, errors),
            position,
        });
    }
    Ok(rows)
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
    let mut conn = pool.get_primary().await?;
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
            return Ok(Err(vec![FieldError::invalid(
                "publishAt",
                "a schedule lies ahead; leave it out to publish now",
            )]));
        }
        (true, Some(at)) => (GuideStatus::Published, Some(at)),
        (true, None) if guide.is_live(now) => (GuideStatus::Published, guide.published_at),
        (true, None) => (GuideStatus::Published, Some(now)),
    };
    let updated = career::set_guide_publication(&mut conn, id, status, published_at, now).await?;
    let guide = one(updated.into_iter().collect(), "guide")?.into();
    if publish {
        let kind = waypost_db::queries::search::Document::Guide;
        crate::search::dictionary::learn_after_write(pool, kind, id.0).await;
    }
    changed(&[Key::Career]);
    Ok(Ok(guide))
}
