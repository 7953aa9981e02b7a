//! Tags and authors as directories: pages ordered by name or by number of
//! published posts, each entry with its count.

use chrono::NaiveDateTime;
use waypost_db::directory::{self, DirectoryKey, DirectoryQuery};
pub use waypost_db::directory::{DirectoryOrder, Entries};

use crate::cursor;
use crate::freshness::{Key, read};
use crate::paging::{DEFAULT_PAGE_SIZE, page_size};
use crate::{Author, DbPool, Direction, DomainResult, Tag};

/// Everything that shapes a directory page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySpec {
    pub order: DirectoryOrder,
    pub direction: Direction,
    after: Option<DirectoryKey>,
    limit: i64,
}

/// An entry of a page, with its published posts and its cursor.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub entry: T,
    pub post_count: i64,
    pub cursor: String,
}

#[derive(Debug, Clone)]
pub struct DirectoryPage<T> {
    pub items: Vec<Listed<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Entries in the whole directory.
    pub total: i64,
}

fn listing(entries: Entries) -> &'static str {
    match entries {
        Entries::Tags => "tags1",
        Entries::Authors => "authors1",
    }
}

fn order_part(order: DirectoryOrder) -> &'static str {
    match order {
        DirectoryOrder::Name => "name",
        DirectoryOrder::PostCount => "posts",
    }
}

/// Reads the arguments of a directory page. Names go A-Z and counts most
/// first unless `direction` says otherwise.
pub fn parse(
    entries: Entries,
    order: DirectoryOrder,
    direction: Option<Direction>,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<DirectorySpec> {
    let limit = page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
    let direction = direction.unwrap_or(match order {
        DirectoryOrder::Name => Direction::Asc,
        DirectoryOrder::PostCount => Direction::Desc,
    });
    let after = after
        .map(|after| {
            // The value last: a name may hold the separator.
            let [kind, id, value] = cursor::decode(after, listing(entries), "after")?;
            if kind != order_part(order) {
                return Err(cursor::bad_cursor("after"));
            }
            let id = cursor::parse_id(&id, "after")?;
            Ok(match order {
                DirectoryOrder::Name => DirectoryKey::Name(value, id),
                DirectoryOrder::PostCount => {
                    DirectoryKey::PostCount(cursor::parse_id(&value, "after")?, id)
                }
            })
        })
        .transpose()?;
    Ok(DirectorySpec {
        order,
        direction,
        after,
        limit,
    })
}

/// A page of tags.
pub async fn tags(
    pool: &DbPool,
    spec: &DirectorySpec,
    now: NaiveDateTime,
) -> DomainResult<DirectoryPage<Tag>> {
    read(Key::Tags);
    let mut conn = pool.get().await?;
    let rows = directory::tags(&mut conn, &query(spec, now)).await?;
    let total = directory::count(&mut conn, Entries::Tags).await?;
    let rows = rows.into_iter().map(|r| (Tag::from(r.tag), r.post_count));
    Ok(page(Entries::Tags, spec, rows, total, |t| {
        (t.name().to_owned(), t.id().0)
    }))
}

/// A page of author profiles.
pub async fn authors(
    pool: &DbPool,
    spec: &DirectorySpec,
    now: NaiveDateTime,
) -> DomainResult<DirectoryPage<Author>> {
    read(Key::Authors);
    let mut conn = pool.get().await?;
    let rows = directory::authors(&mut conn, &query(spec, now)).await?;
    let total = directory::count(&mut conn, Entries::Authors).await?;
    let rows = rows
        .into_iter()
        .map(|r| (Author::from(r.author), r.post_count));
    Ok(page(Entries::Authors, spec, rows, total, |a| {
        (a.name().to_owned(), a.id().0)
    }))
}

fn query(spec: &DirectorySpec, now: NaiveDateTime) -> DirectoryQuery {
    // Counts follow which posts are live.
    read(Key::Posts);
    DirectoryQuery {
        order: spec.order,
        direction: spec.direction,
        after: spec.after.clone(),
        // One extra row tells whether another page follows.
        limit: spec.limit + 1,
        now,
    }
}

fn page<T>(
    entries: Entries,
    spec: &DirectorySpec,
    rows: impl Iterator<Item = (T, i64)>,
    total: i64,
    name_and_id: impl Fn(&T) -> (String, i64),
) -> DirectoryPage<T> {
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    let mut items: Vec<Listed<T>> = rows
        .map(|(entry, post_count)| {
            let (name, id) = name_and_id(&entry);
            let value = match spec.order {
                DirectoryOrder::Name => name,
                DirectoryOrder::PostCount => post_count.to_string(),
            };
            let cursor = cursor::encode(
                listing(entries),
                &[order_part(spec.order), &id.to_string(), &value],
            );
            Listed {
                entry,
                post_count,
                cursor,
            }
        })
        .collect();
    let has_next_page = items.len() > limit;
    items.truncate(limit);
    DirectoryPage {
        items,
        has_next_page,
        has_previous_page: spec.after.is_some(),
        total,
    }
}
