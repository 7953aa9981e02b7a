//! Waypost's gateway: the GraphQL schema, its loaders, the single mapping
//! from domain errors to GraphQL errors, the HTTP router and configuration.

pub mod client_address;
pub mod config;
pub mod error;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod metrics;
pub mod rate;
pub mod schema;
pub mod server;
pub mod telemetry;

pub use http::AppState;
pub use limits::Limits;
pub use schema::{Clock, WaypostSchema, build_schema, build_schema_with, execute, system_clock};
pub use server::{app, router};
