//! Waypost storage: one diesel schema served by PostgreSQL and SQLite.
//!
//! This crate owns the tables and their rows, typed ids, the connection pool
//! (with the replica lag-tolerant reads may use) and its backend enum, the
//! embedded migrations, and every query: listings that serve a whole batch
//! of parents in one statement, what "live" means in SQL, the comment feed
//! between instances. It must never know GraphQL, HTTP or who is asking:
//! permissions, validation and rendering belong to the domain crate, which
//! reaches the tables only through `queries`, and nothing here reads the
//! environment.

mod comment_listing;
pub mod directory;
mod error;
mod feed;
mod ids;
mod listen;
mod listing;
mod live;
mod masked;
mod migrate;
mod models;
mod pool;
mod postgres;
pub mod queries;
pub(crate) mod schema;
mod sql;

pub use comment_listing::{
    CommentPageQuery, GroupedComment, Thread, ThreadComment, WholeThreadQuery,
};
pub use error::{DbError, DbResult};
pub use feed::{CommentFeed, CommentPublished, Heard, News};
pub use ids::{
    AuthorId, CommentId, GuideId, PostId, RevisionId, RoleId, SessionId, SkillId, TagId,
    TransitionId, UserId,
};
pub use listen::{Broadcast, Hearer};
pub use listing::{
    CursorValue, Direction, Group, GroupedCount, GroupedPost, Keyset, PostFilter, PostListQuery,
    PostOrderField, Visibility,
};
pub use masked::mask_url;
pub use migrate::MigrationStatus;
pub use models::{
    Author, AuthorInsertForm, AuthorUpdateForm, Comment, CommentInsertForm, CommentStatus,
    OldSlugForm, Post, PostInsertForm, PostRevision, PostRevisionForm, PostStatus, PostTag,
    PostUpdateForm, Role, Session, SessionInsertForm, SignInFailureForm, Tag, TagInsertForm,
    TagUpdateForm, TrustedDocument, User, UserInsertForm, UserUpdateForm,
};
pub use models::{
    Guide, GuideForm, GuidePost, GuideRole, GuideSkill, GuideStatus, Importance, JobRole,
    JobRoleForm, RoleSkill, Seniority, Skill, SkillCategory, SkillForm, SkillRelation, Transition,
    TransitionForm,
};
pub use pool::{
    Backend, DbConfig, DbConn, DbPool, PoolStatus, ReplicaStatus, count_statements, lag_tolerant,
};
pub use postgres::SslMode;
pub use queries::content::{BundleCounts, BundlePost, ContentBundle};
pub use sql::explaining;
