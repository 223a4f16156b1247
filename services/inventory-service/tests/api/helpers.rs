//! `spawn_app()`: one inventory-service on a free port over a fresh database, and a
//! client that speaks its routes.

use contracts::inventory::{MovementPageView, StockView};
use inventory_service::{adapters::postgres::migrator, config::Settings, startup};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use testkit::TestDatabase;

#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    _running: service::Spawned,
}

/// A fresh database and one instance on it.
pub async fn spawn_app() -> TestApp {
    let db = testkit::fresh_database("inventory").await;
    spawn_on(&db).await
}

/// Another instance on an existing database (several instances may share one).
pub async fn spawn_on(db: &TestDatabase) -> TestApp {
    spawn_with(Settings::for_tests(&db.url, &broker_prefix(&db.name)), db).await
}

/// The service's database at `url`, migrated as the service does.
pub async fn connect(url: &str) -> PgPool {
    service::Backbone::for_tests(url, "")
        .connect(&migrator())
        .await
        .expect("connect and migrate")
        .pool()
        .clone()
}

/// Broker names of one test: every instance on one test database shares them.
pub fn broker_prefix(database: &str) -> String {
    format!("{database}.")
}

pub async fn spawn_with(settings: Settings, db: &TestDatabase) -> TestApp {
    telemetry::init_for_tests();
    declare_topology(&settings).await;
    let running = startup::build(settings)
        .await
        .expect("build inventory-service")
        .spawn();
    TestApp {
        address: running.address.clone(),
        client: reqwest::Client::new(),
        db: db.clone(),
        _running: running,
    }
}

impl TestApp {
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// A POST as order-api makes it for the checkout saga.
    pub async fn post_as_saga(&self, path: &str, body: Value) -> Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header(contracts::actor::CALLER_HEADER, "order-api")
            .header(contracts::actor::SAGA_HEADER, "true")
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.client
            .put(format!("{}{path}", self.address))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    pub async fn create(&self, sku: &str, qty: i64) {
        let res = self
            .post("/inventory", json!({ "sku": sku, "qty": qty }))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }

    pub async fn reserve(&self, sku: &str, order_id: &str, qty: i64) -> Response {
        self.post(
            &format!("/inventory/{sku}/reserve"),
            json!({ "orderId": order_id, "qty": qty }),
        )
        .await
    }

    pub async fn stock(&self, sku: &str) -> StockView {
        let res = self.get(&format!("/inventory/{sku}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn movements(&self, sku: &str) -> MovementPageView {
        let res = self
            .get(&format!("/inventory/{sku}/movements?limit=500"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The stock of `sku` at `store`, read where it lives (see [`stock_path`]).
    pub async fn stock_at(&self, store: &str, sku: &str) -> StockView {
        let res = self.get(&stock_path(store, sku)).await;
        assert_eq!(res.status(), StatusCode::OK, "{store}/{sku}");
        res.json().await.unwrap()
    }

    /// Every movement of `sku` at `store`, newest first, read page after page.
    pub async fn movements_at(&self, store: &str, sku: &str) -> MovementPageView {
        let mut all = MovementPageView {
            items: Vec::new(),
            next_cursor: None,
        };
        let mut before = String::new();
        loop {
            let res = self
                .get(&format!(
                    "{}/movements?limit=500{before}",
                    stock_path(store, sku)
                ))
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{store}/{sku}");
            let page: MovementPageView = res.json().await.unwrap();
            all.items.extend(page.items);
            match page.next_cursor {
                Some(cursor) => before = format!("&before={cursor}"),
                None => return all,
            }
        }
    }

    /// Broker name of a logical exchange or queue, for this test.
    pub fn broker_name(&self, logical: &str) -> String {
        format!("{}{logical}", broker_prefix(&self.db.name))
    }

    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.db.url).await.unwrap()
    }
}

/// Where the stock of `sku` at `store` is read: the central warehouse keeps its short
/// form, every other location has its location form.
pub fn stock_path(store: &str, sku: &str) -> String {
    if store == "central" {
        format!("/inventory/{sku}")
    } else {
        format!("/locations/{store}/inventory/{sku}")
    }
}

/// Asserts a problem+json answer with this status and code.
pub async fn assert_problem(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    body
}

/// On hand and reserved recomputed by replaying the movements of a SKU at one location
/// oldest first; no step may leave fewer units on hand than reserved.
pub fn replay(page: &MovementPageView) -> (i64, i64) {
    let (mut on_hand, mut reserved) = (0, 0);
    for m in page.items.iter().rev() {
        match m.kind.as_str() {
            "created" | "replenished" | "transferred_in" => on_hand += m.qty,
            "transferred_out" => on_hand -= m.qty,
            "reserved" => reserved += m.qty,
            "released" | "expired" => reserved -= m.qty,
            "committed" => {
                on_hand -= m.qty;
                reserved -= m.qty;
            }
            other => panic!("unexpected movement {other}"),
        }
        assert_eq!(
            (on_hand, reserved),
            (m.on_hand_after, m.reserved_after),
            "{m:?}"
        );
        assert!(on_hand >= reserved, "oversold: {m:?}");
    }
    (on_hand, reserved)
}

/// Declares the whole system's queues under the test's prefix, as the broker's
/// definitions do in a deployment: the events this service publishes have their
/// consumers' queues to go to, though no order-service runs here. A test that starts
/// the service with its broker away on purpose declares nothing.
async fn declare_topology(settings: &Settings) {
    let backbone = &settings.backbone;
    let Ok(connection) = lapin::Connection::connect(&backbone.amqp_url, Default::default()).await
    else {
        return;
    };
    let channel = connection.create_channel().await.expect("a channel");
    messaging::topology::declare_system(
        &channel,
        &backbone.names(),
        &backbone.retry_delays,
        backbone.amqp_queue_expires,
    )
    .await
    .expect("declare the system's queues");
    let _ = connection.close(200, "declared".into()).await;
}
