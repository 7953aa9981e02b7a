//! Full-text search over published posts and guides. PostgreSQL ranks with
//! `ts_rank` over the weighted `search` columns and highlights with
//! `ts_headline`; SQLite ranks with FTS5's `bm25` (title 10, excerpt 4,
//! body 1) and highlights with `snippet()`, each for the page's rows only.
//! Both mark matches with the private characters \u{2} and \u{3}; the
//! domain turns them into `<mark>`.
//!
//! A query comes rendered from strictest to most forgiving (as typed, with
//! prefixes, with corrections). Rows match the most forgiving; a row's
//! score is the tier of the strictest rendering it matches (2, 1, 0) plus
//! its relevance scaled into [0, 1), so exact matches rank above prefix
//! matches, and those above corrected ones.
//!
//! Results come in (score descending, kind, id) order, and a page starts
//! after the last row of the previous one by that key, so paging through a
//! result never shows a match twice or skips one.
//!
//! The dictionary that corrections come from (`search_word_keys`) is kept
//! here too: each word under itself and under its deletion keys.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Double, Text};

use crate::error::DbResult;
use crate::live;
use crate::pool::{Backend, DbConn};
use crate::sql::{Bind, SqlBuilder};

/// A query in one backend's syntax, strictest first. Equal renderings
/// share a tier.
#[derive(Debug, Clone)]
pub struct Renderings {
    /// Every word as typed.
    pub exact: String,
    /// Prefix words matching longer words too.
    pub typed: String,
    /// Prefixes and corrections: what rows must match.
    pub forgiving: String,
}

impl Renderings {
    /// The distinct renderings with their tiers, strictest first; the last
    /// is `forgiving`.
    fn tiers(&self) -> Vec<(&str, i64)> {
        let mut tiers: Vec<(&str, i64)> = vec![(&self.exact, 2)];
        for (text, tier) in [(&self.typed, 1), (&self.forgiving, 0)] {
            if tiers.last().is_some_and(|(last, _)| *last != text.as_str()) {
                tiers.push((text, tier));
            }
        }
        tiers
    }
}

/// What a search asks for, already made safe for the backend: PostgreSQL
/// takes `tsquery` (for `to_tsquery`), SQLite `fts5` (MATCH expressions of
/// quoted terms only).
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub tsquery: Renderings,
    pub fts5: Renderings,
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

/// A table PostgreSQL searches, as the statement names it.
struct PostgresSource {
    select: &'static str,
    alias: &'static str,
    column: &'static str,
    /// The text to highlight, and the table.
    body_from: &'static str,
}

const POSTGRES_POSTS: PostgresSource = PostgresSource {
    select: "SELECT 'post' AS kind, p.id AS id, ",
    alias: "p",
    column: "p.search",
    body_from: "p.title || '. ' || p.excerpt || ' ' || p.body_markdown AS body FROM posts p",
};

const POSTGRES_GUIDES: PostgresSource = PostgresSource {
    select: "SELECT 'guide' AS kind, g.id AS id, ",
    alias: "g",
    column: "g.search",
    body_from: "g.title || '. ' || g.summary || ' ' || g.search_text AS body FROM guides g",
};

/// `CASE WHEN <matches tier 1> THEN 2 ... ELSE <last tier> END`, or the one
/// tier's number.
fn tier_case(
    b: &mut SqlBuilder,
    tiers: &[(usize, i64)],
    mut matches: impl FnMut(&mut SqlBuilder, usize),
) {
    let Some(((_, last), stricter)) = tiers.split_last() else {
        b.push("0");
        return;
    };
    if stricter.is_empty() {
        push_tier(b, *last);
        return;
    }
    b.push("(CASE");
    for (query, tier) in stricter {
        b.push(" WHEN ");
        matches(b, *query);
        b.push(" THEN ");
        push_tier(b, *tier);
    }
    b.push(" ELSE ");
    push_tier(b, *last);
    b.push(" END)");
}

fn push_tier(b: &mut SqlBuilder, tier: i64) {
    b.push(match tier {
        2 => "2",
        1 => "1",
        _ => "0",
    });
}

/// The matching rows, scored; `page` adds the highlight and the ordering.
fn matches(b: &mut SqlBuilder, spec: &SearchSpec) {
    let now = b.value(Bind::Time(spec.now));
    match b.backend() {
        Backend::Postgres => {
            let tiers: Vec<(usize, i64)> = spec
                .tsquery
                .tiers()
                .into_iter()
                .map(|(text, tier)| (b.value(Bind::Text(text.to_owned())), tier))
                .collect();
            let query = tiers.last().map_or(0, |(query, _)| *query);
            let mut sources = Vec::new();
            if spec.posts {
                sources.push(&POSTGRES_POSTS);
            }
            if spec.guides && spec.tag_slug.is_none() {
                sources.push(&POSTGRES_GUIDES);
            }
            for (i, source) in sources.iter().enumerate() {
                if i > 0 {
                    b.push(" UNION ALL ");
                }
                b.push(source.select);
                tier_case(b, &tiers, |b, query| {
                    b.push(source.column).push(" @@ to_tsquery('english', ");
                    b.placeholder(query);
                    b.push(")");
                });
                // Normalisation 32 scales the rank into [0, 1).
                b.push(" + CAST(ts_rank(").push(source.column);
                b.push(", to_tsquery('english', ");
                b.placeholder(query);
                b.push("), 32) AS DOUBLE PRECISION) AS score, ");
                b.push(source.body_from).push(" WHERE ").push(source.column);
                b.push(" @@ to_tsquery('english', ");
                b.placeholder(query);
                b.push(") AND ");
                live::sql(b, source.alias, now);
                if source.alias == "p" {
                    tag_condition(b, spec);
                }
            }
            if sources.is_empty() {
                b.push(
                    "SELECT 'post' AS kind, CAST(0 AS BIGINT) AS id, \
                     CAST(0 AS DOUBLE PRECISION) AS score, '' AS body WHERE 1 = 0",
                );
            }
        }
        Backend::Sqlite => {
            let tiers: Vec<(usize, i64)> = spec
                .fts5
                .tiers()
                .into_iter()
                .map(|(text, tier)| (b.value(Bind::Text(text.to_owned())), tier))
                .collect();
            let query = tiers.last().map_or(0, |(query, _)| *query);
            b.push("SELECT r.kind AS kind, r.id AS id, ");
            // A row's tier: the strictest rendering that matches its row.
            tier_case(b, &tiers, |b, query| {
                b.push("r.rid IN (SELECT rowid FROM search_index WHERE search_index MATCH ");
                b.placeholder(query);
                b.push(")");
            });
            b.push(
                " + r.rank / (1 + r.rank) AS score, r.rid AS rid FROM (\
                 SELECT s.kind AS kind, s.ref_id AS id, \
                 -bm25(search_index, 10.0, 4.0, 1.0) AS rank, s.rowid AS rid \
                 FROM search_index s \
                 LEFT JOIN posts p ON s.kind = 'post' AND p.id = s.ref_id \
                 LEFT JOIN guides g ON s.kind = 'guide' AND g.id = s.ref_id \
                 WHERE search_index MATCH ",
            );
            b.placeholder(query);
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
            b.push(")) r");
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
             ts_headline('english', r.body, to_tsquery('english', ",
        );
        b.bind(Bind::Text(spec.tsquery.forgiving.clone()));
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
        // CROSS JOIN keeps the page's rows the outer loop, each matched
        // again by its rowid: SQLite would otherwise run the full-text
        // query first and evaluate the page again for every match (31 ms
        // against 2 ms on the benchmark's 10,000 posts).
        b.push(
            ") r CROSS JOIN search_index ON search_index.rowid = r.rid WHERE search_index MATCH ",
        );
        b.bind(Bind::Text(spec.fts5.forgiving.clone()));
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

/// A dictionary word filed under a key.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct WordKey {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub word: String,
}

/// The dictionary's words filed under any of `keys`: an index seek each.
pub async fn words_under(conn: &mut DbConn, keys: &[String]) -> DbResult<Vec<WordKey>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuilder::new(conn.backend());
    b.push("SELECT key, word FROM search_word_keys WHERE key");
    b.in_texts(keys);
    b.load(conn).await
}

#[derive(diesel::QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    word: String,
}

/// Which of `words` the dictionary holds.
pub async fn known_words(conn: &mut DbConn, words: &[String]) -> DbResult<Vec<String>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuilder::new(conn.backend());
    b.push("SELECT word FROM search_word_keys WHERE key");
    b.in_texts(words);
    b.push(" AND word = key");
    let found: Vec<Word> = b.load(conn).await?;
    Ok(found.into_iter().map(|w| w.word).collect())
}

/// Files each (key, word) in the dictionary; rows it holds already stay.
pub async fn add_word_keys(conn: &mut DbConn, rows: &[(String, String)]) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut b = SqlBuilder::new(conn.backend());
    b.varies();
    b.push("INSERT INTO search_word_keys (key, word) VALUES ");
    for (i, (key, word)) in rows.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        b.bind(Bind::Text(key.clone()));
        b.push(", ");
        b.bind(Bind::Text(word.clone()));
        b.push(")");
    }
    b.push(" ON CONFLICT DO NOTHING");
    b.execute(conn).await
}

/// What a search finds: posts or guides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Post,
    Guide,
}

/// A post's or guide's searchable text, in one string.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct DocumentText {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub text: String,
}

/// `SELECT id, <text> FROM <table> WHERE <published> AND id`: the text
/// search reads of published posts or guides (live or scheduled).
fn published_texts(b: &mut SqlBuilder, kind: Document) {
    b.push(match kind {
        Document::Post => {
            "SELECT id, title || ' ' || excerpt || ' ' || body_markdown AS text \
             FROM posts WHERE status = 'published' AND id"
        }
        Document::Guide => {
            "SELECT id, title || ' ' || summary || ' ' || search_text AS text \
             FROM guides WHERE status = 'published' AND id"
        }
    });
}

/// Up to `limit` published posts or guides after id `after`, by id, with
/// the text search reads of them.
pub async fn document_texts(
    conn: &mut DbConn,
    kind: Document,
    after: i64,
    limit: i64,
) -> DbResult<Vec<DocumentText>> {
    let mut b = SqlBuilder::new(conn.backend());
    published_texts(&mut b, kind);
    b.push(" > ");
    b.bind(Bind::Int(after));
    b.push(" ORDER BY id LIMIT ");
    b.bind(Bind::Int(limit));
    b.load(conn).await
}

/// The text of post or guide `id`, if it is published.
pub async fn document_text(
    conn: &mut DbConn,
    kind: Document,
    id: i64,
) -> DbResult<Option<DocumentText>> {
    let mut b = SqlBuilder::new(conn.backend());
    published_texts(&mut b, kind);
    b.push(" = ");
    b.bind(Bind::Int(id));
    Ok(b.load(conn).await?.pop())
}

/// Empties the dictionary, before it is built again.
pub async fn clear_dictionary(conn: &mut DbConn) -> DbResult<()> {
    let mut b = SqlBuilder::new(conn.backend());
    b.push("DELETE FROM search_word_keys");
    b.execute(conn).await
}
