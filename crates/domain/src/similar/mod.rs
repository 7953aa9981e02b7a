//! Similar posts: which published posts read most like a given one, kept
//! as each post's nearest neighbours so that reading them is one indexed
//! lookup.
//!
//! `score` says how alike two posts read (pure computation), `index` keeps
//! every post's nearest up to date as posts change, and this module reads
//! them back for the "Similar Posts" block.

mod index;
pub mod score;

use crate::freshness::{Key, read};
use chrono::NaiveDateTime;
use waypost_db::queries::similar as store;
use waypost_db::{DbPool, PostId};

use crate::DomainResult;

pub use index::{
    KEEP, forget, mark_outdated, refresh, refresh_after_write, reindex_all, reindex_if_outdated,
};

/// A similar post as read: who, how similar, and why.
#[derive(Debug, Clone)]
pub struct Similar {
    pub post: PostId,
    pub similar: PostId,
    pub score: f64,
    pub shared_terms: Vec<String>,
}

/// The nearest live posts of each of `ids`, best first, up to `KEEP` each,
/// in one statement.
pub async fn similar_to(
    pool: &DbPool,
    ids: &[PostId],
    now: NaiveDateTime,
) -> DomainResult<Vec<Similar>> {
    read(Key::Posts);
    let rows = store::nearest(&mut pool.get().await?, ids, now).await?;
    Ok(rows
        .into_iter()
        .map(|r| Similar {
            post: r.post_id,
            similar: r.similar_id,
            score: r.score,
            shared_terms: serde_json::from_str(&r.shared_terms).unwrap_or_default(),
        })
        .collect())
}
