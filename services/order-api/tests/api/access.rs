//! Who may call what through order-api, and with what order-api calls its peers: the
//! whole system with keys everywhere (callers' keys at both facades, order-api's own key
//! at inventory-api and at order-service), and wiremock peers that must receive nothing
//! when a request is refused.

use access::AccessSettings;
use order_api::config::{Settings, peer_key_value};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use testkit::Running;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, method, path},
};

use crate::helpers::{
    order_service_for, start_inventory_api_with, start_inventory_service, start_order_api,
};

// Test keys only, each at least the 16 characters a key needs.
/// At order-api.
const WEB: &str = "web-key-0123456789abcdef";
const SHOP: &str = "shop-key-0123456789abcdef";
/// At inventory-api.
const SAGA: &str = "saga-key-0123456789abcdef";
const OPS: &str = "ops-key-0123456789abcdef";
const STORE: &str = "store-key-0123456789abcdef";
const RIVAL: &str = "rival-key-0123456789abcdef";
/// At order-service.
const ORDERS: &str = "orders-key-0123456789abcdef";

const SKU: &str = "ACC-0001-AA";

/// order-api's callers: web checks out, shop may only reserve (at inventory-api).
fn order_api_keys() -> AccessSettings {
    AccessSettings::default().with(
        "API_KEYS",
        format!("web:{WEB}:checkout;shop:{SHOP}:reserve"),
    )
}

/// order-api in front of `order_service` and `inventory_api`, with its callers' keys and
/// its own keys for both.
fn keyed_order_api(order_service: &str, inventory_api: &str) -> Settings {
    let mut settings = Settings::for_tests(order_service, inventory_api);
    settings.access = order_api_keys();
    settings.inventory_api_key = Some(peer_key_value(SAGA).unwrap());
    settings.order_service_api_key = Some(peer_key_value(ORDERS).unwrap());
    settings
}

/// Every service, each asking for keys.
struct Keyed {
    client: reqwest::Client,
    order_api: Running,
    inventory_api: Running,
    order_service: Running,
    _inventory_service: Running,
}

async fn spawn_keyed() -> Keyed {
    telemetry::init_for_tests();
    let inventory_db = testkit::fresh_database("access_inventory").await;
    let prefix = format!("{}.", inventory_db.name);
    let inventory_service = start_inventory_service(
        inventory_service::config::Settings::for_tests(&inventory_db.url, &prefix),
    )
    .await;
    let mut inventory_api = inventory_api::config::Settings::for_tests(&inventory_service.address);
    inventory_api.access = AccessSettings::default().with(
        "API_KEYS",
        format!(
            "order-api:{SAGA}:saga;ops:{OPS}:stock;store:{STORE}:reserve;rival:{RIVAL}:reserve"
        ),
    );
    let inventory_api = start_inventory_api_with(inventory_api).await;
    let order_service = order_service_for(&prefix, |settings| {
        settings.api_key = Some(access::ServiceKey::parse(ORDERS).unwrap());
    })
    .await;
    let order_api = start_order_api(keyed_order_api(
        &order_service.address,
        &inventory_api.address,
    ))
    .await;
    testkit::broker::wait_for_consumer(&format!("{prefix}inventory-service.order_events")).await;
    testkit::broker::wait_for_consumer(&format!("{prefix}order-service.inventory_events")).await;
    let system = Keyed {
        client: reqwest::Client::new(),
        order_api,
        inventory_api,
        order_service,
        _inventory_service: inventory_service,
    };
    let created = system
        .post(
            &system.inventory_api.address,
            "/inventory",
            Some(OPS),
            json!({"sku": SKU, "qty": 10}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    system
}

impl Keyed {
    async fn post(&self, base: &str, path: &str, key: Option<&str>, body: Value) -> Response {
        let mut request = self.client.post(format!("{base}{path}")).json(&body);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send().await.unwrap()
    }

    async fn checkout(&self, key: Option<&str>, qty: i64) -> Response {
        self.post(
            &self.order_api.address,
            "/checkout",
            key,
            json!({"customerId": "c-1", "items": [{"sku": SKU, "qty": qty}]}),
        )
        .await
    }

    async fn stock(&self) -> Value {
        self.get(&format!("{}/inventory/{SKU}", self.inventory_api.address))
            .await
    }

    async fn get(&self, url: &str) -> Value {
        let answer = self.client.get(url).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "reads need no key: {url}");
        answer.json().await.unwrap()
    }
}

async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    let context = format!("{} {}", response.status(), response.url());
    assert_eq!(response.status().as_u16(), status, "{context}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{context}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{context}: {body}");
    body
}

/// A peer that must receive nothing: checked when it is dropped.
async fn peer_expecting_no_call() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    server
}

/// order-api with its callers' keys in front of two peers that must receive nothing.
async fn facade_with_silent_peers() -> (Running, MockServer, MockServer) {
    let orders = peer_expecting_no_call().await;
    let inventory = peer_expecting_no_call().await;
    let app = start_order_api(keyed_order_api(&orders.uri(), &inventory.uri())).await;
    (app, orders, inventory)
}

const ORDER_ID: &str = "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a";

async fn post_to(app: &Running, path: &str, key: Option<&str>, body: Value) -> Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", app.address))
        .json(&body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.unwrap()
}

fn checkout_body() -> Value {
    json!({"customerId": "c-1", "items": [{"sku": SKU, "qty": 1}]})
}

#[tokio::test]
async fn without_a_known_key_checkout_and_cancel_are_401_and_nothing_is_called() {
    let (app, _orders, _inventory) = facade_with_silent_peers().await;
    let cancel = format!("/orders/{ORDER_ID}/cancel");
    for key in [None, Some("not-a-key-0123456789abcdef")] {
        for (path, body) in [("/checkout", checkout_body()), (cancel.as_str(), json!({}))] {
            let refused = post_to(&app, path, key, body).await;
            assert!(refused.headers().contains_key("www-authenticate"));
            let problem = assert_problem(refused, 401, "unauthorized").await;
            assert!(!problem.to_string().contains("not-a-key"), "{problem}");
        }
    }
}

#[tokio::test]
async fn a_key_without_the_checkout_scope_is_403_and_nothing_is_called() {
    let (app, _orders, _inventory) = facade_with_silent_peers().await;
    let cancel = format!("/orders/{ORDER_ID}/cancel");
    for (path, body) in [("/checkout", checkout_body()), (cancel.as_str(), json!({}))] {
        let problem = assert_problem(
            post_to(&app, path, Some(SHOP), body).await,
            403,
            "forbidden",
        )
        .await;
        assert_eq!(problem["scope"], "checkout");
    }
}

#[tokio::test]
async fn control_characters_in_free_text_are_422_and_never_forwarded() {
    let (app, _orders, _inventory) = facade_with_silent_peers().await;
    for customer_id in ["c\u{0}1", "c\n1", "c\u{1b}[31m"] {
        let body = json!({"customerId": customer_id, "items": [{"sku": SKU, "qty": 1}]});
        assert_problem(
            post_to(&app, "/checkout", Some(WEB), body).await,
            422,
            "invalid_customer_id",
        )
        .await;
    }
    let cancel = format!("/orders/{ORDER_ID}/cancel");
    for reason in ["out\u{0}of stock", "line\nbreak", ""] {
        let body = json!({"reason": reason});
        assert_problem(
            post_to(&app, &cancel, Some(WEB), body).await,
            422,
            "invalid_reason",
        )
        .await;
    }
}

#[tokio::test]
async fn an_order_id_that_is_not_a_uuid_is_a_404_problem_and_never_forwarded() {
    let (app, _orders, _inventory) = facade_with_silent_peers().await;
    let client = reqwest::Client::new();
    for id in ["%00", "a%0Ab", "%FF%FE", "not-a-uuid", "..%2F..%2Fadmin"] {
        let read = client
            .get(format!("{}/orders/{id}", app.address))
            .send()
            .await
            .unwrap();
        assert_problem(read, 404, "order_not_found").await;
        let cancel = post_to(&app, &format!("/orders/{id}/cancel"), Some(WEB), json!({})).await;
        assert_problem(cancel, 404, "order_not_found").await;
    }
}

#[tokio::test]
async fn a_facade_on_a_reachable_address_without_keys_refuses_to_build() {
    let mut settings = Settings::for_tests("http://127.0.0.1:1", "http://127.0.0.1:1");
    settings.http.bind_addr = [0, 0, 0, 0].into();
    let err = order_api::startup::build(settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("API_KEYS is not set") && err.contains("set API_KEYS"),
        "{err}"
    );
}

/// A cancelled order, as order-service answers a cancellation.
fn cancelled_order() -> Value {
    json!({
        "orderId": ORDER_ID,
        "status": "CANCELLED",
        "items": [{"sku": SKU, "qty": 1}],
        "handedOver": false,
        "version": 2,
        "createdAt": "2030-01-01T00:00:00Z",
        "updatedAt": "2030-01-01T00:00:01Z",
        "history": [],
    })
}

#[tokio::test]
async fn over_its_rate_a_caller_is_told_when_to_retry() {
    let orders = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&orders)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/orders/{ORDER_ID}/cancel")))
        .respond_with(ResponseTemplate::new(200).set_body_json(cancelled_order()))
        .mount(&orders)
        .await;
    let mut settings = keyed_order_api(&orders.uri(), "http://127.0.0.1:1");
    settings.access = order_api_keys().with("RATE_LIMIT_PER_SEC", "2");
    let app = start_order_api(settings).await;
    let cancel = format!("/orders/{ORDER_ID}/cancel");
    for _ in 0..2 {
        assert_eq!(
            post_to(&app, &cancel, Some(WEB), json!({})).await.status(),
            StatusCode::OK
        );
    }
    let refused = post_to(&app, &cancel, Some(WEB), json!({})).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(refused, 429, "rate_limited").await;
}

#[tokio::test]
async fn order_api_sends_its_own_key_to_each_peer_and_a_refused_key_is_not_the_clients_fault() {
    let orders = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"type":"about:blank","title":"Unauthorized","status":401,"code":"unauthorized"}"#,
            "application/problem+json",
        ))
        .mount(&orders)
        .await;
    let app = start_order_api(keyed_order_api(&orders.uri(), "http://127.0.0.1:1")).await;

    let checkout = post_to(&app, "/checkout", Some(WEB), checkout_body()).await;
    assert_problem(checkout, 503, "order_service_unavailable").await;
    let cancel = post_to(
        &app,
        &format!("/orders/{ORDER_ID}/cancel"),
        Some(WEB),
        json!({}),
    )
    .await;
    assert_problem(cancel, 503, "order_service_unavailable").await;

    let received = orders.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    for request in received {
        assert_eq!(
            request.headers["x-api-key"], ORDERS,
            "order-api's key, not the caller's"
        );
    }
}

#[tokio::test]
async fn with_every_key_right_a_checkout_is_confirmed_and_the_saga_is_named_on_the_movements() {
    let system = spawn_keyed().await;
    let placed = system.checkout(Some(WEB), 3).await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");

    let stock = system.stock().await;
    assert_eq!(
        (stock["onHand"].as_i64(), stock["reserved"].as_i64()),
        (Some(7), Some(0))
    );
    let movements = system
        .get(&format!(
            "{}/inventory/{SKU}/movements",
            system.inventory_api.address
        ))
        .await;
    let actors: Vec<&str> = movements["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["actor"].as_str().unwrap_or("none"))
        .collect();
    // Newest first: the commit and the reservation by the saga, the creation by ops.
    assert_eq!(actors, ["order-api", "order-api", "ops"]);

    let cancelled = system
        .post(
            &system.order_api.address,
            &format!("/orders/{}/cancel", order["orderId"].as_str().unwrap()),
            Some(WEB),
            json!({"reason": "changed my mind"}),
        )
        .await;
    assert_problem(cancelled, 409, "invalid_transition").await;
}

#[tokio::test]
async fn a_caller_cannot_touch_a_saga_hold_or_another_callers_hold() {
    let system = spawn_keyed().await;
    let inventory = system.inventory_api.address.clone();
    // A hold the saga makes, as order-api makes it.
    let held = system
        .post(
            &inventory,
            "/reservations",
            Some(SAGA),
            json!({"orderId": "order-saga", "items": [{"sku": SKU, "qty": 2}]}),
        )
        .await;
    assert_eq!(held.status(), StatusCode::CREATED);
    // And one a store makes for itself.
    let held = system
        .post(
            &inventory,
            &format!("/inventory/{SKU}/reserve"),
            Some(STORE),
            json!({"orderId": "order-store", "qty": 1}),
        )
        .await;
    assert_eq!(held.status(), StatusCode::NO_CONTENT);

    for action in ["release", "confirm"] {
        let path = format!("/inventory/{SKU}/{action}");
        let saga_hold = json!({"orderId": "order-saga"});
        let touched = system.post(&inventory, &path, Some(STORE), saga_hold).await;
        assert_problem(touched, 409, "hold_owned_by_order").await;
        let store_hold = json!({"orderId": "order-store"});
        let touched = system
            .post(&inventory, &path, Some(RIVAL), store_hold)
            .await;
        assert_problem(touched, 409, "hold_owned_by_another_caller").await;
    }
    assert_eq!(
        system.stock().await["reserved"],
        3,
        "both holds are untouched"
    );
}

#[tokio::test]
async fn order_services_routes_that_change_orders_refuse_a_missing_or_wrong_key() {
    let system = spawn_keyed().await;
    let orders = &system.order_service.address;
    let changes = [
        ("/orders".to_owned(), checkout_body()),
        (
            format!("/orders/{ORDER_ID}/confirm"),
            json!({"items": [{"sku": SKU, "qty": 1}]}),
        ),
        (format!("/orders/{ORDER_ID}/cancel"), json!({})),
        (format!("/orders/{ORDER_ID}/handover"), json!({})),
    ];
    for (path, body) in &changes {
        for key in [None, Some("orders-key-0123456789abcdeX"), Some(WEB)] {
            let refused = system.post(orders, path, key, body.clone()).await;
            assert_problem(refused, 401, "unauthorized").await;
        }
    }
    // Reads stay open; with the key, the route runs (no such order here).
    let read = system
        .client
        .get(format!("{orders}/orders/{ORDER_ID}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    let cancel = system
        .post(
            orders,
            &format!("/orders/{ORDER_ID}/cancel"),
            Some(ORDERS),
            json!({}),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::NOT_FOUND);
}
