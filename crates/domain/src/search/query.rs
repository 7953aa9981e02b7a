//! The reader's search box: what a typed query means, and how it is handed to
//! each database's full-text search without ever being read as syntax there.
//!
//! Readers may type words, `"quoted phrases"` and `-excluded` words or
//! phrases (a `-` at the start of a word or right before a quoted phrase).
//! Everything else a reader might type — unbalanced quotes, `AND`/`OR`/`NEAR`,
//! `*`, `^`, `:`, parentheses, SQL, punctuation — is plain text: it is never
//! an error and never reaches a database as an operator. Words are lowercased,
//! transliterated to ASCII ("café" becomes "cafe") and split on anything that
//! is not a letter or digit, so `c++` searches for `c` and `node.js` for the
//! two words `node` and `js` (kept next to each other inside a phrase).
//!
//! Stop words ("the", "or", "really": `crate::words`) are dropped
//! everywhere, phrases included: PostgreSQL drops them from phrases while
//! SQLite would require them, so dropping them here makes both databases find
//! the same posts. A query keeps at most [`MAX_TERMS`] terms and each word at
//! most [`MAX_WORD_CHARS`] characters, which bounds the work one search can
//! ask of the database.

use deunicode::deunicode_with_tofu_cow;

use crate::words::is_stop_word;

/// Most terms (words, phrase words and excluded words together) a query
/// keeps; the rest of the input is ignored.
pub const MAX_TERMS: usize = 32;
/// Longest word kept, in characters; longer words are cut.
pub const MAX_WORD_CHARS: usize = 64;

/// What a reader asked for in the search box.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Words a post must contain, each lowercase ASCII letters and digits.
    pub words: Vec<String>,
    /// Phrases a post must contain word for word; each has two or more words
    /// (a one-word phrase is just a word).
    pub phrases: Vec<Vec<String>>,
    /// Words (one-element) and phrases a post must not contain.
    pub excluded: Vec<Vec<String>>,
}

/// A stretch of the search box before it is split into words.
enum Piece<'a> {
    /// Plain text: each word is searched for on its own.
    Plain(&'a str),
    /// A quoted phrase.
    Phrase(&'a str),
    /// An excluded word (or word-like run such as `node.js`) or phrase.
    Excluded(&'a str),
}

impl SearchQuery {
    /// Reads whatever a reader typed. Never fails: anything that is not one
    /// of the query forms is taken as plain words.
    pub fn parse(input: &str) -> SearchQuery {
        let mut builder = Builder::default();
        for_each_piece(input, |piece| builder.add(piece));
        builder.query
    }

    /// Whether the query asks for nothing: no words and no phrases. A query of
    /// only exclusions is empty too, as it would find nothing worth showing.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    /// The query for PostgreSQL's `websearch_to_tsquery`, rebuilt from the
    /// parsed pieces only, e.g. `rust "async runtime" -tokio`. It contains only
    /// lowercase ASCII letters, digits, spaces, double quotes and `-` before an
    /// excluded word or phrase, so nothing the reader typed is read as syntax.
    pub fn to_websearch(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for word in self
            .words
            .iter()
            .flat_map(|w| clean(std::slice::from_ref(w)))
        {
            parts.push(word);
        }
        for phrase in &self.phrases {
            push_non_empty(&mut parts, phrase_text(&clean(phrase), ""));
        }
        for excluded in &self.excluded {
            push_non_empty(&mut parts, phrase_text(&clean(excluded), "-"));
        }
        parts.join(" ")
    }

    /// The query for SQLite FTS5 `MATCH`, or `None` when the query is empty.
    /// Every word and phrase is double-quoted so FTS5 syntax never applies;
    /// positives are joined by spaces (all must match) and exclusions follow a
    /// parenthesised positive group, e.g. `("rust" "async runtime") NOT "tokio"`.
    pub fn to_fts5(&self) -> Option<String> {
        let quoted =
            |words: Vec<String>| (!words.is_empty()).then(|| format!("\"{}\"", words.join(" ")));
        let positives: Vec<String> = self
            .words
            .iter()
            .flat_map(|w| clean(std::slice::from_ref(w)))
            .map(|w| format!("\"{w}\""))
            .chain(self.phrases.iter().filter_map(|p| quoted(clean(p))))
            .collect();
        if positives.is_empty() {
            return None;
        }
        let positives = positives.join(" ");
        let excluded: Vec<String> = self
            .excluded
            .iter()
            .filter_map(|e| quoted(clean(e)))
            .collect();
        if excluded.is_empty() {
            return Some(positives);
        }
        let mut out = format!("({positives})");
        for phrase in excluded {
            out.push_str(" NOT ");
            out.push_str(&phrase);
        }
        Some(out)
    }

    /// Every word a matching post contains (the words, then the words of the
    /// phrases), each once: what to highlight in results.
    pub fn positive_terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for term in self.words.iter().chain(self.phrases.iter().flatten()) {
            if !terms.contains(term) {
                terms.push(term.clone());
            }
        }
        terms
    }
}

/// Collects the words of the pieces, within the term budget.
#[derive(Default)]
struct Builder {
    query: SearchQuery,
    terms: usize,
}

impl Builder {
    /// Adds a piece; false once the budget is spent and the rest is ignored.
    fn add(&mut self, piece: Piece<'_>) -> bool {
        match piece {
            Piece::Plain(text) => {
                for word in words_of(text) {
                    if !self.add_word(word) {
                        return false;
                    }
                }
                true
            }
            Piece::Phrase(text) => {
                let words = words_of(text);
                if let [word] = words.as_slice() {
                    return self.add_word(word.clone());
                }
                self.add_phrase(words, false)
            }
            Piece::Excluded(text) => self.add_phrase(words_of(text), true),
        }
    }

    /// Adds a word unless it is there already; false once the budget is spent.
    fn add_word(&mut self, word: String) -> bool {
        if self.query.words.contains(&word) {
            return true;
        }
        if !self.take(1) {
            return false;
        }
        self.query.words.push(word);
        true
    }

    fn add_phrase(&mut self, words: Vec<String>, excluded: bool) -> bool {
        if words.is_empty() {
            return true;
        }
        let list = if excluded {
            &self.query.excluded
        } else {
            &self.query.phrases
        };
        if list.contains(&words) {
            return true;
        }
        if !self.take(words.len()) {
            return false;
        }
        if excluded {
            self.query.excluded.push(words);
        } else {
            self.query.phrases.push(words);
        }
        true
    }

    /// Reserves `n` terms of the budget, if that many are left.
    fn take(&mut self, n: usize) -> bool {
        if self.terms + n > MAX_TERMS {
            return false;
        }
        self.terms += n;
        true
    }
}

fn is_quote(c: char) -> bool {
    // Phones and word processors turn " into curly quotes.
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}')
}

/// Splits the search box into pieces, in order, until `add` says stop.
fn for_each_piece<'a>(input: &'a str, mut add: impl FnMut(Piece<'a>) -> bool) {
    let closing_quote = |from: usize| input[from..].find(is_quote).map(|at| from + at);
    // A run of text up to whitespace or a quote.
    let run_end = |from: usize| {
        input[from..]
            .find(|c: char| c.is_whitespace() || is_quote(c))
            .map_or(input.len(), |at| from + at)
    };
    let mut at = 0;
    let mut after_space = true;
    while let Some(c) = input[at..].chars().next() {
        let next_at = at + c.len_utf8();
        if c.is_whitespace() {
            after_space = true;
            at = next_at;
            continue;
        }
        let at_word_start = after_space;
        after_space = false;
        if is_quote(c) {
            // An unbalanced quote is just punctuation.
            if let Some(close) = closing_quote(next_at) {
                if !add(Piece::Phrase(&input[next_at..close])) {
                    return;
                }
                at = close + input[close..].chars().next().map_or(1, char::len_utf8);
            } else {
                at = next_at;
            }
            continue;
        }
        if c == '-' && at_word_start {
            match input[next_at..].chars().next() {
                Some(q) if is_quote(q) => {
                    let open_end = next_at + q.len_utf8();
                    if let Some(close) = closing_quote(open_end) {
                        if !add(Piece::Excluded(&input[open_end..close])) {
                            return;
                        }
                        at = close + input[close..].chars().next().map_or(1, char::len_utf8);
                        continue;
                    }
                }
                Some(w) if w.is_alphanumeric() => {
                    let end = run_end(next_at);
                    if !add(Piece::Excluded(&input[next_at..end])) {
                        return;
                    }
                    at = end;
                    continue;
                }
                _ => {}
            }
        }
        let end = run_end(at);
        if !add(Piece::Plain(&input[at..end])) {
            return;
        }
        at = end;
    }
}

/// The searchable words of a stretch of text: ASCII, lowercase, split on
/// anything else, cut to [`MAX_WORD_CHARS`], stop words dropped.
fn words_of(text: &str) -> Vec<String> {
    deunicode_with_tofu_cow(text, " ")
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word[..word.len().min(MAX_WORD_CHARS)].to_owned())
        .filter(|word| !is_stop_word(word))
        .collect()
}

/// The words of a piece reduced to lowercase ASCII letters and digits, so the
/// database strings stay safe even for a query built by hand.
fn clean(words: &[String]) -> Vec<String> {
    words
        .iter()
        .flat_map(|word| {
            word.to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `prefix` then the word, or the quoted phrase; empty for no words.
fn phrase_text(words: &[String], prefix: &str) -> String {
    match words {
        [] => String::new(),
        [word] => format!("{prefix}{word}"),
        _ => format!("{prefix}\"{}\"", words.join(" ")),
    }
}

fn push_non_empty(parts: &mut Vec<String>, part: String) {
    if !part.is_empty() {
        parts.push(part);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn query(words: &[&str], phrases: &[&[&str]], excluded: &[&[&str]]) -> SearchQuery {
        SearchQuery {
            words: strings(words),
            phrases: phrases.iter().map(|p| strings(p)).collect(),
            excluded: excluded.iter().map(|p| strings(p)).collect(),
        }
    }

    fn term_count(q: &SearchQuery) -> usize {
        q.words.len()
            + q.phrases.iter().map(Vec::len).sum::<usize>()
            + q.excluded.iter().map(Vec::len).sum::<usize>()
    }

    /// The checks every query's database strings must pass.
    fn assert_well_formed(q: &SearchQuery) {
        let fts5 = q.to_fts5();
        assert_eq!(fts5.is_none(), q.is_empty(), "{q:?}");
        if let Some(fts5) = fts5 {
            assert_eq!(fts5.matches('"').count() % 2, 0, "{fts5}");
            for (i, part) in fts5.split('"').enumerate() {
                if i % 2 == 1 {
                    assert!(!part.is_empty(), "{fts5}");
                    assert!(
                        part.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '),
                        "{fts5}"
                    );
                } else {
                    assert!(
                        part.replace("NOT", "").chars().all(|c| "() ".contains(c)),
                        "{fts5}"
                    );
                }
            }
        }
        let web = q.to_websearch();
        assert!(
            web.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || " \"-".contains(c)),
            "{web}"
        );
        assert_eq!(web.matches('"').count() % 2, 0, "{web}");
        for (i, c) in web.char_indices() {
            if c == '-' {
                assert!(i == 0 || web[..i].ends_with(' '), "{web}");
            }
        }
        assert!(term_count(q) <= MAX_TERMS, "{q:?}");
        for word in q
            .words
            .iter()
            .chain(q.phrases.iter().flatten())
            .chain(q.excluded.iter().flatten())
        {
            assert!(!word.is_empty() && word.len() <= MAX_WORD_CHARS, "{q:?}");
            assert!(
                word.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            assert!(!is_stop_word(word));
        }
        assert!(q.phrases.iter().all(|p| p.len() >= 2));
        assert!(q.excluded.iter().all(|p| !p.is_empty()));
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let q = SearchQuery::parse(r#"Rust "async runtime" -tokio"#);
        assert_eq!(q, query(&["rust"], &[&["async", "runtime"]], &[&["tokio"]]));
        assert_eq!(q.to_websearch(), r#"rust "async runtime" -tokio"#);
        assert_eq!(
            q.to_fts5().as_deref(),
            Some(r#"("rust" "async runtime") NOT "tokio""#)
        );
        assert_eq!(q.positive_terms(), strings(&["rust", "async", "runtime"]));
        assert!(!q.is_empty());
    }

    #[test]
    fn excluded_phrases_and_word_runs() {
        let q = SearchQuery::parse(r#"css -"grid layout" -node.js"#);
        assert_eq!(
            q,
            query(&["css"], &[], &[&["grid", "layout"], &["node", "js"]])
        );
        assert_eq!(q.to_websearch(), r#"css -"grid layout" -"node js""#);
        assert_eq!(
            q.to_fts5().as_deref(),
            Some(r#"("css") NOT "grid layout" NOT "node js""#)
        );
    }

    #[test]
    fn without_exclusions_fts5_needs_no_group() {
        let q = SearchQuery::parse(r#"rust "borrow checker""#);
        assert_eq!(q.to_fts5().as_deref(), Some(r#""rust" "borrow checker""#));
    }

    #[test]
    fn words_are_split_on_punctuation() {
        assert_eq!(SearchQuery::parse("c++").words, ["c"]);
        assert_eq!(SearchQuery::parse("node.js").words, ["node", "js"]);
        let q = SearchQuery::parse(r#""node.js streams""#);
        assert_eq!(q.phrases, [strings(&["node", "js", "streams"])]);
        assert_eq!(SearchQuery::parse("foo-bar").words, ["foo", "bar"]);
        assert_eq!(SearchQuery::parse("Café CRÈME").words, ["cafe", "creme"]);
    }

    #[test]
    fn stop_words_are_dropped_everywhere() {
        let q = SearchQuery::parse(r#"the rust "state of the art" -the -"of the""#);
        assert_eq!(q, query(&["rust"], &[&["state", "art"]], &[]));
        // A phrase left with one word is that word; duplicates count once.
        let q = SearchQuery::parse(r#""the rust" rust "Rust""#);
        assert_eq!(q, query(&["rust"], &[], &[]));
    }

    #[test]
    fn only_exclusions_or_nothing_is_empty() {
        for input in [
            "",
            "   ",
            "-tokio",
            "-\"a b\"",
            "the of and",
            "\"\"",
            "-",
            "***",
        ] {
            let q = SearchQuery::parse(input);
            assert!(q.is_empty(), "{input}");
            assert_eq!(q.to_fts5(), None, "{input}");
            assert!(q.positive_terms().is_empty());
        }
        assert_eq!(SearchQuery::parse("-tokio").to_websearch(), "-tokio");
    }

    #[test]
    fn injection_attempts_are_plain_words() {
        let cases: &[(&str, &[&str])] = &[
            (r#""; DROP TABLE posts; --"#, &["drop", "table"]),
            ("title:foo", &["title", "foo"]),
            ("foo*", &["foo"]),
            ("NEAR(a b)", &["near", "b"]),
            ("a OR b", &["b"]),
            ("rust AND async", &["rust", "async"]),
            ("x^2 (y)", &["x", "2", "y"]),
            ("\"abc", &["abc"]),
            ("abc\"", &["abc"]),
            ("-", &[]),
            ("--x", &["x"]),
            ("- x", &["x"]),
            ("-\"unclosed", &["unclosed"]),
            ("' OR 1=1 --", &["1"]),
            ("body: {} [] \\ ; %", &["body"]),
        ];
        for (input, words) in cases {
            let q = SearchQuery::parse(input);
            assert_eq!(q, query(words, &[], &[]), "{input}");
            assert_well_formed(&q);
        }
        let q = SearchQuery::parse("\"; DROP TABLE posts; --");
        assert_eq!(q.to_fts5().as_deref(), Some(r#""drop" "table""#));
        assert_eq!(q.to_websearch(), "drop table");
    }

    #[test]
    fn quoted_operators_stay_words() {
        let q = SearchQuery::parse(r#""rust OR go" "NOT fast""#);
        assert_eq!(q, query(&["fast"], &[&["rust", "go"]], &[]));
        assert_well_formed(&q);
    }

    #[test]
    fn curly_quotes_make_phrases() {
        let q = SearchQuery::parse("\u{201C}async runtime\u{201D}");
        assert_eq!(q.phrases, [strings(&["async", "runtime"])]);
    }

    #[test]
    fn term_and_word_limits() {
        let input: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
        let q = SearchQuery::parse(&input.join(" "));
        assert_eq!(q.words.len(), MAX_TERMS);
        assert_eq!(q.words.last().map(String::as_str), Some("w31"));

        // A phrase that does not fit ends the query.
        let q = SearchQuery::parse(&format!("{} \"x y\" z", input[..31].join(" ")));
        assert_eq!(term_count(&q), 31);
        assert!(q.phrases.is_empty());

        let long = "a".repeat(100);
        let q = SearchQuery::parse(&format!("{long} -{long}"));
        assert_eq!(q.words, ["a".repeat(MAX_WORD_CHARS)]);
        assert_eq!(q.excluded, [vec!["a".repeat(MAX_WORD_CHARS)]]);
    }

    #[test]
    fn outputs_stay_safe_for_hand_built_queries() {
        let q = query(&["Rust\"", "*"], &[&["a\" OR", "b"]], &[&[") NOT ("]]);
        assert_well_formed_outputs(&q);
        assert_eq!(
            q.to_fts5().as_deref(),
            Some(r#"("rust" "a or b") NOT "not""#)
        );
        assert_eq!(q.to_websearch(), r#"rust "a or b" -not"#);
    }

    fn assert_well_formed_outputs(q: &SearchQuery) {
        let fts5 = q.to_fts5().unwrap_or_default();
        assert_eq!(fts5.matches('"').count() % 2, 0);
        let web = q.to_websearch();
        assert!(
            web.chars()
                .all(|c| c.is_ascii_alphanumeric() || " \"-".contains(c))
        );
    }

    proptest! {
        #[test]
        fn any_input_parses_to_safe_queries(input in any::<String>()) {
            assert_well_formed(&SearchQuery::parse(&input));
        }

        #[test]
        fn syntax_like_input_parses_to_safe_queries(
            input in "[\"\\-()*:^ a-zA-Z0-9.\u{201C}\u{201D}]{0,120}"
        ) {
            assert_well_formed(&SearchQuery::parse(&input));
        }

        #[test]
        fn many_words_respect_the_limits(
            words in proptest::collection::vec("[a-z]{1,80}", 0..80),
            quote_every in 1usize..6,
        ) {
            let input: String = words
                .iter()
                .enumerate()
                .map(|(i, w)| if i % quote_every == 0 { format!("\"{w} {w}x\" -{w}y ") } else { format!("{w} ") })
                .collect();
            assert_well_formed(&SearchQuery::parse(&input));
        }
    }
}
