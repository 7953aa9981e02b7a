//! Waypost's gateway: everything that speaks to clients. It owns the
//! GraphQL schema (one module per area under `schema/`), the DataLoaders
//! that batch every fan-out, the one mapping from error codes to GraphQL
//! errors, HTTP statuses and metrics, the HTTP and WebSocket transport
//! (`http/`, `server.rs`), the trusted documents of trusted mode,
//! configuration, telemetry and the `waypost` binary. It resolves fields from what `waypost-domain` returns and never
//! builds SQL; of `waypost-db` it knows only what wires the pool and counts
//! statements.

#![warn(unreachable_pub)]

mod client_address;
pub mod config;
mod error;
mod http;
mod limits;
mod loaders;
mod metrics;
mod rate;
mod schema;
mod server;
pub mod telemetry;
pub mod trusted;

pub use client_address::{ProxyRange, TrustedProxies};
pub use http::{AppState, Cors};
pub use limits::Limits;
pub use schema::{
    Clock, Site, WaypostSchema, build_schema, build_schema_with, execute, system_clock,
};
pub use trusted::TrustedDocuments;
/// The release and the commit it was built from, as `--version` and the
/// `waypost_build_info` metric give them.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("WAYPOST_COMMIT"), ")");

pub use http::answers::tell_instances;
pub use http::{AnswerCaching, ConnectionLimits, HttpCaching};
pub use server::{StopTimes, app, metrics_router, router, serve, serve_until, shutdown_signal};
