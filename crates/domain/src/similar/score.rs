//! How alike two posts read: stemmed terms, TF-IDF vectors, cosine
//! similarity, tag overlap, and the combined score.
//!
//! Each post is reduced to stemmed terms (its title counting most, then its
//! excerpt, then its body), weighted by TF-IDF against the whole collection so
//! that words every post uses count for little, and compared by cosine
//! similarity. Shared tags add to the text score, each as much as it is
//! telling: a tag whose posts read alike says two posts under it belong
//! together, a catch-all tag whose posts read like any others says nothing,
//! however many or few posts carry it. Everything here is pure computation;
//! storage decides where the collection statistics come from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::render::{TextView, markdown_text};
use crate::words::{is_generic_word, is_stop_word};

/// The most that shared tags alone can make two posts similar.
pub const TAG_WEIGHT: f64 = 0.5;
/// A tag counts fully once its posts read this much more alike than posts
/// in general: an eighth of the way from the archive's mean similarity to
/// identical. Posts on one subject, sharing a handful of telling words out
/// of two hundred, get about that far.
const FULL_COHERENCE: f64 = 0.125;

/// How often a title term counts: the title says what a post is about.
const TITLE_WEIGHT: u32 = 3;
/// How often an excerpt term counts: the excerpt is the author's summary.
const EXCERPT_WEIGHT: u32 = 2;
/// How often a body term counts.
const BODY_WEIGHT: u32 = 1;
/// How many shared terms a neighbour carries to explain why it is similar.
const SHARED_TERMS_SHOWN: usize = 5;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Text of a post as the scorer sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Document<'a> {
    /// The post's title, plain text.
    pub title: &'a str,
    /// The post's excerpt, plain text.
    pub excerpt: &'a str,
    /// The post's body, Markdown.
    pub body_markdown: &'a str,
}

/// A post ready to be compared: its TF-IDF vector (see [`tfidf_vector`]) and
/// its tag ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidate {
    /// The post's id.
    pub id: i64,
    /// Unit-length term weights, sorted by term.
    pub vector: Vec<(String, f64)>,
    /// Ids of the post's tags.
    pub tags: Vec<i64>,
}

/// A post found similar to another one.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    /// The similar post's id.
    pub id: i64,
    /// How similar it is, in (0, 1].
    pub score: f64,
    /// Up to five stemmed terms both posts lean on most, strongest first,
    /// to tell readers (and authors) why the two posts were paired.
    pub shared_terms: Vec<String>,
}

/// Stemmed terms of `text`, in order of appearance: lowercased, split on
/// anything that is not a letter or digit, with stop words, one-character
/// words and pure numbers dropped, and each word reduced to its stem by the
/// Snowball English stemmer, so "Databases" and "database" are one term.
pub fn terms(text: &str) -> Vec<String> {
    words(text).into_iter().map(|(_, stem)| stem).collect()
}

/// The words of `text` that become terms, lowercased, each with its stem.
fn words(text: &str) -> Vec<(String, String)> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| {
            word.chars().nth(1).is_some()
                && !word.chars().all(|c| c.is_ascii_digit())
                && !is_stop_word(word)
                && !is_generic_word(word)
        })
        .map(|word| (word.to_owned(), STEMMER.stem(word).into_owned()))
        .collect()
}

/// Words kept per term to show readers.
const FORMS_KEPT: usize = 3;

/// The word to show for a term two posts share: the first of `ours` (as
/// [`read_terms`] lists them) that `theirs` lists too, so that it is a word
/// both posts wrote; `None` when they wrote the term differently.
pub fn shared_word<'a>(ours: &'a str, theirs: &str) -> Option<&'a str> {
    ours.split(' ')
        .filter(|w| !w.is_empty())
        .find(|w| theirs.split(' ').any(|t| t == *w))
}

/// Term counts of a post, with the title weighing most: each title term
/// counts three times, each excerpt term twice, each body term once.
///
/// The body is Markdown and is reduced to its topic text
/// ([`TextView::Topic`]), so syntax never becomes a term: link and image
/// URLs are dropped while their text is kept, bare URLs in prose are
/// dropped, inline code is kept (it usually names the subject, like
/// `tokio`), fenced and indented code blocks and raw HTML are dropped
/// (keywords and tags would swamp the prose).
pub fn term_counts(doc: &Document) -> BTreeMap<String, u32> {
    read_terms(doc).0
}

/// [`term_counts`] of a post, and for each term the words it wrote for it,
/// most frequent first (ties by first use), at most three, space-separated:
/// "indexes index" for `index` (readers are shown words, never stems). One
/// reading of the post: the Markdown rendered and each text split into
/// words once.
pub fn read_terms(doc: &Document) -> (BTreeMap<String, u32>, BTreeMap<String, String>) {
    let body = markdown_text(doc.body_markdown, TextView::Topic);
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    // stem -> (word, uses, first use)
    let mut seen: BTreeMap<String, Vec<(String, u32, usize)>> = BTreeMap::new();
    let mut at = 0;
    for (text, weight) in [
        (doc.title, TITLE_WEIGHT),
        (doc.excerpt, EXCERPT_WEIGHT),
        (body.as_str(), BODY_WEIGHT),
    ] {
        for (word, stem) in words(text) {
            let count = counts.entry(stem.clone()).or_insert(0);
            *count = count.saturating_add(weight);
            let forms = seen.entry(stem).or_default();
            match forms.iter_mut().find(|(w, _, _)| *w == word) {
                Some((_, uses, _)) => *uses += 1,
                None => forms.push((word, 1, at)),
            }
            at += 1;
        }
    }
    let forms = seen
        .into_iter()
        .map(|(stem, mut forms)| {
            forms.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
            let kept: Vec<String> = forms
                .into_iter()
                .take(FORMS_KEPT)
                .map(|(word, _, _)| word)
                .collect();
            (stem, kept.join(" "))
        })
        .collect();
    (counts, forms)
}

/// A unit-length TF-IDF vector of the post's `max_terms` weightiest terms,
/// sorted by term, ready for [`cosine`].
///
/// A term's weight is `tf * idf` with `tf = 1 + ln(count)` (repeating a word
/// helps less and less) and `idf = ln((n_docs + 1) / (df + 1)) + 1`, where
/// `n_docs` is the number of posts in the collection and `df(term)` the number
/// of those posts that contain the term, so words most posts share weigh
/// little. `df` is clamped to `1..=n_docs` (and `n_docs` taken as at least 1),
/// so it does not matter whether the caller counted this post in the
/// collection already. Only the `max_terms` heaviest terms are kept (ties
/// broken by term), which bounds storage and comparison cost per post.
pub fn tfidf_vector(
    counts: &BTreeMap<String, u32>,
    n_docs: u64,
    df: impl Fn(&str) -> u64,
    max_terms: usize,
) -> Vec<(String, f64)> {
    let n_docs = n_docs.max(1);
    let mut weighted: Vec<(String, f64)> = counts
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(term, &count)| {
            let tf = 1.0 + f64::from(count).ln();
            let df = df(term).clamp(1, n_docs);
            // u64 to f64 may round for astronomically large collections only.
            let idf = ((n_docs as f64 + 1.0) / (df as f64 + 1.0)).ln() + 1.0;
            (term.clone(), tf * idf)
        })
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weighted.truncate(max_terms);
    let norm = weighted.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return Vec::new();
    }
    for (_, weight) in &mut weighted {
        *weight /= norm;
    }
    weighted.sort_by(|a, b| a.0.cmp(&b.0));
    weighted
}

/// Pairs of weights of the terms both vectors hold; both must be sorted by
/// term, as [`tfidf_vector`] returns them.
fn common<'a>(
    a: &'a [(String, f64)],
    b: &'a [(String, f64)],
) -> impl Iterator<Item = (&'a str, f64, f64)> + 'a {
    let mut a = a.iter().peekable();
    let mut b = b.iter().peekable();
    std::iter::from_fn(move || {
        loop {
            let (ta, wa) = a.peek()?;
            let (tb, wb) = b.peek()?;
            match ta.cmp(tb) {
                std::cmp::Ordering::Less => {
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    let found = (ta.as_str(), *wa, *wb);
                    a.next();
                    b.next();
                    return Some(found);
                }
            }
        }
    })
}

/// How alike two posts read, in [0, 1]: the cosine of their unit-length
/// vectors (sorted by term, as [`tfidf_vector`] returns them), which is their
/// dot product. 1 for the same wording, 0 when they share no term.
pub fn cosine(a: &[(String, f64)], b: &[(String, f64)]) -> f64 {
    let dot: f64 = common(a, b).map(|(_, wa, wb)| wa * wb).sum();
    unit_interval(dot)
}

/// The terms two posts share, those contributing most to their similarity
/// (`a_weight * b_weight`) first, ties by term, at most `n`.
pub fn shared_terms(a: &[(String, f64)], b: &[(String, f64)], n: usize) -> Vec<String> {
    let mut shared: Vec<(&str, f64)> = common(a, b).map(|(t, wa, wb)| (t, wa * wb)).collect();
    shared.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    shared
        .into_iter()
        .take(n)
        .map(|(term, _)| term.to_owned())
        .collect()
}

/// The mean cosine over every pair of `vectors` (unit length, sorted by
/// term); `None` for fewer than two.
pub fn mean_pairwise_cosine(vectors: &[&[(String, f64)]]) -> Option<f64> {
    let mut sum = 0.0;
    let mut pairs = 0u32;
    for (i, a) in vectors.iter().enumerate() {
        for b in &vectors[i + 1..] {
            sum += cosine(a, b);
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / f64::from(pairs))
}

/// How telling a tag is, in [0, 1], from `tagged`, the mean similarity of
/// (a sample of) the posts carrying it, against `archive`, that of (a
/// sample of) all posts: how much more alike its posts read than posts in
/// general, counted fully from [`FULL_COHERENCE`]. A catch-all tag
/// ("notes", "best-practices" on half the archive) whose posts read like
/// any others scores 0; a tag on posts about one subject scores high,
/// whether it is on three posts or three hundred.
pub fn tag_coherence(tagged: f64, archive: f64) -> f64 {
    let archive = unit_interval(archive);
    let spread = (1.0 - archive).max(f64::EPSILON);
    unit_interval((unit_interval(tagged) - archive) / spread / FULL_COHERENCE)
}

/// How much two posts' tags say they belong together, in [0, 1]: the
/// coherence ([`tag_coherence`]) of each tag they share, added up (two
/// telling tags in common say more than one), at most 1. Repeated ids count
/// once; 0 when they share no tag.
pub fn tag_similarity(a: &[i64], b: &[i64], coherence: impl Fn(i64) -> f64) -> f64 {
    let a: BTreeSet<i64> = a.iter().copied().collect();
    let sum: f64 = a
        .into_iter()
        .filter(|t| b.contains(t))
        .map(|t| unit_interval(coherence(t)))
        .sum();
    unit_interval(sum)
}

/// The combined similarity of two posts, in [0, 1]:
/// `1 - (1 - text_cosine) * (1 - TAG_WEIGHT * tag_sim)`. Text and tags are
/// two witnesses: the tags make up part of what the text leaves unsaid.
/// Posts that share telling tags are similar even when their wording
/// differs (two posts on one subject often do), but the closer the text
/// already is, the less tags add, so a near copy of a post still ranks
/// first. Inputs outside [0, 1] (or not numbers) are clamped first.
pub fn score(text_cosine: f64, tag_sim: f64) -> f64 {
    let unexplained =
        (1.0 - unit_interval(text_cosine)) * (1.0 - TAG_WEIGHT * unit_interval(tag_sim));
    unit_interval(1.0 - unexplained)
}

fn unit_interval(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// The `first` posts most similar to `target`, best first (ties by id,
/// lowest first), never the target itself and never a post with nothing in
/// common (score 0), each tag counting as `coherence` says. Each carries the
/// terms that make it similar.
pub fn rank(
    target: &Candidate,
    others: &[Candidate],
    first: usize,
    coherence: impl Fn(i64) -> f64,
) -> Vec<Neighbour> {
    let mut neighbours: Vec<Neighbour> = others
        .iter()
        .filter(|other| other.id != target.id)
        .filter_map(|other| {
            let score = score(
                cosine(&target.vector, &other.vector),
                tag_similarity(&target.tags, &other.tags, &coherence),
            );
            (score > 0.0).then(|| Neighbour {
                id: other.id,
                score,
                shared_terms: shared_terms(&target.vector, &other.vector, SHARED_TERMS_SHOWN),
            })
        })
        .collect();
    neighbours.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    neighbours.truncate(first);
    neighbours
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn doc<'a>(title: &'a str, excerpt: &'a str, body: &'a str) -> Document<'a> {
        Document {
            title,
            excerpt,
            body_markdown: body,
        }
    }

    fn unit(terms: &[(&str, f64)]) -> Vec<(String, f64)> {
        let norm = terms.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        let mut v: Vec<(String, f64)> = terms
            .iter()
            .map(|(t, w)| ((*t).to_owned(), w / norm))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn terms_are_stemmed_without_stop_words_numbers_or_single_letters() {
        assert_eq!(terms("Databases and the database"), ["databas", "databas"]);
        assert_eq!(terms("running"), ["run"]);
        assert_eq!(
            terms("I really like 2024 x and y in C"),
            Vec::<String>::new()
        );
        assert_eq!(
            terms("PostgreSQL-16 vs. h264"),
            ["postgresql", "vs", "h264"]
        );
        assert!(terms("").is_empty());
    }

    #[test]
    fn markdown_syntax_does_not_leak_terms() {
        let counts = term_counts(&doc(
            "",
            "",
            "Read **[the guide](https://example.com/tracking?utm=spam)** and \
             <https://autolinked.example.org>, or see https://bare.example.net.\n\n\
             ![diagram](images/pipeline.png)\n\n\
             ```rust\nlet variable_name = call();\n```\n\n\
             <div class=\"wrapper\">raw</div>\n\n\
             Use `tokio` for *async* __work__.",
        ));
        let keys: Vec<&str> = counts.keys().map(String::as_str).collect();
        // "see", "use" and "work" are generic words: no subject in them.
        assert_eq!(keys, ["async", "diagram", "guid", "read", "tokio"]);
    }

    #[test]
    fn title_counts_three_times_excerpt_twice_body_once() {
        let counts = term_counts(&doc("Compilers", "compiler", "A compiler. Parsing."));
        assert_eq!(counts.get("compil"), Some(&6));
        assert_eq!(counts.get("pars"), Some(&1));
    }

    #[test]
    fn tfidf_vector_is_unit_length_capped_and_sorted() {
        let counts: BTreeMap<String, u32> = [("alpha", 5), ("beta", 1), ("gamma", 2), ("delta", 1)]
            .into_iter()
            .map(|(t, c)| (t.to_owned(), c))
            .collect();
        let v = tfidf_vector(&counts, 10, |_| 3, 2);
        assert_eq!(v.len(), 2);
        let names: Vec<&str> = v.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, ["alpha", "gamma"]);
        let norm: f64 = v.iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-12);

        // Rare terms outweigh common ones at equal counts; ties go by term.
        let v = tfidf_vector(&counts, 10, |t| if t == "delta" { 1 } else { 10 }, 2);
        let names: Vec<&str> = v.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, ["alpha", "delta"]);
        let v = tfidf_vector(&counts, 10, |_| 1, 3);
        let names: Vec<&str> = v.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "gamma"]);
    }

    #[test]
    fn tfidf_vector_tolerates_odd_statistics() {
        let counts: BTreeMap<String, u32> = [("alpha".to_owned(), 1)].into();
        for (n, df) in [(0, 0), (0, 9), (1, 0), (5, 50)] {
            let v = tfidf_vector(&counts, n, |_| df, 10);
            assert_eq!(v, [("alpha".to_owned(), 1.0)]);
        }
        assert!(tfidf_vector(&counts, 5, |_| 1, 0).is_empty());
        assert!(tfidf_vector(&BTreeMap::new(), 5, |_| 1, 10).is_empty());
    }

    #[test]
    fn cosine_of_identical_is_one_and_of_disjoint_is_zero() {
        let a = unit(&[("rust", 2.0), ("async", 1.0), ("tokio", 0.5)]);
        let b = unit(&[("css", 1.0), ("grid", 1.0)]);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-9);
        assert_eq!(cosine(&a, &b), 0.0);
        assert_eq!(cosine(&a, &[]), 0.0);
        let c = unit(&[("rust", 1.0), ("css", 1.0)]);
        let ac = cosine(&a, &c);
        assert!(ac > 0.0 && ac < 1.0);
        assert!((ac - cosine(&c, &a)).abs() < 1e-12);
    }

    #[test]
    fn shared_terms_by_contribution() {
        let a = unit(&[("rust", 3.0), ("async", 2.0), ("tokio", 1.0), ("css", 1.0)]);
        let b = unit(&[("rust", 1.0), ("async", 3.0), ("tokio", 1.0), ("grid", 1.0)]);
        assert_eq!(shared_terms(&a, &b, 5), ["async", "rust", "tokio"]);
        assert_eq!(shared_terms(&a, &b, 1), ["async"]);
        assert!(shared_terms(&a, &b, 0).is_empty());
    }

    #[test]
    fn tag_similarity_adds_the_coherence_of_shared_tags() {
        let coherence = |t: i64| match t {
            1 => 0.5,
            2 => 0.25,
            3 => 0.0,
            _ => 1.0,
        };
        assert_eq!(tag_similarity(&[], &[1], coherence), 0.0);
        assert_eq!(tag_similarity(&[1], &[], coherence), 0.0);
        assert_eq!(tag_similarity(&[1, 2], &[3, 4], coherence), 0.0);
        assert!((tag_similarity(&[1, 2], &[2, 1], coherence) - 0.75).abs() < 1e-12);
        assert!((tag_similarity(&[1, 1, 2], &[1, 2], coherence) - 0.75).abs() < 1e-12);
        assert_eq!(
            tag_similarity(&[3], &[3], coherence),
            0.0,
            "a catch-all says nothing"
        );
        assert_eq!(
            tag_similarity(&[1, 4], &[1, 4], coherence),
            1.0,
            "at most 1"
        );
        assert_eq!(tag_similarity(&[5], &[5], |_| f64::NAN), 0.0);
    }

    #[test]
    fn coherence_is_how_much_more_alike_tagged_posts_read() {
        assert_eq!(
            tag_coherence(0.05, 0.05),
            0.0,
            "no more alike than any posts"
        );
        assert_eq!(tag_coherence(0.01, 0.05), 0.0);
        assert_eq!(tag_coherence(0.9, 0.05), 1.0);
        let half = 0.05 + 0.95 * FULL_COHERENCE / 2.0;
        assert!((tag_coherence(half, 0.05) - 0.5).abs() < 1e-9);
        assert_eq!(tag_coherence(f64::NAN, 0.05), 0.0);
        assert_eq!(tag_coherence(1.0, 1.0), 0.0);
        let a = unit(&[("index", 1.0), ("query", 1.0)]);
        let b = unit(&[("index", 1.0), ("plan", 1.0)]);
        let c = unit(&[("css", 1.0)]);
        assert_eq!(mean_pairwise_cosine(&[&a]), None);
        let mean = mean_pairwise_cosine(&[&a, &b, &c]).unwrap();
        assert!((mean - 0.5 / 3.0).abs() < 1e-9, "{mean}");
    }

    #[test]
    fn score_weights_text_and_tags() {
        assert!((score(1.0, 1.0) - 1.0).abs() < 1e-12);
        assert!((score(1.0, 0.0) - 1.0).abs() < 1e-12);
        assert!(
            (score(0.4, 0.0) - 0.4).abs() < 1e-12,
            "no tags: the text alone"
        );
        assert!((score(0.0, 1.0) - TAG_WEIGHT).abs() < 1e-12);
        assert_eq!(score(0.0, 0.0), 0.0);
        assert!(
            score(0.5, 1.0) > score(0.5, 0.0),
            "shared tags raise the score"
        );
        assert!(
            score(0.8, 0.0) > score(0.3, 1.0),
            "a near copy ranks above posts that share telling tags and some words"
        );
        assert!(
            score(0.9, 1.0) - score(0.9, 0.0) < score(0.1, 1.0) - score(0.1, 0.0),
            "tags add less the closer the text already is"
        );
        assert_eq!(score(f64::NAN, -3.0), 0.0);
        assert!((score(2.0, 2.0) - 1.0).abs() < 1e-12);
    }

    fn candidate(id: i64, terms: &[(&str, f64)], tags: &[i64]) -> Candidate {
        Candidate {
            id,
            vector: unit(terms),
            tags: tags.to_vec(),
        }
    }

    #[test]
    fn rank_orders_breaks_ties_by_id_and_excludes_self_and_zero() {
        let target = candidate(1, &[("rust", 1.0), ("async", 1.0)], &[7]);
        let others = [
            candidate(1, &[("rust", 1.0), ("async", 1.0)], &[7]),
            candidate(5, &[("rust", 1.0)], &[]),
            candidate(3, &[("rust", 1.0)], &[]),
            candidate(4, &[("css", 1.0)], &[]),
            candidate(2, &[("rust", 1.0), ("async", 1.0)], &[]),
            candidate(6, &[("css", 1.0)], &[7]),
        ];
        // Tag 7 is a catch-all: 6 shares only it, and nothing else.
        let ranked = rank(&target, &others, 10, |_| 0.0);
        let ids: Vec<i64> = ranked.iter().map(|n| n.id).collect();
        assert_eq!(ids, [2, 3, 5]);
        assert!((ranked[0].score - 1.0).abs() < 1e-9);
        assert_eq!(ranked[0].shared_terms, ["async", "rust"]);
        assert_eq!(ranked[1].score, ranked[2].score);
        assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
        // A telling tag makes 6 similar though it shares no word.
        let ids: Vec<i64> = rank(&target, &others, 10, |_| 1.0)
            .iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(ids, [2, 3, 5, 6]);

        let ids: Vec<i64> = rank(&target, &others, 2, |_| 0.0)
            .iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(ids, [2, 3]);
        assert!(rank(&target, &others, 0, |_| 0.0).is_empty());
    }

    #[test]
    fn shared_terms_of_a_neighbour_are_capped_at_five() {
        let many: Vec<(&str, f64)> = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
            .iter()
            .map(|t| (*t, 1.0))
            .collect();
        let target = candidate(1, &many, &[]);
        let ranked = rank(&target, &[candidate(2, &many, &[])], 3, |_| 0.0);
        assert_eq!(ranked[0].shared_terms.len(), 5);
    }

    #[test]
    fn posts_find_neighbours_on_their_own_topic() {
        let corpus = [
            doc(
                "Tuning PostgreSQL indexes",
                "Why a slow query usually means a missing index.",
                "Run `EXPLAIN ANALYZE` to see whether the database planner picks a \
                 sequential scan. Then add a B-tree index on the columns the query \
                 filters on. Indexes speed up reads but slow down writes to the table.",
            ),
            doc(
                "Transactions and isolation levels",
                "What concurrent database transactions see of each other.",
                "A transaction groups several writes so they commit or roll back \
                 together. Isolation levels decide what concurrent queries see: read \
                 committed, repeatable read or serializable. Long transactions hold \
                 locks on table rows and block other queries.",
            ),
            doc(
                "Designing a schema for SQLite",
                "Tables, foreign keys and the index every join needs.",
                "Normalise the schema so each table stores one kind of row, with \
                 foreign keys between tables. Add an index on each foreign key so \
                 joins and queries stay fast as the database grows.",
            ),
            doc(
                "CSS grid for page layouts",
                "Laying out a page in the browser without float hacks.",
                "CSS grid places the elements of a page into named areas. Combine it \
                 with flexbox inside each component and with media queries for \
                 responsive design; the browser adapts the layout to every screen.",
            ),
            doc(
                "React components and state",
                "How a component renders and re-renders in the browser.",
                "A React component renders part of the user interface from props and \
                 state. When state changes the browser shows the new render; hooks \
                 such as `useEffect` run after each render. Keep components small.",
            ),
            doc(
                "Accessible buttons",
                "Buttons that keyboard and screen reader users can press.",
                "Use a real button element instead of a clickable div so keyboard \
                 users can reach it. Style the focus outline with CSS and check the \
                 component in several browsers with the accessibility panel.",
            ),
        ];
        let counts: Vec<BTreeMap<String, u32>> = corpus.iter().map(term_counts).collect();
        let df = |term: &str| counts.iter().filter(|c| c.contains_key(term)).count() as u64;
        let candidates: Vec<Candidate> = counts
            .iter()
            .zip(1..)
            .map(|(c, id)| Candidate {
                id,
                vector: tfidf_vector(c, counts.len() as u64, df, 40),
                tags: Vec::new(),
            })
            .collect();
        for target in &candidates {
            let best = rank(target, &candidates, 1, |_| 0.0);
            let topic = |id: i64| id <= 3;
            assert_eq!(best.len(), 1, "post {} has no neighbour", target.id);
            assert_eq!(
                topic(best[0].id),
                topic(target.id),
                "post {} paired with {}: {:?}",
                target.id,
                best[0].id,
                best[0]
            );
            assert!(!best[0].shared_terms.is_empty());
        }
    }
}
