//! Waypost over HTTP: the GraphQL endpoint and its WebSocket, the pages
//! beside it, and what guards them.

pub(crate) mod answers;
mod auth;
mod caching;
mod codec;
pub(crate) mod connections;
mod documents;
pub(crate) mod feeds;
pub(crate) mod graphiql_assets;
pub(crate) mod graphql;
pub(crate) mod guard;
pub(crate) mod pages;
mod persisted;
mod replica;
mod socket;
mod state;

pub use answers::AnswerCaching;
pub use caching::HttpCaching;
pub(crate) use caching::Personal;
pub use connections::ConnectionLimits;
pub(crate) use guard::CLIENT_HEADERS;
pub use guard::Cors;
pub(crate) use replica::WRITER_WINDOW_MS;
pub use state::AppState;
pub(crate) use state::{GraphiqlPage, Phase};

/// The header that carries each request's id, in and out.
pub(crate) const REQUEST_ID: &str = "x-request-id";
