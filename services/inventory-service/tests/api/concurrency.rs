//! Races: many clients, one database, sometimes several instances. No oversell, no
//! double hold, no deadlock.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, replay, spawn_app, spawn_on};

/// docs/contract.md §4 (1, 2) checked straight in the database, for every SKU at every
/// location: available >= 0, reserved is the sum of the active holds there, and the trail
/// replays to the stock.
pub(crate) async fn assert_invariants(app: &TestApp) {
    let pool = app.pool().await;
    let broken: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.location_id, p.sku, p.on_hand, p.reserved,
                COALESCE(SUM(r.held) FILTER (WHERE r.status = 'active'), 0)::bigint
           FROM product_inventory p LEFT JOIN reservations r USING (location_id, sku)
          GROUP BY p.location_id, p.sku, p.on_hand, p.reserved
         HAVING p.reserved <> COALESCE(SUM(r.held) FILTER (WHERE r.status = 'active'), 0)
             OR p.on_hand < p.reserved",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(broken.is_empty(), "invariants broken: {broken:?}");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT location_id, sku FROM product_inventory ORDER BY location_id, sku")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (store, sku) in rows {
        let stock = app.stock_at(&store, &sku).await;
        assert_eq!(
            replay(&app.movements_at(&store, &sku).await),
            (stock.on_hand, stock.reserved),
            "{store}/{sku}"
        );
    }
}

async fn race_for_50_units(apps: &[&TestApp]) {
    apps[0].create("HOT-0001-AA", 50).await;
    let answers = join_all((0..200).map(|i| {
        let app = apps[i % apps.len()];
        async move {
            app.reserve("HOT-0001-AA", &format!("order-{i}"), 1)
                .await
                .status()
        }
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
    let stock = apps[0].stock("HOT-0001-AA").await;
    assert_eq!(
        (stock.on_hand, stock.reserved, stock.available),
        (50, 50, 0)
    );
    assert_invariants(apps[0]).await;
}

#[tokio::test]
async fn two_hundred_clients_racing_for_fifty_units_get_exactly_fifty() {
    let app = spawn_app().await;
    race_for_50_units(&[&app]).await;
}

#[tokio::test]
async fn two_instances_on_one_database_never_oversell() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    race_for_50_units(&[&one, &two]).await;
}

#[tokio::test]
async fn concurrent_duplicates_of_one_reservation_hold_once() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    one.create("ABC-1234-AB", 100).await;
    let answers = join_all((0..40).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        async move { app.reserve("ABC-1234-AB", "order-dup", 3).await.status() }
    }))
    .await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{answers:?}"
    );
    let stock = one.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.version), (3, 2));
    assert_invariants(&one).await;
}

#[tokio::test]
async fn multi_sku_orders_locking_in_opposite_orders_never_deadlock() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    for sku in ["AAA-0001-AA", "BBB-0001-BB", "CCC-0001-CC"] {
        one.create(sku, 40).await;
    }
    let answers = join_all((0..60).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        let items = if i % 2 == 0 {
            json!([{"sku": "AAA-0001-AA", "qty": 1}, {"sku": "BBB-0001-BB", "qty": 1}, {"sku": "CCC-0001-CC", "qty": 1}])
        } else {
            json!([{"sku": "CCC-0001-CC", "qty": 1}, {"sku": "BBB-0001-BB", "qty": 1}, {"sku": "AAA-0001-AA", "qty": 1}])
        };
        async move {
            app.post("/reservations", json!({"orderId": format!("o-{i}"), "items": items}))
                .await
                .status()
        }
    }))
    .await;
    let created = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (40, 20), "{answers:?}");
    for sku in ["AAA-0001-AA", "BBB-0001-BB", "CCC-0001-CC"] {
        assert_eq!(one.stock(sku).await.available, 0);
    }
    assert_invariants(&one).await;
}

#[tokio::test]
async fn reserves_releases_and_confirms_interleaved_keep_the_invariants() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    one.create("ABC-1234-AB", 30).await;
    one.create("XYZ-9876-ZZ", 30).await;
    join_all((0..60).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        async move {
            let order = format!("o-{}", i % 20);
            match i % 4 {
                0 => app.reserve("ABC-1234-AB", &order, 2).await.status(),
                1 => app
                    .post("/reservations", json!({"orderId": order, "items": [{"sku": "ABC-1234-AB", "qty": 2}, {"sku": "XYZ-9876-ZZ", "qty": 1}]}))
                    .await
                    .status(),
                2 => app.post("/inventory/ABC-1234-AB/release", json!({"orderId": order, "qty": 1})).await.status(),
                _ => app.post("/inventory/ABC-1234-AB/confirm", json!({"orderId": order})).await.status(),
            }
        }
    }))
    .await
    .iter()
    .for_each(|s| assert!(!s.is_server_error(), "{s}"));
    assert_invariants(&one).await;
}

#[tokio::test]
async fn concurrent_duplicates_asking_for_all_the_stock_all_succeed_and_hold_once() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    one.create("ABC-1234-AB", 3).await;
    let answers = join_all((0..20).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        async move { app.reserve("ABC-1234-AB", "order-all", 3).await.status() }
    }))
    .await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{answers:?}"
    );
    let stock = one.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.available), (3, 0));
    assert_invariants(&one).await;
}
