//! Career-path guides over GraphQL: guides, skills, roles and transitions,
//! the career planner, and the editors' mutations. Every fan-out goes
//! through the request's loader, so a guide page runs a fixed number of
//! statements whatever its lists hold. What the three rooms share (enum
//! mirrors, connections, loading and writing) is here.

use async_graphql::{Context, ID, InputObject, MergedObject};
use waypost_domain::FieldError;
use waypost_domain::career::{self, EntryId, Fields, SkillLevel};

use super::payload::DeletePayload;
use super::request_context;
use crate::error::GqlResultExt;
use crate::loaders::Batch;

/// Mirrors a storage enum as a GraphQL enum, both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident($graphql:literal) <=> $stored:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
        #[graphql(name = $graphql)]
        pub enum $name {
            $($variant),+
        }

        impl From<$stored> for $name {
            fn from(value: $stored) -> Self {
                match value {
                    $($stored::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $stored {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $stored::$variant),+
                }
            }
        }
    };
}

/// A connection over one page of career rows: `$conn` with its `$edge`s,
/// each node a `$object` made from a `$row`, each cursor `$cursor(row)`.
macro_rules! connection {
    ($conn:ident, $edge:ident, $object:ident, $row:ty, $cursor:expr) => {
        pub(crate) struct $conn {
            page: waypost_domain::career::Page<$row>,
            total: i64,
        }

        #[derive(async_graphql::SimpleObject)]
        pub(crate) struct $edge {
            pub(crate) cursor: String,
            pub(crate) node: $object,
        }

        #[async_graphql::Object]
        impl $conn {
            async fn edges(&self) -> Vec<$edge> {
                let cursor = $cursor;
                self.page
                    .items
                    .iter()
                    .map(|row| $edge {
                        cursor: cursor(row),
                        node: $object(row.clone()),
                    })
                    .collect()
            }
            async fn nodes(&self) -> Vec<$object> {
                self.page.items.iter().cloned().map($object).collect()
            }
            async fn page_info(&self) -> $crate::schema::paging::PageInfo {
                let cursor = $cursor;
                $crate::schema::paging::PageInfo {
                    has_next_page: self.page.has_next_page,
                    has_previous_page: self.page.has_previous_page,
                    start_cursor: self.page.items.first().map(cursor),
                    end_cursor: self.page.items.last().map(cursor),
                }
            }
            async fn total_count(&self) -> i32 {
                i32::try_from(self.total).unwrap_or(i32::MAX)
            }
        }
    };
}

mod catalogue;
mod guide;
mod planner;

pub(crate) use catalogue::{RoleObject, SkillObject, TransitionObject};
pub(crate) use guide::GuideObject;

/// The career roots, in the order the schema lists their fields.
#[derive(MergedObject, Default)]
pub(crate) struct CareerQuery(
    guide::GuideQuery,
    catalogue::CatalogueQuery,
    planner::PlannerQuery,
);

#[derive(MergedObject, Default)]
pub(crate) struct CareerMutation(catalogue::CatalogueMutation, guide::GuideMutation);

/// What an unpaged list of catalogue entries costs: its contents this many
/// times. The lists are short (a guide's skills, a role's next roles), but
/// they nest into one another (a skill's guides' skills' roles…), and
/// without a price a query could multiply them past any page limit.
const LIST_COST: usize = 20;

fn years(months: i64) -> f64 {
    months as f64 / 12.0
}

#[derive(InputObject, Clone)]
pub struct SkillLevelInput {
    /// A skill slug.
    pub skill: String,
    /// From 1 to 5.
    pub proficiency: i32,
}

fn levels(input: Vec<SkillLevelInput>) -> Vec<SkillLevel> {
    input
        .into_iter()
        .map(|l| SkillLevel {
            skill: l.skill,
            proficiency: l.proficiency,
        })
        .collect()
}

/// The list the loader reads for `key`, each item as its GraphQL object.
async fn listed<K, V, T>(
    ctx: &Context<'_>,
    key: K,
    object: fn(V) -> T,
) -> async_graphql::Result<Vec<T>>
where
    K: Batch<Value = Vec<V>>,
{
    let found = request_context(ctx)?.loader.load_one(key).await.gql()?;
    Ok(found.unwrap_or_default().into_iter().map(object).collect())
}

/// What a foreign key names: the database keeps it there (a skill, a role
/// or an author deleted takes its references along, or is refused), so a
/// miss is a broken invariant, shown as INTERNAL, and the field non-null.
async fn required<K: Batch, T>(
    ctx: &Context<'_>,
    key: K,
    object: fn(K::Value) -> T,
) -> async_graphql::Result<T> {
    let found = request_context(ctx)?.loader.load_one(key).await.gql()?;
    found
        .map(object)
        .ok_or_else(|| crate::error::internal("a referenced row is missing"))
}

/// Creates (`id` None) or edits a career entry of any kind, answered as
/// its kind's payload.
async fn save<F, P>(ctx: &Context<'_>, id: Option<F::Id>, fields: F) -> async_graphql::Result<P>
where
    F: Fields,
    P: From<Result<F::Entry, Vec<FieldError>>>,
{
    let rc = request_context(ctx)?;
    let written = career::save(&rc.pool, rc.viewer.as_ref(), id, fields, rc.now)
        .await
        .gql()?;
    Ok(written.into())
}

/// Deletes a career entry of any kind. As for posts: the id when something
/// was deleted, `null` when nothing had it (deleting twice is no error).
async fn delete(ctx: &Context<'_>, entry: EntryId, id: ID) -> async_graphql::Result<DeletePayload> {
    let rc = request_context(ctx)?;
    let deleted = career::delete(&rc.pool, rc.viewer.as_ref(), entry).await;
    Ok(DeletePayload::of(id, Ok(deleted.gql()?)))
}
