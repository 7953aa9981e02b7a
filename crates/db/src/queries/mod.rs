//! Queries, one module per table family. Each takes a pooled connection and
//! runs the same diesel expression on either backend.

pub mod account;
pub mod author;
pub mod career;
pub mod comment;
pub mod content;
pub mod editorial;
pub mod import;
pub mod persisted;
pub mod post;
pub mod search;
pub mod similar;
pub mod sitemap;
pub mod tag;
pub mod trusted;
