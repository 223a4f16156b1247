//! An inventory-api with its stock view on the real broker, under names of its own,
//! in front of a wiremock inventory-service that serves the snapshot; and a publisher
//! of `ProductInventoryStockChanged` events straight to the view's exchange.

use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::{
    events::{Envelope, EventType, INVENTORY_EXCHANGE, ProductInventoryStockChanged},
    inventory::StockView,
};
use inventory_api::config::{Settings, StockViewSettings};
use serde_json::{Value, json};
use testkit::broker::RawPublisher;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

pub const STORE: &str = "store-1";

/// A stock row at `store`.
pub fn stock(store: &str, sku: &str, version: i64) -> StockView {
    StockView {
        store_id: store.into(),
        sku: sku.into(),
        on_hand: version * 10,
        reserved: 0,
        available: version * 10,
        safety_stock: 0,
        below_safety_stock: false,
        unit_price: None,
        version,
        updated_at: Utc::now(),
    }
}

/// inventory-service as the view's snapshot reads it: `central` and `store-1`, each
/// with the rows given, one page each; ready.
pub async fn upstream(central: &[StockView], store: &[StockView]) -> MockServer {
    let server = MockServer::start().await;
    let location =
        |id: &str| json!({"storeId": id, "name": id, "createdAt": "2026-01-01T00:00:00Z"});
    Mock::given(method("GET"))
        .and(path("/locations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"items": [location("central"), location(STORE)]})),
        )
        .mount(&server)
        .await;
    for (id, rows) in [("central", central), (STORE, store)] {
        Mock::given(method("GET"))
            .and(path(format!("/locations/{id}/inventory")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"items": rows, "nextCursor": null})),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/readyz"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ready"})))
        .mount(&server)
        .await;
    server
}

/// A running inventory-api with its view; stops when dropped.
pub struct ViewApp {
    pub address: String,
    pub client: reqwest::Client,
    _running: service::Spawned,
}

/// Names of the broker of one test.
pub fn fresh_prefix() -> String {
    format!("test_view_{}.", uuid::Uuid::now_v7().simple())
}

pub async fn spawn(upstream: &str, prefix: &str) -> ViewApp {
    spawn_with(upstream, prefix, |_| {}).await
}

pub async fn spawn_with(upstream: &str, prefix: &str, edit: impl FnOnce(&mut Settings)) -> ViewApp {
    let mut settings = Settings::for_tests(upstream);
    settings.stock_view = Some(StockViewSettings::for_tests(prefix));
    edit(&mut settings);
    let running = inventory_api::startup::build(settings)
        .await
        .expect("build inventory-api")
        .spawn();
    ViewApp {
        address: running.address.clone(),
        client: reqwest::Client::new(),
        _running: running,
    }
}

impl ViewApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request to inventory-api")
    }

    pub async fn json(&self, path: &str) -> Value {
        let answer = self.get(path).await;
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        answer.json().await.unwrap()
    }

    /// The view's part of `/readyz`.
    pub async fn view_report(&self) -> Value {
        self.json("/readyz").await["stockView"].clone()
    }

    /// Waits until `/readyz` reports the view `state` (and `ok` holds of the report).
    pub async fn wait_for(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let mut report = Value::Null;
        for _ in 0..200 {
            report = self.view_report().await;
            if ok(&report) {
                return report;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the view never got {what}: {report}");
    }

    pub async fn wait_live(&self) -> Value {
        self.wait_for("live", |r| r["state"] == "live").await
    }

    /// Waits until `sku` at `store` reads at `version` (a read the view leaves to the
    /// wiremock inventory-service, which knows no such row, is a 404: not yet).
    pub async fn wait_version(&self, store: &str, sku: &str, version: i64) -> Value {
        let path = format!("/locations/{store}/inventory/{sku}");
        let mut last = Value::Null;
        for _ in 0..200 {
            let answer = self.get(&path).await;
            if answer.status().as_u16() == 200 {
                last = answer.json().await.unwrap();
                if last["version"] == version {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never reached version {version}: {last}");
    }
}

/// Publishes `ProductInventoryStockChanged` events to the prefixed `inventory_events`.
pub struct Publisher {
    raw: RawPublisher,
    exchange: String,
}

impl Publisher {
    pub async fn connect(prefix: &str) -> Self {
        Self {
            raw: RawPublisher::connect().await,
            exchange: format!("{prefix}{INVENTORY_EXCHANGE}"),
        }
    }

    pub async fn changed(&self, items: Vec<StockView>) {
        self.changed_at(Utc::now(), items).await;
    }

    pub async fn changed_at(&self, occurred_at: DateTime<Utc>, items: Vec<StockView>) {
        let correlation = items.first().map(|i| i.sku.clone()).unwrap_or_default();
        let envelope = Envelope::new(
            "inventory-service",
            occurred_at,
            None,
            &correlation,
            ProductInventoryStockChanged { items },
        );
        let body = serde_json::to_vec(&envelope).unwrap();
        self.raw
            .publish(
                &self.exchange,
                ProductInventoryStockChanged::ROUTING_KEY,
                &envelope.id.to_string(),
                &body,
            )
            .await;
    }
}

/// A server-sent events client: the frames of one response, read as they come.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

/// One event as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub id: String,
    pub data: Value,
}

impl Events {
    pub async fn open(app: &ViewApp, store: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .client
            .get(app.url(&format!("/locations/{store}/changes")));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), waiting at most `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut received = Received {
                    event: String::new(),
                    id: String::new(),
                    data: Value::Null,
                };
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        received.event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        received.id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        received.data = serde_json::from_str(v.trim()).unwrap();
                    }
                }
                if received.event.is_empty() {
                    continue;
                }
                return Some(received);
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// The next `n` events; panics if they do not come within a few seconds.
    pub async fn take(&mut self, n: usize) -> Vec<Received> {
        let mut all = Vec::with_capacity(n);
        while all.len() < n {
            match self.next(Duration::from_secs(10)).await {
                Some(event) => all.push(event),
                None => panic!("only {} of {n} events came: {all:?}", all.len()),
            }
        }
        all
    }
}
