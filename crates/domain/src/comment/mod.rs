//! Comments from the "Leave a Reply" form: validation, rendering, the
//! moderation policy (pure, so it is tested without a database) and flood
//! control. Moderation, threads and live comments have rooms of their own.

use chrono::{Duration, NaiveDateTime};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
pub use waypost_db::queries::comment::QueueFilter;
use waypost_db::queries::{comment as comment_queries, post as post_queries};
use waypost_db::{
    CommentFeed, CommentId, CommentInsertForm, CommentStatus, DbError, DbPool, PostId,
};

use crate::account::{EmailAddress, new_token, token_hash};
use crate::clock::{Clock, stored_instant};
use crate::freshness::{Key, changed};
use crate::{Comment, FieldError, UserErrorCode};
use crate::{DomainError, DomainResult};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_BODY_CHARS: usize = 10_000;

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
pub(crate) fn fingerprint(body: &str) -> String {
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
    errors.extend(FieldError::check_length(
        "authorName",
        &name,
        MAX_NAME_CHARS,
    ));
    let email = EmailAddress::parse(&form.author_email);
    if email.is_err() {
        errors.push(FieldError::invalid_format(
            "authorEmail",
            "enter a valid email address",
        ));
    }
    let body = form.body.trim().to_owned();
    errors.extend(FieldError::check_length("body", &body, MAX_BODY_CHARS));
    let url = form
        .author_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    if let Some(url) = &url
        && !crate::fields::is_web_address(url)
    {
        errors.push(FieldError::invalid_format(
            "authorUrl",
            "use an http or https address",
        ));
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
    feed: &CommentFeed,
    settings: &CommentSettings,
    form: CommentForm,
    now: NaiveDateTime,
    clock: &Clock,
) -> DomainResult<Result<Posted, Vec<FieldError>>> {
    let now = stored_instant(now);
    let Some(post_id) = form.post_id else {
        return Ok(Err(vec![FieldError::new(
            UserErrorCode::Required,
            Some("postId"),
            "name the post",
        )]));
    };
    let checked = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut conn = pool.get_primary().await?;
    let post = post_queries::by_ids(&mut conn, &[post_id]).await?.pop();
    // The post may have been unpublished while its reader was typing:
    // they are told beside the form, like everything below they can act on.
    let post = match post {
        Some(post) if post.is_live(now) => post,
        _ => {
            return Ok(Err(vec![FieldError::not_found(
                "postId",
                "this post is not published (any longer)",
            )]));
        }
    };
    // A window past the calendar's end never closes.
    let closed_by_age = settings.close_after.is_some_and(|after| {
        post.published_at
            .and_then(|at| at.checked_add_signed(after))
            .is_some_and(|closes| closes <= now)
    });
    if !post.comments_open || closed_by_age {
        return Ok(Err(vec![FieldError::new(
            UserErrorCode::Closed,
            Some("postId"),
            "comments are closed on this post",
        )]));
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
                let mut slow_down = FieldError::new(
                    UserErrorCode::RateLimited,
                    None,
                    format!(
                        "you are commenting faster than this site allows; try again in {retry_after_seconds} seconds"
                    ),
                );
                slow_down.retry_after_seconds = Some(retry_after_seconds);
                return Ok(Err(slow_down));
            }
            match comment_queries::insert(conn, &insert).await {
                Ok(comment) => Ok(Ok(comment)),
                Err(DbError::UniqueViolation { constraint })
                    if constraint.contains("duplicate") || constraint.contains("fingerprint") =>
                {
                    Ok(Err(FieldError::new(
                        UserErrorCode::Duplicate,
                        Some("body"),
                        "you have posted this comment already",
                    )))
                }
                Err(err) => Err(DomainError::from(err)),
            }
        })
        .await?;
    let stored = match stored {
        Ok(stored) => stored,
        Err(refused) => return Ok(Err(vec![refused])),
    };
    // Announced once committed, so a subscriber that reads it finds it.
    if stored.status == CommentStatus::Approved {
        changed(&[Key::Comments(stored.post_id)]);
        announce(feed, &mut conn, &[&stored]).await;
    }
    Ok(Ok(Posted {
        comment: stored.into(),
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
    let hash = token_hash(receipt);
    let found = comment_queries::by_receipt_hash(&mut pool.get().await?, &hash).await?;
    Ok(found.map(Comment::from))
}

mod live;
mod moderation;
pub mod thread;

pub use live::published_on;
use moderation::announce;
pub use moderation::{moderate, moderation_queue, moderation_queue_count};

#[cfg(test)]
mod tests;
