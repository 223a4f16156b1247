//! A saga under test: inventory-service and order-service, each on a fresh database,
//! sharing broker names of their own. Each service runs on a runtime of its own, so a
//! test can kill one abruptly and start it again.

use std::time::Duration;

use contracts::inventory::StockView;
use contracts::orders::OrderView;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub use testkit::Running;

pub struct Saga {
    pub client: reqwest::Client,
    pub inventory: Running,
    pub orders: Running,
    pub prefix: String,
    pub order_settings: order_service::config::Settings,
    pub inventory_settings: inventory_service::config::Settings,
}

pub async fn start_inventory(settings: inventory_service::config::Settings) -> Running {
    Running::service(|| inventory_service::startup::build(settings)).await
}

pub async fn start_orders(settings: order_service::config::Settings) -> Running {
    Running::service(|| order_service::startup::build(settings)).await
}

/// Both services; `tune` adjusts order-service's settings (grace, timeout).
pub async fn spawn_saga(
    tune_orders: impl FnOnce(&mut order_service::config::Settings),
    tune_inventory: impl FnOnce(&mut inventory_service::config::Settings),
) -> Saga {
    telemetry::init_for_tests();
    let inventory_db = testkit::fresh_database("saga_inventory").await;
    let orders_db = testkit::fresh_database("saga_orders").await;
    let prefix = format!("{}.", orders_db.name);
    let mut inventory_settings =
        inventory_service::config::Settings::for_tests(&inventory_db.url, &prefix);
    tune_inventory(&mut inventory_settings);
    let mut order_settings = order_service::config::Settings::for_tests(&orders_db.url, &prefix);
    tune_orders(&mut order_settings);
    let inventory = start_inventory(inventory_settings.clone()).await;
    let orders = start_orders(order_settings.clone()).await;
    let saga = Saga {
        client: reqwest::Client::new(),
        inventory,
        orders,
        prefix,
        order_settings,
        inventory_settings,
    };
    // Both consumers must have bound their queues before the first event flies.
    testkit::broker::wait_for_consumer(&format!("{}inventory-service.order_events", saga.prefix))
        .await;
    testkit::broker::wait_for_consumer(&format!("{}order-service.inventory_events", saga.prefix))
        .await;
    saga
}

impl Saga {
    /// Kills order-service, then starts it again on the same database.
    pub async fn restart_orders(&mut self) {
        let placeholder = Running::start(|ready| async move {
            let _ = ready.send(0);
            std::future::pending::<()>().await;
        })
        .await;
        std::mem::replace(&mut self.orders, placeholder).kill();
        self.orders = start_orders(self.order_settings.clone()).await;
    }

    /// Kills inventory-service: from now on only the inventory events a test publishes
    /// itself reach order-service.
    pub async fn stop_inventory(&mut self) {
        let placeholder = Running::start(|ready| async move {
            let _ = ready.send(0);
            std::future::pending::<()>().await;
        })
        .await;
        std::mem::replace(&mut self.inventory, placeholder).kill();
    }

    /// Starts inventory-service again on its database, after [`Saga::stop_inventory`].
    pub async fn start_inventory_again(&mut self) {
        self.inventory = start_inventory(self.inventory_settings.clone()).await;
    }

    pub async fn create_stock(&self, sku: &str, qty: i64) {
        let r = self
            .client
            .post(format!("{}/inventory", self.inventory.address))
            .json(&json!({"sku": sku, "qty": qty}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    pub async fn stock(&self, sku: &str) -> StockView {
        self.client
            .get(format!("{}/inventory/{sku}", self.inventory.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Reserves over HTTP as order-api's HTTP path would.
    pub async fn reserve(
        &self,
        order_id: &str,
        items: Value,
        ttl_seconds: Option<i64>,
    ) -> StatusCode {
        let mut body = json!({"orderId": order_id, "items": items});
        if let Some(ttl) = ttl_seconds {
            body["ttlSeconds"] = ttl.into();
        }
        self.client
            .post(format!("{}/reservations", self.inventory.address))
            .header("x-caller", "order-api")
            .header("x-caller-saga", "true")
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    }

    pub async fn place(&self, items: Value) -> OrderView {
        let r = self.post_order(items, None).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.unwrap()
    }

    pub async fn post_order(&self, items: Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/orders", self.orders.address))
            .json(&json!({"customerId": "c-1", "items": items}));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    /// The HTTP path's pivot, as order-api makes it through inventory-api: commit exactly
    /// `items` of the order in the inventory.
    pub async fn commit(&self, order_id: &str, items: Value) -> StatusCode {
        self.client
            .post(format!(
                "{}/reservations/{order_id}/commit",
                self.inventory.address
            ))
            .header("x-caller", "order-api")
            .header("x-caller-saga", "true")
            .json(&json!({"items": items}))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The HTTP path confirms an order whose `items` it committed.
    pub async fn confirm(&self, order_id: &str, items: Value) -> reqwest::Response {
        self.client
            .post(format!("{}/orders/{order_id}/confirm", self.orders.address))
            .json(&json!({"items": items}))
            .send()
            .await
            .unwrap()
    }

    /// order-service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.orders.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn act(&self, order_id: &str, action: &str) -> reqwest::Response {
        self.client
            .post(format!(
                "{}/orders/{order_id}/{action}",
                self.orders.address
            ))
            .send()
            .await
            .unwrap()
    }

    pub async fn order(&self, order_id: &str) -> OrderView {
        self.client
            .get(format!("{}/orders/{order_id}", self.orders.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the order until it is decided (`CONFIRMED` or `CANCELLED`), or 20 s pass.
    pub async fn decided(&self, order_id: &str) -> OrderView {
        let mut order = self.order(order_id).await;
        for _ in 0..400 {
            if matches!(order.status.as_str(), "CONFIRMED" | "CANCELLED") {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            order = self.order(order_id).await;
        }
        panic!("order {order_id} was never decided: {}", order.status);
    }

    /// Polls the stock of `sku` until `check` holds (or 20 s pass).
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
}
