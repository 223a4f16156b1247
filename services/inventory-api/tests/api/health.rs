//! Probes: alive whatever the upstream does; ready only when inventory-service is.

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{assert_problem, closed_port_url, spawn_app};

#[tokio::test]
async fn healthz_is_ok_even_when_inventory_service_is_down() {
    let app = spawn_app(&closed_port_url().await).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn readyz_is_503_when_inventory_service_is_down() {
    let app = spawn_app(&closed_port_url().await).await;

    assert_problem(app.get("/readyz").await, 503, "inventory_unavailable").await;
}

#[tokio::test]
async fn readyz_is_503_when_inventory_service_is_not_ready() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/readyz"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    assert_problem(app.get("/readyz").await, 503, "inventory_unavailable").await;
}

#[tokio::test]
async fn readyz_is_200_when_inventory_service_is_ready() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/readyz"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ok"})))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}
