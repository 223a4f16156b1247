//! Unit prices through the facade: `PUT /inventory/:sku/price` and its location form,
//! and `unitPrice` on the creation of a SKU. A stock keeper's act (scope `stock`);
//! every wrong price is refused here as `invalid_price` and never forwarded; a valid
//! one reaches the same route upstream with the same body, and the answer comes back.

use access::AccessSettings;
use contracts::actor::CALLER_HEADER;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, header, method, path},
};

use crate::helpers::{
    TestApp, assert_problem, settings, spawn_app, spawn_app_with, upstream_expecting_no_call,
};

const STOCK_KEEPER: &str = "ops-key-0123456789abcdef";
const SHOP: &str = "shop-key-0123456789abcdef";
const SKU: &str = "PRC-0001-AA";

fn keyed(upstream: &str) -> inventory_api::config::Settings {
    let mut settings = settings(upstream);
    settings.access = AccessSettings::default().with(
        "API_KEYS",
        format!("ops:{STOCK_KEEPER}:stock;shop:{SHOP}:reserve"),
    );
    settings
}

fn price(amount: i64, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// Both forms of the price route of [`SKU`].
fn price_routes() -> [String; 2] {
    [
        format!("/inventory/{SKU}/price"),
        format!("/locations/store-1/inventory/{SKU}/price"),
    ]
}

/// The stock view inventory-service answers after a price is set.
fn priced_view(store: &str) -> Value {
    json!({
        "storeId": store, "sku": SKU, "onHand": 10, "reserved": 0, "available": 10,
        "safetyStock": 0, "belowSafetyStock": false, "unitPrice": price(1999, "EUR"),
        "version": 2, "updatedAt": "2026-01-01T00:00:00Z"
    })
}

async fn put(app: &TestApp, path: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.put(app.url(path)).json(body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_valid_price_is_forwarded_as_a_put_for_the_caller_and_the_row_comes_back() {
    let upstream = MockServer::start().await;
    let body = price(1999, "EUR");
    for (route, store) in price_routes().iter().zip(["central", "store-1"]) {
        Mock::given(method("PUT"))
            .and(path(route.as_str()))
            .and(header(CALLER_HEADER, "ops"))
            .and(body_json(&body))
            .respond_with(ResponseTemplate::new(200).set_body_json(priced_view(store)))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let app = spawn_app_with(keyed(&upstream.uri())).await;
    for (route, store) in price_routes().iter().zip(["central", "store-1"]) {
        let answer = put(&app, route, Some(STOCK_KEEPER), &body).await;
        assert_eq!(answer.status().as_u16(), 200, "{route}");
        assert_eq!(answer.json::<Value>().await.unwrap(), priced_view(store));
    }
}

#[tokio::test]
async fn setting_a_price_needs_a_key_with_the_stock_scope_and_forwards_nothing_without() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app_with(keyed(&upstream.uri())).await;
    let body = price(1999, "EUR");
    for route in price_routes() {
        for key in [None, Some("not-a-key-0123456789abcdef")] {
            assert_problem(put(&app, &route, key, &body).await, 401, "unauthorized").await;
        }
        let problem =
            assert_problem(put(&app, &route, Some(SHOP), &body).await, 403, "forbidden").await;
        assert_eq!(problem["scope"], "stock", "{route}");
    }
}

#[tokio::test]
async fn every_wrong_price_is_422_invalid_price_and_never_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;
    let wrong = [
        price(-1, "EUR"),
        json!({ "amount": 19.99, "currency": "EUR" }),
        json!({ "amount": "1999", "currency": "EUR" }),
        price(1999, "eur"),
        price(1999, "EURO"),
        json!({ "amount": 1999 }),
        json!({ "currency": "EUR" }),
    ];
    for body in &wrong {
        for route in price_routes() {
            assert_problem(put(&app, &route, None, body).await, 422, "invalid_price").await;
        }
        for create in ["/inventory", "/locations/store-1/inventory"] {
            let answer = app
                .post_raw(
                    create,
                    json!({ "sku": SKU, "qty": 1, "unitPrice": body }).to_string(),
                )
                .await;
            assert_problem(answer, 422, "invalid_price").await;
        }
    }
    // The path is checked as on every stock route.
    let answer = put(&app, "/inventory/abc-1234-ab/price", None, &price(1, "EUR")).await;
    assert_problem(answer, 422, "invalid_sku").await;
    let answer = put(
        &app,
        &format!("/locations/no%20such/inventory/{SKU}/price"),
        None,
        &price(1, "EUR"),
    )
    .await;
    assert_problem(answer, 422, "invalid_store_id").await;
}

#[tokio::test]
async fn a_sku_created_with_a_price_is_forwarded_with_it() {
    let upstream = MockServer::start().await;
    let request = json!({ "sku": SKU, "qty": 10, "unitPrice": price(1999, "EUR") });
    Mock::given(method("POST"))
        .and(path("/inventory"))
        .and(body_json(&request))
        .respond_with(ResponseTemplate::new(201).set_body_json(priced_view("central")))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;

    let answer = app.post_raw("/inventory", request.to_string()).await;

    assert_eq!(answer.status().as_u16(), 201);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        priced_view("central")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_price_routes_and_the_prices() {
    let app = spawn_app(&crate::helpers::closed_port_url().await).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    for route in [
        "/inventory/{sku}/price",
        "/locations/{storeId}/inventory/{sku}/price",
    ] {
        let operation = &doc["paths"][route]["put"];
        assert!(operation.is_object(), "put {route} is missing");
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Money",
            "{route}"
        );
        assert!(operation["responses"]["200"].is_object(), "{route}");
        assert_eq!(
            operation["responses"]["422"]["$ref"],
            "#/components/responses/InvalidInput"
        );
        assert_eq!(operation["security"][0]["api_key"], json!([]), "{route}");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Money"]["required"], json!(["amount", "currency"]));
    assert!(schemas["StockView"]["properties"]["unitPrice"].is_object());
    assert!(schemas["CreateInventoryRequest"]["properties"]["unitPrice"].is_object());
    assert!(schemas["HoldView"]["properties"]["unitPrice"].is_object());
    let invalid = doc["components"]["responses"]["InvalidInput"]["description"]
        .as_str()
        .unwrap();
    assert!(invalid.contains("invalid_price"), "{invalid}");
}
