//! What "live" means, written once: published, with a publishing instant at
//! or before now. Scheduling is a query-time rule, so a post or guide
//! published with a later date is scheduled until that instant passes, with
//! nothing to flip when it does. Posts and guides share the rule (and the
//! `status` and `published_at` columns it reads).
//!
//! The rule comes in the three forms a query may need, kept side by side so
//! that they cannot drift apart: a diesel filter per table, an SQL fragment
//! for the SQL builder, and a test on a row already loaded.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::models::{Guide, GuideStatus, Post, PostStatus};
use crate::schema::{guides, posts};
use crate::sql::SqlBuilder;

/// Posts live at `now`, as a diesel filter.
#[diesel::dsl::auto_type]
pub(crate) fn post(now: NaiveDateTime) -> _ {
    let published: PostStatus = PostStatus::Published;
    posts::status.eq(published).and(posts::published_at.le(now))
}

/// Guides live at `now`, as a diesel filter.
#[diesel::dsl::auto_type]
pub(crate) fn guide(now: NaiveDateTime) -> _ {
    let published: GuideStatus = GuideStatus::Published;
    guides::status
        .eq(published)
        .and(guides::published_at.le(now))
}

/// Posts published for a later instant than `now`, as a diesel filter.
#[diesel::dsl::auto_type]
pub(crate) fn scheduled_post(now: NaiveDateTime) -> _ {
    let published: PostStatus = PostStatus::Published;
    posts::status.eq(published).and(posts::published_at.gt(now))
}

/// Guides published for a later instant than `now`, as a diesel filter.
#[diesel::dsl::auto_type]
pub(crate) fn scheduled_guide(now: NaiveDateTime) -> _ {
    let published: GuideStatus = GuideStatus::Published;
    guides::status
        .eq(published)
        .and(guides::published_at.gt(now))
}

/// `t.status = 'published' AND t.published_at <= now` for the posts or
/// guides aliased `t`, with `now` the number of a placeholder already bound
/// to the instant.
pub(crate) fn sql(b: &mut SqlBuilder, t: &'static str, now: usize) {
    published_at(b, t, " <= ", now);
}

/// Published for a later instant than `now`: scheduled, the other side of
/// the line `sql` draws.
pub(crate) fn scheduled_sql(b: &mut SqlBuilder, t: &'static str, now: usize) {
    published_at(b, t, " > ", now);
}

fn published_at(b: &mut SqlBuilder, t: &'static str, op: &'static str, now: usize) {
    b.push(t)
        .push(".status = 'published' AND ")
        .push(t)
        .push(".published_at")
        .push(op);
    b.placeholder(now);
}

fn live_at(published: bool, at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    published && at.is_some_and(|at| at <= now)
}

impl Post {
    /// Whether readers see this post at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        live_at(self.status == PostStatus::Published, self.published_at, now)
    }
}

impl Guide {
    /// Whether readers see this guide at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        live_at(
            self.status == GuideStatus::Published,
            self.published_at,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Backend;
    use crate::sql::Bind;

    #[test]
    fn live_and_scheduled_split_published_at_now() {
        let now = NaiveDateTime::default();
        let mut b = SqlBuilder::new(Backend::Postgres);
        let at = b.value(Bind::Time(now));
        sql(&mut b, "p", at);
        b.push(" / ");
        scheduled_sql(&mut b, "g", at);
        assert_eq!(
            b.sql,
            "p.status = 'published' AND p.published_at <= $1 / \
             g.status = 'published' AND g.published_at > $1"
        );
    }
}
