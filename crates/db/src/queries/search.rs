//! Full-text search over published posts and guides. PostgreSQL ranks with
//! `ts_rank` over the weighted `search` columns and highlights with
//! `ts_headline`; SQLite ranks with FTS5's `bm25` (title 10, excerpt 4,
//! body 1) and highlights with `snippet()`, each for the page's rows only. Both mark matches with the
//! private characters \u{2} and \u{3}; the domain turns them into `<mark>`.
//!
//! Results come in (score descending, kind, id) order, and a page starts
//! after the last row of the previous one by that key, so paging through a
//! result never shows a match twice or skips one.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Double, Text};

use crate::error::DbResult;
use crate::live;
use crate::pool::{Backend, DbConn};
use crate::sql::{Bind, SqlBuilder};

/// What a search asks for, already made safe for the backend: PostgreSQL
/// takes `websearch` (for `websearch_to_tsquery`), SQLite `fts5` (a MATCH
/// expression of quoted terms only).
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub websearch: String,
    pub fts5: String,
    pub posts: bool,
    pub guides: bool,
    /// Only posts filed under this tag (guides have no tags).
    pub tag_slug: Option<String>,
    /// Start after this (score, kind, id).
    pub after: Option<(f64, String, i64)>,
    pub limit: i64,
    pub now: NaiveDateTime,
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct SearchRow {
    /// "post" or "guide".
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Double)]
    pub score: f64,
    /// Highlighted text with \u{2} … \u{3} around matches.
    #[diesel(sql_type = Text)]
    pub fragment: String,
}

#[derive(diesel::QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The matching rows, scored; `page` adds the highlight and the ordering.
fn matches(b: &mut SqlBuilder, spec: &SearchSpec) {
    let now = b.value(Bind::Time(spec.now));
    match b.backend() {
        Backend::Postgres => {
            let query = b.value(Bind::Text(spec.websearch.clone()));
            let mut first = true;
            if spec.posts {
                first = false;
                b.push(
                    "SELECT 'post' AS kind, p.id AS id, \
                     CAST(ts_rank(p.search, websearch_to_tsquery('english', ",
                );
                b.placeholder(query);
                b.push(
                    ")) AS DOUBLE PRECISION) AS score, \
                     p.title || '. ' || p.excerpt || ' ' || p.body_markdown AS body \
                     FROM posts p WHERE p.search @@ websearch_to_tsquery('english', ",
                );
                b.placeholder(query);
                b.push(") AND ");
                live::sql(b, "p", now);
                tag_condition(b, spec);
            }
            if spec.guides && spec.tag_slug.is_none() {
                if !first {
                    b.push(" UNION ALL ");
                }
                b.push(
                    "SELECT 'guide' AS kind, g.id AS id, \
                     CAST(ts_rank(g.search, websearch_to_tsquery('english', ",
                );
                b.placeholder(query);
                b.push(
                    ")) AS DOUBLE PRECISION) AS score, \
                     g.title || '. ' || g.summary || ' ' || g.search_text AS body \
                     FROM guides g WHERE g.search @@ websearch_to_tsquery('english', ",
                );
                b.placeholder(query);
                b.push(") AND ");
                live::sql(b, "g", now);
            } else if first {
                b.push(
                    "SELECT 'post' AS kind, CAST(0 AS BIGINT) AS id, \
                     CAST(0 AS DOUBLE PRECISION) AS score, '' AS body WHERE 1 = 0",
                );
            }
        }
        Backend::Sqlite => {
            b.push(
                "SELECT s.kind AS kind, s.ref_id AS id, \
                 -bm25(search_index, 10.0, 4.0, 1.0) AS score, s.rowid AS rid \
                 FROM search_index s \
                 LEFT JOIN posts p ON s.kind = 'post' AND p.id = s.ref_id \
                 LEFT JOIN guides g ON s.kind = 'guide' AND g.id = s.ref_id \
                 WHERE search_index MATCH ",
            );
            b.bind(Bind::Text(spec.fts5.clone()));
            b.push(" AND (");
            if spec.posts {
                b.push("(s.kind = 'post' AND ");
                live::sql(b, "p", now);
                tag_condition(b, spec);
                b.push(")");
            } else {
                b.push("1 = 0");
            }
            if spec.guides && spec.tag_slug.is_none() {
                b.push(" OR (s.kind = 'guide' AND ");
                live::sql(b, "g", now);
                b.push(")");
            }
            b.push(")");
        }
    }
}

fn tag_condition(b: &mut SqlBuilder, spec: &SearchSpec) {
    if let Some(slug) = &spec.tag_slug {
        b.push(
            " AND EXISTS (SELECT 1 FROM post_tags ft JOIN tags t ON t.id = ft.tag_id \
             WHERE ft.post_id = p.id AND t.slug = ",
        );
        b.bind(Bind::Text(slug.clone()));
        b.push(")");
    }
}

/// One page of results, best first.
pub async fn page(conn: &mut DbConn, spec: &SearchSpec) -> DbResult<Vec<SearchRow>> {
    let mut b = SqlBuilder::new(conn.backend());
    let postgres = conn.backend() == Backend::Postgres;
    if postgres {
        // The highlight is made for the page's rows only.
        b.push(
            "SELECT r.kind AS kind, r.id AS id, r.score AS score, \
             ts_headline('english', r.body, websearch_to_tsquery('english', ",
        );
        b.bind(Bind::Text(spec.websearch.clone()));
        b.push(
            "), 'StartSel=\"\u{2}\", StopSel=\"\u{3}\", MaxWords=30, MinWords=12, MaxFragments=1') AS fragment \
             FROM (SELECT * FROM (",
        );
    } else {
        // The highlight is made for the page's rows only: the page is
        // found first, then matched again by rowid for `snippet()`, which
        // FTS5 computes only in the query that holds the MATCH.
        b.push(
            "SELECT r.kind AS kind, r.id AS id, r.score AS score, \
             snippet(search_index, -1, char(2), char(3), '…', 24) AS fragment \
             FROM (SELECT * FROM (",
        );
    }
    matches(&mut b, spec);
    b.push(") m");
    if let Some((score, kind, id)) = &spec.after {
        b.push(" WHERE (m.score < ");
        let s = b.bind(Bind::Double(*score));
        b.push(" OR (m.score = ");
        b.placeholder(s);
        b.push(" AND (m.kind > ");
        let k = b.bind(Bind::Text(kind.clone()));
        b.push(" OR (m.kind = ");
        b.placeholder(k);
        b.push(" AND m.id > ");
        b.bind(Bind::Int(*id));
        b.push("))))");
    }
    b.push(" ORDER BY m.score DESC, m.kind ASC, m.id ASC LIMIT ");
    b.bind(Bind::Int(spec.limit));
    if postgres {
        b.push(") r ORDER BY r.score DESC, r.kind ASC, r.id ASC");
    } else {
        b.push(") r JOIN search_index ON search_index.rowid = r.rid WHERE search_index MATCH ");
        b.bind(Bind::Text(spec.fts5.clone()));
        b.push(" ORDER BY r.score DESC, r.kind ASC, r.id ASC");
    }
    b.load(conn).await
}

/// How many published posts and guides match, ignoring paging.
pub async fn count(conn: &mut DbConn, spec: &SearchSpec) -> DbResult<i64> {
    let mut b = SqlBuilder::new(conn.backend());
    b.push("SELECT COUNT(*) AS total FROM (");
    matches(&mut b, spec);
    b.push(") m");
    let found: Vec<Total> = b.load(conn).await?;
    Ok(found.first().map_or(0, |found| found.total))
}
