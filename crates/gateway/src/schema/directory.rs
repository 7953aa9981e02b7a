//! `tags` and `authors` as connections: tag clouds, author indexes and
//! static-site generators page through them, by name or by number of
//! published posts.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use waypost_domain::Direction;
use waypost_domain::directory::{self, DirectoryOrder, DirectoryPage, DirectorySpec, Entries};

use super::paging::PageInfo;
use super::post_connection::OrderDirection;
use super::{AuthorObject, TagObject, request_context};
use crate::error::GqlResultExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum DirectoryOrderField {
    /// By name, A to Z unless `direction` says otherwise.
    Name,
    /// By number of published posts, most first unless `direction` says
    /// otherwise.
    PostCount,
}

/// How to order tags or authors.
#[derive(Debug, Clone, Copy, InputObject)]
pub(crate) struct DirectoryOrderInput {
    field: DirectoryOrderField,
    direction: Option<OrderDirection>,
}

/// Reads a directory page's arguments.
pub(crate) fn spec(
    entries: Entries,
    first: Option<i32>,
    after: Option<&str>,
    order_by: Option<DirectoryOrderInput>,
) -> async_graphql::Result<DirectorySpec> {
    let (order, direction) = match order_by {
        None => (DirectoryOrder::Name, None),
        Some(input) => (
            match input.field {
                DirectoryOrderField::Name => DirectoryOrder::Name,
                DirectoryOrderField::PostCount => DirectoryOrder::PostCount,
            },
            input.direction.map(|d| match d {
                OrderDirection::Asc => Direction::Asc,
                OrderDirection::Desc => Direction::Desc,
            }),
        ),
    };
    directory::parse(entries, order, direction, first, after).gql()
}

/// A connection over a directory page; `$object` wraps each entry.
macro_rules! directory_connection {
    ($conn:ident, $edge:ident, $object:ident, $row:ty) => {
        pub(crate) struct $conn(pub(crate) DirectoryPage<$row>);

        #[derive(SimpleObject)]
        pub(crate) struct $edge {
            cursor: String,
            node: $object,
            /// Published posts it has.
            post_count: i32,
        }

        #[Object]
        impl $conn {
            async fn edges(&self) -> Vec<$edge> {
                self.0
                    .items
                    .iter()
                    .map(|item| $edge {
                        cursor: item.cursor.clone(),
                        node: $object(item.entry.clone()),
                        post_count: i32::try_from(item.post_count).unwrap_or(i32::MAX),
                    })
                    .collect()
            }
            async fn nodes(&self) -> Vec<$object> {
                self.0
                    .items
                    .iter()
                    .map(|item| $object(item.entry.clone()))
                    .collect()
            }
            async fn page_info(&self) -> PageInfo {
                PageInfo {
                    has_next_page: self.0.has_next_page,
                    has_previous_page: self.0.has_previous_page,
                    start_cursor: self.0.items.first().map(|i| i.cursor.clone()),
                    end_cursor: self.0.items.last().map(|i| i.cursor.clone()),
                }
            }
            /// All of them, ignoring paging.
            async fn total_count(&self) -> i32 {
                i32::try_from(self.0.total).unwrap_or(i32::MAX)
            }
        }
    };
}

directory_connection!(TagConnection, TagEdge, TagObject, waypost_domain::Tag);
directory_connection!(
    AuthorConnection,
    AuthorEdge,
    AuthorObject,
    waypost_domain::Author
);

#[derive(Default)]
pub(crate) struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every tag, 20 a page by default (at most 100), by name or by number
    /// of published posts; each edge says how many it has.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<DirectoryOrderInput>,
    ) -> async_graphql::Result<TagConnection> {
        let rc = request_context(ctx)?;
        let spec = spec(Entries::Tags, first, after.as_deref(), order_by)?;
        let page = directory::tags(&rc.pool, &spec, rc.now).await.gql()?;
        Ok(TagConnection(page))
    }

    /// Every author profile, as `tags` lists tags.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn authors(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<DirectoryOrderInput>,
    ) -> async_graphql::Result<AuthorConnection> {
        let rc = request_context(ctx)?;
        let spec = spec(Entries::Authors, first, after.as_deref(), order_by)?;
        let page = directory::authors(&rc.pool, &spec, rc.now).await.gql()?;
        Ok(AuthorConnection(page))
    }
}
