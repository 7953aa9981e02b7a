//! Which operations read from the database's replica: anonymous queries,
//! from clients that have not written lately. Mutations, subscriptions
//! and signed-in requests use the primary; so does a client for a while
//! after its last mutation, so that it reads what it wrote even while the
//! replica lags behind. A read the replica fails runs again on the primary.
//!
//! Clients are told apart by address, in each instance's memory: behind a
//! balancer that spreads one client's requests over several instances,
//! only the instance that took the mutation sends that client's next reads
//! to the primary (a balancer that keeps a client on one instance closes
//! the gap). Clients sharing an address (one NAT) share the window, which
//! only sends more reads to the primary.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use waypost_domain::ErrorCode;
use waypost_domain::policy::Viewer;

use super::caching::Personal;
use super::state::AppState;
use crate::error::code_of;
use crate::schema::execute;

/// Writers remembered before those past their window are forgotten.
const PRUNE_AT: usize = 10_000;

/// How long a writer's reads stay on the primary unless configured: well
/// above a healthy replica's lag, which is usually under a second.
pub(crate) const WRITER_WINDOW_MS: u64 = 5_000;

/// When each client last wrote, for as long as that keeps its reads on the
/// primary.
#[derive(Debug)]
pub(crate) struct RecentWriters {
    window: Duration,
    wrote: Mutex<HashMap<String, Instant>>,
}

impl Default for RecentWriters {
    fn default() -> Self {
        RecentWriters::new(Duration::from_millis(WRITER_WINDOW_MS))
    }
}

impl RecentWriters {
    pub(crate) fn new(window: Duration) -> Self {
        RecentWriters {
            window,
            wrote: Mutex::new(HashMap::new()),
        }
    }

    /// How long a writer's reads stay on the primary.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Notes that `client` has just sent a mutation (a client without a
    /// known address is never sent to the replica, so it need not be noted).
    pub(crate) fn wrote(&self, client: Option<&str>, now: Instant) {
        let Some(client) = client else {
            return;
        };
        let mut wrote = self.wrote.lock().unwrap_or_else(PoisonError::into_inner);
        if wrote.len() >= PRUNE_AT {
            wrote.retain(|_, at| now.saturating_duration_since(*at) < self.window);
        }
        wrote.insert(client.to_owned(), now);
    }

    /// Whether `client` sent a mutation within the window before `now`.
    pub(crate) fn wrote_lately(&self, client: &str, now: Instant) -> bool {
        self.wrote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(client)
            .is_some_and(|at| now.saturating_duration_since(*at) < self.window)
    }
}

/// Whether an operation of `kind` (`None`: its text did not parse) may read
/// from the replica: an anonymous query from a known client that has not
/// written lately, on a pool that has a replica.
fn tolerates_lag(
    state: &AppState,
    viewer: Option<&Viewer>,
    kind: Option<OperationType>,
    client: Option<&str>,
) -> bool {
    state.services.pool.has_replica()
        && viewer.is_none()
        && kind == Some(OperationType::Query)
        && client.is_some_and(|client| !state.writers.wrote_lately(client, Instant::now()))
}

/// Runs one operation of a request, of `kind` as its parsed text says, with
/// `personal` (a GET's) attached. A query that tolerates lag reads from the
/// replica; should the replica fail it (its connection lost midway, a read
/// cancelled while the replica replays the primary's changes), it runs
/// again on the primary: a query changes nothing, so running it twice is
/// safe, and the replica's trouble never reaches the client. A mutation
/// keeps its client's next reads on the primary.
pub(crate) async fn execute_routed(
    state: &AppState,
    viewer: Option<Viewer>,
    client_ip: Option<String>,
    request: Request,
    kind: Option<OperationType>,
    personal: Option<&Personal>,
) -> Response {
    let services = &state.services;
    let with_personal = |request: Request| match personal {
        Some(personal) => request.data(personal.clone()),
        None => request,
    };
    if !tolerates_lag(state, viewer.as_ref(), kind, client_ip.as_deref()) {
        let writes = kind == Some(OperationType::Mutation) && services.pool.has_replica();
        let response = execute(
            &state.schema,
            services,
            viewer,
            client_ip.clone(),
            with_personal(request),
        )
        .await;
        if writes {
            // From the end of the write: the replica's lag runs from its commit.
            state.writers.wrote(client_ip.as_deref(), Instant::now());
        }
        return response;
    }
    let again = spare(&request);
    let (response, from_replica) = waypost_db::lag_tolerant(execute(
        &state.schema,
        services,
        viewer.clone(),
        client_ip.clone(),
        with_personal(request),
    ))
    .await;
    let failed = response
        .errors
        .iter()
        .any(|e| code_of(e.extensions.as_ref()) == Some(ErrorCode::ServiceUnavailable));
    if !(failed && from_replica) {
        return response;
    }
    tracing::warn!("a read failed on the replica; running it again on the primary");
    services.pool.replica_read_failed();
    let mut again = again;
    // The parsed tree comes from the cache the handler filled; parsing
    // waits until a retry needs it, which is rare.
    state
        .documents
        .prepare(&mut again, state.limits.max_query_bytes);
    execute(
        &state.schema,
        services,
        viewer,
        client_ip,
        with_personal(again),
    )
    .await
}

/// A copy of what `request` asks, as its handler prepared it (before any
/// data was attached), to run once more; without its parsed tree.
fn spare(request: &Request) -> Request {
    let mut spare = Request::new(request.query.clone()).variables(request.variables.clone());
    spare.operation_name = request.operation_name.clone();
    spare.extensions = request.extensions.clone();
    spare.introspection_mode = request.introspection_mode;
    spare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_reads_from_the_primary_for_its_window() {
        let writers = RecentWriters::new(Duration::from_millis(500));
        let start = Instant::now();
        assert!(!writers.wrote_lately("203.0.113.7", start));
        writers.wrote(Some("203.0.113.7"), start);
        assert!(writers.wrote_lately("203.0.113.7", start));
        assert!(writers.wrote_lately("203.0.113.7", start + Duration::from_millis(499)));
        assert!(
            !writers.wrote_lately("203.0.113.8", start),
            "another client is not held back"
        );
        assert!(!writers.wrote_lately("203.0.113.7", start + Duration::from_millis(500)));
        // Writing again opens a new window.
        writers.wrote(Some("203.0.113.7"), start + Duration::from_secs(2));
        assert!(writers.wrote_lately("203.0.113.7", start + Duration::from_millis(2100)));
    }

    #[test]
    fn writers_past_their_window_are_forgotten_once_many() {
        let writers = RecentWriters::new(Duration::from_secs(1));
        let start = Instant::now();
        for n in 0..PRUNE_AT {
            writers.wrote(Some(&format!("client-{n}")), start);
        }
        let later = start + Duration::from_secs(2);
        writers.wrote(Some("late"), later);
        let kept = writers.wrote.lock().unwrap().len();
        assert_eq!(kept, 1, "only the writer within its window stays");
        assert!(writers.wrote_lately("late", later));
    }
}
