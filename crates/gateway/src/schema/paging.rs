//! What every connection shares: `PageInfo`, and what a page costs
//! against the query's complexity budget.

use async_graphql::SimpleObject;

#[derive(SimpleObject)]
pub(crate) struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// The complexity of a connection field: its contents once per item it may
/// return, so that nested lists multiply.
pub(crate) fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(waypost_domain::paging::DEFAULT_PAGE_SIZE);
    usize::try_from(size)
        .unwrap_or(0)
        .max(1)
        .saturating_mul(child_complexity)
}
