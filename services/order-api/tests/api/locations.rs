//! A checkout at a location: every line is reserved there, all or none. wiremock stands
//! in for inventory-api (and for order-service where nothing may reach it), so each test
//! states what the reservation carried.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::Running;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, body_partial_json, method, path, path_regex},
};

use crate::helpers::{order_service_for, start_order_api};

const LINES: [(&str, i64); 2] = [("AAA-0001-AA", 2), ("BBB-0001-BB", 1)];

fn items() -> Value {
    LINES
        .iter()
        .map(|(sku, qty)| json!({"sku": sku, "qty": qty}))
        .collect()
}

struct Front {
    client: reqwest::Client,
    order_api: Running,
    _order_service: Running,
}

/// order-api in front of a real order-service and `inventory_api`.
async fn front(inventory_api: &str) -> Front {
    telemetry::init_for_tests();
    let prefix = format!("test_locations_{}.", uuid::Uuid::now_v7().simple());
    let order_service = order_service_for(&prefix, |_| {}).await;
    let order_api = start_order_api(order_api::config::Settings::for_tests(
        &order_service.address,
        inventory_api,
    ))
    .await;
    Front {
        client: reqwest::Client::new(),
        order_api,
        _order_service: order_service,
    }
}

impl Front {
    async fn checkout(&self, body: Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/checkout", self.order_api.address))
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    async fn order(&self, id: &Value) -> Value {
        let r = self
            .client
            .get(format!(
                "{}/orders/{}",
                self.order_api.address,
                id.as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }
}

/// An inventory that reserves and commits every line of a reservation whose body
/// matches `reservation` (and only such a reservation), once.
async fn inventory_reserving(reservation: Value) -> MockServer {
    let inventory = MockServer::start().await;
    let reserved: Vec<Value> = LINES
        .iter()
        .map(|(sku, qty)| {
            json!({"sku": sku, "qty": qty, "status": "active", "expiresAt": "2030-01-01T00:00:00Z"})
        })
        .collect();
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .and(body_partial_json(reservation))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"orderId": "x", "items": reserved})),
        )
        .expect(1)
        .mount(&inventory)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/reservations/[^/]+/commit$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"orderId": "x", "items": items()})),
        )
        .mount(&inventory)
        .await;
    inventory
}

#[tokio::test]
async fn every_line_of_a_checkout_is_reserved_at_the_location_it_names() {
    let inventory = inventory_reserving(json!({"storeId": "store-7", "items": items()})).await;
    let front = front(&inventory.uri()).await;
    let r = front
        .checkout(
            json!({"customerId": "c-1", "locationId": "store-7", "items": items()}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (&body["status"], &body["locationId"]),
        (&json!("CONFIRMED"), &json!("store-7"))
    );
    let order = front.order(&body["orderId"]).await;
    assert_eq!(order["locationId"], "store-7", "{order}");
    // Dropping the inventory checks the one reservation it expected came.
    drop(inventory);
}

#[tokio::test]
async fn a_checkout_naming_no_location_is_reserved_at_the_central_warehouse() {
    let inventory = inventory_reserving(json!({"storeId": "central"})).await;
    let front = front(&inventory.uri()).await;
    let r = front
        .checkout(json!({"customerId": "c-1", "items": items()}), None)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["locationId"], "central");
    assert_eq!(front.order(&body["orderId"]).await["locationId"], "central");
    drop(inventory);
}

#[tokio::test]
async fn a_location_the_inventory_does_not_know_is_refused_like_unknown_skus() {
    let inventory = MockServer::start().await;
    let skus: Vec<&str> = LINES.iter().map(|(sku, _)| *sku).collect();
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .and(body_partial_json(json!({"storeId": "nowhere"})))
        .respond_with(
            ResponseTemplate::new(404).set_body_raw(
                json!({"type": "urn:inventory-saga:problem:unknown_sku", "title": "Not found",
                       "status": 404, "code": "unknown_sku", "skus": skus})
                .to_string(),
                "application/problem+json",
            ),
        )
        .expect(1)
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    let r = front
        .checkout(json!({"locationId": "nowhere", "items": items()}), None)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "unknown_sku");
    assert_eq!(problem["skus"], json!(skus));
    let order = front.order(&problem["orderId"]).await;
    assert_eq!(
        (&order["status"], &order["locationId"]),
        (&json!("CANCELLED"), &json!("nowhere")),
        "{order}"
    );
}

#[tokio::test]
async fn one_idempotency_key_at_another_location_is_another_request() {
    let inventory = inventory_reserving(json!({"storeId": "store-1"})).await;
    let front = front(&inventory.uri()).await;
    let at = |location: &str| json!({"locationId": location, "items": items()});
    let first = front.checkout(at("store-1"), Some("k-loc")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = front.checkout(at("store-1"), Some("k-loc")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let elsewhere = front.checkout(at("store-2"), Some("k-loc")).await;
    assert_eq!(elsewhere.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        elsewhere.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    drop(inventory);
}

#[tokio::test]
async fn an_invalid_location_is_refused_before_any_peer_is_called() {
    telemetry::init_for_tests();
    let silent = || async {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&server)
            .await;
        server
    };
    let (orders, inventory) = (silent().await, silent().await);
    let app = start_order_api(order_api::config::Settings::for_tests(
        &orders.uri(),
        &inventory.uri(),
    ))
    .await;
    let client = reqwest::Client::new();
    for bad in [
        json!(""),
        json!("store 1"),
        json!("no/such"),
        json!("x".repeat(33)),
    ] {
        let r = client
            .post(format!("{}/checkout", app.address))
            .json(&json!({"locationId": bad, "items": items()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "invalid_store_id",
            "{bad}"
        );
    }
    // Dropping both peers checks that neither received anything.
    drop((orders, inventory));
}
