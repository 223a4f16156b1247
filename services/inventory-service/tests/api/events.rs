//! What inventory-service publishes: one event per fact, through the outbox, with its
//! envelope, routing key and trace context; nothing lost while the broker is away.

use std::time::Duration;

use contracts::events::{EventType, HoldEvent, ProductInventoryReserved, RawEnvelope};
use reqwest::StatusCode;
use serde_json::json;
use testkit::broker::EventTap;

use crate::helpers::{broker_prefix, spawn_app, spawn_with};

const QUIET: Duration = Duration::from_millis(700);
const LIMIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_reservation_over_http_publishes_exactly_one_reserved_event() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.create("ABC-1234-AB", 10).await;
    assert_eq!(
        app.reserve("ABC-1234-AB", "order-001", 4).await.status(),
        StatusCode::NO_CONTENT
    );
    // A retry of the same reservation changes nothing and publishes nothing.
    app.reserve("ABC-1234-AB", "order-001", 4).await;

    let seen = tap.collect(QUIET, LIMIT).await;
    // A client's own hold: under the direct key, which the saga does not bind.
    let reserved: Vec<_> = seen
        .iter()
        .filter(|m| m.routing_key == ProductInventoryReserved::DIRECT_ROUTING_KEY)
        .collect();
    assert_eq!(reserved.len(), 1, "{seen:#?}");
    assert!(
        seen.iter()
            .all(|m| m.routing_key != ProductInventoryReserved::ROUTING_KEY),
        "{seen:#?}"
    );
    let message = reserved[0];
    let envelope: RawEnvelope = serde_json::from_value(message.body.clone()).unwrap();
    assert_eq!(
        message.message_id.as_deref(),
        Some(envelope.id.to_string().as_str())
    );
    assert_eq!(message.content_type.as_deref(), Some("application/json"));
    assert!(message.persistent);
    let traceparent = message
        .traceparent
        .as_deref()
        .expect("a traceparent header");
    assert_eq!(traceparent.len(), 55, "{traceparent}");
    assert_eq!(envelope.source, "inventory-service");
    assert_eq!(envelope.order_id.as_deref(), Some("order-001"));
    let event = envelope.decode::<ProductInventoryReserved>().unwrap();
    assert_eq!(event.data.items[0].sku, "ABC-1234-AB");
    assert_eq!(event.data.items[0].qty, 4);
    assert!(
        seen.iter()
            .any(|m| m.routing_key == "product.inventory.created")
    );
}

/// The saga's holds are announced under the plain keys the saga binds; a client's under
/// the direct keys: reserved and committed (released: see the order events' tests).
#[tokio::test]
async fn the_sagas_holds_go_under_the_plain_keys_and_a_clients_under_the_direct_ones() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.create("ABC-1234-AB", 10).await;
    // The saga holds through the whole-order routes, as order-api does.
    for order in ["saga-1", "saga-2"] {
        let answer = app
            .post_as_saga(
                "/reservations",
                serde_json::json!({"orderId": order, "items": [{"sku": "ABC-1234-AB", "qty": 1}]}),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::CREATED);
    }
    let committed = app
        .post_as_saga(
            "/reservations/saga-2/commit",
            serde_json::json!({"items": [{"sku": "ABC-1234-AB", "qty": 1}]}),
        )
        .await;
    assert_eq!(committed.status(), StatusCode::OK);
    for order in ["own-1", "own-2"] {
        app.reserve("ABC-1234-AB", order, 1).await;
    }
    app.post(
        "/inventory/ABC-1234-AB/release",
        serde_json::json!({"orderId": "own-1"}),
    )
    .await;
    app.post(
        "/inventory/ABC-1234-AB/confirm",
        serde_json::json!({"orderId": "own-2"}),
    )
    .await;

    let seen = tap.collect(QUIET, LIMIT).await;
    let key_of = |order: &str, event: &str| -> Vec<String> {
        seen.iter()
            .filter(|m| m.body["orderId"] == order && m.body["type"] == event)
            .map(|m| m.routing_key.clone())
            .collect()
    };
    assert_eq!(
        key_of("saga-1", "ProductInventoryReserved"),
        ["product.inventory.reserved"]
    );
    assert_eq!(
        key_of("saga-2", "ProductInventoryCommitted"),
        ["product.inventory.committed"]
    );
    assert_eq!(
        key_of("own-1", "ProductInventoryReserved"),
        ["product.inventory.reserved.direct"]
    );
    assert_eq!(
        key_of("own-1", "ProductInventoryReleased"),
        ["product.inventory.released.direct"]
    );
    assert_eq!(
        key_of("own-2", "ProductInventoryCommitted"),
        ["product.inventory.committed.direct"]
    );
}

#[tokio::test]
async fn every_change_publishes_its_event_under_its_routing_key() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.create("ABC-1234-AB", 10).await;
    app.reserve("ABC-1234-AB", "o-1", 4).await;
    app.post(
        "/inventory/ABC-1234-AB/release",
        json!({"orderId": "o-1", "qty": 1}),
    )
    .await;
    app.post("/inventory/ABC-1234-AB/confirm", json!({"orderId": "o-1"}))
        .await;
    app.post("/inventory/ABC-1234-AB/replenish", json!({"qty": 5}))
        .await;
    let seen = tap
        .until(LIMIT, |m| m.routing_key.ends_with(".replenished"))
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    let (changes, keys): (Vec<_>, Vec<_>) = seen
        .into_iter()
        .partition(|m| m.routing_key == "product.inventory.stock_changed");
    // Every change also tells the stock view the row's new state, in order.
    let versions: Vec<_> = changes
        .iter()
        .map(|m| m.body["data"]["items"][0]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5], "{changes:#?}");
    let last = &changes[4].body["data"]["items"][0];
    assert_eq!(
        (
            &last["storeId"],
            &last["onHand"],
            &last["reserved"],
            &last["available"]
        ),
        (&json!("central"), &json!(12), &json!(0), &json!(12))
    );
    let keys: Vec<String> = keys.into_iter().map(|m| m.routing_key).collect();
    assert_eq!(
        keys,
        [
            "product.inventory.created",
            // A client's own hold: the direct keys.
            "product.inventory.reserved.direct",
            "product.inventory.released.direct",
            "product.inventory.committed.direct",
            "product.inventory.replenished",
        ]
    );
}

#[tokio::test]
async fn below_safety_stock_fires_once_per_crossing_and_depleted_at_zero() {
    let app = spawn_app().await;
    let mut tap = EventTap::start(&app.broker_name("inventory_events")).await;
    app.post(
        "/inventory",
        json!({"sku": "ABC-1234-AB", "qty": 10, "safetyStock": 5}),
    )
    .await;
    for (i, qty) in [4, 2, 1, 3].into_iter().enumerate() {
        assert_eq!(
            app.reserve("ABC-1234-AB", &format!("o-{i}"), qty)
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
    }
    // Back above the level, then under it again: a second crossing.
    for i in 0..4 {
        app.post(
            "/inventory/ABC-1234-AB/release",
            json!({"orderId": format!("o-{i}")}),
        )
        .await;
    }
    app.reserve("ABC-1234-AB", "o-again", 6).await;

    let seen = tap
        .until(LIMIT, |m| {
            m.body["data"]["orderId"] == "o-again" && m.routing_key.ends_with(".reserved")
        })
        .await;
    let seen = [seen, tap.collect(QUIET, LIMIT).await].concat();
    let below: Vec<_> = seen
        .iter()
        .filter(|m| m.routing_key == "product.inventory.below_safety_stock")
        .collect();
    assert_eq!(below.len(), 2, "{seen:#?}");
    assert_eq!(below[0].body["data"]["available"], 4);
    assert_eq!(below[0].body["data"]["safetyStock"], 5);
    let depleted: Vec<_> = seen
        .iter()
        .filter(|m| m.routing_key == "product.inventory.depleted")
        .collect();
    assert_eq!(depleted.len(), 1);
    assert_eq!(depleted[0].body["data"]["onHand"], 10);
    assert_eq!(depleted[0].body["data"]["reserved"], 10);
}

#[tokio::test]
async fn events_written_while_the_broker_is_away_are_published_once_when_it_returns() {
    let db = testkit::fresh_database("inventory").await;
    let prefix = broker_prefix(&db.name);
    let mut settings = inventory_service::config::Settings::for_tests(&db.url, &prefix);
    settings.backbone.amqp_url = "amqp://guest:guest@127.0.0.1:1/%2f".into(); // nothing listens there
    let offline = spawn_with(settings, &db).await;
    offline.create("ABC-1234-AB", 100).await;
    for i in 0..20 {
        assert_eq!(
            offline
                .reserve("ABC-1234-AB", &format!("o-{i}"), 1)
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
    }
    let pool = offline.pool().await;
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Each change's event and the stock-changed event beside it.
    assert_eq!(pending, 42, "the events wait in the outbox");
    assert_eq!(
        offline.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    drop(offline);

    let mut tap = EventTap::start(&format!("{prefix}inventory_events")).await;
    let _online = crate::helpers::spawn_on(&db).await;
    let seen = tap.collect(Duration::from_secs(2), LIMIT).await;
    let mut ids: Vec<_> = seen.iter().map(|m| m.message_id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 42, "{seen:#?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 42, "no event twice");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
