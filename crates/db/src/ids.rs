//! Typed ids, so a post id can never be passed where an author id is meant.

use diesel_derive_newtype::DieselNewType;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An author's row id.
    AuthorId,
    /// A post's row id.
    PostId,
    /// A tag's row id.
    TagId,
    /// A user account's row id.
    UserId,
    /// A sign-in session's row id.
    SessionId,
    /// A post revision's row id.
    RevisionId,
    /// A comment's row id.
    CommentId,
    /// A career guide's row id.
    GuideId,
    /// A skill's row id.
    SkillId,
    /// A job role's row id.
    RoleId,
    /// A role-to-role transition's row id.
    TransitionId,
);
