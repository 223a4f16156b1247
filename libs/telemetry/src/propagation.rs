//! W3C trace context in and out of the current span: as a `traceparent` string (what an
//! outbox row keeps), and in HTTP headers (what a call to another service carries).

use std::collections::HashMap;

use axum::http::HeaderMap;
use opentelemetry::{
    Context, global, propagation::TextMapPropagator as _, trace::TraceContextExt as _,
};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C `traceparent` of the current span (`00-<trace id>-<span id>-<flags>`), or
/// `None` outside any traced span. Store it next to work that continues later, such as an
/// outbox row, so the continuation joins this trace.
pub fn current_traceparent() -> Option<String> {
    let context = current_context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    // The W3C propagator itself, not the global one: the answer is a `traceparent`
    // whatever propagation the process was set up with.
    let mut carrier = HashMap::with_capacity(2);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Writes the current span's context (`traceparent`, and `tracestate` when there is one)
/// into the headers of an outgoing HTTP request, so the service called continues this
/// trace. The type is `http::HeaderMap`, the one behind both `axum::http::HeaderMap` and
/// `reqwest::header::HeaderMap`. Writes nothing outside any traced span.
pub fn inject_http_headers(headers: &mut HeaderMap) {
    let context = current_context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The OpenTelemetry context of the innermost traced span around the caller.
///
/// Usually the current tracing span's. But a span can exist for the logs without being
/// traced (a `DEBUG` span when `RUST_LOG=debug`: only `INFO` and above are traced), and
/// then its nearest traced ancestor is the one to continue, which is the context the
/// OpenTelemetry layer made current when that ancestor was entered.
pub(crate) fn current_context() -> Context {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        context
    } else {
        Context::current()
    }
}

/// The context an incoming request carries, or an empty one (a new trace) when it
/// carries none: never the context of whatever happens to be current.
pub(crate) fn extract_http(headers: &HeaderMap) -> Context {
    global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HeaderExtractor(headers))
    })
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::{filter::LevelFilter, prelude::*};

    use super::current_traceparent;

    #[test]
    fn in_a_logged_but_untraced_span_the_traceparent_is_that_of_the_traced_parent() {
        // As `init` sets up with `RUST_LOG=debug`: debug spans exist for the logs, but
        // only `INFO` and above are traced.
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("test"))
                    .with_filter(LevelFilter::INFO),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::sink)
                    .with_filter(LevelFilter::DEBUG),
            );

        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request");
            let _in_request = request.enter();
            let traced = current_traceparent().expect("request is traced");
            let detail = tracing::debug_span!("detail");
            let _in_detail = detail.enter();

            assert_eq!(current_traceparent(), Some(traced));
        });
    }
}
