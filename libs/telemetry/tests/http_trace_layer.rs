//! The HTTP trace layer on a real axum router, driven through `oneshot` (no server):
//! handlers run in a server span that continues the caller's trace.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
    routing::get,
};
use tower::ServiceExt as _;

async fn traceparent_seen_by_the_handler() -> String {
    telemetry::current_traceparent().unwrap_or_default()
}

fn app() -> Router {
    Router::new()
        .route("/inventory/{sku}", get(traceparent_seen_by_the_handler))
        .route(
            "/broken",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .layer(telemetry::http_trace_layer())
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("a readable body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn a_request_with_a_traceparent_is_handled_in_a_span_of_that_trace() {
    telemetry::init_for_tests();
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let request = Request::get("/inventory/ABC-1234-AB")
        .header("traceparent", incoming)
        .body(Body::empty())
        .expect("a valid request");

    let response = app().oneshot(request).await.expect("infallible");

    assert_eq!(response.status(), StatusCode::OK);
    let seen = body_text(response).await;
    let parts: Vec<&str> = seen.split('-').collect();
    assert_eq!(parts.len(), 4, "{seen:?}");
    assert_eq!(parts[1], "0af7651916cd43dd8448eb211c80319c");
    assert_ne!(
        parts[2], "b7ad6b7169203331",
        "the server span is the caller's child"
    );
    assert_eq!(parts[3], "01", "the caller's sampling decision is kept");
}

#[tokio::test]
async fn a_request_without_a_traceparent_starts_a_new_trace() {
    telemetry::init_for_tests();
    let request = Request::get("/inventory/ABC-1234-AB")
        .body(Body::empty())
        .expect("a valid request");

    let response = app().oneshot(request).await.expect("infallible");

    let seen = body_text(response).await;
    assert!(seen.starts_with("00-"), "{seen:?}");
    assert_ne!(
        seen.split('-').nth(1),
        Some("00000000000000000000000000000000")
    );
}

#[tokio::test]
async fn a_malformed_traceparent_is_ignored_and_the_request_is_still_served() {
    telemetry::init_for_tests();
    let request = Request::get("/inventory/ABC-1234-AB")
        .header("traceparent", "not-a-trace-context")
        .body(Body::empty())
        .expect("a valid request");

    let response = app().oneshot(request).await.expect("infallible");

    assert_eq!(response.status(), StatusCode::OK);
    assert!(body_text(response).await.starts_with("00-"));
}

#[tokio::test]
async fn the_server_span_is_named_by_route_records_the_status_and_marks_5xx_as_errors() {
    use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use tracing_subscriber::prelude::*;

    telemetry::init_for_tests();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let scoped = tracing::subscriber::set_default(subscriber);
    for path in ["/inventory/ABC-1234-AB", "/broken"] {
        let request = Request::get(path)
            .header(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )
            .body(Body::empty())
            .expect("a valid request");
        let _ = app().oneshot(request).await.expect("infallible");
    }
    drop(scoped);

    let spans = exporter.get_finished_spans().expect("spans");
    let span = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
    };
    let attribute = |span: &opentelemetry_sdk::trace::SpanData, key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    let ok = span("GET /inventory/{sku}");
    assert_eq!(ok.span_kind, SpanKind::Server);
    assert_eq!(ok.parent_span_id.to_string(), "b7ad6b7169203331");
    assert_eq!(
        attribute(ok, "http.route").as_deref(),
        Some("/inventory/{sku}")
    );
    assert_eq!(attribute(ok, "http.request.method").as_deref(), Some("GET"));
    assert_eq!(
        attribute(ok, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(ok.status, Status::Unset);
    let broken = span("GET /broken");
    assert_eq!(
        attribute(broken, "http.response.status_code").as_deref(),
        Some("500")
    );
    assert!(
        matches!(broken.status, Status::Error { .. }),
        "{:?}",
        broken.status
    );
}
