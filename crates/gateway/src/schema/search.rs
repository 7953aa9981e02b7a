//! `search`: published posts and guides ranked by relevance, as a Relay
//! connection of results with highlighted snippets.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Union};
use waypost_domain::search::snippet::SnippetText;
use waypost_domain::search::{self, Hit, Plan, SearchFilter, SearchPage};

use super::career::GuideObject;
use super::paging::{PageInfo, page_cost};
use super::{PostObject, request_context};
use crate::error::GqlResultExt;
use crate::loaders::LiveGuide;

/// What a search result can be.
#[derive(Union)]
pub(crate) enum Searchable {
    Post(PostObject),
    Guide(GuideObject),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SearchType {
    Post,
    Guide,
}

#[derive(InputObject, Default)]
pub(crate) struct SearchFilterInput {
    /// Kinds to search; all when left out.
    pub types: Option<Vec<SearchType>>,
    /// Only posts filed under this tag (guides have no tags).
    pub tag_slug: Option<String>,
}

#[derive(SimpleObject)]
pub(crate) struct SearchResult {
    pub item: Searchable,
    /// Relevance; higher is better. Comparable within one search only.
    pub score: f64,
    /// Sanitized HTML around the best match, matches wrapped in `<mark>`.
    pub snippet: String,
    /// The same snippet as plain text with the matches' ranges, for
    /// clients that lay text out themselves.
    pub snippet_text: HighlightedText,
}

/// Text with ranges to highlight.
#[derive(SimpleObject)]
pub(crate) struct HighlightedText {
    pub text: String,
    pub highlights: Vec<TextRange>,
}

/// A range of a text: `text.slice(start, end)` in JavaScript. Offsets count
/// UTF-16 code units, as JavaScript strings index (an emoji counts two);
/// `end` is exclusive.
#[derive(SimpleObject)]
pub(crate) struct TextRange {
    pub start: i32,
    pub end: i32,
}

impl From<&SnippetText> for HighlightedText {
    fn from(snippet: &SnippetText) -> Self {
        let offset = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        HighlightedText {
            text: snippet.text.clone(),
            highlights: snippet
                .highlights
                .iter()
                .map(|&(start, end)| TextRange {
                    start: offset(start),
                    end: offset(end),
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
pub(crate) struct SearchEdge {
    pub cursor: String,
    pub node: SearchResult,
}

pub(crate) struct SearchConnection {
    plan: Plan,
    filter: SearchFilter,
    page: SearchPage,
    edges: Vec<SearchEdge>,
}

#[Object]
impl SearchConnection {
    async fn edges(&self) -> &[SearchEdge] {
        &self.edges
    }
    async fn nodes(&self) -> Vec<&SearchResult> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: self.edges.first().map(|e| e.cursor.clone()),
            end_cursor: self.edges.last().map(|e| e.cursor.clone()),
        }
    }
    /// Published posts and guides matching, ignoring paging: the results
    /// the pages show, corrected and prefix matches included.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let rc = request_context(ctx)?;
        let total = search::count(&rc.pool, &self.plan, &self.filter, rc.now)
            .await
            .gql()?;
        Ok(i32::try_from(total).unwrap_or(i32::MAX))
    }
    /// "Did you mean": the query with its misspelt words corrected, when
    /// that finds more than the query as typed (a word no post or guide
    /// holds, five letters or more, one or two letters off). Null when
    /// nothing needed correcting.
    async fn suggestion(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let rc = request_context(ctx)?;
        search::suggestion(&rc.pool, &self.plan, &self.filter, rc.now)
            .await
            .gql()
    }
}

#[derive(Default)]
pub(crate) struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches titles, excerpts and bodies of published posts and guides.
    /// Write words, "quoted phrases" and -excluded words; anything else is
    /// read as plain words. The last word, and any word followed by `*`,
    /// also finds words it begins (`kuber` finds "Kubernetes"), and a word
    /// of five letters or more that no post holds also finds the words one
    /// letter off (two for nine letters or more). Exact matches rank first,
    /// then prefix matches, then corrected ones.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SearchFilterInput>,
    ) -> async_graphql::Result<SearchConnection> {
        let rc = request_context(ctx)?;
        let input = filter.unwrap_or_default();
        let types = input
            .types
            .unwrap_or_else(|| vec![SearchType::Post, SearchType::Guide]);
        let filter = SearchFilter {
            posts: types.contains(&SearchType::Post),
            guides: types.contains(&SearchType::Guide),
            tag_slug: input.tag_slug,
        };
        let plan = Plan::new(&rc.pool, &query).await.gql()?;
        let page = search::search(&rc.pool, &plan, &filter, first, after.as_deref(), rc.now)
            .await
            .gql()?;
        // Each result's post or guide, batched.
        let post_ids: Vec<_> = page
            .results
            .iter()
            .filter_map(|r| match r.hit {
                Hit::Post(id) => Some(id),
                Hit::Guide(_) => None,
            })
            .collect();
        let guide_ids: Vec<_> = page
            .results
            .iter()
            .filter_map(|r| match r.hit {
                Hit::Guide(id) => Some(LiveGuide(id)),
                Hit::Post(_) => None,
            })
            .collect();
        let posts = rc.loader.load_many(post_ids).await.gql()?;
        let guides = rc.loader.load_many(guide_ids).await.gql()?;
        let edges = page
            .results
            .iter()
            .filter_map(|r| {
                let item = match r.hit {
                    Hit::Post(id) => Searchable::Post(PostObject(posts.get(&id)?.clone())),
                    Hit::Guide(id) => {
                        Searchable::Guide(GuideObject(guides.get(&LiveGuide(id))?.clone()))
                    }
                };
                Some(SearchEdge {
                    cursor: r.cursor.clone(),
                    node: SearchResult {
                        item,
                        score: r.score,
                        snippet: r.snippet.clone(),
                        snippet_text: HighlightedText::from(&r.snippet_text),
                    },
                })
            })
            .collect();
        Ok(SearchConnection {
            plan,
            filter,
            page,
            edges,
        })
    }
}
