//! Markdown, read one way everywhere: to sanitized HTML for pages (headings
//! carrying anchors that `table_of_contents` lists), and to plain text
//! (`markdown_text`) for excerpts, word counts, reading time, search and
//! similarity.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

use crate::editorial::slugify;
use crate::persisted::document_hash;

/// Words a reader gets through in a minute, the usual figure for web prose.
const WORDS_PER_MINUTE: usize = 200;
/// Length of a derived excerpt, in characters, before the ellipsis.
const EXCERPT_CHARS: usize = 200;

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
}

/// Starts every heading anchor. Ids share one namespace with the page around
/// the body and, through named access (`window.config`, `document.forms`),
/// with its scripts: a heading "Cookie" or "Config" must not shadow either.
/// A fixed prefix keeps the anchors out of the page's ids, and a dash makes
/// them no JavaScript identifier, so no `window.x` lookup can reach them.
const ANCHOR_PREFIX: &str = "h-";
/// The anchor of a heading with no word-like text.
const EMPTY_ANCHOR: &str = "section";

/// Renders Markdown to HTML that is safe to embed: no scripts, no event
/// handlers, no `javascript:` URLs, whatever raw HTML the Markdown carried.
/// Headings carry the anchors [`table_of_contents`] lists as their `id`;
/// no other element, and no heading written as raw HTML, carries one.
pub fn markdown_to_html(markdown: &str) -> String {
    // Raw HTML may write `<h2 id="h-intro">` as easily as Markdown makes
    // one, and the sanitizer cannot tell the two apart, so the ids rendered
    // here start with a mark the sanitizer checks and removes. The mark is
    // the hash of the document: raw HTML would have to contain the hash of
    // the document it is part of, and unlike a fixed mark it needs no secret
    // and keeps the rendering a function of the Markdown alone.
    let mark = document_hash(markdown);
    let mut events: Vec<Event> = parser(markdown).collect();
    for (index, heading) in headings(&events) {
        if let Some(Event::Start(Tag::Heading { id, .. })) = events.get_mut(index) {
            *id = Some(format!("{mark}{}", heading.anchor).into());
        }
    }
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut unsafe_html, events.into_iter());
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("h1", &["id"])
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .add_tag_attributes("h5", &["id"])
        .add_tag_attributes("h6", &["id"])
        .attribute_filter(move |_element, attribute, value| match attribute {
            "id" => value.strip_prefix(mark.as_str()).map(Cow::Borrowed),
            _ => Some(Cow::Borrowed(value)),
        })
        .clean(&unsafe_html)
        .to_string()
}

/// A heading of a document, for a table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// 1 for `#` (`<h1>`) to 6.
    pub level: u8,
    /// What a reader sees of the heading, on one line.
    pub text: String,
    /// The heading's `id` in [`markdown_to_html`], to link to as `#anchor`.
    pub anchor: String,
}

/// The document's headings in order, with the anchors [`markdown_to_html`]
/// gives them: `h-` and the slug of the text ("Getting started" →
/// `h-getting-started`), `h-section` when the text has no words, and `-2`,
/// `-3`… after a slug an earlier heading took. Headings written as raw HTML
/// are markup, not part of the outline.
pub fn table_of_contents(markdown: &str) -> Vec<TocEntry> {
    let events: Vec<Event> = parser(markdown).collect();
    headings(&events)
        .into_iter()
        .map(|(_, heading)| heading)
        .collect()
}

/// Each heading in `events` with the index of its start event. The anchors
/// of the HTML and of the table of contents both come from here, so they
/// cannot disagree.
fn headings(events: &[Event]) -> Vec<(usize, TocEntry)> {
    let mut found = Vec::new();
    let mut open: Option<(usize, u8, String)> = None;
    let mut anchors = Anchors::default();
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                open = Some((index, *level as u8, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((start, level, raw)) = open.take() {
                    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
                    let anchor = anchors.claim(&text);
                    found.push((
                        start,
                        TocEntry {
                            level,
                            text,
                            anchor,
                        },
                    ));
                }
            }
            event => {
                if let (Some((_, _, text)), Some(shown)) = (open.as_mut(), shown_text(event)) {
                    text.push_str(shown);
                }
            }
        }
    }
    found
}

/// The anchors given so far in one document.
#[derive(Default)]
struct Anchors {
    taken: HashSet<String>,
    // The next suffix to try for each slug, so that a document of many
    // like-named headings does not try every earlier suffix again.
    next_suffix: HashMap<String, usize>,
}

impl Anchors {
    /// The anchor of the next heading, whose text is `text`.
    fn claim(&mut self, text: &str) -> String {
        let slug = match slugify(text) {
            slug if slug.is_empty() => EMPTY_ANCHOR.to_owned(),
            slug => slug,
        };
        if self.taken.insert(slug.clone()) {
            return format!("{ANCHOR_PREFIX}{slug}");
        }
        let suffix = self.next_suffix.entry(slug.clone()).or_insert(2);
        // A suffixed slug may be another heading's own ("Step", "Step 2",
        // "Step"), hence the loop.
        loop {
            let anchor = format!("{slug}-{suffix}");
            *suffix += 1;
            if self.taken.insert(anchor.clone()) {
                return format!("{ANCHOR_PREFIX}{anchor}");
            }
        }
    }
}

/// Which text of a Markdown document a caller wants. Every view is the same
/// reading of the document (what counts as text, where a block ends); they
/// differ only in what they leave out, each for its own reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextView {
    /// What a reader sees, blocks separated by blank lines: prose, inline
    /// code, code blocks, the text of links and images. Raw HTML is markup,
    /// not text. Reading time and guides' search text count this.
    Reader,
    /// The first paragraph that has any text, on one line: the excerpt.
    FirstParagraph,
    /// What the text is about, as words separated by single spaces: the
    /// reader's text without code blocks (keywords and identifiers would
    /// swamp the prose), autolinks or bare URLs (their parts are no topic).
    /// Similarity scores this.
    Topic,
    /// A fragment cut from the Markdown source, as a search result shows it:
    /// the reader's text, but raw HTML stays as the text it is (the fragment
    /// quotes the source), and so do the numbers of an ordered list (a cut
    /// that starts "2024. The year…" is a sentence more often than a list).
    Fragment,
}

/// The text of `markdown` in the given view; see [`TextView`].
pub fn markdown_text(markdown: &str, view: TextView) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut in_code_block = false;
    let mut in_autolink = false;
    let mut in_paragraph = false;
    // The next number of each open list; `None` for a bulleted one.
    let mut numbers: Vec<Option<u64>> = Vec::new();
    let block_break = |out: &mut String| {
        if view != TextView::FirstParagraph {
            out.truncate(out.trim_end().len());
            if !out.is_empty() {
                out.push_str("\n\n");
            }
        }
    };
    for event in parser(markdown) {
        let wanted = match view {
            TextView::Reader | TextView::Fragment => true,
            TextView::FirstParagraph => in_paragraph,
            TextView::Topic => !in_code_block && !in_autolink,
        };
        if let Some(shown) = shown_text(&event) {
            if wanted {
                out.push_str(shown);
            }
            continue;
        }
        match event {
            Event::Html(html) | Event::InlineHtml(html) if wanted && view == TextView::Fragment => {
                out.push_str(&html);
            }
            Event::Start(Tag::Link { link_type, .. }) => {
                in_autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
            }
            Event::End(TagEnd::Link) => in_autolink = false,
            Event::Start(Tag::Paragraph) => {
                in_paragraph = true;
                block_break(&mut out);
            }
            Event::End(TagEnd::Paragraph) => {
                in_paragraph = false;
                if view == TextView::FirstParagraph && !out.trim().is_empty() {
                    break;
                }
                block_break(&mut out);
            }
            Event::Start(Tag::CodeBlock(_)) | Event::End(TagEnd::CodeBlock) => {
                in_code_block = matches!(event, Event::Start(_));
                block_break(&mut out);
            }
            Event::Start(Tag::List(first)) => {
                numbers.push(first);
                block_break(&mut out);
            }
            Event::End(TagEnd::List(_)) => {
                numbers.pop();
                block_break(&mut out);
            }
            Event::Start(Tag::Item) => {
                block_break(&mut out);
                if view == TextView::Fragment
                    && let Some(Some(number)) = numbers.last_mut()
                {
                    // Writing into a String cannot fail.
                    let _ = write!(out, "{number}. ");
                    *number += 1;
                }
            }
            Event::Start(tag) if is_block(tag.to_end()) => block_break(&mut out),
            Event::End(end) if is_block(end) => block_break(&mut out),
            _ => {}
        }
    }
    match view {
        TextView::Topic => out
            .split_whitespace()
            // Bare URLs are plain text to Markdown; their parts are no topic.
            .filter(|word| !is_url(word))
            .collect::<Vec<_>>()
            .join(" "),
        TextView::Reader | TextView::FirstParagraph | TextView::Fragment => out.trim().to_owned(),
    }
}

/// The text an event shows a reader, if any: prose, code, the text of links
/// and images, and a space where a line breaks or a table cell ends. Raw
/// HTML is markup. Every [`TextView`] and the headings' text read this.
fn shown_text<'e>(event: &'e Event<'_>) -> Option<&'e str> {
    match event {
        Event::Text(text) | Event::Code(text) => Some(text),
        Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::TableCell) => Some(" "),
        _ => None,
    }
}

/// Whether a tag ends a block of text (a paragraph, a list item, a table
/// row…), as opposed to marking up text within one.
fn is_block(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::TableCell
    )
}

fn is_url(word: &str) -> bool {
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    word.contains("://") || word.starts_with("www.") || word.starts_with("mailto:")
}

/// The text a reader sees, without markup, paragraphs separated by blank lines.
pub fn plain_text(markdown: &str) -> String {
    markdown_text(markdown, TextView::Reader)
}

/// The opening of the body's first paragraph, cut at a word boundary.
pub fn derive_excerpt(markdown: &str) -> String {
    truncate_words(
        &markdown_text(markdown, TextView::FirstParagraph),
        EXCERPT_CHARS,
    )
}

fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if i > 0 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        at_word.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
    )
}

/// The words a reader sees ([`plain_text`]): code counts, markup does not.
pub fn word_count(markdown: &str) -> usize {
    plain_text(markdown).split_whitespace().count()
}

/// Minutes to read the body, rounded up; never zero for a non-empty body.
pub fn reading_time_minutes(markdown: &str) -> i32 {
    let minutes = word_count(markdown).div_ceil(WORDS_PER_MINUTE).max(1);
    i32::try_from(minutes).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_drops_scripts_handlers_and_javascript_urls() {
        let html = markdown_to_html(
            "Hi <script>alert(1)</script> <a href=\"javascript:alert(1)\" onclick=\"x()\">a</a> \
             <img src=x onerror=alert(1)> [b](javascript:alert(2))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert(1)</script>"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn html_keeps_ordinary_markdown() {
        let html =
            markdown_to_html("# Title\n\nSome *emphasis* and [a link](https://example.com).");
        assert!(html.contains("<h1 id=\"h-title\">Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }

    /// The `id` attributes of `html`, in order.
    fn ids(html: &str) -> Vec<&str> {
        html.split(" id=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn headings_carry_prefixed_slugs_of_their_text() {
        let doc = "# Getting Started\n\n## Café & *Crème*\n\nSetext `tokio` head\n---\n\n\
                   ###### [Linked](https://x.org) ![logo](l.png) end";
        let html = markdown_to_html(doc);
        assert!(html.contains("<h1 id=\"h-getting-started\">"), "{html}");
        assert!(html.contains("<h2 id=\"h-cafe-creme\">"), "{html}");
        assert!(html.contains("<h2 id=\"h-setext-tokio-head\">"), "{html}");
        assert!(html.contains("<h6 id=\"h-linked-logo-end\">"), "{html}");
        assert_eq!(
            table_of_contents(doc),
            vec![
                TocEntry {
                    level: 1,
                    text: "Getting Started".into(),
                    anchor: "h-getting-started".into(),
                },
                TocEntry {
                    level: 2,
                    text: "Café & Crème".into(),
                    anchor: "h-cafe-creme".into(),
                },
                TocEntry {
                    level: 2,
                    text: "Setext tokio head".into(),
                    anchor: "h-setext-tokio-head".into(),
                },
                TocEntry {
                    level: 6,
                    text: "Linked logo end".into(),
                    anchor: "h-linked-logo-end".into(),
                },
            ]
        );
    }

    #[test]
    fn anchors_are_unique_and_never_empty() {
        let doc = "# Intro\n# Intro\n# Intro 2\n# Intro\n# !!!\n#\n# Section";
        let anchors: Vec<String> = table_of_contents(doc)
            .into_iter()
            .map(|entry| entry.anchor)
            .collect();
        assert_eq!(
            anchors,
            [
                "h-intro",
                "h-intro-2",
                "h-intro-2-2",
                "h-intro-3",
                "h-section",
                "h-section-2",
                "h-section-3",
            ]
        );
    }

    #[test]
    fn table_of_contents_anchors_are_the_html_ids() {
        let doc = "Intro\n=====\n\n## Intro\n\n<h2>raw</h2>\n\n### `code` & <b>html</b>\n\n\
                   - ## In a list\n\n> # Quoted\n\n## 🦀 日本語\n\n##\n\n## Intro";
        let html = markdown_to_html(doc);
        let toc: Vec<String> = table_of_contents(doc)
            .into_iter()
            .map(|entry| entry.anchor)
            .collect();
        assert_eq!(ids(&html), toc, "{html}");
    }

    #[test]
    fn raw_html_cannot_write_ids() {
        let html = markdown_to_html(
            "# Intro\n\n<h2 id=\"cookie\">a</h2>\n\n<h3 id=\"h-intro\">b</h3>\n\n\
             <div id=\"location\">c</div> text <span id=\"h-x\">d</span>\n\n\
             <h4 id=\"&#104;-intro\" title=\"t\">e</h4>",
        );
        assert_eq!(ids(&html), ["h-intro"], "{html}");
        assert!(html.contains("<h2>a</h2>"), "{html}");
    }

    #[test]
    fn word_count_counts_what_a_reader_sees() {
        assert_eq!(word_count(""), 0);
        assert_eq!(
            word_count("# Hi\n\nSome `code` and <b>bold</b>\n[a link](https://x.org)"),
            7
        );
        assert_eq!(word_count(&"w ".repeat(201)), 201);
    }

    #[test]
    fn excerpt_is_the_first_paragraph_cut_at_a_word() {
        assert_eq!(
            derive_excerpt("# Heading\n\nShort *first* paragraph.\n\nSecond."),
            "Short first paragraph."
        );
        let long = "word ".repeat(100);
        let excerpt = derive_excerpt(&long);
        assert!(excerpt.ends_with("word…"), "{excerpt}");
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn text_views_read_alike_and_leave_out_their_own() {
        let doc = "# Title\n\nSee <https://x.org> and `tokio`, <b>bold</b>.\n\n\
                   ```\nlet x = 1;\n```\n\n- a\n  - b\n\n| c | d |\n|---|---|\n| e | f |\n\n\
                   3. third\n4. fourth";
        assert_eq!(
            markdown_text(doc, TextView::Reader),
            "Title\n\nSee https://x.org and tokio, bold.\n\nlet x = 1;\n\n\
             a\n\nb\n\nc d\n\ne f\n\nthird\n\nfourth"
        );
        assert_eq!(
            markdown_text(doc, TextView::FirstParagraph),
            "See https://x.org and tokio, bold."
        );
        assert_eq!(
            markdown_text(doc, TextView::Topic),
            "Title See and tokio, bold. a b c d e f third fourth"
        );
        let fragment = markdown_text(doc, TextView::Fragment);
        assert!(fragment.contains("<b>bold</b>"), "{fragment}");
        assert!(fragment.ends_with("3. third\n\n4. fourth"), "{fragment}");
    }

    #[test]
    fn reading_time_rounds_up_and_is_at_least_one_minute() {
        assert_eq!(reading_time_minutes("one two three"), 1);
        assert_eq!(reading_time_minutes(&"w ".repeat(200)), 1);
        assert_eq!(reading_time_minutes(&"w ".repeat(201)), 2);
        assert_eq!(reading_time_minutes(&"w ".repeat(1000)), 5);
    }
}
