//! A WordPress post's HTML as the Markdown Waypost stores: block-editor
//! comments and core shortcodes taken out (their content kept), classic
//! content given the paragraphs WordPress would give it, then converted.

/// The shortcodes WordPress core registers, taken out wherever they are.
/// Others (plugins') go only as a pair with its closing tag, or written
/// self-closing: square brackets in prose (`[1]`, `[see below]`) are prose.
const CORE_SHORTCODES: &[&str] = &[
    "caption",
    "wp_caption",
    "gallery",
    "playlist",
    "audio",
    "video",
    "embed",
];

/// Elements WordPress's auto-paragraph rule never wraps in `<p>`.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "math",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "script",
    "iframe",
];

/// A post's `content:encoded` as Markdown.
pub fn post_markdown(html: &str) -> String {
    let block_editor = html.contains("<!-- wp:");
    let html = strip_comments(html);
    let html = strip_shortcodes(&html);
    let html = if block_editor { html } else { autop(&html) };
    to_markdown(&html)
}

/// A comment's text (plain text with a little HTML, as WordPress keeps it)
/// as Markdown.
pub fn comment_markdown(html: &str) -> String {
    to_markdown(&autop(&strip_comments(html)))
}

/// HTML as plain text on one line: for excerpts.
pub fn plain_text(html: &str) -> String {
    let markdown = to_markdown(&strip_shortcodes(&strip_comments(html)));
    crate::render::markdown_text(&markdown, crate::render::TextView::FirstParagraph)
}

fn to_markdown(html: &str) -> String {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec!["script", "style", "noscript"])
        .build();
    match converter.convert(&code_in_pre(html)) {
        Ok(markdown) => markdown.trim().to_owned(),
        // The converter reads from memory; it fails only on a broken
        // writer. The text then goes in as it was, to be sanitised when
        // rendered, rather than lost.
        Err(_) => html.trim().to_owned(),
    }
}

/// `<pre>` text marked as code, which is how the converter knows to keep
/// it as a block: classic posts and the preformatted block write a bare
/// `<pre>`, the code block `<pre><code>`.
fn code_in_pre(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 32);
    let mut rest = html;
    while let Some(open) = rest.find("<pre") {
        let after_name = &rest[open + 4..];
        let Some(tag_end) = after_name
            .starts_with(['>', ' ', '\t', '\n'])
            .then(|| after_name.find('>'))
            .flatten()
        else {
            out.push_str(&rest[..open + 4]);
            rest = after_name;
            continue;
        };
        let inner_start = open + 4 + tag_end + 1;
        out.push_str(&rest[..inner_start]);
        let inner = &rest[inner_start..];
        let close = inner.find("</pre>").unwrap_or(inner.len());
        let text = &inner[..close];
        if text.trim_start().starts_with("<code") {
            out.push_str(text);
        } else {
            out.push_str("<code>");
            out.push_str(text);
            out.push_str("</code>");
        }
        rest = &inner[close..];
    }
    out.push_str(rest);
    out
}

/// Removes HTML comments: the block editor's `<!-- wp:… -->` markers and
/// WordPress's `<!--more-->` and `<!--nextpage-->` alike. An unclosed one
/// runs to the end, as a browser reads it.
fn strip_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// A shortcode tag at the start of `text`.
struct Tag<'a> {
    /// Its length in `text`.
    len: usize,
    name: &'a str,
    attrs: &'a str,
    /// `[/name]`.
    closing: bool,
    /// `[name attrs /]`.
    self_closing: bool,
}

/// A shortcode tag at the start of `text`: `[name attrs]`, `[name attrs /]`
/// or `[/name]`, its name made of what WordPress allows (letters, digits,
/// `_` and `-`).
fn shortcode_tag(text: &str) -> Option<Tag<'_>> {
    let inner = text.strip_prefix('[')?;
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(inner.len());
    let name = &inner[..name_len];
    if name.is_empty()
        || !inner[name_len..].starts_with(|c: char| c.is_whitespace() || c == ']' || c == '/')
    {
        return None;
    }
    // Attributes may quote a `]`.
    let mut quote = None;
    for (i, c) in inner[name_len..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => return None,
            (None, ']') => {
                let attrs = inner[name_len..name_len + i].trim();
                return Some(Tag {
                    len: 1 + usize::from(closing) + name_len + i + 1,
                    name,
                    attrs: attrs.trim_end_matches('/'),
                    closing,
                    self_closing: attrs.ends_with('/'),
                });
            }
            _ => {}
        }
    }
    None
}

/// An attribute's value in a shortcode's attributes.
fn shortcode_attribute<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(at) = rest.find(key) {
        let after = &rest[at + key.len()..];
        let boundary = rest[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        if boundary && let Some(value) = after.strip_prefix('=') {
            return Some(match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
                _ => value.split_whitespace().next().unwrap_or(""),
            });
        }
        rest = after;
    }
    None
}

fn link(url: &str) -> String {
    let url = url.trim();
    let escaped = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    format!("<p><a href=\"{escaped}\">{escaped}</a></p>")
}

/// Takes out WordPress core shortcodes: `[caption]` and the like keep what
/// they enclose, `[embed]URL[/embed]` becomes a link to the URL, `[audio]`
/// and `[video]` a link to their `src`, `[gallery]` and `[playlist]` go
/// (they list attachments, which are not imported); an `[embed]` with no
/// closing tag stays as written. Plugins' shortcodes (`[vc_row]…[/vc_row]`,
/// `[contact-form-7 id="1" /]`) go when closed, keeping what they enclose.
/// `[[name]]` is WordPress's way of writing a core shortcode as text, and
/// stays as `[name]`.
pub fn strip_shortcodes(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Where each plugin shortcode's last closing tag is, found once per
    // name (an opener before it is closed), and the ones open now.
    let mut last_close: std::collections::HashMap<&str, Option<usize>> =
        std::collections::HashMap::new();
    let mut open_tags: Vec<&str> = Vec::new();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        if let Some(escaped) = rest.strip_prefix('[')
            && let Some(tag) = shortcode_tag(escaped)
            && CORE_SHORTCODES.contains(&tag.name)
            && escaped[tag.len..].starts_with(']')
        {
            out.push_str(&escaped[..tag.len]);
            rest = &escaped[tag.len + 1..];
            continue;
        }
        let tag = shortcode_tag(rest);
        let strip = match &tag {
            None => false,
            Some(tag) if CORE_SHORTCODES.contains(&tag.name) => true,
            Some(tag) if tag.closing => match open_tags.iter().rposition(|n| *n == tag.name) {
                Some(at) => {
                    open_tags.truncate(at);
                    true
                }
                None => false,
            },
            Some(tag) if tag.self_closing => true,
            Some(tag) => {
                let here = html.len() - rest.len();
                let closed = *last_close
                    .entry(tag.name)
                    .or_insert_with(|| html.rfind(&format!("[/{}]", tag.name)));
                let closed = closed.is_some_and(|at| at > here);
                if closed {
                    open_tags.push(tag.name);
                }
                closed
            }
        };
        let Some(tag) = tag.filter(|_| strip) else {
            out.push('[');
            rest = &rest[1..];
            continue;
        };
        let written = &rest[..tag.len];
        rest = &rest[tag.len..];
        if tag.closing {
            continue;
        }
        match tag.name {
            "embed" => {
                let close = "[/embed]";
                match rest.find(close) {
                    Some(end) => {
                        out.push_str(&link(&rest[..end]));
                        rest = &rest[end + close.len()..];
                    }
                    // Not an embed after all: the rest of the post is not
                    // its address.
                    None => out.push_str(written),
                }
            }
            "audio" | "video" => {
                if let Some(src) = shortcode_attribute(tag.attrs, "src").filter(|s| !s.is_empty()) {
                    out.push_str(&link(src));
                }
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

fn starts_with_block(chunk: &str) -> bool {
    let Some(tag) = chunk.strip_prefix('<') else {
        return false;
    };
    let tag = tag.strip_prefix('/').unwrap_or(tag);
    let name: String = tag
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCK_TAGS.contains(&name.as_str())
}

/// WordPress's auto-paragraph rule for classic-editor content: blocks
/// separated by a blank line become paragraphs, a single line break inside
/// one becomes `<br>`; block elements and `<pre>` are left as written.
pub fn autop(html: &str) -> String {
    let html = html.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html.as_str();
    loop {
        let pre = rest.find("<pre");
        let (text, tail) = match pre {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        paragraphs(text, &mut out);
        if tail.is_empty() {
            return out;
        }
        let end = tail
            .find("</pre>")
            .map_or(tail.len(), |e| e + "</pre>".len());
        out.push_str(&tail[..end]);
        out.push('\n');
        rest = &tail[end..];
    }
}

fn paragraphs(text: &str, out: &mut String) {
    let mut chunk = String::new();
    let flush = |chunk: &mut String, out: &mut String| {
        let trimmed = chunk.trim();
        if !trimmed.is_empty() {
            if starts_with_block(trimmed) {
                out.push_str(trimmed);
            } else {
                out.push_str("<p>");
                out.push_str(&trimmed.replace("\n", "<br />"));
                out.push_str("</p>");
            }
            out.push('\n');
        }
        chunk.clear();
    };
    for line in text.split('\n') {
        if line.trim().is_empty() {
            flush(&mut chunk, out);
        } else {
            if !chunk.is_empty() {
                chunk.push('\n');
            }
            chunk.push_str(line);
        }
    }
    flush(&mut chunk, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_content_gets_paragraphs_and_line_breaks() {
        let html = "First paragraph with <strong>bold</strong>.\nSecond line.\n\nAnother <a href=\"https://example.com/x\">link</a>.";
        let md = post_markdown(html);
        assert!(md.contains("**bold**"), "{md}");
        assert!(md.contains("[link](https://example.com/x)"), "{md}");
        assert!(md.contains(".  \nSecond line."), "{md}");
        assert!(md.contains("\n\nAnother"), "{md}");
    }

    #[test]
    fn block_editor_markers_leave_no_trace() {
        let html = "<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">Why queues</h2>\n<!-- /wp:heading -->\n\n<!-- wp:paragraph -->\n<p>Queues absorb bursts.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:list -->\n<ul><li>one</li><li>two</li></ul>\n<!-- /wp:list -->\n<!-- wp:separator /-->\n<!-- wp:code -->\n<pre class=\"wp-block-code\"><code>let x = 1;\nlet y = 2;</code></pre>\n<!-- /wp:code --><!-- wp:quote --><blockquote class=\"wp-block-quote\"><p>Said.</p></blockquote><!-- /wp:quote -->";
        let md = post_markdown(html);
        assert!(!md.contains("wp:"), "{md}");
        assert!(md.contains("## Why queues"), "{md}");
        assert!(md.contains("Queues absorb bursts."), "{md}");
        assert!(md.contains("*   one") || md.contains("* one"), "{md}");
        assert!(md.contains("```\nlet x = 1;\nlet y = 2;\n```"), "{md}");
        assert!(md.contains("> Said."), "{md}");
    }

    #[test]
    fn shortcodes_go_and_their_content_stays() {
        let html = "[caption id=\"attachment_7\" align=\"alignnone\" width=\"300\"]<img src=\"https://example.com/a.jpg\" alt=\"A cat\" /> A cat on a mat[/caption]\n\n[gallery ids=\"1,2,3\"]\n\n[embed]https://www.youtube.com/watch?v=abc[/embed]\n\nArrays like a[0] and [see note] stay; [[gallery]] is text.";
        let md = post_markdown(html);
        assert!(
            !md.contains("[caption") && !md.contains("[/caption]"),
            "{md}"
        );
        assert!(md.contains("![A cat](https://example.com/a.jpg)"), "{md}");
        assert!(md.contains("A cat on a mat"), "{md}");
        assert!(!md.contains("ids="), "{md}");
        assert!(md.contains("(https://www.youtube.com/watch?v=abc)"), "{md}");
        assert!(md.contains("a\\[0\\]") || md.contains("a[0]"), "{md}");
        assert!(md.contains("see note"), "{md}");
        assert!(
            md.contains("gallery") && !md.contains("[[gallery]]"),
            "{md}"
        );
    }

    #[test]
    fn preformatted_text_keeps_its_lines() {
        let html = "Intro\n\n<pre>fn main() {\n\n    run();\n}</pre>\n\nAfter";
        let md = post_markdown(html);
        assert!(
            md.contains("```\nfn main() {\n\n    run();\n}\n```"),
            "{md}"
        );
        assert!(!md.contains("<br"), "{md}");
    }

    #[test]
    fn tables_and_headings_convert() {
        let html = "<h3>Numbers</h3>\n<table><thead><tr><th>Name</th><th>Count</th></tr></thead><tbody><tr><td>a</td><td>1</td></tr></tbody></table>";
        let md = post_markdown(html);
        assert!(md.contains("### Numbers"), "{md}");
        assert!(
            md.contains("| Name | Count |") || md.contains("|Name|Count|"),
            "{md}"
        );
        let html = crate::render::markdown_to_html(&md);
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn escaped_brackets_and_attributes() {
        assert_eq!(
            shortcode_attribute("src=\"a.mp3\" loop", "src"),
            Some("a.mp3")
        );
        assert_eq!(shortcode_attribute("datasrc=x src=y", "src"), Some("y"));
        assert!(
            strip_shortcodes("[audio src=\"https://e.com/a.mp3\"]").contains("https://e.com/a.mp3")
        );
        assert_eq!(strip_shortcodes("x [unknown a=1] y"), "x [unknown a=1] y");
    }

    #[test]
    fn plugin_shortcodes_go_when_closed_and_prose_stays() {
        assert_eq!(
            strip_shortcodes("a [contact-form-7 id=\"1\" title=\"Contact\" /] b"),
            "a  b"
        );
        assert_eq!(
            strip_shortcodes("[vc_row][vc_column width=\"1/2\"]Hi[/vc_column][/vc_row]"),
            "Hi"
        );
        assert_eq!(
            strip_shortcodes(
                "[et_pb_section fb_built=\"1\"][et_pb_text]Text[/et_pb_text][/et_pb_section]"
            ),
            "Text"
        );
        // No closing tag: prose.
        for prose in [
            "See note [1] and [see below].",
            "A stray [/vc_row] closer.",
            "Cite [1], then [2][/3].",
        ] {
            assert_eq!(strip_shortcodes(prose), prose);
        }
        // A closer before its opener closes nothing.
        assert_eq!(strip_shortcodes("[/x] and [x]y"), "[/x] and [x]y");
    }

    #[test]
    fn an_unclosed_embed_is_left_as_written() {
        let text = "[embed]https://e.com/v and the rest of the post.";
        assert_eq!(strip_shortcodes(text), text);
        assert!(!post_markdown(text).contains("](https://e.com/v and"));
    }
}
