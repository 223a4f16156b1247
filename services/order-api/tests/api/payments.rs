//! Paid checkouts: order-api over a real order-service (paying with the sandbox) and
//! wiremock standing in for inventory-api, whose reservation answers carry the unit
//! prices. The total is authorized before the commit and captured at the confirmation;
//! a declined card, an unpriced SKU and a lost stock cancel the order; an authorization
//! whose outcome is unknown hands the order over.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::Running;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use crate::helpers::{order_service_for, start_order_api};

const SKU: &str = "ABC-1234-AB";

struct Front {
    client: reqwest::Client,
    order_api: Running,
    order_service: Running,
    inventory: MockServer,
}

/// order-api and order-service, with an inventory that reserves every checkout at
/// `unit_price` a unit (unpriced when `None`).
async fn front(unit_price: Option<Value>) -> Front {
    telemetry::init_for_tests();
    let inventory = MockServer::start().await;
    let mut hold =
        json!({"sku": SKU, "qty": 2, "status": "active", "expiresAt": "2030-01-01T00:00:00Z"});
    if let Some(price) = unit_price {
        hold["unitPrice"] = price;
    }
    Mock::given(method("POST"))
        .and(path("/reservations"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"orderId": "x", "items": [hold]})),
        )
        .mount(&inventory)
        .await;
    let prefix = format!("test_payment_{}.", uuid::Uuid::now_v7().simple());
    let order_service = order_service_for(&prefix, |_| {}).await;
    let order_api = start_order_api(order_api::config::Settings::for_tests(
        &order_service.address,
        &inventory.uri(),
    ))
    .await;
    Front {
        client: reqwest::Client::new(),
        order_api,
        order_service,
        inventory,
    }
}

fn eur(amount: i64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

fn commit_path() -> wiremock::matchers::PathRegexMatcher {
    path_regex("^/reservations/[^/]+/commit$")
}

impl Front {
    /// The inventory commits every commit asked for.
    async fn committing(&self) {
        Mock::given(method("POST"))
            .and(commit_path())
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"orderId": "x", "items": [{"sku": SKU, "qty": 2}]})),
            )
            .mount(&self.inventory)
            .await;
    }

    /// The inventory is never asked to commit.
    async fn never_committing(&self) {
        Mock::given(method("POST"))
            .and(commit_path())
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&self.inventory)
            .await;
    }

    async fn checkout(&self, token: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/checkout", self.order_api.address))
            .json(&json!({
                "items": [{"sku": SKU, "qty": 2}],
                "payment": {"method": "card", "token": token},
            }))
            .send()
            .await
            .unwrap()
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

#[tokio::test]
async fn a_paid_checkout_is_confirmed_with_its_total_captured() {
    let front = front(Some(eur(1999))).await;
    front.committing().await;
    let r = front.checkout("tok_visa").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "CONFIRMED");
    assert_eq!(body["total"], eur(3998));
    assert_eq!(body["items"][0]["unitPrice"], eur(1999));
    let order = front.order(&body["orderId"]).await;
    assert_eq!(order["payment"]["status"], "captured");
    assert_eq!(order["payment"]["amount"], eur(3998));
}

#[tokio::test]
async fn a_declined_card_is_a_409_and_nothing_is_committed() {
    let front = front(Some(eur(1999))).await;
    front.never_committing().await;
    let r = front.checkout("tok_chargeDeclined").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], problem::CONTENT_TYPE);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "payment_declined");
    let order = front.order(&problem["orderId"]).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["payment"]["status"], "declined");
    // Retried with the card that was declined: declined again, never charged.
    let again = front.checkout("tok_chargeDeclined").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_paid_checkout_of_an_unpriced_sku_is_a_422_and_the_order_is_cancelled() {
    let front = front(None).await;
    front.never_committing().await;
    let r = front.checkout("tok_visa").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "unpriced_sku");
    assert_eq!(problem["skus"], json!([SKU]));
    let order = front.order(&problem["orderId"]).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["payment"]["status"], "pending");
}

#[tokio::test]
async fn stock_lost_after_the_authorization_voids_it() {
    let front = front(Some(eur(1999))).await;
    Mock::given(method("POST"))
        .and(commit_path())
        .respond_with(ResponseTemplate::new(409).set_body_raw(
            json!({"type": "about:blank", "title": "Conflict", "status": 409, "code": "stock_lost", "shortages": []}).to_string(),
            "application/problem+json",
        ))
        .mount(&front.inventory)
        .await;
    let r = front.checkout("tok_visa").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "stock_lost");
    let order = front.order(&problem["orderId"]).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["payment"]["status"], "voided");
    let reasons: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "placed",
            "payment authorized",
            "stock_lost",
            "payment voided"
        ]
    );
}

#[tokio::test]
async fn an_authorization_whose_outcome_is_unknown_hands_the_order_over() {
    let front = front(Some(eur(1999))).await;
    front.never_committing().await;
    // The sandbox plays a provider that cannot be reached.
    let r = front.checkout("tok_unavailable").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "PENDING");
    let order = front.order(&body["orderId"]).await;
    assert_eq!(order["handedOver"], true, "{order}");
    assert_eq!(order["payment"]["status"], "pending");
}

#[tokio::test]
async fn a_checkout_without_a_payment_carries_no_total() {
    let front = front(Some(eur(1999))).await;
    front.committing().await;
    let r = front
        .client
        .post(format!("{}/checkout", front.order_api.address))
        .json(&json!({"items": [{"sku": SKU, "qty": 2}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("total").is_none(), "{body}");
    assert!(front.order(&body["orderId"]).await.get("payment").is_none());
}
