//! The saga end to end, without chaos: both paths, refusals, a crowd of concurrent
//! checkouts, duplicated and reordered events, a poison message, expiry and timeout,
//! and one idempotency key across a restart. Every scenario ends with the auditor.

use std::time::Duration;

use e2e::{
    Options, Service, System, skus,
    system::ADMIN_KEY,
    traffic::{self, Storm},
};
use serde_json::Value;
use testkit::broker::{EventTap, RawPublisher};

const SETTLE: Duration = Duration::from_secs(60);
const GIVE_UP: Duration = Duration::from_secs(30);

fn lines(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

async fn seed(system: &System, stock: &[(&str, i64)]) {
    for (sku, qty) in stock {
        traffic::create_stock(&system.http, &system.url(Service::InventoryApi), sku, *qty)
            .await
            .unwrap();
    }
}

/// Waits until inventory-api shows `wanted` units of `sku` available. Its reads come
/// from a stock view that events keep current, so a write shows there a moment later.
async fn assert_available(system: &System, sku: &str, wanted: i64) {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let view = traffic::stock(&system.http, &system.url(Service::InventoryApi), sku)
            .await
            .unwrap();
        if view["available"] == wanted {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sku} never had {wanted} available: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_of(system: &System, order_id: &str) -> String {
    traffic::order(&system.http, &system.url(Service::OrderApi), order_id)
        .await
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn checkout(system: &System, key: &str, items: &[(&str, i64)]) -> traffic::Checkout {
    traffic::checkout(
        &system.http,
        &system.url(Service::OrderApi),
        key,
        &lines(items),
        GIVE_UP,
    )
    .await
}

#[tokio::test]
async fn http_first_checkouts_confirm_refuse_and_mix_skus() {
    let system = System::start("http_first", Options::default())
        .await
        .unwrap();
    seed(
        &system,
        &[("AAA-0001-AA", 10), ("BBB-0002-BB", 5), ("CCC-0003-CC", 2)],
    )
    .await;

    let one = checkout(&system, "k-one", &[("AAA-0001-AA", 3), ("BBB-0002-BB", 1)]).await;
    assert_eq!(one.status, Some(201), "{one:?}");
    let too_much = checkout(
        &system,
        "k-too-much",
        &[("AAA-0001-AA", 1), ("CCC-0003-CC", 3)],
    )
    .await;
    assert_eq!(too_much.status, Some(409), "{too_much:?}");
    let mixed = checkout(
        &system,
        "k-mixed",
        &[("CCC-0003-CC", 2), ("BBB-0002-BB", 4), ("AAA-0001-AA", 7)],
    )
    .await;
    assert_eq!(mixed.status, Some(201), "{mixed:?}");

    assert_eq!(
        status_of(&system, one.order_id.as_deref().unwrap()).await,
        "CONFIRMED"
    );
    assert_eq!(
        status_of(&system, too_much.order_id.as_deref().unwrap()).await,
        "CANCELLED"
    );
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!((report.confirmed, report.cancelled), (2, 1));
    assert_eq!(report.units_committed, 17);
    for sku in ["AAA-0001-AA", "BBB-0002-BB", "CCC-0003-CC"] {
        assert_available(&system, sku, 0).await;
    }
    system.shutdown().await;
}

#[tokio::test]
async fn checkouts_while_inventory_service_is_down_finish_by_events() {
    let mut system = System::start("event_path", Options::default())
        .await
        .unwrap();
    seed(&system, &[("AAA-0001-AA", 4), ("BBB-0002-BB", 4)]).await;
    system.kill(Service::InventoryService).await;

    let fits = checkout(&system, "k-fits", &[("AAA-0001-AA", 3), ("BBB-0002-BB", 1)]).await;
    let refused = checkout(&system, "k-refused", &[("BBB-0002-BB", 9)]).await;
    assert_eq!(fits.status, Some(202), "{fits:?}");
    assert_eq!(refused.status, Some(202), "{refused:?}");
    let fits_id = fits.order_id.unwrap();
    assert_eq!(status_of(&system, &fits_id).await, "PENDING");

    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();
    system.wait_for_status(&fits_id, "CONFIRMED", SETTLE).await;
    system
        .wait_for_status(refused.order_id.as_deref().unwrap(), "CANCELLED", SETTLE)
        .await;
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        (report.confirmed, report.cancelled, report.units_committed),
        (1, 1, 4)
    );
    let history = traffic::order(&system.http, &system.url(Service::OrderApi), &fits_id)
        .await
        .unwrap()["history"]
        .clone();
    assert!(
        history.to_string().contains(r#""path":"event""#),
        "{history}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn five_hundred_concurrent_checkouts_never_oversell() {
    let system = System::start("crowd", Options::default()).await.unwrap();
    let skus = skus(4);
    for sku in &skus {
        traffic::create_stock(&system.http, &system.url(Service::InventoryApi), sku, 50)
            .await
            .unwrap();
    }
    let checkouts = traffic::storm(
        &system.http,
        &system.url(Service::OrderApi),
        &skus,
        Storm::new(500, 32, 42),
    )
    .await;
    eprintln!("500 checkouts: {}", traffic::tally(&checkouts));

    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.orders, 500);
    assert!(report.units_committed <= 200, "{report}");
    // Every answer the clients got is what the orders say.
    let wrong =
        traffic::disagreements(&system.http, &system.url(Service::OrderApi), &checkouts).await;
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Demand (about 2,000 units) is far above stock: most of it sells.
    assert!(report.units_committed > 150, "{report}");
    system.shutdown().await;
}

#[tokio::test]
async fn duplicated_and_reordered_events_change_nothing() {
    let mut system = System::start("duplicates", Options::default())
        .await
        .unwrap();
    let mut order_events = EventTap::start_on(system.vhost.url(), "order_events").await;
    let mut inventory_events = EventTap::start_on(system.vhost.url(), "inventory_events").await;
    let skus = skus(3);
    for sku in &skus {
        traffic::create_stock(&system.http, &system.url(Service::InventoryApi), sku, 25)
            .await
            .unwrap();
    }
    let checkouts = traffic::storm(
        &system.http,
        &system.url(Service::OrderApi),
        &skus,
        Storm::new(20, 4, 3),
    )
    .await;
    // A few by the event path too, so its events are among the copies.
    system.kill(Service::InventoryService).await;
    for (i, qty) in [1, 1, 99].into_iter().enumerate() {
        let c = checkout(&system, &format!("k-event-{i}"), &[(skus[0].as_str(), qty)]).await;
        assert_eq!(c.status, Some(202), "{c:?}");
    }
    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();
    let before = system.settle(SETTLE).await;
    assert!(before.is_clean(), "{before}");
    let quiet = Duration::from_millis(500);
    let mut published: Vec<(&str, testkit::broker::Tapped)> = Vec::new();
    for event in order_events.collect(quiet, SETTLE).await {
        published.push(("order_events", event));
    }
    for event in inventory_events.collect(quiet, SETTLE).await {
        published.push(("inventory_events", event));
    }
    let kinds: std::collections::BTreeSet<&str> = published
        .iter()
        .map(|(_, e)| e.routing_key.as_str())
        .collect();
    eprintln!("{} events to duplicate: {kinds:?}", published.len());
    assert!(
        published.len() >= checkouts.len(),
        "{} events seen",
        published.len()
    );
    let snapshot = snapshot_of(&system).await;

    // Every event again, twice, newest first.
    let publisher = RawPublisher::connect_to(system.vhost.url()).await;
    for _ in 0..2 {
        for (exchange, event) in published.iter().rev() {
            publisher
                .publish(
                    exchange,
                    &event.routing_key,
                    event.message_id.as_deref().unwrap(),
                    event.body.to_string().as_bytes(),
                )
                .await;
        }
    }
    // The copies are consumed in milliseconds; give them ample time to do harm.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = system.settle(SETTLE).await;
    assert!(after.is_clean(), "{after}");
    assert_eq!(
        snapshot,
        snapshot_of(&system).await,
        "a duplicate changed something"
    );
    assert_eq!(after.movements, before.movements);
    assert_eq!(checkouts.len() + 3, after.orders);
    system.shutdown().await;
}

/// Orders (status, version) and the movement count.
async fn snapshot_of(system: &System) -> (Vec<(String, String, i64)>, i64) {
    let orders = sqlx::query_as("SELECT id::text, status, version FROM orders ORDER BY id")
        .fetch_all(&system.orders_db)
        .await
        .unwrap();
    let movements = sqlx::query_scalar("SELECT count(*) FROM movements")
        .fetch_one(&system.inventory_db)
        .await
        .unwrap();
    (orders, movements)
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_a_failed_one_replayed_once_fixed() {
    let system = System::start("poison", Options::default()).await.unwrap();
    seed(&system, &[("AAA-0001-AA", 5)]).await;
    let inventory = system.url(Service::InventoryService);
    let dead_letters = || async {
        let page: Value = system
            .http
            .get(format!("{inventory}/admin/dlq"))
            .header("x-api-key", ADMIN_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["items"].as_array().cloned().unwrap_or_default()
    };

    // Malformed: straight to the dead-letter queue, with its reason.
    let publisher = RawPublisher::connect_to(system.vhost.url()).await;
    publisher
        .publish("order_events", "order.created", "poison-1", b"{not json")
        .await;
    let poison = wait_for_dead_letter(&dead_letters, "poison-1").await;
    assert!(
        poison["reason"].as_str().unwrap_or("").len() > 3,
        "{poison}"
    );

    // A fault in the inventory's database: the HTTP path fails (202), the event path
    // retries, then gives up into the dead-letter queue.
    sqlx::raw_sql(
        "CREATE FUNCTION e2e_fault() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'simulated storage fault'; END $$;
         CREATE TRIGGER e2e_fault BEFORE INSERT OR UPDATE ON order_states
         FOR EACH ROW EXECUTE FUNCTION e2e_fault();",
    )
    .execute(&system.inventory_db)
    .await
    .unwrap();
    let pending = checkout(&system, "k-fault", &[("AAA-0001-AA", 2)]).await;
    assert_eq!(pending.status, Some(202), "{pending:?}");
    let order_id = pending.order_id.unwrap();
    let failed = wait_for_dead_letter(&dead_letters, &order_id).await;
    assert!(
        failed["reason"]
            .as_str()
            .unwrap_or("")
            .contains("simulated storage fault"),
        "{failed}"
    );
    assert_eq!(status_of(&system, &order_id).await, "PENDING");
    assert_available(&system, "AAA-0001-AA", 5).await;

    // Fixed, then replayed by the operator: the order completes.
    sqlx::raw_sql("DROP TRIGGER e2e_fault ON order_states")
        .execute(&system.inventory_db)
        .await
        .unwrap();
    let id = failed["id"].as_str().unwrap();
    let replay = system
        .http
        .post(format!("{inventory}/admin/dlq/{id}/retry"))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 202);
    system.wait_for_status(&order_id, "CONFIRMED", SETTLE).await;
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!((report.confirmed, report.units_committed), (1, 2));
    system.shutdown().await;
}

async fn wait_for_dead_letter<F, Fut>(list: &F, needle: &str) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Value>>,
{
    for _ in 0..200 {
        if let Some(found) = list()
            .await
            .into_iter()
            .find(|l| l["id"] == needle || l["body"].as_str().is_some_and(|b| b.contains(needle)))
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no dead letter mentions {needle}");
}

#[tokio::test]
async fn holds_expire_and_a_saga_that_hears_nothing_times_out() {
    let options = Options {
        hold_ttl_secs: 1,
        saga_timeout_secs: 2,
        ..Options::default()
    };
    let mut system = System::start("expiry_timeout", options).await.unwrap();
    seed(&system, &[("AAA-0001-AA", 10)]).await;
    let inventory_api = system.url(Service::InventoryApi);

    // Holds taken directly on the inventory: one with the configured TTL, one with its own.
    for body in [
        serde_json::json!({"orderId": "direct-1", "items": [{"sku": "AAA-0001-AA", "qty": 3}]}),
        serde_json::json!({"orderId": "direct-2", "items": [{"sku": "AAA-0001-AA", "qty": 2}], "ttlSeconds": 1}),
    ] {
        let answer = system
            .http
            .post(format!("{inventory_api}/reservations"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201);
    }
    assert_available(&system, "AAA-0001-AA", 5).await;

    // A saga whose inventory never answers: cancelled at its deadline.
    system.kill(Service::InventoryService).await;
    let silent = checkout(&system, "k-silent", &[("AAA-0001-AA", 4)]).await;
    assert_eq!(silent.status, Some(202), "{silent:?}");
    let order_id = silent.order_id.unwrap();
    system.wait_for_status(&order_id, "CANCELLED", SETTLE).await;
    let order = traffic::order(&system.http, &system.url(Service::OrderApi), &order_id)
        .await
        .unwrap();
    assert!(
        order["history"].to_string().contains("saga timed out"),
        "{order}"
    );

    // Back up: the late OrderCreated and the OrderCancelled both land; nothing stays held.
    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.foreign_holds.get("expired"), Some(&2), "{report:?}");
    assert_eq!(report.cancelled, 1);
    assert_available(&system, "AAA-0001-AA", 10).await;
    system.shutdown().await;
}

#[tokio::test]
async fn one_idempotency_key_across_order_api_restarts_is_one_order() {
    let mut system = System::start("idempotency", Options::default())
        .await
        .unwrap();
    seed(&system, &[("AAA-0001-AA", 10)]).await;
    let items = [("AAA-0001-AA", 2)];

    let first = checkout(&system, "k-same", &items).await;
    assert_eq!(first.status, Some(201));
    system.restart(Service::OrderApi).await.unwrap();
    let again = checkout(&system, "k-same", &items).await;
    assert_eq!(
        (again.status, &again.order_id),
        (Some(201), &first.order_id)
    );

    // Sent while order-api is down: the client's retries reach the restarted one.
    system.kill(Service::OrderApi).await;
    let http = system.http.clone();
    let order_api = system.url(Service::OrderApi);
    let retried = tokio::spawn(async move {
        traffic::checkout(
            &http,
            &order_api,
            "k-while-down",
            &lines(&[("AAA-0001-AA", 3)]),
            GIVE_UP,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    system.start_service(Service::OrderApi).await.unwrap();
    let retried = retried.await.unwrap();
    assert_eq!(retried.status, Some(201), "{retried:?}");
    assert!(retried.attempts > 1, "{retried:?}");

    // Left to the event path, then asked again after a restart: the same order.
    system.kill(Service::InventoryService).await;
    let pending = checkout(&system, "k-pending", &items).await;
    assert_eq!(pending.status, Some(202));
    system.restart(Service::OrderApi).await.unwrap();
    let asked_again = checkout(&system, "k-pending", &items).await;
    assert_eq!(asked_again.order_id, pending.order_id);
    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();

    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        (report.orders, report.confirmed, report.units_committed),
        (3, 3, 7)
    );
    system.shutdown().await;
}
