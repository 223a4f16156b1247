//! The HTTP metrics layer on a real axum router, driven through `oneshot` (no server):
//! requests are counted by route template, never by raw path, and `/metrics` renders
//! them without counting itself.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    routing::get,
};
use tower::ServiceExt as _;

fn app() -> Router {
    Router::new()
        .route("/inventory/{sku}", get(|| async { "stock" }))
        .route(
            "/broken",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .layer(telemetry::metrics::http_metrics_layer())
        .route("/metrics", get(telemetry::metrics::route))
}

async fn send(path: &str) -> axum::response::Response {
    let request = Request::get(path)
        .body(Body::empty())
        .expect("a valid request");
    app().oneshot(request).await.expect("infallible")
}

/// The sample lines of `metric` (its name followed by labels), from a rendering.
fn samples<'a>(rendered: &'a str, metric: &str) -> Vec<&'a str> {
    let prefix = format!("{metric}{{");
    rendered
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .collect()
}

/// Whether some sample line of `metric` carries every one of `labels`, in any order.
fn has_sample(rendered: &str, metric: &str, labels: &[&str]) -> bool {
    samples(rendered, metric)
        .iter()
        .any(|line| labels.iter().all(|label| line.contains(label)))
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_never_by_raw_path() {
    telemetry::init_for_tests();
    for sku in ["MET-0001-AA", "MET-0002-BB"] {
        assert_eq!(
            send(&format!("/inventory/{sku}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(send("/no/such/route").await.status(), StatusCode::NOT_FOUND);

    let rendered = telemetry::metrics::render();

    assert!(
        has_sample(
            &rendered,
            "http_server_requests_total",
            &[
                r#"method="GET""#,
                r#"route="/inventory/{sku}""#,
                r#"code="200""#
            ],
        ),
        "{rendered}"
    );
    assert!(
        has_sample(
            &rendered,
            "http_server_request_duration_seconds_bucket",
            &[
                r#"method="GET""#,
                r#"route="/inventory/{sku}""#,
                r#"le="0.0005""#
            ],
        ),
        "a histogram with the latency buckets, not a summary: {rendered}"
    );
    assert!(
        has_sample(
            &rendered,
            "http_server_requests_total",
            &[r#"route="unmatched""#, r#"code="404""#],
        ),
        "{rendered}"
    );
    assert!(
        !rendered.contains("MET-000"),
        "a raw path leaked: {rendered}"
    );
    assert!(
        !rendered.contains("/no/such/route"),
        "a raw path leaked: {rendered}"
    );
}

#[tokio::test]
async fn a_5xx_answer_is_counted_as_an_error_of_its_route() {
    telemetry::init_for_tests();
    assert_eq!(
        send("/broken").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );

    let rendered = telemetry::metrics::render();

    assert!(
        has_sample(
            &rendered,
            "http_server_requests_errors_total",
            &[r#"method="GET""#, r#"route="/broken""#, r#"code="500""#],
        ),
        "{rendered}"
    );
    assert!(
        !has_sample(
            &rendered,
            "http_server_requests_errors_total",
            &[r#"code="200""#]
        ),
        "only 5xx answers are errors: {rendered}"
    );
}

#[tokio::test]
async fn the_metrics_route_answers_the_text_format_and_is_not_counted() {
    // No `init_for_tests` here: the layer installs the recorder itself.
    send("/inventory/MET-0003-CC").await;

    let response = send("/metrics").await;

    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a readable body");
    let rendered = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(
        rendered.contains("# TYPE http_server_requests_total counter"),
        "{rendered}"
    );
    assert!(!rendered.contains(r#"route="/metrics""#), "{rendered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_sampler_reports_process_and_tokio_gauges() {
    telemetry::init_for_tests();
    telemetry::metrics::spawn_runtime_sampler();
    // Idempotent: a second application in the same process starts no second sampler.
    telemetry::metrics::spawn_runtime_sampler();

    let mut rendered = String::new();
    for _ in 0..50 {
        rendered = telemetry::metrics::render();
        if rendered.contains("\ntokio_workers ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
        "tokio_workers",
        "tokio_alive_tasks",
        "tokio_global_queue_depth",
    ] {
        assert!(
            rendered.contains(&format!("\n{name} ")),
            "{name} missing: {rendered}"
        );
    }
}
