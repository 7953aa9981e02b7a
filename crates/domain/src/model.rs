//! The content the domain hands its callers: posts, their authors, tags,
//! revisions and comments, and user accounts. Each wraps its stored row,
//! which moves in whole (nothing is copied), and shows only what callers
//! read through accessors: a change to the tables stops at an accessor
//! instead of reaching the schema layer, and what is not the callers'
//! business (password hashes, comment fingerprints, receipts, addresses)
//! has no accessor at all. The domain itself reaches the row as `.0`.
//!
//! The row is shared, not owned: an answer hands the same post to every
//! place that shows it (a listing, the loader's cache, a similar-posts
//! entry), and a copy of a post would copy its whole body.

use chrono::NaiveDateTime;
use waypost_db as db;

use crate::freshness::Key;
use waypost_db::{
    AuthorId, CommentId, CommentStatus, PostId, PostStatus, RevisionId, Role, TagId, UserId,
};

/// Declares a domain type that wraps a row, made from it with `From`, and
/// its accessors: `copy` fields by value, `text` fields as `&str`,
/// `optional_text` fields as `Option<&str>`. `read |row| key` names what
/// an answer showing the object depends on (`crate::freshness`).
macro_rules! wraps {
    (
        $(#[$meta:meta])*
        $name:ident($row:ty) {
            $(read |$read_row:ident| $read_key:expr;)?
            copy $($copy:ident: $copy_ty:ty),+;
            $(text $($text:ident),+;)?
            $(optional_text $($optional:ident),+;)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub(crate) std::sync::Arc<$row>);

        impl From<$row> for $name {
            fn from(row: $row) -> Self {
                $({
                    let $read_row = &row;
                    $crate::freshness::read($read_key);
                })?
                $name(std::sync::Arc::new(row))
            }
        }

        impl $name {
            $(pub fn $copy(&self) -> $copy_ty {
                self.0.$copy
            })+
            $($(pub fn $text(&self) -> &str {
                &self.0.$text
            })+)?
            $($(pub fn $optional(&self) -> Option<&str> {
                self.0.$optional.as_deref()
            })+)?
        }
    };
}

pub(crate) use wraps;

/// Whatever the rows of a batch become: one conversion for every list the
/// domain hands out (a move of each row, no copy).
pub(crate) fn all<R: Into<T>, T>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(Into::into).collect()
}

/// `all` for rows that come with the key of what they belong to.
pub(crate) fn keyed<K, R: Into<T>, T>(rows: Vec<(K, R)>) -> Vec<(K, T)> {
    rows.into_iter()
        .map(|(key, row)| (key, row.into()))
        .collect()
}

type At = NaiveDateTime;

wraps!(
    /// A post in any state; `is_live` says whether readers see it.
    Post(db::Post) {
        read |row| Key::Post(row.id);
        copy id: PostId, author_id: AuthorId, status: PostStatus, published_at: Option<At>,
            created_at: At, updated_at: At, reading_time_minutes: i32, version: i64,
            comments_open: bool;
        text slug, title, excerpt, body_markdown, body_html;
    }
);

impl Post {
    /// Whether readers see this post at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.0.is_live(now)
    }

    /// The comments a reader can reach on this post (approved, under
    /// approved comments all the way up), as the last comment write counted
    /// them. What shows it depends on the post's comments as well.
    pub fn comment_count(&self) -> i64 {
        crate::freshness::read(Key::Comments(self.0.id));
        self.0.comment_count
    }

    /// The page's featured image and search-engine text, as set.
    pub fn page_meta(&self) -> crate::page_meta::PageMeta {
        crate::page_meta::PageMeta::read(self.0.page_meta.as_deref())
    }
}

wraps!(
    /// An author profile.
    Author(db::Author) {
        read |row| Key::Author(row.id);
        copy id: AuthorId, created_at: At, updated_at: At;
        text slug, name, bio;
        optional_text avatar_url;
    }
);

wraps!(
    Tag(db::Tag) {
        read |row| Key::Tag(row.id);
        copy id: TagId, created_at: At;
        text slug, name, description;
    }
);

wraps!(
    /// A post's content as it was before an edit.
    PostRevision(db::PostRevision) {
        copy id: RevisionId, post_id: PostId, version: i64, edited_by: Option<UserId>,
            created_at: At;
        text title, excerpt, body_markdown;
    }
);

wraps!(
    /// A comment in any status. `author_email` is for moderators only.
    Comment(db::Comment) {
        read |row| Key::Comments(row.post_id);
        copy id: CommentId, post_id: PostId, parent_id: Option<CommentId>, depth: i32,
            status: CommentStatus, created_at: At, updated_at: At;
        text author_name, author_email, body_html, body_markdown;
        optional_text author_url;
    }
);

wraps!(
    /// An account; its password hash stays behind.
    User(db::User) {
        copy id: UserId, role: Role, author_id: Option<AuthorId>, disabled: bool,
            created_at: At, updated_at: At;
        text email, display_name;
    }
);
