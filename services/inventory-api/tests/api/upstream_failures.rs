//! When inventory-service fails, the client gets a problem that says how: its own
//! answers pass through, an absent service is 503, a slow one is 504.

use std::time::Duration;

use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

use crate::helpers::{assert_problem, closed_port_url, settings, spawn_app, spawn_app_with};

fn reserve_body() -> String {
    json!({"qty": 1, "orderId": "order-001"}).to_string()
}

#[tokio::test]
async fn an_upstream_503_is_passed_through_unchanged() {
    let upstream = MockServer::start().await;
    let unavailable = br#"{"type":"urn:inventory-saga:problem:database_unavailable","title":"Service unavailable","status":503,"code":"database_unavailable"}"#;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_raw(unavailable.as_slice(), "application/problem+json"),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app
        .post_raw("/inventory/ABC-1234-AB/reserve", reserve_body())
        .await;

    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        unavailable.as_slice()
    );
}

#[tokio::test]
async fn an_upstream_slower_than_the_timeout_is_answered_504_upstream_timeout() {
    let upstream = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(3)))
        .mount(&upstream)
        .await;
    let mut settings = settings(&upstream.uri());
    settings.upstream_timeout = Duration::from_millis(200);
    let app = spawn_app_with(settings).await;

    let started = std::time::Instant::now();
    let response = app
        .post_raw("/inventory/ABC-1234-AB/reserve", reserve_body())
        .await;

    let body = assert_problem(response, 504, "upstream_timeout").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered before the upstream"
    );
    assert!(
        !body.to_string().contains("reqwest"),
        "the cause stays in the log: {body}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_answered_503_inventory_unavailable() {
    let app = spawn_app(&closed_port_url().await).await;

    let response = app
        .post_raw("/inventory/ABC-1234-AB/reserve", reserve_body())
        .await;
    let body = assert_problem(response, 503, "inventory_unavailable").await;
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no cause leaked: {body}"
    );

    assert_problem(
        app.get("/inventory/ABC-1234-AB").await,
        503,
        "inventory_unavailable",
    )
    .await;
}
