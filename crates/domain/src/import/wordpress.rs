//! `waypost import wordpress`: a WXR export's authors, categories and tags
//! (as tags), posts and comments, written through the editorial write path
//! (search dictionary, similar posts and counts kept as for any post).
//! The file is read twice, as a stream: a first pass checks all of it and
//! writes nothing, so a malformed file leaves the database as it was; the
//! second imports. Every imported thing is noted with its WordPress id, so
//! a second run imports nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::BufRead;

use chrono::NaiveDateTime;
use waypost_db::queries::import::{self as import_queries, Mapped, Origin};
use waypost_db::queries::{author as author_queries, comment as comment_queries};
use waypost_db::{
    AuthorId, AuthorInsertForm, CommentId, CommentInsertForm, CommentStatus, DbError, DbPool,
    PostId, PostStatus, TagId, TagInsertForm,
};

use super::content::{comment_markdown, plain_text, post_markdown};
use super::wxr::{
    TermKind, WxrComment, WxrEntry, WxrError, WxrItem, WxrReader, WxrTerm, line_and_column,
};
use crate::authoring::{PostDraft, post_form};
use crate::clock::stored_instant;
use crate::comment::{MAX_NAME_CHARS, fingerprint, render_comment};
use crate::editorial::{SLUG_ATTEMPTS, free_slug, indexes_after_write, slugify};
use crate::freshness::{Key, changed, post_changed};
use crate::{DomainError, DomainResult};

/// The pass the import is in, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the whole file, writing nothing.
    Checking,
    Importing,
}

/// How many of one kind were imported, and how many were there already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub imported: u64,
    pub already: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub authors: Tally,
    pub tags: Tally,
    /// Posts imported, by status: published (live), scheduled, draft,
    /// private (kept as drafts), password-protected (kept as drafts: Waypost
    /// has no passwords, and published they would be public), trashed.
    pub published: u64,
    pub scheduled: u64,
    pub drafts: u64,
    pub private_as_drafts: u64,
    pub protected_as_drafts: u64,
    pub trashed: u64,
    pub posts_already: u64,
    /// Posts imported before and deleted here since: left deleted.
    pub posts_deleted_here: u64,
    /// Comments imported, by status.
    pub comments: BTreeMap<&'static str, u64>,
    pub comments_already: u64,
    /// Comments imported before and deleted here since, and those of
    /// posts deleted here since: left deleted.
    pub comments_deleted_here: u64,
    /// Replies deeper than Waypost nests, attached to their deepest
    /// allowed ancestor.
    pub comments_reattached: u64,
    /// Comments with the same author and words as an earlier one on the
    /// same post, which Waypost keeps once.
    pub comments_duplicate: u64,
    /// Pingbacks and trackbacks, and comments of other types, by type.
    pub comments_skipped: BTreeMap<String, u64>,
    /// Items that are not posts (pages, attachments, menu items…), by type.
    pub items_skipped: BTreeMap<String, u64>,
}

impl Summary {
    pub fn posts_imported(&self) -> u64 {
        self.published
            + self.scheduled
            + self.drafts
            + self.private_as_drafts
            + self.protected_as_drafts
            + self.trashed
    }

    pub fn comments_imported(&self) -> u64 {
        self.comments.values().sum()
    }

    /// True when the import wrote nothing new.
    pub fn nothing_new(&self) -> bool {
        self.authors.imported == 0
            && self.tags.imported == 0
            && self.posts_imported() == 0
            && self.comments_imported() == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |map: &BTreeMap<String, u64>| {
            map.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "authors:  {} imported, {} already imported",
            self.authors.imported, self.authors.already
        )?;
        writeln!(
            f,
            "tags:     {} imported, {} already imported",
            self.tags.imported, self.tags.already
        )?;
        writeln!(
            f,
            "posts:    {} imported (published {}, scheduled {}, draft {}, private as draft {}, protected, as draft {}, trashed {}), {} already imported",
            self.posts_imported(),
            self.published,
            self.scheduled,
            self.drafts,
            self.private_as_drafts,
            self.protected_as_drafts,
            self.trashed,
            self.posts_already
        )?;
        let by_status = |s: &str| self.comments.get(s).copied().unwrap_or(0);
        writeln!(
            f,
            "comments: {} imported (approved {}, pending {}, spam {}, trash {}), {} already imported, {} replies attached higher up (too deep), {} duplicates",
            self.comments_imported(),
            by_status("approved"),
            by_status("pending"),
            by_status("spam"),
            by_status("trash"),
            self.comments_already,
            self.comments_reattached,
            self.comments_duplicate
        )?;
        if self.posts_deleted_here > 0 || self.comments_deleted_here > 0 {
            writeln!(
                f,
                "deleted here since: {} posts, {} comments (imported before, not brought back)",
                self.posts_deleted_here, self.comments_deleted_here
            )?;
        }
        if !self.comments_skipped.is_empty() {
            writeln!(f, "skipped comments: {}", list(&self.comments_skipped))?;
        }
        if !self.items_skipped.is_empty() {
            writeln!(f, "skipped items: {}", list(&self.items_skipped))?;
        }
        if self.nothing_new() {
            writeln!(f, "everything in this file was already imported")?;
        }
        Ok(())
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a readable WordPress export; nothing was written.
    #[error("line {line}, column {column}{}: {message}", item_label(.item))]
    Malformed {
        line: u64,
        column: u64,
        /// The item at fault: its title and `wp:post_id`.
        item: Option<String>,
        message: String,
    },
    #[error("cannot read the export: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

fn item_label(item: &Option<String>) -> String {
    item.as_ref()
        .map(|i| format!(" (item {i})"))
        .unwrap_or_default()
}

/// What an import needs besides the file.
#[derive(Debug, Clone, Copy)]
pub struct ImportSettings {
    /// Comment replies nest at most this deep ([`crate::comment::CommentSettings::max_depth`]).
    pub max_depth: i32,
    /// What "now" is: posts scheduled after it are scheduled.
    pub now: NaiveDateTime,
}

/// Turns a fault's offsets into lines and columns, reading the file again.
fn located<R: BufRead>(
    open: &mut impl FnMut() -> std::io::Result<R>,
    fault: WxrError,
) -> ImportError {
    let mut place = |offset| line_and_column(open()?, offset);
    let (line, column) = match place(fault.offset) {
        Ok(place) => place,
        Err(err) => return ImportError::Io(err),
    };
    let item = match fault.item {
        Some((offset, label)) => match place(offset) {
            Ok((from, _)) if from != line => Some(format!("{label}, from line {from}")),
            Ok(_) => Some(label),
            Err(err) => return ImportError::Io(err),
        },
        None => None,
    };
    ImportError::Malformed {
        line,
        column,
        item,
        message: fault.message,
    }
}

/// A date as WordPress writes it (`2024-03-01 09:30:00`); `None` for the
/// empty and all-zero dates drafts carry.
fn wp_date(text: &str) -> Result<Option<NaiveDateTime>, String> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000-00-00") {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map(Some)
        .map_err(|_| {
            format!("{text:?} is not a date as WordPress writes them (YYYY-MM-DD HH:MM:SS)")
        })
}

/// The UTC date, else the site's local one, else none.
fn gmt_or_local(gmt: &str, local: &str) -> Result<Option<NaiveDateTime>, String> {
    Ok(wp_date(gmt)?.or(wp_date(local)?))
}

fn wp_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id >= 0)
}

/// The post types imported; everything else is counted and skipped.
const IMPORTED_TYPE: &str = "post";

fn is_comment(comment: &WxrComment) -> bool {
    matches!(comment.kind.trim(), "" | "comment")
}

/// The first pass: reads the whole file and checks what the import relies
/// on. Writes nothing.
/// Checks the whole file; returns how many posts it holds.
fn check_file<R: BufRead>(
    source: R,
    progress: &mut dyn FnMut(Phase, u64),
) -> Result<u64, WxrError> {
    let mut reader = WxrReader::new(source);
    let mut posts = 0;
    while let Some(entry) = reader.next_entry()? {
        progress(Phase::Checking, reader.position());
        if let WxrEntry::Item(item) = entry {
            check_item(&item).map_err(|(offset, message)| WxrError {
                offset,
                message,
                item: Some((item.offset, item.label())),
            })?;
            posts += u64::from(item.post_type.trim() == IMPORTED_TYPE);
        }
    }
    Ok(posts)
}

/// An item's date field by its element's name.
fn item_field<'i>(item: &'i WxrItem, name: &str) -> &'i str {
    match name {
        "wp:post_date" => &item.post_date,
        "wp:post_date_gmt" => &item.post_date_gmt,
        "wp:post_modified" => &item.post_modified,
        "wp:post_modified_gmt" => &item.post_modified_gmt,
        _ => "",
    }
}

/// `text` cut to at most `max` characters, for the names and titles the
/// import shortens rather than refuses (a character boundary, never a
/// panic).
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

/// Fails when `text` is longer than every other write path allows: the
/// first pass refuses the file rather than the second storing it.
fn check_chars(what: &str, text: &str, max: usize) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!(
            "{what} is {chars} characters long once converted; Waypost keeps at most {max}"
        ));
    }
    Ok(())
}

fn check_item(item: &WxrItem) -> Result<(), (u64, String)> {
    let at = item.offset;
    if wp_id(&item.post_id).is_none() {
        return Err((at, "wp:post_id is missing or not a number".into()));
    }
    if item.post_type.trim().is_empty() {
        return Err((at, "wp:post_type is missing".into()));
    }
    if item.post_type.trim() != IMPORTED_TYPE {
        return Ok(());
    }
    if item.status.trim().is_empty() {
        return Err((at, "wp:status is missing".into()));
    }
    let date = |gmt: &str, local: &str| -> Result<Option<NaiveDateTime>, (u64, String)> {
        let gmt_date = wp_date(item_field(item, gmt)).map_err(|e| (item.offset_of(gmt), e))?;
        let local_date =
            wp_date(item_field(item, local)).map_err(|e| (item.offset_of(local), e))?;
        Ok(gmt_date.or(local_date))
    };
    let dated = date("wp:post_date_gmt", "wp:post_date")?;
    date("wp:post_modified_gmt", "wp:post_modified")?;
    if dated.is_none() && matches!(item.status.trim(), "publish" | "future") {
        return Err((at, "a published post needs wp:post_date".into()));
    }
    check_chars(
        "the post's body",
        &post_markdown(&item.content),
        crate::editorial::MAX_BODY_CHARS,
    )
    .map_err(|e| (item.offset_of("content:encoded"), e))?;
    let mut parents: HashMap<i64, i64> = HashMap::new();
    for comment in &item.comments {
        let Some(id) = wp_id(&comment.id).filter(|id| *id > 0) else {
            return Err((
                comment.offset,
                "wp:comment_id is missing or not a number".into(),
            ));
        };
        let parent = match comment.parent.trim() {
            "" => 0,
            raw => wp_id(raw).ok_or_else(|| {
                (
                    comment.offset,
                    format!("wp:comment_parent of comment {id} is not a number"),
                )
            })?,
        };
        if parents.insert(id, parent).is_some() {
            return Err((comment.offset, format!("comment {id} appears twice")));
        }
        let date = gmt_or_local(&comment.date_gmt, &comment.date)
            .map_err(|e| (comment.offset, format!("comment {id}: {e}")))?;
        if date.is_none() {
            return Err((comment.offset, format!("comment {id} has no date")));
        }
        if is_comment(comment) {
            check_chars(
                &format!("comment {id}"),
                &comment_markdown(&comment.content),
                crate::comment::MAX_BODY_CHARS,
            )
            .map_err(|e| (comment.offset, e))?;
        }
    }
    let ids = item.comments.iter().map(|c| wp_id(&c.id).unwrap_or(0));
    if let Err(fault) = thread_depths(ids, &parents) {
        let (id, message) = match fault {
            ThreadFault::Missing { id, parent } => (
                id,
                format!("comment {id} replies to comment {parent}, which this post does not have"),
            ),
            ThreadFault::Loop { id } => (id, format!("comment {id} is in a loop of replies")),
        };
        let offset = item
            .comments
            .iter()
            .find(|c| wp_id(&c.id) == Some(id))
            .map_or(item.offset, |c| c.offset);
        return Err((offset, message));
    }
    Ok(())
}

/// Why a post's comments do not make a thread.
enum ThreadFault {
    /// Comment `id` replies to one the post does not have.
    Missing { id: i64, parent: i64 },
    /// Comment `id`'s replies lead back to it.
    Loop { id: i64 },
}

/// Each comment's depth in its WordPress thread (0 at the top), from
/// `parent_of` (0 for none). Each comment's chain is walked once, however
/// long the thread: a reply chain of n comments costs n steps, not n².
fn thread_depths(
    ids: impl Iterator<Item = i64>,
    parent_of: &HashMap<i64, i64>,
) -> Result<HashMap<i64, usize>, ThreadFault> {
    let mut depths: HashMap<i64, usize> = HashMap::with_capacity(parent_of.len());
    for start in ids {
        // Up to the top or to a comment whose depth is known, then down.
        let mut chain: Vec<i64> = Vec::new();
        let mut on_chain: HashSet<i64> = HashSet::new();
        let mut at = start;
        let mut above = loop {
            if let Some(&depth) = depths.get(&at) {
                break Some(depth);
            }
            if !on_chain.insert(at) {
                return Err(ThreadFault::Loop { id: start });
            }
            chain.push(at);
            match parent_of.get(&at) {
                Some(0) | None => break None,
                Some(&parent) if !parent_of.contains_key(&parent) => {
                    return Err(ThreadFault::Missing { id: at, parent });
                }
                Some(&parent) => at = parent,
            }
        };
        for id in chain.into_iter().rev() {
            let depth = above.map_or(0, |d| d + 1);
            depths.insert(id, depth);
            above = Some(depth);
        }
    }
    Ok(depths)
}

/// Imports the WXR file that `open` reads (called once per pass, and once
/// more to locate a fault). `progress` hears the bytes read in each pass.
pub async fn import<R: BufRead>(
    pool: &DbPool,
    mut open: impl FnMut() -> std::io::Result<R>,
    settings: ImportSettings,
    progress: &mut dyn FnMut(Phase, u64),
) -> Result<Summary, ImportError> {
    let posts = match check_file(open()?, progress) {
        Ok(posts) => posts,
        Err(fault) => return Err(located(&mut open, fault)),
    };
    let indexing = if posts > REBUILD_PAST_POSTS {
        Indexing::AtTheEnd { marked: false }
    } else {
        Indexing::AfterEachPost
    };
    let mut reader = WxrReader::new(open()?);
    let mut importer: Option<Importer<'_>> = None;
    loop {
        // The first pass read this file whole; a second read that fails
        // means it changed in between.
        let entry = match reader.next_entry() {
            Ok(Some(entry)) => entry,
            Ok(None) => break,
            Err(mut fault) => {
                fault.message =
                    format!("{} (the file changed while it was imported)", fault.message);
                return Err(located(&mut open, fault));
            }
        };
        progress(Phase::Importing, reader.position());
        let importer = importer
            .get_or_insert_with(|| Importer::new(pool, reader.source(), settings, indexing));
        match entry {
            WxrEntry::Author(author) => {
                let name = if author.display_name.trim().is_empty() {
                    author.login.clone()
                } else {
                    author.display_name.clone()
                };
                importer.author(&author.login, &name).await?;
            }
            WxrEntry::Term(term) => {
                importer.tag(&term).await?;
            }
            WxrEntry::Item(item) => importer.item(&item).await?,
        }
    }
    let summary = importer.map(|i| i.summary).unwrap_or_default();
    if indexing != Indexing::AfterEachPost {
        // Also when this run wrote nothing: an earlier one that stopped
        // half-way left the indexes marked outdated.
        crate::similar::reindex_if_outdated(pool).await?;
        crate::search::dictionary::learn_all_if_outdated(pool).await?;
    }
    if summary.posts_imported() > 0 || summary.tags.imported > 0 || summary.authors.imported > 0 {
        changed(&[Key::Posts, Key::Tags, Key::Authors]);
    }
    Ok(summary)
}

/// Past this many posts in a file, the similar-posts index and the search
/// dictionary are rebuilt once at the end rather than refreshed after each
/// post: on 10,000 posts a post's refresh costs about ten times its share
/// of a whole rebuild (BENCHMARKS.md), so a site's import would spend most
/// of its time there.
const REBUILD_PAST_POSTS: u64 = 50;

/// When an import brings the similar-posts index and the search dictionary
/// up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indexing {
    AfterEachPost,
    /// Once at the end; `marked` once both are recorded as outdated, before
    /// the first post is written, so that an import that stops half-way
    /// leaves them to be rebuilt by the next start, `migrate` or import.
    AtTheEnd {
        marked: bool,
    },
}

/// The second pass's memory: the site's authors and terms (a site has few),
/// never its posts.
struct Importer<'a> {
    pool: &'a DbPool,
    source: String,
    settings: ImportSettings,
    indexing: Indexing,
    authors: HashMap<String, AuthorId>,
    tags: HashMap<(TermKind, String), Option<TagId>>,
    summary: Summary,
}

/// WordPress's default category, which a post is filed under when its
/// author chose none: it says nothing about the post.
const DEFAULT_CATEGORY: &str = "uncategorized";

/// A WordPress slug (`post_name`, a term's nicename), percent-decoded as
/// WordPress stores non-ASCII ones, as a Waypost slug.
fn wp_slug(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw.strip_suffix("__trashed").unwrap_or(raw);
    if raw.contains('%') {
        let decoded: String = url::form_urlencoded::parse(raw.replace('+', "%2B").as_bytes())
            .map(|(k, v)| {
                if v.is_empty() {
                    k.into_owned()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        slugify(&decoded)
    } else {
        slugify(raw)
    }
}

impl<'a> Importer<'a> {
    fn new(pool: &'a DbPool, source: &str, settings: ImportSettings, indexing: Indexing) -> Self {
        Importer {
            pool,
            source: source.trim_end_matches('/').to_owned(),
            settings,
            indexing,
            authors: HashMap::new(),
            tags: HashMap::new(),
            summary: Summary::default(),
        }
    }

    fn origin<'o>(&'o self, kind: &'o str, source_id: &'o str) -> Origin<'o> {
        Origin {
            source: &self.source,
            kind,
            source_id,
        }
    }

    /// Whether `source_id` was imported before, and whether what it became
    /// is still here.
    async fn mapped(&self, kind: &str, source_id: &str) -> DomainResult<Mapped> {
        let mut conn = self.pool.get_primary().await?;
        Ok(import_queries::mapped(&mut conn, self.origin(kind, source_id)).await?)
    }

    /// The author profile for a WordPress login, made on first sight.
    async fn author(&mut self, login: &str, name: &str) -> DomainResult<AuthorId> {
        let login = login.trim();
        if let Some(id) = self.authors.get(login) {
            return Ok(*id);
        }
        // An author deleted here since is made again: the posts still to
        // import need one.
        if let Mapped::Here(id) = self.mapped("author", login).await? {
            self.summary.authors.already += 1;
            self.authors.insert(login.to_owned(), AuthorId(id));
            return Ok(AuthorId(id));
        }
        let name = match name.trim() {
            "" => "Unknown author".to_owned(),
            name => cut(name, crate::fields::MAX_NAME_CHARS),
        };
        let base = Some(slugify(login))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slugify(&name));
        let base = if base.is_empty() {
            "author".to_owned()
        } else {
            base
        };
        let mut conn = self.pool.get_primary().await?;
        // An existing profile with the same slug is someone else's.
        let mut slug = base.clone();
        let mut n = 2;
        while author_queries::by_slug(&mut conn, &slug).await?.is_some() {
            slug = format!("{base}-{n}");
            n += 1;
        }
        let now = stored_instant(self.settings.now);
        let form = AuthorInsertForm {
            slug,
            name,
            bio: String::new(),
            avatar_url: None,
            created_at: now,
            updated_at: now,
        };
        let author =
            import_queries::insert_author(&mut conn, &form, self.origin("author", login)).await?;
        self.summary.authors.imported += 1;
        self.authors.insert(login.to_owned(), author.id);
        Ok(author.id)
    }

    /// The tag for a category or tag, made on first sight; a tag with the
    /// same slug already here is the same tag. `None` for the default
    /// category and terms with no name.
    async fn tag(&mut self, term: &WxrTerm) -> DomainResult<Option<TagId>> {
        let key = (term.kind, term.nicename.trim().to_owned());
        if let Some(id) = self.tags.get(&key) {
            return Ok(*id);
        }
        let slug = Some(wp_slug(&term.nicename))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slugify(&term.name));
        if slug.is_empty() || (term.kind == TermKind::Category && slug == DEFAULT_CATEGORY) {
            self.tags.insert(key, None);
            return Ok(None);
        }
        let kind = match term.kind {
            TermKind::Category => "category",
            TermKind::Tag => "tag",
        };
        let source_id = key.1.clone();
        // A tag deleted here since is made again, as a post still to
        // import is filed under it.
        if let Mapped::Here(id) = self.mapped(kind, &source_id).await? {
            self.summary.tags.already += 1;
            self.tags.insert(key, Some(TagId(id)));
            return Ok(Some(TagId(id)));
        }
        let name = match term.name.trim() {
            "" => slug.clone(),
            name => cut(name, crate::fields::MAX_NAME_CHARS),
        };
        let form = TagInsertForm {
            slug,
            name,
            description: cut(
                &plain_text(&term.description),
                crate::fields::MAX_TEXT_CHARS,
            ),
            created_at: stored_instant(self.settings.now),
        };
        let mut conn = self.pool.get_primary().await?;
        let id =
            import_queries::insert_tag(&mut conn, &form, self.origin(kind, &source_id)).await?;
        self.summary.tags.imported += 1;
        self.tags.insert(key, Some(id));
        Ok(Some(id))
    }

    async fn item(&mut self, item: &WxrItem) -> DomainResult<()> {
        let post_type = item.post_type.trim();
        if post_type != IMPORTED_TYPE {
            *self
                .summary
                .items_skipped
                .entry(post_type.to_owned())
                .or_default() += 1;
            return Ok(());
        }
        let wp_post = item.post_id.trim();
        let post_id = match self.mapped("post", wp_post).await? {
            Mapped::Here(id) => {
                self.summary.posts_already += 1;
                PostId(id)
            }
            // Deleted here since: someone chose to, and the import does
            // not bring it back, nor its comments.
            Mapped::Gone => {
                self.summary.posts_deleted_here += 1;
                self.summary.comments_deleted_here +=
                    item.comments.iter().filter(|c| is_comment(c)).count() as u64;
                return Ok(());
            }
            Mapped::New => self.post(item).await?,
        };
        self.comments(post_id, item).await
    }

    async fn post(&mut self, item: &WxrItem) -> DomainResult<PostId> {
        // Checked in the first pass.
        let bad = |e: String| DomainError::bad_input("file", e);
        let dated = gmt_or_local(&item.post_date_gmt, &item.post_date).map_err(bad)?;
        let modified = gmt_or_local(&item.post_modified_gmt, &item.post_modified).map_err(bad)?;
        let now = self.settings.now;
        let status = item.status.trim();
        let protected = !item.post_password.is_empty() && status != "trash";
        let (published_at, stored_status) = match status {
            _ if protected => (None, PostStatus::Draft),
            "publish" | "future" => (dated, PostStatus::Published),
            "trash" => (None, PostStatus::Trashed),
            // Drafts, pending review, private: not for readers.
            _ => (None, PostStatus::Draft),
        };
        let author_id = self.author(&item.creator, &item.creator).await?;
        let mut tag_ids = Vec::new();
        for term in &item.terms {
            if let Some(id) = self.tag(term).await? {
                tag_ids.push(id);
            }
        }
        tag_ids.sort();
        tag_ids.dedup();
        let title = match item.title.trim() {
            "" => "Untitled".to_owned(),
            title => cut(title, crate::editorial::MAX_TITLE_CHARS),
        };
        let base = Some(wp_slug(&item.post_name))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slugify(&title));
        let base = if base.is_empty() {
            "post".to_owned()
        } else {
            base
        };
        let excerpt = Some(plain_text(&item.excerpt)).filter(|e| !e.trim().is_empty());
        let body = post_markdown(&item.content);
        let created = stored_instant(dated.unwrap_or(now));
        let updated = stored_instant(modified.unwrap_or(created).max(created));
        let wp_post = item.post_id.trim();
        for _ in 0..SLUG_ATTEMPTS {
            let slug = free_slug(self.pool, &base).await?;
            let mut form = post_form(
                PostDraft {
                    slug,
                    title: title.clone(),
                    excerpt: excerpt.clone(),
                    body_markdown: body.clone(),
                    published_at,
                    author_id,
                },
                now,
            );
            form.status = stored_status;
            form.created_at = created;
            form.updated_at = updated;
            if self.indexing == (Indexing::AtTheEnd { marked: false }) {
                crate::similar::mark_outdated(self.pool).await?;
                crate::search::dictionary::mark_outdated(self.pool).await?;
                self.indexing = Indexing::AtTheEnd { marked: true };
            }
            let mut conn = self.pool.get_primary().await?;
            let origin = self.origin("post", wp_post);
            match import_queries::insert_post(&mut conn, &form, &tag_ids, origin).await {
                Ok(post) => {
                    drop(conn);
                    if self.indexing == Indexing::AfterEachPost {
                        indexes_after_write(self.pool, &post).await;
                    }
                    post_changed(post.id);
                    match (status, post.published_at) {
                        _ if protected => self.summary.protected_as_drafts += 1,
                        ("publish" | "future", Some(at)) if at > now => self.summary.scheduled += 1,
                        ("publish" | "future", _) => self.summary.published += 1,
                        ("private", _) => self.summary.private_as_drafts += 1,
                        ("trash", _) => self.summary.trashed += 1,
                        _ => self.summary.drafts += 1,
                    }
                    return Ok(post.id);
                }
                // Another writer took the slug between our look and our insert.
                Err(DbError::UniqueViolation { constraint }) if constraint.contains("slug") => {
                    continue;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(DomainError::Conflict {
            field: None,
            message: format!("could not find a free slug for {}", item.label()),
        })
    }

    /// The post's comments, parents before replies, each reply under its
    /// WordPress parent or, past the deepest level, that parent's deepest
    /// allowed ancestor. A reply to a skipped pingback goes to the
    /// pingback's own parent.
    async fn comments(&mut self, post_id: PostId, item: &WxrItem) -> DomainResult<()> {
        let parent_of: HashMap<i64, i64> = item
            .comments
            .iter()
            .map(|c| (wp_id(&c.id).unwrap_or(0), wp_id(&c.parent).unwrap_or(0)))
            .collect();
        // Depth in WordPress's thread, for order (the first pass found
        // the thread whole).
        let ids = item.comments.iter().map(|c| wp_id(&c.id).unwrap_or(0));
        let depths = thread_depths(ids, &parent_of).unwrap_or_default();
        let wp_depth = |id: i64| depths.get(&id).copied().unwrap_or(0);
        let mut order: Vec<&WxrComment> = item.comments.iter().collect();
        order.sort_by_key(|c| (wp_depth(wp_id(&c.id).unwrap_or(0)), wp_id(&c.id)));
        // Each placed comment: its id here, depth here, and parent there.
        let mut placed: HashMap<i64, (CommentId, i32, i64)> = HashMap::new();
        let mut skipped: HashSet<i64> = HashSet::new();
        let mut any_approved = false;
        for comment in order {
            let id = wp_id(&comment.id).unwrap_or(0);
            let wp_parent = wp_id(&comment.parent).unwrap_or(0);
            if !is_comment(comment) {
                let kind = comment.kind.trim().to_owned();
                *self.summary.comments_skipped.entry(kind).or_default() += 1;
                skipped.insert(id);
                continue;
            }
            let source_id = format!("{}", id);
            match self.mapped("comment", &source_id).await? {
                Mapped::Here(existing) => {
                    let depth = comment_queries::by_ids(
                        &mut self.pool.get_primary().await?,
                        &[CommentId(existing)],
                    )
                    .await?
                    .first()
                    .map(|c| c.depth);
                    if let Some(depth) = depth {
                        self.summary.comments_already += 1;
                        placed.insert(id, (CommentId(existing), depth, wp_parent));
                        continue;
                    }
                    // Deleted between the two reads: as below.
                    self.summary.comments_deleted_here += 1;
                    skipped.insert(id);
                    continue;
                }
                // Deleted here since (moderated away): not brought back;
                // its replies go higher up.
                Mapped::Gone => {
                    self.summary.comments_deleted_here += 1;
                    skipped.insert(id);
                    continue;
                }
                Mapped::New => {}
            }
            // The nearest placed ancestor, past skipped ones.
            let mut parent = wp_parent;
            while parent != 0 && !placed.contains_key(&parent) {
                parent = if skipped.contains(&parent) {
                    parent_of.get(&parent).copied().unwrap_or(0)
                } else {
                    0
                };
            }
            // Up to the deepest ancestor a reply may hang from.
            let mut reattached = false;
            while let Some(&(_, depth, up)) = placed.get(&parent) {
                if depth + 1 < self.settings.max_depth {
                    break;
                }
                reattached = true;
                parent = up;
                while parent != 0 && !placed.contains_key(&parent) {
                    parent = parent_of.get(&parent).copied().unwrap_or(0);
                }
            }
            let (parent_id, depth) = match placed.get(&parent) {
                Some(&(pid, pdepth, _)) => (Some(pid), pdepth + 1),
                None => (None, 0),
            };
            let status = match comment.approved.trim() {
                "1" | "approve" => CommentStatus::Approved,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                _ => CommentStatus::Pending,
            };
            let body = comment_markdown(&comment.content);
            let date = gmt_or_local(&comment.date_gmt, &comment.date)
                .map_err(|e| DomainError::bad_input("file", e))?
                .unwrap_or(self.settings.now);
            let date = stored_instant(date);
            let email = comment.email.trim();
            let email = crate::account::EmailAddress::parse(email)
                .map(|e| e.as_str().to_owned())
                .unwrap_or_else(|_| email.to_owned());
            let name: String = match comment.author.trim() {
                "" => "Anonymous".to_owned(),
                name => cut(name, MAX_NAME_CHARS),
            };
            let url = Some(comment.url.trim())
                .filter(|u| crate::fields::is_web_address(u))
                .map(str::to_owned);
            let (_, receipt_hash) = crate::account::new_token()?;
            let form = CommentInsertForm {
                post_id,
                parent_id,
                depth,
                author_name: name,
                author_email: email,
                author_url: url,
                body_html: render_comment(&body),
                body_fingerprint: fingerprint(&body),
                body_markdown: body,
                status,
                receipt_hash,
                ip: Some(comment.ip.trim().to_owned()).filter(|ip| !ip.is_empty()),
                created_at: date,
                updated_at: date,
            };
            let mut conn = self.pool.get_primary().await?;
            let origin = self.origin("comment", &source_id);
            match import_queries::insert_comment(&mut conn, &form, origin).await {
                Ok(stored) => {
                    placed.insert(id, (stored, depth, wp_parent));
                    *self.summary.comments.entry(status.as_str()).or_default() += 1;
                    self.summary.comments_reattached += u64::from(reattached);
                    any_approved |= status == CommentStatus::Approved;
                }
                Err(DbError::UniqueViolation { constraint })
                    if constraint.contains("duplicate") || constraint.contains("comments") =>
                {
                    self.summary.comments_duplicate += 1;
                    skipped.insert(id);
                }
                Err(err) => return Err(err.into()),
            }
        }
        if any_approved {
            changed(&[Key::Comments(post_id)]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reply_chain_is_walked_once() {
        // Each comment replies to the one before: n² steps would take minutes.
        let n = 50_000i64;
        let parent_of: HashMap<i64, i64> = (1..=n).map(|id| (id, id - 1)).collect();
        let Ok(depths) = thread_depths((1..=n).rev(), &parent_of) else {
            panic!("a thread");
        };
        assert_eq!(depths.get(&1), Some(&0));
        assert_eq!(depths.get(&n), Some(&(n as usize - 1)));
    }

    #[test]
    fn a_loop_or_a_missing_parent_is_found() {
        let looped: HashMap<i64, i64> = [(1, 0), (2, 3), (3, 2)].into();
        assert!(matches!(
            thread_depths([1, 2, 3].into_iter(), &looped),
            Err(ThreadFault::Loop { id: 2 })
        ));
        let orphan: HashMap<i64, i64> = [(1, 0), (2, 1), (3, 2), (4, 9)].into();
        assert!(matches!(
            thread_depths([3, 4].into_iter(), &orphan),
            Err(ThreadFault::Missing { id: 4, parent: 9 })
        ));
    }
}
