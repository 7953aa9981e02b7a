//! Waypost's rules: validated input, Markdown rendering, paging, and the
//! services that combine them with storage. No GraphQL, no HTTP.

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
pub mod search_query;
pub mod similar;
pub mod similarity;
pub mod tag;

pub use error::{DomainError, DomainResult, ErrorCode, FieldError, Written};
pub use waypost_db::{
    Author, AuthorId, Backend, Comment, CommentId, CommentStatus, CommentTally, DbConfig, DbError,
    DbPool, Direction, Group, Post, PostFilter, PostId, PostOrderField, PostRevision, PostStatus,
    RevisionId, Role, Tag, TagId, Thread, User, UserId, mask_url,
};
pub use waypost_db::{
    Guide, GuideId, GuidePost, GuideSkill, GuideStatus, Importance, JobRole, RoleId, RoleSkill,
    Seniority, Skill, SkillCategory, SkillId, Transition, TransitionId,
};
