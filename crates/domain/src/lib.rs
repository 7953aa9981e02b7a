//! Waypost's rules: validated input, who may do what, moderation and flood
//! control, Markdown rendering, paging, search and similar posts,
//! career-path planning, and the services that combine them with storage.
//! It must never know GraphQL, HTTP or the environment (callers hand it
//! settings, a clock and a pool), and never writes SQL: storage is reached
//! through the db crate's queries only.

pub mod account;
pub mod author;
pub mod authoring;
pub mod career;
pub mod clock;
pub mod comment;
pub mod cursor;
pub mod demo;
pub mod editorial;
mod error;
mod fields;
pub mod paging;
pub mod policy;
pub mod post;
pub mod render;
pub mod search;
pub mod similar;
pub mod tag;
mod words;

pub use error::{DomainError, DomainResult, ErrorCode, FieldError, Written};
pub use waypost_db::{
    Author, AuthorId, Backend, Comment, CommentFeed, CommentId, CommentStatus, CommentTally,
    DbConfig, DbError, DbPool, Direction, Group, Post, PostFilter, PostId, PostOrderField,
    PostRevision, PostStatus, RevisionId, Role, Tag, TagId, Thread, User, UserId, mask_url,
};
pub use waypost_db::{
    Guide, GuideId, GuidePost, GuideSkill, GuideStatus, Importance, JobRole, RoleId, RoleSkill,
    Seniority, Skill, SkillCategory, SkillId, Transition, TransitionId,
};
