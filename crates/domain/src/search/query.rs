//! The reader's search box: what a typed query means, and how it is handed to
//! each database's full-text search without ever being read as syntax there.
//!
//! Readers may type words, `"quoted phrases"` and `-excluded` words or
//! phrases (a `-` at the start of a word or right before a quoted phrase).
//! The last word typed, and any word followed by `*`, also matches as the
//! start of a longer word (`kuber` finds "Kubernetes"), because search boxes
//! query as the reader types. Everything else a reader might type —
//! unbalanced quotes, `AND`/`OR`/`NEAR`, `^`, `:`, parentheses, SQL,
//! punctuation — is plain text: it is never an error and never reaches a
//! database as an operator. Words are lowercased,
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

use std::collections::HashMap;

use deunicode::deunicode_with_tofu_cow;

use crate::words::is_stop_word;

/// Most terms (words, phrase words and excluded words together) a query
/// keeps; the rest of the input is ignored.
pub const MAX_TERMS: usize = 32;
/// Longest word kept, in characters; longer words are cut.
pub const MAX_WORD_CHARS: usize = 64;
/// Shortest word that also matches as a prefix: one letter would match
/// nearly every post and say nothing.
pub const MIN_PREFIX_CHARS: usize = 2;

/// Close words to try beside a typed word that no post contains, by typed
/// word (see `dictionary`).
pub type Corrections = HashMap<String, Vec<String>>;

/// How forgiving a rendering of the query is. Results are ranked by the
/// strictest rendering they match: as typed, then with prefixes, then with
/// corrections.
#[derive(Debug, Clone, Copy)]
pub struct Forgiveness<'a> {
    /// Prefix words also match longer words.
    pub prefixes: bool,
    /// Words tried beside the typed ones.
    pub corrections: Option<&'a Corrections>,
}

impl Forgiveness<'_> {
    /// Every word exactly as typed.
    pub const EXACT: Forgiveness<'static> = Forgiveness {
        prefixes: false,
        corrections: None,
    };
    /// As typed, prefix words matching longer words too.
    pub const TYPED: Forgiveness<'static> = Forgiveness {
        prefixes: true,
        corrections: None,
    };
}

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
    /// Words of `words` that also match as the start of a longer word: the
    /// last one typed, and those marked with `*`.
    pub prefixes: Vec<String>,
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
        let mut query = builder.query;
        if let Some(last) = builder.last_word
            && !query.prefixes.contains(&last)
        {
            query.prefixes.push(last);
        }
        query.prefixes.retain(|w| w.len() >= MIN_PREFIX_CHARS);
        query
    }

    /// Whether the query asks for nothing: no words and no phrases. A query of
    /// only exclusions is empty too, as it would find nothing worth showing.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    /// The query for PostgreSQL's `to_tsquery`, or `None` when the query is
    /// empty, e.g. `'rust' & ('kuber':* | 'tuber') & 'async' <-> 'runtime' &
    /// !'tokio'`. Terms are single-quoted and contain only lowercase ASCII
    /// letters and digits, so nothing the reader typed is read as syntax.
    pub fn to_tsquery(&self, how: Forgiveness<'_>) -> Option<String> {
        let quote = |w: &str| format!("'{w}'");
        let positives: Vec<String> = self
            .words
            .iter()
            .filter_map(|w| self.alternatives(w, how, quote, |w| format!("'{w}':*"), " | "))
            .chain(
                self.phrases
                    .iter()
                    .filter_map(|p| phrase_tsquery(&clean(p))),
            )
            .collect();
        if positives.is_empty() {
            return None;
        }
        let mut parts = positives;
        parts.extend(
            self.excluded
                .iter()
                .filter_map(|e| phrase_tsquery(&clean(e)))
                .map(|e| format!("!({e})")),
        );
        Some(parts.join(" & "))
    }

    /// The query for SQLite FTS5 `MATCH`, or `None` when the query is empty.
    /// Every word and phrase is double-quoted so FTS5 syntax never applies;
    /// positives are joined by `AND`, a word's alternatives by `OR`, and
    /// exclusions follow a parenthesised positive group, e.g.
    /// `("rust" AND ("kuber" OR "kuber"*) AND "async runtime") NOT "tokio"`.
    pub fn to_fts5(&self, how: Forgiveness<'_>) -> Option<String> {
        let quoted =
            |words: Vec<String>| (!words.is_empty()).then(|| format!("\"{}\"", words.join(" ")));
        let positives: Vec<String> = self
            .words
            .iter()
            .filter_map(|w| self.alternatives(w, how, |w| format!("\"{w}\""), fts5_prefix, " OR "))
            .chain(self.phrases.iter().filter_map(|p| quoted(clean(p))))
            .collect();
        if positives.is_empty() {
            return None;
        }
        // FTS5 joins a parenthesised group to its neighbours only with an
        // explicit AND.
        let positives = positives.join(" AND ");
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

    /// A word as a term, or a group of the ways it may match: the word, the
    /// word as a prefix, and its corrections.
    fn alternatives(
        &self,
        word: &str,
        how: Forgiveness<'_>,
        exact: impl Fn(&str) -> String,
        prefix: impl Fn(&str) -> String,
        or: &str,
    ) -> Option<String> {
        let mut word = clean(std::slice::from_ref(&word.to_owned()));
        // A clean word is one word; a hand-built one may split.
        if word.len() != 1 {
            return phrase_of(&word, &exact);
        }
        let word = word.pop()?;
        let mut terms = Vec::new();
        if how.prefixes && self.prefixes.contains(&word) {
            // The word itself too: a stemmer may shorten a whole word
            // ("kubernetes" is stored as "kubernet") below the typed prefix.
            terms.push(exact(&word));
            terms.push(prefix(&word));
        } else {
            terms.push(exact(&word));
        }
        if let Some(corrections) = how.corrections.and_then(|c| c.get(&word)) {
            terms.extend(
                corrections
                    .iter()
                    .filter_map(|c| phrase_of(&clean(std::slice::from_ref(c)), &exact)),
            );
        }
        Some(if terms.len() == 1 {
            terms.swap_remove(0)
        } else {
            format!("({})", terms.join(or))
        })
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
    /// The last word typed, when the query ends with a plain word.
    last_word: Option<String>,
}

impl Builder {
    /// Adds a piece; false once the budget is spent and the rest is ignored.
    fn add(&mut self, piece: Piece<'_>) -> bool {
        match piece {
            Piece::Plain(text) => {
                for (word, starred) in marked_words(text) {
                    let Some(word) = word else {
                        // A stop word typed last is no prefix to complete.
                        self.last_word = None;
                        continue;
                    };
                    if !self.add_word(word.clone()) {
                        return false;
                    }
                    if starred && !self.query.prefixes.contains(&word) {
                        self.query.prefixes.push(word.clone());
                    }
                    self.last_word = Some(word);
                }
                true
            }
            Piece::Phrase(text) => {
                self.last_word = None;
                let words = words_of(text);
                if let [word] = words.as_slice() {
                    return self.add_word(word.clone());
                }
                self.add_phrase(words, false)
            }
            Piece::Excluded(text) => {
                self.last_word = None;
                self.add_phrase(words_of(text), true)
            }
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
pub(crate) fn words_of(text: &str) -> Vec<String> {
    marked_words(text)
        .into_iter()
        .filter_map(|(word, _)| word)
        .collect()
}

/// The words of a stretch of text as `words_of` reads them, each with
/// whether a `*` follows it; a stop word is `None`, kept in its place.
fn marked_words(text: &str) -> Vec<(Option<String>, bool)> {
    let text = deunicode_with_tofu_cow(text, " ").to_ascii_lowercase();
    let mut words = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        let run = &rest[start..];
        let end = run
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(run.len());
        let word = &run[..end.min(MAX_WORD_CHARS)];
        let starred = run[end..].starts_with('*');
        words.push(((!is_stop_word(word)).then(|| word.to_owned()), starred));
        rest = &run[end..];
    }
    words
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

/// A prefix term for FTS5. Its Porter stemmer stems a prefix as a word,
/// and rewrites a final "y" as "i" ("deploy" as "deploi"), which "deploy"
/// then no longer begins ("deployment" is stored as "deploy"): such a word
/// is also looked for without its "y", when five letters remain (a shorter
/// remainder, "ke" of "key", begins too many other words).
fn fts5_prefix(word: &str) -> String {
    match word.strip_suffix('y') {
        Some(stem) if stem.len() >= FTS5_Y_STEM_CHARS => {
            format!("\"{word}\"* OR \"{stem}\"*")
        }
        _ => format!("\"{word}\"*"),
    }
}

/// Shortest remainder of a word without its final "y" looked for as a
/// prefix on SQLite (see `fts5_prefix`).
const FTS5_Y_STEM_CHARS: usize = 5;

/// A phrase for `to_tsquery`: its words quoted together, which PostgreSQL
/// reads as adjacent terms (`'async runtime'` is `'async' <-> 'runtim'`);
/// `None` for no words.
fn phrase_tsquery(words: &[String]) -> Option<String> {
    phrase_of(words, |w| format!("'{w}'"))
}

/// Words quoted together as one phrase; `None` for no words.
fn phrase_of(words: &[String], quote: impl Fn(&str) -> String) -> Option<String> {
    match words {
        [] => None,
        [word] => Some(quote(word)),
        _ => Some(quote(&words.join(" "))),
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
            prefixes: Vec::new(),
        }
    }

    fn with_prefixes(mut q: SearchQuery, prefixes: &[&str]) -> SearchQuery {
        q.prefixes = strings(prefixes);
        q
    }

    fn corrections(pairs: &[(&str, &[&str])]) -> Corrections {
        pairs
            .iter()
            .map(|(w, c)| ((*w).to_owned(), strings(c)))
            .collect()
    }

    fn term_count(q: &SearchQuery) -> usize {
        q.words.len()
            + q.phrases.iter().map(Vec::len).sum::<usize>()
            + q.excluded.iter().map(Vec::len).sum::<usize>()
    }

    /// The checks every query's database strings must pass.
    /// Quoted parts hold only lowercase letters, digits and spaces; what
    /// lies between them only the operators each database is meant to read.
    fn assert_quoted_safely(text: &str, quote: char, operators: &[&str], between: &str) {
        assert_eq!(text.matches(quote).count() % 2, 0, "{text}");
        for (i, part) in text.split(quote).enumerate() {
            if i % 2 == 1 {
                assert!(!part.is_empty(), "{text}");
                assert!(
                    part.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '),
                    "{text}"
                );
            } else {
                let rest = operators
                    .iter()
                    .fold(part.to_owned(), |rest, op| rest.replace(op, ""));
                assert!(rest.chars().all(|c| between.contains(c)), "{text}");
            }
        }
    }

    fn assert_well_formed(q: &SearchQuery) {
        let some = corrections(&[]);
        let forgiving = Forgiveness {
            prefixes: true,
            corrections: Some(&some),
        };
        for how in [Forgiveness::EXACT, Forgiveness::TYPED, forgiving] {
            let fts5 = q.to_fts5(how);
            assert_eq!(fts5.is_none(), q.is_empty(), "{q:?}");
            assert_quoted_safely(
                &fts5.unwrap_or_default(),
                '"',
                &["NOT", "AND", "OR"],
                "() *",
            );
            let tsquery = q.to_tsquery(how);
            assert_eq!(tsquery.is_none(), q.is_empty(), "{q:?}");
            assert_quoted_safely(&tsquery.unwrap_or_default(), '\'', &["<->"], "()&|!:* ");
        }
        for prefix in &q.prefixes {
            assert!(q.words.contains(prefix) && prefix.len() >= MIN_PREFIX_CHARS);
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
        assert_eq!(
            q.to_tsquery(Forgiveness::TYPED).as_deref(),
            Some("'rust' & 'async runtime' & !('tokio')")
        );
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#"("rust" AND "async runtime") NOT "tokio""#)
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
        assert_eq!(
            q.to_tsquery(Forgiveness::TYPED).as_deref(),
            Some("'css' & !('grid layout') & !('node js')")
        );
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#"("css") NOT "grid layout" NOT "node js""#)
        );
    }

    #[test]
    fn without_exclusions_fts5_needs_no_group() {
        let q = SearchQuery::parse(r#"rust "borrow checker""#);
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#""rust" AND "borrow checker""#)
        );
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
            assert_eq!(q.to_fts5(Forgiveness::TYPED), None, "{input}");
            assert_eq!(q.to_tsquery(Forgiveness::TYPED), None, "{input}");
            assert!(q.positive_terms().is_empty());
        }
    }

    #[test]
    fn injection_attempts_are_plain_words() {
        // The last word typed (two letters or more) is also a prefix.
        let cases: &[(&str, &[&str], &[&str])] = &[
            (r#""; DROP TABLE posts; --"#, &["drop", "table"], &[]),
            ("title:foo", &["title", "foo"], &["foo"]),
            ("foo*", &["foo"], &["foo"]),
            ("NEAR(a b)", &["near", "b"], &[]),
            ("a OR b", &["b"], &[]),
            ("rust AND async", &["rust", "async"], &["async"]),
            ("x^2 (y)", &["x", "2", "y"], &[]),
            ("\"abc", &["abc"], &["abc"]),
            ("abc\"", &["abc"], &["abc"]),
            ("-", &[], &[]),
            ("--x", &["x"], &[]),
            ("- x", &["x"], &[]),
            ("-\"unclosed", &["unclosed"], &["unclosed"]),
            ("' OR 1=1 --", &["1"], &[]),
            ("body: {} [] \\ ; %", &["body"], &["body"]),
        ];
        for (input, words, prefixes) in cases {
            let q = SearchQuery::parse(input);
            assert_eq!(
                q,
                with_prefixes(query(words, &[], &[]), prefixes),
                "{input}"
            );
            assert_well_formed(&q);
        }
        let q = SearchQuery::parse("\"; DROP TABLE posts; --");
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#""drop" AND "table""#)
        );
        assert_eq!(
            q.to_tsquery(Forgiveness::TYPED).as_deref(),
            Some("'drop' & 'table'")
        );
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
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#"("rust" AND "a or b") NOT "not""#)
        );
        assert_eq!(
            q.to_tsquery(Forgiveness::TYPED).as_deref(),
            Some("'rust' & 'a or b' & !('not')")
        );
        // Corrections are cleaned as well.
        let fixes = corrections(&[("rust", &["ru'st", "r|s"])]);
        let how = Forgiveness {
            prefixes: true,
            corrections: Some(&fixes),
        };
        assert_eq!(
            q.to_tsquery(how).as_deref(),
            Some("('rust' | 'ru st' | 'r s') & 'a or b' & !('not')")
        );
        assert_quoted_safely(
            &q.to_tsquery(how).unwrap_or_default(),
            '\'',
            &["<->"],
            "()&|!:* ",
        );
        assert_quoted_safely(
            &q.to_fts5(how).unwrap_or_default(),
            '"',
            &["NOT", "AND", "OR"],
            "() *",
        );
    }

    #[test]
    fn the_last_word_and_starred_words_are_prefixes() {
        let q = SearchQuery::parse("deploy kuber");
        assert_eq!(q.prefixes, ["kuber"]);
        assert_eq!(
            q.to_tsquery(Forgiveness::TYPED).as_deref(),
            Some("'deploy' & ('kuber' | 'kuber':*)")
        );
        assert_eq!(
            q.to_fts5(Forgiveness::TYPED).as_deref(),
            Some(r#""deploy" AND ("kuber" OR "kuber"*)"#)
        );
        // As typed, the prefix is only the word.
        assert_eq!(
            q.to_tsquery(Forgiveness::EXACT).as_deref(),
            Some("'deploy' & 'kuber'")
        );
        assert_eq!(
            q.to_fts5(Forgiveness::EXACT).as_deref(),
            Some(r#""deploy" AND "kuber""#)
        );
        assert_eq!(
            SearchQuery::parse("deploy* rust").prefixes,
            ["deploy", "rust"]
        );
        assert_eq!(SearchQuery::parse("rust* rust").prefixes, ["rust"]);
        // A query that ends with a phrase, an exclusion or a stop word has
        // no word being typed.
        for input in [
            r#"rust "borrow checker""#,
            "rust -tokio",
            "rust the",
            "rust k",
        ] {
            assert!(SearchQuery::parse(input).prefixes.is_empty(), "{input}");
        }
    }

    #[test]
    fn corrections_are_tried_beside_the_typed_word() {
        let q = SearchQuery::parse("kuberentes deploy");
        let fixes = corrections(&[("kuberentes", &["kubernetes"])]);
        let how = Forgiveness {
            prefixes: true,
            corrections: Some(&fixes),
        };
        assert_eq!(
            q.to_tsquery(how).as_deref(),
            Some("('kuberentes' | 'kubernetes') & ('deploy' | 'deploy':*)")
        );
        assert_eq!(
            q.to_fts5(how).as_deref(),
            Some(r#"("kuberentes" OR "kubernetes") AND ("deploy" OR "deploy"* OR "deplo"*)"#)
        );
        assert_well_formed(&q);
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
