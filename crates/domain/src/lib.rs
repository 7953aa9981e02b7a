//! Waypost's rules: validated input, who may do what, moderation and flood
//! control, Markdown rendering, paging, search and similar posts,
//! career-path planning, and the services that combine them with storage.
//! It must never know GraphQL, HTTP or the environment (callers hand it
//! settings, a clock and a pool), and never writes SQL: storage is reached
//! through the db crate's queries only. Writes, and the reads that decide
//! or must see them, take their connection with `DbPool::get_primary`:
//! whatever scope a caller runs them in, they never reach a replica.

pub mod account;
pub mod author;
pub mod authoring;
pub mod career;
pub mod clock;
pub mod comment;
pub mod cursor;
pub mod demo;
pub mod directory;
pub mod editorial;
mod error;
mod fields;
pub mod freshness;
pub mod import;
mod model;
pub mod page_meta;
pub mod paging;
pub mod persisted;
pub mod policy;
pub mod post;
pub mod render;
pub mod search;
pub mod similar;
pub mod syndication;
pub mod tag;
pub mod trusted;
mod words;

pub use career::{Guide, GuidePost, GuideSkill, JobRole, RoleSkill, Skill, Transition};
pub use error::{DomainError, DomainResult, ErrorCode, FieldError, UserErrorCode, Written};
pub use fields::is_web_address;
pub use model::{Author, Comment, Post, PostRevision, Tag, User};
// Typed ids, the enums stored as text and the listing keys are plain values
// with no table in them (a renamed column changes none of them), so callers
// share the db crate's own rather than copies of them; the pool, the comment
// feed and their config and errors are handles callers pass back in.
pub use waypost_db::{
    AuthorId, Backend, Broadcast, CommentFeed, CommentId, CommentStatus, DbConfig, DbError, DbPool,
    Direction, Group, Hearer, PostFilter, PostId, PostOrderField, PostStatus, RevisionId, Role,
    TagId, Thread, UserId, mask_url,
};
pub use waypost_db::{
    GuideId, GuideStatus, Importance, RoleId, Seniority, SkillCategory, SkillId, TransitionId,
};
