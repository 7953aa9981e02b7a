//! DataLoaders: every fan-out batches into one statement per kind per tick,
//! so the statements a request runs are fixed by the query's shape. One
//! loader serves every kind of key, so that all share one batching tick;
//! each key kind says, as a `Batch`, how one batch of it is read.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::NaiveDateTime;
use futures::future::BoxFuture;
use waypost_domain::comment::thread::{
    self, CommentPage, CommentPageSpec, WholeThreadPage, WholeThreadSpec,
};
use waypost_domain::post::{self, PostListSpec, PostPage};
use waypost_domain::similar::{self, Similar};
use waypost_domain::{
    Author, AuthorId, Comment, CommentId, DbPool, DomainError, DomainResult, Group, Post,
    PostFilter, PostId, PostRevision, Tag, TagId, Thread, User, UserId,
};
use waypost_domain::{
    Guide, GuideId, GuideSkill, JobRole, RoleId, RoleSkill, Skill, SkillId, Transition,
    TransitionId,
};
use waypost_domain::{account, career, editorial};

use crate::metrics::Metrics;

/// Loader errors must be `Clone`; the domain error is shared behind an `Arc`.
pub(crate) type LoadError = Arc<DomainError>;

/// A kind of key the request loader batches, and how one batch of it is read.
pub(crate) trait Batch: Send + Sync + Hash + Eq + Clone + 'static {
    type Value: Send + Sync + Clone + 'static;
    /// Reads what `keys` name, in one statement (or one per group of keys
    /// that share a statement's shape).
    fn load(source: &Source, keys: &[Self]) -> impl Future<Output = Loaded<Self>> + Send;
}

/// What one batch found, by key; a key left out found nothing.
pub(crate) type Loaded<K> = DomainResult<HashMap<K, <K as Batch>::Value>>;

/// What every batch reads with.
pub(crate) struct Source {
    pool: DbPool,
    /// The request's instant: every post and guide it shows is live as of then.
    now: NaiveDateTime,
}

/// The one loader behind every key kind, recording each batch's size.
pub(crate) struct AppLoader {
    source: Source,
    metrics: Arc<Metrics>,
}

impl<K: Batch> Loader<K> for AppLoader {
    type Value = K::Value;
    type Error = LoadError;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, K::Value>, LoadError> {
        // The key type names the batch: `TagsOfPost`, `AuthorId`...
        let kind = std::any::type_name::<K>();
        let kind = kind.rsplit("::").next().unwrap_or(kind);
        self.metrics.record_batch(kind, keys.len());
        Ok(K::load(&self.source, keys).await?)
    }
}

/// The loader type every resolver reaches through the request context.
pub(crate) type RequestLoader = DataLoader<AppLoader, HashMapCache>;

/// A fresh loader per request: its cache must not outlive the request.
/// `spawn` receives the loader's batch tasks; see `schema::execute` for why
/// they run on the request's own task.
pub(crate) fn request_loader(
    pool: DbPool,
    now: NaiveDateTime,
    metrics: Arc<Metrics>,
    spawn: impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
) -> RequestLoader {
    let loader = AppLoader {
        source: Source { pool, now },
        metrics,
    };
    DataLoader::with_cache(loader, spawn, HashMapCache::default())
        // Batches form per poll pass of the request, not per time window.
        .delay(std::time::Duration::ZERO)
}

// ---- how batches are put together ----

/// Rows under the key each names.
fn by_key<K: Hash + Eq, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, V> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

/// What was found per parent, under the key that names the parent.
fn by_parent<P, K: Hash + Eq, V>(
    found: impl IntoIterator<Item = (P, V)>,
    key: impl Fn(P) -> K,
) -> HashMap<K, V> {
    found
        .into_iter()
        .map(|(parent, v)| (key(parent), v))
        .collect()
}

/// Items in order under their parent's key; every key asked for gets a
/// list, empty when its parent has none.
fn lists<K: Hash + Eq + Clone, V>(
    keys: &[K],
    items: impl IntoIterator<Item = (K, V)>,
) -> HashMap<K, Vec<V>> {
    let mut lists: HashMap<K, Vec<V>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for (key, item) in items {
        lists.entry(key).or_default().push(item);
    }
    lists
}

/// Keys alike but for their parent (same page shape, same filter) share
/// one statement. `parent` reaches into a key for its parent; `fetch` reads
/// one group's parents, given a key that stands for the whole group (the
/// parent in it means nothing).
async fn grouped<K, P, V, Found>(
    keys: &[K],
    parent: impl Fn(&mut K) -> &mut P,
    fetch: impl Fn(K, Vec<P>) -> Found,
) -> DomainResult<HashMap<K, V>>
where
    K: Hash + Eq + Clone,
    P: Clone,
    Found: Future<Output = DomainResult<HashMap<P, V>>>,
{
    let mut groups: HashMap<K, Vec<P>> = HashMap::new();
    if let Some(first) = keys.first() {
        // Every key's parent is set to one value, so that keys alike but
        // for their parent fall into one group.
        let blank = parent(&mut first.clone()).clone();
        for key in keys {
            let mut group = key.clone();
            let own = std::mem::replace(parent(&mut group), blank.clone());
            groups.entry(group).or_default().push(own);
        }
    }
    let mut out = HashMap::with_capacity(keys.len());
    for (group, parents) in groups {
        for (own, value) in fetch(group.clone(), parents).await? {
            let mut key = group.clone();
            *parent(&mut key) = own;
            out.insert(key, value);
        }
    }
    Ok(out)
}

// ---- posts, their authors and tags ----

impl Batch for AuthorId {
    type Value = Author;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = post::authors_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |a| a.id()))
    }
}

impl Batch for TagId {
    type Value = Tag;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = post::tags_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |t| t.id()))
    }
}

/// Comments as readers reach them in their threads (see
/// `thread::visible`).
impl Batch for CommentId {
    type Value = Comment;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = thread::visible(&source.pool, ids, source.now).await?;
        Ok(by_key(rows, |c| c.id()))
    }
}

/// Live posts only.
impl Batch for PostId {
    type Value = Post;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let live = post::live_by_ids(&source.pool, ids, source.now).await?;
        Ok(by_key(live, |p| p.id()))
    }
}

/// The tags of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TagsOfPost(pub PostId);

impl Batch for TagsOfPost {
    type Value = Vec<Tag>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        Ok(by_parent(
            post::tags_by_posts(&source.pool, &ids).await?,
            Self,
        ))
    }
}

/// The author of a post in any state (for permission checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct OwnerOf(pub PostId);

impl Batch for OwnerOf {
    type Value = AuthorId;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        Ok(by_parent(post::owners(&source.pool, &ids).await?, Self))
    }
}

/// The revisions of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RevisionsOf(pub PostId);

impl Batch for RevisionsOf {
    type Value = Vec<PostRevision>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        let revisions = editorial::revisions_of_posts(&source.pool, &ids).await?;
        Ok(by_parent(revisions, Self))
    }
}

/// The nearest live posts of a post, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SimilarOf(pub PostId);

impl Batch for SimilarOf {
    type Value = Vec<Similar>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<PostId> = keys.iter().map(|k| k.0).collect();
        let found = similar::similar_to(&source.pool, &ids, source.now).await?;
        Ok(lists(keys, found.into_iter().map(|s| (Self(s.post), s))))
    }
}

/// The previous and next published post of a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct NeighboursOf {
    pub post: PostId,
    /// Walk only the posts filed under this tag slug.
    pub tag: Option<Arc<str>>,
}

impl Batch for NeighboursOf {
    type Value = (Option<PostId>, Option<PostId>);
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        // One statement per tag walked (usually one, or none).
        let (pool, now) = (&source.pool, source.now);
        let fetch = |k: Self, posts: Vec<PostId>| async move {
            post::neighbours(pool, &posts, k.tag.as_deref(), now).await
        };
        grouped(keys, |k| &mut k.post, fetch).await
    }
}

/// One page of a parent's posts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PostPageKey {
    pub group: Group,
    pub parent: i64,
    pub spec: Arc<PostListSpec>,
}

impl Batch for PostPageKey {
    type Value = PostPage;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        // Parents that ask for the same page shape share one statement.
        let pool = &source.pool;
        let fetch = |k: Self, parents: Vec<i64>| async move {
            post::pages(pool, k.group, &parents, &k.spec).await
        };
        grouped(keys, |k| &mut k.parent, fetch).await
    }
}

/// The number of a parent's posts under a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PostCountKey {
    pub group: Group,
    pub parent: i64,
    pub filter: Arc<PostFilter>,
}

impl Batch for PostCountKey {
    type Value = i64;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let pool = &source.pool;
        let fetch = |k: Self, parents: Vec<i64>| async move {
            post::counts(pool, k.group, &parents, &k.filter).await
        };
        grouped(keys, |k| &mut k.parent, fetch).await
    }
}

// ---- accounts and comments ----

impl Batch for UserId {
    type Value = User;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = account::users_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |u| u.id()))
    }
}

/// One page of a post's comments or a comment's replies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CommentPageKey {
    pub thread: Thread,
    pub parent: i64,
    pub spec: Arc<CommentPageSpec>,
}

impl Batch for CommentPageKey {
    type Value = CommentPage;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let pool = &source.pool;
        let fetch = |k: Self, parents: Vec<i64>| async move {
            thread::pages(pool, k.thread, &parents, &k.spec).await
        };
        grouped(keys, |k| &mut k.parent, fetch).await
    }
}

/// A page of a post's whole thread, flattened in thread order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WholeThreadKey {
    pub post: i64,
    pub spec: Arc<WholeThreadSpec>,
}

impl Batch for WholeThreadKey {
    type Value = WholeThreadPage;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let pool = &source.pool;
        let fetch = |k: Self, posts: Vec<i64>| async move {
            thread::whole_threads(pool, &posts, &k.spec).await
        };
        grouped(keys, |k| &mut k.post, fetch).await
    }
}

/// How many approved comments a thread holds: a post's top-level ones,
/// or a comment's direct replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CommentCountKey {
    pub thread: Thread,
    pub parent: i64,
}

impl Batch for CommentCountKey {
    type Value = i64;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let pool = &source.pool;
        let fetch = |k: Self, parents: Vec<i64>| async move {
            thread::counts(pool, k.thread, &parents).await
        };
        grouped(keys, |k| &mut k.parent, fetch).await
    }
}

// ---- career ----

impl Batch for SkillId {
    type Value = Skill;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = career::skills_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |s| s.id()))
    }
}

/// A skill as a role's requirement names it. Kept apart from `SkillId`:
/// a guide page reads its own skills one level above its roles' required
/// skills, and through one key kind the second read would join the first
/// one's batch, find everything cached, or run on its own, depending on
/// which database answer came back first. Apart, each level is always
/// exactly one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RequiredSkill(pub SkillId);

impl Batch for RequiredSkill {
    type Value = Skill;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<SkillId> = keys.iter().map(|k| k.0).collect();
        let skills = career::skills_by_ids(&source.pool, &ids).await?;
        Ok(by_key(skills, |s| Self(s.id())))
    }
}

impl Batch for RoleId {
    type Value = JobRole;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = career::roles_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |r| r.id()))
    }
}

/// A guide by id, when it is live at the request's instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct LiveGuide(pub GuideId);

/// Guides whatever their status; who sees which is the reader's to decide
/// (`career::guide_visible`).
impl Batch for GuideId {
    type Value = Guide;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = career::guides_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |g| g.id()))
    }
}

impl Batch for TransitionId {
    type Value = Transition;
    async fn load(source: &Source, ids: &[Self]) -> Loaded<Self> {
        let rows = career::transitions_by_ids(&source.pool, ids).await?;
        Ok(by_key(rows, |t| t.id()))
    }
}

impl Batch for LiveGuide {
    type Value = Guide;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<GuideId> = keys.iter().map(|k| k.0).collect();
        let live = career::live_guides_by_ids(&source.pool, &ids, source.now).await?;
        Ok(by_key(live, |g| Self(g.id())))
    }
}

/// The skills a guide lists, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SkillsOfGuide(pub GuideId);

impl Batch for SkillsOfGuide {
    type Value = Vec<GuideSkill>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<GuideId> = keys.iter().map(|k| k.0).collect();
        let rows = career::guide_skills(&source.pool, &ids).await?;
        Ok(lists(
            keys,
            rows.into_iter().map(|r| (Self(r.guide_id()), r)),
        ))
    }
}

/// The roles a guide leads to, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RolesOfGuide(pub GuideId);

impl Batch for RolesOfGuide {
    type Value = Vec<JobRole>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<GuideId> = keys.iter().map(|k| k.0).collect();
        let pairs = career::guide_roles(&source.pool, &ids).await?;
        Ok(lists(keys, pairs.into_iter().map(|(id, r)| (Self(id), r))))
    }
}

/// The posts a guide relates to, in its order (any status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PostsOfGuide(pub GuideId);

impl Batch for PostsOfGuide {
    type Value = Vec<PostId>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<GuideId> = keys.iter().map(|k| k.0).collect();
        let rows = career::guide_posts(&source.pool, &ids).await?;
        Ok(lists(
            keys,
            rows.into_iter().map(|r| (Self(r.guide_id()), r.post_id())),
        ))
    }
}

/// The skills related to a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RelatedSkillsOf(pub SkillId);

impl Batch for RelatedSkillsOf {
    type Value = Vec<Skill>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<SkillId> = keys.iter().map(|k| k.0).collect();
        let pairs = career::related_skills(&source.pool, &ids).await?;
        Ok(lists(keys, pairs.into_iter().map(|(id, s)| (Self(id), s))))
    }
}

/// The published guides that teach a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct GuidesTeaching(pub SkillId);

impl Batch for GuidesTeaching {
    type Value = Vec<Guide>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<SkillId> = keys.iter().map(|k| k.0).collect();
        let pairs = career::guides_teaching(&source.pool, &ids, source.now).await?;
        Ok(lists(keys, pairs.into_iter().map(|(id, g)| (Self(id), g))))
    }
}

/// The roles that require a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RolesRequiring(pub SkillId);

impl Batch for RolesRequiring {
    type Value = Vec<JobRole>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<SkillId> = keys.iter().map(|k| k.0).collect();
        let pairs = career::roles_requiring(&source.pool, &ids).await?;
        Ok(lists(keys, pairs.into_iter().map(|(id, r)| (Self(id), r))))
    }
}

/// The skills a role requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RequirementsOf(pub RoleId);

impl Batch for RequirementsOf {
    type Value = Vec<RoleSkill>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<RoleId> = keys.iter().map(|k| k.0).collect();
        let rows = career::requirements(&source.pool, &ids).await?;
        Ok(lists(
            keys,
            rows.into_iter().map(|r| (Self(r.role_id()), r)),
        ))
    }
}

/// The transitions out of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TransitionsFrom(pub RoleId);

impl Batch for TransitionsFrom {
    type Value = Vec<Transition>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<RoleId> = keys.iter().map(|k| k.0).collect();
        let rows = career::transitions_of(&source.pool, &ids, true).await?;
        Ok(lists(
            keys,
            rows.into_iter().map(|t| (Self(t.from_role_id()), t)),
        ))
    }
}

/// The transitions into a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TransitionsInto(pub RoleId);

impl Batch for TransitionsInto {
    type Value = Vec<Transition>;
    async fn load(source: &Source, keys: &[Self]) -> Loaded<Self> {
        let ids: Vec<RoleId> = keys.iter().map(|k| k.0).collect();
        let rows = career::transitions_of(&source.pool, &ids, false).await?;
        Ok(lists(
            keys,
            rows.into_iter().map(|t| (Self(t.to_role_id()), t)),
        ))
    }
}
