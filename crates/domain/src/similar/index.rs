//! Keeping the similar-posts index up to date as posts change: each post's
//! strongest terms and its nearest posts.
//!
//! A post's text becomes a unit TF-IDF vector of its strongest terms
//! (`score`), stored as rows of an inverted index. When a post is
//! published, edited, unpublished or deleted, `refresh` recomputes its
//! vector, finds the posts sharing its terms or tags through the index
//! (index seeks, never a read of other posts' text), stores its nearest,
//! files it among theirs, and recomputes the lists of posts that listed it
//! before. `reindex_all` (the `waypost reindex` command, and seeding)
//! rebuilds everything at once with fresh document frequencies; between
//! full rebuilds, the vectors of untouched posts keep the frequencies of
//! their own indexing, which shifts scores only slightly.

use std::collections::{BTreeMap, HashMap, HashSet};

use waypost_db::queries::similar::{self as store, PostNeighbour, PostTerm};
use waypost_db::{DbPool, Post, PostId, TagId};

use super::score::{
    Document, score, shared_terms, tag_specificity, telling_tag_similarity, term_counts,
    tfidf_vector,
};
use crate::DomainResult;

/// Terms kept per post.
const MAX_TERMS: usize = 200;
/// Neighbours kept per post; `similarPosts(first:)` reads at most this many.
pub const KEEP: usize = 20;
/// Holders of a term a full rebuild looks through.
const POSTINGS_PER_TERM: usize = 500;
/// Other posts a refreshed post files itself among.
const FILE_AMONG: usize = 40;

type Vector = Vec<(String, f64)>;

fn document(post: &Post) -> Document<'_> {
    Document {
        title: &post.title,
        excerpt: &post.excerpt,
        body_markdown: &post.body_markdown,
    }
}

/// A post's nearest among the candidates the postings and tags name.
/// `postings` are (post, term, weight) rows for the target's terms; the
/// dot product over them is the cosine, both vectors being unit length.
/// The post whose nearest are sought.
struct Target<'a> {
    id: i64,
    vector: &'a [(String, f64)],
    tags: &'a [i64],
}

fn nearest(
    target: Target<'_>,
    postings: &[(i64, &str, f64)],
    candidate_tags: &HashMap<i64, Vec<i64>>,
    specificity: &HashMap<i64, f64>,
    allowed: &HashSet<i64>,
    keep: usize,
) -> Vec<(i64, f64, Vec<String>)> {
    let Target {
        id: target,
        vector,
        tags,
    } = target;
    let weights: HashMap<&str, f64> = vector.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    // Only posts sharing a term can score above 0 (shared tags raise a
    // score, never make one), so the postings name every candidate.
    let mut dots: HashMap<i64, f64> = HashMap::new();
    for (post, term, weight) in postings {
        if let Some(own) = weights.get(term)
            && *post != target
            && allowed.contains(post)
        {
            *dots.entry(*post).or_default() += own * weight;
        }
    }
    let mut scored: Vec<(i64, f64)> = dots
        .into_iter()
        .map(|(post, dot)| {
            let theirs = candidate_tags.get(&post).map_or(&[][..], Vec::as_slice);
            let tag_sim = telling_tag_similarity(tags, theirs, |t| {
                specificity.get(&t).copied().unwrap_or(0.0)
            });
            (post, score(dot.clamp(0.0, 1.0), tag_sim))
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(keep);
    // The reasons, for the kept posts only.
    let mut shared: HashMap<i64, Vector> = scored.iter().map(|(p, _)| (*p, Vec::new())).collect();
    for (post, term, weight) in postings {
        if let Some(terms) = shared.get_mut(post)
            && weights.contains_key(term)
        {
            terms.push(((*term).to_owned(), *weight));
        }
    }
    scored
        .into_iter()
        .map(|(post, s)| {
            let mut theirs = shared.remove(&post).unwrap_or_default();
            theirs.sort_by(|a, b| a.0.cmp(&b.0));
            theirs.dedup_by(|a, b| a.0 == b.0);
            (post, s, shared_terms(vector, &theirs, 5))
        })
        .collect()
}

fn neighbour_row(post: i64, similar: i64, score: f64, terms: &[String]) -> PostNeighbour {
    PostNeighbour {
        post_id: PostId(post),
        similar_id: PostId(similar),
        score,
        shared_terms: serde_json::to_string(terms).unwrap_or_else(|_| "[]".to_owned()),
    }
}

fn group_tags(rows: Vec<(PostId, TagId)>) -> HashMap<i64, Vec<i64>> {
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for (post, tag) in rows {
        map.entry(post.0).or_default().push(tag.0);
    }
    map
}

/// The nearest of a post from what the index holds, with `vector` as its
/// vector and `tags` as its tags.
async fn find_nearest(
    conn: &mut waypost_db::DbConn,
    id: PostId,
    vector: &[(String, f64)],
    tags: &[i64],
    keep: usize,
) -> DomainResult<Vec<(i64, f64, Vec<String>)>> {
    let terms: Vec<String> = vector.iter().map(|(t, _)| t.clone()).collect();
    let postings = store::postings(conn, &terms).await?;
    let tag_ids: Vec<TagId> = tags.iter().map(|t| TagId(*t)).collect();
    let mut candidates: Vec<PostId> = postings
        .iter()
        .map(|p| p.post_id)
        .filter(|p| *p != id)
        .collect();
    candidates.sort();
    candidates.dedup();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let allowed: HashSet<i64> = store::published_ids(conn, &candidates)
        .await?
        .into_iter()
        .map(|p| p.0)
        .collect();
    let candidate_tags = group_tags(store::tag_ids(conn, Some(&candidates)).await?);
    let posts = u64::try_from(store::indexed_count(conn).await?).unwrap_or(1);
    let specificity: HashMap<i64, f64> = store::tag_counts(conn, &tag_ids)
        .await?
        .into_iter()
        .map(|(tag, n)| (tag.0, tag_specificity(u64::try_from(n).unwrap_or(1), posts)))
        .collect();
    let rows: Vec<(i64, &str, f64)> = postings
        .iter()
        .map(|p| (p.post_id.0, p.term.as_str(), p.weight))
        .collect();
    Ok(nearest(
        Target {
            id: id.0,
            vector,
            tags,
        },
        &rows,
        &candidate_tags,
        &specificity,
        &allowed,
        keep,
    ))
}

/// Brings the index up to date for post `id` after any change to it.
pub async fn refresh(pool: &DbPool, id: PostId) -> DomainResult<()> {
    pool.get_primary()
        .await?
        .serialized(&[store::INDEX_LOCK], async |conn| {
            refresh_on(conn, id).await
        })
        .await
}

async fn refresh_on(conn: &mut waypost_db::DbConn, id: PostId) -> DomainResult<()> {
    let listed_before = store::listing(conn, id).await?;
    let post = store::indexable(conn, Some(&[id])).await?.pop();
    let mut listed = Vec::new();
    match post {
        // Never indexed and listed nowhere (a draft, say): nothing to undo.
        None if listed_before.is_empty() && store::vectors(conn, &[id]).await?.is_empty() => {
            return Ok(());
        }
        None => store::store(conn, id, &[], &[], &[], KEEP as i64).await?,
        Some(post) => {
            let counts = term_counts(&document(&post));
            let terms: Vec<String> = counts.keys().cloned().collect();
            let n_docs = u64::try_from(store::indexed_count(conn).await?).unwrap_or(1);
            let df: HashMap<String, i64> = store::document_frequencies(conn, &terms, id)
                .await?
                .into_iter()
                .collect();
            // Every term is kept, those no other post holds yet included:
            // they are what the posts written next will match (an archive
            // built one post at a time would otherwise index nothing).
            let vector = tfidf_vector(
                &counts,
                n_docs,
                // This post counts itself.
                |t| u64::try_from(df.get(t).copied().unwrap_or(0)).unwrap_or(0) + 1,
                MAX_TERMS,
            );
            let tags: Vec<i64> = store::tag_ids(conn, Some(&[id]))
                .await?
                .into_iter()
                .map(|(_, t)| t.0)
                .collect();
            let found = find_nearest(conn, id, &vector, &tags, FILE_AMONG).await?;
            let own: Vec<PostNeighbour> = found
                .iter()
                .take(KEEP)
                .map(|(other, s, terms)| neighbour_row(id.0, *other, *s, terms))
                .collect();
            listed = found
                .iter()
                .map(|(other, s, terms)| neighbour_row(*other, id.0, *s, terms))
                .collect();
            let rows: Vec<PostTerm> = vector
                .into_iter()
                .map(|(term, weight)| PostTerm {
                    post_id: id,
                    term,
                    weight,
                })
                .collect();
            store::store(conn, id, &rows, &own, &listed, KEEP as i64).await?;
        }
    }
    // Posts that listed this one may have lost it, leaving a place that
    // another post should fill.
    let refiled: HashSet<PostId> = listed.iter().map(|r| r.post_id).collect();
    let stale: Vec<PostId> = listed_before
        .into_iter()
        .filter(|q| !refiled.contains(q))
        .collect();
    refresh_lists(conn, &stale).await
}

/// `refresh` after a post was written: the write stands whatever happens
/// here, so a failure is logged rather than reported (`waypost reindex`
/// repairs the index).
pub async fn refresh_after_write(pool: &DbPool, id: PostId) {
    if let Err(err) = refresh(pool, id).await {
        tracing::warn!(error = %err, post = %id, "similar posts not refreshed");
    }
}

/// Takes a post out of the index before it is deleted, and refills the
/// lists it leaves.
pub async fn forget(pool: &DbPool, id: PostId) -> DomainResult<()> {
    pool.get_primary()
        .await?
        .serialized(&[store::INDEX_LOCK], async |conn| {
            let listed_before = store::listing(conn, id).await?;
            store::store(conn, id, &[], &[], &[], KEEP as i64).await?;
            refresh_lists(conn, &listed_before).await
        })
        .await
}

/// Recomputes the nearest of `ids` from their stored vectors.
async fn refresh_lists(conn: &mut waypost_db::DbConn, ids: &[PostId]) -> DomainResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut vectors: BTreeMap<PostId, Vector> = BTreeMap::new();
    for row in store::vectors(conn, ids).await? {
        vectors
            .entry(row.post_id)
            .or_default()
            .push((row.term, row.weight));
    }
    let tags = group_tags(store::tag_ids(conn, Some(ids)).await?);
    for (id, vector) in vectors {
        let own_tags = tags.get(&id.0).cloned().unwrap_or_default();
        let found = find_nearest(conn, id, &vector, &own_tags, KEEP).await?;
        let rows: Vec<PostNeighbour> = found
            .iter()
            .map(|(other, s, terms)| neighbour_row(id.0, *other, *s, terms))
            .collect();
        store::replace_nearest(conn, id, &rows).await?;
    }
    Ok(())
}

/// Rebuilds the whole index with fresh document frequencies; returns how
/// many posts it covers.
pub async fn reindex_all(pool: &DbPool) -> DomainResult<usize> {
    pool.get_primary()
        .await?
        .serialized(&[store::INDEX_LOCK], async |conn| reindex_on(conn).await)
        .await
}

async fn reindex_on(conn: &mut waypost_db::DbConn) -> DomainResult<usize> {
    let posts = store::indexable(conn, None).await?;
    let tags = group_tags(store::tag_ids(conn, None).await?);
    let counts: Vec<BTreeMap<String, u32>> =
        posts.iter().map(|p| term_counts(&document(p))).collect();
    let mut df: HashMap<&str, u64> = HashMap::new();
    for c in &counts {
        for term in c.keys() {
            *df.entry(term.as_str()).or_default() += 1;
        }
    }
    let n_docs = posts.len() as u64;
    let vectors: Vec<Vector> = counts
        .iter()
        .map(|c| {
            // As in `refresh`: only terms another post holds.
            let shared: BTreeMap<String, u32> = c
                .iter()
                .filter(|(t, _)| df.get(t.as_str()).copied().unwrap_or(0) > 1)
                .map(|(t, n)| (t.clone(), *n))
                .collect();
            tfidf_vector(
                &shared,
                n_docs,
                |t| df.get(t).copied().unwrap_or(1),
                MAX_TERMS,
            )
        })
        .collect();
    let mut postings: HashMap<&str, Vec<(i64, f64)>> = HashMap::new();
    for (post, vector) in posts.iter().zip(&vectors) {
        for (term, weight) in vector {
            postings
                .entry(term.as_str())
                .or_default()
                .push((post.id.0, *weight));
        }
    }
    // A term's strongest holders only: a post holding a common term weakly
    // is still found through its telling terms, and a full rebuild stays
    // near-linear in the number of posts instead of quadratic.
    for holders in postings.values_mut() {
        holders.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        holders.truncate(POSTINGS_PER_TERM);
    }
    let mut by_tag: HashMap<i64, Vec<i64>> = HashMap::new();
    for (post, post_tags) in &tags {
        for tag in post_tags {
            by_tag.entry(*tag).or_default().push(*post);
        }
    }
    let allowed: HashSet<i64> = posts.iter().map(|p| p.id.0).collect();
    let specificity: HashMap<i64, f64> = by_tag
        .iter()
        .map(|(tag, tagged)| (*tag, tag_specificity(tagged.len() as u64, n_docs)))
        .collect();
    let mut term_rows = Vec::new();
    let mut neighbour_rows = Vec::new();
    for (post, vector) in posts.iter().zip(&vectors) {
        let own_tags = tags.get(&post.id.0).cloned().unwrap_or_default();
        let rows: Vec<(i64, &str, f64)> = vector
            .iter()
            .flat_map(|(term, _)| {
                postings
                    .get(term.as_str())
                    .into_iter()
                    .flatten()
                    .map(move |(p, w)| (*p, term.as_str(), *w))
            })
            .collect();
        for (other, s, terms) in nearest(
            Target {
                id: post.id.0,
                vector,
                tags: &own_tags,
            },
            &rows,
            &tags,
            &specificity,
            &allowed,
            KEEP,
        ) {
            neighbour_rows.push(neighbour_row(post.id.0, other, s, &terms));
        }
        term_rows.extend(vector.iter().map(|(term, weight)| PostTerm {
            post_id: post.id,
            term: term.clone(),
            weight: *weight,
        }));
    }
    store::replace_all(conn, &term_rows, &neighbour_rows).await?;
    Ok(posts.len())
}
