//! Prometheus metrics, shared by every service: one recorder per process, the scrape
//! route, the HTTP server metrics and the process and Tokio runtime gauges.
//!
//! - [`install`]: the process's one global recorder, with the latency buckets set per
//!   histogram. [`crate::init`] and [`crate::init_for_tests`] call it; so do [`render`],
//!   [`http_metrics_layer`] and [`spawn_runtime_sampler`], so metrics recorded after any
//!   of them are never lost to the no-op recorder.
//! - [`render`] and [`route`]: the text exposition format, for
//!   `.route("/metrics", get(telemetry::metrics::route))`.
//! - [`http_metrics_layer`]: the HTTP server metrics (`http_server_requests_total`,
//!   `http_server_request_duration_seconds`, `http_server_requests_errors_total`), by
//!   route template.
//! - [`spawn_runtime_sampler`]: `process_*` and `tokio_*` gauges, sampled every few
//!   seconds.
//!
//! Code records with the `metrics` macros (`counter!`, `gauge!`, `histogram!`); this
//! module never names a metric that belongs to a domain.

mod http;
mod recorder;
mod runtime;

pub use http::{HttpMetrics, HttpMetricsLayer, http_metrics_layer};
pub use recorder::{LATENCY_BUCKETS, install, render, route};
pub use runtime::spawn_runtime_sampler;
