//! Turning an author's Markdown into a storable post: rendered HTML, excerpt
//! and reading time are computed once, at write time, not on every read.

use chrono::NaiveDateTime;
use waypost_db::{AuthorId, PostInsertForm, PostStatus};

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
