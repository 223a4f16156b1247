//! Every kind of bad input is a 4xx problem+json and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use inventory_service::config::Settings;

use crate::helpers::{TestApp, assert_problem, broker_prefix, spawn_app, spawn_with};

async fn snapshot(app: &TestApp) -> (contracts::inventory::StockView, usize) {
    (
        app.stock("ABC-1234-AB").await,
        app.movements("ABC-1234-AB").await.items.len(),
    )
}

#[tokio::test]
async fn bad_bodies_are_refused_with_their_code_and_change_nothing() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    app.reserve("ABC-1234-AB", "o-held", 1).await;
    let before = snapshot(&app).await;

    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "/inventory",
            json!({"sku": "abc-1234-ab", "qty": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sku",
        ),
        (
            "/inventory",
            json!({"sku": "ABC-1234-AB"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory",
            json!({"sku": "NEW-0001-AA", "qty": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory",
            json!({"sku": "NEW-0001-AA", "qty": 5, "safetyStock": -2}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 0, "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": -3, "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 1_000_000_000_000i64, "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 1e30, "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": "five", "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 1, "orderId": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_order_id",
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 1, "orderId": "o-1", "ttlSeconds": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ttl",
        ),
        (
            "/inventory/ABC-1234-AB/release",
            json!({"orderId": "o-held", "qty": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/release",
            json!({"qty": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/ABC-1234-AB/confirm",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/ABC-1234-AB/replenish",
            json!({"qty": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/replenish",
            json!({"qty": 10_000_000}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/inventory/ABC-1234-AB/replenish",
            json!({"qty": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "/inventory/abc/reserve",
            json!({"qty": 1, "orderId": "o-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sku",
        ),
        (
            "/reservations",
            json!({"orderId": "o-2", "items": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_items",
        ),
        (
            "/reservations",
            json!({"orderId": "o-2", "items": [{"sku": "ABC-1234-AB", "qty": 1}, {"sku": "ABC-1234-AB", "qty": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_sku",
        ),
        (
            "/reservations",
            json!({"orderId": "o-2", "items": [{"sku": "ABC-1234-AB", "qty": 0}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
        ),
        (
            "/reservations",
            json!({"orderId": "o-2", "items": [{"sku": "bad", "qty": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sku",
        ),
        (
            "/reservations",
            json!({"orderId": "o-2"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (path, body, status, code) in cases {
        let res = app.post(path, body.clone()).await;
        assert_eq!(res.status(), status, "{path} {body}");
        assert_problem(res, status, code).await;
    }
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn malformed_json_missing_content_type_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let before = snapshot(&app).await;
    let url = format!("{}/inventory/ABC-1234-AB/reserve", app.address);

    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"qty\": 1,")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;

    let res = app
        .client
        .post(&url)
        .body(r#"{"qty":1,"orderId":"o-1"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let huge = format!(
        r#"{{"qty":1,"orderId":"o-1","pad":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let res = app.get("/inventory/ABC-1234-AB/movements?limit=0").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query").await;
    let res = app.get("/inventory/ABC-1234-AB/movements?limit=abc").await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    let res = app.get("/inventory/not-a-sku").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_sku").await;

    assert_eq!(snapshot(&app).await, before);
}

/// The service bounds its work as the facades do: with every slot taken, a request is
/// refused at once (503 `overloaded`, `Retry-After`), and one that outlives
/// `REQUEST_TIMEOUT_MS` is cut off (504); neither changes anything.
#[tokio::test]
async fn beyond_its_limits_a_request_is_refused_at_once_or_cut_off() {
    let db = testkit::fresh_database("inventory").await;
    let mut settings = Settings::for_tests(&db.url, &broker_prefix(&db.name));
    settings.backbone.load_limits =
        access::LoadLimits::new(1, std::time::Duration::from_millis(500)).unwrap();
    let app = spawn_with(settings, &db).await;
    let stalled = testkit::StalledRequest::start(&app.address, "/inventory").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let refused = app
        .post("/inventory", json!({"sku": "ABC-1234-AB", "qty": 5}))
        .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "overloaded");
    assert_eq!(stalled.status().await, 504);
    assert_eq!(
        app.get("/inventory/ABC-1234-AB").await.status(),
        StatusCode::NOT_FOUND
    );
}
