//! `/metrics`: the Prometheus text a scrape reads, with the HTTP, database, messaging,
//! inventory, process and runtime metrics the dashboards query. Every application of
//! this test process records into one recorder, so these check for series and labels,
//! never for exact totals.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// A SKU no other test uses: if it shows up in the rendering, a raw path leaked.
const SKU: &str = "MTR-4242-QQ";

/// The rendering once it contains every one of `expected` (samplers and the relay work
/// in the background), or a panic naming what is missing after 15 s.
async fn metrics_with(app: &TestApp, expected: &[&str]) -> String {
    let mut rendered = String::new();
    for _ in 0..150 {
        let response = app.get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        rendered = response.text().await.unwrap();
        if expected.iter().all(|e| rendered.contains(e)) {
            return rendered;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|e| !rendered.contains(**e))
        .collect();
    panic!("missing {missing:?} in:\n{rendered}");
}

#[tokio::test]
async fn metrics_expose_http_db_messaging_inventory_and_process_series_by_route_template() {
    let app = spawn_app().await;
    app.create(SKU, 10).await;
    assert_eq!(
        app.reserve(SKU, "order-mtr-1", 3).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.reserve(SKU, "order-mtr-2", 99).await.status(),
        StatusCode::CONFLICT
    );
    let replenished = app
        .post(&format!("/inventory/{SKU}/replenish"), json!({"qty": 5}))
        .await;
    assert_eq!(replenished.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stock(SKU).await.available, 12);

    let rendered = metrics_with(
        &app,
        &[
            // HTTP, by route template.
            r#"http_server_requests_total{method="POST",route="/inventory",code="201"}"#,
            r#"http_server_requests_total{method="POST",route="/inventory/{sku}/reserve",code="204"}"#,
            r#"http_server_requests_total{method="POST",route="/inventory/{sku}/reserve",code="409"}"#,
            r#"http_server_requests_total{method="GET",route="/inventory/{sku}",code="200"}"#,
            r#"http_server_request_duration_seconds_bucket{method="GET",route="/inventory/{sku}",le="0.005"}"#,
            // Database.
            r#"db_query_duration_seconds_bucket{operation="create",le="0.0005"}"#,
            r#"db_query_duration_seconds_bucket{operation="reserve_one","#,
            r#"db_query_duration_seconds_bucket{operation="find","#,
            r#"db_query_duration_seconds_bucket{operation="change","#,
            r#"db_pool_connections{state="idle"}"#,
            r#"db_pool_connections{state="in_use"}"#,
            "\ndb_pool_max_connections ",
            // Messaging.
            r#"events_published_total{event_type="ProductInventoryCreated"}"#,
            r#"events_published_total{event_type="ProductInventoryReserved"}"#,
            "\noutbox_backlog ",
            "\noutbox_oldest_age_seconds ",
            "dlq_depth{queue=",
            // Inventory.
            r#"inventory_reservations_total{outcome="reserved"}"#,
            r#"inventory_reservations_total{outcome="insufficient"}"#,
            "\ninventory_replenishments_total ",
            "\ninventory_replenished_units_total ",
            "\ninventory_active_reservations ",
            "\ninventory_expiry_lag_seconds ",
            // Process and runtime.
            "\nprocess_cpu_seconds_total ",
            "\nprocess_resident_memory_bytes ",
            "\nprocess_open_fds ",
            "\nprocess_start_time_seconds ",
            "\ntokio_workers ",
            "\ntokio_alive_tasks ",
            "\ntokio_global_queue_depth ",
        ],
    )
    .await;

    assert!(
        !rendered.contains(SKU),
        "a raw path or SKU leaked into a label:\n{rendered}"
    );
    assert!(
        !rendered.contains("order-mtr-"),
        "an order id leaked into a label:\n{rendered}"
    );
    assert!(
        !rendered.contains(r#"route="/metrics""#),
        "scrapes are not counted"
    );
    assert!(
        rendered.contains("# TYPE http_server_request_duration_seconds histogram"),
        "{rendered}"
    );
}

#[tokio::test]
async fn a_request_no_route_matches_is_counted_as_unmatched() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/no/such/route-mtr").await.status(),
        StatusCode::NOT_FOUND
    );

    let rendered = metrics_with(
        &app,
        &[r#"http_server_requests_total{method="GET",route="unmatched",code="404"}"#],
    )
    .await;

    assert!(!rendered.contains("route-mtr"), "{rendered}");
}
