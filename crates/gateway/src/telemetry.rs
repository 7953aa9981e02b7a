//! Logging set-up: human-readable lines on a terminal, JSON on request,
//! always to stderr so that `waypost schema` prints clean SDL on stdout.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// What gets logged unless the operator says otherwise.
pub const DEFAULT_DIRECTIVES: &str = "info,async_graphql=warn";

/// Installs the global subscriber with `directives` (the `RUST_LOG` syntax);
/// unparseable directives fall back to the default and say so.
pub fn init(format: LogFormat, directives: &str) {
    let (filter, rejected) = match EnvFilter::try_new(directives) {
        Ok(filter) => (filter, None),
        Err(err) => (EnvFilter::new(DEFAULT_DIRECTIVES), Some(err)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    if let Some(err) = rejected {
        tracing::warn!(error = %err, "invalid log filter; using the default");
    }
}
