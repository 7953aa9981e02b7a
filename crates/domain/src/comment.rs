//! Comments from the "Leave a Reply" form: validation, rendering, the
//! moderation policy (pure, so it is tested without a database), flood
//! control, and moderation by editors.

use chrono::{Duration, NaiveDateTime};
use futures::Stream;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use tokio::sync::broadcast::error::RecvError;
pub use waypost_db::queries::comment::QueueFilter;
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{
    Comment, CommentId, CommentInsertForm, CommentPublished, CommentStatus, DbConn, DbError,
    DbPool, Heard, PostId,
};

use crate::FieldError;
use crate::account::{EmailAddress, new_token, token_hash};
use crate::clock::{Clock, stored_instant};
use crate::policy::Viewer;
use crate::policy::{Action, allows};
use crate::{DomainError, DomainResult};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_BODY_CHARS: usize = 10_000;
pub const MAX_URL_CHARS: usize = 2_000;

/// Tunable parts of the policy; built from configuration in `main`.
#[derive(Debug, Clone, Copy)]
pub struct CommentSettings {
    /// This many links or more hold a comment for moderation.
    pub max_links: usize,
    /// Replies nest at most this deep; deeper ones attach to the deepest level.
    pub max_depth: i32,
    /// Comments close this long after publishing; `None`: never.
    pub close_after: Option<Duration>,
    /// Comments allowed per `flood_window` from one email or one address.
    pub flood_limit: i64,
    pub flood_window: Duration,
}

impl Default for CommentSettings {
    fn default() -> Self {
        CommentSettings {
            max_links: 3,
            max_depth: 5,
            close_after: None,
            flood_limit: 5,
            flood_window: Duration::minutes(1),
        }
    }
}

/// What the policy looks at to decide a new comment's status.
#[derive(Debug, Clone, Copy)]
pub struct Screening {
    pub honeypot_filled: bool,
    pub links: usize,
    pub email_has_approved: bool,
}

/// The moderation policy: spam traps first, then links, then trust earned
/// by an earlier approved comment.
pub fn initial_status(screening: Screening, settings: &CommentSettings) -> CommentStatus {
    if screening.honeypot_filled {
        CommentStatus::Spam
    } else if screening.links >= settings.max_links {
        CommentStatus::Pending
    } else if screening.email_has_approved {
        CommentStatus::Approved
    } else {
        CommentStatus::Pending
    }
}

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH)
}

/// Links in a comment: Markdown links and bare web addresses.
pub fn count_links(markdown: &str) -> usize {
    let mut links = 0;
    // Inside a link, its text is the link's own (an autolink's text is its
    // address): counted once, with the link.
    let mut inside = 0usize;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Link { .. }) => {
                links += 1;
                inside += 1;
            }
            Event::End(TagEnd::Link) => inside = inside.saturating_sub(1),
            Event::Text(text) if inside == 0 => {
                links += text.matches("http://").count() + text.matches("https://").count();
            }
            _ => {}
        }
    }
    links
}

/// Markdown to HTML for a stranger's words: raw HTML is shown as text,
/// images are not rendered (their alt text is), links carry
/// `rel="nofollow ugc noopener"`, and the result is sanitized all the same.
pub fn render_comment(markdown: &str) -> String {
    let events = parser(markdown).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .rm_tags(&["img"])
        .link_rel(Some("nofollow ugc noopener"))
        .clean(&unsafe_html)
        .to_string()
}

/// The normalised body's hash: what "the same body" means for duplicates.
fn fingerprint(body: &str) -> String {
    let normalised: Vec<&str> = body.split_whitespace().collect();
    token_hash(&normalised.join(" ").to_lowercase())
}

/// The form as a visitor filled it in.
#[derive(Debug, Clone, Default)]
pub struct CommentForm {
    pub post_id: Option<PostId>,
    pub parent_id: Option<CommentId>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: Option<String>,
    pub body: String,
    /// The hidden field real visitors leave empty.
    pub honeypot: Option<String>,
    /// The poster's network address, for flood control.
    pub ip: Option<String>,
}

struct Checked {
    name: String,
    email: EmailAddress,
    url: Option<String>,
    body: String,
}

fn check(form: &CommentForm) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = form.author_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::invalid(
            "authorName",
            format!("use 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let email = EmailAddress::parse(&form.author_email);
    if email.is_err() {
        errors.push(FieldError::invalid(
            "authorEmail",
            "enter a valid email address",
        ));
    }
    let body = form.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        errors.push(FieldError::invalid(
            "body",
            format!("use 1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    let url = form
        .author_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    if let Some(url) = &url {
        let lower = url.to_ascii_lowercase();
        // The scheme is read from the text as typed: the parser would
        // otherwise forgive "http:example.com" as "http://example.com/".
        let web = (lower.starts_with("http://") || lower.starts_with("https://"))
            && url.len() <= MAX_URL_CHARS
            && !url.chars().any(|c| c.is_whitespace() || c.is_control())
            && url::Url::parse(url)
                .is_ok_and(|parsed| parsed.host_str().is_some_and(|host| !host.is_empty()));
        if !web {
            errors.push(FieldError::invalid(
                "authorUrl",
                "use an http or https address",
            ));
        }
    }
    match email {
        Ok(email) if errors.is_empty() => Ok(Checked {
            name,
            email,
            url,
            body,
        }),
        _ => Err(errors),
    }
}

/// A stored comment and the receipt that lets its poster see it while it
/// waits for moderation (shown once; only its hash is kept).
#[derive(Debug, Clone)]
pub struct Posted {
    pub comment: Comment,
    pub receipt: String,
}

/// Takes a comment from the form: checks it, screens it, stores it. `now`
/// decides whether the post takes comments; the comment itself is stamped by
/// `clock` once it holds its sender's flood lock, so a sender's comments are
/// stamped in the order they were counted.
pub async fn add_comment(
    pool: &DbPool,
    settings: &CommentSettings,
    form: CommentForm,
    now: NaiveDateTime,
    clock: &Clock,
) -> DomainResult<Result<Posted, Vec<FieldError>>> {
    let now = stored_instant(now);
    let Some(post_id) = form.post_id else {
        return Ok(Err(vec![FieldError::invalid("postId", "name the post")]));
    };
    let checked = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut conn = pool.get().await?;
    let post = post_queries::by_ids(&mut conn, &[post_id]).await?.pop();
    let post = match post {
        Some(post) if post.is_live(now) => post,
        _ => return Err(DomainError::NotFound("no such published post".into())),
    };
    // A window past the calendar's end never closes.
    let closed_by_age = settings.close_after.is_some_and(|after| {
        post.published_at
            .and_then(|at| at.checked_add_signed(after))
            .is_some_and(|closes| closes <= now)
    });
    if !post.comments_open || closed_by_age {
        return Err(DomainError::Forbidden(
            "comments are closed on this post".into(),
        ));
    }
    let (parent_id, depth) = match form.parent_id {
        None => (None, 0),
        Some(parent_id) => {
            // The parent and its ancestors, nearest first. Readers reach a
            // comment only through approved comments all the way up, so a
            // reply goes only where the whole chain is approved.
            let chain = comment_queries::with_ancestors(&mut conn, parent_id).await?;
            let reachable = chain.first().is_some_and(|p| p.post_id == post_id)
                && chain.last().is_some_and(|root| root.parent_id.is_none())
                && chain.iter().all(|c| c.status == CommentStatus::Approved);
            if !reachable {
                return Ok(Err(vec![FieldError::invalid(
                    "parentId",
                    "reply to an approved comment on the same post",
                )]));
            }
            // Too deep: the reply attaches to the nearest ancestor at which
            // it fits within the deepest level.
            match chain.iter().find(|p| p.depth + 1 < settings.max_depth) {
                Some(p) => (Some(p.id), p.depth + 1),
                None => (None, 0),
            }
        }
    };
    let screening = Screening {
        honeypot_filled: form
            .honeypot
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty()),
        links: count_links(&checked.body),
        email_has_approved: comment_queries::email_has_approved(&mut conn, checked.email.as_str())
            .await?,
    };
    let (receipt, receipt_hash) = new_token()?;
    let ip = form.ip;
    let mut insert = CommentInsertForm {
        post_id,
        parent_id,
        depth,
        author_name: checked.name,
        author_email: checked.email.as_str().to_owned(),
        author_url: checked.url,
        body_html: render_comment(&checked.body),
        body_fingerprint: fingerprint(&checked.body),
        body_markdown: checked.body,
        status: initial_status(screening, settings),
        receipt_hash,
        ip: ip.clone(),
        created_at: now,
        updated_at: now,
    };
    // Counting a poster's recent comments and storing theirs is one step
    // per email and per address: concurrent posts from one sender take
    // turns, so a burst cannot slip past the limit between count and insert.
    let mut keys = vec![flood_lock(&insert.author_email)];
    keys.extend(ip.as_deref().map(flood_lock));
    let stored = conn
        .serialized(&keys, async |conn| {
            // Read under the lock: whatever the previous holder stored is
            // no later than this, so the wait below never exceeds the window.
            let now = stored_instant(clock()).max(now);
            insert.created_at = now;
            insert.updated_at = now;
            let (by_email, by_ip) = comment_queries::recent(
                conn,
                &insert.author_email,
                ip.as_deref(),
                window_start(settings, now),
            )
            .await?;
            if let Some(retry_after_seconds) = flood_wait(settings, now, [by_email, by_ip]) {
                return Err(DomainError::RateLimited {
                    retry_after_seconds,
                });
            }
            match comment_queries::insert(conn, &insert).await {
                Ok(comment) => Ok(comment),
                Err(DbError::UniqueViolation { constraint })
                    if constraint.contains("duplicate") || constraint.contains("fingerprint") =>
                {
                    Err(DomainError::Conflict {
                        field: Some("body"),
                        message: "you have posted this comment already".into(),
                    })
                }
                Err(err) => Err(err.into()),
            }
        })
        .await?;
    // Announced once committed, so a subscriber that reads it finds it.
    if stored.status == CommentStatus::Approved {
        announce(pool, &mut conn, &[&stored]).await;
    }
    Ok(Ok(Posted {
        comment: stored,
        receipt,
    }))
}

/// The lock that makes one sender's comments take turns. Senders are told
/// apart by a hash, so the lock's name says nothing of who they are.
fn flood_lock(sender: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("comment flood\0{sender}").as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(head)
}

/// The flood window at `now` holds the comments stored strictly after this.
fn window_start(settings: &CommentSettings, now: NaiveDateTime) -> NaiveDateTime {
    now - settings.flood_window
}

/// Whole seconds until a sender at the limit may post again, or `None`
/// while under it. A comment counts while it is younger than the window
/// (stored strictly after `now - window`), so the oldest stops counting at
/// the very instant it is a window old. The wait is rounded up, so a client
/// that waits exactly that long is let in, and it is at most the window,
/// since the oldest was stored no later than `now`. (Were the limit lowered
/// below what a sender already posted, more than the oldest must age out:
/// the hint is then early, and the next refusal gives a new one.)
fn flood_wait(
    settings: &CommentSettings,
    now: NaiveDateTime,
    senders: [comment_queries::Recent; 2],
) -> Option<u64> {
    senders
        .iter()
        .filter(|recent| recent.count >= settings.flood_limit)
        .map(|recent| {
            // A clock that stepped back could store one later than now; the
            // hint is then early, and the next refusal gives a new one.
            let frees = recent.oldest.unwrap_or(now).min(now) + settings.flood_window;
            // Non-negative, so unsigned rounding up applies.
            let micros = u64::try_from((frees - now).num_microseconds().unwrap_or(0)).unwrap_or(0);
            micros.div_ceil(1_000_000).max(1)
        })
        .max()
}

/// The comment a receipt was issued for, whatever its status.
pub async fn find_by_receipt(pool: &DbPool, receipt: &str) -> DomainResult<Option<Comment>> {
    Ok(comment_queries::by_receipt_hash(&mut pool.get().await?, &token_hash(receipt)).await?)
}

/// Moves comments to `status`. Editors moderate any comment; an author the
/// comments on their own posts. Comments the viewer may not moderate are
/// FORBIDDEN and nothing changes.
pub async fn moderate(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    ids: &[CommentId],
    status: CommentStatus,
    now: NaiveDateTime,
) -> DomainResult<Vec<Comment>> {
    if viewer.is_none() {
        return Err(DomainError::Unauthenticated("sign in to moderate"));
    }
    let now = stored_instant(now);
    // A comment named twice is moderated, and answered, once.
    let mut unique: Vec<CommentId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let ids = unique.as_slice();
    let mut conn = pool.get().await?;
    let found = comment_queries::by_ids(&mut conn, ids).await?;
    if found.len() != ids.len() {
        return Err(DomainError::NotFound("no such comment".into()));
    }
    let mut post_ids: Vec<PostId> = found.iter().map(|c| c.post_id).collect();
    post_ids.sort();
    post_ids.dedup();
    let posts = post_queries::by_ids(&mut conn, &post_ids).await?;
    for post in &posts {
        if !allows(
            viewer,
            Action::EditPost {
                owner: post.author_id,
            },
        ) {
            return Err(DomainError::Forbidden(
                "you may not moderate comments on this post".into(),
            ));
        }
    }
    let vouched = allows(viewer, Action::VouchForCommenter);
    let changed = comment_queries::set_status(&mut conn, ids, status, vouched, now).await?;
    // Only a comment this call moved is news, and only on a live post.
    let published: Vec<&Comment> = changed
        .iter()
        .filter(|c| c.status == CommentStatus::Approved)
        .filter(|c| posts.iter().any(|p| p.id == c.post_id && p.is_live(now)))
        .collect();
    announce(pool, &mut conn, &published).await;
    // The answer lists every comment asked for, in the order asked, changed
    // or already where it was asked to be.
    Ok(ids
        .iter()
        .filter_map(|id| {
            changed.iter().find(|c| c.id == *id).cloned().or_else(|| {
                // Left alone by the update: it is at `status` already,
                // perhaps moved there by a moderator racing this one.
                let mut unchanged = found.iter().find(|c| c.id == *id)?.clone();
                unchanged.status = status;
                Some(unchanged)
            })
        })
        .collect())
}

/// Tells live subscribers that `comments` became public. The comments are
/// stored already; failing to tell is logged, never reported as a failed
/// write.
async fn announce(pool: &DbPool, conn: &mut DbConn, comments: &[&Comment]) {
    let events: Vec<CommentPublished> = comments
        .iter()
        .map(|c| CommentPublished {
            post_id: c.post_id,
            comment_id: c.id,
        })
        .collect();
    if let Err(err) = pool.announce(conn, &events).await {
        tracing::warn!(error = %err, comments = events.len(), "comments stored but not announced to live subscribers");
    }
}

/// Comments on a published post from now on, as each becomes public:
/// posted approved, or approved later. Pending, spam and trashed comments
/// never appear. If news may have been missed (the subscriber fell behind,
/// or the feed lost the database for a while), the stream ends with an
/// error, so that the client reads the thread again and resubscribes
/// rather than silently lacking comments.
pub async fn published_on(
    pool: &DbPool,
    post_id: PostId,
    now: NaiveDateTime,
) -> DomainResult<impl Stream<Item = DomainResult<Comment>> + Send + use<>> {
    let post = post_queries::by_ids(&mut pool.get().await?, &[post_id])
        .await?
        .pop();
    if !post.is_some_and(|post| post.is_live(now)) {
        return Err(DomainError::NotFound("no such published post".into()));
    }
    let news = pool.comment_feed().await?;
    let pool = pool.clone();
    Ok(futures::stream::unfold(Some(news), move |news| {
        let pool = pool.clone();
        async move {
            let mut news = news?;
            loop {
                let item = match news.recv().await {
                    Ok(Heard::Published(item)) if item.event.post_id == post_id => item,
                    Ok(Heard::Published(_)) => continue,
                    Ok(Heard::Gap) | Err(RecvError::Lagged(_)) => {
                        tracing::warn!(post = %post_id, "a live comment subscriber missed news");
                        return Some((Err(missed_news()), None));
                    }
                    Err(RecvError::Closed) => return None,
                };
                match comment_queries::announced(&pool, &item).await {
                    // Read now, not when announced: it may be trashed since.
                    Ok(Some(comment))
                        if comment.status == CommentStatus::Approved
                            && comment.post_id == post_id =>
                    {
                        return Some((Ok(comment.clone()), Some(news)));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read an announced comment");
                    }
                }
            }
        }
    }))
}

fn missed_news() -> DomainError {
    DomainError::Unavailable(DbError::Unavailable(
        "live comments were interrupted; read the thread again and resubscribe".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screening(honeypot: bool, links: usize, approved: bool) -> Screening {
        Screening {
            honeypot_filled: honeypot,
            links,
            email_has_approved: approved,
        }
    }

    #[test]
    fn the_moderation_policy() {
        let s = CommentSettings::default();
        assert_eq!(
            initial_status(screening(false, 0, false), &s),
            CommentStatus::Pending,
            "first comment waits"
        );
        assert_eq!(
            initial_status(screening(false, 0, true), &s),
            CommentStatus::Approved,
            "trusted once approved"
        );
        assert_eq!(
            initial_status(screening(false, 2, true), &s),
            CommentStatus::Approved
        );
        assert_eq!(
            initial_status(screening(false, 3, true), &s),
            CommentStatus::Pending,
            "3 links wait, whoever"
        );
        assert_eq!(
            initial_status(screening(true, 0, true), &s),
            CommentStatus::Spam,
            "the honeypot wins"
        );
        let strict = CommentSettings { max_links: 1, ..s };
        assert_eq!(
            initial_status(screening(false, 1, true), &strict),
            CommentStatus::Pending
        );
    }

    #[test]
    fn links_are_counted_in_both_forms() {
        assert_eq!(count_links("no links here"), 0);
        assert_eq!(
            count_links("[a](https://a.example) and https://b.example, http://c.example"),
            3
        );
        // A link whose text is its address is one link, in either form.
        assert_eq!(count_links("<https://a.example>"), 1);
        assert_eq!(count_links("[https://a.example](https://a.example)"), 1);
        assert_eq!(
            count_links("<https://a.example> [https://b.example](https://b.example)"),
            2
        );
    }

    #[test]
    fn comments_render_without_html_images_or_followed_links() {
        let html = render_comment(
            "Hi <script>alert(1)</script> <b>bold</b> ![x](https://e.example/i.png) [site](https://e.example)",
        );
        assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;b&gt;"),
            "raw HTML is shown as text: {html}"
        );
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let form = CommentForm {
            author_name: " ".into(),
            author_email: "not-an-email".into(),
            author_url: Some("javascript:alert(1)".into()),
            body: "x".repeat(MAX_BODY_CHARS + 1),
            ..Default::default()
        };
        let fields: Vec<&str> = check(&form)
            .err()
            .unwrap()
            .iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(fields, ["authorName", "authorEmail", "body", "authorUrl"]);
    }

    #[test]
    fn a_website_is_a_web_address_with_a_host() {
        let website = |url: &str| {
            check(&CommentForm {
                author_name: "Ada".into(),
                author_email: "ada@example.com".into(),
                author_url: Some(url.into()),
                body: "Hello".into(),
                ..Default::default()
            })
            .map(|checked| checked.url)
            .map_err(|errors| errors.iter().filter_map(|e| e.field).collect::<Vec<_>>())
        };
        assert_eq!(
            website("https://ada.example/about"),
            Ok(Some("https://ada.example/about".into()))
        );
        assert_eq!(website("  "), Ok(None));
        for bad in [
            "http://",
            "http:ada.example",
            "ftp://ada.example",
            "https://ada example",
        ] {
            assert_eq!(website(bad), Err(vec!["authorUrl"]), "{bad}");
        }
    }

    #[test]
    fn the_flood_wait_ends_when_a_slot_frees() {
        use comment_queries::Recent;
        let settings = CommentSettings::default();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(1);
        let at = |ago_micros: i64| Recent {
            count: settings.flood_limit,
            oldest: Some(now - Duration::microseconds(ago_micros)),
        };
        let under = Recent {
            count: settings.flood_limit - 1,
            oldest: Some(now),
        };
        assert_eq!(flood_wait(&settings, now, [under, under]), None);
        // The oldest is 20.4 s old: its slot frees in 39.6 s, so wait 40.
        assert_eq!(
            flood_wait(&settings, now, [at(20_400_000), under]),
            Some(40)
        );
        // Exactly 20 s old: it stops counting at the 40th second.
        assert_eq!(
            flood_wait(&settings, now, [under, at(20_000_000)]),
            Some(40)
        );
        // Stored this very instant: the whole window, not a second more.
        assert_eq!(flood_wait(&settings, now, [at(0), under]), Some(60));
        // The longer wait of the two senders; never less than a second.
        assert_eq!(
            flood_wait(&settings, now, [at(59_999_999), at(1_000_000)]),
            Some(59)
        );
        assert_eq!(flood_wait(&settings, now, [at(60_000_000), under]), Some(1));
    }

    /// The promise of `retryAfter`, at every sub-second offset of the
    /// oldest comment: waiting exactly that long lets the sender in, a
    /// second less does not, and it never exceeds the window.
    #[test]
    fn the_flood_wait_is_exact_at_every_offset() {
        use comment_queries::Recent;
        let settings = CommentSettings::default();
        let window = settings.flood_window.num_seconds().unsigned_abs();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(1);
        let counts =
            |oldest: NaiveDateTime, at: NaiveDateTime| oldest > window_start(&settings, at);
        let offsets = (0..1_000_000)
            .step_by(997)
            .chain([1, 499_999, 500_000, 999_999]);
        for whole in [0, 1, 30, 59] {
            for micros in offsets.clone() {
                let ago = Duration::seconds(whole) + Duration::microseconds(micros);
                let oldest = now - ago;
                assert!(counts(oldest, now), "{ago}");
                let recent = Recent {
                    count: settings.flood_limit,
                    oldest: Some(oldest),
                };
                let wait =
                    flood_wait(&settings, now, [recent, Recent::default()]).unwrap_or_default();
                assert!((1..=window).contains(&wait), "{ago}: {wait}");
                let after = |seconds: u64| now + Duration::seconds(seconds as i64);
                assert!(!counts(oldest, after(wait)), "{ago}: let in after {wait}");
                assert!(counts(oldest, after(wait - 1)), "{ago}: not before {wait}");
            }
        }
    }

    #[test]
    fn duplicates_ignore_spacing_and_case() {
        assert_eq!(fingerprint("Nice  post!\n"), fingerprint("nice post!"));
        assert_ne!(fingerprint("nice post"), fingerprint("nice posts"));
    }
}

/// Reading threads: pages of approved comments per post or per parent.
pub mod thread {
    use std::collections::HashMap;

    use chrono::NaiveDateTime;
    use waypost_db::queries::comment as comment_queries;
    use waypost_db::{Comment, CommentId, CommentPageQuery, CommentTally, DbPool, Thread};

    use crate::DomainResult;
    use crate::cursor;
    use crate::paging::{DEFAULT_PAGE_SIZE, page_size};

    /// Cursors of comment threads.
    const THREAD_LISTING: &str = "comments1";

    /// Everything that shapes a page of comments except its parent.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct CommentPageSpec {
        pub newest_first: bool,
        pub after: Option<(NaiveDateTime, CommentId)>,
        pub limit: i64,
    }

    #[derive(Debug, Clone, Default)]
    pub struct CommentPage {
        pub comments: Vec<Comment>,
        pub has_next_page: bool,
        pub has_previous_page: bool,
    }

    pub fn encode_cursor(comment: &Comment) -> String {
        cursor::encode(
            THREAD_LISTING,
            &[
                &cursor::instant_part(comment.created_at),
                &comment.id.0.to_string(),
            ],
        )
    }

    fn decode_cursor(after: &str) -> DomainResult<(NaiveDateTime, CommentId)> {
        let [at, id] = cursor::decode(after, THREAD_LISTING, "after")?;
        Ok((
            cursor::parse_instant(&at, "after")?,
            CommentId(cursor::parse_id(&id, "after")?),
        ))
    }

    pub fn parse_page(
        first: Option<i32>,
        after: Option<&str>,
        newest_first: bool,
    ) -> DomainResult<CommentPageSpec> {
        let limit = page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
        let after = after.map(decode_cursor).transpose()?;
        Ok(CommentPageSpec {
            newest_first,
            after,
            limit,
        })
    }

    pub async fn pages(
        pool: &DbPool,
        thread: Thread,
        parent_ids: &[i64],
        spec: &CommentPageSpec,
    ) -> DomainResult<HashMap<i64, CommentPage>> {
        let query = CommentPageQuery {
            thread,
            parent_ids,
            newest_first: spec.newest_first,
            after: spec.after,
            limit: spec.limit + 1,
        };
        let rows = comment_queries::page(&mut pool.get().await?, &query).await?;
        let mut grouped: HashMap<i64, Vec<Comment>> = HashMap::new();
        for row in rows {
            grouped.entry(row.grp).or_default().push(row.comment);
        }
        let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
        Ok(parent_ids
            .iter()
            .map(|&parent| {
                let mut comments = grouped.remove(&parent).unwrap_or_default();
                let has_next_page = comments.len() > limit;
                comments.truncate(limit);
                (
                    parent,
                    CommentPage {
                        comments,
                        has_next_page,
                        has_previous_page: spec.after.is_some(),
                    },
                )
            })
            .collect())
    }

    pub async fn counts(
        pool: &DbPool,
        tally: CommentTally,
        parent_ids: &[i64],
    ) -> DomainResult<HashMap<i64, i64>> {
        let rows = comment_queries::count(&mut pool.get().await?, tally, parent_ids).await?;
        let mut totals: HashMap<i64, i64> = parent_ids.iter().map(|&id| (id, 0)).collect();
        for row in rows {
            totals.insert(row.grp, row.total);
        }
        Ok(totals)
    }
}

/// The moderation queue for `viewer`: editors see every comment, an author
/// those on their own posts, anyone else nothing (FORBIDDEN). The filter
/// it answers with, scoped to the viewer, counts the whole queue.
pub async fn moderation_queue(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    status: Option<CommentStatus>,
    post_id: Option<PostId>,
    first: Option<i32>,
    after: Option<&str>,
) -> DomainResult<(thread::CommentPage, QueueFilter)> {
    use crate::policy::{ReadScope, unpublished_scope};
    let author_id = match unpublished_scope(viewer) {
        Some(ReadScope::Everyone) => None,
        Some(ReadScope::Own(author)) => Some(author),
        None if viewer.is_none() => {
            return Err(DomainError::Unauthenticated("sign in to moderate"));
        }
        None => {
            return Err(DomainError::Forbidden(
                "only editors and authors moderate comments".into(),
            ));
        }
    };
    let filter = QueueFilter {
        status,
        post_id,
        author_id,
    };
    let spec = thread::parse_page(first, after, true)?;
    let mut comments =
        comment_queries::queue(&mut pool.get().await?, &filter, spec.after, spec.limit + 1).await?;
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    let has_next_page = comments.len() > limit;
    comments.truncate(limit);
    let page = thread::CommentPage {
        comments,
        has_next_page,
        has_previous_page: spec.after.is_some(),
    };
    Ok((page, filter))
}

/// How many comments a queue `moderation_queue` answered holds.
pub async fn moderation_queue_count(pool: &DbPool, filter: &QueueFilter) -> DomainResult<i64> {
    Ok(comment_queries::queue_count(&mut pool.get().await?, filter).await?)
}
