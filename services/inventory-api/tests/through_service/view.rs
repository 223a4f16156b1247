//! The stock view against the database it mirrors: a real inventory-service publishing
//! its events, a real broker, a real inventory-api. After a storm of every kind of
//! change, after inventory-api restarts, and after its queue was deleted, the view
//! answers for every stock row of the database with that row's onHand, reserved and
//! version, by itself (not forwarded); and writers racing each other never read back a
//! version older than their own write's.

use std::{collections::BTreeMap, time::Duration};

use futures::{StreamExt, future::join_all, stream};
use lapin::{Connection, options::QueueDeclareOptions, types::FieldTable};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{reads_served_by_view, spawn_api_with_view, spawn_service, wait_live};

/// The locations of every test: the central warehouse and two stores.
const LOCATIONS: [&str; 3] = ["central", "store-1", "store-2"];
const STORES: [&str; 2] = ["store-1", "store-2"];
/// SKUs stocked at every location.
const SKUS: usize = 12;
/// Changes of a storm in flight at once.
const IN_FLIGHT: usize = 32;
/// Longest wait for the view to equal the database (it usually takes well under a
/// second: this only bounds a failure).
const CONVERGE_WITHIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn after_a_storm_of_every_kind_of_change_the_view_equals_the_database_row_for_row() {
    let world = World::start().await;
    storm(&world.client, world.api(), "storm", &LOCATIONS, 360).await;
    world.assert_converges().await;
}

#[tokio::test]
async fn a_restarted_inventory_api_converges_by_its_snapshot_and_the_events_after_it() {
    let mut world = World::start().await;
    storm(&world.client, world.api(), "before", &LOCATIONS, 120).await;
    world.stop_api().await;

    // While no view follows: the stores' rows change, and nothing changes them again,
    // so only the next instance's snapshot can know them.
    storm(
        &world.client,
        &world.service.address,
        "unseen",
        &STORES,
        150,
    )
    .await;
    // The next instance starts while central keeps changing: each change is in its
    // snapshot, in its queue, or both.
    let (api, ()) = tokio::join!(
        world.spawn_api(),
        storm(
            &world.client,
            &world.service.address,
            "starting",
            &["central"],
            150
        ),
    );
    world.api = Some(api);
    world.assert_converges().await;

    // And it keeps following.
    storm(&world.client, world.api(), "after", &LOCATIONS, 120).await;
    world.assert_converges().await;
}

#[tokio::test]
async fn after_its_queue_was_deleted_the_view_declares_it_again_and_converges() {
    let world = World::start().await;
    storm(&world.client, world.api(), "before", &LOCATIONS, 120).await;
    let queues = view_queues(&world.prefix).await;
    assert_eq!(queues.len(), 1, "{queues:?}");
    let queue = queues[0].clone();

    let held = cut_and_hold(&queue).await;
    world
        .wait_view(|report| report["state"] != "live", "down without its queue")
        .await;
    // While the queue is gone, the stores' rows change (their events reach no queue)
    // and nothing changes them again: only a new snapshot can know them.
    storm(&world.client, world.api(), "unseen", &STORES, 100).await;
    held.close(200, "the view may have its queue back".into())
        .await
        .unwrap();
    world
        .wait_view(|report| report["state"] == "live", "live again")
        .await;
    assert_eq!(view_queues(&world.prefix).await, [queue]);
    // Subscribed again: central's changes come as events.
    storm(&world.client, world.api(), "after", &["central"], 120).await;
    world.assert_converges().await;
}

#[tokio::test]
async fn concurrent_writers_never_read_a_version_older_than_their_own_write() {
    let world = World::start().await;
    let (client, api) = (&world.client, world.api());
    // Each writer moves stock between central and a store, and reads both rows back at
    // the versions its transfer answered; then creates a row and reads it back.
    let writers = join_all((0..24).map(|writer| async move {
        let store = STORES[writer % STORES.len()];
        for round in 0..10 {
            let (from, to) = if round % 2 == 0 {
                ("central", store)
            } else {
                (store, "central")
            };
            let body =
                json!({"sku": sku((writer + round) % SKUS), "from": from, "to": to, "qty": 1});
            let moved = client
                .post(format!("{api}/transfers"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(moved.status(), StatusCode::CREATED, "{body}");
            let moved: Value = moved.json().await.unwrap();
            for side in ["from", "to"] {
                read_at_least(client, api, &moved[side]).await;
            }
        }
        let path = format!("{api}/locations/{store}/inventory");
        let body = json!({"sku": format!("NEW-{writer:04}-AA"), "qty": 5});
        let created = client.post(path).json(&body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{body}");
        read_at_least(client, api, &created.json::<Value>().await.unwrap()).await;
    }));
    // Meanwhile other writers keep every row's version moving.
    let churn = storm(client, api, "churn", &LOCATIONS, 240);
    tokio::join!(writers, churn);
    world.assert_converges().await;
}

/// Reads the row of `written` (a stock view a write answered) through inventory-api at
/// `minVersion` = its version: never older.
async fn read_at_least(client: &reqwest::Client, api: &str, written: &Value) {
    let (store, sku) = (
        written["storeId"].as_str().unwrap(),
        written["sku"].as_str().unwrap(),
    );
    let version = written["version"].as_i64().unwrap();
    let path = format!("{}?minVersion={version}", stock_path(store, sku));
    let read = client.get(format!("{api}{path}")).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK, "{path}");
    let read: Value = read.json().await.unwrap();
    assert!(
        read["version"].as_i64().unwrap() >= version
            && read["storeId"] == store
            && read["sku"] == sku,
        "{path} answered {read}"
    );
}

/// One test's own database and broker names, its inventory-service, and the
/// inventory-api whose view is checked, which may be stopped and started again.
struct World {
    db: testkit::TestDatabase,
    prefix: String,
    service: service::Spawned,
    api: Option<service::Spawned>,
    client: reqwest::Client,
}

impl World {
    /// Everything running, the view live, and every SKU stocked at every location.
    async fn start() -> Self {
        let db = testkit::fresh_database("inventory_api_view").await;
        let prefix = format!("{}.", db.name);
        let service = spawn_service(&db, &prefix).await;
        let mut world = Self {
            db,
            prefix,
            service,
            api: None,
            client: reqwest::Client::new(),
        };
        world.api = Some(world.spawn_api().await);
        world.stock_every_location().await;
        world
    }

    /// A new inventory-api, its view live.
    async fn spawn_api(&self) -> service::Spawned {
        let api = spawn_api_with_view(&self.service.address, &self.prefix, |settings| {
            settings.upstream_timeout = Duration::from_secs(10);
            // The view answers whenever it is live, however long its events took on a
            // busy machine: what it holds is what is checked.
            if let Some(view) = settings.stock_view.as_mut() {
                view.max_lag = Duration::from_secs(3600);
            }
            // A storm's changes are all admitted.
            settings.access = settings
                .access
                .clone()
                .with("MAX_CONCURRENT_REQUESTS", "256");
        })
        .await;
        wait_live(&self.client, &api.address).await;
        api
    }

    /// Stops inventory-api, and waits until the broker has dropped its view's queue.
    async fn stop_api(&mut self) {
        drop(self.api.take());
        let deadline = Instant::now() + CONVERGE_WITHIN;
        loop {
            let left = view_queues(&self.prefix).await;
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "still on the broker: {left:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn api(&self) -> &str {
        &self.api.as_ref().expect("inventory-api runs").address
    }

    async fn stock_every_location(&self) {
        for store in STORES {
            let created = self
                .client
                .post(format!("{}/locations", self.api()))
                .json(&json!({"storeId": store, "name": store}))
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), StatusCode::CREATED, "{store}");
        }
        for location in LOCATIONS {
            let qty = if location == "central" { 200 } else { 60 };
            let path = match location {
                "central" => "/inventory".to_owned(),
                store => format!("/locations/{store}/inventory"),
            };
            for i in 0..SKUS {
                let created = self
                    .client
                    .post(format!("{}{path}", self.api()))
                    .json(&json!({"sku": sku(i), "qty": qty}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(created.status(), StatusCode::CREATED, "{path} {}", sku(i));
            }
        }
    }

    /// Waits until the view answers for every stock row of the database with that row's
    /// location, SKU, onHand, reserved and version, each of those reads answered by the
    /// view itself, and holds no other row.
    async fn assert_converges(&self) {
        let deadline = Instant::now() + CONVERGE_WITHIN;
        loop {
            let rows = database_rows(&self.db.url).await;
            assert!(rows.len() >= LOCATIONS.len() * SKUS, "{rows:?}");
            let served_before = reads_served_by_view(&self.client, self.api()).await;
            let mut differences = Vec::new();
            for ((location, sku), expected) in &rows {
                let read = self.read(location, sku).await;
                if read.as_ref() != Ok(expected) {
                    differences.push(format!(
                        "{location}/{sku}: database {expected:?}, view {read:?}"
                    ));
                }
            }
            let served = reads_served_by_view(&self.client, self.api()).await - served_before;
            let entries = self.view_report().await["entries"].as_u64();
            let held = u64::try_from(rows.len()).ok();
            if differences.is_empty() && served >= rows.len() as f64 && entries == held {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the view never converged to the {} rows of the database: {} reads of them \
                 served by the view, {entries:?} entries held, {} rows differ: {:#?}",
                rows.len(),
                served,
                differences.len(),
                &differences[..differences.len().min(10)]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The row of `sku` at `location` as inventory-api answers it without `minVersion`.
    async fn read(&self, location: &str, sku: &str) -> Result<Row, String> {
        let path = stock_path(location, sku);
        let answer = self
            .client
            .get(format!("{}{path}", self.api()))
            .send()
            .await
            .unwrap();
        if answer.status() != StatusCode::OK {
            return Err(answer.status().to_string());
        }
        let read: Value = answer.json().await.unwrap();
        if read["storeId"] != location || read["sku"] != sku {
            return Err(format!("another row: {read}"));
        }
        let field = |name: &str| read[name].as_i64().ok_or_else(|| format!("{read}"));
        Ok(Row {
            on_hand: field("onHand")?,
            reserved: field("reserved")?,
            version: field("version")?,
        })
    }

    /// Waits until the view's part of `/readyz` satisfies `ok`.
    async fn wait_view(&self, ok: impl Fn(&Value) -> bool, what: &str) {
        let deadline = Instant::now() + CONVERGE_WITHIN;
        loop {
            let report = self.view_report().await;
            if ok(&report) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the view never got {what}: {report}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The view's part of inventory-api's `/readyz`.
    async fn view_report(&self) -> Value {
        let ready: Value = self
            .client
            .get(format!("{}/readyz", self.api()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ready["stockView"].clone()
    }
}

/// What is compared of a stock row.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    on_hand: i64,
    reserved: i64,
    version: i64,
}

/// Every stock row of inventory-service's database, read with `psql`, by (location, SKU).
async fn database_rows(url: &str) -> BTreeMap<(String, String), Row> {
    let query = "SELECT location_id, sku, on_hand, reserved, version FROM product_inventory";
    let out = tokio::process::Command::new("psql")
        .args([
            url,
            "-XAtq",
            "-v",
            "ON_ERROR_STOP=1",
            "-F",
            " ",
            "-c",
            query,
        ])
        .output()
        .await
        .expect("psql, to read inventory-service's database");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let number = |i: usize| fields[i].parse::<i64>().expect(line);
            let row = Row {
                on_hand: number(2),
                reserved: number(3),
                version: number(4),
            };
            ((fields[0].to_owned(), fields[1].to_owned()), row)
        })
        .collect()
}

/// A storm of `changes` changes at `locations`, `IN_FLIGHT` at once, sent to `base`
/// (inventory-api, or inventory-service itself: the routes are the same). Every
/// answer is a success or a refusal (409), and most are successes.
async fn storm(
    client: &reqwest::Client,
    base: &str,
    round: &str,
    locations: &[&str],
    changes: usize,
) {
    let answers: Vec<(String, StatusCode)> = stream::iter(0..changes)
        .map(|i| change(client, base, round, locations, i))
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(_, status)| !status.is_success() && *status != StatusCode::CONFLICT)
        .collect();
    assert!(failed.is_empty(), "{round}: {failed:#?}");
    let applied = answers.iter().filter(|(_, s)| s.is_success()).count();
    assert!(applied * 2 > answers.len(), "{round}: {answers:#?}");
}

/// The `i`th change of a storm: a hold released, partly released then confirmed,
/// confirmed or kept; a replenishment; a transfer to another of `locations` (with one
/// location, a replenishment). Each request, and its answer.
async fn change(
    client: &reqwest::Client,
    base: &str,
    round: &str,
    locations: &[&str],
    i: usize,
) -> Vec<(String, StatusCode)> {
    let at = locations[i / 6 % locations.len()];
    let sku = sku((i / 18 + i) % SKUS);
    let stock = format!("{base}{}", stock_path(at, &sku));
    let order = format!("{round}-{i}");
    let qty = 1 + i % 3;
    let post = |path: String, body: Value| async move {
        let status = client
            .post(&path)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        (format!("{path} {body}"), status)
    };
    let mut answers = Vec::new();
    match i % 6 {
        4 => {
            let replenish = json!({"qty": 1 + i % 5});
            answers.push(post(format!("{stock}/replenish"), replenish).await);
        }
        5 if locations.len() > 1 => {
            let to = locations[(i / 6 + 1) % locations.len()];
            let transfer = json!({"sku": sku, "from": at, "to": to, "qty": qty});
            answers.push(post(format!("{base}/transfers"), transfer).await);
        }
        5 => {
            answers.push(post(format!("{stock}/replenish"), json!({"qty": qty})).await);
        }
        kind => {
            let reserve = json!({"qty": qty + 1, "orderId": order});
            let reserved = post(format!("{stock}/reserve"), reserve).await;
            let held = reserved.1.is_success();
            answers.push(reserved);
            if held {
                let release = |qty: Option<usize>| match qty {
                    Some(qty) => json!({"orderId": order, "qty": qty}),
                    None => json!({"orderId": order}),
                };
                let confirm = json!({"orderId": order});
                match kind {
                    0 => answers.push(post(format!("{stock}/release"), release(None)).await),
                    1 => {
                        answers.push(post(format!("{stock}/release"), release(Some(1))).await);
                        answers.push(post(format!("{stock}/confirm"), confirm).await);
                    }
                    2 => answers.push(post(format!("{stock}/confirm"), confirm).await),
                    _ => {}
                }
            }
        }
    }
    answers
}

fn sku(i: usize) -> String {
    format!("VEW-{i:04}-AA")
}

/// Where a row is read and changed: central's short form, else the location's.
fn stock_path(location: &str, sku: &str) -> String {
    if location == "central" {
        format!("/inventory/{sku}")
    } else {
        format!("/locations/{location}/inventory/{sku}")
    }
}

/// The stock view queues on the broker under `prefix`.
async fn view_queues(prefix: &str) -> Vec<String> {
    let listed = rabbitmqctl(&["list_queues", "name", "--quiet", "--no-table-headers"]).await;
    let ours = format!("{prefix}inventory-api.stock_view.");
    listed
        .lines()
        .filter(|name| name.starts_with(&ours))
        .map(str::to_owned)
        .collect()
}

/// Deletes the view's `queue` with rabbitmqctl (it is exclusive to the view's
/// connection, so only the broker's own tools may) and takes its name at once: an
/// exclusive queue of that name on a connection of the test's own, never bound, so the
/// view can declare it again only once that connection is closed. Until then its queue
/// is gone, however long the test takes. The view waits at least 100 ms before it
/// declares again; when it is first all the same, its new queue is deleted again.
async fn cut_and_hold(queue: &str) -> Connection {
    let connection = Connection::connect(&testkit::broker::amqp_url(), Default::default())
        .await
        .expect("connect to RabbitMQ");
    for _ in 0..5 {
        let args = ["delete_queue", queue];
        let deleting = rabbitmqctl(&args);
        tokio::pin!(deleting);
        let mut deleted = false;
        loop {
            if take_name(&connection, queue).await {
                return connection;
            }
            if deleted {
                // Deleted, and the view had declared it again already.
                break;
            }
            tokio::select! {
                _ = &mut deleting => deleted = true,
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    }
    panic!("the view declared {queue} again first, every time");
}

/// Declares `queue` exclusive to `connection`: refused while another connection holds
/// it.
async fn take_name(connection: &Connection, queue: &str) -> bool {
    let channel = connection.create_channel().await.unwrap();
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(queue.into(), exclusive, FieldTable::default())
        .await
        .is_ok()
}

async fn rabbitmqctl(args: &[&str]) -> String {
    let out = tokio::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .await
        .expect("rabbitmqctl, to see and delete the view's queue");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
