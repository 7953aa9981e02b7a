//! Markdown to sanitized HTML, excerpts and reading time.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

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

/// The text a reader sees, without markup, paragraphs separated by blank lines.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in parser(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => out.push_str("\n\n"),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The opening of the body's first paragraph, cut at a word boundary.
pub fn derive_excerpt(markdown: &str) -> String {
    let mut first_paragraph = String::new();
    let mut in_paragraph = false;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if !first_paragraph.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_paragraph = false,
            Event::Text(t) | Event::Code(t) if in_paragraph => first_paragraph.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => first_paragraph.push(' '),
            _ => {}
        }
    }
    truncate_words(first_paragraph.trim(), EXCERPT_CHARS)
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
    fn reading_time_rounds_up_and_is_at_least_one_minute() {
        assert_eq!(reading_time_minutes("one two three"), 1);
        assert_eq!(reading_time_minutes(&"w ".repeat(200)), 1);
        assert_eq!(reading_time_minutes(&"w ".repeat(201)), 2);
        assert_eq!(reading_time_minutes(&"w ".repeat(1000)), 5);
    }
}
