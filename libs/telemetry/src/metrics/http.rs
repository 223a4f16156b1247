//! HTTP server metrics by route template: a count and a latency histogram per route,
//! and a count of 5xx answers.
//!
//! The `route` label is the axum `MatchedPath` (`/inventory/{sku}`), never the raw path:
//! one series per SKU would grow without bound. A request no route matched is `unmatched`,
//! and a method outside the standard ones is `_OTHER`, for the same reason.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    extract::MatchedPath,
    http::{Method, Request, Response, StatusCode},
};
use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use tower::{Layer, Service};

const REQUESTS: &str = "http_server_requests_total";
const DURATION: &str = "http_server_request_duration_seconds";
const ERRORS: &str = "http_server_requests_errors_total";

/// The scrape route, left out: counting scrapes would only measure Prometheus.
const METRICS_ROUTE: &str = "/metrics";

/// The HTTP server metrics for every route of a router:
/// `.layer(telemetry::metrics::http_metrics_layer())`.
///
/// - `http_server_requests_total{method,route,code}`: answered requests;
/// - `http_server_request_duration_seconds{method,route}`: time to the response head;
/// - `http_server_requests_errors_total{method,route,code}`: answers with a 5xx status.
///
/// A request whose handler panics or whose client goes away before the answer is not
/// counted. Installs the recorder if nothing has yet.
pub fn http_metrics_layer() -> HttpMetricsLayer {
    super::install();
    HttpMetricsLayer
}

/// See [`http_metrics_layer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpMetricsLayer;

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetrics { inner }
    }
}

/// The service [`HttpMetricsLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct HttpMetrics<S> {
    inner: S,
}

impl<S, B, ResBody> Service<Request<B>> for HttpMetrics<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let labels = RequestLabels::of(&request);
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            if let (Some(labels), Ok(response)) = (labels, &result) {
                labels.record(response.status(), started);
            }
            result
        })
    }
}

/// What a request is counted under, taken before the handler consumes it.
struct RequestLabels {
    method: &'static str,
    route: String,
}

impl RequestLabels {
    /// `None` for the scrape route.
    fn of<B>(request: &Request<B>) -> Option<Self> {
        let route = match request.extensions().get::<MatchedPath>() {
            Some(matched) if matched.as_str() == METRICS_ROUTE => return None,
            Some(matched) => matched.as_str().to_owned(),
            None => "unmatched".to_owned(),
        };
        Some(Self {
            method: method_label(request.method()),
            route,
        })
    }

    fn record(self, status: StatusCode, started: Instant) {
        let code = status.as_str().to_owned();
        histogram!(DURATION, "method" => self.method, "route" => self.route.clone())
            .record(started.elapsed());
        if status.is_server_error() {
            counter!(ERRORS, "method" => self.method, "route" => self.route.clone(), "code" => code.clone())
                .increment(1);
        }
        counter!(REQUESTS, "method" => self.method, "route" => self.route, "code" => code)
            .increment(1);
    }
}

/// The method as a label: the standard ones by name, anything else `_OTHER` (the
/// OpenTelemetry HTTP conventions' spelling), so a client cannot mint series at will.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|name| *name == method.as_str())
        .unwrap_or("_OTHER")
}

pub(super) fn describe() {
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route template and status code."
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time from request to response head, by method and route template."
    );
    describe_counter!(
        ERRORS,
        "HTTP requests answered with a 5xx status, by method, route template and status code."
    );
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::method_label;

    #[test]
    fn a_non_standard_method_is_one_label_whatever_its_name() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(b"PURGE").expect("a valid token");
        assert_eq!(method_label(&custom), "_OTHER");
    }
}
