//! Row structs and insert forms, one set per table.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::ids::{
    AuthorId, CommentId, GuideId, PostId, RevisionId, RoleId, SessionId, SkillId, TagId,
    TransitionId, UserId,
};
use crate::schema::{
    authors, comments, guide_posts, guide_roles, guide_skills, guides, post_revisions, post_slugs,
    post_tags, posts, role_skills, roles, sessions, sign_in_failures, skill_relations, skills,
    tags, transitions, trusted_documents, users,
};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: AuthorId,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = authors)]
pub struct AuthorInsertForm {
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: TagId,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tags)]
pub struct TagInsertForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

/// An enum stored as lowercase text, readable and writable on both backends.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value stored as `text`, if it names one.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                $name::parse(&text)
                    .ok_or_else(|| format!("unknown {} {text:?}", stringify!($name)).into())
            }
        }
    };
}

text_enum!(
    /// Where a post stands in its life.
    PostStatus { Draft => "draft", Published => "published", Trashed => "trashed" }
);

text_enum!(
    /// Where a comment stands in moderation.
    CommentStatus { Pending => "pending", Approved => "approved", Spam => "spam", Trash => "trash" }
);

text_enum!(
    /// What a user may do; see the domain's policy for the table.
    Role { Author => "author", Editor => "editor", Admin => "admin" }
);

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: PostId,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub body_markdown: String,
    pub body_html: String,
    pub reading_time_minutes: i32,
    pub status: PostStatus,
    pub author_id: AuthorId,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    pub comments_open: bool,
    /// Comments a reader can reach, kept by `queries::comment::recount`.
    pub comment_count: i64,
    /// The page's featured image and search-engine text, as JSON the
    /// domain wrote (`editorial::PageMeta`); `None` when none was set.
    pub page_meta: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = posts)]
pub struct PostInsertForm {
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub body_markdown: String,
    pub body_html: String,
    pub reading_time_minutes: i32,
    pub status: PostStatus,
    pub author_id: AuthorId,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

// Every value is given, never DEFAULT: that lets diesel write a batch of
// rows as one multi-row INSERT on SQLite too (see `queries::tag::TagPost`).
#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = post_tags, treat_none_as_default_value = false)]
pub struct PostTag {
    pub post_id: PostId,
    pub tag_id: TagId,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    /// Trimmed and lowercased.
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub author_id: Option<AuthorId>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct UserInsertForm {
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub author_id: Option<AuthorId>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionInsertForm {
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sign_in_failures)]
pub struct SignInFailureForm {
    pub email: String,
    pub failed_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = post_revisions)]
pub struct PostRevision {
    pub id: RevisionId,
    pub post_id: PostId,
    pub version: i64,
    pub title: String,
    pub excerpt: String,
    pub body_markdown: String,
    pub edited_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = post_revisions)]
pub struct PostRevisionForm {
    pub post_id: PostId,
    pub version: i64,
    pub title: String,
    pub excerpt: String,
    pub body_markdown: String,
    pub edited_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = post_slugs)]
pub struct OldSlugForm {
    pub slug: String,
    pub post_id: PostId,
    pub created_at: NaiveDateTime,
}

/// The changes an edit makes to a post; `None` leaves a column alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = posts)]
pub struct PostUpdateForm {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub excerpt: Option<String>,
    pub body_markdown: Option<String>,
    pub body_html: Option<String>,
    pub reading_time_minutes: Option<i32>,
    pub status: Option<PostStatus>,
    pub published_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
    pub comments_open: Option<bool>,
    /// `Some(None)` clears it.
    pub page_meta: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = tags)]
pub struct TagUpdateForm {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = authors)]
pub struct AuthorUpdateForm {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Changes to an account; `None` leaves a column alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserUpdateForm {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    /// `Some(None)` unlinks the author profile.
    pub author_id: Option<Option<AuthorId>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub parent_id: Option<CommentId>,
    pub depth: i32,
    pub author_name: String,
    /// For moderation only; never on a public field.
    pub author_email: String,
    pub author_url: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    pub body_fingerprint: String,
    pub status: CommentStatus,
    pub receipt_hash: String,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = comments)]
pub struct CommentInsertForm {
    pub post_id: PostId,
    pub parent_id: Option<CommentId>,
    pub depth: i32,
    pub author_name: String,
    pub author_email: String,
    pub author_url: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    pub body_fingerprint: String,
    pub status: CommentStatus,
    pub receipt_hash: String,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

text_enum!(
    /// What kind of skill a skill is.
    SkillCategory { Language => "language", Framework => "framework", Database => "database", Practice => "practice", Concept => "concept", Tool => "tool" }
);

text_enum!(
    /// How senior a role is, from first job up.
    Seniority { Entry => "entry", Mid => "mid", Senior => "senior", Lead => "lead", Principal => "principal" }
);

text_enum!(
    /// How much a guide's reader needs a skill.
    Importance { Essential => "essential", Advantageous => "advantageous", Optional => "optional" }
);

text_enum!(
    /// Where a guide stands: a draft, or published (a future date schedules it).
    GuideStatus { Draft => "draft", Published => "published" }
);

impl Seniority {
    /// Position on the ladder, entry first.
    pub fn rank(self) -> u8 {
        match self {
            Seniority::Entry => 0,
            Seniority::Mid => 1,
            Seniority::Senior => 2,
            Seniority::Lead => 3,
            Seniority::Principal => 4,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = skills)]
pub struct Skill {
    pub id: SkillId,
    pub slug: String,
    pub name: String,
    pub category: SkillCategory,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Everything a skill write sets (an insert adds `created_at`).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = skills)]
pub struct SkillForm {
    pub slug: String,
    pub name: String,
    pub category: SkillCategory,
    pub description: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = skill_relations)]
pub struct SkillRelation {
    pub skill_id: SkillId,
    pub related_id: SkillId,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = roles)]
pub struct JobRole {
    pub id: RoleId,
    pub slug: String,
    pub title: String,
    pub seniority: Seniority,
    pub summary: String,
    /// A JSON array of strings.
    pub responsibilities: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = roles)]
pub struct JobRoleForm {
    pub slug: String,
    pub title: String,
    pub seniority: Seniority,
    pub summary: String,
    pub responsibilities: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = role_skills)]
pub struct RoleSkill {
    pub role_id: RoleId,
    pub skill_id: SkillId,
    pub proficiency: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = transitions)]
pub struct Transition {
    pub id: TransitionId,
    pub from_role_id: RoleId,
    pub to_role_id: RoleId,
    pub months: i32,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = transitions)]
pub struct TransitionForm {
    pub from_role_id: RoleId,
    pub to_role_id: RoleId,
    pub months: i32,
    pub note: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = guides)]
pub struct Guide {
    pub id: GuideId,
    pub slug: String,
    pub title: String,
    pub field: String,
    pub summary: String,
    /// A JSON array of `{heading, markdown, html}`.
    pub sections: String,
    /// A JSON array of `{title, text}`.
    pub reasons: String,
    pub status: GuideStatus,
    pub author_id: AuthorId,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = guides, treat_none_as_null = true)]
pub struct GuideForm {
    pub slug: String,
    pub title: String,
    pub field: String,
    pub summary: String,
    pub sections: String,
    pub reasons: String,
    /// The sections as plain text, for search.
    pub search_text: String,
    pub status: GuideStatus,
    pub author_id: AuthorId,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = guide_skills)]
pub struct GuideSkill {
    pub guide_id: GuideId,
    pub skill_id: SkillId,
    pub importance: Importance,
    pub note: String,
    pub position: i32,
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = guide_roles)]
pub struct GuideRole {
    pub guide_id: GuideId,
    pub role_id: RoleId,
    pub position: i32,
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = guide_posts)]
pub struct GuidePost {
    pub guide_id: GuideId,
    pub post_id: PostId,
    pub position: i32,
}

/// An operation an operator registered for trusted-documents mode.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trusted_documents)]
pub struct TrustedDocument {
    pub hash: String,
    pub document: String,
    pub created_at: NaiveDateTime,
}
