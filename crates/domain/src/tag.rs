//! Writing tags: validated fields, slugs, and the policy's say on who may
//! change them.

use chrono::NaiveDateTime;
use waypost_db::queries::tag;
use waypost_db::{DbPool, TagId, TagInsertForm, TagUpdateForm};

use crate::fields::{new_name, renamed, saved, slug_taken, text};
use crate::freshness::{Key, changed, told};
use crate::policy::{Action, Viewer, authorize};
use crate::{DomainResult, Tag, Written};

/// What a tag write may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct TagFields {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

pub async fn create_tag(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    fields: TagFields,
    now: NaiveDateTime,
) -> Written<Tag> {
    authorize(viewer, Action::ManageTags)?;
    let mut errors = Vec::new();
    let (name, slug) = new_name(fields.name.as_deref(), fields.slug.as_deref(), &mut errors);
    let description = text(
        "description",
        fields.description.as_deref().unwrap_or(""),
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let form = TagInsertForm {
        slug,
        name,
        description,
        created_at: now,
    };
    let inserted = tag::insert(&mut pool.get_primary().await?, &form).await;
    told(saved(inserted.map(Some), "tag", slug_taken), |tag| {
        vec![Key::Tag(tag.id()), Key::Tags]
    })
}

pub async fn update_tag(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: TagId,
    fields: TagFields,
) -> Written<Tag> {
    authorize(viewer, Action::ManageTags)?;
    let mut errors = Vec::new();
    let (name, slug) = renamed(fields.name.as_deref(), fields.slug.as_deref(), &mut errors);
    let form = TagUpdateForm {
        name,
        slug,
        description: fields
            .description
            .as_deref()
            .map(|d| text("description", d, &mut errors)),
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut conn = pool.get_primary().await?;
    let updated = if form.name.is_none() && form.slug.is_none() && form.description.is_none() {
        tag::by_ids(&mut conn, &[id])
            .await
            .map(|mut tags| tags.pop())
    } else {
        tag::update(&mut conn, id, &form).await
    };
    // Listings filtered by its slug change with it.
    told(saved(updated, "tag", slug_taken), |tag| {
        vec![Key::Tag(tag.id()), Key::Tags, Key::Posts]
    })
}

pub async fn delete_tag(pool: &DbPool, viewer: Option<&Viewer>, id: TagId) -> DomainResult<bool> {
    authorize(viewer, Action::ManageTags)?;
    let deleted = tag::delete(&mut pool.get_primary().await?, id).await?;
    changed(&[Key::Tag(id), Key::Tags, Key::Posts]);
    Ok(deleted)
}
