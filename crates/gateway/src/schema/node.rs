//! Relay's `Node` interface and opaque global ids (`base64("Type:id")`).

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use waypost_domain::{
    AuthorId, CommentId, GuideId, PostId, RevisionId, RoleId, SkillId, TagId, TransitionId, UserId,
};

use super::career::{GuideObject, RoleObject, SkillObject, TransitionObject};

use super::comment::CommentObject;
use super::{AuthorObject, PostObject, RequestContext, TagObject, request_context};
use crate::error::{GqlResultExt, bad_input};

/// Every object that can be fetched again by its global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id; pass it to `node(id:)`."
))]
pub(crate) enum Node {
    Post(PostObject),
    Comment(CommentObject),
    Author(AuthorObject),
    Tag(TagObject),
    Guide(GuideObject),
    Skill(SkillObject),
    Role(RoleObject),
    Transition(TransitionObject),
}

/// Declares every kind of global id once: its variant, its id type, the
/// name in the encoded id, the typed decoder and what it names in errors.
macro_rules! global_ids {
    ($($variant:ident($ty:ident) = $name:literal, $method:ident, $what:literal;)*) => {
        /// A decoded global id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum GlobalId {
            $($variant($ty),)*
        }

        impl GlobalId {
            /// The kind's name in the encoded id, and the row's number.
            fn parts(self) -> (&'static str, i64) {
                match self {
                    $(GlobalId::$variant(id) => ($name, id.0),)*
                }
            }

            fn of_kind(name: &str, number: i64) -> Option<GlobalId> {
                match name {
                    $($name => Some(GlobalId::$variant($ty(number))),)*
                    _ => None,
                }
            }

            $(
                /// The id of this one kind, or BAD_USER_INPUT naming `field`.
                pub(crate) fn $method(id: &ID, field: &'static str) -> async_graphql::Result<$ty> {
                    match GlobalId::decode(id, field)? {
                        GlobalId::$variant(id) => Ok(id),
                        _ => Err(bad_input(field, format!("`{field}` does not name {}", $what))),
                    }
                }
            )*
        }
    };
}

global_ids! {
    Post(PostId) = "Post", post, "a post";
    Author(AuthorId) = "Author", author, "an author";
    Tag(TagId) = "Tag", tag, "a tag";
    User(UserId) = "User", user, "an account";
    Revision(RevisionId) = "PostRevision", revision, "a revision";
    Comment(CommentId) = "Comment", comment, "a comment";
    Guide(GuideId) = "Guide", guide, "a guide";
    Skill(SkillId) = "Skill", skill, "a skill";
    Role(RoleId) = "Role", role, "a role";
    Transition(TransitionId) = "Transition", transition, "a transition";
}

impl GlobalId {
    pub(crate) fn encode(self) -> ID {
        let (name, number) = self.parts();
        ID(STANDARD.encode(format!("{name}:{number}")))
    }

    /// Parses an id made by `encode`; anything else is BAD_USER_INPUT.
    pub(crate) fn decode(id: &ID, field: &'static str) -> async_graphql::Result<GlobalId> {
        let malformed = || bad_input(field, format!("`{field}` is not a valid Waypost id"));
        let bytes = STANDARD.decode(id.as_str()).map_err(|_| malformed())?;
        let raw = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (kind, number) = raw.split_once(':').ok_or_else(malformed)?;
        let number: i64 = number.parse().map_err(|_| malformed())?;
        if number <= 0 {
            return Err(malformed());
        }
        GlobalId::of_kind(kind, number).ok_or_else(malformed)
    }
}

#[derive(Default)]
pub(crate) struct NodeQuery;

/// The most ids one `nodes` call takes, as many as a page holds at most.
const MAX_NODES: usize = 100;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; `null` when it does not exist
    /// or is not public (a draft, a comment awaiting moderation). Accounts
    /// and revisions are reached through `viewer` and their posts only.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let rc = request_context(ctx)?;
        find(rc, GlobalId::decode(&id, "id")?).await
    }

    /// Fetches up to 100 objects by their global ids at once, each as
    /// `node` would: the answer lists them in the order asked, `null` where
    /// `node` would be. Objects of a kind are read together.
    #[graphql(complexity = "ids.len() * child_complexity + 1")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(bad_input(
                "ids",
                format!(
                    "ask for at most {MAX_NODES} ids at once (got {})",
                    ids.len()
                ),
            ));
        }
        let rc = request_context(ctx)?;
        let ids = ids
            .iter()
            .map(|id| GlobalId::decode(id, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        futures::future::try_join_all(ids.into_iter().map(|id| find(rc, id))).await
    }
}

/// What `node` answers for `id`. Loads go through the request's loader,
/// so the ids of one `nodes` call share a statement per kind.
async fn find(rc: &RequestContext, id: GlobalId) -> async_graphql::Result<Option<Node>> {
    let loader = &rc.loader;
    Ok(match id {
        GlobalId::Guide(id) => loader
            .load_one(id)
            .await
            .gql()?
            .filter(|g| waypost_domain::career::guide_visible(g, rc.viewer.as_ref(), rc.now))
            .map(|g| Node::Guide(GuideObject(g))),
        GlobalId::Skill(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|s| Node::Skill(SkillObject(s))),
        GlobalId::Role(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|r| Node::Role(RoleObject(r))),
        GlobalId::Transition(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|t| Node::Transition(TransitionObject(t))),
        GlobalId::Post(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|p| Node::Post(PostObject(p))),
        GlobalId::Author(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|a| Node::Author(AuthorObject(a))),
        GlobalId::Tag(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|t| Node::Tag(TagObject(t))),
        GlobalId::Comment(id) => loader
            .load_one(id)
            .await
            .gql()?
            .map(|c| Node::Comment(CommentObject(c))),
        // Accounts and revisions are private.
        GlobalId::User(_) | GlobalId::Revision(_) => None,
    })
}
