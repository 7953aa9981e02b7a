//! Markdown, read one way everywhere: to sanitized HTML for pages, and to
//! plain text (`markdown_text`) for excerpts, reading time, search and
//! similarity.

use std::fmt::Write;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

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

/// Renders Markdown to HTML that is safe to embed: no scripts, no event
/// handlers, no `javascript:` URLs, whatever raw HTML the Markdown carried.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut unsafe_html, parser(markdown));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
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
        match event {
            Event::Text(text) | Event::Code(text) if wanted => out.push_str(&text),
            Event::Html(html) | Event::InlineHtml(html) if wanted && view == TextView::Fragment => {
                out.push_str(&html);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::TableCell) if wanted => {
                out.push(' ');
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

/// Minutes to read the body, rounded up; never zero for a non-empty body.
pub fn reading_time_minutes(markdown: &str) -> i32 {
    let words = plain_text(markdown).split_whitespace().count();
    let minutes = words.div_ceil(WORDS_PER_MINUTE).max(1);
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
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
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
