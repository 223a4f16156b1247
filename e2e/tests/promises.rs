//! The promises that ordinary faults used to break, each on the four real binaries with
//! the real broker: a confirmed order owns its units (no public route, hold TTL or broker
//! outage puts them back on sale), a hold made for an order's id outside the saga never
//! confirms it, and an event published before its queue exists waits in the outbox
//! instead of vanishing. Every scenario ends with the auditor clean.

use std::time::Duration;

use e2e::{Options, Service, System, traffic};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(60);
const GIVE_UP: Duration = Duration::from_secs(30);

async fn seed(system: &System, sku: &str, qty: i64) {
    traffic::create_stock(&system.http, &system.url(Service::InventoryApi), sku, qty)
        .await
        .unwrap();
}

/// Waits until inventory-api shows (on hand, reserved) of `sku` as `wanted`. Its reads
/// come from a stock view that events keep current (or from inventory-service while the
/// view is not live), so a write shows there a moment later.
async fn assert_stock(system: &System, sku: &str, wanted: (i64, i64)) {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let view = traffic::stock(&system.http, &system.url(Service::InventoryApi), sku)
            .await
            .unwrap();
        let seen = (
            view["onHand"].as_i64().unwrap(),
            view["reserved"].as_i64().unwrap(),
        );
        if seen == wanted {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sku} never showed {wanted:?}: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn checkout(system: &System, key: &str, sku: &str, qty: i64) -> traffic::Checkout {
    traffic::checkout(
        &system.http,
        &system.url(Service::OrderApi),
        key,
        &[(sku.to_owned(), qty)],
        GIVE_UP,
    )
    .await
}

/// A public single-SKU route of inventory-api, as any client may call it.
async fn public(system: &System, sku: &str, action: &str, body: Value) -> (u16, Value) {
    let response = system
        .http
        .post(format!(
            "{}/inventory/{sku}/{action}",
            system.url(Service::InventoryApi)
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn metric(system: &System, service: Service, name: &str) -> f64 {
    let text = system
        .http
        .get(format!("{}/metrics", system.url(service)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_confirmed_order_keeps_its_units_whatever_the_public_routes_do_while_the_broker_is_away()
{
    let system = System::start("confirmed_owns", Options::default())
        .await
        .unwrap();
    seed(&system, "AAA-0001-AA", 10).await;
    // The broker goes away: no event moves from now on.
    system.vhost.outage().await.unwrap();

    let sold = checkout(&system, "k-sold", "AAA-0001-AA", 4).await;
    assert_eq!(sold.status, Some(201), "{sold:?}");
    let id = sold.order_id.unwrap();
    // Committed before the 201: out of stock for good, with no event needed.
    assert_stock(&system, "AAA-0001-AA", (6, 0)).await;

    for (action, body) in [
        ("release", json!({"orderId": id, "qty": 4})),
        ("release", json!({"orderId": id})),
        ("confirm", json!({"orderId": id})),
        ("reserve", json!({"orderId": id, "qty": 4})),
    ] {
        let (status, problem) = public(&system, "AAA-0001-AA", action, body).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (409, Some("hold_owned_by_order")),
            "{action}: {problem}"
        );
    }
    assert_stock(&system, "AAA-0001-AA", (6, 0)).await;

    system.vhost.restore().await.unwrap();
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        (report.confirmed, report.units_committed),
        (1, 4),
        "{report}"
    );
    assert_stock(&system, "AAA-0001-AA", (6, 0)).await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_broker_outage_longer_than_the_hold_ttl_loses_no_confirmed_unit() {
    let options = Options {
        hold_ttl_secs: 1,
        ..Options::default()
    };
    let system = System::start("outage_past_ttl", options).await.unwrap();
    seed(&system, "AAA-0001-AA", 10).await;
    system.vhost.outage().await.unwrap();

    let mut ids = Vec::new();
    for i in 0..5 {
        let sold = checkout(&system, &format!("k-{i}"), "AAA-0001-AA", 2).await;
        assert_eq!(sold.status, Some(201), "{sold:?}");
        ids.push(sold.order_id.unwrap());
    }
    // Three TTLs pass with the broker away; the sweeper runs all along.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_stock(&system, "AAA-0001-AA", (0, 0)).await;
    let sixth = checkout(&system, "k-late", "AAA-0001-AA", 1).await;
    assert_eq!(
        sixth.status,
        Some(409),
        "nothing is back on sale: {sixth:?}"
    );

    system.vhost.restore().await.unwrap();
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        (report.confirmed, report.units_committed),
        (5, 10),
        "{report}"
    );
    for id in &ids {
        assert_eq!(system.order(id).await["status"], "CONFIRMED");
    }
    let expired: i64 = sqlx::query_scalar("SELECT count(*) FROM movements WHERE kind = 'expired'")
        .fetch_one(&system.inventory_db)
        .await
        .unwrap();
    assert_eq!(expired, 0, "a committed hold never expires");
    system.shutdown().await;
}

#[tokio::test]
async fn a_hold_made_for_an_orders_id_outside_the_saga_never_confirms_it() {
    let mut system = System::start("partial_hold", Options::default())
        .await
        .unwrap();
    seed(&system, "AAA-0001-AA", 10).await;
    // The inventory path is down: the checkout is handed over to events (202).
    system.kill(Service::InventoryService).await;
    let pending = checkout(&system, "k-five", "AAA-0001-AA", 5).await;
    assert_eq!(pending.status, Some(202), "{pending:?}");
    let id = pending.order_id.unwrap();

    // Before the inventory hears of the order, a client holds 1 unit under its id.
    system.vhost.outage().await.unwrap();
    system
        .start_service_alive(Service::InventoryService)
        .await
        .unwrap();
    let (status, body) = public(
        &system,
        "AAA-0001-AA",
        "reserve",
        json!({"orderId": id, "qty": 1}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    system.vhost.restore().await.unwrap();

    let decided = system.wait_for_status(&id, "CANCELLED", SETTLE).await;
    assert!(
        decided["history"]
            .to_string()
            .contains("reservation_conflict"),
        "{decided}"
    );
    // The client's own hold is its own to give back.
    let (status, body) = public(&system, "AAA-0001-AA", "release", json!({"orderId": id})).await;
    assert_eq!(status, 204, "{body}");
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        (report.confirmed, report.units_committed),
        (0, 0),
        "{report}"
    );
    assert_stock(&system, "AAA-0001-AA", (10, 0)).await;
    system.shutdown().await;
}

#[tokio::test]
async fn an_event_published_before_its_queue_exists_waits_in_the_outbox_and_arrives() {
    // A first deploy on a fresh virtual host: inventory-service has never run, so its
    // queue does not exist when order-service publishes.
    let options = Options {
        deferred: vec![Service::InventoryService],
        ..Options::default()
    };
    let mut system = System::start("queue_first", options).await.unwrap();
    let pending = checkout(&system, "k-early", "AAA-0001-AA", 2).await;
    assert_eq!(pending.status, Some(202), "{pending:?}");
    let id = pending.order_id.unwrap();

    // OrderCreated cannot be routed yet: it stays in the outbox and is counted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while metric(&system, Service::OrderService, "outbox_unroutable_total").await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the unroutable event was never counted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&system.orders_db)
        .await
        .unwrap();
    assert!(waiting >= 1, "the event left the outbox without a queue");
    assert_eq!(system.order(&id).await["status"], "PENDING");

    // The inventory comes up, declares its queue, and the event arrives. The relay's
    // next try may come before the stock is created (the SKU is then unknown) or after
    // (the order is confirmed): either way the inventory heard the order and decided it.
    system
        .start_service(Service::InventoryService)
        .await
        .unwrap();
    seed(&system, "AAA-0001-AA", 5).await;
    let decided = system
        .wait_for_order(
            &id,
            "was decided (the event never arrived)",
            SETTLE,
            |order| order["status"] == "CONFIRMED" || order["status"] == "CANCELLED",
        )
        .await;
    let last = decided["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["path"], "event", "{decided}");
    let committed = match decided["status"].as_str() {
        Some("CONFIRMED") => 2,
        _ => {
            assert_eq!(
                last["reason"], "reservation failed: unknown_sku",
                "{decided}"
            );
            0
        }
    };
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.units_committed, committed, "{report}");
    system.shutdown().await;
}
