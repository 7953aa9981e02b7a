//! Writing author profiles: validated fields, slugs, avatars, and the
//! policy's say on who may change them.

use chrono::NaiveDateTime;
use waypost_db::queries::author;
use waypost_db::{AuthorId, AuthorInsertForm, AuthorUpdateForm, DbError, DbPool};

use crate::fields::{avatar, new_name, renamed, saved, slug_taken, text};
use crate::freshness::{Key, changed, told};
use crate::policy::{Action, Viewer, authorize};
use crate::{Author, FieldError, Written};

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
    let (name, slug) = new_name(fields.name.as_deref(), fields.slug.as_deref(), &mut errors);
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
    let inserted = author::insert(&mut pool.get_primary().await?, &form).await;
    told(saved(inserted.map(Some), "author", slug_taken), |author| {
        vec![Key::Author(author.id()), Key::Authors]
    })
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
    let (name, slug) = renamed(fields.name.as_deref(), fields.slug.as_deref(), &mut errors);
    let form = AuthorUpdateForm {
        name,
        slug,
        bio: fields.bio.as_deref().map(|b| text("bio", b, &mut errors)),
        avatar_url: fields.avatar_url.as_deref().map(|u| avatar(u, &mut errors)),
        updated_at: Some(now),
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let updated = author::update(&mut pool.get_primary().await?, id, &form).await;
    // Listings filtered by its slug change with it.
    told(saved(updated, "author", slug_taken), |author| {
        vec![Key::Author(author.id()), Key::Authors, Key::Posts]
    })
}

/// Deletes a profile that has no posts (editors and admins).
pub async fn delete_author(pool: &DbPool, viewer: Option<&Viewer>, id: AuthorId) -> Written<bool> {
    authorize(viewer, Action::CreateAuthorProfile)?;
    match author::delete(&mut pool.get_primary().await?, id).await {
        Ok(deleted) => {
            changed(&[Key::Author(id), Key::Authors, Key::Posts]);
            Ok(Ok(deleted))
        }
        Err(DbError::ForeignKeyViolation { .. }) => Ok(Err(vec![FieldError::conflict(
            "id",
            "the author still has posts; move or delete them first",
        )])),
        Err(err) => Err(err.into()),
    }
}
