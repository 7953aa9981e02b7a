//! Turning an author's Markdown into a storable post: rendered HTML, excerpt
//! and reading time are computed once, at write time, not on every read.

use chrono::NaiveDateTime;
use waypost_db::queries::editorial;
use waypost_db::{AuthorId, DbPool, PostId, PostInsertForm, PostStatus};

use crate::DomainResult;
use crate::clock::stored_instant;
use crate::render::{derive_excerpt, markdown_to_html, reading_time_minutes};

/// A post as its author wrote it.
#[derive(Debug, Clone)]
pub struct PostDraft {
    pub slug: String,
    pub title: String,
    /// Left empty, the excerpt is the opening of the body.
    pub excerpt: Option<String>,
    pub body_markdown: String,
    /// `None` keeps the post a draft.
    pub published_at: Option<NaiveDateTime>,
    pub author_id: AuthorId,
}

pub fn post_form(draft: PostDraft, now: NaiveDateTime) -> PostInsertForm {
    let now = stored_instant(now);
    let draft = PostDraft {
        published_at: draft.published_at.map(stored_instant),
        ..draft
    };
    let excerpt = match draft.excerpt {
        Some(text) if !text.trim().is_empty() => text.trim().to_owned(),
        _ => derive_excerpt(&draft.body_markdown),
    };
    let status = if draft.published_at.is_some() {
        PostStatus::Published
    } else {
        PostStatus::Draft
    };
    let stamp = draft.published_at.unwrap_or(now);
    PostInsertForm {
        slug: draft.slug,
        title: draft.title,
        excerpt,
        body_html: markdown_to_html(&draft.body_markdown),
        reading_time_minutes: reading_time_minutes(&draft.body_markdown),
        body_markdown: draft.body_markdown,
        status,
        author_id: draft.author_id,
        published_at: draft.published_at,
        created_at: stamp,
        updated_at: stamp,
    }
}

/// The renderer's version: bumped whenever `markdown_to_html` writes
/// something else for the same Markdown (1: headings carry ids).
pub const RENDERER_VERSION: i64 = 1;

/// Posts read per statement while rendering again.
const RENDER_BATCH: i64 = 500;

/// Renders every post's stored Markdown again if an older renderer wrote
/// its HTML, once per renderer version; returns the posts whose HTML
/// changed, for telling other instances. Instances starting together may
/// both do it: the result is the same.
pub async fn render_again(pool: &DbPool) -> DomainResult<Vec<PostId>> {
    let mut conn = pool.get_primary().await?;
    if editorial::rendering_version(&mut conn, "posts").await? >= RENDERER_VERSION {
        return Ok(Vec::new());
    }
    let mut after = PostId(0);
    let mut changed = Vec::new();
    loop {
        let batch = editorial::markdown_after(&mut conn, after, RENDER_BATCH).await?;
        let Some((last, _, _)) = batch.last() else {
            break;
        };
        after = *last;
        for (id, markdown, stored) in batch {
            let html = markdown_to_html(&markdown);
            if html != stored {
                editorial::set_rendered(&mut conn, id, &markdown, &html).await?;
                changed.push(id);
            }
        }
    }
    editorial::set_rendering_version(&mut conn, "posts", RENDERER_VERSION).await?;
    Ok(changed)
}
