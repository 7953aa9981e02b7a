//! Waypost storage: one diesel schema served by PostgreSQL and SQLite.
//!
//! This crate knows tables, rows and queries. It knows nothing of GraphQL or
//! HTTP; the domain crate turns its rows into the product's rules.

mod comment_listing;
mod error;
mod feed;
mod ids;
mod listing;
mod live;
mod models;
mod pool;
pub mod queries;
pub mod schema;
mod sql;

pub use comment_listing::{CommentPageQuery, CommentTally, GroupedComment, Thread};
pub use error::{DbError, DbResult};
pub use feed::{CommentPublished, Heard, News};
pub use ids::{
    AuthorId, CommentId, GuideId, PostId, RevisionId, RoleId, SessionId, SkillId, TagId,
    TransitionId, UserId,
};
pub use listing::{
    CursorValue, Direction, Group, GroupedCount, GroupedPost, Keyset, PostFilter, PostListQuery,
    PostOrderField, Visibility,
};
pub use models::{
    Author, AuthorInsertForm, AuthorUpdateForm, Comment, CommentInsertForm, CommentStatus,
    OldSlugForm, Post, PostInsertForm, PostRevision, PostRevisionForm, PostStatus, PostTag,
    PostUpdateForm, Role, Session, SessionInsertForm, SignInFailureForm, Tag, TagInsertForm,
    TagUpdateForm, User, UserInsertForm, UserUpdateForm,
};
pub use models::{
    Guide, GuideForm, GuidePost, GuideRole, GuideSkill, GuideStatus, Importance, JobRole,
    JobRoleForm, RoleSkill, Seniority, Skill, SkillCategory, SkillForm, SkillRelation, Transition,
    TransitionForm,
};
pub use pool::{Backend, DbConfig, DbConn, DbPool, PoolStatus, count_statements, mask_url};
pub use queries::content::{BundleCounts, BundlePost, ContentBundle};
