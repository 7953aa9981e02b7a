//! Managing tags and author profiles: validated fields, slugs, and the
//! policy's say on who may change what.

use chrono::NaiveDateTime;
use waypost_db::queries::{author, tag};
use waypost_db::{
    Author, AuthorId, AuthorInsertForm, AuthorUpdateForm, DbError, DbPool, Tag, TagId,
    TagInsertForm, TagUpdateForm,
};

use crate::editorial::slugify;
use crate::policy::Viewer;
use crate::policy::{Action, authorize};
use crate::{DomainError, DomainResult};
use crate::{FieldError, Written};

pub(crate) const MAX_NAME_CHARS: usize = 100;
pub(crate) const MAX_TEXT_CHARS: usize = 2_000;
const MAX_URL_CHARS: usize = 2_000;

/// Someone's input, quoted for a message about it and cut to
/// `MAX_NAME_CHARS` characters: no slug or name is longer, and a message
/// must not send a huge input back whole.
pub(crate) fn quoted(input: &str) -> String {
    match input.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => format!("{:?}…", &input[..cut]),
        None => format!("{input:?}"),
    }
}

fn name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    short_text("name", raw, errors)
}

/// Trimmed text of 1 to `MAX_NAME_CHARS` characters (a name, a title).
pub(crate) fn short_text(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let text = raw.trim().to_owned();
    if text.is_empty() || text.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::invalid(
            field,
            format!("use 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    text
}

fn text(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    long_text(field, raw, MAX_TEXT_CHARS, errors)
}

/// Trimmed text of at most `max` characters.
pub(crate) fn long_text(
    field: &'static str,
    raw: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    if raw.chars().count() > max {
        errors.push(FieldError::invalid(
            field,
            format!("use at most {max} characters"),
        ));
    }
    raw.trim().to_owned()
}

/// An explicit slug, or one made from the name.
fn slug(explicit: Option<&str>, name: &str, errors: &mut Vec<FieldError>) -> String {
    match explicit {
        Some(raw) => {
            let raw = raw.trim();
            if raw.is_empty() || slugify(raw) != raw {
                errors.push(FieldError::invalid(
                    "slug",
                    "use lowercase letters, digits and single dashes",
                ));
            }
            raw.to_owned()
        }
        None => {
            let made = slugify(name);
            if made.is_empty() && !name.is_empty() {
                errors.push(FieldError::invalid(
                    "slug",
                    "the name has no letters or digits to make a slug from; give one",
                ));
            }
            made
        }
    }
}

fn avatar(raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let url = raw.trim();
    if url.is_empty() {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let web = (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() > "https://".len();
    if !web || url.len() > MAX_URL_CHARS || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::invalid(
            "avatarUrl",
            "use an http or https address",
        ));
    }
    Some(url.to_owned())
}

pub(crate) fn slug_taken() -> Vec<FieldError> {
    vec![FieldError::conflict("slug", "this slug is taken")]
}

/// What a tag or author write may change; `None` leaves a field alone.
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
    let name = name(fields.name.as_deref().unwrap_or(""), &mut errors);
    let slug = slug(fields.slug.as_deref(), &name, &mut errors);
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
    match tag::insert(&mut pool.get().await?, &form).await {
        Ok(tag) => Ok(Ok(tag)),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(slug_taken())),
        Err(err) => Err(err.into()),
    }
}

pub async fn update_tag(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: TagId,
    fields: TagFields,
) -> Written<Tag> {
    authorize(viewer, Action::ManageTags)?;
    let mut errors = Vec::new();
    let form = TagUpdateForm {
        name: fields.name.as_deref().map(|n| name(n, &mut errors)),
        slug: fields
            .slug
            .as_deref()
            .map(|s| slug(Some(s), "", &mut errors)),
        description: fields
            .description
            .as_deref()
            .map(|d| text("description", d, &mut errors)),
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut conn = pool.get().await?;
    let updated = if form.name.is_none() && form.slug.is_none() && form.description.is_none() {
        tag::by_ids(&mut conn, &[id])
            .await
            .map(|mut tags| tags.pop())
    } else {
        tag::update(&mut conn, id, &form).await
    };
    match updated {
        Ok(Some(tag)) => Ok(Ok(tag)),
        Ok(None) => Err(DomainError::NotFound("no such tag".into())),
        Err(DbError::UniqueViolation { .. }) => Ok(Err(slug_taken())),
        Err(err) => Err(err.into()),
    }
}

pub async fn delete_tag(pool: &DbPool, viewer: Option<&Viewer>, id: TagId) -> DomainResult<bool> {
    authorize(viewer, Action::ManageTags)?;
    Ok(tag::delete(&mut pool.get().await?, id).await?)
}

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
        Ok(author) => Ok(Ok(author)),
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
        Ok(Some(author)) => Ok(Ok(author)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked() {
        let mut errors = Vec::new();
        assert_eq!(slug(None, "Back-End Café", &mut errors), "back-end-cafe");
        assert_eq!(
            avatar("https://example.com/a.png", &mut errors).as_deref(),
            Some("https://example.com/a.png")
        );
        assert!(errors.is_empty());
        avatar("javascript:alert(1)", &mut errors);
        name("", &mut errors);
        slug(Some("Not Valid"), "", &mut errors);
        let fields: Vec<&str> = errors.iter().filter_map(|e| e.field).collect();
        assert_eq!(fields, ["avatarUrl", "name", "slug"]);
    }

    #[test]
    fn quoted_input_is_cut_to_a_name_length() {
        assert_eq!(quoted("python"), "\"python\"");
        let exact = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(quoted(&exact), format!("{exact:?}"));
        let long = quoted(&"é".repeat(10_000));
        assert_eq!(long, format!("{:?}…", "é".repeat(MAX_NAME_CHARS)));
    }
}
