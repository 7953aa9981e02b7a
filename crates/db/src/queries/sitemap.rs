//! The public pages a sitemap lists and when each last changed: live posts
//! and guides, and the tags and authors with at least one live post. One
//! statement per kind of page, however many pages there are; only slugs and
//! times are read, never bodies.

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::live;
use crate::pool::{DbConn, with_conn};
use crate::schema::{authors, guides, post_tags, posts, tags};

/// A public page by its slug, with the times its content last moved.
#[derive(Debug, Clone, Queryable)]
pub struct ListedPage {
    pub slug: String,
    pub updated_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
}

impl ListedPage {
    /// When the page last changed (see [`modified`]).
    pub fn modified(&self) -> Option<NaiveDateTime> {
        modified(self.updated_at, self.published_at)
    }
}

/// When a post's or guide's page last changed, from its last edit and its
/// publishing instant: one scheduled ahead changes its page when it goes
/// live, after its last edit.
pub fn modified(
    updated_at: Option<NaiveDateTime>,
    published_at: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    updated_at.max(published_at)
}

/// Posts live at `now`, newest first.
pub async fn posts(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<Vec<ListedPage>> {
    Ok(with_conn!(conn, |c| {
        posts::table
            .filter(live::post(now))
            .order((posts::published_at.desc(), posts::id.desc()))
            .select((
                posts::slug,
                posts::updated_at.nullable(),
                posts::published_at,
            ))
            .load(c)
            .await
    })?)
}

/// Guides live at `now`, newest first.
pub async fn guides(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<Vec<ListedPage>> {
    Ok(with_conn!(conn, |c| {
        guides::table
            .filter(live::guide(now))
            .order((guides::published_at.desc(), guides::id.desc()))
            .select((
                guides::slug,
                guides::updated_at.nullable(),
                guides::published_at,
            ))
            .load(c)
            .await
    })?)
}

/// Tags with a post live at `now`, by slug, each with its newest post's
/// times: a tag's page changes when one of its posts does.
pub async fn tags(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<Vec<ListedPage>> {
    Ok(with_conn!(conn, |c| {
        tags::table
            .inner_join(post_tags::table.inner_join(posts::table))
            .filter(live::post(now))
            .group_by((tags::id, tags::slug))
            .order(tags::slug)
            .select((tags::slug, max(posts::updated_at), max(posts::published_at)))
            .load(c)
            .await
    })?)
}

/// Authors with a post live at `now`, by slug, each with their newest
/// post's times.
pub async fn authors(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<Vec<ListedPage>> {
    Ok(with_conn!(conn, |c| {
        authors::table
            .inner_join(posts::table)
            .filter(live::post(now))
            .group_by((authors::id, authors::slug))
            .order(authors::slug)
            .select((
                authors::slug,
                max(posts::updated_at),
                max(posts::published_at),
            ))
            .load(c)
            .await
    })?)
}
