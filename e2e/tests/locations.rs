//! Stock at stores: a checkout that names a store takes every unit there, by the HTTP
//! path and by the event path, and leaves the central warehouse alone; checkouts at two
//! stores while stock moves between them and the warehouse never oversell any location;
//! and the auditor, which checks every invariant per (location, SKU), names the store
//! whose stock was corrupted behind the services' back.

use std::{collections::BTreeMap, time::Duration};

use e2e::{
    Options, Service, System, auditor,
    auditor::Units,
    skus,
    traffic::{self, Storm},
};
use futures::future::join_all;
use serde_json::Value;

const SETTLE: Duration = Duration::from_secs(60);
const GIVE_UP: Duration = Duration::from_secs(30);
const CENTRAL: &str = "central";
const STORE: &str = "store-1";
const OTHER_STORE: &str = "store-2";

fn lines(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

/// Creates the location `store_id` and its stock through inventory-api, as a stock
/// keeper does; the central warehouse always exists, and its stock is created on the
/// routes without a location.
async fn seed_at(system: &System, store_id: &str, stock: &[(&str, i64)]) {
    let (http, inventory_api) = (&system.http, system.url(Service::InventoryApi));
    if store_id != CENTRAL {
        traffic::create_location(http, &inventory_api, store_id)
            .await
            .unwrap();
    }
    for (sku, qty) in stock {
        let created = if store_id == CENTRAL {
            traffic::create_stock(http, &inventory_api, sku, *qty).await
        } else {
            traffic::create_stock_at(http, &inventory_api, store_id, sku, *qty).await
        };
        created.unwrap();
    }
}

async fn checkout_at(
    system: &System,
    key: &str,
    store_id: &str,
    items: &[(&str, i64)],
) -> traffic::Checkout {
    traffic::checkout_at(
        &system.http,
        &system.url(Service::OrderApi),
        key,
        Some(store_id),
        &lines(items),
        GIVE_UP,
    )
    .await
}

/// (on hand, reserved) of `sku` at `location`, as the inventory's database has it.
async fn level(system: &System, location: &str, sku: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT on_hand, reserved FROM product_inventory WHERE location_id = $1 AND sku = $2",
    )
    .bind(location)
    .bind(sku)
    .fetch_one(&system.inventory_db)
    .await
    .unwrap()
}

/// Waits until inventory-api's view of `sku` at `location` shows (on hand, reserved).
async fn wait_for_view(system: &System, location: &str, sku: &str, wanted: (i64, i64)) {
    let inventory_api = system.url(Service::InventoryApi);
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let view = traffic::stock_at(&system.http, &inventory_api, location, sku)
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
            "{sku} at {location} never showed {wanted:?}: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Movements at `location` other than the creation of its stock.
async fn moves_at(system: &System, location: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM movements WHERE location_id = $1 AND kind <> 'created'",
    )
    .bind(location)
    .fetch_one(&system.inventory_db)
    .await
    .unwrap()
}

/// The same two SKUs at the central warehouse (plenty) and at a store (little).
async fn warehouse_and_store(system: &System) {
    seed_at(system, CENTRAL, &[("AAA-0001-AA", 50), ("BBB-0002-BB", 50)]).await;
    seed_at(system, STORE, &[("AAA-0001-AA", 6), ("BBB-0002-BB", 3)]).await;
}

/// After a store's checkouts: the store sold 4 + 1, its stock says so, the central
/// warehouse never moved, and the audit is clean.
async fn sold_at_the_store_only(system: &System) {
    assert_eq!(level(system, STORE, "AAA-0001-AA").await, (2, 0));
    assert_eq!(level(system, STORE, "BBB-0002-BB").await, (2, 0));
    wait_for_view(system, STORE, "AAA-0001-AA", (2, 0)).await;
    wait_for_view(system, STORE, "BBB-0002-BB", (2, 0)).await;
    for sku in ["AAA-0001-AA", "BBB-0002-BB"] {
        assert_eq!(level(system, CENTRAL, sku).await, (50, 0), "{sku}");
        wait_for_view(system, CENTRAL, sku, (50, 0)).await;
    }
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(moves_at(system, CENTRAL).await, 0, "{report}");
    assert_eq!(
        (report.confirmed, report.cancelled),
        (1, 1),
        "one sale, one refusal: {report}"
    );
    assert_eq!(
        (report.at(STORE), report.at(CENTRAL)),
        (
            Units {
                confirmed: 5,
                committed: 5
            },
            Units::default()
        ),
        "{report}"
    );
}

#[tokio::test]
async fn a_checkout_at_a_store_takes_its_units_there_by_the_http_path() {
    let system = System::start("store_http", Options::default())
        .await
        .unwrap();
    warehouse_and_store(&system).await;

    let sold = checkout_at(
        &system,
        "k-store",
        STORE,
        &[("AAA-0001-AA", 4), ("BBB-0002-BB", 1)],
    )
    .await;
    assert_eq!(sold.status, Some(201), "{sold:?}");
    let id = sold.order_id.unwrap();
    let placed = system.order(&id).await;
    assert_eq!(
        (&placed["status"], &placed["locationId"]),
        (&Value::from("CONFIRMED"), &Value::from(STORE)),
        "{placed}"
    );
    assert!(
        placed["history"].to_string().contains(r#""path":"http""#),
        "{placed}"
    );
    // The store has 2 left: 3 more are refused there, whatever the warehouse holds.
    let refused = checkout_at(&system, "k-store-short", STORE, &[("AAA-0001-AA", 3)]).await;
    assert_eq!(refused.status, Some(409), "{refused:?}");

    sold_at_the_store_only(&system).await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_checkout_at_a_store_takes_its_units_there_by_the_event_path() {
    let mut system = System::start("store_events", Options::default())
        .await
        .unwrap();
    warehouse_and_store(&system).await;
    // order-api cannot reach the inventory: every checkout is handed over to events,
    // which reach inventory-service with the order's location.
    system.kill(Service::InventoryApi).await;

    let sold = checkout_at(
        &system,
        "k-store",
        STORE,
        &[("AAA-0001-AA", 4), ("BBB-0002-BB", 1)],
    )
    .await;
    assert_eq!(sold.status, Some(202), "{sold:?}");
    let id = sold.order_id.unwrap();
    let decided = system.wait_for_status(&id, "CONFIRMED", SETTLE).await;
    assert_eq!(decided["locationId"], STORE, "{decided}");
    assert!(
        decided["history"].to_string().contains(r#""path":"event""#),
        "{decided}"
    );
    let refused = checkout_at(&system, "k-store-short", STORE, &[("AAA-0001-AA", 3)]).await;
    assert_eq!(refused.status, Some(202), "{refused:?}");
    let cancelled = system
        .wait_for_status(refused.order_id.as_deref().unwrap(), "CANCELLED", SETTLE)
        .await;
    assert!(
        cancelled["history"]
            .to_string()
            .contains("insufficient_stock"),
        "{cancelled}"
    );

    system.start_service(Service::InventoryApi).await.unwrap();
    sold_at_the_store_only(&system).await;
    system.shutdown().await;
}

/// Transfers a stock keeper makes while the storms run: `count` of 1 to 5 units of a
/// random SKU between two random locations, drawn from `seed`. Answers the units each
/// location gained (negative: lost) per SKU, from the transfers that were made (201);
/// a transfer refused for want of stock (409) moved nothing.
async fn transfers(
    system: &System,
    skus: &[String],
    locations: &[&str],
    count: usize,
    seed: u64,
) -> BTreeMap<(String, String), i64> {
    let inventory_api = system.url(Service::InventoryApi);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut moved = BTreeMap::new();
    let mut answers = BTreeMap::<u16, usize>::new();
    for _ in 0..count {
        let sku = &skus[rng.usize(..skus.len())];
        let from = locations[rng.usize(..locations.len())];
        let to = loop {
            let to = locations[rng.usize(..locations.len())];
            if to != from {
                break to;
            }
        };
        let qty = rng.i64(1..=5);
        let (status, body) = traffic::transfer(&system.http, &inventory_api, sku, (from, to), qty)
            .await
            .unwrap();
        *answers.entry(status).or_default() += 1;
        match status {
            201 => {
                *moved.entry((from.to_owned(), sku.clone())).or_default() -= qty;
                *moved.entry((to.to_owned(), sku.clone())).or_default() += qty;
            }
            409 => assert_eq!(body["code"], "insufficient_stock", "{body}"),
            _ => panic!("transfer of {qty} {sku} from {from} to {to}: {status} {body}"),
        }
        // Spread over the storms, not all at their start.
        tokio::time::sleep(Duration::from_millis(rng.u64(20..150))).await;
    }
    eprintln!("{count} transfers: {answers:?}");
    moved
}

#[tokio::test]
async fn checkouts_at_two_stores_while_stock_moves_between_them_never_oversell() {
    let system = System::start("store_storm", Options::default())
        .await
        .unwrap();
    let skus = skus(4);
    let locations = [CENTRAL, STORE, OTHER_STORE];
    let initial = [(CENTRAL, 40), (STORE, 30), (OTHER_STORE, 30)];
    for (location, qty) in initial {
        let stock: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), qty)).collect();
        seed_at(&system, location, &stock).await;
    }

    let order_api = system.url(Service::OrderApi);
    let storms = [
        Storm::new(100, 6, 21).at(STORE),
        Storm::new(100, 6, 22).at(OTHER_STORE),
        Storm::new(50, 4, 23),
    ]
    .map(|plan| {
        // One or two lines of one or two units: the stores sell out over the storm,
        // not in its first moments, so the transfers have stock to move.
        let plan = Storm {
            max_lines: 2,
            max_qty: 2,
            ..plan
        };
        traffic::storm(&system.http, &order_api, &skus, plan)
    });
    let (checkouts, moved) = tokio::join!(
        join_all(storms),
        transfers(&system, &skus, &locations, 60, 24)
    );
    let checkouts: Vec<traffic::Checkout> = checkouts.into_iter().flatten().collect();
    eprintln!(
        "{} checkouts at three locations: {}",
        checkouts.len(),
        traffic::tally(&checkouts)
    );
    let wrong = traffic::disagreements(&system.http, &order_api, &checkouts).await;
    assert!(wrong.is_empty(), "{wrong:#?}");

    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.orders, checkouts.len(), "{report}");
    // Every location's stock is what it started with, plus what arrived, less what left
    // and what it sold; demand far above stock sells at every location.
    for (location, qty) in initial {
        let mut on_hand = 0;
        let mut expected = 0;
        for sku in &skus {
            let (here, reserved) = level(&system, location, sku).await;
            assert_eq!(reserved, 0, "{sku} at {location}: {report}");
            on_hand += here;
            expected += qty
                + moved
                    .get(&(location.to_owned(), sku.clone()))
                    .copied()
                    .unwrap_or(0);
        }
        let sold = report.at(location).committed;
        assert_eq!(on_hand, expected - sold, "{location}: {report}");
        assert!(sold > 0, "{location} sold nothing: {report}");
    }
    let total: i64 = initial.iter().map(|(_, qty)| qty * 4).sum();
    assert!(report.units_committed <= total, "{report}");
    system.shutdown().await;
}

/// Changes the inventory's database behind the services' back: `sql`, with `param` as
/// its `$1`.
async fn plant(system: &System, sql: &'static str, param: &str) {
    sqlx::query(sql)
        .bind(param)
        .execute(&system.inventory_db)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_names_the_store_whose_stock_disagrees_with_its_holds() {
    let system = System::start("store_planted", Options::default())
        .await
        .unwrap();
    warehouse_and_store(&system).await;
    let sold = checkout_at(&system, "k-store", STORE, &[("AAA-0001-AA", 4)]).await;
    assert_eq!(sold.status, Some(201), "{sold:?}");
    let id = sold.order_id.unwrap();
    // A client's own hold at the store, so the store has reserved units to count.
    let held = system
        .http
        .post(format!(
            "{}/locations/{STORE}/inventory/AAA-0001-AA/reserve",
            system.url(Service::InventoryApi)
        ))
        .json(&serde_json::json!({"orderId": "walk-in-1", "qty": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(held.status().as_u16(), 204);
    let report = system.settle(SETTLE).await;
    assert!(report.is_clean(), "{report}");
    let audit = || async {
        auditor::audit(&system.inventory_db, &system.orders_db)
            .await
            .unwrap()
    };

    // The store's reserved drifts from its holds; the warehouse's row of the same SKU
    // stays right.
    plant(
        &system,
        "UPDATE product_inventory SET reserved = reserved + 1
          WHERE location_id = $1 AND sku = 'AAA-0001-AA'",
        STORE,
    )
    .await;
    let report = audit().await;
    eprintln!("planted: {report}");
    assert!(
        report.violations.iter().any(|v| v.contains(
            "AAA-0001-AA at store-1: reserved is 2 but the active holds there add up to 1"
        )),
        "{report}"
    );
    assert!(
        report.violations.iter().all(|v| v.contains("at store-1")),
        "only the store is wrong: {report}"
    );
    plant(
        &system,
        "UPDATE product_inventory SET reserved = reserved - 1
          WHERE location_id = $1 AND sku = 'AAA-0001-AA'",
        STORE,
    )
    .await;
    let report = audit().await;
    assert!(report.is_clean(), "{report}");

    // The confirmed order's committed hold, moved to the warehouse: its units are no
    // longer where the order was placed.
    plant(
        &system,
        "UPDATE reservations SET location_id = 'central'
          WHERE order_id = $1 AND sku = 'AAA-0001-AA'",
        &id,
    )
    .await;
    let report = audit().await;
    eprintln!("planted: {report}");
    for wanted in [
        format!("confirmed order {id} AAA-0001-AA at store-1: no hold there"),
        format!(
            "confirmed order {id} AAA-0001-AA at store-1: a saga hold committed of 4 at central"
        ),
    ] {
        assert!(
            report.violations.iter().any(|v| v.contains(&wanted)),
            "{wanted}: {report}"
        );
    }
    system.shutdown().await;
}
