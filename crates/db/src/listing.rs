//! Keyset-paginated post listings, grouped by a parent (all posts, an
//! author's, a tag's) so that one statement serves a whole batch of parents.
//!
//! The SQL is assembled from fixed fragments chosen by enums; every value a
//! client supplies travels as a bind parameter.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::BigInt;

use crate::ids::{AuthorId, PostId};
use crate::live;
use crate::models::Post;
use crate::pool::Backend;
use crate::sql::{Bind, SqlBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostOrderField {
    PublishedAt,
    Title,
    UpdatedAt,
}

impl PostOrderField {
    fn column(self, visibility: Visibility) -> &'static str {
        match self {
            PostOrderField::PublishedAt => visibility.published_key(),
            PostOrderField::Title => "p.title",
            PostOrderField::UpdatedAt => "p.updated_at",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
    /// The comparison that selects rows strictly after a key in this direction.
    pub(crate) fn after_op(self) -> &'static str {
        match self {
            Direction::Asc => ">",
            Direction::Desc => "<",
        }
    }
    fn before_op(self) -> &'static str {
        self.reversed().after_op()
    }
}

/// The value of the ordering column at a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CursorValue {
    Time(NaiveDateTime),
    Text(String),
}

/// A position in a listing: the ordering column's value and the id that breaks ties.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keyset {
    pub value: CursorValue,
    pub id: PostId,
}

/// Which parent the listed posts are grouped under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    All,
    Author,
    Tag,
}

/// Which posts a listing may show. Scheduling is a query-time rule: a post
/// published with a future date is scheduled until that instant passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Published at or before `now`: what everyone sees.
    Live {
        now: NaiveDateTime,
    },
    /// Published with a date after `now`.
    Scheduled {
        now: NaiveDateTime,
    },
    Drafts,
    Trashed,
}

impl Visibility {
    /// The column (or expression) that PUBLISHED_AT orders by: drafts may
    /// have no date yet and sort by creation instead.
    fn published_key(self) -> &'static str {
        match self {
            Visibility::Live { .. } | Visibility::Scheduled { .. } => "p.published_at",
            Visibility::Drafts | Visibility::Trashed => "COALESCE(p.published_at, p.created_at)",
        }
    }

    fn condition(self, b: &mut SqlBuilder) {
        match self {
            Visibility::Live { now } => {
                let now = b.value(Bind::Time(now));
                live::sql(b, "p", now);
            }
            Visibility::Scheduled { now } => {
                let now = b.value(Bind::Time(now));
                live::scheduled_sql(b, "p", now);
            }
            Visibility::Drafts => {
                b.push("p.status = 'draft'");
            }
            Visibility::Trashed => {
                b.push("p.status = 'trashed'");
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostFilter {
    pub visibility: Visibility,
    /// Only this author's posts (how an AUTHOR sees unpublished ones).
    pub author_id: Option<AuthorId>,
    pub tag_slug: Option<String>,
    pub author_slug: Option<String>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
}

impl PostFilter {
    /// Every post live at `now`, nothing else filtered.
    pub fn live(now: NaiveDateTime) -> Self {
        PostFilter {
            visibility: Visibility::Live { now },
            author_id: None,
            tag_slug: None,
            author_slug: None,
            published_after: None,
            published_before: None,
        }
    }
}

/// One listing statement: published posts of each parent in `parent_ids`
/// (ignored for `Group::All`), filtered, ordered by `order` then id in
/// `direction`, strictly after `after` and strictly before `before` in that
/// direction, at most `limit` per parent.
#[derive(Debug, Clone)]
pub struct PostListQuery<'a> {
    pub group: Group,
    pub parent_ids: &'a [i64],
    pub filter: &'a PostFilter,
    pub order: PostOrderField,
    pub direction: Direction,
    pub after: Option<&'a Keyset>,
    pub before: Option<&'a Keyset>,
    pub limit: i64,
    /// Rows skipped before the page (a page number's).
    pub offset: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct GroupedPost {
    #[diesel(sql_type = BigInt)]
    pub grp: i64,
    #[diesel(embed)]
    pub post: Post,
}

#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct GroupedCount {
    #[diesel(sql_type = BigInt)]
    pub grp: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// `FROM ... WHERE ...` shared by the listing and its count.
fn from_where(b: &mut SqlBuilder, q_group: Group, parent_ids: &[i64], filter: &PostFilter) {
    b.push(" FROM posts p");
    if q_group == Group::Tag {
        b.push(" JOIN post_tags pt ON pt.post_id = p.id");
    }
    b.push(" WHERE ");
    filter.visibility.condition(b);
    if let Some(author) = filter.author_id {
        b.push(" AND p.author_id = ");
        b.bind(Bind::Int(author.0));
    }
    match q_group {
        Group::All => {}
        Group::Author => {
            b.push(" AND p.author_id");
            b.in_list(parent_ids);
        }
        Group::Tag => {
            b.push(" AND pt.tag_id");
            b.in_list(parent_ids);
        }
    }
    if let Some(slug) = &filter.tag_slug {
        b.push(
            " AND EXISTS (SELECT 1 FROM post_tags ft JOIN tags t ON t.id = ft.tag_id \
             WHERE ft.post_id = p.id AND t.slug = ",
        );
        b.bind(Bind::Text(slug.clone()));
        b.push(")");
    }
    if let Some(slug) = &filter.author_slug {
        b.push(" AND p.author_id IN (SELECT a.id FROM authors a WHERE a.slug = ");
        b.bind(Bind::Text(slug.clone()));
        b.push(")");
    }
    if let Some(after) = filter.published_after {
        b.push(" AND p.published_at >= ");
        b.bind(Bind::Time(after));
    }
    if let Some(before) = filter.published_before {
        b.push(" AND p.published_at < ");
        b.bind(Bind::Time(before));
    }
}

fn group_expr(group: Group) -> &'static str {
    match group {
        Group::All => "CAST(0 AS BIGINT)",
        Group::Author => "p.author_id",
        Group::Tag => "pt.tag_id",
    }
}

/// The columns of [`crate::models::Post`], by name. Not `p.*`: that would
/// also carry the search document, which PostgreSQL spells out as text
/// for every row although nothing reads it, and which cost a listing page
/// more than the rest of its columns together.
const POST_COLUMNS: &str = "p.id, p.slug, p.title, p.excerpt, \
     p.body_markdown, p.body_html, p.reading_time_minutes, p.status, p.author_id, \
     p.published_at, p.created_at, p.updated_at, p.version, p.comments_open, \
     p.comment_count, p.page_meta";

pub(crate) fn list_sql(backend: Backend, q: &PostListQuery<'_>) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    let grouped = q.group != Group::All;
    let column = q.order.column(q.filter.visibility);
    let dir = q.direction.keyword();
    if grouped {
        b.push("SELECT * FROM (");
    }
    b.push("SELECT ")
        .push(POST_COLUMNS)
        .push(", ")
        .push(group_expr(q.group))
        .push(" AS grp");
    if grouped {
        b.push(", ROW_NUMBER() OVER (PARTITION BY ")
            .push(group_expr(q.group));
        b.push(" ORDER BY ").push(column).push(" ").push(dir);
        b.push(", p.id ").push(dir).push(") AS rn");
    }
    from_where(&mut b, q.group, q.parent_ids, q.filter);
    if let Some(keyset) = q.after {
        keyset_condition(&mut b, column, q.direction.after_op(), keyset);
    }
    if let Some(keyset) = q.before {
        keyset_condition(&mut b, column, q.direction.before_op(), keyset);
    }
    if grouped {
        b.push(") ranked WHERE rn > ");
        b.bind(Bind::Int(q.offset));
        b.push(" AND rn <= ");
        b.bind(Bind::Int(q.offset.saturating_add(q.limit)));
        b.push(" ORDER BY grp, rn");
    } else {
        b.push(" ORDER BY ").push(column).push(" ").push(dir);
        b.push(", p.id ").push(dir).push(" LIMIT ");
        b.bind(Bind::Int(q.limit));
        b.push(" OFFSET ");
        b.bind(Bind::Int(q.offset));
    }
    b
}

/// Rows strictly past a keyset.
fn keyset_condition(b: &mut SqlBuilder, column: &'static str, op: &'static str, keyset: &Keyset) {
    let value = match &keyset.value {
        CursorValue::Time(t) => Bind::Time(*t),
        CursorValue::Text(s) => Bind::Text(s.clone()),
    };
    b.past_keyset(column, "p.id", op, value, keyset.id.0);
}

pub(crate) fn count_sql(
    backend: Backend,
    group: Group,
    parent_ids: &[i64],
    filter: &PostFilter,
) -> SqlBuilder {
    let mut b = SqlBuilder::new(backend);
    b.push("SELECT ")
        .push(group_expr(group))
        .push(" AS grp, COUNT(*) AS total");
    from_where(&mut b, group, parent_ids, filter);
    if group != Group::All {
        b.push(" GROUP BY ").push(group_expr(group));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_listing_binds_every_client_value() {
        let filter = PostFilter {
            visibility: Visibility::Drafts,
            author_id: None,
            tag_slug: Some("x'; DROP TABLE posts; --".into()),
            author_slug: None,
            published_after: None,
            published_before: None,
        };
        let keyset = Keyset {
            value: CursorValue::Text("O'Brien".into()),
            id: PostId(7),
        };
        let q = PostListQuery {
            group: Group::Tag,
            parent_ids: &[1, 2],
            filter: &filter,
            order: PostOrderField::Title,
            direction: Direction::Desc,
            after: Some(&keyset),
            before: None,
            limit: 11,
            offset: 0,
        };
        let b = list_sql(Backend::Postgres, &q);
        assert!(!b.sql.contains("DROP"), "{}", b.sql);
        assert!(!b.sql.contains("Brien"), "{}", b.sql);
        // PostgreSQL takes the parents as one array, so that the text is
        // the same for any number of them; SQLite, one value each.
        assert!(b.sql.contains("pt.tag_id = ANY($1)"), "{}", b.sql);
        assert!(b.sql.contains("(p.title, p.id) < ($3, $4)"), "{}", b.sql);
        // The parents, the filter's two, the keyset's two, the page's
        // bounds (after its offset, up to offset and limit).
        assert_eq!(b.binds.len(), 6);
        let lite = list_sql(Backend::Sqlite, &q);
        assert!(
            lite.sql.contains("pt.tag_id IN (?1, ?2)")
                && lite.sql.contains("(p.title, p.id) < (?4, ?5)")
                && !lite.sql.contains('$'),
            "{}",
            lite.sql
        );
        assert_eq!(lite.binds.len(), 7);
    }
}
