//! Valid requests reach inventory-service with the same body, and its answer comes back
//! unchanged: status, content type and body.

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, method, path, query_param, query_param_is_missing},
};

use crate::helpers::spawn_app;

const PROBLEM: &str = "application/problem+json";

async fn body_and_type(response: reqwest::Response) -> (u16, Option<String>, Vec<u8>) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn a_valid_reserve_is_forwarded_with_the_same_body_and_the_upstream_conflict_comes_back_unchanged()
 {
    let upstream = MockServer::start().await;
    let request = json!({"qty": 5, "orderId": "order-001", "ttlSeconds": 60});
    // Bytes as inventory-service would send them, extension member included.
    let conflict = br#"{"type":"urn:inventory-saga:problem:insufficient_stock","title":"Conflict","status":409,"detail":"only 3 available","code":"insufficient_stock","shortages":[{"sku":"ABC-1234-AB","requested":5,"available":3}]}"#;
    Mock::given(method("POST"))
        .and(path("/inventory/ABC-1234-AB/reserve"))
        .and(body_json(&request))
        .respond_with(ResponseTemplate::new(409).set_body_raw(conflict.as_slice(), PROBLEM))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app
        .post_raw("/inventory/ABC-1234-AB/reserve", request.to_string())
        .await;

    let (status, content_type, body) = body_and_type(response).await;
    assert_eq!(status, 409);
    assert_eq!(content_type.as_deref(), Some(PROBLEM));
    assert_eq!(body, conflict.to_vec());
}

#[tokio::test]
async fn a_successful_reserve_is_a_204_with_no_body() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/inventory/ABC-1234-AB/reserve"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app
        .post_raw(
            "/inventory/ABC-1234-AB/reserve",
            json!({"qty": 5, "orderId": "order-001"}).to_string(),
        )
        .await;

    let (status, _, body) = body_and_type(response).await;
    assert_eq!(status, 204);
    assert!(body.is_empty());
}

#[tokio::test]
async fn a_created_sku_comes_back_with_the_upstream_201_and_stock_view() {
    let upstream = MockServer::start().await;
    let view = json!({
        "sku": "ABC-1234-AB", "onHand": 10, "reserved": 0, "available": 10,
        "safetyStock": 0, "belowSafetyStock": false, "version": 1,
        "updatedAt": "2025-01-01T00:00:00Z"
    });
    Mock::given(method("POST"))
        .and(path("/inventory"))
        .and(body_json(
            json!({"sku": "ABC-1234-AB", "qty": 10, "safetyStock": 2}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(&view))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app
        .post_raw(
            "/inventory",
            json!({"sku": "ABC-1234-AB", "qty": 10, "safetyStock": 2}).to_string(),
        )
        .await;

    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.json::<Value>().await.unwrap(), view);
}

#[tokio::test]
async fn an_unknown_sku_404_from_upstream_is_passed_through() {
    let upstream = MockServer::start().await;
    let not_found = br#"{"type":"urn:inventory-saga:problem:unknown_sku","title":"Not found","status":404,"code":"unknown_sku"}"#;
    Mock::given(method("GET"))
        .and(path("/inventory/XYZ-0000-AA"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(not_found.as_slice(), PROBLEM))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let (status, content_type, body) = body_and_type(app.get("/inventory/XYZ-0000-AA").await).await;

    assert_eq!(status, 404);
    assert_eq!(content_type.as_deref(), Some(PROBLEM));
    assert_eq!(body, not_found.to_vec());
}

#[tokio::test]
async fn a_reservation_with_shortages_comes_back_unchanged() {
    let upstream = MockServer::start().await;
    let request = json!({
        "orderId": "order-002",
        "items": [{"sku": "ZZZ-0001-AA", "qty": 2}, {"sku": "AAA-0001-AA", "qty": 1}]
    });
    let conflict = br#"{"code":"insufficient_stock","status":409,"title":"Conflict","type":"urn:inventory-saga:problem:insufficient_stock","shortages":[{"sku":"ZZZ-0001-AA","requested":2,"available":0}]}"#;
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .and(body_json(&request))
        .respond_with(ResponseTemplate::new(409).set_body_raw(conflict.as_slice(), PROBLEM))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let response = app.post_raw("/reservations", request.to_string()).await;

    let (status, content_type, body) = body_and_type(response).await;
    assert_eq!(status, 409);
    assert_eq!(content_type.as_deref(), Some(PROBLEM));
    assert_eq!(body, conflict.to_vec());
}

#[tokio::test]
async fn a_movements_page_is_forwarded_with_the_query_the_client_gave() {
    let upstream = MockServer::start().await;
    let page = json!({"items": [], "nextCursor": null});
    Mock::given(method("GET"))
        .and(path("/inventory/ABC-1234-AB/movements"))
        .and(query_param("limit", "20"))
        .and(query_param("before", "99"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/inventory/ABC-1234-AB/movements"))
        .and(query_param_is_missing("limit"))
        .and(query_param_is_missing("before"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let paged = app
        .get("/inventory/ABC-1234-AB/movements?limit=20&before=99")
        .await;
    assert_eq!(paged.status().as_u16(), 200);
    assert_eq!(paged.json::<Value>().await.unwrap(), page);
    let first = app.get("/inventory/ABC-1234-AB/movements").await;
    assert_eq!(first.status().as_u16(), 200);
}

#[tokio::test]
async fn release_confirm_and_replenish_are_forwarded_to_the_same_route() {
    let upstream = MockServer::start().await;
    for (action, body) in [
        ("release", json!({"orderId": "order-001", "qty": 3})),
        ("confirm", json!({"orderId": "order-001"})),
        ("replenish", json!({"qty": 20})),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/inventory/ABC-1234-AB/{action}")))
            .and(body_json(&body))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let app = spawn_app(&upstream.uri()).await;

    for (action, body) in [
        ("release", r#"{"orderId":"order-001","qty":3}"#),
        ("confirm", r#"{"orderId":"order-001"}"#),
        ("replenish", r#"{"qty":20}"#),
    ] {
        let response = app
            .post_raw(&format!("/inventory/ABC-1234-AB/{action}"), body)
            .await;
        assert_eq!(response.status().as_u16(), 204, "{action}");
    }
}
