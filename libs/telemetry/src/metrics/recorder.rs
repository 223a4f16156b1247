//! The process's one Prometheus recorder, installed at most once whoever asks first
//! (tests start many applications in one process; the second install would fail), and
//! rendered on demand: no listener of its own, the service's router serves it.

use std::sync::OnceLock;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds, in seconds, of the latency histograms: from half a millisecond (a
/// primary-key read on a warm pool) to five seconds (past every timeout we set).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Upper bounds, in seconds, of a saga's duration: from a fast HTTP-first checkout to a
/// saga that timed out after minutes.
pub const SAGA_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

/// The histograms rendered with [`LATENCY_BUCKETS`]. Buckets are fixed when the
/// recorder is built, so a new latency histogram is added here; any histogram not named
/// here is rendered as a summary, which cannot be aggregated across instances.
const LATENCY_HISTOGRAMS: &[&str] = &[
    "http_server_request_duration_seconds",
    "db_query_duration_seconds",
    // From a stock change's commit to the stock view applying it (inventory-api).
    "stock_view_event_delay_seconds",
    // Each call to the payment provider (order-service).
    "payment_step_duration_seconds",
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global Prometheus recorder unless it is installed already; cheap to call
/// again. Metrics recorded before the first call are lost (the `metrics` facade drops
/// them), which is why [`crate::init`] calls it first thing.
pub fn install() {
    handle();
}

/// Every metric recorded in this process, in the Prometheus text exposition format.
pub fn render() -> String {
    handle().render()
}

/// `GET /metrics`: [`render`] with the exposition format's content type. Add the route
/// after the layers (`.layer(...)` wraps only the routes already added) so scrapes are
/// neither traced nor counted; [`http_metrics_layer`](super::http_metrics_layer) skips
/// `/metrics` anyway.
pub async fn route() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(),
    )
        .into_response()
}

pub(super) fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(build_and_install)
}

fn build_and_install() -> PrometheusHandle {
    let mut builder = PrometheusBuilder::new();
    for name in LATENCY_HISTOGRAMS {
        builder = builder
            .set_buckets_for_metric(Matcher::Full((*name).to_owned()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty");
    }
    builder = builder
        .set_buckets_for_metric(
            Matcher::Full("saga_duration_seconds".to_owned()),
            SAGA_BUCKETS,
        )
        .expect("the saga buckets are not empty");
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if let Err(err) = metrics::set_global_recorder(recorder) {
        // Another recorder took the slot (a library, or a test harness of its own): the
        // metrics go there, and /metrics shows only what this handle sees, which is
        // nothing. Worth a line, not a crash.
        tracing::warn!(error = %err, "a metrics recorder was already installed; /metrics will be empty");
    }
    super::http::describe();
    super::runtime::describe();
    handle
}
