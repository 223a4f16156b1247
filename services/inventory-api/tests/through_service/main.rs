//! inventory-api in front of a real inventory-service over a fresh PostgreSQL database:
//! the seed's curl script exactly as written, the reservation race through the
//! facade, and the stock view following the service's own events (reads never older
//! than the client's writes, a transfer on its destination's change stream; in
//! [`view`], the view converging to the database after storms, restarts and a lost
//! queue).

mod view;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Stack {
    api: String,
    client: reqwest::Client,
    /// The services and the facade: each stops when dropped.
    _running: Vec<service::Spawned>,
}

/// inventory-service instances (`services` of them, on one database) behind one
/// inventory-api.
async fn spawn_stack(services: usize) -> Stack {
    let db = testkit::fresh_database("inventory_api").await;
    let mut running = Vec::with_capacity(services + 1);
    for _ in 0..services {
        let service = inventory_service::startup::build(
            inventory_service::config::Settings::for_tests(&db.url, &format!("{}.", db.name)),
        )
        .await
        .expect("build inventory-service");
        running.push(service.spawn());
    }
    let mut settings = inventory_api::config::Settings::for_tests(&running[0].address);
    settings.upstream_timeout = std::time::Duration::from_secs(10);
    settings.upstream_connect_timeout = std::time::Duration::from_secs(1);
    // Every request of a race is admitted, so they all race (the facade's own default
    // would shed most of a 200-wide burst at once).
    settings.access = settings.access.with("MAX_CONCURRENT_REQUESTS", "256");
    let api = inventory_api::startup::build(settings)
        .await
        .unwrap()
        .spawn();
    let address = api.address.clone();
    running.push(api);
    Stack {
        api: address,
        client: reqwest::Client::new(),
        _running: running,
    }
}

impl Stack {
    async fn post(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.api))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn stock(&self, sku: &str) -> Value {
        let res = self
            .client
            .get(format!("{}/inventory/{sku}", self.api))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }
}

#[tokio::test]
async fn the_seed_curl_script_answers_201_200_204_204_204_then_30_2_28() {
    let stack = spawn_stack(1).await;
    let created = stack
        .post("/inventory", r#"{"sku":"ABC-1234-AB","qty":10}"#)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["location"], "/inventory/ABC-1234-AB");
    let read = stack
        .client
        .get(format!("{}/inventory/ABC-1234-AB", stack.api))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let reserved = stack
        .post(
            "/inventory/ABC-1234-AB/reserve",
            r#"{"qty":5,"orderId":"order-001"}"#,
        )
        .await;
    assert_eq!(reserved.status(), StatusCode::NO_CONTENT);
    let released = stack
        .post(
            "/inventory/ABC-1234-AB/release",
            r#"{"qty":3,"orderId":"order-001"}"#,
        )
        .await;
    assert_eq!(released.status(), StatusCode::NO_CONTENT);
    let replenished = stack
        .post("/inventory/ABC-1234-AB/replenish", r#"{"qty":20}"#)
        .await;
    assert_eq!(replenished.status(), StatusCode::NO_CONTENT);

    let stock = stack.stock("ABC-1234-AB").await;
    assert_eq!(
        (&stock["onHand"], &stock["reserved"], &stock["available"]),
        (&json!(30), &json!(2), &json!(28))
    );
}

async fn race(stack: &Stack) {
    let created = stack
        .post("/inventory", r#"{"sku":"HOT-0001-AA","qty":50}"#)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let answers = join_all((0..200).map(|i| async move {
        stack
            .post(
                "/inventory/HOT-0001-AA/reserve",
                &format!(r#"{{"qty":1,"orderId":"order-{i}"}}"#),
            )
            .await
            .status()
    }))
    .await;
    let won = answers
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, refused), (50, 150), "{answers:?}");
    let stock = stack.stock("HOT-0001-AA").await;
    assert_eq!(
        (&stock["onHand"], &stock["reserved"], &stock["available"]),
        (&json!(50), &json!(50), &json!(0))
    );
}

#[tokio::test]
async fn two_hundred_reservations_through_the_facade_for_fifty_units_never_oversell() {
    let stack = spawn_stack(1).await;
    race(&stack).await;
}

#[tokio::test]
async fn bad_input_is_refused_by_the_facade_and_changes_nothing() {
    let stack = spawn_stack(1).await;
    stack
        .post("/inventory", r#"{"sku":"ABC-1234-AB","qty":10}"#)
        .await;
    let before = stack.stock("ABC-1234-AB").await;
    for (path, body) in [
        (
            "/inventory/ABC-1234-AB/reserve",
            r#"{"qty":0,"orderId":"o"}"#,
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            r#"{"qty":-1,"orderId":"o"}"#,
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            r#"{"qty":99999999999,"orderId":"o"}"#,
        ),
        (
            "/inventory/ABC-1234-AB/reserve",
            r#"{"qty":"1","orderId":"o"}"#,
        ),
        ("/inventory/ABC-1234-AB/reserve", r#"{"orderId":"o"}"#),
        (
            "/inventory/abc-1234-ab/reserve",
            r#"{"qty":1,"orderId":"o"}"#,
        ),
        ("/inventory/ABC-1234-AB/replenish", r#"{"qty":0}"#),
        ("/inventory", r#"{"sku":"ABC-1234-AB"}"#),
    ] {
        let res = stack.post(path, body).await;
        assert!(
            res.status().is_client_error(),
            "{path} {body}: {}",
            res.status()
        );
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(stack.stock("ABC-1234-AB").await, before);
}

/// inventory-api with its stock view, following the events of a real inventory-service
/// (one database, one broker prefix).
async fn spawn_with_view() -> Stack {
    let db = testkit::fresh_database("inventory_api_view").await;
    let prefix = format!("{}.", db.name);
    let service = spawn_service(&db, &prefix).await;
    let api = spawn_api_with_view(&service.address, &prefix, |_| {}).await;
    let stack = Stack {
        api: api.address.clone(),
        client: reqwest::Client::new(),
        _running: vec![service, api],
    };
    wait_live(&stack.client, &stack.api).await;
    stack
}

/// inventory-service on `db`, its broker names under `prefix`.
async fn spawn_service(db: &testkit::TestDatabase, prefix: &str) -> service::Spawned {
    inventory_service::startup::build(inventory_service::config::Settings::for_tests(
        &db.url, prefix,
    ))
    .await
    .expect("build inventory-service")
    .spawn()
}

/// inventory-api in front of `upstream`, its stock view following the events under
/// `prefix`; `edit` adjusts the settings.
async fn spawn_api_with_view(
    upstream: &str,
    prefix: &str,
    edit: impl FnOnce(&mut inventory_api::config::Settings),
) -> service::Spawned {
    let mut settings = inventory_api::config::Settings::for_tests(upstream);
    settings.stock_view = Some(inventory_api::config::StockViewSettings::for_tests(prefix));
    edit(&mut settings);
    inventory_api::startup::build(settings)
        .await
        .expect("build inventory-api")
        .spawn()
}

/// Waits until inventory-api at `api` reports its stock view live.
async fn wait_live(client: &reqwest::Client, api: &str) {
    for _ in 0..200 {
        let ready: Value = match client.get(format!("{api}/readyz")).send().await {
            Ok(answer) => answer.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        if ready["stockView"]["state"] == "live" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the stock view never went live");
}

/// Stock reads inventory-api at `api` has answered from its view, as its metrics count
/// them.
async fn reads_served_by_view(client: &reqwest::Client, api: &str) -> f64 {
    let metrics = client
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find(|l| l.starts_with("stock_view_reads_total{source=\"view\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn reads_through_the_view_are_never_older_than_the_clients_own_writes() {
    let stack = spawn_with_view().await;
    let created = stack
        .post("/inventory", r#"{"sku":"VIE-0001-AA","qty":10}"#)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let mut version = created.json::<Value>().await.unwrap()["version"]
        .as_i64()
        .unwrap();
    for qty in 1..=5 {
        let replenished = stack
            .post(
                "/inventory/VIE-0001-AA/replenish",
                &format!(r#"{{"qty":{qty}}}"#),
            )
            .await;
        assert_eq!(replenished.status(), StatusCode::NO_CONTENT);
        version += 1;
        // Straight after the write: the view may be behind, the answer never is.
        let read: Value = stack
            .client
            .get(format!(
                "{}/inventory/VIE-0001-AA?minVersion={version}",
                stack.api
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(read["version"].as_i64().unwrap() >= version, "{read}");
    }
    // The view catches up and answers by itself.
    let mut read = Value::Null;
    for _ in 0..200 {
        read = stack.stock("VIE-0001-AA").await;
        if read["version"] == version {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (&read["version"], &read["onHand"]),
        (&json!(version), &json!(25))
    );
    let served = reads_served_by_view(&stack.client, &stack.api).await;
    assert!(served >= 1.0, "{served} reads served by the view");
}

#[tokio::test]
async fn a_transfer_reaches_the_change_stream_of_its_destination() {
    let stack = spawn_with_view().await;
    let location = stack
        .post(
            "/locations",
            r#"{"storeId":"store-1","name":"Main Street"}"#,
        )
        .await;
    assert_eq!(location.status(), StatusCode::CREATED);
    let mut changes = stack
        .client
        .get(format!("{}/locations/store-1/changes", stack.api))
        .send()
        .await
        .unwrap();
    assert_eq!(changes.status(), StatusCode::OK);
    for (path, body) in [
        ("/inventory", r#"{"sku":"TRF-0001-AA","qty":10}"#),
        (
            "/locations/store-1/inventory",
            r#"{"sku":"TRF-0001-AA","qty":0}"#,
        ),
    ] {
        assert_eq!(stack.post(path, body).await.status(), StatusCode::CREATED);
    }
    let moved = stack
        .post(
            "/transfers",
            r#"{"sku":"TRF-0001-AA","from":"central","to":"store-1","qty":4}"#,
        )
        .await;
    assert_eq!(moved.status(), StatusCode::CREATED);

    // The store's events, in order, until the transfer's: none of central's.
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &Value| e["onHand"] == 4) {
        let chunk = tokio::time::timeout_at(deadline, changes.chunk())
            .await
            .expect("the transfer reached the stream in time")
            .unwrap()
            .expect("the stream is open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) {
                assert!(frame.contains("event: stock"), "{frame}");
                seen.push(serde_json::from_str(data.trim()).unwrap());
            }
        }
    }
    assert!(seen.iter().all(|e| e["storeId"] == "store-1"), "{seen:?}");
    let versions: Vec<i64> = seen
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
}
