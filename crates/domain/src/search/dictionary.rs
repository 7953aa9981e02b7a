//! The words posts and guides are written with, kept so that a reader's
//! typo finds the word meant: `kuberentes` finds "Kubernetes".
//!
//! The dictionary is a table of deletion keys (the symmetric-delete method):
//! each word is filed under itself and under every string that deleting up
//! to its edit budget of letters makes of it. Two words within that many
//! edits of each other (an insertion, a deletion, a changed letter, or two
//! neighbouring letters swapped, each counting one) share a key, so a
//! typed word's close words are found by looking up its own keys, an index
//! seek per key whatever the size of the archive, and then checked by their
//! real distance. Words are learnt from published posts and guides only
//! (a draft's words must not change what a reader's search does), as they
//! are written or published, and kept until the dictionary is rebuilt
//! (`waypost reindex`); a correction only ever finds what a search of the
//! live content finds.

use std::collections::{BTreeSet, HashMap};

use strsim::osa_distance;
use waypost_db::queries::editorial::{rendering_version, set_rendering_version};
use waypost_db::queries::search as store;
use waypost_db::{DbConn, DbPool};

use super::query::{Corrections, SearchQuery, words_of};
use crate::DomainResult;

/// Shortest typed word corrected, with one edit.
pub const ONE_TYPO_CHARS: usize = 5;
/// Shortest typed word corrected with up to two edits.
pub const TWO_TYPOS_CHARS: usize = 9;
/// Longest word kept; a longer one is rarely mistyped the same way twice,
/// and its keys grow with the square of its length.
pub const MAX_WORD_CHARS: usize = 24;
/// Most corrections tried for one typed word, closest first.
const MAX_CORRECTIONS: usize = 3;
/// Most typed words of a query corrected (the first ones), which bounds
/// the keys one search looks up.
const MAX_CORRECTED_WORDS: usize = 8;
/// Rows written to the dictionary per statement.
const ROWS_PER_STATEMENT: usize = 500;
/// Posts or guides read at a time when the dictionary is rebuilt.
const DOCUMENTS_PER_READ: i64 = 500;

/// The dictionary's row in `renderings`, and what it holds by version (1:
/// the words of every post and guide, with keys up to their edit budget).
/// An older or missing dictionary is rebuilt once.
const DICTIONARY_RENDERING: &str = "search_words";
const DICTIONARY_VERSION: i64 = 1;

/// Edits forgiven in a typed word of this many characters.
fn typos_allowed(chars: usize) -> usize {
    if chars >= TWO_TYPOS_CHARS {
        2
    } else if chars >= ONE_TYPO_CHARS {
        1
    } else {
        0
    }
}

/// `word` and every string `edits` or fewer deletions make of it.
fn deletions(word: &str, edits: usize) -> BTreeSet<String> {
    let mut keys = BTreeSet::from([word.to_owned()]);
    let mut frontier = vec![word.to_owned()];
    for _ in 0..edits {
        let mut next = Vec::new();
        for from in &frontier {
            for at in from.char_indices().map(|(i, _)| i) {
                let mut shorter = from.clone();
                shorter.remove(at);
                if keys.insert(shorter.clone()) {
                    next.push(shorter);
                }
            }
        }
        frontier = next;
    }
    keys
}

/// The keys a dictionary word is filed under: deleting as many letters as
/// a typed word of its length may be off by. A word one letter shorter than
/// the shortest corrected word is kept too (under itself), so that a typed
/// word with a letter too many finds it.
fn keys_of(word: &str) -> BTreeSet<String> {
    deletions(word, typos_allowed(word.len()))
}

fn keepable(word: &str) -> bool {
    (ONE_TYPO_CHARS - 1..=MAX_WORD_CHARS).contains(&word.len())
}

/// The close words of each typed word no post or guide holds, closest
/// first. One statement for the whole query, none when no word is long
/// enough to correct.
pub async fn corrections(pool: &DbPool, query: &SearchQuery) -> DomainResult<Corrections> {
    let typed: Vec<&String> = query
        .words
        .iter()
        .filter(|w| typos_allowed(w.len()) > 0 && w.len() <= MAX_WORD_CHARS)
        .take(MAX_CORRECTED_WORDS)
        .collect();
    if typed.is_empty() {
        return Ok(Corrections::new());
    }
    let keys: BTreeSet<String> = typed.iter().flat_map(|w| keys_of(w)).collect();
    let keys: Vec<String> = keys.into_iter().collect();
    let found = store::words_under(&mut pool.get().await?, &keys).await?;
    let mut close: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for row in &found {
        close.entry(row.key.as_str()).or_default().insert(&row.word);
    }
    let mut corrections = Corrections::new();
    for word in typed {
        let candidates: BTreeSet<&str> = keys_of(word)
            .iter()
            .filter_map(|key| close.get(key.as_str()))
            .flatten()
            .copied()
            .collect();
        if candidates.contains(word.as_str()) {
            continue;
        }
        let allowed = typos_allowed(word.len());
        let mut scored: Vec<(usize, &str)> = candidates
            .into_iter()
            .map(|c| (osa_distance(word, c), c))
            .filter(|(d, _)| *d <= allowed)
            .collect();
        // Closest first; then a word of the typed length (a swap or a
        // changed letter is the commonest slip), then by the alphabet so
        // the order is the same on every call.
        scored.sort_by_key(|(d, c)| (*d, c.len().abs_diff(word.len()), *c));
        let close: Vec<String> = scored
            .into_iter()
            .take(MAX_CORRECTIONS)
            .map(|(_, c)| c.to_owned())
            .collect();
        if !close.is_empty() {
            corrections.insert(word.clone(), close);
        }
    }
    Ok(corrections)
}

/// Adds the words of `texts` the dictionary does not hold yet: a statement
/// to find which are new (one for up to 500 words), and the new words' keys.
pub async fn learn(conn: &mut DbConn, texts: &[&str]) -> DomainResult<()> {
    let words: BTreeSet<String> = texts
        .iter()
        .flat_map(|text| words_of(text))
        .filter(|w| keepable(w))
        .collect();
    if words.is_empty() {
        return Ok(());
    }
    let words: Vec<String> = words.into_iter().collect();
    let mut known: BTreeSet<String> = BTreeSet::new();
    // In lists a statement can bind whatever the texts (SQLite spells a
    // list out, one variable a word).
    for chunk in words.chunks(ROWS_PER_STATEMENT) {
        known.extend(store::known_words(conn, chunk).await?);
    }
    let mut rows: Vec<(String, String)> = words
        .iter()
        .filter(|w| !known.contains(*w))
        .flat_map(|w| keys_of(w).into_iter().map(move |k| (k, w.clone())))
        .collect();
    // A word's own row last: a word is known by it, so one whose other keys
    // a failure left out is learnt again at the next write.
    rows.sort_by_key(|(key, word)| key == word);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        store::add_word_keys(conn, chunk).await?;
    }
    Ok(())
}

/// Learns the words of post or guide `id` if it is published, after it
/// was written or published: the write stands whatever happens here, so a
/// failure is logged rather than reported (`waypost reindex` rebuilds the
/// dictionary).
pub async fn learn_after_write(pool: &DbPool, kind: store::Document, id: i64) {
    let learnt = async {
        let mut conn = pool.get_primary().await?;
        match store::document_text(&mut conn, kind, id).await? {
            Some(document) => learn(&mut conn, &[&document.text]).await,
            None => Ok(()),
        }
    };
    if let Err(err) = learnt.await {
        tracing::warn!(error = %err, "search words not learnt");
    }
}

/// Builds the dictionary afresh from every published post and guide, a
/// page at a time, and records it as this version's. Returns the documents
/// read.
pub async fn learn_all(pool: &DbPool) -> DomainResult<usize> {
    let mut conn = pool.get_primary().await?;
    store::clear_dictionary(&mut conn).await?;
    let mut read = 0;
    for kind in [store::Document::Post, store::Document::Guide] {
        let mut after = 0;
        loop {
            let page = store::document_texts(&mut conn, kind, after, DOCUMENTS_PER_READ).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            read += page.len();
            let texts: Vec<&str> = page.iter().map(|d| d.text.as_str()).collect();
            learn(&mut conn, &texts).await?;
        }
    }
    set_rendering_version(&mut conn, DICTIONARY_RENDERING, DICTIONARY_VERSION).await?;
    Ok(read)
}

/// Records the dictionary as outdated, for a writer that skips learning
/// after each post and rebuilds once at the end (an import): should it
/// stop before then, the next start or `migrate` rebuilds the dictionary.
pub async fn mark_outdated(pool: &DbPool) -> DomainResult<()> {
    let mut conn = pool.get_primary().await?;
    set_rendering_version(&mut conn, DICTIONARY_RENDERING, 0).await?;
    Ok(())
}

/// `learn_all` when an older version (or none) built the dictionary;
/// returns the documents read then.
pub async fn learn_all_if_outdated(pool: &DbPool) -> DomainResult<Option<usize>> {
    let version = rendering_version(&mut pool.get_primary().await?, DICTIONARY_RENDERING).await?;
    if version >= DICTIONARY_VERSION {
        return Ok(None);
    }
    learn_all(pool).await.map(Some)
}

/// `text` with each word that has a correction replaced by its closest
/// one, everything else as the reader typed it.
pub fn corrected_text(text: &str, corrections: &Corrections) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let typed = words_of(word);
        match typed.as_slice() {
            [one] => match corrections.get(one).and_then(|c| c.first()) {
                Some(fix) => out.push_str(fix),
                None => out.push_str(word),
            },
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The words `keys_of` files under a key shared with `typed`'s keys.
    fn share_a_key(typed: &str, word: &str) -> bool {
        let word_keys = keys_of(word);
        deletions(typed, typos_allowed(typed.len()))
            .iter()
            .any(|k| word_keys.contains(k))
    }

    #[test]
    fn keys_are_the_word_and_its_deletions() {
        assert_eq!(
            deletions("abcd", 1),
            BTreeSet::from(["abcd", "bcd", "acd", "abd", "abc"].map(String::from))
        );
        assert_eq!(deletions("aab", 1).len(), 3);
        assert_eq!(keys_of("rust"), BTreeSet::from(["rust".to_owned()]));
        assert!(keys_of("kubernetes").contains("kbrnetes"));
        assert!(!keys_of("postgres").contains("ostgrs"));
    }

    #[test]
    fn one_slip_shares_a_key() {
        for (typed, word) in [
            ("kuberentes", "kubernetes"),
            ("databse", "database"),
            ("postgers", "postgres"),
            ("rustt", "rust"),
            ("pythn", "python"),
            ("secrity", "security"),
            ("tpyescript", "typescript"),
            ("indexs", "indexes"),
        ] {
            assert!(share_a_key(typed, word), "{typed} {word}");
            assert!(osa_distance(typed, word) <= typos_allowed(typed.len()));
        }
        // Short words are not corrected; long ones forgive two slips.
        assert!(!share_a_key("rsut", "rust"));
        assert!(share_a_key("kubrenetse", "kubernetes"));
    }

    #[test]
    fn corrected_text_keeps_what_the_reader_typed() {
        let fixes: Corrections =
            HashMap::from([("kuberentes".to_owned(), vec!["kubernetes".to_owned()])]);
        assert_eq!(
            corrected_text("Deploying Kuberentes, fast!", &fixes),
            "Deploying kubernetes, fast!"
        );
        assert_eq!(corrected_text("nothing here", &fixes), "nothing here");
    }

    proptest! {
        /// Every word within its budget of a typed word shares a key with it.
        #[test]
        fn words_within_the_budget_always_share_a_key(
            word in "[a-e]{4,12}",
            edits in proptest::collection::vec((0usize..4, 0usize..12, "[a-e]"), 1..3),
        ) {
            let mut typed: Vec<char> = word.chars().collect();
            for (kind, at, letter) in &edits {
                let at = at % (typed.len() + 1);
                let letter = letter.chars().next().unwrap();
                match kind {
                    0 => typed.insert(at, letter),
                    1 if at < typed.len() => { typed.remove(at); }
                    2 if at < typed.len() => typed[at] = letter,
                    3 if at + 1 < typed.len() => typed.swap(at, at + 1),
                    _ => {}
                }
            }
            let typed: String = typed.into_iter().collect();
            let distance = osa_distance(&typed, &word);
            if keepable(&word) && distance <= typos_allowed(typed.len()) {
                prop_assert!(share_a_key(&typed, &word), "{} {}", typed, word);
            }
        }
    }
}
