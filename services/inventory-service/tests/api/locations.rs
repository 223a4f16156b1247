//! Stock per location: `/locations`, the `/locations/:storeId/inventory/...` forms of the
//! stock routes, and `POST /transfers`. Each location's stock is its own (rows, holds,
//! movements, versions), races at one location never oversell it nor touch another, a
//! transfer moves units without creating or losing any, and an order holds stock at one
//! location only.

use std::time::Duration;

use contracts::inventory::{
    LocationListView, LocationView, StockPageView, StockView, TransferView,
};
use futures::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use testkit::broker::{EventTap, Tapped};

use crate::concurrency::assert_invariants;
use crate::helpers::{TestApp, assert_problem, replay, spawn_app, spawn_on};

const SKU: &str = "ABC-1234-AB";
const OTHER_SKU: &str = "XYZ-9876-ZZ";
const CENTRAL: &str = "central";
const STORE: &str = "store-1";

const QUIET: Duration = Duration::from_millis(700);
const LIMIT: Duration = Duration::from_secs(15);

/// `POST /locations` for `store`, which must be new.
async fn open(app: &TestApp, store: &str) {
    let res = app.post("/locations", json!({ "storeId": store })).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
}

/// A stock route in its location form, `central` included.
fn at(store: &str, rest: &str) -> String {
    format!("/locations/{store}/inventory{rest}")
}

/// `POST /locations/:store/inventory`, which must create the row.
async fn create_at(app: &TestApp, store: &str, sku: &str, qty: i64) {
    let res = app
        .post(&at(store, ""), json!({ "sku": sku, "qty": qty }))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
}

async fn reserve_at(app: &TestApp, store: &str, sku: &str, order_id: &str, qty: i64) -> Response {
    app.post(
        &at(store, &format!("/{sku}/reserve")),
        json!({ "orderId": order_id, "qty": qty }),
    )
    .await
}

async fn transfer(app: &TestApp, sku: &str, from: &str, to: &str, qty: i64) -> Response {
    app.post(
        "/transfers",
        json!({ "sku": sku, "from": from, "to": to, "qty": qty }),
    )
    .await
}

/// Rows of every table a stock change writes (the outbox drains on its own, so it is
/// left out): equal before and after a refusal when nothing was written.
async fn footprint(app: &TestApp) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM locations), (SELECT count(*) FROM product_inventory),
                (SELECT count(*) FROM reservations), (SELECT count(*) FROM movements)",
    )
    .fetch_one(&app.pool().await)
    .await
    .unwrap()
}

/// Number and sum of the active holds of `sku` at `store`.
async fn active_holds(app: &TestApp, store: &str, sku: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), COALESCE(SUM(held), 0)::bigint FROM reservations
          WHERE location_id = $1 AND sku = $2 AND status = 'active'",
    )
    .bind(store)
    .bind(sku)
    .fetch_one(&app.pool().await)
    .await
    .unwrap()
}

/// How many of `answers` have `status`.
fn count(answers: &[StatusCode], status: StatusCode) -> usize {
    answers.iter().filter(|s| **s == status).count()
}

/// Kinds of the movements of `sku` at `store`, newest first.
async fn kinds(app: &TestApp, store: &str, sku: &str) -> Vec<String> {
    app.movements_at(store, sku)
        .await
        .items
        .into_iter()
        .map(|m| m.kind)
        .collect()
}

/// The ids of every location, sorted.
async fn location_ids(app: &TestApp) -> Vec<String> {
    let res = app.get("/locations").await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut ids: Vec<String> = res
        .json::<LocationListView>()
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|l| l.store_id)
        .collect();
    ids.sort();
    ids
}

/// The body of a `GET` that must succeed, as it is on the wire.
async fn read_json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// The stock-changed items of `seen` about `store`, in the order published.
fn stock_changes_at(seen: &[Tapped], store: &str) -> Vec<StockView> {
    seen.iter()
        .filter(|m| m.routing_key == "product.inventory.stock_changed")
        .flat_map(|m| {
            serde_json::from_value::<Vec<StockView>>(m.body["data"]["items"].clone()).unwrap()
        })
        .filter(|item| item.store_id == store)
        .collect()
}

// ---------------------------------------------------------------- the locations API

#[tokio::test]
async fn a_new_location_is_created_with_its_view_and_read_back() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/locations",
            json!({"storeId": STORE, "name": "Main Street"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["location"], "/locations/store-1");
    let created: LocationView = res.json().await.unwrap();
    assert_eq!(
        (created.store_id.as_str(), created.name.as_str()),
        (STORE, "Main Street")
    );
    let read = app.get("/locations/store-1").await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.json::<LocationView>().await.unwrap(), created);

    // Without a name, the location is named by its id.
    let res = app.post("/locations", json!({"storeId": "Store_2"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<LocationView>().await.unwrap().name, "Store_2");
}

#[tokio::test]
async fn creating_an_existing_location_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    app.post(
        "/locations",
        json!({"storeId": STORE, "name": "Main Street"}),
    )
    .await;
    let before = footprint(&app).await;
    let res = app
        .post("/locations", json!({"storeId": STORE, "name": "Elsewhere"}))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "location_exists").await;
    // The central warehouse exists from the start.
    let res = app.post("/locations", json!({"storeId": CENTRAL})).await;
    assert_problem(res, StatusCode::CONFLICT, "location_exists").await;
    assert_eq!(footprint(&app).await, before);
    let read: LocationView = app.get("/locations/store-1").await.json().await.unwrap();
    assert_eq!(read.name, "Main Street");
}

#[tokio::test]
async fn the_list_holds_the_central_warehouse_and_every_new_location_once() {
    let app = spawn_app().await;
    assert_eq!(location_ids(&app).await, [CENTRAL]);
    open(&app, STORE).await;
    open(&app, "store-2").await;
    assert_eq!(location_ids(&app).await, [CENTRAL, STORE, "store-2"]);
}

#[tokio::test]
async fn an_unknown_location_is_404_unknown_location() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/locations/nowhere").await,
        StatusCode::NOT_FOUND,
        "unknown_location",
    )
    .await;
    // Ids are case-sensitive: `Store-1` is not `store-1`.
    open(&app, STORE).await;
    assert_problem(
        app.get("/locations/Store-1").await,
        StatusCode::NOT_FOUND,
        "unknown_location",
    )
    .await;
}

#[tokio::test]
async fn a_malformed_store_id_is_422_invalid_store_id_in_a_body_and_in_a_path() {
    let app = spawn_app().await;
    let before = footprint(&app).await;
    for bad in ["", "a.b", "store 1", "a/b", &"x".repeat(33)] {
        let res = app.post("/locations", json!({ "storeId": bad })).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_store_id").await;
    }
    for path in [
        "/locations/a.b".to_owned(),
        "/locations/a.b/inventory".to_owned(),
        format!("/locations/a.b/inventory/{SKU}"),
        format!("/locations/{}/inventory/{SKU}/movements", "x".repeat(33)),
    ] {
        let res = app.get(&path).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_store_id").await;
    }
    let res = app
        .post(&at("a.b", ""), json!({"sku": SKU, "qty": 1}))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_store_id").await;
    let res = reserve_at(&app, "a.b", SKU, "o-1", 1).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_store_id").await;
    assert_eq!(footprint(&app).await, before);
}

#[tokio::test]
async fn every_stock_route_at_an_unknown_location_is_404_unknown_location_and_changes_nothing() {
    let app = spawn_app().await;
    // The SKU is stocked elsewhere: the location, not the SKU, is what is missing.
    app.create(SKU, 10).await;
    app.reserve(SKU, "o-1", 1).await;
    let before = footprint(&app).await;
    let central = app.stock_at(CENTRAL, SKU).await;

    let gets = [
        at("nowhere", ""),
        at("nowhere", &format!("/{SKU}")),
        at("nowhere", &format!("/{SKU}/movements")),
    ];
    for path in gets {
        let res = app.get(&path).await;
        assert_problem(res, StatusCode::NOT_FOUND, "unknown_location").await;
    }
    let posts = [
        (at("nowhere", ""), json!({"sku": SKU, "qty": 5})),
        (
            at("nowhere", &format!("/{SKU}/reserve")),
            json!({"orderId": "o-2", "qty": 1}),
        ),
        (
            at("nowhere", &format!("/{SKU}/release")),
            json!({"orderId": "o-1"}),
        ),
        (
            at("nowhere", &format!("/{SKU}/confirm")),
            json!({"orderId": "o-1"}),
        ),
        (
            at("nowhere", &format!("/{SKU}/replenish")),
            json!({"qty": 5}),
        ),
    ];
    for (path, body) in posts {
        let res = app.post(&path, body).await;
        assert_problem(res, StatusCode::NOT_FOUND, "unknown_location").await;
    }
    assert_eq!(footprint(&app).await, before);
    assert_eq!(app.stock_at(CENTRAL, SKU).await, central);
    let elsewhere: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM product_inventory WHERE location_id = 'nowhere')
              + (SELECT count(*) FROM movements WHERE location_id = 'nowhere')
              + (SELECT count(*) FROM reservations WHERE location_id = 'nowhere')",
    )
    .fetch_one(&app.pool().await)
    .await
    .unwrap();
    assert_eq!(elsewhere, 0);
}

#[tokio::test]
async fn a_sku_a_known_store_does_not_stock_is_404_unknown_sku() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    for path in [
        at(STORE, &format!("/{SKU}")),
        at(STORE, &format!("/{SKU}/movements")),
    ] {
        assert_problem(app.get(&path).await, StatusCode::NOT_FOUND, "unknown_sku").await;
    }
    assert_problem(
        reserve_at(&app, STORE, SKU, "o-1", 1).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    // A store with no stock yet lists an empty page.
    let page: StockPageView = app.get(&at(STORE, "")).await.json().await.unwrap();
    assert_eq!((page.items.len(), page.next_cursor), (0, None));
    assert_eq!(app.stock_at(CENTRAL, SKU).await.reserved, 0);
}

// ---------------------------------------------------------------- isolation

#[tokio::test]
async fn the_same_sku_at_two_locations_is_two_independent_rows() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    let res = app
        .post(
            &at(STORE, ""),
            json!({"sku": SKU, "qty": 4, "safetyStock": 2}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.headers()["location"],
        "/locations/store-1/inventory/ABC-1234-AB"
    );
    let created: StockView = res.json().await.unwrap();
    assert_eq!(
        (created.store_id.as_str(), created.on_hand, created.version),
        (STORE, 4, 1)
    );

    assert_eq!(
        reserve_at(&app, STORE, SKU, "o-store", 3).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(
            &at(STORE, &format!("/{SKU}/release")),
            json!({"orderId": "o-store", "qty": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(&format!("/inventory/{SKU}/replenish"), json!({"qty": 5}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.reserve(SKU, "o-central", 6).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(
            &format!("/inventory/{SKU}/confirm"),
            json!({"orderId": "o-central"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let central = app.stock_at(CENTRAL, SKU).await;
    assert_eq!(
        (
            central.store_id.as_str(),
            central.on_hand,
            central.reserved,
            central.available,
            central.safety_stock,
            central.version
        ),
        (CENTRAL, 9, 0, 9, 0, 4)
    );
    let store = app.stock_at(STORE, SKU).await;
    assert_eq!(
        (
            store.store_id.as_str(),
            store.on_hand,
            store.reserved,
            store.available,
            store.safety_stock,
            store.below_safety_stock,
            store.version
        ),
        (STORE, 4, 2, 2, 2, false, 3)
    );

    let central_trail = app.movements_at(CENTRAL, SKU).await;
    let store_trail = app.movements_at(STORE, SKU).await;
    assert_eq!(
        kinds(&app, CENTRAL, SKU).await,
        ["committed", "reserved", "replenished", "created"]
    );
    assert_eq!(
        kinds(&app, STORE, SKU).await,
        ["released", "reserved", "created"]
    );
    assert!(central_trail.items.iter().all(|m| m.store_id == CENTRAL));
    assert!(store_trail.items.iter().all(|m| m.store_id == STORE));
    assert_eq!(replay(&central_trail), (9, 0));
    assert_eq!(replay(&store_trail), (4, 2));
    assert_eq!(active_holds(&app, STORE, SKU).await, (1, 2));
    assert_eq!(active_holds(&app, CENTRAL, SKU).await, (0, 0));
    assert_invariants(&app).await;
}

#[tokio::test]
async fn a_reservation_at_a_store_leaves_the_central_warehouse_untouched() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    create_at(&app, STORE, SKU, 10).await;
    let central = app.stock_at(CENTRAL, SKU).await;

    // All of the store's stock: the central warehouse still has all of its own.
    assert_eq!(
        reserve_at(&app, STORE, SKU, "o-1", 10).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.stock_at(CENTRAL, SKU).await, central);
    assert_eq!(app.stock_at(STORE, SKU).await.available, 0);
    assert_eq!(app.movements_at(CENTRAL, SKU).await.items.len(), 1);
    let held_at: Vec<String> =
        sqlx::query_scalar("SELECT location_id FROM reservations WHERE order_id = 'o-1'")
            .fetch_all(&app.pool().await)
            .await
            .unwrap();
    assert_eq!(held_at, [STORE]);

    // The store's hold is confirmed at the store: the central route knows no such hold.
    let res = app
        .post(
            &format!("/inventory/{SKU}/confirm"),
            json!({"orderId": "o-1"}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "reservation_not_found").await;
    let res = app
        .post(
            &at(STORE, &format!("/{SKU}/confirm")),
            json!({"orderId": "o-1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let store = app.stock_at(STORE, SKU).await;
    assert_eq!((store.on_hand, store.reserved), (0, 0));
    assert_eq!(app.stock_at(CENTRAL, SKU).await, central);

    // And a whole-order reservation at the store takes nothing from the central warehouse.
    let res = app
        .post(
            "/reservations",
            json!({"orderId": "o-2", "storeId": STORE, "items": [{"sku": SKU, "qty": 1}]}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "insufficient_stock").await;
    assert_eq!(app.stock_at(CENTRAL, SKU).await, central);
    assert_invariants(&app).await;
}

#[tokio::test]
async fn the_short_routes_are_the_central_warehouses_location_routes() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    // Created through the location form, read through the short one, and back.
    let res = app
        .post(&at(CENTRAL, ""), json!({"sku": SKU, "qty": 10}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["location"], "/inventory/ABC-1234-AB");
    create_at(&app, STORE, SKU, 99).await;
    assert_eq!(
        reserve_at(&app, CENTRAL, SKU, "o-1", 3).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(&format!("/inventory/{SKU}/replenish"), json!({"qty": 2}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let short = read_json(&app, &format!("/inventory/{SKU}")).await;
    assert_eq!(
        short,
        read_json(&app, &at(CENTRAL, &format!("/{SKU}"))).await
    );
    assert_eq!(
        (
            &short["storeId"],
            &short["onHand"],
            &short["reserved"],
            &short["version"]
        ),
        (&json!(CENTRAL), &json!(12), &json!(3), &json!(3))
    );
    assert_eq!(
        read_json(&app, &format!("/inventory/{SKU}/movements")).await,
        read_json(&app, &at(CENTRAL, &format!("/{SKU}/movements"))).await
    );
    let page: StockPageView = app.get(&at(CENTRAL, "")).await.json().await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(serde_json::to_value(&page.items[0]).unwrap(), short);
}

#[tokio::test]
async fn listing_a_stores_stock_pages_through_every_row_exactly_once() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    let mut stocked: Vec<String> = (0..7).map(|i| format!("LST-{i:04}-AA")).collect();
    for (i, sku) in stocked.iter().enumerate().rev() {
        create_at(&app, STORE, sku, i as i64).await;
    }
    // Stock of the same and of other SKUs at the central warehouse is not the store's.
    for sku in [&stocked[0], &stocked[3], "ZZZ-0001-ZZ", "AAA-0001-AA"] {
        app.create(sku, 50).await;
    }
    stocked.sort();

    for limit in [1, 2, 3, 7, 100] {
        let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let query = match &cursor {
                Some(c) => format!("?limit={limit}&cursor={c}"),
                None => format!("?limit={limit}"),
            };
            let res = app.get(&at(STORE, &query)).await;
            assert_eq!(res.status(), StatusCode::OK);
            let page: StockPageView = res.json().await.unwrap();
            assert!(page.items.len() <= limit, "limit {limit}");
            pages += 1;
            assert!(
                pages <= stocked.len() + 1,
                "limit {limit}: the pages never end"
            );
            for item in &page.items {
                assert_eq!(item.store_id, STORE);
                assert_eq!(item.on_hand, app.stock_at(STORE, &item.sku).await.on_hand);
            }
            seen.extend(page.items.into_iter().map(|s| s.sku));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, stocked, "limit {limit}");
    }
}

// ---------------------------------------------------------------- races

/// `n` reservations of one unit, each for its own order, at `store`; their statuses.
async fn rush(apps: &[&TestApp], store: &str, sku: &str, n: usize) -> Vec<StatusCode> {
    join_all((0..n).map(|i| {
        let app = apps[i % apps.len()];
        async move {
            reserve_at(app, store, sku, &format!("{store}-order-{i}"), 1)
                .await
                .status()
        }
    }))
    .await
}

#[tokio::test]
async fn racing_reservations_at_two_locations_get_exactly_each_locations_stock() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    open(&one, STORE).await;
    one.create(SKU, 50).await;
    create_at(&one, STORE, SKU, 50).await;

    let (forth, back) = ([&one, &two], [&two, &one]);
    let (at_store, at_central) = tokio::join!(
        rush(&forth, STORE, SKU, 200),
        rush(&back, CENTRAL, SKU, 200),
    );
    for (store, answers) in [(STORE, &at_store), (CENTRAL, &at_central)] {
        assert_eq!(
            (
                count(answers, StatusCode::NO_CONTENT),
                count(answers, StatusCode::CONFLICT)
            ),
            (50, 150),
            "{store}: {answers:?}"
        );
        let stock = one.stock_at(store, SKU).await;
        assert_eq!(
            (
                stock.on_hand,
                stock.reserved,
                stock.available,
                stock.version
            ),
            (50, 50, 0, 51),
            "{store}"
        );
        assert_eq!(active_holds(&one, store, SKU).await, (50, 50), "{store}");
        // Every hold is where its order reserved.
        let misplaced: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM reservations
              WHERE location_id = $1 AND order_id NOT LIKE $1 || '-order-%'",
        )
        .bind(store)
        .fetch_one(&one.pool().await)
        .await
        .unwrap();
        assert_eq!(misplaced, 0, "{store}");
        let trail = one.movements_at(store, SKU).await;
        assert_eq!(trail.items.len(), 51, "{store}");
        assert_eq!(replay(&trail), (50, 50), "{store}");
    }
    assert_invariants(&one).await;
}

#[tokio::test]
async fn transfers_racing_reservations_at_both_ends_never_oversell_and_conserve_units() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    open(&one, STORE).await;
    one.create(SKU, 100).await;
    create_at(&one, STORE, SKU, 20).await;

    let (forth, back) = ([&one, &two], [&two, &one]);
    let transfers = join_all((0..60).map(|i| {
        let app = forth[i % 2];
        async move { transfer(app, SKU, CENTRAL, STORE, 2).await.status() }
    }));
    let (moved, at_central, at_store) = tokio::join!(
        transfers,
        rush(&back, CENTRAL, SKU, 150),
        rush(&forth, STORE, SKU, 150),
    );
    for answers in [&moved, &at_central, &at_store] {
        assert!(
            answers.iter().all(|s| *s == StatusCode::CREATED
                || *s == StatusCode::NO_CONTENT
                || *s == StatusCode::CONFLICT),
            "{answers:?}"
        );
    }
    let moved = count(&moved, StatusCode::CREATED) as i64;
    let won_central = count(&at_central, StatusCode::NO_CONTENT) as i64;
    let won_store = count(&at_store, StatusCode::NO_CONTENT) as i64;

    let central = one.stock_at(CENTRAL, SKU).await;
    let store = one.stock_at(STORE, SKU).await;
    // Units move, none is made or lost.
    assert_eq!(central.on_hand + store.on_hand, 120);
    assert_eq!(central.on_hand, 100 - 2 * moved);
    assert_eq!(store.on_hand, 20 + 2 * moved);
    assert_eq!((central.reserved, store.reserved), (won_central, won_store));
    assert!(central.available >= 0 && store.available >= 0);
    // More was asked of the central warehouse than it had, and its available stock only
    // ever fell: it ends with none.
    assert_eq!(central.available, 0, "{central:?}");
    assert_eq!(won_central + 2 * moved, 100);
    assert_eq!(
        active_holds(&one, CENTRAL, SKU).await,
        (won_central, won_central)
    );
    assert_eq!(active_holds(&one, STORE, SKU).await, (won_store, won_store));

    let outs = kinds(&one, CENTRAL, SKU).await;
    let ins = kinds(&one, STORE, SKU).await;
    let of = |kinds: &[String], kind: &str| kinds.iter().filter(|k| *k == kind).count() as i64;
    assert_eq!(
        (of(&outs, "transferred_out"), of(&outs, "transferred_in")),
        (moved, 0)
    );
    assert_eq!(
        (of(&ins, "transferred_in"), of(&ins, "transferred_out")),
        (moved, 0)
    );
    assert_eq!(
        replay(&one.movements_at(CENTRAL, SKU).await),
        (central.on_hand, central.reserved)
    );
    assert_eq!(
        replay(&one.movements_at(STORE, SKU).await),
        (store.on_hand, store.reserved)
    );
    assert_invariants(&one).await;
}

// ---------------------------------------------------------------- transfers

#[tokio::test]
async fn a_transfer_moves_units_between_two_rows_with_a_movement_and_an_event_each() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    create_at(&app, STORE, SKU, 2).await;
    app.reserve(SKU, "o-1", 3).await;

    let res = transfer(&app, SKU, CENTRAL, STORE, 5).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let done: TransferView = res.json().await.unwrap();
    assert!(!done.transfer_id.is_empty());
    assert_eq!(
        (
            done.from.store_id.as_str(),
            done.from.on_hand,
            done.from.reserved,
            done.from.available,
            done.from.version
        ),
        (CENTRAL, 5, 3, 2, 3)
    );
    assert_eq!(
        (
            done.to.store_id.as_str(),
            done.to.on_hand,
            done.to.reserved,
            done.to.available,
            done.to.version
        ),
        (STORE, 7, 0, 7, 2)
    );
    // The answer is what is stored.
    assert_eq!(app.stock_at(CENTRAL, SKU).await, done.from);
    assert_eq!(app.stock_at(STORE, SKU).await, done.to);

    let out = &app.movements_at(CENTRAL, SKU).await.items[0];
    assert_eq!(
        (
            out.kind.as_str(),
            out.store_id.as_str(),
            out.qty,
            out.on_hand_after,
            out.reserved_after
        ),
        ("transferred_out", CENTRAL, 5, 5, 3)
    );
    let arrived = &app.movements_at(STORE, SKU).await.items[0];
    assert_eq!(
        (
            arrived.kind.as_str(),
            arrived.store_id.as_str(),
            arrived.qty,
            arrived.on_hand_after
        ),
        ("transferred_in", STORE, 5, 7)
    );
    assert_eq!(replay(&app.movements_at(CENTRAL, SKU).await), (5, 3));
    assert_eq!(replay(&app.movements_at(STORE, SKU).await), (7, 0));

    let seen = tap
        .until(LIMIT, |m| m.routing_key == "product.inventory.transferred")
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    let transferred: Vec<&Tapped> = seen
        .iter()
        .filter(|m| m.routing_key == "product.inventory.transferred")
        .collect();
    assert_eq!(transferred.len(), 1, "{seen:#?}");
    let event = &transferred[0].body;
    assert_eq!(event["type"], "ProductInventoryTransferred");
    let data = &event["data"];
    assert_eq!(
        (
            &data["transferId"],
            &data["sku"],
            &data["from"],
            &data["to"],
            &data["qty"]
        ),
        (
            &json!(done.transfer_id),
            &json!(SKU),
            &json!(CENTRAL),
            &json!(STORE),
            &json!(5)
        )
    );
    // Both rows' new state goes out together, each naming its location.
    let both: Vec<&Tapped> = seen
        .iter()
        .filter(|m| {
            m.routing_key == "product.inventory.stock_changed"
                && m.body["data"]["items"].as_array().unwrap().len() == 2
        })
        .collect();
    assert_eq!(both.len(), 1, "{seen:#?}");
    let items: Vec<StockView> =
        serde_json::from_value(both[0].body["data"]["items"].clone()).unwrap();
    assert!(items.contains(&done.from), "{items:?}");
    assert!(items.contains(&done.to), "{items:?}");
    assert_invariants(&app).await;
}

#[tokio::test]
async fn a_transfer_of_more_than_is_available_is_refused_and_moves_nothing() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    create_at(&app, STORE, SKU, 1).await;
    // 10 on hand but 8 of them held: only 2 may leave.
    app.reserve(SKU, "o-1", 8).await;
    let central = app.stock_at(CENTRAL, SKU).await;
    let store = app.stock_at(STORE, SKU).await;
    let before = footprint(&app).await;

    let body = assert_problem(
        transfer(&app, SKU, CENTRAL, STORE, 3).await,
        StatusCode::CONFLICT,
        "insufficient_stock",
    )
    .await;
    assert_eq!(
        body["shortages"][0],
        json!({"sku": SKU, "requested": 3, "available": 2})
    );
    assert_eq!(app.stock_at(CENTRAL, SKU).await, central);
    assert_eq!(app.stock_at(STORE, SKU).await, store);
    assert_eq!(footprint(&app).await, before);

    // Exactly what is available may leave.
    assert_eq!(
        transfer(&app, SKU, CENTRAL, STORE, 2).await.status(),
        StatusCode::CREATED
    );
    let central = app.stock_at(CENTRAL, SKU).await;
    assert_eq!(
        (central.on_hand, central.reserved, central.available),
        (8, 8, 0)
    );
    assert_invariants(&app).await;
}

#[tokio::test]
async fn a_transfer_to_a_store_without_the_sku_creates_its_row_there() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;

    let res = transfer(&app, SKU, CENTRAL, STORE, 4).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let done: TransferView = res.json().await.unwrap();
    assert_eq!(
        (
            done.to.store_id.as_str(),
            done.to.sku.as_str(),
            done.to.on_hand,
            done.to.reserved,
            done.to.safety_stock
        ),
        (STORE, SKU, 4, 0, 0)
    );
    assert_eq!(app.stock_at(STORE, SKU).await, done.to);
    assert_eq!(app.stock_at(CENTRAL, SKU).await.on_hand, 6);
    let trail = app.movements_at(STORE, SKU).await;
    let kinds: Vec<_> = trail
        .items
        .iter()
        .map(|m| (m.kind.as_str(), m.qty))
        .collect();
    assert_eq!(kinds, [("transferred_in", 4), ("created", 0)]);
    assert_eq!(replay(&trail), (4, 0));
    // The new row is the store's like any other: listed, reservable.
    let page: StockPageView = app.get(&at(STORE, "")).await.json().await.unwrap();
    assert_eq!(page.items, [done.to]);
    assert_eq!(
        reserve_at(&app, STORE, SKU, "o-1", 4).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_invariants(&app).await;
}

#[tokio::test]
async fn concurrent_transfers_to_a_store_without_the_sku_create_its_row_once() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    open(&one, STORE).await;
    one.create(SKU, 100).await;

    let answers = join_all((0..20).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        async move { transfer(app, SKU, CENTRAL, STORE, 3).await.status() }
    }))
    .await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::CREATED),
        "{answers:?}"
    );
    assert_eq!(one.stock_at(CENTRAL, SKU).await.on_hand, 40);
    let store = one.stock_at(STORE, SKU).await;
    assert_eq!((store.on_hand, store.version), (60, 21));
    let kinds = kinds(&one, STORE, SKU).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "created").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.len(), 21);
    assert_invariants(&one).await;
}

#[tokio::test]
async fn a_transfer_naming_an_unknown_location_or_sku_is_404_and_moves_nothing() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    let before = footprint(&app).await;

    for (from, to) in [
        (CENTRAL, "nowhere"),
        ("nowhere", CENTRAL),
        ("nowhere", "elsewhere"),
    ] {
        assert_problem(
            transfer(&app, SKU, from, to, 1).await,
            StatusCode::NOT_FOUND,
            "unknown_location",
        )
        .await;
    }
    // The store exists but does not stock the SKU: nothing to send, and the central
    // warehouse gets no row of it either.
    assert_problem(
        transfer(&app, SKU, STORE, CENTRAL, 1).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    assert_problem(
        transfer(&app, OTHER_SKU, CENTRAL, STORE, 1).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    assert_eq!(footprint(&app).await, before);
    assert_problem(
        app.get(&at(STORE, &format!("/{OTHER_SKU}"))).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    assert_eq!(app.stock_at(CENTRAL, SKU).await.on_hand, 10);
}

#[tokio::test]
async fn a_transfer_from_a_location_to_itself_or_of_bad_input_is_422() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    create_at(&app, STORE, SKU, 10).await;
    let before = footprint(&app).await;

    for store in [CENTRAL, STORE] {
        assert_problem(
            transfer(&app, SKU, store, store, 1).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transfer",
        )
        .await;
    }
    assert_problem(
        transfer(&app, SKU, "a.b", STORE, 1).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_store_id",
    )
    .await;
    assert_problem(
        transfer(&app, SKU, CENTRAL, STORE, 0).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_quantity",
    )
    .await;
    assert_eq!(footprint(&app).await, before);
    for store in [CENTRAL, STORE] {
        let stock = app.stock_at(store, SKU).await;
        assert_eq!((stock.on_hand, stock.version), (10, 1));
    }
}

// ---------------------------------------------------------------- one location per order

#[tokio::test]
async fn an_order_holding_at_one_location_reserves_nowhere_else() {
    let app = spawn_app().await;
    open(&app, STORE).await;
    for sku in [SKU, OTHER_SKU] {
        app.create(sku, 10).await;
        create_at(&app, STORE, sku, 10).await;
    }
    assert_eq!(
        app.reserve(SKU, "o-1", 2).await.status(),
        StatusCode::NO_CONTENT
    );
    let before = footprint(&app).await;

    // The same SKU, another SKU, and a whole-order reservation: all at the store.
    for sku in [SKU, OTHER_SKU] {
        assert_problem(
            reserve_at(&app, STORE, sku, "o-1", 1).await,
            StatusCode::CONFLICT,
            "reservation_conflict",
        )
        .await;
    }
    let res = app
        .post(
            "/reservations",
            json!({"orderId": "o-1", "storeId": STORE, "items": [{"sku": OTHER_SKU, "qty": 1}]}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "reservation_conflict").await;

    assert_eq!(footprint(&app).await, before);
    for sku in [SKU, OTHER_SKU] {
        let store = app.stock_at(STORE, sku).await;
        assert_eq!((store.reserved, store.version), (0, 1), "{sku}");
        assert_eq!(active_holds(&app, STORE, sku).await, (0, 0));
    }
    // The central hold is as it was, and more of the order may still be held there.
    assert_eq!(app.stock_at(CENTRAL, SKU).await.reserved, 2);
    assert_eq!(
        app.reserve(OTHER_SKU, "o-1", 1).await.status(),
        StatusCode::NO_CONTENT
    );

    // The other way round: an order holding at the store reserves nothing centrally.
    assert_eq!(
        reserve_at(&app, STORE, SKU, "o-2", 1).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(
            "/reservations",
            json!({"orderId": "o-2", "items": [{"sku": OTHER_SKU, "qty": 1}]}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "reservation_conflict").await;
    assert_eq!(app.stock_at(CENTRAL, OTHER_SKU).await.reserved, 1);
    assert_invariants(&app).await;
}

// ---------------------------------------------------------------- events

#[tokio::test]
async fn every_change_at_a_store_publishes_the_rows_new_state_under_the_stores_id() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    open(&app, STORE).await;
    app.create(SKU, 10).await;
    create_at(&app, STORE, SKU, 10).await;
    let mut after = Vec::new();
    assert_eq!(
        reserve_at(&app, STORE, SKU, "o-1", 4).await.status(),
        StatusCode::NO_CONTENT
    );
    after.push(app.stock_at(STORE, SKU).await);
    let res = app
        .post(
            &at(STORE, &format!("/{SKU}/release")),
            json!({"orderId": "o-1", "qty": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    after.push(app.stock_at(STORE, SKU).await);
    let res = app
        .post(&at(STORE, &format!("/{SKU}/replenish")), json!({"qty": 5}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    after.push(app.stock_at(STORE, SKU).await);

    let seen = tap
        .until(LIMIT, |m| m.routing_key == "product.inventory.replenished")
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    let changes = stock_changes_at(&seen, STORE);
    let versions: Vec<i64> = changes.iter().map(|s| s.version).collect();
    assert_eq!(versions, [1, 2, 3, 4], "{seen:#?}");
    // Each carries the row's state after its change, as it is read back.
    assert_eq!(changes[1..], after[..]);
    assert_eq!(
        (
            changes[3].on_hand,
            changes[3].reserved,
            changes[3].available
        ),
        (15, 3, 12)
    );
    // The central row was created once and never changed since.
    let central: Vec<i64> = stock_changes_at(&seen, CENTRAL)
        .iter()
        .map(|s| s.version)
        .collect();
    assert_eq!(central, [1]);
    // The store's own events name it too.
    let store_events: Vec<&Value> = seen
        .iter()
        .filter(|m| m.routing_key != "product.inventory.stock_changed")
        .map(|m| &m.body["data"])
        .filter(|data| data["storeId"] != CENTRAL)
        .collect();
    assert_eq!(store_events.len(), 4, "{seen:#?}");
    assert!(
        store_events.iter().all(|d| d["storeId"] == STORE),
        "{seen:#?}"
    );
}
