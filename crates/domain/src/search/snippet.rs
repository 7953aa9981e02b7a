//! Search results' snippets: the database's highlighted fragment of
//! Markdown source, read as text, either as safe HTML with `<mark>` around
//! the matches or as plain text with the matches' ranges.

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
    let mut out = String::with_capacity(fragment.len() + 16);
    read_marked(fragment, |piece| match piece {
        Piece::MarkStart => out.push_str("<mark>"),
        Piece::MarkEnd => out.push_str("</mark>"),
        Piece::Char('&') => out.push_str("&amp;"),
        Piece::Char('<') => out.push_str("&lt;"),
        Piece::Char('>') => out.push_str("&gt;"),
        Piece::Char('"') => out.push_str("&quot;"),
        Piece::Char('\'') => out.push_str("&#39;"),
        Piece::Char(c) => out.push(c),
    });
    out
}

/// A search result fragment as plain text with the matches' ranges, for
/// clients that lay text out themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetText {
    /// The text [`snippet_html`] shows, unescaped.
    pub text: String,
    /// Each match as `(start, end)`, end exclusive, in order and apart. The
    /// offsets count UTF-16 code units, as JavaScript strings index, so a
    /// client slices `text.slice(start, end)` with no conversion; an emoji
    /// or any character beyond U+FFFF counts two.
    pub highlights: Vec<(usize, usize)>,
}

/// A search result fragment as [`SnippetText`]: the same text and the same
/// matches as [`snippet_html`], read the same way.
pub fn snippet_text(fragment: &str) -> SnippetText {
    let mut text = String::with_capacity(fragment.len());
    let mut highlights = Vec::new();
    let mut offset = 0;
    let mut start = 0;
    read_marked(fragment, |piece| match piece {
        Piece::MarkStart => start = offset,
        Piece::MarkEnd => highlights.push((start, offset)),
        Piece::Char(c) => {
            text.push(c);
            offset += c.len_utf16();
        }
    });
    SnippetText { text, highlights }
}

/// What [`read_marked`] hands on, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A character shown; whitespace comes as a single space.
    Char(char),
    /// A match starts at the next character.
    MarkStart,
    /// The match ends after the last character.
    MarkEnd,
}

/// Reads a highlighted fragment as [`snippet_html`] describes, handing each
/// character and each end of a non-empty match to `visit`: the one reading
/// that every form of a snippet is written from.
fn read_marked(fragment: &str, visit: impl FnMut(Piece)) {
    walk_marked(
        &markdown_text(&strip_links(fragment), TextView::Fragment),
        visit,
    );
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

/// Pairs the markers in `text` and collapses its whitespace, see
/// [`snippet_html`].
fn walk_marked(text: &str, mut visit: impl FnMut(Piece)) {
    let mut shown_any = false;
    let mut open = false;
    let mut open_shown = false;
    let mut pending_space = false;
    for c in text.chars() {
        match c {
            START_CHAR => {
                if !open {
                    open = true;
                    open_shown = false;
                }
            }
            END_CHAR => {
                if open && open_shown {
                    visit(Piece::MarkEnd);
                }
                open = false;
            }
            c if c.is_whitespace() || c.is_control() => pending_space = shown_any,
            c => {
                if pending_space {
                    visit(Piece::Char(' '));
                    pending_space = false;
                }
                if open && !open_shown {
                    visit(Piece::MarkStart);
                    open_shown = true;
                }
                visit(Piece::Char(c));
                shown_any = true;
            }
        }
    }
    if open && open_shown {
        visit(Piece::MarkEnd);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What JavaScript's `text.slice(start, end)` returns.
    fn js_slice(text: &str, (start, end): (usize, usize)) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16_lossy(units.get(start..end).unwrap_or_default())
    }

    /// `snippet` written as [`snippet_html`] writes it.
    fn as_html(snippet: &SnippetText) -> String {
        let mut html = String::new();
        let mut offset = 0;
        for c in snippet.text.chars() {
            if snippet.highlights.iter().any(|&(start, _)| start == offset) {
                html.push_str("<mark>");
            }
            html.push_str(&match c {
                '&' => "&amp;".to_owned(),
                '<' => "&lt;".to_owned(),
                '>' => "&gt;".to_owned(),
                '"' => "&quot;".to_owned(),
                '\'' => "&#39;".to_owned(),
                c => c.to_string(),
            });
            offset += c.len_utf16();
            if snippet.highlights.iter().any(|&(_, end)| end == offset) {
                html.push_str("</mark>");
            }
        }
        html
    }

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

    #[test]
    fn snippet_text_offsets_are_utf16_units() {
        let snippet = snippet_text(&format!(
            "🦀 crab  {MARK_START}café{MARK_END} &\n<b> {MARK_START}𝄞 clef{MARK_END}!"
        ));
        assert_eq!(snippet.text, "🦀 crab café & <b> 𝄞 clef!");
        // 🦀 is two units, so "café" starts at 8, not at its 7th character.
        assert_eq!(snippet.highlights, [(8, 12), (19, 26)]);
        let marked: Vec<String> = snippet
            .highlights
            .iter()
            .map(|&range| js_slice(&snippet.text, range))
            .collect();
        assert_eq!(marked, ["café", "𝄞 clef"]);
    }

    #[test]
    fn snippet_text_is_the_html_unescaped() {
        for fragment in [
            format!("use {MARK_START}tokio{MARK_END} for {MARK_START}async{MARK_END} io"),
            format!("a{MARK_END} b {MARK_START}{MARK_END} c{MARK_START} d"),
            format!("{MARK_START}{MARK_START}a{MARK_END}{MARK_END} b"),
            format!("[{MARK_START}rust{MARK_END} book](https://x.org/{MARK_START}rust{MARK_END})"),
            "## Setup\n\n> `cargo` <b>x</b> 'q' \"r\" a & b".to_owned(),
            String::new(),
        ] {
            let snippet = snippet_text(&fragment);
            assert_eq!(as_html(&snippet), snippet_html(&fragment), "{fragment:?}");
        }
        assert_eq!(
            snippet_text(&format!("a {MARK_START}b c")),
            SnippetText {
                text: "a b c".into(),
                highlights: vec![(2, 5)],
            }
        );
    }

    proptest! {
        #[test]
        fn snippet_text_and_html_agree(fragment in "[a-zé🦀 \n<>&'\"*_\\[\\]()\u{2}\u{3}]{0,40}") {
            let snippet = snippet_text(&fragment);
            prop_assert_eq!(as_html(&snippet), snippet_html(&fragment));
            for &(start, end) in &snippet.highlights {
                prop_assert!(start < end);
                prop_assert!(!js_slice(&snippet.text, (start, end)).is_empty());
            }
        }
    }
}
