//! Time as Waypost keeps it: instants stored to the microsecond, and where
//! "now" comes from, so that tests can stand exactly on an instant.

use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};

/// Where "now" comes from: the system clock, or one a test sets.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

/// The system clock, in UTC, to the microsecond that storage keeps.
pub fn system_clock() -> Clock {
    Arc::new(|| stored_instant(Utc::now().naive_utc()))
}

/// An instant as Waypost stores it: whole microseconds. PostgreSQL keeps no
/// more, and SQLite compares timestamps as text, where a stored nanosecond
/// tail would sort a post after the very instant it was scheduled for.
pub fn stored_instant(time: NaiveDateTime) -> NaiveDateTime {
    use chrono::SubsecRound;
    time.trunc_subsecs(6)
}
