//! Tags and authors as directories: pages ordered by name or by how many
//! published posts each has, for tag clouds, author indexes and static-site
//! generation. A directory is small (a publication's tags and authors, not
//! its posts), so each page counts the posts of every entry.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::BigInt;

use crate::DbResult;
use crate::listing::Direction;
use crate::live;
use crate::models::{Author, Tag};
use crate::pool::{Backend, DbConn};
use crate::sql::{Bind, SqlBuilder};

/// What a directory page is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirectoryOrder {
    Name,
    /// Published posts, live as of the page's instant.
    PostCount,
}

/// Where a page starts: strictly past this entry in the page's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirectoryKey {
    Name(String, i64),
    PostCount(i64, i64),
}

#[derive(Debug, Clone)]
pub struct DirectoryQuery {
    pub order: DirectoryOrder,
    pub direction: Direction,
    pub after: Option<DirectoryKey>,
    pub limit: i64,
    pub now: NaiveDateTime,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CountedTag {
    #[diesel(sql_type = BigInt)]
    pub post_count: i64,
    #[diesel(embed)]
    pub tag: Tag,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CountedAuthor {
    #[diesel(sql_type = BigInt)]
    pub post_count: i64,
    #[diesel(embed)]
    pub author: Author,
}

/// The statement of one page; `entries` is the table and `count` the
/// subquery that counts one entry `x`'s live posts (`now` bound first).
fn page_sql(
    backend: Backend,
    q: &DirectoryQuery,
    entries: &'static str,
    count: &'static str,
) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    b.push("SELECT * FROM (SELECT x.*, (").push(count);
    let now = b.value(Bind::Time(q.now));
    live::sql(&mut b, "p", now);
    b.push(") AS post_count FROM ")
        .push(entries)
        .push(" x) d WHERE 1 = 1");
    let column = match q.order {
        DirectoryOrder::Name => "d.name",
        DirectoryOrder::PostCount => "d.post_count",
    };
    if let Some(after) = &q.after {
        let (value, id) = match after {
            DirectoryKey::Name(name, id) => (Bind::Text(name.clone()), *id),
            DirectoryKey::PostCount(count, id) => (Bind::Int(*count), *id),
        };
        b.past_keyset(column, "d.id", q.direction.after_op(), value, id);
    }
    let dir = q.direction.keyword();
    b.push(" ORDER BY ").push(column).push(" ").push(dir);
    b.push(", d.id ").push(dir).push(" LIMIT ");
    b.bind(Bind::Int(q.limit));
    b
}

const TAG_POSTS: &str = "SELECT COUNT(*) FROM post_tags l JOIN posts p ON p.id = l.post_id \
                         WHERE l.tag_id = x.id AND ";
const AUTHOR_POSTS: &str = "SELECT COUNT(*) FROM posts p WHERE p.author_id = x.id AND ";

/// A page of tags, each with its published posts counted.
pub async fn tags(conn: &mut DbConn, q: &DirectoryQuery) -> DbResult<Vec<CountedTag>> {
    page_sql(conn.backend(), q, "tags", TAG_POSTS)
        .load(conn)
        .await
}

/// A page of author profiles, each with its published posts counted.
pub async fn authors(conn: &mut DbConn, q: &DirectoryQuery) -> DbResult<Vec<CountedAuthor>> {
    page_sql(conn.backend(), q, "authors", AUTHOR_POSTS)
        .load(conn)
        .await
}

/// How many entries a directory holds.
pub async fn count(conn: &mut DbConn, entries: Entries) -> DbResult<i64> {
    let mut b = SqlBuilder::new(conn.backend());
    b.push("SELECT COUNT(*) AS total FROM ")
        .push(match entries {
            Entries::Tags => "tags",
            Entries::Authors => "authors",
        });
    let rows: Vec<Total> = b.load(conn).await?;
    Ok(rows.first().map_or(0, |r| r.total))
}

/// Which directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entries {
    Tags,
    Authors,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}
