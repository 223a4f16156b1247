//! The HTTP server span: one per request, named after the matched route template (never
//! the raw path, so `/inventory/ABC-1234-AB` and `/inventory/XYZ-0000-AA` are one route),
//! continuing the caller's trace when the request carries a `traceparent`, and marked
//! as an error when the answer is a 5xx. A 5xx is logged at `ERROR`, except a 503: under
//! overload every refused request is one, and a log line each would spend on logging
//! the CPU the refusal saves (the request metrics count them).

use std::time::Duration;

use axum::{
    extract::MatchedPath,
    http::{Request, Response, StatusCode},
};
use tower_http::{
    classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier},
    trace::{
        DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse,
        MakeSpan, OnFailure, OnResponse, TraceLayer,
    },
};
use tracing::{Level, Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::propagation;

/// What [`http_trace_layer`] returns: `tower_http`'s trace layer with this crate's span
/// and response recording.
pub type HttpTraceLayer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    RequestSpan,
    DefaultOnRequest,
    RecordResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    LogFailure,
>;

/// A server span per request, for `.layer(telemetry::http_trace_layer())` on a router.
///
/// The span is `http_request` with `otel.kind = "server"`, `http.request.method`,
/// `http.route` (the route template, or `unmatched`) and, once answered,
/// `http.response.status_code`; a 5xx also sets `otel.status_code = "ERROR"`. Its parent
/// is the W3C context of the request's `traceparent`/`tracestate` headers, so a call from
/// another service continues that service's trace; without them the request starts a new
/// trace.
pub fn http_trace_layer() -> HttpTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_response(RecordResponse)
        .on_failure(LogFailure)
}

/// Makes the request's span; see [`http_trace_layer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let method = request.method();
        let route = request.extensions().get::<MatchedPath>();
        // The span name in traces, per the HTTP semantic conventions: `GET /inventory/{sku}`,
        // or just the method when no route matched (the raw path would explode cardinality).
        let otel_name = match route {
            Some(route) => format!("{method} {}", route.as_str()),
            None => method.to_string(),
        };
        let span = tracing::info_span!(
            "http_request",
            otel.name = otel_name,
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = %method,
            http.route = route.map_or("unmatched", MatchedPath::as_str),
            http.response.status_code = Empty,
            // Named by the access layer once it knows who calls; never a key.
            caller = Empty,
        );
        // Fails only when the span is not traced at all, and then there is nothing to
        // continue.
        let _ = span.set_parent(propagation::extract_http(request.headers()));
        span
    }
}

/// Records the answer on the request's span, then logs it at `DEBUG` as before.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordResponse;

impl<B> OnResponse<B> for RecordResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status();
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
        DefaultOnResponse::new()
            .level(Level::DEBUG)
            .on_response(response, latency, span);
    }
}

/// Logs a failed request: at `ERROR`, or at `DEBUG` for a 503 (a refusal under load, or a
/// peer that is away, which the request metrics count).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogFailure;

impl OnFailure<ServerErrorsFailureClass> for LogFailure {
    fn on_failure(&mut self, class: ServerErrorsFailureClass, latency: Duration, span: &Span) {
        let level = match class {
            ServerErrorsFailureClass::StatusCode(status)
                if status == StatusCode::SERVICE_UNAVAILABLE =>
            {
                Level::DEBUG
            }
            _ => Level::ERROR,
        };
        DefaultOnFailure::new()
            .level(level)
            .on_failure(class, latency, span);
    }
}
