//! Writing content: creating and editing posts with validation, slugs,
//! optimistic concurrency, revisions and the publishing life cycle. Every
//! operation asks the policy first.

use crate::page_meta::{PageMeta, PageMetaChanges};
use chrono::NaiveDateTime;
use waypost_db::queries::editorial::PostEdit;
use waypost_db::queries::{editorial, post as post_queries};
use waypost_db::{
    AuthorId, DbError, DbPool, OldSlugForm, Post as PostRow, PostId, PostRevisionForm, PostStatus,
    PostUpdateForm, RevisionId, TagId,
};

use crate::authoring::{PostDraft, post_form};
use crate::clock::stored_instant;
use crate::freshness::post_changed;
use crate::policy::Viewer;
use crate::policy::{Action, allows, authorize, post_author};
use crate::render::{derive_excerpt, markdown_to_html, reading_time_minutes};
use crate::{DomainError, DomainResult, Post, PostRevision};
use crate::{FieldError, Written};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_BODY_CHARS: usize = 200_000;
pub const MAX_SLUG_CHARS: usize = 120;
/// Attempts at a unique slug when concurrent writers race for the same one.
pub(crate) const SLUG_ATTEMPTS: usize = 5;

/// Lowercase ASCII words joined by dashes; accents folded ("Café Ünïcode" →
/// "cafe-unicode"). Empty when nothing word-like remains.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for word in ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() + 1 > MAX_SLUG_CHARS {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

/// A slug someone typed: already in slug form, or refused.
fn explicit_slug(raw: &str) -> Result<String, FieldError> {
    let slug = raw.trim();
    let valid = !slug.is_empty() && slug.len() <= MAX_SLUG_CHARS && slugify(slug) == slug;
    if valid {
        Ok(slug.to_owned())
    } else {
        Err(FieldError::invalid_format(
            "slug",
            format!(
                "use lowercase letters, digits and single dashes, at most {MAX_SLUG_CHARS} characters"
            ),
        ))
    }
}

/// Tag ids once each, in a stable order.
fn distinct(mut ids: Vec<TagId>) -> Vec<TagId> {
    ids.sort();
    ids.dedup();
    ids
}

/// A slug set by hand: editors only, well-formed, and not an old slug that
/// still leads to another post. `Ok(None)` when refused (errors say why).
async fn chosen_slug(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    raw: &str,
    post: Option<PostId>,
    errors: &mut Vec<FieldError>,
) -> DomainResult<Option<String>> {
    if !allows(viewer, Action::ChooseSlug) {
        errors.push(FieldError::forbidden(
            "slug",
            "only editors choose slugs; yours comes from the title",
        ));
        return Ok(None);
    }
    let slug = match explicit_slug(raw) {
        Ok(slug) => slug,
        Err(error) => {
            errors.push(error);
            return Ok(None);
        }
    };
    let owner = editorial::old_slug_owner(&mut pool.get_primary().await?, &slug).await?;
    if owner.is_some_and(|owner| Some(owner) != post) {
        errors.push(FieldError::conflict(
            "slug",
            "links to another post still use this slug",
        ));
        return Ok(None);
    }
    Ok(Some(slug))
}

fn check_title(title: &str, errors: &mut Vec<FieldError>) {
    errors.extend(FieldError::check_length("title", title, MAX_TITLE_CHARS));
}

fn check_body(body: &str, errors: &mut Vec<FieldError>) {
    errors.extend(FieldError::check_max_length("body", body, MAX_BODY_CHARS));
}

async fn check_tags(
    pool: &DbPool,
    tag_ids: &[TagId],
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    if tag_ids.is_empty() {
        return Ok(());
    }
    let found = editorial::existing_tags(&mut pool.get_primary().await?, tag_ids).await?;
    if tag_ids.iter().any(|id| !found.contains(id)) {
        errors.push(FieldError::not_found(
            "tagIds",
            "one or more tags do not exist",
        ));
    }
    Ok(())
}

/// `base`, or `base-2`, `base-3`… whichever is free among current and old slugs.
pub(crate) async fn free_slug(pool: &DbPool, base: &str) -> DomainResult<String> {
    let taken = editorial::slugs_like(&mut pool.get_primary().await?, base).await?;
    if !taken.iter().any(|s| s == base) {
        return Ok(base.to_owned());
    }
    // Room for the suffix within the length limit.
    let stem: String = base.chars().take(MAX_SLUG_CHARS - 8).collect();
    let stem = stem.trim_end_matches('-');
    let mut n = 2;
    loop {
        let candidate = format!("{stem}-{n}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// What `create_post` needs.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    pub body: String,
    pub excerpt: Option<String>,
    pub slug: Option<String>,
    pub tag_ids: Vec<TagId>,
    /// Editors may write for any author; an author always writes as their own.
    pub author_id: Option<AuthorId>,
}

/// Creates a draft. The slug comes from the title unless one is given, made
/// unique with a numeric suffix, even against a concurrent create.
pub async fn create_post(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    new: NewPost,
    now: NaiveDateTime,
) -> Written<Post> {
    authorize(viewer, Action::CreatePost)?;
    let viewer = viewer.ok_or(DomainError::Unauthenticated("sign in to do this"))?;
    let mut errors = Vec::new();
    let author_id = post_author(viewer, new.author_id).unwrap_or_else(|| {
        errors.push(FieldError::invalid(
            "authorId",
            "name the author profile this post is by",
        ));
        AuthorId(0)
    });
    let tag_ids = distinct(new.tag_ids);
    check_title(&new.title, &mut errors);
    check_body(&new.body, &mut errors);
    check_tags(pool, &tag_ids, &mut errors).await?;
    let explicit = match new.slug.as_deref() {
        Some(raw) => chosen_slug(pool, Some(viewer), raw, None, &mut errors).await?,
        None => None,
    };
    let base = explicit.clone().unwrap_or_else(|| slugify(&new.title));
    let base = if base.is_empty() {
        "post".to_owned()
    } else {
        base
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    for _ in 0..SLUG_ATTEMPTS {
        let slug = match &explicit {
            Some(slug) => slug.clone(),
            None => free_slug(pool, &base).await?,
        };
        let draft = PostDraft {
            slug,
            title: new.title.trim().to_owned(),
            excerpt: new.excerpt.clone(),
            body_markdown: new.body.clone(),
            published_at: None,
            author_id,
        };
        let form = post_form(draft, now);
        match editorial::insert_post(&mut pool.get_primary().await?, &form, &tag_ids).await {
            Ok(post) => {
                indexes_after_write(pool, &post).await;
                post_changed(post.id);
                return Ok(Ok(post.into()));
            }
            Err(DbError::UniqueViolation { constraint }) if !constraint.contains("slug") => {
                return Err(DomainError::Internal(DbError::UniqueViolation {
                    constraint,
                }));
            }
            Err(DbError::UniqueViolation { .. }) if explicit.is_some() => {
                return Ok(Err(vec![FieldError::conflict(
                    "slug",
                    "another post has this slug",
                )]));
            }
            // Another writer took the slug between our look and our insert.
            Err(DbError::UniqueViolation { .. }) => continue,
            Err(DbError::ForeignKeyViolation { .. }) => {
                return Ok(Err(vec![FieldError::not_found(
                    "authorId",
                    "no such author profile",
                )]));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(DomainError::Conflict {
        field: Some("title"),
        message: "could not find a free slug; try again".into(),
    })
}

async fn load_for_edit(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: PostId,
) -> DomainResult<PostRow> {
    // Anonymous callers learn nothing, not even whether the post exists.
    if viewer.is_none() {
        return Err(DomainError::Unauthenticated("sign in to do this"));
    }
    let post = post_queries::by_ids(&mut pool.get_primary().await?, &[id])
        .await?
        .pop()
        .ok_or_else(|| DomainError::NotFound("no such post".into()))?;
    authorize(
        viewer,
        Action::EditPost {
            owner: post.author_id,
        },
    )?;
    Ok(post)
}

fn stale(post_id: PostId) -> Vec<FieldError> {
    vec![FieldError::conflict(
        "expectedVersion",
        format!("post {post_id} changed since you loaded it; reload and apply your edit again"),
    )]
}

/// Content changes to a post; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PostChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `Some(None)` or an empty text derives the excerpt from the body again.
    pub excerpt: Option<Option<String>>,
    pub slug: Option<String>,
    pub tag_ids: Option<Vec<TagId>>,
    /// Opens or closes the post to new comments.
    pub comments_open: Option<bool>,
    /// The page's featured image and search-engine text.
    pub page_meta: PageMetaChanges,
}

/// Edits a post if it is still at `expected_version`; the content it had
/// is kept as a revision. A live post's old slug keeps working.
pub async fn update_post(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: PostId,
    expected_version: i64,
    changes: PostChanges,
    now: NaiveDateTime,
) -> Written<Post> {
    let post = load_for_edit(pool, viewer, id).await?;
    let mut errors = Vec::new();
    if let Some(title) = &changes.title {
        check_title(title, &mut errors);
    }
    if let Some(body) = &changes.body {
        check_body(body, &mut errors);
    }
    let tag_ids = changes.tag_ids.clone().map(distinct);
    if let Some(tag_ids) = &tag_ids {
        check_tags(pool, tag_ids, &mut errors).await?;
    }
    let slug = match changes.slug.as_deref() {
        Some(raw) if raw.trim() != post.slug => {
            chosen_slug(pool, viewer, raw, Some(id), &mut errors).await?
        }
        _ => None,
    };
    let page_meta = (!changes.page_meta.is_empty()).then(|| {
        PageMeta::read(post.page_meta.as_deref())
            .changed(changes.page_meta.clone(), &mut errors)
            .stored()
    });
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if post.version != expected_version {
        return Ok(Err(stale(id)));
    }
    let body = changes
        .body
        .clone()
        .unwrap_or_else(|| post.body_markdown.clone());
    let excerpt = match &changes.excerpt {
        Some(Some(text)) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Some(_) => Some(derive_excerpt(&body)),
        None if changes.body.is_some() && post.excerpt == derive_excerpt(&post.body_markdown) => {
            // A derived excerpt follows the body it came from.
            Some(derive_excerpt(&body))
        }
        None => None,
    };
    let update = PostUpdateForm {
        slug: slug.clone(),
        title: changes.title.as_ref().map(|t| t.trim().to_owned()),
        excerpt,
        body_html: changes.body.as_ref().map(|b| markdown_to_html(b)),
        reading_time_minutes: changes.body.as_ref().map(|b| reading_time_minutes(b)),
        body_markdown: changes.body.clone(),
        updated_at: Some(now),
        comments_open: changes.comments_open,
        page_meta,
        ..Default::default()
    };
    let content_changed =
        update.title.is_some() || update.body_markdown.is_some() || update.excerpt.is_some();
    let edit = PostEdit {
        id,
        expected_version,
        changes: update,
        revision: content_changed.then(|| revision_of(&post, viewer, now)),
        old_slug: slug
            .is_some()
            .then(|| OldSlugForm {
                slug: post.slug.clone(),
                post_id: id,
                created_at: now,
            })
            .filter(|_| post.is_live(now)),
        tags: tag_ids,
    };
    apply(pool, edit).await
}

fn revision_of(post: &PostRow, viewer: Option<&Viewer>, now: NaiveDateTime) -> PostRevisionForm {
    PostRevisionForm {
        post_id: post.id,
        version: post.version,
        title: post.title.clone(),
        excerpt: post.excerpt.clone(),
        body_markdown: post.body_markdown.clone(),
        edited_by: viewer.map(|v| v.user_id),
        created_at: now,
    }
}

/// Brings what is derived from a post up to date after it was written or
/// published: its similar posts, and the search dictionary's words.
pub(crate) async fn indexes_after_write(pool: &DbPool, post: &PostRow) {
    crate::similar::refresh_after_write(pool, post.id).await;
    let kind = waypost_db::queries::search::Document::Post;
    crate::search::dictionary::learn_after_write(pool, kind, post.id.0).await;
}

async fn apply(pool: &DbPool, edit: PostEdit) -> Written<Post> {
    let id = edit.id;
    match editorial::apply_edit(&mut pool.get_primary().await?, &edit).await {
        Ok(Some(post)) => {
            indexes_after_write(pool, &post).await;
            post_changed(post.id);
            Ok(Ok(post.into()))
        }
        Ok(None) => Ok(Err(stale(id))),
        Err(DbError::UniqueViolation { constraint }) if constraint.contains("slug") => Ok(Err(
            vec![FieldError::conflict("slug", "another post has this slug")],
        )),
        Err(err) => Err(err.into()),
    }
}

/// A change of life-cycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Live now.
    Publish,
    /// Live from `at`, which must be in the future.
    Schedule {
        at: NaiveDateTime,
    },
    /// Back to draft.
    Unpublish,
    Trash,
    /// From the trash back to draft.
    Restore,
}

/// Moves a post through its life cycle. `expected_version`, when given,
/// guards against acting on a post that changed meanwhile.
pub async fn transition(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: PostId,
    expected_version: Option<i64>,
    to: Transition,
    now: NaiveDateTime,
) -> Written<Post> {
    let post = load_for_edit(pool, viewer, id).await?;
    if expected_version.is_some_and(|v| v != post.version) {
        return Ok(Err(stale(id)));
    }
    let (status, published_at) = match to {
        Transition::Publish if post.status == PostStatus::Trashed => {
            return Ok(Err(vec![FieldError::invalid(
                "id",
                "restore the post from the trash first",
            )]));
        }
        Transition::Publish => (
            PostStatus::Published,
            Some(if post.is_live(now) {
                post.published_at.unwrap_or(now)
            } else {
                now
            }),
        ),
        Transition::Schedule { at } if at <= now => {
            return Ok(Err(vec![FieldError::invalid(
                "publishAt",
                "choose a time in the future",
            )]));
        }
        Transition::Schedule { .. } if post.status == PostStatus::Trashed => {
            return Ok(Err(vec![FieldError::invalid(
                "id",
                "restore the post from the trash first",
            )]));
        }
        Transition::Schedule { at } => (PostStatus::Published, Some(stored_instant(at))),
        Transition::Unpublish if post.status == PostStatus::Trashed => {
            return Ok(Err(vec![FieldError::invalid(
                "id",
                "restore the post from the trash first",
            )]));
        }
        Transition::Unpublish => (PostStatus::Draft, None),
        Transition::Trash => (PostStatus::Trashed, post.published_at),
        Transition::Restore if post.status != PostStatus::Trashed => {
            return Ok(Err(vec![FieldError::invalid(
                "id",
                "the post is not in the trash",
            )]));
        }
        Transition::Restore => (PostStatus::Draft, None),
    };
    let edit = PostEdit {
        id,
        expected_version: post.version,
        changes: PostUpdateForm {
            status: Some(status),
            published_at: Some(published_at),
            updated_at: Some(now),
            ..Default::default()
        },
        revision: None,
        old_slug: None,
        tags: None,
    };
    apply(pool, edit).await
}

/// Deletes a post for good (editors and admins only).
pub async fn delete_post(pool: &DbPool, viewer: Option<&Viewer>, id: PostId) -> DomainResult<bool> {
    authorize(viewer, Action::DeletePost)?;
    // Out of the similar-posts index first, while the posts that list it
    // can still be found.
    crate::similar::forget(pool, id).await?;
    let deleted = editorial::delete_post(&mut pool.get_primary().await?, id).await?;
    post_changed(id);
    Ok(deleted)
}

/// Revisions are for editors and the post's author.
pub fn authorize_revisions(viewer: Option<&Viewer>, post: &Post) -> DomainResult<()> {
    authorize(
        viewer,
        Action::ReadUnpublished {
            owner: post.author_id(),
        },
    )
}

/// The revisions of each post, newest first, in one statement. Callers
/// check `authorize_revisions` for each post first.
pub async fn revisions_of_posts(
    pool: &DbPool,
    ids: &[PostId],
) -> DomainResult<std::collections::HashMap<PostId, Vec<PostRevision>>> {
    let mut by_post: std::collections::HashMap<PostId, Vec<PostRevision>> =
        ids.iter().map(|&id| (id, Vec::new())).collect();
    for revision in editorial::revisions(&mut pool.get().await?, ids).await? {
        by_post
            .entry(revision.post_id)
            .or_default()
            .push(revision.into());
    }
    Ok(by_post)
}

/// Brings back a revision's title, excerpt and body as a new edit (so the
/// content it replaces becomes a revision in turn).
pub async fn restore_revision(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    revision_id: RevisionId,
    expected_version: i64,
    now: NaiveDateTime,
) -> Written<Post> {
    if viewer.is_none() {
        return Err(DomainError::Unauthenticated("sign in to do this"));
    }
    let revision = editorial::revision(&mut pool.get_primary().await?, revision_id)
        .await?
        .ok_or_else(|| DomainError::NotFound("no such revision".into()))?;
    let post = load_for_edit(pool, viewer, revision.post_id).await?;
    let expected = expected_version;
    let changes = PostChanges {
        title: Some(revision.title),
        body: Some(revision.body_markdown),
        excerpt: Some(Some(revision.excerpt)),
        ..Default::default()
    };
    update_post(pool, viewer, post.id, expected, changes, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_accents_and_punctuation() {
        assert_eq!(slugify("Café Ünïcode: a Guide!"), "cafe-unicode-a-guide");
        assert_eq!(
            slugify("  Back-End   Engineering  "),
            "back-end-engineering"
        );
        assert_eq!(slugify("Rust & Go -- 2026"), "rust-go-2026");
        assert_eq!(slugify("!!!"), "");
        assert!(slugify(&"word ".repeat(100)).len() <= MAX_SLUG_CHARS);
    }

    #[test]
    fn explicit_slugs_must_already_be_slugs() {
        assert_eq!(explicit_slug("my-post-2").unwrap(), "my-post-2");
        for bad in ["", "My Post", "a--b", "-a", "a-", "ça", "a/b"] {
            assert!(explicit_slug(bad).is_err(), "{bad:?}");
        }
    }
}
