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

use waypost_db::queries::editorial;
use waypost_db::queries::similar::{self as store, PostNeighbour, PostTerm};
use waypost_db::{DbPool, Post, PostId, TagId};

use super::score::{
    Document, mean_pairwise_cosine, read_terms, score, shared_terms, shared_word, tag_coherence,
    tag_similarity, tfidf_vector,
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
/// Posts carrying a tag that are candidates for a post with that tag,
/// newest first: posts sharing only tags are found too.
const TAGGED_CANDIDATES: usize = 100;
/// Posts whose vectors measure how alike a tag's posts read (newest first),
/// and how alike posts read in general: enough for a stable mean, few
/// enough that the cost does not grow with the archive.
const COHERENCE_SAMPLE: usize = 30;

type Vector = Vec<(String, f64)>;

fn document(post: &Post) -> Document<'_> {
    Document {
        title: &post.title,
        excerpt: &post.excerpt,
        body_markdown: &post.body_markdown,
    }
}

/// The post whose nearest are sought.
struct Target<'a> {
    id: i64,
    vector: &'a [(String, f64)],
    /// The words it wrote for each term (see `read_terms`).
    forms: &'a HashMap<String, String>,
    tags: &'a [i64],
}

/// Words a neighbour carries to tell why it is similar.
const SHARED_WORDS: usize = 5;

/// Where a post's nearest are sought among: `postings`, the (post, term,
/// weight, words) rows of the target's terms (the dot product over them is the
/// cosine, both vectors being unit length); `tagged`, posts sharing a tag
/// with the target; the tags of both kinds of candidate; how telling each
/// of the target's tags is; and which posts may be listed at all.
struct Candidates<'a> {
    postings: &'a [(i64, &'a str, f64, &'a str)],
    tagged: &'a [i64],
    tags: &'a HashMap<i64, Vec<i64>>,
    coherence: &'a HashMap<i64, f64>,
    allowed: &'a HashSet<i64>,
}

/// A post's nearest among `candidates`, best first, at most `keep`.
fn nearest(
    target: Target<'_>,
    candidates: &Candidates<'_>,
    keep: usize,
) -> Vec<(i64, f64, Vec<String>)> {
    let Target {
        id: target,
        vector,
        forms,
        tags,
    } = target;
    let Candidates {
        postings,
        tagged,
        tags: candidate_tags,
        coherence,
        allowed,
    } = *candidates;
    let weights: HashMap<&str, f64> = vector.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    let mut dots: HashMap<i64, f64> = HashMap::new();
    for (post, term, weight, _) in postings {
        if let Some(own) = weights.get(term)
            && *post != target
            && allowed.contains(post)
        {
            *dots.entry(*post).or_default() += own * weight;
        }
    }
    // Posts sharing only tags have a text score of 0.
    for post in tagged {
        if *post != target && allowed.contains(post) {
            dots.entry(*post).or_default();
        }
    }
    let mut scored: Vec<(i64, f64)> = dots
        .into_iter()
        .map(|(post, dot)| {
            let theirs = candidate_tags.get(&post).map_or(&[][..], Vec::as_slice);
            let tag_sim =
                tag_similarity(tags, theirs, |t| coherence.get(&t).copied().unwrap_or(0.0));
            (post, score(dot.clamp(0.0, 1.0), tag_sim))
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(keep);
    // The reasons, for the kept posts only: the terms contributing most,
    // each shown as a word both posts wrote.
    let mut shared: HashMap<i64, (Vector, HashMap<&str, &str>)> = scored
        .iter()
        .map(|(p, _)| (*p, Default::default()))
        .collect();
    for (post, term, weight, their_forms) in postings {
        if let Some((terms, words)) = shared.get_mut(post)
            && weights.contains_key(term)
        {
            terms.push(((*term).to_owned(), *weight));
            words.insert(*term, *their_forms);
        }
    }
    scored
        .into_iter()
        .map(|(post, s)| {
            let (mut theirs, their_forms) = shared.remove(&post).unwrap_or_default();
            theirs.sort_by(|a, b| a.0.cmp(&b.0));
            theirs.dedup_by(|a, b| a.0 == b.0);
            let words: Vec<String> = shared_terms(vector, &theirs, theirs.len())
                .iter()
                .filter_map(|term| {
                    let ours = forms.get(term)?;
                    shared_word(ours, their_forms.get(term.as_str())?)
                })
                .take(SHARED_WORDS)
                .map(str::to_owned)
                .collect();
            (post, s, words)
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
    target: Target<'_>,
    keep: usize,
) -> DomainResult<Vec<(i64, f64, Vec<String>)>> {
    let Target {
        id, vector, tags, ..
    } = target;
    let id = PostId(id);
    let terms: Vec<String> = vector.iter().map(|(t, _)| t.clone()).collect();
    // A term's strongest holders only, as the full rebuild reads them:
    // what one edit costs then stays bounded as the archive grows.
    let postings = store::postings(conn, &terms, POSTINGS_PER_TERM as i64).await?;
    let mut by_tag: HashMap<i64, Vec<PostId>> = HashMap::new();
    for tag in tags {
        let newest = store::tagged(conn, TagId(*tag), TAGGED_CANDIDATES as i64).await?;
        by_tag.insert(*tag, newest);
    }
    let tagged: Vec<i64> = by_tag.values().flatten().map(|p| p.0).collect();
    let mut candidates: Vec<PostId> = postings
        .iter()
        .map(|p| p.post_id)
        .chain(tagged.iter().map(|p| PostId(*p)))
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
    let coherence = coherence_of(conn, id, vector, &by_tag).await?;
    let rows: Vec<(i64, &str, f64, &str)> = postings
        .iter()
        .map(|p| (p.post_id.0, p.term.as_str(), p.weight, p.forms.as_str()))
        .collect();
    Ok(nearest(
        target,
        &Candidates {
            postings: &rows,
            tagged: &tagged,
            tags: &candidate_tags,
            coherence: &coherence,
            allowed: &allowed,
        },
        keep,
    ))
}

/// How telling each tag of `by_tag` is, from the stored vectors of its
/// newest posts (and `vector`, the post `id` being indexed, which carries
/// them all) against those of the newest posts in the index.
async fn coherence_of(
    conn: &mut waypost_db::DbConn,
    id: PostId,
    vector: &[(String, f64)],
    by_tag: &HashMap<i64, Vec<PostId>>,
) -> DomainResult<HashMap<i64, f64>> {
    if by_tag.is_empty() {
        return Ok(HashMap::new());
    }
    let archive = store::newest_indexed(conn, COHERENCE_SAMPLE as i64).await?;
    let mut wanted: Vec<PostId> = by_tag
        .values()
        .flat_map(|posts| posts.iter().filter(|p| **p != id).take(COHERENCE_SAMPLE))
        .chain(&archive)
        .copied()
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut vectors: HashMap<i64, Vector> = HashMap::new();
    for row in store::vectors(conn, &wanted).await? {
        vectors
            .entry(row.post_id.0)
            .or_default()
            .push((row.term, row.weight));
    }
    let sample = |posts: &mut dyn Iterator<Item = &PostId>| -> Vec<&[(String, f64)]> {
        posts
            .filter(|p| **p != id)
            .filter_map(|p| vectors.get(&p.0).map(Vec::as_slice))
            .take(COHERENCE_SAMPLE)
            .collect()
    };
    let archive_sample = sample(&mut archive.iter());
    let archive_mean = mean_pairwise_cosine(&archive_sample).unwrap_or(0.0);
    Ok(by_tag
        .iter()
        .map(|(tag, posts)| {
            let mut tagged = sample(&mut posts.iter());
            tagged.push(vector);
            let mean = mean_pairwise_cosine(&tagged);
            let coherence = mean.map_or(0.0, |mean| tag_coherence(mean, archive_mean));
            (*tag, coherence)
        })
        .collect())
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
            let (counts, forms) = read_terms(&document(&post));
            let forms: HashMap<String, String> = forms.into_iter().collect();
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
            let target = Target {
                id: id.0,
                vector: &vector,
                forms: &forms,
                tags: &tags,
            };
            let found = find_nearest(conn, target, FILE_AMONG).await?;
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
                    forms: forms.get(&term).cloned().unwrap_or_default(),
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
    let mut vectors: BTreeMap<PostId, (Vector, HashMap<String, String>)> = BTreeMap::new();
    for row in store::vectors(conn, ids).await? {
        let (vector, forms) = vectors.entry(row.post_id).or_default();
        forms.insert(row.term.clone(), row.forms);
        vector.push((row.term, row.weight));
    }
    let tags = group_tags(store::tag_ids(conn, Some(ids)).await?);
    for (id, (vector, forms)) in vectors {
        let own_tags = tags.get(&id.0).cloned().unwrap_or_default();
        let target = Target {
            id: id.0,
            vector: &vector,
            forms: &forms,
            tags: &own_tags,
        };
        let found = find_nearest(conn, target, KEEP).await?;
        let rows: Vec<PostNeighbour> = found
            .iter()
            .map(|(other, s, terms)| neighbour_row(id.0, *other, *s, terms))
            .collect();
        store::replace_nearest(conn, id, &rows).await?;
    }
    Ok(())
}

/// What the index stores, by version (1: the words each post wrote for its
/// terms, shown to readers instead of stems). An index an older version
/// wrote is rebuilt once, when the service migrates.
pub const INDEX_VERSION: i64 = 1;

/// Rebuilds the index if an older version wrote it; returns how many posts
/// it then covers. The version is read under the index's lock: of
/// instances starting together, the first rebuilds and the others find it
/// done. The index keeps serving what it held meanwhile.
pub async fn reindex_if_outdated(pool: &DbPool) -> DomainResult<Option<usize>> {
    pool.get_primary()
        .await?
        .serialized(&[store::INDEX_LOCK], async |conn| {
            if editorial::rendering_version(conn, INDEX_RENDERING).await? >= INDEX_VERSION {
                return Ok(None);
            }
            reindex_on(conn).await.map(Some)
        })
        .await
}

/// Records the index as outdated, for a writer that skips the refresh
/// after each post and rebuilds once at the end (an import): should it
/// stop before then, the next start or `migrate` rebuilds the index.
pub async fn mark_outdated(pool: &DbPool) -> DomainResult<()> {
    let mut conn = pool.get_primary().await?;
    editorial::set_rendering_version(&mut conn, INDEX_RENDERING, 0).await?;
    Ok(())
}

/// The index's row in `renderings`.
const INDEX_RENDERING: &str = "similar";

/// Rebuilds the whole index with fresh document frequencies; returns how
/// many posts it covers.
pub async fn reindex_all(pool: &DbPool) -> DomainResult<usize> {
    pool.get_primary()
        .await?
        .serialized(&[store::INDEX_LOCK], async |conn| reindex_on(conn).await)
        .await
}

/// Rebuilds the whole index and records it as written by this version.
async fn reindex_on(conn: &mut waypost_db::DbConn) -> DomainResult<usize> {
    let posts = store::indexable(conn, None).await?;
    let tags = group_tags(store::tag_ids(conn, None).await?);
    let (counts, forms): (Vec<_>, Vec<_>) = posts
        .iter()
        .map(|p| {
            let (counts, forms) = read_terms(&document(p));
            let forms: HashMap<String, String> = forms.into_iter().collect();
            (counts, forms)
        })
        .unzip();
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
    let mut postings: HashMap<&str, Vec<(i64, f64, &str)>> = HashMap::new();
    for ((post, vector), words) in posts.iter().zip(&vectors).zip(&forms) {
        for (term, weight) in vector {
            let written = words.get(term).map_or("", String::as_str);
            postings
                .entry(term.as_str())
                .or_default()
                .push((post.id.0, *weight, written));
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
    // Newest first, as the index reads them when one post changes.
    for tagged in by_tag.values_mut() {
        tagged.sort_unstable_by(|a, b| b.cmp(a));
    }
    let allowed: HashSet<i64> = posts.iter().map(|p| p.id.0).collect();
    let vector_of: HashMap<i64, &[(String, f64)]> = posts
        .iter()
        .zip(&vectors)
        .map(|(p, v)| (p.id.0, v.as_slice()))
        .collect();
    let newest: Vec<&[(String, f64)]> = posts
        .iter()
        .rev()
        .take(COHERENCE_SAMPLE)
        .filter_map(|p| vector_of.get(&p.id.0).copied())
        .collect();
    let archive_mean = mean_pairwise_cosine(&newest).unwrap_or(0.0);
    let coherence: HashMap<i64, f64> = by_tag
        .iter()
        .map(|(tag, tagged)| {
            let sample: Vec<&[(String, f64)]> = tagged
                .iter()
                .take(COHERENCE_SAMPLE)
                .filter_map(|p| vector_of.get(p).copied())
                .collect();
            let mean = mean_pairwise_cosine(&sample);
            (
                *tag,
                mean.map_or(0.0, |mean| tag_coherence(mean, archive_mean)),
            )
        })
        .collect();
    let mut term_rows = Vec::new();
    let mut neighbour_rows = Vec::new();
    for ((post, vector), own_forms) in posts.iter().zip(&vectors).zip(&forms) {
        let own_tags = tags.get(&post.id.0).cloned().unwrap_or_default();
        let rows: Vec<(i64, &str, f64, &str)> = vector
            .iter()
            .flat_map(|(term, _)| {
                postings
                    .get(term.as_str())
                    .into_iter()
                    .flatten()
                    .map(move |(p, w, written)| (*p, term.as_str(), *w, *written))
            })
            .collect();
        let tagged: Vec<i64> = own_tags
            .iter()
            .filter_map(|t| by_tag.get(t))
            .flat_map(|tagged| tagged.iter().take(TAGGED_CANDIDATES))
            .copied()
            .collect();
        for (other, s, terms) in nearest(
            Target {
                id: post.id.0,
                vector,
                forms: own_forms,
                tags: &own_tags,
            },
            &Candidates {
                postings: &rows,
                tagged: &tagged,
                tags: &tags,
                coherence: &coherence,
                allowed: &allowed,
            },
            KEEP,
        ) {
            neighbour_rows.push(neighbour_row(post.id.0, other, s, &terms));
        }
        term_rows.extend(vector.iter().map(|(term, weight)| PostTerm {
            post_id: post.id,
            term: term.clone(),
            weight: *weight,
            forms: own_forms.get(term).cloned().unwrap_or_default(),
        }));
    }
    store::replace_all(conn, &term_rows, &neighbour_rows).await?;
    editorial::set_rendering_version(conn, INDEX_RENDERING, INDEX_VERSION).await?;
    Ok(posts.len())
}
