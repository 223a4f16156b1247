//! Unit prices: set when a SKU is created or with `PUT .../price`, read back with the
//! stock, at each location on its own. A price is not stock: setting it writes no
//! movement, but moves the row's version on and announces both the row's new state and
//! the price. Every wrong price is `invalid_price` and changes nothing. The reservation
//! answers carry the prices, for a checkout to copy.

use std::time::Duration;

use chrono::Utc;
use contracts::events::{Envelope, EventLine, EventType, OrderCreated};
use contracts::inventory::{ReservationView, StockView};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::broker::{EventTap, RawPublisher, Tapped, wait_for_consumer};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const SKU: &str = "ABC-1234-AB";
const OTHER_SKU: &str = "XYZ-9876-ZZ";
const STORE: &str = "store-1";

const QUIET: Duration = Duration::from_millis(700);
const LIMIT: Duration = Duration::from_secs(15);

fn price(amount: i64, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// `POST /inventory` of `sku` with `unit_price`, which must create it.
async fn create_priced(app: &TestApp, sku: &str, qty: i64, unit_price: Value) -> StockView {
    let res = app
        .post(
            "/inventory",
            json!({ "sku": sku, "qty": qty, "unitPrice": unit_price }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// `PUT /inventory/:sku/price`, which must succeed; answers the row after it.
async fn set_price(app: &TestApp, path: &str, body: Value) -> StockView {
    let res = app.put(&format!("{path}/price"), body).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

fn unit_price(view: &StockView) -> Option<(i64, &str)> {
    view.unit_price
        .as_ref()
        .map(|p| (p.amount, p.currency.as_str()))
}

/// The messages under `routing_key` among `seen`.
fn under<'a>(seen: &'a [Tapped], routing_key: &str) -> Vec<&'a Tapped> {
    seen.iter()
        .filter(|m| m.routing_key == routing_key)
        .collect()
}

#[tokio::test]
async fn a_sku_created_with_a_price_answers_and_reads_it_back() {
    let app = spawn_app().await;
    let created = create_priced(&app, SKU, 5, price(1999, "EUR")).await;
    assert_eq!(unit_price(&created), Some((1999, "EUR")));
    assert_eq!(created.version, 1);
    assert_eq!(unit_price(&app.stock(SKU).await), Some((1999, "EUR")));

    // Without one the SKU is unpriced, and its view says nothing of a price.
    app.create(OTHER_SKU, 5).await;
    let unpriced: Value = app
        .get(&format!("/inventory/{OTHER_SKU}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(unpriced.get("unitPrice").is_none(), "{unpriced}");
    let explicit_null = app
        .post(
            "/inventory",
            json!({ "sku": "NUL-0000-NU", "qty": 1, "unitPrice": null }),
        )
        .await;
    assert_eq!(explicit_null.status(), StatusCode::CREATED);
    assert_eq!(app.stock("NUL-0000-NU").await.unit_price, None);
}

#[tokio::test]
async fn setting_a_price_moves_the_version_on_and_announces_it_without_a_movement() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.create(SKU, 10).await;
    app.reserve(SKU, "o-1", 3).await;

    let set = set_price(&app, &format!("/inventory/{SKU}"), price(250, "USD")).await;
    assert_eq!(unit_price(&set), Some((250, "USD")));
    assert_eq!(
        (set.version, set.on_hand, set.reserved, set.available),
        (3, 10, 3, 7)
    );
    assert_eq!(app.stock(SKU).await, set);
    // A new price, in another currency: one more version.
    let changed = set_price(&app, &format!("/inventory/{SKU}"), price(199, "EUR")).await;
    assert_eq!(
        (unit_price(&changed), changed.version),
        (Some((199, "EUR")), 4)
    );
    // The price it has already: the same row, the same version, nothing announced.
    let again = set_price(&app, &format!("/inventory/{SKU}"), price(199, "EUR")).await;
    assert_eq!(again, changed);

    let kinds: Vec<String> = app
        .movements(SKU)
        .await
        .items
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["reserved", "created"], "a price is not a movement");

    let seen = tap
        .until(LIMIT, |m| {
            m.routing_key == "product.inventory.price_changed"
                && m.body["data"]["unitPrice"]["currency"] == "EUR"
        })
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    let prices = under(&seen, "product.inventory.price_changed");
    assert_eq!(prices.len(), 2, "{seen:#?}");
    assert_eq!(
        prices[0].body["data"],
        json!({ "storeId": "central", "sku": SKU, "unitPrice": price(250, "USD") })
    );
    assert_eq!(prices[1].body["data"]["unitPrice"], price(199, "EUR"));
    assert_eq!(prices[0].body["type"], "ProductInventoryPriceChanged");
    assert_eq!(prices[0].body["correlationId"], SKU);
    // The row's every state, the stock view's feed: created, reserved, then one per
    // new price, and none for the repeat.
    let rows: Vec<&Value> = under(&seen, "product.inventory.stock_changed")
        .into_iter()
        .map(|m| &m.body["data"]["items"][0])
        .collect();
    let versions: Vec<&Value> = rows.iter().map(|row| &row["version"]).collect();
    assert_eq!(versions, [1, 2, 3, 4], "{seen:#?}");
    assert!(rows[1].get("unitPrice").is_none());
    assert_eq!(rows[2]["unitPrice"], price(250, "USD"));
    assert_eq!(rows[2]["reserved"], 3);
    assert_eq!(rows[3]["unitPrice"], price(199, "EUR"));
}

#[tokio::test]
async fn every_wrong_price_is_422_invalid_price_and_changes_nothing() {
    let app = spawn_app().await;
    create_priced(&app, SKU, 5, price(100, "EUR")).await;
    let before = app.stock(SKU).await;
    let wrong = [
        price(-1, "EUR"),
        json!({ "amount": 19.99, "currency": "EUR" }),
        json!({ "amount": 20.0, "currency": "EUR" }),
        json!({ "amount": "1999", "currency": "EUR" }),
        price(1999, "eur"),
        price(1999, "EURO"),
        price(1999, "EU"),
        json!({ "amount": 1999 }),
        json!({ "amount": 1999, "currency": null }),
        json!({ "currency": "EUR" }),
        json!({}),
    ];
    for body in &wrong {
        let res = app
            .put(&format!("/inventory/{SKU}/price"), body.clone())
            .await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_price").await;
        let res = app
            .post(
                "/inventory",
                json!({ "sku": OTHER_SKU, "qty": 1, "unitPrice": body }),
            )
            .await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_price").await;
    }
    assert_eq!(app.stock(SKU).await, before);
    assert_problem(
        app.get(&format!("/inventory/{OTHER_SKU}")).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    // A price that is not even an object is a body of the wrong shape.
    let res = app
        .post(
            "/inventory",
            json!({ "sku": OTHER_SKU, "qty": 1, "unitPrice": 1999 }),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
}

#[tokio::test]
async fn pricing_an_unknown_sku_or_at_an_unknown_location_is_404() {
    let app = spawn_app().await;
    let res = app
        .put(&format!("/inventory/{SKU}/price"), price(1, "EUR"))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "unknown_sku").await;
    let res = app
        .put(
            &format!("/locations/nowhere/inventory/{SKU}/price"),
            price(1, "EUR"),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "unknown_location").await;
    app.post("/locations", json!({ "storeId": STORE })).await;
    let res = app
        .put(
            &format!("/locations/{STORE}/inventory/{SKU}/price"),
            price(1, "EUR"),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "unknown_sku").await;
    let res = app
        .put(&format!("/inventory/{SKU}/price"), price(-1, "EUR"))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_price").await;
}

#[tokio::test]
async fn each_location_prices_its_own_row() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    let res = app.post("/locations", json!({ "storeId": STORE })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.create(SKU, 10).await;
    let res = app
        .post(
            &format!("/locations/{STORE}/inventory"),
            json!({ "sku": SKU, "qty": 4, "unitPrice": price(1200, "EUR") }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let at_store = format!("/locations/{STORE}/inventory/{SKU}");
    assert_eq!(
        unit_price(&app.stock_at(STORE, SKU).await),
        Some((1200, "EUR"))
    );
    assert_eq!(app.stock(SKU).await.unit_price, None);

    let set = set_price(&app, &at_store, price(1100, "EUR")).await;
    assert_eq!((set.store_id.as_str(), set.version), (STORE, 2));
    assert_eq!(unit_price(&set), Some((1100, "EUR")));
    assert_eq!(app.stock(SKU).await.unit_price, None, "central is unpriced");
    let central = set_price(&app, &format!("/inventory/{SKU}"), price(1300, "EUR")).await;
    assert_eq!(unit_price(&central), Some((1300, "EUR")));
    assert_eq!(
        unit_price(&app.stock_at(STORE, SKU).await),
        Some((1100, "EUR"))
    );

    let seen = tap
        .until(LIMIT, |m| {
            m.routing_key == "product.inventory.price_changed"
                && m.body["data"]["storeId"] == "central"
        })
        .await;
    let stores: Vec<&Value> = under(&seen, "product.inventory.price_changed")
        .into_iter()
        .map(|m| &m.body["data"]["storeId"])
        .collect();
    assert_eq!(stores, [STORE, "central"]);
}

#[tokio::test]
async fn stock_changes_keep_the_price_and_a_transfer_opens_an_unpriced_row() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.post("/locations", json!({ "storeId": STORE })).await;
    create_priced(&app, SKU, 10, price(500, "EUR")).await;
    // One statement (a single SKU), and the locked changes (replenish, a transfer).
    assert_eq!(
        app.reserve(SKU, "o-1", 2).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(&format!("/inventory/{SKU}/replenish"), json!({ "qty": 5 }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            "/transfers",
            json!({ "sku": SKU, "from": "central", "to": STORE, "qty": 3 }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let stock = app.stock(SKU).await;
    assert_eq!((stock.on_hand, stock.reserved), (12, 2));
    assert_eq!(unit_price(&stock), Some((500, "EUR")));
    assert_eq!(app.stock_at(STORE, SKU).await.unit_price, None);

    let seen = tap
        .until(LIMIT, |m| m.routing_key == "product.inventory.transferred")
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    // Every state of the central row the stock view is sent keeps its price.
    let central: Vec<&Value> = under(&seen, "product.inventory.stock_changed")
        .into_iter()
        .flat_map(|m| m.body["data"]["items"].as_array().unwrap())
        .filter(|item| item["storeId"] == "central")
        .collect();
    let versions: Vec<&Value> = central.iter().map(|item| &item["version"]).collect();
    assert_eq!(versions, [1, 2, 3, 4], "{seen:#?}");
    for item in &central {
        assert_eq!(item["unitPrice"], price(500, "EUR"), "{item}");
    }
    let reserved = under(&seen, "product.inventory.reserved.direct");
    assert_eq!(
        reserved[0].body["data"]["items"],
        json!([{ "sku": SKU, "qty": 2, "unitPrice": price(500, "EUR") }])
    );
}

#[tokio::test]
async fn a_reservation_answers_and_announces_each_lines_unit_price() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    create_priced(&app, SKU, 10, price(1999, "EUR")).await;
    app.create(OTHER_SKU, 10).await;
    let res = app
        .post(
            "/reservations",
            json!({ "orderId": "o-1", "items": [
                { "sku": OTHER_SKU, "qty": 1 }, { "sku": SKU, "qty": 2 }
            ] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let answer: Value = res.json().await.unwrap();
    let items = answer["items"].as_array().unwrap();
    assert_eq!(
        (&items[0]["sku"], &items[0]["unitPrice"]),
        (&json!(SKU), &price(1999, "EUR"))
    );
    assert_eq!(items[1]["sku"], OTHER_SKU);
    assert!(items[1].get("unitPrice").is_none(), "{answer}");

    // A repeat answers the price the SKU has now.
    set_price(&app, &format!("/inventory/{SKU}"), price(1499, "EUR")).await;
    let repeat: ReservationView = app
        .post(
            "/reservations",
            json!({ "orderId": "o-1", "items": [
                { "sku": OTHER_SKU, "qty": 1 }, { "sku": SKU, "qty": 2 }
            ] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let repeated = repeat.items[0].unit_price.as_ref().unwrap();
    assert_eq!((repeated.amount, repeated.currency.as_str()), (1499, "EUR"));

    let seen = tap
        .until(LIMIT, |m| {
            m.routing_key == "product.inventory.reserved.direct"
        })
        .await;
    let reserved = under(&seen, "product.inventory.reserved.direct");
    assert_eq!(
        reserved[0].body["data"]["items"],
        json!([
            { "sku": SKU, "qty": 2, "unitPrice": price(1999, "EUR") },
            { "sku": OTHER_SKU, "qty": 1 }
        ])
    );
}

#[tokio::test]
async fn an_order_reserved_by_event_is_answered_with_its_lines_prices() {
    let app = spawn_app().await;
    create_priced(&app, SKU, 10, price(700, "GBP")).await;
    wait_for_consumer(&app.broker_name("inventory-service.order_events")).await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    let order = Envelope::new(
        "order-service",
        Utc::now(),
        Some("o-event"),
        "o-event",
        OrderCreated {
            location_id: None,
            order_id: "o-event".into(),
            customer_id: None,
            items: vec![EventLine {
                sku: SKU.into(),
                qty: 3,
            }],
            ttl_seconds: None,
        },
    );
    RawPublisher::connect()
        .await
        .publish(
            &app.broker_name(OrderCreated::EXCHANGE),
            OrderCreated::ROUTING_KEY,
            &order.id.to_string(),
            &serde_json::to_vec(&order).unwrap(),
        )
        .await;
    let seen = tap
        .until(LIMIT, |m| m.routing_key == "product.inventory.reserved")
        .await;
    let reserved = under(&seen, "product.inventory.reserved");
    assert_eq!(
        reserved[0].body["data"]["items"],
        json!([{ "sku": SKU, "qty": 3, "unitPrice": price(700, "GBP") }])
    );
}
