//! What a read depended on and what a write changed, named by `Key`s, so
//! that a cache of answers can drop exactly the answers a write made stale.
//!
//! Reads are recorded where the domain reads: every object it hands out
//! names itself as it is made from its row (`crate::model::wraps`), and
//! every list, count or lookup that found nothing names the list it
//! looked in, since any new member could change its answer. Writes name
//! what they changed once it is stored. Both go to whoever the running
//! task set up with `reading` and `writing`; outside those nothing is kept,
//! so the domain works the same with no cache at all.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use waypost_db::{AuthorId, PostId, TagId};

use chrono::NaiveDateTime;
use waypost_db::DbPool;

use crate::{DomainResult, Written};

/// Something an answer may have read and a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// One post: its fields, author link, tags and whether it is open for
    /// comments.
    Post(PostId),
    /// Which posts are live and in what order: every listing, count,
    /// search, neighbour and similar-posts answer, and a lookup that found
    /// no live post.
    Posts,
    /// A post's public comments: their pages, counts and each comment.
    Comments(PostId),
    Tag(TagId),
    /// Which tags exist.
    Tags,
    Author(AuthorId),
    /// Which authors exist.
    Authors,
    /// Guides, skills, roles and the moves between them.
    Career,
}

impl fmt::Display for Key {
    /// The key's name in headers a CDN purges by and in the news other
    /// instances hear: no spaces or commas, so lists of them split cleanly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Post(id) => write!(f, "post:{}", id.0),
            Key::Posts => f.write_str("posts"),
            Key::Comments(id) => write!(f, "comments:{}", id.0),
            Key::Tag(id) => write!(f, "tag:{}", id.0),
            Key::Tags => f.write_str("tags"),
            Key::Author(id) => write!(f, "author:{}", id.0),
            Key::Authors => f.write_str("authors"),
            Key::Career => f.write_str("career"),
        }
    }
}

impl std::str::FromStr for Key {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, ()> {
        let id = |text: &str| text.parse::<i64>().map_err(|_| ());
        Ok(match name.split_once(':') {
            None => match name {
                "posts" => Key::Posts,
                "tags" => Key::Tags,
                "authors" => Key::Authors,
                "career" => Key::Career,
                _ => return Err(()),
            },
            Some(("post", n)) => Key::Post(PostId(id(n)?)),
            Some(("comments", n)) => Key::Comments(PostId(id(n)?)),
            Some(("tag", n)) => Key::Tag(TagId(id(n)?)),
            Some(("author", n)) => Key::Author(AuthorId(id(n)?)),
            Some(_) => return Err(()),
        })
    }
}

/// The keys one answer read.
#[derive(Debug, Default)]
pub struct Reads(Mutex<BTreeSet<Key>>);

impl Reads {
    fn add(&self, key: Key) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
    }

    /// What was read, each key once, in a stable order.
    pub fn keys(&self) -> Vec<Key> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }
}

/// Whoever must hear of writes: called once a change is stored, before the
/// write's caller gets its answer.
pub trait Changes: Send + Sync {
    fn changed(&self, keys: &[Key]);
}

tokio::task_local! {
    static READS: Arc<Reads>;
    static CHANGES: Arc<dyn Changes>;
}

/// Runs `work`, recording in `reads` every key it reads.
pub async fn reading<F: Future>(reads: Arc<Reads>, work: F) -> F::Output {
    READS.scope(reads, work).await
}

/// Runs `work`, telling `changes` of every write it stores.
pub async fn writing<F: Future>(changes: Arc<dyn Changes>, work: F) -> F::Output {
    CHANGES.scope(changes, work).await
}

/// Notes that the running read depends on `key`.
pub(crate) fn read(key: Key) {
    let _ = READS.try_with(|reads| reads.add(key));
}

/// Notes that the running write changed `keys`; call it once they are stored.
pub(crate) fn changed(keys: &[Key]) {
    let _ = CHANGES.try_with(|changes| changes.changed(keys));
}

/// Passes a write's outcome on, telling of the keys `keys` names when it
/// was stored.
pub(crate) fn told<T>(written: Written<T>, keys: impl FnOnce(&T) -> Vec<Key>) -> Written<T> {
    if let Ok(Ok(value)) = &written {
        changed(&keys(value));
    }
    written
}

/// What a change to post `id` makes stale: the post, and the lists it is
/// or was in.
pub(crate) fn post_changed(id: PostId) {
    changed(&[Key::Post(id), Key::Posts]);
}

/// When what readers see next changes with no write: the first instant
/// after `now` at which a scheduled post or guide goes live. Until then an
/// answer that read `Posts` or `Career` stays true.
pub async fn next_going_live(
    pool: &DbPool,
    now: NaiveDateTime,
) -> DomainResult<Option<NaiveDateTime>> {
    // From the primary: a replica behind it may not hold a post scheduled
    // a moment ago, and its instant would pass unnoticed.
    let mut conn = pool.get_primary().await?;
    Ok(waypost_db::queries::post::next_going_live(&mut conn, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_the_trip() {
        let keys = [
            Key::Post(PostId(7)),
            Key::Posts,
            Key::Comments(PostId(9)),
            Key::Tag(TagId(3)),
            Key::Tags,
            Key::Author(AuthorId(4)),
            Key::Authors,
            Key::Career,
        ];
        for key in keys {
            assert_eq!(key.to_string().parse::<Key>(), Ok(key));
        }
        for bad in [
            "",
            "post",
            "post:x",
            "post:",
            "comments:1:2",
            "user:1",
            "Posts",
        ] {
            assert_eq!(bad.parse::<Key>(), Err(()), "{bad}");
        }
    }

    #[tokio::test]
    async fn only_a_scoped_task_records() {
        read(Key::Posts);
        let reads = Arc::new(Reads::default());
        reading(reads.clone(), async {
            read(Key::Post(PostId(2)));
            read(Key::Posts);
            read(Key::Post(PostId(2)));
        })
        .await;
        assert_eq!(reads.keys(), vec![Key::Post(PostId(2)), Key::Posts]);
    }
}
