//! Writing author profiles: validated fields, slugs, avatars, and the
//! policy's say on who may change them.

use chrono::NaiveDateTime;
use waypost_db::queries::author;
use waypost_db::{AuthorId, AuthorInsertForm, AuthorUpdateForm, DbError, DbPool};

use crate::fields::{avatar, name, slug, slug_taken, text};
use crate::policy::{Action, Viewer, authorize};
use crate::{Author, DomainError, FieldError, Written};

#[derive(Debug, Clone, Default)]
pub struct AuthorFields {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub bio: Option<String>,
    /// An empty text removes the avatar.
    pub avatar_url: Option<String>,
}

pub async fn create_author(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    fields: AuthorFields,
    now: NaiveDateTime,
) -> Written<Author> {
    authorize(viewer, Action::CreateAuthorProfile)?;
    let mut errors = Vec::new();
    let name = name(fields.name.as_deref().unwrap_or(""), &mut errors);
    let slug = slug(fields.slug.as_deref(), &name, &mut errors);
    let bio = text("bio", fields.bio.as_deref().unwrap_or(""), &mut errors);
    let avatar_url = fields
        .avatar_url
        .as_deref()
        .and_then(|u| avatar(u, &mut errors));
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let form = AuthorInsertForm {
        slug,
        name,
        bio,
        avatar_url,
        created_at: now,
        updated_at: now,
    };
    match author::insert(&mut pool.get().await?, &form).await {
        Ok(author) => Ok(Ok(author.into())),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(slug_taken())),
        Err(err) => Err(err.into()),
    }
}

/// Editors change any profile; an author only their own.
pub async fn update_author(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: AuthorId,
    fields: AuthorFields,
    now: NaiveDateTime,
) -> Written<Author> {
    authorize(viewer, Action::ManageAuthorProfile { author: id })?;
    let mut errors = Vec::new();
    let form = AuthorUpdateForm {
        name: fields.name.as_deref().map(|n| name(n, &mut errors)),
        slug: fields
            .slug
            .as_deref()
            .map(|s| slug(Some(s), "", &mut errors)),
        bio: fields.bio.as_deref().map(|b| text("bio", b, &mut errors)),
        avatar_url: fields.avatar_url.as_deref().map(|u| avatar(u, &mut errors)),
        updated_at: Some(now),
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    match author::update(&mut pool.get().await?, id, &form).await {
        Ok(Some(author)) => Ok(Ok(author.into())),
        Ok(None) => Err(DomainError::NotFound("no such author".into())),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(slug_taken())),
        Err(err) => Err(err.into()),
    }
}

/// Deletes a profile that has no posts (editors and admins).
pub async fn delete_author(pool: &DbPool, viewer: Option<&Viewer>, id: AuthorId) -> Written<bool> {
    authorize(viewer, Action::CreateAuthorProfile)?;
    match author::delete(&mut pool.get().await?, id).await {
        Ok(deleted) => Ok(Ok(deleted)),
        Err(DbError::ForeignKeyViolation { .. }) => Ok(Err(vec![FieldError::conflict(
            "id",
            "the author still has posts; move or delete them first",
        )])),
        Err(err) => Err(err.into()),
    }
}
