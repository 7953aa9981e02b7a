//! Relay's `Node` interface and opaque global ids (`base64("Type:id")`).

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use waypost_domain::{
    AuthorId, CommentId, GuideId, PostId, RevisionId, RoleId, SkillId, TagId, TransitionId, UserId,
};

use super::career::{GuideObject, RoleObject, SkillObject, TransitionObject};

use super::{AuthorObject, PostObject, TagObject, request_context};
use crate::error::{GqlResultExt, bad_input};

/// Every object that can be fetched again by its global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id; pass it to `node(id:)`."
))]
pub enum Node {
    Post(PostObject),
    Author(AuthorObject),
    Tag(TagObject),
    Guide(GuideObject),
    Skill(SkillObject),
    Role(RoleObject),
    Transition(TransitionObject),
}

/// A decoded global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalId {
    Post(PostId),
    Author(AuthorId),
    Tag(TagId),
    User(UserId),
    Revision(RevisionId),
    Comment(CommentId),
    Guide(GuideId),
    Skill(SkillId),
    Role(RoleId),
    Transition(TransitionId),
}

impl GlobalId {
    pub fn encode(self) -> ID {
        let raw = match self {
            GlobalId::Post(id) => format!("Post:{id}"),
            GlobalId::Author(id) => format!("Author:{id}"),
            GlobalId::Tag(id) => format!("Tag:{id}"),
            GlobalId::User(id) => format!("User:{id}"),
            GlobalId::Revision(id) => format!("PostRevision:{id}"),
            GlobalId::Comment(id) => format!("Comment:{id}"),
            GlobalId::Guide(id) => format!("Guide:{id}"),
            GlobalId::Skill(id) => format!("Skill:{id}"),
            GlobalId::Role(id) => format!("Role:{id}"),
            GlobalId::Transition(id) => format!("Transition:{id}"),
        };
        ID(STANDARD.encode(raw))
    }

    /// Parses an id made by `encode`; anything else is BAD_USER_INPUT.
    pub fn decode(id: &ID, field: &'static str) -> async_graphql::Result<GlobalId> {
        let malformed = || bad_input(field, format!("`{field}` is not a valid Waypost id"));
        let bytes = STANDARD.decode(id.as_str()).map_err(|_| malformed())?;
        let raw = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (kind, number) = raw.split_once(':').ok_or_else(malformed)?;
        let number: i64 = number.parse().map_err(|_| malformed())?;
        if number <= 0 {
            return Err(malformed());
        }
        match kind {
            "Post" => Ok(GlobalId::Post(PostId(number))),
            "Author" => Ok(GlobalId::Author(AuthorId(number))),
            "Tag" => Ok(GlobalId::Tag(TagId(number))),
            "User" => Ok(GlobalId::User(UserId(number))),
            "PostRevision" => Ok(GlobalId::Revision(RevisionId(number))),
            "Comment" => Ok(GlobalId::Comment(CommentId(number))),
            "Guide" => Ok(GlobalId::Guide(GuideId(number))),
            "Skill" => Ok(GlobalId::Skill(SkillId(number))),
            "Role" => Ok(GlobalId::Role(RoleId(number))),
            "Transition" => Ok(GlobalId::Transition(TransitionId(number))),
            _ => Err(malformed()),
        }
    }
}

/// `GlobalId::post(id, field)` and friends: the id of one kind of object,
/// or BAD_USER_INPUT naming `field`.
macro_rules! typed_decoders {
    ($($method:ident => $variant:ident($ty:ty), $what:literal;)*) => {
        impl GlobalId {
            $(
                pub fn $method(id: &ID, field: &'static str) -> async_graphql::Result<$ty> {
                    match GlobalId::decode(id, field)? {
                        GlobalId::$variant(id) => Ok(id),
                        _ => Err(bad_input(field, format!("`{field}` does not name {}", $what))),
                    }
                }
            )*
        }
    };
}

typed_decoders! {
    post => Post(PostId), "a post";
    author => Author(AuthorId), "an author";
    tag => Tag(TagId), "a tag";
    user => User(UserId), "an account";
    revision => Revision(RevisionId), "a revision";
    comment => Comment(CommentId), "a comment";
    guide => Guide(GuideId), "a guide";
    skill => Skill(SkillId), "a skill";
    role => Role(RoleId), "a role";
    transition => Transition(TransitionId), "a transition";
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; `null` when it does not exist
    /// (or is not published).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let rc = request_context(ctx)?;
        let loader = &rc.loader;
        Ok(match GlobalId::decode(&id, "id")? {
            GlobalId::Guide(id) => {
                waypost_domain::career::guide_by_id(&rc.pool, rc.viewer.as_ref(), id, rc.now)
                    .await
                    .gql()?
                    .map(|g| Node::Guide(GuideObject(g)))
            }
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
            GlobalId::Transition(id) => {
                let mut found = waypost_domain::career::transitions_by_ids(&rc.pool, &[id])
                    .await
                    .gql()?;
                found.pop().map(|t| Node::Transition(TransitionObject(t)))
            }
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
            // Accounts are private: reachable through `viewer` only.
            // Accounts and revisions are private; comments are reached
            // through their posts and receipts.
            GlobalId::User(_) | GlobalId::Revision(_) | GlobalId::Comment(_) => None,
        })
    }
}
