//! Similar posts: each indexed post's strongest terms (an inverted index on
//! `post_terms`) and its nearest posts (`post_neighbours`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::DbResult;
use crate::ids::{PostId, TagId};
use crate::live;
use crate::models::{Post, PostStatus};
use crate::pool::ClaimWrites;
use crate::pool::{Backend, DbConn, with_conn};
use crate::schema::{post_neighbours, post_tags, post_terms, posts};
use crate::sql::{Bind, SqlBuilder};

/// Names the lock held while the index is rewritten (`DbConn::serialized`):
/// each rewrite reads what the previous one stored.
pub const INDEX_LOCK: i64 = 0x0057_6179_7369_6d69;

/// Rows per INSERT: far below either backend's limit on bound parameters.
const INSERT_CHUNK: usize = 1000;

/// Writes index rows: in multi-row statements on PostgreSQL, where each
/// statement is a round trip; a row at a time on SQLite, which runs in
/// process and whose diesel binding has no multi-row insert.
trait InsertIndexRows {
    fn insert_terms(
        &mut self,
        rows: &[PostTerm],
    ) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
    fn insert_neighbours(
        &mut self,
        rows: &[PostNeighbour],
    ) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

impl InsertIndexRows for diesel_async::AsyncPgConnection {
    async fn insert_terms(&mut self, rows: &[PostTerm]) -> diesel::QueryResult<()> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            diesel::insert_into(post_terms::table)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }

    async fn insert_neighbours(&mut self, rows: &[PostNeighbour]) -> diesel::QueryResult<()> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            diesel::insert_into(post_neighbours::table)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl InsertIndexRows for crate::pool::SqliteConn {
    async fn insert_terms(&mut self, rows: &[PostTerm]) -> diesel::QueryResult<()> {
        for row in rows {
            diesel::insert_into(post_terms::table)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(())
    }

    async fn insert_neighbours(&mut self, rows: &[PostNeighbour]) -> diesel::QueryResult<()> {
        for row in rows {
            diesel::insert_into(post_neighbours::table)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

/// A term of a post, its weight in the post's unit vector, and the words
/// the post wrote for it (space-separated, most frequent first).
#[derive(Debug, Clone, Queryable, QueryableByName, Insertable)]
#[diesel(table_name = post_terms)]
pub struct PostTerm {
    pub post_id: PostId,
    pub term: String,
    pub weight: f64,
    pub forms: String,
}

/// One of a post's nearest posts.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = post_neighbours)]
pub struct PostNeighbour {
    pub post_id: PostId,
    pub similar_id: PostId,
    pub score: f64,
    /// JSON array of terms.
    pub shared_terms: String,
}

/// Posts published (live or scheduled), with their tag ids: what the
/// similarity index covers.
pub async fn indexable(conn: &mut DbConn, ids: Option<&[PostId]>) -> DbResult<Vec<Post>> {
    Ok(with_conn!(conn, |c| {
        let mut query = posts::table
            .filter(posts::status.eq(PostStatus::Published))
            .select(Post::as_select())
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(posts::id.eq_any(ids));
        }
        query.order(posts::id).load(c).await
    })?)
}

/// The tag ids of each of `ids` (every post's when `None`).
pub async fn tag_ids(conn: &mut DbConn, ids: Option<&[PostId]>) -> DbResult<Vec<(PostId, TagId)>> {
    Ok(with_conn!(conn, |c| {
        let mut query = post_tags::table
            .select((post_tags::post_id, post_tags::tag_id))
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(post_tags::post_id.eq_any(ids));
        }
        query.load(c).await
    })?)
}

/// How many posts the index covers (every published one).
pub async fn indexed_count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        posts::table
            .filter(posts::status.eq(PostStatus::Published))
            .count()
            .get_result(c)
            .await
    })?)
}

#[derive(diesel::QueryableByName)]
struct TermCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    term: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    posts: i64,
}

/// How many indexed posts other than `except` hold each of `terms`: the
/// stored counts, an index seek a term whatever the archive's size.
pub async fn document_frequencies(
    conn: &mut DbConn,
    terms: &[String],
    except: PostId,
) -> DbResult<Vec<(String, i64)>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuilder::new(conn.backend());
    b.push(
        "SELECT c.term AS term, CAST(c.posts - (SELECT COUNT(*) FROM post_terms o \
         WHERE o.post_id = ",
    );
    b.bind(Bind::Int(except.0));
    b.push(" AND o.term = c.term) AS BIGINT) AS posts FROM similar_term_counts c WHERE c.term");
    b.in_texts(terms);
    let counts: Vec<TermCount> = b.load(conn).await?;
    Ok(counts.into_iter().map(|c| (c.term, c.posts)).collect())
}

/// The postings of `terms`: the `per_term` indexed posts holding each most
/// strongly, with their weights. An index seek a term, reading no more
/// than that many rows of it however many posts hold it.
pub async fn postings(
    conn: &mut DbConn,
    terms: &[String],
    per_term: i64,
) -> DbResult<Vec<PostTerm>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuilder::new(conn.backend());
    match b.backend() {
        Backend::Postgres => {
            b.push("SELECT t.post_id, t.term, t.weight, t.forms FROM unnest(");
            b.bind(Bind::Texts(terms.to_vec()));
            b.push(
                ") AS q(term) CROSS JOIN LATERAL (SELECT p.post_id, p.term, p.weight, p.forms \
                 FROM post_terms p WHERE p.term = q.term COLLATE \"C\" \
                 ORDER BY p.weight DESC, p.post_id LIMIT ",
            );
            b.bind(Bind::Int(per_term));
            b.push(") t");
        }
        Backend::Sqlite => {
            // No LATERAL: a limited branch per term.
            b.varies();
            let limit = b.value(Bind::Int(per_term));
            for (i, term) in terms.iter().enumerate() {
                if i > 0 {
                    b.push(" UNION ALL ");
                }
                b.push(
                    "SELECT * FROM (SELECT post_id, term, weight, forms FROM post_terms \
                     WHERE term = ",
                );
                b.bind(Bind::Text(term.clone()));
                b.push(" ORDER BY weight DESC, post_id LIMIT ");
                b.placeholder(limit);
                b.push(")");
            }
        }
    }
    b.load(conn).await
}

/// The stored vectors of `ids`.
pub async fn vectors(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<PostTerm>> {
    Ok(with_conn!(conn, |c| {
        post_terms::table
            .filter(post_terms::post_id.eq_any(ids))
            .order((post_terms::post_id, post_terms::term))
            .select((
                post_terms::post_id,
                post_terms::term,
                post_terms::weight,
                post_terms::forms,
            ))
            .load(c)
            .await
    })?)
}

/// The posts that list `id` among their nearest.
pub async fn listing(conn: &mut DbConn, id: PostId) -> DbResult<Vec<PostId>> {
    Ok(with_conn!(conn, |c| {
        post_neighbours::table
            .filter(post_neighbours::similar_id.eq(id))
            .select(post_neighbours::post_id)
            .load(c)
            .await
    })?)
}

/// Replaces what the index holds for `id`: its terms (none: the post left
/// the index) and its nearest posts; and files `id` among the nearest of
/// the posts in `listed`, keeping each of those lists to `keep` entries.
pub async fn store(
    conn: &mut DbConn,
    id: PostId,
    terms: &[PostTerm],
    nearest: &[PostNeighbour],
    listed: &[PostNeighbour],
    keep: i64,
) -> DbResult<()> {
    let trim = match conn.backend() {
        Backend::Postgres => {
            "DELETE FROM post_neighbours WHERE post_id = $1 AND similar_id NOT IN \
             (SELECT similar_id FROM post_neighbours WHERE post_id = $1 \
             ORDER BY score DESC, similar_id LIMIT $2)"
        }
        Backend::Sqlite => {
            "DELETE FROM post_neighbours WHERE post_id = ?1 AND similar_id NOT IN \
             (SELECT similar_id FROM post_neighbours WHERE post_id = ?1 \
             ORDER BY score DESC, similar_id LIMIT ?2)"
        }
    };
    // The counts of the terms the post held and holds now, kept in the
    // same transaction.
    let (uncount, count) = match conn.backend() {
        Backend::Postgres => (
            "UPDATE similar_term_counts SET posts = posts - 1 \
             WHERE term IN (SELECT term FROM post_terms WHERE post_id = $1)",
            "INSERT INTO similar_term_counts (term, posts) \
             SELECT term, 1 FROM post_terms WHERE post_id = $1 \
             ON CONFLICT (term) DO UPDATE SET posts = similar_term_counts.posts + 1",
        ),
        Backend::Sqlite => (
            "UPDATE similar_term_counts SET posts = posts - 1 \
             WHERE term IN (SELECT term FROM post_terms WHERE post_id = ?1)",
            "INSERT INTO similar_term_counts (term, posts) \
             SELECT term, 1 FROM post_terms WHERE post_id = ?1 \
             ON CONFLICT (term) DO UPDATE SET posts = posts + 1",
        ),
    };
    with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            diesel::sql_query(uncount)
                .bind::<diesel::sql_types::BigInt, _>(id.0)
                .execute(c)
                .await?;
            diesel::delete(post_terms::table.filter(post_terms::post_id.eq(id)))
                .execute(c)
                .await?;
            diesel::delete(
                post_neighbours::table.filter(
                    post_neighbours::post_id
                        .eq(id)
                        .or(post_neighbours::similar_id.eq(id)),
                ),
            )
            .execute(c)
            .await?;
            c.insert_terms(terms).await?;
            diesel::sql_query(count)
                .bind::<diesel::sql_types::BigInt, _>(id.0)
                .execute(c)
                .await?;
            c.insert_neighbours(nearest).await?;
            c.insert_neighbours(listed).await?;
            for row in listed {
                // Keep the other post's list to its best `keep`, in one
                // statement: a row another writer adds meanwhile is never
                // trimmed by a ranking that did not see it.
                diesel::sql_query(trim)
                    .bind::<diesel::sql_types::BigInt, _>(row.post_id.0)
                    .bind::<diesel::sql_types::BigInt, _>(keep)
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
        .await
    })?;
    Ok(())
}

/// Replaces the nearest posts of `id` only.
pub async fn replace_nearest(
    conn: &mut DbConn,
    id: PostId,
    nearest: &[PostNeighbour],
) -> DbResult<()> {
    with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            diesel::delete(post_neighbours::table.filter(post_neighbours::post_id.eq(id)))
                .execute(c)
                .await?;
            c.insert_neighbours(nearest).await?;
            Ok(())
        })
        .await
    })?;
    Ok(())
}

/// Replaces the whole index in one transaction.
pub async fn replace_all(
    conn: &mut DbConn,
    terms: &[PostTerm],
    nearest: &[PostNeighbour],
) -> DbResult<()> {
    with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            diesel::delete(post_neighbours::table).execute(c).await?;
            diesel::delete(post_terms::table).execute(c).await?;
            c.insert_terms(terms).await?;
            diesel::sql_query("DELETE FROM similar_term_counts")
                .execute(c)
                .await?;
            diesel::sql_query(
                "INSERT INTO similar_term_counts (term, posts) \
                 SELECT term, COUNT(*) FROM post_terms GROUP BY term",
            )
            .execute(c)
            .await?;
            c.insert_neighbours(nearest).await?;
            Ok(())
        })
        .await
    })?;
    Ok(())
}

/// The nearest live posts of each of `ids`, best first, in one statement.
pub async fn nearest(
    conn: &mut DbConn,
    ids: &[PostId],
    now: NaiveDateTime,
) -> DbResult<Vec<PostNeighbour>> {
    Ok(with_conn!(conn, |c| {
        post_neighbours::table
            .inner_join(posts::table.on(posts::id.eq(post_neighbours::similar_id)))
            .filter(post_neighbours::post_id.eq_any(ids))
            .filter(live::post(now))
            .order((
                post_neighbours::post_id,
                post_neighbours::score.desc(),
                post_neighbours::similar_id,
            ))
            .select((
                post_neighbours::post_id,
                post_neighbours::similar_id,
                post_neighbours::score,
                post_neighbours::shared_terms,
            ))
            .load(c)
            .await
    })?)
}

/// Which of `ids` are published (live or scheduled).
pub async fn published_ids(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<PostId>> {
    Ok(with_conn!(conn, |c| {
        posts::table
            .filter(posts::id.eq_any(ids))
            .filter(posts::status.eq(PostStatus::Published))
            .select(posts::id)
            .load(c)
            .await
    })?)
}

/// The `limit` newest posts carrying `tag` (drafts included: callers keep
/// the indexed ones). An index seek on `(tag_id, post_id)`.
pub async fn tagged(conn: &mut DbConn, tag: TagId, limit: i64) -> DbResult<Vec<PostId>> {
    Ok(with_conn!(conn, |c| {
        post_tags::table
            .filter(post_tags::tag_id.eq(tag))
            .order(post_tags::post_id.desc())
            .limit(limit)
            .select(post_tags::post_id)
            .load(c)
            .await
    })?)
}

/// The `limit` newest posts the index holds a vector for.
pub async fn newest_indexed(conn: &mut DbConn, limit: i64) -> DbResult<Vec<PostId>> {
    Ok(with_conn!(conn, |c| {
        post_terms::table
            .select(post_terms::post_id)
            .distinct()
            .order(post_terms::post_id.desc())
            .limit(limit)
            .load(c)
            .await
    })?)
}
