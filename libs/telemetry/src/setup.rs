//! Installing telemetry for a process: the tracing subscriber (logs and OpenTelemetry
//! spans), the tracer provider, the W3C propagator and the Prometheus recorder, once,
//! from `main` or from tests.
//!
//! Two filters, on purpose: `RUST_LOG` decides which lines are logged, while every span
//! at `INFO` or above is traced whatever `RUST_LOG` says, so quieting the logs never
//! breaks a trace or the context an outbox row keeps.

use std::sync::{Once, OnceLock};

use opentelemetry::{global, trace::TracerProvider as _};
use opentelemetry_sdk::{
    propagation::TraceContextPropagator,
    trace::{InMemorySpanExporter, SdkTracerProvider},
};
use tracing_subscriber::{EnvFilter, filter::LevelFilter, fmt, prelude::*};

use crate::{
    log_format::JsonWithTraceIds,
    otel::{self, Destination},
};

/// What `init` started. Dropping it flushes the spans still buffered and shuts the
/// tracer provider down, so it must live as long as `main`:
/// `let _telemetry = telemetry::init("inventory-service");`
/// (`let _ = ...` would drop it, and stop tracing, on the spot).
#[must_use = "dropping the guard shuts tracing down: bind it for the whole of `main`"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // Best effort: at exit there is nobody left to report a failed flush to, and the
        // SDK bounds the wait with its own timeout.
        let _ = self.provider.shutdown();
    }
}

/// Installs logs, traces and trace-context propagation for the whole process. Call once,
/// first thing in `main`, and keep the returned guard until `main` returns.
///
/// - Logs: JSON lines (with `trace_id` and `span_id` of the current span), or
///   human-readable with `LOG_FORMAT=pretty`, filtered by `RUST_LOG`
///   (default `info,sqlx=warn,tower_http=warn`).
/// - Traces: every `INFO`-or-above tracing span is an OpenTelemetry span with real ids,
///   reported as `service.name` = `OTEL_SERVICE_NAME` if set, else `service`, and
///   `service.version`. Spans are exported over OTLP/HTTP (batched) only when
///   `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set and
///   `OTEL_TRACES_EXPORTER` is not `none`; otherwise nothing is sent, silently.
/// - Propagation: W3C Trace Context (`traceparent`, `tracestate`).
/// - Metrics: the global Prometheus recorder ([`crate::metrics::install`]), rendered by
///   the service's `/metrics` route.
///
/// # Panics
///
/// If a global tracing subscriber is already installed.
#[must_use = "dropping the guard shuts tracing down: bind it for the whole of `main`"]
pub fn init(service: &'static str) -> TelemetryGuard {
    let service_name = otel::service_name(service);
    let destination = Destination::from_env();
    let (provider, export_error) =
        otel::tracer_provider(otel::resource(&service_name), destination);
    install_propagation(&provider);

    let log_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("pretty"));
    let registry = tracing_subscriber::registry().with(
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service))
            .with_filter(LevelFilter::INFO),
    );
    if pretty {
        registry.with(fmt::layer().with_filter(log_filter)).init();
    } else {
        registry
            .with(
                fmt::layer()
                    .json()
                    .event_format(JsonWithTraceIds::new())
                    .with_filter(log_filter),
            )
            .init();
    }
    // After the subscriber, so a recorder conflict is logged.
    crate::metrics::install();

    tracing::info!(
        service = %service_name,
        version = env!("CARGO_PKG_VERSION"),
        traces_exporter = destination.as_str(),
        "telemetry ready"
    );
    if let Some(err) = export_error {
        tracing::warn!(error = %err, "spans will not be exported: the OTLP exporter could not be built");
    }
    TelemetryGuard { provider }
}

/// Telemetry for tests: the W3C propagator, a tracer provider that exports nothing, a
/// subscriber writing through the test harness (so output shows only for failing tests),
/// filtered by `RUST_LOG` (default `warn`), and the Prometheus recorder. Spans still get
/// real trace ids, so tests can check propagation. Idempotent: call it at the top of
/// every test that needs it.
///
/// Leaves an already-installed global subscriber in place.
pub fn init_for_tests() {
    install_for_tests(None);
}

/// [`init_for_tests`], and every finished span is also kept in memory, for a test that
/// follows one trace across services (all in one process). Call it first, before any
/// other telemetry set-up of the process: the first set-up wins.
pub fn capture_spans_for_tests() -> InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    let exporter = EXPORTER.get_or_init(InMemorySpanExporter::default).clone();
    install_for_tests(Some(exporter.clone()));
    exporter
}

fn install_for_tests(capture: Option<InMemorySpanExporter>) {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let mut provider = SdkTracerProvider::builder().with_resource(otel::resource("tests"));
        if let Some(exporter) = capture {
            provider = provider.with_simple_exporter(exporter);
        }
        let provider = provider.build();
        install_propagation(&provider);
        let log_filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
        let _ = tracing_subscriber::registry()
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("tests"))
                    .with_filter(LevelFilter::INFO),
            )
            .with(fmt::layer().with_test_writer().with_filter(log_filter))
            .try_init();
    });
    crate::metrics::install();
}

/// W3C Trace Context for every injection and extraction in the process, and the provider
/// made global so that code using the OpenTelemetry API directly joins the same traces.
fn install_propagation(provider: &SdkTracerProvider) {
    global::set_text_map_propagator(TraceContextPropagator::new());
    global::set_tracer_provider(provider.clone());
}
