//! Reading a WordPress export (WXR, the RSS file that Tools → Export
//! writes) one record at a time: the site, its authors and terms, then each
//! `<item>` with its comments. Nothing but the current record is held, so
//! memory does not grow with the file.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Why the file cannot be read, and where: a byte offset into the file,
/// turned into a line and column by whoever can read the file again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxrError {
    pub offset: u64,
    pub message: String,
    /// The item being read: where it starts, and what is known of it.
    pub item: Option<(u64, String)>,
}

type WxrResult<T> = Result<T, WxrError>;

/// The most bytes one field may take (four times the longest body a post
/// may have, as HTML holds more than its Markdown), and the most comments
/// one item may have: a record is held whole, so without them one huge
/// text or thread would take all the memory the stream was to spare.
pub const MAX_FIELD_BYTES: u64 = 4 * crate::editorial::MAX_BODY_CHARS as u64;
pub const MAX_COMMENTS_PER_ITEM: usize = 50_000;

/// The file, read at most `left` bytes at a time: the XML reader holds a
/// whole text event in memory, so an over-long one is stopped while read.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.left == 0 {
            return Err(std::io::Error::other(FIELD_TOO_LONG));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.left = self.left.saturating_sub(amt as u64);
        self.inner.consume(amt);
    }
}

const FIELD_TOO_LONG: &str = "a field is longer than the import takes";

/// A site's author, from `<wp:author>`.
#[derive(Debug, Clone, Default)]
pub struct WxrAuthor {
    pub login: String,
    pub email: String,
    pub display_name: String,
}

/// Whether a term is a category or a tag; both become Waypost tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermKind {
    Category,
    Tag,
}

impl TermKind {
    /// The kind the `domain` attribute of an item's `<category>` names.
    pub fn from_domain(domain: &str) -> Option<TermKind> {
        match domain {
            "category" => Some(TermKind::Category),
            "post_tag" => Some(TermKind::Tag),
            _ => None,
        }
    }
}

/// A category or tag: at channel level (`<wp:category>`, `<wp:tag>`) or on
/// an item (`<category domain=… nicename=…>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxrTerm {
    pub kind: TermKind,
    pub nicename: String,
    pub name: String,
    pub description: String,
}

/// One `<wp:comment>` of an item.
#[derive(Debug, Clone, Default)]
pub struct WxrComment {
    /// Where its element starts in the file.
    pub offset: u64,
    pub id: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    pub approved: String,
    pub kind: String,
    pub parent: String,
}

/// One `<item>`: a post, page, attachment, menu item… with its comments.
#[derive(Debug, Clone, Default)]
pub struct WxrItem {
    /// Where its element starts in the file.
    pub offset: u64,
    pub title: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: String,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_modified: String,
    pub post_modified_gmt: String,
    pub post_name: String,
    pub status: String,
    pub post_type: String,
    pub comment_status: String,
    /// Non-empty when the post is password-protected on WordPress.
    pub post_password: String,
    pub terms: Vec<WxrTerm>,
    pub comments: Vec<WxrComment>,
    /// Where each field's element starts, for errors that name a field.
    pub offsets: Vec<(String, u64)>,
}

impl WxrItem {
    /// Where the element of field `name` starts; the item's start when
    /// it has none.
    pub fn offset_of(&self, name: &str) -> u64 {
        self.offsets
            .iter()
            .find(|(field, _)| field == name)
            .map_or(self.offset, |(_, at)| *at)
    }

    /// How an error names the item: its title and `wp:post_id`, as far as
    /// they were read.
    pub fn label(&self) -> String {
        let title: String = self.title.trim().chars().take(80).collect();
        let id = match self.post_id.trim() {
            "" => "?",
            id => id,
        };
        format!("\"{title}\", wp:post_id {id}")
    }
}

/// What the file holds, in the order it holds it.
#[derive(Debug, Clone)]
pub enum WxrEntry {
    Author(WxrAuthor),
    Term(WxrTerm),
    Item(Box<WxrItem>),
}

/// The channel's own fields, read as they come (WordPress writes them
/// before any author, term or item).
#[derive(Debug, Clone, Default)]
pub struct WxrSite {
    pub link: String,
    pub base_site_url: String,
    pub wxr_version: String,
}

/// Reads entries from a WXR file.
pub struct WxrReader<R: BufRead> {
    reader: Reader<Capped<R>>,
    buf: Vec<u8>,
    /// Elements open around the reader outside any record: `rss`, `channel`.
    depth: usize,
    seen_rss: bool,
    pub site: WxrSite,
}

fn owned(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(source: R) -> Self {
        let mut reader = Reader::from_reader(Capped {
            inner: source,
            left: MAX_FIELD_BYTES,
        });
        reader.config_mut().check_end_names = true;
        WxrReader {
            reader,
            buf: Vec::with_capacity(64 * 1024),
            depth: 0,
            seen_rss: false,
            site: WxrSite::default(),
        }
    }

    /// Bytes read so far, for progress.
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn fail<T>(&self, offset: u64, message: impl Into<String>) -> WxrResult<T> {
        Err(WxrError {
            offset,
            message: message.into(),
            item: None,
        })
    }

    /// The next event, owned, and the offset where it starts.
    fn event(&mut self) -> WxrResult<(u64, Event<'static>)> {
        let at = self.reader.buffer_position();
        self.buf.clear();
        // The read ahead of one event, a buffer's worth, is within the cap.
        self.reader.get_mut().left = MAX_FIELD_BYTES + 64 * 1024;
        match self.reader.read_event_into(&mut self.buf) {
            Ok(event) => Ok((at, event.into_owned())),
            Err(_) if self.reader.get_ref().left == 0 => {
                self.fail(at, format!("{FIELD_TOO_LONG} ({MAX_FIELD_BYTES} bytes)"))
            }
            Err(err) => self.fail(
                self.reader.error_position(),
                format!("malformed XML: {err}"),
            ),
        }
    }

    /// The text of the element just opened, up to its end (CDATA sections
    /// and entity references included); nested elements are skipped.
    fn text(&mut self, name: &str) -> WxrResult<String> {
        let mut text = String::new();
        // Where the field's text starts, for a fault about all of it.
        let mut from = None;
        loop {
            let (at, event) = self.event()?;
            let from = *from.get_or_insert(at);
            if text.len() as u64 > MAX_FIELD_BYTES {
                return self.fail(
                    from,
                    format!("<{name}> is longer than the import takes ({MAX_FIELD_BYTES} bytes)"),
                );
            }
            match event {
                Event::Text(t) => text.push_str(&self.decoded(at, t.xml10_content())?),
                Event::CData(t) => text.push_str(&self.decoded(at, t.xml10_content())?),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            let entity = self.decoded(at, r.decode())?;
                            quick_xml::escape::resolve_predefined_entity(&entity).map(str::to_owned)
                        }
                        Err(_) => None,
                    };
                    match resolved {
                        Some(s) => text.push_str(&s),
                        None => {
                            return self.fail(at, format!("unknown entity reference in <{name}>"));
                        }
                    }
                }
                Event::Start(e) => self.skip(&owned(e.name().as_ref()))?,
                Event::End(_) => return Ok(text),
                Event::Eof => return self.fail(at, format!("the file ends inside <{name}>")),
                _ => {}
            }
        }
    }

    fn decoded<E: std::fmt::Display>(
        &self,
        at: u64,
        text: Result<Cow<'_, str>, E>,
    ) -> WxrResult<String> {
        match text {
            Ok(text) => Ok(text.into_owned()),
            Err(err) => self.fail(at, format!("text is not valid UTF-8: {err}")),
        }
    }

    /// Skips the element just opened, whatever it holds.
    fn skip(&mut self, name: &str) -> WxrResult<()> {
        let mut open = 1usize;
        while open > 0 {
            let (at, event) = self.event()?;
            match event {
                Event::Start(_) => open += 1,
                Event::End(_) => open -= 1,
                Event::Eof => return self.fail(at, format!("the file ends inside <{name}>")),
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the children of the element just opened, handing each child's
    /// name and start to `field`, which reads it.
    fn children(
        &mut self,
        name: &str,
        mut field: impl FnMut(&mut Self, &str, &BytesStart<'static>, u64) -> WxrResult<()>,
    ) -> WxrResult<()> {
        loop {
            let (at, event) = self.event()?;
            match event {
                Event::Start(e) => {
                    let child = owned(e.name().as_ref());
                    field(self, &child, &e, at)?;
                }
                Event::End(_) => return Ok(()),
                Event::Eof => return self.fail(at, format!("the file ends inside <{name}>")),
                _ => {}
            }
        }
    }

    fn attribute(&self, e: &BytesStart<'_>, key: &str, at: u64) -> WxrResult<String> {
        match e.try_get_attribute(key) {
            Ok(Some(a)) => match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => Ok(v.into_owned()),
                Err(err) => self.fail(at, format!("bad attribute {key}: {err}")),
            },
            Ok(None) => Ok(String::new()),
            Err(err) => self.fail(at, format!("bad attribute {key}: {err}")),
        }
    }

    fn author(&mut self) -> WxrResult<WxrAuthor> {
        let mut author = WxrAuthor::default();
        self.children("wp:author", |r, child, _, _| {
            match child {
                "wp:author_login" => author.login = r.text(child)?,
                "wp:author_email" => author.email = r.text(child)?,
                "wp:author_display_name" => author.display_name = r.text(child)?,
                _ => r.skip(child)?,
            }
            Ok(())
        })?;
        Ok(author)
    }

    fn term(&mut self, name: &str, kind: TermKind) -> WxrResult<WxrTerm> {
        let mut term = WxrTerm {
            kind,
            nicename: String::new(),
            name: String::new(),
            description: String::new(),
        };
        self.children(name, |r, child, _, _| {
            match child {
                "wp:category_nicename" | "wp:tag_slug" => term.nicename = r.text(child)?,
                "wp:cat_name" | "wp:tag_name" => term.name = r.text(child)?,
                "wp:category_description" | "wp:tag_description" => {
                    term.description = r.text(child)?
                }
                _ => r.skip(child)?,
            }
            Ok(())
        })?;
        Ok(term)
    }

    fn comment(&mut self, offset: u64) -> WxrResult<WxrComment> {
        let mut c = WxrComment {
            offset,
            ..Default::default()
        };
        self.children("wp:comment", |r, child, _, _| {
            let slot = match child {
                "wp:comment_id" => &mut c.id,
                "wp:comment_author" => &mut c.author,
                "wp:comment_author_email" => &mut c.email,
                "wp:comment_author_url" => &mut c.url,
                "wp:comment_author_IP" => &mut c.ip,
                "wp:comment_date" => &mut c.date,
                "wp:comment_date_gmt" => &mut c.date_gmt,
                "wp:comment_content" => &mut c.content,
                "wp:comment_approved" => &mut c.approved,
                "wp:comment_type" => &mut c.kind,
                "wp:comment_parent" => &mut c.parent,
                _ => return r.skip(child),
            };
            *slot = r.text(child)?;
            Ok(())
        })?;
        Ok(c)
    }

    fn item(&mut self, offset: u64) -> WxrResult<WxrItem> {
        let mut item = WxrItem {
            offset,
            ..Default::default()
        };
        let read = self.children("item", |r, child, start, at| {
            let slot = match child {
                "title" => &mut item.title,
                "dc:creator" => &mut item.creator,
                "content:encoded" => &mut item.content,
                "excerpt:encoded" => &mut item.excerpt,
                "wp:post_id" => &mut item.post_id,
                "wp:post_date" => &mut item.post_date,
                "wp:post_date_gmt" => &mut item.post_date_gmt,
                "wp:post_modified" => &mut item.post_modified,
                "wp:post_modified_gmt" => &mut item.post_modified_gmt,
                "wp:post_name" => &mut item.post_name,
                "wp:status" => &mut item.status,
                "wp:post_type" => &mut item.post_type,
                "wp:comment_status" => &mut item.comment_status,
                "wp:post_password" => &mut item.post_password,
                "category" => {
                    let domain = r.attribute(start, "domain", at)?;
                    let nicename = r.attribute(start, "nicename", at)?;
                    let name = r.text(child)?;
                    if let Some(kind) = TermKind::from_domain(&domain) {
                        item.terms.push(WxrTerm {
                            kind,
                            nicename,
                            name,
                            description: String::new(),
                        });
                    }
                    return Ok(());
                }
                "wp:comment" => {
                    if item.comments.len() >= MAX_COMMENTS_PER_ITEM {
                        return r.fail(
                            at,
                            format!("the item has more than {MAX_COMMENTS_PER_ITEM} comments"),
                        );
                    }
                    let comment = r.comment(at)?;
                    item.comments.push(comment);
                    return Ok(());
                }
                _ => return r.skip(child),
            };
            *slot = r.text(child)?;
            item.offsets.push((child.to_owned(), at));
            Ok(())
        });
        match read {
            Ok(()) => Ok(item),
            Err(mut err) => {
                err.item = Some((offset, item.label()));
                Err(err)
            }
        }
    }

    /// The next author, term or item; `None` at the end of the file.
    pub fn next_entry(&mut self) -> WxrResult<Option<WxrEntry>> {
        loop {
            let (at, event) = self.event()?;
            match event {
                Event::Start(e) => {
                    let name = owned(e.name().as_ref());
                    match (self.depth, name.as_str()) {
                        (0, "rss") => {
                            self.seen_rss = true;
                            self.depth = 1;
                        }
                        (0, _) => {
                            return self.fail(at, format!("expected <rss>, found <{name}>"));
                        }
                        (1, "channel") => self.depth = 2,
                        (2, "item") => {
                            self.require_site(at)?;
                            return Ok(Some(WxrEntry::Item(Box::new(self.item(at)?))));
                        }
                        (2, "wp:author") => {
                            self.require_site(at)?;
                            return Ok(Some(WxrEntry::Author(self.author()?)));
                        }
                        (2, "wp:category") => {
                            self.require_site(at)?;
                            let term = self.term(&name, TermKind::Category)?;
                            return Ok(Some(WxrEntry::Term(term)));
                        }
                        (2, "wp:tag") => {
                            self.require_site(at)?;
                            let term = self.term(&name, TermKind::Tag)?;
                            return Ok(Some(WxrEntry::Term(term)));
                        }
                        (2, "link") => self.site.link = self.text(&name)?,
                        (2, "wp:base_site_url") => self.site.base_site_url = self.text(&name)?,
                        (2, "wp:wxr_version") => self.site.wxr_version = self.text(&name)?,
                        _ => self.skip(&name)?,
                    }
                }
                Event::End(_) => self.depth = self.depth.saturating_sub(1),
                Event::Eof if !self.seen_rss => {
                    return self.fail(at, "not a WordPress export: no <rss> element");
                }
                Event::Eof if self.depth > 0 => {
                    return self.fail(at, "the file ends before </channel></rss>");
                }
                Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }

    /// The site is named before anything that belongs to it.
    fn require_site(&self, at: u64) -> WxrResult<()> {
        if self.site.wxr_version.trim().is_empty() {
            return self.fail(
                at,
                "not a WordPress export: no <wp:wxr_version> before the content",
            );
        }
        if self.source().is_empty() {
            return self.fail(
                at,
                "the export names no site (<wp:base_site_url> or <link>)",
            );
        }
        Ok(())
    }

    /// The site the export comes from: what keeps two sites' ids apart.
    pub fn source(&self) -> &str {
        let base = self.site.base_site_url.trim();
        if base.is_empty() {
            self.site.link.trim()
        } else {
            base
        }
    }
}

/// Line and column (both from 1, the column in characters) of byte
/// `offset` of the text `source` reads.
pub fn line_and_column(mut source: impl BufRead, offset: u64) -> std::io::Result<(u64, u64)> {
    let (mut line, mut column, mut read) = (1u64, 1u64, 0u64);
    loop {
        let chunk = source.fill_buf()?;
        if chunk.is_empty() || read >= offset {
            return Ok((line, column));
        }
        let take = usize::try_from(offset - read).map_or(chunk.len(), |n| n.min(chunk.len()));
        for &byte in &chunk[..take] {
            if byte == b'\n' {
                line += 1;
                column = 1;
            } else if byte & 0xC0 != 0x80 {
                // A character's first byte; continuation bytes are not new characters.
                column += 1;
            }
        }
        read += take as u64;
        source.consume(take);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_item(text: &str) -> WxrResult<Option<WxrEntry>> {
        WxrReader::new(std::io::Cursor::new(text.as_bytes())).next_entry()
    }

    fn export(item: &str) -> String {
        format!(
            "<rss><channel><wp:wxr_version>1.2</wp:wxr_version>\
             <link>https://a.example</link><item>{item}</item></channel></rss>"
        )
    }

    #[test]
    fn an_over_long_field_is_refused_where_it_starts() {
        // Just past the cap, and far past it (stopped while read).
        let just = "x".repeat(MAX_FIELD_BYTES as usize + 1);
        let far = "x".repeat(MAX_FIELD_BYTES as usize + 200_000);
        for body in [format!("<![CDATA[{just}]]>"), just, far] {
            let text = export(&format!(
                "<title>T</title><content:encoded>{body}</content:encoded>"
            ));
            let Err(err) = first_item(&text) else {
                panic!("read whole");
            };
            assert!(
                err.message.contains("longer than the import takes"),
                "{err:?}"
            );
            let start = text.find("<content:encoded>").unwrap() as u64;
            assert!(err.offset >= start && err.offset <= start + 17, "{err:?}");
            assert!(err.item.unwrap().1.contains("\"T\""));
        }
        // Many short pieces add up too.
        let pieces = "x&amp;".repeat(MAX_FIELD_BYTES as usize / 2 + 1);
        let text = export(&format!("<content:encoded>{pieces}</content:encoded>"));
        let Err(err) = first_item(&text) else {
            panic!("read whole");
        };
        assert!(
            err.message.contains("longer than the import takes"),
            "{err:?}"
        );
    }

    #[test]
    fn a_field_up_to_the_cap_is_read() {
        let body = "x".repeat(MAX_FIELD_BYTES as usize);
        let text = export(&format!(
            "<content:encoded><![CDATA[{body}]]></content:encoded>"
        ));
        let Ok(Some(WxrEntry::Item(item))) = first_item(&text) else {
            panic!("not read");
        };
        assert_eq!(item.content.len(), body.len());
    }

    #[test]
    fn too_many_comments_are_refused() {
        let comments = "<wp:comment></wp:comment>".repeat(MAX_COMMENTS_PER_ITEM + 1);
        let Err(err) = first_item(&export(&comments)) else {
            panic!("read whole");
        };
        assert!(err.message.contains("more than 50000 comments"), "{err:?}");
    }
}
