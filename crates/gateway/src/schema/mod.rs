//! The GraphQL schema: per-area query roots merged into `QueryRoot`, built
//! apart from HTTP so tests and `waypost schema` can use it without a server.

mod account;
mod author;
mod batching;
mod career;
pub(crate) mod check;
mod comment;
mod directory;
mod editorial;
mod field_order;
mod node;
mod nulls;
mod paging;
mod payload;
mod post;
mod post_connection;
mod scalars;
mod search;
mod tag;

use async_graphql::{
    Context, MergedObject, MergedSubscription, Request, Response, Schema, ValidationMode,
};
use chrono::NaiveDateTime;
use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use waypost_domain::account::AuthSettings;
use waypost_domain::comment::CommentSettings;
use waypost_domain::policy::Viewer;
use waypost_domain::{CommentFeed, DbPool, DomainResult};

use std::sync::Arc;

use crate::error::{GqlResultExt, internal};
use crate::limits::{Limits, QueryLimits};
use crate::loaders::{RequestLoader, request_loader};
use crate::metrics::Metrics;

pub(crate) use author::AuthorObject;
pub(crate) use node::GlobalId;
pub(crate) use post::PostObject;
pub(crate) use tag::TagObject;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub(crate) struct QueryRoot(
    node::NodeQuery,
    post::PostQuery,
    author::AuthorQuery,
    tag::TagQuery,
    directory::DirectoryQuery,
    account::AccountQuery,
    comment::CommentQuery,
    career::CareerQuery,
    search::SearchQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub(crate) struct MutationRoot(
    account::AccountMutation,
    editorial::EditorialMutation,
    tag::TagMutation,
    author::AuthorMutation,
    comment::CommentMutation,
    career::CareerMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub(crate) struct SubscriptionRoot(comment::CommentSubscription);

type Roots = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema as every transport runs it: two builds of the same types.
/// One checks a request (parsing, validation and the limits, as
/// extensions) and resolves nothing; the other runs what passed, with no
/// extension at all. In async-graphql any extension, even one that looks
/// only at parsing and validation, sends every field of every object
/// through a slower path (a registry lookup and a boxed hook each): on a
/// page of 20 posts that was a third of the server's time.
#[derive(Clone)]
pub struct WaypostSchema {
    check: Roots,
    run: Roots,
    /// The field types that null propagation follows.
    shapes: Arc<nulls::Shapes>,
}

impl WaypostSchema {
    /// The schema in GraphQL's schema definition language.
    pub fn sdl(&self) -> String {
        self.run
            .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
    }

    /// Parses and validates `request` under the limits, running nothing.
    /// Passes with what the response reports of the check (its cost), or
    /// fails with the response that says why.
    async fn check(&self, request: &mut Request) -> Result<Checked, Response> {
        let mut probe = Request::new(request.query.clone()).variables(request.variables.clone());
        probe.operation_name = request.operation_name.clone();
        let document = request.parsed_query().ok().cloned();
        if let Some(document) = &document {
            probe.set_parsed_query(document.clone());
        }
        let response = self.check.execute(probe).await;
        if response.errors.is_empty() {
            Ok(Checked {
                // A map of one entry (the cost) takes a whole B-tree node,
                // about 1 KiB, which a subscription kept for its life.
                extensions: response.extensions.into_iter().collect(),
                document,
            })
        } else {
            Err(response)
        }
    }
}

/// What a passed check hands on to the run.
struct Checked {
    /// The response's extensions (the operation's cost), in key order.
    extensions: Vec<(String, async_graphql::Value)>,
    /// The parsed operation, for putting the answer's fields in its order.
    document: Option<async_graphql::parser::types::ExecutableDocument>,
}

impl Checked {
    /// Puts `response` in the shape the check promised: failed fields
    /// null as the specification says, fields in the query's order, the
    /// check's extensions beside the response's own.
    fn finish(
        &self,
        shapes: &nulls::Shapes,
        response: &mut Response,
        operation_name: Option<&str>,
    ) {
        if let Some(document) = &self.document {
            shapes.propagate(response, document, operation_name);
            field_order::reorder(&mut response.data, document, operation_name);
        }
        for (key, value) in &self.extensions {
            response
                .extensions
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }
}

/// The schema with the default limits.
pub fn build_schema() -> WaypostSchema {
    build_schema_with(&Limits::default())
}

/// The schema with no per-request data (`execute` adds that), enforcing
/// `limits` on every operation whatever its transport.
pub fn build_schema_with(limits: &Limits) -> WaypostSchema {
    // What reaches it was validated in full by the check.
    let run = hide_introspection(roots().validation_mode(ValidationMode::Fast), limits);
    WaypostSchema {
        check: build_checking_schema(limits),
        shapes: Arc::new(nulls::Shapes::read(&run.sdl())),
        run,
    }
}

/// The schema that checks documents as `build_schema_with(limits)` would
/// run them, and runs nothing (see [`check::check_document`]).
pub(crate) fn build_checking_schema(limits: &Limits) -> Roots {
    // First, so that it wraps every other extension's checks.
    let builder = roots()
        .extension(check::CheckOnly)
        .extension(QueryLimits(Arc::new(limits.clone())));
    hide_introspection(builder, limits)
}

type Builder = async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>;

fn roots() -> Builder {
    // `DateTime` is one GraphQL type with two Rust types: `Instant` as
    // answers carry it, `InstantInput` as requests send it.
    Schema::build_with_ignore_name_conflicts(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
        ["DateTime"],
    )
}

fn hide_introspection(builder: Builder, limits: &Limits) -> Roots {
    if limits.introspection {
        builder.finish()
    } else {
        // "Did you mean ...?" would rebuild the hidden schema one guess
        // at a time.
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
}

/// What requests share: the database and the sign-in rules.
#[derive(Clone)]
pub struct Services {
    pub pool: DbPool,
    /// This instance's end of the comment feed, shared by every request.
    pub feed: CommentFeed,
    pub auth: AuthSettings,
    pub comments: CommentSettings,
    /// Where "now" comes from: the system clock, or a fixed one in tests
    /// that must stand exactly on an instant (a scheduled post's, say).
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Where the site shows what the API serves.
    pub site: Site,
}

pub use waypost_domain::clock::{Clock, system_clock};

/// The public site in front of the API: where its pages are, for the
/// addresses the API gives out (canonical URLs, feeds, the sitemap).
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// A post page's address with `{slug}` where the slug goes, e.g.
    /// `https://blog.example/posts/{slug}`; without it a post's page is
    /// `{public_url}/posts/{slug}`.
    pub post_url: Option<Arc<str>>,
    /// The site's own address as configured, without a trailing slash,
    /// e.g. `https://blog.example`: feeds and the sitemap are absolute
    /// under it.
    pub public_url: Option<Arc<str>>,
    /// This server's own address, for feeds and the sitemap when no public
    /// URL is configured (development), so that they can be tried out. No
    /// page of the site is there: it never makes a canonical URL.
    pub own_url: Option<Arc<str>>,
}

/// The kinds of public page the site has, one per slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Post,
    Guide,
    Tag,
    Author,
}

impl Page {
    fn section(self) -> &'static str {
        match self {
            Page::Post => "posts",
            Page::Guide => "guides",
            Page::Tag => "tags",
            Page::Author => "authors",
        }
    }
}

impl Site {
    /// Where feeds and the sitemap put their addresses: the public URL, or
    /// without one this server's own.
    pub(crate) fn feed_base(&self) -> Option<&str> {
        self.public_url.as_deref().or(self.own_url.as_deref())
    }

    /// The canonical address of the post with `slug`: only from what was
    /// configured (its template or the public URL), never this server's own.
    pub(crate) fn canonical_url(&self, slug: &str) -> Option<String> {
        self.page_under(self.public_url.as_deref(), Page::Post, slug)
    }

    /// The address of the page of `kind` for `slug` in feeds and the
    /// sitemap, when known.
    pub(crate) fn page_url(&self, kind: Page, slug: &str) -> Option<String> {
        self.page_under(self.feed_base(), kind, slug)
    }

    /// A page's address: a post's from its own template when one is set,
    /// else under `base`.
    fn page_under(&self, base: Option<&str>, kind: Page, slug: &str) -> Option<String> {
        if let (Page::Post, Some(template)) = (kind, self.post_url.as_deref()) {
            return Some(template.replace("{slug}", slug));
        }
        base.map(|base| format!("{base}/{}/{slug}", kind.section()))
    }

    /// `path` (from `/`) under the feeds' base, when it is known.
    pub(crate) fn url(&self, path: &str) -> Option<String> {
        self.feed_base().map(|base| format!("{base}{path}"))
    }
}

/// What every resolver may need for one request.
pub(crate) struct RequestContext {
    pub pool: DbPool,
    pub feed: CommentFeed,
    pub auth: AuthSettings,
    pub comments: CommentSettings,
    pub site: Site,
    /// The signed-in user; `None` for an anonymous request.
    pub viewer: Option<Viewer>,
    /// The client's network address, when the listener recorded it.
    pub client_ip: Option<String>,
    /// One instant for the whole request, so that a post scheduled for this
    /// very second is either in every part of the response or in none.
    pub now: NaiveDateTime,
    /// For the few steps that must read the time at the moment they act
    /// (a comment stamped once it holds its sender's flood lock).
    pub clock: Clock,
    pub loader: RequestLoader,
}

pub(crate) fn request_context<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| internal("request context missing"))
}

/// The guard of every mutation that is not for the public (everything but
/// signing in and commenting): an anonymous call is UNAUTHENTICATED before
/// its input is looked at, so a client learns first what it must fix first.
pub(crate) fn signed_in(ctx: &Context<'_>) -> async_graphql::Result<()> {
    match request_context(ctx)?.viewer {
        Some(_) => Ok(()),
        None => Err(crate::error::to_graphql(
            &waypost_domain::DomainError::Unauthenticated("sign in to do this"),
        )),
    }
}

/// What `find` finds by `slug`, as its GraphQL object: `null` when there
/// is none. The root lookups of tags, authors, skills and roles.
pub(crate) async fn by_slug<T, O>(
    ctx: &Context<'_>,
    slug: &str,
    find: impl AsyncFnOnce(&DbPool, &str) -> DomainResult<Option<T>>,
    object: fn(T) -> O,
) -> async_graphql::Result<Option<O>> {
    let pool = &request_context(ctx)?.pool;
    Ok(find(pool, slug).await.gql()?.map(object))
}

/// Runs one GraphQL request against `pool` with a fresh loader, and makes
/// sure every error carries a code.
pub async fn execute(
    schema: &WaypostSchema,
    services: &Services,
    viewer: Option<Viewer>,
    client_ip: Option<String>,
    mut request: Request,
) -> Response {
    let mut response = match schema.check(&mut request).await {
        Ok(checked) => {
            let operation_name = request.operation_name.clone();
            let (request, spawned) =
                with_context(services, viewer, client_ip, request, Caching::On);
            let mut response =
                contain_panics(batching::drive(schema.run.execute(request), spawned)).await;
            checked.finish(&schema.shapes, &mut response, operation_name.as_deref());
            response
        }
        Err(refused) => refused,
    };
    crate::error::ensure_codes(&mut response);
    response
}

/// Runs `work`; should it panic (a bug), the client gets INTERNAL and the
/// log gets the panic's text, under the request's span and so its id.
async fn contain_panics(work: impl Future<Output = Response>) -> Response {
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %text, "request panicked");
            Response::from_errors(vec![
                internal("panic while resolving").into_server_error(async_graphql::Pos::default()),
            ])
        }
    }
}

/// Runs an operation that may answer many times (a subscription; queries
/// and mutations sent over a WebSocket answer once). Each answer resolves
/// afresh: the loader caches nothing from one to the next.
pub(crate) fn execute_stream(
    schema: &WaypostSchema,
    services: &Services,
    viewer: Option<Viewer>,
    client_ip: Option<String>,
    mut request: Request,
) -> BoxStream<'static, Response> {
    let (schema, services) = (schema.clone(), services.clone());
    // Boxed apart, so that the check's state (the request, a probe of
    // it, the check's own execution) is freed once the check is done
    // instead of sizing the stream a subscription keeps for its life.
    let checking = Box::pin(async move {
        match schema.check(&mut request).await {
            Ok(checked) => {
                let operation_name = request.operation_name.clone();
                let (request, spawned) =
                    with_context(&services, viewer, client_ip, request, Caching::Off);
                let shapes = schema.shapes.clone();
                batching::drive_stream(schema.run.execute_stream(request), spawned)
                    .map(move |mut response| {
                        checked.finish(&shapes, &mut response, operation_name.as_deref());
                        response
                    })
                    .boxed()
            }
            Err(refused) => futures::stream::once(std::future::ready(refused)).boxed(),
        }
    });
    futures::stream::once(checking)
        .flatten()
        .map(|mut response| {
            crate::error::ensure_codes(&mut response);
            response
        })
        .boxed()
}

/// Whether the loader keeps what it loaded for the rest of the execution.
#[derive(PartialEq)]
enum Caching {
    On,
    Off,
}

/// Attaches the request context, and the receiving end of the loader's
/// batch tasks, which the caller must drive.
fn with_context(
    services: &Services,
    viewer: Option<Viewer>,
    client_ip: Option<String>,
    request: Request,
    caching: Caching,
) -> (Request, std::sync::mpsc::Receiver<BoxFuture<'static, ()>>) {
    let pool = &services.pool;
    // The standard library's channel allocates its first block of slots
    // on the first send; tokio's allocates it up front, and a subscription
    // kept that (about 1 KiB) for its whole life though its loader batches
    // nothing until an answer resolves. Only `try_recv` is used: the
    // driver is woken by the batches themselves.
    let (spawn_tx, spawned) = std::sync::mpsc::channel::<BoxFuture<'static, ()>>();
    let now = (services.clock)();
    let loader = request_loader(pool.clone(), now, services.metrics.clone(), move |task| {
        // The receiver lives until the response is ready; a task sent after
        // that has nobody left to answer.
        let _ = spawn_tx.send(task);
    });
    loader.enable_all_cache(caching == Caching::On);
    let request = request.data(RequestContext {
        pool: pool.clone(),
        feed: services.feed.clone(),
        auth: services.auth,
        comments: services.comments,
        site: services.site.clone(),
        viewer,
        client_ip,
        now,
        clock: services.clock.clone(),
        loader,
    });
    (request, spawned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_coded_internal_error() {
        let response = contain_panics(async {
            let items: Vec<u8> = Vec::new();
            // Indexing past the end panics, as a resolver bug would.
            Response::new(async_graphql::Value::from(i32::from(items[3])))
        })
        .await;
        let error = &response.errors[0];
        assert_eq!(error.message, "Internal server error");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(
            code,
            Some(async_graphql::Value::from(
                waypost_domain::ErrorCode::Internal.as_str()
            ))
        );
        // Raised outside the document, it points at no place in it.
        let mut coded = Response::from_errors(response.errors.clone());
        crate::error::ensure_codes(&mut coded);
        assert!(
            coded.errors[0].locations.is_empty(),
            "{:?}",
            coded.errors[0]
        );
        let fine = contain_panics(async { Response::new(async_graphql::Value::from(1)) }).await;
        assert!(fine.errors.is_empty());
    }
}
