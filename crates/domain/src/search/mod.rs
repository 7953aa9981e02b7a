//! Search over published posts and guides: the reader's query parsed into
//! safe pieces (`query`), forgiving of a word being typed and of typos
//! (`dictionary`), ranked by the database's full-text engine, paged by an
//! opaque (score, kind, id) cursor, with highlighted snippets (`snippet`).

pub mod dictionary;
pub mod query;
pub mod snippet;

use crate::freshness::{Key, read};
use chrono::NaiveDateTime;
use waypost_db::queries::search::{self, Renderings, SearchSpec};
use waypost_db::{DbPool, GuideId, PostId};

use self::query::{Corrections, Forgiveness, SearchQuery};
use self::snippet::{SnippetText, snippet_html, snippet_text};
use crate::DomainResult;
use crate::cursor;
use crate::paging::{DEFAULT_PAGE_SIZE, page_size};

/// Cursors of search results.
const SEARCH_LISTING: &str = "search1";
/// Longest query text read; the rest is ignored.
const MAX_QUERY_CHARS: usize = 500;

/// What a search result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Post(PostId),
    Guide(GuideId),
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hit: Hit,
    pub score: f64,
    /// Sanitized HTML, matches wrapped in `<mark>`.
    pub snippet: String,
    /// The same snippet as plain text, with the matches' ranges.
    pub snippet_text: SnippetText,
    pub cursor: String,
}

#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Which kinds to search, and where.
#[derive(Debug, Clone)]
pub struct SearchFilter {
    pub posts: bool,
    pub guides: bool,
    pub tag_slug: Option<String>,
}

impl Default for SearchFilter {
    fn default() -> Self {
        SearchFilter {
            posts: true,
            guides: true,
            tag_slug: None,
        }
    }
}

fn encode_cursor(score: f64, kind: &str, id: i64) -> String {
    let bits = format!("{:016x}", score.to_bits());
    cursor::encode(SEARCH_LISTING, &[&bits, kind, &id.to_string()])
}

fn decode_cursor(after: &str) -> DomainResult<(f64, String, i64)> {
    let [bits, kind, id] = cursor::decode(after, SEARCH_LISTING, "after")?;
    let score = u64::from_str_radix(&bits, 16)
        .map(f64::from_bits)
        .ok()
        .filter(|score| score.is_finite())
        .ok_or_else(|| cursor::bad_cursor("after"))?;
    if !matches!(kind.as_str(), "post" | "guide") {
        return Err(cursor::bad_cursor("after"));
    }
    Ok((score, kind, cursor::parse_id(&id, "after")?))
}

/// A reader's query, read and with its typed words' corrections looked up
/// once, for a page, its total and a suggestion alike.
#[derive(Debug, Clone)]
pub struct Plan {
    text: String,
    query: SearchQuery,
    corrections: Corrections,
}

impl Plan {
    /// Reads `text` and looks up corrections for its words no post or
    /// guide holds (one statement, none for a query of short words).
    pub async fn new(pool: &DbPool, text: &str) -> DomainResult<Plan> {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let query = SearchQuery::parse(&text);
        let corrections = dictionary::corrections(pool, &query).await?;
        Ok(Plan {
            text,
            query,
            corrections,
        })
    }

    /// The query's renderings, from as typed to as forgiving as `forgiving`.
    fn spec(
        &self,
        forgiving: Forgiveness<'_>,
        filter: &SearchFilter,
        after: Option<(f64, String, i64)>,
        limit: i64,
        now: NaiveDateTime,
    ) -> Option<SearchSpec> {
        let q = &self.query;
        let renderings = |render: &dyn Fn(Forgiveness<'_>) -> Option<String>| {
            Some(Renderings {
                exact: render(Forgiveness::EXACT)?,
                typed: render(Forgiveness::TYPED)?,
                forgiving: render(forgiving)?,
            })
        };
        Some(SearchSpec {
            tsquery: renderings(&|how| q.to_tsquery(how))?,
            fts5: renderings(&|how| q.to_fts5(how))?,
            posts: filter.posts,
            guides: filter.guides,
            tag_slug: filter.tag_slug.clone(),
            after,
            limit,
            now,
        })
    }

    /// Prefixes and corrections both.
    fn forgiving(&self) -> Forgiveness<'_> {
        Forgiveness {
            prefixes: true,
            corrections: Some(&self.corrections),
        }
    }
}

/// A page of results for `plan`, best first: matches as typed, then
/// matches of a word being typed as a prefix, then matches of corrected
/// words. A query that asks for nothing (only stop words or exclusions)
/// finds nothing; it is never an error.
pub async fn search(
    pool: &DbPool,
    plan: &Plan,
    filter: &SearchFilter,
    first: Option<i32>,
    after: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<SearchPage> {
    read(Key::Posts);
    let limit = page_size("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
    let key = after.map(decode_cursor).transpose()?;
    let Some(spec) = plan.spec(plan.forgiving(), filter, key, limit + 1, now) else {
        return Ok(SearchPage::default());
    };
    let mut rows = search::page(&mut pool.get().await?, &spec).await?;
    let has_next_page = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let results = rows
        .into_iter()
        .filter_map(|row| {
            let hit = match row.kind.as_str() {
                "post" => Hit::Post(PostId(row.id)),
                "guide" => Hit::Guide(GuideId(row.id)),
                _ => return None,
            };
            Some(SearchResult {
                hit,
                score: row.score,
                snippet: snippet_html(&row.fragment),
                snippet_text: snippet_text(&row.fragment),
                cursor: encode_cursor(row.score, &row.kind, row.id),
            })
        })
        .collect();
    Ok(SearchPage {
        results,
        has_next_page,
        has_previous_page: after.is_some(),
    })
}

/// How many published posts and guides `plan` finds, ignoring paging: the
/// rows its pages show.
pub async fn count(
    pool: &DbPool,
    plan: &Plan,
    filter: &SearchFilter,
    now: NaiveDateTime,
) -> DomainResult<i64> {
    count_as(pool, plan, plan.forgiving(), filter, now).await
}

async fn count_as(
    pool: &DbPool,
    plan: &Plan,
    forgiving: Forgiveness<'_>,
    filter: &SearchFilter,
    now: NaiveDateTime,
) -> DomainResult<i64> {
    read(Key::Posts);
    let Some(spec) = plan.spec(forgiving, filter, None, 0, now) else {
        return Ok(0);
    };
    Ok(search::count(&mut pool.get().await?, &spec).await?)
}

/// The query with each word no post holds replaced by its closest word,
/// when that finds more than the query as typed: a "did you mean" to
/// offer. `None` when no word needed correcting, or correcting finds no
/// more. Two counts when a word has a correction, no statement otherwise.
pub async fn suggestion(
    pool: &DbPool,
    plan: &Plan,
    filter: &SearchFilter,
    now: NaiveDateTime,
) -> DomainResult<Option<String>> {
    if plan.corrections.is_empty() {
        return Ok(None);
    }
    let corrected = dictionary::corrected_text(&plan.text, &plan.corrections);
    let as_typed = count_as(pool, plan, Forgiveness::TYPED, filter, now).await?;
    let fixed = Plan {
        query: SearchQuery::parse(&corrected),
        text: corrected,
        corrections: Corrections::new(),
    };
    let as_corrected = count_as(pool, &fixed, Forgiveness::TYPED, filter, now).await?;
    Ok((as_corrected > as_typed).then_some(fixed.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let cursor = encode_cursor(0.123_456_789, "post", 42);
        assert_eq!(
            decode_cursor(&cursor).ok(),
            Some((0.123_456_789, "post".to_owned(), 42))
        );
        for bad in [
            "",
            "garbage",
            &cursor::encode(SEARCH_LISTING, &["zz", "post", "1"]),
            &cursor::encode(SEARCH_LISTING, &["0", "user", "1"]),
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
