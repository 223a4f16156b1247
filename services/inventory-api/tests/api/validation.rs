//! Invalid input is answered by the facade itself, as a 4xx problem, and never reaches
//! inventory-service.

use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, upstream_expecting_no_call};

#[tokio::test]
async fn a_malformed_sku_in_the_path_is_refused_with_invalid_sku_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    for sku in [
        "abc-1234-ab",
        "ABC-123-AB",
        "ABC1234AB",
        "ABC-1234-ABC",
        "%C3%84BC-1234-AB",
    ] {
        assert_problem(
            app.get(&format!("/inventory/{sku}")).await,
            422,
            "invalid_sku",
        )
        .await;
        assert_problem(
            app.get(&format!("/inventory/{sku}/movements")).await,
            422,
            "invalid_sku",
        )
        .await;
        let reserve = app
            .post_raw(
                &format!("/inventory/{sku}/reserve"),
                json!({"qty": 1, "orderId": "order-001"}).to_string(),
            )
            .await;
        assert_problem(reserve, 422, "invalid_sku").await;
    }
}

#[tokio::test]
async fn invalid_reserve_bodies_are_refused_with_their_code_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let cases = [
        (
            r#"{"qty":0,"orderId":"order-001"}"#,
            422,
            "invalid_quantity",
        ),
        (
            r#"{"qty":-5,"orderId":"order-001"}"#,
            422,
            "invalid_quantity",
        ),
        (
            r#"{"qty":1000000000000,"orderId":"order-001"}"#,
            422,
            "invalid_quantity",
        ),
        (r#"{"qty":1e30,"orderId":"order-001"}"#, 422, "invalid_body"),
        (
            r#"{"qty":"five","orderId":"order-001"}"#,
            422,
            "invalid_body",
        ),
        (r#"{"qty":2.5,"orderId":"order-001"}"#, 422, "invalid_body"),
        (r#"{"orderId":"order-001"}"#, 422, "invalid_body"),
        (r#"{"qty":1}"#, 422, "invalid_body"),
        (r#"{"qty":1,"orderId":""}"#, 422, "invalid_order_id"),
        (
            r#"{"qty":1,"orderId":"has space"}"#,
            422,
            "invalid_order_id",
        ),
        (
            r#"{"qty":1,"orderId":"order-001","ttlSeconds":0}"#,
            422,
            "invalid_ttl",
        ),
        (
            r#"{"qty":1,"orderId":"order-001","ttlSeconds":-1}"#,
            422,
            "invalid_ttl",
        ),
        (
            r#"{"qty":1,"orderId":"order-001","ttlSeconds":99999999}"#,
            422,
            "invalid_ttl",
        ),
        (r#"{"qty":1,"orderId":"order-001""#, 400, "malformed_json"),
        (r#"not json"#, 400, "malformed_json"),
        (r#""#, 400, "malformed_json"),
        (r#"[1,2]"#, 422, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let response = app.post_raw("/inventory/ABC-1234-AB/reserve", body).await;
        assert_problem(response, status, code).await;
    }
}

#[tokio::test]
async fn invalid_create_bodies_are_refused_with_their_code_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let cases = [
        (json!({"sku": "abc-1234-ab", "qty": 10}), "invalid_sku"),
        (json!({"sku": "", "qty": 10}), "invalid_sku"),
        (json!({"sku": "ABC-1234-AB", "qty": -1}), "invalid_quantity"),
        (
            json!({"sku": "ABC-1234-AB", "qty": 1_000_000_000_001_i64}),
            "invalid_quantity",
        ),
        (
            json!({"sku": "ABC-1234-AB", "qty": 10, "safetyStock": -3}),
            "invalid_quantity",
        ),
        (json!({"sku": "ABC-1234-AB"}), "invalid_body"),
        (json!({"qty": 10}), "invalid_body"),
        (json!({"sku": 42, "qty": 10}), "invalid_body"),
    ];
    for (body, code) in cases {
        let response = app.post_raw("/inventory", body.to_string()).await;
        assert_problem(response, 422, code).await;
    }
}

#[tokio::test]
async fn invalid_release_confirm_and_replenish_bodies_are_refused_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let cases = [
        (
            "release",
            json!({"orderId": "order-001", "qty": 0}),
            "invalid_quantity",
        ),
        ("release", json!({"qty": 3}), "invalid_body"),
        ("release", json!({"orderId": "x y"}), "invalid_order_id"),
        ("confirm", json!({}), "invalid_body"),
        (
            "confirm",
            json!({"orderId": "a".repeat(65)}),
            "invalid_order_id",
        ),
        ("replenish", json!({"qty": 0}), "invalid_quantity"),
        ("replenish", json!({"qty": -20}), "invalid_quantity"),
        (
            "replenish",
            json!({"qty": 1_000_000_000_000_i64}),
            "invalid_quantity",
        ),
        ("replenish", json!({"qty": "five"}), "invalid_body"),
    ];
    for (action, body, code) in cases {
        let response = app
            .post_raw(
                &format!("/inventory/ABC-1234-AB/{action}"),
                body.to_string(),
            )
            .await;
        assert_problem(response, 422, code).await;
    }
}

#[tokio::test]
async fn invalid_reservations_are_refused_with_their_code_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let line = |sku: &str, qty: i64| json!({"sku": sku, "qty": qty});
    let too_many: Vec<_> = (0..=100)
        .map(|i| line(&format!("AAA-{i:04}-AA"), 1))
        .collect();
    let cases = [
        (json!({"orderId": "o-1", "items": []}), "invalid_items"),
        (
            json!({"orderId": "o-1", "items": too_many}),
            "invalid_items",
        ),
        (
            json!({"orderId": "o-1", "items": [line("ABC-1234-AB", 1), line("ABC-1234-AB", 2)]}),
            "duplicate_sku",
        ),
        (
            json!({"orderId": "o-1", "items": [line("abc-1234-ab", 1)]}),
            "invalid_sku",
        ),
        (
            json!({"orderId": "o-1", "items": [line("ABC-1234-AB", 0)]}),
            "invalid_quantity",
        ),
        (
            json!({"orderId": "o-1", "items": [line("ABC-1234-AB", 1)], "ttlSeconds": 0}),
            "invalid_ttl",
        ),
        (
            json!({"orderId": "", "items": [line("ABC-1234-AB", 1)]}),
            "invalid_order_id",
        ),
        (json!({"orderId": "o-1"}), "invalid_body"),
        (
            json!({"orderId": "o-1", "items": "ABC-1234-AB"}),
            "invalid_body",
        ),
        (
            json!({"orderId": "o-1", "items": [{"sku": "ABC-1234-AB", "qty": "five"}]}),
            "invalid_body",
        ),
    ];
    for (body, code) in cases {
        let response = app.post_raw("/reservations", body.to_string()).await;
        assert_problem(response, 422, code).await;
    }
}

#[tokio::test]
async fn invalid_movement_queries_are_refused_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    for (query, status) in [
        ("limit=0", 422),
        ("limit=501", 422),
        ("limit=-1", 422),
        ("before=0", 422),
        ("limit=ten", 400),
        ("before=x", 400),
    ] {
        let response = app
            .get(&format!("/inventory/ABC-1234-AB/movements?{query}"))
            .await;
        assert_problem(response, status, "invalid_query").await;
    }
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_refused_with_415_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let body = json!({"qty": 1, "orderId": "order-001"}).to_string();
    let without = app
        .client
        .post(app.url("/inventory/ABC-1234-AB/reserve"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(without, 415, "unsupported_media_type").await;
    let as_text = app
        .client
        .post(app.url("/inventory/ABC-1234-AB/reserve"))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(as_text, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    // Valid JSON, padded past 16 KiB with an ignored field.
    let padding = "x".repeat(17 * 1024);
    let body = json!({"qty": 1, "orderId": "order-001", "padding": padding}).to_string();
    let response = app.post_raw("/inventory/ABC-1234-AB/reserve", body).await;
    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    assert_problem(app.get("/nowhere").await, 404, "route_not_found").await;
    assert_problem(
        app.get("/inventory/ABC-1234-AB/unknown").await,
        404,
        "route_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_known_route_with_the_wrong_method_is_a_405_problem_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app
        .client
        .delete(app.url("/inventory/ABC-1234-AB"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 405, "method_not_allowed").await;
}
