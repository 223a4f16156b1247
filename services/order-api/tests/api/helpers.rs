//! The whole system in one test: each service on a runtime of its own (so one can be
//! killed and started again on the same port), fresh databases, broker names of its own.

use std::time::Duration;

use contracts::inventory::StockView;
use contracts::orders::OrderView;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use testkit::Running;

pub struct System {
    pub client: reqwest::Client,
    pub order_api: Running,
    pub inventory_api: Running,
    pub inventory_service: Option<Running>,
    pub order_service: Running,
    pub inventory_settings: inventory_service::config::Settings,
}

/// A port free now, to start (and restart) a service on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn start_inventory_service(settings: inventory_service::config::Settings) -> Running {
    Running::service(|| inventory_service::startup::build(settings)).await
}

pub async fn start_order_service(settings: order_service::config::Settings) -> Running {
    Running::service(|| order_service::startup::build(settings)).await
}

pub async fn start_inventory_api(inventory_service: &str) -> Running {
    let mut settings = inventory_api::config::Settings::for_tests(inventory_service);
    settings.upstream_connect_timeout = Duration::from_millis(300);
    start_inventory_api_with(settings).await
}

pub async fn start_inventory_api_with(settings: inventory_api::config::Settings) -> Running {
    Running::service(|| inventory_api::startup::build(settings)).await
}

pub async fn start_order_api(settings: order_api::config::Settings) -> Running {
    Running::service(|| order_api::startup::build(settings)).await
}

/// order-service on its own database, sharing `prefix` broker names.
pub async fn order_service_for(
    prefix: &str,
    tune: impl FnOnce(&mut order_service::config::Settings),
) -> Running {
    let db = testkit::fresh_database("checkout_orders").await;
    let mut settings = order_service::config::Settings::for_tests(&db.url, prefix);
    tune(&mut settings);
    start_order_service(settings).await
}

pub async fn spawn_system() -> System {
    telemetry::init_for_tests();
    let inventory_db = testkit::fresh_database("checkout_inventory").await;
    let prefix = format!("{}.", inventory_db.name);
    let mut inventory_settings =
        inventory_service::config::Settings::for_tests(&inventory_db.url, &prefix);
    inventory_settings.http.port = free_port();
    let inventory_service = start_inventory_service(inventory_settings.clone()).await;
    let inventory_api = start_inventory_api(&inventory_service.address).await;
    let order_service = order_service_for(&prefix, |_| {}).await;
    let order_api = start_order_api(order_api::config::Settings::for_tests(
        &order_service.address,
        &inventory_api.address,
    ))
    .await;
    testkit::broker::wait_for_consumer(&format!("{prefix}inventory-service.order_events")).await;
    testkit::broker::wait_for_consumer(&format!("{prefix}order-service.inventory_events")).await;
    System {
        client: reqwest::Client::new(),
        order_api,
        inventory_api,
        inventory_service: Some(inventory_service),
        order_service,
        inventory_settings,
    }
}

impl System {
    pub async fn create_stock(&self, sku: &str, qty: i64) {
        let r = self
            .client
            .post(format!("{}/inventory", self.inventory_api.address))
            .json(&json!({"sku": sku, "qty": qty}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    pub async fn stock(&self, sku: &str) -> StockView {
        self.client
            .get(format!("{}/inventory/{sku}", self.inventory_api.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn stock_until(&self, sku: &str, check: impl Fn(&StockView) -> bool) -> StockView {
        let mut last = self.stock(sku).await;
        for _ in 0..400 {
            if check(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            last = self.stock(sku).await;
        }
        panic!("stock of {sku} never reached the expected state: {last:?}");
    }

    pub async fn checkout(&self, items: Value, key: Option<&str>) -> Response {
        checkout_at(&self.client, &self.order_api.address, items, key).await
    }

    pub async fn order(&self, order_id: &str) -> OrderView {
        let r = self
            .client
            .get(format!("{}/orders/{order_id}", self.order_api.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// The order once it is CONFIRMED or CANCELLED: RESERVED is a step of the event path
    /// (committing), not a decision.
    pub async fn decided(&self, order_id: &str) -> OrderView {
        let mut last = self.order(order_id).await;
        for _ in 0..400 {
            if matches!(last.status.as_str(), "CONFIRMED" | "CANCELLED") {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            last = self.order(order_id).await;
        }
        panic!("order {order_id} stayed {}", last.status);
    }
}

pub async fn checkout_at(
    client: &reqwest::Client,
    order_api: &str,
    items: Value,
    key: Option<&str>,
) -> Response {
    let mut request = client
        .post(format!("{order_api}/checkout"))
        .json(&json!({"customerId": "c-1", "items": items}));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}
