//! DataLoaders: every fan-out batches into one statement per kind per tick,
//! so the statements a request runs are fixed by the query's shape.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::NaiveDateTime;
use futures::future::BoxFuture;
use waypost_domain::comment::thread::{self, CommentPage, CommentPageSpec};
use waypost_domain::post::{self, PostListSpec, PostPage};
use waypost_domain::{
    Author, AuthorId, DbPool, DomainError, Group, Post, PostFilter, PostId, PostRevision, Tag,
    TagId, User, UserId,
};
use waypost_domain::{CommentTally, Thread};
use waypost_domain::{
    Guide, GuideId, GuideSkill, JobRole, RoleId, RoleSkill, Skill, SkillId, Transition,
};
use waypost_domain::{account, career, editorial};

use crate::metrics::Metrics;

/// Loader errors must be `Clone`; the domain error is shared behind an `Arc`.
pub type LoadError = Arc<DomainError>;

/// One loader type serving every key kind, so all share one batching tick.
pub struct AppLoader {
    pool: DbPool,
    /// The request's instant: every post it shows is live as of then.
    now: NaiveDateTime,
}

/// `AppLoader`, recording each batch's size.
pub struct MeteredLoader {
    inner: AppLoader,
    metrics: Arc<Metrics>,
}

impl<K> Loader<K> for MeteredLoader
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    AppLoader: Loader<K>,
{
    type Value = <AppLoader as Loader<K>>::Value;
    type Error = <AppLoader as Loader<K>>::Error;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, Self::Value>, Self::Error> {
        // The key type names the batch: `TagsOfPost`, `AuthorId`...
        let kind = std::any::type_name::<K>();
        let kind = kind.rsplit("::").next().unwrap_or(kind);
        self.metrics.record_batch(kind, keys.len());
        self.inner.load(keys).await
    }
}

/// The loader type every resolver reaches through the request context.
pub type RequestLoader = DataLoader<MeteredLoader, HashMapCache>;

/// A fresh loader per request: its cache must not outlive the request.
/// `spawn` receives the loader's batch tasks; see `schema::execute` for why
/// they run on the request's own task.
pub fn request_loader(
    pool: DbPool,
    now: NaiveDateTime,
    metrics: Arc<Metrics>,
    spawn: impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
) -> RequestLoader {
    let loader = MeteredLoader {
        inner: AppLoader { pool, now },
        metrics,
    };
    DataLoader::with_cache(loader, spawn, HashMapCache::default())
        // Batches form per poll pass of the request, not per time window.
        .delay(std::time::Duration::ZERO)
}

/// The tags of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOfPost(pub PostId);

/// The previous and next published post of a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NeighboursOf {
    pub post: PostId,
    /// Walk only the posts filed under this tag slug.
    pub tag: Option<Arc<str>>,
}

/// One page of a post's comments or a comment's replies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommentPageKey {
    pub thread: Thread,
    pub parent: i64,
    pub spec: Arc<CommentPageSpec>,
}

/// How many approved comments a post or a thread holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommentCountKey {
    pub tally: CommentTally,
    pub parent: i64,
}

/// The author of a post in any state (for permission checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnerOf(pub PostId);

/// The revisions of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RevisionsOf(pub PostId);

/// One page of a parent's posts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostPageKey {
    pub group: Group,
    pub parent: i64,
    pub spec: Arc<PostListSpec>,
}

/// The number of a parent's posts under a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostCountKey {
    pub group: Group,
    pub parent: i64,
    pub filter: Arc<PostFilter>,
}

fn shared(err: DomainError) -> LoadError {
    Arc::new(err)
}

impl Loader<AuthorId> for AppLoader {
    type Value = Author;
    type Error = LoadError;

    async fn load(&self, keys: &[AuthorId]) -> Result<HashMap<AuthorId, Author>, LoadError> {
        let rows = post::authors_by_ids(&self.pool, keys)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

impl Loader<UserId> for AppLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, LoadError> {
        let rows = account::users_by_ids(&self.pool, keys)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

impl Loader<TagId> for AppLoader {
    type Value = Tag;
    type Error = LoadError;

    async fn load(&self, keys: &[TagId]) -> Result<HashMap<TagId, Tag>, LoadError> {
        let rows = post::tags_by_ids(&self.pool, keys).await.map_err(shared)?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}

impl Loader<PostId> for AppLoader {
    type Value = Post;
    type Error = LoadError;

    async fn load(&self, keys: &[PostId]) -> Result<HashMap<PostId, Post>, LoadError> {
        let rows = post::live_by_ids(&self.pool, keys, self.now)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

impl Loader<TagsOfPost> for AppLoader {
    type Value = Vec<Tag>;
    type Error = LoadError;

    async fn load(&self, keys: &[TagsOfPost]) -> Result<HashMap<TagsOfPost, Vec<Tag>>, LoadError> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        let by_post = post::tags_by_posts(&self.pool, &ids)
            .await
            .map_err(shared)?;
        Ok(by_post
            .into_iter()
            .map(|(id, tags)| (TagsOfPost(id), tags))
            .collect())
    }
}

impl Loader<NeighboursOf> for AppLoader {
    type Value = (Option<PostId>, Option<PostId>);
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[NeighboursOf],
    ) -> Result<HashMap<NeighboursOf, Self::Value>, LoadError> {
        // One statement per tag walked (usually one, or none).
        let mut tags: Vec<Option<Arc<str>>> = keys.iter().map(|k| k.tag.clone()).collect();
        tags.sort();
        tags.dedup();
        let mut all = HashMap::new();
        for tag in tags {
            let ids: Vec<PostId> = keys
                .iter()
                .filter(|k| k.tag == tag)
                .map(|k| k.post)
                .collect();
            let found = post::neighbours(&self.pool, &ids, tag.as_deref(), self.now)
                .await
                .map_err(shared)?;
            all.extend(found.into_iter().map(|(post, pair)| {
                (
                    NeighboursOf {
                        post,
                        tag: tag.clone(),
                    },
                    pair,
                )
            }));
        }
        Ok(all)
    }
}

impl Loader<OwnerOf> for AppLoader {
    type Value = AuthorId;
    type Error = LoadError;

    async fn load(&self, keys: &[OwnerOf]) -> Result<HashMap<OwnerOf, AuthorId>, LoadError> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        let owners = post::owners(&self.pool, &ids).await.map_err(shared)?;
        Ok(owners
            .into_iter()
            .map(|(post, author)| (OwnerOf(post), author))
            .collect())
    }
}

impl Loader<RevisionsOf> for AppLoader {
    type Value = Vec<PostRevision>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[RevisionsOf],
    ) -> Result<HashMap<RevisionsOf, Self::Value>, LoadError> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        let by_post = editorial::revisions_of_posts(&self.pool, &ids)
            .await
            .map_err(shared)?;
        Ok(by_post
            .into_iter()
            .map(|(id, revisions)| (RevisionsOf(id), revisions))
            .collect())
    }
}

impl Loader<CommentPageKey> for AppLoader {
    type Value = CommentPage;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CommentPageKey],
    ) -> Result<HashMap<CommentPageKey, CommentPage>, LoadError> {
        let mut batches: HashMap<(Thread, Arc<CommentPageSpec>), Vec<i64>> = HashMap::new();
        for key in keys {
            batches
                .entry((key.thread, key.spec.clone()))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((thread, spec), parents) in batches {
            let pages = thread::pages(&self.pool, thread, &parents, &spec)
                .await
                .map_err(shared)?;
            for (parent, page) in pages {
                out.insert(
                    CommentPageKey {
                        thread,
                        parent,
                        spec: spec.clone(),
                    },
                    page,
                );
            }
        }
        Ok(out)
    }
}

impl Loader<CommentCountKey> for AppLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CommentCountKey],
    ) -> Result<HashMap<CommentCountKey, i64>, LoadError> {
        let mut batches: HashMap<CommentTally, Vec<i64>> = HashMap::new();
        for key in keys {
            batches.entry(key.tally).or_default().push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (tally, parents) in batches {
            for (parent, total) in thread::counts(&self.pool, tally, &parents)
                .await
                .map_err(shared)?
            {
                out.insert(CommentCountKey { tally, parent }, total);
            }
        }
        Ok(out)
    }
}

impl Loader<PostPageKey> for AppLoader {
    type Value = PostPage;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PostPageKey],
    ) -> Result<HashMap<PostPageKey, PostPage>, LoadError> {
        // Parents that ask for the same page shape share one statement.
        let mut batches: HashMap<(Group, Arc<PostListSpec>), Vec<i64>> = HashMap::new();
        for key in keys {
            batches
                .entry((key.group, key.spec.clone()))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((group, spec), parents) in batches {
            let pages = post::pages(&self.pool, group, &parents, &spec)
                .await
                .map_err(shared)?;
            for (parent, page) in pages {
                out.insert(
                    PostPageKey {
                        group,
                        parent,
                        spec: spec.clone(),
                    },
                    page,
                );
            }
        }
        Ok(out)
    }
}

impl Loader<PostCountKey> for AppLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[PostCountKey]) -> Result<HashMap<PostCountKey, i64>, LoadError> {
        let mut batches: HashMap<(Group, Arc<PostFilter>), Vec<i64>> = HashMap::new();
        for key in keys {
            batches
                .entry((key.group, key.filter.clone()))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((group, filter), parents) in batches {
            let totals = post::counts(&self.pool, group, &parents, &filter)
                .await
                .map_err(shared)?;
            for (parent, total) in totals {
                out.insert(
                    PostCountKey {
                        group,
                        parent,
                        filter: filter.clone(),
                    },
                    total,
                );
            }
        }
        Ok(out)
    }
}

/// A loader for one row per id: `$key` names the row, `$fetch` reads the
/// rows for a batch of ids and `$id` tells a row's id.
macro_rules! row_loader {
    ($key:ty => $value:ty, |$this:ident, $ids:ident| $fetch:expr, |$row:ident| $id:expr) => {
        impl Loader<$key> for AppLoader {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let $this = self;
                let $ids = keys;
                let rows = $fetch.await.map_err(shared)?;
                Ok(rows.into_iter().map(|$row| ($id, $row)).collect())
            }
        }
    };
}

/// A loader for a list per parent: `$fetch` reads `(parent id, item)` pairs
/// in order for a batch of parents, in one statement.
macro_rules! list_loader {
    ($key:ident($parent:ty) => $item:ty, |$this:ident, $ids:ident| $fetch:expr) => {
        impl Loader<$key> for AppLoader {
            type Value = Vec<$item>;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Vec<$item>>, LoadError> {
                let $this = self;
                let $ids: Vec<$parent> = keys.iter().map(|k| k.0).collect();
                let pairs = $fetch.await.map_err(shared)?;
                let mut lists: HashMap<$key, Vec<$item>> =
                    keys.iter().map(|k| (*k, Vec::new())).collect();
                for (parent, item) in pairs {
                    lists.entry($key(parent)).or_default().push(item);
                }
                Ok(lists)
            }
        }
    };
}

/// The skills a guide lists, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SkillsOfGuide(pub GuideId);
/// The roles a guide leads to, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RolesOfGuide(pub GuideId);
/// The posts a guide relates to, in its order (any status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostsOfGuide(pub GuideId);
/// The skills related to a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelatedSkillsOf(pub SkillId);
/// The published guides that teach a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuidesTeaching(pub SkillId);
/// The roles that require a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RolesRequiring(pub SkillId);
/// The skills a role requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequirementsOf(pub RoleId);
/// The transitions out of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransitionsFrom(pub RoleId);
/// The transitions into a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransitionsInto(pub RoleId);
/// A skill as a role's requirement names it. Kept apart from `SkillId`:
/// a guide page reads its own skills one level above its roles' required
/// skills, and through one key kind the second read would join the first
/// one's batch, find everything cached, or run on its own, depending on
/// which database answer came back first. Apart, each level is always
/// exactly one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequiredSkill(pub SkillId);

row_loader!(SkillId => Skill, |this, ids| career::skills_by_ids(&this.pool, ids), |row| row.id);
row_loader!(RoleId => JobRole, |this, ids| career::roles_by_ids(&this.pool, ids), |row| row.id);
row_loader!(RequiredSkill => Skill, |this, keys| {
    let ids: Vec<SkillId> = keys.iter().map(|k| k.0).collect();
    async move { career::skills_by_ids(&this.pool, &ids).await }
}, |row| RequiredSkill(row.id));

list_loader!(SkillsOfGuide(GuideId) => GuideSkill, |this, ids| async {
    career::guide_skills(&this.pool, &ids)
        .await
        .map(|rows| rows.into_iter().map(|r| (r.guide_id, r)).collect::<Vec<_>>())
});
list_loader!(RolesOfGuide(GuideId) => JobRole, |this, ids| career::guide_roles(&this.pool, &ids));
list_loader!(PostsOfGuide(GuideId) => PostId, |this, ids| async {
    career::guide_posts(&this.pool, &ids)
        .await
        .map(|rows| rows.into_iter().map(|r| (r.guide_id, r.post_id)).collect::<Vec<_>>())
});
list_loader!(RelatedSkillsOf(SkillId) => Skill, |this, ids| career::related_skills(&this.pool, &ids));
list_loader!(GuidesTeaching(SkillId) => Guide, |this, ids| career::guides_teaching(&this.pool, &ids, this.now));
list_loader!(RolesRequiring(SkillId) => JobRole, |this, ids| career::roles_requiring(&this.pool, &ids));
list_loader!(RequirementsOf(RoleId) => RoleSkill, |this, ids| async {
    career::requirements(&this.pool, &ids)
        .await
        .map(|rows| rows.into_iter().map(|r| (r.role_id, r)).collect::<Vec<_>>())
});
list_loader!(TransitionsFrom(RoleId) => Transition, |this, ids| async {
    career::transitions_of(&this.pool, &ids, true)
        .await
        .map(|rows| rows.into_iter().map(|t| (t.from_role_id, t)).collect::<Vec<_>>())
});
list_loader!(TransitionsInto(RoleId) => Transition, |this, ids| async {
    career::transitions_of(&this.pool, &ids, false)
        .await
        .map(|rows| rows.into_iter().map(|t| (t.to_role_id, t)).collect::<Vec<_>>())
});

/// A guide by id, when it is live at the request's instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LiveGuide(pub GuideId);

impl Loader<LiveGuide> for AppLoader {
    type Value = Guide;
    type Error = LoadError;

    async fn load(&self, keys: &[LiveGuide]) -> Result<HashMap<LiveGuide, Guide>, LoadError> {
        let ids: Vec<GuideId> = keys.iter().map(|k| k.0).collect();
        let rows = career::live_guides_by_ids(&self.pool, &ids, self.now)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|g| (LiveGuide(g.id), g)).collect())
    }
}

/// The nearest live posts of a post, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SimilarOf(pub PostId);

list_loader!(SimilarOf(PostId) => waypost_domain::similar::Similar, |this, ids| async {
    waypost_domain::similar::similar_to(&this.pool, &ids, this.now)
        .await
        .map(|rows| rows.into_iter().map(|s| (s.post, s)).collect::<Vec<_>>())
});
