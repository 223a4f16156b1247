//! wiremock stands in for inventory-api: every way the inventory path can fail (on the
//! reservation or on the commit) ends in a 202 and a handed-over order; only the
//! inventory's own refusals cancel; the breaker opens after repeated failures, stops
//! calling, half-opens and closes again.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::Running;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use crate::helpers::{checkout_at, order_service_for, start_order_api};

struct Front {
    client: reqwest::Client,
    order_api: Running,
    order_service: Running,
}

async fn front(inventory_api: &str) -> Front {
    telemetry::init_for_tests();
    let prefix = format!("test_checkout_{}.", uuid::Uuid::now_v7().simple());
    let order_service = order_service_for(&prefix, |_| {}).await;
    let order_api = start_order_api(order_api::config::Settings::for_tests(
        &order_service.address,
        inventory_api,
    ))
    .await;
    Front {
        client: reqwest::Client::new(),
        order_api,
        order_service,
    }
}

impl Front {
    async fn checkout(&self) -> reqwest::Response {
        checkout_at(
            &self.client,
            &self.order_api.address,
            json!([{"sku": "ABC-1234-AB", "qty": 1}]),
            None,
        )
        .await
    }

    /// Asserts a 202 whose order is handed over to the event path.
    async fn assert_handed_over(&self, r: reqwest::Response) {
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "PENDING");
        let order: Value = self
            .client
            .get(format!(
                "{}/orders/{}",
                self.order_service.address,
                body["orderId"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(order["handedOver"], true, "{order}");
    }

    async fn order(&self, id: &Value) -> Value {
        self.client
            .get(format!(
                "{}/orders/{}",
                self.order_service.address,
                id.as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn reservation_body() -> Value {
    json!({"orderId": "x", "items": [{"sku": "ABC-1234-AB", "qty": 1, "status": "active", "expiresAt": "2030-01-01T00:00:00Z"}]})
}

fn commit_body() -> Value {
    json!({"orderId": "x", "items": [{"sku": "ABC-1234-AB", "qty": 1}]})
}

/// An inventory that reserves every checkout.
async fn reserving(inventory: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(ResponseTemplate::new(201).set_body_json(reservation_body()))
        .mount(inventory)
        .await;
}

fn commit_path() -> wiremock::matchers::PathRegexMatcher {
    path_regex("^/reservations/[^/]+/commit$")
}

fn problem(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"type": "about:blank", "title": "x", "status": status, "code": code}).to_string(),
        "application/problem+json",
    )
}

#[tokio::test]
async fn a_4xx_that_is_not_an_inventory_refusal_hands_the_order_over() {
    for answer in [
        problem(404, "not_found"),
        ResponseTemplate::new(404).set_body_string("<html>no route</html>"),
        ResponseTemplate::new(408),
        problem(413, "payload_too_large"),
        problem(429, "rate_limited"),
        problem(401, "unauthorized"),
        problem(409, "something_else"),
    ] {
        let inventory = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/reservations"))
            .respond_with(answer)
            .mount(&inventory)
            .await;
        let front = front(&inventory.uri()).await;
        front.assert_handed_over(front.checkout().await).await;
    }
}

#[tokio::test]
async fn an_inventory_refusal_cancels_the_order() {
    let inventory = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(problem(409, "insufficient_stock"))
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    let r = front.checkout().await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "insufficient_stock");
    assert_eq!(front.order(&body["orderId"]).await["status"], "CANCELLED");
}

#[tokio::test]
async fn a_commit_that_fails_or_stalls_hands_the_reserved_order_over() {
    for answer in [
        ResponseTemplate::new(503),
        problem(404, "not_found"),
        ResponseTemplate::new(200)
            .set_body_json(commit_body())
            .set_delay(Duration::from_secs(3)),
    ] {
        let inventory = MockServer::start().await;
        reserving(&inventory).await;
        Mock::given(method("POST"))
            .and(commit_path())
            .respond_with(answer)
            .mount(&inventory)
            .await;
        let front = front(&inventory.uri()).await;
        front.assert_handed_over(front.checkout().await).await;
    }
}

#[tokio::test]
async fn lost_stock_at_the_commit_cancels_the_order_with_stock_lost() {
    let inventory = MockServer::start().await;
    reserving(&inventory).await;
    Mock::given(method("POST"))
        .and(commit_path())
        .respond_with(problem(409, "stock_lost"))
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    let r = front.checkout().await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "stock_lost");
    let order = front.order(&body["orderId"]).await;
    assert_eq!(order["status"], "CANCELLED", "{order}");
    assert_eq!(
        order["history"].as_array().unwrap().last().unwrap()["reason"],
        "stock_lost"
    );
}

#[tokio::test]
async fn a_commit_of_other_lines_than_the_orders_does_not_confirm_it() {
    let inventory = MockServer::start().await;
    reserving(&inventory).await;
    Mock::given(method("POST"))
        .and(commit_path())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"orderId": "x", "items": [{"sku": "ABC-1234-AB", "qty": 9}]}),
            ),
        )
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    let r = front.checkout().await;
    assert_ne!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_ne!(front.order(&body["orderId"]).await["status"], "CONFIRMED");
}

#[tokio::test]
async fn an_inventory_503_hands_the_order_over() {
    let inventory = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    front.assert_handed_over(front.checkout().await).await;
}

#[tokio::test]
async fn an_inventory_slower_than_the_timeout_hands_the_order_over() {
    let inventory = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(reservation_body())
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    front.assert_handed_over(front.checkout().await).await;
}

#[tokio::test]
async fn a_refused_connection_hands_the_order_over() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let front = front(&format!("http://127.0.0.1:{closed}")).await;
    front.assert_handed_over(front.checkout().await).await;
}

#[tokio::test]
async fn an_unreadable_reservation_answer_hands_the_order_over() {
    let inventory = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(ResponseTemplate::new(201).set_body_string("<html>not json</html>"))
        .mount(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    front.assert_handed_over(front.checkout().await).await;
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_skips_the_inventory_then_closes_again() {
    let inventory = MockServer::start().await;
    let failing = Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount_as_scoped(&inventory)
        .await;
    let front = front(&inventory.uri()).await;
    // Three failures open it (BREAKER_FAILURES = 3 in the test settings)...
    for _ in 0..3 {
        front.assert_handed_over(front.checkout().await).await;
    }
    // ...and while it is open, checkouts answer 202 without calling the inventory.
    for _ in 0..4 {
        front.assert_handed_over(front.checkout().await).await;
    }
    drop(failing); // verifies exactly three calls reached the inventory

    // The inventory recovers; after the open period the breaker lets a call through.
    reserving(&inventory).await;
    Mock::given(method("POST"))
        .and(commit_path())
        .respond_with(ResponseTemplate::new(200).set_body_json(commit_body()))
        .mount(&inventory)
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = front.checkout().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = front.checkout().await;
    assert_eq!(r.status(), StatusCode::CREATED, "closed again");
}
