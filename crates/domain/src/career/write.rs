//! The one shape of every career write: `save` takes any kind's `Fields`
//! through the same steps (the policy, the stored entry, every field checked
//! with all mistakes reported together, one write whose clashes become field
//! errors), `delete` removes any kind; and the field checks the kinds share.

use chrono::NaiveDateTime;
use waypost_db::queries::career;
use waypost_db::{
    DbConn, DbPool, DbResult, GuideId, JobRole, Post, PostId, RoleId, Skill, SkillId, TransitionId,
};

use super::MAX_LIST;
use crate::clock::stored_instant;
use crate::editorial::slugify;
use crate::fields::{
    MAX_NAME_CHARS, MAX_TEXT_CHARS, long_text, quoted, saved, short_text, slug_taken,
};
use crate::freshness::{Key, changed, told};
use crate::policy::Viewer;
use crate::policy::{Action, authorize};
use crate::{DomainError, DomainResult};
use crate::{FieldError, UserErrorCode, Written};

/// What a write of one kind of entry sets (`None` keeps the stored value),
/// and what `save` needs to know of that kind.
pub trait Fields: Send + Sized {
    /// What is given back, and what `check` sees of the stored entry.
    type Entry: Send + Sync;
    /// What is stored: the row `save` turns into the `Entry`.
    type Row: Send + Into<Self::Entry>;
    type Id: Copy + Send + Sync;
    /// The checked entry, ready to store: its row's form and its lists.
    type Draft: Send + Sync;
    /// Names the kind in messages ("no such skill").
    const KIND: &'static str;

    /// Asked before anything is read: may `viewer` write this kind at all
    /// (`creating` a new one, or editing)? The catalogue of skills, roles
    /// and transitions is the editors' and admins'.
    fn may_write(viewer: Option<&Viewer>, creating: bool) -> DomainResult<()> {
        let _ = creating;
        authorize(viewer, Action::ManageCareers)
    }

    /// Asked once the entry to edit is read, for kinds whose owner matters.
    fn may_edit(viewer: Option<&Viewer>, stored: &Self::Entry) -> DomainResult<()> {
        let _ = (viewer, stored);
        Ok(())
    }

    /// The entry `id` names (none, or one).
    fn stored(conn: &mut DbConn, id: Self::Id) -> impl Future<Output = Rows<Self>> + Send;

    /// Checks every field, given or kept from `write.stored`, and pushes
    /// each mistake to `errors`; `None` when something required is missing.
    fn check(
        self,
        write: &Write<'_, Self>,
        errors: &mut Vec<FieldError>,
    ) -> impl Future<Output = Check<Self>> + Send;

    /// Inserts (`write.id` None) or updates the entry with its lists, in
    /// one transaction; `None` when `write.id` names nothing.
    fn store(
        write: &Write<'_, Self>,
        draft: &Self::Draft,
    ) -> impl Future<Output = Stored<Self>> + Send;

    /// What a clash on a unique key means to the user: by default, a taken slug.
    fn clash() -> Vec<FieldError> {
        slug_taken()
    }
}

/// What `Fields::stored` reads.
pub type Rows<F> = DbResult<Vec<<F as Fields>::Row>>;

/// What `Fields::store` writes: `None` when `id` named nothing.
pub type Stored<F> = DbResult<Option<<F as Fields>::Row>>;

/// What `Fields::check` answers: the draft, or `None` with `errors` saying
/// what is missing.
pub type Check<F> = DomainResult<Option<<F as Fields>::Draft>>;

/// What a write is about, for `Fields::check` and `Fields::store`.
pub struct Write<'a, F: Fields> {
    pub(crate) pool: &'a DbPool,
    pub(crate) viewer: Option<&'a Viewer>,
    /// `None` when creating.
    pub(crate) id: Option<F::Id>,
    /// The entry being edited, as stored.
    pub(crate) stored: Option<&'a F::Entry>,
    /// The write's instant, as stored.
    pub(crate) now: NaiveDateTime,
}

/// Creates (`id` None) or edits an entry of any kind. What the user can fix
/// comes back as field errors, all at once; NOT_FOUND when `id` names
/// nothing.
pub async fn save<F: Fields>(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: Option<F::Id>,
    fields: F,
    now: NaiveDateTime,
) -> Written<F::Entry> {
    F::may_write(viewer, id.is_none())?;
    let now = stored_instant(now);
    let stored = match id {
        Some(id) => {
            let row = one(
                F::stored(&mut pool.get_primary().await?, id).await?,
                F::KIND,
            )?;
            let entry = row.into();
            F::may_edit(viewer, &entry)?;
            Some(entry)
        }
        None => None,
    };
    let write = Write {
        pool,
        viewer,
        id,
        stored: stored.as_ref(),
        now,
    };
    let mut errors = Vec::new();
    let draft = fields.check(&write, &mut errors).await?;
    let (Some(draft), true) = (draft, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let stored = F::store(&write, &draft).await;
    told(saved(stored, F::KIND, F::clash), |_| vec![Key::Career])
}

/// Which career entry a delete names.
#[derive(Debug, Clone, Copy)]
pub enum EntryId {
    Skill(SkillId),
    Role(RoleId),
    Transition(TransitionId),
    Guide(GuideId),
}

/// Deletes an entry: skills, roles and transitions for editors and admins
/// (guides and roles simply lose a skill or role, and a role's transitions
/// go with it), guides for those who may delete posts. `false`: nothing had
/// that id (as with posts, deleting twice is no error).
pub async fn delete(pool: &DbPool, viewer: Option<&Viewer>, entry: EntryId) -> DomainResult<bool> {
    let action = match entry {
        EntryId::Guide(_) => Action::DeletePost,
        EntryId::Skill(_) | EntryId::Role(_) | EntryId::Transition(_) => Action::ManageCareers,
    };
    authorize(viewer, action)?;
    let mut conn = pool.get_primary().await?;
    let deleted = match entry {
        EntryId::Skill(id) => career::delete_skill(&mut conn, id).await?,
        EntryId::Role(id) => career::delete_role(&mut conn, id).await?,
        EntryId::Transition(id) => career::delete_transition(&mut conn, id).await?,
        EntryId::Guide(id) => career::delete_guide(&mut conn, id).await?,
    };
    changed(&[Key::Career]);
    Ok(deleted)
}

/// The one row a lookup by id found, or NOT_FOUND.
pub(super) fn one<T>(rows: Vec<T>, what: &str) -> DomainResult<T> {
    rows.into_iter()
        .next()
        .ok_or_else(|| DomainError::NotFound(format!("no such {what}")))
}

// ---- checks the kinds share ----

/// The given text, else the stored one, else empty.
pub(super) fn or_stored<'a>(given: &'a Option<String>, stored: Option<&'a str>) -> &'a str {
    given.as_deref().or(stored).unwrap_or("")
}

/// A name or title (given, else stored) and the slug: given, else stored,
/// else made from the title.
pub(super) fn titled(
    field: &'static str,
    (title, slug): (&Option<String>, &Option<String>),
    stored: Option<(&str, &str)>,
    errors: &mut Vec<FieldError>,
) -> (String, String) {
    let title = short_text(field, or_stored(title, stored.map(|s| s.0)), errors);
    let slug = slug_of(slug.as_deref(), stored.map(|s| s.1), &title, errors);
    (title, slug)
}

/// A longer text (a description, a summary, a note): given, else stored.
pub(super) fn text(
    field: &'static str,
    given: &Option<String>,
    stored: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> String {
    long_text(field, or_stored(given, stored), MAX_TEXT_CHARS, errors)
}

/// A choice a new entry must make: given, else stored.
pub(super) fn chosen<T>(
    field: &'static str,
    given: Option<T>,
    stored: Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = given.or(stored);
    if value.is_none() {
        errors.push(FieldError::new(
            UserErrorCode::Required,
            Some(field),
            format!("choose a {field}"),
        ));
    }
    value
}

/// The slug given, else the stored one, else one made from `title`.
pub(super) fn slug_of(
    given: Option<&str>,
    stored: Option<&str>,
    title: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match (given, stored) {
        (None, Some(stored)) => stored.to_owned(),
        (Some(raw), _) => {
            let raw = raw.trim();
            if raw.is_empty() || slugify(raw) != raw || raw.len() > MAX_NAME_CHARS {
                errors.push(FieldError::invalid_format(
                    "slug",
                    "use lowercase letters, digits and single dashes",
                ));
            }
            raw.to_owned()
        }
        (None, None) => {
            let made = slugify(title);
            if made.is_empty() && !title.trim().is_empty() {
                errors.push(FieldError::invalid(
                    "slug",
                    "give a slug: the title has no letters or digits",
                ));
            }
            made
        }
    }
}

pub(super) fn list_cap<T>(field: &'static str, items: &[T], errors: &mut Vec<FieldError>) {
    if items.len() > MAX_LIST {
        errors.push(FieldError::invalid(
            field,
            format!("list at most {MAX_LIST} items"),
        ));
    }
}

/// Rows that inputs name by slug.
pub(crate) trait Named {
    type Id: Copy + PartialEq;
    /// The row's slug and id.
    fn key(&self) -> (&str, Self::Id);
}

macro_rules! named {
    ($($row:ty => $id:ty),* $(,)?) => {$(
        impl Named for $row {
            type Id = $id;
            fn key(&self) -> (&str, $id) {
                (&self.slug, self.id)
            }
        }
    )*};
}

named!(Skill => SkillId, JobRole => RoleId, Post => PostId);

impl<F: Fields> Write<'_, F> {
    /// The ids of the rows `slugs` name, in the order given, from what
    /// `lookup` finds for them (asked only when there are slugs). An unknown
    /// or repeated slug is a field error.
    pub(super) async fn ids<T: Named>(
        &self,
        field: &'static str,
        slugs: &[String],
        lookup: impl AsyncFnOnce(&mut DbConn, &[String]) -> DbResult<Vec<T>>,
        errors: &mut Vec<FieldError>,
    ) -> DomainResult<Vec<T::Id>> {
        if slugs.is_empty() {
            return Ok(Vec::new());
        }
        let found = lookup(&mut self.pool.get_primary().await?, slugs).await?;
        let mut ids = Vec::with_capacity(slugs.len());
        for wanted in slugs {
            match found
                .iter()
                .map(T::key)
                .find(|(slug, _)| *slug == wanted.as_str())
            {
                Some((_, id)) if ids.contains(&id) => {
                    errors.push(FieldError::new(
                        UserErrorCode::Duplicate,
                        Some(field),
                        format!("{} is listed twice", quoted(wanted)),
                    ));
                }
                Some((_, id)) => ids.push(id),
                None => errors.push(FieldError::not_found(
                    field,
                    format!("no such item {}", quoted(wanted)),
                )),
            }
        }
        Ok(ids)
    }
}
