//! Search results' snippets as safe HTML: the database's highlighted
//! fragment of Markdown source, read as text, escaped, with `<mark>` around
//! the matches.

use crate::render::{TextView, markdown_text};

/// Marks where a match starts in a highlighted fragment from the database.
pub const MARK_START: &str = "\u{2}";
/// Marks where a match ends in a highlighted fragment from the database.
pub const MARK_END: &str = "\u{3}";

const START_CHAR: char = '\u{2}';
const END_CHAR: char = '\u{3}';

/// A search result fragment as safe HTML for the results page.
///
/// The database returns the fragment with each match between [`MARK_START`]
/// and [`MARK_END`]. Everything is HTML-escaped (`&`, `<`, `>`, `"`, `'`) and
/// only then are the markers turned into `<mark>` and `</mark>`: an end
/// without a start is dropped, a start never ended is closed at the end of the
/// fragment, and empty highlights vanish. Fragments are cut from the Markdown
/// source, so they are read as Markdown ([`TextView::Fragment`]): emphasis,
/// code, heading and quote punctuation go, `snake_case` stays, and
/// `[text](url)` (or `![alt](url)`) becomes its text. Links are undone
/// before that, as the cut may leave half a link that no Markdown reader
/// would see as one (the opening bracket or the end of the target cut off).
/// Whitespace is collapsed to single spaces.
pub fn snippet_html(fragment: &str) -> String {
    render_marked(&markdown_text(&strip_links(fragment), TextView::Fragment))
}

/// `[text](url)` → `text`, see [`snippet_html`].
fn strip_links(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut seen_open_bracket = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '!' && chars.get(i + 1) == Some(&'[') && link_at(&chars, i + 1).is_some() {
            i += 1;
            continue;
        }
        if c == '[' {
            seen_open_bracket = true;
            if let Some((text_end, after)) = link_at(&chars, i) {
                out.extend(&chars[i + 1..text_end]);
                i = after;
                continue;
            }
        }
        if c == ']' && !seen_open_bracket && chars.get(i + 1) == Some(&'(') {
            // The snippet began inside the link text: drop the target.
            i = target_end(&chars, i + 1);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// For a `[` at `open` that starts `[text](url)`: where the text ends (the
/// `]`) and the index after the link.
fn link_at(chars: &[char], open: usize) -> Option<(usize, usize)> {
    for (j, &c) in chars.iter().enumerate().skip(open + 1) {
        match c {
            '[' | '\n' => return None,
            ']' if chars.get(j + 1) == Some(&'(') => return Some((j, target_end(chars, j + 1))),
            ']' => return None,
            _ => {}
        }
    }
    None
}

/// The index after the `)` matching the `(` at `paren`, or the end of the
/// fragment when the snippet cut the link target off.
fn target_end(chars: &[char], paren: usize) -> usize {
    let mut depth = 0usize;
    for (k, &c) in chars.iter().enumerate().skip(paren) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    chars.len()
}

/// HTML-escapes `text`, turns the markers into `<mark>` elements and collapses
/// whitespace, see [`snippet_html`].
fn render_marked(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    let mut open_written = false;
    let mut pending_space = false;
    for c in text.chars() {
        match c {
            START_CHAR => {
                if !open {
                    open = true;
                    open_written = false;
                }
            }
            END_CHAR => {
                if open && open_written {
                    out.push_str("</mark>");
                }
                open = false;
            }
            c if c.is_whitespace() || c.is_control() => pending_space = !out.is_empty(),
            c => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                if open && !open_written {
                    out.push_str("<mark>");
                    open_written = true;
                }
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
            }
        }
    }
    if open && open_written {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_html() {
        assert_eq!(
            snippet_html("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn snippet_markers_become_marks() {
        let fragment =
            format!("use {MARK_START}tokio{MARK_END} for {MARK_START}async{MARK_END} io");
        assert_eq!(
            snippet_html(&fragment),
            "use <mark>tokio</mark> for <mark>async</mark> io"
        );
        let escaped = format!("{MARK_START}<b>{MARK_END}");
        assert_eq!(snippet_html(&escaped), "<mark>&lt;b&gt;</mark>");
    }

    #[test]
    fn unbalanced_snippet_markers() {
        assert_eq!(snippet_html(&format!("a{MARK_END} b")), "a b");
        assert_eq!(
            snippet_html(&format!("a {MARK_START}b c")),
            "a <mark>b c</mark>"
        );
        assert_eq!(
            snippet_html(&format!("{MARK_START}{MARK_START}a{MARK_END}{MARK_END} b")),
            "<mark>a</mark> b"
        );
        assert_eq!(snippet_html(&format!("a {MARK_START}{MARK_END} b")), "a b");
        assert_eq!(
            snippet_html(&format!("a{MARK_START} b{MARK_END}")),
            "a <mark>b</mark>"
        );
    }

    #[test]
    fn snippet_markdown_is_tidied() {
        assert_eq!(
            snippet_html("see [the **guide**](https://example.com/a_(b)) now"),
            "see the guide now"
        );
        assert_eq!(snippet_html("![a diagram](x.png) here"), "a diagram here");
        assert_eq!(
            snippet_html(&format!(
                "[{MARK_START}rust{MARK_END} book](https://x.org/{MARK_START}rust{MARK_END})"
            )),
            "<mark>rust</mark> book"
        );
        assert_eq!(
            snippet_html("ust book](https://doc.rust-lang.org) explains"),
            "ust book explains"
        );
        assert_eq!(
            snippet_html("read [the docs](https://exam"),
            "read the docs"
        );
        assert_eq!(
            snippet_html("arr[0] and [note] (aside)"),
            "arr[0] and [note] (aside)"
        );
        assert_eq!(
            snippet_html("## Setup\n\n> Use `cargo` _now_, ~~not~~ __later__; my_var in C# a > b"),
            "Setup Use cargo now, not later; my_var in C# a &gt; b"
        );
        assert_eq!(snippet_html("  lots \n\t of   space  "), "lots of space");
    }
}
