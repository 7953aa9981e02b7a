//! Who may do what: the role table, in one place. Every permission check in
//! Waypost asks `allows` or `authorize`.

use waypost_db::{AuthorId, Role, SessionId, UserId};

use crate::{DomainError, DomainResult};

/// The signed-in user behind a request: who the rules below are asked about.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: Role,
    pub author_id: Option<AuthorId>,
}

/// Something a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadPublished,
    /// Read a draft, scheduled or trashed post written by `owner`.
    ReadUnpublished {
        owner: AuthorId,
    },
    CreatePost,
    /// Edit, publish, schedule, unpublish, trash or restore `owner`'s post.
    EditPost {
        owner: AuthorId,
    },
    DeletePost,
    ManageTags,
    /// Create, edit or delete skills, roles and the transitions between
    /// roles: shared data, like tags. Guides follow the post rows.
    ManageCareers,
    ManageAuthorProfile {
        author: AuthorId,
    },
    CreateAuthorProfile,
    ManageUsers,
    /// Set a post's slug by hand instead of taking the one made from its title.
    ChooseSlug,
    /// Approve a comment in a way that trusts its author's later comments
    /// on every post. Authors moderate their own posts' comments, but
    /// vouching for a commenter reaches other authors' posts.
    VouchForCommenter,
}

/// Whose unpublished posts a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    Everyone,
    Own(AuthorId),
}

/// The "read drafts / scheduled / trashed posts" row of the table: editors
/// and admins read all, an author their own, anyone else none.
pub fn unpublished_scope(viewer: Option<&Viewer>) -> Option<ReadScope> {
    let viewer = viewer?;
    match viewer.role {
        Role::Editor | Role::Admin => Some(ReadScope::Everyone),
        Role::Author => viewer.author_id.map(ReadScope::Own),
    }
}

/// The role table. `None` is an anonymous caller.
pub fn allows(viewer: Option<&Viewer>, action: Action) -> bool {
    if let Action::ReadUnpublished { owner } = action {
        return match unpublished_scope(viewer) {
            Some(ReadScope::Everyone) => true,
            Some(ReadScope::Own(author)) => author == owner,
            None => false,
        };
    }
    let Some(viewer) = viewer else {
        return action == Action::ReadPublished;
    };
    let owns = |author: AuthorId| viewer.author_id == Some(author);
    match (viewer.role, action) {
        (_, Action::ReadPublished) => true,
        (Role::Admin, _) => true,
        (Role::Editor, Action::ManageUsers) => false,
        (Role::Author, Action::ChooseSlug) => false,
        (Role::Editor, _) => true,
        (Role::Author, Action::ReadUnpublished { owner } | Action::EditPost { owner }) => {
            owns(owner)
        }
        // An author writes as their own profile, so they need one.
        (Role::Author, Action::CreatePost) => viewer.author_id.is_some(),
        (Role::Author, Action::ManageAuthorProfile { author }) => owns(author),
        (
            Role::Author,
            Action::DeletePost
            | Action::ManageTags
            | Action::ManageCareers
            | Action::CreateAuthorProfile
            | Action::ManageUsers
            | Action::VouchForCommenter,
        ) => false,
    }
}

/// Whom a new post is by: an author writes as their own profile whatever
/// they ask; editors and admins as the profile they name, else their own.
/// `None`: there is no profile to write as.
pub fn post_author(viewer: &Viewer, requested: Option<AuthorId>) -> Option<AuthorId> {
    match viewer.role {
        Role::Author => viewer.author_id,
        Role::Editor | Role::Admin => requested.or(viewer.author_id),
    }
}

/// `Ok` when allowed; UNAUTHENTICATED for an anonymous caller, FORBIDDEN otherwise.
pub fn authorize(viewer: Option<&Viewer>, action: Action) -> DomainResult<()> {
    if allows(viewer, action) {
        return Ok(());
    }
    match viewer {
        None => Err(DomainError::Unauthenticated("sign in to do this")),
        Some(_) => Err(DomainError::Forbidden(
            "your role does not allow this".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waypost_db::{SessionId, UserId};

    const MINE: AuthorId = AuthorId(1);
    const THEIRS: AuthorId = AuthorId(2);

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: UserId(9),
            session_id: SessionId(9),
            role,
            author_id: Some(MINE),
        }
    }

    /// The table, row by row: anonymous, AUTHOR, EDITOR, ADMIN.
    #[test]
    fn the_role_table() {
        let rows: [(Action, [bool; 4]); 15] = [
            (Action::ReadPublished, [true, true, true, true]),
            (
                Action::ReadUnpublished { owner: MINE },
                [false, true, true, true],
            ),
            (
                Action::ReadUnpublished { owner: THEIRS },
                [false, false, true, true],
            ),
            (Action::CreatePost, [false, true, true, true]),
            (Action::EditPost { owner: MINE }, [false, true, true, true]),
            (
                Action::EditPost { owner: THEIRS },
                [false, false, true, true],
            ),
            (Action::DeletePost, [false, false, true, true]),
            (Action::ManageTags, [false, false, true, true]),
            (Action::ManageCareers, [false, false, true, true]),
            (
                Action::ManageAuthorProfile { author: MINE },
                [false, true, true, true],
            ),
            (
                Action::ManageAuthorProfile { author: THEIRS },
                [false, false, true, true],
            ),
            (Action::CreateAuthorProfile, [false, false, true, true]),
            (Action::ManageUsers, [false, false, false, true]),
            (Action::VouchForCommenter, [false, false, true, true]),
            (Action::ChooseSlug, [false, false, true, true]),
        ];
        for (action, expected) in rows {
            let author = viewer(Role::Author);
            let editor = viewer(Role::Editor);
            let admin = viewer(Role::Admin);
            let got = [None, Some(&author), Some(&editor), Some(&admin)].map(|v| allows(v, action));
            assert_eq!(got, expected, "{action:?}");
        }
    }

    #[test]
    fn an_author_without_a_profile_cannot_write() {
        let bare = Viewer {
            author_id: None,
            ..viewer(Role::Author)
        };
        assert!(!allows(Some(&bare), Action::CreatePost));
        assert!(!allows(Some(&bare), Action::EditPost { owner: MINE }));
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(
            authorize(None, Action::CreatePost).unwrap_err().code(),
            crate::ErrorCode::Unauthenticated
        );
        let author = viewer(Role::Author);
        assert_eq!(
            authorize(Some(&author), Action::DeletePost)
                .unwrap_err()
                .code(),
            crate::ErrorCode::Forbidden
        );
        assert!(authorize(Some(&author), Action::EditPost { owner: MINE }).is_ok());
    }
}
