//! Comments: the "Leave a Reply" form (`addComment`), a poster's view of
//! their own pending comment (`comment(receipt:)`), and moderation.

use async_graphql::{
    Context, Enum, ID, InputObject, MergedObject, Object, SimpleObject, Subscription,
};
use futures::{Stream, StreamExt};
use std::sync::Arc;
use waypost_domain::comment::{self, CommentForm, QueueFilter};
use waypost_domain::policy::{Action, allows};

use waypost_domain::comment::thread::{self, CommentPage, WholeThreadPage};
use waypost_domain::{Comment, CommentStatus, Thread};

use super::paging::PageInfo;
use super::payload::{UserError, user_errors};
use super::scalars::Instant;
use super::{GlobalId, PostObject, request_context};
use crate::error::{GqlResultExt, bad_input};
use crate::loaders::{CommentCountKey, CommentPageKey, OwnerOf, WholeThreadKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CommentStatus")]
pub enum CommentStatusEnum {
    Pending,
    Approved,
    Spam,
    Trash,
}

impl From<CommentStatusEnum> for CommentStatus {
    fn from(status: CommentStatusEnum) -> Self {
        match status {
            CommentStatusEnum::Pending => CommentStatus::Pending,
            CommentStatusEnum::Approved => CommentStatus::Approved,
            CommentStatusEnum::Spam => CommentStatus::Spam,
            CommentStatusEnum::Trash => CommentStatus::Trash,
        }
    }
}

pub(crate) struct CommentObject(pub Comment);

impl CommentObject {
    /// Whether the viewer moderates this comment's post (editors, admins,
    /// and the post's author).
    async fn moderated_by_viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let rc = request_context(ctx)?;
        let Some(viewer) = rc.viewer.as_ref() else {
            return Ok(false);
        };
        let owner = rc.loader.load_one(OwnerOf(self.0.post_id())).await.gql()?;
        Ok(owner.is_some_and(|owner| allows(Some(viewer), Action::EditPost { owner })))
    }
}

#[Object(name = "Comment")]
impl CommentObject {
    pub(crate) async fn id(&self) -> ID {
        GlobalId::Comment(self.0.id()).encode()
    }
    async fn author_name(&self) -> &str {
        self.0.author_name()
    }
    async fn author_url(&self) -> Option<&str> {
        self.0.author_url()
    }
    /// The comment rendered from Markdown: no raw HTML, no images, links
    /// marked `nofollow ugc`.
    async fn html(&self) -> &str {
        self.0.body_html()
    }
    /// The comment as plain text, paragraphs separated by blank lines, for
    /// clients that lay text out themselves (React Native).
    async fn text(&self) -> String {
        waypost_domain::render::plain_text(self.0.body_markdown())
    }
    /// Where the comment stands. A comment caught as spam shows as PENDING
    /// to everyone but its moderators, so a spammer learns nothing.
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<CommentStatusEnum> {
        Ok(match self.0.status() {
            CommentStatus::Pending => CommentStatusEnum::Pending,
            CommentStatus::Approved => CommentStatusEnum::Approved,
            CommentStatus::Trash => CommentStatusEnum::Trash,
            CommentStatus::Spam if self.moderated_by_viewer(ctx).await? => CommentStatusEnum::Spam,
            CommentStatus::Spam => CommentStatusEnum::Pending,
        })
    }
    /// 0 for a comment on the post, 1 for a reply to one, and so on.
    async fn depth(&self) -> i32 {
        self.0.depth()
    }
    /// The id of the comment this one replies to; `null` for a comment on
    /// the post itself. With `depth`, enough to place a comment (a live
    /// one from `commentAdded`, say) in its thread.
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id().map(|id| GlobalId::Comment(id).encode())
    }
    /// The comment this one replies to, as readers reach it: `null` for a
    /// comment on the post itself.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CommentObject>> {
        let Some(parent) = self.0.parent_id() else {
            return Ok(None);
        };
        let loader = &request_context(ctx)?.loader;
        Ok(loader.load_one(parent).await.gql()?.map(CommentObject))
    }
    async fn created_at(&self) -> Instant {
        Instant(self.0.created_at())
    }
    /// Approved replies, oldest first.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommentConnection> {
        load_thread(
            ctx,
            Thread::RepliesTo,
            self.0.id().0,
            first,
            after,
            CommentOrder::Oldest,
        )
        .await
    }
    /// The post the comment is on; `null` only while that post is not
    /// published (a moderator's queue, a receipt), since readers see
    /// comments on published posts alone.
    async fn post(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PostObject>> {
        let loader = &request_context(ctx)?.loader;
        Ok(loader
            .load_one(self.0.post_id())
            .await
            .gql()?
            .map(PostObject))
    }
    /// The commenter's email, for moderators only; `null` for everyone else.
    async fn author_email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self
            .moderated_by_viewer(ctx)
            .await?
            .then_some(self.0.author_email()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum CommentOrder {
    #[default]
    Oldest,
    Newest,
}

/// Approved comments as a Relay connection (forward paging).
#[derive(MergedObject)]
pub(crate) struct CommentConnection(CommentPageFields, ThreadTotal);

#[derive(SimpleObject)]
pub(crate) struct CommentEdge {
    pub cursor: String,
    pub node: CommentObject,
}

/// What every page of comments shows, in threads and in the queue.
pub(crate) struct CommentPageFields(CommentPage);

#[Object]
impl CommentPageFields {
    async fn edges(&self) -> Vec<CommentEdge> {
        edges(&self.0)
    }
    async fn nodes(&self) -> Vec<CommentObject> {
        self.0.comments.iter().cloned().map(CommentObject).collect()
    }
    async fn page_info(&self) -> PageInfo {
        page_info(&self.0)
    }
}

pub(crate) struct ThreadTotal {
    thread: Thread,
    parent: i64,
    /// Counted with the page, when it was a first page.
    known: Option<i64>,
}

#[Object]
impl ThreadTotal {
    /// Approved comments in this thread, ignoring paging.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let total = match self.known {
            Some(total) => total,
            None => request_context(ctx)?
                .loader
                .load_one(CommentCountKey {
                    thread: self.thread,
                    parent: self.parent,
                })
                .await
                .gql()?
                .unwrap_or(0),
        };
        Ok(i32::try_from(total).unwrap_or(i32::MAX))
    }
}

fn edges(page: &CommentPage) -> Vec<CommentEdge> {
    page.comments
        .iter()
        .map(|c| CommentEdge {
            cursor: thread::encode_cursor(c),
            node: CommentObject(c.clone()),
        })
        .collect()
}

fn page_info(page: &CommentPage) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        start_cursor: page.comments.first().map(thread::encode_cursor),
        end_cursor: page.comments.last().map(thread::encode_cursor),
    }
}

/// A page of a thread, through the batching loader.
pub(crate) async fn load_thread(
    ctx: &Context<'_>,
    thread: Thread,
    parent: i64,
    first: Option<i32>,
    after: Option<String>,
    order: CommentOrder,
) -> async_graphql::Result<CommentConnection> {
    let spec = thread::parse_page(first, after.as_deref(), order == CommentOrder::Newest).gql()?;
    let key = CommentPageKey {
        thread,
        parent,
        spec: Arc::new(spec),
    };
    let page = request_context(ctx)?
        .loader
        .load_one(key)
        .await
        .gql()?
        .unwrap_or_default();
    let known = page.total;
    Ok(CommentConnection(
        CommentPageFields(page),
        ThreadTotal {
            thread,
            parent,
            known,
        },
    ))
}

/// A post's whole thread, flattened: each comment followed by its
/// replies, siblings as they were posted. With each comment's `depth` and
/// `parentId` a client builds the tree from one list, in one request.
pub(crate) struct WholeThreadConnection {
    page: WholeThreadPage,
    total: i64,
}

#[Object]
impl WholeThreadConnection {
    async fn edges(&self) -> Vec<CommentEdge> {
        self.page
            .comments
            .iter()
            .map(|(cursor, c)| CommentEdge {
                cursor: cursor.clone(),
                node: CommentObject(c.clone()),
            })
            .collect()
    }
    async fn nodes(&self) -> Vec<CommentObject> {
        self.page
            .comments
            .iter()
            .map(|(_, c)| CommentObject(c.clone()))
            .collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: self.page.comments.first().map(|(c, _)| c.clone()),
            end_cursor: self.page.comments.last().map(|(c, _)| c.clone()),
        }
    }
    /// Every comment a reader reaches on the post, replies included,
    /// ignoring paging (the post's `commentCount`).
    async fn total_count(&self) -> i32 {
        i32::try_from(self.total).unwrap_or(i32::MAX)
    }
}

/// A page of `post`'s whole thread, which holds `total` comments.
pub(crate) async fn load_whole_thread(
    ctx: &Context<'_>,
    post: i64,
    total: i64,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<WholeThreadConnection> {
    let spec = thread::parse_whole_thread(first, after.as_deref()).gql()?;
    let key = WholeThreadKey {
        post,
        spec: Arc::new(spec),
    };
    let page = request_context(ctx)?
        .loader
        .load_one(key)
        .await
        .gql()?
        .unwrap_or_default();
    Ok(WholeThreadConnection { page, total })
}

#[derive(InputObject)]
pub(crate) struct AddCommentInput {
    pub post_id: ID,
    /// An approved comment on the same post to reply to.
    pub parent_id: Option<ID>,
    /// 1 to 100 characters.
    pub author_name: String,
    /// Required, never published.
    pub author_email: String,
    /// An http or https address.
    pub author_url: Option<String>,
    /// Markdown, 1 to 10,000 characters.
    pub body: String,
    /// Leave empty: forms hide this field from people, and bots fill it in.
    pub honeypot: Option<String>,
}

#[derive(SimpleObject)]
pub(crate) struct AddCommentPayload {
    pub comment: Option<CommentObject>,
    /// Keep it to see your comment with `comment(receipt:)` while it waits
    /// for moderation. Shown once.
    pub receipt: Option<String>,
    /// True when the reply was filed under a shallower comment than
    /// `parentId` named, because the thread is at its deepest level there;
    /// `comment.parentId` says where it went, so a client can move its
    /// optimistic copy.
    pub reparented: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub(crate) struct ModerateCommentInput {
    pub id: ID,
    pub status: CommentStatusEnum,
}

#[derive(InputObject)]
pub(crate) struct ModerateCommentsInput {
    pub ids: Vec<ID>,
    pub status: CommentStatusEnum,
}

#[derive(SimpleObject)]
pub(crate) struct ModerateCommentPayload {
    pub comment: Option<CommentObject>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ModerateCommentsPayload {
    pub comments: Vec<CommentObject>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject, Default)]
pub(crate) struct CommentFilterInput {
    pub status: Option<CommentStatusEnum>,
    pub post_id: Option<ID>,
}

/// A page of the moderation queue, newest first.
#[derive(MergedObject)]
pub(crate) struct CommentQueue(CommentPageFields, QueueTotal);

pub(crate) struct QueueTotal(QueueFilter);

#[Object]
impl QueueTotal {
    /// Comments in the queue as filtered, ignoring paging.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let total = comment::moderation_queue_count(&request_context(ctx)?.pool, &self.0)
            .await
            .gql()?;
        Ok(i32::try_from(total).unwrap_or(i32::MAX))
    }
}

#[derive(Default)]
pub(crate) struct CommentQuery;

#[Object]
impl CommentQuery {
    /// The moderation queue, with commenters' emails: editors see every
    /// comment, an author those on their own posts.
    #[graphql(complexity = "super::paging::page_cost(first, None, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        filter: Option<CommentFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommentQueue> {
        let rc = request_context(ctx)?;
        let filter = filter.unwrap_or_default();
        let post_id = filter
            .post_id
            .as_ref()
            .map(|id| GlobalId::post(id, "postId"))
            .transpose()?;
        let status = filter.status.map(CommentStatus::from);
        let (page, filter) = comment::moderation_queue(
            &rc.pool,
            rc.viewer.as_ref(),
            status,
            post_id,
            first,
            after.as_deref(),
        )
        .await
        .gql()?;
        Ok(CommentQueue(CommentPageFields(page), QueueTotal(filter)))
    }

    /// Your own comment, by the receipt `addComment` gave you, whatever its
    /// moderation status. The receipt reveals nothing else.
    async fn comment(
        &self,
        ctx: &Context<'_>,
        receipt: String,
    ) -> async_graphql::Result<Option<CommentObject>> {
        let rc = request_context(ctx)?;
        // One commenter's own comment: no shared cache may keep it.
        crate::http::Personal::mark_in(ctx);
        Ok(comment::find_by_receipt(&rc.pool, &receipt)
            .await
            .gql()?
            .map(CommentObject))
    }
}

#[derive(Default)]
pub(crate) struct CommentMutation;

#[Object]
impl CommentMutation {
    /// Leaves a reply on a published post. A first comment from an email
    /// waits for moderation; once one is approved, later ones appear at once.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        input: AddCommentInput,
    ) -> async_graphql::Result<AddCommentPayload> {
        let rc = request_context(ctx)?;
        let post_id = GlobalId::post(&input.post_id, "postId")?;
        let parent_id = input
            .parent_id
            .as_ref()
            .map(|id| GlobalId::comment(id, "parentId"))
            .transpose()?;
        let form = CommentForm {
            post_id: Some(post_id),
            parent_id,
            author_name: input.author_name,
            author_email: input.author_email,
            author_url: input.author_url,
            body: input.body,
            honeypot: input.honeypot,
            ip: rc.client_ip.clone(),
        };
        Ok(
            match comment::add_comment(&rc.pool, &rc.feed, &rc.comments, form, rc.now, &rc.clock)
                .await
                .gql()?
            {
                Ok(posted) => AddCommentPayload {
                    reparented: parent_id.is_some() && posted.comment.parent_id() != parent_id,
                    comment: Some(CommentObject(posted.comment)),
                    receipt: Some(posted.receipt),
                    user_errors: Vec::new(),
                },
                Err(errors) => AddCommentPayload {
                    comment: None,
                    receipt: None,
                    reparented: false,
                    user_errors: user_errors(errors),
                },
            },
        )
    }

    /// Approves, holds, marks as spam or trashes a comment (editors; authors
    /// on their own posts). An editor's approval also trusts the commenter:
    /// their later comments appear without moderation while it stands.
    #[graphql(guard = "crate::schema::signed_in")]
    async fn moderate_comment(
        &self,
        ctx: &Context<'_>,
        input: ModerateCommentInput,
    ) -> async_graphql::Result<ModerateCommentPayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::comment(&input.id, "id")?;
        let mut changed = comment::moderate(
            &rc.pool,
            &rc.feed,
            rc.viewer.as_ref(),
            &[id],
            input.status.into(),
            rc.now,
        )
        .await
        .gql()?;
        Ok(ModerateCommentPayload {
            comment: changed.pop().map(CommentObject),
            user_errors: Vec::new(),
        })
    }

    /// The same for many comments at once; all or none change.
    #[graphql(guard = "crate::schema::signed_in")]
    async fn moderate_comments(
        &self,
        ctx: &Context<'_>,
        input: ModerateCommentsInput,
    ) -> async_graphql::Result<ModerateCommentsPayload> {
        let rc = request_context(ctx)?;
        if input.ids.is_empty() || input.ids.len() > 100 {
            return Err(bad_input("ids", "moderate 1 to 100 comments at a time"));
        }
        let ids = input
            .ids
            .iter()
            .map(|id| GlobalId::comment(id, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        let changed = comment::moderate(
            &rc.pool,
            &rc.feed,
            rc.viewer.as_ref(),
            &ids,
            input.status.into(),
            rc.now,
        )
        .await
        .gql()?;
        Ok(ModerateCommentsPayload {
            comments: changed.into_iter().map(CommentObject).collect(),
            user_errors: Vec::new(),
        })
    }
}

#[derive(Default)]
pub(crate) struct CommentSubscription;

#[Subscription]
impl CommentSubscription {
    /// Comments on a published post as they become public: posted approved,
    /// or approved later by a moderator. Pending, spam and trashed comments
    /// are never sent.
    async fn comment_added(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<CommentObject>> + use<>>
    {
        let rc = request_context(ctx)?;
        let post_id = GlobalId::post(&post_id, "postId")?;
        // Boxed: the post's lookup is awaited once, and its state would
        // otherwise size the subscription's stream for its whole life.
        let comments = Box::pin(comment::published_on(&rc.pool, &rc.feed, post_id, rc.now))
            .await
            .gql()?;
        Ok(comments.map(|comment| comment.map(CommentObject).gql()))
    }
}
