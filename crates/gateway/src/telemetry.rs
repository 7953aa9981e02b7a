//! Logging set-up: human-readable lines on a terminal, JSON on request,
//! always to stderr so that `waypost schema` prints clean SDL on stdout.
//! Built with the `otel` feature, spans are also exported over OTLP/HTTP
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; nothing needs it otherwise.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log shipper.
    Json,
}

/// What gets logged unless the operator says otherwise.
pub const DEFAULT_DIRECTIVES: &str = "info,async_graphql=warn";

const OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Keeps trace export running; dropping it sends the spans still queued.
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("waypost: trace export did not flush: {err}");
        }
    }
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the global subscriber with `directives` (the `RUST_LOG` syntax);
/// unparseable directives fall back to the default and say so.
pub fn init(format: LogFormat, directives: &str) -> Telemetry {
    let (filter, rejected) = match EnvFilter::try_new(directives) {
        Ok(filter) => (filter, None),
        Err(err) => (EnvFilter::new(DEFAULT_DIRECTIVES), Some(err)),
    };
    // Colour only for a person at a terminal: escape codes in a file or a
    // log shipper's pipe are noise.
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let lines: BoxedLayer = match format {
        LogFormat::Text => Box::new(lines),
        LogFormat::Json => Box::new(lines.json().flatten_event(true).with_current_span(true)),
    };
    let endpoint = std::env::var(OTLP_ENDPOINT)
        .ok()
        .filter(|e| !e.trim().is_empty());
    let (export, telemetry, export_error) = exporter(endpoint.is_some());
    // A second init (tests) keeps the first subscriber.
    let layers: Vec<BoxedLayer> = std::iter::once(lines).chain(export).collect();
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
    if let Some(err) = rejected {
        tracing::warn!(error = %err, "invalid log filter; using the default");
    }
    if let Some(err) = export_error {
        tracing::warn!(error = %err, "trace export is off");
    } else if let Some(endpoint) = endpoint {
        tracing::info!(endpoint = %endpoint, "exporting traces over OTLP");
    }
    telemetry
}

#[cfg(feature = "otel")]
fn exporter(wanted: bool) -> (Option<BoxedLayer>, Telemetry, Option<String>) {
    use opentelemetry::trace::TracerProvider as _;
    if !wanted {
        return (None, Telemetry { provider: None }, None);
    }
    // The exporter reads the endpoint (and OTEL_EXPORTER_OTLP_HEADERS and
    // the like) from the environment itself.
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(exporter) => exporter,
        Err(err) => return (None, Telemetry { provider: None }, Some(err.to_string())),
    };
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("waypost")
                .build(),
        )
        .build();
    let layer: BoxedLayer =
        Box::new(tracing_opentelemetry::layer().with_tracer(provider.tracer("waypost")));
    (
        Some(layer),
        Telemetry {
            provider: Some(provider),
        },
        None,
    )
}

#[cfg(not(feature = "otel"))]
fn exporter(wanted: bool) -> (Option<BoxedLayer>, Telemetry, Option<String>) {
    let error = wanted.then(|| {
        format!("{OTLP_ENDPOINT} is set, but this build lacks the `otel` feature (build with `--features otel`)")
    });
    (None, Telemetry {}, error)
}

/// A budget of log lines a second for one kind of line (refusals of a
/// client past its rate): a flood of requests must not become a flood of
/// logs. Lines over the budget are counted, and the count is logged with
/// the first line of the next second that has room.
#[derive(Debug, Default)]
pub(crate) struct LogBudget {
    /// The second the budget is spent in, and lines written in it.
    window: std::sync::Mutex<(u64, u32)>,
    suppressed: std::sync::atomic::AtomicU64,
}

impl LogBudget {
    pub(crate) const LINES_PER_SECOND: u32 = 10;

    /// Whether a line may be written in second `now_s`; when it may, also
    /// how many were held back since the last one written.
    pub(crate) fn take(&self, now_s: u64) -> Option<u64> {
        use std::sync::atomic::Ordering;
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if window.0 != now_s {
            *window = (now_s, 0);
        }
        if window.1 >= Self::LINES_PER_SECOND {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        window.1 += 1;
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::LogBudget;

    #[test]
    fn a_flood_of_lines_is_cut_to_the_budget_and_counted() {
        let budget = LogBudget::default();
        let written = (0..1000).filter(|_| budget.take(7).is_some()).count();
        assert_eq!(written, LogBudget::LINES_PER_SECOND as usize);
        // The next second's first line says how many were held back.
        assert_eq!(budget.take(8), Some(990));
        assert_eq!(budget.take(8), Some(0));
    }
}

/// The trace id of a W3C `traceparent` header (`00-<trace id>-<parent
/// id>-<flags>`), when it is well formed, for the request's log lines.
pub(crate) fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let zero = |s: &str| s.bytes().all(|b| b == b'0');
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && !zero(trace)
        && hex(parent, 16)
        && !zero(parent)
        && hex(flags, 2)
        // Version 00 has exactly four fields; later ones may add more.
        && (version != "00" || parts.next().is_none());
    valid.then_some(trace)
}

/// Makes `span` a child of the caller's trace named by `traceparent`, so
/// that exported spans join the trace a client or proxy began.
#[cfg(feature = "otel")]
pub(crate) fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use opentelemetry::propagation::{Extractor, TextMapPropagator};
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Headers<'a>(&'a axum::http::HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(axum::http::HeaderName::as_str).collect()
        }
    }
    let parent =
        opentelemetry_sdk::propagation::TraceContextPropagator::new().extract(&Headers(headers));
    // A span the exporter does not track (export off) has no parent to set.
    let _ = span.set_parent(parent);
}

#[cfg(not(feature = "otel"))]
pub(crate) fn continue_trace(_span: &tracing::Span, _headers: &axum::http::HeaderMap) {}

#[cfg(test)]
mod trace_tests {
    use super::trace_id;

    #[test]
    fn only_a_well_formed_traceparent_names_a_trace() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            trace_id(&format!("00-{trace}-00f067aa0ba902b7-01")),
            Some(trace)
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(trace_id(bad), None, "{bad}");
        }
    }
}
