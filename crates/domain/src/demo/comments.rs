//! The benchmark's comment threads: about twenty comments a post, some
//! posts quiet and some busy, replies several levels deep, from a few
//! thousand returning readers. Written in bulk, a few hundred posts' threads
//! at a time, one level of nesting after another so that every reply can
//! name its parent's id.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{CommentId, CommentInsertForm, CommentStatus, DbPool, PostId};

use super::{BENCH_TOPIC_WORDS, BENCH_TOPICS, BENCH_WORDS, topic_word};
use crate::account::token_hash;
use crate::clock::stored_instant;
use crate::comment::{CommentSettings, fingerprint, render_comment};
use crate::{DomainError, DomainResult};

/// Size of the threads seeded over the benchmark posts.
#[derive(Debug, Clone, Copy)]
pub struct CommentShape {
    /// Comments in all, shared unevenly among the posts.
    pub comments: usize,
    /// Distinct commenters, [`commenter_email`] `0..commenters`.
    pub commenters: usize,
    /// Levels of nesting, as [`CommentSettings::max_depth`] counts them.
    pub max_depth: i32,
}

impl Default for CommentShape {
    fn default() -> Self {
        CommentShape {
            comments: 200_000,
            commenters: 5_000,
            max_depth: CommentSettings::default().max_depth,
        }
    }
}

/// The address of benchmark commenter `k`. Nearly all of their comments
/// are approved and vouched for, so a new comment from one of them is
/// approved at once, as a returning reader's is.
pub fn commenter_email(k: usize) -> String {
    format!("reader-{k}@example.com")
}

/// Posts whose threads are planned and written together: enough rows for
/// bulk statements, few enough to keep memory small on 200,000 posts.
const POSTS_AT_ONCE: usize = 500;

/// A comment before it is written: its parent by position in its post's
/// thread.
#[derive(Debug, Clone, Copy)]
struct Planned {
    parent: Option<usize>,
    depth: i32,
    status: CommentStatus,
    reader: usize,
    /// The comment's own random draw, for its words.
    draw: u64,
}

/// splitmix64 of two numbers: a cheap, well-spread, repeatable draw, so
/// that every seeding writes the same threads.
fn draw(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn as_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// How many comments each of `posts` posts gets: `total` shared in
/// proportion to a weight from 1 to 5 each, so some threads are a few
/// comments long and some several times the average; the shares add up to
/// `total` exactly.
fn shares(posts: usize, total: usize) -> Vec<usize> {
    let weights: Vec<u128> = (0..posts)
        .map(|i| 1 + u128::from(draw(as_u64(i), 0) % 5))
        .collect();
    let sum: u128 = weights.iter().sum::<u128>().max(1);
    let total = total as u128;
    let mut before = 0u128;
    let mut given = 0u128;
    weights
        .iter()
        .map(|w| {
            before += w;
            let upto = total * before / sum;
            let share = upto - given;
            given = upto;
            usize::try_from(share).unwrap_or(usize::MAX)
        })
        .collect()
}

/// The thread of post `post` with `n` comments, oldest first. Two in five
/// comments start a thread of their own; the rest answer one of the four
/// before them when it is approved and not at the deepest level, which
/// makes chains several levels deep. One in twenty waits for moderation.
fn plan_thread(post: usize, n: usize, shape: &CommentShape) -> Vec<Planned> {
    let mut plan: Vec<Planned> = Vec::with_capacity(n);
    for j in 0..n {
        let r = draw(as_u64(post), as_u64(j) + 1);
        let status = if r % 20 == 7 {
            CommentStatus::Pending
        } else {
            CommentStatus::Approved
        };
        let parent = if j == 0 || r % 5 < 2 {
            None
        } else {
            let back = 1 + as_usize(r >> 16) % j.min(4);
            let k = j - back;
            plan.get(k)
                .filter(|p| p.status == CommentStatus::Approved && p.depth + 1 < shape.max_depth)
                .map(|_| k)
        };
        let depth = parent.and_then(|k| plan.get(k)).map_or(0, |p| p.depth + 1);
        plan.push(Planned {
            parent,
            depth,
            status,
            reader: as_usize(r >> 8) % shape.commenters.max(1),
            draw: r,
        });
    }
    plan
}

/// Comment `j` on post `post`: 12 to 60 words of the post's topic and the
/// common vocabulary, sometimes in two paragraphs or with a link. The
/// number makes every body distinct.
fn body(post: usize, j: usize, r: u64) -> String {
    let topic = post % BENCH_TOPICS;
    let len = 12 + as_usize(r >> 24) % 49;
    let words: Vec<String> = (0..len)
        .map(|w| {
            if w % 3 == 0 {
                BENCH_WORDS[(as_usize(r >> 3) + w * 5) % BENCH_WORDS.len()].to_owned()
            } else {
                topic_word(topic, (j * 7 + w * 11) % BENCH_TOPIC_WORDS)
            }
        })
        .collect();
    let (first, second) = words.split_at(len / 2);
    let gap = if r.is_multiple_of(5) { "\n\n" } else { " " };
    let mut text = format!("Point {j}: {}.{gap}{}.", first.join(" "), second.join(" "));
    if r.is_multiple_of(8) {
        text.push_str(&format!(
            " See [my notes](https://example.com/notes/{post}-{j})."
        ));
    }
    text
}

/// Writes `shape.comments` comments over the benchmark posts
/// `benchmark-post-0` to `benchmark-post-{posts - 1}`, which must be live at
/// `now`; returns how many it wrote. Comments follow their post 30 seconds
/// apart, never later than `now`.
pub async fn seed_benchmark_comments(
    pool: &DbPool,
    posts: usize,
    shape: CommentShape,
    now: NaiveDateTime,
) -> DomainResult<usize> {
    let now = stored_instant(now);
    let shares = shares(posts, shape.comments);
    let mut conn = pool.get().await?;
    let mut written = 0;
    for first in (0..posts).step_by(POSTS_AT_ONCE) {
        let indices = first..(first + POSTS_AT_ONCE).min(posts);
        let slugs: Vec<String> = indices
            .clone()
            .map(|i| format!("benchmark-post-{i}"))
            .collect();
        let found: HashMap<String, (PostId, Option<NaiveDateTime>)> =
            post_queries::live_by_slugs(&mut conn, &slugs, now)
                .await?
                .into_iter()
                .map(|p| (p.slug, (p.id, p.published_at)))
                .collect();
        let mut threads = Vec::with_capacity(slugs.len());
        for (i, slug) in indices.zip(&slugs) {
            let Some(&(post_id, published_at)) = found.get(slug) else {
                return Err(DomainError::NotFound(format!(
                    "benchmark post {slug:?} is not live"
                )));
            };
            let n = shares.get(i).copied().unwrap_or(0);
            let plan = plan_thread(i, n, &shape);
            threads.push((i, post_id, published_at.unwrap_or(now), plan));
        }
        // Ids as they are written, by thread and position; a level's
        // parents are all written before it.
        let mut ids: Vec<Vec<Option<CommentId>>> = threads
            .iter()
            .map(|(_, _, _, plan)| vec![None; plan.len()])
            .collect();
        for depth in 0..shape.max_depth.max(1) {
            let mut forms = Vec::new();
            let mut places = Vec::new();
            for (t, (i, post_id, published_at, plan)) in threads.iter().enumerate() {
                for (j, c) in plan.iter().enumerate().filter(|(_, c)| c.depth == depth) {
                    let parent_id = match c.parent {
                        None => None,
                        Some(k) => Some(
                            ids.get(t)
                                .and_then(|thread| thread.get(k).copied().flatten())
                                .ok_or(DomainError::Fault(
                                    "a benchmark reply came before its parent",
                                ))?,
                        ),
                    };
                    let step = Duration::seconds(30 * i64::try_from(j + 1).unwrap_or(i64::MAX));
                    let at = published_at
                        .checked_add_signed(step)
                        .map_or(now, |t| t.min(now));
                    let markdown = body(*i, j, c.draw);
                    let reader = c.reader;
                    forms.push(CommentInsertForm {
                        post_id: *post_id,
                        parent_id,
                        depth,
                        author_name: format!("Reader {reader}"),
                        author_email: commenter_email(reader),
                        author_url: (reader % 4 == 0)
                            .then(|| format!("https://example.com/~reader-{reader}")),
                        body_html: render_comment(&markdown),
                        body_fingerprint: fingerprint(&markdown),
                        body_markdown: markdown,
                        status: c.status,
                        // Never shown to anyone; unique, as receipts are.
                        receipt_hash: token_hash(&format!("benchmark comment {i} {j}")),
                        ip: Some(format!("10.0.{}.{}", reader / 256 % 256, reader % 256)),
                        created_at: at,
                        updated_at: at,
                    });
                    places.push((t, j));
                }
            }
            if forms.is_empty() {
                break;
            }
            let stored = comment_queries::insert_many(&mut conn, &forms).await?;
            for ((t, j), id) in places.into_iter().zip(stored) {
                if let Some(slot) = ids.get_mut(t).and_then(|thread| thread.get_mut(j)) {
                    *slot = Some(id);
                }
            }
            written += forms.len();
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_vary() {
        let shares = shares(1_000, 20_000);
        assert_eq!(shares.iter().sum::<usize>(), 20_000);
        let (min, max) = (
            shares.iter().min().copied().unwrap_or(0),
            shares.iter().max().copied().unwrap_or(0),
        );
        assert!(min < 10 && max > 30, "from {min} to {max}");
    }

    #[test]
    fn threads_nest_within_the_deepest_level() {
        let shape = CommentShape::default();
        let mut deepest = 0;
        for post in 0..200 {
            let plan = plan_thread(post, 40, &shape);
            for (j, c) in plan.iter().enumerate() {
                assert!(c.depth < shape.max_depth);
                if let Some(k) = c.parent {
                    assert!(k < j, "a parent comes first");
                    assert_eq!(plan[k].status, CommentStatus::Approved);
                    assert_eq!(plan[k].depth + 1, c.depth);
                }
                deepest = deepest.max(c.depth);
            }
        }
        assert_eq!(
            deepest,
            shape.max_depth - 1,
            "some threads reach the deepest level"
        );
    }

    #[test]
    fn bodies_differ_within_a_thread() {
        let plan = plan_thread(3, 50, &CommentShape::default());
        let bodies: std::collections::HashSet<String> = plan
            .iter()
            .enumerate()
            .map(|(j, c)| body(3, j, c.draw))
            .collect();
        assert_eq!(bodies.len(), 50);
    }
}
