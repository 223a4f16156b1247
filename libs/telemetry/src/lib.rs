//! Telemetry set up once, in `main`, the same way for every service, and the plumbing
//! that keeps one request one trace across services:
//!
//! - [`init`]: structured logs (JSON lines carrying `trace_id`/`span_id` by default,
//!   human-readable with `LOG_FORMAT=pretty`) filtered by `RUST_LOG`, every tracing span
//!   an OpenTelemetry span, exported over OTLP/HTTP when an endpoint is configured, and
//!   W3C trace context as the propagation format. [`init_for_tests`] is its quiet twin.
//! - [`http_trace_layer`]: a server span per request, named by route template, that
//!   continues the caller's trace; [`inject_http_headers`] carries the current trace into
//!   an outgoing HTTP call.
//! - [`amqp`]: the same for RabbitMQ messages, through their headers.
//! - [`current_traceparent`]: the current trace as a string, for an outbox row to keep.
//! - [`metrics`]: the Prometheus recorder and `/metrics` route, the HTTP server metrics
//!   layer and the process and Tokio runtime gauges.
//! - [`shutdown_signal`]: the signal every server and worker listens to.

pub mod amqp;
mod export;
mod http;
mod log_format;
pub mod metrics;
mod otel;
mod propagation;
mod setup;
mod shutdown;

pub use http::{HttpTraceLayer, RecordResponse, RequestSpan, http_trace_layer};
pub use propagation::{current_traceparent, inject_http_headers};
pub use setup::{TelemetryGuard, capture_spans_for_tests, init, init_for_tests};
pub use shutdown::shutdown_signal;
